"""Importing files: the Kaggle dump and Hugging Face daily papers."""

import datetime as dt
import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from papertide.ingest.kaggle_import import KaggleFilter, import_kaggle_dump
from papertide.papers.models import DailyEntry, Paper
from papertide.sources.huggingface import parse_daily_papers
from papertide.sources.kaggle import parse_kaggle_line
from tests.conftest import FIXTURES
from tests.helpers import papertide_env, run_papertide
from tests.replay import Answer, ReplayServer

KAGGLE = FIXTURES / "kaggle"
FIRST_200 = KAGGLE / "arxiv-metadata-oai-snapshot.first200.json"
SAMPLE_2007 = KAGGLE / "arxiv-0704-sample.jsonl"
HF = FIXTURES / "hf" / "daily_papers_2024-10-25.first4of-N.json"


def test_a_kaggle_line_becomes_a_record():
    record = parse_kaggle_line(FIRST_200.read_text().splitlines()[0])
    assert record.arxiv_id == "0704.0001"
    assert record.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert record.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert (record.version, record.doi, record.categories) == (2, "10.1103/PhysRevD.76.013009", ["hep-ph"])
    assert record.published.date() == dt.date(2007, 4, 2)


@pytest.mark.django_db
def test_the_dump_imports_once_and_a_rerun_changes_nothing():
    first = import_kaggle_dump(SAMPLE_2007, progress=False)
    assert (first.lines, first.result.created) == (1001, 1001)
    again = import_kaggle_dump(SAMPLE_2007, progress=False, restart=True)
    assert (again.result.created, again.result.updated, again.result.unchanged) == (0, 0, 1001)
    assert Paper.objects.count() == 1001
    assert not DailyEntry.objects.exists()  # a backfill does not fill the daily list


@pytest.mark.django_db
def test_category_and_date_filters():
    report = import_kaggle_dump(FIRST_200, KaggleFilter(["hep-ph"], since=dt.date(2007, 4, 2)), progress=False)
    papers = list(Paper.objects.all())
    assert papers and report.skipped_by_filter == 200 - len(papers)
    assert all(any(c == "hep-ph" for c in p.categories) for p in papers)
    assert all(p.published.date() >= dt.date(2007, 4, 2) for p in papers)


@pytest.mark.django_db
def test_an_unreadable_line_is_skipped_and_reported(tmp_path):
    lines = FIRST_200.read_text().splitlines()[:10]
    lines[4] = lines[4][:50]  # a line cut short, as in a truncated download
    path = tmp_path / "cut.json"
    path.write_text("\n".join(lines) + "\n")
    report = import_kaggle_dump(path, progress=False)
    assert report.bad_lines == [5]
    assert report.result.created == 9
    assert "1 unreadable lines skipped (line 5)" in report.summary()


@pytest.mark.django_db
def test_lines_with_fields_of_the_wrong_type_are_skipped_and_the_rest_imported(tmp_path):
    lines = FIRST_200.read_text().splitlines()[:8]
    breakages = [("versions", "notalist"), ("categories", ["cs.AI"]), ("title", 12345), ("authors", ["A", "B"]),
                 ("doi", 10.1), ("versions", ["v1"]), ("authors_parsed", 7)]
    for n, (key, value) in enumerate(breakages):
        item = json.loads(lines[n])
        item[key] = value
        if key == "authors_parsed":
            item["authors"] = None  # so the parsed names are read
        lines[n] = json.dumps(item)
    path = tmp_path / "odd.json"
    path.write_text("\n".join(lines) + "\n")
    report = import_kaggle_dump(path, progress=False)
    assert report.bad_lines == [1, 2, 3, 4, 5, 6, 7] and report.result.created == 1
    again = import_kaggle_dump(path, progress=False, restart=True)  # a re-run gets past them too
    assert again.bad_lines == [1, 2, 3, 4, 5, 6, 7] and again.result.unchanged == 1


