"""Recording runs and checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from papertide.ingest.models import Checkpoint, IngestRun
from papertide.papers.upsert import UpsertResult


@contextmanager
def recorded_run(job: str, target: str = "") -> Iterator[IngestRun]:
    """A run row that ends as ok/empty/failed whatever happens inside (even a KeyboardInterrupt)."""
    run = IngestRun.objects.create(job=job, target=target[:500])
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
