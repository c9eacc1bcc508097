"""GitHub stars: real recorded GitHub API answers (200, 304, 301 rename, 404, 403 rate-limited) replayed by a
local server; the stars reach cards, the paper page, the API and the trending score."""

import datetime as dt
import json

import pytest

from papertide.ingest.models import CodeRepository, IngestRun
from papertide.ingest.stars import refresh_stars
from papertide.ingest.worker import run_due_jobs
from papertide.papers.models import DailyEntry, Paper
from papertide.sources.github import repository_of
from tests.conftest import FIXTURES
from tests.replay import Answer, ReplayServer

pytestmark = pytest.mark.django_db


def recorded(name: str) -> list[dict]:
    return json.loads((FIXTURES / "github" / name).read_text())["exchanges"]


def answer(exchange: dict) -> Answer:
    headers = {k: v for k, v in exchange["headers"].items() if k not in ("content-length", "connection", "transfer-encoding")}
    return Answer(exchange["body"].encode(), exchange["status"], headers)


def github(routes: dict[str, list[dict]]):
    return ReplayServer({path: [answer(e) for e in exchanges] for path, exchanges in routes.items()})


def paper_linking(arxiv_id: str, url: str, listed: bool = True) -> Paper:
    paper = Paper.objects.create(arxiv_id=arxiv_id, title=f"Paper {arxiv_id}", abstract="An abstract.",
                                 code_url=url, source="arxiv-api", announced_on=dt.date(2024, 11, 28))
    if listed:
        DailyEntry.objects.create(paper=paper, day=dt.date(2024, 11, 28))
    return paper


@pytest.fixture
def stars_on(settings):
    settings.GITHUB_STARS, settings.GITHUB_TOKEN = True, "a-token"


def test_repository_links_are_read_as_github_names():
    assert repository_of("https://github.com/Akfish/PyGithub.git") == "akfish/pygithub"
    assert repository_of("https://github.com/owner/repo/tree/main/src") == "owner/repo"
    assert repository_of("https://gitlab.com/owner/repo") is None
    assert repository_of("https://github.com/owner") is None


