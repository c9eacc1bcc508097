"""The index stage: papers marked `index_pending` -> full-text index, embeddings, vector index, keyphrases, map.

Resumable: the full-text pass replaces documents by id; embeddings are committed a chunk at a time and
a paper's flag is cleared only if the paper did not change while it was being embedded. A kill at any
moment leaves the unfinished papers pending, and the next run finishes them. Only one run at a time
(a lock file in the index directory).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import operator
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from papertide import stopping

from papertide.papers.models import Paper
from papertide.search.embedder import document_text, get_embedder
from papertide.search.fulltext import IndexedPaper
from papertide.search.models import PaperEmbedding
from papertide.search.service import get_backend
from papertide.search.stored import stored_vectors
from papertide.topics import projection as topic_map
from papertide.topics import stage as keyphrase_stage

log = logging.getLogger(__name__)

FULL_TEXT_CHUNK = 5_000
EMBEDDING_BATCH = 32


class IndexBusy(Exception):
    """Another `papertide index` run holds the lock."""


@dataclass
class IndexReport:
    full_text: int = 0
    embedded: int = 0
    reused: int = 0
    vectors: int = 0
    keyphrases: int = 0
    mapped: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.full_text} papers written to the full-text index, {self.embedded} embedded "
            f"({self.reused} unchanged embeddings reused), {self.vectors} vectors in the vector index, "
            f"keyphrases found for {self.keyphrases}, {self.mapped} placed on the map, {self.seconds:.1f} s"
        )


def text_hash(title: str, abstract: str) -> str:
    return hashlib.sha1(document_text(title, abstract).encode()).hexdigest()[:16]


@contextmanager
def index_lock() -> Iterator[None]:
    directory = settings.SEARCH_INDEX_DIR
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy("another `papertide index` run is in progress; this one has nothing to do") from None
        yield


def _indexed(paper: Paper) -> IndexedPaper:
    return IndexedPaper(
        paper_id=paper.pk, arxiv_id=paper.arxiv_id, title=paper.title, abstract=paper.abstract,
        authors=paper.authors, categories=paper.categories,
        day=paper.announced_on or (paper.published.date() if paper.published else None),
    )


def _all_indexed() -> Iterator[IndexedPaper]:
    ids = list(Paper.objects.order_by("id").values_list("id", flat=True))
    for chunk in _chunks(ids, FULL_TEXT_CHUNK):
        yield from (_indexed(p) for p in Paper.objects.filter(id__in=chunk).only(*FIELDS))


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


FIELDS = ["id", "arxiv_id", "title", "abstract", "authors", "categories", "announced_on", "published", "modified_at"]


def mark_stale_embeddings(model: str) -> int:
    """Papers embedded by another model, or never embedded, become pending."""
    return (
        Paper.objects.filter(index_pending=False)
        .exclude(embedding__model=model)
        .update(index_pending=True)
    )


def run_index(*, rebuild: bool = False, chunk_size: int = 256, progress: bool = True) -> IndexReport:
    """Bring the indexes up to date with the papers table."""
    started = time.monotonic()
    report = IndexReport()
    backend = get_backend()
    model = backend.model_name
    with index_lock():
        if rebuild:
            # Every embedding is checked again (kept where its text is unchanged); the live indexes keep
            # answering searches until their replacements are written.
            Paper.objects.update(index_pending=True)
        mark_stale_embeddings(model)
        pending = list(Paper.objects.pending_index().order_by("id").values_list("id", flat=True))
        # Full text first: it is fast, so word search covers new papers long before embeddings finish. One of
        # another schema (an upgrade) is rebuilt beside the live one too: it may be in use until the swap.
        if rebuild or backend.fulltext.outdated():
            report.full_text = backend.fulltext.replace_with(_all_indexed())
        else:
            # A full-text index that lags the table (deleted, or reset by a schema change) is refilled whole.
            in_full_text = pending
            if backend.fulltext.count() + len(pending) < Paper.objects.count():
                in_full_text = list(Paper.objects.order_by("id").values_list("id", flat=True))
            for ids in _chunks(in_full_text, FULL_TEXT_CHUNK):
                report.full_text += backend.fulltext.add(_indexed(p) for p in Paper.objects.filter(id__in=ids).only(*FIELDS))

        embedding_since = timezone.now()
        with tqdm(total=len(pending), desc="Embedding papers", unit="paper", disable=not progress) as bar:
            while not stopping.requested():
                ids = _claim(chunk_size)
                if not ids:
                    break  # done, or the rest is claimed by runs elsewhere
                embedded, reused = _embed_chunk(ids, model)
                report.embedded += len(embedded)
                report.reused += reused
                bar.update(len(ids))
        # Embedded by this run or by any other since it began (another worker's embeddings are this machine's
        # vectors too).
        changed = set(PaperEmbedding.objects.filter(model=model, created_at__gte=embedding_since)
                      .values_list("paper_id", flat=True))

        if rebuild or changed or backend.vectors.model_name() != model:
            report.vectors = write_vector_index(model, None if rebuild else changed)
        else:
            report.vectors = backend.vectors.size()
        # Last: keyphrases only decorate pages, while search waits for the stages above.
        if settings.KEYPHRASES:
            report.keyphrases = keyphrase_stage.run(model, chunk=min(keyphrase_stage.CHUNK, chunk_size), progress=progress)
        if settings.TOPIC_MAP:
            report.mapped = topic_map.update(rebuild=rebuild)
    report.seconds = time.monotonic() - started
    return report


CLAIMANT = f"{socket.gethostname()}:{os.getpid()}"


def _claim(size: int) -> list[int]:
    """Take the next `size` pending papers no live run has claimed. On PostgreSQL, runs on several machines skip
    the rows another is claiming (SKIP LOCKED) instead of queuing behind it; SQLite lets one writer in anyway.
    A claim runs out after INDEX_CLAIM_SECONDS; one by a run of this machine that is no longer alive (killed, then
    run again) is taken over at once."""
    now = timezone.now()
    free = Q(index_claimed_until__isnull=True) | Q(index_claimed_until__lt=now)
    dead_here = _dead_claimants_here(now)
    if dead_here:
        free |= Q(index_claimed_by__in=dead_here)
    with transaction.atomic():
        ids = list(Paper.objects.select_for_update(skip_locked=True).filter(free, index_pending=True)
                   .order_by("pk").values_list("pk", flat=True)[:size])
        Paper.objects.filter(pk__in=ids).update(
            index_claimed_until=now + dt.timedelta(seconds=settings.INDEX_CLAIM_SECONDS), index_claimed_by=CLAIMANT)
    return ids


def _dead_claimants_here(now: dt.datetime) -> list[str]:
    host = CLAIMANT.rpartition(":")[0]
    claimants = set(Paper.objects.filter(index_pending=True, index_claimed_until__gte=now,
                                         index_claimed_by__startswith=host + ":")
                    .values_list("index_claimed_by", flat=True).distinct())
    dead = []
    for claimant in claimants - {CLAIMANT}:
        try:
            os.kill(int(claimant.rpartition(":")[2]), 0)
        except ProcessLookupError:
            dead.append(claimant)
        except (ValueError, PermissionError):
            pass  # not a pid, or another user's live process
    return dead


def _embed_chunk(ids: list[int], model: str) -> tuple[list[int], int]:
    papers = list(Paper.objects.filter(id__in=ids).only("id", "title", "abstract", "modified_at"))
    stored = {e.paper_id: e for e in PaperEmbedding.objects.filter(paper_id__in=ids).only("paper_id", "model", "text_hash")}
    hashes = {paper.pk: text_hash(paper.title, paper.abstract) for paper in papers}
    to_embed = [
        paper for paper in papers
        if not (paper.pk in stored and stored[paper.pk].model == model and stored[paper.pk].text_hash == hashes[paper.pk])
    ]
    # Sorted by length, batches pad little: the model's cost follows the longest text in a batch.
    to_embed.sort(key=lambda paper: len(paper.title) + len(paper.abstract))
    vectors = get_embedder(model).embed_documents(
        [document_text(paper.title, paper.abstract) for paper in to_embed], batch_size=EMBEDDING_BATCH
    )
    with transaction.atomic():
        PaperEmbedding.objects.bulk_create(
            [
                PaperEmbedding(paper_id=paper.pk, model=model, vector=vector.astype(np.float32).tobytes(),
                               text_hash=hashes[paper.pk])
                for paper, vector in zip(to_embed, vectors, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["paper"],
            update_fields=["model", "vector", "text_hash", "created_at"],
        )
        # A paper changed since we read it stays pending, for the next claim. A few hundred papers to a statement:
        # SQLite's parser nests each OR one level deeper, up to 1,000.
        for group in _chunks(papers, 200):
            unchanged = reduce(operator.or_, (Q(pk=paper.pk, modified_at=paper.modified_at) for paper in group))
            Paper.objects.filter(unchanged).update(index_pending=False)
        Paper.objects.filter(pk__in=ids).update(index_claimed_until=None, index_claimed_by="")
    return [paper.pk for paper in to_embed], len(papers) - len(to_embed)


def write_vector_index(model: str, changed: set[int] | None) -> int:
    """Bring the vector index up to date with the stored embeddings of `model` (`changed`: the papers embedded since
    the last write; None: all of them). The files are rewritten whole; a pgvector table gets only what changed."""
    vectors = get_backend().vectors
    if vectors.kind == "pgvector":
        return vectors.update(model, changed)
    ids, matrix = stored_vectors(model)
    if not len(ids):
        vectors.destroy()
        return 0
    vectors.write(ids, matrix, model, changed)
    log.info("vector index written: %d vectors (%s)", len(ids), model)
    return len(ids)


def index_in_background() -> None:
    """Start `papertide index` as a separate process (used by `serve` on first run)."""
    import subprocess
    import sys

    log_path = settings.DATA_DIR / "index.log"
    with open(log_path, "ab") as log_file:
        subprocess.Popen(
            [sys.executable, "-m", "papertide", "index", "--no-progress"],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=os.environ.copy(), start_new_session=True,
        )
