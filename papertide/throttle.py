"""Fixed-window counters in the shared cache, so every web worker sees the same counts.
Used by the API's anonymous rate limit and by the log-in and password-reset forms.

Counting is atomic across the machine's web processes and threads: a file cache's `incr` reads, then writes,
and 300–400 parallel requests got 219–234 through a limit of 120. A lock file serializes the few microseconds
of each count."""

from __future__ import annotations

import fcntl
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


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
    windows = []
    with _counting():
        for scope, client in counters:
            key, start, now = _key(scope, client, window)
            used = cache.get(key, 0) + 1
            cache.set(key, used, timeout=window + 1)
            windows.append(Window(used, max(1, math.ceil(start + window - now))))
    return windows


def forget(scope: str, client: str, window: int) -> None:
    cache.delete(_key(scope, client, window)[0])
