"""URLs of the sales import pages (mounted at /imports/)."""
from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.job_list, name="list"),
    path("new/", import_views.job_new, name="new"),
    path("<int:pk>/", import_views.job_detail, name="detail"),
]
