"""End to end in a real browser (Playwright driving Debian's chromium) against `papertide serve` on loopback:
sign up, upvote without a reload, submit a paper, read rendered math, search. Screenshots of each page, at
desktop and phone width, light and dark, go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import re
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import start_server, stop_server, wait_for_http

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
MATH_PAPER = "2411.17737"  # its abstract has $A_n$ and a displayed $$ \mathrm{diag}(…) $$

if os.environ.get("PAPERTIDE_TEST_DATABASE", "sqlite") != "sqlite":
    # The browser drives `papertide serve` in a data directory of its own (SQLite): the SQLite tier runs these.
    pytest.skip("the browser tests run in the SQLite tier", allow_module_level=True)
if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs /usr/bin/chromium for the browser tests; ./dev test installs it as root")
    pytest.skip("no /usr/bin/chromium (sudo apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site_data(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("site")


@pytest.fixture(scope="module")
def site(site_data):
    """A served demo day whose export API is a local replay of a real recorded answer."""
    from tests.conftest import FIXTURES
    from tests.replay import Answer, ReplayServer

    recorded = (FIXTURES / "arxiv" / "api" / "id_astro-ph_0601001_s0_m100_3150dca9dc76.xml").read_bytes()
    with ReplayServer({"/api/query": [Answer(recorded, delay=2.0)]}) as arxiv:  # arXiv takes its time
        data_dir = site_data
        process, base = start_server(data_dir, ARXIV_API_URL=arxiv.url + "/api/query",
                                     SUBMISSION_MAX_AGE_DAYS="100000", LOGIN_RATE_LIMIT="1000",
                                     COMMENT_POLL_SECONDS="1")
        try:
            wait_for_http(base + "/", process, timeout=120)
            yield base
        finally:
            stop_server(process)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless"])
        yield browser
        browser.close()


class Watched:
    """A page whose console errors (a CSP violation is one) and requests to other hosts are collected."""

    def __init__(self, page, base: str) -> None:
        self.page, self.errors, self.foreign = page, [], []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", lambda request: request.url.startswith(base) or self.foreign.append(request.url))


@pytest.fixture
def context(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site)
    yield context
    context.close()


@pytest.fixture
def page(context, site):
    page = context.new_page()
    watched = page.watched = Watched(page, site)
    yield page
    assert watched.errors == [], watched.errors
    assert watched.foreign == [], watched.foreign


def sign_up(page, name: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Username", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(f"{name}@example.org")
    page.get_by_label("Password", exact=True).fill("a long pass phrase")
    page.get_by_label("Password confirmation").fill("a long pass phrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/$"))


def shoot(browser, site: str, path: str, name: str, session_cookies=()) -> None:
    """Desktop and phone screenshots, light and dark."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})]:
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=viewport, base_url=site, color_scheme=scheme,
                                          device_scale_factor=2 if size == "phone" else 1)
            context.add_cookies(list(session_cookies))
            page = context.new_page()
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=SCREENSHOTS / f"{name}-{size}-{scheme}.png", full_page=name in ("paper", "submit", "signup"))
            context.close()


def test_a_reader_signs_up_and_is_logged_in(page):
    sign_up(page, "dora")
    assert page.get_by_role("link", name="dora").is_visible()
    assert page.get_by_text("Welcome, dora!").is_visible()


def test_an_anonymous_click_on_upvote_asks_to_log_in(page):
    page.goto("/")
    page.locator(".card .upvote").first.click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    assert page.get_by_role("heading", name="Log in").is_visible()


def test_upvoting_changes_the_count_without_a_reload_and_survives_one(page):
    sign_up(page, "erin")
    page.goto("/")
    card = page.locator(".card").nth(3)
    title = card.locator(".title a").inner_text()
    button = card.locator("button.upvote")
    before = int(button.locator(".count").inner_text())
    page.evaluate("window.notReloaded = true")
    button.click()
    pressed = card.locator('button.upvote[aria-pressed="true"]')
    pressed.wait_for()
    assert int(pressed.locator(".count").inner_text()) == before + 1
    assert page.evaluate("window.notReloaded") is True  # the same page: htmx swapped the button in
    page.reload()
    # The upvote moved the paper up the trending list; find it again by its title.
    card = page.locator(".card", has=page.get_by_role("link", name=title, exact=True))
    assert card.locator("button.upvote").get_attribute("aria-pressed") == "true"
    assert int(card.locator(".count").inner_text()) == before + 1


