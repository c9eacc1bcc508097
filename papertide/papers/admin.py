from django.contrib import admin
from django.db import models, transaction

from papertide.papers import engagement
from papertide.papers.models import DailyEntry, Paper, Upvote


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "version", "title", "primary_category", "announced_on", "source", "index_pending"]
    list_filter = ["source", "index_pending", "announced_on"]
    search_fields = ["arxiv_id", "title", "doi"]
    readonly_fields = ["created_at", "modified_at"]
    date_hierarchy = "announced_on"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin):
    list_display = ["day", "paper", "how", "submitted_by", "featured", "hidden"]
    list_filter = ["how", "featured", "hidden", "day"]
    list_editable = ["featured", "hidden"]
    search_fields = ["paper__arxiv_id", "paper__title", "submitter_name"]
    raw_id_fields = ["paper", "submitted_by"]
    list_select_related = ["paper", "submitted_by"]
    date_hierarchy = "day"
    actions = ["hide_entries", "show_entries", "feature_entries", "unfeature_entries"]

    @admin.action(description="Hide the selected entries from the lists")
    def hide_entries(self, request, queryset):
        self.message_user(request, f"{queryset.update(hidden=True)} entries hidden.")

    @admin.action(description="Show the selected entries again")
    def show_entries(self, request, queryset):
        self.message_user(request, f"{queryset.update(hidden=False)} entries shown.")

    @admin.action(description="Feature the selected entries (first on their lists)")
    def feature_entries(self, request, queryset):
        self.message_user(request, f"{queryset.update(featured=True)} entries featured.")

    @admin.action(description="Stop featuring the selected entries")
    def unfeature_entries(self, request, queryset):
        self.message_user(request, f"{queryset.update(featured=False)} entries no longer featured.")


@admin.register(Upvote)
class UpvoteAdmin(admin.ModelAdmin):
    """Upvotes added or deleted here are counted like the readers' own (papers/engagement.py)."""

    list_display = ["paper", "user", "created_at"]
    raw_id_fields = ["paper", "user"]
    list_select_related = ["paper", "user"]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            engagement.recount_upvotes({obj.paper_id, form.initial.get("paper", obj.paper_id)})

    def delete_model(self, request, obj):
        engagement.take_back_where(Upvote.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        engagement.take_back_where(queryset)
