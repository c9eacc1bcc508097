from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "papertide.web"
    label = "web"
    verbose_name = "Web pages"