def test_racing_clicks_count_once(page, site):
    sign_up(page, "frank")
    page.goto(f"/papers/{MATH_PAPER}/")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = page.locator('input[name="csrfmiddlewaretoken"]').first.get_attribute("value")
    statuses = []

    def click() -> None:
        request = urllib.request.Request(
            f"{site}/papers/{MATH_PAPER}/upvote/", method="POST",
            data=urllib.parse.urlencode({"action": "add", "csrfmiddlewaretoken": token}).encode(),
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "HX-Request": "true",
                     "Referer": site + "/", "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=30) as response:
            statuses.append(response.status)

    clicks = [threading.Thread(target=click) for _ in range(8)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert statuses == [200] * 8
    page.reload()
    assert page.locator(".paper-head .count").inner_text() == "1"


def test_submitting_a_paper_shows_progress_then_opens_its_page(page):
    sign_up(page, "gus")
    page.get_by_role("link", name="Submit").click()
    page.get_by_label("arXiv id or link").fill("https://arxiv.org/abs/astro-ph/0601001")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/submit/\d+/$"))  # answered at once, while arXiv is still being asked
    # the worker may not have picked the job up yet: either step of the progress shows
    assert re.search(r"waiting for its turn|asking arXiv", page.get_by_role("status").inner_text())
    page.wait_for_url("**/papers/astro-ph/0601001/", timeout=15_000)  # htmx follows the job to its end
    assert page.get_by_text("is on today's list").is_visible()
    assert page.get_by_role("link", name="Andrew Gould", exact=True).is_visible()


def test_a_refused_submission_says_why(page):
    sign_up(page, "hal")
    page.goto("/submit/")
    page.get_by_label("arXiv id or link").fill("not a paper")
    page.get_by_role("button", name="Submit").click()
    assert page.get_by_role("alert").inner_text().startswith("'not a paper' is not an arXiv id")
    assert page.watched.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.watched.errors.clear()


def test_the_paper_page_renders_math(page):
    page.goto(f"/papers/{MATH_PAPER}/")
    abstract = page.locator(".abstract-full")
    abstract.locator(".katex").first.wait_for()
    assert abstract.locator(".katex").count() >= 3
    assert abstract.locator(".katex-display").count() >= 1  # the $$ … $$ formula on its own line
    assert "$" not in abstract.inner_text()
    assert abstract.locator(".katex-error").count() == 0
    # Cards render math too: the same paper found by search.
    page.goto("/search/?q=Smith+normal+form+of+the+Q-walk+matrix+of+the+Dynkin+graph")
    page.locator(".card .title .katex").first.wait_for()


def test_math_from_an_abstract_cannot_cover_the_page(page):
    page.goto(f"/papers/{MATH_PAPER}/")
    page.locator(".abstract-full .katex").first.wait_for()
    height = page.evaluate(r"""() => {
        const p = document.createElement("p");
        p.dataset.math = "";
        p.textContent = "A $\\rule{3000em}{3000em}$ box and $\\href{javascript:alert(1)}{a link}$";
        document.querySelector(".abstract-full").append(p);
        renderMath(p.parentElement);
        return [p.getBoundingClientRect().height, p.querySelectorAll("a").length];
    }""")
    assert height[0] < 600 and height[1] == 0


def test_category_chips_narrow_the_feed_and_the_filter_is_remembered(page):
    page.goto("/day/2024-11-28/")
    groups = page.get_by_role("list", name="arXiv groups")
    groups.get_by_role("link", name=re.compile(r"^cs \d+")).click()
    page.wait_for_url("**/day/2024-11-28/?cat=cs")
    assert page.locator(".filter-state").inner_text().startswith("Showing cs")
    assert page.locator(".card").count() == 50
    for card in page.locator(".card").all()[:20]:
        assert any(t.startswith("cs.") for t in card.locator(".tag").all_inner_texts())
    page.get_by_role("link", name=re.compile(r"^Has code")).click()
    page.wait_for_url("**/day/2024-11-28/?cat=cs&code=1")
    assert all(card.locator("a.code").count() == 1 for card in page.locator(".card").all())
    page.get_by_role("button", name="Remember this filter").click()
    page.wait_for_url("**/day/2024-11-28/")
    assert "cs; with code (your filter)" in page.locator(".filter-state").inner_text()
    page.goto("/day/2024-11-28/")  # back later: still narrowed
    assert "(your filter)" in page.locator(".filter-state").inner_text()
    page.get_by_role("button", name="Forget my filter").click()
    page.wait_for_url("**/day/2024-11-28/")
    assert page.locator(".filter-state").inner_text().startswith("Showing every category")


def test_a_filter_can_be_typed(page):
    page.goto("/day/2024-11-28/")
    page.get_by_role("textbox", name="Categories").fill("math.CO, -math.PR")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"cat=math\.CO"))
    for card in page.locator(".card").all():
        tags = card.locator(".tag").all_inner_texts()
        assert "math.CO" in tags and card.locator(".tag.primary").inner_text() != "math.PR"


