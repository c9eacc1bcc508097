// papertide's only script of its own: math in abstracts, copy buttons. Everything works without it.
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
    });
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

document.addEventListener("DOMContentLoaded", () => {
  renderMath(document);
  enableCopyButtons(document);
});
