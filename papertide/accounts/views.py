"""Accounts: sign up, log in (rate-limited), password reset by email, and the profile page with my
upvotes, my submissions and my API tokens."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from papertide.accounts import login_throttle
from papertide.accounts.forms import SignUpForm
from papertide.accounts.models import ApiToken
from papertide.digests.models import Subscriber
from papertide.papers.models import DailyEntry, Paper


class ThrottledMixin:
    """Refuses a POST with 429 once a client has used up its attempts (see login_throttle)."""

    throttle_scope = ""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wait = login_throttle.seconds_blocked(request, self.throttle_scope)
        if wait:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, f"Too many attempts. Try again in {math.ceil(wait / 60)} minute"
                                 f"{'s' if wait > 60 else ''}.")
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


class LoginView(ThrottledMixin, auth_views.LoginView):
    throttle_scope = "login"

    def form_invalid(self, form):
        login_throttle.count_attempt(self.request, self.throttle_scope)
        return super().form_invalid(form)

    def form_valid(self, form):
        login_throttle.forget_attempts(self.request, self.throttle_scope)
        return super().form_valid(form)


class PasswordResetView(ThrottledMixin, auth_views.PasswordResetView):
    throttle_scope = "password-reset"

    def form_valid(self, form):
        login_throttle.count_attempt(self.request, self.throttle_scope)  # every request sends a mail
        return super().form_valid(form)


def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}! You can now upvote and submit papers.")
        return redirect(next_url or "home")
    return render(request, "registration/signup.html", {"form": form, "next": next_url},
                  status=400 if request.method == "POST" else 200)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    upvoted = Paper.objects.filter(upvotes__user=user).order_by("-upvotes__created_at")[:50]
    submitted = DailyEntry.objects.filter(submitted_by=user).select_related("paper").order_by("-created_at")[:50]
    subscription = Subscriber.objects.filter(user=user).order_by("-created_at").first()
    if subscription is None and user.email:
        subscription = Subscriber.objects.filter(email__iexact=user.email).first()
    return render(request, "accounts/profile.html", {
        "subscription": subscription,
        "subscription_token": subscription.token("manage") if subscription else "",
        "upvoted": upvoted,
        "submitted": submitted,
        "tokens": ApiToken.objects.filter(user=user).active(),
        "my_upvotes": {paper.pk for paper in upvoted},
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
