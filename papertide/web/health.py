"""`/healthz`, for a load balancer or a monitor: 200 when the database, the search index and the shared cache
answer, else 503 naming what failed. Never cached, never rate-limited, no reader's data."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _search_index() -> str:
    from papertide.search.service import get_backend

    backend = get_backend()
    return f"{backend.fulltext.count():,} papers in the full-text index, {backend.vectors.size():,} vectors ({backend.vectors.kind})"


def _cache() -> str:
    key, value = f"healthz-{uuid.uuid4().hex}", uuid.uuid4().hex
    cache = caches["default"]
    cache.set(key, value, 30)
    try:
        if cache.get(key) != value:
            raise RuntimeError("a value written to the cache did not come back")
    finally:
        cache.delete(key)
    return "written and read back"


CHECKS: dict[str, Callable[[], str]] = {"database": _database, "search index": _search_index, "cache": _cache}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            checks[name] = {"ok": True, "detail": check()}
        except Exception as exc:  # noqa: BLE001 — whatever broke, the answer says so instead of a 500
            log.warning("healthz: %s failed: %s", name, exc)
            checks[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
            healthy = False
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503)
