"""Recording runs and checkpoints."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from papertide.ingest.models import Checkpoint, IngestRun
from papertide.papers.upsert import UpsertResult


@contextmanager
def recorded_run(job: str, target: str = "") -> Iterator[IngestRun]:
    """A run row that ends as ok/empty/failed whatever happens inside (even a KeyboardInterrupt); a process
    killed outright leaves it running, until `mark_stopped_runs` sees its process gone."""
    mark_stopped_runs()
    run = IngestRun.objects.create(job=job, target=target[:500], host=socket.gethostname(), pid=os.getpid())
    try:
        yield run
    except BaseException as exc:
        run.status = IngestRun.Status.FAILED
        run.message = run.message or f"{exc.__class__.__name__}: {exc}"
        raise
    else:
        if run.status == IngestRun.Status.RUNNING:
            run.status = IngestRun.Status.OK if (run.created or run.updated or run.listed) else IngestRun.Status.EMPTY
    finally:
        run.finished_at = timezone.now()
        run.save()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def mark_stopped_runs() -> int:
    """Runs recorded as running on this machine whose process is gone: killed before it could say so. (A run
    on another machine is judged there.)"""
    stopped = 0
    for run in IngestRun.objects.filter(status=IngestRun.Status.RUNNING, host=socket.gethostname(), pid__isnull=False):
        if not _alive(run.pid):
            stopped += IngestRun.objects.filter(pk=run.pk, status=IngestRun.Status.RUNNING).update(
                status=IngestRun.Status.STOPPED,
                message=f"its process ({run.pid}) ended without finishing, killed or crashed; "
                        "run the job again: it resumes where it stopped")
    return stopped


def add_result(run: IngestRun, result: UpsertResult) -> None:
    run.created += result.created
    run.updated += result.updated
    run.unchanged += result.unchanged
    run.listed += result.listed
    IngestRun.objects.filter(pk=run.pk).update(
        created=run.created, updated=run.updated, unchanged=run.unchanged, listed=run.listed
    )


def load_checkpoint(key: str) -> dict:
    checkpoint = Checkpoint.objects.filter(key=key).first()
    return dict(checkpoint.state) if checkpoint else {}


def save_checkpoint(key: str, state: dict) -> None:
    Checkpoint.objects.update_or_create(key=key, defaults={"state": state})


def clear_checkpoint(key: str) -> None:
    Checkpoint.objects.filter(key=key).delete()
