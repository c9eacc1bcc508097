"""The Hugging Face papers API, same paths, parameters and JSON shapes, so existing clients
(`huggingface_hub.HfApi(endpoint=...)`, scripts written for huggingface.co) work against papertide.

Shapes follow the real `/api/daily_papers` response recorded in ../shared/data/hf-daily-papers/:
`huggingface_hub` reads id, authors, publishedAt, summary, upvotes and discussionId from `paper`, and
everything else from the top level.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from papertide import days
from papertide.api.errors import ApiError, api_view
from papertide.ingest.models import AiSummary
from papertide.papers.feed_filter import MAX_API_CHARS, FeedFilter
from papertide.papers.models import DailyEntry, Paper
from papertide.search.query import MAX_QUERY_CHARS
from papertide.search.service import search as run_search
from papertide.web.periods import Period
from papertide.web.reader_filter import filter_in_address

MAX_DAILY_LIMIT = 100
MAX_SEARCH_LIMIT = 120
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _iso(moment: dt.datetime | dt.date | None) -> str | None:
    if moment is None:
        return None
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(), tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def paper_json(paper: Paper) -> dict:
    """The flat paper object of `/api/papers/{id}` (and `paper` inside list items)."""
    data = {
        "id": paper.arxiv_id,
        "authors": [{"_id": f"{paper.arxiv_id}-{i}", "name": name, "hidden": False}
                    for i, name in enumerate(paper.authors)],
        "publishedAt": _iso(paper.published or paper.announced_on),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.total_upvotes,
        "discussionId": str(paper.pk),
    }
    if paper.code_url:
        data["githubRepo"] = paper.code_url
    if paper.github_stars is not None:
        data["githubStars"] = paper.github_stars
    if paper.project_url:
        data["projectPage"] = paper.project_url
    summary = getattr(paper, "ai_summary_loaded", None)
    if summary is not None and summary.summary:
        # As Hugging Face names them; written by the operator's language model (ingest/summaries.py).
        data["ai_summary"] = summary.summary
        data["ai_keywords"] = summary.keywords
    return data


def with_summaries(papers: list[Paper]) -> list[Paper]:
    """Each paper's AI summary (or None) as `ai_summary_loaded`, with one query for them all."""
    found = AiSummary.objects.exclude(summary="").in_bulk([p.pk for p in papers])
    for paper in papers:
        paper.ai_summary_loaded = found.get(paper.pk)
    return papers


def item_json(paper: Paper, entry: DailyEntry | None) -> dict:
    """One element of `/api/daily_papers` and `/api/papers/search`."""
    item = {
        "paper": paper_json(paper),
        "publishedAt": _iso(entry.day if entry else (paper.announced_on or paper.published)),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": "",  # no thumbnails: a page of papertide never loads anything from elsewhere
        "numComments": paper.comment_count,
        # huggingface_hub reads `paper.upvotes or upvotes`: without this a count of 0 would reach it as None.
        "upvotes": paper.total_upvotes,
    }
    submitter = entry and (entry.submitted_by.get_username() if entry.submitted_by else entry.submitter_name)
    if submitter:
        item["submittedBy"] = {"name": submitter, "fullname": entry.submitter_name or submitter,
                               "avatarUrl": "", "type": "user"}
    for key in ("githubRepo", "projectPage"):
        if key in item["paper"]:
            item[key] = item["paper"][key]
    return item


def _int(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(f"{name} must be a whole number, got {raw[:40]!r}") from None
    if not low <= value <= high:
        raise ApiError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _period(request: HttpRequest) -> tuple[dt.date, dt.date] | None:
    """The days asked for by date=YYYY-MM-DD, week=YYYY-Www or month=YYYY-MM (at most one)."""
    given = [name for name in ("date", "week", "month") if request.GET.get(name)]
    if len(given) > 1:
        raise ApiError(f"give one of date, week and month, not {' and '.join(given)}")
    if not given:
        return None
    name, value = given[0], request.GET[given[0]].strip()
    try:
        if name == "date":
            first, period_of = dt.date.fromisoformat(value), Period.day
        elif name == "week":
            match = _WEEK.match(value)
            if not match:
                raise ValueError
            first, period_of = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1), Period.week_of
        else:
            first, period_of = dt.datetime.strptime(value, "%Y-%m").date(), Period.month_of
    except ValueError:
        example = {"date": "2024-11-28", "week": "2024-W48", "month": "2024-11"}[name]
        raise ApiError(f"{name} must look like {example}, got {value[:40]!r}") from None
    if not days.within(first):
        raise ApiError(f"{name} must fall between {days.FIRST_DAY.year} and {days.LAST_DAY.year}, got {value[:40]!r}")
    period = period_of(first)
    return period.first, period.last


def request_filter(request: HttpRequest) -> FeedFilter:
    """papertide's own extension: `cat=cs.CV,-hep-*` and `code=1`, as on the feed pages (papers/feed_filter.py)."""
    if len(request.GET.get("cat", "")) > MAX_API_CHARS:
        raise ApiError(f"cat must be at most {MAX_API_CHARS} characters")
    found, problems = filter_in_address(request)
    if problems:
        raise ApiError(f"cat: {problems[0]}")
    return found


def _entries(request: HttpRequest) -> QuerySet[DailyEntry]:
    entries = DailyEntry.objects.visible()
    period = _period(request)
    if period is None:
        latest = DailyEntry.objects.latest_day()
        period = (latest, latest) if latest else None
    if period is None:
        return entries.none()
    entries = request_filter(request).apply(entries.filter(day__range=period), paper="paper__")
    submitter = request.GET.get("submitter")
    if submitter:
        entries = entries.filter(submitted_by__username=submitter) | entries.filter(submitter_name=submitter)
    sort = request.GET.get("sort") or "publishedAt"
    if sort == "trending":
        return entries.trending()
    if sort == "publishedAt":
        return entries.newest()
    raise ApiError(f"sort must be publishedAt or trending, got {sort[:40]!r}")


@require_GET
@api_view
def daily_papers(request: HttpRequest) -> JsonResponse:
    limit = _int(request, "limit", settings.PAPERS_PER_PAGE, 1, MAX_DAILY_LIMIT)
    page = _int(request, "p", 0, 0, 100_000)
    entries = list(_entries(request)[page * limit:(page + 1) * limit])
    with_summaries([e.paper for e in entries])
    return JsonResponse([item_json(e.paper, e) for e in entries], safe=False)


@require_GET
@api_view
def paper_detail(request: HttpRequest, arxiv_id: str) -> JsonResponse:
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is None:
        raise ApiError(f"no paper {arxiv_id} on this site", status=404)
    return JsonResponse(paper_json(with_summaries([paper])[0]))


@require_GET
@api_view
def paper_search(request: HttpRequest) -> JsonResponse:
    query = request.GET.get("q", "")
    if len(query) > MAX_QUERY_CHARS:
        raise ApiError(f"q must be at most {MAX_QUERY_CHARS} characters, got {len(query)}")
    limit = _int(request, "limit", 50, 1, MAX_SEARCH_LIMIT)
    ids = run_search(query, limit=limit).paper_ids
    papers = Paper.objects.select_related("daily_entry__submitted_by").in_bulk(ids)
    with_summaries(list(papers.values()))
    items = []
    for paper_id in ids:
        paper = papers.get(paper_id)
        if paper is not None:
            entry = getattr(paper, "daily_entry", None)
            items.append(item_json(paper, entry if entry and not entry.hidden else None))
    return JsonResponse(items, safe=False)
