"""The two packages are layers: `ionbook` (the book pipeline) may import `ionmotion` (physics),
never the reverse, and no import cycle exists between modules of either package. Imports inside
functions count too; the one exception is `ionmotion/book.py`, the documented alias that keeps
`python -m ionmotion.book` working and that nothing in `ionmotion` imports."""
import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ALIAS = "ionmotion.book"


def _module_name(path):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path):
    """Fully qualified modules imported anywhere in the file (relative imports resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}  # `from . import x` imports module x
    return out


def _graph():
    mods = {_module_name(p): p for pkg in ("ionmotion", "ionbook")
            for p in (SRC / pkg).rglob("*.py")}
    return {m: {i for i in _imports(p) if i in mods and i != m} for m, p in mods.items()}


def test_both_packages_are_found():
    g = _graph()
    assert {"ionmotion.lattice", "ionmotion.full", "ionbook.cli", "ionbook.checks"} <= set(g)


def test_physics_never_imports_the_pipeline():
    g = _graph()
    bad = {m: sorted(i for i in deps if i.split(".")[0] == "ionbook")
           for m, deps in g.items() if m.startswith("ionmotion") and m != ALIAS}
    bad = {m: d for m, d in bad.items() if d}
    assert not bad, f"ionmotion modules importing ionbook: {bad}"
    assert not any(ALIAS in deps for m, deps in g.items() if m != ALIAS), "the alias is imported"


def test_no_import_cycles():
    g = _graph()
    state, cycle = {}, []

    def visit(m, stack):
        state[m] = 1
        for d in sorted(g[m]):
            if state.get(d) == 1:
                cycle.append(stack[stack.index(d):] + [d] if d in stack else [m, d])
                return True
            if d not in state and visit(d, stack + [d]):
                return True
        state[m] = 2
        return False

    for m in sorted(g):
        if m not in state and visit(m, [m]):
            break
    assert not cycle, "import cycle: " + " -> ".join(cycle[0])


def test_graph_detects_a_cycle_and_a_wrong_direction(tmp_path, monkeypatch):
    """The checks above can fail: a synthetic tree with a cycle and an upward import."""
    for pkg, files in {"ionmotion": {"a.py": "from . import b\nimport ionbook.x\n",
                                     "b.py": "from .a import f\n"},
                       "ionbook": {"x.py": ""}}.items():
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
        for f, text in files.items():
            (tmp_path / pkg / f).write_text(text)
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path)
    g = _graph()
    assert "ionbook.x" in g["ionmotion.a"] and "ionmotion.a" in g["ionmotion.b"]
    import pytest
    with pytest.raises(AssertionError):
        test_physics_never_imports_the_pipeline()
    with pytest.raises(AssertionError):
        test_no_import_cycles()
