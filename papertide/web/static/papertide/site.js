// papertide's only script of its own: math in abstracts and comments, copy buttons, search terms marked in results.
// Everything works without it.
"use strict";

function renderMath(root) {
  if (!window.renderMathInElement) return;
  root.querySelectorAll("[data-math]").forEach((element) => {
    window.renderMathInElement(element, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false, // a formula KaTeX cannot read stays as the author wrote it
      // Abstracts come from anyone: no \href/\includegraphics-style commands, and no box or macro expansion big
      // enough to cover the page ($\rule{3000em}{3000em}$ drew a 59,241 px black box).
      trust: false,
      maxSize: 20,
      maxExpand: 200,
    });
  });
}

// A comment's math arrives from the server as the text of `.math` spans (discussion/markup.py): drawn here with the
// same limits as abstracts; whatever KaTeX cannot read stays as written.
const COMMENT_MATH = { throwOnError: false, trust: false, maxSize: 20, maxExpand: 200, strict: "ignore" };

function renderCommentMath(root) {
  if (!window.katex) return;
  root.querySelectorAll(".comment-body .math").forEach((element) => {
    if (element.dataset.drawn) return;
    element.dataset.drawn = "1";
    const display = !element.classList.contains("inline");
    try {
      window.katex.render(element.textContent, element, { ...COMMENT_MATH, displayMode: display });
    } catch (error) {
      // left as the writer typed it
    }
  });
}

function enableCopyButtons(root) {
  if (!navigator.clipboard) return;
  root.querySelectorAll("button[data-copy]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.querySelector(button.dataset.copy);
      await navigator.clipboard.writeText(source.textContent);
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  });
}

// Marks the query's words in result titles and abstracts. Done here, after the math is drawn, so that cards stay
// one cached rendering for every query and formulas are never split.
function highlightTerms(root) {
  root.querySelectorAll("[data-highlight]").forEach((results) => {
    const words = results.dataset.highlight.split(/\s+/).filter((word) => word.length > 2);
    if (!words.length) return;
    const escaped = words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const pattern = new RegExp(`\\b(${escaped.join("|")})\\w*`, "giu");
    results.querySelectorAll(".title a, .abstract").forEach((element) => {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT, {
        acceptNode: (node) => (node.parentElement.closest(".katex") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
      });
      const nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      nodes.forEach((node) => {
        const text = node.nodeValue;
        pattern.lastIndex = 0;
        if (!pattern.test(text)) return;
        const fragment = document.createDocumentFragment();
        let last = 0;
        text.replace(pattern, (match, _word, offset) => {
          fragment.append(text.slice(last, offset));
          const mark = document.createElement("mark");
          mark.textContent = match;
          fragment.append(mark);
          last = offset + match.length;
        });
        fragment.append(text.slice(last));
        node.replaceWith(fragment);
      });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  renderMath(document);
  renderCommentMath(document);
  enableCopyButtons(document);
  highlightTerms(document);
});

// What htmx swaps in (a posted comment, an edit, a card shown again) gets its math drawn too.
document.addEventListener("htmx:load", (event) => {
  if (event.detail.elt === document.body) return; // the whole page: drawn on DOMContentLoaded
  renderMath(event.detail.elt);
  renderCommentMath(event.detail.elt);
});
