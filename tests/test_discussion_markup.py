"""Stored XSS through comments: whatever Markdown, HTML, `javascript:` URLs or KaTeX macros a comment holds, what
the page gets is the safe subset (discussion/markup.py) and nothing that can run code or ask another host. The
math itself is drawn by KaTeX in the browser with `trust` off (checked in test_browser.py)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertide.discussion import markup

PIECES = [
    "*", "**", "_", "`", "```\n", "\n", "\n\n", "> ", "- ", "1. ", "[", "]", "(", ")", "<", ">", '"', "'", "=", "&",
    "&#x6A;", "&#106;", "&colon;", "\\", "$", "$$", "~~", "#", "|", "!", " ", "\t", "\x00", "\u202e",
    "javascript:", "JaVaScRiPt:", "java\tscript:", "java&#x09;script:", " javascript:", "data:text/html,", "vbscript:",
    "//evil.example/x", "https://example.org/", "mailto:a@b.c", "alert(1)",
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<a href=", "<iframe", "<svg onload=alert(1)>", "<style>",
    "<link rel=stylesheet href=//evil.example>", "<!--", "-->", "<![CDATA[", "<math>", "<form action=", "style=",
    "onclick=", "href=", "src=", "srcset=", "background=", "<div class=math>", '<span class="math inline">',
    "\\href{javascript:alert(1)}{x}", "\\url{javascript:alert(1)}", "\\includegraphics{http://evil.example/a.png}",
    "\\htmlClass{x}{y}", "\\htmlStyle{color:red}{y}", "\\htmlData{x=1}{y}", "\\def\\a{\\a\\a}", "\\rule{3000em}{3000em}",
]
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map("".join)
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}, "ol": {"start"}, "span": {"class"}, "div": {"class"}}
ALLOWED_CLASSES = {"math", "inline", "display", "block"}


class Checked(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in markup.TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} on <{tag}>")
            elif name == "class" and not set((value or "").split()) <= ALLOWED_CLASSES:
                self.problems.append(f"class {value!r}")
            elif name == "href":
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme and scheme not in markup.SCHEMES:
                    self.problems.append(f"link to {value!r}")
        if tag == "a" and dict(attrs).get("rel") != markup.LINK_REL:
            self.problems.append(f"link without rel: {attrs}")

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")  # a page's markers are comments: a comment must not be able to forge one

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("declaration")


def problems(html: str) -> list[str]:
    checked = Checked()
    checked.feed(html)
    checked.close()
    return checked.problems


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_no_comment_renders_anything_but_the_safe_subset(text):
    html = markup.render(text)
    assert problems(html) == [], (text, html)
    assert markup.sanitize(html) == html  # nothing left for the sanitizer to take out a second time


def test_the_known_attacks_are_inert():
    """Each stays visible as text, as its writer typed it, and renders no tag or link."""
    for text in ["[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "<a href='javascript:alert(1)'>x</a>",
                 "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
                 "[x](data:text/html;base64,PHNjcmlwdD4=)", "<style>body{color:red}</style>",
                 "$\\href{javascript:alert(1)}{x}$", "<!--papertide:own:1-->"]:
        html = markup.render(text)
        assert problems(html) == [] and "<a " not in html and "<img" not in html, (text, html)
    # An image is never loaded from elsewhere: it becomes a plain link the reader may follow.
    assert markup.render("![x](https://evil.example/t.png)") == \
        '<p>!<a href="https://evil.example/t.png" rel="nofollow ugc noopener">x</a></p>'
