"""`papertide serve` end to end: a real server process on a free port, real HTTP."""

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request

import pytest

from tests.helpers import get, start_server, stop_server, wait_for_http


@pytest.fixture
def server(tmp_path):
    process, base = start_server(tmp_path)
    wait_for_http(base + "/", process)
    yield process, base, tmp_path
    if process.poll() is None:
        stop_server(process)


def test_first_run_loads_the_demo_day_and_serves_it(server):
    _, base, _ = server
    status, page = get(base + "/")
    assert status == 200
    assert "Textured Gaussians for Enhanced 3D Scene Appearance Modeling" in page
    assert "935 papers" in page


def test_paper_pages_and_static_files_are_served(server):
    _, base, _ = server
    status, page = get(base + "/papers/2411.17775/")
    assert status == 200 and "Václav Vavryčuk" in page
    status, css = get(base + "/static/papertide/site.css")
    assert status == 200 and "prefers-color-scheme: dark" in css
    assert get(base + "/papers/2411.99999/")[0] == 404


def test_a_second_start_serves_the_existing_data_without_reloading(server):
    process, _, data_dir = server
    stop_server(process)
    again, base = start_server(data_dir)
    try:
        wait_for_http(base + "/", again)
        assert "935 papers" in get(base + "/")[1]
    finally:
        output = stop_server(again)
    assert "loading the demo day" not in output


def test_serve_without_demo_leaves_an_empty_site(tmp_path):
    process, base = start_server(tmp_path, "--no-demo")
    try:
        wait_for_http(base + "/", process)
        assert "No papers yet" in get(base + "/")[1]
    finally:
        stop_server(process)


def test_first_run_indexes_the_demo_day_in_the_background(server):
    _, base, _ = server
    deadline = time.monotonic() + 90
    page = ""
    while time.monotonic() < deadline:
        status, page = get(base + "/search/?q=representing+a+3D+scene+with+many+small+colored+ellipsoids")
        assert status == 200
        if "ranked by meaning and words" in page:
            break
        time.sleep(1.0)  # within the search limit (60 a minute)
    assert "ranked by meaning and words" in page
    first_card = page[page.index('class="card"'):]
    assert "Textured Gaussians for Enhanced 3D Scene Appearance Modeling" in first_card[:1500]


def test_emailed_links_point_to_the_port_serve_was_given(server):
    """`papertide serve --port N` (README's own example) mails links to port N, not to PAPERTIDE_PORT's 8000."""
    _, base, data_dir = server
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    home = browser.open(base + "/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home)[1]
    form = urllib.parse.urlencode({"email": "erin@example.org", "csrfmiddlewaretoken": token}).encode()
    browser.open(urllib.request.Request(base + "/subscribe/", data=form, headers={"Referer": base + "/"})).read()
    [mail] = (data_dir / "outbox").glob("*.log")
    links = re.findall(r"http://\S+/subscribe/confirm/\S+/", mail.read_text())
    assert links and all(link.startswith(base + "/") for link in links)
