"""Test settings: the real settings, pointed at a throw-away data directory."""

import os
import tempfile

os.environ["PAPERTIDE_DATA_DIR"] = tempfile.mkdtemp(prefix="papertide-test-")
for name in list(os.environ):
    if name.startswith("PAPERTIDE_") and name != "PAPERTIDE_DATA_DIR":
        del os.environ[name]

from papertide.settings import *  # noqa: E402,F403

# Tests look at pages right after changing data; the page cache has tests of its own.
PAGE_CACHE_SECONDS = 0
