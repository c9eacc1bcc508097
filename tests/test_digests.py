"""Digests delivered to a real SMTP server on loopback (aiosmtpd), parsed with Python's email package."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from papertide.demo import load_demo_day
from papertide.digests.models import Digest, DigestItem, Subscriber
from papertide.digests.sender import send_digests
from papertide.papers.models import DailyEntry, Paper

pytestmark = pytest.mark.django_db

THURSDAY = dt.date(2024, 11, 28)  # the demo day


@pytest.fixture
def demo():
    load_demo_day()


def subscriber(email: str, **preferences) -> Subscriber:
    return Subscriber.objects.create(email=email, confirmed_at=dt.datetime.now(dt.UTC), **preferences)


def send(frequency="daily", day=THURSDAY):
    return send_digests(frequency, day, progress=False)


def html_and_text(message) -> tuple[str, str]:
    return (message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content())


def test_the_confirmation_email_goes_through_smtp_and_its_link_confirms(client, smtp):
    client.post("/subscribe/", {"email": "erin@example.org"})
    (mail,) = smtp.to("erin@example.org")
    link = re.search(r"https://papers\.example\.org(/subscribe/confirm/\S+/)", html_and_text(mail)[1])[1]
    client.post(link)
    assert Subscriber.objects.get().is_receiving


def test_the_digest_brings_the_top_papers_with_links_and_headers(smtp, demo):
    erin = subscriber("erin@example.org")
    report = send()
    assert report.sent == 1
    (mail,) = smtp.to("erin@example.org")
    assert mail["Subject"] == "papertide: 10 trending papers, Thursday, Nov 28"
    assert mail.get_content_type() == "multipart/alternative"
    html, text = html_and_text(mail)
    top = list(DailyEntry.objects.on_day(THURSDAY).trending()[:10])
    for entry in top:
        assert f"https://papers.example.org/papers/{entry.paper.arxiv_id}/" in html + text
        assert entry.paper.abs_url in text
    assert top[10 - 1].paper.title[:40] in text and html.count('href="https://arxiv.org/pdf/') == 10
    assert top[0].paper.authors[0] in text
    # The token is signed with a timestamp, so it is read back from the header rather than made again here.
    token = re.match(r"<https://papers\.example\.org/digests/([^/]+)/unsubscribe/>, <mailto:",
                     mail["List-Unsubscribe"].strip())[1]
    assert Subscriber.from_token(token, "manage") == erin
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"https://papers.example.org/digests/{token}/" in text  # preferences, no login needed
    assert DigestItem.objects.filter(subscriber=erin).count() == 10


def test_filters_choose_the_papers(smtp, demo):
    subscriber("nlp@example.org", categories=["cs.CL"], keywords=["language model"], max_papers=3)
    send()
    (mail,) = smtp.to("nlp@example.org")
    papers = [item.paper for item in DigestItem.objects.select_related("paper")]
    assert len(papers) == 3 and mail["Subject"].startswith("papertide: 3 trending papers")
    for paper in papers:
        assert "cs.CL" in paper.categories and "language model" in (paper.title + paper.abstract).lower()


def test_the_feeds_filter_chooses_the_papers_of_a_digest(smtp, demo):
    subscriber("physics@example.org", categories=["physics", "-hep-*", "-astro-ph"], max_papers=50)
    subscriber("code@example.org", categories=["cs"], with_code=True, max_papers=50)
    send()
    physics = Paper.objects.filter(pk__in=DigestItem.objects.filter(subscriber__email="physics@example.org").values("paper"))
    assert physics.count() == 50
    assert not any(p.primary_category.startswith(("hep-", "astro-ph")) for p in physics)
    with_code = Paper.objects.filter(pk__in=DigestItem.objects.filter(subscriber__email="code@example.org").values("paper"))
    assert with_code and all(p.code_url and any(c.startswith("cs.") for c in p.categories) for p in with_code)


def test_a_re_run_sends_nothing_twice(smtp, demo):
    for n in range(5):
        subscriber(f"reader{n}@example.org")
    assert send().sent == 5
    again = send()
    assert again.sent == 0 and again.already == 5
    assert len(smtp.messages) == 5


def test_no_paper_reaches_a_reader_twice_across_periods(smtp, demo):
    erin = subscriber("erin@example.org")
    send("daily", THURSDAY)
    Subscriber.objects.filter(pk=erin.pk).update(frequency="weekly")
    send("weekly", dt.date(2024, 12, 2))  # the Monday after: last week's lists, the demo day among them
    first, second = [set(DigestItem.objects.filter(digest=d).values_list("paper_id", flat=True))
                     for d in Digest.objects.order_by("pk")]
    assert len(first) == len(second) == 10 and not first & second
    assert len(smtp.to("erin@example.org")) == 2


def test_a_permanent_refusal_marks_the_subscriber_as_bouncing(smtp, demo):
    subscriber("gone@example.org")
    subscriber("erin@example.org")
    report = send()
    assert (report.sent, report.bounced) == (1, 1)
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.bouncing_since and "550" in gone.bounce_reason and not gone.is_receiving
    assert Digest.objects.get(subscriber=gone).status == "bounced"
    send("daily", dt.date(2024, 11, 29))
    assert not Digest.objects.filter(subscriber=gone, period="daily:2024-11-29").exists()


def test_a_temporary_failure_is_retried_on_the_next_run(smtp, demo):
    subscriber("busy@example.org")
    assert send().retry_later == 1
    digest = Digest.objects.get()
    assert digest.status == "pending" and "451" in digest.last_error
    smtp.busy.clear()
    assert send().sent == 1
    assert len(smtp.to("busy@example.org")) == 1
    assert Digest.objects.get().attempts == 2


def test_nothing_new_is_skipped_or_explained_as_the_reader_chose(smtp, demo, caplog):
    subscriber("quiet@example.org")
    subscriber("curious@example.org", send_empty=True)
    saturday = dt.date(2024, 11, 30)
    monday = dt.date(2024, 12, 2)  # nothing listed Friday evening to Monday: a holiday, or arXiv is late
    with caplog.at_level("INFO"):
        report = send("daily", monday)
    assert report.sent == 1 and report.empty_sent == 1 and report.skipped == {"nothing listed": 1}
    assert "no digest for 1 subscribers: nothing listed" in caplog.text
    assert smtp.to("quiet@example.org") == []
    (mail,) = smtp.to("curious@example.org")
    assert mail["Subject"] == "papertide: no new papers, Monday, Dec 2"
    assert "arXiv announces nothing on weekends and holidays" in html_and_text(mail)[1]
    assert saturday  # (weekends get no daily digest at all: the worker's schedule is weekdays)


def test_one_click_unsubscribe_from_the_header_stops_the_digests(smtp, demo):
    subscriber("erin@example.org")
    send()
    (mail,) = smtp.to("erin@example.org")
    url = re.match(r"<([^>]+)>", mail["List-Unsubscribe"].strip())[1]
    # What a mail client does (RFC 8058): POST to the https address, no cookies, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(urlsplit(url).path, "List-Unsubscribe=One-Click",
                                                     content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert send("daily", dt.date(2024, 11, 29)).sent == 0


def test_a_dry_run_records_and_sends_nothing(smtp, demo):
    subscriber("erin@example.org")
    lines = []
    report = send_digests("daily", THURSDAY, dry_run=True, progress=False, echo=lines.append)
    assert report.sent == 1 and lines[0].startswith("erin@example.org: 10 papers")
    assert smtp.messages == [] and not Digest.objects.exists()


def test_unconfirmed_and_unsubscribed_addresses_get_nothing(smtp, demo):
    Subscriber.objects.create(email="new@example.org")
    subscriber("left@example.org", unsubscribed_at=dt.datetime.now(dt.UTC))
    assert send().sent == 0 and smtp.messages == []


def test_saving_preferences_after_a_bounce_resumes_the_digests(client, smtp, demo):
    gone = subscriber("gone@example.org")
    send()
    client.post(f"/digests/{gone.token('manage')}/", {"frequency": "daily", "max_papers": "10", "min_score": "0"})
    assert Subscriber.objects.get(pk=gone.pk).is_receiving


def test_preview_writes_the_email_to_a_file(tmp_path):
    from tests.helpers import run_papertide

    assert run_papertide(tmp_path, "demo").returncode == 0
    make = ("from papertide.digests.models import Subscriber; "
            "Subscriber.objects.create(email='erin@example.org', categories=['cs.CV'])")
    assert run_papertide(tmp_path, "manage", "shell", "-c", make).returncode == 0
    result = run_papertide(tmp_path, "digest", "preview", "erin@example.org", "--date", "2024-11-28",
                           "--output", str(tmp_path / "erin.eml"))
    assert result.returncode == 0, result.stderr
    import email
    import email.policy

    message = email.message_from_bytes((tmp_path / "erin.eml").read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "papertide: 10 trending papers, Thursday, Nov 28"
    assert "cs.CV" in message.get_body(("plain",)).get_content()
    missing = run_papertide(tmp_path, "digest", "preview", "nobody@example.org")
    assert missing.returncode == 1 and "no subscriber 'nobody@example.org'" in missing.stderr


def test_the_worker_sends_the_daily_digest_when_it_is_due(smtp, demo):
    from papertide.ingest.models import ScheduledJob
    from papertide.ingest.worker import run_due_jobs

    subscriber("curious@example.org", send_empty=True)
    now = dt.datetime.now(dt.UTC)
    ScheduledJob.objects.create(name="daily-digest", next_due_at=now - dt.timedelta(minutes=1))
    ScheduledJob.objects.create(name="daily-ingest", next_due_at=now + dt.timedelta(hours=1))
    ScheduledJob.objects.create(name="weekly-digest", next_due_at=now + dt.timedelta(hours=1))
    assert run_due_jobs(now) == ["daily-digest"]
    (mail,) = smtp.to("curious@example.org")  # nothing is listed today, and this reader wants to know
    assert "no new papers" in mail["Subject"]
    assert run_due_jobs(now) == []

