"""The 2-D map of all papers: a t-SNE layout (openTSNE) of a sample of the embeddings, with every other paper
placed at the weighted mean of its closest neighbours in the sample. New papers are placed the same way by the
index stage, without moving anything already on the map; the layout is fitted again only when the site has grown
to REFIT_GROWTH times the papers it was fitted on (or on `papertide index --rebuild`).

Files beside the vector index (written to temporary names, the manifest last, each replaced in one step):
`map-ids.npy` (paper ids, ascending), `map-xy.npy` (float32, in [0, 1]), `map-topic.npy` (uint8, the region each
paper is in) and `map.json` (model, counts, and the regions' names and centres, named by their keyphrases).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from papertide.papers.models import Paper
from papertide.recs.ranking import centred
from papertide.search.service import get_backend
from papertide.topics.daily import cluster, name

log = logging.getLogger(__name__)
logging.getLogger("openTSNE").setLevel(logging.WARNING)  # it logs its choice of gradient method at INFO, every run

SAMPLE = 20_000  # papers the layout is fitted on (about a minute on two cores)
NEIGHBOURS = 10
REFIT_GROWTH = 2.0
CHUNK = 4096
MIN_PAPERS = 30


@dataclass
class MapFiles:
    ids: np.ndarray
    xy: np.ndarray
    topic: np.ndarray
    info: dict

    @property
    def version(self) -> str:
        return str(self.info.get("version", ""))


def directory() -> Path:
    return settings.SEARCH_INDEX_DIR


def read() -> MapFiles | None:
    manifest = directory() / "map.json"
    if not manifest.exists():
        return None
    info = json.loads(manifest.read_text())
    folder = directory()
    found = MapFiles(np.load(folder / "map-ids.npy"), np.load(folder / "map-xy.npy"), np.load(folder / "map-topic.npy"),
                     info)
    if not len(found.ids) == len(found.xy) == len(found.topic) == info.get("count"):
        # An update killed between two files: no map until the next index run draws it again.
        log.warning("map: the files disagree (an update was interrupted); it is drawn again at the next index run")
        return None
    return found


def _save(name: str, array: np.ndarray) -> None:
    path = directory() / name
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, array)
    os.replace(tmp, path)


def update(*, rebuild: bool = False) -> int:
    """Bring the map up to date with the vector index; the number of papers placed (0: nothing to do)."""
    vectors = get_backend().vectors
    if vectors.size() < MIN_PAPERS:  # size() also loads the newest files
        return 0
    ids = np.asarray(vectors.ids)
    if len(ids) < MIN_PAPERS:
        return 0
    old = None if rebuild else read()
    if old is not None and (old.info.get("model") != vectors.model_name()
                            or len(ids) >= REFIT_GROWTH * old.info.get("fitted_on", 0)):
        old = None
    if old is not None and np.array_equal(old.ids, ids):
        return 0
    started = time.monotonic()
    centre = vectors.centre()
    if old is None:
        xy, base, placed = _fit(ids, vectors, centre)
        base_ids = ids[base]
    else:
        base_ids = np.load(directory() / "map-base.npy")
        keep = np.isin(old.ids, ids)
        known_ids, known_xy = old.ids[keep], old.xy[keep]
        new_ids = np.setdiff1d(ids, known_ids)
        base_ids = base_ids[np.isin(base_ids, known_ids)]
        base_rows = np.searchsorted(ids, base_ids)
        base_xy = known_xy[np.searchsorted(known_ids, base_ids)]
        new_xy = _place(np.asarray(vectors.matrix[np.searchsorted(ids, new_ids)]), np.asarray(vectors.matrix[base_rows]),
                        base_xy, centre)
        order = np.argsort(np.concatenate([known_ids, new_ids]))
        xy = np.concatenate([known_xy, new_xy])[order]
        placed = len(new_ids)
    topic, regions = _regions(ids, xy, vectors, centre, base_ids)
    fitted_on = len(ids) if old is None else old.info["fitted_on"]  # the site's size then, not the sample's
    write(ids, xy, topic, base_ids, model=vectors.model_name(), fitted_on=fitted_on, regions=regions)
    log.info("map: %d papers placed (%d on the map) in %.1f s", placed, len(ids), time.monotonic() - started)
    return placed


def write(ids: np.ndarray, xy: np.ndarray, topic: np.ndarray, base_ids: np.ndarray, *, model: str, fitted_on: int,
          regions: list[dict]) -> None:
    """Replace the map's files, the manifest last (`read` checks that the files agree with it)."""
    directory().mkdir(parents=True, exist_ok=True)
    _save("map-ids.npy", ids.astype(np.int64))
    _save("map-xy.npy", xy.astype(np.float32))
    _save("map-topic.npy", topic.astype(np.uint8))
    _save("map-base.npy", base_ids.astype(np.int64))
    info = {"model": model, "count": int(len(ids)), "fitted_on": int(fitted_on),
            "version": f"{len(ids)}-{int(time.time() * 1000)}", "regions": regions}
    tmp = directory() / "map.json.tmp"
    tmp.write_text(json.dumps(info))
    os.replace(tmp, directory() / "map.json")


