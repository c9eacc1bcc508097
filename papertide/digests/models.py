"""Email digests: who subscribed, what they want, and a record of every digest (one per subscriber and
period) written before it is sent, so a crash or a re-run never sends one twice."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils import timezone

SIGNING_SALT = "papertide.digests"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily (weekdays)"
    WEEKLY = "weekly", "Weekly (Mondays)"


class SubscriberQuerySet(models.QuerySet):
    def receiving(self) -> SubscriberQuerySet:
        """Confirmed, not unsubscribed, not bouncing."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True, bouncing_since__isnull=True)


class Subscriber(models.Model):
    email = models.EmailField(max_length=254, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="subscriptions")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    categories = models.JSONField(default=list, blank=True, help_text="arXiv categories; empty: all")
    keywords = models.JSONField(default=list, blank=True, help_text="Words of which a paper must contain one")
    min_score = models.PositiveIntegerField(default=0, help_text="Upvotes a paper needs")
    max_papers = models.PositiveIntegerField(default=10)
    send_empty = models.BooleanField(default=False, help_text="Send a short note when there is nothing new")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bouncing_since = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriberQuerySet.as_manager()

    def __str__(self) -> str:
        return self.email

    @property
    def is_receiving(self) -> bool:
        return bool(self.confirmed_at and not self.unsubscribed_at and not self.bouncing_since)

    def token(self, purpose: str) -> str:
        """A signed token naming this subscriber and what it may do ("confirm", "manage")."""
        return signing.dumps({"s": self.pk, "p": purpose}, salt=SIGNING_SALT, compress=True)

    @classmethod
    def from_token(cls, token: str, purpose: str, max_age: int | None = None) -> Subscriber | None:
        try:
            data = signing.loads(token, salt=SIGNING_SALT, max_age=max_age)
        except signing.BadSignature:
            return None
        if not isinstance(data, dict) or data.get("p") != purpose:
            return None
        return cls.objects.filter(pk=data.get("s")).first()

    def absolute_url(self, name: str, purpose: str) -> str:
        return settings.BASE_URL + reverse(name, args=[self.token(purpose)])

    def confirm(self) -> None:
        now = timezone.now()
        self.confirmed_at = self.confirmed_at or now
        self.unsubscribed_at = None
        self.save(update_fields=["confirmed_at", "unsubscribed_at"])

    def unsubscribe(self) -> None:
        if not self.unsubscribed_at:
            self.unsubscribed_at = timezone.now()
            self.save(update_fields=["unsubscribed_at"])
