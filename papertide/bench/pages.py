"""Page latency under load: feed and paper pages of a site holding 100,000 papers, served by
`papertide serve` (gunicorn) on loopback, hit by N concurrent clients in a closed loop.

The site is built in a fresh data directory from the real demo day: paper i is real record i mod 1,504
(title, authors, categories) with an abstract spliced from two real ones and, as its embedding, the
normalized mixture of theirs (as in bench search), listed on one of the last 100 weekdays (1,000 papers a
day, arXiv's rate for the cs archive). 200 readers give 30,000 upvotes. The index stage then runs for real
(full text for every paper, the HNSW vector index), reusing the embeddings instead of computing them.
"""

from __future__ import annotations

import datetime as dt
import gc
import http.client
import json
import math
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from papertide.bench.slow_clients import SlowClients

PAGE_KINDS = ("latest day", "day", "week", "paper", "discussed paper", "search")
DISCUSSED_PAPERS = 20
READERS = ("anonymous", "returning", "logged-in")
BENCH_READERS = 200  # logged-in readers of the benchmark (every reader of the generated site)
RETURNING_READERS = 1000  # returning anonymous readers, each with a visit of their own


def build_site(papers: int, days: int, seed: int = 11) -> None:
    """Fill the database of the current PAPERTIDE_DATA_DIR (Django set up by the caller)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from tqdm import tqdm

    from papertide.demo import DEMO_VECTORS_PATH, demo_feed
    from papertide.papers.models import Paper, Upvote
    from papertide.papers.engagement import recount_upvotes
    from papertide.papers.upsert import upsert_papers
    from papertide.search.indexer import run_index, text_hash
    from papertide.search.models import PaperEmbedding

    rng = np.random.default_rng(seed)
    records = demo_feed().records
    shipped = np.load(DEMO_VECTORS_PATH)
    by_id = dict(zip([str(i) for i in shipped["arxiv_ids"]], shipped["vectors"].astype(np.float32), strict=True))
    records = [r for r in records if r.arxiv_id in by_id]
    vectors = np.stack([by_id[r.arxiv_id] for r in records])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    halves = [r.abstract.split(". ") for r in records]
    weekdays, day = [], dt.date.today()
    while len(weekdays) < days:
        if day.weekday() < 5:
            weekdays.append(day)
        day -= dt.timedelta(days=1)
    per_day = -(-papers // days)
    batch = 5_000
    with tqdm(total=papers, desc="Papers", unit="paper") as bar:
        for start in range(0, papers, batch):
            chunk = []
            for i in range(start, min(papers, start + batch)):
                a, b = i % len(records), int(rng.integers(len(records)))
                head, tail = halves[a], halves[b]
                base = records[a]
                chunk.append(type(base)(
                    arxiv_id=f"{2000 + i // 100_000:04d}.{i % 100_000:05d}", source="arxiv-rss", version=1,
                    title=base.title, abstract=". ".join(head[: max(1, len(head) // 2)] + tail[len(tail) // 2:]),
                    authors=base.authors, categories=base.categories, primary_category=base.primary_category,
                    listed_on=weekdays[i // per_day],
                ))
            upsert_papers(chunk)
            bar.update(len(chunk))
    users = [get_user_model().objects.create_user(f"reader{n}") for n in range(200)]
    ids = list(Paper.objects.values_list("id", flat=True))
    pairs = {(int(rng.integers(len(users))), int(rng.integers(len(ids)))) for _ in range(30_000)}
    Upvote.objects.bulk_create([Upvote(user=users[u], paper_id=ids[p]) for u, p in pairs], batch_size=5_000)
    for start in range(0, len(ids), 5_000):  # written in bulk: count and score here
        with transaction.atomic():  # the recount locks the papers' rows on PostgreSQL
            recount_upvotes(ids[start:start + 5_000])
    print(f"{len(pairs):,} upvotes counted into the trending scores")
    model = settings.EMBEDDING_MODEL
    rows = []
    for paper in Paper.objects.only("id", "title", "abstract").iterator(chunk_size=5_000):
        i = paper.pk % len(records)
        vector = 0.7 * vectors[i] + 0.3 * vectors[int(rng.integers(len(records)))]
        vector /= np.linalg.norm(vector)
        rows.append(PaperEmbedding(paper_id=paper.pk, model=model, vector=vector.astype(np.float32).tobytes(),
                                   text_hash=text_hash(paper.title, paper.abstract)))
    PaperEmbedding.objects.bulk_create(rows, batch_size=5_000)
    borrow_keyphrases()
    print(run_index(progress=True))


def borrow_keyphrases() -> int:
    """Give each generated paper the shipped keyphrases of the demo paper it was made from (same title, half its
    abstract), stamped as found in its own text: finding them anew would take hours at 100,000 papers, and pages
    should weigh what they weigh with keyphrases."""
    import gzip

    from django.db import transaction

    from papertide.demo import DEMO_KEYPHRASES_PATH, demo_feed
    from papertide.papers.models import Paper
    from papertide.search.models import PaperEmbedding

    shipped = json.loads(gzip.decompress(DEMO_KEYPHRASES_PATH.read_bytes()))["papers"]
    by_title = {r.title: shipped[r.arxiv_id][0] for r in demo_feed().records if r.arxiv_id in shipped}
    hashes = dict(PaperEmbedding.objects.values_list("paper_id", "text_hash"))
    papers = list(Paper.objects.filter(keyphrases_hash="").only("id", "title"))
    for paper in papers:
        paper.keyphrases, paper.keyphrases_hash = by_title.get(paper.title, []), hashes.get(paper.pk, "")
    with transaction.atomic():
        Paper.objects.bulk_update(papers, ["keyphrases", "keyphrases_hash"], batch_size=2_000)
    return len(papers)


def bench_env(work: Path, page_cache: bool = True, database_url: str = "") -> dict[str, str]:
    """The bench site's settings: no rate limits and no query-vector cache (the benchmark measures the work, not
    the protections); with `database_url`, its database on PostgreSQL."""
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(work), "PAPERTIDE_LOG_LEVEL": "WARNING",
           "PAPERTIDE_PAGE_CACHE_SECONDS": os.environ.get("PAPERTIDE_PAGE_CACHE_SECONDS", "30") if page_cache else "0",
           "PAPERTIDE_API_RATE_LIMIT": "0", "PAPERTIDE_SEARCH_RATE_LIMIT": "0", "PAPERTIDE_SEARCH_QUERY_CACHE": "0",
           "PAPERTIDE_GC_PAUSE_LOG": str(work / "gc-pauses.log")}
    env.pop("PAPERTIDE_DATABASE_URL", None)
    if database_url:
        env["PAPERTIDE_DATABASE_URL"] = database_url
    return env


def ensure_site(work: Path, papers: int, days: int, env: dict[str, str]) -> None:
    """Build the generated site in `work` unless it is there from an earlier run (on PostgreSQL, a scratch
    database: always)."""
    on_postgres = bool(env.get("PAPERTIDE_DATABASE_URL"))
    if on_postgres:
        shutil.rmtree(work / "index", ignore_errors=True)  # an earlier scratch database's papers
        subprocess.run([sys.executable, "-m", "papertide", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    if on_postgres or not (work / "papertide.sqlite3").exists() or not (work / "index").exists():
        subprocess.run([sys.executable, "-c", "from papertide.cli import setup_django; setup_django(migrate=True); "
                        f"from papertide.bench.pages import build_site; build_site({papers}, {days})"],
                       env=env, check=True)


class Served:
    """`papertide serve` on a free loopback port for the `with` block, answering `/` before it starts."""

    def __init__(self, work: Path, env: dict[str, str], workers: int = 2, threads: int = 4,
                 source: Path | None = None) -> None:
        self.work, self.env, self.workers, self.threads, self.source = work, env, workers, threads, source

    def __enter__(self) -> Served:
        from papertide.bench.startup import free_port

        self.port = free_port()
        self.log = open(self.work / "serve.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "papertide", "serve", "--no-demo", "--port", str(self.port),
             "--workers", str(self.workers), "--threads", str(self.threads)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.source)
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise TimeoutError(f"papertide serve did not answer; see {self.work / 'serve.log'}")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes (Linux's /proc; NaN where there is none)."""
        return process_tree_cpu_seconds(self.process.pid)