def _fit(ids: np.ndarray, vectors, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    from openTSNE import TSNE

    rng = np.random.default_rng(0)
    base = np.sort(rng.choice(len(ids), size=min(SAMPLE, len(ids)), replace=False))
    sample = centred(np.asarray(vectors.matrix[base]), centre)
    layout = np.asarray(TSNE(n_jobs=2, random_state=0, metric="cosine", perplexity=min(30, (len(base) - 1) / 3),
                             verbose=False).fit(sample))
    layout -= layout.min(0)
    layout /= layout.max() or 1
    layout += (1 - layout.max(0)) / 2  # centred in the unit square, the aspect kept
    xy = np.zeros((len(ids), 2), dtype=np.float32)
    xy[base] = layout
    rest = np.setdiff1d(np.arange(len(ids)), base)
    if len(rest):
        xy[rest] = _place(np.asarray(vectors.matrix[rest]), np.asarray(vectors.matrix[base]), layout, centre)
    return xy, base, len(ids)


def _place(new: np.ndarray, base: np.ndarray, base_xy: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Each new paper at the similarity-weighted mean of its NEIGHBOURS closest papers of the sample."""
    if not len(new):
        return np.zeros((0, 2), dtype=np.float32)
    base = centred(base, centre)
    out = np.zeros((len(new), 2), dtype=np.float32)
    k = min(NEIGHBOURS, len(base))
    for start in range(0, len(new), CHUNK):
        sims = centred(new[start:start + CHUNK], centre) @ base.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        weights = np.exp(np.take_along_axis(sims, top, axis=1) * 10)
        weights /= weights.sum(1, keepdims=True)
        out[start:start + CHUNK] = np.einsum("nk,nkd->nd", weights, base_xy[top])
    return out


def _regions(ids: np.ndarray, xy: np.ndarray, vectors, centre: np.ndarray, base_ids: np.ndarray):
    """Regions of the map for its labels and colours: k-means of the sample, every paper in its closest region,
    each named by its keyphrases and placed at the median of its papers."""
    count = int(np.clip(round(len(base_ids) / 1500), 6, 40))
    base_rows = np.searchsorted(ids, base_ids)
    sample = centred(np.asarray(vectors.matrix[base_rows]), centre)
    groups = cluster(sample, count)
    centres = np.array([sample[groups == g].mean(0) for g in range(groups.max() + 1)])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-9)
    topic = np.zeros(len(ids), dtype=np.uint8)
    for start in range(0, len(ids), CHUNK):
        topic[start:start + CHUNK] = (centred(np.asarray(vectors.matrix[start:start + CHUNK]), centre) @ centres.T).argmax(1)
    phrases = dict(Paper.objects.filter(pk__in=base_ids.tolist()).values_list("pk", "keyphrases"))
    labels = name([[phrases.get(int(p)) or [] for p in base_ids[groups == g]] for g in range(len(centres))])
    regions = []
    for g, label in enumerate(labels):
        inside = xy[topic == g]
        if len(inside):
            x, y = np.median(inside, axis=0)
            regions.append({"label": label, "x": round(float(x), 4), "y": round(float(y), 4), "count": int(len(inside))})
        else:
            regions.append({"label": label, "x": 0.5, "y": 0.5, "count": 0})
    return topic, regions
