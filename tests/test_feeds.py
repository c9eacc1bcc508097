"""RSS and Atom feeds, parsed by feedparser as a feed reader would."""

import feedparser
import pytest

pytestmark = pytest.mark.usefixtures("indexed_demo")


def parsed(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_the_daily_feed_lists_the_days_papers(client, db, kind):
    feed = parsed(client, f"/feeds/daily.{kind}")
    assert len(feed.entries) == 935  # the whole day, not a first hundred
    entry = feed.entries[0]
    assert entry.title and entry.summary
    assert entry.link.startswith("http://testserver/papers/")
    assert entry.published_parsed[:3] == (2024, 11, 28)
    assert entry.author


def test_an_entry_has_the_papers_authors_and_categories(client, db):
    feed = parsed(client, '/feeds/author/Václav Vavryčuk.rss')
    [entry] = feed.entries
    assert entry.title == "What is the amount of baryonic dark matter in galaxies?"
    assert entry.author == "Václav Vavryčuk"
    assert [t.term for t in entry.tags] == ["astro-ph.GA", "astro-ph.CO"]
    assert entry.link == "http://testserver/papers/2411.17775/"


def test_a_search_feed(client, db):
    feed = parsed(client, "/feeds/search.atom?q=gaussian+splatting")
    assert "gaussian splatting" in feed.feed.title
    assert any("Gaussian" in e.title for e in feed.entries[:3])


def test_a_category_feed_holds_only_that_category(client, db):
    feed = parsed(client, "/feeds/category/math.CO.rss")
    assert feed.entries
    assert all("math.CO" in [t.term for t in e.tags] for e in feed.entries)


def test_trending_feed(client, db):
    assert len(parsed(client, "/feeds/trending.rss").entries) == 100


def test_a_search_feed_needs_a_query(client, db):
    assert client.get("/feeds/search.rss").status_code == 404


def test_pages_advertise_their_feeds(client, db):
    home = client.get("/").content.decode()
    assert 'rel="alternate" type="application/rss+xml"' in home and "/feeds/daily.rss" in home
    paper = client.get("/papers/2411.17775/").content.decode()
    assert "/feeds/category/astro-ph.GA.rss" in paper
    search = client.get("/search/?q=dark+matter").content.decode()
    assert "/feeds/search.rss?q=dark%20matter" in search


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_the_daily_feed_takes_the_feeds_filter(client, db, kind):
    feed = parsed(client, f"/feeds/daily.{kind}?cat=cs.CV,cs.LG,-cs.RO&code=1")
    assert 0 < len(feed.entries) < 100
    for entry in feed.entries:
        terms = [t.term for t in entry.tags]
        assert {"cs.CV", "cs.LG"} & set(terms) and terms[0] != "cs.RO"
    assert "cs.CV or cs.LG; not cs.RO; with code" in feed.feed.title


def test_the_trending_feed_takes_the_feeds_filter(client, db):
    feed = parsed(client, "/feeds/trending.rss?cat=math")
    assert feed.entries and all(any(t.term.startswith("math") for t in e.tags) for e in feed.entries)


def test_a_feed_with_an_unknown_category_says_which(client, db):
    response = client.get("/feeds/daily.rss?cat=cs.XX")
    assert response.status_code == 400 and "cs.XX" in response.content.decode()
