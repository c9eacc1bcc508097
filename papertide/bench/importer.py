"""Bulk import speed: the Kaggle importer on a generated dump built from the real samples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ImportFigures:
    records: int
    seconds: float
    file_mb: float

    @property
    def per_second(self) -> float:
        return self.records / self.seconds


def write_dump(samples: list[Path], path: Path, records: int) -> int:
    """Real dump lines, cycled under fresh ids (all else unchanged), until `records` lines."""
    lines = [line for sample in samples for line in sample.read_text().splitlines() if line.strip()]
    with open(path, "w") as out:
        for n in range(records):
            item = json.loads(lines[n % len(lines)])
            item["id"] = f"{(n // 99_999) % 90 + 10:02d}{(n // 99_999) // 90 % 12 + 1:02d}.{n % 99_999:05d}"
            out.write(json.dumps(item) + "\n")
    return records


def run_import_benchmark(samples: list[Path], records: int) -> ImportFigures:
    with tempfile.TemporaryDirectory(prefix="papertide-bench-import-") as directory:
        work = Path(directory)
        dump = work / "arxiv-metadata-oai-snapshot.json"
        write_dump(samples, dump, records)
        env = {**os.environ, "PAPERTIDE_DATA_DIR": str(work / "data")}
        # Migrate first, so the timed run is the import alone.
        subprocess.run([sys.executable, "-m", "papertide", "manage", "migrate", "-v", "0"], env=env, check=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "papertide", "import", "kaggle", str(dump), "--no-progress"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        return ImportFigures(records, time.perf_counter() - started, dump.stat().st_size / 1e6)
