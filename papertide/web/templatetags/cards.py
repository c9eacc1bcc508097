"""`{% paper_card paper entry show_why %}`: the one paper card, its HTML kept per process. A feed page is 50
cards and rendering them is most of its cost (docs/benchmarks.md); the same card appears on the day, week and
month views in several sorts and filters, so rendering each once pays off. Cards are reader-neutral (the
page's overlay presses the reader's upvotes and adds "New" markers, web/page_cache.py), and the key holds
everything the card shows, so a new upvote or an edit makes a new key, never a stale card."""

from __future__ import annotations

from django import template
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from papertide.web.page_cache import CSRF_PLACEHOLDER, NEXT_PLACEHOLDER, kept

register = template.Library()

CARD = "papertide/_paper_card.html"
REASON_MARKER = "<!--papertide:reason-->"


@register.simple_tag(takes_context=True)
def paper_card(context, paper, entry=None, show_why=False, reason=""):
    """`reason`: why "For you" ranks it here (recs/foryou.py), shown under the card; it differs per reader, so it is
    put into the kept HTML, not rendered with it."""
    key = "card:" + ":".join(str(part) for part in (
        paper.pk, paper.modified_at.timestamp(), paper.upvote_count, paper.external_upvotes, paper.github_stars,
        paper.comment_count, paper.keyphrases_hash, paper.github_pushed_at,
        entry and entry.pk, entry and entry.featured, entry and entry.day, show_why,
        getattr(entry, "recent_upvote_count", None),
    ))
    html = kept(key, lambda: get_template(CARD).render({
        "paper": paper, "entry": entry, "show_why": show_why, "my_upvotes": (), "my_saves": (),
        "csrf_token": CSRF_PLACEHOLDER, "next_path": NEXT_PLACEHOLDER,
    }))
    request = context.get("request")
    here = escape(request.get_full_path()) if request is not None else ""
    # On a shared page the token is itself the placeholder, filled per reader by the page's overlay.
    html = html.replace(NEXT_PLACEHOLDER, here).replace(CSRF_PLACEHOLDER, str(context.get("csrf_token", "")))
    if reason:
        html = html.replace(REASON_MARKER, f'<p class="why foryou">For you: {escape(reason)}</p>', 1)
    return mark_safe(html)  # noqa: S308 (our template; what is put in is escaped)
