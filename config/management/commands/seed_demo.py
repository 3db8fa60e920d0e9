"""``manage.py seed_demo``: fill an empty database with demo data so the site looks alive.

Idempotent: every step gets-or-creates by a natural key, so running it twice adds nothing.
``--if-empty`` skips everything when demo users already exist (what ``make run`` uses).
Each app contributes its steps in ``<app>/demo.py`` as ``STEPS``: a list of ``(label, fn)``;
``fn(ctx)`` receives a shared dict (users, shops, products ... made by earlier steps).
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from community import demo as community_demo
from headline import demo as headline_demo
from livestream import demo as livestream_demo
from marketplace import demo as marketplace_demo  # package: marketplace/demo/

DEMO_PASSWORD = "jishi-demo-2026"


class Command(BaseCommand):
    help = "Load demo data (idempotent). Use --if-empty to do nothing when demo data exists."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Skip when the demo users already exist.")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and community_demo.demo_data_exists():
            self.stdout.write("Demo data already present; skipping seed_demo.")
        else:
            steps = [
                *community_demo.STEPS,
                *marketplace_demo.STEPS,
                *community_demo.LATE_STEPS,
                *headline_demo.STEPS,
                *livestream_demo.STEPS,
            ]
            ctx = {"password": DEMO_PASSWORD}
            for label, step in tqdm(steps, desc="Seeding demo data", unit="step", disable=options["verbosity"] == 0):
                with transaction.atomic():
                    step(ctx)
                if options["verbosity"] > 1:
                    self.stdout.write(f"  ✓ {label}")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for username, role in [*community_demo.DEMO_LOGINS, *headline_demo.DEMO_LOGINS]:
            self.stdout.write(f"  {username:<10} {role}")
