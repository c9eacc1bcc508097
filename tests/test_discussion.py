"""The discussion under every paper, as readers meet it: comment (htmx and plain forms), reply, edit, delete, upvote,
sort, report; the limits and bans that keep it usable on the open internet; moderators' queue and purge; counts
on cards, in sorts, in both APIs and in a feed per paper. The renderer's safety is fuzzed in
test_discussion_markup.py; the browser test is in test_browser.py."""

from __future__ import annotations

import datetime as dt
import io
import re

import feedparser
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from papertide.accounts.models import ApiToken
from papertide.discussion.models import Ban, Comment, CommentVote, Report
from papertide.papers import actions
from papertide.papers.models import DailyEntry, Paper, Upvote
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord
from papertide.web.page_cache import CSRF_PLACEHOLDER

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = dt.date(2024, 11, 28)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PAGE_CACHE_SECONDS = 60  # paper pages kept as served: a change must show on the next reload anyway
    settings.COMMENT_NEW_ACCOUNT_HOURS = 0  # the tests' accounts are minutes old; limits have tests of their own
    settings.COMMENT_TRUSTED_UPVOTES = 0


@pytest.fixture
def papers():
    upsert_papers([PaperRecord(arxiv_id=f"2411.1777{i}", source="huggingface", title=f"Paper {i}",
                               listed_on=DAY, external_upvotes=i) for i in range(3)])
    return {p.arxiv_id: p for p in Paper.objects.all()}


@pytest.fixture
def paper(papers):
    return papers["2411.17770"]


def comment(client, text, parent=None, paper="2411.17770", **extra):
    data = {"body": text} | ({"parent": parent.pk} if parent else {})
    return client.post(f"/papers/{paper}/comments/", data, **extra)


def page(client, path="/papers/2411.17770/") -> str:
    return client.get(path).content.decode()


def test_a_comment_posted_with_htmx_appears_at_once_and_on_every_later_page(as_alice, paper):
    page(Client())  # the paper page is in the shared cache before the comment
    fragment = comment(as_alice, "Does the *method* need $O(n^2)$ memory?", **HTMX).content.decode()
    assert "<html" not in fragment
    assert '<div class="comment-body"><p>Does the <em>method</em> need <span class="math inline">O(n^2)</span>' \
           in fragment
    assert 'hx-swap-oob="afterbegin:#comments"' in fragment and "(1 comment)" in fragment
    assert '<textarea id="comment-body" name="body" rows="4" maxlength="10000" required></textarea>' in fragment
    assert ">Edit</a>" in fragment  # her own comment, rendered for her
    for reader in (Client(), as_alice):  # the cached page was keyed anew
        shown = page(reader)
        assert "Does the <em>method</em>" in shown and "(1 comment)" in shown and "1 comment</a>" in shown
    assert ">Edit</a>" in page(as_alice) and ">Edit</a>" not in page(Client())


def test_without_javascript_a_comment_is_a_form_and_a_redirect(as_alice, paper):
    response = comment(as_alice, "Plain form")
    made = Comment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/papers/2411.17770/#comment-{made.pk}"


def test_an_anonymous_reader_is_asked_to_log_in(client, paper):
    shown = page(client)
    assert "to join the discussion" in shown and 'href="/accounts/login/?next=/papers/2411.17770/%23discussion"' in shown
    assert 'name="body"' not in shown
    response = comment(client, "hello")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    htmx = comment(client, "hello", **HTMX)
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith("/accounts/login/")
    assert not Comment.objects.exists()


def test_every_write_needs_the_csrf_token(alice, paper):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert comment(client, "forged").status_code == 403
    assert not Comment.objects.exists()
    mine = Comment.objects.create(paper=paper, author=alice, body="x", html="<p>x</p>")
    for action in ("edit", "delete", "vote", "report"):
        assert client.post(f"/comments/{mine.pk}/{action}/", {"body": "y", "reason": "spam"}).status_code == 403
    assert Comment.objects.get().body == "x"