def test_search_from_the_header(page):
    page.goto("/")
    page.get_by_label("Search papers").fill("3D gaussian splatting for scene reconstruction")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator(".card").count() >= 5
    assert "gaussian" in page.locator(".card .title").first.inner_text().lower()


def test_the_api_docs_list_every_endpoint_including_the_compatible_ones(page):
    page.goto("/api/docs")
    page.locator(".opblock").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/papers" in paths and "/api/daily_papers" in paths and "/api/papers/search" in paths


def test_the_week_view_and_the_calendar(page):
    page.goto("/day/2024-11-28/")  # not "/": a submission puts today's date on the list
    page.get_by_role("navigation", name="Period").get_by_role("link", name="Week").click()
    page.wait_for_url("**/week/2024-W48/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Week 48, 2024")
    page.get_by_role("link", name="November 28: 935 papers").click()
    page.wait_for_url("**/day/2024-11-28/")


def test_the_keyboard_reaches_and_presses_the_upvote_button(page):
    sign_up(page, "ivy")
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.locator(".card button.upvote").first.focus()
    page.keyboard.press("Enter")
    page.locator('.card button.upvote[aria-pressed="true"]').first.wait_for()


def test_a_reader_imports_a_library_saves_dismisses_and_gets_for_you_with_reasons(page):
    from tests.conftest import FIXTURES

    sign_up(page, "fern")
    page.goto("/library/import/")
    page.set_input_files("#import-file", str(FIXTURES / "library" / "zotero.bib"))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/library/import/\d+/$"))
    # The page follows the import (astro-ph/0601001 fetched from the replayed arXiv and embedded, unless an
    # earlier test submitted it) without a reload.
    page.get_by_text("new in").wait_for(timeout=90_000)
    report = page.locator("#import-report").inner_text()
    matched = int(re.search(r"(\d+) matched papers already on this site", report)[1])
    fetched = int(re.search(r"(\d+) fetched from arXiv", report)[1])
    assert matched + fetched == 5 and matched >= 4, report
    page.get_by_text("Skipped: no arXiv id (1)").click()
    assert page.get_by_text("Highly accurate protein structure prediction with AlphaFold").is_visible()

    page.goto("/day/2024-11-28/")  # five liked papers: "For you" is the reader's default order now
    assert page.locator('.tabs.sort [aria-current="true"]').inner_text() == "For you"
    first = page.locator(".card").first
    assert first.locator(".why.foryou").inner_text().startswith("For you: Close to “")
    title = first.locator(".title a").inner_text()
    page.evaluate("window.notReloaded = true")
    first.get_by_role("button", name="Not interested").click()
    page.get_by_text("Hidden from your For you").wait_for()
    page.get_by_role("button", name="Undo").click()
    page.locator(".card .title a", has_text=title).wait_for()

    second = page.locator(".card").nth(1)
    second.get_by_role("button", name="Save to your library").click()
    second.locator('.keep button[aria-pressed="true"]').wait_for()
    assert page.evaluate("window.notReloaded") is True  # htmx swapped each part in place
    page.goto("/library/")
    assert page.locator(".card").count() == 6

    page.goto("/for-you/")
    reasons = page.locator(".why.foryou").all_inner_texts()
    assert len(reasons) == 50 and all(r.startswith("For you: ") for r in reasons)
    page.goto("/interests/")
    assert page.locator("section.interest").count() >= 1


