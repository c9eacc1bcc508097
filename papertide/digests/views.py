"""Subscribe, confirm, preferences and unsubscribe. Links in emails carry a signed token instead of a
login; pages reached by a link only show a form, because mail scanners follow links: only POST acts."""

from __future__ import annotations

import math

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from papertide.accounts import login_throttle
from papertide.digests import subscriptions
from papertide.digests.forms import PreferencesForm, SubscribeForm
from papertide.digests.models import Subscriber


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "digests/invalid_link.html", status=404)


def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "digests/subscribe.html", {"form": SubscribeForm()})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "digests/subscribe.html", {"form": form}, status=400)
    wait = login_throttle.seconds_blocked(request, "subscribe")
    if wait:
        form.add_error(None, f"Too many subscriptions from here. Try again in {math.ceil(wait / 60)} minutes.")
        return render(request, "digests/subscribe.html", {"form": form}, status=429)
    login_throttle.count_attempt(request, "subscribe")
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
