"""The HTML site: the generated page "What this book reproduces", and the Jupyter Book build
(Sphinx warnings are errors; Jupyter Book never executes anything, `execute_notebooks: off`)."""
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .execute import GENERATED, chapter_slugs, execute
from .paths import repo_root


def write_summary(root=None):
    """Generate book/generated/reproduction.md from data/checks/*.json; return failed records."""
    from .checks import fmt, load_records

    root = Path(root or repo_root())
    recs = load_records(root)
    failed = [r for r in recs if not r["passed"]]
    lines = [
        "(reproduction)=", "# What this book reproduces", "",
        "Every check cell of every chapter records the quantity it compares, the paper's value,",
        "the book's value and the tolerance the chapter states. This page is generated from",
        "those records (`data/checks/*.json`) at each build; the build fails if any record",
        "failed. *draft* rows come from the quick executions used in CI, *paper* rows from",
        "executions at the papers' resolution.", "",
        f"{len(recs)} checks recorded, {len(recs) - len(failed)} passed, {len(failed)} failed.", "",
        "## At a glance", "",
        "| chapter | draft checks (passed) | paper checks (passed) |", "|---|---|---|",
    ]
    for chapter in sorted({r["chapter"] for r in recs}):
        counts = []
        for quality in ("draft", "paper"):
            mine = [r for r in recs if r["chapter"] == chapter and r["quality"] == quality]
            counts.append(f"{len(mine)} ({sum(r['passed'] for r in mine)})" if mine else "not run")
        lines.append(f"| {{ref}}`{chapter} <{chapter}>` | {counts[0]} | {counts[1]} |")
    lines += [
        "", "## Every check", "",
        "| chapter | quality | quantity | source | paper | book | tolerance | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(recs, key=lambda r: (r["chapter"], r["quality"])):
        tol = []
        if r.get("rtol") is not None:
            tol.append(f"rtol {r['rtol']:g}")
        if r.get("atol") is not None:
            tol.append(f"atol {r['atol']:g}")
        q = r["quantity"] + (f" [{r['unit']}]" if r.get("unit") else "")
        cells = [f"{{ref}}`{r['chapter']} <{r['chapter']}>`", r["quality"], q, r.get("source", ""),
                 fmt(r["paper"]), fmt(r["book"]), ", ".join(tol) or r.get("note", ""),
                 "pass" if r["passed"] else "**FAIL**"]
        # a "|" inside a cell (e.g. |Δγ|) would split the Markdown table row
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ")
                                       for c in cells) + " |")
    out = root / GENERATED / "reproduction.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    return failed


def html(root=None):
    """Build the HTML book from the executed notebooks (Sphinx warnings are errors)."""
    root = Path(root or repo_root())
    failed = write_summary(root)
    if failed:
        raise SystemExit(f"{len(failed)} recorded reproduction check(s) failed: "
                         + "; ".join(f"{r['chapter']}: {r['quantity']}" for r in failed))
    cmd = [sys.executable, "-m", "jupyter_book", "build", "-W", "--keep-going", str(root)]
    if subprocess.call(["jupyter-book", "--version"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL) == 0:
        cmd = ["jupyter-book", "build", "-W", "--keep-going", str(root)]
    r = subprocess.run(cmd, cwd=root)
    if r.returncode != 0:
        raise SystemExit(f"jupyter-book build failed (exit {r.returncode})")
    return root / "_build" / "html" / "index.html"


def build(quality="draft", only=None, jobs=2, root=None):
    root = Path(root or repo_root())
    slugs = only or chapter_slugs(root)
    errors = []

    def run(slug):
        try:
            execute(slug, {"quality": quality}, root)
        except Exception as e:  # report every failing chapter, then fail
            errors.append((slug, e))

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        list(ex.map(run, slugs))
    if errors:
        for slug, e in errors:
            print(f"chapter {slug} failed:\n{e}", file=sys.stderr)
        raise SystemExit(f"{len(errors)} chapter(s) failed to execute")
    return html(root)
