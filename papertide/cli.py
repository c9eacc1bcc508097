"""The `papertide` command: the front door to every job."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from papertide import __version__
from papertide.conf import ConfigError
from papertide.sources.records import SourceError

# Errors a user can fix; they are shown as one line, never as a traceback.
USER_ERRORS = (ConfigError, SourceError)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "papertide.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise ConfigError(str(exc)) from None


def migrate_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


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
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads per worker")
@click.option("--no-demo", is_flag=True, help="Do not load the demo day into an empty database.")
def serve(host: str | None, port: int | None, workers: int | None, threads: int, no_demo: bool) -> None:
    """Serve the site (the main job).

    On first run this creates the database and loads the bundled demo day (one real day of arXiv,
    1,504 papers); later runs just serve.
    """
    setup_django()
    from django.conf import settings
    from django.db import connections

    from papertide.papers.models import Paper
    from papertide.web.server import run_server

    migrate_database()
    if not no_demo and not Paper.objects.exists():
        click.echo("Empty database: loading the demo day (one real day of arXiv announcements)…")
        _load_demo()
    if Paper.objects.pending_index().exists():
        from papertide.search.indexer import index_in_background

        click.echo(f"Indexing new papers in the background (log: {settings.DATA_DIR / 'index.log'}).")
        index_in_background()
    # Worker processes are forked from this one; each must open its own database connection.
    connections.close_all()
    run_server(
        host=host or settings.SERVE_HOST,
        port=port or settings.SERVE_PORT,
        workers=workers or settings.SERVE_WORKERS,
        threads=threads,
    )


def _load_demo() -> None:
    from papertide.demo import load_demo_day

    result = load_demo_day()
    click.echo(f"Demo day loaded: {result}.")


@cli.command()
def demo() -> None:
    """Load the bundled demo day (idempotent: a second run changes nothing)."""
    setup_django()
    migrate_database()
    _load_demo()


@cli.command()
@click.option("--rebuild", is_flag=True, help="Drop the full-text and vector indexes and rebuild them from the database.")
@click.option("--chunk-size", type=click.IntRange(1, 10_000), default=256, show_default=True,
              help="Papers embedded and committed together.")
@click.option("--no-progress", is_flag=True, help="No progress bar (for logs).")
def index(rebuild: bool, chunk_size: int, no_progress: bool) -> None:
    """Index new or changed papers: full text, embeddings, vectors.

    Resumable: stop it at any moment and run it again. Stored embeddings are reused unless the
    paper's text or the configured model (PAPERTIDE_EMBEDDING_MODEL) changed.
    """
    setup_django()
    migrate_database()
    from papertide.search.indexer import IndexBusy, run_index

    try:
        report = run_index(rebuild=rebuild, chunk_size=chunk_size, progress=not no_progress)
    except IndexBusy as exc:
        click.echo(str(exc))
        return
    click.echo(f"Index up to date: {report}.")


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
def bench_search(data_dir: Path, sizes: str, queries: int, skip_relevance: bool) -> None:
    """Search relevance (nDCG@10, recall@100 on SciFact, Cranfield, CISI) and latency at scale."""
    setup_django()
    from django.conf import settings

    from papertide.bench import machine_summary
    from papertide.search.embedder import get_embedder

    embedder = get_embedder(settings.EMBEDDING_MODEL)
    cache_dir = settings.DATA_DIR / "bench-cache"
    click.echo(f"Machine: {machine_summary()}")
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

    setup_django()
    migrate_database()
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
