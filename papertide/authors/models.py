"""Readers who are authors: a claim ("I am <name>"), approved by a moderator or, for an address the operator
trusts, by the reader confirming it from that mailbox; and the profile a claimed author shows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from papertide.papers.text import author_key


class Claim(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a moderator"
        CONFIRMING = "confirming", "Waiting for the reader to confirm by email"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class How(models.TextChoices):
        MODERATOR = "moderator", "By a moderator"
        ALLOW_LIST = "allow-list", "Confirmed from an allow-listed address"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_claims")
    name = models.CharField(max_length=200, help_text="The author name as papers give it")
    key = models.CharField(max_length=200, db_index=True, editable=False, help_text="The name folded (author_key)")
    paper = models.ForeignKey("papers.Paper", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              help_text="The paper it was claimed from")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    how = models.CharField(max_length=10, choices=How.choices, blank=True)
    orcid = models.CharField("ORCID iD", max_length=19, blank=True, help_text="From the allow-list, when it names one")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_claim_per_reader_and_name"),
            # One reader per name on the site once approved (two people of the same name: a moderator decides).
            models.UniqueConstraint(fields=["key"], condition=models.Q(status="approved"),
                                    name="one_approved_claim_per_name"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.name} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        self.key = author_key(self.name)
        super().save(*args, **kwargs)


class Profile(models.Model):
    """What a claimed author shows on their page (their papers come from their approved claims)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_profile")
    name = models.CharField(max_length=200)
    affiliation = models.CharField(max_length=300, blank=True)
    links = models.JSONField(default=list, blank=True, help_text="http(s) addresses: homepage, ORCID, GitHub…")
    bio = models.TextField(blank=True, max_length=1000)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("author-profile", kwargs={"username": self.user.get_username()})
