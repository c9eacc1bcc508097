"""RSS 2.0 and Atom feeds of papers: the daily list, trending, a search, an author, a category.

The daily and trending feeds take the feed pages' filter (`?cat=cs.CV,-hep-*&code=1`, papers/feed_filter.py);
a feed reader sends no cookies, so only what is in the address applies."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from papertide.papers.feed_filter import FeedFilter, FilterError
from papertide.papers.models import DailyEntry, Paper
from papertide.search.query import MAX_QUERY_CHARS
from papertide.search.service import search
from papertide.sources.records import without_control_characters
from papertide.web.reader_filter import filter_in_address, query_string

FEED_SIZE = 100
TRENDING_DAYS = 7


def _clean(value):
    if isinstance(value, str):
        return without_control_characters(value)
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    return value


class CleanText:
    """Every text a feed carries loses its control characters, which XML cannot hold: one stored title with \\x01,
    or a query typed with one, made the whole feed fail (for every subscriber of a category)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*map(_clean, args), **{name: _clean(value) for name, value in kwargs.items()})

    def add_item(self, *args, **kwargs) -> None:
        super().add_item(*map(_clean, args), **{name: _clean(value) for name, value in kwargs.items()})


class CleanRss(CleanText, Rss201rev2Feed):
    pass


class CleanAtom(CleanText, Atom1Feed):
    pass


class PaperFeed(Feed):
    """Items are papers; subclasses say which."""

    feed_type = CleanRss

    def item_title(self, paper: Paper) -> str:
        return paper.title

    def item_description(self, paper: Paper) -> str:
        return paper.abstract

    def item_link(self, paper: Paper) -> str:
        return paper.get_absolute_url()

    def item_guid(self, paper: Paper) -> str:
        return f"arxiv:{paper.arxiv_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, paper: Paper) -> dt.datetime:
        day = paper.announced_on or (paper.published.date() if paper.published else paper.created_at.date())
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    def item_updateddate(self, paper: Paper) -> dt.datetime:
        return paper.modified_at

    def item_author_name(self, paper: Paper) -> str:
        names = paper.authors[:10]
        return ", ".join(names) + (" et al." if len(paper.authors) > 10 else "")

    def item_categories(self, paper: Paper) -> list[str]:
        return paper.categories

    def site_title(self, what: str) -> str:
        return f"{settings.SITE_NAME}: {what}"


class FilteredFeed(PaperFeed):
    """A feed of daily-list entries within the filter of its address."""

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().__call__(request, *args, **kwargs)
        except FilterError as exc:
            return HttpResponseBadRequest(f"{exc}\n", content_type="text/plain; charset=utf-8")

    def get_object(self, request: HttpRequest) -> FeedFilter:
        found, problems = filter_in_address(request)
        if problems:
            raise FilterError(problems[0])
        return found

    def named(self, what: str, chosen: FeedFilter) -> str:
        return self.site_title(what + (f" ({chosen.describe()})" if chosen else ""))


class DailyFeed(FilteredFeed):
    def title(self, chosen: FeedFilter) -> str:
        return self.named("daily papers", chosen)

    description = "Every paper of the latest day, most upvoted first."

    def link(self) -> str:
        return reverse("home")

    def items(self, chosen: FeedFilter) -> list[Paper]:
        day = DailyEntry.objects.latest_day()
        if not day:
            return []
        return [e.paper for e in chosen.apply(DailyEntry.objects.on_day(day), paper="paper__").most_upvoted()]


class TrendingFeed(FilteredFeed):
    def title(self, chosen: FeedFilter) -> str:
        return self.named("trending papers", chosen)

    description = f"The trending papers of the last {TRENDING_DAYS} days (upvotes that fade with time)."

    def link(self) -> str:
        return reverse("home")

    def items(self, chosen: FeedFilter) -> list[Paper]:
        latest = DailyEntry.objects.latest_day()
        if not latest:
            return []
        recent = DailyEntry.objects.visible().filter(day__gt=latest - dt.timedelta(days=TRENDING_DAYS))
        return [e.paper for e in chosen.apply(recent, paper="paper__").trending()[:FEED_SIZE]]


class SearchFeed(PaperFeed):
    """`/feeds/search.rss?q=…`: a saved search, newest matches as they arrive."""

    def get_object(self, request: HttpRequest) -> str:
        query = request.GET.get("q", "").strip()
        if not query:
            raise Http404("Give a query: /feeds/search.rss?q=…")
        return query[:MAX_QUERY_CHARS]

    def title(self, query: str) -> str:
        return self.site_title(f"search “{query}”")

    def description(self, query: str) -> str:
        return f"Papers matching “{query}”, best matches first."

    def link(self, query: str) -> str:
        return reverse('search') + query_string(q=query)

    def items(self, query: str) -> list[Paper]:
        return Paper.objects.in_order(search(query, limit=FEED_SIZE).paper_ids)


class AuthorFeed(SearchFeed):
    def get_object(self, request: HttpRequest, name: str) -> str:
        return f'author:"{name.replace(chr(34), " ")[:200]}"'

    def title(self, query: str) -> str:
        return self.site_title(f"papers by {query.removeprefix('author:').strip(chr(34))}")


class CategoryFeed(SearchFeed):
    def get_object(self, request: HttpRequest, category: str) -> str:
        return f"cat:{category[:40]}"

    def title(self, query: str) -> str:
        return self.site_title(f"new papers in {query.removeprefix('cat:')}")


def atom(feed: type[PaperFeed]) -> type[PaperFeed]:
    """The Atom twin of an RSS feed."""
    return type(f"{feed.__name__}Atom", (feed,), {"feed_type": CleanAtom, "subtitle": feed.description})
