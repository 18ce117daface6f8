"""The admin signs in through the workbench's login view: one form, one throttle, one lock message.

Included by ``fupin.site.urls`` before Django's admin, so ``/admin/login/`` resolves here first.
"""

from django.urls import path

from fupin.web.views.auth import ThrottledLoginView

urlpatterns = [
    path("login/", ThrottledLoginView.as_view(), name="admin_login"),
]
