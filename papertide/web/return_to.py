"""Where a form sends the reader back to (its `next` field): a page of this site, or nothing.

Django's `url_has_allowed_host_and_scheme` accepts any relative reference, and `redirect()` takes one without a
"/" or "." for a URL pattern's name: `next=0` made a 500 (found by tests/test_fuzz.py). Only a path, or an
address on this site's host, is kept."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def return_to(request: HttpRequest, value: str) -> str:
    """`value` if it is a page of this site to go back to, else ""."""
    if not url_has_allowed_host_and_scheme(value, {request.get_host()}, request.is_secure()):
        return ""
    return value if value.startswith("/") or urlsplit(value).netloc else ""
