"""The one search entry point: hybrid ranking over the full-text and vector indexes, similar papers.

Hybrid ranking is a convex combination of the z-normalized BM25 and cosine scores of each ranking's top
candidates. It beat reciprocal-rank fusion on every collection we measured; its weight and depth were
chosen on Cranfield and CISI, then reported on SciFact (docs/search.md, docs/benchmarks.md). A paper
named exactly (arXiv id or whole title) is pinned first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from django.conf import settings

from papertide.papers.models import Paper
from papertide.search.embedder import EmbedderUnavailable, get_embedder
from papertide.search.fulltext import FullTextIndex
from papertide.search.query import ParsedQuery, parse_query
from papertide.search import pgvectors
from papertide.search.pgvectors import PgVectorIndex
from papertide.search.vectors import VectorIndex

log = logging.getLogger(__name__)

# Chosen by `papertide bench search` on Cranfield + CISI (docs/benchmarks.md).
FULL_TEXT_WEIGHT = 0.4  # the vector ranking gets 1 - this
CANDIDATES = 200  # depth of each ranking before fusion
FILTERED_CANDIDATES = 200_000  # papers passing filters, scored exactly against the query vector


Hits = list[tuple[int, float]]  # (paper_id, score), best first


def _standardized(hits: Hits) -> dict[int, float]:
    if not hits:
        return {}
    scores = np.array([score for _, score in hits], dtype=np.float64)
    spread = scores.std()
    z = (scores - scores.mean()) / spread if spread > 0 else np.zeros_like(scores)
    return dict(zip([paper_id for paper_id, _ in hits], z.tolist(), strict=True))


def fuse(text_hits: Hits, vector_hits: Hits, text_weight: float = FULL_TEXT_WEIGHT) -> Hits:
    """Convex combination of z-normalized scores. A paper missing from one ranking gets that
    ranking's lowest score: it was not among its best candidates."""
    text, vector = _standardized(text_hits), _standardized(vector_hits)
    text_floor, vector_floor = min(text.values(), default=0.0), min(vector.values(), default=0.0)
    combined = {
        paper_id: text_weight * text.get(paper_id, text_floor) + (1 - text_weight) * vector.get(paper_id, vector_floor)
        for paper_id in text.keys() | vector.keys()
    }
    return sorted(combined.items(), key=lambda item: (-item[1], item[0]))


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = 60) -> Hits:
    """Plain RRF (Cormack et al. 2009), kept as the reference the benchmark compares against."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, paper_id in enumerate(ranking, start=1):
            scores[paper_id] = scores.get(paper_id, 0.0) + 1 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


@dataclass
class SearchResult:
    query: ParsedQuery
    paper_ids: list[int] = field(default_factory=list)
    mode: str = "hybrid"  # "hybrid", "full text", "exact" (an arXiv id), "none" (nothing to search)
    notice: str = ""
    best_similarity: float | None = None  # the closest paper's cosine to the query (hybrid searches)

    def close_match(self, floor: float) -> bool:
        """Whether anything found is close in meaning to the query (see SEARCH_CLOSE_MATCH)."""
        return self.best_similarity is None or self.best_similarity >= floor


class SearchBackend:
    """A tantivy full-text index in this machine's index folder, and a vector index: files beside it, or a table in
    PostgreSQL (pgvector) that every machine shares."""

    def __init__(self, fulltext: FullTextIndex, vectors: VectorIndex | PgVectorIndex, model_name: str, *,
                 min_similarity: float = 0.2, text_weight: float = FULL_TEXT_WEIGHT,
                 candidates: int = CANDIDATES) -> None:
        self.fulltext = fulltext
        self.vectors = vectors
        self.model_name = model_name
        self.min_similarity = min_similarity
        self.text_weight = text_weight
        self.candidates = candidates

    def search(self, raw_query: str, limit: int = 50) -> SearchResult:
        query = parse_query(raw_query)
        result = SearchResult(query)
        if query.is_empty:
            result.mode = "none"
            return result
        pinned = self.fulltext.exact(query)
        if query.arxiv_id:
            result.paper_ids, result.mode = pinned, "exact"
            return result
        depth = max(self.candidates, limit)
        text_hits = self.fulltext.search(query, depth)
        vector_hits: Hits = []
        if query.words:
            vector_hits, result.notice = self._vector_hits(query, depth)
        if vector_hits:
            result.best_similarity = vector_hits[0][1]
            # Papers found by meaning alone must be close enough to the query to be worth showing.
            found_by_words = {paper_id for paper_id, _ in text_hits}
            weak = {paper_id for paper_id, similarity in vector_hits
                    if similarity < self.min_similarity and paper_id not in found_by_words}
            ranking = [paper_id for paper_id, _ in fuse(text_hits, vector_hits, self.text_weight) if paper_id not in weak]
        else:
            ranking = [paper_id for paper_id, _ in text_hits]
            result.mode = "full text"
        ranked = pinned + [paper_id for paper_id in ranking if paper_id not in pinned]
        if query.has_code:
            with_code = set(Paper.objects.filter(pk__in=ranked).exclude(code_url="").values_list("pk", flat=True))
            ranked = [paper_id for paper_id in ranked if paper_id in with_code]
        result.paper_ids = ranked[:limit]
        return result

    def _vector_hits(self, query: ParsedQuery, depth: int) -> tuple[Hits, str]:
        if self.vectors.model_name() != self.model_name or not self.vectors.size():
            return [], "Search by meaning is not ready yet (the index is being built): matching by words only."
        try:
            vector = get_embedder(self.model_name).embed_query(query.text)
        except EmbedderUnavailable as exc:
            log.warning("search falls back to full text: %s", exc)
            return [], "Search by meaning is unavailable right now: matching by words only."
        among = self.fulltext.matching_ids(query, FILTERED_CANDIDATES) if query.has_filters else None
        return self.vectors.nearest(vector, depth, among=among), ""

    def similar(self, paper_id: int, limit: int = 6) -> list[int]:
        """Nearest neighbours of a paper's stored vector; no model call."""
        vector = self.vectors.vector_of(paper_id)
        if vector is None:
            return []
        return [other for other, _ in self.vectors.nearest(vector, limit, exclude=paper_id)]


@cache
def get_backend() -> SearchBackend:
    """The backend configured by the settings, one per process."""
    directory = settings.SEARCH_INDEX_DIR
    return SearchBackend(
        FullTextIndex(directory / "fulltext"),
        _vector_index(),
        settings.EMBEDDING_MODEL,
        min_similarity=settings.SEARCH_MIN_SIMILARITY,
    )


def _vector_index() -> VectorIndex | PgVectorIndex:
    wanted = settings.SEARCH_VECTORS
    if wanted == "pgvector" or (wanted == "auto" and pgvectors.available()):
        if not pgvectors.available():
            raise pgvectors.PgVectorUnavailable(
                "PAPERTIDE_SEARCH_VECTORS=pgvector, but this database has no pgvector extension: install pgvector on "
                "the PostgreSQL server, then run `CREATE EXTENSION vector` in the database as a superuser")
        return PgVectorIndex(exact_threshold=settings.SEARCH_EXACT_THRESHOLD)
    return VectorIndex(settings.SEARCH_INDEX_DIR, exact_threshold=settings.SEARCH_EXACT_THRESHOLD)


def search(raw_query: str, limit: int = 50) -> SearchResult:
    return get_backend().search(raw_query, limit)


def similar_papers(paper_id: int, limit: int = 6) -> list[int]:
    return get_backend().similar(paper_id, limit)
