"""Claiming authorship on the site, confirming a claim from one's mailbox, and the claimed author's profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from papertide.authors import rules
from papertide.authors.models import Claim, Profile
from papertide.papers.models import Paper
from papertide.papers.text import author_key
from papertide.sources.records import web_url

MAX_LINKS = 5


@login_required
def claim(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            made = rules.claim(request.user, paper, request.POST.get("name", ""))
        except rules.Refused as refused:
            error, status = str(refused) + ".", refused.status
        else:
            if made.status == Claim.Status.CONFIRMING:
                messages.success(request, f"We sent a link to {request.user.email}: open it to confirm that you are "
                                          f"{made.name}.")
            elif made.status == Claim.Status.APPROVED:
                messages.info(request, f"You are {made.name} here already.")
            else:
                messages.success(request, f"Thank you: a moderator will check that you are {made.name}. Your comments "
                                          "carry the author badge once it is approved.")
            return redirect(paper)
    mine = {c.key: c for c in Claim.objects.filter(user=request.user)}
    authors = [(name, mine.get(author_key(name))) for name in paper.authors]
    return render(request, "authors/claim.html", {"paper": paper, "authors": authors, "error": error},
                  status=status)


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = rules.confirm(token)
    except rules.Refused as refused:
        return render(request, "authors/confirmed.html", {"error": str(refused) + "."}, status=refused.status)
    return render(request, "authors/confirmed.html", {"claim": found})


def profile(request: HttpRequest, username: str) -> HttpResponse:
    user = get_object_or_404(get_user_model(), username=username, is_active=True)
    shown = Profile.objects.filter(user=user).first()
    names = list(Claim.objects.filter(user=user, status=Claim.Status.APPROVED).values_list("name", flat=True))
    if shown is None or not names:
        raise Http404("No author profile of that name.")
    return render(request, "authors/profile.html", {
        "profile": shown, "names": names, "papers": rules.papers_of(user), "mine": request.user == user})


@login_required
def edit_profile(request: HttpRequest) -> HttpResponse:
    shown = Profile.objects.filter(user=request.user).first()
    if shown is None:
        raise Http404("Claim one of your papers first: the profile comes with the first approved claim.")
    if request.method == "POST":
        shown.name = " ".join(request.POST.get("name", "").split())[:200] or shown.name
        shown.affiliation = " ".join(request.POST.get("affiliation", "").split())[:300]
        shown.bio = request.POST.get("bio", "")[:1000]
        links = [web_url(line) for line in request.POST.get("links", "").splitlines()]
        shown.links = [link for link in links if link][:MAX_LINKS]
        shown.save()
        messages.success(request, "Your author profile is saved.")
        return redirect(shown)
    return render(request, "authors/edit_profile.html", {"profile": shown, "max_links": MAX_LINKS})
