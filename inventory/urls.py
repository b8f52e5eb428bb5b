from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("imports/", include("inventory.import_urls")),
]
