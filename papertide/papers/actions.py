"""What readers do to papers: upvote, and submit a paper to the daily list. Used by the API and the site."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from papertide.papers import engagement
from papertide.papers.models import DailyEntry, Paper, id_month
from papertide.papers.text import sentence
from papertide.search.query import parse_query

log = logging.getLogger(__name__)


class SubmissionRefused(Exception):
    """The paper cannot be submitted; the message tells the reader why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

    def as_sentence(self) -> str:
        return sentence(str(self))


upvote = engagement.give
remove_upvote = engagement.take_back


@dataclass
class Submission:
    entry: DailyEntry
    created: bool  # False: the paper was already on the list, and this is its entry


def submit_paper(user, text: str, *, today: dt.date | None = None) -> Submission:
    """Put a paper on today's list by arXiv id or URL, fetching its metadata from arXiv if needed (the API
    waits for it; the site queues it, papers/submissions.py).
    Rules: at most SUBMISSION_MAX_AGE_DAYS old, one entry per paper, SUBMISSIONS_PER_DAY per reader."""
    today = today or timezone.localdate()
    checked = check_submission(user, text, today=today)
    if isinstance(checked, Submission):
        return checked
    return list_paper(user, checked, today=today)


def check_submission(user, text: str, *, today: dt.date) -> Submission | str:
    """The rules that need no request to arXiv: the entry if the paper is listed already, else its arXiv id."""
    arxiv_id = parse_query(text.strip()).arxiv_id
    if not arxiv_id:
        raise SubmissionRefused(f"{text.strip()[:80]!r} is not an arXiv id or link (e.g. 2411.17775)")
    existing = DailyEntry.objects.select_related("paper").filter(paper__arxiv_id=arxiv_id).first()
    if existing:
        return Submission(existing, created=False)
    submitted_today = DailyEntry.objects.filter(submitted_by=user, created_at__date=today).count()
    if submitted_today >= settings.SUBMISSIONS_PER_DAY:
        raise SubmissionRefused(f"you have submitted {submitted_today} papers today, the daily limit", 429)
    month = id_month(arxiv_id)
    if month is not None:
        last_day_of_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        if (today - last_day_of_month).days > settings.SUBMISSION_MAX_AGE_DAYS:
            raise SubmissionRefused(f"{arxiv_id} was published in {month:%B %Y}; papers can be submitted for "
                                    f"{settings.SUBMISSION_MAX_AGE_DAYS} days")
    return arxiv_id


def needs_fetch(arxiv_id: str) -> bool:
    """Whether listing this paper needs its metadata from arXiv (it is unknown here, or has no date)."""
    return not Paper.objects.filter(arxiv_id=arxiv_id, published__isnull=False).exists()


def list_paper(user, arxiv_id: str, *, today: dt.date) -> Submission:
    """Fetch the paper from arXiv if needed, check its age, and put it on today's list."""
    if needs_fetch(arxiv_id):
        # A reader is waiting: no retries, a short timeout.
        from papertide.ingest.jobs import ingest_ids
        from papertide.sources.http import Fetcher
        from papertide.sources.records import SourceError

        try:
            _, missing = ingest_ids([arxiv_id], fetcher=Fetcher(timeout=15, max_retries=0))
        except SourceError as exc:
            log.warning("submission of %s: %s", arxiv_id, exc)  # the details are for the operator
            raise SubmissionRefused(f"arXiv could not be reached just now, so {arxiv_id} was not added. "
                                    "Nothing is lost: try again in a few minutes", 503) from None
        if missing:
            raise SubmissionRefused(f"arXiv does not know {arxiv_id}", 404)
    paper = Paper.objects.get(arxiv_id=arxiv_id)
    age = (today - paper.published.date()).days if paper.published else 0
    if age > settings.SUBMISSION_MAX_AGE_DAYS:
        raise SubmissionRefused(f"{arxiv_id} was published {age} days ago; papers can be submitted for "
                                f"{settings.SUBMISSION_MAX_AGE_DAYS} days")
    try:
        with transaction.atomic():
            # Counted again inside the transaction that adds the entry, with the reader's row locked (SQLite's
            # IMMEDIATE transactions serialize writers already): counting first and adding after let 20 parallel
            # submissions put 11 entries under a limit of 10.
            get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
            submitted_today = DailyEntry.objects.filter(submitted_by=user, created_at__date=today).count()
            if submitted_today >= settings.SUBMISSIONS_PER_DAY:
                raise SubmissionRefused(f"you have submitted {submitted_today} papers today, the daily limit", 429)
            entry = DailyEntry(paper=paper, day=today, how=DailyEntry.How.SUBMITTED, submitted_by=user)
            entry.set_initial_trend()
            entry.save()
    except IntegrityError:  # someone submitted it a moment ago
        return Submission(DailyEntry.objects.get(paper=paper), created=False)
    if not paper.announced_on:
        Paper.objects.filter(pk=paper.pk).update(announced_on=today)
    return Submission(entry, created=True)
