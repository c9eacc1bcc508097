"""The notification email: at most one a day to a reader, with what they were told since the last one, of the
kinds they chose. The day's `Email` row is made before sending, in its own transaction: a second run the same day
(or a second worker) finds it and sends nothing. A run killed after the row but before the send sends nothing
that day either; what it would have told comes the next day, since only a sent email marks notifications emailed."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from papertide import stopping
from papertide.notifications.models import Choices, Email, Kind, Notification

log = logging.getLogger(__name__)
SALT = "papertide.notifications.unsubscribe"


def unsubscribe_token(user) -> str:
    return signing.dumps({"u": user.pk}, salt=SALT, compress=True)


def user_from_token(token: str):
    from django.contrib.auth import get_user_model

    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return get_user_model().objects.filter(pk=data.get("u")).first() if isinstance(data, dict) else None


def choices_of(user) -> Choices:
    return Choices.objects.get_or_create(user=user)[0]


@dataclass
class Report:
    sent: int = 0
    skipped: int = 0  # readers with an email already today

    def __str__(self) -> str:
        return f"{self.sent} notification emails sent, {self.skipped} readers had theirs today already"


def send_emails(day: dt.date | None = None) -> Report:
    """Email every reader what they were told and not yet emailed, of the kinds they chose."""
    from django.contrib.auth import get_user_model

    day = day or timezone.localdate()
    report = Report()
    waiting = (Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
               .values_list("user_id", flat=True).distinct())
    for user in get_user_model().objects.filter(pk__in=waiting, is_active=True).exclude(email=""):
        if stopping.requested():  # between two emails (SIGTERM): the rest go on the next run
            break
        kinds = choices_of(user).emailed_kinds()
        items = list(Notification.objects.filter(user=user, emailed_at__isnull=True, read_at__isnull=True,
                                                 kind__in=kinds)
                     .select_related("paper", "actor", "comment").order_by("created_at")[:200])
        if not items:
            continue
        try:
            with transaction.atomic():
                today = Email.objects.create(user=user, day=day, items=len(items))
        except IntegrityError:
            report.skipped += 1
            continue
        _message(user, items).send()
        with transaction.atomic():
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
            Email.objects.filter(pk=today.pk).update(sent_at=timezone.now())
        report.sent += 1
    log.info("notifications: %s", report)
    return report


def _message(user, items: list[Notification]) -> EmailMultiAlternatives:
    for item in items:
        item.line = describe(item)
    unsubscribe = settings.BASE_URL + reverse("notifications-unsubscribe", args=[unsubscribe_token(user)])
    context = {"user": user, "items": items, "base_url": settings.BASE_URL, "site_name": settings.SITE_NAME,
               "unsubscribe_url": unsubscribe, "settings_url": settings.BASE_URL + reverse("notification-choices")}
    plural = "s" if len(items) != 1 else ""
    message = EmailMultiAlternatives(
        f"{settings.SITE_NAME}: {len(items)} new notification{plural}",
        render_to_string("notifications/email.txt", context), to=[user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return message


def describe(item: Notification) -> str:
    """One line for a notification, as the bell's page and the email say it."""
    title = item.paper.title if len(item.paper.title) <= 90 else item.paper.title[:89] + "…"
    who = item.actor.get_username() if item.actor else "Someone"
    return {
        Kind.REPLY: f"{who} replied to your comment on “{title}”",
        Kind.AUTHORED: f"{who} commented on your paper “{title}”",
        Kind.SAVED: f"{who} commented on “{title}”, which you saved",
        Kind.NEW_PAPER: f"New paper by {item.why}: “{title}”",
    }[item.kind]
