"""``python manage.py translations update|compile|check`` — see core/i18n.py."""

from django.core.management.base import BaseCommand, CommandError

from core import i18n


class Command(BaseCommand):
    help = (
        "update: re-extract marked strings into every catalogue (needs GNU gettext); "
        "compile: write the .mo files (pure Python); "
        "check: fail when a catalogue is incomplete, fuzzy or out of step with the code."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["update", "compile", "check"])

    def handle(self, *args, action, **options):
        if action == "update":
            for path in i18n.update():
                self.stdout.write(f"updated {path}")
            self.stdout.write("Now translate the empty msgstr entries, then: python manage.py translations check")
        elif action == "compile":
            for path in i18n.compile_all():
                if options["verbosity"] > 1:
                    self.stdout.write(f"compiled {path}")
            self.stdout.write("translations compiled")
        else:
            found = i18n.problems() + i18n.out_of_step()
            for line in found:
                self.stderr.write(line)
            if found:
                raise CommandError(f"{len(found)} translation problem(s): run 'make messages', translate, re-check")
            self.stdout.write("translations complete and in step with the code")
