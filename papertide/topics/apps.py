from django.apps import AppConfig


class TopicsConfig(AppConfig):
    name = "papertide.topics"
    label = "topics"
    verbose_name = "Topics"
