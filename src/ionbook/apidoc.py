"""Generate the book's API reference page (book/api.md) from the docstrings of ``ionmotion``.

Jupyter Book 1 here runs without Sphinx autodoc, so the page is written as MyST markdown: one
section per module, one entry per public function, class, method and constant, with the
signature and the docstring verbatim (in a text block, so that no docstring markup can break the
``-W`` build). ``python -m ionbook.apidoc`` rewrites the page; the test suite checks that the
committed page equals the generated one, so it cannot go stale.
"""
import importlib
import inspect
import sys
from pathlib import Path

MODULES = ("lattice", "potentials", "full", "timelocal", "thermal", "dissipation", "validation",
           "diffusion", "spectra", "limits", "pathforce", "fdtlocal", "ratecurves", "langevin", "mobility", "materials", "landscape", "dft", "hopping", "latticegas", "kmc", "meanfield",
           "derivation", "units", "papers.constants", "papers.rodin2022", "papers.rodin2024",
           "papers.rodin2025", "papers.hu2026")

HEADER = """(api)=
# API reference

Generated from the docstrings of the package `ionmotion` by `python -m ionbook.apidoc` (do not
edit by hand). Units are meV, Å and ps unless an entry says otherwise. Importing `ionmotion`
gives the most used names directly (`ionmotion.CubicLattice`, `ionmotion.Yukawa`, …; see
`ionmotion.__all__`); every module below is also reachable as `ionmotion.<module>`. The papers'
protocols and model constants are in `ionmotion.papers`. Names that moved there are still
importable from their old modules (lazy re-exports) and are listed only once, at their new home.
A worked example is on the page {ref}`own-lattice`.
"""


def _public(mod):
    """(name, object) of the public names defined in module `mod` (its __all__ if it has one)."""
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")]
    out = []
    for n in names:
        obj = vars(mod).get(n)
        if obj is None or inspect.ismodule(obj):
            continue
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ != mod.__name__:
            continue
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            if n.upper() != n or not _constant_doc(mod, n):
                continue
        out.append((n, obj))
    return out


def _constant_doc(mod, name):
    """The string literal right after `NAME = ...` in the module source (attribute docstring)."""
    import ast
    try:
        tree = ast.parse(inspect.getsource(mod))
    except (OSError, TypeError):  # pragma: no cover - no source available
        return ""
    body = tree.body
    for node, nxt in zip(body, body[1:]):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) \
                    and isinstance(nxt.value.value, str):
                return inspect.cleandoc(nxt.value.value)
    return ""


def _signature(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return "(...)"


def _block(doc):
    doc = inspect.cleandoc(doc or "(no docstring)")
    fence = "````" if "```" in doc else "```"
    return f"{fence}text\n{doc}\n{fence}\n"


def _entry(qual, obj, level="###"):
    if inspect.isclass(obj) or inspect.isfunction(obj):
        head = f"{level} `{qual}{_signature(obj)}`\n\n"
        return head + _block(inspect.getdoc(obj))
    return ""


def _class_members(cls):
    """Public methods and properties of cls, inherited ones from ionmotion base classes too."""
    out, seen = [], set()
    members = [(n, m) for k in cls.__mro__ if k.__module__.startswith("ionmotion")
               for n, m in vars(k).items()]
    for n, member in members:
        if n.startswith("_") or n in seen:
            continue
        seen.add(n)
        if isinstance(member, property):
            out.append(f"#### `{cls.__name__}.{n}` (property)\n\n" + _block(member.__doc__))
        elif inspect.isfunction(member) or isinstance(member, (staticmethod, classmethod)):
            f = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            out.append(_entry(f"{cls.__name__}.{n}", f, "####"))
    return out


def render():
    """The text of book/api.md."""
    parts = [HEADER]
    for name in MODULES:
        mod = importlib.import_module(f"ionmotion.{name}")
        parts.append(f"## `ionmotion.{name}`\n\n" + _block(mod.__doc__))
        for n, obj in _public(mod):
            if inspect.isclass(obj):
                parts.append(_entry(n, obj))
                parts.extend(_class_members(obj))
            elif inspect.isfunction(obj):
                parts.append(_entry(n, obj))
            else:
                parts.append(f"### `{n}`\n\n" + _block(_constant_doc(mod, n)))
    return "\n".join(parts)


def write(root=None):
    """Write book/api.md under the book's root; returns its path."""
    from .paths import repo_root
    path = Path(root or repo_root()) / "book" / "api.md"
    path.write_text(render())
    return path


if __name__ == "__main__":
    print(write(sys.argv[1] if len(sys.argv) > 1 else None))
