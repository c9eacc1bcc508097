"""Day, week and month feeds: navigation, the calendar, sorting and the "new" marker."""

import datetime as dt
import time

import pytest

from papertide.papers import actions
from papertide.papers.models import DailyEntry, Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord
from papertide.web import visits

pytestmark = pytest.mark.django_db

# Thursday and Friday of ISO week 48 of 2024, Monday of week 49, and a day in October.
DAYS = [dt.date(2024, 11, 28), dt.date(2024, 11, 29), dt.date(2024, 12, 2), dt.date(2024, 10, 15)]


@pytest.fixture
def four_days():
    for n, day in enumerate(DAYS):
        upsert_papers([PaperRecord(arxiv_id=f"2411.{n:05d}", source="arxiv-rss", title=f"Paper of {day}",
                                   listed_on=day)])


def test_the_week_page_lists_every_day_of_the_week(client, four_days):
    page = client.get("/week/2024-W48/").content.decode()
    assert "Week 48, 2024 (Nov 25 – Dec 1)" in page
    assert "Paper of 2024-11-28" in page and "Paper of 2024-11-29" in page
    assert "Paper of 2024-12-02" not in page
    assert 'href="/week/2024-W49/"' in page and 'href="/week/2024-W42/"' in page  # next and previous weeks with papers


def test_the_month_page_lists_the_month(client, four_days):
    page = client.get("/month/2024-11/").content.decode()
    assert "November 2024" in page and "2 papers" in page
    assert 'href="/month/2024-10/"' in page and 'href="/month/2024-12/"' in page


@pytest.mark.parametrize("url", ["/week/2024-W60/", "/month/2024-13/", "/week/2023-W01/", "/month/2023-01/"])
def test_an_impossible_or_empty_period_is_not_found(client, four_days, url):
    assert client.get(url).status_code == 404


def test_the_calendar_links_the_days_and_weeks_that_have_papers(client, four_days):
    page = client.get("/day/2024-11-28/").content.decode()
    calendar = page[page.index('class="calendar"'):]
    assert 'href="/day/2024-11-28/"' in calendar and 'href="/day/2024-11-29/"' in calendar
    assert 'href="/day/2024-10-15/"' not in calendar  # another month
    assert 'href="/day/2024-11-27/"' not in calendar  # no papers that day
    assert 'href="/week/2024-W48/"' in calendar
    assert 'aria-current="date"' in calendar


def test_the_period_tabs_lead_to_the_week_and_month_of_the_day(client, four_days):
    page = client.get("/day/2024-11-29/").content.decode()
    assert 'href="/week/2024-W48/"' in page and 'href="/month/2024-11/"' in page


def test_sorting_by_newest_and_by_upvotes(client, four_days, alice):
    actions.upvote(alice, Paper.objects.get(arxiv_id="2411.00000"))
    by_votes = client.get("/week/2024-W48/?sort=upvotes").content.decode()
    newest = client.get("/week/2024-W48/?sort=newest").content.decode()
    assert by_votes.index("Paper of 2024-11-28") < by_votes.index("Paper of 2024-11-29")
    assert newest.index("Paper of 2024-11-29") < newest.index("Paper of 2024-11-28")
    assert '<a href="?sort=newest" aria-current="true">Newest</a>' in newest


def test_a_week_card_says_why_it_is_trending(client, four_days, alice):
    actions.upvote(alice, Paper.objects.get(arxiv_id="2411.00000"))
    assert "Trending: 1 upvote in the last day" in client.get("/week/2024-W48/").content.decode()


def new_markers(page: str) -> int:
    return page.count('<span class="new">New</span>')


def test_papers_added_since_the_last_visit_are_marked_new(client, four_days):
    assert new_markers(client.get("/day/2024-11-29/").content.decode()) == 0  # a first visit marks nothing
    # The reader comes back an hour after that visit; one paper was added in between.
    an_hour_ago = time.time() - 3600
    client.cookies[visits.SEEN_COOKIE] = f"{an_hour_ago:.0f}"
    DailyEntry.objects.update(created_at=dt.datetime.fromtimestamp(an_hour_ago - 60, tz=dt.UTC))
    upsert_papers([PaperRecord(arxiv_id="2411.99999", source="arxiv-rss", title="Late paper", listed_on=DAYS[1])])
    page = client.get("/day/2024-11-29/").content.decode()
    assert new_markers(page) == 1
    assert page.index('<span class="new">New</span>') < page.index("Late paper") < page.index("Paper of 2024-11-29")
    # Reloading within the same visit keeps the marker; the next visit clears it.
    assert new_markers(client.get("/day/2024-11-29/").content.decode()) == 1
    client.cookies[visits.SEEN_COOKIE] = f"{time.time() - 3600:.0f}"
    DailyEntry.objects.update(created_at=dt.datetime.fromtimestamp(time.time() - 7200, tz=dt.UTC))
    assert new_markers(client.get("/day/2024-11-29/").content.decode()) == 0


def test_a_garbled_visit_cookie_is_ignored(client, four_days):
    client.cookies[visits.SEEN_COOKIE] = "yesterday"
    assert client.get("/").status_code == 200
