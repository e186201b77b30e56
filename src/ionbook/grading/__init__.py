"""Autograded coursework on otter-grader: instructor notebook, student notebook, autograder,
grading a folder of submissions into a CSV, and a PDF handout.

    python -m ionbook assignment model-framework --exercises 1 3 --out assignments/ --pdf
    python -m ionbook grade assignments/model-framework submissions/ --csv scores.csv

From a chapter (`notebooks/<slug>.md`) and its grading file (`exercises/<slug>.yml` beside this
module: points per exercise, what the student stores, public and hidden tests), :func:`make_assignment`
writes `<out>/<slug>/`:

- `instructor/<slug>.ipynb`: the chapter in otter-assign format (every chosen exercise a question
  with its points, the chapter's solutions as solution blocks, the tests);
- `student/<slug>.ipynb`: what students get (``otter assign``: solutions replaced by ``...``,
  hidden tests removed, public tests runnable with ``grader.check``);
- `autograder/`: the autograder zip (and the solved notebook);
- with ``pdf=True``, `student/<slug>.pdf`, the handout.

Markdown is plain Markdown (MyST roles and fences rewritten with the book's numbers, figure
captions shown as text, :mod:`ionbook.grading.myst`), so both notebooks read well in JupyterLab.
Exercises without an entry in the grading file are graded by hand (otter ``manual`` questions).

:func:`grade_folder` grades every submitted notebook with ``otter run`` semantics (no Docker:
:func:`otter.api.grade_submission`) in a scratch copy of the book's root (the submissions' check
records never reach the book's `data/checks/`) and writes one CSV row per submission.
"""
import copy
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import repo_root
from .myst import Numbering, closing, plain_markdown, read_bib

SPECS = Path(__file__).resolve().parent / "exercises"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w\-:]+)\}(?P<arg>.*)$")
_OPTION = re.compile(r"^\s*:[\w\-]+:")
DEFAULT_MANUAL_POINTS = 2
LOCAL_MATHJAX = Path(os.environ.get("IONMOTION_BROWSER_PREFIX", "/opt/ionmotion-browser")) \
    / "node_modules" / "mathjax" / "es5" / "tex-mml-chtml.js"


class AssignmentError(ValueError):
    """A mistake in choosing exercises or in a grading file; one-line message."""


# ---------------------------------------------------------------------------------------------
# grading files

def load_spec(slug, specs_dir=None):
    """{label: entry} of `exercises/<slug>.yml` ({} when the chapter has none)."""
    import yaml

    path = Path(specs_dir or SPECS) / f"{slug}.yml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    for label, entry in data.items():
        unknown = set(entry) - {"points", "manual", "ask", "answer", "public", "hidden", "kind"}
        if unknown:
            raise AssignmentError(f"{path.name}: {label}: unknown keys {sorted(unknown)}")
        if not entry.get("manual") and not entry.get("hidden") and not entry.get("public"):
            raise AssignmentError(f"{path.name}: {label} is autograded but has no tests")
    return data


# ---------------------------------------------------------------------------------------------
# the chapter as a flat list of items

def _items(nb):
    """The chapter's cells as items: ("md", text), ("exercise", label, body), ("sol-start", label),
    ("sol-end",), ("solution", label, body) and ("code", cell)."""
    items = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            items.append(("code", cell) if cell.cell_type == "code" else ("raw", cell))
            continue
        lines = cell.source.splitlines()
        buf, i = [], 0

        def flush():
            if "\n".join(buf).strip():
                items.append(("md", "\n".join(buf)))
            buf.clear()

        while i < len(lines):
            m = _FENCE.match(lines[i])
            if not m or m.group("name") not in ("exercise", "solution-start", "solution-end",
                                                 "solution"):
                if m:  # other directive: keep whole
                    j = closing(lines, i, m.group("fence"))
                    buf.extend(lines[i:j + 1])
                    i = j + 1
                else:
                    buf.append(lines[i])
                    i += 1
                continue
            flush()
            j = closing(lines, i, m.group("fence"))
            body = lines[i + 1:j]
            label = next((b.split(":label:")[1].strip() for b in body
                          if b.strip().startswith(":label:")), None)
            name = m.group("name")
            text = "\n".join(b for b in body if not _OPTION.match(b))
            if name == "exercise":
                items.append(("exercise", label or f"exercise-{len(items)}", text))
            elif name == "solution-start":
                items.append(("sol-start", m.group("arg").strip() or label))
            elif name == "solution-end":
                items.append(("sol-end",))
            else:
                items.append(("solution", m.group("arg").strip() or label, text))
            i = j + 1
        flush()
    return items


