"""OAI-PMH backfill against a local server replaying arXiv's real responses: 503 + Retry-After,
resumption tokens, a truncated page, and a harvest killed mid-way."""

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from papertide.ingest.jobs import HarvestRequest, harvest_oai
from papertide.ingest.models import Checkpoint, IngestRun
from papertide.papers.models import Paper
from papertide.sources.arxiv_oai import parse_list_records
from papertide.sources.records import SourceError
from tests.conftest import FIXTURES
from tests.helpers import papertide_env, run_papertide
from tests.replay import Answer, ReplayServer

OAI = FIXTURES / "arxiv" / "oai"
ARXIV_PAGE = (OAI / "oaipmh-listrecords---should-list-identifiers-from-arxiv.resp1.status200.xml").read_bytes()
DC_PAGE_WITH_TOKEN = (OAI / "ListRecords_oai_dc_set-cs_from-2024-01-25.xml").read_bytes()
RETRY_LATER = Answer((OAI / "oaipmh-listrecords---should-list-identifiers-from-arxiv.resp0.status503.txt").read_bytes(),
                     503, {"Content-Type": "text/html", "Retry-After": "10"})  # the real answer's headers
TOKEN = "6960524|1001"


def test_an_arxiv_format_page_is_parsed():
    page = parse_list_records(ARXIV_PAGE)
    assert len(page.records) == 2
    first = page.records[0]
    assert first.title == "A Kochen-Specker system has at least 22 vectors (extended abstract)"
    assert first.authors == ["Sander Uijlen", "Bas Westerbaan"]
    assert (first.doi, first.journal_ref, first.categories) == ("10.4204/EPTCS.172.11", "EPTCS 172, 2014, pp. 154-164", ["cs.DM"])
    assert first.published.date().isoformat() == "2014-12-29"
    assert page.resumption_token == ""


def test_an_oai_dc_page_carries_its_resumption_token():
    page = parse_list_records(DC_PAGE_WITH_TOKEN)
    assert len(page.records) == 5
    assert (page.resumption_token, page.complete_list_size) == (TOKEN, 1162)
    assert page.records[0].authors == ["Vilnis Liepins"]
    assert page.records[0].arxiv_id == "1303.2033"


def test_a_truncated_page_is_a_clear_error():
    with pytest.raises(SourceError, match="not a well-formed OAI-PMH response"):
        parse_list_records(DC_PAGE_WITH_TOKEN[:3000])


def harvest_routes(*second_page_answers):
    return {"/oai": [RETRY_LATER, Answer(DC_PAGE_WITH_TOKEN), *second_page_answers]}


@pytest.fixture
def oai_settings(settings):
    settings.HTTP_MAX_RETRY_WAIT = 0.2  # the server says "retry after 10 s"; the tests wait less
    return settings


@pytest.mark.django_db
def test_a_harvest_waits_on_503_and_follows_the_resumption_token(oai_settings):
    with ReplayServer(harvest_routes(Answer(ARXIV_PAGE))) as server:
        oai_settings.ARXIV_OAI_URL = server.url + "/oai"
        run = harvest_oai(HarvestRequest("oai_dc", "cs", "2024-01-25"), delay=0)
    assert (run.status, run.created) == ("ok", 7)
    first, retried, second = [query for _, query in server.requests]
    assert first == retried == {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "cs", "from": "2024-01-25"}
    assert second == {"verb": "ListRecords", "resumptionToken": TOKEN}  # the token alone, as OAI-PMH requires
    assert Paper.objects.count() == 7
    assert not Checkpoint.objects.exists()


