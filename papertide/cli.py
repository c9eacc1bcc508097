"""The `papertide` command: the front door to every job."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from papertide import __version__
from papertide.conf import ConfigError
from papertide.sources.records import SourceError

# Errors a user can fix; they are shown as one line, never as a traceback.
USER_ERRORS = (ConfigError, SourceError)


def setup_django(*, migrate: bool = False) -> None:
    """Configure Django; with `migrate`, also bring the database schema up to date."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise ConfigError(str(exc)) from None
    if migrate:
        from django.db import connection

        if connection.vendor == "sqlite":  # one machine: every command brings its own database up to date
            migrate_database(verbosity=0)
            return
        # Shared by processes on several machines: migrations are run once, on purpose, by `papertide migrate`.
        pending = pending_migrations()
        if pending:
            raise ConfigError(f"the database needs {len(pending)} migration(s) ({pending[0]}, …): run "
                              "`papertide migrate` once, from one machine, then start this command again")
        from papertide.db_copy import unfinished_copy

        if unfinished_copy(connection):
            raise ConfigError("a `papertide db copy` into this database has not finished: run it again (it carries "
                              "on where it stopped), then start this command")


def pending_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def migrate_database(verbosity: int = 1) -> None:
    """Apply the migrations; on PostgreSQL under an advisory lock, so two machines running it at once take turns."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        call_command("migrate", interactive=False, verbosity=verbosity)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
        try:
            call_command("migrate", interactive=False, verbosity=verbosity)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])


MIGRATION_LOCK = 0x70617065  # any constant: the advisory lock's key


class PapertideGroup(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=PapertideGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="papertide")
def cli() -> None:
    """papertide: a self-hostable daily research-papers platform.

    Settings come from PAPERTIDE_* environment variables or PAPERTIDE_DATA_DIR/papertide.toml
    (see docs/settings.md). Data lives in PAPERTIDE_DATA_DIR (default ./papertide-data).
    """


@cli.command()
@click.option("--host", help="Address to listen on  [default: PAPERTIDE_HOST or 127.0.0.1]")
@click.option("--port", type=click.IntRange(1, 65535), help="Port  [default: PAPERTIDE_PORT or 8000]")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes  [default: PAPERTIDE_WORKERS or 2]")
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True, help="Threads per worker")
@click.option("--no-demo", is_flag=True, help="Do not load the demo day into an empty database.")
def serve(host: str | None, port: int | None, workers: int | None, threads: int, no_demo: bool) -> None:
    """Serve the site (the main job).

    On first run this creates the database and loads the bundled demo day (one real day of arXiv,
    1,504 papers); later runs just serve.
    """
    setup_django(migrate=True)
    from django.conf import settings
    from django.db import connections

    from papertide.papers.models import Paper
    from papertide.web.server import run_server

    if not no_demo and not Paper.objects.exists():
        click.echo("Empty database: loading the demo day (one real day of arXiv announcements)…")
        _load_demo()
    if Paper.objects.pending_index().exists():
        from papertide.search.indexer import index_in_background

        click.echo(f"Indexing new papers in the background (log: {settings.DATA_DIR / 'index.log'}).")
        index_in_background()
    host, port = host or settings.SERVE_HOST, port or settings.SERVE_PORT
    if not settings.BASE_URL_GIVEN:  # links in emails sent by the site point where it listens (--port included)
        reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        settings.BASE_URL = f"http://[{reachable}]:{port}" if ":" in reachable else f"http://{reachable}:{port}"
    # Worker processes are forked from this one (and keep these settings); each opens its own database connection.
    connections.close_all()
    run_server(host=host, port=port, workers=workers or settings.SERVE_WORKERS, threads=threads)


def _load_demo() -> None:
    from papertide.demo import load_demo_day

    result = load_demo_day()
    click.echo(f"Demo day loaded: {result}.")


@cli.command()
def demo() -> None:
    """Load the bundled demo day (idempotent: a second run changes nothing)."""
    setup_django(migrate=True)
    _load_demo()


@cli.command()
@click.option("--rebuild", is_flag=True, help="Rebuild the full-text and vector indexes from the database; searches use the old ones until the new ones are in place.")
@click.option("--chunk-size", type=click.IntRange(1, 10_000), default=256, show_default=True,
              help="Papers embedded and committed together.")
@click.option("--no-progress", is_flag=True, help="No progress bar (for logs).")
@click.option("--follow", is_flag=True,
              help="On a web machine without a worker: bring this machine's index files up to date from the papers "
                   "and embeddings in the database (embedding nothing).")
@click.option("--every", type=click.FloatRange(0), default=0, metavar="SECONDS",
              help="With --follow: keep following, a pass every SECONDS, until stopped.")
def index(rebuild: bool, chunk_size: int, no_progress: bool, follow: bool, every: float) -> None:
    """Index new or changed papers: full text, embeddings, vectors.

    Resumable: stop it at any moment and run it again. Stored embeddings are reused unless the
    paper's text or the configured model (PAPERTIDE_EMBEDDING_MODEL) changed.
    """
    setup_django(migrate=True)
    from papertide.search.indexer import IndexBusy, run_index

    if follow:
        from papertide import stopping
        from papertide.search import follow as following

        if every:
            stopping.install()
            following.follow(every)
            return
        try:
            click.echo(str(following.follow_once()))
        except IndexBusy as exc:
            click.echo(str(exc))
        return
    try:
        report = run_index(rebuild=rebuild, chunk_size=chunk_size, progress=not no_progress)
    except IndexBusy as exc:
        click.echo(str(exc))
        return
    click.echo(f"Index up to date: {report}.")


@cli.command("migrate")
def migrate_command() -> None:
    """Create or update the database's tables. On SQLite every command does this itself; on PostgreSQL run it
    once after installing or upgrading, before starting `serve` and `worker` (they refuse to start until then)."""
    setup_django()
    pending = pending_migrations()
    if not pending:
        click.echo("The database is up to date.")
        return
    click.echo(f"Applying {len(pending)} migration(s)…")
    migrate_database()
    click.echo("The database is up to date.")


@cli.command("check")
def check_command() -> None:
    """Check the settings, the database and its migrations, the search index, the shared cache and the mail
    server (a session is opened, nothing is sent); exit status 1 if any fails."""
    setup_django()
    from django.db import connection

    if connection.vendor == "sqlite":  # as every command on one machine does; on PostgreSQL it is reported
        migrate_database(verbosity=0)
    from papertide.operations import run_checks

    results = run_checks()
    for result in results:
        click.echo(f"{'ok' if result.ok else 'FAILED':>6}  {result.name}: {result.detail}")
    if not all(result.ok for result in results):
        raise SystemExit(1)


@cli.group()
def db() -> None:
    """Moving the site's database (docs/deploy.md#from-sqlite-to-postgresql)."""


