import gzip
import sqlite3

from papertide.demo import DEMO_FEED_PATH
from tests.conftest import FIXTURES
from tests.helpers import free_port, run_papertide
from tests.smtp import SmtpServer


def count_papers(data_dir) -> int:
    with sqlite3.connect(data_dir / "papertide.sqlite3") as db:
        return db.execute("select count(*) from papers_paper").fetchone()[0]


def test_help_lists_the_subcommands(tmp_path):
    result = run_papertide(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("serve", "demo", "import", "manage"):
        assert f"  {command} " in result.stdout


def test_an_unknown_subcommand_is_a_clear_error(tmp_path):
    result = run_papertide(tmp_path, "srve")
    assert result.returncode != 0
    assert "No such command 'srve'" in result.stderr


def test_a_bad_setting_names_the_setting_in_one_line(tmp_path):
    result = run_papertide(tmp_path, "demo", PORT="eighty")
    assert result.returncode != 0
    assert result.stderr.strip() == "Error: PAPERTIDE_PORT must be a whole number, got 'eighty'"


def test_a_bad_setting_in_the_config_file_is_reported_too(tmp_path):
    (tmp_path / "papertide.toml").write_text("log_level = 'loud'\n")
    result = run_papertide(tmp_path, "demo")
    assert result.returncode != 0
    assert "PAPERTIDE_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'loud'" in result.stderr


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path):
    run_papertide(tmp_path, "demo")
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first.strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
    run_papertide(tmp_path, "demo")
    assert key_file.read_text() == first


def test_demo_loads_once_and_a_rerun_changes_nothing(tmp_path):
    first = run_papertide(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "1504 new" in first.stdout
    second = run_papertide(tmp_path, "demo")
    assert "0 new, 0 updated, 1504 unchanged" in second.stdout
    assert count_papers(tmp_path) == 1504


def test_the_database_runs_in_wal_mode(tmp_path):
    run_papertide(tmp_path, "demo")
    with sqlite3.connect(tmp_path / "papertide.sqlite3") as db:
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_importing_a_gzipped_feed_file(tmp_path):
    result = run_papertide(tmp_path, "import", "arxiv-rss", str(DEMO_FEED_PATH))
    assert result.returncode == 0, result.stderr
    assert "935 added to the daily list" in result.stdout


def test_a_malformed_feed_file_is_one_line_error_and_writes_nothing(tmp_path):
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(gzip.decompress(DEMO_FEED_PATH.read_bytes())[:100_000])
    result = run_papertide(tmp_path, "import", "arxiv-rss", str(truncated))
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "truncated.xml: not a well-formed arXiv RSS feed" in result.stderr
    assert count_papers(tmp_path) == 0


def test_the_error_feed_is_reported_with_arxivs_message(tmp_path):
    result = run_papertide(tmp_path, "import", "arxiv-rss", str(FIXTURES / "arxiv/rss/error_rss_mock_feed.xml"))
    assert result.returncode != 0
    assert "Bad archive 'astroph'" in result.stderr


def test_an_empty_feed_is_a_normal_result(tmp_path):
    result = run_papertide(tmp_path, "import", "arxiv-rss", str(FIXTURES / "arxiv/rss/empty_rss_mock_feed.xml"))
    assert result.returncode == 0
    assert "empty announcement feed" in result.stdout


def test_check_says_what_works_and_what_to_fix(tmp_path):
    with SmtpServer() as smtp:
        good = run_papertide(tmp_path, "check", **smtp.settings(), BASE_URL="https://papers.example.org")
        assert good.returncode == 0, good.stdout + good.stderr
        assert f"ok  mail: 127.0.0.1:{smtp.port} accepts a session" in good.stdout
        assert "ok  database: sqlite" in good.stdout and "ok  search index: 0 papers" in good.stdout
        assert not smtp.messages  # a check sends nothing
    port = free_port()  # nobody listens there
    bad = run_papertide(tmp_path, "check", SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_SECURITY="none")
    assert bad.returncode == 1
    assert f"FAILED  mail: cannot reach 127.0.0.1:{port}" in bad.stdout and "PAPERTIDE_SMTP_PORT" not in bad.stderr
    assert "set PAPERTIDE_BASE_URL to the address readers use" in bad.stdout  # mail would link to 127.0.0.1


MAKE_ENGAGEMENT = """
from django.contrib.auth.models import User
from papertide.discussion.models import Comment, CommentVote
from papertide.papers import actions
from papertide.papers.models import Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord
import datetime as dt
upsert_papers([PaperRecord(arxiv_id="2411.00001", source="arxiv-rss", title="Counted", listed_on=dt.date(2024, 11, 28))])
paper = Paper.objects.get(arxiv_id="2411.00001")
readers = [User.objects.create_user(f"reader{n}", f"reader{n}@example.org", "a long passphrase") for n in range(3)]
for reader in readers:
    actions.upvote(reader, paper)
comment = Comment.objects.create(paper=paper, author=readers[0], body="Nice", html="<p>Nice</p>")
CommentVote.objects.create(comment=comment, user=readers[1])
"""


def test_recount_repairs_counts_that_went_wrong_and_only_those(tmp_path):
    assert run_papertide(tmp_path, "migrate").returncode == 0
    made = run_papertide(tmp_path, "manage", "shell", "-c", MAKE_ENGAGEMENT)
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(tmp_path / "papertide.sqlite3") as db:  # a restore of part of a backup, say
        db.execute("UPDATE papers_paper SET upvote_count = 7, comment_count = 0")
        db.execute("UPDATE discussion_comment SET score = 5")
        db.execute("UPDATE papers_dailyentry SET trend_log = 0")
    repaired = run_papertide(tmp_path, "recount")
    assert repaired.returncode == 0, repaired.stderr
    assert "repaired: 1 papers' upvote counts (and their trending scores), 1 papers' comment counts, 1 comments' " \
           "scores" in repaired.stdout
    with sqlite3.connect(tmp_path / "papertide.sqlite3") as db:
        assert db.execute("SELECT upvote_count, comment_count FROM papers_paper").fetchone() == (3, 1)
        assert db.execute("SELECT score FROM discussion_comment").fetchone() == (1,)
        assert db.execute("SELECT trend_log FROM papers_dailyentry").fetchone()[0] != 0
    again = run_papertide(tmp_path, "recount")
    assert "repaired: 0 papers' upvote counts" in again.stdout and "0 comments' scores" in again.stdout


def test_bench_pages_counts_the_cpu_of_the_server_and_its_workers():
    import os
    import signal
    import subprocess
    import sys

    from papertide.bench.pages import process_tree_cpu_seconds

    # A parent (like gunicorn's master) whose child burns 0.5 s of CPU, measured by itself, then waits to be read.
    burn = ("import time\nwhile time.process_time() < 0.5: pass\nprint('done', flush=True)\ntime.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', "
                               f"{burn!r}])"], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert parent.stdout.readline() == "done\n"
        assert 0.5 <= process_tree_cpu_seconds(parent.pid) < 5
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