def _select(labels, exercises, numbering):
    """The chosen labels, in chapter order: numbers within the chapter (1, 2 …), book numbers
    ("6.2") or labels; all when `exercises` is None."""
    if not exercises:
        return list(labels)
    chosen = set()
    for e in exercises:
        e = str(e)
        by_number = [lab for k, lab in enumerate(labels, 1)
                     if e == str(k) or e == numbering.exercises.get(lab)]
        if e in labels:
            chosen.add(e)
        elif by_number:
            chosen.add(by_number[0])
        else:
            allowed = ", ".join(f"{k} ({lab})" for k, lab in enumerate(labels, 1))
            raise AssignmentError(f"no exercise {e!r} in this chapter; exercises: {allowed}")
    return [lab for lab in labels if lab in chosen]


def _raw(text):
    import nbformat

    return nbformat.v4.new_raw_cell(text)


def _md(text):
    import nbformat

    return nbformat.v4.new_markdown_cell(text)


def _code(text, tags=()):
    import nbformat

    c = nbformat.v4.new_code_cell(text)
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def _solution_code(source):
    """A code cell's source with every line marked as solution (otter replaces it by ...)."""
    if not source.strip():
        return source
    return "# BEGIN SOLUTION\n" + source + "\n# END SOLUTION"


def _answer_code(answer):
    """Answer lines `name = expr` each marked `# SOLUTION` (students see `name = ...`)."""
    out = []
    for line in answer.strip().splitlines():
        if re.match(r"^[A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*\s*=[^=]", line):
            out.append(line.rstrip() + "  # SOLUTION")
        else:
            out.append(line)
    return "\n".join(out)


def _test_cell(code, hidden):
    return _code(("# HIDDEN\n" if hidden else "") + code.strip())


@dataclass
class AssignmentResult:
    slug: str
    folder: Path
    instructor: Path
    student: Path = None
    autograder: Path = None
    pdf: Path = None
    questions: list = field(default_factory=list)   # (label, number, points, manual)

    def summary(self):
        auto = sum(p for _, _, p, m in self.questions if not m)
        manual = sum(p for _, _, p, m in self.questions if m)
        lines = [f"assignment {self.slug}: {len(self.questions)} exercise(s), {auto} points "
                 f"autograded, {manual} graded by hand"]
        for label, number, points, manual_ in self.questions:
            lines.append(f"  Exercise {number} ({label}): {points} points, "
                         + ("by hand" if manual_ else "autograded"))
        for what, path in (("instructor notebook", self.instructor),
                           ("student notebook", self.student), ("autograder", self.autograder),
                           ("PDF handout", self.pdf)):
            if path:
                lines.append(f"{what}: {path}")
        return lines


def chapter_numbering(slug, text, root, nb=None):
    """Per-chapter numbers of `slug` as the online book shows them."""
    from ..parameters import chapter_title, known_chapters

    slugs = known_chapters(root)
    titles = {s: chapter_title(s, root) for s in slugs}
    names = []
    for cell in (nb.cells if nb is not None else []):
        fig = cell.metadata.get("mystnb", {}).get("figure", {})
        if cell.cell_type == "code" and fig.get("name"):
            names.append(fig["name"])
    chapter = slugs.index(slug) + 1 if slug in slugs else 0
    return Numbering.of_chapter(text, chapter, titles, read_bib(root / "book" / "references.bib"),
                                names)


