"""The fast numpy query encoder gives the same vectors as sentence-transformers, from the bundled model."""

import numpy as np
import pytest

from papertide.search.bert_numpy import NumpyBertEncoder
from papertide.search.embedder import BUNDLED_MODEL, Embedder, document_text, resolve_model


@pytest.fixture(scope="module")
def embedder():
    return Embedder(BUNDLED_MODEL)


def test_the_bundled_model_loads_offline(embedder):
    assert embedder.dimension == 384


def test_numpy_and_sentence_transformers_agree(embedder, real_feed):
    texts = ["contrastive loss for long-tailed recognition", "x", "Václav Vavryčuk ∑ 量子 🦜"]
    texts += [document_text(r.title, r.abstract) for r in real_feed.records[:24]]
    fast = NumpyBertEncoder(resolve_model(BUNDLED_MODEL)).encode(texts)
    reference = embedder._sentence_transformer.encode(texts, normalize_embeddings=True)
    assert np.min(np.sum(fast * reference, axis=1)) > 0.99999


def test_vectors_are_unit_length_and_batches_do_not_change_them(embedder):
    alone = embedder.embed_query("graph neural networks")
    batched = embedder.embed_documents(["graph neural networks", "a much longer text about something else"])
    assert abs(np.linalg.norm(alone) - 1) < 1e-5
    assert float(alone @ batched[0]) > 0.99999


def test_a_query_asked_again_is_not_embedded_again():
    from papertide.search.embedder import get_embedder

    embedder = get_embedder("all-MiniLM-L6-v2")
    first = embedder.embed_query("sparse attention for long documents")
    assert embedder.embed_query("sparse attention for long documents") is first and not first.flags.writeable
    embedder.forget_queries()
    again = embedder.embed_query("sparse attention for long documents")
    assert again is not first and np.allclose(again, first)
