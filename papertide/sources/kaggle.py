"""The Kaggle arXiv metadata dump (`arxiv-metadata-oai-snapshot.json`): one JSON object per line,
~2.7M lines and 4+ GB, so it is always streamed a line at a time."""

from __future__ import annotations

import datetime as dt
import email.utils
import json

from papertide.papers.text import clean_text, decode_tex_accents, split_authors
from papertide.sources.records import PaperRecord, SourceError, split_arxiv_id

SOURCE_NAME = "kaggle"


def _rfc2822(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None


def _authors(item: dict) -> list[str]:
    # The free-text field keeps arXiv's spelling ("C.-P. Yuan"; authors_parsed has "C. -P.");
    # authors_parsed ([last, first, suffix]) is the fallback when the text is missing.
    names = split_authors(_text(item, "authors"))
    if names:
        return names
    names = []
    for parts in item.get("authors_parsed") or []:
        last, first, suffix = (list(parts) + ["", "", ""])[:3]
        name = " ".join(part.strip() for part in (first, last, suffix) if part and part.strip())
        if name:
            names.append(decode_tex_accents(name))
    return names


def parse_kaggle_line(line: str | bytes) -> PaperRecord:
    """One line of the dump -> a record. Raises SourceError for a line that is not a paper, including one whose
    fields have the wrong types (`"versions": "notalist"`, a list for `categories`, a number for `title`): the
    importer skips and reports such a line instead of stopping on it at every run."""
    try:
        item = json.loads(line)
        arxiv_id, _ = split_arxiv_id(str(item["id"]))
        return _record(item, arxiv_id)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise SourceError(f"not a Kaggle arXiv metadata line ({exc.__class__.__name__}: {exc})") from None


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} is a {type(value).__name__}, not text")
    return value or ""


def _record(item: dict, arxiv_id: str) -> PaperRecord:
    versions = item.get("versions") or []
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise TypeError("versions is not a list of {version, created} objects")
    categories = _text(item, "categories").split()
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=len(versions) or None,
        source=SOURCE_NAME,
        title=clean_text(_text(item, "title")),
        abstract=clean_text(_text(item, "abstract")),
        authors=_authors(item),
        categories=categories,
        primary_category=categories[0] if categories else "",
        published=_rfc2822(versions[0].get("created")) if versions else None,
        updated=_rfc2822(versions[-1].get("created")) if versions else None,
        comments=clean_text(_text(item, "comments")),
        journal_ref=clean_text(_text(item, "journal-ref")),
        doi=_text(item, "doi").strip(),
        license=_text(item, "license").strip(),
    )
