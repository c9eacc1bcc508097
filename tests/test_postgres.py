"""`papertide serve` with PAPERTIDE_DATABASE_URL, as an operator runs it: the PostgreSQL tier only (the test
database's server, with a database of the site's own)."""

import json
import time
import urllib.request

import pytest
from django.db import connection

from tests.helpers import free_port, run_papertide, start_server, stop_server, wait_for_http

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_database():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL tier (PAPERTIDE_TEST_DATABASE=postgres)")
    import psycopg
    from psycopg import sql

    given = connection.settings_dict
    params = {"host": given["HOST"], "port": given["PORT"] or None, "user": given["USER"],
              "password": given["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    name = f"papertide_served_{int(time.time() * 1000)}"
    with psycopg.connect(**params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # libpq reads a socket directory from ?host=, as pgserver's own URLs give it
    host = f"?host={given['HOST']}" if given["HOST"].startswith("/") else ""
    server = "" if host else f"{given['HOST']}:{given['PORT'] or 5432}"
    yield f"postgres://{given['USER']}:{given['PASSWORD'] or ''}@{server}/{name}{host}", {**params, "dbname": name}
    with psycopg.connect(**params) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_serve_on_postgresql_loads_the_demo_day_and_searches_it(tmp_path, site_database):
    import psycopg

    url, params = site_database
    refused = run_papertide(tmp_path, "serve", "--port", str(free_port()), DATABASE_URL=url)
    assert refused.returncode != 0 and "run `papertide migrate` once" in refused.stderr  # shared: never on its own
    migrated = run_papertide(tmp_path, "migrate", DATABASE_URL=url)
    assert migrated.returncode == 0 and "up to date" in migrated.stdout, migrated.stderr
    assert "is up to date" in run_papertide(tmp_path, "migrate", DATABASE_URL=url).stdout  # again: nothing to do
    process, base = start_server(tmp_path, DATABASE_URL=url)
    try:
        wait_for_http(base + "/", process, timeout=120)
        day = urllib.request.urlopen(base + "/day/2024-11-28/", timeout=30).read().decode()
        assert "935 papers" in day
        deadline, found = time.monotonic() + 180, []
        while time.monotonic() < deadline and not found:  # the index stage runs in the background at first start
            with urllib.request.urlopen(base + "/api/papers/search?q=dark+matter+halo", timeout=30) as response:
                found = json.load(response)
            time.sleep(1)
        assert found and "dark matter" in (found[0]["title"] + found[0]["summary"]).lower()
    finally:
        log = stop_server(process)
    assert "Traceback" not in log
    assert not (tmp_path / "papertide.sqlite3").exists()  # everything went to PostgreSQL
    with psycopg.connect(**params) as db:
        assert db.execute("SELECT count(*) FROM papers_paper").fetchone()[0] == 1504
        assert db.execute("SELECT count(*) FROM papers_dailyentry WHERE day = '2024-11-28'").fetchone()[0] == 935