def process_tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of a process and its children (not grandchildren: gunicorn's workers are
    children of its master)."""
    total, ticks = 0, os.sysconf("SC_CLK_TCK")
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return float("nan")
    for entry in entries:
        try:
            # Fields after the command name, which may hold spaces: state, ppid, …, utime (11), stime (12).
            fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        if int(entry) == root or int(fields[1]) == root:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass
class LoadFigures:
    clients: int
    seconds: float
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    gc_pauses_ms: list[float] | None = None  # the web processes' full collections meanwhile, where recorded
    server_cpu_s: float = float("nan")  # CPU seconds the web processes used in the measured time

    def as_markdown(self) -> str:
        lines = ["| page | requests | req/s | p50 ms | p99 ms |", "|---|---|---|---|---|"]
        every = []
        for kind in PAGE_KINDS:
            samples = self.latencies_ms.get(kind, [])
            every += samples
            if samples:
                p50, p99 = np.percentile(samples, [50, 99])
                lines.append(f"| {kind} | {len(samples):,} | {len(samples) / self.seconds:,.0f} | {p50:.1f} | {p99:.1f} |")
        if every:
            p50, p99 = np.percentile(every, [50, 99])
            lines.append(f"| **all** | {len(every):,} | {len(every) / self.seconds:,.0f} | {p50:.1f} | {p99:.1f} |")
        else:
            lines.append("| **all** | 0 | 0 | — | — |")
        pauses = "" if self.gc_pauses_ms is None else (
            f" Full garbage collections in the web processes meanwhile: {len(self.gc_pauses_ms)}"
            + (f", longest {max(self.gc_pauses_ms):.1f} ms." if self.gc_pauses_ms else "."))
        cpu = "" if math.isnan(self.server_cpu_s) else (
            f" The web processes used {self.server_cpu_s / self.seconds:.2f} of {os.cpu_count()} cores"
            + (f", {self.server_cpu_s * 1000 / len(every):.1f} ms of CPU a request." if every else "."))
        return "\n".join(lines) + (f"\n\n{self.clients} concurrent clients for {self.seconds:.0f} s; {self.errors} errors."
                                   + cpu + pauses)


def run_load(base_port: int, paths: dict[str, list[str]], clients: int, seconds: float, warmup: float,
             cookies: list[str] | None = None, pause_log: Path | None = None,
             server_cpu: Callable[[], float] | None = None) -> LoadFigures:
    """Closed loop: each client sends its next request as soon as the previous answer is read, each time as one
    of the readers whose Cookie headers are given (chosen at random), or with no cookies. `pause_log`: where the
    server writes its full garbage collections (PAPERTIDE_GC_PAUSE_LOG), counted for the measured time.
    `server_cpu`: the server's CPU seconds so far, read as the measured time starts and ends."""
    figures = LoadFigures(clients, seconds, {kind: [] for kind in paths})
    lock = threading.Lock()
    start_at = time.monotonic() + warmup
    stop_at = start_at + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)
        kinds = list(paths)
        while (now := time.monotonic()) < stop_at:
            kind = rng.choice(kinds)
            path = rng.choice(paths[kind])
            headers = {"Cookie": rng.choice(cookies)} if cookies else {}
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)
            elapsed = (time.perf_counter() - began) * 1000
            # A request sent in the warm-up that fails (times out) in the measured time counts as an error.
            if now >= start_at or (not ok and time.monotonic() >= start_at):
                with lock:
                    if ok:
                        figures.latencies_ms[kind].append(elapsed)
                    else:
                        figures.errors += 1

    # The load generator is a Python process too: a full garbage collection of what it loaded (Django, numpy) would
    # stop its clients for 50 ms or more mid-request and count as the server's latency.
    gc.freeze()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    if server_cpu:
        time.sleep(max(0.0, start_at - time.monotonic()))
        cpu_at_start = server_cpu()
        time.sleep(max(0.0, stop_at - time.monotonic()))
        figures.server_cpu_s = server_cpu() - cpu_at_start
    for thread in threads:
        thread.join()
    if pause_log and pause_log.exists():
        to_wall_clock = time.time() - time.monotonic()  # the log's times are Unix times
        figures.gc_pauses_ms = [float(ms) for _, at, ms in map(str.split, pause_log.read_text().splitlines())
                                if start_at <= float(at) - to_wall_clock <= stop_at]
    return figures


