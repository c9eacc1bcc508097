"""An OpenAI-compatible chat endpoint (Ollama, llama.cpp's server, vLLM or a hosted one), for two-sentence
summaries of papers. Only `POST {base}/chat/completions` is used; the key is optional.

The model is asked for JSON ({"summary", "keywords"}); what comes back is read leniently (a code fence or words
around the object are skipped) and checked strictly (two short sentences at most, a few short keywords), since a
small local model does not always do as told. Anything else is a `MalformedAnswer`, never stored.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from papertide.sources.http import USER_AGENT, read_body
from papertide.sources.records import SourceError

SYSTEM = ("You summarize research papers for a daily papers site. Answer with one JSON object and nothing else: "
          '{"summary": "<two plain sentences: what the paper does and what it finds>", '
          '"keywords": ["<3 to 6 short keyphrases>"]}')
MAX_SUMMARY = 600
MAX_KEYWORDS = 8


class MalformedAnswer(SourceError):
    """The endpoint answered, but not with a usable summary."""


class Busy(SourceError):
    """The endpoint asks to wait (HTTP 429/503) for `wait` seconds, or says nothing about how long."""

    def __init__(self, message: str, wait: float | None) -> None:
        super().__init__(message)
        self.wait = wait


@dataclass
class Summary:
    text: str
    keywords: list[str]
    model: str
    prompt_tokens: int
    completion_tokens: int


class ChatClient:
    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 120.0) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key, self.timeout = model, api_key, timeout

    def summarize(self, title: str, abstract: str) -> Summary:
        body = json.dumps({
            "model": self.model,
            "messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": f"Title: {title}\n\nAbstract: {abstract}"}],
            "temperature": 0.2,
            "max_tokens": 300,
        }).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = read_body(response, self.timeout, started + self.timeout)
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode(errors="replace")
            if error.code in (429, 503):
                retry = error.headers.get("Retry-After")
                raise Busy(f"{self.url} answered {error.code}: {detail}",
                           float(retry) if retry and retry.replace(".", "", 1).isdigit() else None) from None
            raise SourceError(f"{self.url} answered HTTP {error.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
            raise SourceError(f"cannot reach {self.url}: {getattr(error, 'reason', error)}") from None
        return parse(raw, self.model)


def parse(raw: bytes, asked_model: str) -> Summary:
    try:
        answer = json.loads(raw)
        content = answer["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise MalformedAnswer(f"not a chat completion: {raw[:200]!r}") from None
    if not isinstance(content, str):
        raise MalformedAnswer("the completion has no text")
    found = _json_object(content)
    summary = found.get("summary") if found else None
    keywords = found.get("keywords") if found else None
    if not isinstance(summary, str) or not summary.strip():
        raise MalformedAnswer(f"no summary in the answer: {content[:200]!r}")
    summary = " ".join(summary.split())
    if len(summary) > MAX_SUMMARY or len(re.findall(r"[.!?](?:\s|$)", summary)) > 3:
        raise MalformedAnswer(f"the summary is not two sentences: {summary[:200]!r}")
    if not isinstance(keywords, list):
        keywords = []
    keywords = [" ".join(k.split()) for k in keywords if isinstance(k, str) and 0 < len(k.strip()) <= 60][:MAX_KEYWORDS]
    usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
    model = answer.get("model") if isinstance(answer.get("model"), str) and answer.get("model") else asked_model
    return Summary(summary, keywords, model[:200], _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))


def _json_object(text: str) -> dict | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        found = json.loads(text[start:end + 1])
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _count(value) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
