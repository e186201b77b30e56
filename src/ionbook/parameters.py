"""What a chapter's papermill `parameters` cell declares."""
import logging
from pathlib import Path

from .paths import repo_root


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
