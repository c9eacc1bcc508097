"""`papertide bench index`: embedding a backlog with one index run, then several at once, on one PostgreSQL database.

Each run is `papertide index` in a data directory of its own, as on a machine of its own; they share the backlog
through the database (search/indexer.py claims pending papers a chunk at a time). The backlog is the demo day's
papers with their embeddings deleted, so every run embeds for real; the map and keyphrases are left out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BACKLOG = """
from papertide.papers.models import Paper
from papertide.search.models import PaperEmbedding
backlog = list(Paper.objects.order_by("pk").values_list("pk", flat=True)[:{papers}])
PaperEmbedding.objects.filter(paper__in=backlog).delete()
Paper.objects.filter(pk__in=backlog).update(index_pending=True)
"""


@dataclass
class IndexRun:
    workers: int
    papers: int
    seconds: float
    embedded_by_each: list[int]

    @property
    def per_second(self) -> float:
        return self.papers / self.seconds


def _papertide(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "papertide", *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def run_index_workers(database_url: str, papers: int, workers: list[int], chunk_size: int) -> list[IndexRun]:
    """The same backlog of `papers` embedded by each number of simultaneous runs in turn."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="papertide-bench-index-") as directory:
        def env(name: str) -> dict[str, str]:
            settings = {"PAPERTIDE_DATA_DIR": str(Path(directory) / name), "PAPERTIDE_DATABASE_URL": database_url,
                        "PAPERTIDE_TOPIC_MAP": "false", "PAPERTIDE_KEYPHRASES": "false"}
            return {**os.environ, **settings}

        _papertide(env("setup"), "migrate")
        _papertide(env("setup"), "demo")
        _papertide(env("setup"), "index", "--no-progress")
        for count in workers:
            _papertide(env("setup"), "manage", "shell", "-c", BACKLOG.format(papers=papers))
            started = time.perf_counter()
            processes = [subprocess.Popen([sys.executable, "-m", "papertide", "index", "--no-progress",
                                           "--chunk-size", str(chunk_size)], env=env(f"worker-{count}-{n}"),
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                         for n in range(count)]
            outputs = [process.communicate()[0] for process in processes]
            seconds = time.perf_counter() - started
            if any(process.returncode for process in processes):
                raise RuntimeError(f"an index run failed: {outputs}")
            embedded = [int(re.search(r"(\d+) embedded", output)[1]) for output in outputs]
            if sum(embedded) != papers:
                raise RuntimeError(f"{sum(embedded)} papers embedded instead of {papers}: {outputs}")
            runs.append(IndexRun(count, papers, seconds, embedded))
    return runs
