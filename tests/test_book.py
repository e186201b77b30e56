"""The book end to end, as CI runs it: every chapter in _toc.yml executes at quality="draft" (the
fast correctness path), then the published site is built at quality="paper" from the cached
results in data/ (python -m ionbook build: HTML with Sphinx warnings as errors, and the PDF) into
_build/html, which tests/test_browser.py opens next. Neither changes a tracked file."""
import json
import re
import subprocess
import unicodedata

import pytest

from ionbook import execute as book_execute, site as book_site
from ionbook.paths import repo_root

pytestmark = pytest.mark.book


def _tracked_changes(root):
    """`git status` of the tracked files (None outside a git checkout)."""
    try:
        r = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                            "--untracked-files=no"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return sorted(r.stdout.splitlines())


@pytest.fixture(scope="module")
def status_before():
    return _tracked_changes(repo_root())


def _records(root, quality):
    recs = []
    folder = root / "data" / "checks" if quality == "paper" else root / "build" / "checks"
    for f in folder.glob(f"*.{quality}.json"):
        recs.extend(json.loads(f.read_text()))
    return recs


def _titles(root):
    """Chapter titles as the pages show them (the first `# ` heading of each source)."""
    out = {}
    for slug in book_execute.chapter_slugs(root):
        text = (root / "notebooks" / f"{slug}.md").read_text()
        out[slug] = re.search(r"^# (.+)$", text, flags=re.M).group(1).strip()
    return out


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


