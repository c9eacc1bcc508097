"""The Hugging Face–compatible API, read by the real `huggingface_hub` client from a running server."""

import datetime as dt
import json
import time

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from papertide.demo import load_demo_day
from papertide.papers.models import Paper
from tests.conftest import FIXTURES
from tests.helpers import get, start_server, stop_server, wait_for_http

REAL = json.loads((FIXTURES / "hf" / "daily_papers_2024-10-25.first4of-N.json").read_bytes())


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    # No search limit: the fixture polls until search by meaning is ready, and the tests search a lot.
    process, base = start_server(tmp_path_factory.mktemp("hf-api"), SEARCH_RATE_LIMIT="0")
    wait_for_http(base + "/", process)
    deadline = time.monotonic() + 60  # search by meaning once the background index run is done
    while "ranked by meaning" not in get(base + "/search/?q=gaussian")[1] and time.monotonic() < deadline:
        time.sleep(0.3)
    yield HfApi(endpoint=base)
    stop_server(process)


def test_list_daily_papers_reads_the_day(hub):
    papers = list(hub.list_daily_papers(date="2024-11-28", limit=5))
    assert len(papers) == 5
    first = papers[0]
    assert first.id and first.title and first.summary
    assert all(author.name for author in first.authors)
    assert first.submitted_at.date() == dt.date(2024, 11, 28)
    assert all(paper.upvotes == 0 for paper in papers)  # nobody upvoted yet: 0, not None


def test_list_daily_papers_pages_through_the_day(hub):
    first = [p.id for p in hub.list_daily_papers(date="2024-11-28", limit=10, p=0)]
    second = [p.id for p in hub.list_daily_papers(date="2024-11-28", limit=10, p=1)]
    assert len(first) == len(second) == 10 and not set(first) & set(second)


def test_a_week_and_a_month_hold_the_day(hub):
    week = list(hub.list_daily_papers(week="2024-W48", limit=100))
    month = list(hub.list_daily_papers(month="2024-11", limit=100))
    assert len(week) == len(month) == 100
    assert list(hub.list_daily_papers(month="2024-10", limit=10)) == []


def test_paper_info_has_the_decoded_authors(hub):
    paper = hub.paper_info("2411.17775")
    assert paper.title == "What is the amount of baryonic dark matter in galaxies?"
    assert [a.name for a in paper.authors] == ["Václav Vavryčuk"]
    assert paper.summary.startswith("In this paper")


def test_paper_info_of_an_unknown_paper_is_a_404(hub):
    with pytest.raises(HfHubHTTPError) as error:
        hub.paper_info("2411.99999")
    assert error.value.response.status_code == 404


def test_list_papers_searches_by_meaning(hub):
    ids = [p.id for p in hub.list_papers(query="gaussian splatting", limit=5)]
    assert len(ids) == 5 and "2411.18625" in ids


def test_a_pasted_abstract_is_a_query(hub, real_feed):
    abstract = next(r.abstract for r in real_feed.records if r.arxiv_id == "2411.17775")
    assert 250 < len(abstract) <= 2000  # longer than Hugging Face's own limit
    assert [p.id for p in hub.list_papers(query=abstract, limit=3)][0] == "2411.17775"


def test_code_links_come_through(hub):
    assert hub.paper_info("2411.17769").github_repo == "https://github.com/itsmag11/Omegance"


def test_the_openapi_document_describes_the_compatible_endpoints_as_they_answer(hub):
    import jsonschema_rs

    document = json.loads(get(hub.endpoint + "/api/openapi.json")[1])
    paths, components = document["paths"], document["components"]

    def described(path: str, status: str) -> dict:
        schema = paths[path]["get"]["responses"][status]["content"]["application/json"]["schema"]
        return {**schema, "components": components}

    for path, url in (("/api/daily_papers", "/api/daily_papers?limit=100"),
                      ("/api/papers/search", "/api/papers/search?q=gaussian+splatting"),
                      ("/api/papers/{arxiv_id}", "/api/papers/2411.17769")):  # one with code: every field
        status, body = get(hub.endpoint + url)
        assert status == 200 and json.loads(body)
        jsonschema_rs.validate(described(path, "200"), json.loads(body))
    status, body = get(hub.endpoint + "/api/daily_papers?sort=hot")
    assert status == 400
    jsonschema_rs.validate(described("/api/daily_papers", "400"), json.loads(body))
    with pytest.raises(jsonschema_rs.ValidationError):  # the description is not one every answer passes
        jsonschema_rs.validate(described("/api/daily_papers", "200"), [{"paper": {"id": 1}}])


# Shapes and errors, through Django's test client.

