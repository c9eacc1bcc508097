from django.contrib import admin

from papertide.digests.models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "frequency", "confirmed_at", "unsubscribed_at", "bouncing_since", "created_at"]
    list_filter = ["frequency", "confirmed_at", "unsubscribed_at", "bouncing_since"]
    search_fields = ["email"]
    raw_id_fields = ["user"]
