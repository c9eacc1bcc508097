"""Jobs a web request queues and does not wait for (a submission's fetch, a library import): a row claimed by a
conditional UPDATE, so it runs once however many processes look at it; run at once by a thread of the web
process, and finished by `papertide worker` if that process died first (its row is then past its lease)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable

from django.db import close_old_connections, connection
from django.utils import timezone

from papertide import stopping


def claim(jobs, job_id: int, *, queued: str, running: str) -> bool:
    """Take a queued job (one conditional UPDATE: of several processes trying, one gets it)."""
    return bool(jobs.filter(pk=job_id, status=queued).update(status=running, started_at=timezone.now()))


def run_in_thread(process: Callable[[int], bool], job_id: int, name: str) -> None:
    """Run `process(job_id)` in a thread of this process, on a database connection of its own."""
    def run() -> None:
        try:
            process(job_id)
        finally:
            connection.close()

    threading.Thread(target=run, name=f"{name}-{job_id}", daemon=True).start()


def finish_waiting(jobs, process: Callable[[int], bool], *, running: str, queued: str, lease: dt.timedelta,
                   now: dt.datetime | None = None) -> int:
    """For the worker: queue again the jobs running past their lease, then run every job queued for more than a
    few seconds (younger ones are a web process's own, about to run); how many ran."""
    now = now or timezone.now()
    jobs.filter(status=running, started_at__lt=now - lease).update(status=queued)
    return run_each(jobs.filter(status=queued, created_at__lt=now - dt.timedelta(seconds=5)).order_by("pk")
                    .values_list("pk", flat=True), process)


def run_each(ids: Iterable[int], process: Callable[[int], bool]) -> int:
    """For the worker: `process` each id until a stop is asked for, each on a fresh connection; how many did
    something."""
    ran = 0
    for job_id in ids:
        if stopping.requested():
            break
        if not connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
            close_old_connections()
        ran += process(job_id)
    return ran