def test_readers_discuss_a_paper_with_math_and_a_moderator_hides_a_reported_comment(browser, page, site, site_data):
    from tests.helpers import run_papertide

    sign_up(page, "ines")
    page.goto(f"/papers/{MATH_PAPER}/")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Add a comment").fill("Is $A_n$ *really* needed? $\\href{javascript:alert(1)}{click me}$")
    page.get_by_role("button", name="Comment", exact=True).click()
    mine = page.locator(".comment").first
    mine.locator(".comment-body .katex").first.wait_for()  # drawn by the vendored KaTeX
    assert mine.locator(".comment-body em").inner_text() == "really"
    assert page.locator("a[href^='javascript']").count() == 0  # \href stays text with trust off
    assert "(1 comment)" in page.locator("#discussion-heading").inner_text()

    mine.get_by_role("link", name="Reply").click()
    page.get_by_label("Reply to ines").fill("Answering **myself**")
    page.get_by_role("button", name="Reply", exact=True).click()
    reply = mine.locator(".replies .comment").first
    reply.get_by_text("myself").wait_for()
    reply.get_by_role("link", name="Edit").click()
    page.get_by_label("Edit your comment").fill("Answering myself, edited")
    page.get_by_role("button", name="Save changes").click()
    reply.get_by_text("· edited").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    reply.get_by_role("button", name="Delete").click()
    reply.wait_for(state="detached")
    assert page.evaluate("window.notReloaded") is True  # every step swapped in place by htmx
    page.reload()
    assert page.get_by_text("Is ").first.is_visible() and page.get_by_text("Answering myself").count() == 0
    page.evaluate("window.notReloaded = true")  # ines keeps the page open while juno writes

    other = browser.new_context(base_url=site).new_page()
    sign_up(other, "juno")
    other.goto(f"/papers/{MATH_PAPER}/")
    other.get_by_label("Add a comment").fill("A fine paper; see https://example.org/notes")
    other.get_by_role("button", name="Comment", exact=True).click()
    other.get_by_text("A fine paper").wait_for()
    assert other.locator(".comment-body a").get_attribute("rel") == "nofollow ugc noopener"
    spam = other.locator(".comment", has_text="really needed")
    spam.get_by_role("link", name="Reply").first.click()
    other.get_by_label("Reply to ines").fill("Yes, it is")
    other.get_by_role("button", name="Reply", exact=True).click()
    spam.get_by_text("Yes, it is").wait_for()
    page.get_by_text("A fine paper").wait_for()  # on ines's open page too, by its poll
    page.locator(".comment", has_text="really needed").locator(".replies").get_by_text("Yes, it is").wait_for()
    assert "(3 comments)" in page.locator("#discussion-heading").inner_text()
    assert page.evaluate("window.notReloaded") is True
    spam.get_by_role("button", name=re.compile("Upvote this comment")).first.click()
    spam.locator('.comment-vote button[aria-pressed="true"]').first.wait_for()
    spam.get_by_role("link", name="Report").first.click()
    other.get_by_label("Spam or advertising").check()
    other.get_by_role("button", name="Report").click()
    other.get_by_text("a moderator will look at this comment").wait_for()
    other.get_by_role("link", name="Are you an author?").click()
    other.get_by_label("Shengyong Pan").check()
    other.get_by_role("button", name="Claim").click()
    other.get_by_text("a moderator will check that you are Shengyong Pan").wait_for()
    other.context.close()

    make = ("from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_superuser('mod', 'mod@example.org', 'a long pass phrase')")
    assert run_papertide(site_data, "manage", "shell", "-c", make).returncode == 0
    moderator = browser.new_context(base_url=site).new_page()
    moderator.goto("/accounts/login/")
    moderator.get_by_label("Username").fill("mod")
    moderator.get_by_label("Password").fill("a long pass phrase")
    moderator.get_by_role("button", name="Log in").click()
    moderator.goto("/admin/discussion/report/")
    row = moderator.locator("#result_list tbody tr", has_text="A_n")
    row.locator("input[type=checkbox]").check()
    moderator.select_option("select[name=action]", "hide_comments")
    moderator.get_by_role("button", name="Go").click()
    moderator.get_by_text("1 comments hidden.").wait_for()
    moderator.goto("/admin/authors/claim/")
    claim = moderator.locator("#result_list tbody tr", has_text="Shengyong Pan")
    assert "juno@example.org" in claim.inner_text()
    claim.locator("input[type=checkbox]").check()
    moderator.select_option("select[name=action]", "approve")
    moderator.get_by_role("button", name="Go").click()
    moderator.get_by_text("1 claims approved.").wait_for()
    moderator.context.close()

    page.goto(f"/papers/{MATH_PAPER}/")
    assert page.get_by_text("really needed").count() == 0 and page.get_by_text("A fine paper").is_visible()
    fine = page.locator(".comment", has_text="A fine paper")
    assert fine.locator(".comment-meta .badge").inner_text().lower() == "author"  # juno is Shengyong Pan now
    assert page.locator(".bell").get_attribute("aria-label") == "Notifications: 1 unread"
    page.locator(".bell").click()
    assert page.get_by_text("juno replied to your comment on").is_visible()
    assert page.locator(".bell").get_attribute("aria-label") == "Notifications"  # read once seen
    page.goto(f"/papers/{MATH_PAPER}/")
    page.locator(".authors .badge").click()
    page.wait_for_url(re.compile(r"/people/juno/$"))
    assert page.get_by_role("heading", name=re.compile("Shengyong Pan")).is_visible()


