"""What a reader tells papertide about their taste: papers saved to their library (with a note), papers they are
not interested in, and the interests found among their papers (papertide/recs/interests.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from papertide.papers.models import Paper


class Save(models.Model):
    """A paper in a reader's library: private, and a positive signal for "For you"."""

    class How(models.TextChoices):
        SAVED = "saved", "Saved on the site"
        IMPORTED = "imported", "Imported from a reference manager"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saves")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="saves")
    note = models.TextField(blank=True, max_length=5000)
    how = models.CharField(max_length=10, choices=How.choices, default=How.SAVED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_save_per_user_and_paper")]
        indexes = [models.Index(fields=["paper"])]

    def __str__(self) -> str:
        return f"{self.user} saved {self.paper.arxiv_id}"


class Dismissal(models.Model):
    """"Not interested": the paper and its near-duplicates leave the reader's "For you" ranking."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dismissals")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_dismissal_per_user_and_paper")]

    def __str__(self) -> str:
        return f"{self.user} is not interested in {self.paper.arxiv_id}"


class Interest(models.Model):
    """One cluster of a reader's papers, found again whenever their papers change. A renamed, muted or deleted
    interest keeps that choice across re-clustering: the new cluster sharing most papers with it inherits it."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        MUTED = "muted", "Muted"  # its papers do not steer "For you" until unmuted
        DELETED = "deleted", "Deleted"  # as muted, and no longer listed

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests")
    label = models.CharField(max_length=200, help_text="Its most characteristic words, found by papertide")
    name = models.CharField(max_length=100, blank=True, help_text="The reader's own name for it")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    papers = models.JSONField(default=list, help_text="Paper ids")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"

    @property
    def title(self) -> str:
        return self.name or self.label

    @property
    def size(self) -> int:
        return len(self.papers)


class LibraryImport(models.Model):
    """A library file a reader imported: read in the web request, its missing papers fetched from arXiv and
    embedded off it (recs/library_import.py). Its saves are written together at the end, or not at all."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Fetching and embedding"
        DONE = "done", "Imported"
        FAILED = "failed", "Nothing imported"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library_imports")
    filename = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=20)
    arxiv_ids = models.JSONField(default=list, help_text="Every arXiv id found in the file, in its order")
    skipped = models.JSONField(default=list, help_text="Titles of entries without an arXiv id")
    broken = models.JSONField(default=list, help_text="Parts of the file that could not be read")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    matched = models.JSONField(default=list, help_text="Ids already on the site")
    fetched = models.JSONField(default=list, help_text="Ids fetched from arXiv for this import")
    unknown = models.JSONField(default=list, help_text="Ids arXiv does not know")
    saved = models.PositiveIntegerField(default=0, help_text="Papers newly added to the library")
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.filename or self.format} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class InterestsDue(models.Model):
    """A reader whose papers changed after their interests were last found (recs/refresh.py): found again by a
    thread of the web process at once, or by `papertide worker` if that process died first."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    changed_at = models.DateTimeField(help_text="The latest change; a refresh that began earlier leaves it due")

    def __str__(self) -> str:
        return f"{self.user}: interests due since {self.changed_at}"
