"""What moderators do (from the admin's report queue, or `papertide manage purge-user`): hide and restore comments,
ban writers, and purge a spammer's every trace. Each keeps comment counts, vote scores and trending right."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from papertide.discussion.models import Ban, Comment, CommentVote, Report
from papertide.discussion.rules import changed, recount_votes, remove


def _resolve(comments, outcome: str, moderator) -> None:
    Report.objects.filter(comment__in=comments, outcome=Report.Outcome.OPEN).update(
        outcome=outcome, resolved_at=timezone.now(), resolved_by=moderator)


@transaction.atomic
def hide(comments, moderator=None) -> int:
    """Hide comments from everyone (a hidden comment with replies shows "[removed by a moderator]")."""
    ids = list(Comment.objects.filter(pk__in=[c.pk for c in comments], hidden=False).values_list("pk", flat=True))
    Comment.objects.filter(pk__in=ids).update(hidden=True, hidden_at=timezone.now())
    _resolve(ids, Report.Outcome.HIDDEN, moderator)
    changed(set(Comment.objects.filter(pk__in=ids).values_list("paper_id", flat=True)))
    return len(ids)


@transaction.atomic
def restore(comments, moderator=None) -> int:
    ids = list(Comment.objects.filter(pk__in=[c.pk for c in comments], hidden=True).values_list("pk", flat=True))
    Comment.objects.filter(pk__in=ids).update(hidden=False, hidden_at=None)
    changed(set(Comment.objects.filter(pk__in=ids).values_list("paper_id", flat=True)))
    return len(ids)


@transaction.atomic
def dismiss(reports, moderator=None) -> int:
    return Report.objects.filter(pk__in=[r.pk for r in reports], outcome=Report.Outcome.OPEN).update(
        outcome=Report.Outcome.DISMISSED, resolved_at=timezone.now(), resolved_by=moderator)


@transaction.atomic
def ban(users, moderator=None, reason: str = "") -> int:
    """Ban writers from commenting and reporting, and hide every comment they wrote."""
    banned = 0
    for user in users:
        _, created = Ban.objects.get_or_create(user=user, defaults={"by": moderator, "reason": reason[:300]})
        banned += created
        written = list(Comment.objects.filter(author=user))
        hide(written, moderator)
        _resolve([c.pk for c in written], Report.Outcome.BANNED, moderator)
    return banned


@dataclass
class Purged:
    comments: int
    comment_votes: int
    upvotes: int
    submissions: int


@transaction.atomic
def purge(user) -> Purged:
    """Remove everything a spammer put on the site in one transaction: their comments (replies others wrote to them
    stay, under "[deleted]"), their upvotes of comments and papers, and the papers they submitted to the daily list;
    then recount what those changed (comment counts, vote scores, upvote counts, trending), ban the account and
    deactivate it."""
    from papertide.papers.models import DailyEntry, QueuedSubmission, Upvote
    from papertide.papers import engagement
    from papertide.recs.receivers import quietly

    papers = set(Comment.objects.filter(author=user).values_list("paper_id", flat=True))
    voted = set(CommentVote.objects.filter(user=user).values_list("comment_id", flat=True))
    comment_votes = CommentVote.objects.filter(user=user).delete()[0]
    comments = 0
    for comment in Comment.objects.filter(author=user).order_by("-parent_id"):  # replies first
        if Comment.objects.filter(pk=comment.pk).exists():
            remove(comment)
            comments += 1
    with quietly():  # their "For you" interests are not worth finding again
        upvotes = engagement.take_back_where(Upvote.objects.filter(user=user))
    entries = DailyEntry.objects.filter(submitted_by=user, how=DailyEntry.How.SUBMITTED)
    submissions = entries.count()
    QueuedSubmission.objects.filter(user=user).delete()
    entries.delete()
    recount_votes(voted)
    changed(papers | set(Comment.objects.filter(pk__in=voted).values_list("paper_id", flat=True)))
    Ban.objects.get_or_create(user=user, defaults={"reason": "purged"})
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    return Purged(comments, comment_votes, upvotes, submissions)
