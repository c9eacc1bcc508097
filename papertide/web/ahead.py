"""Front pages ranked ahead: a reader who comes back logged in finds the latest day already ranked for them.

The first view of a day sorted "For you" costs its ranking (~8 ms of CPU for a day of 1,000 papers at 100,000
papers, docs/benchmarks.md), and at sixteen readers at once on two cores that first view is what the slowest
pages wait for. So after the daily ingest and index, the worker ranks the new latest day for every reader who may
still be logged in (logged in within SESSION_COOKIE_AGE) and has enough to go on; and the thread that finds a
reader's interests again after they upvote or save (recs/refresh.py) ranks their day anew. What is kept is the
personal part, for RECS_KEEP_SECONDS (recs/foryou.py:kept_for_reader); trending is blended in at each view.

Nothing is lost by stopping it part way: it only fills a cache, and a reader not ranked ahead is ranked on their
first view, as before."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from papertide import stopping
from papertide.papers.models import DailyEntry
from papertide.recs.actions import has_enough
from papertide.recs.foryou import kept_for_reader
from papertide.web.reader_filter import reader_filter


def rank_ahead(user, day: dt.date | None = None, listings: dict | None = None) -> bool:
    """Rank the latest day (or `day`) as the reader's front page lists it (their filter); False if "For you" is
    not their front page's sort yet, or there is no day. `listings`: the day's listing of each filter, read once
    for a whole pass (most readers share the site's filter)."""
    from papertide.web.views import filtered, for_you_listing

    if not settings.RECS_KEEP_SECONDS or settings.PAGE_CACHE_SECONDS <= 0:
        return False  # nothing would keep it
    day = day or DailyEntry.objects.latest_day()
    if day is None or not has_enough(user):
        return False
    request = HttpRequest()  # what the front page reads the reader's filter from
    request.user = user
    chosen = reader_filter(request)
    listings = {} if listings is None else listings
    if chosen.cache_key not in listings:
        listings[chosen.cache_key] = for_you_listing(filtered(DailyEntry.objects.in_period(day, day), chosen))
    listing = listings[chosen.cache_key]
    kept_for_reader(user, listing.key, listing.candidates, exclude_liked=False)
    return True


def readers_coming_back(now: dt.datetime | None = None):
    """Readers who may still be logged in: their last log-in is younger than a session lives."""
    since = (now or timezone.now()) - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return get_user_model().objects.filter(is_active=True, last_login__gte=since).order_by("pk")


def rank_ahead_all(day: dt.date | None = None) -> int:
    """`rank_ahead` for every reader who may come back logged in; how many were ranked."""
    day = day or DailyEntry.objects.latest_day()
    ranked, listings = 0, {}
    for user in readers_coming_back().iterator(chunk_size=500):
        if stopping.requested():
            break
        ranked += rank_ahead(user, day, listings)
    return ranked
