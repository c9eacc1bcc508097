"""Narrowing the firehose: category filters in the URL, chips with counts, remembered per reader, the site's
default — tested on the real demo day (935 papers of every archive)."""

import re

import pytest
from django.test import Client

from papertide.demo import load_demo_day
from papertide.papers import taxonomy
from papertide.papers.feed_filter import FeedFilter, FilterError
from papertide.papers.models import Paper
from papertide.web.reader_filter import COOKIE

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_day():
    load_demo_day()


def shown_ids(page: str) -> list[str]:
    return re.findall(r'action="/papers/([^/]+)/upvote/"', page)


@pytest.mark.parametrize("text, include, exclude", [
    ("cs.cv, CS.LG", ("cs.CV", "cs.LG"), ()),
    ("cs -hep-*", ("cs",), ("hep-*",)),
    ("Physics math.co", ("physics", "math.CO"), ()),
    ("cond-mat.str-el -astro-ph", ("cond-mat.str-el",), ("astro-ph",)),
])
def test_a_filter_is_read_in_any_case_and_spelled_as_arxiv_does(text, include, exclude):
    found = FeedFilter.parse(text)
    assert (found.include, found.exclude) == (include, exclude)
    assert FeedFilter.from_param(found.to_param()) == found


@pytest.mark.parametrize("text", ["cs.XX", "-foo", "qbio", "zz*"])
def test_a_term_arxiv_does_not_have_is_refused_with_its_name(text):
    with pytest.raises(FilterError, match=re.escape(text.lstrip("-")[:5])):
        FeedFilter.parse(text)


@pytest.mark.parametrize("text", ["cs.CV", "cs", "physics", "hep-*", "-hep-*", "cs.LG -cs.CV", "math -math.CO",
                                  "q-bio stat.ML"])
def test_the_database_and_the_digest_apply_the_same_rule(demo_day, text):
    chosen = FeedFilter.parse(text)
    in_database = set(chosen.apply(Paper.objects.filter(daily_entry__isnull=False)).values_list("arxiv_id", flat=True))
    in_memory = {p.arxiv_id for p in Paper.objects.filter(daily_entry__isnull=False)
                 if chosen.matches(p.categories, p.primary_category, p.code_url)}
    assert in_database == in_memory and 0 < len(in_database) < 935


def test_cross_lists_count_for_inclusion_and_the_primary_category_for_exclusion(demo_day):
    ml_not_vision = FeedFilter.parse("cs.LG -cs.CV")
    cross_listed = Paper.objects.get(arxiv_id="2411.18625")  # cs.CV, cross-listed
    assert cross_listed.primary_category == "cs.CV"
    assert not ml_not_vision.matches(cross_listed.categories, "cs.CV", "")
    assert ml_not_vision.matches(["cs.LG", "cs.CV"], "cs.LG", "")
    assert FeedFilter.parse("physics").matches(["hep-th"], "hep-th", "")
    assert not FeedFilter.parse("physics").matches(["cs.LG"], "cs.LG", "")


def test_the_day_narrowed_to_two_categories_lists_exactly_their_papers(client, demo_day, settings):
    settings.PAPERS_PER_PAGE = 500
    page = client.get("/day/2024-11-28/?cat=cs.CV,cs.LG").content.decode()
    expected = {p.arxiv_id for p in Paper.objects.filter(daily_entry__isnull=False)
                if {"cs.CV", "cs.LG"} & set(p.categories)}
    assert set(shown_ids(page)) == expected
    assert f"{len(expected)} of 935 papers" in page
    assert "Showing <strong>cs.CV or cs.LG</strong>" in page


def test_hiding_an_archive_removes_its_papers(client, demo_day, settings):
    settings.PAPERS_PER_PAGE = 1000
    page = client.get("/?cat=-hep-*,-astro-ph").content.decode()
    shown = Paper.objects.filter(arxiv_id__in=shown_ids(page))
    assert shown.count() > 500
    assert not any(p.primary_category.startswith(("hep-", "astro-ph")) for p in shown)


def test_has_code_keeps_only_papers_with_a_code_link(client, demo_day, settings):
    settings.PAPERS_PER_PAGE = 1000
    page = client.get("/?code=1").content.decode()
    with_code = set(Paper.objects.filter(daily_entry__isnull=False).exclude(code_url="").values_list("arxiv_id", flat=True))
    assert set(shown_ids(page)) == with_code and 10 < len(with_code) < 935


