"""Fuzzing every route and every record field (issue #12: "a fuzz test over every route's parameters and over
record fields finds no 500"). schemathesis covers the API's schema (test_api_schemathesis.py); here hypothesis
sends what a browser, a script or a hostile source can send to every URL pattern of the site, the API's
included: path parts matching each converter, and the query and form fields the views read, with values at
the edges (huge numbers, far dates, control characters, arXiv-shaped nonsense), as an anonymous reader and as a
logged-in one. Then records with such fields are stored through the one upsert path, and every page, feed and
API answer that shows them is fetched. A 500 anywhere fails the test with the request that caused it."""

import re
import urllib.parse
import xml.dom.minidom

import pytest
from django.test import Client
from django.urls import get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertide.papers.models import DailyEntry, Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import ARXIV_ID_PATTERN, PaperRecord

pytestmark = pytest.mark.django_db

EXAMPLES = settings(max_examples=250, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Every field name the views read from a query or a form (grep GET/POST in papertide/), and the API's parameters.
FIELDS = ["q", "page", "sort", "cat", "code", "topic", "comments", "all", "next", "name", "action", "note",
          "public", "interest", "description", "body", "value", "username", "text", "shelf", "reason", "parent",
          "paper", "links", "kind", "go", "from", "email", "detail", "cancel", "bio", "affiliation", "status",
          "submitter", "limit", "offset", "date", "week", "month", "period", "id", "arxiv_id", "collection",
          "password", "password1", "password2", "categories", "frequency", "format", "fmt", "order", "since"]
# Routes that start work outside the request (a fetch from arXiv, a library import thread) or end the session:
# fuzzed with GET only; their forms have tests of their own.
POST_EXCLUDED = ("submit/", "api/v1/submissions", "library/import/", "accounts/logout/", "profile/delete/")

EDGES = st.sampled_from([
    "", "0", "-1", "1e308", "nan", "99999999999999999999999", str(2**63), "9999-12-31", "0001-01-01", "2024-W53",
    "9999-W52", "2024-13", "2024-02-30", "to:9999-12", "from:0001", "cs.LG,-hep-*", "-", ",", "*", "has:code",
    "author:", '"', "'", "<script>alert(1)</script>", "javascript:alert(1)", "%", "%00", "\x01\x1b", "\u202e",
    "a" * 3000, "2411.17775", "hep-th/9901001", "../../etc/passwd", "${jndi:x}", "{{7*7}}", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
])
VALUES = st.one_of(EDGES, st.text(max_size=40), st.integers(-(2**70), 2**70).map(str))


def _routes() -> list[str]:
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                found.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns)
    return sorted({route for route in found if not route.startswith("admin/")})


ROUTES = _routes()
PART = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path_part(kind: str, real_ids: list[str]) -> st.SearchStrategy[str]:
    if kind == "int":
        return st.one_of(st.from_regex(r"\A[0-9]{1,22}\Z"), st.sampled_from(["0", "1", "2", str(2**63)]))
    if kind == "arxiv_id":
        return st.one_of(st.sampled_from(real_ids), st.from_regex(rf"\A(?:{ARXIV_ID_PATTERN})\Z"))
    if kind == "isodate":
        return st.one_of(st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z"), st.sampled_from(["2024-11-28", "2024-11-29"]))
    if kind == "isoweek":
        return st.one_of(st.from_regex(r"\A\d{4}-W\d{2}\Z"), st.just("2024-W48"))
    if kind == "month":
        return st.one_of(st.from_regex(r"\A\d{4}-\d{2}\Z"), st.just("2024-11"))
    if kind == "slug":
        return st.from_regex(r"\A[-a-zA-Z0-9_]{1,30}\Z")
    safe = "/" if kind == "path" else ""
    texts = st.one_of(EDGES.filter(bool), st.text(min_size=1, max_size=40))
    if kind != "path":
        texts = texts.filter(lambda text: "/" not in text)
    return texts.map(lambda text: urllib.parse.quote(text, safe=safe))


def _url(data, route: str, real_ids: list[str]) -> str:
    return "/" + PART.sub(lambda m: data.draw(_path_part(m.group(1) or "str", real_ids)), route)


@pytest.fixture
def readers(indexed_demo, alice, bob):
    """An anonymous reader and alice logged in, with a collection, a comment and an upvote to act on."""
    from papertide.collections.models import Collection
    from papertide.discussion.models import Comment

    paper = DailyEntry.objects.visible().first().paper
    collection = Collection.objects.create(owner=alice, name="Reading group", public=True)
    Comment.objects.create(paper=paper, author=bob, body="Nice result.", html="<p>Nice result.</p>")
    logged_in = Client(raise_request_exception=False)
    logged_in.force_login(alice)
    return {"anonymous": Client(raise_request_exception=False), "logged-in": logged_in,
            "ids": list(Paper.objects.values_list("arxiv_id", flat=True)[:50]) + [paper.arxiv_id],
            "collection": collection.pk}


def _open_up(settings) -> None:
    """Nothing leaves the machine, and the rate limits (tested on their own) do not answer 429 in the views' place."""
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # nothing listens
    settings.API_RATE_LIMIT = settings.SEARCH_RATE_LIMIT = settings.COMMENT_ADDRESS_LIMIT = 0


def _no_server_error(response, method: str, url: str, fields: dict) -> None:
    assert response.status_code < 500, f"{method} {url} {fields!r} answered {response.status_code}"


@EXAMPLES
@given(data=st.data())
def test_no_route_answers_500_to_any_query(readers, settings, data):
    _open_up(settings)
    route = data.draw(st.sampled_from(ROUTES), label="route")
    url = _url(data, route, readers["ids"])
    fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4), label="query")
    who = data.draw(st.sampled_from(["anonymous", "logged-in"]), label="reader")
    response = readers[who].get(url, fields)
    _no_server_error(response, "GET", url, fields)


