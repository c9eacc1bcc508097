import datetime as dt

import pytest

from papertide.search.query import MAX_WORDS, parse_query


def test_words_are_plain_lower_case_and_unique():
    assert parse_query('Contrastive "loss" AND (loss) OR -tail*').words == ["contrastive", "loss", "and", "or", "tail"]


def test_filters_are_taken_out_of_the_text():
    query = parse_query('author:"Václav Vavryčuk" cat:astro-ph.GA from:2024-11 to:2024 dark matter')
    assert query.words == ["dark", "matter"]
    assert query.authors == ["vaclav vavrycuk"]
    assert query.categories == ["astro-ph.ga"]
    assert (query.date_from, query.date_to) == (dt.date(2024, 11, 1), dt.date(2024, 12, 31))


def test_a_month_filter_ends_on_the_last_day_of_the_month():
    assert parse_query("to:2024-02").date_to == dt.date(2024, 2, 29)


@pytest.mark.parametrize("text", ["from:2024-13-01", "from:yesterday", "author:", "cat:"])
def test_an_unusable_filter_stays_as_words(text):
    query = parse_query(text)
    assert not query.has_filters


@pytest.mark.parametrize(
    "text, arxiv_id",
    [("2411.17775", "2411.17775"), ("arXiv:2411.17775v2", "2411.17775"), ("hep-th/9901001", "hep-th/9901001"),
     ("https://arxiv.org/abs/2411.17775v1", "2411.17775"), ("2411.17775 diffusion", "")],
)
def test_arxiv_ids_and_urls_are_recognised(text, arxiv_id):
    assert parse_query(text).arxiv_id == arxiv_id


def test_a_pasted_abstract_is_bounded():
    query = parse_query(" ".join(f"word{n}" for n in range(5_000)))
    assert len(query.words) == MAX_WORDS
