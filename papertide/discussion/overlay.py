"""A paper page's discussion made the reader's, over the one rendering every reader shares (web/page_cache.py):

- the comment form for a logged-in reader, a log-in link for anyone else;
- Edit and Delete on the reader's own comments: the page knows each comment's writer, so this costs no query;
- the reader's comment upvotes pressed: read in the one query of the page's overlay (web/page_cache.py)."""

from __future__ import annotations

from typing import NamedTuple

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import escape

from papertide.web.context_processors import login_here

FORM_MARKER = "<!--papertide:comment-form:{}-->"
OWN_MARKER = "<!--papertide:own:{}-->"
_FORM_START = b"<!--papertide:comment-form:"


class Voted(NamedTuple):
    """What a pressed comment upvote shows (the names `_vote.html` reads)."""

    pk: int
    score: int


def make_theirs(request: HttpRequest, body: bytes, comments: dict[int, int], voted: list[Voted]) -> bytes:
    """`voted`: the reader's upvoted comments among these, read with the page's other marks
    (page_cache.marked_among)."""
    start = body.find(_FORM_START)
    if start != -1:
        end = body.index(b"-->", start) + 3
        arxiv_id = body[start + len(_FORM_START):end - 3].decode()
        if request.user.is_authenticated:
            form = _kept("discussion/_comment_form.html", arxiv_id, {
                "paper": {"arxiv_id": arxiv_id}, "parent": None, "body": "", "error": ""})
        else:
            url = login_here(request.get_full_path() + "#discussion")
            form = f'<p class="comment-form muted"><a href="{escape(url)}">Log in</a> to join the discussion.</p>'
        body = body[:start] + form.encode() + body[end:]
    if not request.user.is_authenticated or not comments:
        return body
    for comment_id, writer in comments.items():
        if writer == request.user.pk:
            body = body.replace(OWN_MARKER.format(comment_id).encode(), _kept(
                "discussion/_own.html", comment_id, {"comment": {"pk": comment_id}}).encode(), 1)
    if voted:
        from papertide.web.page_cache import press

        body = press(request, body, voted, "discussion/_vote.html", "my_votes",
                     '<span class="comment-vote" id="cvote-{}">', "<!--/cvote--></span>", name="comment")
    return body


def _kept(template: str, key, context: dict) -> str:
    """A piece rendered once per process (the CSRF token left as the placeholder the page's overlay fills): rendering
    it for every request cost more than serving the rest of the kept page."""
    from papertide.web.page_cache import CSRF_PLACEHOLDER, kept

    return kept(f"overlay:{template}:{key}",
                lambda: render_to_string(template, {**context, "csrf_token": CSRF_PLACEHOLDER}))
