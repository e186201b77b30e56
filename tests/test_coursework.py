"""Assignment versions of chapters (solutions removed, exercises and checks kept, still executes)
and the reproduce-everything command (one dask task per chapter, summary, failures reported)."""
import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from ionbook.coursework import exercise_labels, make_assignment, solution_count, strip_solutions
from ionbook.parameters import chapter_parameters
from ionbook.reproduce import reproduce_all

REPO = Path(__file__).resolve().parents[1]
HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

# A small chapter using every solution form the book allows. Strings containing SECRET exist
# only inside solutions; the assignment must contain none of them.
SYNTHETIC = HEADER + """
(toy)=
# A toy chapter

Prose with $x^2$.

```{code-cell} ipython3
:tags: [parameters]
quality = "draft"
```

```{code-cell} ipython3
import numpy as np
from ionbook.checks import check
SLUG = "toy"
omega = np.sqrt(4.0)
```

````{exercise}
:label: toy-ex-1
Compute $\\omega$ twice.
````

````{solution-start} toy-ex-1
:class: dropdown
````

The answer follows. SECRET_PROSE_1

```{code-cell} ipython3
SECRET_VALUE = 2 * omega
print("SECRET_OUTPUT", SECRET_VALUE)
```

```{code-cell} ipython3
assert SECRET_VALUE == 4.0
```

````{solution-end}
````

```{exercise}
:label: toy-ex-2
Why is $\\omega = 2$?
```

```{solution} toy-ex-2
:class: dropdown
Because SECRET_PROSE_2 $\\sqrt{4} = 2$.
```

:::{exercise}
:label: toy-ex-3
A colon-fenced exercise.
:::

:::{solution} toy-ex-3
:class: dropdown
SECRET_PROSE_3
:::

````{exercise-start}
:label: toy-ex-4
````

Fill in the gated exercise.

```{code-cell} ipython3
omega_squared = omega**2
```

````{exercise-end}
````

````{solution-start} toy-ex-4
````

```{code-cell} ipython3
SECRET_FOUR = omega_squared
```

````{solution-end}
````

```{code-cell} ipython3
check("omega", book=omega, paper=2.0, rtol=1e-12, chapter=SLUG, quality=quality)
```
"""


def _all_text(nb):
    return "\n".join(c.source for c in nb.cells)


def test_strip_solutions_removes_every_form_and_keeps_exercises():
    out, removed = strip_solutions(SYNTHETIC)
    assert "SECRET" not in out
    assert removed == ["toy-ex-1", "toy-ex-2", "toy-ex-3", "toy-ex-4"]
    assert solution_count(SYNTHETIC) == 4 and solution_count(out) == 0
    assert "solution-end" not in out
    assert exercise_labels(out) == exercise_labels(SYNTHETIC) == [
        "toy-ex-1", "toy-ex-2", "toy-ex-3", "toy-ex-4"]
    # the gated exercise's own code cell and the check cell survive
    assert "omega_squared = omega**2" in out and 'check("omega"' in out
    # code solutions leave an answer cell, prose solutions an answer line
    assert out.count("# Your answer to exercise") == 2
    assert out.count("(Your answer to exercise") == 2


@pytest.mark.parametrize("bad, match", [
    ("````{solution-start} a\n````\n\ntext\n", "no solution-end"),
    ("````{solution-end}\n````\n", "without solution-start"),
    ("````{exercise}\n:label: a\ntext\n", "never closed"),
])
def test_strip_solutions_rejects_malformed_text(bad, match):
    with pytest.raises(ValueError, match=match):
        strip_solutions(bad)


def test_make_assignment_rejects_unknown_slug(tmp_path):
    (tmp_path / "notebooks").mkdir()
    with pytest.raises(ValueError, match="slug"):
        make_assignment("no-such-chapter", tmp_path / "out", root=tmp_path)


