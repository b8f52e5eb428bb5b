"""Staff pages of the sales import: the list of imports, the upload form, one import's progress and report.

Every page needs a login (LoginRequiredByDefaultMiddleware). Starting an import needs staff status
and the `inventory.add_importjob` permission: anyone else gets 403, for GET and POST alike.
"""
import uuid

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_safe

from inventory.import_models import ImportJob
from inventory.tasks import progress_key, run_import_job

from .import_forms import ImportUploadForm

UPLOAD_PERMISSION = "inventory.add_importjob"


def can_import(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(UPLOAD_PERMISSION)


@require_safe
def job_list(request):
    jobs = ImportJob.objects.select_related("created_by")[:50]
    return render(request, "staff/imports/list.html", {"jobs": jobs, "can_import": can_import(request.user)})


def job_new(request):
    if not can_import(request.user):
        raise PermissionDenied("Importing sales needs staff status and the 'add import job' permission.")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        folder = f"imports/{uuid.uuid4().hex}"
        stored = [default_storage.save(f"{folder}/{get_valid_filename(f.name)}", f) for f in data["files"]]
        job = ImportJob.objects.create(
            format=data["format"],
            file_name=", ".join(f.name for f in data["files"])[:500],
            stored_paths=stored,
            options={k: data[k] for k in ("conflict", "auto_create_warehouses", "default_warehouse", "dry_run")},
            created_by=request.user,
        )
        transaction.on_commit(lambda: run_import_job.delay(job.pk))
        messages.success(request, f"Import {job.pk} queued.")
        return redirect("imports:detail", pk=job.pk)
    return render(request, "staff/imports/new.html", {"form": form})


@require_safe
def job_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    progress = job.progress_rows
    if not job.finished:
        progress = max(progress, cache.get(progress_key(job.pk)) or 0)
    skipped = sorted((job.summary.get("skipped") or {}).items(), key=lambda kv: -kv[1])
    return render(request, "staff/imports/detail.html", {
        "job": job, "progress": progress, "skipped": skipped, "problems": (job.report or {}).get("problems", []),
    })