def _code_cells(text):
    """The code of each `{code-cell}` of a MyST notebook (cell options and front matter removed)."""
    for m in re.finditer(r"```\{code-cell\}[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        body = re.sub(r"\A---\n.*?\n---\n", "", m.group(1), flags=re.S)
        yield text[:m.start()].count("\n") + 1, "\n".join(
            line for line in body.split("\n") if not line.startswith(":"))


def test_no_code_cell_ends_in_a_bare_check():
    """A cell whose last statement is `check(...)` shows the returned book value as an output
    (`np.float64(0.0228...)`, `array([...])`): check cells end with `report()`."""
    import ast
    root, bad = repo_root(), []
    for slug in book_execute.chapter_slugs(root):
        for line, code in _code_cells((root / "notebooks" / f"{slug}.md").read_text()):
            try:
                last = ast.parse(code).body[-1:]
            except SyntaxError:
                continue  # IPython magics; not a check cell
            if last and isinstance(last[0], ast.Expr) and isinstance(last[0].value, ast.Call):
                f = last[0].value.func
                name = getattr(f, "id", getattr(f, "attr", ""))
                if name in ("check", "check_identity"):
                    bad.append(f"{slug}.md:{line}")
    assert not bad, f"code cells ending in a bare check (their value is displayed): {bad}"


MAX_CELL_LINES = 25


def _cell_problems(code):
    """Why a chapter code cell breaks the design rule (issue 17, item 4), or None: more than
    MAX_CELL_LINES lines of code that are neither blank nor comments (the cell's options and
    figure metadata are not code), or a function or class defined."""
    import ast
    lines = code.split("\n")
    n = sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))
    out = [f"{n} lines"] if n > MAX_CELL_LINES else []
    try:  # IPython magics and shell escapes are not Python
        tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line
                                   for line in lines))
    except SyntaxError:
        return ", ".join(out) or None
    out += [f"defines {node.name}" for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return ", ".join(out) or None


def test_chapter_code_cells_are_short_and_define_nothing():
    """Chapters call the package: no code cell defines a function or class, and none is longer
    than MAX_CELL_LINES non-blank, non-comment lines (figures live in ionbook.figures,
    orchestration in the pipeline helpers, physics in ionmotion)."""
    root, bad = repo_root(), []
    for slug in book_execute.chapter_slugs(root):
        for line, code in _code_cells((root / "notebooks" / f"{slug}.md").read_text()):
            why = _cell_problems(code)
            if why:
                bad.append(f"{slug}.md:{line} ({why})")
    assert not bad, "code cells too long or defining functions:\n" + "\n".join(bad)


def test_toc_numbers_the_chapters_and_not_the_reference_pages():
    """Chapters numbered (so the book's numbers read 6.2), the reference part not."""
    toc = (repo_root() / "_toc.yml").read_text()
    parts = re.split(r"^  - caption: ", toc, flags=re.M)[1:]
    assert parts
    for part in parts:
        numbered = re.search(r"^\s+numbered:\s*true\s*$", part, flags=re.M) is not None
        chapters = "book/generated/" in part and not part.startswith("Reference")
        assert numbered == chapters, part.splitlines()[0]


def test_every_chapter_executes_at_draft_quality(status_before):
    # status_before: taken before anything executes, compared after the paper build
    root = repo_root()
    slugs = book_execute.chapter_slugs(root)
    book_site.execute_all("draft", slugs, jobs=2, root=root)
    recs = _records(root, "draft")
    failed = [f"{r['chapter']}: {r['quantity']}" for r in recs if not r["passed"]]
    assert not failed, failed
    missing = [s for s in slugs if s not in {r["chapter"] for r in recs}]
    assert not missing, f"chapters without a check cell record: {missing}"


def test_published_site_builds_at_paper_quality():
    """`python -m ionbook build`: paper quality from the caches, HTML and PDF."""
    root = repo_root()
    slugs = book_execute.chapter_slugs(root)
    index = book_site.build(quality="paper", only=slugs, jobs=2, root=root)
    assert index.exists()
    for slug in slugs:
        assert (root / "_build" / "html" / "book" / "generated" / f"{slug}.html").exists(), slug
    recs = _records(root, "paper")
    failed = [f"{r['chapter']}: {r['quantity']}" for r in recs if not r["passed"]]
    assert not failed, failed
    missing = [s for s in slugs if s not in {r["chapter"] for r in recs}]
    assert not missing, f"chapters without a paper-quality check record: {missing}"
    # the executed chapters are the paper ones (their injected parameters say so)
    import nbformat
    for slug in slugs:
        nb = nbformat.read(root / "book" / "generated" / f"{slug}.ipynb", as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and "quality = \"paper\"" in injected[0].source, slug


def test_building_leaves_the_tracked_tree_unchanged(status_before):
    """`git status` after the draft execution and the paper build is what it was before: data
    files rewritten with the same result (float noise, time stamps) were put back."""
    if status_before is None:
        pytest.skip("not a git checkout")
    assert _tracked_changes(repo_root()) == status_before


def test_every_labelled_figure_has_an_image():
    """Each cell with mystnb figure metadata produced an image (else its label is undefined),
    stored at twice its display size (ionbook.style: retina PNGs, at least 200 dpi)."""
    import nbformat
    root = repo_root()
    n = 0
    for slug in book_execute.chapter_slugs(root):
        nb = nbformat.read(root / "book" / "generated" / f"{slug}.ipynb", as_version=4)
        for cell in nb.cells:
            fig = cell.get("metadata", {}).get("mystnb", {}).get("figure")
            if fig:
                images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
                assert images, f"{slug}: figure {fig.get('name')} has no image output"
                for o in images:
                    meta = o.get("metadata", {}).get("image/png", {})
                    assert "width" in meta, f"{slug}: {fig.get('name')} is not a retina PNG"
                n += 1
    assert n > 0


def test_every_chapter_page_offers_its_myst_source():
    """The download menu of a chapter links its editable source notebooks/<slug>.md, copied
    unchanged into the site."""
    root = repo_root()
    html = root / "_build" / "html"
    for slug in book_execute.chapter_slugs(root):
        page = (html / "book" / "generated" / f"{slug}.html").read_text()
        assert f'href="../../_myst/{slug}.md"' in page, slug
        copy = html / "_myst" / f"{slug}.md"
        assert copy.read_text() == (root / "notebooks" / f"{slug}.md").read_text(), slug


def test_pdf_holds_every_chapter_with_figures_and_typeset_equations():
    pypdf = pytest.importorskip("pypdf")
    root = repo_root()
    path = root / "_build" / "html" / book_site.PDF_NAME
    assert path.is_file(), f"{path} missing: python -m ionbook build writes it"
    reader = pypdf.PdfReader(str(path))
    slugs = book_execute.chapter_slugs(root)
    assert len(reader.pages) > 5 * len(slugs)
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    # NFKC: the printed fonts set "fi" as the ligature U+FB01 ("Beyond mean ﬁeld"), which the
    # extracted text keeps; the title is there all the same
    flat = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))
    missing = [t for t in _titles(root).values() if " ".join(t.split()) not in flat]
    assert not missing, f"chapter titles not in the PDF: {missing}"
    outline = [o.title for o in reader.outline if not isinstance(o, list)]
    assert len(outline) >= len(slugs), outline
    # the figures are in it (one image per figure at least) ...
    n_images = sum(len(p.images) for p in reader.pages)
    n_figures = len(list((root / "_build" / "html" / "_images").glob("*.png")))
    assert n_images >= 0.9 * n_figures, (n_images, n_figures)
    # ... and the equations were typeset by MathJax, not printed as TeX
    # (the teaching code cells print TeX strings such as show(r"\int ... \frac ..."): lines of
    # code are not prose)
    code = re.compile(r"""\b(rf?|fr?)["']|sp\.latex|\bshow\(|Math\(|display\(""")
    raw = sorted({m for line in text.splitlines() if not code.search(line)
                  for m in (r"\frac", r"\mathbf", r"\begin{", "$$") if m in line})
    assert not raw, f"untypeset TeX in the PDF: {raw}"
