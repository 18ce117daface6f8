"""Login with throttling, logout, and the home page that sends users to their own region."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fupin import divisions
from fupin.accounts.backends import client_address
from fupin.accounts.scoping import Scope
from fupin.accounts.services import login_locked
from fupin.web import selectors


class ThrottledLoginView(auth_views.LoginView):
    """Django's login; the throttle itself is the authentication backend's (every login path,
    the admin's included), this page only says so with a 429 while it holds."""

    template_name = "fupin/web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = (request.POST.get("username") or "").strip()[:150]
        if username and login_locked(username, client_address(request)):
            locked = _("Too many failed attempts for this user. Try again in 15 minutes.")
            form = self.get_form_class()(request)
            return self.render_to_response(self.get_context_data(form=form, locked=locked), status=429)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    next_page = "web:login"


@login_required
def home(request):
    scope = Scope.of(request.user)
    if not scope.can_read:
        # A department's data steward only sends lists.
        return redirect("monitoring:match")
    if scope.prefix:
        return redirect("web:dashboard", code=divisions.pad12(scope.prefix))
    # A national scope: the provinces with figures are the starting points.
    year, stats = selectors.national_overview(scope)
    return render(request, "fupin/web/national.html", {"year": year, "stats": stats})
