from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("fupin.api.urls")),
    path("jobs/", include("fupin.jobs.urls")),
    path("monitoring/", include("fupin.monitoring.urls")),
    path("declare/", include("fupin.monitoring.public_urls")),
    path("", include("fupin.web.urls")),
]
