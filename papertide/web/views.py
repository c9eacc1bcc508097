"""Pages readers see. Views stay thin: queries live on the models' QuerySets, rules in papers/actions.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass

import numpy as np

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from papertide.authors.rules import claimed_by
from papertide.discussion.rules import THREADS_SHOWN, count_in, threads, writers_of
from papertide.papers import actions, submissions
from papertide.papers.feed_filter import FeedFilter
from papertide.papers.models import SORTS, DailyEntry, Paper, QueuedSubmission, Upvote
from papertide.papers.text import author_key
from papertide.recs.actions import has_enough, signals_version
from papertide.recs.foryou import explained, kept_for_reader
from papertide.search.fulltext import STOP_WORDS
from papertide.search.service import search as run_search
from papertide.search.service import similar_papers
from papertide.topics.daily import Topic, topics_of
from papertide.web.chips import filter_chips
from papertide.web.forms import SubmitForm
from papertide.web.page_cache import CSRF_PLACEHOLDER, Overlay, overlay_of, render_shared, shared_page
from papertide.web.templatetags.cards import paper_card
from papertide.web.periods import Period, calendar_weeks, month_calendar
from papertide.web.reader_filter import ReaderFilter, query_string, reader_filter, remember
from papertide.web.return_to import return_to


def _my_upvotes(request: HttpRequest, papers: list[Paper]) -> set[int]:
    if not request.user.is_authenticated or not papers:
        return set()
    return set(
        Upvote.objects.filter(user=request.user, paper__in=papers).values_list("paper_id", flat=True)
    )


_latest: tuple[float, dt.date | None] = (0.0, None)
LATEST_DAY_SECONDS = 5.0


def latest_day(request: HttpRequest) -> HttpResponse:
    """The front page. Which day is the latest changes once a day, and asking the database at every view was a
    third of a kept front page's time: each process asks again after LATEST_DAY_SECONDS."""
    global _latest
    now = time.monotonic()
    if now > _latest[0] or settings.PAGE_CACHE_SECONDS <= 0:
        _latest = (now + LATEST_DAY_SECONDS, DailyEntry.objects.latest_day())
    day = _latest[1]
    return feed(request, Period.day(day) if day else None)


def _filter_key(request: HttpRequest) -> str:
    return reader_filter(request).cache_key


def _sort(request: HttpRequest) -> str:
    """The sort asked for; without one, "For you" for a reader it has enough to go on for, else trending."""
    sort = request.GET.get("sort")
    if sort in FEED_SORTS:
        return sort
    if not hasattr(request, "default_sort"):  # asked for the page's cache key, then by the view: one cache read
        request.default_sort = "foryou" if has_enough(request.user) else "trending"
    return request.default_sort


def _for_you_kind(request: HttpRequest) -> str | None:
    """A page sorted "For you" comes in three kinds, each kept apart: ranked (a frame shared by every reader it is
    ranked for; each reader's cards are filled in by `_fill_for_you`), "start" (too few papers liked yet) and
    "log in" (anonymous)."""
    if _sort(request) != "foryou":
        return None
    if not request.user.is_authenticated:
        return "foryou:log-in"
    return "foryou:ranked" if has_enough(request.user) else "foryou:start"


@dataclass
class ForYouListing:
    """What a ranked frame keeps for filling in a reader's cards: the listed papers with their trending scores
    (arrays: a month's are unpickled at every view), and a key naming the listing (period, filter and topic, and
    the papers listed)."""

    key: str
    papers: np.ndarray
    trend: np.ndarray

    def candidates(self) -> dict[int, float]:
        return dict(zip(self.papers.tolist(), self.trend.tolist()))


def filtered(entries, chosen: ReaderFilter):
    """The daily entries that the reader's filter lets through (the query, not yet run): what a feed lists, and
    what web/ahead.py ranks ahead, so that both name the listing alike."""
    return chosen.filter.apply(entries, paper="paper__") if chosen.filter else entries


