from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "papertide.digests"
    label = "digests"
    verbose_name = "Email digests"

    def ready(self) -> None:
        from papertide.digests import checks  # noqa: F401  (registers the deployment checks)
