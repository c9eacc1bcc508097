import datetime as dt

import pytest
from django.db import IntegrityError, connection

from papertide.demo import load_demo_day
from papertide.papers.models import DailyEntry, Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db
DAY = dt.date(2024, 11, 28)


def record(**fields) -> PaperRecord:
    values = {"arxiv_id": "2411.00001", "source": "arxiv-rss", "version": 1, "title": "Original title"}
    values.update(fields)
    return PaperRecord(**values)


def test_the_demo_day_loads_every_paper_and_lists_new_and_cross_announcements():
    result = load_demo_day()
    assert (result.created, result.listed) == (1504, 935)
    assert Paper.objects.count() == 1504
    assert DailyEntry.objects.filter(day=DAY).count() == 935
    assert Paper.objects.get(arxiv_id="2411.17775").authors == ["Václav Vavryčuk"]


def test_loading_the_demo_day_twice_changes_nothing():
    load_demo_day()
    before = list(Paper.objects.order_by("arxiv_id").values())
    result = load_demo_day()
    assert (result.created, result.updated, result.unchanged, result.listed) == (0, 0, 1504, 0)
    assert list(Paper.objects.order_by("arxiv_id").values()) == before
    assert DailyEntry.objects.count() == 935


def test_code_links_are_extracted_while_loading():
    load_demo_day()
    assert Paper.objects.get(arxiv_id="2411.17769").code_url == "https://github.com/itsmag11/Omegance"
    assert Paper.objects.exclude(code_url="").count() > 40


def test_a_newer_version_replaces_what_it_says():
    upsert_papers([record(authors=["A. One"], comments="10 pages")])
    upsert_papers([record(version=2, title="Revised title", authors=["A. One", "B. Two"])])
    paper = Paper.objects.get()
    assert (paper.version, paper.title, paper.comments) == (2, "Revised title", "10 pages")
    assert paper.authors == ["A. One", "B. Two"]


def test_an_older_or_poorer_record_only_fills_empty_fields():
    upsert_papers([record(version=2, title="Revised title")])
    Paper.objects.update(index_pending=False)
    result = upsert_papers([record(version=1, title="Original title", doi="10.1000/xyz", abstract="")])
    paper = Paper.objects.get()
    assert (paper.version, paper.title, paper.doi) == (2, "Revised title", "10.1000/xyz")
    assert result.updated == 1
    assert paper.index_pending is False  # the DOI is not searchable text


def test_changed_searchable_text_marks_the_paper_for_indexing():
    upsert_papers([record()])
    Paper.objects.update(index_pending=False)
    upsert_papers([record(version=2, abstract="A new abstract")])
    assert Paper.objects.get().index_pending is True


def test_a_replacement_does_not_move_a_listed_paper_to_another_day():
    upsert_papers([record(listed_on=DAY, announce_type="new")])
    upsert_papers([record(version=2, announce_type="replace")])
    upsert_papers([record(version=2, listed_on=DAY + dt.timedelta(days=1), announce_type="cross")])
    assert list(DailyEntry.objects.values_list("day", flat=True)) == [DAY]


