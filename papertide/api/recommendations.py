""""For you" in the native API: stateless (bring your own liked papers) and personal (a token's reader). Both rank
with recs.foryou.recommend, as the site does."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Schema

from papertide import days
from papertide.api.errors import ApiError
from papertide.api.native import ErrorOut, PaperOut, TokenAuth, api
from papertide.papers.models import Paper
from papertide.recs.foryou import candidates_between, explained, recent_period, recommend, signals_of
from papertide.sources.records import ARXIV_ID

MAX_IDS = 2000


class RecommendationsIn(Schema):
    liked: list[str] = Field(..., max_length=MAX_IDS, description="arXiv ids the reader likes")
    disliked: list[str] = Field([], max_length=MAX_IDS, description="arXiv ids the reader is not interested in")
    limit: int = Field(20, ge=1, le=200)
    first: dt.date | None = Field(None, alias="from", description="Only papers listed on or after this day")
    last: dt.date | None = Field(None, alias="to", description="Only papers listed on or before this day")
    categories: list[str] = Field([], max_length=200, description="Only papers in any of these categories")


class RecommendationOut(Schema):
    id: str
    score: float
    reason: str
    paper: PaperOut


class RecommendationsOut(Schema):
    papers: list[RecommendationOut]
    unknown: list[str] = Field(description="Ids given that are not papers on this site (not used)")


def _period(first: dt.date | None, last: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    for day in (first, last):
        if day is not None and not days.within(day):
            raise ApiError(f"{day} is outside the days papertide takes ({days.FIRST_DAY} to {days.LAST_DAY})")
    if first and last and first > last:
        raise ApiError("`from` is after `to`")
    return first, last


def _answer(ranked_with_reasons, limit: int, unknown: list[str]) -> dict:
    chosen = ranked_with_reasons[:limit]
    papers = Paper.objects.in_bulk([s.paper_id for s, _ in chosen])
    return {"papers": [{"id": papers[s.paper_id].arxiv_id, "score": round(s.score, 6), "reason": reason,
                        "paper": papers[s.paper_id]} for s, reason in chosen if s.paper_id in papers],
            "unknown": unknown}


def _known(ids: list[str]) -> tuple[list[int], list[str]]:
    wanted = {}
    for text in ids:
        match = ARXIV_ID.fullmatch(text.strip().removeprefix("arXiv:").removeprefix("arxiv:")[:60])
        wanted[text] = match["id"] if match else None
    found = dict(Paper.objects.filter(arxiv_id__in=[i for i in wanted.values() if i]).values_list("arxiv_id", "pk"))
    return [found[i] for i in wanted.values() if i in found], [t for t, i in wanted.items() if i not in found]


@api.post("/v1/recommendations", response={200: RecommendationsOut, 400: ErrorOut, 429: ErrorOut},
          tags=["recommendations"])
def post_recommendations(request: HttpRequest, body: RecommendationsIn):
    """Papers ranked for a reader who brings their own list (no account): `{"liked": ["2411.17700", …],
    "disliked": […], "limit": 20, "from": "2024-11-01", "to": "2024-11-30", "categories": ["cs.CV"]}`.
    Without `from`/`to` every paper is a candidate. Each answer has a score and a reason."""
    first, last = _period(body.first, body.last)
    liked, unknown = _known(body.liked)
    disliked, unknown_disliked = _known(body.disliked)
    candidates = candidates_between(first, last, body.categories or None)
    ranked = recommend(candidates, liked, disliked)
    return _answer(explained(ranked[:body.limit], "papers you liked"), body.limit, unknown + unknown_disliked)


@api.get("/v1/me/recommendations", auth=TokenAuth(), response={200: RecommendationsOut, 400: ErrorOut, 401: ErrorOut},
         tags=["recommendations"])
def my_recommendations(request: HttpRequest, limit: int = Query(20, ge=1, le=200),
                       first: dt.date | None = Query(None, alias="from"), last: dt.date | None = Query(None, alias="to")):
    """The token's reader's "For you" (from their saves, upvotes, dismissals and interests) over the given days;
    the last RECS_RECENT_DAYS listed days when none are given."""
    first, last = _period(first, last)
    if first is None and last is None:
        first, last = recent_period()
        if last is None:
            return {"papers": [], "unknown": []}
    signals = signals_of(request.user)
    ranked = recommend(candidates_between(first, last), signals.liked, signals.disliked,
                       interest_of=signals.interest_of, user=request.user.pk)
    return _answer(explained(ranked[:limit]), limit, [])
