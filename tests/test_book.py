"""The book end to end: every chapter in _toc.yml executes at quality="draft" and the HTML builds
with Sphinx warnings as errors (python -m ionbook build)."""
import json

import pytest

from ionbook import execute as book_execute, site as book_site
from ionbook.paths import repo_root

pytestmark = pytest.mark.book


def test_toc_lists_a_source_for_every_chapter():
    root = repo_root()
    slugs = book_execute.chapter_slugs(root)
    assert "model-framework" in slugs
    assert "reproduction" not in slugs
    for slug in slugs:
        src = root / "notebooks" / f"{slug}.md"
        assert src.exists(), f"_toc.yml lists {slug} but notebooks/{slug}.md is missing"
        text = src.read_text()
        assert f"({slug})=" in text, f"{slug}: label ({slug})= missing"
        assert "tags: [parameters]" in text and 'quality = "draft"' in text, slug


def test_book_builds_from_draft_execution():
    root = repo_root()
    slugs = book_execute.chapter_slugs(root)
    index = book_site.build(quality="draft", only=slugs, jobs=2, root=root)
    assert index.exists()
    for slug in slugs:
        assert (root / "_build" / "html" / "book" / "generated" / f"{slug}.html").exists(), slug
    # every chapter recorded at least one reproduction check, and none failed
    recs = []
    for f in (root / "data" / "checks").glob("*.draft.json"):
        recs.extend(json.loads(f.read_text()))
    chapters = {r["chapter"] for r in recs}
    assert all(r["passed"] for r in recs)
    missing = [s for s in slugs if s not in chapters]
    assert not missing, f"chapters without a check cell record: {missing}"


def test_every_labelled_figure_has_an_image():
    """Each cell with mystnb figure metadata produced an image (else its label is undefined)."""
    import nbformat
    root = repo_root()
    for slug in book_execute.chapter_slugs(root):
        nb = nbformat.read(root / "book" / "generated" / f"{slug}.ipynb", as_version=4)
        for cell in nb.cells:
            fig = cell.get("metadata", {}).get("mystnb", {}).get("figure")
            if fig:
                images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
                assert images, f"{slug}: figure {fig.get('name')} has no image output"