def test_synthetic_assignment_has_no_solutions_and_executes(tmp_path, monkeypatch):
    import papermill as pm

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (tmp_path / "notebooks" / "toy.md").write_text(SYNTHETIC)
    out = make_assignment("toy", tmp_path / "assignments", root=tmp_path)
    assert out == tmp_path / "assignments" / "toy.ipynb"
    assert (tmp_path / "assignments" / "toy.md").exists()
    nb = nbformat.read(out, as_version=4)
    text = _all_text(nb)
    assert "SECRET" not in text
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["ionmotion"]["solutions_removed"] == [
        "toy-ex-1", "toy-ex-2", "toy-ex-3", "toy-ex-4"]
    for label in ("toy-ex-1", "toy-ex-2", "toy-ex-3", "toy-ex-4"):
        assert f":label: {label}" in text
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    # the .md written beside it round-trips to the same cells
    md = jupytext.read(tmp_path / "assignments" / "toy.md")
    assert [c.source for c in md.cells] == [c.source for c in nb.cells]

    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    executed = tmp_path / "executed.ipynb"
    pm.execute_notebook(str(out), str(executed), parameters={"quality": "draft"},
                        cwd=str(tmp_path / "notebooks"), kernel_name="python3",
                        progress_bar=False)
    enb = nbformat.read(executed, as_version=4)
    errors = [o for c in enb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors
    assert "SECRET_OUTPUT" not in json.dumps(enb)
    rec = json.loads((tmp_path / "build" / "checks" / "toy.draft.json").read_text())
    assert [r["quantity"] for r in rec] == ["omega"] and rec[0]["passed"]


REAL = sorted((REPO / "notebooks").glob("*.md"))


@pytest.mark.parametrize("src", REAL, ids=[p.stem for p in REAL])
def test_real_chapters_assignment_structure(src, tmp_path):
    """Every chapter's assignment keeps every exercise, parameter and check cell, and contains
    none of the code or prose of its solutions."""
    text = src.read_text()
    out = make_assignment(src.stem, tmp_path, root=REPO)
    nb = nbformat.read(out, as_version=4)
    atext = _all_text(nb)
    assert solution_count(atext) == 0
    assert "solution-end" not in atext
    assert exercise_labels(atext) == exercise_labels(text)
    orig = jupytext.reads(text, fmt="md:myst")
    orig_code = [c.source for c in orig.cells if c.cell_type == "code"]
    new_code = [c.source for c in nb.cells if c.cell_type == "code"]
    # code cells kept are exactly the original ones outside solutions, in order
    stripped, removed = strip_solutions(text)
    kept = [c.source for c in jupytext.reads(stripped, fmt="md:myst").cells
            if c.cell_type == "code" and not c.source.startswith("# Your answer to exercise")]
    assert [s for s in new_code if not s.startswith("# Your answer to exercise")] == kept
    assert all(s in orig_code for s in kept)
    n_checks = lambda srcs: sum(len(re.findall(r"\bcheck\(", s)) for s in srcs)
    solution_checks = n_checks(orig_code) - n_checks(kept)
    assert n_checks(new_code) == n_checks(kept)
    # the only checks that go are those written inside the solutions (counted on the text)
    in_text = lambda t: len(re.findall(r"\bcheck\(", t))  # noqa: E731
    assert solution_checks == in_text(text) - in_text(stripped)
    assert len(removed) == solution_count(text)
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1


def test_chapter_parameters_reads_only_the_parameters_cell(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "p.md").write_text(HEADER + """
```{code-cell} ipython3
:tags: [parameters]
quality = "draft"
scheduler, n_grid = None, 8   # papermill cannot type a tuple line
k: float = 1.5
```

```{code-cell} ipython3
not_a_parameter = 1
```
""")
    assert chapter_parameters("p", tmp_path) == {"quality", "scheduler", "n_grid", "k"}


# ---------------------------------------------------------------------------------------------
# reproduce_all on a synthetic two-chapter book (one worker, draft quality)

CH_SWEEP = HEADER + """
# Sweeps on the passed scheduler

```{code-cell} ipython3
:tags: [parameters]
quality = "draft"
scheduler = None
```

```{code-cell} ipython3
from ionbook.checks import check
from ionbook.sweep import run_sweep
def square(x):
    return {"y": x * x}
res = run_sweep(square, [{"x": 2.0}, {"x": 3.0}], slug="sweepy", name="sq",
                scheduler=scheduler, progress=False)
check("sum of squares", book=float(res[0]["y"] + res[1]["y"]), paper=13.0, rtol=1e-12,
      chapter="sweepy", quality=quality)
check("got a scheduler address", book=str(scheduler), passed=str(scheduler).startswith("tcp://"),
      chapter="sweepy", quality=quality)
```
"""

CH_PLAIN = HEADER + """
# No scheduler parameter

```{code-cell} ipython3
:tags: [parameters]
quality = "draft"
```

```{code-cell} ipython3
from ionbook.checks import check
check("quality passed", book=quality, passed=quality == "draft", chapter="plain",
      quality=quality)
check("no scheduler injected", book=0, passed="scheduler" not in globals(), chapter="plain",
      quality=quality)
```

A check that fails ends this chapter (and so the command) with an error.

```{code-cell} ipython3
check("pi", book=3.0, paper=3.14159, rtol=1e-3, chapter="plain", quality=quality)
```
"""


def test_reproduce_all_runs_chapters_on_one_cluster_and_reports_failures(tmp_path):
    import io

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n"
        "  - file: book/generated/sweepy\n  - file: book/generated/plain\n")
    for slug, text in [("sweepy", CH_SWEEP), ("plain", CH_PLAIN)]:
        (tmp_path / "notebooks" / f"{slug}.md").write_text(text)
    buf = io.StringIO()
    with pytest.raises(SystemExit, match="1 chapter.*plain"):
        reproduce_all(None, quality="draft", n_workers=1, build_html=False, root=tmp_path,
                      out=buf)
    log = buf.getvalue()
    recs = {(r["chapter"], r["quantity"]): r
            for f in (tmp_path / "build" / "checks").glob("*.json")
            for r in json.loads(f.read_text())}
    # the chapter declaring `scheduler` got the cluster's address and ran its sweep on it
    # (one single-threaded worker: this deadlocks unless the chapter task secedes)
    assert recs[("sweepy", "sum of squares")]["passed"]
    assert recs[("sweepy", "got a scheduler address")]["passed"]
    assert len(list((tmp_path / "data" / "sweepy" / "sq").glob("*.npz"))) == 2
    # the chapter without it was not given one
    assert recs[("plain", "no scheduler injected")]["passed"]
    assert recs[("plain", "quality passed")]["passed"]
    # the failing check is recorded, shown, and fails the command
    assert not recs[("plain", "pi")]["passed"]
    assert "FAIL" in log and "chapter plain failed" in log and "ReproductionError" in log
    # the ledger page counts the book's paper-quality records only: a draft run adds none
    page = (tmp_path / "book" / "generated" / "reproduction.md").read_text()
    assert "0 paper-quality records" in page
    # the chapter that ran is published; the failed one is kept for reading, not published
    assert (tmp_path / "book" / "generated" / "sweepy.ipynb").exists()
    assert not (tmp_path / "book" / "generated" / "plain.ipynb").exists()
    assert (tmp_path / "build" / "notebooks" / "plain.failed.ipynb").exists()


