"""Search relevance on public test collections in BEIR layout (corpus.jsonl, queries.jsonl, qrels/test.tsv).

The same components the site uses (tantivy full-text index, vector index, score fusion, the query
parser) run over each collection in a temporary directory. The fusion weight and depth are chosen on
Cranfield and CISI and then reported, unchanged, on SciFact.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.db import connection
from tqdm import tqdm

from papertide.search.embedder import Embedder, document_text
from papertide.search.fulltext import FullTextIndex, IndexedPaper
from papertide.search.query import parse_query
from papertide.search.service import (
    CANDIDATES,
    FULL_TEXT_WEIGHT,
    Hits,
    SearchBackend,
    fuse,
    reciprocal_rank_fusion,
)
from papertide.search.vectors import VectorIndex

TUNING_COLLECTIONS = ("cranfield", "cisi")
REPORTED_COLLECTION = "scifact"
TEXT_WEIGHTS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
DEPTHS = (100, 200, 300, 500)


@dataclass
class Collection:
    name: str
    doc_ids: list[str]
    titles: list[str]
    texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> gain (> 0 relevant)


def _gain(name: str, grade: int) -> int:
    # Cranfield grades run 1 (complete answer) .. 4 (minimum interest), -1 = not relevant.
    if name == "cranfield":
        return 5 - grade if 1 <= grade <= 4 else 0
    return max(grade, 0)


def load_collection(directory: Path) -> Collection:
    name = directory.name
    doc_ids, titles, texts = [], [], []
    with open(directory / "corpus.jsonl") as fh:
        for line in fh:
            doc = json.loads(line)
            doc_ids.append(str(doc["_id"]))
            titles.append(doc.get("title") or "")
            texts.append(doc.get("text") or "")
    qrels: dict[str, dict[str, int]] = {}
    with open(directory / "qrels" / "test.tsv") as fh:
        next(fh)
        for line in fh:
            query_id, doc_id, grade = line.rstrip("\n").split("\t")
            gain = _gain(name, int(grade))
            if gain > 0:
                qrels.setdefault(query_id, {})[doc_id] = gain
    queries = {}
    with open(directory / "queries.jsonl") as fh:
        for line in fh:
            query = json.loads(line)
            if str(query["_id"]) in qrels:
                queries[str(query["_id"])] = query["text"]
    return Collection(name, doc_ids, titles, texts, queries, qrels)


def ndcg_at(ranking: list[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    ideal = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(sorted(relevant.values(), reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def recall_at(ranking: list[str], relevant: dict[str, int], k: int = 100) -> float:
    return len(set(ranking[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def embed_corpus(collection: Collection, embedder: Embedder, cache_dir: Path) -> np.ndarray:
    """Document vectors, cached by collection content and model (embedding SciFact takes minutes)."""
    texts = [document_text(title, text) for title, text in zip(collection.titles, collection.texts, strict=True)]
    digest = hashlib.sha1(("\n".join(texts) + embedder.model_id).encode()).hexdigest()[:16]
    cache = cache_dir / f"{collection.name}-{digest}.npy"
    if cache.exists():
        return np.load(cache)
    order = np.argsort([len(text) for text in texts])
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    batch = 64
    for start in tqdm(range(0, len(order), batch), desc=f"Embedding {collection.name}", unit="batch"):
        rows = order[start:start + batch]
        vectors[rows] = embedder.embed_documents([texts[i] for i in rows])
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


@dataclass
class Rankings:
    """Per query id: full-text and vector hits (index, score) to the deepest depth tried, and the
    ranking `papertide search` itself returns."""

    full_text: dict[str, Hits] = field(default_factory=dict)
    vector: dict[str, Hits] = field(default_factory=dict)
    served: dict[str, list[int]] = field(default_factory=dict)
    served_pgvector: dict[str, list[int]] = field(default_factory=dict)  # on PostgreSQL: vectors in pgvector


def rank_collection(collection: Collection, embedder: Embedder, cache_dir: Path, workdir: Path) -> Rankings:
    vectors = embed_corpus(collection, embedder, cache_dir)
    fulltext = FullTextIndex(workdir / collection.name / "fulltext")
    fulltext.add(
        (IndexedPaper(paper_id=i, arxiv_id=str(i), title=title, abstract=text, authors=[], categories=[], day=None)
         for i, (title, text) in enumerate(zip(collection.titles, collection.texts, strict=True))),
        fresh=True,
    )
    vector_index = VectorIndex(workdir / collection.name, exact_threshold=10**9)
    vector_index.write(np.arange(len(vectors)), vectors, embedder.model_id, None)
    backend = SearchBackend(fulltext, vector_index, embedder.model_id)
    on_postgres = None
    if connection.vendor == "postgresql":  # `bench search --database`: a scratch database
        from papertide.search.pgvectors import PgVectorIndex

        graph = PgVectorIndex(exact_threshold=0)  # the HNSW graph even at this size: the approximate answer
        graph.build(embedder.model_id, vectors.shape[1], [(np.arange(len(vectors)), vectors)])
        on_postgres = SearchBackend(fulltext, graph, embedder.model_id)
    rankings = Rankings()
    deepest = max(DEPTHS)
    for qid, text in collection.queries.items():
        query = parse_query(text)
        rankings.full_text[qid] = fulltext.search(query, deepest)
        rankings.vector[qid] = vector_index.nearest(embedder.embed_query(query.text), deepest)
        rankings.served[qid] = backend.search(text, 100).paper_ids
        if on_postgres is not None:
            rankings.served_pgvector[qid] = on_postgres.search(text, 100).paper_ids
    return rankings


def evaluate(collection: Collection, per_query: dict[str, list[int]]) -> tuple[float, float]:
    """Mean nDCG@10 and recall@100 of rankings given as corpus positions."""
    names = collection.doc_ids
    ranked = {qid: [names[i] for i in ranking] for qid, ranking in per_query.items()}
    ndcg = np.mean([ndcg_at(ranked[q], collection.qrels[q]) for q in collection.queries])
    recall = np.mean([recall_at(ranked[q], collection.qrels[q]) for q in collection.queries])
    return float(ndcg), float(recall)


def only_ids(per_query: dict[str, Hits], depth: int = 100) -> dict[str, list[int]]:
    return {qid: [i for i, _ in hits[:depth]] for qid, hits in per_query.items()}


def fused(rankings: Rankings, text_weight: float, depth: int) -> dict[str, list[int]]:
    return {
        qid: [i for i, _ in fuse(rankings.full_text[qid][:depth], rankings.vector[qid][:depth], text_weight)]
        for qid in rankings.vector
    }


def rrf(rankings: Rankings, depth: int = 100) -> dict[str, list[int]]:
    return {
        qid: [i for i, _ in reciprocal_rank_fusion([[i for i, _ in rankings.full_text[qid][:depth]],
                                                    [i for i, _ in rankings.vector[qid][:depth]]])]
        for qid in rankings.vector
    }


@dataclass
class RelevanceReport:
    rows: list[tuple[str, str, float, float]]  # collection, method, nDCG@10, recall@100
    chosen: tuple[float, int]  # text weight, depth
    served: tuple[float, int]


def run_relevance(data_dir: Path, embedder: Embedder, cache_dir: Path) -> RelevanceReport:
    """Rank every collection; choose fusion on the tuning collections; report all of them."""
    collections = {name: load_collection(data_dir / name) for name in (*TUNING_COLLECTIONS, REPORTED_COLLECTION)}
    with tempfile.TemporaryDirectory(prefix="papertide-bench-") as workdir:
        rankings = {name: rank_collection(c, embedder, cache_dir, Path(workdir)) for name, c in collections.items()}

    def tuning_score(text_weight: float, depth: int) -> float:
        return float(np.mean([evaluate(collections[n], fused(rankings[n], text_weight, depth))[0]
                              for n in TUNING_COLLECTIONS]))

    chosen = max(itertools.product(TEXT_WEIGHTS, DEPTHS), key=lambda c: tuning_score(*c))
    rows = []
    for name, collection in collections.items():
        r = rankings[name]
        rows.append((name, "full text (tantivy BM25)", *evaluate(collection, only_ids(r.full_text))))
        rows.append((name, f"vector ({embedder.model_id})", *evaluate(collection, only_ids(r.vector))))
        rows.append((name, "hybrid, plain RRF (k=60, top 100 each)", *evaluate(collection, rrf(r))))
        rows.append((name, f"hybrid, score fusion chosen on {'+'.join(TUNING_COLLECTIONS)} "
                           f"(text weight {chosen[0]}, top {chosen[1]})", *evaluate(collection, fused(r, *chosen))))
        rows.append((name, "hybrid as served (`papertide search`)", *evaluate(collection, r.served)))
        if r.served_pgvector:
            rows.append((name, "hybrid as served, vectors in PostgreSQL (pgvector HNSW)",
                         *evaluate(collection, r.served_pgvector)))
    return RelevanceReport(rows, chosen, (FULL_TEXT_WEIGHT, CANDIDATES))


@dataclass
class FloorReport:
    """How a "no close match" floor on the closest paper's cosine behaves on judged queries."""

    floors: tuple[float, ...]
    missed: dict[str, list[float]]  # collection -> per floor: share of queries whose closest relevant paper is under it
    flagged_own: dict[str, list[float]]  # share of a collection's own queries that would say "no close match"
    flagged_foreign: dict[str, list[float]]  # share of another collection's queries (nothing relevant) flagged

    def as_markdown(self) -> str:
        head = "| collection | " + " | ".join(f"floor {f:.2f}" for f in self.floors) + " |"
        lines = [head, "|---|" + "---|" * len(self.floors)]
        for name in self.missed:
            for label, table in (("relevant paper under the floor", self.missed),
                                 ("own queries told 'no close match'", self.flagged_own),
                                 ("foreign queries told 'no close match'", self.flagged_foreign)):
                lines.append(f"| {name}: {label} | " + " | ".join(f"{v:.1%}" for v in table[name]) + " |")
        return "\n".join(lines)


