"""The one shape every source parser produces and the one upsert path consumes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields

from papertide import days

# New-style ids (0704.0001, 2411.17700) and old-style ids (hep-th/9901001, math.GT/0309136).
# [0-9], not \d: Python's \d matches every script's digits, and an id of Bengali digits is not arXiv's.
ARXIV_ID_PATTERN = r"[0-9]{4}\.[0-9]{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/[0-9]{7}"
ARXIV_ID = re.compile(rf"(?P<id>{ARXIV_ID_PATTERN})(?:v(?P<version>[0-9]+))?")


class SourceError(Exception):
    """A source answered with something papertide cannot use; the message says what and where."""


def iso_timestamp(text: str | None) -> dt.datetime | None:
    """`2024-10-22T17:59:30.000Z` -> an aware datetime; anything unreadable -> None."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """`2411.17700v2` -> (`2411.17700`, 2); `hep-th/9901001` -> (`hep-th/9901001`, None)."""
    match = ARXIV_ID.fullmatch(text.strip())
    if not match:
        raise SourceError(f"{text!r} is not an arXiv identifier (expected e.g. 2411.17700 or hep-th/9901001)")
    version = match["version"]
    return match["id"], int(version) if version else None


@dataclass(slots=True)
class PaperRecord:
    """One paper as one source describes it. Empty strings and None mean "this source does not say"."""

    arxiv_id: str
    source: str
    version: int | None = None
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str = ""
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    comments: str = ""
    journal_ref: str = ""
    doi: str = ""
    license: str = ""
    code_url: str = ""
    project_url: str = ""
    # The daily list: the day this source announced the paper on, if it puts it on a day's list.
    listed_on: dt.date | None = None
    # arXiv's announce type (new, cross, replace, replace-cross) when the source is an announcement.
    announce_type: str = ""
    # How the paper came onto the list (a DailyEntry.How value) and who put it there, if someone did.
    listed_how: str = "announced"
    submitter_name: str = ""
    # Counts observed elsewhere (Hugging Face upvotes, GitHub stars): the highest observation wins.
    external_upvotes: int | None = None
    github_stars: int | None = None


# arXiv's categories: cs.CV, math.CO, hep-th, astro-ph.GA, q-bio.NC, cond-mat.stat-mech, physics.optics
CATEGORY = re.compile(r"[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, newline and carriage return
URL_FIELDS = ("code_url", "project_url", "license")
FUTURE_SLACK = dt.timedelta(days=7)  # a source's clock may run ahead; an announcement years ahead is wrong


def web_url(text: str) -> str:
    """The text if it is an http(s) address, else "" (a `javascript:` or `data:` link must never be rendered)."""
    text = text.strip()
    return text if re.match(r"https?://[^\s/]", text, re.I) and not _CONTROL.search(text) else ""


COUNT_FIELDS = ("version", "external_upvotes", "github_stars")
LARGEST_COUNT = 2**31 - 1  # a PositiveIntegerField on PostgreSQL


def without_control_characters(text: str) -> str:
    return _CONTROL.sub("", text)


def sanitized(record: PaperRecord) -> PaperRecord:
    """What every record passes through before it is stored, whatever its source: no control characters (XML
    feeds cannot carry them), author names on one line and none blank, links only to http(s) addresses, only
    categories shaped like arXiv's, dates papertide can show (not past year 2999, nor more than a week ahead),
    and counts a column can hold (none negative)."""
    for item in fields(record):
        value = getattr(record, item.name)
        if isinstance(value, str):
            setattr(record, item.name, without_control_characters(value))
        elif isinstance(value, list):
            setattr(record, item.name, [without_control_characters(v) for v in value if isinstance(v, str)])
    # One line each: a name is part of an address (/authors/<name>/), which cannot hold a line break.
    record.authors = [" ".join(name.split()) for name in record.authors if name.strip()]
    keep_safe_links_and_categories(record)
    latest = dt.datetime.now(dt.UTC) + FUTURE_SLACK
    for name in ("published", "updated"):
        moment = getattr(record, name)
        if moment is not None:  # a source without a time zone means UTC, as arXiv's do
            moment = _aware(moment)
            setattr(record, name, moment if days.within(moment) and moment <= latest else None)
    if record.listed_on is not None and (not days.within(record.listed_on) or record.listed_on > latest.date()):
        record.listed_on = None
    for name in COUNT_FIELDS:
        count = getattr(record, name)
        if count is not None and not 0 <= count <= LARGEST_COUNT:
            setattr(record, name, None)  # unknown, rather than a whole batch refused by the database
    return record


def keep_safe_links_and_categories(item) -> None:
    """Links only to http(s) addresses, categories only shaped like arXiv's, on a record or a stored paper."""
    for name in URL_FIELDS:
        setattr(item, name, web_url(getattr(item, name)))
    item.categories = [c for c in item.categories if isinstance(c, str) and CATEGORY.fullmatch(c)]
    if not CATEGORY.fullmatch(item.primary_category):
        item.primary_category = item.categories[0] if item.categories else ""


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
