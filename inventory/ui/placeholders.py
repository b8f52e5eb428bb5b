"""Pages whose data arrives with features that have not landed yet (see features.py)."""
from django.shortcuts import render

from . import features


def suggestion_list(request):
    return render(request, "inventory/ui/suggestion_list.html", {
        "available": features.model("replenishment", "ReorderSuggestion") is not None,
    })
