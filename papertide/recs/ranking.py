"""One ranking for every "For you": the site's feeds and page, the digests, both recommendation APIs and
`papertide bench recs` all call `rank`.

A candidate's personal score adds three parts, each chosen on real readers' libraries (CiteULike; the
measurements and the alternatives that lost are in docs/recommendations.md):

- community: what readers who keep the reader's papers also keep — item-kNN on co-saves, a two-step random walk
  and what the readers with the most similar libraries keep (recs/community.py). Strongest wherever others
  already saved the candidate.
- content: how close the candidate's embedding is to the reader's papers, after subtracting the mean of all
  vectors (what every paper shares): half the mean similarity to all of them, half the mean of the five
  closest. The second half keeps several interests apart: a paper close to five of the reader's protein papers
  scores high even if the reader's other half is 3D vision, where the mean alone would favour papers halfway.
- bridge: closeness to the papers the community part ranks highest (kept by readers like this one). It carries
  community knowledge to papers nobody has saved yet — today's papers.

"Not interested" drops a paper and its near-duplicates (cosine ≥ NEAR_DUPLICATE) and pushes down what resembles
them. Trending is then blended in with a configurable weight (RECS_TRENDING_WEIGHT).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from papertide.recs.community import Community

CONTENT_WEIGHT = 0.6
BRIDGE_WEIGHT = 0.6
BRIDGE_PAPERS = 20  # how many of the community's best papers the bridge compares with
CLOSEST = 5  # the content part's "mean of the closest"
NEAR_DUPLICATE = 0.9  # raw cosine above which a paper counts as the same as one the reader dismissed
DISLIKE_WEIGHT = 0.5
SIMILAR_ENOUGH = 0.1  # a liked paper within this (centred) cosine of the closest one counts in "and N more"


@dataclass
class Reason:
    """Why a paper is recommended: close to `anchor` (a liked paper) and `more` others; kept by readers who keep
    `anchor` ("community"); kept by readers like this one ("bridge"); or trending."""

    kind: str  # "close", "community", "bridge", "trending", "yours" (the reader's own, listed last)
    anchor: int | None = None
    more: int = 0
    interest: str = ""


@dataclass
class Scored:
    paper_id: int
    score: float
    personal: float
    reason: Reason = field(default_factory=lambda: Reason("trending"))


def centred(matrix: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Rows minus the centre (the mean of all vectors), back to unit length."""
    shifted = matrix - centre
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    return shifted / np.where(norms > 0, norms, 1)


def _mean_of_closest(similarities: np.ndarray, k: int) -> np.ndarray:
    k = min(k, similarities.shape[1])
    return np.partition(similarities, -k, axis=1)[:, -k:].mean(1)


def _lookup(ids: np.ndarray, values: np.ndarray, wanted: np.ndarray, default: float = 0.0) -> np.ndarray:
    """values[i] for each wanted id found in (ascending) `ids`, else `default`."""
    out = np.full(len(wanted), default, dtype=np.float64)
    if len(ids):
        rows = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
        found = ids[rows] == wanted
        out[found] = values[rows[found]]
    return out


KINDS = ("trending", "community", "bridge", "close", "yours")
TRENDING, COMMUNITY, BRIDGE, CLOSE, YOURS = range(len(KINDS))


