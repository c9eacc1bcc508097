"""papertide's own JSON API, described by OpenAPI at /api/openapi.json with an interactive docs page at
/api/docs (its scripts served by this site). Reads are open; writes need a personal API token
(`Authorization: Bearer pt_…`), created and revoked on the reader's profile page."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.db.models import Count
from django.http import Http404, HttpRequest
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from papertide.accounts.models import ApiToken
from papertide.api import hf_openapi
from papertide.api.errors import ApiError, json_error
from papertide.papers.feed_filter import MAX_API_CHARS, FeedFilter, FilterError
from papertide.papers.actions import SubmissionRefused, remove_upvote, submit_paper, upvote
from papertide.papers.models import DailyEntry, Paper
from papertide.search.query import MAX_QUERY_CHARS
from papertide.search.service import search as run_search
from papertide.search.service import similar_papers

class PapertideApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        return hf_openapi.add_to(super().get_openapi_schema(**kwargs))


api = PapertideApi(
    title="papertide API",
    version="1",
    description="Papers, days, search and similar papers. Errors are `{\"error\": \"…\"}` with status 400 or 404.",
    urls_namespace="native-api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


class ErrorOut(Schema):
    error: str


class PaperOut(Schema):
    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    primary_category: str
    published: dt.datetime | None
    updated: dt.datetime | None
    announced_on: dt.date | None
    comments: str
    journal_ref: str
    doi: str
    license: str
    code_url: str
    project_url: str
    abs_url: str
    pdf_url: str
    page_url: str
    upvotes: int
    num_comments: int = Field(description="Comments in its discussion on this site")

    @staticmethod
    def resolve_page_url(paper: Paper) -> str:
        return paper.get_absolute_url()

    @staticmethod
    def resolve_upvotes(paper: Paper) -> int:
        return paper.total_upvotes

    @staticmethod
    def resolve_num_comments(paper: Paper) -> int:
        return paper.comment_count


class PaperPage(Schema):
    items: list[PaperOut]
    next_cursor: str | None = None


class SearchOut(Schema):
    query: str
    mode: str
    notice: str
    items: list[PaperOut]


class DayOut(Schema):
    day: dt.date
    papers: int


@api.exception_handler(ValidationError)
def bad_parameters(request: HttpRequest, exc: ValidationError):
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', [])[1:]) or 'request'}: {error.get('msg', 'invalid')}"
        for error in exc.errors
    )
    return json_error(problems or "invalid request", 400)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    """ninja's own refusals (e.g. a body that is not JSON) in the one error shape."""
    return json_error(str(exc), exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError):
    response = json_error("this needs a personal API token: Authorization: Bearer pt_… (create one on your profile)", 401)
    response["WWW-Authenticate"] = "Bearer"
    return response


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.objects.user_for(token)
        if user is not None:
            request.user = user
        return user


