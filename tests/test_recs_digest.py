""""Ranked for me" digests through a real SMTP server: the reader's own order with a reason for every paper,
and the digest guarantees kept (once per period, never a paper twice, follows first)."""

from __future__ import annotations

import datetime as dt

import pytest

from papertide.digests.models import DigestItem, Ranking, Subscriber
from papertide.digests.sender import send_digests
from papertide.papers import actions
from papertide.papers.models import Paper
from papertide.recs import community
from papertide.recs.foryou import recommend, signals_of

pytestmark = pytest.mark.django_db

THURSDAY = dt.date(2024, 11, 28)
SPLATTING = ["2411.18066", "2411.18311", "2411.18473", "2411.17190"]


@pytest.fixture(autouse=True)
def _fresh_community(indexed_demo):
    community.forget()
    yield
    community.forget()


@pytest.fixture
def reader(alice):
    for arxiv_id in SPLATTING:
        actions.upvote(alice, Paper.objects.get(arxiv_id=arxiv_id))
    return Subscriber.objects.create(email=alice.email, user=alice, confirmed_at=dt.datetime.now(dt.UTC),
                                     ranking=Ranking.FOR_YOU, max_papers=5)


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_a_ranked_for_me_digest_brings_my_best_papers_with_reasons_once(smtp, reader, alice):
    assert send_digests("daily", THURSDAY, progress=False).sent == 1
    (mail,) = smtp.to(alice.email)
    assert mail["Subject"] == "papertide: 5 papers for you, Thursday, Nov 28"
    text = text_of(mail)
    assert text.count("(For you: ") == 5 and "Close to “" in text
    signals = signals_of(alice)
    best = recommend([p.pk for p in Paper.objects.filter(daily_entry__day=THURSDAY)], signals.liked)[:5]
    sent = list(DigestItem.objects.filter(subscriber=reader).order_by("position").values_list("paper_id", flat=True))
    assert sent == [s.paper_id for s in best]
    assert not set(sent) & set(signals.liked)
    assert send_digests("daily", THURSDAY, progress=False).sent == 0  # a re-run sends nothing twice
    assert len(smtp.to(alice.email)) == 1


def test_a_dismissed_paper_stays_out_and_a_follow_still_comes_first(smtp, reader, alice):
    from papertide.recs.actions import dismiss

    best = recommend([p.pk for p in Paper.objects.filter(daily_entry__day=THURSDAY)], signals_of(alice).liked)
    dismiss(alice, Paper.objects.get(pk=best[0].paper_id))
    reader.follows = [{"kind": "category", "value": "astro-ph.GA"}]
    reader.save()
    send_digests("daily", THURSDAY, progress=False)
    sent = list(DigestItem.objects.filter(subscriber=reader).order_by("position").select_related("paper"))
    assert best[0].paper_id not in [item.paper_id for item in sent]
    assert "astro-ph.GA" in sent[0].paper.categories
    assert "Because you follow" in text_of(smtp.to(alice.email)[0])


def test_too_few_liked_papers_means_the_trending_digest(smtp, bob):
    Subscriber.objects.create(email=bob.email, user=bob, confirmed_at=dt.datetime.now(dt.UTC),
                              ranking=Ranking.FOR_YOU, max_papers=5)
    send_digests("daily", THURSDAY, progress=False)
    (mail,) = smtp.to(bob.email)
    assert mail["Subject"] == "papertide: 5 trending papers, Thursday, Nov 28" and "For you" not in text_of(mail)


def test_the_preferences_page_offers_the_ranking_to_accounts_only(client, reader):
    page = client.get(f"/digests/{reader.token('manage')}/").content.decode()
    assert "Ranked for me" in page
    anonymous = Subscriber.objects.create(email="someone@example.org", confirmed_at=dt.datetime.now(dt.UTC))
    assert "Ranked for me" not in client.get(f"/digests/{anonymous.token('manage')}/").content.decode()


def test_a_digest_sent_again_after_a_temporary_failure_keeps_its_reasons(smtp, reader, alice):
    reader.email = "busy@example.org"  # the SMTP server answers 451 to it until told otherwise
    reader.save()
    send_digests("daily", THURSDAY, progress=False)
    assert smtp.to("busy@example.org") == []
    smtp.busy.clear()
    send_digests("daily", THURSDAY, progress=False)
    (mail,) = smtp.to("busy@example.org")
    assert mail["Subject"] == "papertide: 5 papers for you, Thursday, Nov 28"
    assert text_of(mail).count("(For you: ") == 5
