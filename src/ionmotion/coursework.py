"""Coursework and full reproduction: solution-free assignment notebooks, and every chapter at
the papers' resolution through dask.distributed.

    python -m ionmotion.book assignment model-framework --out assignments/
    python -m ionmotion.book reproduce [--scheduler tcp://host:8786]

:func:`make_assignment` reads `notebooks/<slug>.md`, removes every solution (the
``{solution-start}`` … ``{solution-end}`` pairs together with the code cells between them, and
single-block ``{solution}`` directives), keeps every exercise and every check cell, and writes
`<out_dir>/<slug>.ipynb` (to run) and `<out_dir>/<slug>.md` (jupytext, to edit). Where a removed
solution held code, an empty code cell is left for the student's answer.

:func:`reproduce_all` executes every chapter of `_toc.yml` at ``quality="paper"``, one dask task per
chapter, then regenerates and prints the "What this book reproduces" table and builds the HTML.
"""
import logging
import os
import re
import sys
import time
from pathlib import Path

from .paths import repo_root

# An opening fence of a MyST directive: ```{name} args  or  :::{name} args (colon_fence).
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w\-:]+)\}(?P<arg>.*)$")
_CODE_CELL = re.compile(r"^[ \t]*`{3,}\{code-cell\}")
_LABEL = re.compile(r"^[ \t]*:label:\s*(\S+)")

ASSIGNMENT_NOTE = (
    "> **Assignment version.** The solutions of this chapter's exercises have been removed; "
    "write your answers in the empty cells after each exercise. Run the notebook from the top "
    "(the `parameters` cell sets `quality`; `\"draft\"` runs in seconds). The reproduction checks "
    "are kept: they raise if a reproduced number leaves the tolerance the chapter states."
)


def _closing(lines, i, fence):
    """Index of the line that closes the fence opened on line i (CommonMark: same character,
    at least as long, nothing else on the line)."""
    close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for j in range(i + 1, len(lines)):
        if close.match(lines[j]):
            return j
    raise ValueError(f"line {i + 1}: fence {fence!r} is never closed")


def _directive_label(lines, i, j):
    """The directive's argument (for solution-start: the exercise label) or its :label: option."""
    m = _OPEN.match(lines[i])
    arg = m.group("arg").strip()
    if arg:
        return arg
    for k in range(i + 1, j):
        lm = _LABEL.match(lines[k])
        if lm:
            return lm.group(1)
    return "?"


def strip_solutions(text):
    """Remove every solution from a MyST notebook's text; return (new_text, removed_labels).

    Handles the gated form (``{solution-start} label`` … ``{solution-end}``, which may enclose
    code cells and prose) and the single-block ``{solution}`` directive, with backtick or colon
    fences of any length. A removed solution that contained a code cell is replaced by an empty
    code cell for the student's answer. Raises ValueError on an unclosed fence or a
    ``{solution-start}`` without its ``{solution-end}``.
    """
    lines = text.splitlines()
    out, removed = [], []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        name, fence = m.group("name"), m.group("fence")
        j = _closing(lines, i, fence)
        if name == "solution-start":
            label = _directive_label(lines, i, j)
            k, end = j + 1, None
            while k < len(lines):
                mk = _OPEN.match(lines[k])
                if mk:
                    kk = _closing(lines, k, mk.group("fence"))
                    if mk.group("name") == "solution-end":
                        end = kk
                        break
                    if mk.group("name") == "solution-start":
                        raise ValueError(f"line {k + 1}: solution-start inside the solution "
                                         f"of {label!r} (missing solution-end)")
                    k = kk + 1
                else:
                    k += 1
            if end is None:
                raise ValueError(f"line {i + 1}: solution-start {label!r} has no solution-end")
            body = lines[i:end + 1]
        elif name == "solution":
            label = _directive_label(lines, i, j)
            end = j
            body = lines[i:end + 1]
        elif name == "solution-end":
            raise ValueError(f"line {i + 1}: solution-end without solution-start")
        else:  # any other directive (exercise, code-cell, figure …): keep whole
            out.extend(lines[i:j + 1])
            i = j + 1
            continue
        removed.append(label)
        if any(_CODE_CELL.match(b) for b in body):
            out += ["```{code-cell} ipython3", f"# Your answer to exercise {label}", "```"]
        else:
            out.append(f"*(Your answer to exercise {label}.)*")
        i = end + 1
    return "\n".join(out) + ("\n" if text.endswith("\n") else ""), removed


