"""Load a backup written by `manage.py backup` into an empty, migrated database, all or nothing."""
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from inventory.models import Product, StockMovement, Warehouse


class Command(BaseCommand):
    help = "Restore a stockcast backup into an empty database (run `migrate` first)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        # Restoring over live data would interleave two ledgers: refuse rather than merge.
        if Product.objects.exists() or Warehouse.objects.exists() or StockMovement.objects.exists():
            raise CommandError("The database already holds inventory data: restore needs an empty database.")
        with transaction.atomic():
            call_command("loaddata", path, verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {Product.objects.count()} products, {Warehouse.objects.count()} warehouses and "
                f"{StockMovement.objects.count()} ledger lines from {path}"
            )
        )
