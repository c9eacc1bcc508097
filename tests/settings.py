"""Test settings: the real settings, pointed at a throw-away data directory."""

import os
import tempfile

# `PAPERTIDE_TEST_DATABASE=postgres` runs the tests on PostgreSQL (with pgvector) started by pgserver in a temporary
# directory; `PAPERTIDE_TEST_DATABASE=postgres://…` on a server of your own (the tests create and drop `test_<name>`).
TEST_DATABASE = os.environ.get("PAPERTIDE_TEST_DATABASE", "sqlite")
os.environ["PAPERTIDE_DATA_DIR"] = tempfile.mkdtemp(prefix="papertide-test-")
for name in list(os.environ):
    if name.startswith("PAPERTIDE_") and name != "PAPERTIDE_DATA_DIR":
        del os.environ[name]
if TEST_DATABASE == "postgres":
    import logging

    import pgserver

    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs each command, also after pytest's output closed

    _server = pgserver.get_server(tempfile.mkdtemp(prefix="papertide-test-pg-"), cleanup_mode="delete")
    os.environ["PAPERTIDE_DATABASE_URL"] = _server.get_uri()
elif TEST_DATABASE.startswith(("postgres://", "postgresql://")):
    os.environ["PAPERTIDE_DATABASE_URL"] = TEST_DATABASE
elif TEST_DATABASE != "sqlite":
    raise SystemExit(f"PAPERTIDE_TEST_DATABASE={TEST_DATABASE!r}: use sqlite, postgres or a postgres:// URL")

from papertide.settings import *  # noqa: E402,F403

# Tests look at pages right after changing data; the page cache has tests of its own.
PAGE_CACHE_SECONDS = 0
