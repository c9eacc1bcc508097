"""Making notifications when something happens: a comment (tell the writer of the comment it answers, the paper's
claimed authors and the readers who saved it, never the commenter), and new papers (tell the readers who follow
one of their authors). Each is made once (unique constraints); the bell's count is kept in the readers cache."""

from __future__ import annotations

import datetime as dt

from django.core.cache import caches

from papertide.notifications.models import Kind, Notification


def _unread_key(user_id: int) -> str:
    return f"unread-notifications:{user_id}"


def unread(user) -> int:
    """The bell's number: read on every page a logged-in reader sees, so kept in the readers cache until it changes."""
    key = _unread_key(user.pk)
    count = caches["readers"].get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        caches["readers"].set(key, count, 3600)
    return count


def forget_counts(user_ids) -> None:
    caches["readers"].delete_many([_unread_key(user_id) for user_id in set(user_ids)])


def _make(notifications: list[Notification]) -> None:
    if notifications:
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        forget_counts(n.user_id for n in notifications)


def comment_posted(comment, answering=None) -> None:
    """`answering`: the reply this comment answers, when it answers a reply rather than the thread's top."""
    from papertide.authors.rules import claimed_by
    from papertide.recs.models import Save

    told = {comment.author_id}
    made = []

    def tell(user_ids, kind: str) -> None:
        for user_id in user_ids:
            if user_id not in told:
                told.add(user_id)
                made.append(Notification(user_id=user_id, kind=kind, paper_id=comment.paper_id, comment=comment,
                                         actor_id=comment.author_id))

    if comment.parent_id is not None:
        tell([answering.author_id] if answering is not None else [], Kind.REPLY)
        tell([comment.parent.author_id], Kind.REPLY)
    tell([claimant.user_id for claimant in claimed_by(comment.paper.authors).values()], Kind.AUTHORED)
    tell(Save.objects.filter(paper_id=comment.paper_id).values_list("user_id", flat=True), Kind.SAVED)
    _make(made)


def new_papers(day: dt.date) -> int:
    """Tell each reader who follows an author (the "Follow … in my digest" button of author pages) about that
    author's papers listed on `day`. Running it again for the same day tells nobody twice."""
    from papertide.digests.models import Subscriber
    from papertide.papers.models import DailyEntry
    from papertide.papers.text import author_key

    following: dict[str, set[int]] = {}
    for user_id, follows in Subscriber.objects.filter(user__isnull=False).values_list("user_id", "follows"):
        for follow in follows or []:
            if follow.get("kind") == "author":
                following.setdefault(author_key(follow["value"]), set()).add(user_id)
    if not following:
        return 0
    made = []
    for entry in DailyEntry.objects.on_day(day).select_related("paper"):
        told: set[int] = set()
        for name in entry.paper.authors:
            for user_id in following.get(author_key(name), ()):
                if user_id not in told:
                    told.add(user_id)
                    made.append(Notification(user_id=user_id, kind=Kind.NEW_PAPER, paper=entry.paper, why=name))
    before = Notification.objects.filter(kind=Kind.NEW_PAPER).count()
    _make(made)
    return Notification.objects.filter(kind=Kind.NEW_PAPER).count() - before
