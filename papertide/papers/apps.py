from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "papertide.papers"
    label = "papers"
    verbose_name = "Papers"

    def ready(self) -> None:
        from papertide.papers import signals  # noqa: F401  (connects the receivers)
