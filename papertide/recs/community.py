"""What the community's libraries say: which papers readers keep together (saves and upvotes of every reader).

Each web process keeps the whole reader × paper matrix in memory (10k readers × 50 papers is 500k pairs,
~6 MB) and reloads it when older than RECS_COMMUNITY_SECONDS: a reader's own new save steers their ranking at
once (recs/profile.py reads it fresh); what it adds to everyone else's co-saves shows up minutes later.
"""

from __future__ import annotations

import hashlib
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
# damping; how many readers like this one count, and how much. Chosen on CiteULike's warm protocol
# (docs/recommendations.md: each is on a plateau there), not tuned per reader.
ALPHA = 0.7
BETA = 0.3
NEIGHBOURS = 50
NEIGHBOURS_WEIGHT = 0.6
KEPT_SCORES = 256  # sets of liked papers whose scores are kept per process
KEPT_ROWS = 20_000  # popular papers' rows kept per process (each up to a few thousand numbers)
ROW_PATHS = 1000  # a liked paper whose readers keep this many papers in all has its row kept (see _scores_of)


@dataclass
class PaperRow:
    """What one paper's readers keep: the other papers (column numbers, ascending), how many of its readers keep
    each, and the random walk's mass reaching each from it (paper → one of its readers → one of theirs)."""

    cols: np.ndarray
    co_saves: np.ndarray
    walk: np.ndarray


@dataclass
class CommunityScores:
    """Three collaborative scores for every paper kept with a liked one (`papers`, ascending ids)."""

    papers: np.ndarray
    item_knn: np.ndarray
    random_walk: np.ndarray
    neighbours: np.ndarray  # what the readers with libraries most like this one keep (0 where none does)
    liked: np.ndarray  # the liked papers the community knows (ids, ascending)
    holders: np.ndarray  # the readers keeping the liked papers without a kept row (row numbers)
    owner: np.ndarray  # for each of `holders`, which liked paper (its place in `liked`)
    rows: dict[int, PaperRow]  # the liked papers with a kept row (place in `liked` → row)
    community: Community

    def best_links_of(self, paper_ids: list[int]) -> dict[int, int | None]:
        """For each paper, the liked paper sharing most readers with it (for its reason; the first such, by id)."""
        wanted = np.asarray(paper_ids, dtype=np.int64)
        known = self.community.papers
        at = np.minimum(np.searchsorted(known, wanted), max(len(known) - 1, 0))
        kept = np.flatnonzero(known[at] == wanted) if len(known) else np.zeros(0, dtype=np.int64)
        best: list[int | None] = [None] * len(wanted)
        if not len(kept) or not len(self.liked):
            return dict(zip(paper_ids, best))
        cols = at[kept]
        shared = np.zeros((len(self.liked), len(kept)))  # liked × wanted: readers keeping both
        for place, row in self.rows.items():
            found = np.minimum(np.searchsorted(row.cols, cols), len(row.cols) - 1)
            shared[place] = np.where(row.cols[found] == cols, row.co_saves[found], 0)
        if len(self.holders):
            # Pair each reader of a wanted paper with each (rarely kept) liked paper that reader keeps.
            readers, per_paper = _slices(self.community.by_paper, cols)
            which = np.repeat(np.arange(len(kept)), per_paper)
            order = np.argsort(self.holders, kind="stable")
            holders, owner = self.holders[order], self.owner[order]
            first, last = np.searchsorted(holders, readers), np.searchsorted(holders, readers, side="right")
            matches = np.repeat(np.arange(len(readers)), last - first)
            liked_of = owner[_ranges(first, last - first)]
            shared += np.bincount(liked_of * len(kept) + which[matches],
                                  minlength=shared.size).reshape(shared.shape)
        most, links = shared.max(0), self.liked[shared.argmax(0)]
        for place, count, link in zip(kept.tolist(), most.tolist(), links.tolist()):
            best[place] = link if count > 0 else None
        return dict(zip(paper_ids, best))

    def combined(self) -> np.ndarray:
        """Each score divided by its maximum (so in [0, 1]), then added, the neighbours' with their weight."""
        return _by_max(self.item_knn) + _by_max(self.random_walk) + NEIGHBOURS_WEIGHT * _by_max(self.neighbours)


