"""Pages rendered once for every reader, with what differs between readers laid over them per request.

Rendering a feed of 50 cards costs ~20 ms of CPU in Django's templates; served from the cache a page costs
about a millisecond (docs/benchmarks.md). So feed and paper pages are rendered reader-neutral — every upvote
button unpressed, no "New" marker, no account links — and kept for PAGE_CACHE_SECONDS in a cache the web
processes share. Each request then applies a small overlay:

- the CSRF token of the page's forms (rendered as a placeholder);
- the account links of the header (a marker, filled from `_account.html`);
- the "New" markers: the cached page remembers when each of its entries was listed, and the reader's visit
  time (web/visits.py) says which are new — no query;
- the reader's upvotes and saves: one query for which of the page's papers they upvoted or saved; those
  buttons alone are rendered again, pressed (upvotes with a fresh count);
- on a paper page, its discussion made the reader's (discussion/overlay.py): the comment form or a log-in link,
  edit and delete on their own comments, their comment upvotes pressed.

A page past its time is rendered again by the one request that takes its lock; until that is done, the
others get the copy kept (up to STALE_FACTOR × PAGE_CACHE_SECONDS old), so sixteen readers arriving when a
page expires do not all render it at once.

The page is kept, and made the reader's, as UTF-8 bytes: a page with one character past Latin-1 (a ☆) is a
two-byte-per-character str, and each pass over it, and the encoding at the end, cost more than the same on bytes.

Anonymous, returning and logged-in readers therefore share one rendering. A page with a message to show
once (after logging out, say) is rendered for that request alone."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import NamedTuple

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape

from papertide.papers.models import DailyEntry, Paper, Upvote

CSRF_PLACEHOLDER = "papertide-csrf-token-placeholder"
STALE_FACTOR = 4  # a page past PAGE_CACHE_SECONDS is still served while one request renders it anew, up to 4×
RENDER_LOCK_SECONDS = 10
NEXT_PLACEHOLDER = "papertide-this-page-placeholder"
ACCOUNT_MARKER = "<!--papertide:account-->"
_ACCOUNT_MARKER, _CSRF_PLACEHOLDER = ACCOUNT_MARKER.encode(), CSRF_PLACEHOLDER.encode()
NEW_MARKER = "<!--papertide:new:{}-->"
NEW_BADGE = b'<span class="new">New</span> '
_NEW_MARKERS = re.compile(rb"<!--papertide:new:(\d+)-->")


@dataclass
class Overlay:
    """What a shared page needs to know to be made a reader's: its papers, and when its entries were listed."""

    papers: list[int] = field(default_factory=list)
    listed_at: dict[int, float] = field(default_factory=dict)  # paper id -> timestamp of its daily entry
    discussion: dict[int, int] | None = None  # on a paper page: its comments' ids -> their writers' ids
    personal: object = None  # what `shared_page(fill=…)` needs to fill in the reader's part (a "For you" list)


def render_shared(request: HttpRequest, template: str, context: dict, papers: Iterable[Paper] = (),
                  entries: Iterable[DailyEntry] = (), discussion: dict[int, int] | None = None,
                  personal: object = None) -> HttpResponse:
    """A reader-neutral page of these papers (and daily entries, and a paper's discussion: comment id -> writer id),
    for a view decorated with @shared_page; `personal` is kept with it for the decorator's `fill`."""
    response = render(request, template, {**context, "shared": True})
    response.overlay = overlay_of(papers, entries)
    response.overlay.discussion, response.overlay.personal = discussion, personal
    return response


def overlay_of(papers: Iterable[Paper] = (), entries: Iterable[DailyEntry] = ()) -> Overlay:
    """The overlay of these papers and daily entries: a shared page's, or a part filled in per reader (a `fill`)."""
    return Overlay([paper.pk for paper in papers], {entry.paper_id: entry.created_at.timestamp() for entry in entries})


Fill = Callable[[HttpRequest, bytes, Overlay], tuple[bytes, Overlay]]


