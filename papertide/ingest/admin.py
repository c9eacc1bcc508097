from django.contrib import admin

from papertide.ingest.models import Checkpoint, IngestRun, ScheduledJob


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = ["job", "target", "started_at", "finished_at", "status", "created", "updated", "listed"]
    list_filter = ["job", "status"]
    readonly_fields = [f.name for f in IngestRun._meta.fields]


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ["key", "updated_at"]
    readonly_fields = ["updated_at"]


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    list_display = ["name", "next_due_at", "last_started_at"]
