"""The page cache for anonymous readers: the same page for a few seconds, but never someone else's token,
markers or upvotes."""

import datetime as dt
import re
import time

import pytest
from django.core.cache import caches
from django.test import Client

from papertide.papers import actions
from papertide.papers.models import Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord
from papertide.web import visits
from papertide.web.page_cache import CSRF_PLACEHOLDER, pieces
from tests.helpers import at_most_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60
    caches["pages"].clear()
    upsert_papers([PaperRecord(arxiv_id="2411.17775", source="arxiv-rss", title="Dark matter",
                               listed_on=dt.date(2024, 11, 28))])
    yield
    caches["pages"].clear()


def token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


def test_an_anonymous_reader_gets_the_kept_page(client, alice):
    first = client.get("/").content.decode()
    actions.upvote(alice, Paper.objects.get())
    assert '<span class="count">0</span>' in first
    assert '<span class="count">0</span>' in Client().get("/").content.decode()  # still the kept page


def test_a_logged_in_reader_shares_the_kept_page_but_sees_their_own_upvote_at_once(client, alice, bob):
    Client().get("/")
    actions.upvote(alice, Paper.objects.get())
    Paper.objects.update(title="Renamed")  # not on the kept page until it expires
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "Dark matter" in page and "Renamed" not in page
    assert 'class="upvote on" aria-pressed="true"' in page and '<span class="count">1</span>' in page
    assert f'href="/profile/">{alice.username}</a>' in page
    other = Client()
    other.force_login(bob)
    theirs = other.get("/").content.decode()
    assert 'aria-pressed="true"' not in theirs and alice.username not in theirs and bob.username in theirs


def test_the_overlay_needs_one_query_for_the_readers_upvotes(client, alice):
    Client().get("/")
    client.force_login(alice)
    client.get("/")  # her first page also counts the papers she likes ("For you"), kept in the readers' cache
    with at_most_queries(5):  # the latest day, session, user, filter, upvotes on the page
        assert client.get("/").status_code == 200


def test_each_reader_gets_their_own_csrf_token_and_it_works(client):
    one, two = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first, second = one.get("/").content.decode(), two.get("/").content.decode()
    assert CSRF_PLACEHOLDER not in first + second and token(first) != token(second)
    assert two.post("/subscribe/", {"email": "x@example.org", "csrfmiddlewaretoken": token(second)}).status_code == 200
    assert one.post("/subscribe/", {"email": "y@example.org", "csrfmiddlewaretoken": token(first)}).status_code == 200


def test_new_markers_are_not_shared(client):
    reader = Client()
    reader.cookies[visits.SEEN_COOKIE] = f"{time.time() - 7200 - 3600 * 24 * 365 * 5:.0f}"  # back after 5 years
    assert '<span class="new">New</span>' in reader.get("/").content.decode()
    assert '<span class="new">New</span>' not in Client().get("/").content.decode()


def test_with_the_cache_off_every_page_is_fresh(client, alice, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    actions.upvote(alice, Paper.objects.get())
    assert '<span class="count">1</span>' in client.get("/").content.decode()


def test_a_kept_card_returns_to_the_page_it_is_on_and_follows_upvotes(client, alice, settings):
    settings.PAGE_CACHE_SECONDS = 0  # only the card cache
    day = client.get("/day/2024-11-28/").content.decode()
    week = client.get("/week/2024-W48/").content.decode()
    assert 'name="next" value="/day/2024-11-28/"' in day
    assert 'name="next" value="/week/2024-W48/"' in week
    actions.upvote(alice, Paper.objects.get())
    assert '<span class="count">1</span>' in client.get("/day/2024-11-28/").content.decode()
    assert sum(key.startswith("card:") for key in pieces.found) >= 2  # the card before and after the upvote


def test_an_expired_page_is_rendered_by_one_request_while_the_others_get_the_kept_copy(client, settings):
    settings.PAGE_CACHE_SECONDS = 1
    assert "Dark matter" in client.get("/").content.decode()
    paper = Paper.objects.get()
    paper.title = "Renamed"
    paper.save()
    time.sleep(1.1)  # the kept page is past its time
    key = "page:/:site:"  # the front page, under the site's (empty) filter
    assert caches["pages"].get(key)
    assert caches["pages"].add(f"lock:{key}", 1, 10)  # another process is rendering it anew
    assert "Dark matter" in Client().get("/").content.decode()
    caches["pages"].delete(f"lock:{key}")
    assert "Renamed" in Client().get("/").content.decode()  # this one takes the lock and renders


def test_a_site_with_more_readers_than_a_default_cache_holds_keeps_every_session_cached(django_user_model):
    # Django's file cache holds 300 entries by default and drops a third at random when full: with more readers
    # than that, page views went to the database for the session and the remembered filter (docs/benchmarks.md).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Client().get("/")
    readers = django_user_model.objects.bulk_create(django_user_model(username=f"reader{n}") for n in range(400))
    clients = []
    for reader in readers:
        clients.append(Client())
        clients[-1].force_login(reader)
        clients[-1].get("/")
    for reader_client in clients:
        with CaptureQueriesContext(connection) as queries:
            assert reader_client.get("/").status_code == 200
        tables = " ".join(query["sql"] for query in queries.captured_queries)
        assert "django_session" not in tables and "accounts_preferences" not in tables


def test_the_file_cache_looks_at_its_size_now_and_then_and_keeps_to_it(tmp_path):
    from papertide.file_cache import CULL_EVERY, FileCache

    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 300}})
    for n in range(1000):
        cache.set(f"page{n}", n)
    assert 200 <= len(list(tmp_path.glob("*.djcache"))) <= 300 + CULL_EVERY
    assert cache.get("page999") == 999


def test_a_process_keeps_the_pages_it_read_until_another_writes_them_or_they_expire(tmp_path):
    """Each web process keeps the pages it last read (no unpickling at every view), but a page another process
    wrote since, or one past its time, is never given from what it kept."""
    from papertide.file_cache import FileCache

    one, other = (FileCache(str(tmp_path), {"OPTIONS": {"REMEMBER": 2}}) for _ in range(2))
    other.set("page", {"body": "first"}, 60)
    assert one.get("page") == {"body": "first"}
    assert one.get("page") is one.get("page")  # given from memory
    other.set("page", {"body": "second"}, 60)  # same size: the file (inode, time) tells
    assert one.get("page") == {"body": "second"}
    other.set("brief", "soon gone", 1)
    assert one.get("brief") == "soon gone"
    time.sleep(1.1)
    assert one.get("brief") is None and one.get("brief", "default") == "default"
    other.delete("page")
    assert one.get("page") is None
    for n in range(5):  # it keeps no more than it was told to
        other.set(f"p{n}", n)
        assert one.get(f"p{n}") == n
    assert len(one._read) == 2