@api.exception_handler(ApiError)
def api_error(request: HttpRequest, exc: ApiError):
    return json_error(str(exc), exc.status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return json_error(str(exc) or "not found", 404)


def _cursor(paper_id: int) -> str:
    return base64.urlsafe_b64encode(f"p{paper_id}".encode()).decode().rstrip("=")


def _after(cursor: str) -> int:
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if decoded.startswith("p") and decoded[1:].isdigit():
            return int(decoded[1:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError("unknown cursor: use the next_cursor of a previous page")


@api.get("/v1/papers", response={200: PaperPage, 400: ErrorOut}, tags=["papers"])
def list_papers(
    request: HttpRequest,
    day: dt.date | None = Query(None, description="Only papers on this day's list"),
    category: str | None = Query(None, max_length=40, description="Only papers in this category or archive, e.g. cs.CV"),
    cat: str | None = Query(None, max_length=MAX_API_CHARS, description="A filter as on the feed pages: cs.CV,cs.LG (either), "
                                                                 "cs (an archive), physics (a group), hep-* (a prefix), "
                                                                 "-hep-* (not in)"),
    code: bool = Query(False, description="Only papers with a code repository"),
    cursor: str | None = Query(None, max_length=64, description="next_cursor of the previous page"),
    limit: int = Query(50, ge=1, le=200),
):
    """Papers, newest first, a page at a time."""
    papers = Paper.objects.order_by("-id")
    if day:
        papers = papers.filter(daily_entry__day=day, daily_entry__hidden=False)
    try:
        chosen = FeedFilter.parse(f"{category or ''} {cat or ''}", has_code=code)
    except FilterError as exc:
        raise ApiError(f"cat: {exc}") from None
    papers = chosen.apply(papers)
    if cursor:
        papers = papers.filter(id__lt=_after(cursor))
    page = list(papers[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"items": page, "next_cursor": _cursor(page[-1].pk) if more else None}


def find_paper(arxiv_id: str) -> Paper:
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is None:
        raise Http404(f"no paper {arxiv_id} on this site")
    return paper


@api.get("/v1/papers/{path:arxiv_id}", response={200: PaperOut, 404: ErrorOut}, tags=["papers"])
def get_paper(request: HttpRequest, arxiv_id: str):
    """One paper by arXiv id (2411.17775 or hep-th/9901001, without version)."""
    return find_paper(arxiv_id)


@api.get("/v1/similar/{path:arxiv_id}", response={200: list[PaperOut], 400: ErrorOut, 404: ErrorOut}, tags=["papers"])
def get_similar(request: HttpRequest, arxiv_id: str, limit: int = Query(6, ge=1, le=50)):
    """Papers nearest in meaning to this one."""
    return Paper.objects.in_order(similar_papers(find_paper(arxiv_id).pk, limit=limit))


# A GET request line is at most 8,190 bytes (gunicorn): 600 characters fit even when each takes 12 once URL-encoded
# (a 4-byte UTF-8 character is %XX four times).
MAX_GET_QUERY_CHARS = 600


class SearchIn(Schema):
    q: str = Field(..., max_length=MAX_QUERY_CHARS, description="The query: words, a pasted abstract, filters")
    limit: int = Field(20, ge=1, le=100)


def _search(q: str, limit: int) -> dict:
    result = run_search(q, limit=limit)
    return {"query": q, "mode": result.mode, "notice": result.notice, "items": Paper.objects.in_order(result.paper_ids)}


@api.get("/v1/search", response={200: SearchOut, 400: ErrorOut, 429: ErrorOut}, tags=["search"])
def search(request: HttpRequest, q: str = Query(..., max_length=MAX_GET_QUERY_CHARS),
           limit: int = Query(20, ge=1, le=100)):
    """Hybrid search by meaning and words; filters: author:"Name", cat:cs.CV, from:2024-11-01, to:2024-11.
    For a longer query (a pasted abstract, up to 2,000 characters) POST it."""
    return _search(q, limit)


@api.post("/v1/search", response={200: SearchOut, 400: ErrorOut, 429: ErrorOut}, tags=["search"])
def search_long(request: HttpRequest, body: SearchIn):
    """The same search with the query in a JSON body: `{"q": "…", "limit": 20}`, up to 2,000 characters."""
    return _search(body.q, body.limit)


@api.get("/v1/days", response={200: list[DayOut], 400: ErrorOut}, tags=["days"])
def list_days(request: HttpRequest, limit: int = Query(30, ge=1, le=366)):
    """The latest days that have papers, with how many."""
    days = (DailyEntry.objects.visible().values("day").annotate(papers=Count("id")).order_by("-day")[:limit])
    return list(days)


class UpvoteOut(Schema):
    arxiv_id: str
    upvoted: bool
    upvotes: int


def _upvote_state(paper: Paper, upvoted: bool) -> dict:
    fresh = find_paper(paper.arxiv_id)
    return {"arxiv_id": paper.arxiv_id, "upvoted": upvoted, "upvotes": fresh.total_upvotes}


@api.put("/v1/upvotes/{path:arxiv_id}", auth=TokenAuth(), response={200: UpvoteOut, 401: ErrorOut, 404: ErrorOut},
         tags=["writes"])
def put_upvote(request: HttpRequest, arxiv_id: str):
    """Upvote a paper as the token's reader (a second upvote changes nothing)."""
    paper = find_paper(arxiv_id)
    upvote(request.user, paper)
    return _upvote_state(paper, True)


@api.delete("/v1/upvotes/{path:arxiv_id}", auth=TokenAuth(), response={200: UpvoteOut, 401: ErrorOut, 404: ErrorOut},
            tags=["writes"])
def delete_upvote(request: HttpRequest, arxiv_id: str):
    """Take the reader's upvote back."""
    paper = find_paper(arxiv_id)
    remove_upvote(request.user, paper)
    return _upvote_state(paper, False)


class SubmissionIn(Schema):
    paper: str  # an arXiv id or abs/pdf link


class SubmissionOut(Schema):
    created: bool
    day: dt.date
    paper: PaperOut


@api.post("/v1/submissions", auth=TokenAuth(),
          response={200: SubmissionOut, 201: SubmissionOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut,
                    503: ErrorOut},
          tags=["writes"])
def post_submission(request: HttpRequest, body: SubmissionIn):
    """Submit a paper to today's list by arXiv id or link. 201: added; 200: it was already on the list
    (the answer is that entry); 400/404/429: refused, with the reason; 503: arXiv could not be reached."""
    try:
        submission = submit_paper(request.user, body.paper[:300])
    except SubmissionRefused as exc:
        return Status(exc.status, {"error": str(exc)})
    entry = submission.entry
    return Status(201 if submission.created else 200,
                  {"created": submission.created, "day": entry.day, "paper": find_paper(entry.paper.arxiv_id)})
