"""Interests found again off the request that changed a reader's papers: clustering and labelling a library of a
thousand papers takes a quarter of a second, of three thousand over a second, and an upvote should not wait for
it. The change leaves a row (InterestsDue), a thread of the web process finds the interests at once, and
`papertide worker` finishes what a process that died first left behind. The interests page finishes a refresh
still due for its reader before showing them."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.contrib.auth import get_user_model
from django.db import OperationalError, connection
from django.utils import timezone

from papertide import background
from papertide.recs import interests
from papertide.recs.models import InterestsDue

log = logging.getLogger(__name__)

RUN_IN_THREAD = True  # tests turn it off: the interests are then found in the request that changed the papers
LEFT_AFTER = dt.timedelta(seconds=30)  # a row older than this was left by a web process, for the worker
ATTEMPTS = 3

_pending: set[int] = set()
_lock = threading.Lock()
_wake = threading.Event()
_thread: threading.Thread | None = None


def papers_changed(user_id: int) -> None:
    """The reader's saved or upvoted papers changed (after the change committed): find their interests again."""
    try:
        InterestsDue.objects.update_or_create(user_id=user_id, defaults={"changed_at": timezone.now()})
    except OperationalError:  # the database busy past its timeout: the thread below still does it, undurably
        log.warning("could not note that reader %s's interests are due; finding them now", user_id)
    if not RUN_IN_THREAD:
        _refresh(user_id)
        return
    global _thread
    with _lock:
        _pending.add(user_id)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="interests", daemon=True)
            _thread.start()
    _wake.set()


def refresh_due(user_id: int) -> bool:
    """Find the reader's interests again if a change is still due for them; False if none was."""
    if not InterestsDue.objects.filter(user_id=user_id).exists():
        return False
    _refresh(user_id)
    return True


def _refresh(user_id: int, ahead: bool = False) -> None:
    """`ahead`: then rank the reader's latest day again (off the request: their next front page is ready)."""
    started = timezone.now()
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        interests.refresh(user)
    if ahead and user is not None:
        from papertide.web.ahead import rank_ahead

        try:
            rank_ahead(user)
        except Exception:  # only a cache fill: their next front page ranks it
            log.exception("ranking the latest day ahead for reader %s failed", user_id)
    # A change made while this ran has a later time, and stays due.
    InterestsDue.objects.filter(user_id=user_id, changed_at__lte=started).delete()


def _run() -> None:
    while True:
        _wake.wait()
        _wake.clear()
        while True:
            with _lock:
                if not _pending:
                    break
                user_id = _pending.pop()
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    _refresh(user_id, ahead=True)
                    break
                except OperationalError:  # SQLite busy with another writer: a moment later
                    if attempt == ATTEMPTS:
                        log.exception("finding the interests of reader %s failed; the worker will", user_id)
                    else:
                        time.sleep(attempt)
                except Exception:  # the row stays: the worker tries again
                    log.exception("finding the interests of reader %s failed; the worker will", user_id)
                    break
        connection.close()


def process_waiting(now: dt.datetime | None = None) -> int:
    """For the worker: the readers whose change has waited longer than a web process takes; how many were done."""
    now = now or timezone.now()
    return background.run_each(InterestsDue.objects.filter(changed_at__lt=now - LEFT_AFTER).order_by("changed_at")
                               .values_list("user_id", flat=True), refresh_due)
