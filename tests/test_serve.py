"""`papertide serve` end to end: a real server process on a free port, real HTTP."""

import http.cookiejar
import json
import re
import time
import urllib.error
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


def test_first_run_indexes_the_demo_day_in_the_background(tmp_path, monkeypatch):
    """Search by meaning comes once the background index is built. Queries are embedded by the int8 encoder (torch,
    loaded at a worker's first search; or float32 where int8 is slower on this CPU) with one thread per web process,
    even with the operator's shell asking four for indexing: the process's requests run on threads of their own."""
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    process, base = start_server(tmp_path)
    try:
        wait_for_http(base + "/", process)
        deadline = time.monotonic() + 90
        page = ""
        while time.monotonic() < deadline:
            status, page = get(base + "/search/?q=representing+a+3D+scene+with+many+small+colored+ellipsoids")
            assert status == 200
            if "ranked by meaning and words" in page:
                break
            time.sleep(1.0)  # within the search limit (60 a minute)
    finally:
        log = stop_server(process)
    assert "ranked by meaning and words" in page
    first_card = page[page.index('class="card"'):]
    assert "Textured Gaussians for Enhanced 3D Scene Appearance Modeling" in first_card[:1500]
    assert re.search(r"(search queries are embedded with int8 matrix products|int8 matrix products are slower than "
                     r"float32 on this CPU) \(torch [^,]+, 1 thread,|this CPU has AVX2 at best", log), log


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


def test_every_log_line_of_a_request_carries_its_id(tmp_path):
    """An operator following a reader's report: the id in the response's X-Request-ID header finds the request's
    access line and the lines the site wrote for it (here as JSON, PAPERTIDE_LOG_FORMAT=json)."""
    process, base = start_server(tmp_path, "--no-demo", LOG_FORMAT="json", TRUSTED_PROXIES="1")
    try:
        wait_for_http(base + "/healthz", process)
        proxied = {"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "nginx-4f2a"}
        with urllib.request.urlopen(urllib.request.Request(base + "/healthz", headers=proxied), timeout=30) as answer:
            assert answer.headers["X-Request-ID"] == "nginx-4f2a"  # the trusted proxy's id runs through both logs
        forged = {"X-Request-ID": "x" * 65}
        with urllib.request.urlopen(urllib.request.Request(base + "/healthz", headers=forged), timeout=30) as answer:
            assert re.fullmatch(r"[0-9a-f]{16}", answer.headers["X-Request-ID"])
        try:
            urllib.request.urlopen(base + "/papers/no-such-paper/", timeout=30)
        except urllib.error.HTTPError as error:
            assert error.code == 404
            request_id = error.headers["X-Request-ID"]
    finally:
        log = stop_server(process)
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    written = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    [not_found] = [line for line in written if line["request_id"] == request_id]
    assert not_found["level"] == "WARNING" and "/papers/no-such-paper/" in not_found["message"]
    assert any("GET /papers/no-such-paper/" in line and line.endswith(request_id) for line in log.splitlines())


def test_the_loaded_site_is_kept_out_of_garbage_collection(tmp_path):
    """A full garbage collection walked the whole loaded site (50-90 ms with the process's threads stopped, the p99
    of pages under load): each web process freezes what it loaded at start, and again after its first requests."""
    import http.client

    from papertide.web.server import WARM_REQUESTS

    pauses = tmp_path / "gc-pauses.log"
    process, base = start_server(tmp_path, "--no-demo", GC_PAUSE_LOG=str(pauses))
    try:
        wait_for_http(base + "/healthz", process)
        connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=30)
        for _ in range(WARM_REQUESTS):
            connection.request("GET", "/healthz")
            assert connection.getresponse().read()
        connection.close()
        time.sleep(0.5)  # the hook runs after the answer is sent
    finally:
        log = stop_server(process)
    frozen = [int(count.replace(",", "")) for count in re.findall(r"([\d,]+) objects kept out of garbage collection", log)]
    assert re.search(r"worker \d+ loaded: ", log) and re.search(r"warmed by \d+ requests: ", log), log
    assert len(frozen) == 2 and 10_000 < frozen[0] < frozen[1], log
    # what `bench pages` reads: the worker's full collections, if any ran (the file says the server records them)
    assert pauses.exists()
    assert all(re.fullmatch(r"\d+ \d+\.\d{3} \d+\.\d", line) for line in pauses.read_text().splitlines())


def test_a_request_id_from_a_client_is_not_believed_without_a_trusted_proxy(settings):
    from papertide.web.request_id import _given

    settings.TRUSTED_PROXIES = 0
    assert _given({"HTTP_X_REQUEST_ID": "someone-elses-id"}) is None
    settings.TRUSTED_PROXIES = 1
    assert _given({"HTTP_X_REQUEST_ID": "someone-elses-id"}) == "someone-elses-id"
    assert _given({"HTTP_X_REQUEST_ID": "two words"}) is None  # nothing but an id reaches the logs
