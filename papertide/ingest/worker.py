"""`papertide worker`: runs scheduled jobs when they are due.

Each job's next due time is stored in the database and claimed with a conditional UPDATE before the
job runs, so several workers never run a job twice, and a worker that was down runs a missed job once
when it comes back (not once per missed day).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from papertide import stopping
from papertide.papers import submissions
from papertide.recs import library_import, refresh

from papertide.ingest.models import ScheduledJob

log = logging.getLogger(__name__)


def daily_ingest() -> None:
    from papertide.ingest.jobs import ingest_announcements
    from papertide.search.indexer import IndexBusy, run_index

    run = ingest_announcements()
    log.info("daily ingest: %s (%s)", run.get_status_display(), run.message)
    try:
        log.info("index: %s", run_index(progress=False))
    except IndexBusy as exc:
        log.info("index: %s", exc)
    from papertide.notifications.tell import new_papers
    from papertide.papers.models import DailyEntry

    latest = DailyEntry.objects.latest_day()
    if latest is not None:
        log.info("notifications: %s readers told of new papers by authors they follow", new_papers(latest))
        from papertide.web.ahead import rank_ahead_all

        log.info("for you: the latest day ranked ahead for %s readers", rank_ahead_all(latest))


def daily_digest() -> None:
    from papertide.digests.compose import today
    from papertide.digests.sender import send_digests

    send_digests("daily", today(), progress=False)


def weekly_digest() -> None:
    from papertide.digests.compose import today
    from papertide.digests.sender import send_digests

    send_digests("weekly", today(), progress=False)


def notification_emails() -> None:
    from papertide.notifications.mail import send_emails

    send_emails()


def github_stars() -> None:
    from papertide.ingest.stars import refresh_stars

    run = refresh_stars()
    log.info("github stars: %s (%s)", run.get_status_display(), run.message)


def ai_summaries() -> None:
    from papertide.ingest.summaries import write_summaries

    run = write_summaries()
    log.info("AI summaries: %s (%s)", run.get_status_display(), run.message)


# name: (the setting holding its schedule, the job, the setting that turns it on or None: always)
JOBS: dict[str, tuple[str, Callable[[], None], str | None]] = {
    "daily-ingest": ("INGEST_SCHEDULE", daily_ingest, None),
    "daily-digest": ("DIGEST_SCHEDULE", daily_digest, None),
    "weekly-digest": ("WEEKLY_DIGEST_SCHEDULE", weekly_digest, None),
    "notification-emails": ("NOTIFICATION_EMAIL_SCHEDULE", notification_emails, None),
    # These two call services outside the site, so they run only where the operator configured them.
    "github-stars": ("GITHUB_STARS_SCHEDULE", github_stars, "GITHUB_STARS"),
    "ai-summaries": ("LLM_SCHEDULE", ai_summaries, "LLM_URL"),
}


def run_due_jobs(now: dt.datetime | None = None) -> list[str]:
    """Run every job that is due; return the names of those that ran."""
    now = now or timezone.now()
    ran = []
    for name, (schedule_setting, job, switch) in JOBS.items():
        if stopping.requested():
            break
        if switch is not None and not getattr(settings, switch):
            continue
        schedule = getattr(settings, schedule_setting)
        row, _ = ScheduledJob.objects.get_or_create(name=name, defaults={"next_due_at": schedule.next_after(now)})
        if row.next_due_at > now:
            continue
        claimed = ScheduledJob.objects.filter(pk=row.pk, next_due_at=row.next_due_at).update(
            next_due_at=schedule.next_after(now), last_started_at=now
        )
        if not claimed:
            continue  # another worker took it
        log.info("running %s (was due %s)", name, row.next_due_at)
        try:
            job()
        except Exception:
            log.exception("%s failed; it runs again at its next due time", name)
        ran.append(name)
        if stopping.requested():
            # The job stopped at a safe point, maybe before its end: due again now, so that the next worker to
            # start (this one restarted, or another) finishes it instead of waiting for its next due time. Every
            # job is idempotent, so one that had in fact finished only finds nothing left to do.
            ScheduledJob.objects.filter(pk=row.pk).update(next_due_at=row.next_due_at)
            log.info("%s: stopped on request; due again for the next worker", name)
            break
    return ran


def run_forever(poll_seconds: float = 30.0) -> None:
    log.info("worker started; daily ingest at %s, digests at %s (weekly: %s)", settings.INGEST_SCHEDULE.describe(),
             settings.DIGEST_SCHEDULE.describe(), settings.WEEKLY_DIGEST_SCHEDULE.describe())
    while not stopping.requested():
        run_due_jobs()
        if not stopping.requested() and submissions.process_waiting():  # left behind by a web process
            log.info("finished submissions a web process had left")
        if not stopping.requested() and library_import.process_waiting():
            log.info("finished library imports a web process had left")
        if not stopping.requested() and (found := refresh.process_waiting()):
            log.info("found the interests of %d readers a web process had left", found)
        stopping.wait(poll_seconds)
    log.info("worker stopped")
