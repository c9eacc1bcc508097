"""A Content-Security-Policy on every page: the browser itself then refuses any request to another host,
and any script that did not come from papertide's own static files."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# KaTeX positions glyphs with style attributes, hence 'unsafe-inline' for styles (never for scripts).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)
# Pages that carry inline scripts of their own (Django's admin, the API docs page).
EXEMPT_PREFIXES = ("/admin/", "/api/docs")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(EXEMPT_PREFIXES) and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = POLICY
        return response