def shared_page(vary: Callable[[HttpRequest], str] | None = None, cache: bool = True,
                personal: Callable[[HttpRequest], str | None] | None = None, fill: Fill | None = None):
    """Serve the view's page (made by `render_shared`) with the reader's overlay, from the shared cache unless
    `cache` is False. The key is the full path, plus `vary(request)`, plus `personal(request)` where that is not
    None: a page made for one reader, kept for them alone under a key that changes with what it depends on.

    A page whose overlay holds a `personal` part is a frame shared by every reader it is made for, with a part
    that `fill(request, body, overlay)` puts in for each: a "For you" feed is one rendering of the header,
    filters and calendar for all readers, and fifty kept cards in each reader's order (the overlay it returns is
    laid over the whole page)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            request.csrf_placeholder = True  # read by web.context_processors.site
            cacheable = (cache and settings.PAGE_CACHE_SECONDS > 0 and request.method == "GET"
                         and "messages" not in request.COOKIES)  # a message to show once is not shared
            key = f"page:{request.get_full_path()}:{vary(request) if vary else ''}"
            reader = personal(request) if personal else None
            if reader is not None:
                key += f":{reader}"
            pages = caches["pages"]
            cached = pages.get(key) if cacheable else None
            # Past its time a page is rendered again by one request, which takes the key's lock; the others keep
            # serving the kept copy meanwhile instead of all rendering it at once (docs/benchmarks.md).
            if cached is not None and cached[3] < time.time() and pages.add(f"lock:{key}", 1, RENDER_LOCK_SECONDS):
                cached = None
            if cached is not None:
                body, content_type, overlay, _ = cached
                response = HttpResponse(content_type=content_type)
            else:
                response = view(request, *args, **kwargs)
                if response.status_code != 200 or response.streaming or not hasattr(response, "overlay"):
                    return response
                body, content_type, overlay = response.content, response["Content-Type"], response.overlay
                if cacheable:
                    fresh_until = time.time() + settings.PAGE_CACHE_SECONDS
                    pages.set(key, (body, content_type, overlay, fresh_until), settings.PAGE_CACHE_SECONDS * STALE_FACTOR)
                    pages.delete(f"lock:{key}")
            if fill is not None and overlay.personal is not None:
                body, overlay = fill(request, body, overlay)
            response.content = apply_overlay(request, body, overlay)
            return response

        return wrapper

    return decorator


def apply_overlay(request: HttpRequest, body: bytes, overlay: Overlay) -> bytes:
    """The page (UTF-8 bytes) made the reader's."""
    since = getattr(request, "new_since", None)
    if since is not None and overlay.listed_at:
        moment, listed = since.timestamp(), overlay.listed_at
        # One pass over the page, whatever the number of cards (a replace per card cost ~5 ms on a 50-card page).
        body = _NEW_MARKERS.sub(lambda m: NEW_BADGE if listed.get(int(m[1]), 0) > moment else m[0], body)
    marks = Marks([], [], [])
    if request.user.is_authenticated:  # one query for the papers' buttons and the comments' (a paper page)
        marks = marked_among(request.user.pk, overlay.papers, list(overlay.discussion or ()))
        if marks.upvoted:
            body = press(request, body, marks.upvoted, "papertide/_upvote.html", "my_upvotes",
                          '<div class="votes" id="votes-{}">', "</div>")
        if marks.saved:
            body = press(request, body, marks.saved, "papertide/_keep.html", "my_saves",
                          '<span class="keep" id="keep-{}">', "<!--/keep--></span>")
    if overlay.discussion is not None:
        from papertide.discussion.overlay import make_theirs

        body = make_theirs(request, body, overlay.discussion, marks.voted)
    body = body.replace(_ACCOUNT_MARKER, account_links(request).encode(), 1)
    return body.replace(_CSRF_PLACEHOLDER, get_token(request).encode())


KEPT_PIECES = 20_000  # ~1.5 kB each


class Pieces:
    """HTML made once per process and reused for every reader (cards, comments, pressed buttons, header links): a
    page asks for dozens, so they are kept in memory, as they are (strings nobody can change: no copy, no pickling,
    which Django's in-memory cache does at every read). The oldest go first past KEPT_PIECES."""

    def __init__(self, size: int = KEPT_PIECES) -> None:
        self.size, self.found, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str, make: Callable[[], str]) -> str:
        html = self.found.get(key)
        if html is None:
            html = make()
            with self.lock:
                self.found[key] = html
                while len(self.found) > self.size:
                    self.found.popitem(last=False)
        return html

    def clear(self) -> None:
        with self.lock:
            self.found.clear()


pieces = Pieces()


def kept(key: str, make: Callable[[], str]) -> str:
    """`make()`, made once per process (`Pieces`). The key must hold everything the HTML shows."""
    return pieces.get(key, make)


