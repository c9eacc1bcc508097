"""AI summaries through a local server speaking the OpenAI chat-completions protocol: good answers, a malformed
one, errors, a timeout, a busy endpoint; idempotent and resumable; shown labelled, and in the HF-compatible API."""

import datetime as dt
import json

import pytest

from papertide.ingest.models import AiSummary, IngestRun
from papertide.ingest.summaries import MAX_FAILURES, write_summaries
from papertide.ingest.worker import run_due_jobs
from papertide.papers.models import DailyEntry, Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord
from tests.helpers import run_papertide
from tests.replay import Answer, ReplayServer

pytestmark = pytest.mark.django_db
PATH = "/v1/chat/completions"
SUMMARY = "It grows crystals in orbit. They come out larger than on the ground."


def completion(content: str, model: str = "llama3.2:3b", prompt: int = 210, completion_tokens: int = 48) -> Answer:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1733000000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
                      "total_tokens": prompt + completion_tokens}}
    return Answer(json.dumps(body).encode(), headers={"Content-Type": "application/json"})


GOOD = completion(json.dumps({"summary": SUMMARY, "keywords": ["crystal growth", "microgravity"]}))


def papers(count: int = 3, first: int = 0) -> list[Paper]:
    made = []
    for i in range(first, first + count):
        paper = Paper.objects.create(arxiv_id=f"2411.1000{i}", title=f"Crystals in orbit {i}", source="arxiv-api",
                                     abstract=f"We grow protein crystals on the space station, batch {i}.",
                                     announced_on=dt.date(2024, 11, 28))
        DailyEntry.objects.create(paper=paper, day=paper.announced_on)
        made.append(paper)
    return made


@pytest.fixture
def endpoint(settings):
    def start(*answers: Answer) -> ReplayServer:
        server = ReplayServer({PATH: list(answers)})
        settings.LLM_URL, settings.LLM_MODEL = server.url + "/v1", "llama3.2:3b"
        settings.LLM_API_KEY, settings.LLM_REQUESTS_PER_MINUTE = "sk-local", 100_000
        return server
    return start


def test_summaries_are_written_once_labelled_and_served_as_hugging_face_names_them(endpoint, settings, client):
    papers(3)
    settings.LLM_PRICE_INPUT, settings.LLM_PRICE_OUTPUT = 0.15, 0.6
    with endpoint(GOOD) as server:
        run = write_summaries()
        asked = json.loads(server.received[0].body)
        assert asked["model"] == "llama3.2:3b" and "Crystals in orbit" in asked["messages"][-1]["content"]
        assert server.received[0].headers["Authorization"] == "Bearer sk-local"
        assert run.status == IngestRun.Status.OK and run.created == 3
        assert "3 requests, 630 prompt + 144 completion tokens" in run.message and "0.0002" in run.message
        again = write_summaries()  # nothing left to ask
        assert len(server.received) == 3 and again.created == 0
    page = client.get("/papers/2411.10000/").content.decode()
    assert "AI summary" in page and "written by llama3.2:3b, not by the authors" in page and SUMMARY in page
    api = client.get("/api/papers/2411.10000").json()
    assert api["ai_summary"] == SUMMARY and api["ai_keywords"] == ["crystal growth", "microgravity"]
    listed = client.get("/api/daily_papers?date=2024-11-28").json()
    assert all(item["paper"]["ai_summary"] == SUMMARY for item in listed)


def test_a_malformed_answer_is_never_stored_and_is_not_asked_for_forever(endpoint):
    (paper,) = papers(1)
    rambling = completion("Sure! Here is a summary: " + "It is long. " * 20)
    with endpoint(rambling) as server:
        for _ in range(MAX_FAILURES + 1):
            run = write_summaries()
        assert len(server.received) == MAX_FAILURES  # then it stops asking about this text
    row = AiSummary.objects.get(paper=paper)
    assert row.summary == "" and row.failures == MAX_FAILURES and "summary" in row.error
    assert "1 answers unusable" not in run.message  # the last run asked nothing
    upsert_papers([PaperRecord(arxiv_id=paper.arxiv_id, source="arxiv-api", version=2,
                               abstract="A new abstract about growing crystals in orbit.")])
    with endpoint(GOOD):
        write_summaries()  # new text: asked again, and this time it answers well
    assert AiSummary.objects.get(paper=paper).summary == SUMMARY


@pytest.mark.parametrize("bad", [
    Answer(b"<html>Bad gateway</html>", 502, {"Content-Type": "text/html"}),
    Answer(b'{"choices": []}', 200, {"Content-Type": "application/json"}),
    Answer(b'{"choices": [{"message": {"content": null}}]}', 200, {"Content-Type": "application/json"}),
    Answer(b"not json at all", 200, {"Content-Type": "application/json"}),
])
def test_errors_and_broken_answers_store_nothing(endpoint, bad):
    papers(2)
    with endpoint(bad):
        run = write_summaries()
    assert AiSummary.objects.exclude(summary="").count() == 0
    assert run.created == 0


def test_a_timeout_ends_the_run_and_the_next_run_goes_on(endpoint, settings):
    papers(2)
    settings.LLM_TIMEOUT = 0.5
    with endpoint(Answer(b"{}", delay=2.0)):
        run = write_summaries()
    assert run.status == IngestRun.Status.FAILED and "stopped early" in run.message
    assert AiSummary.objects.count() == 0
    settings.LLM_TIMEOUT = 10
    with endpoint(GOOD):
        assert write_summaries().created == 2


def test_a_busy_endpoint_is_waited_for_briefly_or_left_for_the_next_run(endpoint):
    papers(2)
    busy_briefly = Answer(b'{"error": "slow down"}', 429, {"Retry-After": "0", "Content-Type": "application/json"})
    with endpoint(busy_briefly, GOOD) as server:
        run = write_summaries()
    assert run.created == 2 and len(server.received) == 3  # the first paper asked again after the short wait
    papers(1, first=5)
    busy = Answer(b'{"error": "overloaded"}', 503, {"Retry-After": "3600", "Content-Type": "application/json"})
    with endpoint(busy) as server:
        run = write_summaries()
    assert "stopped early" in run.message and len(server.received) == 1


def test_the_worker_summarizes_only_where_an_endpoint_is_configured(endpoint, settings):
    papers(1)
    now = dt.datetime(2024, 11, 28, 12, tzinfo=dt.UTC)
    with endpoint(GOOD) as server:
        settings.LLM_URL = ""
        run_due_jobs(now)
        run_due_jobs(now + dt.timedelta(hours=2))
        assert server.received == []
        settings.LLM_URL = server.url + "/v1"
        run_due_jobs(now + dt.timedelta(hours=3))
        assert "ai-summaries" in run_due_jobs(now + dt.timedelta(hours=5))
        assert len(server.received) == 1


def test_the_command_says_what_to_configure(tmp_path):
    result = run_papertide(tmp_path, "ingest", "summaries")
    assert result.returncode != 0 and "PAPERTIDE_LLM_URL" in result.stderr
    result = run_papertide(tmp_path, "ingest", "summaries", LLM_URL="http://127.0.0.1:9/v1")
    assert result.returncode != 0 and "PAPERTIDE_LLM_MODEL" in result.stderr
