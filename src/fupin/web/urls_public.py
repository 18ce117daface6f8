"""Public pages (no login): the farmer's self-declaration and the receipt lookup (POST only)."""

from django.urls import path

from fupin.web.views import public as public_views

app_name = "declare"

urlpatterns = [
    path("", public_views.declare, name="form"),
    path("lookup/", public_views.lookup, name="lookup"),
]