class Ranked(Sequence):
    """The candidates best first. Reasons are put in words only for the papers looked at: a feed ranks a
    thousand papers and shows fifty, and building an object per candidate was a third of the ranking's time."""

    def __init__(self, ids: np.ndarray, scores: np.ndarray, personal: np.ndarray, kinds: np.ndarray,
                 anchors: np.ndarray, more: np.ndarray, interest_of: dict[int, str], shared,
                 links: dict[int, int | None] | None = None) -> None:
        self.ids, self.scores, self.personal = ids, scores, personal
        self.kinds, self.anchors, self.more = kinds, anchors, more
        self.interest_of, self.shared = interest_of, shared
        self.links = links  # a portable ranking's co-save links, in place of `shared` (the community's scores)

    def portable(self) -> Ranked:
        """This ranking without the community's scores it refers to (too big to keep, and of this process): the
        co-save link of every paper whose reason names one is looked up now. Kept for other processes."""
        if self.shared is None:
            return self
        links = self.shared.best_links_of(self.ids[self.kinds == COMMUNITY].tolist())
        return Ranked(self.ids, self.scores, self.personal, self.kinds, self.anchors, self.more,
                      self.interest_of, None, links)

    def reblended(self, trend: dict[int, float], trend_weight: float) -> Ranked:
        """The same personal scores blended with these trending scores of the candidates (`rank`'s `trend`, all
        of them): a reader's personal part changes only with what they like, trending all day long, so a ranking
        kept for hours is blended anew at each view. The same order as ranking afresh with this trend."""
        own_count = int(np.count_nonzero(self.kinds == YOURS))
        ranked = len(self.ids) - own_count
        ids, personal = self.ids[:ranked], self.personal[:ranked]
        score = personal.copy()
        if trend and trend_weight:
            every = np.array(sorted(trend), dtype=np.int64)
            score += trend_weight * _lookup(every, _scaled_trend(trend, every), ids)
        order = np.lexsort((ids, -score))
        own = np.array(sorted(np.sort(self.ids[ranked:]).tolist(), key=lambda c: (-trend.get(c, 0.0), c)),
                       dtype=np.int64)
        by_id = {paper: i for i, paper in enumerate(self.ids[ranked:].tolist())}
        own_at = ranked + np.array([by_id[paper] for paper in own.tolist()], dtype=np.int64)
        at = np.concatenate([order, own_at])
        return Ranked(self.ids[at], np.concatenate([score[order], np.zeros(own_count)]), self.personal[at],
                      self.kinds[at], self.anchors[at], self.more[at], self.interest_of, self.shared, self.links)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.at(range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._scored(index)

    def at(self, positions) -> list[Scored]:
        """The papers at these places (one lookup of co-save links for all of them)."""
        links = self.links if self.shared is None else self.shared.best_links_of(
            [int(self.ids[i]) for i in positions if self.kinds[i] == COMMUNITY])
        return [self._scored(i, links) for i in positions]

    def _scored(self, i: int, links: dict[int, int | None] | None = None) -> Scored:
        paper_id, kind = int(self.ids[i]), KINDS[self.kinds[i]]
        anchor = int(self.anchors[i]) if self.anchors[i] >= 0 else None
        if kind == "community":
            if links is None:
                links = self.links if self.shared is None else self.shared.best_links_of([paper_id])
            anchor = links.get(paper_id)
        reason = Reason(kind, anchor if kind in ("close", "community") else None,
                        int(self.more[i]) if kind == "close" else 0,
                        self.interest_of.get(anchor, "") if kind in ("close", "community") else "")
        return Scored(paper_id, float(self.scores[i]), float(self.personal[i]), reason)


_kept_rows: OrderedDict = OrderedDict()
KEPT_CANDIDATE_SETS = 8


def _candidate_rows(vectors, cands: np.ndarray, centre: np.ndarray):
    """The candidates' vectors (raw and centred) and where they are; kept for the last few candidate sets, since
    every reader of a day's feed, and every subscriber of a digest, have the same ones (before their own papers
    are taken out: `rank` masks those, so that they do not make each reader's set a new one)."""
    key = (id(vectors), vectors.size(), hashlib.blake2b(cands.tobytes(), digest_size=16).digest())
    found = _kept_rows.get(key)
    if found is None:
        cand_ids, cand_vectors = vectors.rows_of(cands)
        has_vector = np.isin(cands, cand_ids)
        rows = np.searchsorted(cand_ids, cands[has_vector])
        cand_c = centred(cand_vectors, centre) if len(cand_ids) else cand_vectors
        found = (cand_ids, cand_vectors, cand_c, has_vector, rows)
        _kept_rows[key] = found
        while len(_kept_rows) > KEPT_CANDIDATE_SETS:
            _kept_rows.popitem(last=False)
    return found


@dataclass
class Reader:
    """What steers one reader's ranking: the papers they like and dismissed, the interest of each liked one (for
    the reasons), and their user id if they have an account (their own library is not one of their neighbours)."""

    liked: list[int]
    disliked: list[int] = ()
    interest_of: dict[int, str] | None = None
    user: int | None = None


def rank(candidates: list[int], liked: list[int], disliked: list[int], *, vectors, community: Community,
         trend: dict[int, float] | None = None, trend_weight: float = 0.0, interest_of: dict[int, str] | None = None,
         exclude_liked: bool = True, user: int | None = None) -> Ranked:
    """The candidates best first for one reader (`rank_many` of one)."""
    return rank_many(candidates, [Reader(liked, disliked, interest_of, user)], vectors=vectors, community=community,
                     trend=trend, trend_weight=trend_weight, exclude_liked=exclude_liked)[0]


def rank_many(candidates: list[int], readers: list[Reader], *, vectors, community: Community,
              trend: dict[int, float] | None = None, trend_weight: float = 0.0,
              exclude_liked: bool = True) -> list[Ranked]:
    """The candidates best first for each reader. `vectors` is a search.vectors.VectorIndex; `trend` maps paper
    ids to a trending score (any scale: it is rescaled to [0, 1] among the candidates). The reader's own papers,
    unless excluded, come after every other (they have seen them), by trend.

    A digest run ranks the same candidates for a batch of readers: the candidates are compared with all their
    liked papers, and with the papers their communities rank highest, in one matrix product each (a reader's
    ranking is the same alone or in a batch)."""
    trend = trend or {}
    every = np.array(sorted(set(candidates)), dtype=np.int64)
    centre = vectors.centre()
    rows = _candidate_rows(vectors, every, centre)
    scaled = _scaled_trend(trend, every) if trend and trend_weight else None
    everyone_liked = np.unique(np.fromiter((p for r in readers for p in r.liked), dtype=np.int64))
    liked_sims = _Compared(vectors, rows, centre, everyone_liked)
    shared = [community.scores(np.unique(np.asarray(r.liked, dtype=np.int64)), r.user) for r in readers]
    together = [scores.combined() for scores in shared]
    bridges = [_bridge_papers(scores.papers, combined, r.liked)
               for scores, combined, r in zip(shared, together, readers)]
    bridge_sims = _Compared(vectors, rows, centre, np.unique(np.concatenate([b[0] for b in bridges] or [[]])))
    return [_rank_one(every, reader, scores, combined, bridge, rows, liked_sims, bridge_sims, vectors, centre,
                      trend, scaled, trend_weight, exclude_liked)
            for reader, scores, combined, bridge in zip(readers, shared, together, bridges)]


class _Compared:
    """The centred cosines of the candidates (with vectors) to some papers: one column per paper that has a
    vector (`ids`, ascending)."""

    def __init__(self, vectors, rows, centre: np.ndarray, papers: np.ndarray) -> None:
        cand_ids, _, cand_c, _, _ = rows
        self.ids, found = vectors.rows_of(papers)
        self.sims = cand_c @ centred(found, centre).T if len(self.ids) and len(cand_ids) else None

    def columns(self, papers) -> tuple[np.ndarray, np.ndarray]:
        """Those of `papers` compared (ids ascending), and their columns."""
        papers = np.unique(np.asarray(papers, dtype=np.int64))
        at = np.minimum(np.searchsorted(self.ids, papers), max(len(self.ids) - 1, 0))
        found = self.ids[at] == papers if len(self.ids) else np.zeros(len(papers), dtype=bool)
        return papers[found], at[found]


def _scaled_trend(trend: dict[int, float], every: np.ndarray) -> np.ndarray:
    """Each candidate's trending score rescaled to [0, 1] among the candidates (0 where unknown)."""
    known_ids = np.fromiter(trend.keys(), dtype=np.int64, count=len(trend))
    known_values = np.fromiter(trend.values(), dtype=np.float64, count=len(trend))
    values = _lookup(*_by_id((known_ids, known_values)), every, np.nan)
    known = ~np.isnan(values)
    if not known.any():
        return np.zeros(len(every))
    low, high = np.nanmin(values), np.nanmax(values)
    return np.where(known, (values - low) / (high - low) if high > low else 0.0, 0.0)


def _bridge_papers(papers: np.ndarray, together: np.ndarray, liked: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The community's best papers for this reader outside their own, with their combined scores."""
    if not len(together):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    outside = ~np.isin(papers, np.asarray(liked, dtype=np.int64))
    order = np.argsort(-np.where(outside, together, -np.inf))[:BRIDGE_PAPERS]
    order = order[outside[order] & (together[order] > 0)]
    return papers[order], together[order]


def _rank_one(every, reader: Reader, shared, together: np.ndarray, bridge_papers, candidate_rows, liked_sims: _Compared,
              bridge_sims: _Compared, vectors, centre, trend, scaled, trend_weight, exclude_liked) -> Ranked:
    liked_set, disliked_set = set(reader.liked), set(reader.disliked)
    left_out = np.isin(every, np.fromiter(disliked_set | liked_set, dtype=np.int64))
    cands = every[~left_out]
    own = np.array([] if exclude_liked else sorted((c for c in every.tolist() if c in liked_set),
                                                   key=lambda c: (-trend.get(c, 0.0), c)), dtype=np.int64)
    cand_ids, cand_vectors, cand_c, every_has_vector, every_rows = candidate_rows
    has_vector = every_has_vector[~left_out]
    rows = every_rows[~left_out[every_has_vector]]

    content = np.zeros(len(cands))
    anchors = np.full(len(cands), -1, dtype=np.int64)
    more = np.zeros(len(cands), dtype=np.int64)
    like_ids, columns = liked_sims.columns(reader.liked)
    if len(cand_ids) and len(like_ids):
        sims = liked_sims.sims[:, columns]
        closeness = 0.5 * sims.mean(1) + 0.5 * _mean_of_closest(sims, CLOSEST)
        content[has_vector] = closeness[rows]
        best = sims.argmax(1)
        best_sim = sims[np.arange(len(sims)), best]
        anchors[has_vector] = like_ids[best][rows]
        more[has_vector] = ((sims >= (best_sim - SIMILAR_ENOUGH)[:, None]).sum(1) - 1)[rows]

    collaborative = _lookup(shared.papers, together, cands)

    bridge = np.zeros(len(cands))
    bridge_ids, columns = bridge_sims.columns(bridge_papers[0])
    if len(bridge_ids) and len(cand_ids):
        weights = _lookup(*_by_id(bridge_papers), bridge_ids)
        bridge[has_vector] = ((bridge_sims.sims[:, columns] @ weights) / weights.sum())[rows]

    keep = np.ones(len(cands), dtype=bool)
    penalty = np.zeros(len(cands))
    dis_ids, dis_vectors = vectors.rows_of(sorted(disliked_set))
    if len(dis_ids) and len(cand_ids):
        raw = (cand_vectors @ dis_vectors.T).max(1)
        keep[np.flatnonzero(has_vector)[raw[rows] >= NEAR_DUPLICATE]] = False
        resemblance = (cand_c @ centred(dis_vectors, centre).T).max(1)
        penalty[has_vector] = DISLIKE_WEIGHT * np.maximum(resemblance[rows], 0)

    parts = np.vstack([collaborative, CONTENT_WEIGHT * content, BRIDGE_WEIGHT * bridge])
    personal = parts.sum(0) - penalty
    score = personal + trend_weight * scaled[~left_out] if scaled is not None else personal.copy()

    # Each paper's reason is the part that gave most (in this order of precedence).
    main = parts.argmax(0) if len(cands) else np.zeros(0, dtype=np.int64)
    kinds = np.full(len(cands), TRENDING, dtype=np.int8)
    kinds[anchors >= 0] = CLOSE
    kinds[(main == 2) & (bridge > content)] = BRIDGE
    kinds[(main == 0) & (collaborative > 0)] = COMMUNITY
    if not len(like_ids):
        kinds[:] = TRENDING
    order = np.lexsort((cands, -score))
    order = order[keep[order]]
    return Ranked(
        np.concatenate([cands[order], own]),
        np.concatenate([score[order], np.zeros(len(own))]),
        np.concatenate([personal[order], np.zeros(len(own))]),
        np.concatenate([kinds[order], np.full(len(own), YOURS, dtype=np.int8)]),
        np.concatenate([anchors[order], np.full(len(own), -1, dtype=np.int64)]),
        np.concatenate([more[order], np.zeros(len(own), dtype=np.int64)]),
        reader.interest_of or {}, shared)


def _by_id(papers: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ids, values = papers
    order = np.argsort(ids)
    return ids[order], values[order]