@db.command("copy")
@click.option("--to", "url", required=True, metavar="postgres://…",
              help="An empty PostgreSQL database (created, with the user that owns it).")
@click.option("--batch-size", type=click.IntRange(1, 1_000_000), default=20_000, show_default=True,
              help="Rows per COPY, each committed on its own.")
@click.option("--no-progress", is_flag=True, help="No progress bars (for logs).")
def db_copy(url: str, batch_size: int, no_progress: bool) -> None:
    """Copy this site's SQLite database (papers, listings, readers, upvotes, comments, collections, tokens,
    subscribers, digests, embeddings) into an empty PostgreSQL database, then check every table's rows on both
    sides. Stop the site first. Interrupted, it carries on where it stopped when run again."""
    setup_django(migrate=True)
    from django.db import connection
    from tqdm import tqdm

    from papertide.db_copy import CopyError, copy

    if connection.vendor != "sqlite":
        raise ConfigError("db copy reads the SQLite database in PAPERTIDE_DATA_DIR: unset PAPERTIDE_DATABASE_URL "
                          "for this command and give the PostgreSQL database with --to")
    bars: dict[str, tqdm] = {}

    def progress(table: str, done: int, total: int) -> None:
        if no_progress:
            return
        bar = bars.get(table) or bars.setdefault(table, tqdm(total=total, desc=table, unit="row", initial=0))
        bar.update(done - bar.n)

    try:
        report = copy(url, batch=batch_size, progress=progress)
    except CopyError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        for bar in bars.values():
            bar.close()
    click.echo(f"Copied: {report}. Now set PAPERTIDE_DATABASE_URL to it and run `papertide index` once.")


@cli.command("recount")
def recount_command() -> None:
    """Repair the counts kept on rows from the rows they count: papers' upvotes and comments, comments' scores (and
    the trending scores that follow). Safe on a live site; rewrites only what it finds wrong."""
    setup_django(migrate=True)
    from papertide.recount import recount

    click.echo(str(recount()))


@cli.command("trending")
def trending_command() -> None:
    """Recompute every paper's trending score (after changing a PAPERTIDE_TRENDING_ setting)."""
    setup_django(migrate=True)
    from papertide.papers.trending import refresh_all

    click.echo(f"{refresh_all():,} trending scores changed.")


@cli.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 500), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def search(query: str, limit: int, as_json: bool) -> None:
    """Search papers by meaning and by words.

    Filters: author:"Name", cat:cs.CV (or cat:cs), from:2024-11-01, to:2024-11. An arXiv id or a
    paper's exact title finds that paper first.
    """
    import json

    setup_django()
    from papertide.papers.models import Paper
    from papertide.search.service import search as run_search

    result = run_search(query, limit)
    papers = Paper.objects.in_bulk(result.paper_ids)
    hits = [papers[paper_id] for paper_id in result.paper_ids if paper_id in papers]
    if as_json:
        click.echo(json.dumps({
            "mode": result.mode, "notice": result.notice,
            "results": [{"arxiv_id": p.arxiv_id, "title": p.title, "authors": p.authors} for p in hits],
        }, ensure_ascii=False, indent=2))
        return
    if result.notice:
        click.echo(result.notice, err=True)
    if not hits:
        click.echo("No papers found.")
    for rank, paper in enumerate(hits, start=1):
        click.echo(f"{rank:>3}. {paper.arxiv_id:<18} {paper.title}")


@cli.group()
def bench() -> None:
    """Benchmarks that print their figures and the machine (see docs/benchmarks.md)."""


@bench.command("search")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("../shared/data/ir"), show_default=True,
              help="Folder holding scifact/, cranfield/ and cisi/ in BEIR layout.")
@click.option("--sizes", default="100000,1000000", show_default=True,
              help="Synthetic corpus sizes for the latency part (comma-separated; empty to skip).")
@click.option("--queries", type=click.IntRange(10, 10_000), default=300, show_default=True,
              help="Queries timed per corpus size.")
@click.option("--skip-relevance", is_flag=True, help="Only the latency part.")
@click.option("--floor", is_flag=True, help="Only calibrate the \"no close match\" floor (PAPERTIDE_SEARCH_CLOSE_MATCH).")
@click.option("--database", "database_url", default="", metavar="postgres://…",
              help="Also time vector and hybrid search with the vectors in PostgreSQL (pgvector) at each size: a "
                   "scratch database made on this server (its user needs CREATEDB) and dropped after, the files' "
                   "figures of the same run beside them.")
