"""Stored embeddings: the source of truth every vector index is derived from."""

from __future__ import annotations

from django.db import models

from papertide.papers.models import Paper


class PaperEmbedding(models.Model):
    """The embedding of a paper's title and abstract, and the model that made it."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    model = models.CharField(max_length=200, db_index=True)
    vector = models.BinaryField(help_text="float32, unit length")
    # Hash of the embedded text: an unchanged paper is not embedded again.
    text_hash = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.paper_id} ({self.model})"


class VectorTable(models.Model):
    """On PostgreSQL with pgvector, a table of vectors derived from the stored embeddings (search/pgvectors.py):
    the live one, the one it replaced, or one being built."""

    name = models.CharField(max_length=63)
    model = models.CharField(max_length=200)
    dimension = models.PositiveIntegerField()
    count = models.PositiveIntegerField(default=0)
    centre = models.BinaryField(help_text="float32, the mean of its vectors")
    live = models.BooleanField(default=False)
    retired_at = models.DateTimeField(null=True)  # when another table became live instead
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["live"], condition=models.Q(live=True), name="one_live_vector_table"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model}, {self.count} vectors{', live' if self.live else ''})"
