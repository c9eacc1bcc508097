"""`papertide digest send`: every receiving subscriber gets at most one digest per period.

For each subscriber, in this order, each step committed before the next:
1. record: the Digest row (unique per subscriber and period) and its papers (unique per subscriber and
   paper), chosen once; a re-run finds the row and never chooses again;
2. claim: pending → sending, by a conditional UPDATE, so two senders never take the same digest;
3. hand the message to the SMTP server (one connection for the whole batch);
4. mark it sent when the server accepted it; a permanent refusal (5xx) marks the subscriber as bouncing;
   a temporary one puts the digest back to pending for the next run.
A sender killed between 2 and 4 leaves a digest "sending": the next run cannot know whether the server
got it, so it marks it in doubt and does not send it again (never twice, at the price of possibly never).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from papertide import stopping
from papertide.digests.compose import PaperBlocks, compose, message_key
from papertide.digests.models import Digest, DigestItem, Subscriber
from papertide.digests.selection import Candidates, DigestPeriod
from papertide.papers.models import Paper

log = logging.getLogger(__name__)

BATCH = 200  # subscribers whose digests are recorded in one transaction


class MailServerUnreachable(Exception):
    """The SMTP server cannot be reached: the run stops, and the next run sends what is left."""


@dataclass
class SendReport:
    period: str
    sent: int = 0
    empty_sent: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> subscribers
    already: int = 0  # sent (or settled) by an earlier run
    bounced: int = 0
    retry_later: int = 0
    in_doubt: int = 0
    stopped: bool = False  # on request (SIGTERM, Ctrl-C), between two messages
    seconds: float = 0.0

    def __str__(self) -> str:
        parts = [f"{self.period}: {self.sent} sent"]
        if self.empty_sent:
            parts.append(f"{self.empty_sent} of them saying there was nothing new")
        if self.already:
            parts.append(f"{self.already} already done by another run")
        if self.skipped:
            parts.append(f"{sum(self.skipped.values())} skipped (" + ", ".join(
                f"{kind}: {n}" for kind, n in self.skipped.items()) + ")")
        if self.bounced:
            parts.append(f"{self.bounced} refused by the mail server (subscribers marked as bouncing)")
        if self.retry_later:
            parts.append(f"{self.retry_later} to retry on the next run (temporary failures)")
        if self.in_doubt:
            parts.append(f"{self.in_doubt} in doubt (a sender stopped while handing them over; not resent)")
        if self.stopped:
            parts.append("stopped on request before the end (run again to send the rest)")
        return ", ".join(parts) + f"; {self.seconds:.1f} s"


@dataclass
class Planned:
    """A digest to hand over: recorded (or, in a dry run, only chosen)."""

    subscriber: Subscriber
    digest: Digest | None
    papers: list[Paper]
    empty_reason: str
    reasons: dict[int, str] = field(default_factory=dict)  # papers a follow brought: which one


def _record(subscribers: list[Subscriber], period: DigestPeriod, candidates: Candidates, report: SendReport,
            dry_run: bool) -> list[Planned]:
    """Step 1 for a batch: find or create each subscriber's digest for the period."""
    counted = SendReport(period.key)  # merged into the report only once the batch is recorded
    try:
        planned = _record_once(subscribers, period, candidates, counted, dry_run)
    except IntegrityError:  # another sender recorded some of these a moment ago: take theirs
        log.info("another sender is recording %s too; using its records", period.key)
        counted = SendReport(period.key)
        planned = _record_once(subscribers, period, candidates, counted, dry_run)
    report.already += counted.already
    report.in_doubt += counted.in_doubt
    report.skipped.update(counted.skipped)
    return planned


def _record_once(subscribers: list[Subscriber], period: DigestPeriod, candidates: Candidates, report: SendReport,
                 dry_run: bool) -> list[Planned]:
    existing = {d.subscriber_id: d for d in Digest.objects.filter(subscriber__in=subscribers, period=period.key)}
    sent_before = candidates.already_sent(subscribers)
    candidates.load_signals(subscribers)
    chosen = []
    with transaction.atomic():
        for subscriber in subscribers:
            digest = existing.get(subscriber.pk)
            if digest is not None:
                if digest.status == Digest.Status.SENDING:
                    digest = _settle_in_doubt(digest)
                if digest.status != Digest.Status.PENDING:
                    report.already += 1
                    if digest.status == Digest.Status.IN_DOUBT:
                        report.in_doubt += 1
                    continue
                papers = [item.paper for item in digest.items.select_related("paper")]
                chosen.append(Planned(subscriber, digest, papers, digest.empty_reason,
                                      candidates.for_you_reasons(subscriber, papers)
                                      | candidates.reasons(subscriber, papers)))
                continue
            choice = candidates.choose(subscriber, sent_before[subscriber.pk])
            papers, reason = choice.papers, choice.empty_reason
            if not papers and not subscriber.send_empty:
                report.skipped[choice.empty_kind] += 1
                log.debug("no digest for subscriber %s: %s", subscriber.pk, reason)
                continue
            chosen.append(Planned(subscriber, None, papers, reason, choice.reasons))
        if dry_run:
            return chosen
        # New digests and their papers in two statements per batch (this is the hot path: bench digest).
        new = [plan for plan in chosen if plan.digest is None]
        for plan in new:
            plan.digest = Digest(subscriber=plan.subscriber, period=period.key, empty_reason=plan.empty_reason)
        Digest.objects.bulk_create([plan.digest for plan in new])
        DigestItem.objects.bulk_create([
            DigestItem(digest=plan.digest, subscriber=plan.subscriber, paper=paper, position=position)
            for plan in new for position, paper in enumerate(plan.papers)
        ], batch_size=2000)
    return chosen


