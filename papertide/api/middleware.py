"""What every /api/ request gets, whichever view answers it: the anonymous rate limit and CORS."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from papertide import throttle
from papertide.api.errors import json_error

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def rate_limit(request: HttpRequest) -> tuple[bool, dict[str, str]]:
    """Counted per client address (or logged-in reader) in windows every web worker shares (papertide/throttle.py)."""
    limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
    if not limit:
        return True, {}
    counted = throttle.count("api", throttle.reader_or_address(request), window)
    used, reset = counted.used, counted.reset
    headers = {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(max(0, limit - used)),
               "RateLimit-Reset": str(reset), "RateLimit-Policy": f"{limit};w={window}"}
    if used > limit:
        headers["Retry-After"] = str(reset)
        return False, headers
    return True, headers


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        allowed, headers = rate_limit(request)
        if not allowed:
            response = json_error(f"too many requests: at most {settings.API_RATE_LIMIT} every "
                                  f"{settings.API_RATE_WINDOW} s without logging in; retry after "
                                  f"{headers['Retry-After']} s", 429)
        elif request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type"
        else:
            response = self.get_response(request)
        for name, value in headers.items():
            response[name] = value
        if request.method in READ_METHODS:  # writes need a session or token, never a foreign page
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
        return response
