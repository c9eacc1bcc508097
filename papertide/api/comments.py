"""A paper's discussion in the native API: read it (open, as on the paper page) and comment with a personal token
under the site's rules (discussion/rules.py: limits, bans, one level of replies)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Schema, Status

from papertide.api.native import ErrorOut, TokenAuth, api, find_paper
from papertide.discussion import rules
from papertide.discussion.models import MAX_CHARS, Comment
from papertide.throttle import client_address


class CommentOut(Schema):
    id: int
    paper: str = Field(description="arXiv id")
    parent: int | None = Field(description="The comment this replies to (always a top-level one)")
    author: str | None = Field(description="None once deleted or hidden")
    body: str = Field(description="As written (Markdown); empty once deleted or hidden")
    html: str = Field(description="Rendered and sanitized, as the page shows it")
    score: int
    created_at: dt.datetime
    edited_at: dt.datetime | None
    deleted: bool = Field(description="Deleted by its writer or hidden by a moderator; kept for its replies")
    url: str


class CommentsOut(Schema):
    count: int = Field(description="Comments shown (numComments)")
    items: list[CommentOut] = Field(description="Threads in the order asked for, each followed by its replies")


class CommentIn(Schema):
    paper: str = Field(description="arXiv id")
    body: str = Field(..., max_length=MAX_CHARS * 2, description=f"Markdown, at most {MAX_CHARS:,} characters")
    parent: int | None = Field(None, description="Reply to this comment")


def _out(comment: Comment) -> dict:
    shown = comment.shown
    return {"id": comment.pk, "paper": comment.paper.arxiv_id, "parent": comment.parent_id,
            "author": comment.author.username if shown else None, "body": comment.body if shown else "",
            "html": comment.html if shown else "", "score": comment.score, "created_at": comment.created_at,
            "edited_at": comment.edited_at, "deleted": not shown, "url": comment.get_absolute_url()}


@api.get("/v1/comments", response={200: CommentsOut, 400: ErrorOut, 404: ErrorOut}, tags=["discussion"])
def list_comments(request: HttpRequest, paper: str = Query(..., max_length=40, description="arXiv id"),
                  sort: str = Query("best", pattern="^(best|newest)$")):
    """A paper's discussion, as its page shows it."""
    found = find_paper(paper)
    items = [_out(c) for top in rules.threads(found, sort) for c in (top, *top.thread)]
    return {"count": found.comment_count, "items": items}


@api.post("/v1/comments", auth=TokenAuth(),
          response={201: CommentOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
          tags=["discussion", "writes"])
def post_comment(request: HttpRequest, body: CommentIn):
    """Comment on a paper, or reply to a comment, as the token's reader."""
    found = find_paper(body.paper)
    try:
        comment = rules.post(request.user, found, body.body, parent=body.parent, address=client_address(request))
    except rules.Refused as refused:
        return Status(refused.status, {"error": str(refused)})
    return Status(201, _out(comment))
