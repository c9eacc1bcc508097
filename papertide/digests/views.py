"""Subscribe, confirm, preferences and unsubscribe. Links in emails carry a signed token instead of a
login; pages reached by a link only show a form, because mail scanners follow links: only POST acts."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from papertide.accounts import login_throttle
from papertide.digests import follows, subscriptions
from papertide.digests.forms import PreferencesForm, SubscribeForm
from papertide.digests.models import Subscriber
from papertide.papers.text import sentence
from papertide.web.return_to import return_to


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "digests/invalid_link.html", status=404)


def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "digests/subscribe.html", {"form": SubscribeForm()})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "digests/subscribe.html", {"form": form}, status=400)
    wait = login_throttle.admit(request, "subscribe")
    if wait:
        form.add_error(None, f"Too many subscriptions from here. Try again in {math.ceil(wait / 60)} minutes.")
        return render(request, "digests/subscribe.html", {"form": form}, status=429)
    user = request.user if request.user.is_authenticated else None
    subscriptions.subscribe(form.cleaned_data["email"], user=user)
    return render(request, "digests/check_inbox.html", {"email": form.cleaned_data["email"]})


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = Subscriber.from_token(token, "confirm", max_age=subscriptions.CONFIRM_MAX_AGE)
    if subscriber is None:
        return _invalid_link(request)
    if request.method == "POST":
        subscriber.confirm()
        messages.success(request, "You are subscribed. Choose what your digest brings you below.")
        return redirect("digest-manage", subscriber.token("manage"))
    return render(request, "digests/confirm.html", {"subscriber": subscriber})


def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = Subscriber.from_token(token, "manage")
    if subscriber is None:
        return _invalid_link(request)
    form = PreferencesForm(request.POST or None, instance=subscriber)
    if request.method == "POST" and form.is_valid():
        subscriber = form.save(commit=False)
        if subscriber.bouncing_since:  # the reader says the address works again
            subscriber.bouncing_since, subscriber.bounce_reason = None, ""
        subscriber.save()
        messages.success(request, "Your preferences are saved.")
        return redirect("digest-manage", token)
    return render(request, "digests/manage.html", {"subscriber": subscriber, "form": form, "token": token},
                  status=400 if request.method == "POST" else 200)


@csrf_exempt  # RFC 8058: mail clients POST here without a form of ours; the signed token authorizes it
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = Subscriber.from_token(token, "manage")
    if subscriber is None:
        return _invalid_link(request)
    if request.method == "POST":
        subscriber.unsubscribe()
        return render(request, "digests/unsubscribed.html", {"subscriber": subscriber, "token": token})
    return render(request, "digests/unsubscribe.html", {"subscriber": subscriber, "token": token})


@require_POST
def resubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = Subscriber.from_token(token, "manage")
    if subscriber is None:
        return _invalid_link(request)
    subscriber.confirm()
    messages.success(request, "Welcome back: your digests start again.")
    return redirect("digest-manage", token)


@login_required
@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    """Follow (or, with action=remove, stop following) an author, a category or a search in my digest."""
    next_url = return_to(request, request.POST.get("next", "")) or reverse("profile")
    try:
        followed = follows.clean(request.POST.get("kind", ""), request.POST.get("value", ""))
    except follows.FollowRefused as exc:
        messages.error(request, sentence(str(exc)))
        return redirect(next_url)
    user = request.user
    subscriber = Subscriber.objects.for_reader(user)
    if request.POST.get("action") == "remove":
        if subscriber:
            follows.remove(subscriber, followed)
        messages.info(request, f"You no longer follow {follows.describe(followed)}.")
        return redirect(next_url)
    if subscriber is None:
        if not user.email:
            messages.error(request, "Add an email address to your account to get a digest.")
            return redirect(next_url)
        subscriber = subscriptions.subscribe(user.email, user)
    try:
        follows.add(subscriber, followed)
    except follows.FollowRefused as exc:
        messages.error(request, sentence(str(exc)))
        return redirect(next_url)
    waiting = "" if subscriber.is_receiving else " once you confirm your subscription (we sent you a link)"
    messages.success(request, f"You follow {follows.describe(followed)}: its new papers come first in your "
                              f"digest{waiting}.")
    return redirect(next_url)