def big_dump(tmp_path, copies: int):
    """The real 2007 sample repeated under fresh ids, for a file worth killing mid-way."""
    path = tmp_path / "dump.json"
    lines = SAMPLE_2007.read_text().splitlines()
    with open(path, "w") as out:
        for copy in range(copies):
            for n, line in enumerate(lines):
                item = json.loads(line)
                item["id"] = f"{(copy % 90) + 10:02d}{(copy // 90) + 1:02d}.{n:05d}"
                out.write(json.dumps(item) + "\n")
    return path, copies * len(lines)


def count(data_dir, sql):
    with sqlite3.connect(data_dir / "papertide.sqlite3", timeout=30) as db:
        try:
            return db.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_a_killed_import_resumes_from_its_checkpoint(tmp_path):
    path, total = big_dump(tmp_path, 25)
    importer = subprocess.Popen([sys.executable, "-m", "papertide", "import", "kaggle", str(path), "--no-progress"],
                                env=papertide_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while count(tmp_path, "select count(*) from papers_paper") < 5_000 and time.monotonic() < deadline:
        time.sleep(0.02)
    importer.send_signal(signal.SIGKILL)
    importer.wait()
    done_before = count(tmp_path, "select count(*) from papers_paper")
    assert 5_000 <= done_before < total
    status = run_papertide(tmp_path, "ingest", "status").stdout  # not "running" for ever
    assert "Stopped (killed)" in status and f"its process ({importer.pid}) ended without finishing" in status
    assert "Running" not in status
    rerun = run_papertide(tmp_path, "import", "kaggle", str(path), "--no-progress")
    assert rerun.returncode == 0, rerun.stderr
    assert "resumed at byte" in rerun.stdout
    assert count(tmp_path, "select count(*) from papers_paper") == total
    assert count(tmp_path, "select count(distinct arxiv_id) from papers_paper") == total


def test_hf_daily_papers_are_parsed():
    records = parse_daily_papers(HF.read_bytes())
    assert [r.arxiv_id for r in records] == ["2410.17243", "2410.16251", "2410.18533", "2410.18693"]
    first = records[0]
    assert first.title == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    assert (first.external_upvotes, first.listed_on, first.submitter_name) == (64, dt.date(2024, 10, 25), "Zesen Cheng")
    assert first.authors[:2] == ["Zesen Cheng", "Hang Zhang"] and len(first.authors) == 9


@pytest.mark.django_db
def test_importing_hf_again_updates_the_upvote_count_only():
    from papertide.ingest.jobs import import_daily_papers

    import_daily_papers(HF.read_bytes(), "file")
    later = json.loads(HF.read_bytes())
    later[0]["paper"]["upvotes"] = 80
    run = import_daily_papers(json.dumps(later).encode(), "file")
    assert (run.created, run.updated, run.listed) == (0, 1, 0)
    assert Paper.objects.get(arxiv_id="2410.17243").external_upvotes == 80
    entry = DailyEntry.objects.get(paper__arxiv_id="2410.17243")
    assert (entry.day, entry.how, entry.submitter_name) == (dt.date(2024, 10, 25), "imported", "Zesen Cheng")
    import_daily_papers(HF.read_bytes(), "file")  # the older file again: the count does not roll back
    assert Paper.objects.get(arxiv_id="2410.17243").external_upvotes == 80


def test_hf_from_a_url_for_a_date(tmp_path):
    with ReplayServer({"/api/daily_papers": [Answer(HF.read_bytes(), headers={"Content-Type": "application/json"})]}) as server:
        result = run_papertide(tmp_path, "import", "hf", server.url + "/api/daily_papers", "--date", "2024-10-25")
    assert result.returncode == 0, result.stderr
    assert "4 added to the daily list" in result.stdout
    assert server.requests == [("/api/daily_papers", {"date": "2024-10-25"})]


def test_a_file_that_is_not_a_daily_papers_response_is_refused(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html>rate limited</html>")
    result = run_papertide(tmp_path, "import", "hf", str(path))
    assert result.returncode != 0
    assert "not a Hugging Face daily papers response" in result.stderr
