"""Notifications as readers meet them: the bell's count on every page (kept pages included), the page that reads
them, each kind (a reply, a comment on my claimed paper, on a paper I saved, a new paper by an author I follow),
never about oneself and never twice; and the daily email through a real SMTP server on loopback: one a day at most,
only the kinds chosen, one-click unsubscribe."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from papertide.authors import rules as authors
from papertide.digests import follows, subscriptions
from papertide.discussion import rules as discussion
from papertide.notifications.mail import send_emails
from papertide.notifications.models import Choices, Email, Notification
from papertide.notifications.tell import new_papers
from papertide.papers.models import Paper
from papertide.papers.upsert import upsert_papers
from papertide.recs import actions as library
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
def carol(django_user_model):
    return django_user_model.objects.create_user("carol", "carol@example.org", "correct horse battery")


def bell(client) -> str:
    page = client.get("/papers/2411.17770/").content.decode()
    return re.search(r'class="bell" aria-label="([^"]*)"', page)[1]


def test_a_reply_a_claimed_author_and_a_saver_are_told_but_never_the_writer(alice, bob, carol, paper):
    authors.approve([authors.claim(carol, paper, "Ada Lovelace")], None)
    library.save(bob, paper)
    question = discussion.post(alice, paper, "Why dark?")
    assert {(n.user.username, n.kind) for n in Notification.objects.all()} == {("carol", "authored"),
                                                                                ("bob", "saved")}
    discussion.post(bob, paper, "Because", parent=question)
    assert Notification.objects.filter(user=alice, kind="reply").count() == 1
    assert not Notification.objects.filter(user=bob, comment__author=bob).exists()  # not about oneself
    assert Notification.objects.filter(user=carol).count() == 2  # each comment on her paper, once


def test_the_bell_counts_unread_on_kept_pages_and_the_page_reads_them(settings, alice, bob, paper):
    settings.PAGE_CACHE_SECONDS = 60
    reader = Client()
    reader.force_login(alice)
    assert bell(reader) == "Notifications"
    question = discussion.post(alice, paper, "Why dark?")
    discussion.post(bob, paper, "Because", parent=question)
    discussion.post(bob, paper, "And also", parent=question)
    assert bell(reader) == "Notifications: 2 unread"  # the kept page, its header the reader's own
    page = reader.get("/notifications/").content.decode()
    assert page.count('class="unread"') == 2 and "bob replied to your comment on “Dark matter”" in page
    assert bell(reader) == "Notifications"
    assert 'class="unread"' not in reader.get("/notifications/").content.decode()


def test_followers_of_an_author_are_told_of_their_new_papers_once(alice, paper):
    subscriber = subscriptions.subscribe("alice@example.org", alice)
    follows.add(subscriber, follows.clean("author", "emile noether"))
    assert new_papers(DAY) == 1 and new_papers(DAY) == 0
    (told,) = Notification.objects.filter(user=alice)
    assert told.kind == "new-paper" and told.why == "Émile Noether"


def test_one_email_a_day_with_the_chosen_kinds_and_a_one_click_unsubscribe(smtp, alice, bob, paper):
    library.save(alice, paper)
    question = discussion.post(alice, paper, "Why dark?")
    discussion.post(bob, paper, "Because", parent=question)  # a reply to alice (and a comment on her saved paper)
    discussion.post(bob, paper, "Another thought")  # a comment on a paper she saved
    report = send_emails(DAY)
    assert report.sent == 1
    (mail,) = smtp.to("alice@example.org")
    assert mail["Subject"] == "papertide: 2 new notifications"
    text = mail.get_body(("plain",)).get_content()
    assert "bob replied to your comment on “Dark matter”" in text
    assert "bob commented on “Dark matter”, which you saved" in text
    assert Notification.objects.filter(user=alice, emailed_at__isnull=True).count() == 0
    discussion.post(bob, paper, "A third")
    assert send_emails(DAY).sent == 0 and len(smtp.to("alice@example.org")) == 1  # one a day at most
    assert send_emails(DAY + dt.timedelta(days=1)).sent == 1 and len(smtp.to("alice@example.org")) == 2
    # Each kind can be switched off.
    Choices.objects.filter(user=alice).update(email_saved=False)
    discussion.post(bob, paper, "A fourth")
    assert send_emails(DAY + dt.timedelta(days=2)).sent == 0
    # One click in the mail client: a POST to the List-Unsubscribe address, without a CSRF token or a session.
    header = "".join(mail["List-Unsubscribe"].split())  # a long header comes folded
    url = re.search(r"<https://papers\.example\.org(/notifications/unsubscribe/[^>]+)>", header)[1]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Client(enforce_csrf_checks=True).post(url).status_code == 200
    assert Choices.objects.get(user=alice).emailed_kinds() == []
    assert Client().post("/notifications/unsubscribe/forged/").status_code == 400
    assert Email.objects.filter(user=alice).count() == 2


def test_the_email_choices_page_switches_kinds(alice, paper):
    reader = Client()
    reader.force_login(alice)
    reader.post("/notifications/email/", {"reply": "1", "new-paper": "1"})
    assert Choices.objects.get(user=alice).emailed_kinds() == ["reply", "new-paper"]
    page = reader.get("/notifications/email/").content.decode()
    assert page.count("checked") == 2


def test_notify_new_papers_runs_from_the_cli(alice, paper):
    from click.testing import CliRunner

    from papertide.cli import cli

    subscriber = subscriptions.subscribe("alice@example.org", alice)
    follows.add(subscriber, follows.clean("author", "Ada Lovelace"))
    result = CliRunner().invoke(cli, ["notify", "new-papers", "--date", "2024-11-28"])
    assert result.exit_code == 0 and "1 new notifications for 2024-11-28." in result.output
    assert Notification.objects.get(user=alice).why == "Ada Lovelace"


def test_a_reply_to_a_reply_tells_its_writer_and_the_threads(alice, bob, carol, paper):
    question = discussion.post(alice, paper, "Why dark?")
    answer = discussion.post(bob, paper, "Because", parent=question)
    discussion.post(carol, paper, "Are you sure?", parent=answer)
    told = {(n.user.username, n.comment.body) for n in Notification.objects.filter(kind="reply")}
    assert told == {("alice", "Because"), ("bob", "Are you sure?"), ("alice", "Are you sure?")}
