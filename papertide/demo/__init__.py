"""The bundled demo day: one real day of arXiv announcements (2024-11-28, all archives), and the
embeddings, keyphrases and topic-map layout of its papers by the bundled model, so a first run needs no model time
and no t-SNE fit. `python -m papertide.demo` writes the keyphrases and map files again (after a change to
topics/keyphrases.py or topics/projection.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from papertide.sources.arxiv_rss import AnnouncementFeed, parse_announcement_feed

if TYPE_CHECKING:
    from papertide.papers.upsert import UpsertResult

DEMO_FEED_PATH = Path(__file__).with_name("arxiv-rss-2024-11-28.xml.gz")
DEMO_VECTORS_PATH = Path(__file__).with_name("arxiv-rss-2024-11-28.vectors.npz")
DEMO_KEYPHRASES_PATH = Path(__file__).with_name("arxiv-rss-2024-11-28.keyphrases.json.gz")
DEMO_MAP_PATH = Path(__file__).with_name("arxiv-rss-2024-11-28.map.npz")


def demo_feed() -> AnnouncementFeed:
    return parse_announcement_feed(gzip.decompress(DEMO_FEED_PATH.read_bytes()))


def load_demo_day() -> UpsertResult:
    """Load the demo day through the same parser and upsert path as live ingestion; idempotent."""
    from papertide.papers.upsert import upsert_papers  # needs Django set up; the parser does not

    result = upsert_papers(demo_feed().records)
    load_demo_embeddings()
    load_demo_keyphrases()
    load_demo_map()
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


def load_demo_keyphrases() -> int:
    """Store the shipped keyphrases of demo papers that have none yet. Each is stamped with the hash of the text
    it was found in, as the index stage does, so a paper whose text has changed gets new ones."""
    from django.conf import settings

    from papertide.papers.models import Paper

    shipped = json.loads(gzip.decompress(DEMO_KEYPHRASES_PATH.read_bytes()))
    if settings.EMBEDDING_MODEL != shipped["model"]:
        return 0
    papers = Paper.objects.filter(arxiv_id__in=shipped["papers"], keyphrases_hash="", embedding__isnull=False)
    stored = 0
    for paper_id, arxiv_id, text_hash in papers.values_list("id", "arxiv_id", "embedding__text_hash"):
        phrases, shipped_hash = shipped["papers"][arxiv_id]
        if shipped_hash == text_hash:
            stored += Paper.objects.filter(pk=paper_id).update(keyphrases=phrases, keyphrases_hash=text_hash)
    return stored


def write_demo_keyphrases() -> int:
    """Write the keyphrases file from a data directory where the demo day was loaded and indexed."""
    from django.conf import settings

    from papertide.papers.models import Paper

    arxiv_ids = {record.arxiv_id for record in demo_feed().records}
    rows = Paper.objects.filter(arxiv_id__in=arxiv_ids).exclude(keyphrases_hash="").order_by("arxiv_id")
    papers = {arxiv_id: [phrases, text_hash] for arxiv_id, phrases, text_hash
              in rows.values_list("arxiv_id", "keyphrases", "keyphrases_hash")}
    body = json.dumps({"model": settings.EMBEDDING_MODEL, "papers": papers}, ensure_ascii=False, sort_keys=True)
    DEMO_KEYPHRASES_PATH.write_bytes(gzip.compress(body.encode(), mtime=0))
    return len(papers)


def load_demo_map() -> int:
    """Write the shipped map of the demo day where the site has no map yet and holds the demo's papers and no
    others (a first run), so the map is there at once instead of after a t-SNE fit (10–30 s on two cores). The
    index stage then finds it up to date; papers ingested later are placed on it as on any map."""
    from django.conf import settings

    from papertide.papers.models import Paper
    from papertide.topics import projection

    if projection.read() is not None or not DEMO_MAP_PATH.exists():  # the file is missing only while it is made
        return 0
    shipped = np.load(DEMO_MAP_PATH)
    model = str(shipped["model"])
    if settings.EMBEDDING_MODEL != model:
        return 0
    arxiv_ids = shipped["arxiv_ids"].tolist()
    pks = dict(Paper.objects.filter(arxiv_id__in=arxiv_ids, embedding__model=model).values_list("arxiv_id", "id"))
    if len(pks) != len(arxiv_ids) or Paper.objects.count() != len(pks):
        return 0  # not a first run: the index stage fits a map of whatever the site holds
    ids = np.array([pks[arxiv_id] for arxiv_id in arxiv_ids], dtype=np.int64)
    order = np.argsort(ids)
    base = np.sort(np.array([pks[arxiv_id] for arxiv_id in shipped["base_arxiv_ids"].tolist()], dtype=np.int64))
    projection.write(ids[order], shipped["xy"][order], shipped["topic"][order], base, model=model,
                     fitted_on=len(ids), regions=json.loads(str(shipped["regions"])))
    return len(ids)


def write_demo_map() -> int:
    """Write the map file from a data directory where the demo day was loaded and its map fitted."""
    from papertide.papers.models import Paper
    from papertide.topics import projection

    found = projection.read()
    base = np.load(projection.directory() / "map-base.npy")
    arxiv_of = dict(Paper.objects.filter(pk__in=found.ids.tolist()).values_list("id", "arxiv_id"))
    with open(DEMO_MAP_PATH, "wb") as handle:
        np.savez_compressed(handle, model=found.info["model"], arxiv_ids=[arxiv_of[int(pk)] for pk in found.ids],
                            xy=found.xy, topic=found.topic, base_arxiv_ids=[arxiv_of[int(pk)] for pk in base],
                            regions=json.dumps(found.info["regions"]))
    return len(found.ids)
