"""Execute one chapter with papermill: `notebooks/<slug>.md` (jupytext MyST) into its executed
copy `book/generated/<slug>.ipynb`, which `_toc.yml` lists."""
import ast
import os
import re
import time
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
    from .checks import CUSTOM_ENV, promote
    custom = bool(set(parameters or {}) - {"quality", "scheduler"})
    env_custom = os.environ.get(CUSTOM_ENV)
    os.environ[CUSTOM_ENV] = "1" if custom else "0"
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
        if env_custom is None:
            os.environ.pop(CUSTOM_ENV, None)
        else:
            os.environ[CUSTOM_ENV] = env_custom
    if (parameters or {}).get("quality") == "paper" and not custom:
        promote(slug, root)  # the book's record changes only if a result or the code changed
    nb = nbformat.read(out, as_version=4)
    for cell in nb.cells:  # hide papermill's injected parameters cell in the HTML
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
    nbformat.write(nb, out)
    log(f"executed {slug} {parameters or {}} in {time.perf_counter() - t0:.1f} s")
    return out
