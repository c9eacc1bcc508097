"""A reader's interests are found off the request that changed their papers: by a thread of the web process, and
by the worker for a change a process left behind (recs/refresh.py). The thread needs committed rows, so this
module's one test is transactional (and alone: its flush at the end empties the database)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from papertide.papers.models import Paper
from papertide.recs import actions, refresh
from papertide.recs.models import Interest, InterestsDue

GAUSSIAN_SPLATTING = ["2411.18066", "2411.18311", "2411.18473", "2411.17190", "2411.17772"]
PROTEIN_DESIGN = ["2411.17795", "2411.18568", "2411.16686"]


def _papers_of(reader) -> list[set[int]]:
    return sorted((set(i.papers) for i in Interest.objects.filter(user=reader)), key=len)


def _done(reader, wanted) -> bool:
    try:
        return not InterestsDue.objects.filter(user=reader).exists() and _papers_of(reader) == wanted
    except OperationalError:  # the test database is SQLite's shared in-memory one: no waiting for a writer
        return False


@pytest.mark.django_db(transaction=True)
def test_interests_are_found_by_a_thread_and_what_a_dead_process_left_by_the_worker(
        indexed_demo, monkeypatch, django_user_model, client, settings, rankings):
    monkeypatch.setattr(refresh, "RUN_IN_THREAD", True)
    settings.PAGE_CACHE_SECONDS = 60  # pages and rankings kept, as served
    reader = django_user_model.objects.create_user("thread-reader", "t@example.org", "correct horse battery")
    papers = {p.arxiv_id: p for p in Paper.objects.filter(arxiv_id__in=GAUSSIAN_SPLATTING + PROTEIN_DESIGN)}
    with transaction.atomic():  # the changes' hooks run together after it, the thread's work after them
        for arxiv_id in GAUSSIAN_SPLATTING + PROTEIN_DESIGN:
            actions.save(reader, papers[arxiv_id])
    wanted = [{papers[a].pk for a in PROTEIN_DESIGN}, {papers[a].pk for a in GAUSSIAN_SPLATTING}]
    version = actions.signals_version(reader)  # what their ranked pages are kept under
    deadline = time.monotonic() + 30
    while not _done(reader, wanted) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _papers_of(reader) == wanted  # both interests, found without anyone opening a page
    assert not InterestsDue.objects.filter(user=reader).exists()
    assert actions.signals_version(reader) != version  # ranked anew: interests decide what counts as liked
    # ... and the thread ranked their latest day ahead with them: their front page needs no ranking
    rankings.clear()
    client.force_login(reader)
    assert client.get("/").content.decode().count("For you: ") == 50 and not rankings

    # A web process died after a change: its row waits. The worker leaves a fresh one to the process (it is
    # about to run) and finishes an old one; the reader's page finishes one still due before showing it.
    monkeypatch.setattr(refresh, "RUN_IN_THREAD", False)
    Interest.objects.filter(user=reader).delete()
    InterestsDue.objects.create(user=reader, changed_at=timezone.now())
    assert refresh.process_waiting() == 0 and not Interest.objects.filter(user=reader).exists()
    InterestsDue.objects.filter(user=reader).update(changed_at=timezone.now() - dt.timedelta(minutes=5))
    assert refresh.process_waiting() == 1
    assert _papers_of(reader) == wanted and not InterestsDue.objects.filter(user=reader).exists()

    Interest.objects.filter(user=reader).delete()
    InterestsDue.objects.create(user=reader, changed_at=timezone.now())
    client.force_login(reader)
    page = client.get("/interests/").content.decode()
    assert page.count('class="interest') == 2 and "protein" in page
