"""The command line as a student meets it: every mistake is answered in one line naming what is
allowed, with a non-zero exit code and no traceback; valid parameters raise no warning; a failed
run never reaches the HTML; a check that fails at non-default parameters is reported as a result
of those parameters."""
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ionbook import cli
from ionbook.execute import execute
from ionbook.parameters import (ParameterError, chapter_parameters, parameter_specs,
                                parse_parameters_cell, validate)

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

TOY = HEADER + """
(toy)=
# A toy chapter

```{code-cell} ipython3
:tags: [parameters]
quality = "draft"     # "draft" or "paper"
scheduler = None      # dask scheduler address; None = LocalCluster
gap, width = 2.0, 3   # a tuple line papermill cannot read
n_grid = None         # None: the chapter's choice
```

```{code-cell} ipython3
import os
from ionbook.checks import check
assert gap > 0, f"gap must be positive, got {gap}"
print("CUSTOM", os.environ.get("IONBOOK_CUSTOM_PARAMETERS"))
check("the gap", book=gap, paper=2.0, rtol=1e-9, chapter="toy", quality=quality)
check("twice the gap", book=2 * gap, paper=4.0, rtol=1e-9, chapter="toy", quality=quality)
```

```{code-cell} ipython3
print("after the check")
```
"""


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A one-chapter book in tmp_path (its root for the command line)."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "toy.md").write_text(TOY)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                       "  - file: book/generated/toy\n")
    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    monkeypatch.delenv("IONBOOK_CUSTOM_PARAMETERS", raising=False)
    return tmp_path


def _one_line_error(capsys, argv, code=2):
    rc = cli.run(argv)
    err = capsys.readouterr().err.strip()
    assert rc == code, err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    return err


# --- mistakes, each one line with a non-zero exit --------------------------------------------

def test_unknown_parameter_name_names_the_chapters_parameters(capsys):
    err = _one_line_error(capsys, ["execute", "model-framework", "-p", "k3", "1"])
    assert "'k3'" in err and all(n in err for n in ("quality", "mass", "a", "k1", "k2"))


@pytest.mark.parametrize("value", ["Paper", "fast", "1"])
def test_quality_outside_draft_paper_is_refused(capsys, value):
    for slug in ("drag-mobility", "thermal-framework", "model-framework"):
        err = _one_line_error(capsys, ["execute", slug, "-p", "quality", value])
        assert '"draft" or "paper"' in err and repr(value) in err


def test_mistyped_chapter_lists_the_chapters(capsys):
    err = _one_line_error(capsys, ["execute", "model-framwork"])
    assert "'model-framwork'" in err
    assert all(s in err for s in ("model-framework", "dissipation-chain", "beyond-mean-field"))
    _one_line_error(capsys, ["params", "nope"])
    _one_line_error(capsys, ["build", "--only", "nope"])
    _one_line_error(capsys, ["assignment", "nope"])


@pytest.mark.parametrize("slug, name, value, allowed", [
    ("model-framework", "k2", "abc", "a number"),
    ("dissipation-chain", "n_chain", "2.5", "an integer"),
    ("thermal-framework", "seed", "x", "an integer"),
    ("model-framework", "quality", "None", '"draft" or "paper"'),
])
def test_wrong_type_names_the_allowed_values(capsys, slug, name, value, allowed):
    err = _one_line_error(capsys, ["execute", slug, "-p", name, value])
    assert f"'{name}'" in err and allowed in err


def test_build_refuses_an_unknown_quality(capsys):
    err = _one_line_error(capsys, ["build", "--quality", "Paper"])
    assert '"draft" or "paper"' in err


def test_html_on_a_fresh_clone_says_to_run_build(toy, capsys):
    err = _one_line_error(capsys, ["html"])
    assert "toy" in err and "python -m ionbook build" in err


def test_html_refuses_a_published_notebook_with_an_error(toy, capsys):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1/0")
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError",
                                           evalue="division by zero", traceback=[])]
    nb.cells = [cell]
    (toy / "book" / "generated").mkdir(parents=True)
    nbformat.write(nb, toy / "book" / "generated" / "toy.ipynb")
    err = _one_line_error(capsys, ["html"])
    assert "toy" in err and "execute toy" in err


def test_pdf_without_site_pdf_fails_clearly(capsys, monkeypatch):
    import ionbook.site as site

    monkeypatch.delattr(site, "pdf", raising=False)
    err = _one_line_error(capsys, ["pdf"])
    assert "ionbook.site.pdf" in err


