"""GitHub stars of the repositories papers link to: the worker's `github-stars` job.

Each run asks GitHub about the repositories due a check (never checked first, then the longest unchecked, each at
most once per GITHUB_STARS_REFRESH_HOURS), at most GITHUB_STARS_PER_RUN of them, and stops early when GitHub says
the rate limit is used up. Each repository's answer is written with its papers' counts in its own transaction,
so a killed run loses nothing and the next one goes on with what is still due. Stars count in the trending score
(papers/trending.py: TRENDING_GITHUB_STAR_WEIGHT points per doubling); a repository that is gone keeps no stars.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from papertide.ingest.models import CodeRepository, IngestRun
from papertide.ingest.runs import recorded_run
from papertide.papers.models import DailyEntry, Paper
from papertide.papers import trending
from papertide.sources.github import GitHub, RateLimited, repository_of
from papertide.sources.records import SourceError

log = logging.getLogger(__name__)

JOB = "github-stars"


def client() -> GitHub:
    return GitHub(settings.GITHUB_API_URL, settings.GITHUB_TOKEN, timeout=settings.HTTP_TIMEOUT)


def collect() -> int:
    """A row for every GitHub repository a paper links to; the number added."""
    known = set(CodeRepository.objects.values_list("name", flat=True))
    found = {repository_of(url) for url in Paper.objects.filter(code_url__icontains="github.com")
             .values_list("code_url", flat=True).distinct()}
    new = sorted(name for name in found - known if name)
    CodeRepository.objects.bulk_create([CodeRepository(name=name) for name in new], ignore_conflicts=True)
    return len(new)


def due(now: dt.datetime, limit: int) -> list[CodeRepository]:
    stale = now - dt.timedelta(hours=settings.GITHUB_STARS_REFRESH_HOURS)
    rows = CodeRepository.objects.filter(Q(checked_at__isnull=True) | Q(checked_at__lt=stale))
    return list(rows.order_by("checked_at", "name")[:limit])  # NULLs first on SQLite and PostgreSQL (ascending)


def refresh_stars(limit: int | None = None, github: GitHub | None = None) -> IngestRun:
    github = github or client()
    limit = settings.GITHUB_STARS_PER_RUN if limit is None else limit
    with recorded_run(JOB, github.api_url) as run:
        added = collect()
        checked = unchanged = gone = 0
        try:
            for repository in due(timezone.now(), limit):
                outcome = check(repository, github)
                checked += 1
                unchanged += outcome == "unchanged"
                gone += outcome == "gone"
        except RateLimited as exc:
            run.message = f"stopped early: {exc}. "
            log.info("github stars: %s", exc)
        run.updated, run.unchanged = checked - unchanged, unchanged
        run.message += (f"{checked} repositories checked ({unchanged} unchanged, {gone} gone), {added} new; "
                        f"{github.requests} requests to GitHub"
                        + (f", {github.remaining} left this hour" if github.remaining is not None else ""))
        if checked == 0 and run.status == IngestRun.Status.RUNNING:
            run.status = IngestRun.Status.EMPTY
    return run


def check(repository: CodeRepository, github: GitHub) -> str:
    """Ask GitHub about one repository and write what it says; 'ok', 'unchanged', 'gone' or 'failed'."""
    try:
        answer = github.repository(repository.current_name or repository.name, repository.etag)
    except SourceError as exc:
        log.warning("github stars: %s: %s", repository.name, exc)
        CodeRepository.objects.filter(pk=repository.pk).update(checked_at=timezone.now())
        return "failed"
    with transaction.atomic():
        repository.checked_at = timezone.now()
        if answer.status == "ok":
            found = answer.repository
            repository.status = CodeRepository.Status.OK
            repository.stars, repository.pushed_at, repository.etag = found.stars, found.pushed_at, found.etag
            repository.current_name = found.full_name if found.full_name != repository.name else ""
        elif answer.status == "gone":
            repository.status, repository.stars, repository.pushed_at, repository.etag = \
                CodeRepository.Status.GONE, None, None, ""
        repository.save()
        if answer.status != "unchanged":
            _write_papers(repository)
    return answer.status


def _write_papers(repository: CodeRepository) -> None:
    """The repository's stars on every paper linking to it, and those papers' trending scores."""
    papers = [p for p in Paper.objects.filter(code_url__icontains=repository.name.split("/")[1])
              .only("id", "code_url", "github_stars", "github_pushed_at")
              if repository_of(p.code_url) == repository.name]
    changed = [p for p in papers if (p.github_stars, p.github_pushed_at) != (repository.stars, repository.pushed_at)]
    for paper in changed:
        paper.github_stars, paper.github_pushed_at = repository.stars, repository.pushed_at
    Paper.objects.bulk_update(changed, ["github_stars", "github_pushed_at"])
    entries = list(DailyEntry.objects.filter(paper__in=changed).values_list("pk", flat=True))
    if entries:
        trending.refresh(entries)
