"""`papertide bench recs`: real readers' libraries replayed through the site's own "For you".

The papers become papers of a bench site (ids of its own: the files' ids are not arXiv ids) and are embedded by
the index stage; every reader becomes an account whose training library is saved on the site, so the community
signals are the site's own. Each reader's ranking is `recs.foryou.recommend`, the function behind the site's
pages and both recommendation APIs. The baselines of the data set's README run beside it on the same split, so
one run prints every system side by side.

Protocols (the data set's reference_eval.py, same seeds):
- warm: per reader a seeded 20 % (at least 2) of the library is held out; every other paper is a candidate.
- new: a seeded 20 % of the papers are today's (listed on the bench day, in nobody's training library); a
  reader's old papers (at least 5) are the positives, their new ones the targets, today's papers the candidates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TODAY = dt.date(2026, 1, 5)  # the bench site's day for the new papers; old papers are listed the day before
DEPTH = 100


@dataclass
class Split:
    reader: str
    train: list[int]  # row numbers in the papers file
    test: set[int]


@dataclass
class Corpus:
    papers: list[dict]
    libraries: list[tuple[str, list[int]]]
    digest: str

    @classmethod
    def read(cls, papers_file: Path, libraries_file: Path) -> Corpus:
        papers = [json.loads(line) for line in papers_file.read_text().splitlines() if line.strip()]
        index = {p["id"]: i for i, p in enumerate(papers)}
        libraries = []
        for line in libraries_file.read_text().splitlines():
            if not line.strip():
                continue
            reader, _, items = line.partition("\t")
            libraries.append((reader, [index[x] for x in items.split() if x in index]))
        digest = hashlib.sha256(papers_file.read_bytes()).hexdigest()[:16]
        return cls(papers, libraries, digest)


def splits(corpus: Corpus, protocol: str) -> tuple[list[Split], set[int] | None]:
    n = len(corpus.papers)
    if protocol == "new":
        new = set(random.Random(0).sample(range(n), n // 5))
        out = []
        for reader, items in corpus.libraries:
            train = [i for i in items if i not in new]
            test = {i for i in items if i in new}
            if len(train) >= 5 and test:
                out.append(Split(reader, train, test))
        return out, new
    out = []
    for reader, items in corpus.libraries:
        items = items[:]
        random.Random(reader).shuffle(items)
        k = max(2, round(0.2 * len(items)))
        out.append(Split(reader, items[k:], set(items[:k])))
    return out, None


def quality(ranked: list[int], test: set[int]) -> tuple[float, float]:
    """recall@20 and nDCG@10 of the held-out papers."""
    recall = len(set(ranked[:20]) & test) / len(test)
    dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(ranked[:10]) if i in test)
    ideal = sum(1 / math.log2(r + 2) for r in range(min(10, len(test))))
    return recall, dcg / ideal


def bench_arxiv_id(row: int) -> str:
    return f"{701 + row // 99_999:04d}.{row % 99_999 + 1:05d}"


def build_site(corpus: Corpus, progress: bool = True) -> None:
    """The papers on the bench site, embedded by the index stage; kept for the next run of the same file."""
    from papertide.papers.models import Paper, Source
    from papertide.search.indexer import run_index

    ids = [bench_arxiv_id(row) for row in range(len(corpus.papers))]
    have = set(Paper.objects.values_list("arxiv_id", flat=True))
    if have != set(ids):
        Paper.objects.all().delete()
        Paper.objects.bulk_create([
            Paper(arxiv_id=arxiv_id, title=p["title"], abstract=p.get("abstract", ""), source=Source.KAGGLE,
                  categories=["cs.DL"], primary_category="cs.DL")
            for arxiv_id, p in zip(ids, corpus.papers, strict=True)], batch_size=1000)
    if Paper.objects.pending_index().exists():
        run_index(progress=progress)


def place_readers(corpus: Corpus, split: list[Split], new: set[int] | None, rows_to_pk: dict[int, int]) -> None:
    """One account per reader with their training library saved; today's papers and the others on two days."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from papertide.papers.models import DailyEntry, Upvote
    from papertide.recs import community
    from papertide.recs.models import Save

    User = get_user_model()
    with transaction.atomic():
        Save.objects.all().delete()
        Upvote.objects.all().delete()
        DailyEntry.objects.all().delete()
        User.objects.filter(username__startswith="bench-").delete()
        users = User.objects.bulk_create([User(username=f"bench-{s.reader}") for s in split], batch_size=1000)
        Save.objects.bulk_create([Save(user=u, paper_id=rows_to_pk[row], how=Save.How.IMPORTED)
                                  for u, s in zip(users, split, strict=True) for row in s.train], batch_size=5000)
        DailyEntry.objects.bulk_create([
            DailyEntry(paper_id=pk, day=TODAY if new is not None and row in new else TODAY - dt.timedelta(days=1))
            for row, pk in rows_to_pk.items()], batch_size=5000)
    community.forget()


