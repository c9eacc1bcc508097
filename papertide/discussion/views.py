"""The discussion under a paper: post, reply, edit, delete, upvote and report comments. Each answers htmx with the
piece of page that changed, and works without JavaScript as a plain form and redirect. The paper page itself
(web/views.paper_detail) renders the discussion once for every reader; discussion/overlay.py makes it theirs."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from papertide.discussion import rules
from papertide.discussion.models import Comment, Report
from papertide.papers.models import Paper
from papertide.throttle import client_address
from papertide.web.page_cache import Overlay, apply_overlay
from papertide.web.views import button_pressed, is_htmx


def _form(request: HttpRequest, paper: Paper, parent: Comment | None = None, body: str = "", error: str = "",
          status: int = 200) -> HttpResponse:
    """The comment (or reply) form: alone for htmx, else on a page of its own (a refused comment keeps its text)."""
    context = {"paper": paper, "parent": parent, "body": body, "error": error}
    if is_htmx(request):
        return render(request, "discussion/_comment_form.html", context)  # 200: htmx swaps only what succeeded
    return render(request, "discussion/comment_form_page.html", context, status=status)


@require_POST
def post_comment(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    _, login = button_pressed(request)
    if login is not None:
        return login
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    parent_id = request.POST.get("parent", "")
    parent = get_object_or_404(Comment, pk=parent_id, paper=paper) if parent_id.isdigit() else None
    body = request.POST.get("body", "")
    try:
        comment = rules.post(request.user, paper, body, parent=parent, address=client_address(request))
    except rules.Refused as refused:
        return _form(request, paper, parent, body[:20_000], str(refused) + ".", refused.status)
    if not is_htmx(request):
        return redirect(comment.get_absolute_url())
    paper.refresh_from_db(fields=["comment_count"])
    comment.thread = []
    rules.mark_authors(paper, [comment])
    return render(request, "discussion/_posted.html", {
        "paper": paper, "comment": comment, "reply": comment.parent_id is not None,
        "parent": comment.parent})


@login_required
def reply_form(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("paper", "author"), pk=comment_id)
    return _form(request, comment.paper, comment)  # rules.post puts a reply to a reply in its thread


def more_comments(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """The threads after the first ones a paper page shows, for htmx to append; made the reader's like the page."""
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    start = request.GET.get("from", "")
    start = int(start) if start.isdigit() else rules.THREADS_SHOWN
    rest = rules.threads(paper, "newest" if request.GET.get("sort") == "newest" else "best")[start:]
    html = render_to_string("discussion/_more.html", {"comments": rest, "shared": True}, request=request)
    return HttpResponse(apply_overlay(request, html.encode(), Overlay(discussion=rules.writers_of(rest))))


def new_comments(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """What an open paper page asks for every COMMENT_POLL_SECONDS: the comments posted since the newest it shows
    (`after`), other readers' only (a reader's own are on their page already), for htmx to put in place with the new
    count; `204 No Content`, which htmx leaves alone, while there are none."""
    after = request.GET.get("after", "")
    paper = get_object_or_404(Paper.objects.only("id", "arxiv_id", "authors", "comment_count"), arxiv_id=arxiv_id)
    new = list(Comment.objects.shown().filter(paper=paper, pk__gt=int(after) if after.isdigit() else 0)
               .select_related("author").order_by("pk")[:200])
    if not new:
        return HttpResponse(status=204)
    theirs = [comment for comment in new if comment.author_id != request.user.pk]
    rules.mark_authors(paper, theirs)
    for comment in theirs:
        comment.thread = []
    html = render_to_string("discussion/_new.html", {"paper": paper, "comments": theirs, "latest": new[-1].pk,
                                                      "poll_seconds": settings.COMMENT_POLL_SECONDS, "shared": True},
                            request=request)
    return HttpResponse(apply_overlay(request, html.encode(), Overlay(discussion={c.pk: c.author_id for c in theirs})))


def _mine(request: HttpRequest, comment_id: int) -> Comment:
    return get_object_or_404(Comment.objects.select_related("paper", "author"), pk=comment_id,
                             author=request.user, deleted_at__isnull=True, hidden=False)


@login_required
def edit_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _mine(request, comment_id)
    context = {"comment": comment, "paper": comment.paper, "body": comment.body, "error": ""}
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            rules.edit(request.user, comment, body)
        except rules.Refused as refused:
            context |= {"body": body[:20_000], "error": str(refused) + "."}
            return render(request, "discussion/_edit_form.html" if is_htmx(request) else "discussion/edit.html",
                          context, status=200 if is_htmx(request) else refused.status)
        if not is_htmx(request):
            return redirect(comment.get_absolute_url())
        return render(request, "discussion/_comment_main.html", {"comment": comment, "reply": bool(comment.parent_id)})
    if request.GET.get("cancel") and is_htmx(request):
        return render(request, "discussion/_comment_main.html", {"comment": comment, "reply": bool(comment.parent_id)})
    return render(request, "discussion/_edit_form.html" if is_htmx(request) else "discussion/edit.html", context)


@require_POST
@login_required
def delete_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _mine(request, comment_id)
    paper = comment.paper
    left = rules.delete(request.user, comment)
    if not is_htmx(request):
        messages.info(request, "Your comment was deleted.")
        return redirect(f"{paper.get_absolute_url()}#discussion")
    if left is None:
        return HttpResponse("")
    left.thread = list(left.replies.shown().select_related("author"))
    return render(request, "discussion/_comment.html", {"comment": left, "reply": False})


@require_POST
def vote_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    next_url, login = button_pressed(request)
    if login is not None:
        return login
    comment = get_object_or_404(Comment.objects.select_related("paper"), pk=comment_id)
    up = request.POST.get("action") != "remove"
    try:
        rules.vote(request.user, comment, up)
    except rules.Refused as refused:
        if is_htmx(request):
            return HttpResponse(status=204)  # nothing to change on the page
        messages.error(request, str(refused) + ".")
    if not is_htmx(request):
        return redirect(next_url or comment.get_absolute_url())
    return render(request, "discussion/_vote.html", {"comment": comment, "my_votes": {comment.pk} if up else set()})


@login_required
def report_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("paper", "author"), pk=comment_id)
    context = {"comment": comment, "reasons": Report.Reason.choices, "error": ""}
    if request.method == "POST":
        try:
            rules.report(request.user, comment, request.POST.get("reason", ""), request.POST.get("detail", ""),
                         address=client_address(request))
        except rules.Refused as refused:
            return render(request, "discussion/report.html", context | {"error": str(refused) + "."},
                          status=refused.status)
        messages.success(request, "Thank you: a moderator will look at this comment.")
        return redirect(comment.get_absolute_url())
    return render(request, "discussion/report.html", context)
