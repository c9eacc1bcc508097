"""`papertide recount`: the counts kept on rows, repaired from the rows they count — a paper's upvotes and shown
comments, a comment's votes — and the trending scores that follow from them. Every write path keeps them right
(papers/engagement.py, discussion/rules.py); this is for what came in around them: a restore of part of a backup, a
row deleted by hand, a bug. Safe to run at any time, on a live site, and to interrupt: it only rewrites the rows
found wrong, each batch in a transaction of its own."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

BATCH = 1000


@dataclass
class Recounted:
    upvotes: int = 0  # papers whose upvote count was wrong (their listings' trending scores are recomputed)
    comments: int = 0  # papers whose comment count was wrong
    votes: int = 0  # comments whose score was wrong

    def __str__(self) -> str:
        return (f"repaired: {self.upvotes} papers' upvote counts (and their trending scores), {self.comments} papers' "
                f"comment counts, {self.votes} comments' scores")


def _counts(rows, link: str):
    return rows.order_by().values(link).annotate(n=Count("pk")).values("n")


def _wrong(queryset, field: str, counts) -> list[int]:
    """The ids of the rows whose `field` differs from what `counts` (a subquery per row) counts."""
    return list(queryset.annotate(actual=Coalesce(Subquery(counts), 0)).exclude(**{field: F("actual")})
                .order_by("pk").values_list("pk", flat=True))


def _in_batches(ids: list[int], repair) -> None:
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            repair(ids[start:start + BATCH])


def recount() -> Recounted:
    from papertide.discussion.models import Comment, CommentVote
    from papertide.discussion.rules import changed, recount_votes
    from papertide.papers.models import Paper, Upvote
    from papertide.papers.engagement import recount_upvotes

    upvotes = _wrong(Paper.objects, "upvote_count", _counts(Upvote.objects.filter(paper=OuterRef("pk")), "paper"))
    comments = _wrong(Paper.objects, "comment_count",
                      _counts(Comment.objects.shown().filter(paper=OuterRef("pk")), "paper"))
    votes = _wrong(Comment.objects, "score", _counts(CommentVote.objects.filter(comment=OuterRef("pk")), "comment"))
    _in_batches(upvotes, recount_upvotes)  # the same recount as an upvote's, trending included
    _in_batches(comments, changed)
    _in_batches(votes, recount_votes)
    return Recounted(len(upvotes), len(comments), len(votes))
