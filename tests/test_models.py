import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from papertide.papers import engagement
from papertide.papers.models import DailyEntry, Paper, Upvote


@pytest.fixture
def paper(db):
    return Paper.objects.create(arxiv_id="2411.17700", title="A paper", source="arxiv-rss")


def test_second_upvote_by_the_same_reader_is_refused_by_the_database(paper, alice):
    Upvote.objects.create(user=alice, paper=paper)
    with pytest.raises(IntegrityError), transaction.atomic():
        Upvote.objects.create(user=alice, paper=paper)
    assert paper.upvotes.count() == 1


def test_two_readers_can_each_upvote_a_paper(paper, alice, bob):
    assert engagement.give(alice, paper) and engagement.give(bob, paper)
    assert not engagement.give(alice, paper)  # once each
    assert Paper.objects.get(pk=paper.pk).upvote_count == 2
    assert engagement.take_back(bob, paper) and not engagement.take_back(bob, paper)
    assert Paper.objects.get(pk=paper.pk).upvote_count == 1


def test_a_paper_is_on_the_daily_list_at_most_once(paper):
    DailyEntry.objects.create(paper=paper, day=dt.date(2024, 11, 28))
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyEntry.objects.create(paper=paper, day=dt.date(2024, 11, 29))


def test_arxiv_id_is_unique(paper):
    with pytest.raises(IntegrityError), transaction.atomic():
        Paper.objects.create(arxiv_id="2411.17700", title="Another", source="kaggle")


def test_links_are_derived_from_id_and_version(paper):
    paper.version = 3
    assert paper.abs_url == "https://arxiv.org/abs/2411.17700v3"
    assert paper.pdf_url == "https://arxiv.org/pdf/2411.17700v3"
    assert paper.get_absolute_url() == "/papers/2411.17700/"


def test_old_style_ids_have_pages():
    assert Paper(arxiv_id="hep-th/9901001").get_absolute_url() == "/papers/hep-th/9901001/"


@pytest.mark.parametrize("arxiv_id, year", [("1401.3665", 2014), ("hep-th/9901001", 1999), ("0704.0001", 2007),
                                            ("math.GT/0309136", 2003)])
def test_the_year_comes_from_the_id_when_no_date_is_known(arxiv_id, year):
    assert Paper(arxiv_id=arxiv_id).year == year
