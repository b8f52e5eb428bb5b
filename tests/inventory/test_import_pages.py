"""The upload page, the import's progress/report page and the admin re-run action."""
import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.import_models import ImportJob
from inventory.models import SalesDay

pytestmark = pytest.mark.django_db

GOOD = b"sku,warehouse,date,units,price\nA,W1,2024-01-01,3,2.5\nA,W1,2024-01-02,1,2.5\nB,W1,2024-01-01,7,1\n"
BAD = b"sku,warehouse,date,units\nA,W1,2024-01-01,3\nA,W1,2024-01-32,1\nB,W1,2024-01-01,seven\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path, eager_tasks):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def importer():
    user = User.objects.create_user("importer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_importjob"))
    return user


def upload(client, content, name="sales.csv", **extra):
    data = {"format": "generic", "conflict": "replace", "auto_create_warehouses": "on",
            "files": SimpleUploadedFile(name, content, content_type="text/csv")} | extra
    return client.post(reverse("imports:new"), data)


def test_pages_need_a_login(client):
    for url in (reverse("imports:list"), reverse("imports:new")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(reverse("imports:new")).status_code == 302
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("staff, permitted", [(False, False), (True, False), (False, True)])
def test_starting_an_import_needs_staff_and_permission(client, staff, permitted):
    user = User.objects.create_user("u", password="x", is_staff=staff)
    if permitted:
        user.user_permissions.add(Permission.objects.get(codename="add_importjob"))
    client.force_login(user)
    assert client.get(reverse("imports:list")).status_code == 200
    assert client.get(reverse("imports:new")).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert not ImportJob.objects.exists() and not SalesDay.objects.exists()


def test_upload_runs_the_import_task_and_shows_the_summary(client, importer, django_capture_on_commit_callbacks):
    client.force_login(importer)
    assert client.get(reverse("imports:new")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, GOOD)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[job.pk])
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert job.created_by == importer and job.progress_rows == 3
    assert job.summary["days_inserted"] == 3 == SalesDay.objects.count()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Succeeded" in page and "days added" in page
    assert f"#{job.pk}" in client.get(reverse("imports:list")).content.decode()


def test_a_bad_upload_fails_with_its_rows_listed(client, importer, django_capture_on_commit_callbacks):
    client.force_login(importer)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, BAD)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert [(p["line"], p["column"]) for p in job.report["problems"]] == [(3, "date"), (4, "units")]
    assert not SalesDay.objects.exists()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "2024-01-32" in page and "seven" in page and "nothing was written" in page


def test_upload_refuses_an_unknown_file_type(client, importer):
    client.force_login(importer)
    response = upload(client, b"%PDF-1.4", name="sales.pdf")
    assert response.status_code == 200 and "unsupported file type" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_admin_action_runs_an_import_again(client, importer, django_capture_on_commit_callbacks):
    client.force_login(importer)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, GOOD)
    SalesDay.objects.all().delete()
    admin = User.objects.create_superuser("admin", password="x")
    client.force_login(admin)
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:inventory_importjob_changelist"),
                               {"action": "run_again", "_selected_action": [job.pk]})
    assert response.status_code == 302
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert again.status == ImportJob.Status.SUCCEEDED and again.created_by == admin
    assert again.summary["days_inserted"] == 3 == SalesDay.objects.count()