CH_WRITER = HEADER + """
# Writes a result another chapter reads

```{code-cell} ipython3
:tags: [parameters]
quality = "draft"
```

```{code-cell} ipython3
import time, pathlib
time.sleep(3)
pathlib.Path(r"OUT").write_text("written")
```
"""

CH_READER = HEADER + """
# Reads the writer's result

```{code-cell} ipython3
:tags: [parameters]
quality = "draft"
```

```{code-cell} ipython3
import pathlib
from ionbook.checks import check
check("the writer ran first", book=0, passed=pathlib.Path(r"OUT").exists(), chapter="reader",
      quality=quality)
```
"""


def test_reproduce_all_runs_a_chapter_after_the_chapters_it_reads(tmp_path, monkeypatch):
    """CHAPTER_NEEDS: with two workers, the reader (listed first) still waits for the writer."""
    import io

    from ionbook import reproduce as rp
    monkeypatch.setitem(rp.CHAPTER_NEEDS, "reader", ("writer",))
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n"
        "  - file: book/generated/reader\n  - file: book/generated/writer\n")
    out = tmp_path / "written.txt"
    for slug, text in [("reader", CH_READER), ("writer", CH_WRITER)]:
        (tmp_path / "notebooks" / f"{slug}.md").write_text(text.replace("OUT", str(out)))
    reproduce_all(None, quality="draft", n_workers=2, build_html=False, root=tmp_path,
                  out=io.StringIO())
    recs = json.loads((tmp_path / "build" / "checks" / "reader.draft.json").read_text())
    assert recs[0]["passed"]
    monkeypatch.setitem(rp.CHAPTER_NEEDS, "writer", ("reader",))
    with pytest.raises(ValueError, match="cycle"):
        reproduce_all(None, quality="draft", n_workers=2, build_html=False, root=tmp_path,
                      out=io.StringIO())


# ---------------------------------------------------------------------------------------------
# otter-grader assignments: plain Markdown, instructor notebooks, the whole teacher loop

from ionbook.grading import (AssignmentError, grade_folder, instructor_notebook, load_spec,
                             make_assignment as make_otter_assignment)
from ionbook.grading.myst import Numbering, plain_markdown


def test_plain_markdown_rewrites_myst_with_the_books_numbers():
    text = """(sec-x)=
## A section

$$
a = b
$$ (toy-eq)

See {eq}`toy-eq`, {numref}`fig-toy`, {cite}`rodin2025`, {ref}`the model <model-framework>`,
{ref}`toy-ex-2` and {doc}`errata`.

```{note}
:class: dropdown
Careful with {eq}`toy-eq`.
```
"""
    num = Numbering(chapter=6, equations={"toy-eq": "6.1"}, figures={"fig-toy": "6.2"},
                    exercises={"toy-ex-2": "6.2"}, citations={"rodin2025": "Rodin et al. (2025)"})
    out = plain_markdown(text, num)
    assert "(sec-x)=" not in out and "{" not in out.replace("\\tag{6.1}", "")
    assert "\\tag{6.1}" in out and out.count("$$") == 2
    assert "See (6.1), Fig. 6.2, Rodin et al. (2025), the model,\nExercise 6.2 and errata." in out
    assert "> **Note.**" in out and "> Careful with (6.1)." in out and ":class:" not in out


