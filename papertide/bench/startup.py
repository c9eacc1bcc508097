"""How soon `papertide serve` answers its first request: on an empty data directory (first run:
migrate, load the demo day) and on an existing one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on now (the benchmarks start servers on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seconds_to_first_page(data_dir: Path, timeout: float = 120) -> float:
    """Start `papertide serve`, return the seconds until GET / answers 200, then stop it."""
    port = free_port()
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(data_dir)}
    started = time.monotonic()
    server = subprocess.Popen([sys.executable, "-m", "papertide", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - started < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        raise TimeoutError(f"papertide serve did not answer within {timeout} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_startup(runs: int = 3) -> list[tuple[float, float]]:
    """(first run, existing data) seconds, once per fresh data directory."""
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="papertide-startup-") as directory:
            first = seconds_to_first_page(Path(directory))
            time.sleep(5)  # let the background index run of the first start finish
            results.append((first, seconds_to_first_page(Path(directory))))
    return results
