"""The chips above a feed: arXiv's groups and the period's most common categories with how many papers each
has, and "has code"; each chip is a link that adds or removes its term from the filter in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count, Q, QuerySet

from papertide.papers.feed_filter import Chip, FeedFilter, chips


@dataclass
class ChipLink:
    term: str
    label: str
    papers: int
    active: bool  # included by the filter
    href: str  # the feed with this chip switched
    hide_href: str = ""  # the feed with this term excluded


@dataclass
class ChipBar:
    groups: list[ChipLink]
    categories: list[ChipLink]
    code: ChipLink
    excluded: list[ChipLink]  # "not hep-*": a link that takes the exclusion away
    everything: str  # the feed without any filter


def _href(chosen: FeedFilter, sort: str) -> str:
    # `cat` stays even when empty: an explicit "no filter" outranks a remembered one.
    params = dict(chosen.query_params)
    if sort != "trending":
        params["sort"] = sort
    return "?" + urlencode(params)


def _counts(entries: QuerySet, key: str) -> tuple[list[Chip], list[Chip], int]:
    """Chip counts for the period's entries, shared by every filter and sort of it for a while."""
    key = f"chips:{key}"
    found = caches["pages"].get(key)
    if found is None:
        # Counted by list of categories in the database: a week's 5,000 papers have ~800 distinct lists.
        by_list = entries.order_by().values("paper__categories").annotate(
            papers=Count("pk"), coded=Count("pk", filter=~Q(paper__code_url=""))
        ).values_list("paper__categories", "papers", "coded")
        found = chips(by_list)
        caches["pages"].set(key, found, max(settings.PAGE_CACHE_SECONDS, 1))
    return found


def filter_chips(entries: QuerySet, key: str, chosen: FeedFilter, sort: str) -> ChipBar:
    """The chips for a period's entries (`key` names the period), links keeping the sort."""
    groups, categories, with_code = _counts(entries, key)
    shown = {chip.term for chip in groups + categories}
    categories = categories + [Chip(term, term, 0) for term in chosen.include if term not in shown]

    def link(chip: Chip) -> ChipLink:
        return ChipLink(chip.term, chip.label, chip.papers, chip.term in chosen.include,
                        _href(chosen.toggled(chip.term), sort), _href(chosen.toggled(chip.term, exclude=True), sort))

    return ChipBar(
        groups=[link(chip) for chip in groups],
        categories=[link(chip) for chip in categories],
        code=ChipLink("code", "Has code", with_code, chosen.has_code, _href(chosen.with_code(not chosen.has_code), sort)),
        excluded=[ChipLink(term, term, 0, False, _href(chosen.toggled(term, exclude=True), sort))
                  for term in chosen.exclude],
        everything=_href(FeedFilter(), sort),
    )
