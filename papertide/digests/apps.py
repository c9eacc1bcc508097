from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "papertide.digests"
    label = "digests"
    verbose_name = "Email digests"
