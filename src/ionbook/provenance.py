"""Which code made a result: a hash of the `ionmotion` modules a task or a chapter depends on.

A cached result's manifest and a check record carry ``code_version``: ``ionmotion-<hash>``, the
hash of the code (syntax trees without docstrings or comments, :func:`code_text`) of the
physics modules the producing code imports, followed
transitively through `ionmotion`'s own imports (found statically with `ast`, including imports
inside functions). A change to a module that a task does not depend on leaves its version, and so
its cached results, current; a change to one it does depend on makes them stale
(``python -m ionbook reproduce --stale`` recomputes exactly those).
"""
import ast
import hashlib
import re
from functools import lru_cache
from pathlib import Path

_PKG = "ionmotion"


def _package_dir():
    import ionmotion

    return Path(ionmotion.__file__).resolve().parent


def _module_file(name):
    base = _package_dir().parent
    p = base.joinpath(*name.split("."))
    if p.is_dir():
        return p / "__init__.py"
    f = p.with_suffix(".py")
    return f if f.exists() else None


def _imports_of_source(text, package):
    """Fully qualified `ionmotion` modules that a source text imports (relative ones resolved)."""
    out = set()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return out
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[:len(parts) - node.level + 1]
                mod = ".".join(parts + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}
    return {m for m in out if m.split(".")[0] == _PKG and _module_file(m) is not None}


def _direct_imports(name):
    f = _module_file(name)
    package = name if f.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_of_source(f.read_text(), package)


def closure(modules):
    """The `ionmotion` modules that `modules` need, themselves included (sorted)."""
    todo = [m for m in modules if m.split(".")[0] == _PKG and _module_file(m) is not None]
    seen = set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        parts = m.split(".")
        todo += [".".join(parts[:k]) for k in range(1, len(parts))]   # parent packages run too
        todo += sorted(_direct_imports(m) - seen)
    return sorted(seen)


def _strip_docstrings(tree):
    """The tree without docstrings (of the module, its classes and functions)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def code_text(path):
    """What a module's code version hashes: its syntax tree without docstrings, so comments,
    docstrings and layout can change without making the results it computed stale (a file that
    does not parse is hashed as raw bytes)."""
    raw = Path(path).read_bytes()
    try:
        tree = ast.parse(raw)
    except SyntaxError:
        return raw
    return ast.dump(_strip_docstrings(tree), include_attributes=False).encode()


@lru_cache(maxsize=None)
def _hash(mods):
    h = hashlib.sha256()
    for m in mods:
        h.update(m.encode())
        h.update(code_text(_module_file(m)))
    return h.hexdigest()[:12]


def code_version(modules=None):
    """``ionmotion-<hash>`` of the closure of `modules` (default: the whole package)."""
    if modules is None:
        mods = tuple(sorted(_all_modules()))
    else:
        mods = tuple(closure(modules))
    return f"{_PKG}-{_hash(mods)}"


def _all_modules():
    base = _package_dir().parent
    for p in _package_dir().rglob("*.py"):
        rel = p.relative_to(base).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts)


def chapter_modules(chapter, root=None):
    """The `ionmotion` modules a chapter's code cells import (from notebooks/<chapter>.md)."""
    from .paths import repo_root

    src = Path(root or repo_root()) / "notebooks" / f"{chapter}.md"
    if not src.exists():
        return None
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", src.read_text(), flags=re.S)
    mods = set()
    for c in cells:
        lines = c.splitlines()
        if lines and lines[0].strip() == "---":   # a YAML block of cell metadata
            end = next((i for i, s in enumerate(lines[1:], 1) if s.strip() == "---"), 0)
            lines = lines[end + 1:]
        code = "\n".join(s for s in lines if not s.startswith((":", "%", "!")))
        mods |= _imports_of_source(code, "")
    return sorted(mods) or [_PKG]


def chapter_version(chapter, root=None):
    """Code version of a chapter's records: the closure of the modules the chapter imports."""
    mods = chapter_modules(chapter, root)
    return code_version(mods)
