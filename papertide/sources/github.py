"""GitHub's REST API, for the stars and last push of the repositories papers link to.

Polite by construction: conditional requests (an unchanged repository answers 304, which GitHub does not count
against the rate limit), the rate-limit headers read on every answer (at `X-RateLimit-Remaining: 0` no request is
sent until `X-RateLimit-Reset`), and `Retry-After` honoured. A repository that was renamed or moved answers 301;
the client follows it on the configured API host only. One that is gone (404, 410, 451) is reported as gone.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from papertide.sources.http import USER_AGENT, read_body
from papertide.sources.records import SourceError

REPO_URL = re.compile(r"^https?://(?:www\.)?github\.com/([A-Za-z0-9-]{1,39})/([A-Za-z0-9._-]{1,100}?)(?:\.git)?/?(?:[#?/].*)?$")
MAX_REDIRECTS = 3
SHORT_WAIT = 60.0  # a Retry-After up to this long is waited out; a longer one ends the run


def repository_of(url: str) -> str | None:
    """`owner/name` of a github.com repository link, lower-cased (GitHub's names are case-insensitive)."""
    match = REPO_URL.match(url.strip())
    if not match or match.group(2) in (".", ".."):
        return None
    return f"{match.group(1)}/{match.group(2)}".lower()


class RateLimited(Exception):
    """GitHub asks for no more requests until `until`."""

    def __init__(self, until: dt.datetime, why: str) -> None:
        super().__init__(f"{why}; GitHub allows more requests at {until:%Y-%m-%d %H:%M} UTC")
        self.until = until


@dataclass
class Repository:
    full_name: str
    stars: int
    pushed_at: dt.datetime | None
    etag: str


@dataclass
class Answer:
    status: str  # "ok", "unchanged" (304), "gone"
    repository: Repository | None = None


class GitHub:
    def __init__(self, api_url: str = "https://api.github.com", token: str = "", timeout: float = 30.0,
                 sleep=time.sleep, now=lambda: dt.datetime.now(dt.UTC)) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.sleep, self.now = sleep, now
        self.requests = 0  # sent, for the run record (a 304 costs nothing against the limit)
        self.remaining: int | None = None
        self.reset_at: dt.datetime | None = None

    def repository(self, full_name: str, etag: str = "") -> Answer:
        path = f"/repos/{urllib.parse.quote(full_name, safe='/')}"
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, body = self._get(path, etag)
            if status in (301, 302, 307, 308):
                location = urllib.parse.urlsplit(headers.get("location", ""))
                if not location.path.startswith(("/repos/", "/repositories/")):
                    raise SourceError(f"GitHub moved {full_name} to {headers.get('location')!r}, which is not a repository")
                path, etag = location.path, ""  # the new address has no ETag of ours
                continue
            if status == 304:
                return Answer("unchanged")
            if status in (404, 410, 451):
                return Answer("gone")
            if status != 200:
                raise SourceError(f"GitHub answered HTTP {status} for {full_name}: {body[:200]!r}")
            return Answer("ok", _parse(body, headers.get("etag", "")))
        raise SourceError(f"GitHub redirected {full_name} more than {MAX_REDIRECTS} times")

    def _get(self, path: str, etag: str) -> tuple[int, dict[str, str], bytes]:
        if self.remaining == 0 and self.reset_at and self.reset_at > self.now():
            raise RateLimited(self.reset_at, "the hourly request limit is used up")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if etag:
            headers["If-None-Match"] = etag
        for attempt in range(2):
            self.requests += 1
            request = urllib.request.Request(self.api_url + path, headers=headers)
            try:
                with _opener.open(request, timeout=self.timeout) as response:
                    status, answer, body = response.status, response.headers, read_body(response, self.timeout)
            except urllib.error.HTTPError as error:
                status, answer, body = error.code, error.headers, error.read()
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
                raise SourceError(f"cannot reach {self.api_url}: {getattr(error, 'reason', error)}") from None
            found = {name.lower(): value for name, value in answer.items()}
            self._note_limit(found)
            if status in (403, 429) and ("retry-after" in found or self.remaining == 0):
                wait = _seconds(found.get("retry-after"))
                if wait is not None and wait <= SHORT_WAIT and attempt == 0:
                    self.sleep(wait)
                    continue
                until = self.now() + dt.timedelta(seconds=wait) if wait is not None else (
                    self.reset_at if self.reset_at and self.reset_at > self.now() else self.now() + dt.timedelta(hours=1))
                raise RateLimited(until, f"GitHub answered {status}: {_message(body)}")
            return status, found, body
        raise SourceError("GitHub kept asking to wait")

    def _note_limit(self, headers: dict[str, str]) -> None:
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.remaining = int(remaining)
        if reset is not None and reset.isdigit() and int(reset) < 2**32:  # seconds since 1970; anything else is noise
            self.reset_at = dt.datetime.fromtimestamp(int(reset), dt.UTC)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as answers: the client follows them itself, on the API host only."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _parse(body: bytes, etag: str) -> Repository:
    try:
        data = json.loads(body)
        # `watchers_count` is the same number under its older name (GitHub's "watchers" became stars in 2012;
        # older GitHub Enterprise versions and old answers have only that one).
        stars = data["stargazers_count"] if "stargazers_count" in data else data["watchers_count"]
        name = data["full_name"]
    except (ValueError, KeyError, TypeError):
        raise SourceError(f"GitHub's answer is not a repository: {body[:200]!r}") from None
    if not isinstance(stars, int) or stars < 0 or not isinstance(name, str):
        raise SourceError(f"GitHub's answer has no star count: {body[:200]!r}")
    pushed = data.get("pushed_at")
    try:
        pushed_at = dt.datetime.fromisoformat(pushed.replace("Z", "+00:00")) if isinstance(pushed, str) else None
    except ValueError:
        pushed_at = None
    return Repository(full_name=name.lower(), stars=stars, pushed_at=pushed_at, etag=etag)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message", ""))[:200]
    except (ValueError, AttributeError):
        return body[:200].decode(errors="replace")
