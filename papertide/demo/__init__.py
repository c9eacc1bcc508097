"""The bundled demo day: one real day of arXiv announcements (2024-11-28, all archives)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TYPE_CHECKING

from papertide.sources.arxiv_rss import AnnouncementFeed, parse_announcement_feed

if TYPE_CHECKING:
    from papertide.papers.upsert import UpsertResult

DEMO_FEED_PATH = Path(__file__).with_name("arxiv-rss-2024-11-28.xml.gz")


def demo_feed() -> AnnouncementFeed:
    return parse_announcement_feed(gzip.decompress(DEMO_FEED_PATH.read_bytes()))


def load_demo_day() -> UpsertResult:
    """Load the demo day through the same parser and upsert path as live ingestion; idempotent."""
    from papertide.papers.upsert import upsert_papers  # needs Django set up; the parser does not

    return upsert_papers(demo_feed().records)
