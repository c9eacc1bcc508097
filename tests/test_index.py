"""The index stage: resumable, idempotent, re-embeds only what changed."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from django.test import override_settings

from papertide.demo import load_demo_day
from papertide.papers.models import Paper
from papertide.papers.upsert import upsert_papers
from papertide.search import service
from papertide.search.fulltext import FullTextIndex
from papertide.search.indexer import run_index
from papertide.search.models import PaperEmbedding
from papertide.sources.records import PaperRecord
from tests.helpers import cut_feed, papertide_env, run_papertide


def small_feed(tmp_path, items: int):
    path = tmp_path / "small.xml"
    path.write_bytes(cut_feed(items))
    return path


@pytest.fixture
def index_dir(tmp_path):
    with override_settings(SEARCH_INDEX_DIR=tmp_path / "index"):
        service.get_backend.cache_clear()
        yield tmp_path / "index"
    service.get_backend.cache_clear()


@pytest.mark.django_db
def test_a_second_run_has_nothing_to_do(index_dir):
    load_demo_day()
    first = run_index(progress=False)
    assert (first.full_text, first.vectors) == (1504, 1504)
    second = run_index(progress=False)
    assert (second.full_text, second.embedded) == (0, 0)
    assert FullTextIndex(index_dir / "fulltext").count() == 1504


@pytest.mark.django_db
def test_a_changed_abstract_is_embedded_again_and_only_that_paper(index_dir):
    load_demo_day()
    run_index(progress=False)
    before = PaperEmbedding.objects.get(paper__arxiv_id="2411.18625").vector
    upsert_papers([PaperRecord(arxiv_id="2411.18625", source="arxiv-api", version=2,
                               abstract="We study the migration patterns of arctic terns.")])
    report = run_index(progress=False)
    assert (report.full_text, report.embedded) == (1, 1)
    assert PaperEmbedding.objects.get(paper__arxiv_id="2411.18625").vector != before
    top = service.search("migration of arctic birds", limit=1).paper_ids
    assert Paper.objects.get(id=top[0]).arxiv_id == "2411.18625"


@pytest.mark.django_db
def test_a_paper_edited_while_its_chunk_is_embedded_is_embedded_again_with_its_new_text(index_dir, monkeypatch):
    from papertide.search.embedder import Embedder

    load_demo_day()
    embed = Embedder.embed_documents
    edited = []

    def edited_meanwhile(self, texts, **options):
        if not edited:  # an import lands while the first chunk is embedded
            upsert_papers([PaperRecord(arxiv_id="2411.18625", source="arxiv-api", version=2,
                                       abstract="We study the migration patterns of arctic terns.")])
            edited.append(True)
        return embed(self, texts, **options)

    monkeypatch.setattr(Embedder, "embed_documents", edited_meanwhile)
    report = run_index(chunk_size=2000, progress=False)  # one chunk: every paper was read before the edit
    assert edited and report.embedded == 1 and not Paper.objects.filter(index_pending=True).exists()
    top = service.search("migration of arctic birds", limit=1).paper_ids
    assert Paper.objects.get(id=top[0]).arxiv_id == "2411.18625"


@pytest.mark.django_db
def test_rebuild_recreates_the_indexes_from_the_database(index_dir):
    load_demo_day()
    run_index(progress=False)
    report = run_index(rebuild=True, progress=False)
    assert (report.full_text, report.embedded, report.vectors) == (1504, 0, 1504)
    assert FullTextIndex(index_dir / "fulltext").count() == 1504


@pytest.mark.django_db
def test_searches_keep_working_while_the_index_is_rebuilt(index_dir, monkeypatch):
    from papertide.search import indexer
    from papertide.search.query import parse_query

    load_demo_day()
    run_index(progress=False)
    web = FullTextIndex(index_dir / "fulltext")  # as a web process holds it open
    assert web.search(parse_query("dark matter"), 5)
    Paper.objects.filter(arxiv_id="2411.18625").update(title="Quokka locomotion")
    seen_while_building = []

    def watched():
        for position, paper in enumerate(all_papers()):
            if position == 100:
                seen_while_building.append(len(web.search(parse_query("dark matter"), 5)))
                seen_while_building.append(len(service.search("dark matter halos", limit=5).paper_ids))
            yield paper

    all_papers = indexer._all_indexed
    monkeypatch.setattr(indexer, "_all_indexed", watched)
    report = run_index(rebuild=True, progress=False)
    assert seen_while_building == [5, 5] and report.full_text == 1504
    found = web.search(parse_query("quokka"), 5)  # the same reader now sees the new index
    assert [Paper.objects.get(id=paper_id).arxiv_id for paper_id, _ in found] == ["2411.18625"]
    assert not (index_dir / "fulltext.building").exists() and not (index_dir / "fulltext.retired").exists()


def count(data_dir, sql):
    with sqlite3.connect(data_dir / "papertide.sqlite3", timeout=30) as db:
        return db.execute(sql).fetchone()[0]


def test_a_killed_index_run_resumes_without_loss_or_duplicates(tmp_path):
    papers = 48
    assert run_papertide(tmp_path, "import", "arxiv-rss", str(small_feed(tmp_path, papers))).returncode == 0
    run = subprocess.Popen([sys.executable, "-m", "papertide", "index", "--chunk-size", "8", "--no-progress"],
                           env=papertide_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and count(tmp_path, "select count(*) from search_paperembedding") < 16:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    embedded_before_kill = count(tmp_path, "select count(*) from search_paperembedding")
    assert 16 <= embedded_before_kill < papers

    rerun = run_papertide(tmp_path, "index", "--no-progress")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{papers - embedded_before_kill} embedded" in rerun.stdout
    assert count(tmp_path, "select count(*) from search_paperembedding") == papers
    assert count(tmp_path, "select count(*) from papers_paper where index_pending") == 0
    assert FullTextIndex(tmp_path / "index" / "fulltext").count() == papers
    manifest = json.loads((tmp_path / "index" / "vectors.json").read_text())
    assert manifest["count"] == papers
    ids = np.load(tmp_path / "index" / manifest["generation"] / "vectors-ids.npy")
    assert len(set(ids.tolist())) == papers


def test_search_from_the_command_line(tmp_path):
    run_papertide(tmp_path, "demo")
    assert run_papertide(tmp_path, "index", "--no-progress").returncode == 0
    result = run_papertide(tmp_path, "search", "the existence of designs", "--limit", "3", "--json")
    found = json.loads(result.stdout)
    assert found["mode"] == "hybrid"
    assert found["results"][0]["arxiv_id"] == "1401.3665"


def test_changing_the_model_embeds_every_paper_again(tmp_path):
    import shutil

    from papertide.search.embedder import BUNDLED_MODEL, resolve_model

    papers = 12
    run_papertide(tmp_path, "import", "arxiv-rss", str(small_feed(tmp_path, papers)))
    assert f"{papers} embedded" in run_papertide(tmp_path, "index", "--no-progress").stdout
    local_model = tmp_path / "my-model"
    shutil.copytree(resolve_model(BUNDLED_MODEL), local_model)
    rerun = run_papertide(tmp_path, "index", "--no-progress", EMBEDDING_MODEL=str(local_model))
    assert f"{papers} embedded" in rerun.stdout, rerun.stderr
    assert json.loads((tmp_path / "index" / "vectors.json").read_text())["model"] == str(local_model)
    assert count(tmp_path, f"select count(*) from search_paperembedding where model = '{local_model}'") == papers


@pytest.mark.django_db
def test_an_index_of_another_schema_is_never_deleted_by_a_reader_and_rebuilt_beside_it(index_dir):
    """An upgrade under way: a web process of the new version meets the index the old worker still writes. It reads
    nothing from it and deletes nothing; the next index run builds the new schema beside it and swaps."""
    from papertide.search import fulltext
    from papertide.search.query import parse_query

    load_demo_day()
    run_index(progress=False)
    (index_dir / "fulltext" / fulltext.VERSION_FILE).write_text("1")  # as an older version left it
    files = sorted(path.name for path in (index_dir / "fulltext").iterdir())
    web = FullTextIndex(index_dir / "fulltext")
    assert web.count() == 0 and web.search(parse_query("dark matter"), 5) == []
    assert sorted(path.name for path in (index_dir / "fulltext").iterdir()) == files  # untouched
    report = run_index(progress=False)
    assert report.full_text == 1504
    assert web.count() == 1504 and web.search(parse_query("dark matter"), 5)  # the same reader, on the new one


def test_a_reader_opening_the_vectors_while_they_are_written_sees_one_generation_whole(tmp_path, monkeypatch):
    """Each vector file was replaced on its own: a web process opening the index between two of them paired the new
    matrix with the old ids (wrong papers for every search). Now a write is a generation made live at once."""
    from papertide.search import vectors

    writer = vectors.VectorIndex(tmp_path)
    writer.write(np.arange(1, 4), np.eye(3, dtype=np.float32), "model", None)
    seen = []
    save, replace = vectors._save_array, os.replace

    def read():
        reader = vectors.VectorIndex(tmp_path)  # a web process starting now
        seen.append((reader.size(), reader.rows_of([1, 2, 3, 4, 5])[1].shape[0], reader.nearest(
            np.array([0, 0, 1, 0, 0], np.float32)[:reader.matrix.shape[1]], 1)))

    def save_then_read(path, array):
        save(path, array)
        read()

    def replace_then_read(source, target):
        replace(source, target)
        if not str(target).endswith(vectors.MANIFEST):
            read()

    monkeypatch.setattr(vectors, "_save_array", save_then_read)
    monkeypatch.setattr(os, "replace", replace_then_read)
    writer.write(np.arange(1, 6), np.eye(5, dtype=np.float32), "model", None)
    assert seen and all(found == (3, 3, [(3, 1.0)]) for found in seen), seen  # the old generation, whole
    reader = vectors.VectorIndex(tmp_path)
    assert reader.size() == 5 and reader.nearest(np.eye(5, dtype=np.float32)[4], 1) == [(5, 1.0)]
    for _ in range(4):
        writer.write(np.arange(1, 6), np.eye(5, dtype=np.float32), "model", None)
    assert len(list(tmp_path.glob("vectors-0*"))) == vectors.KEPT_GENERATIONS  # old ones go, not all at once
