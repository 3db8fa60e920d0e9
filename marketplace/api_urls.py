from django.urls import path  # noqa: F401
from rest_framework.routers import DefaultRouter

from marketplace.api import catalogue, orders, sales  # noqa: F401

router = DefaultRouter()
# --- catalogue ---
# --- orders ---
# --- sales ---

urlpatterns = [
    # --- catalogue ---
    # --- orders ---
    # --- sales ---
    *router.urls,
]
