from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("fupin.api.urls")),
    path("jobs/", include("fupin.web.urls_jobs")),
    path("monitoring/", include("fupin.web.urls_monitoring")),
    path("declare/", include("fupin.web.urls_public")),
    path("", include("fupin.web.urls")),
]
