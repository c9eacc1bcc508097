"""Rate-limit windows every web process sees the same counts of, on one machine or several.
Used by the API's anonymous rate limit, the search limit, comments and the log-in and password-reset forms.

A client's window starts at its first counted event and lasts `window` seconds; the next event after it starts
a new one. Windows fixed to the clock (every 900 s since the epoch) let a burst that straddles a boundary through
twice: 13 of 10 parallel log-in attempts got through when one did.

Counting is atomic across processes and threads. On SQLite (one machine) the counts live in the file cache: its
`incr` reads, then writes, and 300–400 parallel requests got 219–234 through a limit of 120, so a lock file
serializes the few microseconds of each count. On PostgreSQL (web processes on several machines, no shared
folder) each count is one upsert in the database (web.models.ThrottleCount), timed by the database's clock so
that machines whose clocks differ agree on when a window ends."""

from __future__ import annotations

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


def _key(scope: str, client: str) -> str:
    return f"throttle:{scope}:{client}"


@contextmanager
def _counting() -> Iterator[None]:
    # One open file per call: flock then also excludes the other threads of this process.
    with open(settings.DATA_DIR / "throttle.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def count(scope: str, client: str, window: int) -> Window:
    """Count one event for this client and return its window so far."""
    return count_all([(scope, client)], window)[0]


def count_all(counters: list[tuple[str, str]], window: int) -> list[Window]:
    """Count one event on several (scope, client) counters at once: one attempt judged by several limits is
    counted on all of them together, or two racing attempts could each see the other's count on one counter
    and both be refused."""
    if connection.vendor == "postgresql":
        return _count_in_database(counters, window)
    windows = []
    with _counting():
        now = time.time()
        for scope, client in counters:
            key = _key(scope, client)
            used, ends = cache.get(key) or (0, now)
            if ends <= now:
                used, ends = 0, now + window
            cache.set(key, (used + 1, ends), timeout=math.ceil(ends - now) + 1)
            windows.append(Window(used + 1, max(1, math.ceil(ends - now))))
    return windows


def _count_in_database(counters: list[tuple[str, str]], window: int) -> list[Window]:
    # One transaction, rows taken in key order: two attempts on the same counters queue on the first row instead
    # of each holding one and waiting for the other. SET sees the row as it was, so both CASEs judge the old window.
    keyed = sorted((_key(scope, client), position) for position, (scope, client) in enumerate(counters))
    windows: list[Window | None] = [None] * len(counters)
    table = ThrottleCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for key, position in keyed:
            cursor.execute(
                f"INSERT INTO {table} AS counted (key, used, expires) "
                f"VALUES (%s, 1, statement_timestamp() + make_interval(secs => %s)) "
                f"ON CONFLICT (key) DO UPDATE SET "
                f"used = CASE WHEN counted.expires <= statement_timestamp() THEN 1 ELSE counted.used + 1 END, "
                f"expires = CASE WHEN counted.expires <= statement_timestamp() THEN excluded.expires "
                f"ELSE counted.expires END "
                f"RETURNING used, EXTRACT(EPOCH FROM expires - statement_timestamp())", [key, window])
            used, seconds_left = cursor.fetchone()
            windows[position] = Window(used, max(1, math.ceil(seconds_left)))
        if random.random() < 0.01:  # windows that ended are never read again: sweep them now and then
            cursor.execute(f"DELETE FROM {table} WHERE expires < statement_timestamp()")
    return windows  # type: ignore[return-value]


def forget(scope: str, client: str) -> None:
    """The client's window ends now: its next event starts a new one."""
    key = _key(scope, client)
    if connection.vendor == "postgresql":
        ThrottleCount.objects.filter(key=key).delete()
    else:
        cache.delete(key)
