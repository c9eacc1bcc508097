"""Keyphrases (index stage), topics of a period (the strip above the feed) and the topic map."""

import re
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from papertide.papers.models import DailyEntry, Paper
from papertide.recs.models import Save
from papertide.topics import keyphrases
from papertide.topics.daily import topics_of
from tests.helpers import cut_feed, papertide_env, run_papertide
from tests.test_index import count

LATEST = "2024-11-28"


def test_the_shipped_demo_keyphrases_follow_the_current_rules():
    """After a change to topics/keyphrases.py, `python -m papertide.demo` writes the demo's file again."""
    import gzip
    import json

    from papertide.demo import DEMO_KEYPHRASES_PATH, demo_feed

    shipped = json.loads(gzip.decompress(DEMO_KEYPHRASES_PATH.read_bytes()))["papers"]
    records = {record.arxiv_id: record for record in demo_feed().records}
    assert len(shipped) > 0.9 * len(records)
    stale = {}
    for arxiv_id, (phrases, _) in shipped.items():
        allowed = {keyphrases.phrase_key(p) for p in keyphrases.candidates(records[arxiv_id].title,
                                                                            records[arxiv_id].abstract).phrases}
        stale.update({arxiv_id: p for p in phrases if keyphrases.phrase_key(p) not in allowed})
    assert stale == {}


def test_candidates_are_phrases_between_stop_words_without_participles_and_one_per_spelling():
    found = keyphrases.candidates(
        "Vision-Language Models for Robotic Grasping",
        "We propose a vision language model trained on grasping data. Vision-language models generalize.")
    keys = [keyphrases.phrase_key(p) for p in found.phrases]
    assert len(keys) == len(set(keys))  # "Vision-Language Models", "vision language model": one candidate
    assert "vision language model" in keys and "robotic grasping" in keys
    assert not any(p.lower().startswith(("we ", "propose")) or p.lower().endswith(" trained") for p in found.phrases)
    assert found.in_title[keys.index("robotic grasping")]


@pytest.mark.django_db
def test_the_demo_day_ships_its_keyphrases_and_cards_link_each_to_a_search(indexed_demo, client):
    paper = Paper.objects.get(arxiv_id="2411.18625")
    assert 3 <= len(paper.keyphrases) <= 6
    assert len({keyphrases.phrase_key(p) for p in paper.keyphrases}) == len(paper.keyphrases)
    assert Paper.objects.filter(keyphrases=[]).count() == 0
    page = client.get("/papers/2411.18625/").content.decode()
    phrase = paper.keyphrases[0]
    link = re.search(r'<a class="phrase" href="([^"]+)">' + re.escape(phrase), page)
    assert link, page[:200]
    results = client.get(link.group(1).replace("&amp;", "&"))
    assert "2411.18625" in results.content.decode()  # the phrase finds its paper
    feed = client.get(f"/day/{LATEST}/").content.decode()
    assert feed.count('class="keyphrases"') >= 40  # every card on the page (50) that has keyphrases


