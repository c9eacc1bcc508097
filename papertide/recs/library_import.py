"""Importing a reader's library: the file is read in the web request (recs/library_formats.py); the papers arXiv
must be asked about are fetched through the export API client and embedded off it, by a thread of the web
process, or by `papertide worker` for a job a web process left behind (the same claim-by-UPDATE as submissions,
papers/submissions.py). The saves are written in one transaction at the end: after an error nothing is
half-imported, and running the job again neither loses nor duplicates anything."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from papertide import background
from papertide.papers.models import Paper
from papertide.recs import interests
from papertide.recs.library_formats import Library
from papertide.recs.models import LibraryImport, Save
from papertide.recs.receivers import quietly
from papertide.sources.records import SourceError

log = logging.getLogger(__name__)

RUN_IN_THREAD = True  # tests turn it off and run the jobs themselves, as the worker would
LEASE = dt.timedelta(minutes=30)  # a running job older than this was abandoned
Status = LibraryImport.Status


def enqueue(user, library: Library, filename: str = "") -> LibraryImport:
    job = LibraryImport.objects.create(
        user=user, filename=filename[:200], format=library.format, arxiv_ids=library.arxiv_ids,
        skipped=[e.title or "(no title)" for e in library.without_id][:1000], broken=library.broken[:200])
    if RUN_IN_THREAD:
        background.run_in_thread(process, job.pk, "library-import")
    return job


def process(job_id: int, *, fetcher=None) -> bool:
    """Run a queued import; False if another process had claimed it."""
    if not background.claim(LibraryImport.objects, job_id, queued=Status.QUEUED, running=Status.RUNNING):
        return False
    job = LibraryImport.objects.select_related("user").get(pk=job_id)
    try:
        _import(job, fetcher)
    except (SourceError, OSError) as exc:
        log.warning("library import %s: %s", job.pk, exc)
        job.status = Status.FAILED
        job.message = ("arXiv could not be reached, so nothing was imported. Your file is kept: try again later "
                       "from this page.")
    except Exception:
        log.exception("library import %s failed", job.pk)
        job.status, job.message = Status.FAILED, "Something went wrong on this site; nothing was imported."
    job.finished_at = timezone.now()
    job.save()
    return True


def _import(job: LibraryImport, fetcher) -> None:
    from papertide.ingest.jobs import ingest_ids
    from papertide.search.indexer import run_index
    from papertide.sources.http import Fetcher

    ids = job.arxiv_ids
    on_site = set(Paper.objects.filter(arxiv_id__in=ids).values_list("arxiv_id", flat=True))
    missing = [i for i in ids if i not in on_site]
    unknown: list[str] = []
    if missing:
        _, unknown = ingest_ids(missing, fetcher=fetcher or Fetcher(timeout=30, max_retries=2))
        run_index(progress=False)  # embeds what was fetched (and anything else waiting)
    papers = dict(Paper.objects.filter(arxiv_id__in=ids).values_list("arxiv_id", "pk"))
    with transaction.atomic(), quietly():
        before = Save.objects.filter(user=job.user).count()
        Save.objects.bulk_create([Save(user=job.user, paper_id=papers[i], how=Save.How.IMPORTED)
                                  for i in ids if i in papers], ignore_conflicts=True)
        job.saved = Save.objects.filter(user=job.user).count() - before
    interests.refresh(job.user)  # which ranks the reader anew
    job.matched = [i for i in ids if i in on_site]
    job.fetched = [i for i in missing if i in papers]
    job.unknown = unknown
    job.status = Status.DONE


def retry(job: LibraryImport) -> None:
    """A failed import, queued again."""
    LibraryImport.objects.filter(pk=job.pk, status=Status.FAILED).update(status=Status.QUEUED, message="")
    if RUN_IN_THREAD:
        background.run_in_thread(process, job.pk, "library-import")


def process_waiting(now: dt.datetime | None = None) -> int:
    """For the worker: imports nobody is running (queued, or running past their lease); how many ran."""
    return background.finish_waiting(LibraryImport.objects, process, running=Status.RUNNING, queued=Status.QUEUED,
                                     lease=LEASE, now=now)
