"""Addresses with a NUL character are refused with a 400 before any view sees them: no link needs one, and
PostgreSQL cannot hold or compare text containing it (a lookup by such a parameter would fail as a server
error). Query words lose other control characters where they are parsed (search/query.py)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from papertide.api.errors import json_error

MESSAGE = "the address contains a NUL character (%00), which no page or parameter accepts"


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            if request.path.startswith("/api/"):
                return json_error(MESSAGE, 400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
