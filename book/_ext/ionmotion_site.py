"""What the reader gets from every page beyond the theme (registered in _config.yml):

- every image gets an alt text that says what it shows: the caption of its figure, else the
  section it illustrates; never the file path that docutils falls back to when a notebook
  output has no alt (tests/test_browser.py checks this on every page);
- the download menu's ".pdf" entry opens the printed book (`ionbook.site.pdf`, written to
  `_build/html/<PDF_NAME>`) instead of the browser's print dialog of one page;
- every chapter's download menu offers its editable MyST source (`notebooks/<slug>.md`, copied
  to `_build/html/_myst/`), the file a reader changes and re-executes, beside the executed
  notebook.
"""
import re
import shutil
from pathlib import Path

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


MYST_DIR = "_myst"
"""Folder of the HTML output that holds the chapters' MyST sources."""


def _chapter_source(app, pagename):
    """notebooks/<slug>.md of a chapter page book/generated/<slug>, else None."""
    if not pagename.startswith("book/generated/"):
        return None
    src = Path(app.srcdir) / "notebooks" / (pagename.rsplit("/", 1)[-1] + ".md")
    return src if src.is_file() else None


def myst_download(app, pagename, templatename, context, doctree):
    """Add "MyST source" to a chapter's download menu."""
    pathto, src = context.get("pathto"), _chapter_source(app, pagename)
    if pathto is None or src is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group.setdefault("buttons", []).append({
                "type": "link", "url": pathto(f"{MYST_DIR}/{src.name}", 1),
                "text": ".md (MyST source)", "icon": "fas fa-file-code",
                "tooltip": "The chapter's editable source: change it, then python -m ionbook execute",
                "label": "download-myst-source-button"})


def copy_myst_sources(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / MYST_DIR
    out.mkdir(parents=True, exist_ok=True)
    for src in sorted((Path(app.srcdir) / "notebooks").glob("*.md")):
        shutil.copyfile(src, out / src.name)


def setup(app):
    app.connect("doctree-resolved", set_alt_texts)
    app.connect("html-page-context", myst_download, priority=901)
    app.connect("build-finished", copy_myst_sources)
    # after sphinx-book-theme has filled in its header buttons (priority 501)
    app.connect("html-page-context", pdf_download, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