def bench_search(data_dir: Path, sizes: str, queries: int, skip_relevance: bool, floor: bool,
                 database_url: str) -> None:
    """Search relevance (nDCG@10, recall@100 on SciFact, Cranfield, CISI) and latency at scale."""
    if database_url and not floor:
        _bench_search_on_postgres(data_dir, sizes, queries, skip_relevance, database_url)
        return
    setup_django()
    from django.conf import settings

    from papertide.bench import machine_summary
    from papertide.search.embedder import get_embedder

    embedder = get_embedder(settings.EMBEDDING_MODEL)
    cache_dir = settings.DATA_DIR / "bench-cache"
    click.echo(f"Machine: {machine_summary()}")
    if floor:
        from papertide.bench.relevance import run_floor_calibration

        click.echo(run_floor_calibration(data_dir, embedder, cache_dir).as_markdown())
        return
    if not skip_relevance:
        from papertide.bench.relevance import run_relevance

        report = run_relevance(data_dir, embedder, cache_dir)
        click.echo("\n| collection | method | nDCG@10 | recall@100 |\n|---|---|---|---|")
        for name, method, ndcg, recall in report.rows:
            click.echo(f"| {name} | {method} | {ndcg:.3f} | {recall:.3f} |")
        click.echo(f"\nChosen on Cranfield+CISI: text weight {report.chosen[0]}, top {report.chosen[1]}; "
                   f"served: text weight {report.served[0]}, top {report.served[1]}.")
    for size in [int(s) for s in sizes.replace(" ", "").split(",") if s]:
        from papertide.bench.latency import run_latency

        click.echo(run_latency(size, data_dir, embedder, cache_dir, queries).as_markdown())


def _bench_search_on_postgres(data_dir: Path, sizes: str, queries: int, skip_relevance: bool, url: str) -> None:
    """Relevance, then each size, in a process of its own whose database is a new scratch one."""
    import subprocess
    import sys

    from papertide.bench.scratch import scratch_database

    command = [sys.executable, "-m", "papertide", "bench", "search", "--data", str(data_dir), "--queries", str(queries)]
    runs = ([["--sizes", ""]] if not skip_relevance else [])
    runs += [["--skip-relevance", "--sizes", size] for size in sizes.replace(" ", "").split(",") if size]
    for run in runs:
        with scratch_database(url) as scratch:
            migrated = {**os.environ, "PAPERTIDE_DATABASE_URL": scratch}
            subprocess.run([sys.executable, "-m", "papertide", "migrate"], env=migrated, check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run([*command, *run], env=migrated, check=True)


@bench.command("import")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("../shared/data/arxiv/metadata"), show_default=True,
              help="Folder with the real Kaggle-format samples (*.json, *.jsonl).")
@click.option("--records", type=click.IntRange(1000, 10_000_000), default=200_000, show_default=True)
@click.option("--database", "database_url", default="", metavar="postgres://…",
              help="Also import into PostgreSQL: a scratch database made on this server (its user needs CREATEDB) "
                   "and dropped after; the SQLite figure of the same run is printed beside it.")
def bench_import(data_dir: Path, records: int, database_url: str) -> None:
    """Kaggle dump import speed (papers/s) on a generated dump made from real lines."""
    from papertide.bench import machine_summary
    from papertide.bench.importer import run_import_benchmark
    from papertide.bench.scratch import scratch_database

    samples = _kaggle_samples(data_dir)
    click.echo(f"Machine: {machine_summary()}")
    runs = [("SQLite", "")] + ([("PostgreSQL", database_url)] if database_url else [])
    for name, url in runs:
        if url:
            with scratch_database(url) as scratch:
                figures = run_import_benchmark(samples, records, scratch)
        else:
            figures = run_import_benchmark(samples, records)
        click.echo(f"{name}: {figures.records:,} records ({figures.file_mb:,.0f} MB) imported in "
                   f"{figures.seconds:.1f} s: {figures.per_second:,.0f} papers/s (whole command: start-up, parsing, "
                   "upsert, commits).")


def _kaggle_samples(data_dir: Path) -> list[Path]:
    samples = sorted(p for p in data_dir.iterdir() if p.suffix in (".json", ".jsonl"))
    if not samples:
        raise SourceError(f"no *.json or *.jsonl samples in {data_dir}")
    return samples


@bench.command("copy")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("../shared/data/arxiv/metadata"), show_default=True,
              help="Folder with the real Kaggle-format samples (*.json, *.jsonl).")
@click.option("--records", type=click.IntRange(1000, 10_000_000), default=200_000, show_default=True)
@click.option("--database", "database_url", required=True, metavar="postgres://…",
              help="A PostgreSQL server: the copy goes to a scratch database made there and dropped after.")
def bench_copy(data_dir: Path, records: int, database_url: str) -> None:
    """`papertide db copy` speed: a SQLite site of imported papers copied into PostgreSQL, checks included."""
    from papertide.bench import machine_summary
    from papertide.bench.importer import run_copy_benchmark
    from papertide.bench.scratch import scratch_database

    samples = _kaggle_samples(data_dir)
    click.echo(f"Machine: {machine_summary()}")
    with scratch_database(database_url) as scratch:
        rows, seconds = run_copy_benchmark(samples, records, scratch)
    click.echo(f"{records:,} papers ({rows:,} rows) copied from SQLite to PostgreSQL and verified in {seconds:.1f} s: "
               f"{records / seconds:,.0f} papers/s, {rows / seconds:,.0f} rows/s (whole command).")


@bench.command("pages")
@click.option("--papers", type=click.IntRange(1000, 2_000_000), default=100_000, show_default=True)
@click.option("--days", type=click.IntRange(1, 2000), default=100, show_default=True,
              help="Weekdays the papers are spread over.")
