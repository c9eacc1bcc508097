"""Hugging Face's curated daily papers (`GET /api/daily_papers`): the paper, its day on HF's list, the
HF upvote count (kept as an external count), the GitHub repository, project page and submitter."""

from __future__ import annotations

import json

from papertide.papers.text import clean_text
from papertide.sources.records import PaperRecord, SourceError, iso_timestamp, split_arxiv_id

SOURCE_NAME = "huggingface"


def _entry(item: dict) -> PaperRecord:
    paper = item["paper"]
    arxiv_id, _ = split_arxiv_id(str(paper["id"]))
    listed_at = iso_timestamp(item.get("publishedAt")) or iso_timestamp(paper.get("submittedOnDailyAt"))
    submitter = item.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
    stars = paper.get("githubStars")
    return PaperRecord(
        arxiv_id=arxiv_id,
        source=SOURCE_NAME,
        title=clean_text(item.get("title") or paper.get("title")),
        abstract=clean_text(paper.get("summary") or item.get("summary")),
        authors=[clean_text(a.get("name")) for a in paper.get("authors", []) if not a.get("hidden") and a.get("name")],
        published=iso_timestamp(paper.get("publishedAt")),
        code_url=(paper.get("githubRepo") or item.get("githubRepo") or "").strip(),
        project_url=(paper.get("projectPage") or item.get("projectPage") or "").strip(),
        listed_on=listed_at.date() if listed_at else None,
        listed_how="imported",
        submitter_name=str(submitter.get("fullname") or submitter.get("name") or ""),
        external_upvotes=int(paper["upvotes"]) if isinstance(paper.get("upvotes"), int) else None,
        github_stars=int(stars) if isinstance(stars, int) else None,
    )


def parse_daily_papers(data: bytes) -> list[PaperRecord]:
    """Parse a `/api/daily_papers` response (a JSON array). Raises SourceError when it is not one."""
    try:
        items = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"not a Hugging Face daily papers response: invalid JSON ({exc})") from None
    if isinstance(items, dict) and "error" in items:
        raise SourceError(f"Hugging Face answered with an error: {items['error']}")
    if not isinstance(items, list):
        raise SourceError("not a Hugging Face daily papers response: expected a JSON array")
    records = []
    for position, item in enumerate(items, start=1):
        try:
            records.append(_entry(item))
        except (KeyError, TypeError, SourceError) as exc:
            raise SourceError(f"daily papers entry {position} is not a paper: {exc}") from None
    return records
