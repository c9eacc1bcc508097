from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "papertide.notifications"
    label = "notifications"
    verbose_name = "Notifications"
