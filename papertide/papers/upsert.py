"""The one write path from source records to papers, authors and the daily list.

Rules, the same for every source:
- a paper is keyed by its arXiv id without version;
- a record of a newer version replaces what it says; any other record only fills fields that are
  still empty, so re-importing changes nothing and a poorer source never blanks a field;
- a record that puts the paper on a day's list adds it there unless it is already on the list;
- code and project links are extracted from the abstract and comments when no source gave them;
- papers whose searchable text changed are marked `index_pending` for the index stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from papertide.papers.models import DailyEntry, Paper, PaperAuthor
from papertide.papers.text import author_key, extract_code_url, extract_project_url
from papertide.sources.records import PaperRecord

MERGED_FIELDS = (
    "title", "abstract", "authors", "categories", "primary_category", "published", "updated",
    "comments", "journal_ref", "doi", "license", "code_url", "project_url",
)
INDEXED_FIELDS = {"title", "abstract", "authors", "categories"}


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    listed: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[int, int, int, int]:
        return self.created, self.updated, self.unchanged, self.listed

    def __str__(self) -> str:
        return (
            f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged papers; "
            f"{self.listed} added to the daily list"
        )


def _with_links(record: PaperRecord) -> PaperRecord:
    if not record.code_url:
        record.code_url = extract_code_url(record.abstract, record.comments)
    if not record.project_url:
        record.project_url = extract_project_url(record.abstract, record.comments)
    return record


def _new_paper(record: PaperRecord) -> Paper:
    paper = Paper(arxiv_id=record.arxiv_id, version=record.version or 1, source=record.source)
    for name in MERGED_FIELDS:
        value = getattr(record, name)
        if value:
            setattr(paper, name, value)
    paper.announced_on = record.listed_on
    return paper


def merge_record(paper: Paper, record: PaperRecord) -> set[str]:
    """Apply one record to a paper in memory; return the names of the fields that changed."""
    newer = record.version is not None and record.version > paper.version
    changed: set[str] = set()
    for name in MERGED_FIELDS:
        value = getattr(record, name)
        if not value or getattr(paper, name) == value:
            continue
        if newer or not getattr(paper, name):
            setattr(paper, name, value)
            changed.add(name)
    if newer:
        paper.version = record.version
        changed.add("version")
    if record.listed_on and not paper.announced_on:
        paper.announced_on = record.listed_on
        changed.add("announced_on")
    return changed


def _replace_author_rows(papers: list[Paper]) -> None:
    PaperAuthor.objects.filter(paper__in=[p.pk for p in papers]).delete()
    PaperAuthor.objects.bulk_create(
        PaperAuthor(paper=paper, position=position, name=name[:300], name_key=author_key(name)[:300])
        for paper in papers
        for position, name in enumerate(paper.authors)
    )


def upsert_papers(records: Iterable[PaperRecord]) -> UpsertResult:
    """Merge a batch of records into the database in one transaction."""
    records = [_with_links(record) for record in records]
    result = UpsertResult()
    if not records:
        return result
    with transaction.atomic():
        papers = Paper.objects.in_bulk({r.arxiv_id for r in records}, field_name="arxiv_id")
        existing_ids = set(papers)
        created: dict[str, Paper] = {}
        changed_fields: dict[str, set[str]] = {}
        listed_on: dict[str, object] = {}
        for record in records:
            paper = papers.get(record.arxiv_id)
            if paper is None:
                paper = papers[record.arxiv_id] = created[record.arxiv_id] = _new_paper(record)
            else:
                changed = merge_record(paper, record)
                if changed and record.arxiv_id in existing_ids:
                    changed_fields.setdefault(record.arxiv_id, set()).update(changed)
            if record.listed_on:
                listed_on.setdefault(record.arxiv_id, record.listed_on)

        Paper.objects.bulk_create(created.values(), batch_size=500)
        updated = [papers[arxiv_id] for arxiv_id in changed_fields]
        now = timezone.now()
        for paper in updated:
            paper.modified_at = now  # bulk_update does not apply auto_now
            if changed_fields[paper.arxiv_id] & INDEXED_FIELDS:
                paper.index_pending = True
                changed_fields[paper.arxiv_id].add("index_pending")
        if updated:
            fields = set().union(*changed_fields.values()) | {"modified_at"}
            Paper.objects.bulk_update(updated, sorted(fields), batch_size=500)
        _replace_author_rows(
            list(created.values()) + [p for p in updated if "authors" in changed_fields[p.arxiv_id]]
        )

        already_listed = set(
            DailyEntry.objects.filter(paper__arxiv_id__in=listed_on).values_list("paper__arxiv_id", flat=True)
        )
        new_entries = [
            DailyEntry(paper=papers[arxiv_id], day=day, how=DailyEntry.How.ANNOUNCED)
            for arxiv_id, day in listed_on.items()
            if arxiv_id not in already_listed
        ]
        DailyEntry.objects.bulk_create(new_entries, batch_size=500)

    result.created = len(created)
    result.updated = len(updated)
    result.unchanged = len(papers) - result.created - result.updated
    result.listed = len(new_entries)
    return result
