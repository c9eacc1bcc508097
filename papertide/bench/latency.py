"""Search latency at scale, on synthetic corpora made from real abstracts.

Embedding a million abstracts takes ~15 hours on 2 cores, so a synthetic paper is made from two real
ones (SciFact abstracts and the demo day): the title of the first, the first half of its abstract
followed by the second half of the other's, and as its vector the normalized mixture
0.7 v1 + 0.3 v2 + small noise of their real embeddings. Term statistics and vector geometry therefore
stay those of real scientific text. Queries are the 300 SciFact test claims (natural-language
sentences, the slow case for full-text engines), embedded for real on every query.
"""

from __future__ import annotations

import resource
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

from papertide.bench.relevance import embed_corpus, load_collection
from papertide.search.embedder import Embedder
from papertide.search.fulltext import FullTextIndex, IndexedPaper
from papertide.search.query import parse_query
from papertide.search.service import CANDIDATES, SearchBackend
from papertide.search.vectors import VectorIndex

FTS5_MAX_SIZE = 100_000  # SQLite FTS5 is timed for comparison up to this size


@dataclass
class LatencyReport:
    size: int
    build_seconds: dict[str, float] = field(default_factory=dict)
    timings_ms: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (p50, p99)
    disk_mb: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    recall_at_10: float | None = None  # pgvector's approximate top 10 against the exact one

    def as_markdown(self) -> str:
        lines = [f"\n### {self.size:,} papers\n", "| step | p50 ms | p99 ms |", "|---|---|---|"]
        lines += [f"| {name} | {p50:.1f} | {p99:.1f} |" for name, (p50, p99) in self.timings_ms.items()]
        lines.append("\n| build | seconds |\n|---|---|")
        lines += [f"| {name} | {seconds:.1f} |" for name, seconds in self.build_seconds.items()]
        disk = ", ".join(f"{name} {mb:,.0f} MB" for name, mb in self.disk_mb.items())
        lines.append(f"\nOn disk: {disk}. Peak memory of the benchmark process: {self.peak_rss_mb:,.0f} MB.")
        if self.recall_at_10 is not None:
            lines.append(f"pgvector recall@10 against the exact top 10 (asked {CANDIDATES} deep, as a search asks): "
                         f"{self.recall_at_10:.3f}.")
        return "\n".join(lines)


def _real_documents(data_dir: Path, embedder: Embedder, cache_dir: Path) -> tuple[list[str], list[str], np.ndarray]:
    from papertide.demo import DEMO_VECTORS_PATH, demo_feed

    scifact = load_collection(data_dir / "scifact")
    titles, abstracts = list(scifact.titles), list(scifact.texts)
    vectors = [embed_corpus(scifact, embedder, cache_dir)]
    records = demo_feed().records
    shipped = np.load(DEMO_VECTORS_PATH)
    titles += [r.title for r in records]
    abstracts += [r.abstract for r in records]
    demo_vectors = shipped["vectors"].astype(np.float32)
    vectors.append(demo_vectors / np.linalg.norm(demo_vectors, axis=1, keepdims=True))
    return titles, abstracts, np.concatenate(vectors)


