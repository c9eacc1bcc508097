"""The vector index in PostgreSQL (pgvector): one copy for every machine of a site, no files.

It answers what search/vectors.py's files answer (nearest papers, a paper's vector, the centre of all vectors), so
search, similar papers, "For you" and the topics use either. Like the files it is derived from the stored
embeddings (search_paperembedding) and can be rebuilt from them at any time.

- The vectors live in a table of their own, `search_vectors_<n>` (`paper_id`, `embedding vector(<dimension>)`).
  Its dimension is the model's, so the index stage makes it, not a migration; `search_vectortable` names the live
  one.
- An index run writes what it embedded in one transaction (the changed papers' rows deleted, their vectors
  copied in, the rows of papers gone deleted): a search sees the index before or after, never half of it.
- A rebuild (`index --rebuild`, another model) fills a new table beside the live one and makes it live in one
  transaction. The table it replaced is dropped at the rebuild after, long after any search that read its name.
- Writers take turns through an advisory lock, whichever machine they run on.
- Below PAPERTIDE_SEARCH_EXACT_THRESHOLD vectors the table has no HNSW index and every search is exact, as with the
  files; from it on an HNSW index (cosine) answers, searched as deep as the number of candidates asked for.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from papertide.search.models import PaperEmbedding, VectorTable
from papertide.search.stored import as_arrays, stored_vectors

log = logging.getLogger(__name__)

EXTENSION = "vector"
WRITER_LOCK = 0x70617065727674  # pg_advisory_lock key: one writer of the vector tables at a time
MAX_EF_SEARCH = 1000  # pgvector's largest hnsw.ef_search
COPY_CHUNK = 10_000
TABLE_PREFIX = "search_vectors_"
KEPT_VECTORS = 100_000  # papers' vectors kept per process for rankings (150 MB at 384 dimensions)


class PgVectorUnavailable(Exception):
    """The database has no pgvector extension."""


def available() -> bool:
    """Whether pgvector is installed in this database (`CREATE EXTENSION vector`, done by `papertide migrate`)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [EXTENSION])
        return cursor.fetchone() is not None


def literal(vector: np.ndarray) -> str:
    """A vector as pgvector reads it in a query parameter."""
    return "[" + ",".join(f"{value:.8g}" for value in np.asarray(vector, dtype=np.float32).tolist()) + "]"


def _parsed(text: str) -> np.ndarray:
    return np.array(text.strip("[]").split(","), dtype=np.float32)


def _copy_stream(ids: np.ndarray, matrix: np.ndarray) -> bytes:
    """Rows in COPY's binary format, built whole by numpy: (paper_id bigint, embedding vector), pgvector's binary
    form being its dimension, a reserved 16 bits, then the floats, all big-endian."""
    dimension = matrix.shape[1]
    row = np.dtype([("fields", ">i2"), ("id_size", ">i4"), ("id", ">i8"), ("vector_size", ">i4"),
                    ("dimension", ">u2"), ("unused", ">u2"), ("vector", ">f4", (dimension,))])
    rows = np.zeros(len(ids), dtype=row)
    rows["fields"], rows["id_size"], rows["id"] = 2, 8, ids
    rows["vector_size"], rows["dimension"], rows["vector"] = 4 + 4 * dimension, dimension, matrix
    return rows.tobytes()


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


