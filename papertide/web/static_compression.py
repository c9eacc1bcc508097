"""Static files sent gzip-compressed to browsers that take it.

whitenoise serves the static files straight from the installed packages (no collectstatic step), where no
compressed copies exist, so it sends them as they are: the API docs page waited on 1.7 MB of script and
style (swagger-ui) before showing anything. Each file is compressed once per process and kept, keyed by its
path and modification time. Only static files: pages carry CSRF tokens, which compression would expose to
BREACH-style guessing."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

SMALLEST = 1024  # bytes: below this gzip's own overhead eats most of the gain
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


_kept: dict[tuple[str, str], bytes] = {}  # (path, Last-Modified) -> compressed body; a few static files
_lock = threading.Lock()


def _compressed(path: str, response: HttpResponse) -> bytes:
    key = (path, response.get("Last-Modified", ""))
    found = _kept.get(key)
    if found is None:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        found = gzip.compress(body, compresslevel=9, mtime=0)
        with _lock:
            _kept[key] = found
    return found


class CompressedStaticMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not (request.method == "GET" and request.path.startswith(settings.STATIC_URL)
                and response.status_code == 200 and not response.has_header("Content-Encoding")
                and response.get("Content-Type", "").startswith(COMPRESSIBLE)
                and int(response.get("Content-Length") or 0) >= SMALLEST):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if "gzip" not in request.headers.get("Accept-Encoding", ""):
            return response
        compressed = HttpResponse(_compressed(request.path, response))
        # The file is closed, not the response: closing a response sends request_finished, and Django then closes
        # the request's database connection while the request still runs (inside a transaction, on PostgreSQL).
        stream = getattr(response, "file_to_stream", None)
        if stream is not None:
            stream.close()
        for name, value in response.items():
            if name.lower() != "content-length":
                compressed[name] = value
        compressed["Content-Encoding"] = "gzip"
        compressed["Content-Length"] = str(len(compressed.content))
        return compressed