def test_a_reader_makes_a_collection_from_the_cards_reorders_it_and_exports_it(page):
    sign_up(page, "kira")
    page.goto("/day/2024-11-28/")
    page.evaluate("window.notReloaded = true")
    first, second = page.locator(".card").nth(0), page.locator(".card").nth(1)
    links = [first.locator(".title a").get_attribute("href"), second.locator(".title a").get_attribute("href")]
    hrefs = "els => els.map(e => e.getAttribute('href'))"  # titles with math read differently once KaTeX drew them
    first.get_by_role("link", name="Add to…").click()
    first.get_by_placeholder("New collection").fill("Morning reading")
    first.get_by_role("button", name="Create and add").click()
    first.get_by_role("button", name="✓ Morning reading").wait_for()
    second.get_by_role("link", name="Add to…").click()
    second.get_by_role("button", name="+ Morning reading").click()
    second.get_by_role("button", name="✓ Morning reading").wait_for()
    assert page.evaluate("window.notReloaded") is True

    page.goto("/collections/")
    page.get_by_role("link", name="Morning reading").click()
    cards = page.locator("#collection-items .card .title a")
    assert cards.evaluate_all(hrefs) == links
    page.get_by_role("button", name=re.compile("^Move .* up$")).nth(1).click()
    page.locator("#collection-items .card").first.locator(f".title a[href='{links[1]}']").wait_for()
    assert cards.evaluate_all(hrefs) == links[::-1]
    page.get_by_text("Edit the collection").click()
    page.get_by_label("Public").check()
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("A public collection by kira").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="BibTeX").click()
    bib = Path(download.value.path()).read_text()
    assert bib.count("@misc{") == 2
    assert page.locator("link[rel=alternate][href^='/feeds/collections/']").count() == 1  # public: a feed


