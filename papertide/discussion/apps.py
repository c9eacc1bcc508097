from django.apps import AppConfig


class DiscussionConfig(AppConfig):
    name = "papertide.discussion"
    label = "discussion"
    verbose_name = "Discussion"
