"""`{% paper_card paper entry show_why %}`: the one paper card, with its HTML kept per process for anonymous
readers. A feed page is 50 cards and rendering them is most of its cost (docs/benchmarks.md); the same card
appears on the day, week and month views in three sorts, so rendering each once pays off. The key holds
everything the card shows, so a new upvote, an edit or a "new" marker makes a new key, never a stale card."""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.template.loader import get_template
from django.utils.safestring import mark_safe

register = template.Library()

CARD = "papertide/_paper_card.html"
LOGIN_PLACEHOLDER = "papertide-login-here-placeholder"
CACHE_SECONDS = 3600


@register.simple_tag(takes_context=True)
def paper_card(context, paper, entry=None, show_why=False):
    request = context.get("request")
    user = context.get("user")
    if request is None or user is None or user.is_authenticated:
        with context.push(paper=paper, entry=entry, show_why=show_why):
            return context.template.engine.get_template(CARD).render(context)
    new_since = context.get("new_since")
    is_new = bool(entry and new_since and entry.created_at > new_since)
    key = "card:" + ":".join(str(part) for part in (
        paper.pk, paper.modified_at.timestamp(), paper.upvote_count, paper.external_upvotes, paper.github_stars,
        entry and entry.pk, entry and entry.featured, entry and entry.day, is_new, show_why,
        getattr(entry, "recent_upvote_count", None),
    ))
    cache = caches["cards"]
    html = cache.get(key)
    if html is None:
        html = get_template(CARD).render({
            "paper": paper, "entry": entry, "show_why": show_why, "new_since": new_since if is_new else None,
            "my_upvotes": (), "user": AnonymousUser(), "login_here": LOGIN_PLACEHOLDER,
        })
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html.replace(LOGIN_PLACEHOLDER, context.get("login_here", "")))  # noqa: S308 (our template)
