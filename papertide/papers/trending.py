"""The trending score: upvotes that fade with time, plus what other sites counted.

    score(now) = Σ weight · 2^(−age / H)

over these events (H = TRENDING_HALF_LIFE_HOURS):
- each upvote on this site, weight 1, aged from the moment it was given;
- the listing itself, aged from the start (UTC) of the entry's day, weight
  1 + E · upvotes counted elsewhere + S · log2(1 + GitHub stars)
  (E = TRENDING_EXTERNAL_UPVOTE_WEIGHT, S = TRENDING_GITHUB_STAR_WEIGHT).

So a paper nobody has voted for starts at 1 and fades like any other; a fresh upvote is worth as much
as two upvotes one half-life old. Because every term fades at the same rate, the *order* of two papers
never changes by the clock alone, only by new events: each entry stores log2 of its score measured
against a fixed epoch (`DailyEntry.trend_log`), which is indexed and updated only when a vote or an
external count changes. Logs keep the numbers finite for centuries.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
RECENT = dt.timedelta(hours=24)  # "n upvotes in the last day" on a card


def _half_lives_since_epoch(moment: dt.datetime) -> float:
    return (moment - EPOCH).total_seconds() / 3600 / settings.TRENDING_HALF_LIFE_HOURS


def _log2_sum(logs: Iterable[float]) -> float:
    """log2(Σ 2^x) without overflow."""
    logs = list(logs)
    top = max(logs)
    return top + math.log2(sum(2.0 ** (x - top) for x in logs))


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def listing_weight(external_upvotes: int, github_stars: int | None) -> float:
    return (
        1.0
        + settings.TRENDING_EXTERNAL_UPVOTE_WEIGHT * external_upvotes
        + settings.TRENDING_GITHUB_STAR_WEIGHT * math.log2(1 + (github_stars or 0))
    )


def trend_log(day: dt.date, external_upvotes: int, github_stars: int | None,
              upvote_times: Iterable[dt.datetime] = ()) -> float:
    """log2 of the score, measured against EPOCH: the value stored on the entry."""
    listing = math.log2(listing_weight(external_upvotes, github_stars)) + _half_lives_since_epoch(day_start(day))
    return _log2_sum([listing, *(_half_lives_since_epoch(t) for t in upvote_times)])


def score_now(stored_log: float, now: dt.datetime | None = None) -> float:
    return 2.0 ** (stored_log - _half_lives_since_epoch(now or timezone.now()))


def refresh(entry_ids: Iterable[int]) -> int:
    """Recompute the stored score of these entries from their events; returns how many changed."""
    from papertide.papers.models import DailyEntry, Upvote

    entry_ids = list(entry_ids)
    if not entry_ids:
        return 0
    with transaction.atomic():
        entries = list(DailyEntry.objects.filter(pk__in=entry_ids).select_related("paper"))
        votes: dict[int, list[dt.datetime]] = defaultdict(list)
        for paper_id, created_at in Upvote.objects.filter(
            paper__daily_entry__in=entry_ids
        ).values_list("paper_id", "created_at"):
            votes[paper_id].append(created_at)
        changed = []
        for entry in entries:
            value = trend_log(entry.day, entry.paper.external_upvotes, entry.paper.github_stars, votes[entry.paper_id])
            if entry.trend_log != value:
                entry.trend_log = value
                changed.append(entry)
        DailyEntry.objects.bulk_update(changed, ["trend_log"], batch_size=500)
    return len(changed)


def refresh_all(batch_size: int = 2000) -> int:
    """Recompute every entry, e.g. after the trending settings changed."""
    from papertide.papers.models import DailyEntry

    ids = list(DailyEntry.objects.order_by("pk").values_list("pk", flat=True))
    return sum(refresh(ids[i:i + batch_size]) for i in range(0, len(ids), batch_size))


@dataclass
class Why:
    """What a card says about why its paper is trending."""

    recent_upvotes: int
    upvotes: int
    external_upvotes: int
    github_stars: int | None

    def reasons(self) -> list[str]:
        older = self.upvotes - self.recent_upvotes
        counts = [
            (self.recent_upvotes, "upvote", "upvotes", " in the last day"),
            (older, "earlier upvote", "earlier upvotes", ""),
            (self.external_upvotes, "upvote", "upvotes", " elsewhere"),
            (self.github_stars or 0, "GitHub star", "GitHub stars", ""),
        ]
        return [f"{n:,} {one if n == 1 else many}{where}" for n, one, many, where in counts if n]
