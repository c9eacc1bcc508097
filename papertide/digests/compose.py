"""The digest email: subject, plain text and HTML (inline CSS), and the headers mail clients use to
offer one-click unsubscribe (RFC 8058). Each paper's block is rendered once per run and shared by every
subscriber who gets it: per subscriber only the frame is rendered."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from papertide.digests.models import Subscriber
from papertide.digests.selection import FOR_YOU_PREFIX, DigestPeriod, describe_filters
from papertide.papers.models import Paper
from papertide.papers.text import shorten

SNIPPET_CHARS = 280
REASON_MARKER = "<!--papertide:reason-->"  # where a block says why this reader gets the paper (shared blocks)


class PaperBlocks:
    """Rendered paper blocks (HTML, text), memoized by paper for one run."""

    def __init__(self) -> None:
        self._blocks: dict[int, tuple[str, str]] = {}

    def get(self, paper: Paper) -> tuple[str, str]:
        if paper.pk not in self._blocks:
            context = {"paper": paper, "snippet": shorten(paper.abstract, SNIPPET_CHARS), "url": settings.BASE_URL + paper.get_absolute_url(),
                       "site_name": settings.SITE_NAME,
                       "authors": paper.authors_preview}
            self._blocks[paper.pk] = (render_to_string("digests/emails/_paper.html", context),
                                      render_to_string("digests/emails/_paper.txt", context))
        return self._blocks[paper.pk]


def _with_reason(block: tuple[str, str], reason: str) -> tuple[str, str]:
    html, text = block
    if not reason:
        return html.replace(REASON_MARKER + "\n", "", 1), text.replace(REASON_MARKER, "", 1)
    line = format_html('<div style="font-size: 13px; color: #5d6470; margin: 0 0 4px;">{}</div>', reason)
    return html.replace(REASON_MARKER, line, 1), text.replace(REASON_MARKER, f"  ({reason})\n", 1)


def compose(subscriber: Subscriber, period: DigestPeriod, papers: list[Paper], empty_reason: str,
            blocks: PaperBlocks, message_key: str, reasons: dict[int, str] | None = None) -> EmailMultiAlternatives:
    """`reasons`: for papers a follow brought, which one ("Because you follow papers by …"); for a "for you"
    digest, why each paper is there ("For you: Close to …")."""
    reasons = reasons or {}
    shown = [_with_reason(blocks.get(p), reasons.get(p.pk, "")) for p in papers]
    manage_token = subscriber.token("manage")
    unsubscribe_url = subscriber.absolute_url("digest-unsubscribe", "manage")
    context = {
        "site_name": settings.SITE_NAME,
        "base_url": settings.BASE_URL,
        "period": period,
        "papers_html": mark_safe("".join(html for html, _ in shown)),  # noqa: S308 (our own templates)
        "papers_text": "\n".join(text for _, text in shown),
        "count": len(papers),
        "empty_reason": empty_reason,
        "filters": describe_filters(subscriber),
        "manage_url": settings.BASE_URL + f"/digests/{manage_token}/",
        "unsubscribe_url": unsubscribe_url,
    }
    day = period.last
    when = f"week of {period.first:%b} {period.first.day}" if period.frequency == "weekly" else f"{day:%A, %b} {day.day}"
    kind = "for you" if any(r.startswith(FOR_YOU_PREFIX) for r in (reasons or {}).values()) else "trending"
    plural = "s" if len(papers) != 1 else ""
    subject = ((f"{settings.SITE_NAME}: {len(papers)} paper{plural} for you, {when}" if kind == "for you" else
                f"{settings.SITE_NAME}: {len(papers)} trending paper{plural}, {when}")
               if papers else f"{settings.SITE_NAME}: no new papers, {when}")
    unsubscribe_mailto = f"mailto:{settings.UNSUBSCRIBE_MAILTO}?subject={quote('unsubscribe ' + subscriber.email)}"
    message = EmailMultiAlternatives(
        subject,
        render_to_string("digests/emails/digest.txt", context),
        to=[subscriber.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>, <{unsubscribe_mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} digest <digest.{_domain()}>",
            # The same id on a resend lets receiving servers and clients recognise a duplicate.
            "Message-ID": f"<{message_key}@{_domain()}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("digests/emails/digest.html", context), "text/html")
    return message


def _domain() -> str:
    return urlsplit(settings.BASE_URL).hostname or "localhost"


def message_key(subscriber: Subscriber, period: DigestPeriod) -> str:
    return f"digest.{period.key.replace(':', '.')}.{subscriber.pk}"


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate(timezone=settings.DIGEST_SCHEDULE.zone)
