"""AI summaries: the worker's `ai-summaries` job, when PAPERTIDE_LLM_URL names an OpenAI-compatible endpoint.

Newest papers first, each at most once per text (the hash of its title and abstract), LLM_PAPERS_PER_RUN a run and
no faster than LLM_REQUESTS_PER_MINUTE. Each paper's summary is written in its own transaction, so a killed run
loses at most the paper it was waiting for, and a second run asks only about what is still missing. An answer
that cannot be used is counted against the paper; after MAX_FAILURES for the same text it is not asked again.
An endpoint that cannot be reached, or says it is busy for longer than a minute, ends the run (the next one goes
on). The run record says what it cost: requests, tokens and, when the operator gave prices, money.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db.models import F, Q

from papertide.ingest.models import AiSummary, IngestRun
from papertide.ingest.runs import recorded_run
from papertide.papers.models import Paper
from papertide.search.indexer import text_hash
from papertide.sources.llm import Busy, ChatClient, MalformedAnswer
from papertide.sources.records import SourceError

log = logging.getLogger(__name__)

JOB = "ai-summaries"
MAX_FAILURES = 3
SHORT_WAIT = 60.0


def client() -> ChatClient:
    return ChatClient(settings.LLM_URL, settings.LLM_MODEL, settings.LLM_API_KEY, timeout=settings.LLM_TIMEOUT)


def due(limit: int) -> list[Paper]:
    """Papers without a summary of their current text, newest first. The database narrows them down (no summary,
    failed so far, or changed since); the text's hash decides."""
    found: list[Paper] = []
    rows = (Paper.objects.exclude(abstract="")
            .filter(Q(ai_summary__isnull=True) | Q(ai_summary__summary="", ai_summary__failures__lt=MAX_FAILURES)
                    | Q(modified_at__gt=F("ai_summary__written_at")))
            .order_by(F("announced_on").desc(nulls_last=True), "-pk").only("id", "title", "abstract"))
    summaries = AiSummary.objects.in_bulk
    for start in range(0, 10**9, 500):
        chunk = list(rows[start:start + 500])
        if not chunk:
            break
        stored = summaries([p.pk for p in chunk])
        for paper in chunk:
            done = stored.get(paper.pk)
            current = text_hash(paper.title, paper.abstract)
            if done is None or done.text_hash != current or (not done.summary and done.failures < MAX_FAILURES):
                found.append(paper)
                if len(found) == limit:
                    return found
    return found


def write_summaries(limit: int | None = None, chat: ChatClient | None = None, sleep=time.sleep) -> IngestRun:
    chat = chat or client()
    limit = settings.LLM_PAPERS_PER_RUN if limit is None else limit
    gap = 60.0 / settings.LLM_REQUESTS_PER_MINUTE
    with recorded_run(JOB, f"{settings.LLM_MODEL} at {settings.LLM_URL}") as run:
        written = failed = requests = prompt = completion = 0
        stop = ""
        last = 0.0
        for paper in due(limit):
            wait = last + gap - time.monotonic()
            if wait > 0:
                sleep(wait)
            last = time.monotonic()
            requests += 1
            try:
                try:
                    summary = chat.summarize(paper.title, paper.abstract)
                except Busy as exc:
                    if exc.wait is None or exc.wait > SHORT_WAIT:
                        raise
                    sleep(exc.wait)  # asked to wait a little: once, then the same paper again
                    requests += 1
                    summary = chat.summarize(paper.title, paper.abstract)
            except Busy as exc:
                stop = f"the endpoint is busy ({exc})"
                break
            except MalformedAnswer as exc:
                failed += 1
                _failed(paper, str(exc))
                continue
            except SourceError as exc:
                stop = str(exc)
                break
            written += 1
            prompt += summary.prompt_tokens
            completion += summary.completion_tokens
            AiSummary.objects.update_or_create(paper=paper, defaults={
                "summary": summary.text, "keywords": summary.keywords, "model": summary.model,
                "text_hash": text_hash(paper.title, paper.abstract), "prompt_tokens": summary.prompt_tokens,
                "completion_tokens": summary.completion_tokens, "failures": 0, "error": ""})
        run.created, run.unchanged = written, failed
        run.message = f"{written} summaries written, {failed} answers unusable; {requests} requests, " \
                      f"{prompt:,} prompt + {completion:,} completion tokens{_cost(prompt, completion)}"
        if stop:
            run.message += f"; stopped early: {stop}"
            if not written:
                run.status = IngestRun.Status.FAILED
    return run


def _failed(paper: Paper, error: str) -> None:
    current = text_hash(paper.title, paper.abstract)
    row, created = AiSummary.objects.get_or_create(paper=paper, defaults={"text_hash": current, "failures": 1,
                                                                          "error": error[:1000]})
    if not created:
        row.failures = row.failures + 1 if row.text_hash == current and not row.summary else 1
        row.summary, row.keywords, row.text_hash, row.error = "", [], current, error[:1000]
        row.save()


def _cost(prompt: int, completion: int) -> str:
    price_in, price_out = settings.LLM_PRICE_INPUT, settings.LLM_PRICE_OUTPUT
    if not (price_in or price_out):
        return ""
    return f", about {(prompt * price_in + completion * price_out) / 1e6:.4f} in the endpoint's currency"