def scenarios(env: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """What the clients ask for: the front page as readers use it each morning, paper pages, and a
    uniform mix over every day, week and sampled paper (the coldest case for the page cache)."""
    everything = sample_paths(env)
    return {
        "feed (the latest day: sorts, pages 1–3)": {"latest day": [
            f"/?sort={sort}&page={page}" for sort in ("trending", "upvotes", "newest") for page in (1, 2, 3)
        ] + ["/"]},
        "paper pages (500 random papers)": {"paper": everything["paper"]},
        "uniform mix (every day, week, 500 papers)": everything,
    }


SAMPLE = """
import json, sys
from papertide.cli import setup_django
setup_django()
from papertide.papers.models import DailyEntry, Paper
print(json.dumps({"days": sorted({day.isoformat() for day in DailyEntry.objects.values_list("day", flat=True)}),
                  "ids": list(Paper.objects.order_by("?").values_list("arxiv_id", flat=True)[:int(sys.argv[1])])}))
"""


def sample_paths(env: dict[str, str], count: int = 500) -> dict[str, list[str]]:
    """Every listed day and week and `count` random papers of the site (read through its own settings: SQLite or
    PostgreSQL)."""
    found = json.loads(subprocess.run([sys.executable, "-c", SAMPLE, str(count)], env=env, check=True,
                                      capture_output=True, text=True).stdout)
    days, ids = found["days"], found["ids"]
    weeks = sorted({"{}-W{:02d}".format(*dt.date.fromisoformat(d).isocalendar()[:2]) for d in days})
    return {
        "latest day": ["/", "/?sort=upvotes", "/?sort=newest", "/?page=2"],
        "day": [f"/day/{d}/" for d in days] + [f"/day/{d}/?sort=upvotes" for d in days],
        "week": [f"/week/{w}/" for w in weeks] + [f"/week/{w}/?page=3" for w in weeks],
        "paper": [f"/papers/{arxiv_id}/" for arxiv_id in ids],
    }


def make_readers(count: int = BENCH_READERS, upvotes_each: int = 5, seed: int = 5) -> list[str]:
    """Log in `count` of the site's readers (a session each, as the log-in page makes) after each upvoted a few
    papers of the latest day, the ones readers see first; print their session keys. Run in the site's Django."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.models import update_last_login
    from django.contrib.sessions.backends.db import SessionStore

    from papertide.papers import actions
    from papertide.papers.models import DailyEntry

    rng = random.Random(seed)
    latest = list(DailyEntry.objects.on_day(DailyEntry.objects.latest_day()).trending()[:150])
    keys = []
    for user in get_user_model().objects.order_by("pk")[:count]:
        for entry in rng.sample(latest, upvotes_each):
            actions.upvote(user, entry.paper)
        session = SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash()})
        session.create()
        update_last_login(None, user)  # as logging in does
        keys.append(session.session_key)
    print(" ".join(keys))
    return keys


def reader_cookies(kind: str, session_keys: list[str], seed: int = 3) -> list[str] | None:
    """The readers' cookies: none (anonymous); a visit that started at a time of its own, so each sees its own
    "New" markers (returning, RETURNING_READERS of them); the same and a session of their own (logged-in). Like a
    browser, a returning reader sends back the CSRF cookie an earlier page set (32 hex digits are a valid secret)."""
    from papertide.web.visits import SEEN_COOKIE, SINCE_COOKIE

    if kind == "anonymous":
        return None
    rng = random.Random(seed)
    now = time.time()
    cookies = []
    for n in range(len(session_keys) if kind == "logged-in" else RETURNING_READERS):
        visit = (f"{SEEN_COOKIE}={now - 60:.0f}; {SINCE_COOKIE}={now - rng.uniform(3600, 30 * 86400):.0f}; "
                 f"csrftoken={rng.getrandbits(128):032x}")
        cookies.append(visit + (f"; sessionid={session_keys[n]}" if kind == "logged-in" else ""))
    return cookies


COMMENT_TEXTS = [
    "Does the method need $O(n^2)$ memory, or does the **sparse** variant in the appendix avoid it?",
    "The ablation in Table 3 is convincing. Code: https://github.com/example/repo (not yet released?)",
    "How does this compare with the baseline of [the earlier paper](https://arxiv.org/abs/2411.17775)?",
    "> we prove that the bound is tight\n\nOnly for $d \\geq 3$, as far as I can see.",
    "Nice. A few typos:\n\n- eq. (4): $\\sum_i x_i$ should run to $n$\n- Fig. 2 caption\n- ref. [12]",
    "We tried this on our data and it works; the `lr=3e-4` default matters a lot.",
]


def add_discussions(per_paper: int, papers: int = DISCUSSED_PAPERS, seed: int = 7) -> list[str]:
    """Give `papers` papers `per_paper` comments each (about a third of them replies), written by the site's readers
    (the logged-in readers of the benchmark among them), each upvoted by up to five; print the papers' ids. A site
    that has them already is left as it is. Run in the site's Django."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from papertide.discussion import markup
    from papertide.discussion.models import Comment, CommentVote
    from papertide.discussion.rules import changed, recount_votes
    from papertide.papers.models import Paper

    discussed = list(Paper.objects.filter(comment_count__gt=0).values_list("arxiv_id", flat=True))
    if not discussed:
        rng = random.Random(seed)
        users = list(get_user_model().objects.order_by("pk")[:BENCH_READERS])
        chosen = rng.sample(list(Paper.objects.values_list("pk", flat=True)), papers)
        rendered = [(text, markup.render(text)) for text in COMMENT_TEXTS]
        with transaction.atomic():
            for paper_id in chosen:
                def comment(parent=None) -> Comment:
                    body, html = rng.choice(rendered)
                    return Comment(paper_id=paper_id, author=rng.choice(users), parent=parent, body=body, html=html)

                tops = Comment.objects.bulk_create([comment() for _ in range(per_paper - per_paper // 3)])
                Comment.objects.bulk_create([comment(rng.choice(tops)) for _ in range(per_paper // 3)])
            votes = [CommentVote(user=voter, comment_id=comment_id)
                     for comment_id in Comment.objects.values_list("pk", flat=True)
                     for voter in rng.sample(users, rng.randrange(6))]
            CommentVote.objects.bulk_create(votes, ignore_conflicts=True)
            recount_votes(Comment.objects.values_list("pk", flat=True))
            changed(chosen)
        discussed = list(Paper.objects.filter(pk__in=chosen).values_list("arxiv_id", flat=True))
    print(" ".join(discussed))
    return discussed


def search_scenario(queries_file: Path) -> dict[str, dict[str, list[str]]]:
    """Half the clients search through the API (each query of a BEIR queries.jsonl file, as written), half read
    the latest day: search latency with other load running (issue #12's target), and what searching does to
    the readers."""
    queries = [json.loads(line)["text"] for line in queries_file.read_text().splitlines() if line.strip()]
    searches = [f"/api/v1/search?{urlencode({'q': query[:600], 'limit': 10})}" for query in queries]
    feed = [f"/?sort={sort}&page={page}" for sort in ("trending", "upvotes", "newest") for page in (1, 2, 3)]
    return {f"search under load ({len(set(queries))} distinct queries, no query cache)": {
        "search": searches, "latest day": feed}}


def run_pages_benchmark(work: Path, papers: int, days: int, clients: int, seconds: float, workers: int,
                        threads: int, page_cache: bool, readers: tuple[str, ...] = READERS,
                        server_source: Path | None = None,
                        mixes: dict[str, dict[str, list[str]]] | None = None,
                        comments: int | None = None, slow_clients: int = 0,
                        database_url: str = "", rank_ahead: bool = True) -> dict[tuple[str, str], LoadFigures]:
    """`server_source`: serve from another checkout of papertide (for a before/after comparison). `mixes`: what
    the clients ask for, if not the page mixes of `scenarios`; `comments`: instead, the pages of DISCUSSED_PAPERS
    papers with this many comments each (`add_discussions`). The server has no rate limits and no query-vector
    cache: the benchmark measures the work, not the protections. `slow_clients`: that many slow and idle
    connections are held against the server meanwhile (`slow_clients.SlowClients`). `rank_ahead`: the logged-in
    readers' latest day is ranked before the clients start, as the worker does after the daily ingest."""
    env = bench_env(work, page_cache, database_url)
    ensure_site(work, papers, days, env)
    session_keys = []
    if "logged-in" in readers:
        made = subprocess.run([sys.executable, "-c", "from papertide.cli import setup_django; setup_django(migrate=True); "
                               "from papertide.bench.pages import make_readers; make_readers()"],
                              env=env, check=True, capture_output=True, text=True)
        session_keys = made.stdout.split()
        if rank_ahead:
            subprocess.run([sys.executable, "-c", "from papertide.cli import setup_django; setup_django(); "
                            "from papertide.web.ahead import rank_ahead_all; rank_ahead_all()"],
                           env=env, check=True, capture_output=True, text=True)
    if comments:
        made = subprocess.run([sys.executable, "-c", "from papertide.cli import setup_django; setup_django(migrate=True); "
                               f"from papertide.bench.pages import add_discussions; add_discussions({comments})"],
                              env=env, check=True, capture_output=True, text=True)
        mixes = {f"paper pages with {comments} comments ({DISCUSSED_PAPERS} papers, both sorts)": {"discussed paper": [
            f"/papers/{arxiv_id}/{sort}" for arxiv_id in made.stdout.split() for sort in ("", "?comments=newest")]}}
    pause_log = Path(env["PAPERTIDE_GC_PAUSE_LOG"])
    pause_log.unlink(missing_ok=True)
    with Served(work, env, workers, threads, server_source) as served, SlowClients(served.port, slow_clients):
        return {(name, reader): run_load(served.port, paths, clients, seconds, warmup=3,
                                         cookies=reader_cookies(reader, session_keys),
                                         pause_log=pause_log, server_cpu=served.cpu_seconds)
                for name, paths in (mixes or scenarios(env)).items() for reader in readers}
