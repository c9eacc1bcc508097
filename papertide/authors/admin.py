"""The moderators' queue of author claims: who claims which name, their address, and the papers of that name."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from papertide.authors import rules
from papertide.authors.models import Claim, Profile


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["created_at", "name", "user", "email", "status", "how"]
    list_filter = ["status", "how"]
    search_fields = ["name", "user__username", "user__email"]
    list_select_related = ["user", "paper"]
    readonly_fields = ["user", "email", "name", "paper", "papers_by_this_name", "status", "how", "orcid",
                       "created_at", "decided_at", "decided_by"]
    fields = readonly_fields
    actions = ["approve", "reject"]

    def get_changelist_instance(self, request):
        if "status__exact" not in request.GET and not request.GET.get("q") and request.method == "GET":
            request.GET = request.GET.copy()
            request.GET["status__exact"] = Claim.Status.PENDING  # the queue: what waits for a moderator
        return super().get_changelist_instance(request)

    def has_add_permission(self, request) -> bool:
        return False  # readers claim on the site

    @admin.display(description="Email")
    def email(self, found: Claim) -> str:
        return found.user.email

    @admin.display(description="Papers on this site by this name")
    def papers_by_this_name(self, found: Claim) -> str:
        from papertide.papers.models import Paper
        from papertide.search.service import search

        papers = Paper.objects.in_order(search(f'author:"{found.name}"', limit=50).paper_ids)
        return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a> ({})</li>', (
            (p.get_absolute_url(), p.title, ", ".join(p.authors[:6])) for p in papers))) if papers else "none"

    @admin.action(description="Approve the selected claims")
    def approve(self, request, queryset):
        try:
            self.message_user(request, f"{rules.approve(list(queryset), request.user)} claims approved.")
        except rules.Refused as refused:
            self.message_user(request, str(refused) + ".", level="error")

    @admin.action(description="Reject the selected claims")
    def reject(self, request, queryset):
        self.message_user(request, f"{rules.reject(list(queryset), request.user)} claims rejected.")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "affiliation"]
    search_fields = ["name", "user__username", "affiliation"]
    raw_id_fields = ["user"]
