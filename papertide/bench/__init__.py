"""Benchmarks: commands that print figures with the machine they ran on (docs/benchmarks.md)."""

from __future__ import annotations

import datetime as dt
import os
import platform

from papertide.cpu import cpu_name, vector_instructions


def machine_summary() -> str:
    vector = vector_instructions()
    cpu = cpu_name() + (f" ({vector})" if vector else "")
    try:
        with open("/proc/meminfo") as fh:
            memory_gib = int(fh.readline().split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        memory_gib = 0.0
    return (f"{dt.date.today().isoformat()}, {cpu}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
            f"Python {platform.python_version()}")
