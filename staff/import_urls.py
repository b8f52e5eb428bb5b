"""URLs of the sales import pages (mounted at /imports/)."""
from django.urls import path

from . import imports

app_name = "imports"

urlpatterns = [
    path("", imports.job_list, name="list"),
    path("new/", imports.job_new, name="new"),
    path("<int:pk>/", imports.job_detail, name="detail"),
]
