"""A clean stop for batch work. SIGTERM (systemd, `docker stop`, a deploy) or Ctrl-C asks the running command to
stop at its next safe point — between two digests, two notification emails, two jobs — instead of dying in the
middle of one: a digest killed while it is handed to the mail server is "in doubt" and never sent (digests/sender.py).
A second signal stops at once."""

from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger(__name__)

_requested = threading.Event()


def install() -> None:
    """Turn SIGTERM and SIGINT into a request to stop (call once, from the command's main thread)."""
    def ask(signum: int, frame) -> None:
        name = signal.Signals(signum).name
        if _requested.is_set():
            raise SystemExit(128 + signum)
        log.warning("%s: stopping at the next safe point (send it again to stop at once)", name)
        _requested.set()

    signal.signal(signal.SIGTERM, ask)
    signal.signal(signal.SIGINT, ask)


def requested() -> bool:
    return _requested.is_set()


def wait(seconds: float) -> bool:
    """Sleep up to `seconds`; True as soon as a stop is asked for."""
    return _requested.wait(seconds)


def reset() -> None:
    """Forget a request (tests that ask for a stop in-process)."""
    _requested.clear()
