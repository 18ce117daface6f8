"""``{% assistance_section household %}``: the household file's assistance section (plan,
measures, dividends, coverage), rendered from the one context builder of the assistance views."""

from __future__ import annotations

from django import template

from fupin.web.views import assistance

register = template.Library()


@register.inclusion_tag("assistance/household_section.html", takes_context=True)
def assistance_section(context, household) -> dict:
    section = assistance.household_section(context["request"], household)
    # The section's forms post with the page's CSRF token.
    return {**section, "csrf_token": context.get("csrf_token"), "request": context["request"]}


@register.filter
def tone(status: str) -> str:
    return assistance.status_tone(status)