def _copy_in(table: str, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> int:
    """One COPY per chunk: the connection reads the next chunk between them (it cannot while a COPY is open)."""
    written = 0
    for ids, matrix in chunks:
        if not len(ids):
            continue
        with connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY {table} (paper_id, embedding) FROM STDIN (FORMAT BINARY)") as pipe:
            pipe.write(COPY_HEADER + _copy_stream(ids, matrix) + COPY_TRAILER)
        written += len(ids)
    return written


def _stored_chunks(model: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every stored embedding of `model`, a chunk at a time (a million papers never sit in memory at once)."""
    after = -1
    while True:
        rows = list(PaperEmbedding.objects.filter(model=model, paper_id__gt=after).order_by("paper_id")
                    .values_list("paper_id", "vector")[:COPY_CHUNK])
        if not rows:
            return
        yield as_arrays(rows, len(rows))
        after = rows[-1][0]


@dataclass(frozen=True)
class Live:
    name: str
    model: str
    dimension: int
    count: int
    centre: bytes
    written_at: object


class PgVectorIndex:
    kind = "pgvector"

    def __init__(self, *, exact_threshold: int = 20_000) -> None:
        self.exact_threshold = exact_threshold
        self._loaded: tuple[tuple, np.ndarray, np.ndarray] | None = None
        self._kept: tuple[tuple | None, dict[int, np.ndarray | None]] = (None, {})

    # Reading

    def _live(self) -> Live | None:
        """The live table, read at every call (one indexed row, plain SQL: a search asks for it several times)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, model, dimension, count, centre, written_at "
                           f"FROM {VectorTable._meta.db_table} WHERE live")
            row = cursor.fetchone()
        return Live(*row) if row else None

    def size(self) -> int:
        live = self._live()
        return live.count if live else 0

    def model_name(self) -> str:
        live = self._live()
        return live.model if live else ""

    def live_table(self) -> str:
        live = self._live()
        return live.name if live else ""

    def kind_of_search(self) -> str:
        return "HNSW" if self.size() >= self.exact_threshold else "exact"

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        ids, matrix = self.rows_of([paper_id])
        return matrix[0] if len(ids) else None

    def rows_of(self, paper_ids) -> tuple[np.ndarray, np.ndarray]:
        """The papers among these that have a vector (ids ascending) and their vectors: read from the stored
        embeddings, which the live table copies, and kept in this process until the table is written again (a
        reader's ranking compares the same few thousand papers at every page)."""
        live = self._live()
        if live is None:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        version = (live.name, live.written_at)
        if self._kept[0] != version or len(self._kept[1]) > KEPT_VECTORS:
            self._kept = (version, {})
        kept = self._kept[1]
        wanted = sorted({int(paper_id) for paper_id in paper_ids})
        missing = [paper_id for paper_id in wanted if paper_id not in kept]
        if missing:
            ids, matrix = stored_vectors(live.model, missing)
            kept.update(dict.fromkeys(missing))  # papers without a vector: not asked for again
            kept.update(zip(ids.tolist(), matrix, strict=True))
        have = [paper_id for paper_id in wanted if kept.get(paper_id) is not None]
        if not have:
            return np.zeros(0, np.int64), np.zeros((0, live.dimension), np.float32)
        return np.array(have, dtype=np.int64), np.stack([kept[paper_id] for paper_id in have])

    def centre(self) -> np.ndarray:
        live = self._live()
        return np.frombuffer(bytes(live.centre), dtype=np.float32) if live else np.zeros(0, np.float32)

    @property
    def ids(self) -> np.ndarray:
        return self._all()[0]

    @property
    def matrix(self) -> np.ndarray:
        return self._all()[1]

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every vector in memory, for the topic map (the worker's machine): loaded again after each write."""
        live = self._live()
        version = (live.name, live.count, live.written_at) if live else None
        if self._loaded is None or self._loaded[0] != version:
            arrays = stored_vectors(live.model) if live else (np.zeros(0, np.int64), np.zeros((0, 0), np.float32))
            self._loaded = (version, *arrays)
        return self._loaded[1], self._loaded[2]

    def nearest(self, vector: np.ndarray, limit: int, *, among: list[int] | None = None,
                exclude: int | None = None) -> list[tuple[int, float]]:
        """The papers whose vectors are closest to `vector` (cosine): (paper_id, similarity)."""
        live = self._live()
        if live is None or limit <= 0 or (among is not None and not among):
            return []
        want = limit + (1 if exclude is not None else 0)
        query = literal(vector)
        with connection.cursor() as cursor:
            if among is not None:
                # Materialized: scored exactly among these papers, never by the HNSW graph with a filter after it
                # (which would find fewer than asked).
                cursor.execute(
                    f"WITH scored AS MATERIALIZED (SELECT paper_id, embedding <=> %s::vector AS distance "
                    f"FROM {live.name} WHERE paper_id = ANY(%s)) "
                    f"SELECT paper_id, 1 - distance FROM scored ORDER BY distance, paper_id LIMIT %s",
                    [query, list(among), want])
            else:
                cursor.execute(f"SET hnsw.ef_search = {min(MAX_EF_SEARCH, max(40, want))}")
                cursor.execute(f"SELECT paper_id, 1 - (embedding <=> %s::vector) FROM {live.name} "
                               f"ORDER BY embedding <=> %s::vector LIMIT %s", [query, query, want])
            found = cursor.fetchall()
        return [(paper_id, float(score)) for paper_id, score in found if paper_id != exclude][:limit]

    # Writing (the index stage only)

    def update(self, model: str, changed: set[int] | None) -> int:
        """Bring the live table up to date with the stored embeddings of `model`: the `changed` papers, or all of
        them (None: a rebuild). The number of vectors in the live table after."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [WRITER_LOCK])
        try:
            live = VectorTable.objects.filter(live=True).first()
            if changed is None or live is None or live.model != model:
                return self._rebuild(model)
            return self._add(live, changed)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [WRITER_LOCK])

    def _rebuild(self, model: str) -> int:
        first = PaperEmbedding.objects.filter(model=model).order_by("paper_id").values_list("vector", flat=True)[:1]
        if not first:
            self.destroy()
            return 0
        return self.build(model, len(first[0]) // 4, _stored_chunks(model))

    def build(self, model: str, dimension: int, chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> int:
        """Fill a new table with these vectors (chunks of ids and rows) and make it live: a rebuild, or
        `bench search` loading its synthetic papers. The caller holds the writer lock or is alone."""
        table = VectorTable.objects.create(name="", model=model, dimension=dimension, centre=b"")
        table.name = f"{TABLE_PREFIX}{table.pk}"
        table.save(update_fields=["name"])  # before the table exists: a killed build leaves a row to drop it by
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {table.name} (paper_id bigint PRIMARY KEY, "
                           f"embedding vector({dimension}) NOT NULL)")
        count = _copy_in(table.name, chunks)
        self._index_if_large(table.name, count)
        with transaction.atomic():
            VectorTable.objects.filter(live=True).update(live=False, retired_at=timezone.now())
            self._finish(table, count, live=True)
        self._drop_old(table)
        log.info("vector table %s built: %d vectors (%s)", table.name, count, model)
        return count

    def _add(self, live: VectorTable, changed: set[int]) -> int:
        with transaction.atomic(), connection.cursor() as cursor:
            if changed:
                cursor.execute(f"DELETE FROM {live.name} WHERE paper_id = ANY(%s)", [sorted(changed)])
                _copy_in(live.name, [stored_vectors(live.model, changed)])
            cursor.execute(f"DELETE FROM {live.name} AS v WHERE NOT EXISTS (SELECT 1 FROM "
                           f"{PaperEmbedding._meta.db_table} AS e WHERE e.paper_id = v.paper_id AND e.model = %s)",
                           [live.model])
            cursor.execute(f"SELECT count(*) FROM {live.name}")
            count = cursor.fetchone()[0]
            self._index_if_large(live.name, count)
            self._finish(live, count, live=True)
        return count

    def _index_if_large(self, table: str, count: int) -> None:
        if count < self.exact_threshold:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE tablename = %s", [table])
            if len(cursor.fetchall()) > 1:  # the primary key's, and the HNSW graph's
                return
            cursor.execute("SET maintenance_work_mem = '1GB'")  # the graph built in memory: several times faster
            cursor.execute(f"CREATE INDEX {table}_hnsw ON {table} USING hnsw (embedding vector_cosine_ops)")
            cursor.execute("RESET maintenance_work_mem")

    def _finish(self, table: VectorTable, count: int, *, live: bool) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT avg(embedding)::text FROM {table.name}")
            average = cursor.fetchone()[0]
        table.centre = _parsed(average).tobytes() if average else b""
        table.count, table.live = count, live
        table.save(update_fields=["centre", "count", "live", "written_at"])

    def _drop_old(self, live: VectorTable) -> None:
        """Drop every table but the live one and the one it replaced, and tables no row names (a database emptied
        around them)."""
        kept = {live.pk}
        previous = VectorTable.objects.filter(retired_at__isnull=False).order_by("-retired_at").first()
        if previous:
            kept.add(previous.pk)
        named = set()
        for table in VectorTable.objects.all():
            if table.pk in kept:
                named.add(table.name)
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {table.name}")
            table.delete()
        for name in _vector_tables():
            if name not in named:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {name}")

    def destroy(self) -> None:
        """No live table and none kept: the next index run builds one."""
        with connection.cursor() as cursor:
            for name in _vector_tables():
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
        VectorTable.objects.all().delete()
        self._loaded, self._kept = None, (None, {})


def _vector_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE %s",
                       [TABLE_PREFIX.replace("_", r"\_") + "%"])
        return [name for (name,) in cursor.fetchall()]
