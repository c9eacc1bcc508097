"""The one search entry point: hybrid ranking over the full-text and vector indexes, similar papers.

Hybrid ranking is weighted reciprocal-rank fusion (Cormack et al. 2009) of the BM25 ranking and the
embedding ranking; the weights were chosen on Cranfield and CISI, then reported on SciFact
(docs/search.md, docs/benchmarks.md). A paper named exactly (arXiv id or whole title) is pinned first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings

from papertide.search.embedder import EmbedderUnavailable, get_embedder
from papertide.search.fulltext import FullTextIndex
from papertide.search.query import ParsedQuery, parse_query
from papertide.search.vectors import VectorIndex

log = logging.getLogger(__name__)

RRF_K = 60
FULL_TEXT_WEIGHT = 1.0
VECTOR_WEIGHT = 1.0
CANDIDATES = 100  # depth of each ranking before fusion
FILTERED_CANDIDATES = 200_000  # papers passing filters, scored exactly against the query vector


def fuse(rankings: list[list[int]], weights: list[float], k: int = RRF_K) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(d) = sum_i w_i / (k + rank_i(d))."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, paper_id in enumerate(ranking, start=1):
            scores[paper_id] = scores.get(paper_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


@dataclass
class SearchResult:
    query: ParsedQuery
    paper_ids: list[int] = field(default_factory=list)
    mode: str = "hybrid"  # "hybrid", "full text", "none"
    notice: str = ""


class SearchBackend:
    """The local backend: a tantivy full-text index and a vector index beside the SQLite database.
    A PostgreSQL backend (full-text search + pgvector) offers the same methods."""

    def __init__(self) -> None:
        directory = settings.SEARCH_INDEX_DIR
        self.fulltext = FullTextIndex(directory / "fulltext")
        self.vectors = VectorIndex(directory, exact_threshold=settings.SEARCH_EXACT_THRESHOLD)
        self.model_name = settings.EMBEDDING_MODEL

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
        depth = max(CANDIDATES, limit)
        text_ranking = [paper_id for paper_id, _ in self.fulltext.search(query, depth)]
        vector_ranking: list[int] = []
        if query.words:
            vector_ranking, result.notice = self._vector_ranking(query, depth)
        if vector_ranking:
            fused = [paper_id for paper_id, _ in fuse([text_ranking, vector_ranking], [FULL_TEXT_WEIGHT, VECTOR_WEIGHT])]
        else:
            fused = text_ranking
            result.mode = "full text"
        result.paper_ids = (pinned + [paper_id for paper_id in fused if paper_id not in pinned])[:limit]
        return result

    def _vector_ranking(self, query: ParsedQuery, depth: int) -> tuple[list[int], str]:
        if self.vectors.model_name() != self.model_name or not self.vectors.size():
            return [], "Search by meaning is not ready yet (the index is being built): matching by words only."
        try:
            vector = get_embedder(self.model_name).embed_query(query.text)
        except EmbedderUnavailable as exc:
            log.warning("search falls back to full text: %s", exc)
            return [], "Search by meaning is unavailable right now: matching by words only."
        among = self.fulltext.matching_ids(query, FILTERED_CANDIDATES) if query.has_filters else None
        hits = self.vectors.nearest(vector, depth, among=among)
        return [paper_id for paper_id, similarity in hits if similarity >= settings.SEARCH_MIN_SIMILARITY], ""

    def similar(self, paper_id: int, limit: int = 6) -> list[int]:
        """Nearest neighbours of a paper's stored vector; no model call."""
        vector = self.vectors.vector_of(paper_id)
        if vector is None:
            return []
        return [other for other, _ in self.vectors.nearest(vector, limit, exclude=paper_id)]


@cache
def get_backend() -> SearchBackend:
    return SearchBackend()


def search(raw_query: str, limit: int = 50) -> SearchResult:
    return get_backend().search(raw_query, limit)


def similar_papers(paper_id: int, limit: int = 6) -> list[int]:
    return get_backend().similar(paper_id, limit)
