"""Fixed-window counters every web process sees the same counts of, on one machine or several.
Used by the API's anonymous rate limit and by the log-in and password-reset forms.

Counting is atomic across processes and threads. On SQLite (one machine) the counts live in the file cache: its
`incr` reads, then writes, and 300–400 parallel requests got 219–234 through a limit of 120, so a lock file
serializes the few microseconds of each count. On PostgreSQL (web processes on several machines, no shared
folder) each count is one upsert in the database (web.models.ThrottleCount)."""

from __future__ import annotations

import datetime as dt
import fcntl
import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest

from papertide.web.models import ThrottleCount


def client_address(request: HttpRequest) -> str:
    """The reader's address. Behind TRUSTED_PROXIES proxies, each appends the address it saw to
    X-Forwarded-For, so the one the nearest trusted proxy saw is that many entries from the end; what comes
    before it was written by the client and proves nothing."""
    hops = settings.TRUSTED_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "unknown")


def reader_or_address(request: HttpRequest) -> str:
    """Whom a limit counts: a logged-in reader as themselves, wherever they connect from; anyone else by address."""
    return f"user:{request.user.pk}" if request.user.is_authenticated else client_address(request)


@dataclass
class Window:
    used: int  # events counted in the current window, this one included when counting
    reset: int  # seconds until the window ends


def _key(scope: str, client: str, window: int) -> tuple[str, float, float]:
    now = time.time()
    start = math.floor(now / window) * window
    return f"throttle:{scope}:{client}:{start:.0f}", start, now


@contextmanager
def _counting() -> Iterator[None]:
    # One open file per call: flock then also excludes the other threads of this process.
    with open(settings.DATA_DIR / "throttle.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def count(scope: str, client: str, window: int) -> Window:
    """Count one event for this client and return the window so far."""
    return count_all([(scope, client)], window)[0]


def count_all(counters: list[tuple[str, str]], window: int) -> list[Window]:
    """Count one event on several (scope, client) counters at once: one attempt judged by several limits is
    counted on all of them together, or two racing attempts could each see the other's count on one counter
    and both be refused."""
    if connection.vendor == "postgresql":
        return _count_in_database(counters, window)
    windows = []
    with _counting():
        for scope, client in counters:
            key, start, now = _key(scope, client, window)
            used = cache.get(key, 0) + 1
            cache.set(key, used, timeout=window + 1)
            windows.append(Window(used, max(1, math.ceil(start + window - now))))
    return windows


def _count_in_database(counters: list[tuple[str, str]], window: int) -> list[Window]:
    # One transaction, rows taken in key order: two attempts on the same counters queue on the first row instead
    # of each holding one and waiting for the other.
    keyed = sorted((_key(scope, client, window), position) for position, (scope, client) in enumerate(counters))
    windows: list[Window | None] = [None] * len(counters)
    table = ThrottleCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for (key, start, now), position in keyed:
            expires = dt.datetime.fromtimestamp(start + window, dt.UTC)
            cursor.execute(f"INSERT INTO {table} (key, used, expires) VALUES (%s, 1, %s) ON CONFLICT (key) "
                           f"DO UPDATE SET used = {table}.used + 1 RETURNING used", [key, expires])
            windows[position] = Window(cursor.fetchone()[0], max(1, math.ceil(start + window - now)))
        if random.random() < 0.01:  # windows that ended are never read again: sweep them now and then
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [dt.datetime.now(dt.UTC)])
    return windows  # type: ignore[return-value]


def forget(scope: str, client: str, window: int) -> None:
    key = _key(scope, client, window)[0]
    if connection.vendor == "postgresql":
        ThrottleCount.objects.filter(key=key).delete()
    else:
        cache.delete(key)
