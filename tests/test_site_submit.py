"""Submitting a paper from the site, its metadata fetched from (a local replay of) arXiv's export API."""

import datetime as dt

import pytest

from django.utils import timezone

from papertide.papers import submissions
from papertide.papers.models import DailyEntry, Paper, QueuedSubmission
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db


def test_the_submit_page_asks_an_anonymous_reader_to_log_in(client):
    response = client.get("/submit/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/submit/"


@pytest.fixture(autouse=True)
def queue_without_threads(monkeypatch):
    """The jobs run here, when the test says, as `papertide worker` would run them (the browser tests run them
    in the web process's own threads)."""
    monkeypatch.setattr(submissions, "RUN_IN_THREAD", False)


def this_month_id(number: int) -> str:
    return f"{dt.date.today():%y%m}.{number:05d}"


def test_a_new_paper_is_fetched_off_the_request_and_put_on_todays_list(client, alice, arxiv_api, settings):
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000  # the recorded paper is from 2006
    client.force_login(alice)
    response = client.post("/submit/", {"paper": "https://arxiv.org/abs/astro-ph/0601001v1"})
    job = QueuedSubmission.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/submit/{job.pk}/"
    assert not arxiv_api.requests  # nothing asked of arXiv while the reader waited for the answer
    waiting = client.get(f"/submit/{job.pk}/").content.decode()
    assert "Waiting" in waiting and 'hx-trigger="load delay:1s"' in waiting
    assert submissions.process_waiting(now=timezone.now() + dt.timedelta(seconds=10)) == 1
    fragment = client.get(f"/submit/{job.pk}/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Redirect"] == "/papers/astro-ph/0601001/"
    response = client.get(f"/submit/{job.pk}/", follow=True)
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


def test_a_paper_too_old_is_refused_before_asking_arxiv(client, alice, arxiv_api):
    client.force_login(alice)
    response = client.post("/submit/", {"paper": "astro-ph/0601001"})
    assert response.status_code == 400
    assert "was published in January 2006; papers can be submitted for 14 days" in response.content.decode()
    assert not DailyEntry.objects.exists() and not QueuedSubmission.objects.exists()
    assert not arxiv_api.requests


def test_a_paper_of_this_month_published_too_long_ago_is_refused_after_the_fetch(client, alice, settings):
    settings.SUBMISSION_MAX_AGE_DAYS = 0
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    upsert_papers([PaperRecord(arxiv_id=this_month_id(7), source="arxiv-api", title="Known", published=old)])
    client.force_login(alice)
    response = client.post("/submit/", {"paper": this_month_id(7)})
    assert response.status_code == 400 and "papers can be submitted for 0 days" in response.content.decode()


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
    response = client.post("/submit/", {"paper": this_month_id(2)})
    assert response.status_code == 429 and "the daily limit" in response.content.decode()


def test_when_arxiv_is_unreachable_the_reader_is_told_what_happened_and_what_to_do(client, alice, settings):
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # nothing listens there
    client.force_login(alice)
    job_url = client.post("/submit/", {"paper": this_month_id(3)})["Location"]
    submissions.process_waiting(now=timezone.now() + dt.timedelta(seconds=10))
    assert client.get(job_url, HTTP_HX_REQUEST="true")["HX-Redirect"] == job_url  # htmx: show the outcome
    page = client.get(job_url).content.decode()
    assert f"arXiv could not be reached just now, so {this_month_id(3)} was not added" in page
    assert "try again in a few minutes" in page and "Errno" not in page
    assert 'value="' + this_month_id(3) + '"' in page  # the form, filled in to try again
    assert not DailyEntry.objects.exists()


def test_a_job_a_web_process_left_behind_is_finished_by_the_worker(client, alice, arxiv_api, settings):
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000
    client.force_login(alice)
    client.post("/submit/", {"paper": "astro-ph/0601001"})
    QueuedSubmission.objects.update(status="fetching", started_at=timezone.now() - dt.timedelta(minutes=5))
    assert submissions.process_waiting(now=timezone.now() + dt.timedelta(seconds=10)) == 1
    assert QueuedSubmission.objects.get().status == "done"
    assert submissions.process_waiting(now=timezone.now() + dt.timedelta(seconds=10)) == 0  # once


def test_nobody_else_sees_a_readers_submission(client, alice, bob, arxiv_api, settings):
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000
    client.force_login(alice)
    job_url = client.post("/submit/", {"paper": "astro-ph/0601001"})["Location"]
    client.force_login(bob)
    assert client.get(job_url).status_code == 404
