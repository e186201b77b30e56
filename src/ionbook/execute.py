"""Execute one chapter with papermill: `notebooks/<slug>.md` (jupytext MyST) into its executed
copy `book/generated/<slug>.ipynb`, which `_toc.yml` lists.

Before anything runs, the chapter name and every parameter (name, type, allowed values) are
checked against the chapter's `parameters` cell (:mod:`ionbook.parameters`). The notebook is
executed into `build/notebooks/`; only a run that finished without an error replaces the
published copy in `book/generated/`, so a failed run never reaches the HTML (the failed notebook
stays in `build/notebooks/<slug>.failed.ipynb` for reading).

At parameters other than the chapter's defaults the paper's numbers may no longer apply: the
environment variable ``IONBOOK_CUSTOM_PARAMETERS=1`` tells :mod:`ionbook.checks` so (its records
then do not replace the book's own), the run goes on past a check that fails, and each such check
is reported in one line as a result of those parameters.
"""
import logging
import os
import re
import shutil
import time
from pathlib import Path

from .parameters import GENERATED_PAGES, QUIET_PAPERMILL, ParameterError, chapter_slugs, \
    chapter_source, differs_from_default, validate
from .paths import repo_root

GENERATED = Path("book") / "generated"
from .checks import CUSTOM_ENV, clear_custom, custom_failures, failure_message  # noqa: E402
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]
"""The kernel's own log (e.g. ipykernel's notice about TCP transport) is not for readers."""


class ChapterFailed(RuntimeError):
    """A chapter's execution stopped with an error; the message is one line (cell, error)."""


