import datetime as dt
import gzip

import pytest

from papertide.demo import DEMO_FEED_PATH
from papertide.sources.arxiv_rss import ArxivFeedError, parse_announcement_feed
from papertide.sources.records import SourceError
from tests.conftest import FIXTURES

RSS = FIXTURES / "arxiv" / "rss"
DAY = dt.date(2024, 11, 28)


def by_id(feed, arxiv_id):
    return next(record for record in feed.records if record.arxiv_id == arxiv_id)


def test_the_real_feed_has_all_1504_announcements(real_feed):
    assert len(real_feed.records) == 1504
    assert len({record.arxiv_id for record in real_feed.records}) == 1504
    assert real_feed.announced_on == DAY


def test_announcements_are_counted_by_type(real_feed):
    assert real_feed.counts() == {"new": 926, "replace": 569, "cross": 9}


def test_new_and_cross_announcements_go_on_the_day_and_replacements_do_not(real_feed):
    listed = {record.announce_type for record in real_feed.records if record.listed_on == DAY}
    unlisted = {record.announce_type for record in real_feed.records if record.listed_on is None}
    assert listed == {"new", "cross"}
    assert unlisted == {"replace"}


def test_ids_and_versions_come_from_the_announcement(real_feed):
    record = by_id(real_feed, "1401.3665")
    assert (record.version, record.title, record.authors) == (4, "The existence of designs", ["Peter Keevash"])


def test_author_names_are_split_and_decoded(real_feed):
    assert by_id(real_feed, "2411.17775").authors == ["Václav Vavryčuk"]
    assert by_id(real_feed, "2411.17758").authors == ["Kamil Erdayandi", "Mustafa Asan Mustafa"]
    raw_tex = [name for record in real_feed.records for name in record.authors if "\\" in name or "{" in name]
    assert raw_tex == []


def test_doi_and_journal_reference_are_read_from_the_feeds_own_field_names(real_feed):
    record = by_id(real_feed, "2411.17758")
    assert record.doi == "10.1016/j.segan.2024.101477"
    assert record.journal_ref.startswith("Sustainable Energy, Grids and Networks, Volume 39, 2024")
    assert sum(1 for r in real_feed.records if r.doi) == 111
    assert sum(1 for r in real_feed.records if r.journal_ref) == 97


def test_categories_primary_first_and_license(real_feed):
    record = by_id(real_feed, "2202.06515")
    assert record.categories == ["astro-ph.CO", "astro-ph.GA", "physics.flu-dyn"]
    assert record.primary_category == "astro-ph.CO"
    assert by_id(real_feed, "2411.17700").license == "http://creativecommons.org/licenses/by/4.0/"


def test_abstract_is_the_text_after_the_announcement_header(real_feed):
    abstract = by_id(real_feed, "1401.3665").abstract
    assert abstract.startswith("We prove the existence conjecture for combinatorial designs")
    assert "Announce Type" not in abstract


def test_the_real_empty_feed_is_a_normal_day_without_papers():
    feed = parse_announcement_feed((RSS / "empty_rss_mock_feed.xml").read_bytes())
    assert feed.records == []
    assert feed.announced_on == DAY


def test_the_real_error_feed_raises_arxivs_message():
    with pytest.raises(ArxivFeedError, match="Bad archive 'astroph'"):
        parse_announcement_feed((RSS / "error_rss_mock_feed.xml").read_bytes())


def test_a_truncated_feed_is_a_clear_error():
    data = gzip.decompress(DEMO_FEED_PATH.read_bytes())
    with pytest.raises(SourceError, match="not a well-formed arXiv RSS feed"):
        parse_announcement_feed(data[: len(data) // 2])


def test_a_document_that_is_not_rss_is_refused():
    with pytest.raises(SourceError, match="expected <rss><channel>"):
        parse_announcement_feed(b"<html><body>Service unavailable</body></html>")
