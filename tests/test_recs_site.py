""""For you" on the site and in the API, as readers meet it: the default sort once they like a few papers (with
a reason on every card, never shared with other readers), save and "not interested" on cards (htmx, undoable),
the "For you", library and interests pages, and both recommendation endpoints."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from papertide.accounts.models import ApiToken
from papertide.papers import actions
from papertide.papers.models import Paper
from papertide.recs import community
from papertide.recs.models import Dismissal, Interest, Save
from tests.helpers import at_most_queries

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SPLATTING = ["2411.18066", "2411.18311", "2411.18473", "2411.17190"]
PROTEIN = ["2411.17795", "2411.18568", "2411.16686"]


@pytest.fixture(autouse=True)
def _fresh_community(indexed_demo):
    community.forget()
    yield
    community.forget()


@pytest.fixture
def fan(alice, client, django_capture_on_commit_callbacks):
    """Alice, logged in, who upvoted the Gaussian-splatting papers and saved the protein-design ones."""
    with django_capture_on_commit_callbacks(execute=True):
        for arxiv_id in SPLATTING:
            actions.upvote(alice, Paper.objects.get(arxiv_id=arxiv_id))
        for arxiv_id in PROTEIN:
            client.force_login(alice)
            client.post(f"/papers/{arxiv_id}/save/", {"action": "add"}, **HTMX)
    return client


def cards(page: str) -> list[str]:
    return page.split('<article class="card"')[1:]


def test_for_you_becomes_the_default_sort_with_a_reason_on_every_card(fan, alice, settings):
    settings.PAGE_CACHE_SECONDS = 60  # pages kept, as served: a ranked page must never reach another reader
    page = fan.get("/").content.decode()
    assert 'aria-current="true">For you</a>' in page
    listed = cards(page)
    assert len(listed) == 50 and all("For you: " in card for card in listed)
    assert "Close to “" in listed[0] and any("Gaussian" in card or "3D" in card for card in listed[:3])
    # Someone else sees the shared trending page, never Alice's ranking.
    other = Client().get("/").content.decode()
    assert "For you: " not in other and 'aria-current="true">Trending</a>' in other
    assert "For you: " not in fan.get("/?sort=trending").content.decode()


def test_before_three_papers_for_you_says_how_to_start(client, alice):
    client.force_login(alice)
    page = client.get("/?sort=foryou").content.decode()
    assert "Upvote or save a few papers" in page and "For you: " not in page
    assert 'aria-current="true">Trending</a>' in client.get("/").content.decode()  # not the default yet
    anonymous = Client().get("/?sort=foryou").content.decode()
    assert "to get each day ranked for you" in anonymous


def test_save_is_pressed_after_a_reload_and_can_be_undone(client, alice):
    client.force_login(alice)
    fragment = client.post("/papers/2411.18066/save/", {"action": "add", "next": "/"}, **HTMX).content.decode()
    assert "★ Saved" in fragment and 'aria-pressed="true"' in fragment and "<html" not in fragment
    assert Save.objects.filter(user=alice).count() == 1
    page = client.get("/papers/2411.18066/").content.decode()
    assert '★ Saved' in page
    assert "★ Saved" not in Client().get("/papers/2411.18066/").content.decode()  # the shared page is neutral
    client.post("/papers/2411.18066/save/", {"action": "remove"}, **HTMX)
    assert not Save.objects.exists()


def test_anonymous_save_asks_to_log_in(client, db):
    response = client.post("/papers/2411.18066/save/", {"next": "/"}, **HTMX)
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/accounts/login/")


def test_not_interested_hides_a_card_from_for_you_and_undo_brings_it_back(fan, alice):
    first = cards(fan.get("/").content.decode())[0]
    arxiv_id = first.split('href="/papers/')[1].split("/")[0]
    stub = fan.post(f"/papers/{arxiv_id}/not-interested/", {"next": "/"}, **HTMX).content.decode()
    assert "Hidden from your For you" in stub and "Undo" in stub
    assert Dismissal.objects.filter(user=alice, paper__arxiv_id=arxiv_id).exists()
    assert f'href="/papers/{arxiv_id}/"' not in fan.get("/").content.decode()
    card = fan.post(f"/papers/{arxiv_id}/not-interested/", {"action": "undo"}, **HTMX).content.decode()
    assert '<article class="card"' in card and not Dismissal.objects.exists()
    assert f'href="/papers/{arxiv_id}/"' in fan.get("/").content.decode()


def test_the_for_you_page_and_the_interests_page(fan, alice):
    page = fan.get("/for-you/").content.decode()
    assert len(cards(page)) == 50 and page.count("For you: ") == 50
    interests = fan.get("/interests/").content.decode()
    assert interests.count('class="interest') == 2
    protein = Interest.objects.get(user=alice, label__contains="protein")
    fan.post(f"/interests/{protein.pk}/", {"action": "rename", "name": "Enzyme design"})
    fan.post(f"/interests/{protein.pk}/", {"action": "mute"})
    assert "Enzyme design" in fan.get("/interests/").content.decode()
    page = fan.get("/for-you/").content.decode()
    assert "Enzyme design (muted)" in page and "(your interest “Enzyme design”)" not in page
    fan.post(f"/interests/{protein.pk}/", {"action": "delete"})
    fan.get("/interests/")  # shows the message once
    assert "Enzyme design" not in fan.get("/interests/").content.decode()
    assert Save.objects.filter(user=alice).count() == 3  # its papers stay in the library


def test_library_notes_and_filter_by_interest(fan, alice):
    saved = Save.objects.filter(user=alice).first()
    fragment = fan.post(f"/library/notes/{saved.paper.arxiv_id}/", {"note": "compare with AlphaFold"},
                        **HTMX).content.decode()
    assert "Saved." in fragment and "compare with AlphaFold" in fragment
    page = fan.get("/library/").content.decode()
    assert "compare with AlphaFold" in page and len(cards(page)) == 3
    interest = Interest.objects.get(user=alice, label__contains="protein")
    assert len(cards(fan.get(f"/library/?interest={interest.pk}").content.decode())) == 3
    assert fan.get("/library/?interest=999999").status_code == 404


def test_the_stateless_api_ranks_with_reasons(client):
    body = {"liked": SPLATTING + ["9999.99999"], "disliked": [], "limit": 5, "from": "2024-11-28", "to": "2024-11-28"}
    answer = client.post("/api/v1/recommendations", json.dumps(body), content_type="application/json").json()
    assert len(answer["papers"]) == 5 and answer["unknown"] == ["9999.99999"]
    assert all(item["reason"] and item["paper"]["arxiv_id"] == item["id"] for item in answer["papers"])
    assert not set(SPLATTING) & {item["id"] for item in answer["papers"]}
    scores = [item["score"] for item in answer["papers"]]
    assert scores == sorted(scores, reverse=True)
    only_astro = client.post("/api/v1/recommendations", json.dumps({**body, "categories": ["astro-ph.GA"]}),
                             content_type="application/json").json()
    assert all("astro-ph.GA" in item["paper"]["categories"] for item in only_astro["papers"])
    bad = client.post("/api/v1/recommendations", json.dumps({**body, "from": "2024-12-01"}),
                      content_type="application/json")
    assert bad.status_code == 400 and "after" in bad.json()["error"]


def test_my_recommendations_need_a_token_and_use_my_signals(fan, alice):
    token = ApiToken.issue(alice, "script")[1]
    assert Client().get("/api/v1/me/recommendations").status_code == 401
    answer = Client().get("/api/v1/me/recommendations?limit=10",
                          HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert len(answer["papers"]) == 10 and all(item["reason"] for item in answer["papers"])
    schema = Client().get("/api/openapi.json").json()
    assert {"/api/v1/recommendations", "/api/v1/me/recommendations"} <= set(schema["paths"])


def test_a_ranked_page_is_kept_for_its_reader_until_their_signals_change(fan, alice, django_capture_on_commit_callbacks,
                                                                          settings):
    settings.PAGE_CACHE_SECONDS = 60
    def order(page):
        return re.findall(r'<article class="card" id="paper-(\d+)"', page)

    first = order(fan.get("/").content.decode())
    with at_most_queries(5):  # kept: no ranking, no entries read
        assert order(fan.get("/").content.decode()) == first
    arxiv_id = Paper.objects.get(pk=first[0]).arxiv_id
    with django_capture_on_commit_callbacks(execute=True):
        fan.post(f"/papers/{arxiv_id}/upvote/", {"action": "add"}, **HTMX)
    assert order(fan.get("/").content.decode())[0] != first[0]  # now one of hers: listed after the others


def test_readers_ranked_on_one_page_each_get_their_own_order_and_reasons(fan, bob, settings,
                                                                        django_capture_on_commit_callbacks):
    settings.PAGE_CACHE_SECONDS = 60  # one frame kept for both: only the cards are theirs
    with django_capture_on_commit_callbacks(execute=True):
        for arxiv_id in PROTEIN:
            actions.upvote(bob, Paper.objects.get(arxiv_id=arxiv_id))
    his_client = Client()
    his_client.force_login(bob)
    hers, his = fan.get("/").content.decode(), his_client.get("/").content.decode()
    assert hers.count("For you: ") == his.count("For you: ") == 50
    assert re.findall(r'id="paper-(\d+)"', hers) != re.findall(r'id="paper-(\d+)"', his)
    splatting = list(Paper.objects.filter(arxiv_id__in=SPLATTING).values_list("title", flat=True))
    his_reasons = " ".join(re.findall(r'<p class="why foryou">(.*?)</p>', his))
    assert "Close to" in his_reasons and not any(title in his_reasons for title in splatting)
    assert any(title in " ".join(re.findall(r'<p class="why foryou">(.*?)</p>', hers)) for title in splatting)
    header = his.split("<main")[0]
    assert "bob" in header and "alice" not in header


def test_paging_through_a_ranked_day_ranks_it_once_until_the_reader_changes_it(fan, rankings, settings):
    settings.PAGE_CACHE_SECONDS = 60

    def order(page):
        return re.findall(r'<article class="card" id="paper-(\d+)"', page)

    pages = [order(fan.get(f"/?page={n}").content.decode()) for n in (1, 2, 3)]
    assert len(rankings) == 1
    listed = sum(pages, [])
    assert len(listed) == len(set(listed)) == 150  # one ranking, cut in pages: none twice, none left out
    arxiv_id = Paper.objects.get(pk=pages[1][0]).arxiv_id
    fan.post(f"/papers/{arxiv_id}/not-interested/", {"next": "/?page=2"}, **HTMX)
    assert pages[1][0] not in order(fan.get("/?page=2").content.decode())  # ranked anew at once
    assert len(rankings) == 2


def test_a_reader_whose_interests_are_all_muted_gets_trending_by_default(fan, alice):
    for interest in Interest.objects.filter(user=alice):
        fan.post(f"/interests/{interest.pk}/", {"action": "mute"})
    page = fan.get("/").content.decode()
    assert 'aria-current="true">Trending</a>' in page and "For you: " not in page


def test_the_latest_day_is_ranked_ahead_for_readers_who_come_back_and_trending_still_counts(
        fan, bob, settings, rankings, django_capture_on_commit_callbacks):
    """After the daily ingest the worker ranks the latest day for every reader who may still be logged in
    (web/ahead.py): their front page then needs no ranking, however many web processes there are. Trending moves
    all day, so it is blended in at each view: a paper the community upvotes rises on their kept ranking too."""
    from django.core.cache import caches

    from papertide.papers.models import DailyEntry
    from papertide.recs import foryou
    from papertide.web.ahead import rank_ahead_all

    settings.PAGE_CACHE_SECONDS = 60
    settings.RECS_TRENDING_WEIGHT = 3.0  # a site that weighs trending much: its rise shows clearly
    with django_capture_on_commit_callbacks(execute=True):
        for arxiv_id in PROTEIN:  # enough to go on, but bob has not logged in for longer than a session lives
            actions.upvote(bob, Paper.objects.get(arxiv_id=arxiv_id))
    assert rank_ahead_all() == 1  # alice only
    rankings.clear()  # the pass's own
    foryou._kept.clear()  # as in another web process than the worker's

    def order(page):
        return re.findall(r'<article class="card" id="paper-(\d+)"', page)

    first = order(fan.get("/").content.decode())
    assert len(first) == 50 and not rankings
    # The afternoon: the community upvoted a paper far down her order (its trending score now the day's highest).
    riser = int(order(fan.get("/?page=3").content.decode())[-1])
    highest = max(DailyEntry.objects.exclude(trend_log=None).values_list("trend_log", flat=True))
    DailyEntry.objects.filter(paper_id=riser).update(trend_log=highest + 5)
    caches["pages"].clear()
    foryou._kept.clear()
    later = order(fan.get("/").content.decode())
    assert str(riser) in later and later.index(str(riser)) < 40 and not rankings
