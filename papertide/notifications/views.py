"""The bell's page, the reader's email choices, and the one-click unsubscribe of notification emails."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from papertide.notifications.mail import choices_of, describe, user_from_token
from papertide.notifications.models import Kind, Notification
from papertide.notifications.tell import forget_counts

SHOWN = 100


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The reader's latest notifications, the unread ones marked; seeing them reads them."""
    items = list(Notification.objects.filter(user=request.user).select_related("paper", "actor", "comment")[:SHOWN])
    for item in items:
        item.line = describe(item)
    unread = [item.pk for item in items if item.read_at is None]
    if unread:
        Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        forget_counts([request.user.pk])
    return render(request, "notifications/index.html", {"items": items, "unread": set(unread)})


@login_required
def choose(request: HttpRequest) -> HttpResponse:
    chosen = choices_of(request.user)
    if request.method == "POST":
        for kind in Kind.values:
            setattr(chosen, "email_" + kind.replace("-", "_"), request.POST.get(kind) == "1")
        chosen.save()
        messages.success(request, "Saved: " + (f"you get one email a day at most, about {len(chosen.emailed_kinds())} "
                                               "kinds." if chosen.emailed_kinds() else "no notification emails."))
        return redirect("notification-choices")
    kinds = [(kind, label, getattr(chosen, "email_" + kind.replace("-", "_"))) for kind, label in Kind.choices]
    return render(request, "notifications/choices.html", {"kinds": kinds})


@csrf_exempt  # a mail client's one-click POST (RFC 8058) has no CSRF token; the signed link is the proof
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = user_from_token(token)
    if user is None:
        return render(request, "notifications/unsubscribed.html", {"error": True}, status=400)
    if request.method == "POST":
        chosen = choices_of(user)
        for kind in Kind.values:
            setattr(chosen, "email_" + kind.replace("-", "_"), False)
        chosen.save()
        return render(request, "notifications/unsubscribed.html", {"done": True})
    return render(request, "notifications/unsubscribed.html", {"token": token})
