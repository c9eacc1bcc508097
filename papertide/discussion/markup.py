"""A comment's Markdown to HTML, once when it is written: a safe subset of CommonMark (emphasis, links, lists, code,
quotes), math kept as `$…$`/`$$…$$` spans that the browser draws with the vendored KaTeX (site.js, `trust` off),
and the result passed through nh3 (the Ammonia sanitizer) so that nothing but that subset survives, whatever the
parser does. No raw HTML, no images, no styles: nothing in a comment can make the page ask another host."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.dollarmath import dollarmath_plugin

TAGS = {"p", "br", "em", "strong", "s", "a", "ul", "ol", "li", "code", "pre", "blockquote", "hr", "span", "div"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
CLASSES = {"span": {"math", "inline", "display"}, "div": {"math", "block"}}  # the math site.js draws; no other class
SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["linkify", "strikethrough"])
    md.disable(["image", "heading", "lheading", "html_inline", "html_block"])
    # `$5 and $6` stays money; `$$…$$` inline is a displayed formula, as in arXiv abstracts.
    dollarmath_plugin(md, allow_labels=False, allow_space=True, allow_digits=False, double_inline=True)
    # `$$…$$` within a paragraph: the plugin writes a <div> there, which would break the paragraph.
    md.add_render_rule("math_inline_double", lambda self, tokens, idx, options, env:
                       f'<span class="math display">{escapeHtml(tokens[idx].content.strip())}</span>')
    md.validateLink = lambda url: url.split(":", 1)[0].lower() in SCHEMES if ":" in url.split("/", 1)[0] else True
    return md


_md = _parser()


def render(markdown: str) -> str:
    """Sanitized HTML for a comment's Markdown."""
    return sanitize(_md.render(markdown))


def sanitize(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, allowed_classes=CLASSES, url_schemes=SCHEMES,
                     link_rel=LINK_REL, strip_comments=True).strip()


def plain(markdown: str, limit: int = 200) -> str:
    """The comment as one line of text (notification and feed titles)."""
    from papertide.papers.text import shorten

    return shorten(" ".join(markdown.split()), limit)