def test_keyphrases_are_found_by_the_index_stage_resumably(tmp_path):
    """A killed run keeps what it wrote; the next one finds the rest, and nothing is found twice."""
    papers = 40
    feed = tmp_path / "small.xml"
    feed.write_bytes(cut_feed(papers))
    assert run_papertide(tmp_path, "import", "arxiv-rss", str(feed)).returncode == 0
    run = subprocess.Popen([sys.executable, "-m", "papertide", "index", "--chunk-size", "8", "--no-progress"],
                           env=papertide_env(tmp_path, TOPIC_MAP="false"), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    done = "select count(*) from papers_paper where keyphrases_hash != ''"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and count(tmp_path, done) == 0:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    before = count(tmp_path, done)
    assert 0 < before < papers
    rerun = run_papertide(tmp_path, "index", "--no-progress", TOPIC_MAP="false")
    assert rerun.returncode == 0, rerun.stderr
    assert f"keyphrases found for {papers - before}," in rerun.stdout
    assert count(tmp_path, done) == papers
    again = run_papertide(tmp_path, "index", "--no-progress", TOPIC_MAP="false")
    assert "keyphrases found for 0," in again.stdout


@pytest.mark.django_db
def test_a_changed_abstract_gets_new_keyphrases(tmp_path, settings):
    from papertide.demo import load_demo_day
    from papertide.papers.upsert import upsert_papers
    from papertide.search import service
    from papertide.search.indexer import run_index
    from papertide.sources.records import PaperRecord

    settings.SEARCH_INDEX_DIR, settings.TOPIC_MAP = tmp_path / "index", False
    service.get_backend.cache_clear()
    load_demo_day()
    upsert_papers([PaperRecord(arxiv_id="2411.18625", source="arxiv-api", version=2, title="Arctic terns",
                               abstract="We track the migration routes of arctic terns with satellite telemetry.")])
    report = run_index(progress=False)
    service.get_backend.cache_clear()
    assert report.keyphrases == 1
    phrases = " ".join(Paper.objects.get(arxiv_id="2411.18625").keyphrases).lower()
    assert "tern" in phrases or "migration" in phrases


@pytest.mark.django_db
def test_topics_of_the_day_narrow_the_feed_and_keep_the_readers_filter(indexed_demo, client):
    day = list(DailyEntry.objects.filter(day=LATEST).values_list("paper_id", flat=True))
    topics = topics_of(day)
    assert 6 <= len(topics) <= 12
    assert sum(t.count for t in topics) == len(day)
    assert len({t.slug for t in topics}) == len(topics)
    assert all(t.label and t.label != "other papers" for t in topics)
    page = client.get(f"/day/{LATEST}/").content.decode()
    strip = page[page.index('<nav class="topics'):page.index("</nav>", page.index('<nav class="topics'))]
    chosen = topics[1]
    assert f"?topic={chosen.slug}" in strip and f"{chosen.count}</span>" in strip
    narrowed = client.get(f"/day/{LATEST}/?topic={chosen.slug}&sort=newest").content.decode()
    shown = {int(i) for i in re.findall(r'<article class="card" id="paper-(\d+)"', narrowed)}
    assert shown and shown <= chosen.paper_ids
    assert f">{chosen.count} papers</span>" in narrowed
    assert re.search(rf'<a class="phrase" href="[^"]*topic={chosen.slug}[^"]*" aria-current="true">', narrowed)
    if chosen.count > 50:  # paging keeps the topic
        assert f"topic={chosen.slug}" in re.search(r'<nav class="pager".*?</nav>', narrowed, re.S).group(0)
    vision = client.get(f"/day/{LATEST}/?cat=cs.CV").content.decode()  # topics of what the filter shows
    vision_topics = re.findall(r'\?cat=cs.CV&amp;topic=[\w-]+|\?topic=[\w-]+&amp;cat=cs.CV', vision)
    assert vision_topics, "the strip keeps the category filter in its links"
    assert client.get(f"/day/{LATEST}/?topic=no-such-topic").status_code == 200  # an old link shows the whole day


@pytest.mark.django_db
def test_the_map_draws_every_paper_marks_the_latest_day_and_the_readers_papers(indexed_demo, client, alice, as_alice):
    page = client.get("/map/")
    assert page.status_code == 200 and b"map-canvas" in page.content
    answer = client.get("/map/points.bin")
    body = answer.content
    assert body[:4] == b"PTM1"
    n = struct.unpack("<I", body[4:8])[0]
    assert n == Paper.objects.filter(embedding__isnull=False).count() == 1504
    x = np.frombuffer(body, "<u2", n, 8)
    ids = np.frombuffer(body, "<u4", n, 8 + 4 * n)
    flags = np.frombuffer(body, "u1", n, 8 + 9 * n)
    assert x.max() > 60000 and x.min() < 5000  # the layout fills the square
    latest = set(DailyEntry.objects.filter(day=LATEST).values_list("paper_id", flat=True))
    assert {int(i) for i in ids[flags == 1]} == latest
    assert client.get("/map/points.bin", HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 304
    paper = Paper.objects.get(arxiv_id="2411.18625")
    hover = client.get(f"/map/papers/{paper.pk}.json").json()
    assert hover["title"] == paper.title and hover["url"] == "/papers/2411.18625/"
    assert client.get(f"/map/papers/{paper.pk}.json?go=1")["Location"] == "/papers/2411.18625/"
    assert client.get("/map/papers/99999999999999999999.json").status_code == 404
    Save.objects.create(user=alice, paper=paper)
    assert as_alice.get("/map/mine.json").json() == {"ids": [paper.pk]}
    assert client.get("/map/mine.json").json() == {"ids": []}


@pytest.mark.django_db
def test_new_papers_are_placed_on_the_map_without_moving_the_others(tmp_path, settings, arxiv_api, monkeypatch):
    from papertide.demo import load_demo_day
    from papertide.ingest.jobs import ingest_ids
    from papertide.search import service
    from papertide.search.indexer import run_index
    from papertide.topics import projection

    monkeypatch.setattr(projection, "SAMPLE", 400)  # fitted on a sample of the site, as every large site is
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    service.get_backend.cache_clear()
    load_demo_day()
    run_index(progress=False)
    projection.update(rebuild=True)  # not the demo's shipped map (fitted on all its papers): fitted on a sample
    before = projection.read()
    ingest_ids(["astro-ph/0601001"])
    report = run_index(progress=False)
    after = projection.read()
    assert report.mapped == 1 and len(after.ids) == len(before.ids) + 1
    kept = np.isin(after.ids, before.ids)
    assert np.array_equal(after.xy[kept], before.xy)
    new = Paper.objects.get(arxiv_id="astro-ph/0601001").pk
    assert after.info["fitted_on"] == before.info["fitted_on"]  # placed, not fitted again
    spot = after.xy[np.searchsorted(after.ids, new)]
    astro = Paper.objects.filter(primary_category__startswith="astro-ph").values_list("pk", flat=True)
    astro_xy = after.xy[np.isin(after.ids, list(astro))]
    others = after.xy[~np.isin(after.ids, list(astro))]
    # An astrophysics paper lands among astrophysics papers.
    assert np.linalg.norm(astro_xy - spot, axis=1).mean() < np.linalg.norm(others - spot, axis=1).mean()

    # An update killed between writing two of its files leaves no half map: the next run draws it again.
    projection._save("map-ids.npy", after.ids[:-1])
    assert projection.read() is None
    assert projection.update() == len(after.ids)
    assert np.array_equal(projection.read().ids, after.ids)
    service.get_backend.cache_clear()


@pytest.mark.django_db
def test_the_demo_day_ships_its_map_so_a_first_run_fits_none(tmp_path, settings):
    """After a change to topics/projection.py, `python -m papertide.demo` writes the demo's map file again."""
    import datetime as dt

    from papertide.demo import load_demo_day, load_demo_map
    from papertide.papers.upsert import upsert_papers
    from papertide.search import service
    from papertide.search.indexer import run_index
    from papertide.sources.records import PaperRecord
    from papertide.topics import projection

    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    service.get_backend.cache_clear()
    load_demo_day()
    shipped = projection.read()
    assert np.array_equal(shipped.ids, np.sort(Paper.objects.values_list("pk", flat=True)))
    assert run_index(progress=False).mapped == 0 and projection.read().version == shipped.version

    projection.update(rebuild=True)  # what the index stage fits today
    fitted = projection.read()
    assert np.array_equal(fitted.topic, shipped.topic)
    assert [r["label"] for r in fitted.info["regions"]] == [r["label"] for r in shipped.info["regions"]]
    rows = np.random.default_rng(0).choice(len(shipped.ids), 300, replace=False)

    def distances(xy):
        return np.linalg.norm(xy[rows, None] - xy[None, rows], axis=2).ravel()

    assert np.corrcoef(distances(shipped.xy), distances(fitted.xy))[0, 1] > 0.9  # the same layout, give or take

    for name in ("map.json", "map-ids.npy"):
        (settings.SEARCH_INDEX_DIR / name).unlink()
    upsert_papers([PaperRecord(arxiv_id="2412.00001", source="arxiv-api", title="Not a demo paper",
                               published=dt.datetime(2024, 12, 2, tzinfo=dt.UTC))])
    assert load_demo_map() == 0 and projection.read() is None  # a site with other papers gets a map fitted to them
    service.get_backend.cache_clear()