def _refuse_paper(arxiv_id: str) -> None:
    """A trigger in the database refusing one paper, as a constraint or a full disk would, mid-batch."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON papers_paper WHEN NEW.arxiv_id = '{arxiv_id}' "
                           "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            cursor.execute("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                           f"IF NEW.arxiv_id = '{arxiv_id}' THEN RAISE integrity_constraint_violation; END IF; "
                           "RETURN NEW; END $$ LANGUAGE plpgsql")
            cursor.execute("CREATE TRIGGER refuse BEFORE INSERT ON papers_paper FOR EACH ROW EXECUTE FUNCTION refuse()")


def test_a_failing_batch_leaves_nothing_behind():
    # Papers are written 500 at a time; the 501st is refused after 500 are in.
    batch = [record(arxiv_id=f"2411.{n:05d}", listed_on=DAY) for n in range(500)]
    batch.append(record(arxiv_id="2411.99999"))
    _refuse_paper("2411.99999")
    with pytest.raises(IntegrityError):
        upsert_papers(batch)
    assert Paper.objects.count() == 0
    assert DailyEntry.objects.count() == 0


def test_counts_no_column_can_hold_are_stored_as_unknown():
    upsert_papers([record(version=-1, external_upvotes=-5, github_stars=2**40)])
    paper = Paper.objects.get()
    assert (paper.version, paper.external_upvotes, paper.github_stars) == (1, 0, None)


def test_a_record_without_an_arxiv_id_is_left_out_and_the_rest_kept(caplog):
    result = upsert_papers([record(arxiv_id="2411.০০০০১"), record(arxiv_id="not-an-id"), record()])
    assert result.created == 1 and list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2411.00001"]
    assert "'not-an-id' is not an arXiv id" in caplog.text


def test_text_longer_than_its_column_is_cut_and_a_long_link_dropped():
    long_link = "https://github.com/a/" + "b" * 600
    upsert_papers([record(doi="10.1/" + "x" * 300, code_url=long_link, listed_on=DAY, submitter_name="n" * 300),
                   record(arxiv_id="2411.00002")])
    paper = Paper.objects.get(arxiv_id="2411.00001")
    assert len(paper.doi) == 200 and paper.doi.startswith("10.1/x")
    assert paper.code_url == ""
    assert len(DailyEntry.objects.get().submitter_name) == 200
    assert Paper.objects.count() == 2


def test_an_author_name_broken_over_lines_is_stored_on_one_and_has_a_page(client):
    # The arXiv API's XML wraps long names; /feeds/author/<name>.rss could not be written for "Ada\nLovelace".
    upsert_papers([record(authors=["Ada\n  Lovelace", " \t", "B. Two\r\n"], listed_on=DAY)])
    assert Paper.objects.get().authors == ["Ada Lovelace", "B. Two"]
    assert client.get("/papers/2411.00001/").status_code == 200
    assert client.get("/authors/Ada%20Lovelace/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_ingest_and_another_source_racing_on_the_same_papers_both_land_whole():
    """Two processes merging records of the same new papers at once (the daily ingest and a Hugging Face import):
    on PostgreSQL one of them failed on the unique arXiv id and rolled its whole batch back, or overwrote the
    other's fields with what it had read before. Every batch lands, and every field from either source is kept."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import close_old_connections

    if connection.vendor == "sqlite":
        pytest.skip("the in-memory test database fails a waiting writer at once; SQLite serializes writers anyway")
    ids = [f"2412.{n:05d}" for n in range(300)]
    feeds = {
        "arxiv-rss": lambda arxiv_id: PaperRecord(arxiv_id=arxiv_id, source="arxiv-rss", title=f"Title {arxiv_id}",
                                                 abstract="An abstract.", listed_on=dt.date(2024, 12, 2)),
        "huggingface": lambda arxiv_id: PaperRecord(arxiv_id=arxiv_id, source="huggingface", external_upvotes=5,
                                                   code_url="https://github.com/example/code"),
    }

    def run(source: str) -> int:
        try:
            return sum(upsert_papers([feeds[source](arxiv_id) for arxiv_id in ids[start:start + 20]]).created
                       for start in range(0, len(ids), 20))
        finally:
            close_old_connections()

    with ThreadPoolExecutor(2) as pool:
        created = list(pool.map(run, list(feeds)))
    assert sum(created) == len(ids)  # each paper created once, by one of them
    papers = Paper.objects.filter(arxiv_id__in=ids)
    assert papers.count() == len(ids)
    assert not papers.exclude(title__startswith="Title ").exists()
    assert not papers.exclude(external_upvotes=5).exists()
    assert not papers.exclude(code_url="https://github.com/example/code").exists()
    assert DailyEntry.objects.filter(paper__in=papers).count() == len(ids)
