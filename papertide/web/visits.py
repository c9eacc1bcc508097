"""The "new" marker: papers added to the list since the reader's previous visit.

Two cookies, so reloading or paging within one visit keeps the markers: `pt_seen` is the time of the
reader's latest page view, `pt_since` the moment this visit's markers count from. A page view more than
VISIT_GAP after the latest one starts a new visit, and what was added since that latest view is new."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

SEEN_COOKIE = "pt_seen"
SINCE_COOKIE = "pt_since"
VISIT_GAP = dt.timedelta(minutes=30)
COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie


def _cookie_time(request: HttpRequest, name: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(float(request.COOKIES[name]), tz=dt.UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None


def new_since(request: HttpRequest, now: dt.datetime | None = None) -> dt.datetime | None:
    """Entries added after this moment are new to this reader; None on a first visit."""
    now = now or timezone.now()
    seen = _cookie_time(request, SEEN_COOKIE)
    if seen is None:
        return None
    if now - seen > VISIT_GAP:
        return seen
    return _cookie_time(request, SINCE_COOKIE)


class VisitMiddleware:
    """Sets `request.new_since` for the views, and remembers the visit on every page a reader sees."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.new_since = new_since(request)
        response = self.get_response(request)
        if (request.method == "GET" and response.status_code == 200
                and response.get("Content-Type", "").startswith("text/html")):
            remember_visit(response, request.new_since)
        return response


def remember_visit(response: HttpResponse, since: dt.datetime | None, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    options = {"max_age": COOKIE_AGE, "samesite": "Lax", "httponly": True, "secure": settings.HTTPS}
    response.set_cookie(SEEN_COOKIE, f"{now.timestamp():.0f}", **options)
    if since is not None:
        response.set_cookie(SINCE_COOKIE, f"{since.timestamp():.0f}", **options)
    else:
        response.delete_cookie(SINCE_COOKIE)
