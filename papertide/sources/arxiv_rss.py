"""arXiv's daily announcement feed (rss.arxiv.org, the format in use since February 2024).

Each <item> is one announced paper: `new` (first announcement), `cross` (cross-listed into the feed's
archives today), `replace` / `replace-cross` (a new version of an older paper). The feed has no
published or updated dates, only the announcement day in <pubDate>.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field

from papertide.papers.text import clean_text, collapse_whitespace, split_authors
from papertide.sources.records import PaperRecord, SourceError, split_arxiv_id

SOURCE_NAME = "arxiv-rss"
ARXIV_NS = "{http://arxiv.org/schemas/atom}"
DC_NS = "{http://purl.org/dc/elements/1.1/}"
LISTED_TYPES = {"new", "cross"}
_DESCRIPTION = re.compile(r"^arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.S)


class ArxivFeedError(SourceError):
    """arXiv answered with its error feed (e.g. an unknown archive name)."""


@dataclass
class AnnouncementFeed:
    title: str
    announced_on: dt.date | None
    records: list[PaperRecord] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(record.announce_type for record in self.records)


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _announcement_day(pub_date: str) -> dt.date | None:
    if not pub_date:
        return None
    try:
        # arXiv stamps midnight US Eastern of the announcement day; that local date is the day.
        return email.utils.parsedate_to_datetime(pub_date).date()
    except (TypeError, ValueError):
        return None


def _parse_item(item: ET.Element, position: int, feed_day: dt.date | None) -> PaperRecord:
    description = item.findtext("description") or ""
    match = _DESCRIPTION.match(description)
    guid = _text(item.find("guid")).removeprefix("oai:arXiv.org:")
    versioned_id = match["id"] if match else guid
    try:
        arxiv_id, version = split_arxiv_id(versioned_id)
    except SourceError as exc:
        raise SourceError(f"item {position}: {exc}") from None
    announce_type = (_text(item.find(ARXIV_NS + "announce_type")) or (match["type"] if match else "")).lower()
    abstract = description[match.end():] if match else description
    categories = [_text(c) for c in item.findall("category") if _text(c)]
    day = _announcement_day(_text(item.find("pubDate"))) or feed_day
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE_NAME,
        title=clean_text(item.findtext("title")),
        abstract=clean_text(abstract),
        authors=split_authors(item.findtext(DC_NS + "creator")),
        categories=categories,
        # The feed has no primary-category marker; arXiv lists the primary category first.
        primary_category=categories[0] if categories else "",
        doi=_text(item.find(ARXIV_NS + "DOI")),
        journal_ref=collapse_whitespace(item.findtext(ARXIV_NS + "journal_reference")),
        license=_text(item.find(DC_NS + "rights")),
        listed_on=day if announce_type in LISTED_TYPES else None,
        announce_type=announce_type,
    )


def parse_announcement_feed(data: bytes) -> AnnouncementFeed:
    """Parse one arXiv RSS response. Raises ArxivFeedError for arXiv's error feed, SourceError for
    anything that is not an arXiv announcement feed. An empty feed (weekend, holiday) is valid."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SourceError(f"not a well-formed arXiv RSS feed: {exc}") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise SourceError(f"not an arXiv RSS feed: the document's root is <{root.tag}>, expected <rss><channel>")
    title = _text(channel.find("title"))
    if title.startswith("Feed error"):
        raise ArxivFeedError(f"arXiv reported a feed error: {_text(channel.find('description')) or title}")
    feed = AnnouncementFeed(title=title, announced_on=_announcement_day(_text(channel.find("pubDate"))))
    for position, item in enumerate(channel.findall("item"), start=1):
        feed.records.append(_parse_item(item, position, feed.announced_on))
    return feed
