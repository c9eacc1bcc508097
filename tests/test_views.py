import datetime as dt

import pytest
from django.utils.html import escape

from papertide.demo import load_demo_day
from papertide.papers import actions
from papertide.papers.models import DailyEntry, Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord
from tests.helpers import at_most_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_day():
    load_demo_day()


def test_home_shows_the_latest_days_papers(client, demo_day):
    page = client.get("/").content.decode()
    assert "Thursday, November 28, 2024" in page
    assert "935 papers" in page
    assert "Textured Gaussians for Enhanced 3D Scene Appearance Modeling" in page


def test_a_card_shows_authors_count_categories_and_links(client, demo_day):
    page = client.get("/?page=1").content.decode()
    assert "Brian Chao, Hung-Yu Tseng, Lorenzo Porzi, Chen Gao, et al." in page
    assert "11 authors" in page
    assert 'href="https://arxiv.org/abs/2411.18625v1"' in page
    assert 'href="https://arxiv.org/pdf/2411.18625v1"' in page
    assert '<span class="tag primary">cs.CV</span>' in page


def test_the_feed_is_paginated(client, demo_day, settings):
    settings.PAPERS_PER_PAGE = 50
    last = client.get("/?page=19").content.decode()
    assert "Page 19 of 19" in last
    assert last.count('class="card"') == 935 - 18 * 50


@pytest.mark.parametrize("sort", ["", "?sort=trending", "?sort=upvotes"])
def test_an_upvoted_paper_comes_first(client, demo_day, alice, sort):
    actions.upvote(alice, Paper.objects.get(arxiv_id="2411.17700"))
    page = client.get("/" + sort).content.decode()
    first_card = page[page.index('class="card"'):][:2000]
    assert "Exploring the Impact of Generative AI on Cross-Border E-Commerce" in first_card


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_feed_page_runs_a_fixed_number_of_queries(client, demo_day, alice, logged_in):
    if logged_in:
        client.force_login(alice)
    # The same for 1 card or 50: no query per card. A reader adds their account, filter and upvotes, and two things
    # read once and then kept in the readers cache: whether "For you" has enough to go on (their saves, upvotes,
    # dismissals and interests: 4) and their unread notifications (1). The topics strip reads the listed papers' ids,
    # and the first time those papers are seen, their keyphrases (2; then kept in the shared cache).
    with at_most_queries(14 + 8 * logged_in):
        assert client.get("/").status_code == 200


def test_a_day_page_links_to_its_neighbours(client):
    for n, day in enumerate([dt.date(2024, 11, 27), dt.date(2024, 11, 28), dt.date(2024, 11, 29)]):
        upsert_papers([PaperRecord(arxiv_id=f"2411.0000{n}", source="arxiv-rss", title=f"Paper {n}", listed_on=day)])
    page = client.get("/day/2024-11-28/").content.decode()
    assert 'href="/day/2024-11-27/"' in page
    assert 'href="/day/2024-11-29/"' in page
    assert "Paper 1" in page and "Paper 0" not in page


def test_the_calendar_leads_to_the_nearest_months_with_papers(client):
    for n, day in enumerate([dt.date(2024, 8, 1), dt.date(2024, 11, 28), dt.date(2025, 2, 3)]):
        upsert_papers([PaperRecord(arxiv_id=f"2411.0000{n}", source="arxiv-rss", title=f"Paper {n}", listed_on=day)])
    page = client.get("/day/2024-11-28/").content.decode()
    calendar = page[page.index('class="calendar"'):]
    assert 'rel="prev" href="/month/2024-08/" aria-label="August 2024"' in calendar
    assert 'rel="next" href="/month/2025-02/" aria-label="February 2025"' in calendar
    first = client.get("/month/2024-08/").content.decode()
    assert 'rel="prev"' not in first[first.index('class="calendar"'):]


def test_a_day_without_papers_is_not_found(client, demo_day):
    response = client.get("/day/2024-11-30/")
    assert response.status_code == 404
    assert "No papers were listed on Saturday, November 30, 2024." in response.content.decode()
    assert "No papers were listed in November 2023." in client.get("/month/2023-11/").content.decode()
    assert client.get("/day/2024-02-30/").status_code == 404


def test_hidden_entries_are_not_listed(client, demo_day):
    DailyEntry.objects.filter(paper__arxiv_id="2411.18625").update(hidden=True)
    assert "Textured Gaussians" not in client.get("/").content.decode()


def test_the_paper_page_shows_the_full_abstract_and_metadata(client, demo_day):
    page = client.get("/papers/2411.17758/").content.decode()
    paper = Paper.objects.get(arxiv_id="2411.17758")
    assert escape(paper.abstract) in page
    first, second = page.index(">Kamil Erdayandi</a>"), page.index(">Mustafa Asan Mustafa</a>")
    assert first < second  # authors in arXiv's order, each linking to their page
    assert "10.1016/j.segan.2024.101477" in page
    assert "Sustainable Energy, Grids and Networks" in page


def test_the_paper_page_links_code(client, demo_day):
    page = client.get("/papers/2411.17769/").content.decode()
    assert 'href="https://github.com/itsmag11/Omegance"' in page


def test_addresses_in_an_abstract_are_links_that_pass_nothing_on(client, demo_day):
    page = client.get("/papers/2411.17769/").content.decode()
    abstract = page[page.index('class="abstract-full"'):]
    abstract = abstract[:abstract.index("</p>")]
    assert '<a href="https://github.com/itsmag11/Omegance" rel="nofollow noopener">' in abstract


def test_bibtex_keys_are_plain_ascii(client, demo_day):
    page = client.get("/papers/2411.17775/").content.decode()  # Václav Vavryčuk
    assert "@misc{vavrycuk2024what," in page
    assert Paper(arxiv_id="2401.00001", title="Ørsted's Æther", authors=["Łukasz Søberg"]).bibtex().startswith(
        "@misc{soberg2024aether,")


def test_an_unknown_paper_is_not_found(client, demo_day):
    response = client.get("/papers/9999.99999/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_titles_and_abstracts_are_shown_as_text_not_html(client):
    upsert_papers([
        PaperRecord(
            arxiv_id="2411.00001", source="arxiv-rss", title="<script>alert(1)</script> title",
            abstract="An abstract with <img src=x onerror=alert(2)>", listed_on=dt.date(2024, 11, 28),
        )
    ])
    for url in ["/", "/papers/2411.00001/"]:
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<img src=x" not in page


def test_an_empty_site_says_how_to_get_papers(client):
    assert "papertide demo" in client.get("/").content.decode()


def test_pages_make_no_external_requests(client, demo_day):
    for url in ["/", "/papers/2411.17758/"]:
        page = client.get(url).content.decode()
        for attribute in ("src=", "<link"):
            for position in [i for i in range(len(page)) if page.startswith(attribute, i)]:
                tag = page[position:position + 200]
                assert "http" not in tag.split(">")[0], tag


def test_static_files_go_compressed_to_browsers_that_take_gzip(client):
    import gzip

    plain = client.get("/static/ninja/swagger-ui-bundle.js")
    body = b"".join(plain.streaming_content) if plain.streaming else plain.content
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
    for _ in range(2):  # compressed once, then kept
        packed = client.get("/static/ninja/swagger-ui-bundle.js", headers={"Accept-Encoding": "gzip, deflate, br"})
        assert packed["Content-Encoding"] == "gzip" and packed["Content-Type"] == plain["Content-Type"]
        assert int(packed["Content-Length"]) == len(packed.content) < len(body) / 3
        assert gzip.decompress(packed.content) == body
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page  # pages carry CSRF tokens: never compressed
