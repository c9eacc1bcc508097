"""The thin fetching layer every remote source shares: polite, retrying, and clear about failures."""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from papertide import __version__
from papertide.sources.records import SourceError

log = logging.getLogger(__name__)

USER_AGENT = f"papertide/{__version__} (self-hosted daily papers; https://github.com/papertide)"


@dataclass
class Fetcher:
    """GET with a timeout, honouring `503` + `Retry-After` (arXiv's way of saying "slow down").

    The timeout bounds each attempt as a whole, not each read: a server sending a byte every few seconds held
    a submission for minutes. A body cut short counts as a failed attempt."""

    timeout: float = 60.0
    max_retries: int = 5
    max_wait: float = 300.0
    sleep = staticmethod(time.sleep)

    def get(self, url: str, params: dict[str, str] | None = None) -> bytes:
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return self._read_by(response, time.monotonic() + self.timeout)
            except urllib.error.HTTPError as error:
                body = error.read()
                if error.code in (429, 503) and attempt < self.max_retries:
                    wait = _retry_after(error.headers.get("Retry-After"), default=10.0 * (attempt + 1))
                    log.info("%s answered %s; retrying in %.0f s", _host(url), error.code, min(wait, self.max_wait))
                    self.sleep(min(wait, self.max_wait))
                    continue
                if error.code == 400 and body:
                    return body  # arXiv's export API explains a bad request in an Atom error feed
                raise SourceError(f"{url} answered HTTP {error.code} {error.reason}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
                if attempt < self.max_retries:
                    wait = min(5.0 * 2**attempt, self.max_wait)
                    log.info("%s unreachable (%s); retrying in %.0f s", _host(url), error, wait)
                    self.sleep(wait)
                    continue
                reason = getattr(error, "reason", error)
                raise SourceError(f"cannot reach {_host(url)}: {reason}") from None
        raise SourceError(f"{url} kept answering 503 after {self.max_retries} retries")

    def _read_by(self, response, deadline: float) -> bytes:
        return read_body(response, self.timeout, deadline)


def read_body(response, timeout: float, deadline: float | None = None) -> bytes:
    """The whole body within `timeout` seconds (by `deadline`, when the request began earlier); a body cut short
    is an error, not an answer."""
    deadline = deadline if deadline is not None else time.monotonic() + timeout
    chunks = []
    while chunk := response.read1(65536):
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError(f"the answer took over {timeout:.0f} s")
    if getattr(response, "length", None):  # the connection closed before the length it announced
        raise ConnectionError(f"the answer stopped {response.length} bytes short")
    return b"".join(chunks)


def _retry_after(value: str | None, default: float) -> float:
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url
