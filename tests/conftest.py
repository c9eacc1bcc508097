from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from papertide.demo import demo_feed
from papertide.sources.arxiv_rss import AnnouncementFeed

FIXTURES = Path(__file__).parent / "fixtures"

# The property and fuzz tests draw the same examples on every run, so a red CI run means the change broke
# something, not that a new example turned up an old bug. To look for new ones, draw at random:
#   .venv/bin/python -m pytest --hypothesis-profile=explore tests/test_fuzz.py
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile("repeatable")


@pytest.fixture(scope="session")
def real_feed() -> AnnouncementFeed:
    """The real arXiv announcement feed of 2024-11-28 (the bundled demo day), parsed."""
    return demo_feed()


@pytest.fixture(scope="module")
def indexed_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo day loaded and indexed (full text and vectors) once for a test module, then removed."""
    from django.test import override_settings

    from papertide.demo import load_demo_day
    from papertide.papers.models import Paper
    from papertide.search import service
    from papertide.search.indexer import run_index

    with override_settings(SEARCH_INDEX_DIR=tmp_path_factory.mktemp("index")), django_db_blocker.unblock():
        service.get_backend.cache_clear()
        load_demo_day()
        run_index(progress=False)
        yield
        Paper.objects.all().delete()
        service.get_backend().vectors.destroy()  # on PostgreSQL a table in the database, kept past the module
    service.get_backend.cache_clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters, sessions and pages live in caches shared by every test: start empty. Caches kept in the
    database (PostgreSQL) start empty with each test's database."""
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    from papertide.web.page_cache import pieces

    for name in ("default", "readers", "pages", "rankings"):
        if not isinstance(caches[name], DatabaseCache):
            caches[name].clear()
    pieces.clear()
    yield


@pytest.fixture(autouse=True)
def _latest_day_asked_each_time(monkeypatch):
    """Web processes ask which day is the latest every few seconds; a test lists a new day and looks at once."""
    from papertide.web import views

    monkeypatch.setattr(views, "LATEST_DAY_SECONDS", 0.0)


@pytest.fixture(autouse=True)
def _interests_in_the_request(monkeypatch):
    """A reader's interests are found by a thread of the web process after their papers change, which a test's
    uncommitted transaction hides from it; tests find them in the request instead, but for those of the thread
    itself (tests/test_recs_refresh.py)."""
    from papertide.recs import refresh

    monkeypatch.setattr(refresh, "RUN_IN_THREAD", False)


@pytest.fixture
def arxiv_api(settings):
    """A local replay of arXiv's export API answering with a real recorded paper (astro-ph/0601001)."""
    from tests.replay import Answer, ReplayServer

    answer = Answer((FIXTURES / "arxiv" / "api" / "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml").read_bytes())
    with ReplayServer({"/api/query": [answer]}) as server:
        settings.ARXIV_API_URL = server.url + "/api/query"
        yield server


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.org", "correct horse battery")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.org", "correct horse battery")


@pytest.fixture
def as_alice(alice):
    """A client logged in as alice, as her browser is."""
    from django.test import Client

    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def as_bob(bob):
    from django.test import Client

    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback that refuses gone@example.org for good and busy@example.org for now, and
    the site's links in emails rooted at https://papers.example.org."""
    from tests.smtp import SmtpServer

    with SmtpServer(refuse=("gone@example.org",), busy=("busy@example.org",)) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.BASE_URL = "https://papers.example.org"
        yield server


@pytest.fixture
def rankings(monkeypatch) -> list:
    """One item per "For you" ranking made from here on (recs/foryou.py calls `rank`): a kept one is not made."""
    from papertide.recs import foryou

    made = []
    real_rank = foryou.rank
    monkeypatch.setattr(foryou, "rank", lambda *args, **kwargs: made.append(1) or real_rank(*args, **kwargs))
    return made
