"""`{% comment_thread comment reply %}`: a comment and, when top-level, its replies. On a shared paper page each
comment's HTML is kept per process, like cards (web/templatetags/cards.py): a page with 200 comments took ~80 ms
to render through the templates and takes a few once they are kept (docs/benchmarks.md). The key holds all a
comment shows, so an edit, a vote or a moderator's action makes a new key, never a stale comment."""

from __future__ import annotations

from django import template
from django.template.loader import get_template, render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

from papertide.web.page_cache import CSRF_PLACEHOLDER, NEXT_PLACEHOLDER, kept

register = template.Library()

MAIN = "discussion/_comment_main.html"


def _main(context, comment, reply: bool) -> str:
    request = context.get("request")
    if not context.get("shared"):  # an answer to one reader (htmx): their own Edit and Delete rendered in
        return render_to_string(MAIN, {"comment": comment, "reply": reply}, request=request)
    key = "comment:" + ":".join(str(part) for part in (
        comment.pk, comment.score, comment.edited_at and comment.edited_at.timestamp(), comment.deleted_at is None,
        comment.hidden, reply, getattr(comment, "by_author", False)))
    html = kept(key, lambda: get_template(MAIN).render({
        "comment": comment, "reply": reply, "shared": True, "my_votes": (), "csrf_token": CSRF_PLACEHOLDER,
        "next_path": NEXT_PLACEHOLDER}))
    here = escape(request.get_full_path()) if request is not None else ""
    return html.replace(NEXT_PLACEHOLDER, here)


def thread_html(context, comment, reply: bool = False) -> str:
    parts = [f'<li class="comment{" reply" if reply else ""}" id="comment-{comment.pk}">',
             _main(context, comment, reply)]
    if not reply:
        parts.append(f'<ol class="replies" id="replies-{comment.pk}">')
        parts += [thread_html(context, answer, True) for answer in getattr(comment, "thread", ())]
        parts.append(f'</ol><div class="reply-slot" id="reply-to-{comment.pk}"></div>')
    parts.append("</li>")
    return "".join(parts)


@register.simple_tag(takes_context=True)
def comment_thread(context, comment, reply=False):
    return mark_safe(thread_html(context, comment, bool(reply)))  # noqa: S308 (our templates; ids are integers)
