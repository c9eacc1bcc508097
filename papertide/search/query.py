"""Reading what a reader typed into a search box. Any string is a valid query: operators, quotes and
syntax of any engine are treated as plain words, never as errors."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from papertide import days
from papertide.papers.text import author_key
from papertide.sources.records import ARXIV_ID

MAX_QUERY_CHARS = 2_000  # longer input (a pasted paper) is cut; 256 model tokens are used anyway
MAX_WORDS = 64  # bounds full-text work for pasted abstracts
_FILTER = re.compile(r'(?<!\S)(author|cat|from|to|has):(?:"([^"]*)"|(\S+))', re.I)
_WORD = re.compile(r"\w+", re.U)
_ARXIV_URL = re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", re.I)


@dataclass
class ParsedQuery:
    text: str = ""  # the free text, for the embedding model
    words: list[str] = field(default_factory=list)  # the free text as plain lower-case words
    authors: list[str] = field(default_factory=list)  # author filters, folded with author_key
    categories: list[str] = field(default_factory=list)  # lower-case category filters
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    arxiv_id: str = ""  # set when the whole query is an arXiv id or abs/pdf URL
    has_code: bool = False  # `has:code`: only papers with a code repository

    @property
    def has_filters(self) -> bool:
        return bool(self.authors or self.categories or self.date_from or self.date_to)

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.has_filters and not self.arxiv_id


_DATE_FORMATS = {10: "%Y-%m-%d", 7: "%Y-%m", 4: "%Y"}


def _date(value: str) -> dt.date | None:
    """2024-11-28, 2024-11 or 2024 -> the first day it names; anything else (or outside papertide's days) -> None."""
    fmt = _DATE_FORMATS.get(len(value))
    try:
        day = dt.datetime.strptime(value, fmt).date() if fmt else None
    except ValueError:
        return None
    return day if day is not None and days.within(day) else None


def parse_query(raw: str) -> ParsedQuery:
    raw = (raw or "")[:MAX_QUERY_CHARS].replace("\x00", " ")
    query = ParsedQuery()

    def take_filter(match: re.Match[str]) -> str:
        name, value = match[1].lower(), (match[2] if match[2] is not None else match[3]).strip()
        if name == "author" and author_key(value):
            query.authors.append(author_key(value))
        elif name == "cat" and value:
            query.categories.append(value.lower())
        elif name == "has" and value.lower() == "code":
            query.has_code = True
        elif name in ("from", "to") and (day := _date(value)):
            if name == "from":
                query.date_from = day
            else:
                # "to:2024-11" means up to the end of November.
                query.date_to = _end_of_period(day, value)
        else:
            return match[0]  # not a usable filter: keep it as words
        return " "

    text = _FILTER.sub(take_filter, raw)
    candidate = _ARXIV_URL.sub("", text.strip()).rstrip("/").removesuffix(".pdf")
    if (match := ARXIV_ID.fullmatch(candidate.removeprefix("arXiv:").removeprefix("arxiv:"))) is not None:
        query.arxiv_id = match["id"]
    query.text = " ".join(text.split())
    seen: set[str] = set()
    for word in _WORD.findall(query.text.lower()):
        if word not in seen:
            seen.add(word)
            query.words.append(word)
        if len(query.words) == MAX_WORDS:
            break
    return query


def _end_of_period(day: dt.date, value: str) -> dt.date:
    if len(value) == 4:
        return dt.date(day.year, 12, 31)
    if len(value) == 7:
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day
