"""What this machine's CPU is called and which vector instructions it has (read from Linux's /proc/cpuinfo).

Two machines sold under one name ("AMD EPYC") differ ~15x in one of our paths: torch's int8 matrix product is fast
with VNNI and slow without it (search/bert_int8.py), so benchmarks print the instructions and query embedding
skips int8 where they are missing.
"""

from __future__ import annotations

import platform
from functools import lru_cache

# Most capable first: the first one the CPU has names it.
VECTOR_INSTRUCTIONS = (("avx512_vnni", "AVX-512 VNNI"), ("avx_vnni", "AVX-VNNI"), ("avx512f", "AVX-512"),
                       ("avx2", "AVX2"))


@lru_cache(maxsize=1)
def _cpuinfo() -> tuple[str, frozenset[str]] | None:
    try:
        with open("/proc/cpuinfo") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    name = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return name, frozenset(flags)


def cpu_name() -> str:
    info = _cpuinfo()
    return (info[0] if info else "") or platform.processor() or platform.machine()


def vector_instructions() -> str | None:
    """The best of VECTOR_INSTRUCTIONS this CPU has ("" if none), or None where the flags cannot be read (not
    Linux, or not x86)."""
    info = _cpuinfo()
    if info is None or not info[1] or platform.machine() not in ("x86_64", "AMD64", "i686"):
        return None
    return next((name for flag, name in VECTOR_INSTRUCTIONS if flag in info[1]), "")


def only_avx2() -> bool:
    """An x86 CPU with AVX2 at best (no AVX-512, no VNNI): where torch's int8 product was measured ~15x slower
    than float32 (docs/benchmarks.md#int8-only-where-faster). False where unknown."""
    return vector_instructions() in ("AVX2", "")
