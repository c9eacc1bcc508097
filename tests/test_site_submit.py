"""Submitting a paper from the site, its metadata fetched from (a local replay of) arXiv's export API."""

import datetime as dt

import pytest

from papertide.papers.models import DailyEntry, Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db


def test_the_submit_page_asks_an_anonymous_reader_to_log_in(client):
    response = client.get("/submit/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/submit/"


def test_a_new_paper_is_fetched_and_put_on_todays_list(client, alice, arxiv_api, settings):
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000  # the recorded paper is from 2006
    client.force_login(alice)
    response = client.post("/submit/", {"paper": "https://arxiv.org/abs/astro-ph/0601001v1"}, follow=True)
    assert response.request["PATH_INFO"] == "/papers/astro-ph/0601001/"
    page = response.content.decode()
    assert "is on today&#x27;s list" in page and "Andrew Gould" in page
    entry = DailyEntry.objects.get(paper__arxiv_id="astro-ph/0601001")
    assert entry.submitted_by == alice and entry.day == dt.date.today()
    assert "astro-ph/0601001" in client.get("/").content.decode()


def test_a_paper_already_listed_leads_to_its_entry(client, alice):
    upsert_papers([PaperRecord(arxiv_id="2411.17775", source="arxiv-rss", title="Dark matter",
                               listed_on=dt.date(2024, 11, 28))])
    client.force_login(alice)
    response = client.post("/submit/", {"paper": "2411.17775"}, follow=True)
    assert response.request["PATH_INFO"] == "/papers/2411.17775/"
    assert "already on the list of November 28, 2024" in response.content.decode()
    assert DailyEntry.objects.count() == 1


def test_a_paper_too_old_is_refused_with_the_rule(client, alice, arxiv_api):
    client.force_login(alice)
    response = client.post("/submit/", {"paper": "astro-ph/0601001"})
    assert response.status_code == 400
    assert "papers can be submitted for 14 days" in response.content.decode()
    assert not DailyEntry.objects.exists()


def test_not_an_arxiv_id(client, alice):
    client.force_login(alice)
    response = client.post("/submit/", {"paper": "my favourite paper"})
    assert response.status_code == 400 and "is not an arXiv id or link" in response.content.decode()


def test_the_daily_cap(client, alice, settings):
    settings.SUBMISSIONS_PER_DAY = 1
    paper = Paper.objects.create(arxiv_id="2411.00001", title="x", source="submission",
                                 published=dt.datetime.now(dt.UTC))
    DailyEntry.objects.create(paper=paper, day=dt.date.today(), how="submitted", submitted_by=alice)
    client.force_login(alice)
    response = client.post("/submit/", {"paper": "2411.00002"})
    assert response.status_code == 429 and "the daily limit" in response.content.decode()


def test_when_arxiv_is_unreachable_the_reader_is_told_to_retry(client, alice, settings):
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"
    client.force_login(alice)
    response = client.post("/submit/", {"paper": "2411.00003"})
    assert response.status_code == 503 and "try again later" in response.content.decode()
