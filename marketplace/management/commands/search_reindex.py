"""Rebuild every product's search document (after a bulk load or a fix made outside the services)."""

from django.core.management.base import BaseCommand

from marketplace.services.search import product_search_refresh


class Command(BaseCommand):
    help = "Rebuild the search documents of all products (marketplace.services.search)."

    def handle(self, *args, **options):
        count = product_search_refresh()
        self.stdout.write(f"Rebuilt the search documents of {count} products.")
