from django.urls import path

from fupin.web.views import monitoring as views

app_name = "monitoring"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.cadre_new, name="cadre_new"),
    path("bulk/", views.bulk_step, name="bulk"),
    path("overdue/", views.overdue, name="overdue"),
    path("match/", views.match_upload, name="match"),
    path("match/<int:pk>/rejects.xlsx", views.match_rejects, name="match_rejects"),
    path("notice/<str:village>/", views.notice_html, name="notice"),
    path("notice/<str:village>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/step/", views.lead_step, name="step"),
    path("<int:pk>/assistance/", views.assistance_add, name="assistance"),
]
