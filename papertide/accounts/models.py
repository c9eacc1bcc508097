"""Personal API tokens: a program acts as its reader. Only a hash is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX = "pt_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)

    def user_for(self, token: str):
        """The reader a presented token belongs to, or None (unknown or revoked)."""
        if not token.startswith(PREFIX):
            return None
        found = self.active().select_related("user").filter(digest=_digest(token)).first()
        if found is None or not found.user.is_active:
            return None
        self.filter(pk=found.pk).update(last_used_at=timezone.now())
        return found.user


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What it is for, e.g. 'reading list script'")
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The token's first characters, to recognise it")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user}: {self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        """A new token for the user; the clear text is returned here and never stored."""
        token = PREFIX + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name[:100] or "API token", digest=_digest(token),
                                  hint=token[:10]), token

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class Preferences(models.Model):
    """What a logged-in reader chose to keep: the feed filter (anonymous readers keep it in a cookie)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    feed_filter = models.CharField(max_length=1000, blank=True, help_text="papers/feed_filter.py, as in ?cat=")

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"{self.user}: {self.feed_filter or 'no filter'}"
