from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "papertide.papers"
    label = "papers"
    verbose_name = "Papers"