def instructor_notebook(slug, exercises=None, root=None, specs_dir=None):
    """The otter-assign ("instructor") notebook of chapter `slug` with the chosen exercises.

    Returns (notebook, questions) with questions a list of (label, number, points, manual)."""
    import jupytext

    from ..parameters import chapter_source, chapter_title

    root = Path(root or repo_root())
    src = chapter_source(slug, root)
    text = src.read_text()
    nb = jupytext.reads(text, fmt="md:myst")
    num = chapter_numbering(slug, text, root, nb)
    spec = load_spec(slug, specs_dir)
    items = _items(nb)
    labels = [it[1] for it in items if it[0] == "exercise"]
    stale = sorted(set(spec) - set(labels))
    if stale:
        raise AssignmentError(f"exercises/{slug}.yml names exercises the chapter does not have: "
                              + ", ".join(stale))
    chosen = _select(labels, exercises, num)
    out, questions = [], []
    config = {
        "name": slug, "init_cell": True, "check_all_cell": False, "export_cell": False,
        "run_tests": True, "solutions_pdf": False, "template_pdf": False,
        "tests": {"files": False, "ok_format": True}, "generate": {"pdf": False},
        "show_question_points": True,
    }
    import yaml

    out.append(_raw("# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False)))
    title = chapter_title(slug, root)
    total = 0
    for lab in chosen:
        e = spec.get(lab, {})
        total += e.get("points", DEFAULT_MANUAL_POINTS)
    out.append(_md(
        f"> **Assignment: Chapter {num.chapter}, {title}.** {len(chosen)} exercise(s), "
        f"{total} points. Run the notebook from the top (the `parameters` cell sets `quality`; "
        "`\"draft\"` runs in seconds to a minute). Write your code in the cells marked `...` and "
        "store the requested results under the names each exercise gives; `grader.check(...)` "
        "cells run the public tests. Hidden tests and the answers in prose are graded after "
        "you hand the notebook in. The chapter's reproduction checks are kept: they raise when a "
        "reproduced number leaves the chapter's tolerance."))
    state = {"question": None, "in_solution": False, "skip": False, "pending": None}

    def open_question(lab, body):
        e = spec.get(lab, {})
        manual = bool(e.get("manual", not e))
        points = e.get("points", DEFAULT_MANUAL_POINTS)
        questions.append((lab, num.exercises.get(lab, "?"), points, manual))
        out.append(_raw("# BEGIN QUESTION\n" + yaml.safe_dump(
            {"name": lab, "points": points, "manual": manual}, sort_keys=False)))
        prompt = f"**Exercise {num.exercises.get(lab, '?')}** ({points} points"
        prompt += ", graded by hand)" if manual else ")"
        prompt += "\n\n" + plain_markdown(body, num)
        if e.get("ask"):
            prompt += "\n\n*For grading:* " + plain_markdown(e["ask"].strip(), num)
        out.append(_md(prompt))
        state["question"], state["pending"] = lab, e

    def close_question():
        lab, e = state["question"], state["pending"]
        if lab is None:
            return
        if e.get("answer"):
            out.append(_raw("# BEGIN SOLUTION"))
            out.append(_code(_answer_code(e["answer"])))
            out.append(_raw("# END SOLUTION"))
        if e.get("public") or e.get("hidden"):
            out.append(_raw("# BEGIN TESTS"))
            for kind in ("public", "hidden"):
                tests = e.get(kind) or []
                for t in ([tests] if isinstance(tests, str) else tests):
                    out.append(_test_cell(t, kind == "hidden"))
            out.append(_raw("# END TESTS"))
        out.append(_raw("# END QUESTION"))
        state["question"], state["pending"] = None, None

    for it in items:
        kind = it[0]
        if kind == "exercise":
            close_question()
            state["skip"] = it[1] not in chosen
            if not state["skip"]:
                open_question(it[1], it[2])
            continue
        if kind in ("sol-start", "solution"):
            if state["skip"] or state["question"] is None:
                state["in_solution"] = kind == "sol-start"
                state["drop"] = True
                continue
            state["drop"] = False
            out.append(_raw("# BEGIN SOLUTION"))
            if kind == "solution":
                out.append(_md(plain_markdown(it[2], num)))
                out.append(_raw("# END SOLUTION"))
                close_question()
            else:
                state["in_solution"] = True
            continue
        if kind == "sol-end":
            if not state.get("drop"):
                out.append(_raw("# END SOLUTION"))
                close_question()
            state["in_solution"] = False
            continue
        if state["in_solution"] and state.get("drop"):
            continue
        if state["question"] is not None and not state["in_solution"]:
            close_question()  # the exercise had no solution
        if state["skip"] and not state["in_solution"]:
            state["skip"] = False
        if kind == "md":
            out.append(_md(plain_markdown(it[1], num)))
        elif kind == "code":
            cell = copy.deepcopy(it[1])
            cell.outputs, cell.execution_count = [], None
            if state["in_solution"]:
                cell.source = _solution_code(cell.source)
            out.append(cell)
            fig = cell.metadata.get("mystnb", {}).get("figure", {})
            if fig.get("caption"):
                n = num.figures.get(fig.get("name"), "")
                out.append(_md(f"**Fig. {n}.** " + plain_markdown(fig["caption"].strip(), num)))
        else:
            out.append(copy.deepcopy(it[1]))
    close_question()
    import nbformat

    inb = nbformat.v4.new_notebook()
    inb.cells = out
    inb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                  "name": "python3"}
    inb.metadata["language_info"] = {"name": "python"}
    inb.metadata["ionbook"] = {"assignment_of": slug, "exercises": chosen}
    return inb, questions


# ---------------------------------------------------------------------------------------------
# otter assign, grading, PDF

def scratch_root(root, into):
    """A root for running submissions: the book's `_toc.yml`, `notebooks/` and `book/`, its
    `data/<slug>/` caches (linked), and an empty `data/checks/` of its own, so that checks run
    while grading never replace the book's records."""
    root, into = Path(root), Path(into)
    (into / "data" / "checks").mkdir(parents=True, exist_ok=True)
    shutil.copy(root / "_toc.yml", into / "_toc.yml")
    for name in ("notebooks", "book"):
        if (root / name).exists() and not (into / name).exists():
            (into / name).symlink_to(root / name)
    for d in (root / "data").iterdir() if (root / "data").exists() else []:
        if d.is_dir() and d.name != "checks" and not (into / "data" / d.name).exists():
            (into / "data" / d.name).symlink_to(d)
    return into


def _grading_env(scratch):
    env = dict(os.environ)
    env["IONMOTION_ROOT"] = str(scratch)
    env["IONBOOK_CUSTOM_PARAMETERS"] = "1"
    env.pop("MPLBACKEND", None)
    return env


def _run(cmd, env, cwd):
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-1:] or [""]
        raise AssignmentError(f"{' '.join(map(str, cmd[:4]))} … failed: {tail[0]}")
    return r


