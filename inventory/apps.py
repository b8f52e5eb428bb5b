from django.apps import AppConfig
from django.db.models.signals import post_migrate

from inventory_site.observability.metrics import register_figures


class InventoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inventory"

    def ready(self):
        # These import models (auth's, the app's own): they load once the app registry is ready.
        from inventory_site.roles import sync_role_groups

        from . import metrics, revisions

        register_figures(metrics.collect)
        revisions.STOCK.watch()
        # After the whole migrate (every app's permissions exist by then), refresh the roles.
        post_migrate.connect(sync_role_groups, dispatch_uid="stockcast-sync-role-groups")
