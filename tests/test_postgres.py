"""`papertide serve` with PAPERTIDE_DATABASE_URL, as an operator runs it: the PostgreSQL tier only (the test
database's server, with a database of the site's own)."""

import http.cookiejar
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from papertide.bench.index_workers import BACKLOG
from tests.conftest import FIXTURES
from tests.helpers import free_port, papertide_env, run_papertide, start_server, stop_server, wait_for_http

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_database():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL tier (PAPERTIDE_TEST_DATABASE=postgres)")
    import psycopg
    from psycopg import sql

    given = connection.settings_dict
    params = {"host": given["HOST"], "port": given["PORT"] or None, "user": given["USER"],
              "password": given["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
    name = f"papertide_served_{int(time.time() * 1000)}"
    with psycopg.connect(**params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # libpq reads a socket directory from ?host=, as pgserver's own URLs give it
    host = f"?host={given['HOST']}" if given["HOST"].startswith("/") else ""
    server = "" if host else f"{given['HOST']}:{given['PORT'] or 5432}"
    yield f"postgres://{given['USER']}:{given['PASSWORD'] or ''}@{server}/{name}{host}", {**params, "dbname": name}
    with psycopg.connect(**params) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_serve_on_postgresql_loads_the_demo_day_and_searches_it(tmp_path, site_database):
    import psycopg

    url, params = site_database
    refused = run_papertide(tmp_path, "serve", "--port", str(free_port()), DATABASE_URL=url)
    assert refused.returncode != 0 and "run `papertide migrate` once" in refused.stderr  # shared: never on its own
    checked = run_papertide(tmp_path, "check", DATABASE_URL=url)
    assert checked.returncode == 1 and "FAILED  migrations:" in checked.stdout
    assert "run `papertide migrate`" in checked.stdout
    assert "ok  database: postgresql" in checked.stdout
    migrated = run_papertide(tmp_path, "migrate", DATABASE_URL=url)
    assert migrated.returncode == 0 and "up to date" in migrated.stdout, migrated.stderr
    assert "is up to date" in run_papertide(tmp_path, "migrate", DATABASE_URL=url).stdout  # again: nothing to do
    process, base = start_server(tmp_path, DATABASE_URL=url)
    try:
        wait_for_http(base + "/", process, timeout=120)
        day = urllib.request.urlopen(base + "/day/2024-11-28/", timeout=30).read().decode()
        assert "935 papers" in day
        deadline, found = time.monotonic() + 180, []
        while time.monotonic() < deadline and not found:  # the index stage runs in the background at first start
            with urllib.request.urlopen(base + "/api/papers/search?q=dark+matter+halo", timeout=30) as response:
                found = json.load(response)
            time.sleep(1)
        assert found and "dark matter" in (found[0]["title"] + found[0]["summary"]).lower()
    finally:
        log = stop_server(process)
    assert "Traceback" not in log
    assert not (tmp_path / "papertide.sqlite3").exists()  # everything went to PostgreSQL
    with psycopg.connect(**params) as db:
        assert db.execute("SELECT count(*) FROM papers_paper").fetchone()[0] == 1504
        assert db.execute("SELECT count(*) FROM papers_dailyentry WHERE day = '2024-11-28'").fetchone()[0] == 935


def _form_token(opener, url: str) -> str:
    with opener.open(url, timeout=30) as page:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())[1]


def _status(opener, url: str) -> int:
    try:
        with opener.open(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_web_nodes_on_one_database_are_one_site(tmp_path, site_database):
    """Two `serve` processes with data directories of their own (two machines: no shared folder) behind one
    address: a reader logged in on one is logged in on the other, logging out on one logs out on both, and the
    API's rate limit is counted once for both."""
    url, _ = site_database
    shared = {"DATABASE_URL": url, "SECRET_KEY": "one-key-for-every-node-" + "x" * 30, "API_RATE_LIMIT": "6"}
    assert run_papertide(tmp_path, "migrate", **shared).returncode == 0
    made = run_papertide(tmp_path, "manage", "shell", "-c", "from django.contrib.auth.models import User; "
                         "User.objects.create_user('ada', 'ada@example.org', 'a long passphrase 42')", **shared)
    assert made.returncode == 0, made.stderr
    nodes = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        nodes.append(start_server(tmp_path / name, "--no-demo", **shared))
    try:
        (_, a), (_, b) = nodes
        for process, base in nodes:
            wait_for_http(base + "/healthz", process, timeout=120)
        jar = http.cookiejar.CookieJar()
        reader = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = urllib.parse.urlencode({"username": "ada", "password": "a long passphrase 42",
                                        "csrfmiddlewaretoken": _form_token(reader, a + "/accounts/login/")}).encode()
        reader.open(urllib.request.Request(a + "/accounts/login/", data=login,
                                           headers={"Referer": a + "/accounts/login/"}), timeout=30).read()
        assert ">ada</a>" in reader.open(b + "/", timeout=30).read().decode()  # the session, on the other node
        [session] = [cookie.value for cookie in jar if cookie.name == "sessionid"]
        logout = urllib.parse.urlencode({"csrfmiddlewaretoken": _form_token(reader, b + "/profile/")}).encode()
        reader.open(urllib.request.Request(b + "/accounts/logout/", data=logout, headers={"Referer": b + "/"}),
                    timeout=30).read()
        # Its end, everywhere: the logged-out session's cookie (kept by a thief, say) opens nothing on node a.
        kept = urllib.request.Request(a + "/", headers={"Cookie": f"sessionid={session}"})
        assert ">ada</a>" not in urllib.request.urlopen(kept, timeout=30).read().decode()

        anonymous = urllib.request.build_opener()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: _status(anonymous, (a, b)[n % 2] + "/api/daily_papers"), range(18)))
        assert answers.count(200) == 6 and answers.count(429) == 12, answers
    finally:
        logs = [stop_server(process) for process, _ in nodes]
    assert not any("Traceback" in log for log in logs), logs
    for name in ("a", "b"):  # nothing the site shares was kept in a node's own folder
        assert not (tmp_path / name / "cache").exists() and not (tmp_path / name / "reader-cache").exists()


MAKE_READERS = """
from django.contrib.auth.models import User
from papertide.accounts.models import ApiToken
from papertide.collections.models import Collection, Item
from papertide.digests.models import Subscriber
from papertide.discussion.models import Comment
from papertide.discussion.rules import changed
from papertide.papers import actions
from papertide.papers.models import Paper
import datetime as dt
papers = list(Paper.objects.order_by("pk")[:40])
for n in range(5):
    reader = User.objects.create_user(f"reader{n}", f"reader{n}@example.org", "a long passphrase 42")
    for paper in papers[n::5]:
        actions.upvote(reader, paper)
    Comment.objects.create(paper=Paper.objects.get(arxiv_id="2411.18625"), author=reader, body=f"Comment {n}",
                           html=f"<p>Comment {n}</p>")
    shelf = Collection.objects.create(owner=reader, name=f"Shelf {n}", public=True)
    Item.objects.create(collection=shelf, paper=papers[n], note="worth it", position=1)
    ApiToken.objects.create(user=reader, name="script", digest=f"{n:064d}", hint="pt_0000")
    Subscriber.objects.create(email=reader.email, confirmed_at=dt.datetime.now(dt.UTC))
changed(Paper.objects.filter(arxiv_id="2411.18625").values_list("pk", flat=True))
"""
SEEN = ["/api/daily_papers?date=2024-11-28", "/api/daily_papers?date=2024-11-28&sort=trending&limit=100",
        "/api/papers/2411.18625", "/api/papers/search?q=dark+matter+halo", "/api/papers/search?q=protein+folding"]


def _what_readers_see(data_dir, **settings) -> dict[str, object]:
    process, base = start_server(data_dir, "--no-demo", **settings)
    try:
        wait_for_http(base + "/healthz", process, timeout=120)
        seen = {path: json.load(urllib.request.urlopen(base + path, timeout=30)) for path in SEEN}
        day = urllib.request.urlopen(base + "/day/2024-11-28/?sort=trending", timeout=30).read().decode()
        seen["day"] = re.findall(r'<article class="card" id="paper-(\d+)"', day)
        paper = urllib.request.urlopen(base + "/papers/2411.18625/", timeout=30).read().decode()
        seen["comments"] = re.findall(r"Comment \d", paper)
    finally:
        stop_server(process)
    return seen


def test_db_copy_of_a_site_killed_and_resumed_serves_the_same_from_postgresql(tmp_path, site_database):
    """The move from a laptop to PostgreSQL: the demo site with readers (upvotes, comments, collections, tokens,
    subscribers) copied with `db copy`, killed half-way and run again, then served from PostgreSQL on another
    data directory: the same API answers, the same day in the same order, the same discussion."""
    import psycopg

    url, params = site_database
    laptop, server = tmp_path / "laptop", tmp_path / "server"
    laptop.mkdir(), server.mkdir()
    quick = {"TOPIC_MAP": "false"}
    assert run_papertide(laptop, "demo").returncode == 0
    made = run_papertide(laptop, "manage", "shell", "-c", MAKE_READERS)
    assert made.returncode == 0, made.stderr
    assert run_papertide(laptop, "index", "--no-progress", **quick).returncode == 0
    before = _what_readers_see(laptop, **quick)
    assert before["/api/papers/search?q=dark+matter+halo"] and len(before["comments"]) == 5

    command = [sys.executable, "-m", "papertide", "db", "copy", "--to", url, "--batch-size", "50", "--no-progress"]
    first = subprocess.Popen(command, env=papertide_env(laptop), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    copied = 0
    with psycopg.connect(**params) as db:
        deadline = time.monotonic() + 120
        while copied < 300 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.02)
            if db.execute("SELECT to_regclass('papers_paper') IS NOT NULL").fetchone()[0]:
                copied = db.execute("SELECT count(*) FROM papers_paper").fetchone()[0]
        first.kill()
        first.wait()
        assert 0 < copied < 1504, "the copy was not killed half-way"
    refused = run_papertide(server, "serve", "--no-demo", DATABASE_URL=url)
    assert refused.returncode != 0 and "db copy` into this database has not finished" in refused.stderr
    again = run_papertide(laptop, "db", "copy", "--to", url, "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "tables," in again.stdout and "verified (counts and checksums)" in again.stdout
    assert "already holds a site" in run_papertide(laptop, "db", "copy", "--to", url).stderr  # only once

    indexed = run_papertide(server, "index", "--no-progress", DATABASE_URL=url, **quick)
    assert indexed.returncode == 0 and "0 embedded" in indexed.stdout, indexed.stdout + indexed.stderr
    after = _what_readers_see(server, DATABASE_URL=url, **quick)
    assert after == before
    with psycopg.connect(**params) as db:  # new rows continue after the copied ones
        db.execute("INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, "
                   "is_staff, is_active, date_joined) VALUES ('', false, 'newcomer', '', '', '', false, true, now())")
        assert db.execute("SELECT id FROM auth_user WHERE username = 'newcomer'").fetchone()[0] == 6


NEW_PAPER = """
import datetime as dt
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord
upsert_papers([PaperRecord(arxiv_id="2412.99999", source="arxiv-rss", title="Quokka locomotion on sand dunes",
                           abstract="We film quokkas hopping over dunes and model their gait.",
                           listed_on=dt.date(2024, 11, 29))])
"""


def _top(data_dir, query: str, **settings) -> str:
    found = run_papertide(data_dir, "search", query, "--limit", "1", "--json", **settings)
    assert found.returncode == 0, found.stderr
    results = json.loads(found.stdout)["results"]
    return results[0]["arxiv_id"] if results else ""


@pytest.mark.parametrize("vectors", ["pgvector", "files"])
def test_a_second_web_machine_follows_the_database_into_its_own_search_indexes(tmp_path, site_database, vectors):
    """Two machines, one database, no shared folder: the worker's machine indexes (and embeds) new papers; the other
    builds its full-text index (and with PAPERTIDE_SEARCH_VECTORS=files its vector files) from the database, then
    keeps it up to date from what changed, embedding nothing. With pgvector both read the one vector table."""
    url, _ = site_database
    worker, web = tmp_path / "worker", tmp_path / "web"
    worker.mkdir(), web.mkdir()
    shared = {"DATABASE_URL": url, "TOPIC_MAP": "false", "KEYPHRASES": "false", "SEARCH_VECTORS": vectors}
    assert run_papertide(worker, "migrate", **shared).returncode == 0
    assert run_papertide(worker, "demo", **shared).returncode == 0
    assert run_papertide(worker, "index", "--no-progress", **shared).returncode == 0

    first = run_papertide(web, "index", "--follow", **shared)
    assert first.returncode == 0 and "built whole" in first.stdout and "1504 papers" in first.stdout, first.stderr
    assert _top(web, "dark matter halo", **shared) == _top(worker, "dark matter halo", **shared) != ""

    assert run_papertide(worker, "manage", "shell", "-c", NEW_PAPER, **shared).returncode == 0
    assert run_papertide(worker, "index", "--no-progress", **shared).returncode == 0
    assert _top(worker, "quokka gait", **shared) == "2412.99999"
    if vectors == "files":
        assert _top(web, "quokka gait", **shared) != "2412.99999"  # not yet followed
    again = run_papertide(web, "index", "--follow", **shared)
    assert "brought up to date" in again.stdout, again.stdout
    if vectors == "files":
        assert "1505 vectors written" in again.stdout
        assert (web / "index" / "vectors.json").exists()
    else:
        assert "vectors read from the database (pgvector)" in again.stdout
        assert not (web / "index" / "vectors.json").exists() and not (worker / "index" / "vectors.json").exists()
    assert _top(web, "quokka gait", **shared) == "2412.99999"
    assert "embedded" not in again.stdout and not (web / "papertide.sqlite3").exists()


def _embedded(output: str) -> int:
    return int(re.search(r"(\d+) embedded", output)[1])


def test_two_workers_on_two_machines_share_a_backlog_and_a_killed_ones_papers_are_taken_over(tmp_path,
                                                                                            site_database):
    import psycopg

    url, params = site_database
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    shared = {"DATABASE_URL": url, "TOPIC_MAP": "false", "KEYPHRASES": "false"}
    assert run_papertide(one, "migrate", **shared).returncode == 0
    assert run_papertide(one, "demo", **shared).returncode == 0
    assert run_papertide(one, "manage", "shell", "-c", BACKLOG.format(papers=160), **shared).returncode == 0

    command = [sys.executable, "-m", "papertide", "index", "--chunk-size", "8", "--no-progress"]
    runs = [subprocess.Popen(command, env=papertide_env(where, **shared), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for where in (one, two)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    embedded = [_embedded(output) for output in outputs]
    assert sum(embedded) == 160 and min(embedded) > 0, outputs  # shared, and no paper embedded twice

    assert run_papertide(one, "manage", "shell", "-c", BACKLOG.format(papers=160), **shared).returncode == 0
    killed = subprocess.Popen(command, env=papertide_env(one, **shared), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    with psycopg.connect(**params) as db:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (
                db.execute("SELECT count(*) FROM search_paperembedding").fetchone()[0] < 1504 - 160 + 16
                or not db.execute("SELECT count(*) FROM papers_paper WHERE index_claimed_until > now()").fetchone()[0]):
            time.sleep(0.02)
        killed.kill()  # half-way, holding a claim
        killed.wait()
        left = db.execute("SELECT count(*) FROM papers_paper WHERE index_pending").fetchone()[0]
        assert 0 < left < 160 and db.execute(
            "SELECT count(*) FROM papers_paper WHERE index_claimed_until > now()").fetchone()[0] > 0  # a live claim
        rest = run_papertide(two, "index", "--no-progress", **shared)  # the other machine carries on
        assert rest.returncode == 0 and _embedded(rest.stdout) == left, rest.stdout + rest.stderr
        assert db.execute("SELECT count(*) FROM search_paperembedding").fetchone()[0] == 1504
        assert db.execute("SELECT count(*) FROM papers_paper WHERE index_pending").fetchone()[0] == 0


def test_the_import_and_copy_benchmarks_run_on_a_scratch_database_and_leave_none_behind(tmp_path, site_database):
    import psycopg

    url, params = site_database
    samples = str(FIXTURES / "kaggle")
    imported = run_papertide(tmp_path, "bench", "import", "--data", samples, "--records", "1000", "--database", url)
    assert imported.returncode == 0, imported.stderr
    assert re.search(r"SQLite: 1,000 records .* papers/s", imported.stdout)
    assert re.search(r"PostgreSQL: 1,000 records .* papers/s", imported.stdout)
    copied = run_papertide(tmp_path, "bench", "copy", "--data", samples, "--records", "1000", "--database", url)
    assert copied.returncode == 0, copied.stderr
    assert re.search(r"1,000 papers \([\d,]+ rows\) copied from SQLite to PostgreSQL and verified", copied.stdout)
    with psycopg.connect(**params) as db:
        assert not db.execute("SELECT datname FROM pg_database WHERE datname LIKE 'papertide_bench_%'").fetchall()


def test_the_index_benchmark_shares_one_backlog_between_runs(tmp_path, site_database):
    url, _ = site_database
    measured = run_papertide(tmp_path, "bench", "index", "--database", url, "--papers", "48", "--workers", "1,2",
                             "--chunk-size", "8")
    assert measured.returncode == 0, measured.stderr
    assert re.search(r"1 run\(s\) at once: 48 papers embedded in .* papers/s \(48;", measured.stdout)
    shares = re.search(r"2 run\(s\) at once: 48 papers embedded in .* papers/s \((\d+) \+ (\d+);", measured.stdout)
    assert shares and int(shares[1]) + int(shares[2]) == 48, measured.stdout


def test_two_workers_on_two_machines_send_a_due_digest_once(tmp_path, site_database):
    """One scheduled digest, two workers started together on one database: each digest is sent exactly once."""
    import collections

    from tests.smtp import SmtpServer
    from tests.test_digest_crash import MAKE_DUE_DIGEST, SUBSCRIBERS

    url, _ = site_database
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    assert run_papertide(one, "migrate", DATABASE_URL=url).returncode == 0
    made = run_papertide(one, "manage", "shell", "-c", MAKE_DUE_DIGEST, DATABASE_URL=url)
    assert made.returncode == 0, made.stderr
    with SmtpServer() as smtp:
        command = [sys.executable, "-m", "papertide", "worker", "--once"]
        workers = [subprocess.Popen(command, env=papertide_env(where, DATABASE_URL=url, **smtp.settings()),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for where in (one, two)]
        outputs = [worker.communicate(timeout=180) for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0], outputs
        per_address = collections.Counter(m["To"] for m in smtp.messages)
    assert len(per_address) == SUBSCRIBERS and set(per_address.values()) == {1}
    assert sum("daily-digest" in out for out, _ in outputs) == 1  # the job itself ran on one of them
