"""Author claims as readers and moderators meet them: a claim from a paper page waits in the admin's queue (with the
reader's address and the papers of that name) or, for an allow-listed address, is confirmed from the mailbox
(a real SMTP server on loopback); approved authors get a profile, a badge on their comments, and a link from
their author page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from papertide.authors import rules
from papertide.authors.models import Claim, Profile
from papertide.discussion import rules as discussion
from papertide.papers.models import Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 11, 28)


@pytest.fixture
def paper(settings):
    settings.COMMENT_NEW_ACCOUNT_HOURS = 0
    settings.COMMENT_TRUSTED_UPVOTES = 0
    upsert_papers([PaperRecord(arxiv_id="2411.17770", source="huggingface", title="Dark matter", listed_on=DAY,
                               authors=["Ada Lovelace", "Émile Noether"])])
    return Paper.objects.get()


@pytest.fixture
def moderator(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("mod", "mod@example.org", "pw pw pw pw"))
    return client


def test_a_claim_waits_for_a_moderator_who_sees_the_address_and_the_papers(as_alice, alice, paper, moderator):
    page = as_alice.get("/papers/2411.17770/claim/").content.decode()
    assert 'value="Ada Lovelace"' in page and 'value="Émile Noether"' in page
    response = as_alice.post("/papers/2411.17770/claim/", {"name": "Ada Lovelace"})
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.status == "pending" and claim.key == "ada lovelace"
    assert as_alice.post("/papers/2411.17770/claim/", {"name": "Grace Hopper"}).status_code == 400
    queue = moderator.get("/admin/authors/claim/").content.decode()
    assert "Ada Lovelace" in queue and "alice@example.org" in queue
    detail = moderator.get(f"/admin/authors/claim/{claim.pk}/change/").content.decode()
    assert "Papers on this site by this name" in detail
    moderator.post("/admin/authors/claim/", {"action": "approve", "_selected_action": [claim.pk]})
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.how == "moderator"
    assert Profile.objects.get(user=alice).name == "Ada Lovelace"
    assert Client().get("/people/alice/").status_code == 200


def test_an_allow_listed_address_confirms_its_claim_from_the_mailbox(smtp, settings, alice, as_alice, paper):
    settings.AUTHOR_CLAIM_ALLOW = ["0000-0002-1825-0097=alice@example.org", "@uni.example"]
    as_alice.post("/papers/2411.17770/claim/", {"name": "ada lovelace"})  # any case: the paper's spelling is kept
    claim = Claim.objects.get()
    assert claim.status == "confirming" and claim.name == "Ada Lovelace" and claim.orcid == "0000-0002-1825-0097"
    (mail,) = smtp.to("alice@example.org")
    link = re.search(r"https://papers\.example\.org(/claims/\S+/confirm/)", mail.get_content())[1]
    assert Client().get(link[:-12] + "x/confirm/").status_code == 400  # a damaged link
    page = Client().get(link).content.decode()
    assert "You are Ada Lovelace" in page
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.how == "allow-list"
    assert rules.allowed("bob@uni.example") == (True, "") and rules.allowed("bob@else.example") == (False, "")


def test_one_reader_per_name_once_approved(alice, bob, paper):
    rules.approve([rules.claim(alice, paper, "Ada Lovelace")], None)
    with pytest.raises(rules.Refused, match="claimed by another reader"):
        rules.claim(bob, paper, "Ada Lovelace")


def test_an_approved_author_gets_a_badge_on_the_paper_and_the_author_page_links_the_profile(
        settings, alice, bob, as_alice, paper):
    settings.PAGE_CACHE_SECONDS = 0
    discussion.post(alice, paper, "I wrote this; ask away")
    discussion.post(bob, paper, "Nice paper")
    rules.approve([rules.claim(alice, paper, "Ada Lovelace")], None)
    discussion.post(bob, paper, "Congratulations")  # a change, so that the page is rendered again
    page = Client().get("/papers/2411.17770/").content.decode()
    assert page.count('<span class="badge">author</span>') == 1
    mine = page.split("I wrote this")[0].rsplit('<li class="comment"', 1)[1]
    assert '<span class="badge">author</span>' in mine
    assert 'href="/people/alice/"' in page  # beside her name in the authors line
    author = Client().get("/authors/Ada%20Lovelace/").content.decode()
    assert 'href="/people/alice/"' in author


def test_the_profile_keeps_only_web_links(as_alice, alice, paper):
    rules.approve([rules.claim(alice, paper, "Ada Lovelace")], None)
    as_alice.post("/profile/author/", {"name": "Ada Lovelace", "affiliation": "Analytical Engines",
                                       "links": "https://ada.example\njavascript:alert(1)\nhttp://x.example"})
    profile = Profile.objects.get(user=alice)
    assert profile.links == ["https://ada.example", "http://x.example"]
    page = Client().get("/people/alice/").content.decode()
    assert "Analytical Engines" in page and "javascript:" not in page


def test_a_kept_paper_page_shows_the_badge_once_the_claim_is_approved(settings, alice, paper):
    settings.PAGE_CACHE_SECONDS = 60  # as served: the page is kept, and approving a claim is no comment
    discussion.post(alice, paper, "I wrote this; ask away")
    assert '<span class="badge">author</span>' not in Client().get("/papers/2411.17770/").content.decode()
    rules.approve([rules.claim(alice, paper, "Ada Lovelace")], None)
    page = Client().get("/papers/2411.17770/").content.decode()
    assert page.count('<span class="badge">author</span>') == 1 and 'href="/people/alice/"' in page
