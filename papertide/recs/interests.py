"""A reader's interests: clusters of the embeddings of the papers they saved or upvoted, each labelled by its
most characteristic words (no LLM). Found again when those papers change (recs/receivers.py), never on a page
view. A reader who keeps 3D-vision and protein-folding papers gets two interests, not their average.

Clustering is average-link on centred cosine distance, cut at CUT: papers closer than that on average stay
together. Labels are class-based tf-idf (each cluster one document, the site's newest papers one more, so
words every paper uses score low), the best bigram taking the place of its words.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections import Counter

import numpy as np
from django.db import transaction

from papertide.papers.models import Paper
from papertide.recs import actions
from papertide.recs.models import Interest
from papertide.recs.ranking import centred
from papertide.search.service import get_backend

CUT = 0.85  # average centred-cosine distance at which clusters stop merging
LABEL_WORDS = 3
BACKGROUND_PAPERS = 300
_WORD = re.compile(r"[a-z][a-z0-9-]{2,}")
_STOP = frozenset("""
about above after again against all also although among an and any are around as at based be because been
being between both but by can could did do does done due during each either et etc for from further given has
have having here how however if in into is it its itself just many may more most much must new not novel of
on one only or other our out over paper papers per present proposed propose proposes provide provides show
shows shown such than that the their them then there these they this those through thus to two under up upon
use used uses using very via was we well were what when where whether which while who whose why will with
within without work would yet approach approaches method methods result results study studies model models
data problem problems task tasks performance existing achieve achieves art state demonstrate significantly
""".split())


def _terms(text: str) -> list[str]:
    words = [w.strip("-") for w in _WORD.findall(text.lower())]
    words = [w for w in words if len(w) > 2]
    terms = [w for w in words if w not in _STOP]
    terms += [f"{a} {b}" for a, b in itertools.pairwise(words) if a not in _STOP and b not in _STOP]
    return terms


def cluster(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """A cluster number per row; single papers join the closest cluster of two or more."""
    if len(vectors) < 3:
        return np.zeros(len(vectors), dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    shifted = centred(vectors, centre)
    groups = fcluster(linkage(shifted, method="average", metric="cosine"), t=CUT, criterion="distance")
    sizes = Counter(groups)
    big = [g for g in sizes if sizes[g] >= 2]
    if not big:
        return np.zeros(len(vectors), dtype=int)
    centroids = np.array([shifted[groups == g].mean(0) for g in big])
    for row in np.flatnonzero([sizes[g] < 2 for g in groups]):
        groups[row] = big[int((centroids @ shifted[row]).argmax())]
    _, numbered = np.unique(groups, return_inverse=True)
    return numbered


def labels(texts_by_cluster: list[list[str]], background: list[str]) -> list[str]:
    counts = [Counter(t for text in texts for t in _terms(text)) for texts in texts_by_cluster]
    counts.append(Counter(t for text in background for t in _terms(text)))
    total = Counter()
    for c in counts:
        total.update(c)
    average = sum(sum(c.values()) for c in counts) / len(counts)
    found = []
    for c in counts[:-1]:
        size = sum(c.values()) or 1
        scored = sorted(((c[t] / size) * math.log(1 + average / total[t]), t) for t in c if c[t] >= 2 or len(c) < 20)
        chosen: list[str] = []
        for _, term in reversed(scored):
            if any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
            if len(chosen) == LABEL_WORDS:
                break
        found.append(" · ".join(chosen) or "your papers")
    return found


_kept: tuple[float, list[str]] | None = None


def _background() -> list[str]:
    """The site's newest papers, what labels are contrasted with; read again every ten minutes per process."""
    global _kept
    if _kept is None or time.monotonic() - _kept[0] > 600:
        newest = Paper.objects.order_by("-pk").values_list("title", "abstract")[:BACKGROUND_PAPERS]
        _kept = (time.monotonic(), [f"{title}. {abstract}" for title, abstract in newest])
    return _kept[1]


def refresh(user) -> list[Interest]:
    """Cluster the reader's papers again; each new cluster keeps the name and state of the old interest it shares
    most papers with."""
    from papertide.recs.foryou import positives_of

    liked = positives_of(user)
    vectors = get_backend().vectors
    ids, matrix = vectors.rows_of(liked)
    groups = cluster(matrix, vectors.centre()) if len(ids) else np.zeros(0, dtype=int)
    members = [sorted(int(i) for i in ids[groups == g]) for g in range(groups.max() + 1)] if len(ids) else []
    texts = {pk: (title, abstract) for pk, title, abstract in
             Paper.objects.filter(pk__in=[int(i) for i in ids]).values_list("pk", "title", "abstract")}
    background = _background()
    # The title twice: it says what a paper is about more densely than the abstract.
    names = labels([[f"{texts[p][0]}. {texts[p][0]}. {texts[p][1]}" for p in group] for group in members], background)
    with transaction.atomic():
        old = list(Interest.objects.select_for_update().filter(user=user))
        kept = []
        for group, label in sorted(zip(members, names), key=lambda m: -len(m[0])):
            overlap = [(len(set(group) & set(o.papers)), o) for o in old if o not in kept]
            best = max(overlap, key=lambda pair: pair[0], default=(0, None))
            interest = best[1] if best[0] else Interest(user=user)
            interest.label, interest.papers = label, group
            interest.save()
            kept.append(interest)
        Interest.objects.filter(user=user).exclude(pk__in=[i.pk for i in kept]).delete()
    # A new paper may have joined a muted interest, and the reasons name interests: the reader is ranked anew.
    actions.signals_changed(user.pk)
    return kept