def test_chips_count_each_group_and_link_to_the_filtered_view(client, demo_day):
    page = client.get("/day/2024-11-28/").content.decode()
    cs_papers = sum(1 for p in Paper.objects.filter(daily_entry__isnull=False)
                    if any(c.startswith("cs.") for c in p.categories))
    assert re.search(rf'href="\?cat=cs"[^>]*>cs <span class="count">{cs_papers}</span>', page)
    listed = Paper.objects.filter(daily_entry__isnull=False)
    with_code = listed.exclude(code_url="").count()
    assert re.search(rf'>Has code <span class="count">{with_code}</span>', page) and with_code > 10
    cv_papers = sum(1 for p in listed if "cs.CV" in p.categories)
    assert re.search(rf'href="\?cat=cs.CV"[^>]*>cs.CV <span class="count">{cv_papers}</span>', page)
    assert 'href="?cat=-physics"' in page  # the chip's "hide"
    narrowed = client.get("/day/2024-11-28/?cat=cs").content.decode()
    assert re.search(r'class="chip on" href="\?cat="', narrowed)  # a second click takes it away
    assert f"{cs_papers} of 935 papers" in narrowed


def test_links_within_a_filtered_page_keep_the_filter(client, demo_day):
    page = client.get("/day/2024-11-28/?cat=cs.CV&code=1").content.decode()
    assert 'href="?sort=upvotes&amp;cat=cs.CV&amp;code=1"' in page
    assert 'href="/week/2024-W48/?cat=cs.CV&amp;code=1"' in page


def test_an_unknown_category_in_a_link_is_named_and_the_rest_applies(client, demo_day):
    response = client.get("/?cat=cs.XX,math")
    page = response.content.decode()
    assert response.status_code == 200 and "“cs.XX” is not an arXiv category" in page
    assert "Showing <strong>math</strong>" in page


@pytest.mark.parametrize("next_url", ["0", "home", "search", "//evil.example/", "https://evil.example/", ""])
def test_a_form_sent_back_anywhere_but_this_site_returns_to_the_front_page(client, next_url):
    # "0" and "home" were read by redirect() as names of URL patterns: a 500, or a page the form did not name.
    response = client.post("/filter/", {"cat": "cs.CV", "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"


def test_an_anonymous_reader_remembers_a_filter_in_a_cookie(client, demo_day):
    response = client.post("/filter/", {"cat": "cs.CV", "code": "1", "next": "/day/2024-11-28/"})
    assert response.status_code == 302 and response["Location"] == "/day/2024-11-28/"
    assert client.cookies[COOKIE].value == "cs.CV;code"
    page = client.get("/").content.decode()
    assert "Showing <strong>cs.CV; with code</strong> (your filter)" in page
    assert "Remembered: the feeds now show cs.CV; with code" in page
    assert "Showing every category" in client.get("/?cat=").content.decode()  # a link still wins
    assert "Showing every category" in Client().get("/").content.decode()  # nobody else's
    client.post("/filter/", {"action": "forget", "next": "/"})
    assert "Showing every category" in client.get("/").content.decode()


def test_a_logged_in_reader_keeps_the_filter_in_their_profile(client, demo_day, alice):
    client.force_login(alice)
    client.post("/filter/", {"cat": "math -math.CO", "next": "/"})
    elsewhere = Client()  # another browser, same reader
    elsewhere.force_login(alice)
    assert "Showing <strong>math; not math.CO</strong> (your filter)" in elsewhere.get("/").content.decode()


def test_the_site_default_applies_until_a_reader_chooses(client, demo_day, settings):
    settings.FEED_CATEGORIES = "cs.CL"
    page = client.get("/").content.decode()
    assert "Showing <strong>cs.CL</strong> (this site's selection)" in page
    assert "Showing every category" in client.get("/?cat=").content.decode()


def test_a_filter_that_matches_nothing_says_so(client, demo_day):
    listed = {c for p in Paper.objects.filter(daily_entry__isnull=False) for c in p.categories}
    absent = sorted(c for c in taxonomy.CATEGORIES - listed if c not in taxonomy.ARCHIVES)[0]
    page = client.get(f"/day/2024-11-28/?cat={absent}").content.decode()
    assert f"None of the 935 papers of Thursday, November 28, 2024 is in {absent}" in page


def test_the_filter_setting_is_checked_at_start(monkeypatch, tmp_path):
    from papertide import conf

    monkeypatch.setenv("PAPERTIDE_FEED_CATEGORIES", "cs.CV,cs.XX")
    with pytest.raises(conf.ConfigError, match="PAPERTIDE_FEED_CATEGORIES: “cs.XX”"):
        conf.env_filter("FEED_CATEGORIES", "")