def test_stars_arrive_then_an_unchanged_repository_costs_a_conditional_request(settings, stars_on, client):
    first, unchanged = recorded("repo-304.json")
    paper = paper_linking("2411.00001", "https://github.com/akfish/PyGithub")
    trend_before = DailyEntry.objects.get(paper=paper).trend_log
    with github({"/repos/akfish/pygithub": [first, unchanged]}) as server:
        settings.GITHUB_API_URL = server.url
        run = refresh_stars()
        stars = json.loads(first["body"])["watchers_count"]  # a 2013 answer: stars under their older name
        paper.refresh_from_db()
        assert paper.github_stars == stars and paper.github_pushed_at is not None
        assert run.status == IngestRun.Status.OK and "1 repositories checked" in run.message
        assert server.received[0].headers["Authorization"] == "Bearer a-token"
        assert DailyEntry.objects.get(paper=paper).trend_log > trend_before  # stars count in trending
        page = client.get("/papers/2411.00001/").content.decode()
        assert f"★ {stars}" in page
        assert client.get("/api/papers/2411.00001").json()["githubStars"] == stars
        CodeRepository.objects.update(checked_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # due again
        second = refresh_stars()
        assert server.received[1].headers["If-None-Match"] == first["headers"]["etag"]
        assert "(1 unchanged, 0 gone)" in second.message
        paper.refresh_from_db()
        assert paper.github_stars == stars
        third = refresh_stars()  # checked within the refresh period: nothing is asked
        assert len(server.received) == 2 and third.status == IngestRun.Status.EMPTY


def test_a_renamed_repository_is_followed_on_the_api_host_and_remembered(settings, stars_on):
    moved, found = recorded("repo-301.json")
    paper_linking("2411.00002", "https://github.com/octokit-fixture-org/rename-repository")
    with github({"/repos/octokit-fixture-org/rename-repository": [moved], "/repositories/1000": [found]}) as server:
        settings.GITHUB_API_URL = server.url  # the 301 names api.github.com: only its path is followed, here
        refresh_stars()
    repository = CodeRepository.objects.get()
    assert repository.current_name == "octokit-fixture-org/rename-repository-newname"
    assert Paper.objects.get(arxiv_id="2411.00002").github_stars == json.loads(found["body"])["stargazers_count"]
    assert [r.path for r in server.received] == ["/repos/octokit-fixture-org/rename-repository", "/repositories/1000"]


def test_a_repository_that_is_gone_keeps_no_stars(settings, stars_on):
    (gone,) = recorded("repo-404.json")
    paper = paper_linking("2411.00003", "https://github.com/jacquev6/Xxx")
    Paper.objects.filter(pk=paper.pk).update(github_stars=12)  # e.g. from an earlier Hugging Face import
    with github({"/repos/jacquev6/xxx": [gone]}) as server:
        settings.GITHUB_API_URL = server.url
        run = refresh_stars()
    assert "1 gone" in run.message
    assert CodeRepository.objects.get().status == CodeRepository.Status.GONE
    assert Paper.objects.get(pk=paper.pk).github_stars is None


def test_a_rate_limited_run_stops_at_once_and_the_next_one_goes_on(settings, stars_on):
    (limited,) = recorded("rate-limited-403.json")
    first, _ = recorded("repo-304.json")
    paper_linking("2411.00004", "https://github.com/aaa/first")
    paper_linking("2411.00005", "https://github.com/akfish/PyGithub")
    with github({"/repos/aaa/first": [limited], "/repos/akfish/pygithub": [first]}) as server:
        settings.GITHUB_API_URL = server.url
        run = refresh_stars()
        assert "stopped early" in run.message and "API Rate Limit Exceeded" in run.message
        assert [r.path for r in server.received] == ["/repos/aaa/first"]  # nothing more once the limit is used up
        assert CodeRepository.objects.filter(checked_at__isnull=True).count() == 2  # both still due
    with github({"/repos/aaa/first": [first], "/repos/akfish/pygithub": [first]}) as server:
        settings.GITHUB_API_URL = server.url
        refresh_stars()
    assert CodeRepository.objects.filter(checked_at__isnull=True).count() == 0


def test_an_answer_that_is_not_a_repository_fails_that_repository_only(settings, stars_on):
    first, _ = recorded("repo-304.json")
    paper_linking("2411.00007", "https://github.com/aaa/broken")
    paper_linking("2411.00008", "https://github.com/akfish/PyGithub")
    with ReplayServer({"/repos/aaa/broken": [Answer(b'{"message": "oops"', 200, {"Content-Type": "application/json"})],
                       "/repos/akfish/pygithub": [answer(first)]}) as server:
        settings.GITHUB_API_URL = server.url
        refresh_stars()
    assert Paper.objects.get(arxiv_id="2411.00008").github_stars is not None
    assert Paper.objects.get(arxiv_id="2411.00007").github_stars is None


def test_the_worker_asks_github_only_where_the_operator_turned_stars_on(settings):
    paper_linking("2411.00006", "https://github.com/akfish/PyGithub")
    now = dt.datetime(2024, 11, 28, 12, tzinfo=dt.UTC)
    with github({"/repos/akfish/pygithub": [recorded("repo-304.json")[0]]}) as server:
        settings.GITHUB_API_URL, settings.GITHUB_STARS = server.url, False
        run_due_jobs(now)
        run_due_jobs(now + dt.timedelta(hours=2))
        assert server.received == []
        settings.GITHUB_STARS = True
        run_due_jobs(now + dt.timedelta(hours=3))  # first look: scheduled
        assert "github-stars" in run_due_jobs(now + dt.timedelta(hours=5))
        assert len(server.received) == 1


def test_search_and_feeds_filter_to_papers_with_code(indexed_demo, client):
    with_code = set(Paper.objects.exclude(code_url="").values_list("arxiv_id", flat=True))
    page = client.get("/search/?q=diffusion+models+has:code").content.decode()
    import re

    found = set(re.findall(r'<h2 class="title"[^>]*>(?:<!--[^>]*-->)?<a href="/papers/([^"/]+)/"', page))
    assert found and found <= with_code
    assert client.get("/search/?q=diffusion+models&code=1").status_code == 302  # the form's box becomes has:code
