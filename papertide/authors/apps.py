from django.apps import AppConfig


class AuthorsConfig(AppConfig):
    name = "papertide.authors"
    label = "authors"
    verbose_name = "Author claims"
