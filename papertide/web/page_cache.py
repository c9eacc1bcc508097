"""Pages rendered for anonymous readers, kept for PAGE_CACHE_SECONDS in each web process.

Rendering a feed of 50 cards costs ~20 ms of CPU in Django's templates; served from here a page costs
about a millisecond, which is what lets two cores answer 16 concurrent readers within the latency target
(docs/benchmarks.md). What differs between anonymous readers stays correct: the CSRF token of the page's
forms is rendered as a placeholder and filled in per request, and the "new" markers are part of the key.
Logged-in readers always get a fresh page (their upvotes, their messages)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

CSRF_PLACEHOLDER = "papertide-csrf-token-placeholder"


def _cacheable(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and not request.user.is_authenticated
        and "messages" not in request.COOKIES  # a message to show once (e.g. after logging out)
    )


def cache_anonymous_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        since = getattr(request, "new_since", None)
        key = f"page:{request.get_full_path()}:{since.timestamp() if since else ''}"
        cache = caches["pages"]
        cached = cache.get(key)
        if cached is not None:
            body, content_type = cached
            response = HttpResponse(body, content_type=content_type)
        else:
            request.csrf_placeholder = True  # read by web.context_processors.site
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            cache.set(key, (response.content, response["Content-Type"]), settings.PAGE_CACHE_SECONDS)
        response.content = response.content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
        return response

    return wrapper
