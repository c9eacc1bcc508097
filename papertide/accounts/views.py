"""The profile page: my upvotes, my submissions, my API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from papertide.accounts.models import ApiToken
from papertide.papers.models import DailyEntry, Paper


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    upvoted = Paper.objects.with_upvote_counts().filter(upvotes__user=user).order_by("-upvotes__created_at")[:50]
    submitted = DailyEntry.objects.filter(submitted_by=user).select_related("paper").order_by("-created_at")[:50]
    return render(request, "accounts/profile.html", {
        "upvoted": upvoted,
        "submitted": submitted,
        "tokens": ApiToken.objects.filter(user=user).active(),
    })


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    _, token = ApiToken.issue(request.user, request.POST.get("name", "").strip())
    messages.success(request, token, extra_tags="new-token")
    return redirect("profile")


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token.revoke()
    messages.info(request, f"Token “{token.name}” revoked: programs using it can no longer act for you.")
    return redirect("profile")