def for_you_listing(listed) -> ForYouListing:
    try:
        sql = str(listed.query)  # whatever chose these entries
    except EmptyResultSet:
        sql = "nothing"
    rows = list(listed.values_list("paper_id", "trend_log"))
    papers = np.array([paper for paper, _ in rows], dtype=np.int64)
    # Named by what chose its papers and by the papers themselves: a paper submitted to the day makes it a new one.
    key = hashlib.blake2b(sql.encode() + np.sort(papers).tobytes(), digest_size=16).hexdigest()
    return ForYouListing(key, papers, np.array([float("nan") if trend is None else trend for _, trend in rows]))


def _fill_for_you(request: HttpRequest, body: bytes, overlay: Overlay) -> tuple[bytes, Overlay]:
    """The reader's page of the listing in their "For you" order, each card with its reason, put into the frame;
    kept for them as long as a page is, until what steers their ranking changes."""
    listing: ForYouListing = overlay.personal
    key = f"foryou-cards:{request.user.pk}:{signals_version(request.user)}:{listing.key}:{request.get_full_path()}"
    found = caches["pages"].get(key) if settings.PAGE_CACHE_SECONDS > 0 else None
    if found is None:  # ranked only then: the cards are kept for every process, a ranking for its own
        ranked = kept_for_reader(request.user, listing.key, listing.candidates, exclude_liked=False)
        page = Paginator(ranked, settings.PAPERS_PER_PAGE).get_page(request.GET.get("page"))
        reasons = {scored.paper_id: reason for scored, reason in explained(list(page.object_list))}
        by_paper = {e.paper_id: e for e in DailyEntry.objects.with_papers().filter(paper_id__in=reasons)}
        entries = [by_paper[paper_id] for paper_id in reasons if paper_id in by_paper]
        DailyEntry.count_recent_upvotes(entries)
        context = {"request": request, "csrf_token": CSRF_PLACEHOLDER}  # the overlay puts the reader's token in
        cards = "".join(paper_card(context, entry.paper, entry, True, reasons[entry.paper_id])
                        for entry in entries).encode()
        found = (cards, overlay_of([entry.paper for entry in entries], entries))
        if settings.PAGE_CACHE_SECONDS > 0:
            caches["pages"].set(key, found, settings.PAGE_CACHE_SECONDS)
    cards, theirs = found
    return body.replace(FOR_YOU_CARDS.encode(), cards, 1), theirs


FEED_SORTS = {**SORTS, "foryou": "For you"}


FOR_YOU_CARDS = "<!--papertide:foryou-cards-->"


