"""Each request gets an id: in every log line written for it (papertide/logs.py), in gunicorn's access line and in
the `X-Request-ID` response header, so a reader's report ("the page said 500 at 10:02") leads to its lines. Behind
TRUSTED_PROXIES the proxy's own id (nginx `$request_id`) is kept, so one id runs through both logs; a client's is
not believed (it could fill the logs with another request's id).

Around the WSGI application rather than a middleware: Django logs a 4xx/5xx answer after the last middleware has
returned, and that line must carry the id too."""

from __future__ import annotations

import re
import uuid

from django.conf import settings

from papertide import logs

_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _given(environ) -> str | None:
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if settings.TRUSTED_PROXIES and _WELL_FORMED.fullmatch(given) else None


def with_request_ids(application):
    def serve(environ, start_response):
        request_id = _given(environ) or uuid.uuid4().hex[:16]
        environ["papertide.request_id"] = request_id

        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, ("X-Request-ID", request_id)], exc_info)

        token = logs.request_id.set(request_id)
        try:
            return application(environ, start)
        finally:
            logs.request_id.reset(token)

    return serve
