"""Accounts: sign up, log in (rate-limited), password reset and change, the profile page with my upvotes, my
submissions and my API tokens, downloading my data and deleting my account."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse_lazy
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from papertide.accounts import confirmation, login_throttle
from papertide.accounts.forms import BaseUrlPasswordResetForm, DeleteAccountForm, SignUpForm
from papertide.accounts.models import ApiToken, Preferences
from papertide.digests.models import Subscriber
from papertide.papers import engagement
from papertide.papers.models import DailyEntry, Paper
from papertide.refusals import Refused
from papertide.web.page_cache import render_shared, shared_page
from papertide.web.return_to import return_to


class SiteNameMixin:
    """Django's auth views name the site after the request's host; this site has a name of its own."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"site_name": settings.SITE_NAME}


class ThrottledMixin:
    """Refuses a POST with 429 once a client has used up its attempts (see login_throttle)."""

    throttle_scope = ""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wait = login_throttle.admit(request, self.throttle_scope)
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


class LoginView(SiteNameMixin, ThrottledMixin, auth_views.LoginView):
    throttle_scope = "login"

    def form_valid(self, form):
        login_throttle.forget_attempts(self.request, self.throttle_scope)
        return super().form_valid(form)


class PasswordResetView(SiteNameMixin, ThrottledMixin, auth_views.PasswordResetView):
    throttle_scope = "password-reset"
    form_class = BaseUrlPasswordResetForm

    @property
    def extra_email_context(self) -> dict:  # the reset email names the site too
        return {"site_name": settings.SITE_NAME}


def signup(request: HttpRequest) -> HttpResponse:
    next_url = return_to(request, request.POST.get("next") or request.GET.get("next", ""))
    form = SignUpForm(request.POST or None)
    wait = login_throttle.admit(request, "signup") if request.method == "POST" else 0
    if wait:
        form.errors.clear()
        form.add_error(None, f"Too many new accounts from here. Try again in {math.ceil(wait / 60)} minutes.")
        response = render(request, "registration/signup.html", {"form": form, "next": next_url}, status=429)
        response["Retry-After"] = str(wait)
        return response
    if request.method == "POST" and settings.SIGNUP_CONFIRM:
        confirmation.forget_expired()
    if request.method == "POST" and form.is_valid():
        if settings.SIGNUP_CONFIRM:
            confirmation.start(form, next_url)
            return render(request, "registration/signup_sent.html", {"days": settings.SIGNUP_CONFIRM_DAYS})
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}! You can now upvote and submit papers.")
        return redirect(next_url or "home")
    return render(request, "registration/signup.html", {"form": form, "next": next_url},
                  status=400 if request.method == "POST" else 200)


def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of a sign-up's email: a button (mail scanners open links; only a person presses it)."""
    next_url = return_to(request, request.GET.get("next", ""))
    try:
        user = confirmation.finish(token) if request.method == "POST" else confirmation.pending(token)
    except Refused as refused:
        return render(request, "registration/signup_confirm.html", {"problem": str(refused)}, status=refused.status)
    if request.method != "POST":
        return render(request, "registration/signup_confirm.html", {"pending": user})
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome, {user.get_username()}! You can now upvote and submit papers.")
    return redirect(next_url or "home")


class PasswordChangeView(SiteNameMixin, auth_views.PasswordChangeView):
    """Django's, back to the profile with a message (the session stays logged in)."""

    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        messages.success(self.request, "Your password is changed.")
        return super().form_valid(form)


@login_required
@shared_page(cache=False)
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    upvoted = Paper.objects.filter(upvotes__user=user).order_by("-upvotes__created_at")[:50]
    submitted = DailyEntry.objects.filter(submitted_by=user).select_related("paper").order_by("-created_at")[:50]
    subscription = Subscriber.objects.for_reader(user)
    return render_shared(request, "accounts/profile.html", {
        "subscription": subscription,
        "subscription_token": subscription.token("manage") if subscription else "",
        "upvoted": upvoted,
        "submitted": submitted,
        "tokens": ApiToken.objects.filter(user=user).active(),
    }, upvoted)


@login_required
def my_data(request: HttpRequest) -> JsonResponse:
    """Everything papertide keeps about the reader, as JSON to download."""
    user = request.user
    preferences = Preferences.objects.filter(user=user).first()
    data = {
        "account": {"username": user.get_username(), "email": user.email, "joined": user.date_joined,
                    "last_login": user.last_login},
        "feed_filter": preferences.feed_filter if preferences else None,
        "upvotes": list(user.upvotes.order_by("created_at").values(arxiv_id=F("paper__arxiv_id"), at=F("created_at"))),
        "submissions": list(DailyEntry.objects.filter(submitted_by=user).order_by("created_at")
                            .values(arxiv_id=F("paper__arxiv_id"), listed_on=F("day"), at=F("created_at"))),
        "api_tokens": list(ApiToken.objects.filter(user=user).values(
            "name", "hint", "created_at", "last_used_at", "revoked_at")),
        "digest_subscriptions": list(Subscriber.objects.of_reader(user).values(
            "email", "frequency", "categories", "with_code", "keywords", "min_score", "max_papers", "send_empty",
            "confirmed_at", "unsubscribed_at", "created_at")),
    }
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="papertide-{user.get_username()}.json"'
    return response


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    """Delete the reader and what is theirs alone (upvotes, tokens, filter, digests); their submissions stay listed."""
    user = request.user
    form = DeleteAccountForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            Subscriber.objects.of_reader(user).delete()
            # upvotes counted out of their papers, then tokens and preferences go with the account
            engagement.delete_accounts(get_user_model().objects.filter(pk=user.pk))
        logout(request)
        messages.info(request, "Your account is deleted.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form, "upvotes": user.upvotes.count()},
                  status=400 if request.method == "POST" else 200)


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
