"""Ingestion jobs from remote sources. Each records its run, and each can be killed and re-run."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from papertide.ingest.models import IngestRun
from papertide.ingest.runs import add_result, clear_checkpoint, load_checkpoint, recorded_run, save_checkpoint
from papertide.papers.upsert import upsert_papers
from papertide.sources import arxiv_api, arxiv_oai, arxiv_rss, huggingface
from papertide.sources.http import Fetcher
from papertide.sources.records import SourceError, split_arxiv_id

log = logging.getLogger(__name__)


def default_fetcher() -> Fetcher:
    return Fetcher(timeout=settings.HTTP_TIMEOUT, max_wait=settings.HTTP_MAX_RETRY_WAIT)


def ingest_announcements(categories: list[str] | None = None, *, fetcher: Fetcher | None = None) -> IngestRun:
    """Today's arXiv announcements for the configured categories: new and cross-listed papers go on
    the day's list, replacements update papers already known."""
    categories = categories or settings.ARXIV_CATEGORIES
    url = settings.ARXIV_RSS_URL.format(categories="+".join(categories))
    with recorded_run(arxiv_rss.SOURCE_NAME, " ".join(categories)) as run:
        feed = arxiv_rss.parse_announcement_feed((fetcher or default_fetcher()).get(url))
        if not feed.records:
            run.message = (f"arXiv announced nothing for {' '.join(categories)} on {feed.announced_on or 'this day'}: "
                           "a weekend or holiday (arXiv announces Sunday to Thursday evenings, US Eastern).")
            log.info(run.message)
            return run
        add_result(run, upsert_papers(feed.records))
        counts = feed.counts()
        run.message = (f"{feed.announced_on}: {counts.get('new', 0)} new, {counts.get('cross', 0)} cross-listed, "
                       f"{counts.get('replace', 0) + counts.get('replace-cross', 0)} replaced")
    return run


def ingest_ids(arxiv_ids: list[str], *, fetcher: Fetcher | None = None) -> tuple[IngestRun, list[str]]:
    """Papers by arXiv id through the export API; returns the run and the ids arXiv did not know."""
    with recorded_run(arxiv_api.SOURCE_NAME, " ".join(arxiv_ids)[:500]) as run:
        records = arxiv_api.fetch_by_ids(arxiv_ids, url=settings.ARXIV_API_URL, fetcher=fetcher or default_fetcher(),
                                         delay=settings.ARXIV_REQUEST_DELAY)
        add_result(run, upsert_papers(records))
        found = {record.arxiv_id for record in records}
        missing = [i for i in arxiv_ids if split_arxiv_id(i)[0] not in found]
        if missing:
            run.message = f"arXiv does not know {', '.join(missing)}"
    return run, missing


def import_daily_papers(data: bytes, target: str) -> IngestRun:
    """A Hugging Face `/api/daily_papers` response (already read from a file or fetched)."""
    with recorded_run(huggingface.SOURCE_NAME, target) as run:
        add_result(run, upsert_papers(huggingface.parse_daily_papers(data)))
    return run


@dataclass
class HarvestRequest:
    metadata_prefix: str = "arXiv"
    set_spec: str = ""
    from_date: str = ""
    until_date: str = ""

    @property
    def key(self) -> str:
        return f"oai:{settings.ARXIV_OAI_URL}:{self.metadata_prefix}:{self.set_spec}:{self.from_date}:{self.until_date}"

    def first_page_params(self) -> dict[str, str]:
        params = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix, "set": self.set_spec,
                  "from": self.from_date, "until": self.until_date}
        return {name: value for name, value in params.items() if value}

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.first_page_params().items() if k != "verb")


def harvest_oai(request: HarvestRequest, *, restart: bool = False, fetcher: Fetcher | None = None,
                delay: float | None = None, on_page=None) -> IngestRun:
    """OAI-PMH ListRecords, page by page. Each page and the token for the next one are committed in one
    transaction, so a killed or failed harvest resumes from the page it had not finished."""
    fetcher = fetcher or default_fetcher()
    delay = settings.ARXIV_REQUEST_DELAY if delay is None else delay
    state = {} if restart else load_checkpoint(request.key)
    token = state.get("token", "")
    pages = state.get("pages", 0)
    with recorded_run(arxiv_oai.SOURCE_NAME, request.describe()) as run:
        if token:
            log.info("resuming the harvest after page %d", pages)
        while True:
            params = {"verb": "ListRecords", "resumptionToken": token} if token else request.first_page_params()
            try:
                page = arxiv_oai.parse_list_records(fetcher.get(settings.ARXIV_OAI_URL, params))
            except SourceError as exc:
                if token and "badResumptionToken" in str(exc):
                    raise SourceError(f"{exc} — the saved position expired; run the harvest again with --restart") from None
                raise SourceError(f"page {pages + 1}: {exc}") from None
            with transaction.atomic():
                result = upsert_papers(page.records)
                token = page.resumption_token
                pages += 1
                save_checkpoint(request.key, {"token": token, "pages": pages})
            add_result(run, result)
            if on_page:
                on_page(pages, page)
            if not token:
                break
            fetcher.sleep(delay)  # arXiv asks harvesters to wait between requests
        clear_checkpoint(request.key)
        run.message = f"{pages} pages harvested"
    return run

