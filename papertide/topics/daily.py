"""Topics of a day, week or month: the papers a feed lists, grouped by their embeddings and each group named by
the keyphrases its papers share and the others' do not — the strip above the feed that narrows it to a topic.

Grouping is spherical k-means (seeded, so the same papers give the same topics in every web process) on
centred embeddings, with about one topic per 60 papers and at most MAX_TOPICS. A topic's name is its two
keyphrases with the highest count in the topic times log(papers / papers having it), so phrases every field
uses ("neural networks") lose to the ones this topic is about. Computed when a feed page is rendered (a few
ms for a day; the result is kept in the shared cache for the same papers).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.utils.text import slugify

from papertide.papers.models import Paper
from papertide.recs.ranking import centred
from papertide.search.service import get_backend
from papertide.topics.keyphrases import phrase_key

MAX_TOPICS = 12
PAPERS_PER_TOPIC = 60
MIN_PAPERS = 12  # fewer papers than this are read at a glance without topics
KEPT_SECONDS = 600
LABEL_PHRASES = 2


@dataclass(frozen=True)
class Topic:
    slug: str
    label: str
    paper_ids: frozenset[int]

    @property
    def count(self) -> int:
        return len(self.paper_ids)


def topics_of(paper_ids: list[int]) -> list[Topic]:
    """The topics of these papers, largest first; papers without an embedding are in none."""
    ids = sorted(set(paper_ids))
    if len(ids) < MIN_PAPERS:
        return []
    vectors = get_backend().vectors
    key = "topics:" + hashlib.sha1(np.asarray(ids, dtype=np.int64).tobytes() + vectors.model_name().encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _find(ids)
        cache.set(key, found, KEPT_SECONDS)
    return found


def _find(ids: list[int]) -> list[Topic]:
    vectors = get_backend().vectors
    have, matrix = vectors.rows_of(ids)
    if len(have) < MIN_PAPERS:
        return []
    groups = cluster(centred(matrix, vectors.centre()), min(MAX_TOPICS, max(2, round(len(have) / PAPERS_PER_TOPIC))))
    phrases = dict(Paper.objects.filter(pk__in=have.tolist()).values_list("pk", "keyphrases"))
    members = [have[groups == g].tolist() for g in range(groups.max() + 1)]
    labels = name([[phrases.get(p) or [] for p in group] for group in members])
    topics, slugs = [], Counter()
    for group, label in sorted(zip(members, labels, strict=True), key=lambda pair: -len(pair[0])):
        if not group:
            continue
        slug = slugify(label.split(" · ")[0])[:40] or "topic"
        slugs[slug] += 1
        topics.append(Topic(slug if slugs[slug] == 1 else f"{slug}-{slugs[slug]}", label, frozenset(group)))
    return topics


def cluster(unit_rows: np.ndarray, k: int, iterations: int = 20) -> np.ndarray:
    """Spherical k-means with k-means++ seeding from a fixed seed: a topic number per row."""
    rng = np.random.default_rng(0)
    k = min(k, len(unit_rows))
    centres = [unit_rows[rng.integers(len(unit_rows))]]
    closest = 1 - unit_rows @ centres[0]
    for _ in range(1, k):
        weights = np.maximum(closest, 0) ** 2
        pick = rng.choice(len(unit_rows), p=weights / weights.sum()) if weights.sum() > 0 else rng.integers(len(unit_rows))
        centres.append(unit_rows[pick])
        closest = np.minimum(closest, 1 - unit_rows @ unit_rows[pick])
    centres = np.array(centres)
    groups = np.zeros(len(unit_rows), dtype=int)
    for _ in range(iterations):
        new = (unit_rows @ centres.T).argmax(1)
        if _ and np.array_equal(new, groups):
            break
        groups = new
        for g in range(k):
            inside = unit_rows[groups == g]
            if len(inside):
                mean = inside.sum(0)
                centres[g] = mean / (np.linalg.norm(mean) or 1)
    _, numbered = np.unique(groups, return_inverse=True)
    return numbered


def name(phrases_by_topic: list[list[list[str]]]) -> list[str]:
    """Each topic's most characteristic keyphrases (see the module's docstring)."""
    shown: dict[str, str] = {}
    counts = []
    for papers in phrases_by_topic:
        count: Counter[str] = Counter()
        for paper in papers:
            for phrase in paper:
                key = phrase_key(phrase)
                shown.setdefault(key, phrase)
                count[key] += 1
        counts.append(count)
    having = Counter()
    for count in counts:
        having.update(count)
    total = sum(len(papers) for papers in phrases_by_topic) or 1
    labels = []
    for count in counts:
        scored = sorted(count, key=lambda k: (-(count[k] * math.log(total / having[k])), k))
        chosen: list[str] = []
        for key in scored:
            if count[key] < 2 and chosen:
                break
            if any(key in other or other in key for other in chosen):
                continue
            chosen.append(key)
            if len(chosen) == LABEL_PHRASES:
                break
        labels.append(" · ".join(shown[k] for k in chosen) or "other papers")
    return labels
