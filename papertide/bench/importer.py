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


def run_import_benchmark(samples: list[Path], records: int, database_url: str = "") -> ImportFigures:
    """Import a generated dump of `records` papers into a fresh SQLite data directory, or with `database_url`
    into that (empty) PostgreSQL database."""
    with tempfile.TemporaryDirectory(prefix="papertide-bench-import-") as directory:
        work = Path(directory)
        dump = work / "arxiv-metadata-oai-snapshot.json"
        write_dump(samples, dump, records)
        return ImportFigures(records, import_dump(dump, work / "data", database_url), dump.stat().st_size / 1e6)


def import_dump(dump: Path, data_dir: Path, database_url: str = "") -> float:
    """`papertide import kaggle` of `dump` into a new site; the seconds the import took (migrations not counted)."""
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(data_dir)}
    env.pop("PAPERTIDE_DATABASE_URL", None)
    if database_url:
        env["PAPERTIDE_DATABASE_URL"] = database_url
    subprocess.run([sys.executable, "-m", "papertide", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "papertide", "import", "kaggle", str(dump), "--no-progress"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_copy_benchmark(samples: list[Path], records: int, database_url: str) -> tuple[int, float]:
    """A SQLite site of `records` imported papers (not timed), then `papertide db copy` of it into the empty
    PostgreSQL database at `database_url`: the rows copied and the seconds the copy took, checks included."""
    with tempfile.TemporaryDirectory(prefix="papertide-bench-copy-") as directory:
        work = Path(directory)
        dump = work / "arxiv-metadata-oai-snapshot.json"
        write_dump(samples, dump, records)
        import_dump(dump, work / "data")
        env = {**os.environ, "PAPERTIDE_DATA_DIR": str(work / "data")}
        env.pop("PAPERTIDE_DATABASE_URL", None)
        started = time.perf_counter()
        copied = subprocess.run([sys.executable, "-m", "papertide", "db", "copy", "--to", database_url,
                                 "--no-progress"], env=env, check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        rows = int(copied.stdout.split(" rows copied")[0].rsplit(" ", 1)[-1].replace(",", ""))
        return rows, seconds
