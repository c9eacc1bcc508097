"""Log-in and password-reset attempts, limited per client address and per user name, so nobody can try
password after password (or flood someone's inbox with reset links).

Each attempt is counted before it is judged (counting is atomic, papertide/throttle.py): checking first and
counting after let 13 of 10 parallel attempts through. A name is limited per address, so that ten wrong
passwords from elsewhere do not lock its owner out, and also, ten times more loosely, from everywhere at once,
which slows down one name tried from many addresses."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from papertide import throttle

EVERYWHERE_FACTOR = 10  # a name's attempts from all addresses together may be this many times the limit


def _clients(request: HttpRequest, scope: str) -> list[tuple[str, str, int]]:
    """(scope, counter, limit) of each counter an attempt counts against."""
    address, limit = throttle.client_address(request), settings.LOGIN_RATE_LIMIT
    clients = [(scope, f"ip:{address}", limit)]
    name = (request.POST.get("username") or request.POST.get("email") or "").strip().lower()[:150]
    if name:
        clients += [(scope, f"name:{name}:ip:{address}", limit), (scope, f"name:{name}", limit * EVERYWHERE_FACTOR)]
    return clients


def admit(request: HttpRequest, scope: str) -> int:
    """Count this attempt; 0 if it may go ahead, else how many seconds the client must wait."""
    clients = _clients(request, scope)
    windows = throttle.count_all([(s, c) for s, c, _ in clients], settings.LOGIN_RATE_WINDOW)
    return max((w.reset for w, (_, _, limit) in zip(windows, clients, strict=True) if w.used > limit), default=0)


def forget_attempts(request: HttpRequest, scope: str) -> None:
    """After a successful log-in: its failed attempts no longer count."""
    for s, c, _ in _clients(request, scope):
        throttle.forget(s, c)
