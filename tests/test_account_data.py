"""A reader's control over their account: change the password, download their data, delete the account."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model

from papertide.accounts.models import ApiToken, Preferences
from papertide.digests.models import Subscriber
from papertide.papers import actions
from papertide.papers.models import DailyEntry, Paper, Upvote
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.fixture
def papers():
    upsert_papers([PaperRecord(arxiv_id=f"2411.1777{n}", source="arxiv-rss", title=f"Paper {n}",
                               listed_on=dt.date(2024, 11, 28)) for n in range(3)])
    return list(Paper.objects.order_by("arxiv_id"))


@pytest.fixture
def alice_with_things(alice, bob, papers):
    for paper in papers[:2]:
        actions.upvote(alice, paper)
    actions.upvote(bob, papers[0])
    ApiToken.issue(alice, "script")
    Preferences.objects.create(user=alice, feed_filter="cs.CV;code")
    Subscriber.objects.create(email="alice@example.org", user=alice, categories=["cs.CV"],
                              confirmed_at=dt.datetime.now(dt.UTC))
    entry = DailyEntry.objects.get(paper=papers[2])
    entry.submitted_by = alice
    entry.save()
    return alice


def test_a_reader_changes_their_password_and_stays_logged_in(client, alice):
    client.login(username="alice", password=PASSWORD)
    response = client.post("/accounts/password-change/", {
        "old_password": PASSWORD, "new_password1": "a much better secret 42", "new_password2": "a much better secret 42"})
    assert response.status_code == 302 and response["Location"] == "/profile/"
    assert "Your password is changed" in client.get("/profile/").content.decode()
    assert client.login(username="alice", password="a much better secret 42")


def test_the_wrong_old_password_changes_nothing(client, alice):
    client.login(username="alice", password=PASSWORD)
    response = client.post("/accounts/password-change/", {
        "old_password": "wrong", "new_password1": "a much better secret 42", "new_password2": "a much better secret 42"})
    assert response.status_code == 200 and "Your old password was entered incorrectly" in response.content.decode()
    assert client.login(username="alice", password=PASSWORD)


def test_a_reader_downloads_everything_kept_about_them(client, alice_with_things, papers):
    client.force_login(alice_with_things)
    response = client.get("/profile/data.json")
    assert response["Content-Disposition"] == 'attachment; filename="papertide-alice.json"'
    data = json.loads(response.content)
    assert data["account"]["email"] == "alice@example.org"
    assert [u["arxiv_id"] for u in data["upvotes"]] == ["2411.17770", "2411.17771"]
    assert [s["arxiv_id"] for s in data["submissions"]] == ["2411.17772"]
    assert data["api_tokens"][0]["name"] == "script" and "digest" not in data["api_tokens"][0]
    assert data["feed_filter"] == "cs.CV;code"
    assert data["digest_subscriptions"][0]["categories"] == ["cs.CV"]


def test_deleting_the_account_needs_the_password(client, alice_with_things):
    client.force_login(alice_with_things)
    response = client.post("/profile/delete/", {"password": "wrong"})
    assert response.status_code == 400 and "That is not your password" in response.content.decode()
    assert get_user_model().objects.filter(username="alice").exists()


def test_deleting_the_account_removes_what_is_theirs_and_keeps_the_list(client, alice_with_things, papers):
    client.force_login(alice_with_things)
    response = client.post("/profile/delete/", {"password": PASSWORD}, follow=True)
    assert "Your account is deleted" in response.content.decode()
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not ApiToken.objects.exists() and not Preferences.objects.exists() and not Subscriber.objects.exists()
    assert list(Upvote.objects.values_list("user__username", flat=True)) == ["bob"]
    assert [p.upvote_count for p in Paper.objects.order_by("arxiv_id")] == [1, 0, 0]  # counts follow
    assert DailyEntry.objects.get(paper=papers[2]).submitted_by is None  # the submission stays listed
    assert client.get("/profile/").status_code == 302  # logged out


def test_the_profile_keeps_the_main_button_for_the_main_action(client, alice_with_things):
    client.force_login(alice_with_things)
    page = client.get("/profile/").content.decode()
    assert '<button type="submit" class="secondary">Log out</button>' in page
    assert 'class="link" aria-label="Revoke script">Revoke</button>' in page
    assert '<button type="submit">Create token</button>' in page
    assert page.count('class="upvote on" aria-pressed="true"') == 2  # my upvotes, pressed


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password-reset/"])
def test_account_pages_are_titled_with_the_sites_name_not_its_host(client, settings, url):
    settings.SITE_NAME = "Lab papers"
    page = client.get(url).content.decode()
    assert "· Lab papers</title>" in page and "testserver</title>" not in page
