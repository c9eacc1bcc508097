"""The bundled demo day: one real day of arXiv announcements (2024-11-28, all archives), and the
embeddings of its papers by the bundled model, so a first run needs no model time."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from papertide.sources.arxiv_rss import AnnouncementFeed, parse_announcement_feed

if TYPE_CHECKING:
    from papertide.papers.upsert import UpsertResult

DEMO_FEED_PATH = Path(__file__).with_name("arxiv-rss-2024-11-28.xml.gz")
DEMO_VECTORS_PATH = Path(__file__).with_name("arxiv-rss-2024-11-28.vectors.npz")


def demo_feed() -> AnnouncementFeed:
    return parse_announcement_feed(gzip.decompress(DEMO_FEED_PATH.read_bytes()))


def load_demo_day() -> UpsertResult:
    """Load the demo day through the same parser and upsert path as live ingestion; idempotent."""
    from papertide.papers.upsert import upsert_papers  # needs Django set up; the parser does not

    result = upsert_papers(demo_feed().records)
    load_demo_embeddings()
    return result


def load_demo_embeddings() -> int:
    """Store the shipped embeddings of demo papers that have none yet, if the configured model is the
    one that made them. Each is stamped with the hash of the text it was made from, so a paper whose
    text has changed since is embedded again by the index stage."""
    from django.conf import settings

    from papertide.papers.models import Paper
    from papertide.search.indexer import text_hash
    from papertide.search.models import PaperEmbedding

    shipped = np.load(DEMO_VECTORS_PATH)
    model = str(shipped["model"])
    if settings.EMBEDDING_MODEL != model:
        return 0
    texts = {record.arxiv_id: (record.title, record.abstract) for record in demo_feed().records}
    vectors = shipped["vectors"].astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    paper_ids = dict(Paper.objects.filter(arxiv_id__in=texts, embedding__isnull=True).values_list("arxiv_id", "id"))
    rows = [
        PaperEmbedding(paper_id=paper_ids[arxiv_id], model=model, vector=vector.tobytes(),
                       text_hash=text_hash(*texts[arxiv_id]))
        for arxiv_id, vector in zip(shipped["arxiv_ids"].tolist(), vectors, strict=True)
        if arxiv_id in paper_ids
    ]
    PaperEmbedding.objects.bulk_create(rows, batch_size=500)
    return len(rows)
