"""What a reader is told about: replies to their comments, comments on papers they wrote (claimed) or saved, and
new papers by authors they follow. Shown under the header's bell; mailed at most once a day, each kind switchable."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    REPLY = "reply", "Replies to your comments"
    AUTHORED = "authored", "Comments on your papers"
    SAVED = "saved", "Comments on papers you saved"
    NEW_PAPER = "new-paper", "New papers by authors you follow"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey("discussion.Comment", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", help_text="Who wrote the comment")
    why = models.CharField(max_length=200, blank=True, help_text="For new papers: the followed author")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["emailed_at", "created_at"])]
        constraints = [
            # Told once: about a comment once (the first reason wins), about a new paper once.
            models.UniqueConstraint(fields=["user", "comment"], condition=models.Q(comment__isnull=False),
                                    name="one_notification_per_comment"),
            models.UniqueConstraint(fields=["user", "paper"], condition=models.Q(kind="new-paper"),
                                    name="one_notification_per_new_paper"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} ({self.paper.arxiv_id})"


class Choices(models.Model):
    """Which kinds a reader gets by email (every kind is always under the bell)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_choices")
    email_reply = models.BooleanField(default=True)
    email_authored = models.BooleanField(default=True)
    email_saved = models.BooleanField(default=True)
    email_new_paper = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "notification choices"

    def __str__(self) -> str:
        return f"{self.user}'s notification emails"

    def emailed_kinds(self) -> list[str]:
        return [kind for kind in Kind.values if getattr(self, "email_" + kind.replace("-", "_"))]


class Email(models.Model):
    """The one email of a day to a reader: made before it is sent, so a second run that day sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    items = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_notification_email_a_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.day}: {self.items} items"
