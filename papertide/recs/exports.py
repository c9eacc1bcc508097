"""A reader's library as files reference managers read: BibTeX (arXiv's own style, Paper.bibtex), RIS and
CSL-JSON, each entry with its arXiv id where importers look for it, so an export imports back unchanged."""

from __future__ import annotations

import json

from papertide.papers.models import Paper

FORMATS = {  # name in the URL: (media type, file extension)
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}


def bibtex(papers: list[Paper], notes: dict[int, str] | None = None) -> str:
    entries = []
    for paper in papers:
        entry = paper.bibtex()
        note = (notes or {}).get(paper.pk, "").replace("{", "(").replace("}", ")")
        if note:
            entry = entry[:-2] + f",\n  note={{{note}}}\n}}"
        entries.append(entry)
    return "\n\n".join(entries) + "\n"


def ris(papers: list[Paper], notes: dict[int, str] | None = None) -> str:
    lines = []
    for paper in papers:
        lines.append("TY  - PREP")
        lines.append(f"TI  - {_one_line(paper.title)}")
        lines += [f"AU  - {_one_line(name)}" for name in paper.authors]
        lines.append(f"PY  - {paper.year}")
        if paper.abstract:
            lines.append(f"AB  - {_one_line(paper.abstract)}")
        lines.append(f"UR  - https://arxiv.org/abs/{paper.arxiv_id}")
        lines.append(f"DO  - {paper.doi or '10.48550/arXiv.' + paper.arxiv_id}")
        lines.append(f"M3  - arXiv:{paper.arxiv_id}")
        if note := (notes or {}).get(paper.pk):
            lines.append(f"N1  - {_one_line(note)}")
        lines.append("ER  - ")
        lines.append("")
    return "\r\n".join(lines)  # RIS is specified with CRLF


def csl_json(papers: list[Paper], notes: dict[int, str] | None = None) -> str:
    items = []
    for paper in papers:
        item = {
            "id": f"arXiv:{paper.arxiv_id}",
            "type": "article",
            "title": paper.title,
            "author": [_csl_name(name) for name in paper.authors],
            "issued": {"date-parts": [[paper.year]]},
            "abstract": paper.abstract,
            "URL": f"https://arxiv.org/abs/{paper.arxiv_id}",
            "DOI": paper.doi or f"10.48550/arXiv.{paper.arxiv_id}",
            "number": f"arXiv:{paper.arxiv_id}",
            "publisher": "arXiv",
        }
        if note := (notes or {}).get(paper.pk):
            item["note"] = note
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _csl_name(name: str) -> dict[str, str]:
    given, _, family = name.rpartition(" ")
    return {"family": family, "given": given} if given else {"literal": name}


WRITERS = {"bib": bibtex, "ris": ris, "json": csl_json}
