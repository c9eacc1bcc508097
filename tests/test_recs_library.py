"""A reader's library in and out: the formats reference managers export (with entries lacking an arXiv id and
broken ones), an import through the site that fetches missing papers from a replayed export API and embeds them,
all or nothing when arXiv fails, and exports that import back unchanged."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from papertide.papers.models import Paper
from papertide.recs import library_import
from papertide.recs.library_formats import MAX_BYTES, LibraryFormatError, read_library
from papertide.recs.models import LibraryImport, Save
from papertide.search.service import get_backend
from papertide.sources.http import Fetcher
from tests.conftest import FIXTURES
from tests.replay import Answer, ReplayServer

LIBRARY = FIXTURES / "library"
RECORDED = FIXTURES / "arxiv" / "api" / "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml"


@pytest.mark.parametrize(("name", "kind", "ids", "skipped", "broken"), [
    ("zotero.bib", "BibTeX", ["2411.18066", "2411.18311", "2411.17190", "2411.17772", "astro-ph/0601001"], 1, 1),
    ("zotero.ris", "RIS", ["2411.18473", "2411.18568"], 1, 1),
    ("zotero-csl.json", "CSL-JSON", ["2411.17795", "2411.16686"], 1, 1),
    ("arxiv-ids.txt", "list of ids", ["2411.18066", "2411.17772", "2411.18568"], 1, 0),
])
def test_each_export_is_read_wherever_it_keeps_the_arxiv_id(name, kind, ids, skipped, broken):
    library = read_library((LIBRARY / name).read_bytes(), name)
    assert library.format == kind
    assert library.arxiv_ids == ids
    assert library.without_id[0].title.startswith(("Highly accurate protein", "https://www.nature"))
    assert len(library.without_id) == skipped and len(library.broken) == broken


def test_a_5_mb_library_is_read_whole():
    entry = (LIBRARY / "zotero.bib").read_text().split("\n@")[1]  # the GLS entry, as Zotero wrote it
    copies = []
    n = 0
    while sum(map(len, copies)) < 5 * 1024 * 1024:
        copies.append("@" + entry.replace("qiu_gls_2024", f"qiu_gls_{n}").replace("2411.18066", f"2411.{n:05d}"))
        n += 1
    library = read_library("\n".join(copies).encode(), "big.bib")
    assert len(library.entries) == n > 5000 and len(library.arxiv_ids) == n and not library.broken


def test_a_file_over_the_limit_or_in_no_format_gets_a_clear_error():
    with pytest.raises(LibraryFormatError, match="over 10 MB"):
        read_library(b"x" * (MAX_BYTES + 1))
    with pytest.raises(LibraryFormatError, match="not valid JSON"):
        read_library(b'[{"title": "cut', "library.json")


@pytest.fixture
def jobs_in_test(monkeypatch):
    monkeypatch.setattr(library_import, "RUN_IN_THREAD", False)


@pytest.mark.django_db
def test_an_import_reports_what_matched_what_was_fetched_and_what_was_skipped(client, alice, arxiv_api, indexed_demo,
                                                                           jobs_in_test, settings):
    settings.ARXIV_REQUEST_DELAY = 0
    client.force_login(alice)
    with open(LIBRARY / "zotero.bib", "rb") as fh:
        response = client.post("/library/import/", {"file": fh})
    assert response.status_code == 302
    job = LibraryImport.objects.get()
    assert library_import.process(job.pk)
    page = client.get(response["Location"]).content.decode()
    assert "4 matched papers already on this site" in page and "1 fetched from arXiv" in page
    assert "Highly accurate protein structure prediction with AlphaFold" in page  # skipped: no arXiv id
    assert "Could not be read (1)" in page
    fetched = Paper.objects.get(arxiv_id="astro-ph/0601001")
    assert get_backend().vectors.vector_of(fetched.pk) is not None  # embedded, so it steers "For you"
    assert Save.objects.filter(user=alice).count() == 5
    # Importing the same file again adds nothing and fetches nothing.
    requests = len(arxiv_api.requests)
    with open(LIBRARY / "zotero.bib", "rb") as fh:
        client.post("/library/import/", {"file": fh})
    library_import.process(LibraryImport.objects.latest("pk").pk)
    assert Save.objects.filter(user=alice).count() == 5 and len(arxiv_api.requests) == requests
    assert "0 new in" in client.get(f"/library/import/{LibraryImport.objects.latest('pk').pk}/").content.decode()


@pytest.mark.django_db
def test_when_arxiv_fails_nothing_is_half_imported_and_trying_again_finishes(client, alice, indexed_demo,
                                                                          jobs_in_test, settings):
    settings.ARXIV_REQUEST_DELAY = 0
    with ReplayServer({"/api/query": [Answer(b"oops", 500, {"Content-Type": "text/plain"}),
                                      Answer(RECORDED.read_bytes())]}) as arxiv:
        settings.ARXIV_API_URL = arxiv.url + "/api/query"
        client.force_login(alice)
        with open(LIBRARY / "zotero.bib", "rb") as fh:
            client.post("/library/import/", {"file": fh})
        job = LibraryImport.objects.get()
        library_import.process(job.pk, fetcher=Fetcher(timeout=5, max_retries=0))
        job.refresh_from_db()
        assert job.status == LibraryImport.Status.FAILED and "nothing was imported" in job.message
        assert not Save.objects.filter(user=alice).exists()  # not even the four papers already on the site
        page = client.get(f"/library/import/{job.pk}/").content.decode()
        assert "Try again" in page
        client.post(f"/library/import/{job.pk}/")
        library_import.process(job.pk, fetcher=Fetcher(timeout=5, max_retries=0))
        job.refresh_from_db()
        assert job.status == LibraryImport.Status.DONE and Save.objects.filter(user=alice).count() == 5


@pytest.mark.django_db
def test_a_worker_finishes_an_import_a_web_process_left_behind(alice, indexed_demo, jobs_in_test):
    import datetime as dt

    from django.utils import timezone

    job = library_import.enqueue(alice, read_library((LIBRARY / "zotero.ris").read_bytes()), "zotero.ris")
    LibraryImport.objects.filter(pk=job.pk).update(status=LibraryImport.Status.RUNNING,
                                                   started_at=timezone.now() - dt.timedelta(hours=1),
                                                   created_at=timezone.now() - dt.timedelta(hours=1))
    assert library_import.process_waiting() == 1
    assert Save.objects.filter(user=alice).count() == 2


@pytest.mark.django_db
def test_pasted_ids_and_a_file_in_no_format_get_answers(client, alice, indexed_demo, jobs_in_test):
    client.force_login(alice)
    refused = client.post("/library/import/", {"text": "   "})
    assert refused.status_code == 400 and "Nothing was imported" in refused.content.decode()
    response = client.post("/library/import/", {"text": (LIBRARY / "arxiv-ids.txt").read_text()})
    second = client.post("/library/import/", {"text": "2411.18066"})  # while the first is still queued
    assert second.status_code == 400 and "still under way" in second.content.decode()
    library_import.process(LibraryImport.objects.get().pk)
    assert "3 matched" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_an_export_imports_back_unchanged_with_notes(client, alice, indexed_demo, fmt):
    ids = ["2411.18066", "2411.17190", "2411.18568"]
    for arxiv_id in ids:
        Save.objects.create(user=alice, paper=Paper.objects.get(arxiv_id=arxiv_id), note=f"read {arxiv_id} again")
    client.force_login(alice)
    response = client.get(f"/library/export.{fmt}")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    body = response.content
    library = read_library(body, f"papertide-library.{fmt}")
    assert sorted(library.arxiv_ids) == sorted(ids) and not library.broken
    assert b"read 2411.18066 again" in body
    if fmt == "json":
        assert json.loads(body)[0]["URL"].startswith("https://arxiv.org/abs/")


def test_the_library_pages_need_an_account(client, db):
    for path in ("/library/", "/library/import/", "/for-you/", "/interests/", "/library/export.bib"):
        assert client.get(path)["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_with_the_reason(client, alice, jobs_in_test):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(alice)
    big = SimpleUploadedFile("library.bib", b"@misc{a, title={x}}\n" * (MAX_BYTES // 20 + 10))
    response = client.post("/library/import/", {"file": big})
    assert response.status_code == 400 and "over 10 MB" in response.content.decode()
    assert not LibraryImport.objects.exists()


@hypothesis_settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=3000), st.text(max_size=3000).map(str.encode),
                      st.sampled_from([(LIBRARY / n).read_bytes() for n in ("zotero.bib", "zotero.ris",
                                                                             "zotero-csl.json")])
                      .flatmap(lambda real: st.integers(0, len(real)).map(lambda cut: real[:cut]))),
       name=st.sampled_from(["", "library.bib", "library.ris", "library.json", "ids.txt"]))
def test_any_file_is_read_or_refused_with_a_reason(data, name):
    """Whatever a reader uploads (any bytes, any cut of a real export), the answer is a library or a clear
    refusal, never a crash."""
    try:
        library = read_library(data, name)
    except LibraryFormatError as exc:
        assert str(exc)
    else:
        assert all(e.arxiv_id is None or len(e.arxiv_id) <= 40 for e in library.entries)
