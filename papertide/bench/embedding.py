"""The index stage's embedding throughput against the model's own, in the same run.

Raw: the model embeds the texts directly (sorted by length, batches of 32: the best case). Stage:
`run_index` embeds the same papers from the database (reading, hashing, sorting, writing each chunk's
vectors and clearing flags in a transaction, then the vector index). Same texts, same process, one after
the other, so both see the same machine."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class EmbeddingFigures:
    papers: int
    raw_per_second: float
    stage_per_second: float

    @property
    def ratio(self) -> float:
        return self.stage_per_second / self.raw_per_second


def run_embedding_benchmark(papers: int) -> EmbeddingFigures:
    """Needs Django set up on an empty, migrated data directory."""
    from django.conf import settings

    from papertide.demo import demo_feed
    from papertide.papers.upsert import upsert_papers
    from papertide.search.embedder import document_text, get_embedder
    from papertide.search.indexer import EMBEDDING_BATCH, run_index

    records = demo_feed().records[:papers]
    embedder = get_embedder(settings.EMBEDDING_MODEL)
    embedder.embed_documents(["warm up the model"])
    texts = sorted((document_text(r.title, r.abstract) for r in records), key=len)
    started = time.perf_counter()
    embedder.embed_documents(texts, batch_size=EMBEDDING_BATCH)
    raw = len(texts) / (time.perf_counter() - started)

    upsert_papers(records)
    started = time.perf_counter()
    report = run_index(progress=False)
    stage = report.embedded / (time.perf_counter() - started)
    return EmbeddingFigures(report.embedded, raw, stage)
