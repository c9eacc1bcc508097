"""Deployment checks (`papertide manage check --deploy`) for what the site mails: a site in production that
cannot send email loses its password resets, confirmations and digests without anyone noticing, and links
must lead to the site itself."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register("papertide", deploy=True)
def check_mail_settings(app_configs, **kwargs) -> list[Warning]:
    problems = []
    if not settings.SMTP_HOST:
        problems.append(Warning(
            "PAPERTIDE_SMTP_HOST is not set: password resets, subscription confirmations and digests are "
            f"written to {settings.EMAIL_FILE_PATH} and never delivered.",
            hint="Set PAPERTIDE_SMTP_HOST (and _PORT, _USER, _PASSWORD) to your mail server; see docs/settings.md.",
            id="papertide.W001",
        ))
    if settings.HTTPS and not settings.BASE_URL.startswith("https://"):
        problems.append(Warning(
            f"PAPERTIDE_BASE_URL is {settings.BASE_URL!r}: links in emails would not use https.",
            hint="Set PAPERTIDE_BASE_URL to the address readers use, e.g. https://papers.example.org.",
            id="papertide.W002",
        ))
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(Warning(
            "PAPERTIDE_ALLOWED_HOSTS accepts any host: requests naming another site's host are answered, and any "
            "link built from a request's Host header would point there.",
            hint="List the names readers use, e.g. PAPERTIDE_ALLOWED_HOSTS=papers.example.org (emailed links are "
                 "built from PAPERTIDE_BASE_URL either way).",
            id="papertide.W003",
        ))
    return problems
