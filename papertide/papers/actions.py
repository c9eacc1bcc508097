"""What readers do to papers: upvote, and submit a paper to the daily list. Used by the API and the site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from papertide.papers.models import DailyEntry, Paper, Upvote
from papertide.search.query import parse_query


class SubmissionRefused(Exception):
    """The paper cannot be submitted; the message tells the reader why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def upvote(user, paper: Paper) -> bool:
    """Upvote once; True if this call added the upvote. The database refuses a second one, so two
    racing clicks still count once."""
    try:
        with transaction.atomic():
            Upvote.objects.create(user=user, paper=paper)  # the count and the trending score follow (signals)
    except IntegrityError:
        return False
    return True


def remove_upvote(user, paper: Paper) -> bool:
    with transaction.atomic():
        return Upvote.objects.filter(user=user, paper=paper).delete()[0] > 0


@dataclass
class Submission:
    entry: DailyEntry
    created: bool  # False: the paper was already on the list, and this is its entry


def submit_paper(user, text: str, *, today: dt.date | None = None) -> Submission:
    """Put a paper on today's list by arXiv id or URL, fetching its metadata from arXiv if needed.
    Rules: at most SUBMISSION_MAX_AGE_DAYS old, one entry per paper, SUBMISSIONS_PER_DAY per reader."""
    today = today or timezone.localdate()
    arxiv_id = parse_query(text.strip()).arxiv_id
    if not arxiv_id:
        raise SubmissionRefused(f"{text.strip()[:80]!r} is not an arXiv id or link (e.g. 2411.17775)")
    existing = DailyEntry.objects.select_related("paper").filter(paper__arxiv_id=arxiv_id).first()
    if existing:
        return Submission(existing, created=False)
    submitted_today = DailyEntry.objects.filter(submitted_by=user, created_at__date=today).count()
    if submitted_today >= settings.SUBMISSIONS_PER_DAY:
        raise SubmissionRefused(f"you have submitted {submitted_today} papers today, the daily limit", 429)
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is None or paper.published is None:
        # A network fetch, only when the paper is not known. A reader is waiting: no retries.
        from papertide.ingest.jobs import ingest_ids
        from papertide.sources.http import Fetcher
        from papertide.sources.records import SourceError

        try:
            _, missing = ingest_ids([arxiv_id], fetcher=Fetcher(timeout=15, max_retries=0))
        except SourceError as exc:
            raise SubmissionRefused(f"could not fetch {arxiv_id} from arXiv ({exc}); try again later", 503) from None
        if missing:
            raise SubmissionRefused(f"arXiv does not know {arxiv_id}", 404)
        paper = Paper.objects.get(arxiv_id=arxiv_id)
    age = (today - paper.published.date()).days if paper.published else 0
    if age > settings.SUBMISSION_MAX_AGE_DAYS:
        raise SubmissionRefused(f"{arxiv_id} was published {age} days ago; papers can be submitted for "
                                f"{settings.SUBMISSION_MAX_AGE_DAYS} days")
    try:
        with transaction.atomic():
            entry = DailyEntry(paper=paper, day=today, how=DailyEntry.How.SUBMITTED, submitted_by=user)
            entry.set_initial_trend()
            entry.save()
    except IntegrityError:  # someone submitted it a moment ago
        return Submission(DailyEntry.objects.get(paper=paper), created=False)
    if not paper.announced_on:
        Paper.objects.filter(pk=paper.pk).update(announced_on=today)
    return Submission(entry, created=True)
