"""Collections as readers use them: made from a paper's "Add to…" menu (htmx) or the collections page, notes and
order, public pages with a feed and a BibTeX export, private ones a 404 to everyone else (pages, feeds, exports
and the API), following one, and its new papers first in the follower's digest. The library is the reader's
private default collection: first in every menu and list, and adding to it saves the paper."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from django.test import Client
from django.utils import timezone

from papertide.accounts.models import ApiToken
from papertide.collections.models import Collection, Following, Item
from papertide.papers.models import Paper
from papertide.papers.upsert import upsert_papers
from papertide.recs.models import Save
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = dt.date(2024, 11, 28)
IDS = [f"2411.1777{i}" for i in range(4)]


@pytest.fixture
def papers():
    upsert_papers([PaperRecord(arxiv_id=arxiv_id, source="huggingface", title=f"Paper {i}", listed_on=DAY,
                               authors=["Ada Lovelace"]) for i, arxiv_id in enumerate(IDS)])
    return {p.arxiv_id: p for p in Paper.objects.all()}


@pytest.fixture
def reading_list(alice, as_alice, papers):
    """Alice's public collection of three papers, made from the papers' menus."""
    as_alice.post("/papers/2411.17770/collections/", {"shelf": "library"}, **HTMX)
    made = as_alice.post("/collections/new/", {"name": "Diffusion reading", "paper": "2411.17770"}, **HTMX)
    assert made.status_code == 200
    collection = Collection.objects.get(name="Diffusion reading")
    for arxiv_id in IDS[1:3]:
        as_alice.post(f"/papers/{arxiv_id}/collections/", {"shelf": str(collection.pk)}, **HTMX)
    as_alice.post(f"/collections/{collection.pk}/edit/", {"name": "Diffusion reading", "public": "1",
                                                         "description": "What our group reads"})
    collection.refresh_from_db()
    return collection


def test_the_add_to_menu_lists_the_library_first_and_each_collection(as_alice, reading_list):
    menu = as_alice.get("/papers/2411.17770/collections/", **HTMX).content.decode()
    assert "<html" not in menu
    assert menu.index("✓ Library") < menu.index("✓ Diffusion reading")  # in both
    assert "private, default" in menu and "public" in menu
    assert Save.objects.filter(paper__arxiv_id="2411.17770").count() == 1  # the library is the saves
    removed = as_alice.post("/papers/2411.17770/collections/", {"shelf": "library", "action": "remove"},
                            **HTMX).content.decode()
    assert "+ Library" in removed and not Save.objects.exists()
    assert [i.paper.arxiv_id for i in reading_list.items.all()] == IDS[:3]


def test_every_card_opens_the_menu_and_anonymous_readers_are_asked_to_log_in(client, reading_list):
    day = client.get("/day/2024-11-28/").content.decode()
    assert 'hx-get="/papers/2411.17770/collections/"' in day and 'id="add-to-' in day
    htmx = client.get("/papers/2411.17770/collections/", **HTMX)
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith("/accounts/login/")
    assert client.get("/papers/2411.17770/collections/")["Location"].startswith("/accounts/login/")


def test_without_javascript_the_menu_is_a_page(as_alice, reading_list):
    response = as_alice.post("/papers/2411.17773/collections/", {"shelf": str(reading_list.pk)})
    assert response.status_code == 302 and response["Location"] == "/papers/2411.17773/collections/"
    assert "✓ Diffusion reading" in as_alice.get(response["Location"]).content.decode()


def test_a_public_collection_has_a_page_a_feed_and_a_bibtex_export(client, reading_list, as_alice):
    as_alice.post(f"/collections/{reading_list.pk}/papers/2411.17771/", {"action": "note", "note": "Read §3 first"})
    page = client.get(reading_list.get_absolute_url()).content.decode()
    assert "Diffusion reading" in page and "What our group reads" in page and "Read §3 first" in page
    assert page.index("Paper 0") < page.index("Paper 1") < page.index("Paper 2")
    assert 'name="action" value="up"' not in page  # only the owner reorders
    assert client.get(f"/collections/{reading_list.pk}/").status_code == 301  # the address with its name
    parsed = feedparser.parse(client.get(f"/feeds/collections/{reading_list.pk}.rss").content)
    assert parsed.feed.title == "Diffusion reading — a collection by alice"
    assert sorted(e.title for e in parsed.entries) == ["Paper 0", "Paper 1", "Paper 2"]
    assert any(e.summary.startswith("Read §3 first") for e in parsed.entries)
    bib = client.get(f"/collections/{reading_list.pk}.bib")
    assert bib["Content-Disposition"] == 'attachment; filename="diffusion-reading.bib"'
    assert bib.content.decode().count("@misc{") == 3 and "note={Read §3 first}" in bib.content.decode()


def test_the_owner_reorders_and_removes_without_a_reload(as_alice, reading_list):
    fragment = as_alice.post(f"/collections/{reading_list.pk}/papers/2411.17772/", {"action": "up"},
                             **HTMX).content.decode()
    assert "<html" not in fragment and fragment.index("Paper 2") < fragment.index("Paper 1")
    as_alice.post(f"/collections/{reading_list.pk}/papers/2411.17772/", {"action": "up"}, **HTMX)
    order = [i.paper.arxiv_id for i in Item.objects.filter(collection=reading_list)]
    assert order == ["2411.17772", "2411.17770", "2411.17771"]
    as_alice.post(f"/collections/{reading_list.pk}/papers/2411.17772/", {"action": "up"}, **HTMX)  # first already
    assert [i.position for i in Item.objects.filter(collection=reading_list)] == [0, 1, 2]
    gone = as_alice.post(f"/collections/{reading_list.pk}/papers/2411.17770/", {"action": "remove"},
                         **HTMX).content.decode()
    assert "Paper 0" not in gone and Item.objects.filter(collection=reading_list).count() == 2


def test_a_private_collection_is_a_404_to_everyone_else_everywhere(as_alice, as_bob, client, reading_list, alice,
                                                                    bob):
    as_alice.post(f"/collections/{reading_list.pk}/edit/", {"name": "Diffusion reading"})  # public unticked
    paths = [reading_list.get_absolute_url(), f"/collections/{reading_list.pk}.bib",
             f"/feeds/collections/{reading_list.pk}.rss", f"/api/v1/collections/{reading_list.pk}"]
    for reader in (client, as_bob):
        assert [reader.get(path).status_code for path in paths] == [404] * 4
    _, bobs_token = ApiToken.issue(bob, "bot")
    _, alices_token = ApiToken.issue(alice, "bot")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {bobs_token}").get(paths[3]).status_code == 404
    assert Client(HTTP_AUTHORIZATION=f"Bearer {alices_token}").get(paths[3]).json()["public"] is False
    assert as_alice.get(paths[0]).status_code == 200 and as_alice.get(paths[1]).status_code == 200
    # Nobody changes another reader's collection.
    for path, data in [(f"/collections/{reading_list.pk}/edit/", {"name": "Mine now", "public": "1"}),
                       (f"/collections/{reading_list.pk}/delete/", {}),
                       (f"/collections/{reading_list.pk}/papers/2411.17773/", {"action": "add"}),
                       ("/papers/2411.17773/collections/", {"shelf": str(reading_list.pk)})]:
        assert as_bob.post(path, data).status_code == 404
    reading_list.refresh_from_db()
    assert reading_list.name == "Diffusion reading" and reading_list.items.count() == 3


def test_names_are_unique_per_reader_and_library_is_taken(as_alice, reading_list):
    as_alice.post("/collections/new/", {"name": "Diffusion reading"})
    as_alice.post("/collections/new/", {"name": "library"})
    assert Collection.objects.count() == 1
    page = as_alice.get("/collections/").content.decode()
    assert "You have a collection called “Diffusion reading” already." in page
    assert "“Library” is your saved papers already" in page
    assert page.index("Library") < page.index("Diffusion reading")


def test_readers_follow_a_public_collection(as_bob, bob, reading_list):
    fragment = as_bob.post(f"/collections/{reading_list.pk}/follow/", {"action": "follow"}, **HTMX).content.decode()
    assert 'aria-pressed="true"' in fragment and Following.objects.filter(user=bob).exists()
    assert "1 follower" in as_bob.get(reading_list.get_absolute_url()).content.decode()
    assert "Diffusion reading" in as_bob.get("/collections/").content.decode()
    as_bob.post(f"/collections/{reading_list.pk}/follow/", {"action": "unfollow"}, **HTMX)
    assert not Following.objects.exists()


def test_a_followed_collections_new_papers_come_first_in_the_digest(bob, reading_list, papers):
    from papertide.digests.models import Frequency, Subscriber
    from papertide.digests.selection import Candidates, DigestPeriod

    Following.objects.create(user=bob, collection=reading_list)
    subscriber = Subscriber.objects.create(email="bob@example.org", user=bob, confirmed_at=timezone.now(),
                                           frequency=Frequency.DAILY, max_papers=2)
    old = Paper.objects.create(arxiv_id="2301.00001", title="An older paper", source="arxiv-api")
    item = Item.objects.create(collection=reading_list, paper=old, position=9)
    period = DigestPeriod.of(Frequency.DAILY, DAY)
    Item.objects.filter(pk=item.pk).update(added_at=timezone.make_aware(dt.datetime(2024, 11, 27, 15)))
    candidates = Candidates(period)
    choice = candidates.choose(subscriber, set())
    assert choice.papers[0].arxiv_id == "2301.00001"  # not on any list of the period, but followed
    assert choice.reasons[old.pk] == "Because you follow the collection “Diffusion reading”"
    # A paper sent before is not sent again (already_sent covers what collections bring); a private collection
    # brings nothing.
    assert candidates.choose(subscriber, {old.pk}).papers[0].arxiv_id != "2301.00001"
    Collection.objects.filter(pk=reading_list.pk).update(public=False)
    assert Candidates(period).choose(subscriber, set()).papers[0].arxiv_id != "2301.00001"


def test_the_api_lists_mine_with_the_library_first_and_writes_with_a_token(alice, reading_list):
    _, token = ApiToken.issue(alice, "bot")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    mine = api.get("/api/v1/me/collections").json()
    assert [c["id"] for c in mine] == ["library", str(reading_list.pk)] and mine[0]["papers"] == 1
    made = api.post("/api/v1/collections", {"name": "Robots", "public": True}, content_type="application/json")
    assert made.status_code == 201
    added = api.put(f"/api/v1/collections/{made.json()['id']}/papers/2411.17773", {"note": "grasping"},
                    content_type="application/json")
    assert added.status_code == 200 and added.json()["papers"] == 1
    shown = Client().get(f"/api/v1/collections/{made.json()['id']}").json()
    assert shown["items"][0]["note"] == "grasping" and shown["items"][0]["paper"]["arxiv_id"] == "2411.17773"
    assert api.delete(f"/api/v1/collections/{made.json()['id']}/papers/2411.17773").json()["papers"] == 0
    assert Client().post("/api/v1/collections", {"name": "x"}, content_type="application/json").status_code == 401


def test_every_write_of_collections_claims_and_notifications_needs_the_csrf_token(alice, papers, reading_list):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for path, data in [("/collections/new/", {"name": "Forged"}),
                       (f"/collections/{reading_list.pk}/edit/", {"name": "Forged", "public": "1"}),
                       (f"/collections/{reading_list.pk}/delete/", {}),
                       (f"/collections/{reading_list.pk}/follow/", {}),
                       (f"/collections/{reading_list.pk}/papers/2411.17773/", {"action": "add"}),
                       ("/papers/2411.17773/collections/", {"shelf": "library"}),
                       ("/papers/2411.17770/claim/", {"name": "Ada Lovelace"}),
                       ("/notifications/email/", {})]:
        assert client.post(path, data).status_code == 403, path
    reading_list.refresh_from_db()
    assert reading_list.name == "Diffusion reading" and Collection.objects.count() == 1
