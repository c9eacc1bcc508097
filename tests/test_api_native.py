"""papertide's own JSON API: endpoints, errors, and schemathesis against the live OpenAPI document."""

import re

import pytest

from papertide.papers.models import Paper

pytestmark = pytest.mark.usefixtures("indexed_demo")


def test_papers_page_through_with_a_cursor(client, db):
    first = client.get("/api/v1/papers", {"limit": 50}).json()
    second = client.get("/api/v1/papers", {"limit": 50, "cursor": first["next_cursor"]}).json()
    ids = [p["arxiv_id"] for p in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 100


def test_papers_filter_by_day_and_category(client, db):
    page = client.get("/api/v1/papers", {"day": "2024-11-28", "category": "cs.CV", "limit": 200}).json()
    assert page["items"] and all("cs.CV" in p["categories"] for p in page["items"])
    assert all(p["announced_on"] == "2024-11-28" for p in page["items"])


def test_papers_take_the_feeds_filter(client, db):
    page = client.get("/api/v1/papers", {"day": "2024-11-28", "cat": "physics,-hep-*", "limit": 200}).json()
    assert page["items"]
    for paper in page["items"]:
        assert not paper["primary_category"].startswith("hep-")
        assert any(c.split(".")[0] in {"astro-ph", "cond-mat", "physics", "quant-ph", "gr-qc", "nlin", "math-ph",
                                       "nucl-th", "nucl-ex", "hep-th", "hep-ph", "hep-ex", "hep-lat"}
                   for c in paper["categories"])
    with_code = client.get("/api/v1/papers", {"cat": "cs", "code": "true", "limit": 200}).json()["items"]
    assert with_code and all(p["code_url"] for p in with_code)
    refused = client.get("/api/v1/papers", {"cat": "cs.XX"})
    assert refused.status_code == 400 and "cs.XX" in refused.json()["error"]


def test_a_pasted_abstract_is_posted_to_search(client, db):
    abstract = Paper.objects.get(arxiv_id="2411.17775").abstract
    answer = client.post("/api/v1/search", {"q": abstract, "limit": 3}, content_type="application/json").json()
    assert answer["items"][0]["arxiv_id"] == "2411.17775"
    too_long = client.post("/api/v1/search", {"q": "x" * 2001}, content_type="application/json")
    assert too_long.status_code == 400 and "q" in too_long.json()["error"]


def test_one_paper_has_everything_a_program_needs(client, db):
    paper = client.get("/api/v1/papers/2411.17758").json()
    assert paper["authors"] == ["Kamil Erdayandi", "Mustafa Asan Mustafa"]
    assert paper["doi"] == "10.1016/j.segan.2024.101477"
    assert (paper["abs_url"], paper["page_url"]) == ("https://arxiv.org/abs/2411.17758v1", "/papers/2411.17758/")


def test_similar_and_search(client, db):
    similar = client.get("/api/v1/similar/2411.18625", {"limit": 3}).json()
    assert len(similar) == 3 and all(p["arxiv_id"] != "2411.18625" for p in similar)
    found = client.get("/api/v1/search", {"q": "the existence of designs", "limit": 2}).json()
    assert found["mode"] == "hybrid" and found["items"][0]["arxiv_id"] == "1401.3665"


def test_days(client, db):
    assert client.get("/api/v1/days").json() == [{"day": "2024-11-28", "papers": 935}]


@pytest.mark.parametrize(
    "url, status, message",
    [("/api/v1/papers?limit=0", 400, "limit: Input should be greater than or equal to 1"),
     ("/api/v1/papers?day=2024-13-01", 400, "day:"),
     ("/api/v1/papers?cursor=nonsense", 400, "unknown cursor"),
     ("/api/v1/search", 400, "q:"),
     ("/api/v1/papers/2411.99999", 404, "no paper 2411.99999"),
     ("/api/v1/similar/2411.99999", 404, "no paper 2411.99999")],
)
def test_errors_are_json(client, db, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_the_docs_page_loads_nothing_from_elsewhere(client, db):
    page = client.get("/api/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/") for source in sources)
    assert client.get("/api/openapi.json").json()["info"]["title"] == "papertide API"


@pytest.mark.django_db
def test_a_body_too_big_to_read_is_a_json_error(client):
    huge = '{"q": "' + "x" * 3_000_000 + '"}'  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    response = client.post("/api/v1/search", huge, content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["error"].startswith("bad request")
