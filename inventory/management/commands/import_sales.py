"""python manage.py import_sales --format {generic,online_retail,m5,wide} PATH... [--dry-run]

Imports sales history through inventory.ingest (one transaction, all or nothing) with a progress
bar and a summary. A refused file prints its bad rows (line, column, value, reason) and exits 1.
"""
import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from inventory.ingest.api import FORMATS, import_files
from inventory.ingest.base import ImportOptions
from inventory.ingest.readers import CHUNK_ROWS
from inventory.ingest.report import ImportRefused

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = "Import daily sales history (Online Retail II, M5, wide or generic long files) into SalesDay."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files (for m5: the three files or their folder)")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--dry-run", action="store_true", help="validate and count, then roll everything back")
        parser.add_argument("--keep-existing", action="store_true",
                            help="days already stored are kept as they are (default: replaced where they differ)")
        parser.add_argument("--no-create-warehouses", action="store_true",
                            help="refuse rows whose warehouse does not exist yet")
        parser.add_argument("--warehouse", help="warehouse code for files without a warehouse column (generic, wide)")
        parser.add_argument("--column", action="append", default=[], metavar="ROLE=NAME",
                            help="generic: the file's column for a role, e.g. --column units=Qty (repeatable)")
        parser.add_argument("--date-format", help="strftime format of the dates, e.g. %%d/%%m/%%Y (default ISO 8601)")
        parser.add_argument("--country-map", help="online_retail: JSON or CSV file mapping country -> warehouse code")
        parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, help="rows per chunk (memory bound)")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--reread", action="store_true",
                            help="read the files even if the same ones were imported and no sales changed since")

    def handle(self, *args, **opts):
        columns = {}
        for spec in opts["column"]:
            role, sep, name = spec.partition("=")
            if not sep or not role.strip() or not name.strip():
                raise CommandError(f"--column {spec!r}: expected ROLE=NAME, e.g. units=Qty")
            columns[role.strip()] = name.strip()
        if opts["chunk_rows"] < 1:
            raise CommandError("--chunk-rows must be at least 1")
        options = ImportOptions(
            conflict="skip" if opts["keep_existing"] else "replace",
            auto_create_warehouses=not opts["no_create_warehouses"],
            chunk_rows=opts["chunk_rows"],
            columns=columns,
            date_format=opts["date_format"],
            default_warehouse=opts["warehouse"],
            country_map=opts["country_map"],  # None: the setting STOCKCAST_COUNTRY_WAREHOUSES, else the default
            reread=opts["reread"],
        )
        bar = tqdm(unit=" rows", unit_scale=True, desc="reading", disable=opts["verbosity"] == 0, file=self.stderr._out)
        seen = [0]

        def progress(rows):
            bar.update(rows - seen[0])
            seen[0] = rows

        try:
            summary = import_files(opts["format"], opts["paths"], options=options, dry_run=opts["dry_run"], progress=progress)
        except ImportRefused as refused:
            bar.close()
            self._print_refusal(refused)
            raise CommandError(f"import refused: {refused.report.problem_count} problem(s), nothing written") from None
        except (ValueError, FileNotFoundError) as exc:
            bar.close()
            raise CommandError(str(exc)) from None
        bar.close()
        if opts["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), indent=2, default=str))
            return
        self._print_summary(summary)

    def _print_refusal(self, refused):
        report = refused.report
        self.stderr.write(f"Refused: {report.problem_count} bad row(s); nothing was written.")
        for problem in report.problems[:SHOWN_PROBLEMS]:
            self.stderr.write(f"  {problem}")
        if report.problem_count > SHOWN_PROBLEMS:
            self.stderr.write(f"  ... and {report.problem_count - SHOWN_PROBLEMS} more")

    def _print_summary(self, s):
        w = self.stdout.write
        if s.unchanged_since:
            w(self.style.SUCCESS(f"Unchanged: {', '.join(s.files)}"))
            w(f"  the same files were imported at {s.unchanged_since} and no sales were written since: "
              f"{s.days_unchanged:,} days already stored, nothing read (--reread reads them anyway)")
            return
        w(self.style.SUCCESS(("Dry run (rolled back): " if s.dry_run else "Imported: ") + ", ".join(s.files)))
        w(f"  rows read            {s.rows_read:>12,}")
        w(f"  rows skipped         {s.rows_skipped:>12,}")
        for reason, count in s.skipped.items():
            w(f"    {count:>10,}  {reason}")
        w(f"  days inserted        {s.days_inserted:>12,}")
        w(f"  days updated         {s.days_updated:>12,}")
        w(f"  days unchanged       {s.days_unchanged:>12,}")
        w(f"  products created     {s.products_created:>12,}   updated {s.products_updated:,}")
        w(f"  warehouses created   {s.warehouses_created:>12,}")
        w(f"  categories created   {s.categories_created:>12,}")
        if s.calendar_events_created:
            w(f"  calendar events      {s.calendar_events_created:>12,}")
        w(f"  seconds              {s.seconds:>12,.1f}   "
          + ", ".join(f"{name.replace('_', ' ')} {sec:,.1f}" for name, sec in s.phases.items()))
