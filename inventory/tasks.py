"""Celery entry points of the inventory app: the sales import.

run_import_job runs one ImportJob through inventory.ingest.api.import_files. With acks_late a
job whose worker died is delivered again: the dead run's transaction was rolled back, so running
it again is safe; a job already finished is left alone. Progress (rows read) and a heartbeat are
written on a separate database connection so that they are visible while the import's own
transaction is still open (PostgreSQL); SQLite allows one writer at a time, so there they go to
the cache only. A job whose heartbeat stops (its worker died, the database restarted) is failed
by ``fail_stale_imports`` (every few minutes, by beat), so "run again" can take it.

Uploaded files are deleted: at once when an import limit refused them (a hostile file is not
kept), otherwise by ``sweep_imports`` once the job finished more than
STOCKCAST_UPLOAD_RETENTION_HOURS ago (the admin's "run again" works until then).
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.db.models import Q
from django.utils import timezone

from inventory_site.heartbeat import STALE_AFTER_S, Heartbeat, last_sign_of_life

from .import_models import ImportJob
from .ingest.api import import_files
from .ingest.base import ImportOptions
from .ingest.limits import ImportLimitExceeded
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
    if not job.stored_paths or not all(default_storage.exists(name) for name in job.stored_paths):
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(),
            error="The uploaded files are gone (deleted after an earlier run of them): upload them again.")
        return {"job": job_id, "status": ImportJob.Status.FAILED}
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, started_at=now, heartbeat_at=now,
                                               error="")
    opts = job.options or {}
    options = ImportOptions(
        conflict=opts.get("conflict", "replace"),
        auto_create_warehouses=opts.get("auto_create_warehouses", True),
        default_warehouse=opts.get("default_warehouse") or None,
    )
    paths = [default_storage.path(name) for name in job.stored_paths]
    progress = _ProgressWriter(job_id)
    fields = {"finished_at": None}
    delete_now = False
    try:
        with Heartbeat(ImportJob, job_id):
            summary = import_files(job.format, paths, options=options, dry_run=opts.get("dry_run", False),
                                   progress=progress)
        fields.update(status=ImportJob.Status.SUCCEEDED, summary=summary.as_dict(), progress_rows=summary.rows_read)
    except ImportRefused as refused:
        fields.update(status=ImportJob.Status.FAILED, report=refused.report.as_dict(),
                      error=f"Refused: {refused.report.problem_count} bad row(s); nothing was written.")
    except ImportLimitExceeded as exc:
        fields.update(status=ImportJob.Status.FAILED, error=str(exc)[:2000])
        delete_now = True
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
    if delete_now:
        _delete_uploads(job.stored_paths)
    return {"job": job_id, "status": fields["status"]}


def _delete_uploads(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # already gone, or the storage refuses: the job's answer stands either way
            log.warning("could not delete the uploaded file %s", name)


@shared_task(name="inventory.sweep_imports")
def sweep_imports() -> dict:
    """Beat, every few minutes: fail the imports whose worker is gone, delete expired uploads."""
    return {"failed": fail_stale_imports(), "deleted_uploads": delete_expired_uploads()}


def delete_expired_uploads(hours: float | None = None) -> int:
    """Delete the files of imports finished more than ``hours`` ago (default: the retention setting)."""
    hours = settings.STOCKCAST_UPLOAD_RETENTION_HOURS if hours is None else hours
    cutoff = timezone.now() - timezone.timedelta(hours=hours)
    # A copy made by "run again" shares the files: keep them while any job that uses them is young.
    young = ImportJob.objects.filter(Q(finished_at__isnull=True) | Q(finished_at__gte=cutoff))
    in_use = {name for paths in young.values_list("stored_paths", flat=True) for name in paths}
    deleted = 0
    for job in ImportJob.objects.filter(finished_at__lt=cutoff).exclude(stored_paths=[]):
        names = [name for name in job.stored_paths if name not in in_use]
        _delete_uploads(names)
        deleted += len(names)
        ImportJob.objects.filter(pk=job.pk).update(stored_paths=[n for n in job.stored_paths if n in in_use])
    return deleted


def fail_stale_imports(max_seconds: float = STALE_AFTER_S) -> int:
    """Fail running imports whose heartbeat stopped: their transaction was rolled back with them."""
    cutoff = timezone.now() - timezone.timedelta(seconds=max_seconds)
    failed = 0
    for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING):
        seen = last_sign_of_life(job)
        if seen is not None and seen >= cutoff:
            continue
        failed += ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(),
            error=f"No sign of life for {max_seconds / 60:g} minutes: the worker or the database went away; "
                  "nothing was written. Run it again from the admin.")
    return failed
