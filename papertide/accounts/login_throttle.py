"""Log-in and password-reset attempts, limited per client address and per user name, so nobody can try
password after password (or flood someone's inbox with reset links)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from papertide import throttle


def _clients(request: HttpRequest, scope: str) -> list[tuple[str, str]]:
    clients = [(scope, f"ip:{throttle.client_address(request)}")]
    name = (request.POST.get("username") or request.POST.get("email") or "").strip().lower()
    if name:
        clients.append((scope, f"name:{name[:150]}"))
    return clients


def seconds_blocked(request: HttpRequest, scope: str) -> int:
    """0 if this attempt may go ahead, else how long the client must wait."""
    waits = [
        window.reset
        for window in (throttle.peek(s, c, settings.LOGIN_RATE_WINDOW) for s, c in _clients(request, scope))
        if window.used >= settings.LOGIN_RATE_LIMIT
    ]
    return max(waits, default=0)


def count_attempt(request: HttpRequest, scope: str) -> None:
    for s, c in _clients(request, scope):
        throttle.count(s, c, settings.LOGIN_RATE_WINDOW)


def forget_attempts(request: HttpRequest, scope: str) -> None:
    for s, c in _clients(request, scope):
        throttle.forget(s, c, settings.LOGIN_RATE_WINDOW)
