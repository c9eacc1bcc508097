"""Derived data kept on write: a paper's upvote count and its entry's trending score follow every upvote
given or taken back, however it happens (the site, the API, the admin, a deleted account)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from papertide.papers import trending
from papertide.papers.models import DailyEntry, Paper, Upvote


def recount_upvotes(paper_ids) -> None:
    """Recount from the Upvote rows, in the caller's transaction. SQLite's IMMEDIATE mode serializes writers;
    on PostgreSQL the papers' rows are locked first, so a racing vote's recount waits for this transaction and
    then counts in a statement that sees it (an UPDATE that waits keeps the snapshot it started with). NO KEY:
    the upvote's own foreign key holds a KEY SHARE lock on the paper, which FOR UPDATE would deadlock on."""
    list(Paper.objects.select_for_update(no_key=True).filter(pk__in=paper_ids).order_by("pk").values_list("pk"))
    counts = Upvote.objects.filter(paper=OuterRef("pk")).order_by().values("paper").annotate(n=Count("pk")).values("n")
    Paper.objects.filter(pk__in=paper_ids).update(upvote_count=Coalesce(Subquery(counts), 0))
    trending.refresh(DailyEntry.objects.filter(paper__in=paper_ids).values_list("pk", flat=True))


@receiver(post_save, sender=Upvote)
def upvote_given(sender, instance: Upvote, created: bool, **kwargs) -> None:
    if created:
        recount_upvotes([instance.paper_id])


@receiver(post_delete, sender=Upvote)
def upvote_taken_back(sender, instance: Upvote, **kwargs) -> None:
    recount_upvotes([instance.paper_id])
