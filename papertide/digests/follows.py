"""Following an author, a category or a search: its RSS feed, and its new papers first in the reader's digest,
whatever the digest's filters (a follow says "always bring me these")."""

from __future__ import annotations

from papertide.digests.models import Subscriber
from papertide.papers.feed_filter import FeedFilter, FilterError, term_matches
from papertide.papers.models import Paper
from papertide.papers.text import author_key
from papertide.search.query import MAX_QUERY_CHARS

KINDS = {"author": "papers by", "category": "new papers in", "search": "papers matching"}
MAX_FOLLOWS = 50


class FollowRefused(ValueError):
    """What to follow is not understood; the message says why."""


def clean(kind: str, value: str) -> dict[str, str]:
    value = " ".join(value.split())
    if kind not in KINDS or not value:
        raise FollowRefused("follow an author, a category or a search")
    if kind == "category":
        try:
            chosen = FeedFilter.parse(value)
        except FilterError as exc:
            raise FollowRefused(str(exc)) from None
        if len(chosen.include) != 1 or chosen.exclude:
            raise FollowRefused("follow one category, archive or group at a time")
        value = chosen.include[0]
    return {"kind": kind, "value": value[: MAX_QUERY_CHARS if kind == "search" else 200]}


def describe(follow: dict[str, str]) -> str:
    return f"{KINDS[follow['kind']]} {follow['value']}"


def reason(follow: dict[str, str]) -> str:
    """What a digest says beside a paper this follow brought."""
    value = follow["value"] if len(follow["value"]) <= 80 else follow["value"][:79] + "…"  # a pasted abstract
    return f"Because you follow {KINDS[follow['kind']]} {value}"


def add(subscriber: Subscriber, follow: dict[str, str]) -> bool:
    """Follow it (once); False if it was followed already."""
    if follow in subscriber.follows:
        return False
    if len(subscriber.follows) >= MAX_FOLLOWS:
        raise FollowRefused(f"you follow {MAX_FOLLOWS} things already; stop following one first")
    subscriber.follows = [*subscriber.follows, follow]
    subscriber.save(update_fields=["follows"])
    return True


def remove(subscriber: Subscriber, follow: dict[str, str]) -> None:
    subscriber.follows = [f for f in subscriber.follows if f != follow]
    subscriber.save(update_fields=["follows"])


def brings(follow: dict[str, str], paper: Paper, found_by_search: set[int]) -> bool:
    """Whether a followed thing brings this paper (`found_by_search`: what the followed search found)."""
    if follow["kind"] == "author":
        return author_key(follow["value"]) in {author_key(name) for name in paper.authors}
    if follow["kind"] == "category":
        return any(term_matches(follow["value"], category) for category in paper.categories)
    return paper.pk in found_by_search
