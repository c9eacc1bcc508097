"""Vectors in PostgreSQL (pgvector): the same answers as the files, written in place, rebuilt beside the live table."""

import numpy as np
import pytest
from django.db import connection

from papertide.search import service
from papertide.search.models import VectorTable
from papertide.search.pgvectors import PgVectorIndex
from papertide.search.stored import stored_vectors
from papertide.search.vectors import VectorIndex
from tests.helpers import run_papertide

MODEL = "all-MiniLM-L6-v2"


@pytest.fixture
def pgvector(indexed_demo, db):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL tier (PAPERTIDE_TEST_DATABASE=postgres)")
    vectors = service.get_backend().vectors
    assert vectors.kind == "pgvector"  # chosen by itself: the test database has the extension
    return vectors


def _files_of_the_same_vectors(tmp_path) -> VectorIndex:
    files = VectorIndex(tmp_path, exact_threshold=10**9)
    ids, matrix = stored_vectors(MODEL)
    files.write(ids, matrix, MODEL, None)
    assert files.size() == len(ids)  # loads the files
    return files


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'search\\_vectors\\_%'")
        return {name for (name,) in cursor.fetchall()}


def _has_hnsw(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return any("hnsw" in definition for (definition,) in cursor.fetchall())


def _same(ours, theirs) -> None:
    assert len(ours) == len(theirs) > 0
    assert [found for found, _ in ours] == [found for found, _ in theirs]
    assert np.allclose([score for _, score in ours], [score for _, score in theirs], atol=1e-5)


def test_pgvector_answers_as_the_files_do(pgvector, tmp_path):
    files = _files_of_the_same_vectors(tmp_path)
    assert pgvector.size() == files.size() == 1504 and pgvector.model_name() == MODEL
    assert np.allclose(pgvector.centre(), np.asarray(files.matrix).mean(0), atol=1e-5)
    ids = [int(paper_id) for paper_id in np.asarray(files.ids)[::150]]
    for paper_id in ids:
        vector = files.vector_of(paper_id)
        assert np.array_equal(pgvector.vector_of(paper_id), vector)
        _same(pgvector.nearest(vector, 20, exclude=paper_id), files.nearest(vector, 20, exclude=paper_id))
        among = [int(other) for other in np.asarray(files.ids)[1::7]]
        _same(pgvector.nearest(vector, 10, among=among), files.nearest(vector, 10, among=among))
    assert pgvector.nearest(files.vector_of(ids[0]), 5, among=[]) == []


def test_search_and_similar_papers_read_the_vector_table(pgvector):
    from papertide.papers.models import Paper

    found = service.search("gaussian splatting for dynamic scenes", limit=5)
    assert found.mode == "hybrid" and found.paper_ids
    paper = Paper.objects.get(arxiv_id="2411.18625")
    assert len(service.similar_papers(paper.pk, limit=5)) == 5


def test_above_the_threshold_an_hnsw_graph_answers_with_the_exact_top_papers(pgvector, tmp_path):
    files = _files_of_the_same_vectors(tmp_path)
    graph = PgVectorIndex(exact_threshold=1000)
    assert graph.update(MODEL, None) == 1504
    live = VectorTable.objects.get(live=True)
    assert _has_hnsw(live.name)
    hits = total = 0
    for paper_id in np.asarray(files.ids)[::100]:
        vector = files.vector_of(int(paper_id))
        exact = {found for found, _ in files.nearest(vector, 10)}
        approximate = [found for found, _ in graph.nearest(vector, 10)]
        assert len(approximate) == 10 and approximate[0] == paper_id
        hits, total = hits + len(exact & set(approximate)), total + 10
    assert hits / total >= 0.95
    deep = graph.nearest(files.vector_of(int(files.ids[0])), 200)  # deeper than pgvector's default search depth (40)
    assert len(deep) == 200


def test_an_index_run_writes_in_place_and_a_rebuild_swaps_in_a_new_table(pgvector):
    from papertide.papers.models import Paper
    from papertide.papers.upsert import upsert_papers
    from papertide.search.indexer import run_index
    from papertide.sources.records import PaperRecord

    live = VectorTable.objects.get(live=True)
    upsert_papers([PaperRecord(arxiv_id="2412.99999", source="arxiv-rss", title="Quokka locomotion on sand dunes",
                               abstract="We film quokkas hopping over dunes and model their gait.")])
    report = run_index(progress=False)
    assert report.embedded == 1 and report.vectors == 1505
    assert VectorTable.objects.get(live=True).name == live.name  # in place, not rebuilt
    quokka = Paper.objects.get(arxiv_id="2412.99999")
    assert service.search("marsupial hopping on sand", limit=1).paper_ids == [quokka.pk]

    gone = Paper.objects.exclude(pk=quokka.pk).order_by("pk").first()
    gone.delete()
    assert pgvector.update(MODEL, set()) == 1504  # the rows of papers gone go with the next write
    assert gone.pk not in [found for found, _ in pgvector.nearest(pgvector.vector_of(quokka.pk), 1504)]

    assert pgvector.update(MODEL, None) == 1504
    second = VectorTable.objects.get(live=True)
    assert second.name != live.name and _tables() == {live.name, second.name}  # the one replaced is kept a while
    assert pgvector.update(MODEL, None) == 1504
    third = VectorTable.objects.get(live=True)
    assert _tables() == {second.name, third.name}
    assert service.search("marsupial hopping on sand", limit=1).paper_ids == [quokka.pk]


def test_pgvector_needs_postgresql(tmp_path):
    refused = run_papertide(tmp_path, "check", SEARCH_VECTORS="pgvector")
    assert refused.returncode != 0
    assert "PAPERTIDE_SEARCH_VECTORS=pgvector needs PostgreSQL: set PAPERTIDE_DATABASE_URL" in refused.stderr
