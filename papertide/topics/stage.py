"""The keyphrase part of the index stage: papers whose keyphrases were found in another text than the one
embedded now (`Paper.keyphrases_hash` != `PaperEmbedding.text_hash`) get new ones.

Resumable like the embeddings: each chunk is written in its own transaction, stamped with the hash of the text
its phrases came from, so a kill loses at most the chunk in flight and the next run starts where this one
stopped. Phrases repeat across papers ("large language models"), so their vectors are kept for the run.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction
from django.db.models import F
from tqdm import tqdm

from papertide.papers.models import Paper
from papertide.search.embedder import get_embedder
from papertide.topics import keyphrases

CHUNK = 64
PHRASE_BATCH = 128
PHRASES_KEPT = 100_000  # phrase vectors kept during a run (1.5 kB each)


def pending() -> list[int]:
    return list(
        Paper.objects.filter(embedding__isnull=False)
        .exclude(keyphrases_hash=F("embedding__text_hash"))
        .order_by("id").values_list("id", flat=True)
    )


class PhraseVectors:
    """Vectors of phrases for one model, each phrase embedded once per run."""

    def __init__(self, model: str) -> None:
        self.embedder = get_embedder(model)
        self.kept: dict[str, np.ndarray] = {}

    def of(self, phrases: list[str]) -> dict[str, np.ndarray]:
        missing = sorted({p for p in phrases if p not in self.kept}, key=len)
        if len(self.kept) + len(missing) > PHRASES_KEPT:
            self.kept.clear()
            missing = sorted(set(phrases), key=len)
        if missing:
            self.kept.update(zip(missing, self.embedder.embed_documents(missing, batch_size=PHRASE_BATCH), strict=True))
        return self.kept


def find(title: str, abstract: str, document: np.ndarray, vectors: PhraseVectors) -> list[str]:
    found = keyphrases.candidates(title, abstract)
    if not found.phrases:
        return []
    known = vectors.of(found.phrases)
    return keyphrases.rank(document, found, np.array([known[p] for p in found.phrases]))


def run(model: str, *, chunk: int = CHUNK, progress: bool = True) -> int:
    """Find keyphrases for every paper that needs them, `chunk` papers a transaction; the number of papers done."""
    ids = pending()
    vectors = PhraseVectors(model)
    done = 0
    with tqdm(total=len(ids), desc="Finding keyphrases", unit="paper", disable=not progress) as bar:
        for start in range(0, len(ids), chunk):
            done += _chunk(ids[start:start + chunk], model, vectors)
            bar.update(min(chunk, len(ids) - start))
    return done


def _chunk(ids: list[int], model: str, vectors: PhraseVectors) -> int:
    rows = (
        Paper.objects.filter(id__in=ids, embedding__model=model)
        .values_list("id", "title", "abstract", "embedding__vector", "embedding__text_hash")
    )
    found = [
        (paper_id, find(title, abstract, np.frombuffer(blob, dtype=np.float32), vectors), text_hash)
        for paper_id, title, abstract, blob, text_hash in rows
    ]
    with transaction.atomic():
        for paper_id, phrases, text_hash in found:
            Paper.objects.filter(pk=paper_id).update(keyphrases=phrases, keyphrases_hash=text_hash)
    return len(found)