def exercise_labels(text):
    """Labels of the ``{exercise}`` / ``{exercise-start}`` directives in a MyST text, in order."""
    lines = text.splitlines()
    labels = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        j = _closing(lines, i, m.group("fence"))
        if m.group("name") in ("exercise", "exercise-start"):
            label = None
            for k in range(i + 1, j):
                lm = _LABEL.match(lines[k])
                if lm:
                    label = lm.group(1)
                    break
            labels.append(label or m.group("arg").strip() or f"line-{i + 1}")
        i = j + 1
    return labels


def solution_count(text):
    """Number of solution directives (``{solution}`` and ``{solution-start}``) in a MyST text."""
    return sum(1 for line in text.splitlines()
               if (m := _OPEN.match(line)) and m.group("name") in ("solution", "solution-start"))


def make_assignment(slug, out_dir="assignments", root=None, write_md=True):
    """Write the assignment version of chapter `slug`: `<out_dir>/<slug>.ipynb` (+ `.md`).

    Every exercise and every check cell is kept; every solution is removed. Returns the path of
    the notebook. Run it like the chapter, from the repository's top folder, e.g.
    ``papermill assignments/<slug>.ipynb out.ipynb -p quality draft --cwd notebooks``.
    """
    import jupytext
    import nbformat

    root = Path(root or repo_root())
    src = root / "notebooks" / f"{slug}.md"
    if not src.exists():
        raise ValueError(f"slug {slug!r} has no notebooks/{slug}.md")
    text = src.read_text()
    stripped, removed = strip_solutions(text)
    nb = jupytext.reads(stripped, fmt="md:myst")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(ASSIGNMENT_NOTE))
    nb.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python",
                                          "name": "python3"})
    nb.metadata["ionmotion"] = {"assignment_of": slug, "solutions_removed": removed}
    out_dir = Path(out_dir)
    if not out_dir.is_absolute():
        out_dir = Path.cwd() / out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{slug}.ipynb"
    jupytext.write(nb, out, fmt="ipynb")
    if write_md:
        jupytext.write(nb, out_dir / f"{slug}.md", fmt="md:myst")
    return out


# ---------------------------------------------------------------------------------------------
# Reproduce everything


def _assigned_names(source):
    """Names bound at top level by a code cell (tuple targets included)."""
    import ast

    names = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return names
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        for t in targets:
            names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def chapter_parameters(slug, root=None):
    """Names declared in the chapter's `parameters` cell: papermill's `inspect_notebook`, plus
    names papermill cannot type (e.g. tuple assignments), read from the cell with `ast`."""
    import tempfile

    import jupytext
    import papermill as pm

    root = Path(root or repo_root())
    nb = jupytext.read(root / "notebooks" / f"{slug}.md")
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            names |= _assigned_names(cell.source)
    log = logging.getLogger("papermill")
    level = log.level
    log.setLevel(logging.ERROR)  # papermill warns about lines it cannot type (tuples); harmless
    try:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / f"{slug}.ipynb"
            jupytext.write(nb, p)
            return names | set(pm.inspect_notebook(str(p)))
    finally:
        log.setLevel(level)


def _execute_chapter(slug, parameters, root):
    """Dask task: execute one chapter. Inside a worker it secedes from the worker's thread pool
    while the kernel runs, so that sweeps the chapter sends to the same cluster can use the
    worker (no deadlock with one single-threaded worker)."""
    from . import book

    seceded = False
    try:
        from distributed import rejoin, secede
        from distributed.worker import get_worker
        get_worker()
        secede()
        seceded = True
    except (ImportError, ValueError):
        pass
    t0 = time.perf_counter()
    try:
        book.execute(slug, parameters, root, log=lambda *a: None)
        return slug, None, time.perf_counter() - t0
    except BaseException as e:  # report, do not kill the other chapters
        msg = str(e).strip().splitlines()
        return slug, f"{type(e).__name__}: {msg[-1] if msg else ''}", time.perf_counter() - t0
    finally:
        if seceded:
            rejoin()