@click.option("--clients", type=click.IntRange(1, 256), default=16, show_default=True)
@click.option("--seconds", type=click.FloatRange(1, 3600), default=30, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="gunicorn processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True, help="Threads per process.")
@click.option("--no-page-cache", is_flag=True, help="Render every page (PAPERTIDE_PAGE_CACHE_SECONDS=0).")
@click.option("--readers", default="anonymous,returning,logged-in", show_default=True,
              help="Kinds of reader, each measured on every mix: anonymous (no cookies), returning (a visit cookie "
                   "of their own: their own New markers), logged-in (a session of their own, with upvotes).")
@click.option("--site", "work", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data directory of the generated site, kept for the next run [default: DATA_DIR/bench-pages-N].")
@click.option("--server-source", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Serve the site from this checkout of papertide instead (to compare before and after a change).")
@click.option("--search-queries", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Instead of the page mixes: half the clients search through the API with these queries (a BEIR "
                   "queries.jsonl, e.g. ../shared/data/ir/scifact/queries.jsonl), half read the feed.")
@click.option("--comments", type=click.IntRange(1, 5000), default=None,
              help="Instead of the page mixes: the pages of 20 papers with this many comments each (written by the "
                   "bench's readers, with replies, math and upvotes).")
@click.option("--slow-clients", type=click.IntRange(0, 2000), default=0, show_default=True,
              help="Hold this many slow connections against the server meanwhile: half send a request head a line "
                   "a second and never finish it, half send nothing (a slowloris attack).")
@click.option("--database", "database_url", default="", metavar="postgres://…",
              help="Serve the site from PostgreSQL: a scratch database made on this server (its user needs "
                   "CREATEDB), built anew and dropped after.")
@click.option("--no-rank-ahead", is_flag=True,
              help="Logged-in readers come without their latest day ranked ahead (which the worker does after "
                   "each daily ingest): each first view of it is ranked in the request.")
def bench_pages(papers: int, days: int, clients: int, seconds: float, workers: int, threads: int,
                no_page_cache: bool, readers: str, work: Path | None, server_source: Path | None,
                search_queries: Path | None, comments: int | None, slow_clients: int, database_url: str,
                no_rank_ahead: bool) -> None:
    """Feed and paper page latency (p50/p99) and requests/s under concurrent clients: three mixes of pages, each
    for anonymous, returning and logged-in readers."""
    setup_django()
    from django.conf import settings

    from contextlib import nullcontext

    from papertide.bench import machine_summary
    from papertide.bench.pages import READERS, run_pages_benchmark, search_scenario
    from papertide.bench.scratch import scratch_database

    kinds = tuple(kind.strip() for kind in readers.split(",") if kind.strip())
    if not kinds or set(kinds) - set(READERS):
        raise click.BadParameter(f"choose from {', '.join(READERS)}", param_hint="--readers")
    work = work or settings.DATA_DIR / f"bench-pages-{papers}{'-postgres' if database_url else ''}"
    work.mkdir(parents=True, exist_ok=True)
    click.echo(f"Machine: {machine_summary()}")
    with scratch_database(database_url) if database_url else nullcontext("") as scratch:
        results = run_pages_benchmark(work.resolve(), papers, days, clients, seconds, workers, threads,
                                      not no_page_cache, kinds, server_source,
                                      search_scenario(search_queries) if search_queries else None, comments,
                                      slow_clients, scratch, rank_ahead=not no_rank_ahead)
    click.echo(f"\n{papers:,} papers over {days} weekdays on {'PostgreSQL' if database_url else 'SQLite'}, "
               f"{workers} gunicorn workers × {threads} threads, "
               f"page cache {'off' if no_page_cache else 'on'}"
               + (f", {slow_clients} slow and idle connections held" if slow_clients else "") + ":")
    for (name, reader), figures in results.items():
        click.echo(f"\n#### {name} — {reader} readers\n\n{figures.as_markdown()}")


@bench.command("digest")
@click.option("--subscribers", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True)
@click.option("--for-you", is_flag=True, help="Every subscriber an account with 20 saved papers and a digest "
              "ranked for them (compare with a run without).")
def bench_digest(subscribers: int, for_you: bool) -> None:
    """Digests rendered and delivered to a local SMTP server: seconds for N subscribers."""
    setup_django()
    from django.conf import settings

    from papertide.bench import machine_summary
    from papertide.bench.digest import run_digest_benchmark

    work = settings.DATA_DIR / f"bench-digest-{subscribers}{'-for-you' if for_you else ''}"
    work.mkdir(parents=True, exist_ok=True)
    click.echo(f"Machine: {machine_summary()}")
    figures = run_digest_benchmark(work.resolve(), subscribers, for_you)
    click.echo(f"{figures.delivered:,} of {figures.subscribers:,} digests delivered in {figures.seconds:.1f} s "
               f"({figures.per_second:,.0f}/s, the whole command: start-up, choosing, rendering, SMTP).")
    click.echo(f"sender: {figures.output}")


@bench.command("recs")
@click.option("--papers", "papers_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON lines: id, title, abstract (e.g. ../shared/data/recsys/citeulike/papers.jsonl).")
@click.option("--libraries", "libraries_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TSV: reader id, a tab, the space-separated paper ids of their library.")
@click.option("--protocol", type=click.Choice(["warm", "new", "both"]), default="both", show_default=True,
              help="warm: held-out library papers among all papers; new: only today's papers are candidates.")
@click.option("--readers", type=click.IntRange(0), default=0, help="Only the first N readers (0: all).")
@click.option("--no-baselines", is_flag=True, help="Only papertide's own ranking.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per protocol instead of tables.")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory of the bench site, kept for the next run  [default: DATA_DIR/bench-recs].")
@click.option("--speed", "speed_papers", type=click.IntRange(1000), default=None,
              help="Instead: time one day's ranking on a generated site of N papers (e.g. 100000).")
@click.option("--speed-readers", type=click.IntRange(10), default=10_000, show_default=True)
def bench_recs(papers_file: Path | None, libraries_file: Path | None, protocol: str, readers: int, no_baselines: bool,
               as_json: bool, work: Path | None, speed_papers: int | None, speed_readers: int) -> None:
    """Quality (recall@20, nDCG@10) of "For you" on real readers' libraries, beside the baselines; or, with --speed,
    how fast one day is ranked for a reader on a large site."""
    import json as json_module

    from papertide.bench.recs import Corpus, run, run_speed

    base = Path(os.environ.get("PAPERTIDE_DATA_DIR", "papertide-data"))
    if speed_papers:
        work = (work or base / "bench-recs") / f"speed-{speed_papers}-{speed_readers}"
        work.mkdir(parents=True, exist_ok=True)
        os.environ["PAPERTIDE_DATA_DIR"] = str(work.resolve())
        os.environ["PAPERTIDE_SEARCH_EXACT_THRESHOLD"] = str(10**9)  # the ranking reads vectors, never the graph
        os.environ.setdefault("PAPERTIDE_LOG_LEVEL", "WARNING")
        setup_django(migrate=True)
        from papertide.bench import machine_summary

        figures = run_speed(speed_papers, speed_readers, 50, 1000, 200, progress=not as_json)
        if as_json:
            click.echo(json_module.dumps(figures))
        else:
            click.echo(f"Machine: {machine_summary()}")
            click.echo(f"{figures['papers']:,} papers, {figures['readers']:,} readers × {figures['positives']} saves "
                       f"({figures['pairs']:,} pairs, loaded in {figures['community_load_s']} s per web process "
                       f"every RECS_COMMUNITY_SECONDS); one day of {figures['day_papers']:,} papers ranked for "
                       f"{figures['samples']} readers: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
        return
    if papers_file is None or libraries_file is None:
        raise click.UsageError("give --papers and --libraries (or --speed N)")
    corpus = Corpus.read(papers_file, libraries_file)
    work = (work or base / "bench-recs") / corpus.digest
    work.mkdir(parents=True, exist_ok=True)
    os.environ["PAPERTIDE_DATA_DIR"] = str(work.resolve())  # the bench site, not the operator's
    os.environ.setdefault("PAPERTIDE_LOG_LEVEL", "WARNING")
    setup_django(migrate=True)
    from papertide.bench import machine_summary

    if not as_json:
        click.echo(f"Machine: {machine_summary()}")
    for name in (["warm", "new"] if protocol == "both" else [protocol]):
        result = run(corpus, name, readers=readers, with_baselines=not no_baselines, progress=not as_json)
        if as_json:
            click.echo(json_module.dumps(result))
            continue
        click.echo(f"\n{name}: {result['readers']} readers, {result['papers']} papers, "
                   f"{result['candidates']} candidates")
        click.echo(f"  {'system':<22} {'recall@20':>9} {'nDCG@10':>8}")
        for system, figures in result["systems"].items():
            click.echo(f"  {system:<22} {figures['recall@20']:>9.3f} {figures['ndcg@10']:>8.3f}")
        latency = result["latency_ms"]
        click.echo(f"  papertide's ranking per reader: p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms")


@bench.command("embedding")
@click.option("--papers", type=click.IntRange(32, 1504), default=500, show_default=True,
              help="Papers of the demo day to embed (twice: raw, then through the index stage).")
def bench_embedding(papers: int) -> None:
    """Embedding throughput of the index stage as a share of the model's raw throughput (target ≥ 80 %)."""
    import os
    import subprocess
    import sys
    import tempfile

    from papertide.bench import machine_summary

    click.echo(f"Machine: {machine_summary()}")
    with tempfile.TemporaryDirectory(prefix="papertide-bench-embedding-") as work:
        code = ("from papertide.cli import setup_django; setup_django(migrate=True); "
                "from papertide.bench.embedding import run_embedding_benchmark as run; "
                f"f = run({papers}); print(f'{{f.papers}} {{f.raw_per_second}} {{f.stage_per_second}}')")
        env = {**os.environ, "PAPERTIDE_DATA_DIR": work, "PAPERTIDE_LOG_LEVEL": "WARNING"}
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    count, raw, stage = result.stdout.split()[-3:]
    click.echo(f"{int(count):,} papers: model alone {float(raw):.1f} papers/s, index stage {float(stage):.1f} papers/s "
               f"= {float(stage) / float(raw):.0%} of raw.")


@bench.command("index")
@click.option("--database", "database_url", required=True, metavar="postgres://…",
              help="A PostgreSQL server: the runs share a scratch database made there (its user needs CREATEDB) and "
                   "dropped after.")
@click.option("--papers", type=click.IntRange(32, 1504), default=1504, show_default=True,
              help="Papers of the demo day to embed again each time.")
@click.option("--workers", default="1,2", show_default=True, help="Numbers of index runs at once (comma-separated).")
@click.option("--chunk-size", type=click.IntRange(1, 10_000), default=64, show_default=True,
              help="Papers a run claims at a time.")
def bench_index(database_url: str, papers: int, workers: str, chunk_size: int) -> None:
    """Embedding throughput of one `papertide index` run, then of several at once sharing one backlog (each in a
    data directory of its own, as on machines of their own)."""
    from papertide.bench import machine_summary
    from papertide.bench.index_workers import run_index_workers
    from papertide.bench.scratch import scratch_database

    counts = [int(count) for count in workers.replace(" ", "").split(",") if count]
    click.echo(f"Machine: {machine_summary()}")
    with scratch_database(database_url) as scratch:
        for run in run_index_workers(scratch, papers, counts, chunk_size):
            shares = " + ".join(f"{count:,}" for count in run.embedded_by_each)
            click.echo(f"{run.workers} run(s) at once: {run.papers:,} papers embedded in {run.seconds:.1f} s, "
                       f"{run.per_second:.1f} papers/s ({shares}; whole commands, start-up included).")


@bench.command("keyphrases")
@click.option("--dataset", "datasets", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON lines of {title, abstract, keyphrases}, gzip'd [default: the Inspec and SemEval-2017 samples "
                   "in tests/fixtures/keyphrases].")
@click.option("--limit", type=click.IntRange(0), default=0, help="Only the first N documents of each (0: all).")
def bench_keyphrases(datasets: tuple[Path, ...], limit: int) -> None:
    """Keyphrase F1@5 against people's keyphrases: papertide's extractor beside YAKE and tf-idf."""
    from papertide.bench import machine_summary
    from papertide.bench.keyphrases import FIXTURES, run

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    click.echo(f"Machine: {machine_summary()}")
    for dataset in datasets or sorted(FIXTURES.glob("*.jsonl.gz")):
        results = run(dataset, limit)
        click.echo(f"\n{dataset.name}\n| system | F1@5 | P@5 | R@5 | ms/document | first document |\n|---|---|---|---|---|---|")
        for system, score in results.items():
            example = ", ".join(score.examples[0]) if score.examples else ""
            click.echo(f"| {system} | {score.f1:.3f} | {score.precision:.3f} | {score.recall:.3f} | "
                       f"{score.seconds * 1000:.1f} | {example} |")


@bench.command("map")
@click.option("--papers", type=click.IntRange(1000), default=100_000, show_default=True)
@click.option("--days", type=click.IntRange(1), default=100, show_default=True)
@click.option("--runs", type=click.IntRange(1, 20), default=3, show_default=True, help="Browser loads of the map.")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory of the generated site, kept for the next run [default: DATA_DIR/bench-pages-N].")
def bench_map(papers: int, days: int, runs: int, work: Path | None) -> None:
    """The topic map at scale: layout time, data size and load time, frame time in a browser (Chromium)."""
    from papertide.bench import machine_summary
    from papertide.bench.topic_map import run_map_benchmark

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        raise click.UsageError("the map benchmark drives Debian's Chromium: apt-get install chromium")
    work = (work or Path(os.environ.get("PAPERTIDE_DATA_DIR", "papertide-data")) / f"bench-pages-{papers}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    click.echo(f"Machine: {machine_summary()}")
    f = run_map_benchmark(work, papers, days, runs, chromium)
    click.echo(f"{f['papers']:,} papers: layout fitted and everything placed in {f['fit_s']} s ({f['regions']} regions); "
               f"{f['placed']:,} new papers placed in {f['place_s']} s")
    click.echo(f"/map/points.bin: {f['bytes'] / 1e6:.2f} MB, {f['data_first_ms']} ms first, {f['data_again_ms']} ms again")
    click.echo(f"Browser, from navigation to the map drawn: {', '.join(str(v) for v in f['load_ms'])} ms")
    click.echo(f"Frames while zooming and panning ({f['frames']}): p50 {f['frame_p50_ms']} ms, p95 {f['frame_p95_ms']} ms, "
               f"max {f['frame_max_ms']} ms")


@bench.command("startup")
@click.option("--runs", type=click.IntRange(1, 20), default=3, show_default=True)
def bench_startup(runs: int) -> None:
    """Seconds until `papertide serve` answers its first request: first run and existing data."""
    from papertide.bench import machine_summary
    from papertide.bench.startup import run_startup

    click.echo(f"Machine: {machine_summary()}")
    click.echo("| run | empty data dir (first run) s | existing data dir s |\n|---|---|---|")
    for number, (first, again) in enumerate(run_startup(runs), start=1):
        click.echo(f"| {number} | {first:.2f} | {again:.2f} |")


@cli.group("import")
def import_group() -> None:
    """Import papers from files you already have."""


@import_group.command("arxiv-rss")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_arxiv_rss(files: tuple[Path, ...]) -> None:
    """Import saved arXiv announcement feeds (rss.arxiv.org responses; .xml or .xml.gz).

    Each file is one transaction: a file that cannot be read is reported and changes nothing.
    """
    import gzip

    setup_django(migrate=True)
    from papertide.papers.upsert import upsert_papers
    from papertide.sources.arxiv_rss import parse_announcement_feed

    for path in files:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        try:
            feed = parse_announcement_feed(data)
        except SourceError as exc:
            raise SourceError(f"{path}: {exc}") from None
        if not feed.records:
            click.echo(f"{path}: an empty announcement feed (arXiv announces nothing on weekends and holidays).")
            continue
        click.echo(f"{path}: {upsert_papers(feed.records)}.")


@import_group.command("kaggle")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--category", "categories", multiple=True, help="Keep papers in this category or archive (repeatable): cs, cs.CV, stat.ML.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Keep papers first submitted on or after this day.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Keep papers first submitted on or before this day.")
@click.option("--restart", is_flag=True, help="Ignore the saved position and read the file from the start.")
@click.option("--no-progress", is_flag=True)
def import_kaggle(path: Path, categories: tuple[str, ...], since, until, restart: bool, no_progress: bool) -> None:
    """Import the Kaggle arXiv metadata dump (arxiv-metadata-oai-snapshot.json, or .json.gz).

    Streamed and committed in batches with its position: stop it at any moment and run the same
    command again to continue. Unreadable lines are skipped and reported.
    """
    setup_django(migrate=True)
    from papertide.ingest.kaggle_import import KaggleFilter, import_kaggle_dump

    selection = KaggleFilter(list(categories), since.date() if since else None, until.date() if until else None)
    report = import_kaggle_dump(path, selection, restart=restart, progress=not no_progress)
    click.echo(f"{path.name}: {report.summary()}.")


@import_group.command("hf")
@click.argument("source")
@click.option("--date", "day", help="With a URL: the day's list (YYYY-MM-DD).")
@click.option("--week", help="With a URL: a week's list (YYYY-Www).")
@click.option("--month", help="With a URL: a month's list (YYYY-MM).")
def import_hf(source: str, day: str | None, week: str | None, month: str | None) -> None:
    """Import Hugging Face daily papers from a saved /api/daily_papers response or a URL.

    SOURCE is a file, or `hf` for PAPERTIDE_HF_DAILY_PAPERS_URL, or any URL serving that API.
    """
    setup_django(migrate=True)
    from django.conf import settings

    from papertide.ingest.jobs import default_fetcher, import_daily_papers

    if source == "hf" or source.startswith(("http://", "https://")):
        url = settings.HF_DAILY_PAPERS_URL if source == "hf" else source
        params = {key: value for key, value in (("date", day), ("week", week), ("month", month)) if value}
        data, target = default_fetcher().get(url, params or None), url
    else:
        path = Path(source)
        if not path.is_file():
            raise SourceError(f"{source}: no such file (give a saved response, `hf`, or a URL)")
        data, target = path.read_bytes(), str(path)
    run = import_daily_papers(data, target)
    click.echo(f"{target}: {run.created} new, {run.updated} updated, {run.unchanged} unchanged papers; "
               f"{run.listed} added to the daily list.")


@cli.group()
def ingest() -> None:
    """Fetch papers from arXiv (announcements, OAI-PMH backfill, single ids) and show past runs."""


@ingest.command("daily")
@click.option("--category", "categories", multiple=True, help="Override PAPERTIDE_CATEGORIES (repeatable).")
def ingest_daily(categories: tuple[str, ...]) -> None:
    """Today's arXiv announcements for the configured categories."""
    setup_django(migrate=True)
    from papertide.ingest.jobs import ingest_announcements

    run = ingest_announcements(list(categories) or None)
    click.echo(f"{run.get_status_display()}: {run.created} new, {run.updated} updated, {run.listed} listed. {run.message}")


@ingest.command("oai")
@click.option("--set", "set_spec", default="", help="OAI set, e.g. cs or physics:hep-th.")
@click.option("--from", "from_date", default="", help="First datestamp (YYYY-MM-DD).")
@click.option("--until", "until_date", default="", help="Last datestamp (YYYY-MM-DD).")
@click.option("--prefix", "metadata_prefix", type=click.Choice(["arXiv", "oai_dc"]), default="arXiv", show_default=True)
@click.option("--delay", type=click.FloatRange(0, 600), help="Seconds between requests [default: PAPERTIDE_ARXIV_REQUEST_DELAY, 3].")
@click.option("--restart", is_flag=True, help="Ignore the saved position and start from the first page.")
def ingest_oai(set_spec: str, from_date: str, until_date: str, metadata_prefix: str, delay: float | None,
               restart: bool) -> None:
    """Backfill through OAI-PMH ListRecords, resuming a harvest that was stopped."""
    setup_django(migrate=True)
    from papertide.ingest.jobs import HarvestRequest, harvest_oai

    def report_page(number, page) -> None:
        click.echo(f"page {number}: {len(page.records)} records" + (f" of {page.complete_list_size}" if page.complete_list_size else ""))

    request = HarvestRequest(metadata_prefix, set_spec, from_date, until_date)
    run = harvest_oai(request, restart=restart, delay=delay, on_page=report_page)
    click.echo(f"Harvest complete: {run.created} new, {run.updated} updated, {run.unchanged} unchanged ({run.message}).")


@ingest.command("ids")
@click.argument("arxiv_ids", nargs=-1, required=True)
def ingest_ids_command(arxiv_ids: tuple[str, ...]) -> None:
    """Fetch papers by arXiv id (2411.17775, hep-th/9901001, with or without version)."""
    setup_django(migrate=True)
    from papertide.ingest.jobs import ingest_ids

    run, missing = ingest_ids(list(arxiv_ids))
    click.echo(f"{run.created} new, {run.updated} updated, {run.unchanged} unchanged papers.")
    if missing:
        raise SourceError(f"arXiv does not know {', '.join(missing)}")


@ingest.command("github-stars")
@click.option("--limit", type=click.IntRange(1), help="Repositories to ask about [default: PAPERTIDE_GITHUB_STARS_PER_RUN].")
def ingest_github_stars(limit: int | None) -> None:
    """Stars and last push of the GitHub repositories papers link to (the worker runs it when PAPERTIDE_GITHUB_STARS
    or PAPERTIDE_GITHUB_TOKEN is set; running it by hand is asking for it)."""
    setup_django(migrate=True)
    from papertide.ingest.stars import refresh_stars

    run = refresh_stars(limit)
    click.echo(f"{run.get_status_display()}: {run.message}")


@ingest.command("summaries")
@click.option("--limit", type=click.IntRange(1), help="Papers to summarize [default: PAPERTIDE_LLM_PAPERS_PER_RUN].")
def ingest_summaries(limit: int | None) -> None:
    """Two-sentence AI summaries of the newest papers by the model at PAPERTIDE_LLM_URL."""
    setup_django(migrate=True)
    from django.conf import settings

    if not settings.LLM_URL:
        raise click.UsageError("set PAPERTIDE_LLM_URL (an OpenAI-compatible endpoint, e.g. http://localhost:11434/v1) "
                               "and PAPERTIDE_LLM_MODEL first; see docs/topics.md#ai-summaries")
    from papertide.ingest.summaries import write_summaries

    run = write_summaries(limit)
    click.echo(f"{run.get_status_display()}: {run.message}")
    if run.status == run.Status.FAILED:
        raise SystemExit(1)


@ingest.command("status")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
def ingest_status(limit: int) -> None:
    """The latest ingestion runs and when the next daily ingest is due."""
    setup_django(migrate=True)
    from django.conf import settings

    from papertide.ingest.models import IngestRun, ScheduledJob
    from papertide.ingest.runs import mark_stopped_runs

    mark_stopped_runs()
    job = ScheduledJob.objects.filter(name="daily-ingest").first()
    click.echo(f"Daily ingest: {settings.INGEST_SCHEDULE.describe()}; "
               + (f"next {job.next_due_at:%Y-%m-%d %H:%M} UTC" if job else "the worker has not run yet"))
    runs = IngestRun.objects.all()[:limit]
    if not runs:
        click.echo("No ingestion runs yet.")
    for run in runs:
        finished = f"{run.finished_at:%H:%M:%S}" if run.finished_at else "…"
        click.echo(f"{run.started_at:%Y-%m-%d %H:%M:%S}–{finished}  {run.job:<12} {run.get_status_display():<22} "
                   f"+{run.created} new ~{run.updated} updated ={run.listed} listed  {run.target[:40]}  {run.message[:120]}")


@cli.group()
def digest() -> None:
    """Email digests of the trending papers (docs/digests.md)."""


def _digest_day(value: str | None) -> dt.date:
    from papertide.digests.compose import today

    if value is None:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2024-11-28") from None


@digest.command("send")
@click.option("--period", "frequency", type=click.Choice(["daily", "weekly"]), required=True,
              help="daily: the lists since the previous weekday; weekly: last week's lists.")
@click.option("--date", "day", default=None, help="The day the digest is for (YYYY-MM-DD) [default: today].")
@click.option("--dry-run", is_flag=True, help="Show who would get which papers; record and send nothing.")
@click.option("--no-progress", is_flag=True, help="No progress bar (for logs).")
def digest_send(frequency: str, day: str | None, dry_run: bool, no_progress: bool) -> None:
    """Send this period's digest to every confirmed subscriber who chose it, at most once each.
    Safe to re-run, and to kill: a re-run sends what is left and nothing twice. SIGTERM or Ctrl-C stops it between
    two messages."""
    setup_django(migrate=True)
    from papertide import stopping
    from papertide.digests.sender import MailServerUnreachable, send_digests

    stopping.install()
    try:
        report = send_digests(frequency, _digest_day(day), dry_run=dry_run, progress=not no_progress, echo=click.echo)
    except MailServerUnreachable as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(("Dry run, nothing sent. Would send: " if dry_run else "") + str(report))


@cli.group()
def notify() -> None:
    """Notifications: the daily email, and new papers by followed authors (docs/discussion.md#notifications)."""


@notify.command("send")
@click.option("--date", "day", default=None, help="The day the emails count as (YYYY-MM-DD) [default: today].")
def notify_send(day: str | None) -> None:
    """Email each reader what they were told since their last email, of the kinds they chose: at most one email a
    reader a day, however often this runs (the worker runs it daily)."""
    setup_django(migrate=True)
    from papertide import stopping
    from papertide.notifications.mail import send_emails

    stopping.install()
    click.echo(str(send_emails(_digest_day(day))))


@notify.command("new-papers")
@click.option("--date", "day", default=None, help="The listed day (YYYY-MM-DD) [default: the latest].")
def notify_new_papers(day: str | None) -> None:
    """Tell readers about that day's papers by the authors they follow (the worker does it after each ingest).
    Safe to re-run: nobody is told twice."""
    setup_django(migrate=True)
    from papertide.notifications.tell import new_papers
    from papertide.papers.models import DailyEntry

    listed = dt.date.fromisoformat(day) if day else DailyEntry.objects.latest_day()
    if listed is None:
        raise click.ClickException("No papers are listed yet: run `papertide ingest` first.")
    click.echo(f"{new_papers(listed)} new notifications for {listed}.")


@digest.command("preview")
@click.argument("email")
@click.option("--period", "frequency", type=click.Choice(["daily", "weekly"]), default=None,
              help="[default: the subscriber's choice]")
@click.option("--date", "day", default=None, help="YYYY-MM-DD [default: today]")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the email (.eml) [default: digest-preview.eml].")
def digest_preview(email: str, frequency: str | None, day: str | None, output: Path | None) -> None:
    """Write the digest EMAIL would get to a file (open it in a mail client); records and sends nothing."""
    setup_django(migrate=True)
    from papertide.digests.models import Subscriber
    from papertide.digests.sender import preview

    subscriber = Subscriber.objects.filter(email__iexact=email).first()
    if subscriber is None:
        raise click.ClickException(f"no subscriber {email!r}; see the subscribers in the admin at /admin/")
    message = preview(subscriber, frequency or subscriber.frequency, _digest_day(day))
    output = output or Path("digest-preview.eml")
    output.write_bytes(message.message().as_bytes())
    click.echo(f"{output}: “{message.subject}”")


@cli.command()
@click.option("--once", is_flag=True, help="Run the jobs that are due now, then exit.")
def worker(once: bool) -> None:
    """Run scheduled jobs: the daily arXiv ingest (then indexing) at PAPERTIDE_INGEST_TIME, digests, notification
    emails. SIGTERM or Ctrl-C stops it between two messages or jobs (a second one at once)."""
    setup_django(migrate=True)
    from papertide import stopping
    from papertide.ingest.worker import run_due_jobs, run_forever

    stopping.install()

    if once:
        ran = run_due_jobs()
        click.echo(f"Ran: {', '.join(ran)}." if ran else "Nothing was due.")
    else:
        run_forever()


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True}, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (e.g. `papertide manage createsuperuser`)."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["papertide manage", *args])


def main() -> None:
    cli(prog_name="papertide")


if __name__ == "__main__":
    sys.exit(main())
