"""Digest delivery: N subscribers of the demo day rendered and delivered to a local SMTP server (aiosmtpd,
in this process), timed from the start of `papertide digest send` to its exit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MAKE_SUBSCRIBERS = """
import datetime as dt, random
from papertide.digests.models import Subscriber
rng = random.Random(5)
now = dt.datetime.now(dt.UTC)
topics = [["cs.CV"], ["cs.CL"], ["cs.LG", "stat.ML"], [], [], []]
words = [["diffusion"], ["language model", "LLM"], [], [], []]
Subscriber.objects.bulk_create([
    Subscriber(email=f"reader{{n}}@example.org", confirmed_at=now, categories=rng.choice(topics),
               keywords=rng.choice(words), max_papers=rng.choice([5, 10, 10, 20]))
    for n in range({count})
], batch_size=2000)
"""


# Every subscriber an account whose 20 saves come from two categories of the demo day, digests "ranked for me".
MAKE_READERS = """
import random
from django.contrib.auth import get_user_model
from papertide.digests.models import Ranking, Subscriber
from papertide.papers.models import Paper
from papertide.recs.models import Save
User = get_user_model()
rng = random.Random(6)
by_category = {{}}
for pk, category in Paper.objects.values_list("pk", "primary_category"):
    by_category.setdefault(category, []).append(pk)
pools = [papers for papers in by_category.values() if len(papers) >= 20]
subscribers = list(Subscriber.objects.order_by("pk"))
users = User.objects.bulk_create([User(username=f"reader{{s.pk}}", email=s.email) for s in subscribers], batch_size=2000)
saves = []
for user in users:
    first, second = rng.sample(pools, 2)
    saves += [Save(user=user, paper_id=pk) for pk in rng.sample(first, 10) + rng.sample(second, 10)]
Save.objects.bulk_create(saves, batch_size=5000)
for subscriber, user in zip(subscribers, users):
    subscriber.user, subscriber.ranking = user, Ranking.FOR_YOU
Subscriber.objects.bulk_update(subscribers, ["user", "ranking"], batch_size=2000)
"""


@dataclass
class DigestFigures:
    subscribers: int
    delivered: int
    seconds: float
    output: str

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds


class _Counting:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.count += 1
        return "250 OK"


def run_digest_benchmark(work: Path, subscribers: int, for_you: bool = False) -> DigestFigures:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise SystemExit("bench digest needs aiosmtpd: pip install -e '.[test]'") from None
    from papertide.bench.startup import free_port

    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(work), "PAPERTIDE_LOG_LEVEL": "WARNING"}
    fresh = not (work / "papertide.sqlite3").exists()
    if fresh:
        subprocess.run([sys.executable, "-m", "papertide", "demo"], env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "papertide", "manage", "shell", "-c",
                        MAKE_SUBSCRIBERS.format(count=subscribers)], env=env, check=True, capture_output=True)
        if for_you:
            subprocess.run([sys.executable, "-m", "papertide", "index", "--no-progress"], env=env, check=True,
                           capture_output=True)
            subprocess.run([sys.executable, "-m", "papertide", "manage", "shell", "-c", MAKE_READERS.format()],
                           env=env, check=True, capture_output=True)
    else:  # the same period again: forget the earlier run's digests
        subprocess.run([sys.executable, "-m", "papertide", "manage", "shell", "-c",
                        "from papertide.digests.models import Digest; Digest.objects.all().delete()"],
                       env=env, check=True, capture_output=True)
    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    handler = _Counting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env |= {"PAPERTIDE_SMTP_HOST": "127.0.0.1", "PAPERTIDE_SMTP_PORT": str(port), "PAPERTIDE_SMTP_SECURITY": "none"}
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "papertide", "digest", "send", "--period", "daily",
                                 "--date", "2024-11-28", "--no-progress"], env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
    finally:
        controller.stop()
    if result.returncode:
        raise RuntimeError(result.stderr)
    return DigestFigures(subscribers, handler.count, seconds, result.stdout.strip())
