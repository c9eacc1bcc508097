"""Submissions from the site, fetched off the web request. The submit page queues a paper arXiv must be asked
about and shows its progress; a background thread of the web process fetches it at once, and `papertide worker`
takes over any job a web process left behind (killed, restarted). A job is claimed with a conditional UPDATE,
so it runs once however many processes look at it."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from papertide import background
from papertide.papers.actions import SubmissionRefused, list_paper
from papertide.papers.models import QueuedSubmission

log = logging.getLogger(__name__)

RUN_IN_THREAD = True  # tests turn it off and run the jobs themselves, as the worker would
LEASE = dt.timedelta(minutes=2)  # a fetching job older than this was abandoned (the fetch times out in 15 s)
Status = QueuedSubmission.Status


def enqueue(user, arxiv_id: str, day: dt.date) -> QueuedSubmission:
    job = QueuedSubmission.objects.create(user=user, arxiv_id=arxiv_id, day=day)
    if RUN_IN_THREAD:
        background.run_in_thread(process, job.pk, "submission")
    return job


def process(job_id: int) -> bool:
    """Fetch and list the paper of a queued job; False if another process had claimed it."""
    if not background.claim(QueuedSubmission.objects, job_id, queued=Status.QUEUED, running=Status.FETCHING):
        return False
    job = QueuedSubmission.objects.select_related("user").get(pk=job_id)
    try:
        submission = list_paper(job.user, job.arxiv_id, today=job.day)
    except SubmissionRefused as refused:
        job.status, job.message = Status.REFUSED, refused.as_sentence()
    except Exception:
        log.exception("submission %s of %s failed", job.pk, job.arxiv_id)
        job.status, job.message = Status.REFUSED, "Something went wrong on this site; nothing was added. Try again."
    else:
        job.status, job.entry, job.created = Status.DONE, submission.entry, submission.created
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "entry", "created", "finished_at"])
    return True


def process_waiting(now: dt.datetime | None = None) -> int:
    """For the worker: run jobs nobody is running (queued, or fetching past their lease); how many ran."""
    return background.finish_waiting(QueuedSubmission.objects, process, running=Status.FETCHING,
                                     queued=Status.QUEUED, lease=LEASE, now=now)
