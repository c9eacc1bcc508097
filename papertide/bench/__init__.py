"""Benchmarks: commands that print figures with the machine they ran on (docs/benchmarks.md)."""

from __future__ import annotations

import datetime as dt
import os
import platform


def machine_summary() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            info = fh.read().splitlines()
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
        flags = set(next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), []))
        # Machines sold under one name differ where it matters here: int8 query embedding needs VNNI.
        vector = next((name for flag, name in (("avx512_vnni", "AVX-512 VNNI"), ("avx512f", "AVX-512"),
                                               ("avx2", "AVX2")) if flag in flags), "")
        cpu += f" ({vector})" if vector else ""
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            memory_gib = int(fh.readline().split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        memory_gib = 0.0
    return (f"{dt.date.today().isoformat()}, {cpu}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
            f"Python {platform.python_version()}")