REAL_SLUGS = [p.stem for p in REAL]


@pytest.mark.parametrize("slug", REAL_SLUGS)
def test_instructor_notebook_of_every_chapter(slug):
    """Every exercise becomes an otter question with points; grading files name only
    exercises that exist; Markdown shows no MyST markup; captions are visible text."""
    nb, questions = instructor_notebook(slug, root=REPO)
    text = (REPO / "notebooks" / f"{slug}.md").read_text()
    assert [q[0] for q in questions] == exercise_labels(text)
    assert all(q[2] > 0 for q in questions)
    raw = [c.source for c in nb.cells if c.cell_type == "raw"]
    assert sum(r.startswith("# BEGIN QUESTION") for r in raw) == len(questions)
    assert sum(r.startswith("# END QUESTION") for r in raw) == len(questions)
    assert raw.count("# BEGIN SOLUTION") == raw.count("# END SOLUTION") >= len(questions)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for myst in ("{eq}`", "{cite}`", "{ref}`", "{numref}`", "{exercise}", "{solution-start}",
                 "````"):
        assert myst not in md, myst
    assert not re.search(r"^\([\w-]+\)=\s*$", md, flags=re.M)
    chapter = jupytext.reads(text, fmt="md:myst")
    captions = [c for c in chapter.cells
                if c.metadata.get("mystnb", {}).get("figure", {}).get("caption")]
    shown = [c for c in nb.cells if c.cell_type == "markdown"
             and re.match(r"^\*\*Fig\. \d+\.\d+\.\*\* \S", c.source)]
    assert len(shown) == len(captions)
    spec = load_spec(slug)
    for label, entry in spec.items():
        assert entry.get("points", 0) > 0
        if not entry.get("manual"):
            assert entry.get("hidden"), f"{label}: autograded exercises need hidden tests"


def test_teacher_chooses_exercises_and_mistakes_are_one_line():
    nb, questions = instructor_notebook("model-framework", ["3", "model-framework-ex-1"], REPO)
    assert [q[0] for q in questions] == ["model-framework-ex-1", "model-framework-ex-3"]
    text = "\n".join(c.source for c in nb.cells)
    assert "model-framework-ex-2" not in text and "Exercise 1.2" not in text
    with pytest.raises(AssignmentError, match="exercises: 1 \\(model-framework-ex-1\\)"):
        instructor_notebook("model-framework", ["9"], REPO)


def test_teacher_loop_assign_then_grade_a_correct_and_a_wrong_submission(tmp_path):
    """The whole loop on a real chapter: otter assign, then grading (no Docker) of the solved
    notebook and of a submission that answers the re-execution exercise with the default
    framework's value instead of the stiffer one's."""
    res = make_otter_assignment("model-framework", tmp_path / "assignments",
                                exercises=["1", "3"], check=False, root=REPO)
    student = nbformat.read(res.student, as_version=4)
    stext = "\n".join(c.source for c in student.cells)
    assert "stiff.max_frequency" not in stext and "HIDDEN" not in stext  # no solutions/hidden
    assert "stiff_omega_max = ..." in stext and 'grader.check("model-framework-ex-3")' in stext
    subs = tmp_path / "submissions"
    subs.mkdir()
    solved = res.autograder.parent / "model-framework.ipynb"
    (subs / "correct.ipynb").write_text(solved.read_text())
    for cell in student.cells:  # a student who reruns nothing: the default framework's numbers
        if cell.source.startswith("freqs_R = ..."):
            cell.source = "R_pt = np.array([np.pi / a] * 3)\nfreqs_R = lat.frequencies(R_pt)"
        if cell.source.startswith("stiff_omega_max = ..."):
            cell.source = "stiff_omega_max = lat.max_frequency\ndrag_ratio = 1.0"
    nbformat.write(student, subs / "wrong.ipynb")
    table = grade_folder(res.folder, subs, tmp_path / "scores.csv", root=REPO)
    rows = {r["submission"]: r for r in table.rows}
    assert rows["correct.ipynb"]["total"] == rows["correct.ipynb"]["possible"] == 6
    wrong = rows["wrong.ipynb"]
    assert wrong["model-framework-ex-1"] == 2           # right at the default parameters
    assert 0 < wrong["model-framework-ex-3"] < 4        # public test passes, hidden ones fail
    assert wrong["total"] < rows["correct.ipynb"]["total"]
    header = (tmp_path / "scores.csv").read_text().splitlines()[0]
    assert header.startswith("submission,model-framework-ex-1,model-framework-ex-3")
    assert not (REPO / "data" / "checks" / "model-framework.draft.json").exists() or \
        "otter" not in (REPO / "data" / "checks" / "model-framework.draft.json").read_text()
