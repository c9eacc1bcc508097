"""arXiv's OAI-PMH interface, for bulk backfill: ListRecords pages in the `arXiv` or `oai_dc` metadata
format, chained by resumption tokens."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from papertide.papers.text import clean_text, decode_tex_accents
from papertide.sources.records import PaperRecord, SourceError, split_arxiv_id

SOURCE_NAME = "arxiv-oai"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"


@dataclass
class OaiPage:
    records: list[PaperRecord] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    resumption_token: str = ""  # empty on the last page
    complete_list_size: int | None = None


def _date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text.strip()[:10]), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        return None


def _arxiv_format(metadata: ET.Element) -> PaperRecord:
    arxiv_id, version = split_arxiv_id(metadata.findtext(ARXIV + "id") or "")
    authors = []
    for author in metadata.iter(ARXIV + "author"):
        parts = [author.findtext(ARXIV + name) for name in ("forenames", "keyname", "suffix")]
        authors.append(decode_tex_accents(clean_text(" ".join(p.strip() for p in parts if p and p.strip()))))
    categories = (metadata.findtext(ARXIV + "categories") or "").split()
    dois = (metadata.findtext(ARXIV + "doi") or "").split()  # sometimes several, space-separated
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE_NAME,
        title=clean_text(metadata.findtext(ARXIV + "title")),
        abstract=clean_text(metadata.findtext(ARXIV + "abstract")),
        authors=[name for name in authors if name],
        categories=categories,
        primary_category=categories[0] if categories else "",
        published=_date(metadata.findtext(ARXIV + "created")),
        updated=_date(metadata.findtext(ARXIV + "updated")),
        comments=clean_text(metadata.findtext(ARXIV + "comments")),
        journal_ref=clean_text(metadata.findtext(ARXIV + "journal-ref")),
        doi=dois[0] if dois else "",
        license=(metadata.findtext(ARXIV + "license") or "").strip(),
    )


def _dc_format(metadata: ET.Element, identifier: str, sets: list[str]) -> PaperRecord:
    arxiv_id, version = split_arxiv_id(identifier)
    authors = []
    for creator in metadata.findall(DC + "creator"):
        name = clean_text(creator.text)
        last, _, first = name.partition(", ")  # oai_dc writes "Last, First"
        authors.append(decode_tex_accents(f"{first} {last}".strip() if first else name))
    descriptions = [clean_text(d.text) for d in metadata.findall(DC + "description")]
    abstract = next((d for d in descriptions if not d.startswith("Comment:")), "")
    comments = next((d.removeprefix("Comment:").strip() for d in descriptions if d.startswith("Comment:")), "")
    dates = sorted(d for d in (_date(e.text) for e in metadata.findall(DC + "date")) if d)
    doi = next((i.text.strip().removeprefix("doi:") for i in metadata.findall(DC + "identifier")
                if i.text and i.text.strip().startswith("doi:")), "")
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        source=SOURCE_NAME,
        title=clean_text(metadata.findtext(DC + "title")),
        abstract=abstract,
        authors=authors,
        # oai_dc names subjects in words ("Computer Science - Learning"); the set is the archive.
        categories=sets,
        published=dates[0] if dates else None,
        updated=dates[-1] if len(dates) > 1 else None,
        comments=comments,
        doi=doi,
    )


def parse_list_records(data: bytes) -> OaiPage:
    """One ListRecords response -> records and the token for the next page. `noRecordsMatch` is an
    empty page; any other OAI error raises SourceError with the server's message."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SourceError(f"not a well-formed OAI-PMH response: {exc}") from None
    if root.tag != OAI + "OAI-PMH":
        raise SourceError(f"not an OAI-PMH response: the document's root is <{root.tag}>")
    error = root.find(OAI + "error")
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return OaiPage()
        raise SourceError(f"the OAI-PMH server answered {error.get('code')}: {clean_text(error.text)}")
    listing = root.find(OAI + "ListRecords")
    if listing is None:
        raise SourceError("not a ListRecords response")
    page = OaiPage()
    for record in listing.findall(OAI + "record"):
        header = record.find(OAI + "header")
        identifier = (header.findtext(OAI + "identifier") or "").removeprefix("oai:arXiv.org:")
        if header.get("status") == "deleted":
            page.deleted.append(identifier)
            continue
        metadata = record.find(OAI + "metadata")
        arxiv = metadata.find(ARXIV + "arXiv") if metadata is not None else None
        dc = metadata.find(OAI_DC + "dc") if metadata is not None else None
        try:
            if arxiv is not None:
                page.records.append(_arxiv_format(arxiv))
            elif dc is not None:
                sets = [s.text.strip() for s in header.findall(OAI + "setSpec") if s.text]
                page.records.append(_dc_format(dc, identifier, sets))
            else:
                raise SourceError("no arXiv or oai_dc metadata")
        except SourceError as exc:
            raise SourceError(f"record {identifier or '?'}: {exc}") from None
    token = listing.find(OAI + "resumptionToken")
    if token is not None:
        page.resumption_token = (token.text or "").strip()
        size = token.get("completeListSize")
        page.complete_list_size = int(size) if size and size.isdigit() else None
    return page
