"""Benchmarks on PostgreSQL (`--database postgres://…`): each run gets a database of its own on that server,
created for it and dropped after, so a benchmark never touches the site's data and always starts empty."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from papertide.conf import ConfigError


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url` (its user needs CREATEDB); its URL."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        raise ConfigError("benchmarks on PostgreSQL need psycopg: pip install 'papertide[postgres]'") from None
    from papertide import conf

    given = conf.postgres_database(server_url, "--database")
    params = {"host": given["HOST"] or None, "port": given["PORT"] or None, "user": given["USER"] or None,
              "password": given["PASSWORD"] or None, "dbname": given["NAME"], "autocommit": True, **given["OPTIONS"]}
    name = f"papertide_bench_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(**params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(server_url)
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
