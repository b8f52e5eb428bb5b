"""Which parts of the system exist yet: forecasting, replenishment and alerts land separately.

Pages ask here instead of importing those apps directly, so a page whose data source has not
landed shows an honest "not available yet" state instead of crashing or inventing numbers.
Only a *missing* model or module counts as absent; an error inside one that exists propagates.
"""
from importlib import import_module

from django.apps import apps


def model(app_label: str, name: str):
    """The model class, or None while the app does not define it yet."""
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def module(dotted: str):
    """The module, or None while it does not exist (other import errors are real bugs and raise)."""
    try:
        return import_module(dotted)
    except ModuleNotFoundError as error:
        if error.name and (dotted == error.name or dotted.startswith(error.name + ".")):
            return None
        raise


def function(dotted_module: str, name: str):
    mod = module(dotted_module)
    return getattr(mod, name, None) if mod is not None else None
