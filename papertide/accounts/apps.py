from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "papertide.accounts"
    label = "accounts"
    verbose_name = "Accounts"
