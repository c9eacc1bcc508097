""""For you" for a reader: their signals, the candidates of a period, the ranking, and reasons in words.
The site, the digests, both APIs and `papertide bench recs` all come through `recommend`."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from papertide.papers.models import DailyEntry, Paper, Upvote
from papertide.recs import community
from papertide.recs.actions import signals_version
from papertide.recs.models import Dismissal, Interest, Save
from papertide.recs.ranking import Ranked, Reader, Reason, Scored, rank, rank_many
from papertide.search.service import get_backend


@dataclass
class Signals:
    """What a reader told us: papers they like (saved or upvoted, minus muted interests), papers they dismissed,
    and which interest each liked paper belongs to; and who they are (user id)."""

    liked: list[int]
    disliked: list[int]
    interest_of: dict[int, str]
    user: int | None = None

    @property
    def enough(self) -> bool:
        return len(self.liked) >= settings.RECS_MIN_POSITIVES


def positives_of(user) -> list[int]:
    """Every paper the reader saved or upvoted, muted interests included."""
    saved = Save.objects.filter(user=user).values_list("paper_id", flat=True)
    upvoted = Upvote.objects.filter(user=user).values_list("paper_id", flat=True)
    return sorted(set(saved) | set(upvoted))


def signals_of(user) -> Signals:
    return signals_of_many([user.pk])[user.pk]


def signals_of_many(user_ids: list[int]) -> dict[int, Signals]:
    """Several readers' signals in four queries (a digest run asks for thousands)."""
    liked: dict[int, set[int]] = {pk: set() for pk in user_ids}
    disliked: dict[int, list[int]] = {pk: [] for pk in user_ids}
    interest_of: dict[int, dict[int, str]] = {pk: {} for pk in user_ids}
    for model in (Save, Upvote):
        for user_id, paper_id in model.objects.filter(user__in=user_ids).values_list("user_id", "paper_id"):
            liked[user_id].add(paper_id)
    for user_id, paper_id in Dismissal.objects.filter(user__in=user_ids).values_list("user_id", "paper_id"):
        disliked[user_id].append(paper_id)
    for interest in Interest.objects.filter(user__in=user_ids):
        if interest.state == Interest.State.ACTIVE:
            interest_of[interest.user_id] |= dict.fromkeys(interest.papers, interest.title)
        else:
            liked[interest.user_id] -= set(interest.papers)
    return {pk: Signals(sorted(liked[pk]), disliked[pk], interest_of[pk], pk) for pk in user_ids}


Candidates = dict[int, float]  # paper id -> its trending score (trend_log; NaN when not on a daily list)


def candidates_between(first: dt.date | None, last: dt.date | None, categories: list[str] | None = None) -> Candidates:
    """Papers listed in these days (every paper when both are None), optionally in some categories, with their
    trending scores (one query: the ranking needs both)."""
    if first is None and last is None:
        rows, pk, trend, cats = Paper.objects.all(), "pk", "daily_entry__trend_log", "categories"
    else:
        rows, pk, trend, cats = DailyEntry.objects.visible(), "paper_id", "trend_log", "paper__categories"
        if first is not None:
            rows = rows.filter(day__gte=first)
        if last is not None:
            rows = rows.filter(day__lte=last)
    if categories:
        wanted = set(categories)
        return {paper: _known(score) for paper, score, in_cats in rows.values_list(pk, trend, cats)
                if wanted & set(in_cats)}
    return {paper: _known(score) for paper, score in rows.values_list(pk, trend)}


def _known(trend: float | None) -> float:
    return float("nan") if trend is None else trend


def trend_of(paper_ids: list[int]) -> Candidates:
    """The trending scores of these papers (plain SQL: an ORM filter on a thousand ids cost more than the
    ranking itself)."""
    found: Candidates = dict.fromkeys(paper_ids, float("nan"))
    table = DailyEntry._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(paper_ids), 5000):
            chunk = paper_ids[start:start + 5000]
            cursor.execute(f"SELECT paper_id, trend_log FROM {table} WHERE paper_id IN "
                           f"({', '.join(['%s'] * len(chunk))})", chunk)
            found.update(cursor.fetchall())
    return found


def recent_period() -> tuple[dt.date | None, dt.date | None]:
    """The last RECS_RECENT_DAYS days that have papers listed (so weekends and a quiet week do not empty it), as
    (first, last); (None, None) on an empty site."""
    days = list(DailyEntry.objects.visible().order_by("-day").values_list("day", flat=True).distinct()
                [:settings.RECS_RECENT_DAYS])
    return (days[-1], days[0]) if days else (None, None)


def recommend(candidates: Candidates | list[int], liked: list[int], disliked: list[int] = (), *,
              interest_of: dict[int, str] | None = None, exclude_liked: bool = True, user: int | None = None) -> Ranked:
    """Rank the candidates (paper ids, or paper ids with their trending scores) for someone who likes `liked`
    (the reader with that user id, if they have an account)."""
    candidates = _with_trend(candidates)
    return rank(list(candidates), liked, list(disliked), vectors=get_backend().vectors,
                community=community.community(), trend=candidates, trend_weight=settings.RECS_TRENDING_WEIGHT,
                interest_of=interest_of, exclude_liked=exclude_liked, user=user)


