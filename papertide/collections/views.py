"""Collections on the site: a reader's own (with the library first), a collection's page (public, or the owner's),
the "Add to…" menu on every card and paper page (htmx, loaded when opened: it differs per reader), the owner's
edits (name, description, public, notes, order, remove), following, and the BibTeX export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from papertide.collections import rules
from papertide.collections.models import Collection, Following
from papertide.papers.models import Paper
from papertide.recs import actions as library
from papertide.recs import exports
from papertide.web.views import button_pressed, is_htmx


@login_required
def index(request: HttpRequest) -> HttpResponse:
    from papertide.recs.models import Save

    return render(request, "collections/index.html", {
        "library_count": Save.objects.filter(user=request.user).count(),
        "mine": Collection.objects.filter(owner=request.user).annotate(papers=Count("items")),
        "followed": Collection.objects.filter(followers__user=request.user, public=True).select_related("owner"),
    })


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    try:
        made = rules.create(request.user, request.POST.get("name", ""), request.POST.get("description", ""),
                            request.POST.get("public") == "1")
    except rules.Refused as refused:
        messages.error(request, str(refused) + ".")
        return redirect("collections")
    paper = Paper.objects.filter(arxiv_id=request.POST.get("paper", "")).first()
    if paper is not None:  # made from a paper's "Add to…" menu: the paper goes in at once
        rules.add(made, paper)
        if is_htmx(request):
            return _shelves(request, paper)
        return redirect(paper)
    messages.success(request, f"“{made.name}” is ready: add papers to it from any paper's “Add to…” menu.")
    return redirect(made)


def collection(request: HttpRequest, collection_id: int, slug: str = "") -> HttpResponse:
    shown = rules.readable(request.user, collection_id)
    if slug != shown.slug:
        return redirect(shown, permanent=True)
    items = list(shown.items.select_related("paper").order_by("position", "added_at"))
    mine = shown.owner_id == request.user.pk
    following = (request.user.is_authenticated and not mine
                 and Following.objects.filter(user=request.user, collection=shown).exists())
    return render(request, "collections/collection.html", {
        "collection": shown, "items": items, "mine": mine, "following": following,
        "followers": shown.followers.count() if shown.public else 0,
    })


@login_required
@require_POST
def edit(request: HttpRequest, collection_id: int) -> HttpResponse:
    mine = rules.owned(request.user, collection_id)
    try:
        rules.change(mine, request.POST.get("name", ""), request.POST.get("description", ""),
                     request.POST.get("public") == "1")
        messages.success(request, "Saved.")
    except rules.Refused as refused:
        messages.error(request, str(refused) + ".")
    return redirect(rules.owned(request.user, collection_id))


@login_required
@require_POST
def delete(request: HttpRequest, collection_id: int) -> HttpResponse:
    mine = rules.owned(request.user, collection_id)
    mine.delete()
    messages.info(request, f"“{mine.name}” is deleted (its papers stay on the site and in your library).")
    return redirect("collections")


@login_required
@require_POST
def item(request: HttpRequest, collection_id: int, arxiv_id: str) -> HttpResponse:
    """The owner's changes to one paper of a collection: add, remove, note, up, down."""
    mine = rules.owned(request.user, collection_id)
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    action = request.POST.get("action")
    try:
        if action == "add":
            rules.add(mine, paper, request.POST.get("note", ""))
        elif action == "remove":
            rules.remove(mine, paper)
        elif action == "note":
            saved = rules.note(mine, paper, request.POST.get("note", ""))
            if is_htmx(request):
                return render(request, "collections/_note.html", {"collection": mine, "item": saved,
                                                                  "mine": True, "just_saved": True})
        elif action in ("up", "down"):
            rules.move(mine, paper, -1 if action == "up" else 1)
        else:
            raise Http404("Unknown action.")
    except rules.Refused as refused:
        messages.error(request, str(refused) + ".")
    if is_htmx(request) and action in ("up", "down", "remove"):
        items = list(mine.items.select_related("paper").order_by("position", "added_at"))
        return render(request, "collections/_items.html", {"collection": mine, "items": items, "mine": True})
    return redirect(mine)


@require_POST
def follow(request: HttpRequest, collection_id: int) -> HttpResponse:
    _, login = button_pressed(request)
    if login is not None:
        return login
    shown = rules.readable(request.user, collection_id)
    on = request.POST.get("action") != "unfollow"
    try:
        rules.follow(request.user, shown, on)
    except rules.Refused as refused:
        messages.error(request, str(refused) + ".")
        return redirect(shown)
    if is_htmx(request):
        return render(request, "collections/_follow.html", {"collection": shown, "following": on})
    messages.success(request, f"You follow “{shown.name}”: its new papers come first in your digest."
                     if on else f"You no longer follow “{shown.name}”.")
    return redirect(shown)


def export(request: HttpRequest, collection_id: int) -> HttpResponse:
    shown = rules.readable(request.user, collection_id)
    items = list(shown.items.select_related("paper").order_by("position", "added_at"))
    media_type, extension = exports.FORMATS["bib"]
    response = HttpResponse(exports.bibtex([i.paper for i in items], {i.paper_id: i.note for i in items}),
                            content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{shown.slug}.{extension}"'
    return response


def _shelves(request: HttpRequest, paper: Paper, status: int = 200) -> HttpResponse:
    template = "collections/_shelves.html" if is_htmx(request) else "collections/shelves.html"
    return render(request, template, {"paper": paper, "shelves": rules.shelves(request.user, paper)}, status=status)


def shelves(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """The "Add to…" menu of a paper: the reader's library and collections, each with whether the paper is in it."""
    if not request.user.is_authenticated:
        login = redirect_to_login(request.get_full_path())
        if is_htmx(request):
            return HttpResponse(status=204, headers={"HX-Redirect": login.url})
        return login
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    if request.method == "POST":
        key, on = request.POST.get("shelf", ""), request.POST.get("action") != "remove"
        if key == rules.LIBRARY:
            (library.save if on else library.unsave)(request.user, paper)
        elif key.isdigit():
            mine = rules.owned(request.user, int(key))
            try:
                rules.add(mine, paper) if on else rules.remove(mine, paper)
            except rules.Refused as refused:
                messages.error(request, str(refused) + ".")
        else:
            raise Http404("No such collection.")
        if not is_htmx(request):
            return redirect("paper-collections", arxiv_id=paper.arxiv_id)  # the menu again, changed
    return _shelves(request, paper)

