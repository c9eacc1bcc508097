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


def test_vectors_are_unit_length_and_batches_do_not_change_them():
    embedder = Embedder(BUNDLED_MODEL, int8_queries=False)
    alone = embedder.embed_query("graph neural networks")
    batched = embedder.embed_documents(["graph neural networks", "a much longer text about something else"])
    assert abs(np.linalg.norm(alone) - 1) < 1e-5
    assert float(alone @ batched[0]) > 0.99999


def test_int8_query_vectors_stay_close_to_float32_and_find_the_same_papers(embedder, real_feed):
    """Where int8 matrix products are the faster path, queries are embedded with them; their vectors (short
    queries, titles, a pasted abstract longer than the model reads) stay close to sentence-transformers' and rank
    the same papers first. (Checked on every CPU, whichever path it is faster on.)"""
    from papertide.search.bert_int8 import Int8QueryEncoder

    records = real_feed.records[:60]
    documents = embedder.embed_documents([document_text(r.title, r.abstract) for r in records])
    queries = ["contrastive loss for long-tailed recognition", "x", "Václav Vavryčuk ∑ 量子 🦜"]
    queries += [r.title for r in records[:30]] + [" ".join(r.abstract for r in records[:4])]
    reference = Embedder(BUNDLED_MODEL, int8_queries=False)
    int8 = Int8QueryEncoder(reference._numpy_encoder, only_if_faster=False)
    fast = np.stack([int8.encode([q])[0] for q in queries])
    exact = np.stack([reference.embed_query(q) for q in queries])
    assert np.allclose(np.linalg.norm(fast, axis=1), 1, atol=1e-5)
    assert np.min(np.sum(fast * exact, axis=1)) > 0.99
    titles = slice(3, 33)
    assert np.array_equal(np.argmax(fast[titles] @ documents.T, axis=1), np.argmax(exact[titles] @ documents.T, axis=1))
    overlap = [len(set(np.argsort(-f @ documents.T)[:5]) & set(np.argsort(-e @ documents.T)[:5]))
               for f, e in zip(fast, exact)]
    assert np.mean(overlap) >= 4.5


def test_a_torch_without_int8_products_embeds_queries_in_float32(monkeypatch, caplog):
    """On a CPU or torch build whose int8 product fails, queries are embedded in float32 (said in the log), with the
    same vectors as sentence-transformers, instead of failing every search."""
    import torch

    def unsupported(*args, **kwargs):
        raise RuntimeError("_int_mm is not implemented for this CPU")

    monkeypatch.setattr(torch, "_int_mm", unsupported)
    monkeypatch.setattr("papertide.search.embedder.only_avx2", lambda: False)
    embedder = Embedder(BUNDLED_MODEL)
    with caplog.at_level("INFO", logger="papertide.search.embedder"):
        vector = embedder.embed_query("graph neural networks")
    assert embedder.query_path == "float32 numpy"
    assert "query embedding in float32: _int_mm is not implemented for this CPU" in caplog.text
    reference = embedder._sentence_transformer.encode(["graph neural networks"], normalize_embeddings=True)[0]
    assert float(vector @ reference) > 0.99999


def test_where_int8_products_are_slower_queries_are_embedded_in_float32(monkeypatch, caplog):
    """A CPU without VNNI runs torch's int8 product ~15x slower than float32 (AVX2 EPYCs: 320 against 20 ms a
    query): each process times both paths and keeps the faster. Here each int8 product is made 5 ms slower."""
    import time

    import torch

    real = torch._int_mm

    def slow(*args, **kwargs):
        time.sleep(0.005)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "_int_mm", slow)
    monkeypatch.setattr("papertide.search.embedder.only_avx2", lambda: False)  # time it whatever this CPU is
    embedder = Embedder(BUNDLED_MODEL)
    with caplog.at_level("INFO", logger="papertide.search.embedder"):
        vector = embedder.embed_query("graph neural networks")
    assert embedder.query_path == "float32 numpy"
    assert "query embedding in float32: int8 matrix products are slower than float32 on this CPU" in caplog.text
    assert float(vector @ Embedder(BUNDLED_MODEL, int8_queries=False).embed_query("graph neural networks")) > 0.99999


def test_a_cpu_with_avx2_at_best_embeds_queries_in_float32_without_timing_int8(monkeypatch, caplog):
    """Where int8 is known to lose (an x86 CPU without AVX-512 or VNNI), torch is not loaded to time it."""
    from papertide.search import bert_int8

    def not_here(*args, **kwargs):
        raise AssertionError("the int8 encoder was loaded")

    monkeypatch.setattr("papertide.search.embedder.only_avx2", lambda: True)
    monkeypatch.setattr(bert_int8, "Int8QueryEncoder", not_here)
    embedder = Embedder(BUNDLED_MODEL)
    with caplog.at_level("INFO", logger="papertide.search.embedder"):
        vector = embedder.embed_query("graph neural networks")
    assert embedder.query_path == "float32 numpy"
    assert "query embedding in float32: this CPU has AVX2 at best" in caplog.text
    assert abs(np.linalg.norm(vector) - 1) < 1e-5


def test_a_query_asked_again_is_not_embedded_again():
    from papertide.search.embedder import get_embedder

    embedder = get_embedder("all-MiniLM-L6-v2")
    first = embedder.embed_query("sparse attention for long documents")
    assert embedder.embed_query("sparse attention for long documents") is first and not first.flags.writeable
    embedder.forget_queries()
    again = embedder.embed_query("sparse attention for long documents")
    assert again is not first and np.allclose(again, first)


def test_a_gpu_torch_cannot_use_stops_indexing_with_what_to_do(tmp_path):
    """PAPERTIDE_EMBEDDING_DEVICE=cuda on a machine whose torch has no CUDA: a clear error, not hours on the CPU."""
    from tests.helpers import run_papertide

    assert run_papertide(tmp_path, "demo").returncode == 0
    run = run_papertide(tmp_path, "manage", "shell", "-c", "from papertide.papers.models import Paper; "
                        "Paper.objects.filter(pk__in=Paper.objects.order_by('pk').values('pk')[:3])"
                        ".update(title='Changed')")
    assert run.returncode == 0, run.stderr
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine's torch can use CUDA")
    indexed = run_papertide(tmp_path, "index", "--no-progress", EMBEDDING_DEVICE="cuda", TOPIC_MAP="false")
    assert indexed.returncode != 0
    assert "PAPERTIDE_EMBEDDING_DEVICE=cuda, but this torch" in indexed.stderr and "Traceback" not in indexed.stderr
    refused = run_papertide(tmp_path, "index", EMBEDDING_DEVICE="gpu")
    assert refused.returncode != 0 and "use cpu, cuda, cuda:N or mps" in refused.stderr
