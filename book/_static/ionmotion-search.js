/* Search result snippets show prose, not code or TeX.
 *
 * Sphinx's search (searchtools.js, loaded on search.html after this file) builds each result's
 * snippet from the text of the result page, code cells and the TeX source of formulas included:
 * a reader saw "import numpy as np" or "\tilde{\mathbf V}" under a result. Once the page has
 * loaded (searchtools' Search object exists then), the text extraction also drops code cells,
 * highlighted code blocks and math, and squeezes the whitespace they leave. */
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const original = Search.htmlToText;
  const drop = [".cell_input", "div.highlight", "pre", ".math", "span.math", "div.math",
                "mjx-container", ".MathJax", "script", "style"];
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(drop.join(",")).forEach((el) => el.replaceWith(" "));
    const text = original(doc.documentElement.outerHTML, anchor);
    return text.replace(/\s+/g, " ");
  };
});