def _map_ready(page, timeout: float = 180) -> dict:
    """The map page once the background index has drawn it and the browser has loaded its points."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto("/map/")
        if page.locator("#map-canvas").count():
            page.get_by_text(re.compile(r"^[\d,]+ papers$")).wait_for(timeout=30_000)
            return page.evaluate("() => ({count: window.papertideMap.count, loadMs: window.papertideMap.loadMs})")
        time.sleep(2)
    raise AssertionError("the map was not drawn")


def test_the_map_shows_every_paper_titles_on_hover_opens_a_paper_and_marks_the_readers(page):
    sign_up(page, "mapreader")
    page.goto(f"/papers/{MATH_PAPER}/")
    page.locator(".paper-head .upvote").click()
    page.locator(".paper-head .upvote[aria-pressed=true]").wait_for()
    pk = int(page.evaluate(f"() => fetch('/api/papers/{MATH_PAPER}').then(r => r.json()).then(p => p.discussionId)"))
    ready = _map_ready(page)
    assert ready["count"] >= 1504 and ready["loadMs"] is not None  # the demo day's papers, and any submitted since
    page.get_by_text("papers you saved or upvoted").wait_for()
    mine = page.evaluate(f"() => window.papertideMap.point({pk})")
    for _ in range(50):  # the reader's own papers are marked once /map/mine.json is in
        if mine["mine"]:
            break
        page.wait_for_timeout(100)
        mine = page.evaluate(f"() => window.papertideMap.point({pk})")
    # Upvoted. (Whether it is on the latest day depends on the submissions other tests made today: test_topics
    # checks the latest day's flags.)
    assert mine["mine"]
    canvas = page.locator("#map-canvas")
    for _ in range(6):  # zoom in on the paper, so that its dot stands apart from its neighbours
        spot = page.evaluate(f"() => window.papertideMap.point({pk})")
        page.mouse.move(spot["x"], spot["y"])
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(50)
    spot = page.evaluate(f"() => window.papertideMap.point({pk})")
    page.mouse.move(spot["x"] + 1, spot["y"])
    tip = page.locator("#map-tip")
    tip.filter(has_text=re.compile(r"Smith normal form", re.I)).wait_for()
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_url(re.compile(rf"/papers/{MATH_PAPER}/$"))
    page.go_back()
    _map_ready(page)
    canvas.focus()
    for key in ["+", "+", "ArrowLeft", "ArrowUp", "-"]:
        page.keyboard.press(key)
    frames = page.evaluate("() => window.papertideMap.frames.length")
    assert frames >= 2  # each move drew a frame


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_accessibility_violations(browser, site, scheme):
    """axe-core (the engine behind Lighthouse's accessibility audit): labels, contrast, landmarks, ARIA."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(base_url=site, color_scheme=scheme)
    page = context.new_page()
    sign_up(page, f"axe{scheme}")
    pages = ["/", f"/papers/{MATH_PAPER}/", "/week/2024-W48/", "/month/2024-11/", "/search/?q=diffusion",
             "/submit/", "/profile/", "/authors/Jia%20yaning/", "/for-you/", "/library/", "/library/import/",
             "/interests/", "/comments/1/report/", "/collections/", f"/papers/{MATH_PAPER}/claim/",
             "/people/juno/", "/collections/1/", "/notifications/", "/notifications/email/", "/map/"]
    found = {}
    for path in pages:
        page.goto(path)
        found[path] = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
                       for v in Axe().run(page).response["violations"]]
    context.close()
    anonymous = browser.new_context(base_url=site, color_scheme=scheme).new_page()
    for path in ["/", "/accounts/signup/", "/accounts/login/", "/accounts/password-reset/", "/subscribe/"]:
        anonymous.goto(path)
        found["anonymous " + path] = [(v["id"], v["impact"]) for v in Axe().run(anonymous).response["violations"]]
    anonymous.context.close()
    assert {path: v for path, v in found.items() if v} == {}


def test_screenshots_of_the_main_pages(browser, site, page):
    sign_up(page, "jay")
    cookies = page.context.cookies()
    for path, name in [("/day/2024-11-28/", "feed"), (f"/papers/{MATH_PAPER}/", "paper"), ("/week/2024-W48/?sort=upvotes", "week"),
                       ("/search/?q=diffusion+models+for+video", "search"), ("/submit/", "submit"),
                       ("/collections/1/", "collection"), ("/notifications/", "notifications"), ("/map/", "map")]:
        shoot(browser, site, path, name, cookies)
    shoot(browser, site, "/accounts/signup/", "signup")
    assert len(list(SCREENSHOTS.glob("*.png"))) >= 36


def test_the_digest_email_reads_well_in_a_browser_light_and_dark(browser, site, site_data):
    import email
    import email.policy

    from tests.helpers import run_papertide

    make = ("from papertide.digests.models import Subscriber; "
            "Subscriber.objects.get_or_create(email='kim@example.org')")
    assert run_papertide(site_data, "manage", "shell", "-c", make).returncode == 0
    eml = site_data / "kim.eml"
    result = run_papertide(site_data, "digest", "preview", "kim@example.org", "--date", "2024-11-28",
                           "--output", str(eml))
    assert result.returncode == 0, result.stderr
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html = site_data / "kim.html"
    html.write_text(message.get_body(("html",)).get_content())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        for size, viewport in [("desktop", {"width": 900, "height": 900}), ("phone", {"width": 390, "height": 844})]:
            context = browser.new_context(viewport=viewport, color_scheme=scheme)
            page = context.new_page()
            requested = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(html.as_uri())
            assert page.locator("a", has_text="Unsubscribe").count() == 1
            assert page.locator('a[href*="/papers/"]').count() >= 10
            page.screenshot(path=SCREENSHOTS / f"digest-{size}-{scheme}.png", full_page=True)
            assert requested == [html.as_uri()]  # no images or fonts fetched from anywhere
            context.close()
