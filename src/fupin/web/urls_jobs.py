from django.urls import path

import fupin.web.converters  # noqa: F401 — registers id, year, village, household
from fupin.web.views import jobs as views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("import/", views.start_import, name="import"),
    path("assess/", views.start_assessment, name="assess"),
    path("export/", views.start_export, name="export"),
    path("cards/", views.start_cards, name="cards"),
    path("<id:pk>/", views.job_detail, name="detail"),
    path("<id:pk>/progress/", views.job_progress, name="progress"),
    path("<id:pk>/download/<str:which>/", views.download, name="download"),
]
