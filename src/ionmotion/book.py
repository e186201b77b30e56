"""The book pipeline: execute chapters with papermill, then build HTML with Jupyter Book.

    python -m ionmotion.book build                 # every chapter at quality="draft", then the HTML
    python -m ionmotion.book build --quality paper # the papers' resolution (uses data/ caches)
    python -m ionmotion.book execute model-framework -p quality paper -p n_grid 64
    python -m ionmotion.book html                  # HTML only, from already executed chapters
    python -m ionmotion.book assignment model-framework --out assignments/
    python -m ionmotion.book reproduce             # all chapters at paper quality via dask

A chapter is `notebooks/<slug>.md` (jupytext MyST); its executed copy is
`book/generated/<slug>.ipynb`, which `_toc.yml` lists. Jupyter Book never executes anything
(`execute_notebooks: off`); a cell error fails `execute`, and `html` runs Sphinx with `-W`
(warnings are errors).
"""
import argparse
import ast
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .paths import repo_root

GENERATED = Path("book") / "generated"
GENERATED_PAGES = {"reproduction"}
"""Pages in book/generated/ written by the pipeline itself rather than executed from a notebook."""


def chapter_slugs(root=None):
    """Slugs of the executed chapters that `_toc.yml` lists, in reading order."""
    root = Path(root or repo_root())
    toc = (root / "_toc.yml").read_text()
    found = re.findall(r"file:\s*book/generated/([\w\-]+)\s*$", toc, flags=re.M)
    return [s for s in found if s not in GENERATED_PAGES]


def _parse_value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def execute(slug, parameters=None, root=None, log=print):
    """Execute notebooks/<slug>.md with papermill into book/generated/<slug>.ipynb."""
    import jupytext
    import nbformat
    import papermill as pm

    root = Path(root or repo_root())
    src = root / "notebooks" / f"{slug}.md"
    if not src.exists():
        raise ValueError(f"slug {slug!r} has no notebooks/{slug}.md")
    work = root / "build" / "notebooks"
    work.mkdir(parents=True, exist_ok=True)
    out_dir = root / GENERATED
    out_dir.mkdir(parents=True, exist_ok=True)
    ipynb = work / f"{slug}.ipynb"
    jupytext.write(jupytext.read(src), ipynb)
    out = out_dir / f"{slug}.ipynb"
    t0 = time.perf_counter()
    env_root = os.environ.get("IONMOTION_ROOT")
    os.environ["IONMOTION_ROOT"] = str(root)
    # A non-interactive MPLBACKEND (e.g. Agg in CI) would stop the kernel from using the inline
    # backend, so figures would never reach the notebook (and labelled figures would vanish).
    os.environ.pop("MPLBACKEND", None)
    try:
        pm.execute_notebook(str(ipynb), str(out), parameters=parameters or {},
                            cwd=str(root / "notebooks"), kernel_name="python3",
                            progress_bar=False, log_output=False)
    finally:
        if env_root is None:
            os.environ.pop("IONMOTION_ROOT", None)
        else:
            os.environ["IONMOTION_ROOT"] = env_root
    nb = nbformat.read(out, as_version=4)
    for cell in nb.cells:  # hide papermill's injected parameters cell in the HTML
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
    nbformat.write(nb, out)
    log(f"executed {slug} {parameters or {}} in {time.perf_counter() - t0:.1f} s")
    return out


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


def _main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ionmotion.book", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="execute every chapter, then build the HTML")
    b.add_argument("--quality", default="draft", choices=["draft", "paper"])
    b.add_argument("--only", nargs="*", help="execute only these slugs (others must exist)")
    b.add_argument("--jobs", type=int, default=2)
    e = sub.add_parser("execute", help="execute one chapter with parameters")
    e.add_argument("slug")
    e.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("NAME", "VALUE"))
    sub.add_parser("html", help="build the HTML from executed chapters")
    a = sub.add_parser("assignment", help="solution-free copies of chapters for coursework")
    a.add_argument("slugs", nargs="+")
    a.add_argument("--out", default="assignments")
    r = sub.add_parser("reproduce", help="all chapters at quality=paper via dask.distributed")
    r.add_argument("--scheduler", default=None, help="dask scheduler address (default: local)")
    args = p.parse_args(argv)
    if args.cmd == "build":
        print(build(args.quality, args.only, args.jobs))
    elif args.cmd == "execute":
        execute(args.slug, {k: _parse_value(v) for k, v in args.parameter})
    elif args.cmd == "html":
        print(html())
    elif args.cmd == "assignment":
        from .coursework import make_assignment
        for slug in args.slugs:
            print(make_assignment(slug, args.out))
    elif args.cmd == "reproduce":
        from .coursework import reproduce_all
        reproduce_all(args.scheduler)


if __name__ == "__main__":
    _main()
