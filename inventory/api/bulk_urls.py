"""Route of the bulk sales ingest (its own module: it imports the ingest pipeline, pandas included)."""
from django.urls import path

from .bulk import SalesBulkView

urlpatterns = [path("sales/bulk/", SalesBulkView.as_view(), name="sales-bulk")]
