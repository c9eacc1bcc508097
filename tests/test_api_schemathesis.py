"""schemathesis against the live OpenAPI document of a running papertide serve."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import get, start_server, stop_server, wait_for_http


def test_schemathesis_finds_no_server_error(tmp_path):
    """Generated requests, valid and invalid, against a running papertide serve."""
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    process, base = start_server(tmp_path, API_RATE_LIMIT="0")  # hundreds of requests in seconds
    try:
        wait_for_http(base + "/", process)
        assert get(base + "/api/openapi.json")[0] == 200
        run = subprocess.run(
            [schemathesis, "run", base + "/api/openapi.json", "--max-examples", "25", "--seed", "1",
             "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance"],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "NO_COLOR": "1"},
        )
    finally:
        stop_server(process)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "No issues found" in run.stdout
