from django.urls import include, path, re_path

import fupin.web.converters  # noqa: F401 — registers id, year, village, household
from fupin.web.views import assistance, audit, auth, households, policy, worklists

app_name = "web"

CODE = r"(?P<code>\d{2,12})"

urlpatterns = [
    path("", auth.home, name="home"),
    path("accounts/login/", auth.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("households/", households.household_list, name="households"),
    path("households/<household:household_id>/", households.household_detail, name="household"),
    path("households/<household:household_id>/<year:year>/edit/", households.household_edit, name="household_edit"),
    path("households/<household:household_id>/<year:year>/members/<id:member_pk>/edit/", households.member_edit,
         name="member_edit"),
    path("households/<household:household_id>/<year:year>/assess/", households.household_assess, name="household_assess"),
    path("households/<household:household_id>/<year:year>/reveal/", households.reveal, name="household_reveal"),
    path("households/<household:household_id>/<year:year>/elimination/", households.household_elimination,
         name="household_elimination"),
    path("households/<household:household_id>/<year:year>/exit/", households.household_exit,
         name="household_exit"),
    path("policy/", policy.policy_page, name="policy"),
    path("audit/", audit.audit_log, name="audit"),
    re_path(rf"^worklists/{CODE}/$", worklists.worklist, name="worklist"),
    re_path(rf"^worklists/{CODE}/export/$", worklists.worklist_export, name="worklist_export"),
    re_path(rf"^dashboard/{CODE}/$", worklists.dashboard, name="dashboard"),
    path("households/<household:household_id>/<year:year>/measures/new/", assistance.measure_new,
         name="assistance_measure_new"),
    path("households/<household:household_id>/plan/<id:action_id>/done/", assistance.action_done,
         name="assistance_action_done"),
    path("households/<household:household_id>/<year:year>/coverage/", assistance.household_coverage,
         name="assistance_household_coverage"),
    path("households/<household:household_id>/<year:year>/card.pdf", assistance.household_card,
         name="household_card"),
    re_path(rf"^assistance/due/{CODE}/$", assistance.plans_due, name="assistance_due"),
    re_path(rf"^assistance/coverage/{CODE}/$", assistance.coverage, name="assistance_coverage"),
    re_path(rf"^assistance/coverage/{CODE}/export/$", assistance.coverage_export, name="assistance_coverage_export"),
]