@dataclass
class SystemScores:
    recall: list[float] = field(default_factory=list)
    ndcg: list[float] = field(default_factory=list)

    def add(self, ranked: list[int], test: set[int]) -> None:
        r, n = quality(ranked, test)
        self.recall.append(r)
        self.ndcg.append(n)

    def summary(self) -> dict:
        return {"recall@20": round(float(np.mean(self.recall)), 4), "ndcg@10": round(float(np.mean(self.ndcg)), 4)}


def _top(scores: np.ndarray, train: list[int], candidate: np.ndarray | None) -> list[int]:
    """The best DEPTH papers; ties in a fixed random order (the file's order follows the papers' age and
    popularity, so breaking ties by position would lift popularity above chance where it has no signal)."""
    s = scores.astype(np.float64).copy()
    s[train] = -np.inf
    if candidate is not None:
        s[~candidate] = -np.inf
    shuffle = np.random.default_rng(0).permutation(len(s))
    return [int(i) for i in np.lexsort((shuffle, -s))[:DEPTH]]


def baselines(corpus: Corpus, split: list[Split], new: set[int] | None, vectors: np.ndarray) -> dict[str, SystemScores]:
    """The README's baselines on the same split: popularity, item-kNN on co-saves, arXiv Sanity's per-reader SVM
    on tf-idf, mean embedding, max-similarity kNN."""
    from sklearn import svm
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(corpus.papers)
    candidate = None
    if new is not None:
        candidate = np.zeros(n, dtype=bool)
        candidate[list(new)] = True
    saves = np.zeros((len(split), n), dtype=np.float32)
    for r, s in enumerate(split):
        saves[r, s.train] = 1
    popularity = saves.sum(0)
    norms = np.sqrt(popularity) + 1e-9
    co = (saves.T @ saves) / norms[:, None] / norms[None, :]
    np.fill_diagonal(co, 0)
    texts = [p["title"] + " | " + p.get("abstract", "") for p in corpus.papers]
    tfidf = TfidfVectorizer(input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
                            lowercase=True, analyzer="word", stop_words="english",
                            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2), max_features=20000,
                            norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True, max_df=0.1, min_df=5)
    words = tfidf.fit_transform(texts).astype(np.float32)
    results = {name: SystemScores() for name in
               ("popularity", "item-kNN co-saves", "arXiv Sanity SVM", "mean embedding", "max-sim kNN")}
    for s in split:
        labels = np.zeros(n)
        labels[s.train] = 1
        classifier = svm.LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01).fit(words, labels)
        liked = vectors[s.train]
        for name, scores in (("popularity", popularity), ("item-kNN co-saves", co[s.train].sum(0)),
                             ("arXiv Sanity SVM", classifier.decision_function(words)),
                             ("mean embedding", vectors @ liked.mean(0)),
                             ("max-sim kNN", (vectors @ liked.T).max(1))):
            results[name].add(_top(scores, s.train, candidate), s.test)
    return results