def make_assignment(slug, out_dir="assignments", exercises=None, pdf=False, check=True,
                    root=None, specs_dir=None):
    """Instructor notebook, student notebook and autograder of chapter `slug` in
    `<out_dir>/<slug>/` (see the module's docstring). With `check`, otter assign runs the tests
    against the solutions (a draft execution of the chapter). Returns an AssignmentResult."""
    import nbformat

    root = Path(root or repo_root())
    inb, questions = instructor_notebook(slug, exercises, root, specs_dir)
    folder = Path(out_dir).resolve() / slug
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "instructor").mkdir(parents=True)
    master = folder / "instructor" / f"{slug}.ipynb"
    nbformat.write(inb, master)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = scratch_root(root, Path(tmp) / "root")
        cmd = [sys.executable, "-m", "otter", "assign", "--no-pdfs"]
        if not check:
            cmd.append("--no-run-tests")
        _run(cmd + [str(master), str(folder / "dist")], _grading_env(scratch),
             cwd=root / "notebooks")
    for part in ("student", "autograder"):
        shutil.move(folder / "dist" / part, folder / part)
    shutil.rmtree(folder / "dist")
    res = AssignmentResult(slug, folder, master, folder / "student" / f"{slug}.ipynb",
                           next(iter(sorted((folder / "autograder").glob("*.zip"))), None),
                           questions=questions)
    if pdf:
        res.pdf = handout_pdf(res.student)
    return res


def handout_pdf(notebook, pdf=None):
    """Print a notebook to PDF: nbconvert's HTML, then headless Chromium (no LaTeX needed)."""
    notebook = Path(notebook)
    pdf = Path(pdf or notebook.with_suffix(".pdf"))
    html = notebook.with_suffix(".html")
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(notebook),
           "--output", html.stem, "--output-dir", str(html.parent)]
    _run(cmd, dict(os.environ), cwd=notebook.parent)
    if LOCAL_MATHJAX.exists():  # offline: typeset the formulas with the local MathJax 3
        page = html.read_text()
        block = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->",
                           flags=re.S)
        mathjax = (
            "<script>window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], "
            "displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true}};</script>\n"
            f'<script src="{LOCAL_MATHJAX.as_uri()}"></script>')
        if block.search(page):
            html.write_text(block.sub(lambda m: mathjax, page, count=1))
    browser = shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")
    if not browser:
        raise AssignmentError("a PDF handout needs Chromium (bash .ci/install-browser.sh); the "
                              f"HTML handout is {html}")
    with tempfile.TemporaryDirectory() as profile:
        _run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
              f"--user-data-dir={profile}", "--virtual-time-budget=20000",
              f"--print-to-pdf={pdf}", html.as_uri()], dict(os.environ), cwd=notebook.parent)
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise AssignmentError(f"Chromium wrote no PDF for {html}")
    return pdf


