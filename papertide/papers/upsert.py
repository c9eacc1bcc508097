"""The one write path from source records to papers, authors and the daily list.

Rules, the same for every source:
- a paper is keyed by its arXiv id without version;
- a record of a newer version replaces what it says; any other record only fills fields that are
  still empty, so re-importing changes nothing and a poorer source never blanks a field;
- a record that puts the paper on a day's list adds it there unless it is already on the list;
- what other sites counted (upvotes, GitHub stars) only grows, and updates the trending score;
- what a source says is sanitized first (sources/records.py: control characters, links, categories, dates);
- code and project links are extracted from the abstract and comments when no source gave them;
- papers whose searchable text changed are marked `index_pending` for the index stage.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from papertide.papers import trending
from papertide.papers.models import DailyEntry, Paper
from papertide.papers.text import extract_code_url, extract_project_url
from papertide.sources.records import ARXIV_ID_PATTERN, PaperRecord, sanitized

MERGED_FIELDS = (
    "title", "abstract", "authors", "categories", "primary_category", "published", "updated",
    "comments", "journal_ref", "doi", "license", "code_url", "project_url",
)
INDEXED_FIELDS = {"title", "abstract", "authors", "categories"}
OBSERVED_COUNTS = ("external_upvotes", "github_stars")
ARXIV_ID_WHOLE = re.compile(ARXIV_ID_PATTERN)
TEXT_LENGTHS = {name: Paper._meta.get_field(name).max_length
                for name in ("primary_category", "doi", "license", "code_url", "project_url")}
TEXT_LENGTHS["submitter_name"] = DailyEntry._meta.get_field("submitter_name").max_length
DROPPED_WHEN_LONG = {"primary_category", "license", "code_url", "project_url"}

log = logging.getLogger(__name__)


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


def _fitted(record: PaperRecord) -> PaperRecord:
    """Text cut to its column's length (PostgreSQL refuses a longer value, and the whole batch with it); a link or a
    category too long is dropped instead, since a cut one would be wrong."""
    for name, length in TEXT_LENGTHS.items():
        value = getattr(record, name)
        if len(value) > length:
            setattr(record, name, "" if name in DROPPED_WHEN_LONG else value[:length])
    return record


def _new_paper(record: PaperRecord) -> Paper:
    paper = Paper(arxiv_id=record.arxiv_id, version=record.version or 1, source=record.source)
    for name in MERGED_FIELDS:
        value = getattr(record, name)
        if value:
            setattr(paper, name, value)
    paper.announced_on = record.listed_on
    for name in OBSERVED_COUNTS:
        if getattr(record, name) is not None:
            setattr(paper, name, getattr(record, name))
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
    for name in OBSERVED_COUNTS:
        # Counts observed elsewhere only grow here: sources carry no time of observation, and an older file
        # imported after a newer one rolled upvotes 50 -> 10 (and the trending order with them). An unstar
        # is missed until the count passes it again, which costs less than a rollback.
        value, current = getattr(record, name), getattr(paper, name)
        if value is not None and (current is None or value > current):
            setattr(paper, name, value)
            changed.add(name)
    return changed


def _adapter(field) -> Callable[[object], object]:
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    if kind == "JSONField":
        return lambda value: field.get_db_prep_save(value, connection)
    return lambda value: value


def _insert_papers(papers: list[Paper]) -> None:
    """`bulk_create` without Django's per-value preparation chain, which took two thirds of the bulk
    importer's time (docs/benchmarks.md); the primary keys are read back by arXiv id."""
    if not papers:
        return
    now = timezone.now()
    fields = [field for field in Paper._meta.concrete_fields if not field.primary_key]
    adapters = [_adapter(field) for field in fields]
    rows = []
    for paper in papers:
        paper.created_at = paper.modified_at = now
        rows.append([adapt(getattr(paper, field.attname)) for field, adapt in zip(fields, adapters, strict=True)])
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: a third faster than batched INSERTs (docs/benchmarks.md)
            with connection.wrap_database_errors, \
                    cursor.cursor.copy(f"COPY {quote(Paper._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {quote(Paper._meta.db_table)} ({columns}) VALUES ({placeholders})",
                               rows)
    ids = dict(Paper.objects.filter(arxiv_id__in=[p.arxiv_id for p in papers]).values_list("arxiv_id", "id"))
    for paper in papers:
        paper.pk = ids[paper.arxiv_id]
        paper._state.adding = False


def _has_an_arxiv_id(record: PaperRecord) -> bool:
    """A record whose id is not arXiv's could be stored but never shown (no URL matches it): it is left out."""
    if ARXIV_ID_WHOLE.fullmatch(record.arxiv_id):
        return True
    log.warning("left out a record from %s: %r is not an arXiv id", record.source, record.arxiv_id[:80])
    return False


def _one_merge_at_a_time() -> None:
    """Merges read papers, merge in memory and write back: two at once on the same papers would each insert a new
    paper (one fails on the unique id and its whole batch rolls back) or write fields from a stale read. SQLite's
    IMMEDIATE transactions let one writer in at a time; on PostgreSQL a lock held to the end of the transaction does
    the same for merges alone (a batch of 5,000 holds it for ~1 s; upvotes, comments and reads do not wait)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MERGE_LOCK])


MERGE_LOCK = 0x6D657267  # any constant: the advisory lock's key ("merg")


def upsert_papers(records: Iterable[PaperRecord]) -> UpsertResult:
    """Merge a batch of records into the database in one transaction."""
    records = [_fitted(_with_links(sanitized(record))) for record in records if _has_an_arxiv_id(record)]
    result = UpsertResult()
    if not records:
        return result
    with transaction.atomic():
        _one_merge_at_a_time()
        papers = Paper.objects.in_bulk({r.arxiv_id for r in records}, field_name="arxiv_id")
        existing_ids = set(papers)
        created: dict[str, Paper] = {}
        changed_fields: dict[str, set[str]] = {}
        listings: dict[str, PaperRecord] = {}
        for record in records:
            paper = papers.get(record.arxiv_id)
            if paper is None:
                paper = papers[record.arxiv_id] = created[record.arxiv_id] = _new_paper(record)
            else:
                changed = merge_record(paper, record)
                if changed and record.arxiv_id in existing_ids:
                    changed_fields.setdefault(record.arxiv_id, set()).update(changed)
            if record.listed_on:
                listings.setdefault(record.arxiv_id, record)

        _insert_papers(list(created.values()))
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

        already_listed = set(
            DailyEntry.objects.filter(paper__arxiv_id__in=listings).values_list("paper__arxiv_id", flat=True)
        )
        new_entries = [
            DailyEntry(paper=papers[arxiv_id], day=listing.listed_on, how=listing.listed_how,
                       submitter_name=listing.submitter_name)
            for arxiv_id, listing in listings.items()
            if arxiv_id not in already_listed
        ]
        for entry in new_entries:
            entry.set_initial_trend()
        DailyEntry.objects.bulk_create(new_entries, batch_size=500)
        recounted = [paper.pk for paper in updated if changed_fields[paper.arxiv_id] & set(OBSERVED_COUNTS)]
        if recounted:
            trending.refresh(DailyEntry.objects.filter(paper__in=recounted).values_list("pk", flat=True))

    result.created = len(created)
    result.updated = len(updated)
    result.unchanged = len(papers) - result.created - result.updated
    result.listed = len(new_entries)
    return result
