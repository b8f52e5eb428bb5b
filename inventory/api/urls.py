"""Routes of the inventory API, mounted under /api/v1/ by inventory_site.api.urls."""
from rest_framework.routers import DefaultRouter

from inventory.promotions.api import PromotionViewSet
from inventory.purchasing.api import PurchaseOrderViewSet

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("categories", views.CategoryViewSet, basename="category")
router.register("suppliers", views.SupplierViewSet, basename="supplier")
router.register("warehouses", views.WarehouseViewSet, basename="warehouse")
router.register("products", views.ProductViewSet, basename="product")
router.register("stock-levels", views.StockLevelViewSet, basename="stock-level")
router.register("stock-movements", views.StockMovementViewSet, basename="stock-movement")
router.register("sales-days", views.SalesDayViewSet, basename="sales-day")
router.register("promotions", PromotionViewSet, basename="promotion")
router.register("purchase-orders", PurchaseOrderViewSet, basename="purchase-order")

urlpatterns = router.urls
