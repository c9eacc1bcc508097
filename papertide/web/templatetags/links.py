"""`{{ text|link_urls }}`: the addresses in an abstract as links that pass no ranking credit and no opener."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import stringfilter
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter(is_safe=True, needs_autoescape=True)
@stringfilter
def link_urls(text: str, autoescape: bool = True) -> SafeString:
    # urlize escapes the text around the links; it knows only rel="nofollow".
    linked = urlize(text, nofollow=True, autoescape=autoescape)
    return mark_safe(linked.replace(' rel="nofollow"', ' rel="nofollow noopener"'))  # noqa: S308
