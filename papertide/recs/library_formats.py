"""Reading a reader's library as reference managers export it: BibTeX (Zotero, Better BibTeX, Mendeley, JabRef,
arXiv's own), RIS, CSL-JSON (Zotero), or a plain list of arXiv ids and links. An entry is matched by its arXiv
id, wherever the exporter put it: an eprint/arxivId field, an arxiv.org link, arXiv's DOI (10.48550/arXiv.…), or
"arXiv:…" in a note or journal field. Entries without one are reported as skipped, with their titles; an entry
the parser cannot read is reported as broken. Nothing here touches the database."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from papertide.sources.records import ARXIV_ID_PATTERN

MAX_BYTES = 10 * 1024 * 1024  # a library of ~20,000 entries

_IN_TEXT = [
    re.compile(rf"arxiv\.org/(?:abs|pdf)/(?P<id>{ARXIV_ID_PATTERN})(?:v\d+)?", re.IGNORECASE),
    re.compile(rf"10\.48550/arxiv\.(?P<id>{ARXIV_ID_PATTERN})(?:v\d+)?", re.IGNORECASE),
    re.compile(rf"arxiv:\s*(?P<id>{ARXIV_ID_PATTERN})(?:v\d+)?", re.IGNORECASE),
]
_WHOLE = re.compile(rf"\s*(?:arxiv:)?\s*(?P<id>{ARXIV_ID_PATTERN})(?:v\d+)?\s*", re.IGNORECASE)
# Fields whose whole value is an arXiv id when the entry is an arXiv paper.
ID_FIELDS = {"eprint", "arxivid", "arxiv_id", "arxiv", "archiveid"}


class LibraryFormatError(ValueError):
    """The file is not a library in any format papertide reads."""


@dataclass
class Entry:
    title: str
    arxiv_id: str | None = None


@dataclass
class Library:
    format: str
    entries: list[Entry] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # what could not be read, as it starts

    @property
    def arxiv_ids(self) -> list[str]:
        """Each id once, in the file's order."""
        return list(dict.fromkeys(e.arxiv_id for e in self.entries if e.arxiv_id))

    @property
    def without_id(self) -> list[Entry]:
        return [e for e in self.entries if not e.arxiv_id]


def arxiv_id_in(fields: dict[str, str]) -> str | None:
    for name, value in fields.items():
        if name.lower() in ID_FIELDS and (m := _WHOLE.fullmatch(value)):
            return m["id"]
    for value in fields.values():
        for pattern in _IN_TEXT:
            if m := pattern.search(value):
                return m["id"]
    return None


def _clean_title(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "")).strip()[:300]


def read_bibtex(text: str) -> Library:
    import bibtexparser

    parsed = bibtexparser.parse_string(text)
    library = Library("BibTeX")
    for entry in parsed.entries:
        fields = {f.key: str(f.value) for f in entry.fields}
        library.entries.append(Entry(_clean_title(fields.get("title", "") or entry.key), arxiv_id_in(fields)))
    library.broken = [block.raw.strip()[:120] for block in parsed.failed_blocks]
    return library


def read_ris(text: str) -> Library:
    library = Library("RIS")
    fields: dict[str, str] = {}
    started = False
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^([A-Z][A-Z0-9])  -\s?(.*)$", line)
        if not match:
            if line.strip() and started:  # a value continued on the next line
                key = next(reversed(fields), None)
                if key:
                    fields[key] += " " + line.strip()
            continue
        tag, value = match.groups()
        if tag == "TY":
            if started:
                library.broken.append(f"line {number}: a new entry began before ER closed the last one")
            started, fields = True, {}
        elif tag == "ER":
            if started:
                title = fields.get("TI") or fields.get("T1") or fields.get("CT") or ""
                library.entries.append(Entry(_clean_title(title), arxiv_id_in(fields)))
            started, fields = False, {}
        elif started:
            fields[tag] = f"{fields[tag]} {value}" if tag in fields else value
    if started:
        library.broken.append("the last entry has no ER line")
    return library


def read_csl_json(text: str) -> Library:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LibraryFormatError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(items, dict):
        items = items.get("items", [items])
    if not isinstance(items, list):
        raise LibraryFormatError("CSL-JSON is a list of items")
    library = Library("CSL-JSON")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            library.broken.append(f"item {number} is not an object")
            continue
        fields = {key: value for key, value in item.items() if isinstance(value, str)}
        title = item.get("title") if isinstance(item.get("title"), str) else ""
        library.entries.append(Entry(_clean_title(title), arxiv_id_in(fields)))
    return library


def read_list(text: str) -> Library:
    library = Library("list of ids")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = arxiv_id_in({"line": line}) or (m["id"] if (m := _WHOLE.fullmatch(line)) else None)
        if found:
            library.entries.append(Entry(line[:300], found))
        else:
            library.entries.append(Entry(line[:300]))
    return library


def read_library(data: bytes, filename: str = "") -> Library:
    """Whatever the reader uploaded or pasted, in the format its content (or name) says."""
    if len(data) > MAX_BYTES:
        raise LibraryFormatError(f"the file is over {MAX_BYTES // 1024 // 1024} MB; export a part of your library")
    text = data.decode("utf-8-sig", errors="replace")
    head = text.lstrip()[:2000]
    name = filename.lower()
    if name.endswith((".json", ".csljson")) or head.startswith(("[", "{")):
        return read_csl_json(text)
    if name.endswith(".ris") or re.match(r"^TY  -", head):
        return read_ris(text)
    if name.endswith((".bib", ".bibtex")) or re.search(r"^\s*@\w+\s*[{(]", head, re.MULTILINE):
        return read_bibtex(text)
    return read_list(text)
