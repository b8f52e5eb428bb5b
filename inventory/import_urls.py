"""URLs of the sales import pages (upload, progress, report). Filled in by the import feature."""
urlpatterns = []
