"""Importing the Kaggle arXiv dump: streamed, filtered, committed in batches with a byte-offset
checkpoint in the same transaction, so a killed import resumes exactly where it stopped."""

from __future__ import annotations

import datetime as dt
import gzip
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from tqdm import tqdm

from papertide.ingest.runs import add_result, load_checkpoint, recorded_run, save_checkpoint
from papertide.papers.upsert import UpsertResult, upsert_papers
from papertide.sources.kaggle import SOURCE_NAME, parse_kaggle_line
from papertide.sources.records import PaperRecord, SourceError

log = logging.getLogger(__name__)
BATCH = 5_000


@dataclass
class KaggleFilter:
    categories: list[str] = field(default_factory=list)  # "cs" (an archive) or "cs.CV"
    since: dt.date | None = None  # first version submitted on or after
    until: dt.date | None = None

    def accepts(self, record: PaperRecord) -> bool:
        if self.categories and not any(
            category == wanted or category.startswith(wanted + ".")
            for category in record.categories for wanted in self.categories
        ):
            return False
        day = record.published.date() if record.published else None
        if self.since and (day is None or day < self.since):
            return False
        return not (self.until and (day is None or day > self.until))

    def describe(self) -> str:
        parts = [" ".join(self.categories) or "all categories"]
        if self.since or self.until:
            parts.append(f"{self.since or '…'} to {self.until or '…'}")
        return ", ".join(parts)


@dataclass
class KaggleReport:
    result: UpsertResult
    lines: int = 0
    skipped_by_filter: int = 0
    bad_lines: list[int] = field(default_factory=list)
    resumed_at: int = 0

    def summary(self) -> str:
        text = f"{self.lines:,} lines read; {self.result}; {self.skipped_by_filter:,} outside the filter"
        if self.resumed_at:
            text += f"; resumed at byte {self.resumed_at:,}"
        if self.bad_lines:
            shown = ", ".join(map(str, self.bad_lines[:10]))
            more = ", …" if len(self.bad_lines) > 10 else ""
            text += f"; {len(self.bad_lines)} unreadable lines skipped (line {shown}{more})"
        return text


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def import_kaggle_dump(path: Path, selection: KaggleFilter | None = None, *, restart: bool = False,
                       progress: bool = True, batch_size: int = BATCH) -> KaggleReport:
    selection = selection or KaggleFilter()
    stat = path.stat()
    key = f"kaggle:{path.resolve()}:{selection.describe()}"
    state = {} if restart else load_checkpoint(key)
    # A different file under the same name (a new snapshot) starts from the beginning.
    offset = state.get("offset", 0) if state.get("size") == stat.st_size and state.get("mtime") == stat.st_mtime else 0
    report = KaggleReport(UpsertResult(), resumed_at=offset)
    pending: list[PaperRecord] = []

    with recorded_run(SOURCE_NAME, f"{path} ({selection.describe()})") as run, _open(path) as fh:
        fh.seek(offset)
        line_number = state.get("line", 0) if offset else 0

        def commit() -> None:
            with transaction.atomic():
                result = upsert_papers(pending)
                save_checkpoint(key, {"offset": offset, "line": line_number, "size": stat.st_size,
                                      "mtime": stat.st_mtime})
            report.result += result
            add_result(run, result)
            pending.clear()

        total = stat.st_size if path.suffix != ".gz" else None
        with tqdm(total=total, initial=offset if total else 0, unit="B", unit_scale=True,
                  desc=f"Importing {path.name}", disable=not progress) as bar:
            for line in fh:
                offset += len(line)
                line_number += 1
                report.lines += 1
                bar.update(len(line))
                if not line.strip():
                    continue
                try:
                    record = parse_kaggle_line(line)
                except SourceError as exc:
                    report.bad_lines.append(line_number)
                    log.warning("%s line %d skipped: %s", path.name, line_number, exc)
                    continue
                if not selection.accepts(record):
                    report.skipped_by_filter += 1
                    continue
                pending.append(record)
                if len(pending) >= batch_size:
                    commit()
            commit()
        run.message = report.summary()
    return report