@EXAMPLES
@given(data=st.data())
def test_no_route_answers_500_to_any_form(readers, settings, data):
    _open_up(settings)
    route = data.draw(st.sampled_from([r for r in ROUTES if not r.startswith(POST_EXCLUDED)]), label="route")
    url = _url(data, route, readers["ids"])
    fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5), label="form")
    who = data.draw(st.sampled_from(["anonymous", "logged-in"]), label="reader")
    response = readers[who].post(url, fields)  # the test client skips CSRF checks: the view itself is fuzzed
    _no_server_error(response, "POST", url, fields)


TEXT = st.one_of(EDGES, st.text(max_size=200))
MOMENTS = st.one_of(st.none(), st.datetimes(), st.datetimes(timezones=st.timezones()))


@st.composite
def records(draw):
    return PaperRecord(
        arxiv_id=draw(st.from_regex(r"\A(?:25[0-9]{2}\.[0-9]{5}|fz-[a-z]{2}/[0-9]{7})\Z")),
        source=draw(st.sampled_from(["arxiv-api", "hf", "kaggle", "oai"])),
        version=draw(st.one_of(st.none(), st.integers(-5, 2**40))),
        title=draw(TEXT), abstract=draw(TEXT),
        authors=draw(st.lists(TEXT, max_size=4)),
        categories=draw(st.lists(st.one_of(TEXT, st.sampled_from(["cs.LG", "math.CO", "hep-th", "cs/AI"])),
                                 max_size=4)),
        primary_category=draw(TEXT), published=draw(MOMENTS), updated=draw(MOMENTS),
        comments=draw(TEXT), journal_ref=draw(TEXT), doi=draw(TEXT), license=draw(TEXT),
        code_url=draw(st.one_of(TEXT, st.just("https://github.com/a/b"))), project_url=draw(TEXT),
        listed_on=draw(st.one_of(st.none(), st.dates(), st.just(DailyEntry.objects.latest_day()))),
        announce_type=draw(st.sampled_from(["", "new", "cross", "replace", "nonsense"])),
        submitter_name=draw(TEXT),
        external_upvotes=draw(st.one_of(st.none(), st.integers(-(2**31), 2**62))),
        github_stars=draw(st.one_of(st.none(), st.integers(-(2**31), 2**62))),
    )


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(record=records())
def test_any_record_is_stored_and_shown_without_a_500(indexed_demo, client, record):
    upsert_papers([record, PaperRecord(arxiv_id="25২৮.১০০০১", source=record.source, title="Not an arXiv id")])
    assert not Paper.objects.filter(title="Not an arXiv id").exists()  # left out, and the other record kept
    paper = Paper.objects.get(arxiv_id=record.arxiv_id)
    day = DailyEntry.objects.filter(paper=paper).values_list("day", flat=True).first()
    quoted = urllib.parse.quote(record.arxiv_id, safe="/")
    urls = [f"/papers/{quoted}/", f"/api/papers/{quoted}", f"/api/v1/papers/{quoted}", "/feeds/daily.rss",
            f"/api/daily_papers?date={day or ''}", "/feeds/trending.atom"]
    if day:
        urls += [f"/day/{day}/", f"/week/{day.isocalendar().year}-W{day.isocalendar().week:02}/",
                 f"/month/{day:%Y-%m}/", f"/day/{day}/?sort=newest"]
    for author in paper.authors[:2]:
        name = urllib.parse.quote(author, safe="")
        if name:
            urls += [f"/authors/{name}/", f"/feeds/author/{name}.rss"]
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code} for {record!r}"
        if response.status_code == 200 and "/feeds/" in url:
            xml.dom.minidom.parseString(response.content)  # a feed reader can read it
