"""python manage.py replay [--periods 8] [--freq W|D] [--as-of DATE] [--no-apply]"""
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from replenishment.errors import ReplenishmentError
from replenishment.replays import replay_history


class Command(BaseCommand):
    help = ("Replay the last periods of every product x warehouse with each ordering method, store the "
            "costs, and set each pair's method to the cheapest (by a margin; methods staff set are kept).")

    def add_arguments(self, parser):
        parser.add_argument("--periods", type=int, default=8)
        parser.add_argument("--freq", default="W", choices=["W", "D", "w", "d"])
        parser.add_argument("--as-of", default=None, help="last day of history to replay (default: the last sales day)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--no-apply", action="store_true", help="store the replay but change no method")

    def handle(self, *args, **opts):
        try:
            as_of = date.fromisoformat(opts["as_of"]) if opts["as_of"] else None
        except ValueError as e:
            raise CommandError(f"--as-of: {e}") from e
        try:
            run = replay_history(periods=opts["periods"], freq=opts["freq"], as_of=as_of, seed=opts["seed"],
                                 apply=not opts["no_apply"], log=self.stdout.write)
        except ReplenishmentError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"{'method':16s} {'total':>12s} {'holding':>12s} {'shortage':>12s} {'fill':>6s}")
        for method, t in sorted(run.totals.items(), key=lambda kv: kv[1]["total_cost"]):
            self.stdout.write(f"{method:16s} {t['total_cost']:12.2f} {t['holding_cost']:12.2f} "
                              f"{t['shortage_cost']:12.2f} {t['fill_rate']:6.3f}")
        self.stdout.write(self.style.SUCCESS(f"replay {run.pk}: {run.pairs} pairs; selected {run.selected}"))
