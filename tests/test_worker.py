"""The schedule and the worker that runs the daily ingest."""

import datetime as dt

import pytest

from papertide.conf import ConfigError
from papertide.ingest.models import IngestRun, ScheduledJob
from papertide.ingest.schedule import DailySchedule
from papertide.ingest.worker import run_due_jobs
from tests.conftest import FIXTURES
from tests.helpers import cut_feed, run_papertide
from tests.replay import Answer, ReplayServer

UTC = dt.UTC
WEEKDAYS_0030_NY = DailySchedule.parse("00:30", "America/New_York", ["mon", "tue", "wed", "thu", "fri"])


def test_the_next_run_is_the_next_weekday_at_the_local_time():
    friday_evening = dt.datetime(2024, 11, 29, 23, 0, tzinfo=UTC)  # Friday 18:00 in New York
    assert WEEKDAYS_0030_NY.next_after(friday_evening) == dt.datetime(2024, 12, 2, 5, 30, tzinfo=UTC)  # Mon 00:30


def test_daylight_saving_time_keeps_the_local_time():
    before_change = dt.datetime(2024, 11, 1, 12, 0, tzinfo=UTC)  # Friday; clocks go back on Sunday Nov 3
    assert WEEKDAYS_0030_NY.next_after(before_change) == dt.datetime(2024, 11, 4, 5, 30, tzinfo=UTC)
    summer = dt.datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    assert WEEKDAYS_0030_NY.next_after(summer) == dt.datetime(2024, 7, 2, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "at, zone, days, message",
    [("25:00", "UTC", ["mon"], "PAPERTIDE_INGEST_TIME"), ("00:30", "Mars/Olympus", ["mon"], "PAPERTIDE_INGEST_TIMEZONE"),
     ("00:30", "UTC", ["someday"], "PAPERTIDE_INGEST_DAYS")],
)
def test_a_bad_schedule_setting_is_a_clear_error(at, zone, days, message):
    with pytest.raises(ConfigError, match=message):
        DailySchedule.parse(at, zone, days)


@pytest.fixture
def feed_server(settings):
    # The first 20 real announcements: the worker embeds them after ingesting, so keep it short.
    with ReplayServer({"/rss/cs.CV": [Answer(cut_feed(20))]}) as server:
        settings.ARXIV_RSS_URL = server.url + "/rss/{categories}"
        settings.ARXIV_CATEGORIES = ["cs.CV"]
        settings.SEARCH_INDEX_DIR = settings.DATA_DIR / "worker-test-index"
        yield server


@pytest.mark.django_db
def test_the_worker_runs_a_due_ingest_once_and_schedules_the_next(feed_server, settings):
    from papertide.search import service

    service.get_backend.cache_clear()
    now = dt.datetime(2024, 11, 28, 6, 0, tzinfo=UTC)
    ScheduledJob.objects.create(name="daily-ingest", next_due_at=now - dt.timedelta(minutes=1))
    assert run_due_jobs(now) == ["daily-ingest"]
    assert run_due_jobs(now) == []  # claimed: a second worker, or a second look, runs nothing
    assert IngestRun.objects.get().listed == 20  # the first 20 announcements are all new papers
    assert ScheduledJob.objects.get(name="daily-ingest").next_due_at == dt.datetime(2024, 11, 29, 5, 30, tzinfo=UTC)
    service.get_backend.cache_clear()


@pytest.mark.django_db
def test_a_worker_that_was_down_for_days_catches_up_once(feed_server):
    now = dt.datetime(2024, 11, 28, 6, 0, tzinfo=UTC)
    ScheduledJob.objects.create(name="daily-ingest", next_due_at=now - dt.timedelta(days=3))
    assert run_due_jobs(now) == ["daily-ingest"]
    assert run_due_jobs(now + dt.timedelta(minutes=1)) == []
    assert len(feed_server.requests) == 1


@pytest.mark.django_db
def test_the_first_look_only_schedules(feed_server):
    assert run_due_jobs(dt.datetime(2024, 11, 28, 6, 0, tzinfo=UTC)) == []
    assert ScheduledJob.objects.get(name="daily-ingest").next_due_at == dt.datetime(2024, 11, 29, 5, 30, tzinfo=UTC)


def test_ingest_status_shows_runs_and_the_schedule(tmp_path):
    run_papertide(tmp_path, "import", "hf", str(FIXTURES / "hf" / "daily_papers_2024-10-25.first4of-N.json"))
    status = run_papertide(tmp_path, "ingest", "status")
    assert "Daily ingest: 00:30 America/New_York on mon tue wed thu fri" in status.stdout
    assert "huggingface" in status.stdout and "+4 new" in status.stdout
