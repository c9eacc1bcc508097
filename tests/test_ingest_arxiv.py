"""Daily announcements and single ids from arXiv, against a local server replaying real responses."""

import datetime as dt
import gzip

import pytest

from papertide.demo import DEMO_FEED_PATH
from papertide.ingest.jobs import ingest_announcements
from papertide.ingest.models import IngestRun
from papertide.papers.models import DailyEntry, Paper
from papertide.sources.arxiv_api import ArxivApiError, parse_api_feed
from tests.conftest import FIXTURES
from tests.helpers import run_papertide
from tests.replay import Answer, ReplayServer

API = FIXTURES / "arxiv" / "api"
RSS = FIXTURES / "arxiv" / "rss"
DAY_FEED = gzip.decompress(DEMO_FEED_PATH.read_bytes())


def test_the_100_entry_api_response_is_parsed():
    records = parse_api_feed((API / "q_testing_s0_m100_cfe7536492ca.xml").read_bytes())
    assert len(records) == 100
    assert sum(1 for r in records if r.doi) == 32
    assert sum(1 for r in records if r.journal_ref) == 18
    assert sum(1 for r in records if r.comments) == 97
    assert sum(1 for r in records if len(r.categories) > 1) == 46
    assert sum(1 for r in records if r.version and r.version > 1) == 36
    assert all(r.published and r.updated and r.primary_category for r in records)


def test_an_old_style_id_is_parsed_with_its_journal_reference():
    [record] = parse_api_feed((API / "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml").read_bytes())
    assert (record.arxiv_id, record.version, record.primary_category) == ("astro-ph/0601001", 1, "astro-ph")
    assert record.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert record.journal_ref == "ActaAstron.56:1-50,2006"


def test_the_api_error_feed_is_a_clear_error():
    with pytest.raises(ArxivApiError, match="incorrect id format for abc"):
        parse_api_feed((API / "id_abc_s0_m100_b79c8dcf6bc3.xml").read_bytes())


def test_an_unknown_id_gives_no_records():
    assert parse_api_feed((API / "id_0000.0000_s0_m100_8b51d9633a68.xml").read_bytes()) == []


@pytest.mark.parametrize("answer, says", [
    (Answer(b"<feed>" + b"x" * 200, trickle=0.2), "took over 1 s"),  # a byte every 0.2 s: 40 s in all
    (Answer((API / "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml").read_bytes(), cut=True), "cannot reach"),
    (Answer(b"\x00\x01garbage", headers={"Content-Type": "text/xml"}), "not a well-formed arXiv API response"),
])
def test_an_upstream_that_stalls_cuts_or_babbles_is_a_clear_error_in_time(answer, says):
    import time

    from papertide.sources.arxiv_api import fetch_by_ids
    from papertide.sources.http import Fetcher
    from papertide.sources.records import SourceError

    with ReplayServer({"/api/query": [answer]}) as server:
        started = time.monotonic()
        with pytest.raises(SourceError, match=says):
            fetch_by_ids(["astro-ph/0601001"], url=server.url + "/api/query", fetcher=Fetcher(timeout=1, max_retries=0))
        assert time.monotonic() - started < 5


def test_ingesting_ids_from_the_command_line(tmp_path):
    two_ids = Answer((API / "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml").read_bytes())
    with ReplayServer({"/api/query": [two_ids]}) as server:
        result = run_papertide(tmp_path, "ingest", "ids", "0808.05394", "1707.08567",
                               ARXIV_API_URL=server.url + "/api/query")
    # arXiv answered for one of the two ids: the other is reported, not silently dropped.
    assert result.returncode != 0
    assert "1 new" in result.stdout
    assert "arXiv does not know 0808.05394" in result.stderr
    assert server.requests[0][1]["id_list"] == "0808.05394,1707.08567"


def test_a_bad_id_shows_arxivs_explanation(tmp_path):
    error = Answer((API / "id_abc_s0_m100_b79c8dcf6bc3.xml").read_bytes(), status=400)
    with ReplayServer({"/api/query": [error]}) as server:
        result = run_papertide(tmp_path, "ingest", "ids", "abc", ARXIV_API_URL=server.url + "/api/query")
    assert result.returncode != 0
    assert "abc" in result.stderr


@pytest.fixture
def rss(settings):
    def serve(*answers):
        server = ReplayServer({"/rss/cs.CV+cs.LG": list(answers)})
        settings.ARXIV_RSS_URL = server.url + "/rss/{categories}"
        settings.ARXIV_CATEGORIES = ["cs.CV", "cs.LG"]
        return server

    return serve


@pytest.mark.django_db
def test_the_daily_ingest_lists_the_days_new_and_cross_listed_papers(rss):
    with rss(Answer(DAY_FEED)):
        run = ingest_announcements()
        again = ingest_announcements()
    assert (run.status, run.created, run.listed) == ("ok", 1504, 935)
    assert "926 new, 9 cross-listed, 569 replaced" in run.message
    assert (again.status, again.created, again.listed, again.unchanged) == ("empty", 0, 0, 1504)
    assert DailyEntry.objects.filter(day=dt.date(2024, 11, 28)).count() == 935


@pytest.mark.django_db
def test_an_empty_day_is_normal_and_says_why(rss):
    with rss(Answer((RSS / "empty_rss_mock_feed.xml").read_bytes())):
        run = ingest_announcements()
    assert run.status == "empty"
    assert "weekend or holiday" in run.message
    assert Paper.objects.count() == 0


@pytest.mark.django_db
def test_the_error_feed_fails_the_run_with_arxivs_message(rss):
    with rss(Answer((RSS / "error_rss_mock_feed.xml").read_bytes())), pytest.raises(Exception, match="Bad archive"):
        ingest_announcements()
    assert IngestRun.objects.get().status == "failed"
    assert "Bad archive 'astroph'" in IngestRun.objects.get().message
