"""What readers do in a paper's discussion, and the rules for it: who may comment and how often, one level of
replies, edits and deletes by the writer alone, one upvote per reader, reports. Used by the site and the API.

Every change keeps the paper's `comment_count` and `discussed_at` right in the same transaction (`changed`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from papertide import throttle
from papertide.discussion import markup
from papertide.discussion.models import MAX_CHARS, Ban, Comment, CommentVote, Report
from papertide.notifications import tell
from papertide.papers.models import Paper
from papertide.refusals import Refused
from papertide.sources.records import without_control_characters

HOUR = 3600
THREADS_SHOWN = 50  # threads a paper page shows at first; "Show more" brings the rest (docs/benchmarks.md)


def changed(paper_ids) -> None:
    """Recount the papers' shown comments and mark their discussions changed (their cached pages are keyed anew)."""
    counts = Comment.objects.shown().filter(paper=OuterRef("pk")).order_by().values("paper").annotate(
        n=Count("pk")).values("n")
    Paper.objects.filter(pk__in=list(paper_ids)).update(comment_count=Coalesce(Subquery(counts), 0),
                                                        discussed_at=timezone.now())


def recount_votes(comment_ids) -> None:
    votes = CommentVote.objects.filter(comment=OuterRef("pk")).order_by().values("comment").annotate(
        n=Count("pk")).values("n")
    Comment.objects.filter(pk__in=list(comment_ids)).update(score=Coalesce(Subquery(votes), 0))


