"""The moderators' side: the queue of reported comments (open reports first) with hide, restore, ban and dismiss,
and every comment with hide and restore. Each action goes through discussion/moderation.py, which keeps counts
right."""

from django.contrib import admin
from django.utils.html import format_html

from papertide.discussion import moderation
from papertide.discussion.markup import plain
from papertide.discussion.models import Ban, Comment, Report


def _link(comment: Comment) -> str:
    return format_html('<a href="{}">{}</a>', comment.get_absolute_url(), plain(comment.body, 120) or "[deleted]")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "reason", "comment_text", "comment_author", "comment_state", "reporter", "outcome"]
    list_filter = ["outcome", "reason"]
    search_fields = ["comment__body", "comment__author__username", "reporter__username"]
    list_select_related = ["comment__author", "comment__paper", "reporter"]
    readonly_fields = ["comment", "reporter", "reason", "detail", "created_at", "resolved_at", "resolved_by"]
    actions = ["hide_comments", "restore_comments", "ban_writers", "dismiss_reports"]

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-outcome", "-created_at")  # "open" sorts after the others

    def get_changelist_instance(self, request):
        if "outcome__exact" not in request.GET and not request.GET.get("q") and request.method == "GET":
            request.GET = request.GET.copy()
            request.GET["outcome__exact"] = Report.Outcome.OPEN  # the queue: what waits for a moderator
        return super().get_changelist_instance(request)

    @admin.display(description="Comment")
    def comment_text(self, report: Report) -> str:
        return _link(report.comment)

    @admin.display(description="Written by")
    def comment_author(self, report: Report) -> str:
        return report.comment.author.username

    @admin.display(description="Comment is")
    def comment_state(self, report: Report) -> str:
        return "hidden" if report.comment.hidden else "deleted" if report.comment.deleted_at else "shown"

    @admin.action(description="Hide the reported comments")
    def hide_comments(self, request, queryset):
        hidden = moderation.hide([r.comment for r in queryset], request.user)
        self.message_user(request, f"{hidden} comments hidden.")

    @admin.action(description="Restore the reported comments")
    def restore_comments(self, request, queryset):
        restored = moderation.restore([r.comment for r in queryset], request.user)
        self.message_user(request, f"{restored} comments shown again.")

    @admin.action(description="Ban the writers (and hide all their comments)")
    def ban_writers(self, request, queryset):
        banned = moderation.ban({r.comment.author for r in queryset}, request.user, "reported")
        self.message_user(request, f"{banned} writers banned.")

    @admin.action(description="Dismiss the reports (the comments stay)")
    def dismiss_reports(self, request, queryset):
        self.message_user(request, f"{moderation.dismiss(queryset, request.user)} reports dismissed.")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "text", "author", "paper", "score", "hidden", "deleted_at"]
    list_filter = ["hidden", "created_at"]
    search_fields = ["body", "author__username", "paper__arxiv_id"]
    list_select_related = ["author", "paper"]
    raw_id_fields = ["paper", "author", "parent"]
    readonly_fields = ["html", "score", "created_at", "edited_at", "deleted_at", "hidden", "hidden_at"]
    actions = ["hide_comments", "restore_comments"]

    @admin.display(description="Comment")
    def text(self, comment: Comment) -> str:
        return _link(comment)

    def has_add_permission(self, request) -> bool:
        return False  # comments are written on the site, under its rules

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a moderator hides or restores; the words stay the writer's

    @admin.action(description="Hide the selected comments")
    def hide_comments(self, request, queryset):
        self.message_user(request, f"{moderation.hide(list(queryset), request.user)} comments hidden.")

    @admin.action(description="Restore the selected comments")
    def restore_comments(self, request, queryset):
        self.message_user(request, f"{moderation.restore(list(queryset), request.user)} comments shown again.")


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ["user", "reason", "created_at", "by"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user", "by"]
    readonly_fields = ["created_at"]
