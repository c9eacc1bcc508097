from django.contrib import admin

from papertide.search.models import PaperEmbedding


@admin.register(PaperEmbedding)
class PaperEmbeddingAdmin(admin.ModelAdmin):
    list_display = ["paper", "model", "created_at"]
    list_filter = ["model"]
    raw_id_fields = ["paper"]
    readonly_fields = ["model", "text_hash", "created_at"]
    exclude = ["vector"]
