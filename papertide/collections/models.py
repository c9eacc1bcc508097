"""Collections: named lists of papers a reader curates, private or public, with a note per paper and an order of
their choosing. Public ones have a page, a feed and a BibTeX export, and readers follow them (their new papers
then come first in the follower's digest). The reader's library (recs.Save) is their private default collection:
listed first, never public, never deleted (collections/library.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from papertide.papers.models import Paper

MAX_ITEMS = 2000
MAX_COLLECTIONS = 100


class Collection(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=2000)
    public = models.BooleanField(default=False, help_text="Anyone can read and follow it")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="collection_names_unique_per_owner")]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"

    @property
    def slug(self) -> str:
        return slugify(self.name)[:60] or "collection"

    def get_absolute_url(self) -> str:
        return reverse("collection", kwargs={"collection_id": self.pk, "slug": self.slug})


class Item(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(blank=True, max_length=2000)
    position = models.IntegerField(default=0, help_text="Smallest first")
    added_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["position", "added_at"]
        constraints = [models.UniqueConstraint(fields=["collection", "paper"], name="one_item_per_paper")]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} in {self.collection.name}"


class Following(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_collections")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "collection"], name="one_following_per_reader")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.collection.name}"
