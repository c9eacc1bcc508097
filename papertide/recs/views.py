"""The reader's own pages: "For you", their library (notes, import, export) and their interests; and the save
and "not interested" buttons of every card."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from papertide.papers.models import DailyEntry, Paper
from papertide.recs import actions, exports, library_import, refresh
from papertide.recs.foryou import candidates_between, explained, kept_for_reader, recent_period, signals_of
from papertide.recs.library_formats import MAX_BYTES, LibraryFormatError, read_library
from papertide.recs.models import Interest, LibraryImport, Save
from papertide.web.views import button_pressed, is_htmx

FOR_YOU_PAPERS = 50


@require_POST
def save_paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Save to or remove from the reader's library; htmx swaps the button."""
    next_url, login = button_pressed(request)
    if login is not None:
        return login
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    if request.POST.get("action") == "remove":
        actions.unsave(request.user, paper)
    else:
        actions.save(request.user, paper)
    if not is_htmx(request):
        return redirect(next_url or paper.get_absolute_url())
    saved = Save.objects.filter(user=request.user, paper=paper).exists()
    return render(request, "papertide/_keep.html", {"paper": paper, "my_saves": {paper.pk} if saved else set(),
                                                     "next_path": next_url})


@require_POST
def dismiss_paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """"Not interested" (or its undo): htmx replaces the card with an undo line, and the undo brings it back."""
    next_url, login = button_pressed(request)
    if login is not None:
        return login
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    undo = request.POST.get("action") == "undo"
    if undo:
        actions.undismiss(request.user, paper)
    else:
        actions.dismiss(request.user, paper)
    if not is_htmx(request):
        if not undo:
            messages.info(request, f"Fewer papers like “{paper.title[:80]}” in your For you.")
        return redirect(next_url or paper.get_absolute_url())
    if undo:
        return render(request, "recs/_card_again.html", {"paper": paper, "next_path": next_url})
    return render(request, "recs/_dismissed.html", {"paper": paper, "next_path": next_url})


@login_required
def for_you(request: HttpRequest) -> HttpResponse:
    """The best papers for the reader across the recent days, each with its reason."""
    signals = signals_of(request.user)
    first, last = recent_period()
    recommended = []
    if signals.enough and last is not None:
        listed = DailyEntry.objects.visible().filter(day__gte=first, day__lte=last).aggregate(Count("pk"), Max("pk"))
        # The listing is named by its days and by what they list (a paper submitted since makes it a new one).
        listing = f"recent:{first}:{last}:{listed['pk__count']}:{listed['pk__max']}"
        ranked = kept_for_reader(request.user, listing, lambda: candidates_between(first, last))
        ranked = ranked[:FOR_YOU_PAPERS]
        papers = Paper.objects.in_bulk([s.paper_id for s in ranked])
        recommended = [(papers[s.paper_id], reason) for s, reason in explained(ranked) if s.paper_id in papers]
    return render(request, "recs/for_you.html", {
        "recommended": recommended, "signals": signals, "first": first, "last": last,
        "min_positives": settings.RECS_MIN_POSITIVES,
        "interests": Interest.objects.filter(user=request.user).exclude(state=Interest.State.DELETED)})


@login_required
def library(request: HttpRequest) -> HttpResponse:
    saves = Save.objects.filter(user=request.user).select_related("paper").order_by("-created_at")
    interests = list(Interest.objects.filter(user=request.user).exclude(state=Interest.State.DELETED))
    chosen = None
    if request.GET.get("interest"):
        chosen = next((i for i in interests if str(i.pk) == request.GET["interest"]), None)
        if chosen is None:
            raise Http404("No such interest.")
        saves = saves.filter(paper_id__in=chosen.papers)
    return render(request, "recs/library.html", {
        "saves": saves, "interests": interests, "chosen": chosen, "formats": exports.FORMATS,
        "imports": LibraryImport.objects.filter(user=request.user).order_by("-pk")[:5]})