def summary_table(records):
    """Plain-text table of check records (for the terminal)."""
    from .checks import fmt

    rows = [("chapter", "quantity", "paper", "book", "tolerance", "result")]
    for r in records:
        tol = ", ".join(f"{k} {r[k]:g}" for k in ("rtol", "atol") if r.get(k) is not None)
        rows.append((r["chapter"], r["quantity"] + (f" [{r['unit']}]" if r.get("unit") else ""),
                     fmt(r["paper"]), fmt(r["book"]), tol or "—",
                     "pass" if r["passed"] else "FAIL"))
    w = [min(40, max(len(str(row[c])) for row in rows)) for c in range(6)]
    return "\n".join("  ".join(str(v)[:40].ljust(w[c]) for c, v in enumerate(row)).rstrip()
                     for row in rows)


def reproduce_all(scheduler=None, *, slugs=None, quality="paper", n_workers=None,
                  parallel=None, build_html=True, root=None, out=sys.stdout):
    """Execute every chapter at `quality` (default "paper") as dask tasks, then print the
    reproduction table, regenerate `book/generated/reproduction.md` and build the HTML.

    scheduler: None → a LocalCluster of `n_workers` (default min(2, cores)) single-threaded
    worker processes; else the address of a running dask scheduler. Chapters whose parameters
    cell declares `scheduler` receive the cluster's address, so their sweeps run on the same
    cluster. At most `parallel` chapters (default: the number of workers) run at once.
    Raises SystemExit if a chapter failed or a recorded check failed.
    """
    from dask.distributed import Client, LocalCluster, as_completed
    from tqdm.auto import tqdm

    from . import book
    from .checks import load_records

    root = Path(root or repo_root()).resolve()
    slugs = list(slugs or book.chapter_slugs(root))
    missing = [s for s in slugs if not (root / "notebooks" / f"{s}.md").exists()]
    if missing:
        raise ValueError(f"no notebooks/<slug>.md for {missing}")
    cluster = None
    if scheduler in (None, "local"):
        nw = n_workers or max(1, min(2, os.cpu_count() or 1))
        cluster = LocalCluster(n_workers=nw, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
    else:
        client = Client(scheduler)
    address = client.scheduler.address
    parallel = parallel or max(1, len(client.scheduler_info()["workers"]))
    print(f"reproducing {len(slugs)} chapter(s) at quality={quality!r} on {address} "
          f"({parallel} at a time; dashboard {client.dashboard_link})", file=out)
    failures, times = {}, {}
    try:
        todo = []
        for slug in slugs:
            params = {"quality": quality}
            if "scheduler" in chapter_parameters(slug, root):
                params["scheduler"] = address
            todo.append((slug, params))
        bar = tqdm(total=len(todo), desc="chapters", unit="chapter", file=out)
        running = as_completed()
        queue = list(todo)

        def submit_next():
            slug, params = queue.pop(0)
            running.add(client.submit(_execute_chapter, slug, params, str(root), pure=False,
                                      key=f"chapter-{slug}-{time.time_ns()}"))

        for _ in range(min(parallel, len(queue))):
            submit_next()
        for fut in running:
            slug, err, wall = fut.result()
            times[slug] = wall
            if err:
                failures[slug] = err
            bar.set_postfix_str(f"{slug} {'FAILED' if err else 'done'} in {wall:.0f} s")
            bar.update(1)
            if queue:
                submit_next()
        bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    failed_checks = book.write_summary(root)
    recs = [r for r in load_records(root) if r["chapter"] in slugs and r["quality"] == quality]
    print(f"\nWhat this book reproduces (quality={quality!r}):", file=out)
    print(summary_table(recs), file=out)
    n_fail = sum(not r["passed"] for r in recs)
    print(f"\n{len(recs)} checks, {len(recs) - n_fail} passed, {n_fail} failed; "
          f"chapters: " + ", ".join(f"{s} {times.get(s, 0):.0f} s" for s in slugs), file=out)
    if failures:
        for slug, err in failures.items():
            print(f"chapter {slug} failed: {err}", file=out)
        raise SystemExit(f"{len(failures)} chapter(s) failed: {', '.join(failures)}")
    if failed_checks:
        raise SystemExit(f"{len(failed_checks)} recorded check(s) failed")
    if build_html:
        print(book.html(root), file=out)
    return recs
