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
