from django.urls import path

import papertide.converters  # noqa: F401  (registers arxiv_id)
from papertide.discussion import views
from papertide.discussion.feeds import DiscussionFeed
from papertide.web.feeds import atom

urlpatterns = [
    path("papers/<arxiv_id:arxiv_id>/comments/", views.post_comment, name="comment-post"),
    path("papers/<arxiv_id:arxiv_id>/comments/more/", views.more_comments, name="comments-more"),
    path("papers/<arxiv_id:arxiv_id>/comments/new/", views.new_comments, name="comments-new"),
    path("comments/<int:comment_id>/reply/", views.reply_form, name="comment-reply"),
    path("comments/<int:comment_id>/edit/", views.edit_comment, name="comment-edit"),
    path("comments/<int:comment_id>/delete/", views.delete_comment, name="comment-delete"),
    path("comments/<int:comment_id>/vote/", views.vote_comment, name="comment-vote"),
    path("comments/<int:comment_id>/report/", views.report_comment, name="comment-report"),
    path("feeds/papers/<arxiv_id:arxiv_id>/comments.rss", DiscussionFeed(), name="feed-discussion"),
    path("feeds/papers/<arxiv_id:arxiv_id>/comments.atom", atom(DiscussionFeed)(), name="feed-discussion-atom"),
]
