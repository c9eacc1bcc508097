from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from papertide.accounts.models import ApiToken
from papertide.papers import engagement


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["digest", "hint", "created_at", "last_used_at"]
    raw_id_fields = ["user"]


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class ReaderAdmin(UserAdmin):
    """Django's user admin, except that deleting accounts counts their upvotes out of their papers first
    (papers/engagement.py)."""

    def delete_model(self, request, obj):
        engagement.delete_accounts(type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        engagement.delete_accounts(queryset)