@shared_page(vary=_filter_key, personal=_for_you_kind, fill=_fill_for_you)
def feed(request: HttpRequest, period: Period | dt.date | None) -> HttpResponse:
    """A day's, week's or month's papers within the reader's filter, sorted as the reader chose."""
    if isinstance(period, dt.date):
        period = Period.day(period)
    entries = DailyEntry.objects
    sort = _sort(request)
    chosen = reader_filter(request)
    total = 0
    if period is None:
        everything = listed = entries.none()
    else:
        everything = entries.in_period(period.first, period.last)
        total = everything.count()
        if not total:
            raise Http404(f"No papers were listed {period.in_words}.")
        listed = filtered(everything, chosen)
    topics, topic = _topics(request, period, listed)
    if topic is not None:
        listed = listed.filter(paper_id__in=topic.paper_ids)
    foryou_notice, for_you = "", None
    if sort == "foryou" and has_enough(request.user) and period is not None:
        # The frame: counts and pager of the listing, its cards filled in per reader (_fill_for_you).
        page = Paginator(listed.order_by("pk"), settings.PAPERS_PER_PAGE).get_page(request.GET.get("page"))
        if page.paginator.count:
            page.object_list, for_you = [], for_you_listing(listed)
    else:
        if sort == "foryou":
            foryou_notice = "start" if request.user.is_authenticated else "log in"
        page = Paginator(listed.sorted_by("trending" if sort == "foryou" else sort),
                         settings.PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    DailyEntry.count_recent_upvotes(page.object_list)
    keep = chosen.link_params
    in_topic = {**keep, "topic": topic.slug if topic else None}
    context = {"period": period, "page": page, "sort": sort, "sorts": FEED_SORTS, "chosen": chosen, "total": total,
               "same_view": query_string(sort=None if sort == "trending" else sort, **keep),
               "keep": query_string(**in_topic)[1:], "foryou_notice": foryou_notice, "topic": topic,
               "topics": [(t, query_string(sort=None if sort == "trending" else sort, **{**keep, "topic": t.slug}))
                          for t in topics],
               "all_topics": query_string(sort=None if sort == "trending" else sort, **keep) or "?",
               "for_you_cards": mark_safe(FOR_YOU_CARDS) if for_you else ""}
    if period is not None:
        before, after = entries.day_before(period.first), entries.day_after(period.last)
        shown_day = period.first if period.kind == "day" else everything.latest_day()
        weeks = calendar_weeks(Period.month_of(period.first))
        calendar = month_calendar(period, entries.in_period(weeks[0][0], weeks[-1][-1]).papers_per_day())
        earlier, later = entries.day_before(calendar.month.first), entries.day_after(calendar.month.last)
        calendar.previous = Period.month_of(earlier) if earlier else None
        calendar.next = Period.month_of(later) if later else None
        context |= {
            "previous": period.containing(before) if before else None,
            "next": period.containing(after) if after else None,
            "views": [Period.day(shown_day), Period.week_of(shown_day), Period.month_of(shown_day)],
            "calendar": calendar,
            "chips": filter_chips(everything, f"{period.kind}:{period.slug}", chosen.filter, sort),
        }
    return render_shared(request, "papertide/feed.html", context, [e.paper for e in page], page.object_list,
                         personal=for_you)


def _topics(request: HttpRequest, period: Period | None, listed) -> tuple[list[Topic], Topic | None]:
    """The topics of the papers the reader's filter lists, and the one `?topic=` chose (None when it names a topic
    these papers no longer have: the whole list is shown)."""
    if period is None:
        return [], None
    topics = topics_of(list(listed.values_list("paper_id", flat=True)))
    wanted = request.GET.get("topic")
    return topics, next((t for t in topics if t.slug == wanted), None) if wanted else None


@require_POST
def remember_filter(request: HttpRequest) -> HttpResponse:
    """Keep the filter of the page the reader is on as theirs ("forget": back to the site's default)."""
    response = redirect(return_to(request, request.POST.get("next", "")) or reverse("home"))
    if request.POST.get("action") == "forget":
        remember(request, response, None)
        messages.info(request, "Your filter is forgotten: the feeds show the site's selection again.")
    else:
        chosen, _ = FeedFilter.parse_lenient(request.POST.get("cat", "")[:2000], request.POST.get("code") == "1")
        remember(request, response, chosen)
        messages.success(request, f"Remembered: the feeds now show {chosen.describe()} when you come back.")
    return response


def _discussed_at(request: HttpRequest) -> str:
    """A paper page is kept until its discussion changes: a new comment shows on the writer's next reload. Plain
    SQL: it runs on every paper page view, and the ORM's query building cost more than the rest of a kept page."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT discussed_at FROM {Paper._meta.db_table} WHERE arxiv_id = %s",
                       [request.resolver_match.kwargs["arxiv_id"]])
        row = cursor.fetchone()
    return str(row[0]).replace(" ", "T") if row and row[0] else "-"


@shared_page(vary=_discussed_at)
def paper_detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(Paper.objects.select_related("daily_entry", "ai_summary"), arxiv_id=arxiv_id)
    similar = Paper.objects.in_order(similar_papers(paper.pk, limit=settings.SIMILAR_PAPERS))
    comment_sort = "newest" if request.GET.get("comments") == "newest" else "best"
    comments = threads(paper, comment_sort)
    # A long discussion shows its first threads, and the rest on asking: a page with 200 comments weighed 280 kB.
    shown = comments if request.GET.get("all") == "1" else comments[:THREADS_SHOWN]
    claimed = claimed_by(paper.authors)
    return render_shared(request, "papertide/paper_detail.html", {
        "paper": paper, "similar": similar, "comments": shown, "comment_sort": comment_sort,
        "authors": [(name, getattr(claimed.get(author_key(name)), "username", None)) for name in paper.authors],
        "more_comments": count_in(comments[len(shown):]), "threads_shown": len(shown),
        "latest_comment": max((c.pk for thread in comments for c in (thread, *thread.thread)), default=0),
        "poll_seconds": settings.COMMENT_POLL_SECONDS,
    }, [paper], discussion=writers_of(shown))


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (it swaps the answer into the page)."""
    return request.headers.get("HX-Request") == "true"


def button_pressed(request: HttpRequest) -> tuple[str, HttpResponse | None]:
    """For a button on a card (upvote, save, not interested): the page to go back to without JavaScript, and the
    answer to give instead when the reader must log in first."""
    next_url = return_to(request, request.POST.get("next", ""))
    if request.user.is_authenticated:
        return next_url, None
    login = redirect_to_login(next_url or request.headers.get("Referer", "/"))
    if is_htmx(request):
        # a redirect would be swapped into the card; tell htmx to navigate instead (no error to log)
        return next_url, HttpResponse(status=204, headers={"HX-Redirect": login.url})
    return next_url, login


@require_POST
def upvote(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Add or remove the reader's upvote. htmx swaps in the new button; without JavaScript, back to the page."""
    htmx = is_htmx(request)
    next_url, login = button_pressed(request)
    if login is not None:
        return login
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    if request.POST.get("action") == "remove":
        actions.remove_upvote(request.user, paper)
    else:
        actions.upvote(request.user, paper)
    if not htmx:
        return redirect(next_url or paper.get_absolute_url())
    paper.refresh_from_db()
    return render(request, "papertide/_upvote.html", {"paper": paper, "my_upvotes": _my_upvotes(request, [paper])})


def _listed(request: HttpRequest, submission: actions.Submission) -> HttpResponse:
    entry = submission.entry
    if submission.created:
        messages.success(request, f"Thank you: “{entry.paper.title}” is on today's list.")
    else:
        messages.info(request, f"“{entry.paper.title}” is already on the list of "
                               f"{entry.day:%B} {entry.day.day}, {entry.day.year}.")
    return redirect(entry.paper)


def _submit_page(request: HttpRequest, form: SubmitForm, status: int = 200) -> HttpResponse:
    return render(request, "papertide/submit.html", {
        "form": form, "max_age": settings.SUBMISSION_MAX_AGE_DAYS, "per_day": settings.SUBMISSIONS_PER_DAY,
    }, status=status)


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    """Submit by id or link. What needs arXiv is queued (papers/submissions.py) and its progress shown."""
    form = SubmitForm(request.POST or None)
    if request.method != "POST":
        return _submit_page(request, form)
    if not form.is_valid():
        return _submit_page(request, form, 400)
    today = timezone.localdate()
    try:
        checked = actions.check_submission(request.user, form.cleaned_data["paper"], today=today)
        if isinstance(checked, actions.Submission):
            return _listed(request, checked)
        if not actions.needs_fetch(checked):
            return _listed(request, actions.list_paper(request.user, checked, today=today))
    except actions.SubmissionRefused as refused:
        form.add_error("paper", refused.as_sentence())
        return _submit_page(request, form, refused.status)
    job = submissions.enqueue(request.user, checked, today)
    return redirect("submission", job_id=job.pk)


@login_required
def submission(request: HttpRequest, job_id: int) -> HttpResponse:
    """A queued submission's progress; htmx asks again until it is done, then goes to the paper."""
    job = get_object_or_404(QueuedSubmission.objects.select_related("entry__paper"), pk=job_id, user=request.user)
    htmx = is_htmx(request)
    if job.status == QueuedSubmission.Status.DONE:
        response = _listed(request, actions.Submission(job.entry, job.created))
        if htmx:  # htmx would swap the paper page into this one; navigate instead
            response = HttpResponse(status=204, headers={"HX-Redirect": response.url})
        return response
    if job.status == QueuedSubmission.Status.REFUSED:
        form = SubmitForm(initial={"paper": job.arxiv_id})
        if htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": request.get_full_path()})
        return render(request, "papertide/submission.html", {"job": job, "form": form})
    template = "papertide/_submission_progress.html" if htmx else "papertide/submission.html"
    return render(request, template, {"job": job})


SEARCH_SORTS = {"relevance": "Relevance", "newest": "Newest", "upvotes": "Most upvoted"}
# The filter form's fields, and the query syntax each writes (search/query.py reads it back).
SEARCH_FILTERS = {"author": 'author:"{}"', "cat": "cat:{}", "from": "from:{}", "to": "to:{}", "code": "has:code"}


def _with_filters(params) -> str:
    """The query with the filter form's fields written into it, so the reader sees (and can edit) the syntax."""
    parts = [params.get("q", "").strip()]
    for name, syntax in SEARCH_FILTERS.items():
        value = " ".join(params.get(name, "").replace('"', " ").split())
        if value:
            parts.append(syntax.format(value))
    return " ".join(part for part in parts if part)


@shared_page()
def search(request: HttpRequest) -> HttpResponse:
    if any(request.GET.get(name, "").strip() for name in SEARCH_FILTERS):
        return redirect(reverse("search") + query_string(q=_with_filters(request.GET)))
    query = request.GET.get("q", "")
    sort = request.GET.get("sort", "relevance")
    sort = sort if sort in SEARCH_SORTS else "relevance"
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    per_page = settings.PAPERS_PER_PAGE
    wanted = settings.SEARCH_MAX_RESULTS if sort != "relevance" else min(settings.SEARCH_MAX_RESULTS, page * per_page + 1)
    result = run_search(query, limit=wanted)
    found = Paper.objects.in_order(result.paper_ids)
    if sort == "newest":
        found.sort(key=lambda p: p.announced_on or (p.published.date() if p.published else dt.date.min), reverse=True)
    elif sort == "upvotes":
        found.sort(key=lambda p: p.total_upvotes, reverse=True)
    papers = found[(page - 1) * per_page: page * per_page]
    context = {
        "query": query, "result": result, "papers": papers, "sort": sort,
        "first": (page - 1) * per_page + 1, "last": (page - 1) * per_page + len(papers), "page": page,
        "previous_page": query_string(q=query, sort=sort if sort != "relevance" else None, page=page - 1)
        if page > 1 else "",
        "next_page": query_string(q=query, sort=sort if sort != "relevance" else None, page=page + 1)
        if len(found) > page * per_page else "",
        "sort_links": [(key, label, query_string(q=query, sort=None if key == "relevance" else key))
                       for key, label in SEARCH_SORTS.items()],
        "close": result.close_match(settings.SEARCH_CLOSE_MATCH),
        "highlight": [word for word in result.query.words if word not in STOP_WORDS],
    }
    return render_shared(request, "papertide/search.html", context, papers)


@shared_page()
def author_papers(request: HttpRequest, name: str) -> HttpResponse:
    """Every paper by this author (case and accents ignored), newest first."""
    result = run_search(f'author:"{name[:200]}"', limit=500)
    papers = Paper.objects.in_order(result.paper_ids)
    claimant = claimed_by([name]).get(author_key(name))
    return render_shared(request, "papertide/author.html", {
        "name": name, "papers": papers, "claimed": claimant and claimant.username}, papers)
