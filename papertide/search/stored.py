"""The stored embeddings as arrays: what every vector index is derived from, and what readers' rankings compare."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from papertide.search.models import PaperEmbedding

CHUNK = 10_000


def stored_vectors(model: str, paper_ids: Iterable[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids ascending, one float32 row each) of the papers embedded by `model`: all of them, or those among
    `paper_ids` that have one."""
    rows = PaperEmbedding.objects.filter(model=model)
    if paper_ids is not None:
        wanted = sorted({int(paper_id) for paper_id in paper_ids})
        found = [row for start in range(0, len(wanted), CHUNK)
                 for row in rows.filter(paper_id__in=wanted[start:start + CHUNK]).values_list("paper_id", "vector")]
        found.sort()
        return as_arrays(found, len(found))
    rows = rows.order_by("paper_id").values_list("paper_id", "vector")
    return as_arrays(rows.iterator(chunk_size=CHUNK), rows.count())


def as_arrays(rows, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(paper_id, float32 bytes) rows, ids ascending, as (ids, matrix); at most `count` of them."""
    ids = np.zeros(count, dtype=np.int64)
    matrix = None
    position = -1
    for position, (paper_id, blob) in enumerate(rows):
        if position >= count:  # embedded since the count: left for the next pass
            break
        vector = np.frombuffer(blob, dtype=np.float32)
        if matrix is None:
            matrix = np.zeros((count, len(vector)), dtype=np.float32)
        ids[position], matrix[position] = paper_id, vector
    filled = min(position + 1, count)
    if matrix is None:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    return ids[:filled], matrix[:filled]
