from django.apps import AppConfig


class RecsConfig(AppConfig):
    name = "papertide.recs"
    label = "recs"
    verbose_name = "For you"

    def ready(self) -> None:
        from papertide.recs import receivers  # noqa: F401  (connects the receivers)
