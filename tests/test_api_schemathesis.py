"""schemathesis against the live OpenAPI document of a running papertide serve."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import get, run_papertide, start_server, stop_server, wait_for_http

MAKE_TOKEN = (
    "from django.contrib.auth.models import User; from papertide.accounts.models import ApiToken; "
    "print(ApiToken.issue(User.objects.create_user('fuzzer'), 'schemathesis')[1])"
)


def test_schemathesis_finds_no_server_error(tmp_path):
    """Generated requests, valid and invalid, against a running papertide serve."""
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    # Hundreds of requests in seconds: no rate limit. Submissions of unknown papers reach for arXiv,
    # here a closed local port, so they must end as a clear 503, never a server error.
    settings = {"API_RATE_LIMIT": "0", "SEARCH_RATE_LIMIT": "0", "ARXIV_API_URL": "http://127.0.0.1:9/api/query"}
    process, base = start_server(tmp_path, **settings)
    try:
        wait_for_http(base + "/", process)
        assert get(base + "/api/openapi.json")[0] == 200
        token = run_papertide(tmp_path, "manage", "shell", "-c", MAKE_TOKEN, **settings).stdout.split()[-1]
        assert token.startswith("pt_")
        run = subprocess.run(
            [schemathesis, "run", base + "/api/openapi.json", "--max-examples", "25", "--seed", "1",
             "-H", f"Authorization: Bearer {token}",
             "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance"],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "NO_COLOR": "1"},
        )
    finally:
        stop_server(process)
    assert run.returncode == 0, run.stdout[-3000:]  # no check failed on any generated request
    assert "Authentication failed" not in run.stdout  # the writes were exercised with the token
    # (A warning that most generated submissions were refused is expected: random text is no arXiv id.)
