"""What the community's libraries say: which papers readers keep together (saves and upvotes of every reader).

Each web process keeps the whole reader × paper matrix in memory (10k readers × 50 papers is 500k pairs,
~6 MB) and reloads it when older than RECS_COMMUNITY_SECONDS: a reader's own new save steers their ranking at
once (recs/profile.py reads it fresh); what it adds to everyone else's co-saves shows up minutes later.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import connection

from papertide.papers.models import Upvote
from papertide.recs.models import Save

# Item-kNN's asymmetric cosine: co-saves / (n_liked^ALPHA · n_candidate^(1-ALPHA)); RP3beta's popularity
# damping. Both chosen on CiteULike's warm protocol (docs/recommendations.md), not tuned per reader.
ALPHA = 0.7
BETA = 0.3


@dataclass
class CommunityScores:
    """Two collaborative scores for every paper anyone kept (`papers`, ascending ids)."""

    papers: np.ndarray
    item_knn: np.ndarray
    random_walk: np.ndarray
    liked: np.ndarray  # the liked papers the community knows (ids)
    co_saves: sp.csc_matrix  # liked × papers: readers keeping both

    def best_link_of(self, paper_id: int) -> int | None:
        """The liked paper sharing most readers with this one (for its reason)."""
        col = int(np.searchsorted(self.papers, paper_id))
        if col >= len(self.papers) or self.papers[col] != paper_id:
            return None
        column = self.co_saves[:, col].toarray().ravel()
        return int(self.liked[column.argmax()]) if column.any() else None

    def combined(self) -> np.ndarray:
        """Each score divided by its maximum, then added (both in [0, 1])."""
        return _by_max(self.item_knn) + _by_max(self.random_walk)


def _by_max(values: np.ndarray) -> np.ndarray:
    top = float(np.abs(values).max()) if len(values) else 0.0
    return values / top if top > 0 else values


class Community:
    """The reader × paper matrix of positives, and the collaborative scores of a set of liked papers."""

    def __init__(self, pairs: np.ndarray) -> None:
        """`pairs`: (reader id, paper id) rows."""
        pairs = pairs.reshape(-1, 2)
        self.readers, reader_rows = np.unique(pairs[:, 0], return_inverse=True)
        self.papers, paper_cols = np.unique(pairs[:, 1], return_inverse=True)
        data = np.ones(len(pairs), dtype=np.float32)
        matrix = sp.csr_matrix((data, (reader_rows, paper_cols)), shape=(len(self.readers), len(self.papers)))
        matrix.sum_duplicates()
        matrix.data[:] = 1.0  # a save and an upvote of one paper count once
        self.by_reader = matrix
        self.by_paper = matrix.tocsc()
        self.paper_readers = np.asarray(matrix.sum(0)).ravel()
        self.reader_papers = np.asarray(matrix.sum(1)).ravel()

    @property
    def pairs(self) -> int:
        return int(self.by_reader.nnz)

    def scores(self, liked: list[int] | np.ndarray) -> CommunityScores:
        """Item-kNN (asymmetric cosine on co-saves) and RP3beta (a two-step random walk liked paper → reader →
        paper, damped by popularity) for every paper kept with any of `liked`."""
        liked = np.asarray(liked, dtype=np.int64)
        cols = np.searchsorted(self.papers, liked[np.isin(liked, self.papers)])
        if not len(cols):
            empty = np.zeros(0)
            return CommunityScores(np.zeros(0, np.int64), empty, empty, np.zeros(0, np.int64), sp.csc_matrix((0, 0)))
        liked_matrix = self.by_paper[:, cols].tocsr()  # readers × liked papers
        readers = np.unique(liked_matrix.nonzero()[0])
        block = self.by_reader[readers]  # those readers × all papers
        reached = np.unique(block.indices)
        block = block[:, reached]
        counts, liked_counts = self.paper_readers[reached], self.paper_readers[cols]
        co = (liked_matrix[readers].T @ block).tocsc()  # liked × reached papers: readers keeping both
        item_knn = np.asarray((1.0 / liked_counts ** ALPHA) @ co).ravel() / counts ** (1 - ALPHA)
        walk_to_readers = np.asarray(liked_matrix[readers] @ (1.0 / liked_counts)).ravel()
        random_walk = np.asarray((walk_to_readers / self.reader_papers[readers]) @ block).ravel() / counts ** BETA
        return CommunityScores(self.papers[reached], item_knn, random_walk, self.papers[cols], co)


_cached: tuple[float, Community] | None = None
_lock = threading.Lock()


def load() -> Community:
    """Every reader's positives (saves and upvotes), straight from the database."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT user_id, paper_id FROM {Save._meta.db_table} "
                       f"UNION SELECT user_id, paper_id FROM {Upvote._meta.db_table}")
        rows = cursor.fetchall()
    return Community(np.array(rows, dtype=np.int64))


def community() -> Community:
    """This process's copy, reloaded when older than RECS_COMMUNITY_SECONDS."""
    global _cached
    now = time.monotonic()
    if _cached is None or now - _cached[0] > settings.RECS_COMMUNITY_SECONDS:
        with _lock:
            if _cached is None or now - _cached[0] > settings.RECS_COMMUNITY_SECONDS:
                _cached = (time.monotonic(), load())
    return _cached[1]


def forget() -> None:
    """Reload on next use (tests, and the bench after it writes the community's libraries)."""
    global _cached
    _cached = None