def _slices(matrix: sp.csr_matrix | sp.csc_matrix, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The indices of these rows (of a CSR matrix; columns of a CSC one) one after another, and how many each
    has: one gather instead of a slice per row."""
    starts = matrix.indptr[which]
    lengths = matrix.indptr[which + 1] - starts
    return matrix.indices[_ranges(starts, lengths)], lengths


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Every position in these ranges, one range after another (a concatenation of aranges, without the loop)."""
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))


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
        self._scores: dict[bytes, CommunityScores] = {}  # oldest first
        self._rows: dict[int, PaperRow] = {}  # oldest first
        self._lock = threading.Lock()

    @property
    def pairs(self) -> int:
        return int(self.by_reader.nnz)

    def scores(self, liked: list[int] | np.ndarray, reader: int | None = None) -> CommunityScores:
        """Item-kNN (asymmetric cosine on co-saves), RP3beta (a two-step random walk liked paper → reader →
        paper, damped by popularity) and reader-kNN (what the readers whose libraries overlap most with `liked`
        keep) for every paper kept with any of `liked`. `reader` (a user id) is left out of the neighbours: their
        own row holds their liked papers, and muted ones that must not come back. The last few hundred answers
        are kept: a reader going from one ranked page to the next asks again with the same papers."""
        liked = np.asarray(liked, dtype=np.int64)
        key = hashlib.blake2b(liked.tobytes() + str(reader).encode(), digest_size=16).digest()
        with self._lock:
            found = self._scores.get(key)
        if found is None:
            found = self._scores_of(liked, reader)
            with self._lock:  # the web process's threads share it
                self._scores[key] = found
                while len(self._scores) > KEPT_SCORES:
                    self._scores.pop(next(iter(self._scores)))
        return found

    def _scores_of(self, liked: np.ndarray, reader: int | None) -> CommunityScores:
        liked = np.unique(liked[np.isin(liked, self.papers)])
        cols = np.searchsorted(self.papers, liked)
        counts = self.paper_readers[cols].astype(np.float64)
        holders, per_liked = _slices(self.by_paper, cols)  # each liked paper's readers, one after another
        owner = np.repeat(np.arange(len(cols)), per_liked)
        # Item-kNN adds 1 / n_liked^ALPHA for every path liked paper → a reader keeping it → a paper that reader
        # keeps; RP3beta adds the walk's chance of taking it. A rarely kept paper's few paths are gathered as they
        # are; a popular one's readers keep the same papers over and over, so its paths are summed into a row once
        # per process and kept (on a site as dense as the digest bench, ten thousand readers on a thousand papers,
        # gathering every path cost half as much again as the whole ranking).
        popular = np.bincount(owner, weights=self.reader_papers[holders], minlength=len(cols)) >= ROW_PATHS
        rare = ~popular[owner]
        rare_holders, rare_owner = holders[rare], owner[rare]
        kept, per_holder = _slices(self.by_reader, rare_holders)
        rows = [self._row(int(col)) for col in cols[popular]]
        together = np.concatenate([kept] + [row.cols for row in rows])
        size = len(self.papers)
        item_knn = np.bincount(together, minlength=size, weights=np.concatenate(
            [np.repeat(counts[rare_owner] ** -ALPHA, per_holder)]
            + [row.co_saves * n ** -ALPHA for row, n in zip(rows, counts[popular])]))
        random_walk = np.bincount(together, minlength=size, weights=np.concatenate(
            [np.repeat(1 / counts[rare_owner] / self.reader_papers[rare_holders], per_holder)]
            + [row.walk / n for row, n in zip(rows, counts[popular])]))
        reached = np.flatnonzero(item_knn)  # every paper a neighbour keeps is among them (it shares a liked one)
        return CommunityScores(self.papers[reached],
                               item_knn[reached] / self.paper_readers[reached] ** (1 - ALPHA),
                               random_walk[reached] / self.paper_readers[reached] ** BETA,
                               self._neighbours_keep(holders, reader)[reached], liked, rare_holders, rare_owner,
                               dict(zip(np.flatnonzero(popular).tolist(), rows)), self)

    def _row(self, col: int) -> PaperRow:
        found = self._rows.get(col)
        if found is None:
            readers = self.by_paper.indices[self.by_paper.indptr[col]:self.by_paper.indptr[col + 1]]
            kept, lengths = _slices(self.by_reader, readers)
            cols, where = np.unique(kept, return_inverse=True)
            found = PaperRow(cols, np.bincount(where, minlength=len(cols)).astype(np.float64),
                             np.bincount(where, weights=np.repeat(1.0 / self.reader_papers[readers], lengths),
                                         minlength=len(cols)))
            with self._lock:  # the web process's threads share it
                if len(self._rows) >= KEPT_ROWS:
                    self._rows.pop(next(iter(self._rows)))
                self._rows[col] = found
        return found

    def _neighbours_keep(self, holders: np.ndarray, reader: int | None) -> np.ndarray:
        """Reader-kNN for every paper (by column): the NEIGHBOURS readers sharing most of the liked papers
        (`holders`: the readers of each, one after another; cosine of the libraries, squared so the closest count
        most), each adding their similarity to every paper they keep."""
        shared = np.bincount(holders, minlength=len(self.readers)).astype(np.float64)
        if reader is not None:
            at = np.searchsorted(self.readers, reader)
            if at < len(self.readers) and self.readers[at] == reader:
                shared[at] = 0
        # The liked papers' count is the same for every neighbour, so it leaves the order and, after the
        # division by the maximum, the score unchanged: shared^2 / their library's size.
        candidates = np.flatnonzero(shared)
        similarity = shared[candidates] ** 2 / self.reader_papers[candidates]
        if len(candidates) > NEIGHBOURS:  # the best, ties going to the lowest row (the same every time)
            kth = np.partition(similarity, len(similarity) - NEIGHBOURS)[len(similarity) - NEIGHBOURS]
            above = np.flatnonzero(similarity > kth)
            best = np.concatenate([above, np.flatnonzero(similarity == kth)[:NEIGHBOURS - len(above)]])
            candidates, similarity = candidates[best], similarity[best]
        kept, lengths = _slices(self.by_reader, candidates)
        return np.bincount(kept, weights=np.repeat(similarity, lengths), minlength=len(self.papers))


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