def _parse_value(text):
    """A command-line value as Python (literal if it parses, else the text)."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


_LIST = re.compile(r"\[[^\[\]]{80,}\]")


def shorten(text, width=300):
    """One line: long lists of numbers become their first three values and a count."""
    def short(m):
        items = m.group(0)[1:-1].split(",")
        return "[" + ", ".join(i.strip() for i in items[:3]) + f", … ({len(items)} values)]"

    line = " ".join(_LIST.sub(short, str(text)).split())
    return line if len(line) <= width else line[:width - 1] + "…"


def _errors(nb):
    """(cell index, ename, evalue) of every error output in an executed notebook."""
    out = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.get("output_type") == "error":
                out.append((i, o.get("ename", "Error"), o.get("evalue", "")))
    return out


def _describe_parameters(parameters):
    return ", ".join(f"{k}={v!r}" for k, v in parameters.items())


def execute(slug, parameters=None, root=None, log=print):
    """Execute notebooks/<slug>.md with papermill into book/generated/<slug>.ipynb.

    Raises ParameterError (before running anything) for an unknown chapter or a parameter the
    chapter does not accept, and ChapterFailed (one-line message) when a cell fails. At
    non-default parameters a failing reproduction check does not fail the run: it is reported
    through `log`, one line per check, and the executed chapter is published.
    Returns the path of the executed notebook.
    """
    import jupytext
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    root = Path(root or repo_root())
    src = chapter_source(slug, root)
    parameters = validate(slug, parameters or {}, root)
    custom = differs_from_default(slug, parameters, root)
    work = root / "build" / "notebooks"
    work.mkdir(parents=True, exist_ok=True)
    out_dir = root / GENERATED
    out_dir.mkdir(parents=True, exist_ok=True)
    ipynb = work / f"{slug}.ipynb"
    jupytext.write(jupytext.read(src), ipynb)
    running = work / f"{slug}.running.ipynb"
    failed = work / f"{slug}.failed.ipynb"
    out = out_dir / f"{slug}.ipynb"
    t0 = time.perf_counter()
    saved = {k: os.environ.get(k) for k in ("IONMOTION_ROOT", CUSTOM_ENV, "MPLBACKEND")}
    os.environ["IONMOTION_ROOT"] = str(root)
    if custom:
        os.environ[CUSTOM_ENV] = "1"
    else:
        os.environ.pop(CUSTOM_ENV, None)
    # A non-interactive MPLBACKEND (e.g. Agg in CI) would stop the kernel from using the inline
    # backend, so figures would never reach the notebook (and labelled figures would vanish).
    os.environ.pop("MPLBACKEND", None)
    pm_logs = [logging.getLogger(n) for n in ("papermill", "papermill.translators")]
    for lg in pm_logs:
        lg.addFilter(QUIET_PAPERMILL)
    error = None
    clear_custom(slug, root)
    try:
        # at custom parameters the kernel goes on after an error (a real error is still
        # reported, below); failed checks do not raise there and are read from their records
        pm.execute_notebook(str(ipynb), str(running), parameters=parameters,
                            cwd=str(root / "notebooks"), kernel_name="python3",
                            progress_bar=False, log_output=False,
                            extra_arguments=KERNEL_ARGS,
                            **({"allow_errors": True} if custom else {}))
    except PapermillExecutionError as e:
        error = e
    finally:
        for lg in pm_logs:
            lg.removeFilter(QUIET_PAPERMILL)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    nb = nbformat.read(running, as_version=4)
    errors = _errors(nb)
    if error is not None and not errors:  # papermill's own record of the failing cell
        errors = [(error.cell_index, error.ename, error.evalue)]
    checks = [e for e in errors if e[1] == "ReproductionError"]
    others = [e for e in errors if e[1] != "ReproductionError"]
    if others or (checks and not custom):
        shutil.move(running, failed)
        i, ename, evalue = (others or checks)[0]
        where = f"at your parameters {_describe_parameters(parameters)}" if custom else \
            f"with {_describe_parameters(parameters)}" if parameters else "with its defaults"
        raise ChapterFailed(
            f"chapter {slug} failed {where}, cell {i}: {ename}: {shorten(evalue)} "
            f"(book/generated/{slug}.ipynb left unchanged; the failed run is in "
            f"build/notebooks/{failed.name})")
    notes = [shorten(evalue) for _, _, evalue in checks]
    if custom:
        notes += [shorten(failure_message(r)) for r in custom_failures(slug, root)]
    for text in notes:
        log(f"check not met at your parameters {_describe_parameters(parameters)} "
            f"(a result of those parameters, not a fault of the book): {text}")
    if checks:  # keep the published page free of tracebacks: say what the check found
        for cell in nb.cells:
            for k, o in enumerate(cell.get("outputs", [])):
                if o.get("output_type") == "error" and o.get("ename") == "ReproductionError":
                    cell.outputs[k] = nbformat.v4.new_output(
                        "stream", name="stdout",
                        text=f"At these parameters ({_describe_parameters(parameters)}) this "
                             f"check does not hold: {shorten(o.get('evalue', ''), 600)}\n")
    for cell in nb.cells:  # hide papermill's injected parameters cell in the HTML
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
    nb.metadata.setdefault("ionbook", {})["parameters"] = parameters
    nb.metadata["ionbook"]["custom_parameters"] = custom
    nbformat.write(nb, out)
    running.unlink()
    if failed.exists():
        failed.unlink()
    if parameters.get("quality") == "paper" and not custom:
        from .checks import promote
        promote(slug, root)  # the book's record changes only if a result or the code changed
    log(f"executed {slug} {parameters} in {time.perf_counter() - t0:.1f} s")
    return out


def unpublishable(root=None):
    """Problems that stop `html`: ({slug: reason}) for chapters of `_toc.yml` that have no
    executed notebook, or whose executed notebook holds an error output."""
    import nbformat

    root = Path(root or repo_root())
    missing, broken = [], []
    for slug in chapter_slugs(root):
        path = root / GENERATED / f"{slug}.ipynb"
        if not path.exists():
            missing.append(slug)
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # unreadable counts as broken
            broken.append(slug)
            continue
        if _errors(nb):
            broken.append(slug)
    return missing, broken


__all__ = ["ChapterFailed", "ParameterError", "chapter_slugs", "execute", "unpublishable"]
