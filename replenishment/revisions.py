"""Reorder suggestions as one revision (inventory_site.revisions): what the suggestion page's
totals and the dashboard's due orders read. A run writes and supersedes them in bulk and the
approvals decide them in bulk: both call SUGGESTIONS.note_changed()."""
from inventory_site.revisions import Revision

SUGGESTIONS = Revision("suggestions", ("replenishment.ReorderSuggestion",))
