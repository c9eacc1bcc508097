"""Editing a paper by hand (the admin, a shell) keeps what is derived from it up to date."""

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from papertide.papers.models import DailyEntry, Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper():
    upsert_papers([PaperRecord(arxiv_id="2411.17775", source="arxiv-rss", title="Dark matter", abstract="Old.",
                               listed_on=dt.date(2024, 11, 28))])
    Paper.objects.update(index_pending=False)  # as after the index stage
    return Paper.objects.get()


def edit_in_admin(paper: Paper, admin_user, **changes) -> None:
    """Save through the admin's own form and save_model, as its change page does."""
    model_admin = site._registry[Paper]
    request = RequestFactory().post("/")
    request.user = admin_user
    form_class = model_admin.get_form(request, paper, change=True)
    initial = form_class(instance=paper).initial
    data = {name: value for name, value in initial.items() if value is not None}
    data |= {"authors": '["Václav Vavryčuk"]', "categories": '["astro-ph.GA"]', **changes}
    form = form_class(data, instance=paper)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)


def test_editing_the_title_in_the_admin_marks_the_paper_for_the_index(paper, admin_user):
    edit_in_admin(paper, admin_user, title="Dark matter, corrected")
    fresh = Paper.objects.get()
    assert fresh.title == "Dark matter, corrected" and fresh.index_pending


def test_editing_a_field_the_index_does_not_read_leaves_it_alone(paper):
    paper.comments = "10 pages"
    paper.save()
    assert not Paper.objects.get().index_pending


def test_editing_upvotes_counted_elsewhere_moves_the_trending_score(paper, admin_user):
    before = DailyEntry.objects.get().trend_log
    edit_in_admin(paper, admin_user, external_upvotes=50)
    assert DailyEntry.objects.get().trend_log > before
    paper = Paper.objects.get()
    paper.github_stars = 2000
    paper.save(update_fields=["github_stars"])
    assert DailyEntry.objects.get().trend_log > before + 1
