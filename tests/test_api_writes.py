"""Writes through the API with personal tokens: upvote, submit; tokens made and revoked on the profile."""

import datetime as dt
import re

import pytest

from papertide.accounts.models import ApiToken
from papertide.papers.models import DailyEntry, Paper, Upvote
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper():
    upsert_papers([PaperRecord(arxiv_id="2411.17775", source="arxiv-rss", version=1, title="Dark matter",
                               listed_on=dt.date(2024, 11, 28))])
    return Paper.objects.get()


@pytest.fixture
def token(alice):
    return ApiToken.issue(alice, "script")[1]


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_alice_creates_a_token_on_her_profile_and_sees_it_once(client, alice):
    client.force_login(alice)
    page = client.post("/profile/tokens/", {"name": "reading list"}, follow=True).content.decode()
    shown = re.search(r'<code class="token">(pt_[^<]+)</code>', page)[1]
    assert ApiToken.objects.user_for(shown) == alice
    assert shown not in client.get("/profile/").content.decode()  # never shown again
    assert "reading list" in client.get("/profile/").content.decode()


def test_a_revoked_token_stops_working(client, alice, token, paper):
    client.force_login(alice)
    client.post(f"/profile/tokens/{ApiToken.objects.get().pk}/revoke/")
    client.logout()
    assert client.put("/api/v1/upvotes/2411.17775", **bearer(token)).status_code == 401


def test_bob_cannot_revoke_alices_token(client, bob, token):
    client.force_login(bob)
    assert client.post(f"/profile/tokens/{ApiToken.objects.get().pk}/revoke/").status_code == 404
    assert ApiToken.objects.active().count() == 1


def test_upvote_with_a_token_counts_once(client, alice, token, paper):
    first = client.put("/api/v1/upvotes/2411.17775", **bearer(token)).json()
    second = client.put("/api/v1/upvotes/2411.17775", **bearer(token)).json()
    assert first == second == {"arxiv_id": "2411.17775", "upvoted": True, "upvotes": 1}
    assert Upvote.objects.get().user == alice
    assert client.delete("/api/v1/upvotes/2411.17775", **bearer(token)).json()["upvotes"] == 0


@pytest.mark.parametrize("header", [{}, {"HTTP_AUTHORIZATION": "Bearer pt_made_up"}, {"HTTP_AUTHORIZATION": "Basic x"}])
def test_writes_without_a_valid_token_are_401_json(client, paper, header):
    response = client.put("/api/v1/upvotes/2411.17775", **header)
    assert response.status_code == 401
    assert "personal API token" in response.json()["error"]
    assert not Upvote.objects.exists()


def test_a_logged_in_browser_session_is_not_enough_for_the_api(client, alice, paper):
    client.force_login(alice)  # no CSRF-free writes from a cookie: the API wants a token
    assert client.put("/api/v1/upvotes/2411.17775").status_code == 401


def test_submitting_a_paper_already_listed_points_to_its_entry(client, token, paper):
    response = client.post("/api/v1/submissions", {"paper": "https://arxiv.org/abs/2411.17775v1"},
                           content_type="application/json", **bearer(token))
    assert response.status_code == 200
    assert response.json()["created"] is False and response.json()["day"] == "2024-11-28"
    assert DailyEntry.objects.count() == 1


def test_submitting_a_new_paper_fetches_it_from_arxiv(client, token, arxiv_api, settings):
    # The recorded paper was published 2006-01-02; allow that age so the submission goes through.
    settings.SUBMISSION_MAX_AGE_DAYS = 100_000
    response = client.post("/api/v1/submissions", {"paper": "astro-ph/0601001"}, content_type="application/json",
                           **bearer(token))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] and body["paper"]["authors"][0] == "Andrew Gould"
    entry = DailyEntry.objects.get(paper__arxiv_id="astro-ph/0601001")
    assert (entry.how, entry.submitted_by.username) == ("submitted", "alice")
    assert arxiv_api.requests[0][1]["id_list"] == "astro-ph/0601001"


def test_a_paper_older_than_the_limit_is_refused(client, token, arxiv_api):
    response = client.post("/api/v1/submissions", {"paper": "astro-ph/0601001"}, content_type="application/json",
                           **bearer(token))
    assert response.status_code == 400
    assert "papers can be submitted for 14 days" in response.json()["error"]
    assert not DailyEntry.objects.exists()


def test_the_daily_submission_cap(client, token, settings, alice):
    settings.SUBMISSIONS_PER_DAY = 1
    other = Paper.objects.create(arxiv_id="2411.00001", title="x", source="submission",
                                 published=dt.datetime.now(dt.UTC))
    DailyEntry.objects.create(paper=other, day=dt.date.today(), how="submitted", submitted_by=alice)
    response = client.post("/api/v1/submissions", {"paper": "2411.00002"}, content_type="application/json",
                           **bearer(token))
    assert response.status_code == 429
    assert "daily limit" in response.json()["error"]


def test_something_that_is_not_an_arxiv_id_is_refused(client, token):
    response = client.post("/api/v1/submissions", {"paper": "my great paper"}, content_type="application/json",
                           **bearer(token))
    assert response.status_code == 400 and "not an arXiv id" in response.json()["error"]


def test_when_arxiv_cannot_be_reached_the_submission_says_so(client, token, settings):
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # nothing listens there
    response = client.post("/api/v1/submissions", {"paper": f"{dt.date.today():%y%m}.00003"},
                           content_type="application/json", **bearer(token))
    assert response.status_code == 503
    assert "try again in a few minutes" in response.json()["error"]


def test_alice_logs_in_and_out(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"}, follow=True)
    assert response.request["PATH_INFO"] == "/" and 'href="/profile/">alice</a>' in response.content.decode()
    assert "Log out" in client.get("/profile/").content.decode()
    client.post("/accounts/logout/")
    assert client.get("/profile/").status_code == 302  # back to the login page
