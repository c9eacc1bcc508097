"""Email digests: who subscribed, what they want, and a record of every digest (one per subscriber and
period) written before it is sent, so a crash or a re-run never sends one twice."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils import timezone

from papertide.papers.feed_filter import FeedFilter

SIGNING_SALT = "papertide.digests"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily (weekdays)"
    WEEKLY = "weekly", "Weekly (Mondays)"


class Ranking(models.TextChoices):
    TRENDING = "trending", "Trending first"
    FOR_YOU = "for-you", "Ranked for me, from the papers I save and upvote"


class SubscriberQuerySet(models.QuerySet):
    def receiving(self) -> SubscriberQuerySet:
        """Confirmed, not unsubscribed, not bouncing."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True, bouncing_since__isnull=True)

    def of_reader(self, user) -> SubscriberQuerySet:
        """A reader's subscriptions: made from their account, or to their account's address."""
        mine = self.filter(user=user)
        return mine | self.filter(email__iexact=user.email) if user.email else mine

    def for_reader(self, user) -> Subscriber | None:
        """The reader's digest: the newest made from their account, else the one to their account's address."""
        made = self.filter(user=user).order_by("-created_at").first()
        return made or (self.filter(email__iexact=user.email).first() if user.email else None)


class Subscriber(models.Model):
    email = models.EmailField(max_length=254, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="subscriptions")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    # Terms of a feed filter (papers/feed_filter.py): categories, archives, groups, prefixes; "-" excludes.
    categories = models.JSONField(default=list, blank=True, help_text="arXiv categories; empty: all")
    with_code = models.BooleanField(default=False, help_text="Only papers with a code repository")
    # What the reader follows (digests/follows.py): [{"kind": "author"|"category"|"search", "value": …}]. Their
    # papers come first in each digest, whatever the filters.
    follows = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True, help_text="Words of which a paper must contain one")
    min_score = models.PositiveIntegerField(default=0, help_text="Upvotes a paper needs")
    max_papers = models.PositiveIntegerField(default=10)
    # "for-you": the period's papers in the reader's own order (recs/), for subscribers with an account.
    ranking = models.CharField(max_length=10, choices=Ranking.choices, default=Ranking.TRENDING)
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

    @property
    def feed_filter(self) -> FeedFilter:
        return FeedFilter.parse_lenient(" ".join(self.categories), self.with_code)[0]

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


class Digest(models.Model):
    """One subscriber's digest for one period. The row and its papers are written before the email is
    handed to the SMTP server; the unique (subscriber, period) makes a second one impossible."""

    class Status(models.TextChoices):
        PENDING = "pending", "Recorded, not sent yet (or a temporary failure, retried on the next run)"
        SENDING = "sending", "Being handed to the SMTP server"
        SENT = "sent", "Accepted by the SMTP server"
        BOUNCED = "bounced", "Refused for good by the SMTP server"
        IN_DOUBT = "in-doubt", "A sender stopped while handing it over; not resent, to never send twice"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="digests")
    period = models.CharField(max_length=20, help_text="daily:YYYY-MM-DD or weekly:YYYY-Www")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    empty_reason = models.TextField(blank=True, help_text="Why there were no papers, for an empty digest")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "period"], name="one_digest_per_subscriber_and_period")]

    def __str__(self) -> str:
        return f"{self.period} → {self.subscriber_id} ({self.status})"


class DigestItem(models.Model):
    """A paper in a digest; unique per subscriber, so no paper reaches one reader twice."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="items")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "paper"], name="one_paper_per_subscriber")]