def _settle_in_doubt(digest: Digest) -> Digest:
    """A digest left "sending" by a sender that stopped: in doubt once its lease ran out."""
    lease = dt.timedelta(seconds=settings.DIGEST_SEND_LEASE_SECONDS)
    if digest.claimed_at and timezone.now() - digest.claimed_at < lease:
        return digest  # another sender may be handing it over right now
    Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(status=Digest.Status.IN_DOUBT)
    digest.status = Digest.Status.IN_DOUBT
    log.warning("digest %s for subscriber %s is in doubt: a sender stopped while handing it to the mail "
                "server; it is not sent again", digest.period, digest.subscriber_id)
    return digest


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600 and not isinstance(error, smtplib.SMTPSenderRefused)


def send_digests(frequency: str, day: dt.date, *, dry_run: bool = False, progress: bool = True,
                 echo=print) -> SendReport:
    """Send the digests of `frequency` for `day` to every receiving subscriber who chose it."""
    from tqdm import tqdm

    started = time.monotonic()
    period = DigestPeriod.of(frequency, day)
    report = SendReport(period.key)
    candidates = Candidates(period)
    blocks = PaperBlocks()
    subscribers = Subscriber.objects.receiving().filter(frequency=frequency).order_by("pk")
    total = subscribers.count()
    interval = 1.0 / settings.DIGEST_SEND_RATE if settings.DIGEST_SEND_RATE else 0.0
    next_send = time.monotonic()
    smtp = None if dry_run else get_connection()
    try:
        with tqdm(total=total, desc=f"Digests {period.key}", unit="subscriber", disable=not progress) as bar:
            last_pk = 0
            while not report.stopped:
                batch = list(subscribers.filter(pk__gt=last_pk)[:BATCH])
                if not batch:
                    break
                last_pk = batch[-1].pk
                for plan in _record(batch, period, candidates, report, dry_run):
                    if stopping.requested():  # between two messages: none is left "sending"
                        report.stopped = True
                        break
                    if dry_run:
                        titles = "; ".join(p.title[:60] for p in plan.papers[:3])
                        echo(f"{plan.subscriber.email}: {len(plan.papers)} papers"
                             + (f" ({titles}…)" if plan.papers else f" — {plan.empty_reason}"))
                        report.sent += 1
                        continue
                    if interval:
                        time.sleep(max(0.0, next_send - time.monotonic()))
                        next_send = max(next_send + interval, time.monotonic())
                    _deliver(smtp, plan, period, blocks, report)
                bar.update(len(batch))
    finally:
        if smtp is not None:
            smtp.close()
    for kind, count in report.skipped.items():
        log.info("%s: no digest for %d subscribers: %s", period.key, count, kind)
    report.seconds = time.monotonic() - started
    log.info("digests %s", report)
    return report


def _set_status(digest: Digest, status: str, *, only_if: str | None = None, **fields) -> bool:
    """One UPDATE of the digest row (plain SQL: twice per message, the ORM's overhead showed in bench digest)."""
    assignments = ", ".join(f"{name} = %s" for name in ["status", *fields])
    sql = f"UPDATE {Digest._meta.db_table} SET {assignments} WHERE id = %s"
    params = [status, *fields.values(), digest.pk]
    if only_if:
        sql += " AND status = %s"
        params.append(only_if)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def _deliver(smtp, plan: Planned, period: DigestPeriod, blocks: PaperBlocks, report: SendReport) -> None:
    subscriber, digest = plan.subscriber, plan.digest
    # Composed before the claim, so that a sender stopping while a digest is "sending" is as rare as can be.
    message = compose(subscriber, period, plan.papers, plan.empty_reason, blocks, message_key(subscriber, period),
                      plan.reasons)
    claimed = _set_status(digest, Digest.Status.SENDING, only_if=Digest.Status.PENDING,
                          claimed_at=timezone.now(), attempts=digest.attempts + 1)
    if not claimed:
        report.already += 1  # another sender took it
        return
    try:
        smtp.send_messages([message])
    except (smtplib.SMTPException, OSError) as error:
        smtp.close()  # a fresh connection for the next message
        if _is_permanent(error):
            Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.BOUNCED, last_error=str(error)[:2000])
            Subscriber.objects.filter(pk=subscriber.pk).update(bouncing_since=timezone.now(),
                                                              bounce_reason=str(error)[:2000])
            log.warning("mail to subscriber %s refused for good (%s); no more digests go there", subscriber.pk, error)
            report.bounced += 1
        else:
            Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.PENDING, last_error=str(error)[:2000])
            # (smtplib's errors are OSErrors too: a refusal of one address is not the server being down)
            if isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)) or not isinstance(
                    error, smtplib.SMTPException):
                raise MailServerUnreachable(
                    f"cannot reach the mail server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} ({error}); "
                    f"{report.sent} digests were sent, run again to send the rest") from None
            log.warning("mail to subscriber %s failed for now (%s); retried on the next run", subscriber.pk, error)
            report.retry_later += 1
        return
    _set_status(digest, Digest.Status.SENT, sent_at=timezone.now())
    report.sent += 1
    if not plan.papers:
        report.empty_sent += 1


def preview(subscriber: Subscriber, frequency: str, day: dt.date):
    """The message the subscriber would get for that period, without recording or sending anything."""
    period = DigestPeriod.of(frequency, day)
    candidates = Candidates(period)
    choice = candidates.choose(subscriber, candidates.already_sent([subscriber])[subscriber.pk])
    return compose(subscriber, period, choice.papers, choice.empty_reason, PaperBlocks(),
                   message_key(subscriber, period), choice.reasons)
