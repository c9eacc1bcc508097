"""Untrusted text stays text, pages load nothing from elsewhere, and the production settings pass Django's checks."""

import datetime as dt

import pytest

from papertide.papers.models import Paper
from papertide.papers.upsert import upsert_papers
from papertide.sources.records import PaperRecord
from tests.helpers import run_papertide

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def evil_paper():
    upsert_papers([PaperRecord(arxiv_id="2411.66666", source="arxiv-rss", title=f"Title {EVIL}", abstract=f"Abstract {EVIL}",
                               authors=[f"Mallory {EVIL}"], listed_on=dt.date(2024, 11, 28))])
    return Paper.objects.get()


@pytest.mark.parametrize("url", ["/", "/papers/2411.66666/", "/week/2024-W48/", "/authors/Mallory/"])
def test_a_script_in_a_title_abstract_or_author_shows_as_text(client, evil_paper, url):
    page = client.get(url).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page or url.startswith("/authors/")


@pytest.mark.parametrize("url", ["/", "/papers/2411.66666/", "/search/?q=abstract", "/accounts/login/", "/submit/"])
def test_every_page_forbids_requests_to_other_hosts(client, evil_paper, url):
    policy = client.get(url)["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy


def test_pages_refer_to_no_other_host_for_scripts_styles_or_fonts(client, evil_paper):
    page = client.get("/papers/2411.66666/").content.decode()
    for tag in ("<script src=", '<link rel="stylesheet" href='):
        for start in [i for i in range(len(page)) if page.startswith(tag, i)]:
            assert page[start + len(tag) + 1:].startswith("/static/"), page[start:start + 120]


PRODUCTION = {"HTTPS": "true", "ALLOWED_HOSTS": "papers.example.org", "SMTP_HOST": "mail.example.org",
              "BASE_URL": "https://papers.example.org"}


def test_the_production_settings_pass_the_deployment_checks(tmp_path):
    result = run_papertide(tmp_path, "manage", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checks_warn_when_mail_cannot_be_delivered(tmp_path):
    settings = {**PRODUCTION, "SMTP_HOST": "", "BASE_URL": "http://papers.example.org"}
    result = run_papertide(tmp_path, "manage", "check", "--deploy", **settings)
    assert "papertide.W001" in result.stderr and "never delivered" in result.stderr
    assert "papertide.W002" in result.stderr


def test_every_form_on_the_site_carries_a_csrf_token(client, alice, evil_paper):
    client.force_login(alice)
    for url in ["/", "/papers/2411.66666/", "/submit/", "/profile/"]:
        page = client.get(url).content.decode()
        post_forms = page.count('method="post"')
        assert post_forms and page.count('name="csrfmiddlewaretoken"') >= post_forms, url
