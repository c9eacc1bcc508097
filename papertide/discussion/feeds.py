"""A paper's discussion as RSS/Atom: its newest comments and replies (deleted and hidden ones left out)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404

from papertide.discussion import markup
from papertide.discussion.models import Comment
from papertide.papers.models import Paper
from papertide.web.feeds import CleanRss

FEED_SIZE = 50


class DiscussionFeed(Feed):
    feed_type = CleanRss

    def get_object(self, request, arxiv_id: str) -> Paper:
        return get_object_or_404(Paper, arxiv_id=arxiv_id)

    def title(self, paper: Paper) -> str:
        return f"Discussion of “{paper.title}”"

    def description(self, paper: Paper) -> str:
        return f"Comments on arXiv:{paper.arxiv_id}, newest first."

    def link(self, paper: Paper) -> str:
        return f"{paper.get_absolute_url()}#discussion"

    def items(self, paper: Paper):
        return (Comment.objects.shown().filter(paper=paper).select_related("author", "paper")
                .order_by("-created_at")[:FEED_SIZE])

    def item_title(self, comment: Comment) -> str:
        return f"{comment.author.username}: {markup.plain(comment.body, 80)}"

    def item_description(self, comment: Comment) -> str:
        return comment.html

    def item_link(self, comment: Comment) -> str:
        return comment.get_absolute_url()

    def item_author_name(self, comment: Comment) -> str:
        return comment.author.username

    def item_pubdate(self, comment: Comment):
        return comment.created_at

    def item_updateddate(self, comment: Comment):
        return comment.edited_at or comment.created_at
