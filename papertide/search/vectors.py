"""The vector index: files derived from the stored embeddings, never the only copy of anything.

`vectors.npy` (float32 unit vectors, one row per paper) and `vectors-ids.npy` (paper ids, ascending)
are memory-mapped, so every web worker shares one copy through the page cache. Below
`exact_threshold` papers a query is one matrix-vector product; above it an HNSW graph
(`vectors.usearch`) answers, updated incrementally from the embeddings changed since the last build.

Each write is a generation: a new folder (`vectors-000042/`) with all three files, made live by one atomic replace
of the manifest (`vectors.json`) that names it. A reader opens the files of the generation its manifest named, so
it never pairs one generation's ids with another's matrix; the writer removes a generation only two writes later,
and a reader that still maps its files keeps them (they are unlinked, not overwritten).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np

MATRIX = "vectors.npy"
IDS = "vectors-ids.npy"
MANIFEST = "vectors.json"
HNSW = "vectors.usearch"
KEPT_GENERATIONS = 3  # the live one and the two before it, for readers that read the manifest just before a write


def _save_array(path: Path, array: np.ndarray) -> None:
    # Through a file object: given a name that does not end in .npy, np.save would append one.
    with open(path, "wb") as fh:
        np.save(fh, array)


def _replace_atomically(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


class VectorIndex:
    kind = "files"

    def __init__(self, directory: Path, *, exact_threshold: int = 20_000) -> None:
        self.directory = directory
        self.exact_threshold = exact_threshold
        self._lock = threading.Lock()
        self._loaded_version: float | None = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.model = ""
        self._hnsw = None

    # Reading

    def _refresh(self) -> None:
        manifest = self.directory / MANIFEST
        version = manifest.stat().st_mtime_ns if manifest.exists() else None
        if version == self._loaded_version:
            return
        with self._lock:
            if version == self._loaded_version:
                return
            if version is None:
                self.ids, self.matrix = np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
                self.model, self._hnsw = "", None
            else:
                info = json.loads(manifest.read_text())
                files = self._files(info)
                self.model = info["model"]
                self.ids = np.load(files / IDS, mmap_mode="r")
                self.matrix = np.load(files / MATRIX, mmap_mode="r")
                self._hnsw = self._open_hnsw(files) if info.get("hnsw") else None
            self._loaded_version = version

    def _files(self, info: dict) -> Path:
        """The folder of the generation a manifest names (before generations: the index folder itself)."""
        return self.directory / info["generation"] if info.get("generation") else self.directory

    @staticmethod
    def _open_hnsw(files: Path):
        from usearch.index import Index

        return Index.restore(str(files / HNSW), view=True)

    def size(self) -> int:
        self._refresh()
        return len(self.ids)

    def model_name(self) -> str:
        self._refresh()
        return self.model

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        self._refresh()
        row = np.searchsorted(self.ids, paper_id)
        if row < len(self.ids) and self.ids[row] == paper_id:
            return np.asarray(self.matrix[row])
        return None

    def rows_of(self, paper_ids) -> tuple[np.ndarray, np.ndarray]:
        """The papers among these that have a vector (ids ascending) and their vectors, one row each."""
        self._refresh()
        wanted = np.unique(np.asarray(list(paper_ids), dtype=np.int64))
        if not len(self.ids) or not len(wanted):
            return np.zeros(0, np.int64), np.zeros((0, self.matrix.shape[1] if self.matrix.ndim == 2 else 0), np.float32)
        rows = np.searchsorted(self.ids, wanted)
        inside = rows < len(self.ids)
        rows, wanted = rows[inside], wanted[inside]
        found = self.ids[rows] == wanted
        return wanted[found], np.asarray(self.matrix[rows[found]])

    def centre(self) -> np.ndarray:
        """The mean of all vectors, computed once per version of the files. Subtracting it before comparing
        papers removes what every paper shares (recs/ranking.py: it measured better on real readers)."""
        self._refresh()
        version = self._loaded_version
        if getattr(self, "_centre_version", None) != version:
            self._centre = np.asarray(self.matrix, dtype=np.float64).mean(0).astype(np.float32) if len(self.ids) \
                else np.zeros(0, np.float32)
            self._centre_version = version
        return self._centre

    def nearest(self, vector: np.ndarray, limit: int, *, among: list[int] | None = None,
                exclude: int | None = None) -> list[tuple[int, float]]:
        """The papers whose vectors are closest to `vector` (cosine): (paper_id, similarity)."""
        self._refresh()
        if not len(self.ids) or limit <= 0:
            return []
        want = limit + (1 if exclude is not None else 0)
        if among is not None:
            ids, matrix = self.rows_of(among)
            scores = matrix @ vector
            order = np.argsort(-scores)[:want]
            found = [(int(ids[i]), float(scores[i])) for i in order]
        elif self._hnsw is not None:
            matches = self._hnsw.search(vector, want)
            found = list(zip(matches.keys.tolist(), (1.0 - matches.distances.astype(np.float64)).tolist()))
        else:
            scores = self.matrix @ vector
            top = np.argpartition(-scores, want)[:want] if len(scores) > want else np.arange(len(scores))
            top = top[np.argsort(-scores[top])]
            found = [(int(self.ids[i]), float(scores[i])) for i in top]
        return [(paper_id, score) for paper_id, score in found if paper_id != exclude][:limit]

    # Writing (the index stage only)

    def write(self, ids: np.ndarray, matrix: np.ndarray, model: str, changed_ids: set[int] | None) -> None:
        """Write these vectors (ids ascending) as a new generation and make it live. `changed_ids` lets the HNSW
        graph be updated from the last generation's; None rebuilds it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        manifest_path = self.directory / MANIFEST
        previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        number = max([_generation_number(path.name) for path in self._generations()], default=0) + 1
        files = self.directory / f"vectors-{number:06d}"
        shutil.rmtree(files, ignore_errors=True)  # a write killed before its manifest: never live, never read
        files.mkdir()
        _save_array(files / MATRIX, matrix.astype(np.float32))
        _save_array(files / IDS, ids.astype(np.int64))
        use_hnsw = len(ids) >= self.exact_threshold
        if use_hnsw:
            self._write_hnsw(files, ids, matrix, previous if previous.get("model") == model else {}, changed_ids)
        info = {"model": model, "count": int(len(ids)), "dimension": int(matrix.shape[1]) if matrix.ndim == 2 else 0,
                "hnsw": use_hnsw, "generation": files.name}
        _replace_atomically(manifest_path, lambda p: p.write_text(json.dumps(info)))
        for old in sorted(self._generations(), key=lambda path: _generation_number(path.name))[:-KEPT_GENERATIONS]:
            shutil.rmtree(old, ignore_errors=True)
        for name in (MATRIX, IDS, HNSW):  # the single-folder layout of earlier versions
            (self.directory / name).unlink(missing_ok=True)

    def _generations(self) -> list[Path]:
        return [path for path in self.directory.glob("vectors-[0-9]*") if path.is_dir()]

    def _write_hnsw(self, files: Path, ids: np.ndarray, matrix: np.ndarray, previous: dict,
                    changed_ids: set[int] | None) -> None:
        from usearch.index import Index

        path = self._files(previous) / HNSW if previous else None
        index = None
        if previous.get("hnsw") and changed_ids is not None and path.exists():
            index = Index.restore(str(path))
            stale = np.array(sorted(changed_ids), dtype=np.uint64)
            if len(stale):
                present = stale[np.asarray(index.contains(stale), dtype=bool)]
                if len(present):
                    index.remove(present)
            missing = ids[~np.asarray(index.contains(ids.astype(np.uint64)), dtype=bool)]
            if len(missing):
                rows = np.searchsorted(ids, missing)
                index.add(missing.astype(np.uint64), np.ascontiguousarray(matrix[rows]))
        if index is None:
            index = Index(ndim=matrix.shape[1], metric="cos", dtype="f32", connectivity=16,
                          expansion_add=128, expansion_search=64)
            index.add(ids.astype(np.uint64), np.ascontiguousarray(matrix, dtype=np.float32))
        index.save(str(files / HNSW))

    def destroy(self) -> None:
        (self.directory / MANIFEST).unlink(missing_ok=True)  # first: no reader opens a generation after this
        for name in (MATRIX, IDS, HNSW):
            (self.directory / name).unlink(missing_ok=True)
        for generation in self._generations():
            shutil.rmtree(generation, ignore_errors=True)
        self._loaded_version = -1  # differs from any file version and from "no file": reload


def _generation_number(name: str) -> int:
    return int(name.rpartition("-")[2])
