"""What the reader gets from every page beyond the theme (registered in _config.yml):

- every image gets an alt text that says what it shows: the caption of its figure, else the
  section it illustrates; never the file path that docutils falls back to when a notebook
  output has no alt (tests/test_browser.py checks this on every page);
- the download menu's ".pdf" entry opens the printed book (`ionbook.site.pdf`, written to
  `_build/html/<PDF_NAME>`) instead of the browser's print dialog of one page.
"""
import re

from docutils import nodes

PDF_NAME = "ionmotion-book.pdf"
"""File name of the whole book as PDF in the HTML output folder (ionbook.site.PDF_NAME)."""

_PATHLIKE = re.compile(r"\.(png|jpe?g|gif|svg|webp)(\?|#|$)|^(\.\.?/|/|_images/)", re.I)


def _ancestor(node, cls):
    while node is not None:
        if isinstance(node, cls):
            return node
        node = node.parent
    return None


def _words(text, limit=600):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _alt_text(img):
    fig = _ancestor(img, nodes.figure)
    if fig is not None:
        for cap in fig.findall(nodes.caption):
            if cap.astext().strip():
                return _words(cap.astext())
    section = _ancestor(img, nodes.section)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        return f"Figure of the section “{_words(section[0].astext(), 200)}” (see the text)"
    return "Figure (see the surrounding text)"


def set_alt_texts(app, doctree, docname):
    for img in doctree.findall(nodes.image):
        alt = (img.get("alt") or "").strip()
        if alt and not _PATHLIKE.search(alt) and alt != img.get("uri"):
            continue
        img["alt"] = _alt_text(img)


def pdf_download(app, pagename, templatename, context, doctree):
    """Point the download menu's .pdf entry at the book's PDF."""
    pathto = context.get("pathto")
    if pathto is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [b for b in group.get("buttons", []) if b.get("label") != "download-pdf-button"]
        buttons.append({
            "type": "link", "url": pathto(PDF_NAME, 1), "text": ".pdf (whole book)",
            "tooltip": "The whole book as one PDF", "icon": "fas fa-file-pdf",
            "label": "download-book-pdf-button",
        })
        group["buttons"] = buttons


def setup(app):
    app.connect("doctree-resolved", set_alt_texts)
    # after sphinx-book-theme has filled in its header buttons (priority 501)
    app.connect("html-page-context", pdf_download, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
