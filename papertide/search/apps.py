from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "papertide.search"
    label = "search"
    verbose_name = "Search"
