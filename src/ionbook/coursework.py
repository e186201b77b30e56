"""Coursework: solution-free copies of chapters (no grading).

    python -c "from ionbook.coursework import make_assignment; make_assignment('model-framework')"

The command line's `python -m ionbook assignment` makes autograded assignments with otter-grader
instead (:mod:`ionbook.grading`). :func:`make_assignment` reads `notebooks/<slug>.md`, removes every solution (the
``{solution-start}`` … ``{solution-end}`` pairs together with the code cells between them, and
single-block ``{solution}`` directives), keeps every exercise and every check cell, and writes
`<out_dir>/<slug>.ipynb` (to run) and `<out_dir>/<slug>.md` (jupytext, to edit). Where a removed
solution held code, an empty code cell is left for the student's answer.

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