def account_links(request: HttpRequest) -> str:
    """The header's account links. A logged-in reader's are rendered once per name and unread count (per process):
    rendering them through the template and its context processors cost a third of a kept page's time."""
    user = request.user
    if not user.is_authenticated:
        return render_to_string("papertide/_account.html", request=request)
    from papertide.notifications.tell import unread

    return kept(f"account:{user.pk}:{unread(user)}:{user.get_username()}",
                lambda: render_to_string("papertide/_account.html", request=request))


class Marked(NamedTuple):
    """What a pressed button shows of a paper (the names `_upvote.html` and `_keep.html` read)."""

    pk: int
    arxiv_id: str
    total_upvotes: int


class Marks(NamedTuple):
    upvoted: list[Marked]
    saved: list[Marked]
    voted: list  # comments the reader upvoted (discussion.overlay.Voted)


def marked_among(user_id: int, paper_ids: list[int], comment_ids: list[int] = ()) -> Marks:
    """Which of these papers the reader upvoted (with their counts now) and saved, and which of these comments they
    upvoted (with their scores). Plain SQL, one query: it runs on every page a logged-in reader sees, and building
    it through the ORM was a fifth of such a page's CPU (docs/benchmarks.md)."""
    from papertide.discussion.models import Comment, CommentVote
    from papertide.discussion.overlay import Voted
    from papertide.recs.models import Save

    arms, params = [], []
    if paper_ids:
        among, paper = ", ".join(["%s"] * len(paper_ids)), Paper._meta.db_table
        arms += [f"SELECT 'u', p.id, p.arxiv_id, p.upvote_count + p.external_upvotes FROM {Upvote._meta.db_table} u "
                 f"JOIN {paper} p ON p.id = u.paper_id WHERE u.user_id = %s AND u.paper_id IN ({among})",
                 f"SELECT 's', p.id, p.arxiv_id, 0 FROM {Save._meta.db_table} s "
                 f"JOIN {paper} p ON p.id = s.paper_id WHERE s.user_id = %s AND s.paper_id IN ({among})"]
        params += [user_id, *paper_ids, user_id, *paper_ids]
    if comment_ids:
        among = ", ".join(["%s"] * len(comment_ids))
        arms.append(f"SELECT 'c', c.id, '', c.score FROM {CommentVote._meta.db_table} v "
                    f"JOIN {Comment._meta.db_table} c ON c.id = v.comment_id "
                    f"WHERE v.user_id = %s AND v.comment_id IN ({among})")
        params += [user_id, *comment_ids]
    if not arms:
        return Marks([], [], [])
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(arms), params)
        rows = cursor.fetchall()
    return Marks([Marked(*row[1:]) for row in rows if row[0] == "u"],
                 [Marked(*row[1:]) for row in rows if row[0] == "s"],
                 [Voted(row[1], row[3]) for row in rows if row[0] == "c"])


def press(request: HttpRequest, body: bytes, items: list[NamedTuple], template: str, mine: str, start_tag: str,
          end_tag: str, name: str = "paper") -> bytes:
    """Replace the buttons of these papers (or comments: `name`) with pressed ones. A pressed button is rendered once
    per item and count (per process), and reused for every reader. One pass over the page, whatever the number of
    buttons: a find and a copy of the page per button cost a third of a logged-in reader's kept page."""
    here = escape(request.get_full_path())
    pressed = {b"%d" % item.pk: kept(f"pressed:{template}:" + ":".join(str(part) for part in item),
                                  lambda item=item: render_to_string(template, {
                                      name: item, mine: {item.pk}, "csrf_token": CSRF_PLACEHOLDER,
                                      "next_path": NEXT_PLACEHOLDER}).strip()).replace(NEXT_PLACEHOLDER, here).encode()
               for item in items}
    end_tag = end_tag.encode()
    parts, done = [], 0
    for opening in _openings(start_tag).finditer(body):
        html = pressed.get(opening[1])
        if html is None or opening.start() < done:
            continue
        parts += [body[done:opening.start()], html]
        done = body.index(end_tag, opening.start()) + len(end_tag)
    return b"".join(parts) + body[done:] if parts else body


@lru_cache(maxsize=8)
def _openings(start_tag: str) -> re.Pattern:
    """The opening tags of a kind of button (`start_tag` with `{}` for the id), the id captured."""
    before, after = start_tag.encode().split(b"{}")
    return re.compile(re.escape(before) + rb"(\d+)" + re.escape(after))
