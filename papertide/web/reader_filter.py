"""Which filter a feed page applies: the one in its link (`?cat=cs.CV,-hep-*&code=1`, so a view can be shared),
else the one the reader remembered (their profile, or a cookie when not logged in), else the site's default
(PAPERTIDE_FEED_CATEGORIES)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

from papertide.accounts.models import Preferences
from papertide.papers.feed_filter import FeedFilter

COOKIE = "pt_filter"
COOKIE_AGE = 400 * 24 * 3600


@dataclass(frozen=True)
class ReaderFilter:
    filter: FeedFilter
    source: str  # "link", "saved" or "site"
    problems: list[str] = field(default_factory=list, compare=False)  # terms of the link that were not understood

    @property
    def link_params(self) -> dict[str, str]:
        """What links within the page carry so that they keep showing this filter."""
        return self.filter.query_params if self.source == "link" else {}

    @property
    def feed_query(self) -> str:
        """The query string that gives the RSS/Atom feeds this filter (feed readers send no cookies)."""
        return query_string(**self.filter.query_params)

    @property
    def cache_key(self) -> str:
        return f"{self.source}:{self.filter.to_param()}"


def _cache_key(user) -> str:
    return f"feed-filter:{user.pk}"


def saved_filter(request: HttpRequest) -> str | None:
    """The reader's remembered filter: from their profile (through the readers' cache: every feed page asks), or
    from the cookie of an anonymous reader."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        readers = caches["readers"]
        saved = readers.get(_cache_key(user))
        if saved is None:
            found = Preferences.objects.filter(user=user).values_list("feed_filter", flat=True).first()
            saved = (found,)
            readers.set(_cache_key(user), saved, None)  # until `remember` changes it
        if saved[0] is not None:
            return saved[0]
    return request.COOKIES.get(COOKIE)


def reader_filter(request: HttpRequest) -> ReaderFilter:
    if not hasattr(request, "_reader_filter"):
        request._reader_filter = _resolve(request)
    return request._reader_filter


def filter_in_address(request: HttpRequest) -> tuple[FeedFilter, list[str]]:
    """The filter the address asks for (`?cat=…&code=1`), and a message for each term arXiv does not have."""
    return FeedFilter.parse_lenient(request.GET.get("cat", "")[:2000], request.GET.get("code") == "1")


def _resolve(request: HttpRequest) -> ReaderFilter:
    if "cat" in request.GET or "code" in request.GET:
        found, problems = filter_in_address(request)
        return ReaderFilter(found, "link", problems)
    saved = saved_filter(request)
    if saved is not None:
        return ReaderFilter(FeedFilter.from_param(saved), "saved")
    return ReaderFilter(FeedFilter.parse(settings.FEED_CATEGORIES), "site")


def remember(request: HttpRequest, response: HttpResponse, chosen: FeedFilter | None) -> None:
    """Keep the reader's filter (None: forget it, back to the site's default)."""
    user = request.user
    if user.is_authenticated:
        if chosen is None:
            Preferences.objects.filter(user=user).delete()
        else:
            Preferences.objects.update_or_create(user=user, defaults={"feed_filter": chosen.to_param()})
        caches["readers"].delete(_cache_key(user))
        response.delete_cookie(COOKIE)
        return
    if chosen is None:
        response.delete_cookie(COOKIE)
    else:
        response.set_cookie(COOKIE, chosen.to_param(), max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                            secure=settings.HTTPS)


def query_string(**params: str | int | None) -> str:
    """`?a=1&b=2` of the non-empty parameters, or "" when none."""
    kept = {name: value for name, value in params.items() if value not in (None, "")}
    return "?" + urlencode(kept) if kept else ""
