"""/healthz: what a load balancer or monitor asks before sending readers to a web process."""

import pytest

from papertide.search import service

pytestmark = pytest.mark.django_db


def test_a_healthy_site_answers_200_with_each_check(client, indexed_demo):
    response = client.get("/healthz")
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "search index", "cache"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["database"]["detail"] in ("sqlite", "postgresql")
    assert not response.cookies  # no visit cookie, no session: a monitor is not a reader


def test_a_broken_search_index_answers_503_naming_it(client, settings, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("the index directory cannot be created here")
    settings.SEARCH_INDEX_DIR = blocked
    service.get_backend.cache_clear()
    try:
        response = client.get("/healthz")
    finally:
        service.get_backend.cache_clear()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert response.json()["status"] == "failing"
    assert not checks["search index"]["ok"] and checks["search index"]["detail"]
    assert checks["database"]["ok"] and checks["cache"]["ok"]
