"""The full-text index: tantivy (BM25 with block-max WAND pruning), a derived index beside the database.

Why tantivy and not SQLite FTS5: FTS5 ranks every matching row, so a natural-language query takes
~200 ms at 100k papers and >1 s at 500k; tantivy prunes and stays at a few ms (docs/benchmarks.md).
The index is derived: `papertide index --rebuild` recreates it from the papers table at any time, beside the
live one, which keeps answering searches until the new one takes its place.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import tantivy

from papertide.papers.text import author_key
from papertide.search.query import ParsedQuery

SCHEMA_VERSION = "2"
VERSION_FILE = "papertide-schema"
log = logging.getLogger(__name__)
STOP_WORDS = frozenset(
    "a an and are as at be by can do does for from had has have how in is it its of on or that the this "
    "to was were what when where which who why will with".split()
)


@dataclass(frozen=True)
class IndexedPaper:
    """What the full-text index needs of a paper."""

    paper_id: int
    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    day: dt.date | None


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("paper_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("arxiv_id", tokenizer_name="raw")
    builder.add_text_field("title_key", tokenizer_name="raw")
    # Title and abstract in one field: one BM25 length normalization over the whole text ranked better
    # than a sum over separate fields (SciFact nDCG@10 0.687 vs 0.666, docs/benchmarks.md).
    builder.add_text_field("text", tokenizer_name="en_stem")
    builder.add_text_field("authors", tokenizer_name="default")
    builder.add_text_field("categories", tokenizer_name="raw")
    builder.add_integer_field("day", indexed=True, fast=True)
    return builder.build()


def title_key(title: str) -> str:
    """A title folded for exact-title lookups: case, accents and punctuation ignored."""
    return author_key(title)


def _day_number(day: dt.date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


class FullTextIndex:
    """One tantivy index directory. Many processes may read; only the index stage writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._index: tantivy.Index | None = None
        self._meta_mtime = 0.0
        self._directory_id = 0  # the inode of the directory opened: a rebuild puts a new one in its place

    @property
    def schema(self) -> tantivy.Schema:
        return self.index.schema

    @property
    def index(self) -> tantivy.Index:
        if self._index is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._directory_id = self.path.stat().st_ino
            if self.outdated():
                # Built by another version of papertide (an upgrade under way: this process is newer or older than
                # the one that wrote it). Never deleted here: other processes may be reading or writing it. Until
                # the index stage has built one of this schema beside it (`replace_with`), word search finds nothing.
                log.warning("the full-text index in %s has another schema; `papertide index` rebuilds it",
                            self.path)
                self._index = tantivy.Index(_schema())
                return self._index
            self._index = tantivy.Index(_schema(), path=str(self.path))
            (self.path / VERSION_FILE).write_text(SCHEMA_VERSION)
        return self._index

    def outdated(self) -> bool:
        """Whether the index on disk was written with another schema than this version's."""
        version_file = self.path / VERSION_FILE
        return version_file.exists() and version_file.read_text() != SCHEMA_VERSION

    def destroy(self) -> None:
        self._index = None
        shutil.rmtree(self.path, ignore_errors=True)

    def replace_with(self, papers: Iterable[IndexedPaper]) -> int:
        """Build a whole new index of these papers beside this one, then put it in this one's place. Searches,
        in this process and others, use the old index until the swap; a crash leaves the old one as it was."""
        building = FullTextIndex(self.path.with_name(self.path.name + ".building"))
        building.destroy()
        count = building.add(papers, fresh=True)
        building._index = None
        retired = self.path.with_name(self.path.name + ".retired")
        shutil.rmtree(retired, ignore_errors=True)
        if self.path.exists():
            os.rename(self.path, retired)
        os.rename(building.path, self.path)
        shutil.rmtree(retired, ignore_errors=True)  # open readers keep their files until they reopen
        with self._lock:
            self._index, self._meta_mtime = None, 0.0
        return count

    def _searcher(self) -> tantivy.Searcher:
        # Another process (the index stage) commits; pick up its commits when meta.json changes, and reopen
        # when a rebuild has put a new directory in place.
        try:
            directory_id = self.path.stat().st_ino
            mtime = (self.path / "meta.json").stat().st_mtime
        except FileNotFoundError:  # the instant of a swap, or never built: keep what is open
            directory_id, mtime = self._directory_id, self._meta_mtime
        with self._lock:
            if self._index is not None and directory_id != self._directory_id:
                self._index = None
            if mtime != self._meta_mtime:
                self.index.reload()
                self._meta_mtime = mtime
        return self.index.searcher()

    # Writing

    def add(self, papers: Iterable[IndexedPaper], *, fresh: bool = False) -> int:
        """Add or replace papers (by paper_id) and commit. Safe to repeat after a crash.
        `fresh`: the papers are known to be absent (a new index), so nothing is deleted first."""
        writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        count = 0
        for paper in papers:
            if not fresh:
                writer.delete_documents_by_term("paper_id", paper.paper_id)
            document = tantivy.Document(
                paper_id=paper.paper_id,
                arxiv_id=paper.arxiv_id,
                title_key=title_key(paper.title),
                text=f"{paper.title}\n{paper.abstract}",
                authors=[author_key(name) for name in paper.authors] or [""],
                categories=[category.lower() for category in paper.categories] or [""],
            )
            if paper.day:
                document.add_integer("day", _day_number(paper.day))
            writer.add_document(document)
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        return count

    # Reading

    def count(self) -> int:
        return self._searcher().num_docs

    def _filters(self, query: ParsedQuery) -> list[tantivy.Query]:
        schema = self.schema
        filters = []
        for name in query.authors:
            words = name.split()
            if len(words) == 1:
                filters.append(tantivy.Query.term_query(schema, "authors", words[0]))
            else:
                filters.append(tantivy.Query.phrase_query(schema, "authors", words))
        if query.categories:
            # cat:cs.CV matches cs.CV; cat:cs matches every cs.* category.
            alternatives = []
            for category in query.categories:
                alternatives.append(tantivy.Query.term_query(schema, "categories", category))
                if "." not in category:
                    alternatives.append(tantivy.Query.regex_query(schema, "categories", _regex_prefix(category)))
            filters.append(tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in alternatives]))
        if query.date_from or query.date_to:
            filters.append(
                tantivy.Query.range_query(
                    schema, "day", tantivy.FieldType.Integer,
                    _day_number(query.date_from) if query.date_from else None,
                    _day_number(query.date_to) if query.date_to else None,
                )
            )
        return filters

    def text_query(self, words: list[str]) -> tantivy.Query:
        # Only plain words reach the parser, so no input can be a syntax error. Stop words add nothing
        # to BM25 but cost: dropped unless the query is nothing else ("to be or not to be").
        content = [word for word in words if word not in STOP_WORDS] or words
        parsed, _errors = self.index.parse_query_lenient(" ".join(content), ["text", "authors"])
        return parsed

    def search(self, query: ParsedQuery, limit: int) -> list[tuple[int, float]]:
        """Papers matching the words (any of them, BM25 order) and all filters: (paper_id, score)."""
        searcher = self._searcher()
        filters = self._filters(query)
        if query.words:
            main = self.text_query(query.words)
            if filters:
                main = _all_of([main, *filters])
            hits = searcher.search(main, limit, count=False).hits
            return list(zip(_paper_ids(searcher, hits), (float(score) for score, _ in hits)))
        if not filters:
            return []
        # Filters alone: newest first. The sort key is the day (None for undated papers), not a
        # relevance score, so every hit scores 0 and keeps its place.
        hits = searcher.search(_all_of(filters), limit, count=False, order_by_field="day").hits
        return [(paper_id, 0.0) for paper_id in _paper_ids(searcher, hits)]

    def matching_ids(self, query: ParsedQuery, limit: int) -> list[int]:
        """Every paper (up to limit) that passes the query's filters, ignoring its words."""
        filters = self._filters(query)
        if not filters:
            return []
        searcher = self._searcher()
        return _paper_ids(searcher, searcher.search(_all_of(filters), limit, count=False).hits)

    def exact(self, query: ParsedQuery) -> list[int]:
        """Papers the query names exactly: by arXiv id, or by their whole title."""
        searcher = self._searcher()
        schema = self.schema
        if query.arxiv_id:
            term = tantivy.Query.term_query(schema, "arxiv_id", query.arxiv_id)
        elif len(query.words) >= 3:
            term = tantivy.Query.term_query(schema, "title_key", title_key(query.text))
        else:
            return []
        return _paper_ids(searcher, searcher.search(term, 5, count=False).hits)


def _paper_ids(searcher: tantivy.Searcher, hits: list) -> list[int]:
    # From the fast-field column, not the stored documents: loading a stored document decompresses its block, ~0.3 ms
    # for a search's 200 hits and ~20 ms for a filter that 15,000 papers pass.
    return searcher.fast_field_values("paper_id", [address for _, address in hits])


def _all_of(queries: list[tantivy.Query]) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query) for query in queries])


# Tantivy's regex syntax (Rust's) refuses an escaped character that is not one of these.
_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~")


def _regex_prefix(category: str) -> str:
    escaped = "".join("\\" + ch if ch in _REGEX_META else ch for ch in category)
    return escaped + "\\..*"
