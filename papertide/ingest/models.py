"""Records of ingestion runs, and the checkpoints that make them resumable."""

from __future__ import annotations

from django.db import models


class IngestRun(models.Model):
    """One run of one ingestion job: when, what it did, how it ended."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "Finished"
        EMPTY = "empty", "Finished, nothing new"
        FAILED = "failed", "Failed"
        STOPPED = "stopped", "Stopped (killed)"

    job = models.CharField(max_length=40, db_index=True, help_text="e.g. arxiv-rss, arxiv-oai, kaggle")
    target = models.CharField(max_length=500, blank=True, help_text="Categories, file or URL")
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    listed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="What happened, or the error")
    # Which process runs it, so that a run whose process was killed (SIGKILL, a power cut) is seen as stopped.
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class Checkpoint(models.Model):
    """Where a resumable job stopped (a resumption token, a byte offset), keyed by job and target."""

    key = models.CharField(max_length=500, unique=True)
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


class ScheduledJob(models.Model):
    """A job the worker runs on a schedule; `next_due_at` is claimed with a conditional UPDATE."""

    name = models.CharField(max_length=100, unique=True)
    next_due_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (next {self.next_due_at:%Y-%m-%d %H:%M} UTC)"


class CodeRepository(models.Model):
    """A GitHub repository papers link to, as the stars job last saw it (ingest/stars.py)."""

    class Status(models.TextChoices):
        OK = "ok", "Found"
        GONE = "gone", "Gone (404/410/451)"

    name = models.CharField(max_length=150, unique=True, help_text="owner/name as papers link to it, lower-cased")
    current_name = models.CharField(max_length=150, blank=True, help_text="Where GitHub says it is now (renamed, moved)")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    stars = models.PositiveIntegerField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "code repositories"

    def __str__(self) -> str:
        return self.name


class AiSummary(models.Model):
    """A two-sentence summary of a paper written by the operator's language model (ingest/summaries.py), or the
    failures to get one: `text_hash` is the hash of the title and abstract it was asked about."""

    paper = models.OneToOneField("papers.Paper", on_delete=models.CASCADE, primary_key=True, related_name="ai_summary")
    summary = models.TextField(blank=True)
    keywords = models.JSONField(default=list, blank=True)
    model = models.CharField(max_length=200, blank=True)
    text_hash = models.CharField(max_length=16)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0, help_text="Answers that could not be used, for this text")
    error = models.TextField(blank=True)
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AI summary"
        verbose_name_plural = "AI summaries"

    def __str__(self) -> str:
        return f"{self.paper_id} ({self.model})"
