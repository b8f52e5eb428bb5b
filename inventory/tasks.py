"""Celery entry points of the inventory app: the sales import.

run_import_job runs one ImportJob through inventory.ingest.api.import_files. With acks_late a
job whose worker died is delivered again: the dead run's transaction was rolled back, so running
it again is safe; a job already finished is left alone. Progress (rows read) is written on a
separate database connection so that it is visible while the import's own transaction is still
open (PostgreSQL); SQLite allows one writer at a time, so there it goes to the cache only.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils import timezone

from .import_models import ImportJob
from .ingest.api import import_files
from .ingest.base import ImportOptions
from .ingest.report import ImportRefused

log = logging.getLogger(__name__)


def progress_key(job_id: int) -> str:
    return f"stockcast:importjob:{job_id}:progress"


class _ProgressWriter:
    def __init__(self, job_id: int):
        self.job_id = job_id
        self.side = connections.create_connection("default") if connection.vendor == "postgresql" else None

    def __call__(self, rows: int) -> None:
        cache.set(progress_key(self.job_id), rows, 24 * 3600)
        if self.side is not None:
            with self.side.cursor() as cur:  # autocommit: visible at once, outside the import's transaction
                cur.execute(f"UPDATE {ImportJob._meta.db_table} SET progress_rows = %s WHERE id = %s", [rows, self.job_id])

    def close(self):
        if self.side is not None:
            self.side.close()


@shared_task(name="inventory.run_import_job")
def run_import_job(job_id: int) -> dict:
    job = ImportJob.objects.get(pk=job_id)
    if job.finished:
        return {"job": job_id, "status": job.status, "skipped": "already finished"}
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, started_at=timezone.now(), error="")
    opts = job.options or {}
    options = ImportOptions(
        conflict=opts.get("conflict", "replace"),
        auto_create_warehouses=opts.get("auto_create_warehouses", True),
        default_warehouse=opts.get("default_warehouse") or None,
    )
    paths = [default_storage.path(name) for name in job.stored_paths]
    progress = _ProgressWriter(job_id)
    fields = {"finished_at": None}
    try:
        summary = import_files(job.format, paths, options=options, dry_run=opts.get("dry_run", False), progress=progress)
        fields.update(status=ImportJob.Status.SUCCEEDED, summary=summary.as_dict(), progress_rows=summary.rows_read)
    except ImportRefused as refused:
        fields.update(status=ImportJob.Status.FAILED, report=refused.report.as_dict(),
                      error=f"Refused: {refused.report.problem_count} bad row(s); nothing was written.")
    except (ValueError, FileNotFoundError) as exc:
        fields.update(status=ImportJob.Status.FAILED, error=str(exc)[:2000])
    except Exception as exc:  # noqa: BLE001 - recorded on the job for the user, then re-raised for the worker log
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, error=f"Unexpected error: {exc}"[:2000], finished_at=timezone.now()
        )
        raise
    finally:
        progress.close()
    fields["finished_at"] = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(**fields)
    return {"job": job_id, "status": fields["status"]}
