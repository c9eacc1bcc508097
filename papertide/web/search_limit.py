"""A limit on searches per client (or logged-in reader), on every route that runs one: the search page, both
search APIs and the search, author and category feeds.

A search embeds its query and ranks two indexes, tens of milliseconds of CPU; page views are served from the
shared page cache in one or two. Eight clients searching in a loop pushed a cached feed page from 5 ms to
3.9 s (issue #12), so searches are counted apart from page views, more generously than the API's overall
limit but not without end."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from papertide import throttle
from papertide.api.errors import json_error

SEARCHING = ("/search/", "/api/papers/search", "/api/v1/search", "/feeds/search.", "/feeds/author/",
             "/feeds/category/")


def runs_a_search(request: HttpRequest) -> bool:
    if not request.path.startswith(SEARCHING):
        return False
    return request.path != "/search/" or bool(request.GET.get("q", "").strip())  # the empty page explains


class SearchLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.SEARCH_RATE_LIMIT
        if not limit or not runs_a_search(request):
            return self.get_response(request)
        window = throttle.count("search", throttle.reader_or_address(request), settings.SEARCH_RATE_WINDOW)
        if window.used <= limit:
            return self.get_response(request)
        message = (f"Too many searches: at most {limit} every {settings.SEARCH_RATE_WINDOW} s from one reader. "
                   f"Try again in {window.reset} s.")
        if request.path.startswith("/api/"):
            response = json_error(message, 429)
        else:
            response = render(request, "429.html", {"message": message}, status=429)
        response["Retry-After"] = str(window.reset)
        return response
