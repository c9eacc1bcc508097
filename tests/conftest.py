from __future__ import annotations

from pathlib import Path

import pytest

from papertide.demo import demo_feed
from papertide.sources.arxiv_rss import AnnouncementFeed

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def real_feed() -> AnnouncementFeed:
    """The real arXiv announcement feed of 2024-11-28 (the bundled demo day), parsed."""
    return demo_feed()


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.org", "correct horse battery")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.org", "correct horse battery")
