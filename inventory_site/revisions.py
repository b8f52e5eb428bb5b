"""Revision numbers of kinds of state, for caches of figures computed from that state.

A page figure over the whole catalogue (stock value, pairs at risk, the totals of every pending
suggestion, the open alerts) is cached until the revision of what it reads moves. An app
declares a Revision for the state it owns and the models that hold it (inventory.revisions:
the stock; replenishment.revisions: the suggestions; insights.revisions: the alerts).

The revision moves twice: when the rows change, so that the writer's own reads in the same
transaction (a request that writes and then renders) see fresh figures, and again after the
commit (on_commit), so that what another reader computed from the old rows in between, stored
under the revision of the moment, is never asked for again. A rolled-back change costs one
needless recomputation. Saves and deletes of the watched models move it by themselves
(signals); code that writes them in bulk (bulk_create, queryset.update) calls note_changed. A
change neither sees (a row edited by hand in the database) stays on screen until the cache's
time limit (staff.figure_cache).
"""
from __future__ import annotations

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save


class Revision:
    def __init__(self, name: str, watched: tuple[str, ...]):
        self.name, self.watched = name, watched
        self.key = f"stockcast:revision:{name}"

    def current(self) -> int:
        return int(cache.get(self.key, 0))

    def fingerprint(self) -> str:
        """A cache key part."""
        return f"{self.name}-{self.current()}"

    def note_changed(self) -> None:
        """Move the revision now, and once more when the current transaction commits.

        The move at commit is registered once per transaction: a stock movement saves a level
        and a ledger line, and each cache round trip costs about 0.3 ms (eight of them per
        movement were a third of a bulk stock count's time; now three)."""
        self._bump()
        connection = transaction.get_connection()
        if not (connection.in_atomic_block and any(func == self._bump for _, func, _ in connection.run_on_commit)):
            transaction.on_commit(self._bump)

    def _bump(self) -> None:
        try:
            cache.incr(self.key)
        except ValueError:  # never moved (or evicted): start it; a racing start loses nothing
            cache.add(self.key, 1, timeout=None)

    def _changed(self, sender, **kwargs) -> None:
        if not kwargs.get("raw"):  # loading fixtures is no live change
            self.note_changed()

    def watch(self) -> None:
        """Connect the signals of the watched models (from the owning app's ready())."""
        for label in self.watched:
            model = apps.get_model(label)
            uid = f"stockcast-revision-{self.name}-{label}"
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{uid}-save")
            post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{uid}-delete")