@login_required
@require_POST
def library_note(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    saved = get_object_or_404(Save, user=request.user, paper__arxiv_id=arxiv_id)
    saved.note = request.POST.get("note", "")[:5000]
    saved.save(update_fields=["note"])
    if is_htmx(request):
        return render(request, "recs/_note.html", {"save": saved, "just_saved": True})
    messages.success(request, "Note saved.")
    return redirect("library")


@login_required
def library_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("Export as bib, ris or json.")
    saves = list(Save.objects.filter(user=request.user).select_related("paper").order_by("created_at"))
    media_type, extension = exports.FORMATS[fmt]
    body = exports.WRITERS[fmt]([s.paper for s in saves], {s.paper_id: s.note for s in saves})
    response = HttpResponse(body, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="papertide-library.{extension}"'
    return response


@login_required
def library_import_page(request: HttpRequest) -> HttpResponse:
    """Upload a BibTeX, RIS or CSL-JSON file, or paste arXiv ids and links."""
    problem = ""
    running = LibraryImport.objects.filter(user=request.user, status__in=[LibraryImport.Status.QUEUED,
                                                                         LibraryImport.Status.RUNNING]).first()
    if request.method == "POST" and running is not None:  # one at a time: each may ask arXiv for thousands
        problem = "Nothing was imported: an import of yours is still under way; wait for it to finish."
    elif request.method == "POST":
        upload = request.FILES.get("file")
        # At most one byte over the limit is read: enough for read_library to refuse it.
        data = upload.read(MAX_BYTES + 1) if upload else request.POST.get("text", "").encode()
        try:
            if not data.strip():
                raise LibraryFormatError("choose a file, or paste arXiv ids or links")
            found = read_library(data, upload.name if upload else "")
            if not found.entries:
                raise LibraryFormatError(f"no entries found in this {found.format}")
        except LibraryFormatError as exc:
            problem = f"Nothing was imported: {exc}."
        else:
            job = library_import.enqueue(request.user, found, upload.name if upload else "")
            return redirect("library-import-status", job_id=job.pk)
    return render(request, "recs/import.html", {"problem": problem, "max_mb": MAX_BYTES // 2**20, "running": running},
                  status=400 if problem else 200)


@login_required
def library_import_status(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(LibraryImport, pk=job_id, user=request.user)
    if request.method == "POST" and job.status == LibraryImport.Status.FAILED:
        library_import.retry(job)
        return redirect("library-import-status", job_id=job.pk)
    template = "recs/_import_report.html" if is_htmx(request) else "recs/import_status.html"
    return render(request, template, {"job": job})


@login_required
def interests_page(request: HttpRequest) -> HttpResponse:
    refresh.refresh_due(request.user.pk)  # a change whose refresh is still running or was left: finish it first
    interests = list(Interest.objects.filter(user=request.user).exclude(state=Interest.State.DELETED)
                     .order_by("state", "-updated_at"))
    titles = dict(Paper.objects.filter(pk__in={p for i in interests for p in i.papers[:5]}).values_list("pk", "title"))
    for interest in interests:
        interest.examples = [titles[p] for p in interest.papers[:5] if p in titles]
    return render(request, "recs/interests.html", {"interests": interests})


@login_required
@require_POST
def interest_change(request: HttpRequest, interest_id: int) -> HttpResponse:
    interest = get_object_or_404(Interest, pk=interest_id, user=request.user)
    action = request.POST.get("action")
    if action == "rename":
        interest.name = request.POST.get("name", "").strip()[:100]
        messages.success(request, f"Renamed to “{interest.title}”.")
    elif action in ("mute", "unmute", "delete"):
        interest.state = {"mute": Interest.State.MUTED, "unmute": Interest.State.ACTIVE,
                          "delete": Interest.State.DELETED}[action]
        messages.success(request, {
            "mute": f"“{interest.title}” no longer steers your For you, until you unmute it.",
            "unmute": f"“{interest.title}” steers your For you again.",
            "delete": f"“{interest.title}” is forgotten: its papers stay in your library but no longer steer "
                      "your For you."}[action])
    else:
        return HttpResponse("Unknown action.", status=400)
    interest.save(update_fields=["name", "state", "updated_at"])
    actions.signals_changed(request.user.pk)
    return redirect("interests")
