"""Following an author, a category or a search: its papers come first in the reader's digest, delivered to a real
SMTP server on loopback."""

import datetime as dt

import pytest

from papertide.demo import load_demo_day
from papertide.digests.models import DigestItem, Subscriber
from papertide.digests.sender import send_digests
from papertide.papers.models import Paper

pytestmark = pytest.mark.django_db
THURSDAY = dt.date(2024, 11, 28)


@pytest.fixture
def alice_subscribed(alice):
    load_demo_day()
    return Subscriber.objects.create(email=alice.email, user=alice, categories=["cs.CV"], max_papers=5,
                                     confirmed_at=dt.datetime.now(dt.UTC))


def follow(client, kind, value, **extra):
    return client.post("/follow/", {"kind": kind, "value": value, "next": "/", **extra}, follow=True)


def test_a_followed_author_comes_first_in_the_digest_whatever_the_filters(client, alice, alice_subscribed, smtp):
    client.force_login(alice)
    page = follow(client, "author", "Vaclav Vavrycuk").content.decode()  # accents optional, as in search
    assert "You follow papers by Vaclav Vavrycuk" in page
    send_digests("daily", THURSDAY, progress=False)
    sent = list(DigestItem.objects.filter(subscriber=alice_subscribed).order_by("pk").values_list(
        "paper__arxiv_id", flat=True))
    assert sent[0] == "2411.17775"  # astro-ph, outside her cs.CV filter: the follow brings it, first
    assert len(sent) == 5 and all("cs.CV" in Paper.objects.get(arxiv_id=a).categories for a in sent[1:])
    (mail,) = smtp.to(alice.email)
    text, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    assert "What is the amount of baryonic dark matter in galaxies?" in text
    # The paper the follow brought says so; the papers her filters brought do not.
    assert text.count("(Because you follow papers by Vaclav Vavrycuk)") == 1
    title = text.index("baryonic dark matter")
    assert title < text.index("Because you follow") < text.index("\n* ", title)  # under its title
    assert html.count("Because you follow papers by Vaclav Vavrycuk") == 1 and "papertide:reason" not in html + text


def test_a_followed_category_brings_its_papers(client, alice, alice_subscribed, smtp):
    client.force_login(alice)
    follow(client, "category", "MATH.co")
    assert Subscriber.objects.get().follows == [{"kind": "category", "value": "math.CO"}]
    send_digests("daily", THURSDAY, progress=False)
    first = DigestItem.objects.filter(subscriber=alice_subscribed).order_by("pk").first().paper
    assert "math.CO" in first.categories


def test_following_twice_and_stopping(client, alice, alice_subscribed):
    client.force_login(alice)
    follow(client, "search", "graph neural networks")
    follow(client, "search", "graph neural networks")
    assert Subscriber.objects.get().follows == [{"kind": "search", "value": "graph neural networks"}]
    assert "Stop following" in client.get("/profile/").content.decode()
    follow(client, "search", "graph neural networks", action="remove")
    assert Subscriber.objects.get().follows == []


def test_an_unknown_category_cannot_be_followed(client, alice, alice_subscribed):
    client.force_login(alice)
    page = follow(client, "category", "cs.XX").content.decode()
    assert "“cs.XX” is not an arXiv category" in page and Subscriber.objects.get().follows == []


def test_following_without_a_digest_subscribes_with_double_opt_in(client, alice, mailoutbox):
    client.force_login(alice)
    page = follow(client, "author", "Yann LeCun").content.decode()
    assert "once you confirm your subscription" in page
    subscriber = Subscriber.objects.get()
    assert subscriber.user == alice and not subscriber.is_receiving and subscriber.follows
    assert "Confirm your subscription" in mailoutbox[0].subject


def test_an_anonymous_reader_is_asked_to_log_in(client):
    response = client.post("/follow/", {"kind": "author", "value": "X"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_pages_offer_to_follow(client, alice):
    load_demo_day()
    client.force_login(alice)
    assert 'name="kind" value="author"' in client.get("/authors/Vaclav Vavrycuk/").content.decode()
    feed = client.get("/day/2024-11-28/?cat=cs.CV").content.decode()
    assert 'name="kind" value="category"' in feed and 'name="value" value="cs.CV"' in feed
    assert 'name="kind" value="category"' not in client.get("/day/2024-11-28/?cat=cs.CV,cs.LG").content.decode()