def recommend_many(candidates: Candidates, readers: list[Signals], *, exclude_liked: bool = True) -> list[Ranked]:
    """`recommend` for several readers at once (a digest run's batch): the same rankings, in fewer steps."""
    return rank_many(list(candidates), [Reader(s.liked, s.disliked, s.interest_of, s.user) for s in readers],
                     vectors=get_backend().vectors, community=community.community(), trend=candidates,
                     trend_weight=settings.RECS_TRENDING_WEIGHT, exclude_liked=exclude_liked)


def for_reader(user, candidates: Candidates | list[int], *, exclude_liked: bool = True) -> Ranked:
    signals = signals_of(user)
    return recommend(candidates, signals.liked, signals.disliked, interest_of=signals.interest_of,
                     exclude_liked=exclude_liked, user=user.pk)


KEPT_RANKINGS = 1000  # per process: a few hundred readers paging through a day or two each
_kept: OrderedDict[tuple, tuple[float, object, object, int, Ranked]] = OrderedDict()
_kept_lock = threading.Lock()


def kept_for_reader(user, listing: str, candidates: Callable[[], Candidates], *, exclude_liked: bool = True) -> Ranked:
    """`for_reader` of the candidates of one listing (e.g. a day's feed within a filter; `listing` names its papers),
    kept at two levels:

    - per process for as long as a page is (PAGE_CACHE_SECONDS, so no staler than the pages): a reader paging
      through a ranked day ranks it once. Sooner when the community's libraries or the vectors are reloaded.
    - for every process (the "rankings" cache) for RECS_KEEP_SECONDS: the personal part, blended with the
      listing's trending scores of now at each use. The worker ranks ahead this way (web/ahead.py), so a reader
      coming back finds their day ranked. Until then the community part may miss the saves of the last hours.

    Both are ranked anew when what steers the reader changes (their signals version)."""
    if settings.PAGE_CACHE_SECONDS <= 0:
        return for_reader(user, candidates(), exclude_liked=exclude_liked)
    everyone, vectors = community.community(), get_backend().vectors
    version = signals_version(user)
    key = (user.pk, version, listing, exclude_liked)
    with _kept_lock:
        found = _kept.get(key)
    if (found is not None and found[0] > time.monotonic() and found[1] is everyone and found[2] is vectors
            and found[3] == vectors.size()):
        return found[4]
    shared_key = f"ranked:{user.pk}:{version}:{listing}:{int(exclude_liked)}:{vectors.size()}"
    rankings = caches["rankings"]
    kept_elsewhere = rankings.get(shared_key) if settings.RECS_KEEP_SECONDS else None
    if kept_elsewhere is not None:
        ranked = kept_elsewhere.reblended(_with_trend(candidates()), settings.RECS_TRENDING_WEIGHT)
    else:
        ranked = for_reader(user, candidates(), exclude_liked=exclude_liked)
        if settings.RECS_KEEP_SECONDS:
            rankings.set(shared_key, ranked.portable(), settings.RECS_KEEP_SECONDS)
    with _kept_lock:
        _kept[key] = (time.monotonic() + settings.PAGE_CACHE_SECONDS, everyone, vectors, vectors.size(), ranked)
        _kept.move_to_end(key)
        while len(_kept) > KEPT_RANKINGS:
            _kept.popitem(last=False)
    return ranked


def _with_trend(candidates: Candidates | list[int]) -> Candidates:
    if isinstance(candidates, dict):
        return candidates
    return trend_of(list(candidates)) if settings.RECS_TRENDING_WEIGHT else dict.fromkeys(candidates, 0.0)


def explain(reason: Reason, titles: dict[int, str], liked_word: str = "papers you saved or upvoted") -> str:
    """The reason in words, e.g. "Close to “Attention Is All You Need” and 2 more papers you saved or upvoted"."""
    def title(paper_id):
        return f"“{titles.get(paper_id, 'a paper you liked')}”"

    within = f" (your interest “{reason.interest}”)" if reason.interest else ""
    if reason.kind == "close":
        more = f" and {reason.more} more {liked_word}" if reason.more else ""
        return f"Close to {title(reason.anchor)}{more}{within}"
    if reason.kind == "community":
        return f"Readers who keep {title(reason.anchor)} keep this too{within}"
    if reason.kind == "yours":
        return f"one of the {liked_word}"
    if reason.kind == "bridge":
        return "Close to what readers with papers like yours keep"
    return "Trending"


def explained(ranked: list[Scored], liked_word: str = "papers you saved or upvoted", *,
              titles: dict[int, str] | None = None) -> list[tuple[Scored, str]]:
    """Each recommendation with its reason in words. The titles named are read in one query, but for those in
    `titles` (a digest run reads a batch of readers' liked papers' titles at once)."""
    titles = dict(titles or {})
    anchors = {s.reason.anchor for s in ranked if s.reason.anchor is not None} - titles.keys()
    if anchors:
        titles |= dict(Paper.objects.filter(pk__in=anchors).values_list("pk", "title"))
    return [(s, explain(s.reason, titles, liked_word)) for s in ranked]
