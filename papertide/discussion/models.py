"""Readers' discussion under each paper: comments with one level of replies, their upvotes, reports of abuse,
and bans. What a comment shows is rendered from its Markdown once, when written (discussion/markup.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from papertide.papers.models import Paper

MAX_CHARS = 10_000


class CommentQuerySet(models.QuerySet):
    def shown(self) -> CommentQuerySet:
        """What counts as a comment: not deleted by its writer, not hidden by a moderator."""
        return self.filter(deleted_at__isnull=True, hidden=False)


class Comment(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="discussion")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    # One level of replies: a reply's parent is always a top-level comment (rules.post enforces it).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(max_length=MAX_CHARS, help_text="As written (Markdown)")
    html = models.TextField(help_text="Rendered and sanitized from the body")
    score = models.PositiveIntegerField(default=0, editable=False, help_text="Upvotes")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # A deleted comment with replies stays as "[deleted]" so the replies keep their place; one without goes.
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator")
    hidden_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["paper", "created_at"]), models.Index(fields=["author", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author} on {self.paper.arxiv_id}: {self.body[:60]}"

    @property
    def shown(self) -> bool:
        return self.deleted_at is None and not self.hidden

    def get_absolute_url(self) -> str:
        return f"{self.paper.get_absolute_url()}#comment-{self.pk}"


class CommentVote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_votes")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "comment"], name="one_vote_per_user_and_comment")]

    def __str__(self) -> str:
        return f"{self.user} ▲ comment {self.comment_id}"


class Report(models.Model):
    """A reader's report of a comment, waiting in the admin's queue until a moderator acts on it."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Harassment or abuse"
        OFF_TOPIC = "off-topic", "Off topic"
        OTHER = "other", "Something else"

    class Outcome(models.TextChoices):
        OPEN = "open", "Waiting"
        HIDDEN = "hidden", "Comment hidden"
        BANNED = "banned", "Writer banned"
        DISMISSED = "dismissed", "Dismissed"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    detail = models.TextField(blank=True, max_length=1000)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_per_reader")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: comment {self.comment_id} by {self.reporter}"


class Ban(models.Model):
    """A reader who may no longer comment or report (they can still read, upvote and save)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ban")
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.user} banned"
