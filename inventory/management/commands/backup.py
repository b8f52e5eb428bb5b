"""Export the whole inventory state (catalogue, ledger, sales, orders, forecasts, model versions,
policies, alerts, users) to one compressed JSON file that `manage.py restore` loads back."""
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# Our apps, in dependency order, plus the accounts that own approvals and ledger lines.
BACKUP_APPS = ("auth.user", "auth.group", "authtoken", "inventory", "forecasting", "replenishment", "insights")


def backup_labels() -> list[str]:
    labels = []
    for label in BACKUP_APPS:
        app_label = label.split(".")[0]
        if apps.is_installed(f"rest_framework.{app_label}") or any(
            config.label == app_label for config in apps.get_app_configs()
        ):
            labels.append(label)
    return labels


class Command(BaseCommand):
    help = "Write a backup of all stockcast data to PATH (.json.gz, .json.xz or .json)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="file to write, e.g. var/backup-2026-11-29.json.gz")

    def handle(self, *args, path, **options):
        if not path.endswith((".json", ".json.gz", ".json.xz", ".json.bz2")):
            raise CommandError(f"path must end with .json, .json.gz, .json.xz or .json.bz2, got {path!r}")
        labels = backup_labels()
        # Natural keys for content types and permissions: ids differ between databases.
        call_command(
            "dumpdata", *labels, output=path, natural_foreign=True, natural_primary=True, verbosity=0
        )
        self.stdout.write(self.style.SUCCESS(f"Backed up {', '.join(labels)} to {path}"))