@dataclass
class GradeTable:
    csv: Path
    questions: list
    rows: list   # dicts: submission, <question>..., total, possible, error

    def summary(self):
        lines = [f"graded {len(self.rows)} submission(s) into {self.csv}"]
        for r in self.rows:
            lines.append(f"  {r['submission']}: {r['total']:g} / {r['possible']:g}"
                         + (f" (could not be graded: {r['error']})" if r.get("error") else ""))
        return "\n".join(lines)


def _autograder_zip(path):
    path = Path(path)
    if path.is_file() and path.suffix == ".zip":
        return path
    for cand in (path / "autograder", path):
        zips = sorted(cand.glob("*.zip")) if cand.is_dir() else []
        if zips:
            return zips[-1]
    raise AssignmentError(f"no autograder .zip in {path} (make one with "
                          "`python -m ionbook assignment CHAPTER`)")


def grade_folder(assignment, submissions, csv_path=None, root=None, jobs=2):
    """Grade every `*.ipynb` in `submissions` with the assignment's autograder (no Docker) and
    write a CSV (one row per submission: score of every question, total, possible). `jobs`
    submissions are graded at a time, each in its own process."""
    from concurrent.futures import ThreadPoolExecutor

    root = Path(root or repo_root())
    zip_path = _autograder_zip(assignment)
    subs = sorted(p for p in Path(submissions).glob("*.ipynb"))
    if not subs:
        raise AssignmentError(f"no submitted notebooks (*.ipynb) in {submissions}")
    csv_path = Path(csv_path or Path(submissions) / "scores.csv")
    rows, questions = [], []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = scratch_root(root, Path(tmp) / "root")
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
            graded = list(ex.map(lambda sub: _grade_one(sub, zip_path, scratch, Path(tmp)), subs))
        for row in graded:
            for q in row["scores"]:
                if q not in questions:
                    questions.append(q)
            rows.append(row)
    manual = [f"{name} (by hand, of {pts:g})" for name, pts in _manual_questions(assignment)]
    table = []
    for r in rows:
        d = {"submission": r["submission"], **{q: r["scores"].get(q, 0) for q in questions},
             **{m: "" for m in manual},
             "total": r["total"], "possible": r["possible"], "error": r.get("error", "")}
        table.append(d)
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["submission", *questions, *manual, "total",
                                          "possible", "error"])
        w.writeheader()
        w.writerows(table)
    return GradeTable(csv_path, questions, table)


def _manual_questions(assignment):
    """(name, points) of the questions graded by hand, from the instructor notebook."""
    import nbformat
    import yaml

    folder = Path(assignment)
    folder = folder.parent.parent if folder.suffix == ".zip" else folder
    out = []
    for nb_path in sorted((folder / "instructor").glob("*.ipynb")):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
                q = yaml.safe_load(cell.source.split("\n", 1)[1]) or {}
                if q.get("manual"):
                    out.append((q["name"], q.get("points", 0)))
    return out


_GRADE_ONE = """
import json, sys
from otter.api import grade_submission
res = grade_submission(sys.argv[1], sys.argv[2], quiet=True)
err = res.catastrophic_error
out = {"scores": {k: float(v.score) for k, v in res.results.items()},
       "possible": float(res.possible), "total": float(res.total),
       "error": "" if err is None else f"{type(err).__name__}: {err}"}
print("OTTER-RESULT " + json.dumps(out))
"""


def _grade_one(sub, zip_path, scratch, tmp):
    """Grade one submission in a fresh Python process (otter runs the notebook there)."""
    import json

    env = _grading_env(scratch)
    r = subprocess.run([sys.executable, "-c", _GRADE_ONE, str(sub.resolve()),
                        str(zip_path.resolve())], env=env, cwd=tmp, capture_output=True,
                       text=True)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("OTTER-RESULT ")), None)
    if line is None:
        tail = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"submission": sub.name, "scores": {}, "total": 0.0, "possible": 0.0,
                "error": tail[0]}
    data = json.loads(line[len("OTTER-RESULT "):])
    return {"submission": sub.name, **data}
