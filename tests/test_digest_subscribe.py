"""Subscribing to the digest: double opt-in, signed links for preferences, unsubscribing."""

import re

import pytest
from django.test import Client

from papertide.digests.models import Subscriber

pytestmark = pytest.mark.django_db


def link_in(mail, path: str) -> str:
    return re.search(rf"http://127\.0\.0\.1:8000({path}\S+/)", mail.body)[1]


@pytest.fixture
def confirmed(client, mailoutbox):
    client.post("/subscribe/", {"email": "erin@example.org"})
    client.post(link_in(mailoutbox[0], "/subscribe/confirm/"))
    return Subscriber.objects.get()


def test_every_page_offers_the_subscribe_box(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Get trending papers in your email inbox" in page and 'action="/subscribe/"' in page


def test_subscribing_sends_a_confirmation_and_nothing_else_until_confirmed(client, mailoutbox):
    page = client.post("/subscribe/", {"email": "erin@example.org"}).content.decode()
    assert "Check your inbox" in page
    (mail,) = mailoutbox
    assert mail.to == ["erin@example.org"] and "Confirm your subscription" in mail.subject
    assert dict(mail.alternatives and [(a.mimetype, a.content) for a in mail.alternatives])["text/html"]
    assert not Subscriber.objects.get().is_receiving


def test_opening_the_link_asks_before_confirming(client, mailoutbox):
    client.post("/subscribe/", {"email": "erin@example.org"})
    link = link_in(mailoutbox[0], "/subscribe/confirm/")
    assert "Yes, subscribe me" in client.get(link).content.decode()
    assert not Subscriber.objects.get().is_receiving  # a mail scanner following the link changes nothing
    response = client.post(link, follow=True)
    assert "You are subscribed" in response.content.decode()
    assert Subscriber.objects.get().is_receiving


def test_a_tampered_or_foreign_link_does_nothing(client, confirmed):
    token = confirmed.token("manage")
    assert client.get(f"/digests/{token}x/").status_code == 404
    assert client.post(f"/subscribe/confirm/{token}/").status_code == 404  # a manage token cannot confirm
    assert client.get("/digests/garbage/").status_code == 404


def test_subscribing_again_sends_the_preferences_link_and_reveals_nothing(client, confirmed, mailoutbox):
    page = client.post("/subscribe/", {"email": "Erin@example.org"}).content.decode()
    assert "Check your inbox" in page
    assert "already receives" in mailoutbox[-1].body and "/digests/" in mailoutbox[-1].body
    assert Subscriber.objects.count() == 1


def test_an_invalid_address_is_refused(client, mailoutbox):
    response = client.post("/subscribe/", {"email": "not an address"})
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    assert mailoutbox == []


def test_subscriptions_from_one_address_are_limited(client, settings, mailoutbox):
    settings.LOGIN_RATE_LIMIT = 2
    for n in range(2):
        client.post("/subscribe/", {"email": f"spam{n}@example.org"})
    assert client.post("/subscribe/", {"email": "spam9@example.org"}).status_code == 429
    assert len(mailoutbox) == 2


def test_preferences_are_changed_through_the_signed_link(client, confirmed):
    url = f"/digests/{confirmed.token('manage')}/"
    response = client.post(url, {"frequency": "weekly", "categories": "cs.CL, cs.LG", "keywords": "retrieval, agents",
                                 "min_score": "2", "max_papers": "5", "send_empty": "on"}, follow=True)
    assert "Your preferences are saved" in response.content.decode()
    confirmed.refresh_from_db()
    assert (confirmed.frequency, confirmed.categories, confirmed.keywords, confirmed.min_score, confirmed.max_papers,
            confirmed.send_empty) == ("weekly", ["cs.CL", "cs.LG"], ["retrieval", "agents"], 2, 5, True)
    assert client.post(url, {"frequency": "hourly", "max_papers": "5", "min_score": "0"}).status_code == 400


def test_an_unknown_category_is_refused_with_its_name(client, confirmed):
    url = f"/digests/{confirmed.token('manage')}/"
    response = client.post(url, {"frequency": "daily", "categories": "cs.CL cs.XX", "max_papers": "5", "min_score": "0"})
    assert response.status_code == 400 and "“cs.XX” is not an arXiv category" in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.categories == []
    client.post(url, {"frequency": "daily", "categories": "CS.cl, -hep-*", "with_code": "on", "max_papers": "5",
                      "min_score": "0"})
    confirmed.refresh_from_db()
    assert (confirmed.categories, confirmed.with_code) == (["cs.CL", "-hep-*"], True)


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token(confirmed):
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(f"/digests/{confirmed.token('manage')}/unsubscribe/",
                                "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    confirmed.refresh_from_db()
    assert not confirmed.is_receiving and confirmed.unsubscribed_at


def test_the_unsubscribe_link_asks_first_and_can_be_undone(client, confirmed):
    url = f"/digests/{confirmed.token('manage')}/unsubscribe/"
    assert "Stop sending digests" in client.get(url).content.decode()
    assert Subscriber.objects.get().is_receiving
    assert "You are unsubscribed" in client.post(url).content.decode()
    client.post(f"/digests/{confirmed.token('manage')}/resubscribe/")
    assert Subscriber.objects.get().is_receiving


def test_a_logged_in_reader_subscribes_from_the_profile(client, alice, mailoutbox):
    client.force_login(alice)
    page = client.get("/profile/").content.decode()
    assert 'value="alice@example.org"' in page and 'action="/subscribe/"' in page
    client.post("/subscribe/", {"email": "alice@example.org"})
    assert Subscriber.objects.get().user == alice
    assert "confirmation link to <strong>alice@example.org" in client.get("/profile/").content.decode()
    client.post(link_in(mailoutbox[0], "/subscribe/confirm/"))
    assert "Change what you receive, or unsubscribe" in client.get("/profile/").content.decode()
