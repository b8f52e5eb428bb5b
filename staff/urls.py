"""Staff pages. The page code lives in staff/, one module per page family."""
from django.urls import include, path

from . import alerts, dashboard, orders, products, promotions, replay, runs, suggestions

ui_patterns = [
    path("products/", products.product_list, name="products"),
    path("products/<str:sku>/", products.product_detail, name="product"),
    path("orders/", orders.order_list, name="orders"),
    path("orders/<int:pk>/", orders.order_detail, name="order"),
    path("orders/<int:pk>/receive/", orders.order_receive, name="order-receive"),
    path("orders/<int:pk>/csv/", orders.order_csv, name="order-csv"),
    path("orders/<int:pk>/<str:action>/", orders.order_action, name="order-action"),
    path("suggestions/", suggestions.suggestion_list, name="suggestions"),
    path("suggestions/export.csv", suggestions.suggestion_export, name="suggestions-export"),
    path("suggestions/decide/", suggestions.suggestion_decide, name="suggestions-decide"),
    path("suggestions/recompute/", suggestions.suggestion_recompute, name="suggestions-recompute"),
    path("replay/", replay.replay_page, name="replay"),
    path("promotions/", promotions.promotion_list, name="promotions"),
    path("promotions/plan/", promotions.promotion_planner, name="promotion-planner"),
    path("promotions/save/", promotions.promotion_save, name="promotion-save"),
    path("promotions/<int:pk>/", promotions.promotion_detail, name="promotion"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:pk>/<str:action>/", alerts.alert_action, name="alert-action"),
    path("forecasts/", runs.run_list, name="runs"),
    path("forecasts/start/", runs.run_start, name="run-start"),
    path("forecasts/runs/<int:pk>/", runs.run_detail, name="run"),
    path("forecasts/runs/<int:pk>/progress.json", runs.run_progress, name="run-progress"),
]

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("", include((ui_patterns, "ui"))),
    path("imports/", include("staff.import_urls")),
]
