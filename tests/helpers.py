"""Running the real `papertide` command in a subprocess, as a user would."""

from __future__ import annotations

import gzip
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def papertide_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERTIDE_", "DJANGO_"))}
    env["PAPERTIDE_DATA_DIR"] = str(data_dir)
    env.update({f"PAPERTIDE_{name}": value for name, value in settings.items()})
    return env


def run_papertide(data_dir: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "papertide", *args],
        env=papertide_env(data_dir, **settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60) -> float:
    """Poll until the URL answers; return the seconds it took. Fails if the server process exits."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            output = process.log_path.read_text() if hasattr(process, "log_path") else ""
            raise AssertionError(f"server exited with {process.returncode}: {output}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def start_server(data_dir: Path, *args: str, **settings: str) -> tuple[subprocess.Popen, str]:
    """Start `papertide serve` on a free loopback port; return the process and its base URL.
    Its output goes to a file: a pipe nobody reads fills up and blocks the server's logging."""
    port = free_port()
    log = open(data_dir / f"serve-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "papertide", "serve", "--port", str(port), "--workers", "1", *args],
        env=papertide_env(data_dir, **settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.log_path = Path(log.name)
    log.close()
    return process, f"http://127.0.0.1:{port}"


def stop_server(process: subprocess.Popen) -> str:
    """Stop the server gracefully and return everything it printed."""
    process.terminate()
    process.wait(timeout=20)
    return process.log_path.read_text()


def cut_feed(items: int) -> bytes:
    """The real demo-day feed cut down to its first `items` announcements, still a valid feed."""
    from papertide.demo import DEMO_FEED_PATH

    data = gzip.decompress(DEMO_FEED_PATH.read_bytes()).decode()
    starts = [m.start() for m in re.finditer(r"<item>", data)]
    return (data[: starts[items]] + "</channel>\n</rss>\n").encode()


@contextmanager
def at_most_queries(limit: int) -> Iterator[None]:
    """At most `limit` queries of the site's data. On PostgreSQL the shared caches (sessions, readers' settings) are
    a table too, so that several machines see them: reading them is the cache's work, as a file read is on SQLite
    (and the savepoints around its writes exist only inside a test's transaction)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        yield
    asked = [query["sql"] for query in queries.captured_queries
             if "papertide_cache" not in query["sql"] and not query["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(asked) <= limit, f"{len(asked)} queries, expected at most {limit}:\n" + "\n".join(asked)
