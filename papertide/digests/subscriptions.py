"""Subscribing (double opt-in) and the emails that go with it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from papertide.digests.models import Subscriber

log = logging.getLogger(__name__)

CONFIRM_MAX_AGE = 7 * 24 * 3600  # seconds a confirmation link stays valid


def subscribe(email: str, user=None) -> Subscriber:
    """Record the address and mail it a confirmation link (or, if it already receives digests, its
    preferences link). The page shown afterwards is the same either way, so nobody can learn from it
    who subscribed."""
    email = email.strip()
    try:
        with transaction.atomic():
            subscriber, _ = Subscriber.objects.get_or_create(email__iexact=email, defaults={"email": email, "user": user})
    except IntegrityError:  # the same address a moment ago
        subscriber = Subscriber.objects.get(email__iexact=email)
    if user is not None and subscriber.user_id is None:
        Subscriber.objects.filter(pk=subscriber.pk).update(user=user)
    if subscriber.is_receiving:
        send_message(subscriber, "already_subscribed", manage_url=subscriber.absolute_url("digest-manage", "manage"))
    else:
        send_message(subscriber, "confirm", confirm_url=subscriber.absolute_url("digest-confirm", "confirm"))
    return subscriber


def send_message(subscriber: Subscriber, name: str, **context) -> None:
    """One of the short account emails: templates digests/emails/NAME.{subject.txt,txt,html}."""
    context |= {"subscriber": subscriber, "site_name": settings.SITE_NAME, "base_url": settings.BASE_URL}
    subject = " ".join(render_to_string(f"digests/emails/{name}.subject.txt", context).split())
    message = EmailMultiAlternatives(subject, render_to_string(f"digests/emails/{name}.txt", context),
                                     to=[subscriber.email])
    message.attach_alternative(render_to_string(f"digests/emails/{name}.html", context), "text/html")
    message.send()
    log.info("sent the %s email to subscriber %s", name, subscriber.pk)
