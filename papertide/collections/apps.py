from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "papertide.collections"
    label = "collections"
    verbose_name = "Collections"