def test_markdown_is_a_safe_subset_with_math(as_alice, paper):
    comment(as_alice, "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
                      "> quoted\n\n- one\n- two\n\n`code` [site](https://example.org) $$\\int_0^1 f$$")
    html = Comment.objects.get().html
    assert "<script" not in html and "<img" not in html and "javascript:" not in html.replace("(javascript:", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">site</a>' in html
    assert "<blockquote>" in html and "<li>one</li>" in html and "<code>code</code>" in html
    assert '<span class="math display">\\int_0^1 f</span>' in html


def test_replies_are_one_level_deep(as_alice, as_bob, paper):
    comment(as_alice, "Question")
    question = Comment.objects.get()
    fragment = comment(as_bob, "Answer", parent=question, **HTMX).content.decode()
    assert 'hx-swap-oob="beforeend:#replies-' + str(question.pk) + '"' in fragment
    answer = Comment.objects.get(body="Answer")
    comment(as_alice, "Thanks", parent=answer)  # a reply to a reply joins the thread
    thanks = Comment.objects.get(body="Thanks")
    assert answer.parent == question and thanks.parent == question
    shown = page(Client())
    assert shown.index("Question") < shown.index("Answer") < shown.index("Thanks")
    assert f'id="replies-{question.pk}"' in shown and f'id="replies-{answer.pk}"' not in shown
    form = as_bob.get(f"/comments/{thanks.pk}/reply/", **HTMX).content.decode()
    assert f'name="parent" value="{thanks.pk}"' in form and "Reply to alice" in form
    comment(as_bob, "You're welcome", parent=thanks)
    assert Comment.objects.get(body="You're welcome").parent == question
    assert comment(as_bob, "elsewhere", parent=question, paper="2411.17771").status_code == 404


def test_only_the_writer_edits_and_the_comment_says_edited(as_alice, as_bob, paper):
    comment(as_alice, "Frist")
    mine = Comment.objects.get()
    assert as_bob.get(f"/comments/{mine.pk}/edit/").status_code == 404
    assert as_bob.post(f"/comments/{mine.pk}/edit/", {"body": "pwned"}).status_code == 404
    form = as_alice.get(f"/comments/{mine.pk}/edit/", **HTMX).content.decode()
    assert ">Frist</textarea>" in form
    edited = as_alice.post(f"/comments/{mine.pk}/edit/", {"body": "First"}, **HTMX).content.decode()
    assert "<p>First</p>" in edited and "· edited" in edited
    shown = page(Client())
    assert "<p>First</p>" in shown and "· edited" in shown and "pwned" not in shown


def test_a_deleted_comment_with_replies_leaves_deleted_and_one_without_goes(as_alice, as_bob, paper):
    comment(as_alice, "Question")
    question = Comment.objects.get()
    comment(as_bob, "Answer", parent=question)
    comment(as_bob, "Lonely")
    lonely = Comment.objects.get(body="Lonely")
    assert as_alice.post(f"/comments/{lonely.pk}/delete/").status_code == 404  # not hers
    assert as_bob.post(f"/comments/{lonely.pk}/delete/", **HTMX).content == b""
    left = as_alice.post(f"/comments/{question.pk}/delete/", **HTMX).content.decode()
    assert "[deleted]" in left and "Answer" in left and "Question" not in left
    shown = page(Client())
    assert "[deleted]" in shown and "Answer" in shown and "Question" not in shown and "Lonely" not in shown
    assert Paper.objects.get(pk=paper.pk).comment_count == 1
    answer = Comment.objects.get(body="Answer")
    as_bob.post(f"/comments/{answer.pk}/delete/")  # the last reply: the "[deleted]" question goes with it
    assert not Comment.objects.exists() and "[deleted]" not in page(Client())
    assert Paper.objects.get(pk=paper.pk).comment_count == 0


def test_comment_upvotes_are_pressed_for_the_reader_on_the_shared_page(as_alice, as_bob, paper):
    comment(as_alice, "Upvote me")
    mine = Comment.objects.get()
    page(Client())
    button = as_bob.post(f"/comments/{mine.pk}/vote/", {"action": "add"}, **HTMX).content.decode()
    assert 'aria-pressed="true"' in button and "▲ 1" in button
    as_bob.post(f"/comments/{mine.pk}/vote/", {"action": "add"}, **HTMX)
    assert CommentVote.objects.count() == 1 and Comment.objects.get().score == 1
    assert 'aria-pressed="true" aria-label="Remove your upvote (1)"' in page(as_bob)
    assert 'aria-pressed="true"' not in page(Client()).split('id="discussion"')[1]
    assert as_alice.post(f"/comments/{mine.pk}/vote/", {"action": "add"}).status_code == 302  # her own: nothing
    assert Comment.objects.get().score == 1
    as_bob.post(f"/comments/{mine.pk}/vote/", {"action": "remove"}, **HTMX)
    assert Comment.objects.get().score == 0


def test_a_readers_marks_on_a_discussed_paper_page_are_one_query(as_alice, as_bob, bob, paper):
    """Their paper upvote, their save and their comment upvotes are pressed from one query on the kept page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    comment(as_alice, "Upvote me")
    as_bob.post(f"/comments/{Comment.objects.get().pk}/vote/", {"action": "add"}, **HTMX)
    actions.upvote(bob, paper)
    page(as_bob)  # kept now
    with CaptureQueriesContext(connection) as queries:
        shown = page(as_bob)
    assert 'aria-label="Remove your upvote (1)"' in shown and 'id="votes-' in shown
    marks = [q["sql"] for q in queries.captured_queries if "papers_upvote" in q["sql"] or "commentvote" in q["sql"]]
    assert len(marks) == 1 and "discussion_commentvote" in marks[0] and "recs_save" in marks[0], marks


def test_an_open_page_gets_other_readers_new_comments_and_replies_without_a_reload(as_alice, as_bob, paper):
    comment(as_alice, "First")
    first = Comment.objects.get()
    shown = page(as_bob)
    poll = re.search(r'hx-get="(/papers/2411\.17770/comments/new/\?after=(\d+))" hx-trigger="every 30s"', shown)
    assert poll and int(poll[2]) == first.pk
    assert as_bob.get(poll[1]).status_code == 204  # nothing new: htmx leaves the page alone

    comment(as_alice, "Second, while Bob reads")
    comment(as_alice, "A reply", parent=first)
    answer = as_bob.get(poll[1], **HTMX)
    html = answer.content.decode()
    assert answer.status_code == 200 and "Second, while Bob reads" in html and "A reply" in html
    assert 'hx-swap-oob="afterbegin:#comments"' in html and f'hx-swap-oob="beforeend:#replies-{first.pk}"' in html
    assert "(3 comments)" in html and "csrfmiddlewaretoken" in html and CSRF_PLACEHOLDER not in html  # made his
    latest = Comment.objects.latest("pk").pk
    assert f"?after={latest}" in html
    assert as_bob.get(f"/papers/2411.17770/comments/new/?after={latest}").status_code == 204
    mine = as_alice.get(poll[1], **HTMX).content.decode()  # her own are on her page already
    assert "Second, while Bob reads" not in mine and f"?after={latest}" in mine


def test_best_puts_the_most_upvoted_first_and_newest_the_latest(as_alice, as_bob, alice, bob, paper):
    comment(as_alice, "Older and liked")
    comment(as_alice, "Newer")
    liked = Comment.objects.get(body="Older and liked")
    as_bob.post(f"/comments/{liked.pk}/vote/", {"action": "add"})
    best = page(Client())
    assert best.index("Older and liked") < best.index("Newer")
    newest = page(Client(), "/papers/2411.17770/?comments=newest")
    assert newest.index("Newer") < newest.index("Older and liked")


def test_a_comment_over_10000_characters_is_refused_and_kept_for_shortening(as_alice, paper):
    text = "word " * 2001
    response = comment(as_alice, text)
    body = response.content.decode()
    assert response.status_code == 400 and "at most 10,000 characters; this one has 10,004" in body
    assert "word word" in body  # the text is not lost
    refused = comment(as_alice, "  ", **HTMX).content.decode()
    assert "A comment needs some text." in refused and not Comment.objects.exists()


def test_new_accounts_post_fewer_comments_an_hour_and_trusted_ones_more(settings, alice, as_alice, bob, as_bob, paper):
    settings.COMMENT_NEW_ACCOUNT_HOURS, settings.COMMENT_TRUSTED_UPVOTES = 24, 1
    settings.COMMENT_NEW_LIMIT, settings.COMMENT_LIMIT = 2, 4
    assert [comment(as_alice, f"new {i}").status_code for i in range(3)] == [302, 302, 429]
    refused = comment(as_alice, "one more", **HTMX).content.decode()
    assert "as many as new accounts may" in refused and "one more" in refused
    # An older account whose comments earned an upvote is trusted.
    get_user_model().objects.filter(pk=bob.pk).update(date_joined=timezone.now() - dt.timedelta(days=3))
    mine = Comment.objects.create(paper=paper, author=bob, body="old", html="<p>old</p>")
    mine.created_at = timezone.now() - dt.timedelta(hours=2)
    mine.save()
    assert [comment(as_bob, f"b{i}").status_code for i in range(3)] == [302, 302, 429]  # old, but not upvoted
    as_alice.post(f"/comments/{mine.pk}/vote/", {"action": "add"})
    assert [comment(as_bob, f"b{i}").status_code for i in range(3, 6)] == [302, 302, 429]


def test_one_address_cannot_post_more_than_its_limit_from_many_accounts(settings, paper, django_user_model):
    settings.COMMENT_ADDRESS_LIMIT = 3
    codes = []
    for i in range(5):
        client = Client(REMOTE_ADDR="203.0.113.9")
        client.force_login(django_user_model.objects.create_user(f"sock{i}", f"s{i}@example.org", "pw pw pw pw"))
        codes.append(comment(client, f"spam {i}").status_code)
    assert codes == [302, 302, 302, 429, 429] and Comment.objects.count() == 3


def test_a_banned_reader_cannot_comment_or_report(alice, as_alice, as_bob, bob, paper):
    comment(as_bob, "Fine")
    Ban.objects.create(user=alice)
    response = comment(as_alice, "I am back")
    assert response.status_code == 403 and "a moderator banned it" in response.content.decode()
    fine = Comment.objects.get()
    assert as_alice.post(f"/comments/{fine.pk}/report/", {"reason": "spam"}).status_code == 403
    assert Comment.objects.count() == 1 and not Report.objects.exists()


def test_a_report_waits_in_the_admin_queue_and_hiding_it_takes_it_off_the_page(
        as_alice, as_bob, alice, bob, paper, django_user_model):
    comment(as_bob, "Buy cheap pills at https://spam.example")
    spam = Comment.objects.get()
    assert 'rel="nofollow ugc noopener"' in spam.html
    form = as_alice.get(f"/comments/{spam.pk}/report/").content.decode()
    assert 'value="spam"' in form and "Buy cheap pills" in form
    response = as_alice.post(f"/comments/{spam.pk}/report/", {"reason": "spam", "detail": "ads"})
    assert response.status_code == 302 and Report.objects.get().outcome == "open"
    assert as_alice.post(f"/comments/{spam.pk}/report/", {"reason": "spam"}).status_code == 302
    assert Report.objects.count() == 1

    admin = django_user_model.objects.create_superuser("mod", "mod@example.org", "pw pw pw pw")
    moderator = Client()
    moderator.force_login(admin)
    queue = moderator.get("/admin/discussion/report/").content.decode()
    assert "Buy cheap pills" in queue and "alice" in queue and "Spam or advertising" in queue
    moderator.post("/admin/discussion/report/", {"action": "hide_comments",
                                                 "_selected_action": [Report.objects.get().pk]})
    assert Comment.objects.get().hidden and Report.objects.get().outcome == "hidden"
    assert "Buy cheap pills" not in page(Client()) and Paper.objects.get(pk=paper.pk).comment_count == 0
    assert "Buy cheap pills" not in moderator.get("/admin/discussion/report/").content.decode()  # queue is empty
    moderator.post("/admin/discussion/report/?outcome__exact=hidden", {
        "action": "restore_comments", "_selected_action": [Report.objects.get().pk]})
    assert "Buy cheap pills" in page(Client())
    moderator.post("/admin/discussion/report/?outcome__exact=hidden", {
        "action": "ban_writers", "_selected_action": [Report.objects.get().pk]})
    assert Ban.objects.filter(user=bob).exists() and Comment.objects.get().hidden
    assert comment(as_bob, "again").status_code == 403


def test_purge_user_removes_a_spammers_every_trace_in_one_go(alice, as_alice, bob, as_bob, papers, settings):
    settings.SUBMISSIONS_PER_DAY = 5
    comment(as_alice, "A real question")
    question = Comment.objects.get()
    comment(as_bob, "spam reply", parent=question)
    comment(as_bob, "spam", paper="2411.17771")
    comment(as_alice, "answered by spam")
    as_bob.post(f"/comments/{question.pk}/vote/", {"action": "add"})
    for arxiv_id in papers:
        actions.upvote(bob, papers[arxiv_id])
    actions.upvote(alice, papers["2411.17772"])
    spam_id = f"{timezone.localdate():%y%m}.00001"
    upsert_papers([PaperRecord(arxiv_id=spam_id, source="arxiv-api", title="Spam paper", published=timezone.now())])
    submitted = actions.submit_paper(bob, spam_id)
    assert submitted.created
    before = Paper.objects.get(arxiv_id="2411.17772")
    assert before.upvote_count == 2

    out = io.StringIO()
    call_command("purge-user", "bob", "--yes", stdout=out)
    assert "2 comments, 1 comment upvotes, 3 paper upvotes, 1 submitted papers" in out.getvalue()
    assert not Comment.objects.filter(author=bob).exists() and Comment.objects.get(pk=question.pk).score == 0
    assert not Upvote.objects.filter(user=bob).exists()
    assert [p.upvote_count for p in Paper.objects.filter(arxiv_id__in=papers).order_by("arxiv_id")] == [0, 0, 1]
    assert not DailyEntry.objects.filter(paper__arxiv_id=spam_id).exists()
    assert Paper.objects.get(arxiv_id="2411.17770").comment_count == 2
    assert Paper.objects.get(arxiv_id="2411.17771").comment_count == 0
    bob.refresh_from_db()
    assert not bob.is_active and Ban.objects.filter(user=bob).exists()
    entry = DailyEntry.objects.get(paper__arxiv_id="2411.17772")
    entry_trend = entry.trend_log
    actions.upvote(alice, papers["2411.17772"])  # recomputed trending matches a fresh computation
    actions.remove_upvote(alice, papers["2411.17772"])
    actions.upvote(alice, papers["2411.17772"])
    assert DailyEntry.objects.get(pk=entry.pk).trend_log == pytest.approx(entry_trend)


def test_purge_user_says_what_to_do_when_the_account_is_unknown():
    with pytest.raises(Exception, match="give its user name or email address"):
        call_command("purge-user", "nobody", "--yes")


def test_comment_counts_on_cards_in_the_sort_and_in_both_apis(as_alice, as_bob, papers):
    comment(as_alice, "one", paper="2411.17771")
    comment(as_bob, "two", paper="2411.17771")
    comment(as_alice, "three", paper="2411.17770")
    day = page(Client(), "/day/2024-11-28/?sort=discussed")
    assert 'aria-label="2 comments">💬 2</a>' in day and 'aria-label="1 comment">💬 1</a>' in day
    assert day.index("Paper 1") < day.index("Paper 0") < day.index("Paper 2")
    assert "Most discussed" in day
    items = Client().get("/api/daily_papers?date=2024-11-28").json()
    assert {item["paper"]["id"]: item["numComments"] for item in items} == {
        "2411.17770": 1, "2411.17771": 2, "2411.17772": 0}
    assert Client().get("/api/v1/papers/2411.17771").json()["num_comments"] == 2


def test_the_api_lists_a_discussion_and_comments_with_a_token(alice, as_bob, paper):
    _, token = ApiToken.issue(alice, "bot")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    made = api.post("/api/v1/comments", {"paper": "2411.17770", "body": "From the **API**"},
                    content_type="application/json")
    assert made.status_code == 201 and made.json()["html"] == "<p>From the <strong>API</strong></p>"
    reply = api.post("/api/v1/comments", {"paper": "2411.17770", "body": "me again", "parent": made.json()["id"]},
                     content_type="application/json")
    assert reply.status_code == 201 and reply.json()["parent"] == made.json()["id"]
    listed = Client().get("/api/v1/comments?paper=2411.17770").json()
    assert listed["count"] == 2 and [c["body"] for c in listed["items"]] == ["From the **API**", "me again"]
    assert Client().post("/api/v1/comments", {"paper": "2411.17770", "body": "x"},
                         content_type="application/json").status_code == 401
    too_long = api.post("/api/v1/comments", {"paper": "2411.17770", "body": "x" * 10_001},
                        content_type="application/json")
    assert too_long.status_code == 400 and "at most 10,000 characters" in too_long.json()["error"]
    assert Client().get("/api/v1/comments?paper=9999.99999").status_code == 404


def test_each_paper_has_a_discussion_feed(as_alice, as_bob, paper):
    comment(as_alice, "First with $x$")
    comment(as_bob, "Second [link](https://example.org)")
    for suffix in ("rss", "atom"):
        parsed = feedparser.parse(Client().get(f"/feeds/papers/2411.17770/comments.{suffix}").content)
        assert [e.title for e in parsed.entries] == ["bob: Second [link](https://example.org)", "alice: First with $x$"]
        assert 'rel="nofollow ugc noopener"' in parsed.entries[0].summary
        assert parsed.entries[0].link.endswith(f"#comment-{Comment.objects.get(body__startswith='Second').pk}")
    assert '/feeds/papers/2411.17770/comments.rss' in page(Client())


def test_a_long_discussion_shows_its_first_threads_and_the_rest_on_asking(alice, bob, as_bob, paper, settings):
    from papertide.discussion import rules

    settings.COMMENT_LIMIT = 1000
    for i in range(rules.THREADS_SHOWN + 3):
        rules.post(alice, paper, f"Thread number {i:02d}")
    last = Comment.objects.get(body=f"Thread number {rules.THREADS_SHOWN + 2:02d}")
    rules.post(bob, paper, "A reply down there", parent=last)
    shown = page(as_bob, "/papers/2411.17770/?comments=newest")  # newest first: the oldest threads come later
    assert "Thread number 52" in shown and "Thread number 03" in shown and "Thread number 02" not in shown
    assert "Show 3 more comments" in shown
    more = as_bob.get("/papers/2411.17770/comments/more/?sort=newest&from=50").content.decode()
    assert "<html" not in more and 'hx-swap-oob="delete"' in more
    assert [f"Thread number 0{i}" in more for i in range(3)] == [True] * 3 and "Thread number 03" not in more
    everything = page(as_bob, "/papers/2411.17770/?comments=newest&all=1")  # without JavaScript
    assert "Thread number 00" in everything and "Show 3 more" not in everything
    assert "A reply down there" in shown and ">Edit</a>" in shown  # his reply, in the newest thread, is his
    assert "A reply down there" not in page(as_bob, "/papers/2411.17770/")  # best, all tied: oldest threads first


def test_recount_finds_and_repairs_wrong_counts_on_every_database(as_alice, as_bob, alice, bob, paper):
    from papertide.recount import recount

    comment(as_alice, "First")
    made = Comment.objects.get()
    as_bob.post(f"/comments/{made.pk}/vote/", {"action": "add"}, **HTMX)
    actions.upvote(bob, paper)
    assert recount().upvotes == 0  # nothing wrong: nothing rewritten
    Paper.objects.filter(pk=paper.pk).update(upvote_count=9, comment_count=4)
    Comment.objects.update(score=0)
    found = recount()
    assert (found.upvotes, found.comments, found.votes) == (1, 1, 1)
    paper.refresh_from_db()
    assert (paper.upvote_count, paper.comment_count, Comment.objects.get().score) == (1, 1, 1)
