from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # The admin signs in through the workbench's page (one form, one throttle, one lock message).
    path("admin/", include("fupin.web.urls_admin")),
    path("admin/", admin.site.urls),
    path("api/", include("fupin.api.urls")),
    path("jobs/", include("fupin.web.urls_jobs")),
    path("monitoring/", include("fupin.web.urls_monitoring")),
    path("declare/", include("fupin.web.urls_public")),
    path("", include("fupin.web.urls")),
]

# Friendly error pages in the workbench's layout (Chinese by default, with a way back).
handler400 = "fupin.web.views.errors.bad_request"
handler403 = "fupin.web.views.errors.forbidden"
handler404 = "fupin.web.views.errors.not_found"
handler500 = "fupin.web.views.errors.server_error"