def run_floor_calibration(data_dir: Path, embedder: Embedder, cache_dir: Path,
                          floors: tuple[float, ...] = (0.2, 0.25, 0.3, 0.35, 0.4)) -> FloorReport:
    """For each collection: its judged queries against its papers (a relevant paper exists), and the queries of
    another collection against them (on another subject: nothing should be close)."""
    names = (*TUNING_COLLECTIONS, REPORTED_COLLECTION)
    collections = {name: load_collection(data_dir / name) for name in names}
    query_vectors = {name: {qid: embedder.embed_query(text) for qid, text in c.queries.items() if c.qrels.get(qid)}
                     for name, c in collections.items()}
    report = FloorReport(floors, {}, {}, {})
    for position, (name, collection) in enumerate(collections.items()):
        vectors = embed_corpus(collection, embedder, cache_dir)
        rows = {doc_id: row for row, doc_id in enumerate(collection.doc_ids)}
        best_relevant, best_any = [], []
        for qid, vector in query_vectors[name].items():
            scores = vectors @ vector
            relevant = [rows[d] for d, gain in collection.qrels[qid].items() if gain > 0 and d in rows]
            if relevant:
                best_relevant.append(float(scores[relevant].max()))
                best_any.append(float(scores.max()))
        foreign_name = names[(position + 1) % len(names)]
        best_foreign = [float((vectors @ v).max()) for v in query_vectors[foreign_name].values()]
        report.missed[name] = [float(np.mean(np.array(best_relevant) < f)) for f in floors]
        report.flagged_own[name] = [float(np.mean(np.array(best_any) < f)) for f in floors]
        report.flagged_foreign[name] = [float(np.mean(np.array(best_foreign) < f)) for f in floors]
    return report
