"""What every API view shares: one JSON error shape, CORS for reads, and the anonymous rate limit."""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A request the API cannot answer: becomes `{"error": message}` with this status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _rate_limit(request: HttpRequest) -> tuple[bool, dict[str, str]]:
    """Fixed-window counting per client address, shared by all web workers through the cache."""
    limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
    if not limit or request.user.is_authenticated:
        return True, {}
    now = time.time()
    window_start = math.floor(now / window) * window
    key = f"ratelimit:{_client(request)}:{window_start}"
    cache.add(key, 0, timeout=window + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        used = 1
    reset = max(1, math.ceil(window_start + window - now))
    headers = {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(max(0, limit - used)),
               "RateLimit-Reset": str(reset), "RateLimit-Policy": f"{limit};w={window}"}
    if used > limit:
        headers["Retry-After"] = str(reset)
        return False, headers
    return True, headers


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Errors as `{"error": …}`, never an HTML page; CORS for reads; rate limit for anonymous use."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        allowed, headers = _rate_limit(request)
        if not allowed:
            response = json_error(f"too many requests: at most {settings.API_RATE_LIMIT} every "
                                  f"{settings.API_RATE_WINDOW} s without logging in; retry after "
                                  f"{headers['Retry-After']} s", 429)
        else:
            try:
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                response = json_error(str(exc), exc.status)
        for name, value in headers.items():
            response[name] = value
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
        return response

    return wrapper
