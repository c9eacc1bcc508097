"""Exactly once across a crash: `papertide digest send` killed with SIGKILL mid-run, then run again."""

import collections
import signal
import sqlite3
import subprocess
import sys
import time

from tests.helpers import papertide_env, run_papertide
from tests.smtp import SmtpServer

SUBSCRIBERS = 300
MAKE_SUBSCRIBERS = f"""
import datetime as dt
from papertide.digests.models import Subscriber
Subscriber.objects.bulk_create([Subscriber(email=f"reader{{n}}@example.org", confirmed_at=dt.datetime.now(dt.UTC))
                                for n in range({SUBSCRIBERS})])
"""


def test_a_sender_killed_mid_run_and_run_again_sends_each_digest_at_most_once(tmp_path):
    assert run_papertide(tmp_path, "demo").returncode == 0
    assert run_papertide(tmp_path, "manage", "shell", "-c", MAKE_SUBSCRIBERS).returncode == 0
    with SmtpServer() as smtp:
        settings = {**smtp.settings(), "DIGEST_SEND_RATE": "150"}
        command = [sys.executable, "-m", "papertide", "digest", "send", "--period", "daily", "--date", "2024-11-28",
                   "--no-progress"]
        sender = subprocess.Popen(command, env=papertide_env(tmp_path, **settings),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(smtp.messages) < SUBSCRIBERS // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        sender.send_signal(signal.SIGKILL)
        sender.wait()
        delivered_before = len(smtp.messages)
        assert 0 < delivered_before < SUBSCRIBERS, "the sender was not killed mid-run"

        rerun = subprocess.run(command, env=papertide_env(tmp_path, **smtp.settings()), capture_output=True,
                               text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        per_address = collections.Counter(m["To"] for m in smtp.messages)

    assert max(per_address.values()) == 1  # nobody got a digest twice
    with sqlite3.connect(tmp_path / "papertide.sqlite3") as db:
        statuses = dict(db.execute("SELECT status, COUNT(*) FROM digests_digest GROUP BY status").fetchall())
        items = db.execute("SELECT COUNT(*), COUNT(DISTINCT subscriber_id || '-' || paper_id) FROM digests_digestitem").fetchone()
    # At most the one digest being handed over at the kill is unsettled; everyone else got theirs.
    unsettled = statuses.get("sending", 0) + statuses.get("in-doubt", 0)
    assert unsettled <= 1 and statuses["sent"] + unsettled == SUBSCRIBERS
    assert len(per_address) >= SUBSCRIBERS - unsettled
    assert items[0] == items[1] == SUBSCRIBERS * 10  # every digest recorded once, with its 10 papers
    assert f"{SUBSCRIBERS - delivered_before - unsettled} sent" in rerun.stdout or delivered_before + int(
        rerun.stdout.split(": ")[1].split(" sent")[0]) + unsettled >= SUBSCRIBERS


def test_two_senders_at_once_send_each_digest_once(tmp_path):
    assert run_papertide(tmp_path, "demo").returncode == 0
    assert run_papertide(tmp_path, "manage", "shell", "-c", MAKE_SUBSCRIBERS).returncode == 0
    with SmtpServer() as smtp:
        command = [sys.executable, "-m", "papertide", "digest", "send", "--period", "daily", "--date", "2024-11-28",
                   "--no-progress"]
        env = papertide_env(tmp_path, **smtp.settings(), DIGEST_SEND_RATE="300")
        senders = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        outputs = [sender.communicate(timeout=120) for sender in senders]
        assert [sender.returncode for sender in senders] == [0, 0], outputs
        per_address = collections.Counter(m["To"] for m in smtp.messages)
    assert len(per_address) == SUBSCRIBERS and set(per_address.values()) == {1}
    with sqlite3.connect(tmp_path / "papertide.sqlite3") as db:
        assert db.execute("SELECT status, COUNT(*) FROM digests_digest GROUP BY status").fetchall() == [
            ("sent", SUBSCRIBERS)]


MAKE_DUE_DIGEST = f"""
import datetime as dt
from papertide.digests.models import Subscriber
from papertide.ingest.models import ScheduledJob
Subscriber.objects.bulk_create([Subscriber(email=f"reader{{n}}@example.org", confirmed_at=dt.datetime.now(dt.UTC),
                                           send_empty=True) for n in range({SUBSCRIBERS})])
ScheduledJob.objects.create(name="daily-digest", next_due_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
"""


def test_a_worker_stopped_with_sigterm_mid_digests_leaves_none_in_doubt_and_the_next_finishes(tmp_path):
    """A restart (systemd's SIGTERM) during the digests: the worker stops between two messages, so no digest is left
    "sending" (later "in doubt", never sent), and the job is due again for the next worker, which sends the rest."""
    assert run_papertide(tmp_path, "migrate").returncode == 0
    made = run_papertide(tmp_path, "manage", "shell", "-c", MAKE_DUE_DIGEST)
    assert made.returncode == 0, made.stderr
    with SmtpServer() as smtp:
        env = papertide_env(tmp_path, **smtp.settings(), DIGEST_SEND_RATE="150")
        worker = subprocess.Popen([sys.executable, "-m", "papertide", "worker"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while len(smtp.messages) < SUBSCRIBERS // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        log = worker.communicate(timeout=20)[0]
        assert worker.returncode == 0, log
        assert "SIGTERM: stopping at the next safe point" in log and "worker stopped" in log
        delivered_before = len(smtp.messages)
        assert delivered_before < SUBSCRIBERS, "the worker was not stopped mid-run"
        with sqlite3.connect(tmp_path / "papertide.sqlite3") as db:
            statuses = dict(db.execute("SELECT status, COUNT(*) FROM digests_digest GROUP BY status").fetchall())
            due = db.execute("SELECT next_due_at < datetime('now') FROM ingest_scheduledjob "
                             "WHERE name = 'daily-digest'").fetchone()[0]
        assert statuses.get("sending", 0) == statuses.get("in-doubt", 0) == 0
        assert statuses["sent"] == delivered_before and due  # the rest waits for the next worker, not tomorrow

        rerun = run_papertide(tmp_path, "worker", "--once", **smtp.settings())
        assert rerun.returncode == 0 and "daily-digest" in rerun.stdout, rerun.stderr
        per_address = collections.Counter(m["To"] for m in smtp.messages)
    assert len(per_address) == SUBSCRIBERS and set(per_address.values()) == {1}
