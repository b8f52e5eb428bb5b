from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InventoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inventory"

    def ready(self):
        from inventory_site.roles import sync_role_groups

        # After the whole migrate (every app's permissions exist by then), refresh the roles.
        post_migrate.connect(sync_role_groups, dispatch_uid="stockcast-sync-role-groups")
