"""`papertide check`: what an operator runs after changing a setting, before starting the site, or when something
is wrong — the settings, the database and its migrations, the search index, the shared cache and the mail server,
each said to work or to fail with what to do. The same checks as /healthz (web/health.py), plus the ones a running
site cannot fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    name: str
    ok: bool
    detail: str


def _settings() -> str:
    from django.conf import settings
    from django.core import checks

    found = checks.run_checks(include_deployment_checks=settings.HTTPS)
    errors = [message for message in found if message.is_serious()]
    if errors:
        raise RuntimeError("; ".join(f"{message.id}: {message.msg}" for message in errors))
    notes = []
    if settings.SMTP_HOST and not settings.BASE_URL_GIVEN:
        notes.append(f"emails link to {settings.BASE_URL}: set PAPERTIDE_BASE_URL to the address readers use")
    notes += [f"{message.id}: {message.msg}" for message in found]
    return "; ".join(notes) or f"data directory {settings.DATA_DIR}"


def _migrations() -> str:
    from papertide.cli import pending_migrations

    pending = pending_migrations()
    if pending:
        raise RuntimeError(f"{len(pending)} migration(s) not applied ({pending[0]}, …): run `papertide migrate`")
    return "up to date"


def _mail() -> str:
    from django.conf import settings
    from django.core.mail import get_connection

    if not settings.SMTP_HOST:
        return f"no PAPERTIDE_SMTP_HOST: mail is written to {settings.EMAIL_FILE_PATH} instead of sent"
    connection = get_connection(fail_silently=False)
    try:
        connection.open()  # connects, says hello, starts TLS and logs in as the settings say; sends nothing
    except OSError as exc:
        raise RuntimeError(f"cannot reach {settings.EMAIL_HOST}:{settings.EMAIL_PORT} ({exc}): check "
                           "PAPERTIDE_SMTP_HOST, _PORT, _SECURITY, _USER and _PASSWORD") from None
    finally:
        connection.close()
    return f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT} accepts a session"


def _vectors() -> str:
    from django.db import connection

    from papertide.search.service import get_backend

    if get_backend().vectors.kind == "pgvector":
        return "in PostgreSQL (pgvector): one copy for every machine"
    if connection.vendor == "postgresql":
        return ("in files on each machine, since this database has no pgvector: to share one copy, install pgvector "
                "on the server, run `CREATE EXTENSION vector` in the database as a superuser, then `papertide index`")
    return f"in files in {get_backend().vectors.directory}"


def checks() -> dict[str, Callable[[], str]]:
    from papertide.web.health import CHECKS

    return {"settings": _settings, "database": CHECKS["database"], "migrations": _migrations,
            "search index": CHECKS["search index"], "vectors": _vectors, "cache": CHECKS["cache"], "mail": _mail}


def run_checks() -> list[Result]:
    results = []
    for name, check in checks().items():
        try:
            results.append(Result(name, True, check()))
        except Exception as exc:  # noqa: BLE001 — each check reports what broke and the others still run
            results.append(Result(name, False, str(exc) or type(exc).__name__))
            if name == "database":  # everything after needs it
                break
    return results
