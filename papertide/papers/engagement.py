"""Upvotes: the one way they are given and taken back. Each writes the rows, then recounts the papers' upvote counts
and their entries' trending scores from the rows, in the same transaction. No signals: every path that writes
upvotes comes through here (the site, the API, the admin, a deleted account, a purged spammer), and
`papertide recount` (recount.py) repairs what came in around it, such as a partial restore."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from papertide.papers import trending
from papertide.papers.models import DailyEntry, Paper, Upvote


def recount_upvotes(paper_ids) -> None:
    """Recount from the Upvote rows, in the caller's transaction. SQLite's IMMEDIATE mode serializes writers;
    on PostgreSQL the papers' rows are locked first, so a racing vote's recount waits for this transaction and
    then counts in a statement that sees it (an UPDATE that waits keeps the snapshot it started with). NO KEY:
    the upvote's own foreign key holds a KEY SHARE lock on the paper, which FOR UPDATE would deadlock on."""
    paper_ids = list(paper_ids)
    list(Paper.objects.select_for_update(no_key=True).filter(pk__in=paper_ids).order_by("pk").values_list("pk"))
    counts = Upvote.objects.filter(paper=OuterRef("pk")).order_by().values("paper").annotate(n=Count("pk")).values("n")
    Paper.objects.filter(pk__in=paper_ids).update(upvote_count=Coalesce(Subquery(counts), 0))
    trending.refresh(DailyEntry.objects.filter(paper__in=paper_ids).values_list("pk", flat=True))


def give(user, paper: Paper) -> bool:
    """Upvote once; True if this call added the upvote. The database refuses a second one, so two racing clicks
    still count once."""
    try:
        with transaction.atomic():
            Upvote.objects.create(user=user, paper=paper)
            recount_upvotes([paper.pk])
    except IntegrityError:
        return False
    return True


def take_back(user, paper: Paper) -> bool:
    with transaction.atomic():
        removed = Upvote.objects.filter(user=user, paper=paper).delete()[0] > 0
        if removed:
            recount_upvotes([paper.pk])
    return removed


def take_back_where(upvotes) -> int:
    """Remove these upvotes (a queryset: a reader's all, an admin's selection) and recount their papers."""
    with transaction.atomic():
        papers = set(upvotes.values_list("paper_id", flat=True))
        removed = upvotes.delete()[0]
        recount_upvotes(papers)
    return removed


def delete_accounts(users) -> None:
    """Delete these accounts (a queryset) with everything that goes with them; their upvotes first, counted out."""
    with transaction.atomic():
        take_back_where(Upvote.objects.filter(user__in=users))
        users.delete()
