"""Benchmarks: commands that print figures with the machine they ran on (docs/benchmarks.md)."""

from __future__ import annotations

import datetime as dt
import os
import platform


def machine_summary() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            memory_gib = int(fh.readline().split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        memory_gib = 0.0
    return (f"{dt.date.today().isoformat()}, {cpu}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
            f"Python {platform.python_version()}")