def synthetic_papers(size: int, titles: list[str], abstracts: list[str], vectors: np.ndarray, seed: int = 7):
    rng = np.random.default_rng(seed)
    first = rng.integers(len(titles), size=size)
    second = rng.integers(len(titles), size=size)
    halves = [text.split(". ") for text in abstracts]
    mixed = 0.7 * vectors[first] + 0.3 * vectors[second]
    mixed += rng.normal(0, 0.02, size=mixed.shape).astype(np.float32)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)

    def papers():
        for i, (a, b) in enumerate(zip(first, second, strict=True)):
            head, tail = halves[a], halves[b]
            text = ". ".join(head[: max(1, len(head) // 2)] + tail[len(tail) // 2:])
            yield IndexedPaper(paper_id=i, arxiv_id=f"9{i:07d}", title=titles[a], abstract=text,
                               authors=[], categories=[], day=None)

    return papers, mixed.astype(np.float32)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples, 50) * 1000), float(np.percentile(samples, 99) * 1000)


def _time(queries: list[str], run, embedder=None) -> tuple[float, float]:
    """Percentiles of `run` over the queries; with `embedder`, its query cache is emptied before each."""
    for query in queries[:20]:
        run(query)
    samples = []
    for query in queries:
        if embedder is not None:
            embedder.forget_queries()
        started = time.perf_counter()
        run(query)
        samples.append(time.perf_counter() - started)
    return _percentiles(samples)


def _directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def run_latency(size: int, data_dir: Path, embedder: Embedder, cache_dir: Path, query_count: int) -> LatencyReport:
    report = LatencyReport(size)
    titles, abstracts, real_vectors = _real_documents(data_dir, embedder, cache_dir)
    papers, vectors = synthetic_papers(size, titles, abstracts, real_vectors)
    claims = list(load_collection(data_dir / "scifact").queries.values())
    queries = (claims * (query_count // len(claims) + 1))[:query_count]

    with tempfile.TemporaryDirectory(prefix="papertide-latency-") as workdir:
        work = Path(workdir)
        started = time.perf_counter()
        fulltext = FullTextIndex(work / "fulltext")
        fulltext.add(papers(), fresh=True)
        report.build_seconds["full-text index (tantivy)"] = time.perf_counter() - started

        started = time.perf_counter()
        vector_index = VectorIndex(work)
        vector_index.write(np.arange(size, dtype=np.int64), vectors, embedder.model_id, None)
        kind = "HNSW (usearch)" if size >= vector_index.exact_threshold else "exact"
        report.build_seconds[f"vector index ({kind})"] = time.perf_counter() - started

        pgvector = None
        if connection.vendor == "postgresql":
            pgvector = _pgvector_index(size, vectors, embedder.model_id, report)
        del vectors

        backend = SearchBackend(fulltext, vector_index, embedder.model_id)
        report.timings_ms[f"query embedding ({embedder.query_path})"] = _time(queries, embedder.embed_query, embedder)
        report.timings_ms[f"full text (tantivy, top {CANDIDATES})"] = _time(
            queries, lambda q: fulltext.search(parse_query(q), CANDIDATES))
        report.timings_ms[f"vector ({kind}, top {CANDIDATES}), embedding included"] = _time(
            queries, lambda q: vector_index.nearest(embedder.embed_query(q), CANDIDATES), embedder)
        report.timings_ms["hybrid search (everything a search request does)"] = _time(
            queries, lambda q: backend.search(q, 50), embedder)
        if pgvector is not None:
            on_postgres = SearchBackend(fulltext, pgvector, embedder.model_id)
            name = f"vector (pgvector {pgvector.kind_of_search()}, top {CANDIDATES}), embedding included"
            report.timings_ms[name] = _time(
                queries, lambda q: pgvector.nearest(embedder.embed_query(q), CANDIDATES), embedder)
            report.timings_ms["hybrid search, vectors in PostgreSQL (pgvector)"] = _time(
                queries, lambda q: on_postgres.search(q, 50), embedder)
            report.recall_at_10 = _recall_at_10(queries[:100], embedder, vector_index, pgvector)
        if size <= FTS5_MAX_SIZE:
            report.timings_ms[f"for comparison: SQLite FTS5 (porter, bm25, top {CANDIDATES})"] = _time_fts5(
                work, papers, queries, report)
        if size <= FTS5_MAX_SIZE and pgvector is not None:
            report.timings_ms[f"for comparison: PostgreSQL full text (tsvector, GIN, ts_rank, top {CANDIDATES})"] = \
                _time_tsvector(papers, queries, report)
        report.disk_mb.update({"full text": _directory_mb(work / "fulltext"),
                               "vectors": sum(f.stat().st_size for f in work.rglob("vectors*")) / 1e6})
    report.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report


def _pgvector_index(size: int, vectors: np.ndarray, model: str, report: LatencyReport):
    """The same vectors in a pgvector table of the (scratch) database, built as a rebuild builds one."""
    from papertide.search.pgvectors import PgVectorIndex

    index = PgVectorIndex(exact_threshold=settings.SEARCH_EXACT_THRESHOLD)
    chunks = ((np.arange(start, min(start + 10_000, size), dtype=np.int64), vectors[start:start + 10_000])
              for start in range(0, size, 10_000))
    started = time.perf_counter()
    index.build(model, vectors.shape[1], chunks)
    report.build_seconds[f"vector table (pgvector, {index.kind_of_search()})"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [index.live_table()])
        report.disk_mb["pgvector table and index"] = cursor.fetchone()[0] / 1e6
    return index


def _recall_at_10(queries: list[str], embedder: Embedder, exact: VectorIndex, approximate) -> float:
    """How many of the exact top 10 (numpy over the same vectors) the top 10 of pgvector's answer holds, asked
    for as deep as a search asks (CANDIDATES)."""
    found = 0
    for query in queries:
        vector = embedder.embed_query(query)
        truth = {paper_id for paper_id, _ in _exact_nearest(exact, vector, 10)}
        found += len(truth & {paper_id for paper_id, _ in approximate.nearest(vector, CANDIDATES)[:10]})
    return found / (10 * len(queries))


def _exact_nearest(index: VectorIndex, vector: np.ndarray, limit: int):
    scores = np.asarray(index.matrix) @ vector
    top = np.argsort(-scores)[:limit]
    return [(int(index.ids[i]), float(scores[i])) for i in top]


def _time_tsvector(papers, queries: list[str], report: LatencyReport) -> tuple[float, float]:
    """Full text in PostgreSQL instead of tantivy: weighted tsvectors (title A, abstract B) under a GIN index, any
    of the query's words matching (natural-language queries: all of them would match almost nothing), ranked by
    ts_rank."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_fulltext (id bigint PRIMARY KEY, title text, abstract text)")
        with cursor.cursor.copy("COPY bench_fulltext FROM STDIN") as pipe:
            for paper in papers():
                pipe.write_row((paper.paper_id, paper.title, paper.abstract))
        cursor.execute("ALTER TABLE bench_fulltext ADD COLUMN document tsvector GENERATED ALWAYS AS "
                       "(setweight(to_tsvector('english', title), 'A') || "
                       "setweight(to_tsvector('english', abstract), 'B')) STORED")
        cursor.execute("CREATE INDEX ON bench_fulltext USING gin (document)")
        cursor.execute("ANALYZE bench_fulltext")
    report.build_seconds["for comparison: PostgreSQL tsvector column and GIN index"] = time.perf_counter() - started

    def tsvector(query: str) -> None:
        words = " | ".join(word for word in parse_query(query).words if word.isalnum())
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM bench_fulltext, to_tsquery('english', %s) AS q WHERE document @@ q "
                           "ORDER BY ts_rank(document, q) DESC LIMIT %s", [words or "nothing", CANDIDATES])
            cursor.fetchall()

    return _time(queries, tsvector)


def _time_fts5(work: Path, papers, queries: list[str], report: LatencyReport) -> tuple[float, float]:
    started = time.perf_counter()
    db = sqlite3.connect(work / "fts5.sqlite3")
    db.execute("create virtual table docs using fts5(title, abstract, tokenize='porter unicode61')")
    db.executemany("insert into docs(rowid, title, abstract) values (?, ?, ?)",
                   ((p.paper_id, p.title, p.abstract) for p in papers()))
    db.commit()
    report.build_seconds["for comparison: SQLite FTS5 index"] = time.perf_counter() - started

    def fts5(query: str) -> None:
        words = parse_query(query).words
        match = " OR ".join(f'"{w}"' for w in words)
        db.execute("select rowid from docs where docs match ? order by bm25(docs) limit ?",
                   (match, CANDIDATES)).fetchall()

    return _time(queries, fts5)
