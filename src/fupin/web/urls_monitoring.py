from django.urls import path

import fupin.web.converters  # noqa: F401 — registers id, year, village, household
from fupin.web.views import monitoring as views

app_name = "monitoring"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.cadre_new, name="cadre_new"),
    path("bulk/", views.bulk_step, name="bulk"),
    path("overdue/", views.overdue, name="overdue"),
    path("exits/<year:year>/exits.xlsx", views.exit_lists, name="exit_lists"),
    path("match/", views.match_upload, name="match"),
    path("match/<id:pk>/rejects.xlsx", views.match_rejects, name="match_rejects"),
    path("notice/<village:village>/", views.notice_html, name="notice"),
    path("notice/<village:village>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("<id:pk>/", views.lead_detail, name="detail"),
    path("<id:pk>/step/", views.lead_step, name="step"),
]