@pytest.fixture
def demo(db):
    load_demo_day()


def test_item_keys_are_those_of_the_real_hf_response(client, demo):
    ours = client.get("/api/daily_papers", {"limit": 20}).json()
    # The 2024 recording plus the keys product.md documents for newer responses.
    # And "upvotes", which huggingface_hub reads beside `paper.upvotes` (so that 0 is not taken for missing).
    real_item_keys = set().union(*(item.keys() for item in REAL)) | {"githubRepo", "projectPage", "summary", "upvotes"}
    real_paper_keys = set().union(*(item["paper"].keys() for item in REAL)) | {"githubRepo", "githubStars", "projectPage"}
    assert all(set(item) <= real_item_keys for item in ours)
    assert all(set(item["paper"]) <= real_paper_keys for item in ours)
    assert {"id", "authors", "publishedAt", "title", "summary", "upvotes", "discussionId"} <= set(ours[0]["paper"])


@pytest.mark.parametrize(
    "url, message",
    [("/api/daily_papers?limit=0", "limit must be between 1 and 100"),
     ("/api/daily_papers?limit=ten", "limit must be a whole number"),
     ("/api/daily_papers?date=2024-02-30", "date must look like 2024-11-28"),
     ("/api/daily_papers?week=2024-48", "week must look like 2024-W48"),
     ("/api/daily_papers?date=2024-11-28&month=2024-11", "give one of date, week and month"),
     ("/api/daily_papers?sort=hot", "sort must be publishedAt or trending"),
     ("/api/daily_papers?p=-1", "p must be between 0"),
     ("/api/papers/search?q=" + "x" * 2001, "q must be at most 2000 characters"),
     ("/api/papers/search?q=x&limit=121", "limit must be between 1 and 120"),
     ("/api/daily_papers?cat=" + "cs.CV," * 100, "cat must be at most 500 characters")],
)
def test_bad_parameters_are_400_with_a_json_error(client, demo, url, message):
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_unknown_things_are_404_with_a_json_error(client, demo):
    assert client.get("/api/papers/2411.99999").json() == {"error": "no paper 2411.99999 on this site"}
    assert client.get("/api/no/such/thing").status_code == 404
    assert "error" in client.get("/api/no/such/thing").json()


def test_reads_allow_any_origin(client, demo):
    assert client.get("/api/daily_papers").headers["Access-Control-Allow-Origin"] == "*"


def test_anonymous_use_is_rate_limited(client, demo, settings):
    settings.API_RATE_LIMIT = 3
    settings.API_RATE_WINDOW = 60
    from django.core.cache import cache

    cache.clear()
    answers = [client.get("/api/papers/2411.17775") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert int(answers[3].headers["Retry-After"]) >= 1
    assert "too many requests" in answers[3].json()["error"]
    cache.clear()


def test_a_logged_in_browser_is_limited_as_its_reader(client, demo, settings, django_user_model):
    settings.API_RATE_LIMIT, settings.API_RATE_WINDOW = 2, 60
    client.force_login(django_user_model.objects.create_user("reader"))
    answers = [client.get("/api/papers/2411.17775", REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(3)]
    assert answers == [200, 200, 429]  # from any address


def test_feeds_from_the_running_server_parse_cleanly(hub):
    import feedparser

    for path in ["/feeds/daily.rss", "/feeds/daily.atom", "/feeds/trending.rss", "/feeds/search.rss?q=dark+matter",
                 "/feeds/category/cs.CV.atom"]:
        status, body = get(hub.endpoint + path)
        feed = feedparser.parse(body)
        assert status == 200 and not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.entries and feed.entries[0].link.startswith(hub.endpoint + "/papers/")
        assert feed.entries[0].published_parsed and feed.entries[0].author


def test_the_daily_list_takes_the_feeds_category_filter(client, demo):
    items = client.get("/api/daily_papers", {"date": "2024-11-28", "cat": "cs.CV,-cs.RO", "limit": 100}).json()
    wanted = {p.arxiv_id for p in Paper.objects.filter(daily_entry__isnull=False)
              if "cs.CV" in p.categories and p.primary_category != "cs.RO"}
    assert items and {item["paper"]["id"] for item in items} <= wanted
    assert len(items) == min(100, len(wanted))
    with_code = client.get("/api/daily_papers", {"date": "2024-11-28", "code": "1", "limit": 100}).json()
    assert with_code and all(item["githubRepo"] for item in with_code)
    refused = client.get("/api/daily_papers", {"cat": "cs.XX"})
    assert refused.status_code == 400 and "cs.XX" in refused.json()["error"]
