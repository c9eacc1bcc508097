"""arXiv's export API (export.arxiv.org/api/query): metadata of single papers by id, in batches.

Used for submissions and to fill gaps. A bad id is answered with HTTP 400 and an Atom feed whose one
entry is titled "Error"; unknown valid ids are simply missing from the results.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from papertide.papers.text import clean_text, decode_tex_accents
from papertide.sources.http import Fetcher
from papertide.sources.records import PaperRecord, SourceError, iso_timestamp, split_arxiv_id

SOURCE_NAME = "arxiv-api"
BATCH = 100  # ids per request; arXiv asks for 3 s between requests
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


class ArxivApiError(SourceError):
    """The export API rejected the request (e.g. "incorrect id format for abc")."""


def _entry(entry: ET.Element) -> PaperRecord:
    abs_url = (entry.findtext(ATOM + "id") or "").strip()
    arxiv_id, version = split_arxiv_id(abs_url.split("/abs/", 1)[-1])
    primary = entry.find(ARXIV + "primary_category")
    categories = [c.get("term", "") for c in entry.findall(ATOM + "category") if c.get("term")]
    primary_category = primary.get("term", "") if primary is not None else (categories[0] if categories else "")
    if primary_category and primary_category not in categories:
        categories.insert(0, primary_category)
    license_link = next((link.get("href", "") for link in entry.findall(ATOM + "link") if link.get("rel") == "license"), "")
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE_NAME,
        title=clean_text(entry.findtext(ATOM + "title")),
        abstract=clean_text(entry.findtext(ATOM + "summary")),
        authors=[decode_tex_accents(clean_text(a.findtext(ATOM + "name"))) for a in entry.findall(ATOM + "author")],
        categories=categories,
        primary_category=primary_category,
        published=iso_timestamp(entry.findtext(ATOM + "published")),
        updated=iso_timestamp(entry.findtext(ATOM + "updated")),
        comments=clean_text(entry.findtext(ARXIV + "comment")),
        journal_ref=clean_text(entry.findtext(ARXIV + "journal_ref")),
        doi=(entry.findtext(ARXIV + "doi") or "").strip(),
        license=license_link,
    )


def parse_api_feed(data: bytes) -> list[PaperRecord]:
    """Parse one export-API response. Raises ArxivApiError for the API's error feed."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SourceError(f"not a well-formed arXiv API response: {exc}") from None
    if root.tag != ATOM + "feed":
        raise SourceError(f"not an arXiv API response: the document's root is <{root.tag}>")
    records = []
    for entry in root.findall(ATOM + "entry"):
        if "/api/errors" in (entry.findtext(ATOM + "id") or ""):
            raise ArxivApiError(f"arXiv rejected the request: {clean_text(entry.findtext(ATOM + 'summary'))}")
        records.append(_entry(entry))
    return records


def fetch_by_ids(arxiv_ids: list[str], *, url: str, fetcher: Fetcher | None = None,
                 delay: float = 3.0) -> list[PaperRecord]:
    """Metadata for these ids (with or without version), `BATCH` per request, `delay` s apart."""
    fetcher = fetcher or Fetcher()
    records: list[PaperRecord] = []
    for start in range(0, len(arxiv_ids), BATCH):
        if start:
            fetcher.sleep(delay)
        batch = arxiv_ids[start:start + BATCH]
        data = fetcher.get(url, {"id_list": ",".join(batch), "max_results": str(len(batch))})
        records.extend(parse_api_feed(data))
    return records