def test_command_line_mistake_in_a_fresh_process_prints_one_line():
    r = subprocess.run([sys.executable, "-m", "ionbook", "execute", "dissipation-chain",
                        "-p", "n_chian", "20"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "n_chain" in r.stderr and "Traceback" not in r.stderr


# --- execution: failures not published, custom parameters, no false warnings ----------------

def test_failed_execution_leaves_the_published_notebook_alone(toy, capsys):
    out = execute("toy", {}, toy, log=lambda *a: None)
    before = out.read_text()
    err = _one_line_error(capsys, ["execute", "toy", "-p", "gap", "-1"], code=1)
    assert "AssertionError" in err and "gap must be positive" in err and "gap=-1" in err
    assert out.read_text() == before  # the HTML still gets the good run
    failed = toy / "build" / "notebooks" / "toy.failed.ipynb"
    assert "gap must be positive" in failed.read_text()


def test_check_failing_at_custom_parameters_is_a_result_not_a_broken_book(toy, capsys):
    execute("toy", {}, toy, log=print)
    default = nbformat.read(toy / "book" / "generated" / "toy.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in default.cells])
    assert "CUSTOM None" in text  # at the defaults the book's records are written
    capsys.readouterr()
    rc = cli.run(["execute", "toy", "-p", "gap", "2.5"])
    out = capsys.readouterr().out
    assert rc == 0
    notes = [ln for ln in out.splitlines() if ln.startswith("check not met")]
    assert len(notes) == 2  # both failing checks of the cell, not only the first
    assert "at your parameters gap=2.5" in notes[0] and "the gap" in notes[0]
    assert "book 2.5 vs paper 2.0" in notes[0] and "book 5.0 vs paper 4.0" in notes[1]
    nb = nbformat.read(toy / "book" / "generated" / "toy.ipynb", as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "CUSTOM 1" in outputs            # checks were told the parameters are not the book's
    assert "after the check" in outputs     # the run went on past the check
    assert "Traceback" not in outputs and '"error"' not in outputs  # publishable page
    assert nb.metadata["ionbook"]["custom_parameters"] == ["gap"]


def test_valid_parameters_raise_no_papermill_warning(toy, caplog):
    caplog.set_level(logging.INFO)
    execute("toy", {"width": "4", "gap": 2.0, "scheduler": "None", "quality": "draft"}, toy,
            log=lambda *a: None)
    text = caplog.text
    assert "Passed unknown parameter" not in text and "Unable to parse" not in text


# --- what the command line shows -------------------------------------------------------------

def test_parameters_read_from_the_cell_with_types_and_allowed_values():
    specs = parse_parameters_cell(
        'quality = "draft"  # q\nmass, a = 3.5, 3.0   # both\nn_chain = None\n'
        'scheduler = None\nrmin_factor = 1 / 3\nseed = 2025\nflag: bool = False\n'
        'dt: float | None = None\n')
    assert list(specs) == ["quality", "mass", "a", "n_chain", "scheduler", "rmin_factor",
                           "seed", "flag", "dt"]
    assert specs["quality"].choices == ("draft", "paper")
    assert specs["a"].kind == "float" and specs["a"].default == 3.0 and specs["a"].help == "both"
    assert specs["n_chain"].kind == "int" and specs["n_chain"].nullable
    assert specs["scheduler"].kind == "str" and specs["scheduler"].nullable
    assert specs["rmin_factor"].default == pytest.approx(1 / 3)
    assert specs["seed"].kind == "int" and specs["flag"].kind == "bool"
    assert specs["dt"].kind == "float" and specs["dt"].nullable


def test_every_chapter_parameter_is_described_and_its_default_validates():
    n = 0
    for src in sorted((REPO / "notebooks").glob("*.md")):
        specs = parameter_specs(src.stem, REPO)
        assert "quality" in specs
        # each default passes validation as the command line would give it
        given = {k: ("None" if p.default is None else str(p.default)) for k, p in specs.items()}
        assert validate(src.stem, given, REPO) == {k: p.default for k, p in specs.items()}
        n += len(specs)
    assert n >= 40


def test_params_lists_every_parameter_with_default_type_allowed(capsys):
    assert cli.run(["params", "model-framework"]) == 0
    out = capsys.readouterr().out
    for name in chapter_parameters("model-framework", REPO):
        assert re.search(rf"^{name}\s", out, flags=re.M), name
    assert '"draft" or "paper"' in out and "float" in out and "520.0" in out


def test_list_and_help_show_the_chapters(capsys):
    assert cli.run(["list"]) == 0
    out = capsys.readouterr().out
    slugs = [p.stem for p in (REPO / "notebooks").glob("*.md")]
    assert len(out.strip().splitlines()) == len(slugs)
    assert "model-framework" in out and "The model framework" in out
    help_ = cli._parser().format_help()
    assert all(s in help_ for s in slugs) and "params" in help_


def test_build_defaults_to_paper_quality():
    args = cli._parser().parse_args(["build"])
    assert args.quality == "paper"


def test_examples_in_the_help_use_real_parameters():
    for line in cli.__doc__.splitlines():
        m = re.search(r"execute (\S+)((?: -p \S+ \S+)+)", line)
        if m:
            pairs = re.findall(r"-p (\S+) (\S+)", m.group(2))
            validate(m.group(1), dict(pairs), REPO)  # raises if a name or value is wrong
    with pytest.raises(ParameterError, match="n_grid"):
        validate("model-framework", {"n_grid": "64"}, REPO)


def test_help_lists_every_chapters_parameters(capsys):
    for argv in (["--help"], ["execute", "--help"], ["execute", "model-framework", "-h"]):
        with pytest.raises(SystemExit) as e:
            cli.run(argv)
        assert e.value.code == 0
        out = capsys.readouterr().out
        for src in (REPO / "notebooks").glob("*.md"):
            m = re.search(rf"^  {re.escape(src.stem)}\s.*\n\s+-p (.*)$", out, flags=re.M)
            assert m, (argv, src.stem)
            assert m.group(1).split(", ") == list(parameter_specs(src.stem, REPO)), src.stem


def test_list_into_a_closed_pipe_ends_quietly():
    """`python -m ionbook list | head -1`: a reader closing the pipe early gets no
    BrokenPipeError traceback, and the exit code is 0 (the pipe is closed here before the
    command, still importing, writes a line)."""
    proc = subprocess.Popen([sys.executable, "-m", "ionbook", "list"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0 and "Traceback" not in err, err