def run(corpus: Corpus, protocol: str, *, readers: int = 0, with_baselines: bool = True,
        progress: bool = True) -> dict:
    from django.contrib.auth import get_user_model
    from tqdm import tqdm

    from papertide.papers.models import Paper
    from papertide.recs.foryou import candidates_between, recommend
    from papertide.search.service import get_backend

    build_site(corpus, progress)
    pk_of = dict(Paper.objects.values_list("arxiv_id", "pk"))
    rows_to_pk = {row: pk_of[bench_arxiv_id(row)] for row in range(len(corpus.papers))}
    pk_to_row = {pk: row for row, pk in rows_to_pk.items()}
    split, new = splits(corpus, protocol)
    if readers:
        split = split[:readers]
    place_readers(corpus, split, new, rows_to_pk)
    user_of = dict(get_user_model().objects.filter(username__startswith="bench-").values_list("username", "pk"))
    candidates = candidates_between(TODAY, TODAY) if new is not None else candidates_between(None, None)
    ours = SystemScores()
    timings = []
    for s in tqdm(split, desc=f"papertide ({protocol})", unit="reader", disable=not progress):
        started = time.perf_counter()
        ranked = recommend(candidates, [rows_to_pk[row] for row in s.train], user=user_of[f"bench-{s.reader}"])
        timings.append(time.perf_counter() - started)
        ours.add([pk_to_row[r.paper_id] for r in ranked[:DEPTH]], s.test)
    systems = {"papertide": ours.summary()}
    if with_baselines:
        ids, matrix = get_backend().vectors.rows_of(list(pk_to_row))
        vectors = np.zeros((len(corpus.papers), matrix.shape[1]), dtype=np.float32)
        vectors[[pk_to_row[int(pk)] for pk in ids]] = matrix
        systems |= {name: scores.summary() for name, scores in baselines(corpus, split, new, vectors).items()}
    milliseconds = np.array(timings) * 1000
    return {"protocol": protocol, "readers": len(split), "papers": len(corpus.papers),
            "candidates": len(candidates), "systems": systems,
            "latency_ms": {"p50": round(float(np.percentile(milliseconds, 50)), 2),
                           "p99": round(float(np.percentile(milliseconds, 99)), 2)}}


def run_speed(papers: int, readers: int, positives: int, day_papers: int, samples: int, progress: bool = True) -> dict:
    """A site of `papers` papers (random unit vectors around 300 topics, so neighbours mean something), `readers`
    readers with `positives` saves each from three topics apiece, and a day of `day_papers` papers; then each
    sampled reader's "For you" of that day, timed as a feed page asks for it (their signals read from the
    database, the day's candidates, the ranking)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from tqdm import tqdm

    from papertide.papers.models import DailyEntry, Paper, Source
    from papertide.recs import community
    from papertide.recs.foryou import candidates_between, for_reader
    from papertide.recs.models import Save
    from papertide.search.service import get_backend

    User = get_user_model()
    rng = np.random.default_rng(7)
    topics = 300
    vectors = get_backend().vectors
    if Paper.objects.count() != papers or vectors.size() != papers:
        with transaction.atomic():
            Paper.objects.all().delete()
            User.objects.filter(username__startswith="speed-").delete()
            Paper.objects.bulk_create([Paper(arxiv_id=bench_arxiv_id(n), title=f"Paper {n}", source=Source.KAGGLE,
                                             index_pending=False) for n in range(papers)], batch_size=5000)
            ids = np.array(sorted(Paper.objects.values_list("pk", flat=True)), dtype=np.int64)
            topic_of = rng.integers(0, topics, size=papers)
            centres = rng.standard_normal((topics, 384)).astype(np.float32)
            matrix = centres[topic_of] + 0.8 * rng.standard_normal((papers, 384)).astype(np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            users = User.objects.bulk_create([User(username=f"speed-{n}") for n in range(readers)], batch_size=5000)
            by_topic = [ids[topic_of == t] for t in range(topics)]
            saves = []
            for user in tqdm(users, desc="readers' libraries", disable=not progress):
                chosen = rng.choice(topics, size=3, replace=False)
                pool = np.concatenate([by_topic[t] for t in chosen])
                saves += [Save(user=user, paper_id=int(p)) for p in rng.choice(pool, size=positives, replace=False)]
            Save.objects.bulk_create(saves, batch_size=10_000)
            DailyEntry.objects.bulk_create([DailyEntry(paper_id=int(p), day=TODAY) for p in ids[-day_papers:]],
                                           batch_size=5000)
        vectors.write(ids, matrix, "bench-random", None)
    community.forget()
    started = time.perf_counter()
    loaded = community.community()
    load_seconds = time.perf_counter() - started
    sample = list(User.objects.filter(username__startswith="speed-").order_by("?")[:samples])
    timings = []
    for user in tqdm(sample, desc="For you of one day", unit="reader", disable=not progress):
        started = time.perf_counter()
        ranked = for_reader(user, candidates_between(TODAY, TODAY), exclude_liked=False)  # as the feed
        timings.append(time.perf_counter() - started)
        assert len(ranked) == day_papers
    milliseconds = np.array(timings) * 1000
    return {"papers": papers, "readers": readers, "positives": positives, "day_papers": day_papers,
            "pairs": loaded.pairs, "community_load_s": round(load_seconds, 2), "samples": len(timings),
            "p50_ms": round(float(np.percentile(milliseconds, 50)), 1),
            "p99_ms": round(float(np.percentile(milliseconds, 99)), 1)}
