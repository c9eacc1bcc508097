"""The trending score: recent upvotes count more, external signals add, and the order only changes by events."""

import datetime as dt

import pytest

from papertide.papers import actions, trending
from papertide.papers.models import DailyEntry, Upvote
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 11, 28)
NOON = dt.datetime(2024, 11, 28, 12, tzinfo=dt.UTC)


def listed(arxiv_id: str, day: dt.date = DAY, **counts) -> DailyEntry:
    upsert_papers([PaperRecord(arxiv_id=arxiv_id, source="huggingface", title=f"Paper {arxiv_id}", listed_on=day,
                               **counts)])
    return DailyEntry.objects.get(paper__arxiv_id=arxiv_id)


def upvote_at(user, entry: DailyEntry, moment: dt.datetime) -> None:
    actions.upvote(user, entry.paper)
    Upvote.objects.filter(user=user, paper=entry.paper).update(created_at=moment)
    trending.refresh([entry.pk])


def trending_order() -> list[str]:
    return [e.paper.arxiv_id for e in DailyEntry.objects.on_day(DAY).trending()]


def test_a_paper_nobody_voted_for_scores_one_at_the_start_of_its_day():
    entry = listed("2411.00001")
    assert trending.score_now(entry.trend_log, trending.day_start(DAY)) == pytest.approx(1.0)


def test_the_score_halves_every_half_life(settings):
    entry = listed("2411.00001")
    later = trending.day_start(DAY) + dt.timedelta(hours=settings.TRENDING_HALF_LIFE_HOURS)
    assert trending.score_now(entry.trend_log, later) == pytest.approx(0.5)


def test_a_fresh_upvote_outranks_an_older_one(alice, bob):
    old, fresh = listed("2411.00001"), listed("2411.00002")
    upvote_at(alice, old, NOON)
    upvote_at(bob, fresh, NOON + dt.timedelta(hours=12))
    assert trending_order()[:2] == ["2411.00002", "2411.00001"]


def test_two_old_upvotes_beat_one_fresh_upvote_only_within_a_half_life(alice, bob, django_user_model):
    carol = django_user_model.objects.create_user("carol", "carol@example.org", "correct horse battery")
    twice, once = listed("2411.00001"), listed("2411.00002")
    upvote_at(alice, twice, NOON)
    upvote_at(bob, twice, NOON)
    upvote_at(carol, once, NOON + dt.timedelta(hours=20))  # less than one 24-hour half-life later
    assert trending_order()[:2] == ["2411.00001", "2411.00002"]
    upvote_at(carol, once, NOON + dt.timedelta(hours=30))  # more than one half-life later
    assert trending_order()[:2] == ["2411.00002", "2411.00001"]


def test_removing_an_upvote_lowers_the_score(alice):
    entry = listed("2411.00001")
    before = DailyEntry.objects.get(pk=entry.pk).trend_log
    actions.upvote(alice, entry.paper)
    assert DailyEntry.objects.get(pk=entry.pk).trend_log > before
    actions.remove_upvote(alice, entry.paper)
    assert DailyEntry.objects.get(pk=entry.pk).trend_log == pytest.approx(before)


def test_upvotes_and_stars_counted_elsewhere_raise_the_score():
    plain = listed("2411.00001")
    starred = listed("2411.00002", github_stars=1023)
    popular = listed("2411.00003", external_upvotes=40)
    start = trending.day_start(DAY)
    assert trending.score_now(plain.trend_log, start) == pytest.approx(1)
    assert trending.score_now(starred.trend_log, start) == pytest.approx(1 + 10)  # log2(1 + 1023) points
    assert trending.score_now(popular.trend_log, start) == pytest.approx(1 + 40)
    assert trending_order() == ["2411.00003", "2411.00002", "2411.00001"]


def test_a_new_external_count_from_a_later_import_updates_the_score():
    entry = listed("2411.00001", external_upvotes=1)
    listed("2411.00001", external_upvotes=30)  # the next Hugging Face import saw more upvotes
    assert DailyEntry.objects.get(pk=entry.pk).trend_log > entry.trend_log


def test_a_newer_day_outranks_an_older_one_when_nobody_voted():
    listed("2411.00001", day=DAY - dt.timedelta(days=1))
    listed("2411.00002", day=DAY)
    assert [e.paper.arxiv_id for e in DailyEntry.objects.trending()] == ["2411.00002", "2411.00001"]


def test_refresh_all_restores_scores_after_the_settings_change(settings, alice):
    entry = listed("2411.00001", external_upvotes=10)
    before = entry.trend_log
    settings.TRENDING_EXTERNAL_UPVOTE_WEIGHT = 0.5
    assert trending.refresh_all() == 1
    assert DailyEntry.objects.get(pk=entry.pk).trend_log < before
    assert trending.refresh_all() == 0  # nothing left to change


def test_the_card_says_why_a_paper_is_trending(alice, bob):
    entry = listed("2411.00001", external_upvotes=12, github_stars=1500)
    upvote_at(alice, entry, dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    actions.upvote(bob, entry.paper)
    shown = DailyEntry.objects.on_day(DAY).trending().get(pk=entry.pk)
    DailyEntry.count_recent_upvotes([shown])
    assert shown.why_trending().reasons() == [
        "1 upvote in the last day", "1 earlier upvote", "12 upvotes elsewhere", "1,500 GitHub stars",
    ]


def test_a_featured_paper_stays_first():
    listed("2411.00001", external_upvotes=100)
    quiet = listed("2411.00002")
    DailyEntry.objects.filter(pk=quiet.pk).update(featured=True)
    assert trending_order()[0] == "2411.00002"