@pytest.mark.django_db
def test_harvesting_again_changes_nothing(oai_settings):
    with ReplayServer(harvest_routes(Answer(ARXIV_PAGE), Answer(DC_PAGE_WITH_TOKEN), Answer(ARXIV_PAGE))) as server:
        oai_settings.ARXIV_OAI_URL = server.url + "/oai"
        harvest_oai(HarvestRequest("oai_dc", "cs", "2024-01-25"), delay=0)
        again = harvest_oai(HarvestRequest("oai_dc", "cs", "2024-01-25"), delay=0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert Paper.objects.count() == 7


@pytest.mark.django_db
def test_a_truncated_page_fails_the_run_keeps_earlier_pages_and_the_rerun_resumes(oai_settings):
    with ReplayServer(harvest_routes(Answer(ARXIV_PAGE[:700]), Answer(ARXIV_PAGE))) as server:
        oai_settings.ARXIV_OAI_URL = server.url + "/oai"
        request = HarvestRequest("oai_dc", "cs", "2024-01-25")
        with pytest.raises(SourceError, match="page 2: not a well-formed OAI-PMH response"):
            harvest_oai(request, delay=0)
        assert Paper.objects.count() == 5  # page 1 is committed; nothing of the bad page is
        failed = IngestRun.objects.get()
        assert failed.status == "failed" and "page 2" in failed.message
        server.requests.clear()
        harvest_oai(request, delay=0)
    assert [query for _, query in server.requests] == [{"verb": "ListRecords", "resumptionToken": TOKEN}]
    assert Paper.objects.count() == 7


def papers_in(data_dir) -> int:
    with sqlite3.connect(data_dir / "papertide.sqlite3", timeout=30) as db:
        try:
            return db.execute("select count(*) from papers_paper").fetchone()[0]
        except sqlite3.OperationalError:
            return 0  # not migrated yet


def test_a_killed_harvest_resumes_where_it_stopped(tmp_path):
    with ReplayServer(harvest_routes(Answer(ARXIV_PAGE))) as server:
        settings = {"ARXIV_OAI_URL": server.url + "/oai", "HTTP_MAX_RETRY_WAIT": "0.2"}
        # A long pause between pages: the kill lands after page 1 is committed, before page 2.
        harvest = subprocess.Popen(
            [sys.executable, "-m", "papertide", "ingest", "oai", "--prefix", "oai_dc", "--set", "cs",
             "--from", "2024-01-25", "--delay", "60"],
            env=papertide_env(tmp_path, **settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while papers_in(tmp_path) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        harvest.send_signal(signal.SIGKILL)
        harvest.wait()
        assert papers_in(tmp_path) == 5
        server.requests.clear()
        rerun = run_papertide(tmp_path, "ingest", "oai", "--prefix", "oai_dc", "--set", "cs", "--from", "2024-01-25",
                              "--delay", "0", **settings)
    assert rerun.returncode == 0, rerun.stderr
    assert [query for _, query in server.requests] == [{"verb": "ListRecords", "resumptionToken": TOKEN}]
    assert papers_in(tmp_path) == 7
    with sqlite3.connect(tmp_path / "papertide.sqlite3") as db:
        assert db.execute("select count(distinct arxiv_id) from papers_paper").fetchone()[0] == 7
        statuses = [row[0] for row in db.execute("select status from ingest_ingestrun order by id")]
    assert statuses == ["stopped", "ok"]  # the killed run could not record its end; the rerun saw its process gone


def test_an_oai_error_is_reported(tmp_path):
    # No recording of an arXiv OAI error exists (the one recorded "error" case is empty), so this body
    # follows the OAI-PMH 2.0 specification's error shape.
    error = (b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
             b'<responseDate>2024-01-01T00:00:00Z</responseDate><request>x</request>'
             b'<error code="badArgument">Illegal set cs.XX</error></OAI-PMH>')
    with ReplayServer({"/oai": [Answer(error)]}) as server:
        result = run_papertide(tmp_path, "ingest", "oai", "--set", "cs.XX", ARXIV_OAI_URL=server.url + "/oai")
    assert result.returncode != 0
    assert "badArgument: Illegal set cs.XX" in result.stderr
