"""Search indexes on a machine that does not index: `papertide index --follow`.

The full-text and vector files live on each machine that serves searches. The machine that runs the worker writes
its own as it indexes (indexer.py: embeddings are stored in the database, the files derived from them). Any other
web machine follows the database instead: it reads the papers and embeddings changed since its last pass (their
`modified_at` and `created_at`, a change feed the database already keeps) and brings its files up to date,
embedding nothing itself. Its first pass builds the files whole. With the vectors in PostgreSQL (pgvector), every
machine reads the same table and only the full-text index is followed.

A write that commits later than its timestamp says (a long transaction) is caught by reading again from a margin
before the last pass; adding a paper twice to the full-text index replaces it, so the overlap costs little.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from papertide import stopping

log = logging.getLogger(__name__)

STATE_FILE = "followed.json"
MARGIN = dt.timedelta(minutes=5)


@dataclass
class Followed:
    full_text: int = 0
    vectors: int = 0  # in the vector files after this pass (0: not rewritten)
    whole: bool = False  # the first pass: everything built
    vectors_shared: bool = False  # pgvector: the vectors are read from the database, nothing to follow

    def __str__(self) -> str:
        what = "built whole" if self.whole else "brought up to date"
        vectors = f"{self.vectors} vectors written" if self.vectors else "vectors unchanged"
        if self.vectors_shared:
            vectors = "vectors read from the database (pgvector)"
        return f"indexes {what} from the database: {self.full_text} papers written to the full-text index, {vectors}"


def _state_path():
    return settings.SEARCH_INDEX_DIR / STATE_FILE


def follow_once() -> Followed:
    """One pass: the papers and embeddings changed since the last one, into this machine's files."""
    from papertide.papers.models import Paper
    from papertide.search.indexer import FIELDS, _all_indexed, _indexed, index_lock, write_vector_index
    from papertide.search.models import PaperEmbedding
    from papertide.search.service import get_backend

    backend = get_backend()
    model = backend.model_name
    report = Followed(vectors_shared=backend.vectors.kind == "pgvector")
    path = _state_path()
    with index_lock():
        started = timezone.now()
        state = json.loads(path.read_text()) if path.exists() else {}
        if state.get("model") != model or backend.fulltext.outdated():
            report.whole = True
            report.full_text = backend.fulltext.replace_with(_all_indexed())
            if not report.vectors_shared:
                report.vectors = write_vector_index(model, None)
        else:
            since = dt.datetime.fromisoformat(state["until"]) - MARGIN
            changed = Paper.objects.filter(modified_at__gte=since).only(*FIELDS).order_by("pk")
            report.full_text = backend.fulltext.add(_indexed(paper) for paper in changed.iterator(chunk_size=2000))
            embedded = set(PaperEmbedding.objects.filter(model=model, created_at__gte=since)
                           .values_list("paper_id", flat=True))
            if embedded and not report.vectors_shared:
                report.vectors = write_vector_index(model, embedded)
        written = path.with_name(path.name + ".tmp")
        written.write_text(json.dumps({"until": started.isoformat(), "model": model}))
        os.replace(written, path)  # a pass killed before this is simply done again
    return report


def follow(every: float) -> None:
    """Pass after pass, `every` seconds apart, until SIGTERM or Ctrl-C."""
    from papertide.search.indexer import IndexBusy

    while not stopping.requested():
        started = time.monotonic()
        try:
            log.info("%s", follow_once())
        except IndexBusy as exc:
            log.info("%s", exc)
        stopping.wait(max(0.0, every - (time.monotonic() - started)))
