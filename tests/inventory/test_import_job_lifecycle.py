"""Import jobs: hostile uploads are deleted, old uploads swept, dead jobs failed so they can run again."""
import gzip
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from inventory import tasks
from inventory.import_models import ImportJob
from inventory.models import SalesDay

pytestmark = pytest.mark.django_db

GOOD = b"sku,warehouse,date,units\nA,W1,2024-01-01,3\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # heartbeats of earlier tests' jobs (ids are reused after a rollback)


def _job(content: bytes, name="sales.csv", **fields) -> ImportJob:
    stored = default_storage.save(f"imports/test/{name}", ContentFile(content))
    return ImportJob.objects.create(format="generic", file_name=name, stored_paths=[stored], **fields)


def test_a_file_refused_by_a_limit_is_deleted_at_once(settings):
    settings.STOCKCAST_IMPORT_LIMITS = {"max_bytes": 1_000}
    job = _job(gzip.compress(GOOD + b"A,W1,2024-01-02,1\n" * 10_000), name="big.csv.gz")
    tasks.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "STOCKCAST_IMPORT_MAX_BYTES" in job.error
    assert not default_storage.exists(job.stored_paths[0])


def test_uploads_are_kept_for_run_again_then_swept(settings):
    job = _job(GOOD)
    tasks.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded" and default_storage.exists(job.stored_paths[0])
    assert tasks.delete_expired_uploads() == 0  # inside the retention window
    name = job.stored_paths[0]
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    assert tasks.delete_expired_uploads() == 1
    job.refresh_from_db()
    assert not default_storage.exists(name) and job.stored_paths == []
    again = ImportJob.objects.create(format="generic", file_name="sales.csv", stored_paths=[name])
    tasks.run_import_job(again.pk)
    again.refresh_from_db()
    assert again.status == "failed" and "upload them again" in again.error


def test_a_copy_made_by_run_again_keeps_the_shared_files():
    job = _job(GOOD)
    tasks.run_import_job(job.pk)
    job.refresh_from_db()
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=30))
    ImportJob.objects.create(format="generic", file_name="sales.csv", stored_paths=job.stored_paths)  # queued copy
    assert tasks.delete_expired_uploads() == 0
    assert default_storage.exists(job.stored_paths[0])


def test_a_running_import_without_heartbeat_is_failed_and_can_run_again(client, django_capture_on_commit_callbacks,
                                                                       eager_tasks):
    job = _job(GOOD, status="running", started_at=timezone.now() - timedelta(minutes=30),
               heartbeat_at=timezone.now() - timedelta(minutes=20))
    fresh = _job(GOOD, name="fresh.csv", status="running", started_at=timezone.now(), heartbeat_at=timezone.now())
    assert tasks.sweep_imports() == {"failed": 1, "deleted_uploads": 0}
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == "failed" and "No sign of life" in job.error and fresh.status == "running"
    admin = User.objects.create_superuser("admin", password="x")
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:inventory_importjob_changelist"),
                    {"action": "run_again", "_selected_action": [job.pk]})
    copy = ImportJob.objects.exclude(pk__in=[job.pk, fresh.pk]).get()
    assert copy.status == "succeeded" and SalesDay.objects.count() == 1