def _clean(body: str) -> str:
    body = without_control_characters(body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Refused("A comment needs some text")
    if len(body) > MAX_CHARS:
        raise Refused(f"A comment can be at most {MAX_CHARS:,} characters; this one has {len(body):,}. "
                      "Shorten it, or split it into a comment and a reply")
    return body


def is_new(user) -> bool:
    """A new account (COMMENT_NEW_LIMIT comments an hour, not COMMENT_LIMIT) is younger than
    COMMENT_NEW_ACCOUNT_HOURS, or its comments have fewer than COMMENT_TRUSTED_UPVOTES upvotes in all."""
    if timezone.now() - user.date_joined < dt.timedelta(hours=settings.COMMENT_NEW_ACCOUNT_HOURS):
        return True
    if not settings.COMMENT_TRUSTED_UPVOTES:
        return False
    upvotes = Comment.objects.filter(author=user).aggregate(n=Sum("score"))["n"] or 0
    return upvotes < settings.COMMENT_TRUSTED_UPVOTES


def _check_may_write(user) -> None:
    """Banned and deactivated accounts may not write (comments, edits, reports); the hourly limits are `_check_rate`."""
    if Ban.objects.filter(user=user).exists():
        raise Refused("Your account may no longer comment or report here: a moderator banned it", 403)
    if not user.is_active:
        raise Refused("Your account is deactivated", 403)


def _check_rate(user, address: str) -> None:
    """Counted inside the transaction that adds the comment (SQLite serializes writers), so racing posts cannot
    pass the account's limit; the address's counter is shared through the cache (papertide/throttle.py)."""
    new = is_new(user)
    since = timezone.now() - dt.timedelta(seconds=HOUR)
    posted = Comment.objects.filter(author=user, created_at__gte=since).count()
    if posted >= (settings.COMMENT_NEW_LIMIT if new else settings.COMMENT_LIMIT):
        kind = "new accounts" if new else "each account"
        raise Refused(f"You have posted {posted} comments in the last hour, which is as many as {kind} may. "
                      "Please wait a while before posting again", 429)
    if settings.COMMENT_ADDRESS_LIMIT:
        window = throttle.count("comment-address", address, HOUR)
        if window.used > settings.COMMENT_ADDRESS_LIMIT:
            raise Refused(f"Too many comments from your network in the last hour. Please try again in "
                          f"{max(1, window.reset // 60)} minutes", 429)


def post(user, paper: Paper, body: str, *, parent: Comment | int | None = None, address: str = "") -> Comment:
    """A new comment, or a reply to a comment of the same paper. A reply to a reply joins its thread (the top-level
    comment is its parent), and the writer of the reply it answers is told as well as the thread's."""
    body = _clean(body)
    _check_may_write(user)
    answering = None
    if parent is not None:
        parent_id = parent.pk if isinstance(parent, Comment) else parent
        parent = Comment.objects.filter(pk=parent_id, paper=paper).first()
        if parent is None:
            raise Refused("That comment is not in this paper's discussion (it may have been deleted)", 404)
        if parent.parent_id is not None:
            answering, parent = parent, parent.parent
        if not parent.shown and not parent.replies.exists():
            raise Refused("That comment was deleted; start a new one instead", 404)
    with transaction.atomic():
        _check_rate(user, address)
        comment = Comment.objects.create(paper=paper, author=user, parent=parent, body=body, html=markup.render(body))
        changed([paper.pk])
        tell.comment_posted(comment, answering)
    return comment


def _own(user, comment: Comment) -> None:
    if comment.author_id != user.pk:
        raise Refused("Only its writer can change a comment", 403)
    if not comment.shown:
        raise Refused("That comment was deleted", 404)


def edit(user, comment: Comment, body: str) -> Comment:
    _own(user, comment)
    body = _clean(body)
    _check_may_write(user)
    if body == comment.body:
        return comment
    with transaction.atomic():
        comment.body, comment.html, comment.edited_at = body, markup.render(body), timezone.now()
        comment.save(update_fields=["body", "html", "edited_at"])
        changed([comment.paper_id])
    return comment


def delete(user, comment: Comment) -> Comment | None:
    """The writer deletes their comment. One with replies stays as "[deleted]", so that its thread keeps its place;
    one without goes (and a "[deleted]" parent whose last reply this was goes with it). Returns what is left."""
    _own(user, comment)
    with transaction.atomic():
        left = remove(comment)
        changed([comment.paper_id])
    return left


def remove(comment: Comment) -> Comment | None:
    if comment.parent_id is None and comment.replies.exists():
        comment.body = comment.html = ""
        comment.deleted_at = timezone.now()
        comment.save(update_fields=["body", "html", "deleted_at"])
        return comment
    parent = comment.parent
    comment.delete()
    if parent is not None and not parent.shown and not parent.replies.exists():
        parent.delete()
    return None


def vote(user, comment: Comment, up: bool = True) -> Comment:
    """Add or take back the reader's upvote of a comment (not their own: that counts nothing)."""
    if not comment.shown:
        raise Refused("That comment was deleted", 404)
    if comment.author_id == user.pk:
        raise Refused("You cannot upvote your own comment", 400)
    with transaction.atomic():
        if up:
            try:
                with transaction.atomic():
                    CommentVote.objects.create(user=user, comment=comment)
            except IntegrityError:
                return comment
        elif not CommentVote.objects.filter(user=user, comment=comment).delete()[0]:
            return comment
        recount_votes([comment.pk])
        changed([comment.paper_id])
    comment.refresh_from_db(fields=["score"])
    return comment


def report(user, comment: Comment, reason: str, detail: str = "", address: str = "") -> Report:
    """Put a comment in the moderators' queue; a second report by the same reader changes nothing."""
    if reason not in Report.Reason.values:
        raise Refused(f"Choose a reason: {', '.join(Report.Reason.values)}")
    _check_may_write(user)
    if comment.author_id == user.pk:
        raise Refused("That is your own comment: edit or delete it instead", 400)
    report, _ = Report.objects.get_or_create(comment=comment, reporter=user, defaults={
        "reason": reason, "detail": without_control_characters(detail or "")[:1000]})
    return report


def mark_authors(paper: Paper, comments: list[Comment]) -> None:
    """Set `by_author` on each comment whose writer is an approved claimed author of this paper (the badge)."""
    from papertide.authors.rules import claimed_by

    authors = {claimant.user_id for claimant in claimed_by(paper.authors).values()} if comments else set()
    for comment in comments:
        comment.by_author = comment.author_id in authors


def threads(paper: Paper, sort: str = "best") -> list[Comment]:
    """The paper's top-level comments in this order ("best": most upvoted first; "newest"), each with `thread`, its
    replies oldest first. Deleted and hidden comments are left out unless replies hang on them."""
    comments = list(Comment.objects.filter(paper=paper).select_related("author").filter(
        Q(deleted_at__isnull=True, hidden=False) | Q(parent__isnull=True)))
    mark_authors(paper, comments)
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    top = []
    for comment in comments:
        if comment.parent_id is None:
            comment.thread = replies.get(comment.pk, [])
            if comment.shown or comment.thread:
                top.append(comment)
    if sort == "newest":
        top.sort(key=lambda c: c.created_at, reverse=True)
    else:
        top.sort(key=lambda c: (-c.score, c.created_at))
    return top


def writers_of(top: list[Comment]) -> dict[int, int]:
    """Comment id -> writer id, for these threads' shown comments (what a page's overlay needs)."""
    return {c.pk: c.author_id for thread in top for c in (thread, *thread.thread) if c.shown}


def count_in(top: list[Comment]) -> int:
    return sum(thread.shown + sum(c.shown for c in thread.thread) for thread in top)
