"""Code versions follow exactly the modules a task depends on."""
import pytest

from ionbook import cache, provenance


@pytest.fixture()
def fake_pkg(tmp_path, monkeypatch):
    pkg = tmp_path / "ionmotion"
    pkg.mkdir()
    files = {"__init__.py": "", "a.py": "from . import b\n", "b.py": "def f():\n    from .c import g\n",
             "c.py": "g = 1\n", "d.py": "import numpy\n"}
    for name, text in files.items():
        (pkg / name).write_text(text)
    monkeypatch.setattr(provenance, "_package_dir", lambda: pkg)
    provenance._hash.cache_clear()
    yield pkg
    provenance._hash.cache_clear()


def test_closure_follows_imports_inside_functions(fake_pkg):
    assert provenance.closure(["ionmotion.a"]) == ["ionmotion", "ionmotion.a", "ionmotion.b",
                                                   "ionmotion.c"]
    assert provenance.closure(["ionmotion.d"]) == ["ionmotion", "ionmotion.d"]


def test_version_changes_only_with_a_dependency(fake_pkg):
    va, vd = provenance.code_version(["ionmotion.a"]), provenance.code_version(["ionmotion.d"])
    (fake_pkg / "d.py").write_text("import numpy  # edited\n")
    provenance._hash.cache_clear()
    assert provenance.code_version(["ionmotion.a"]) == va
    assert provenance.code_version(["ionmotion.d"]) != vd
    (fake_pkg / "c.py").write_text("g = 2\n")
    provenance._hash.cache_clear()
    assert provenance.code_version(["ionmotion.a"]) != va


def test_stale_results_are_recomputed_only_when_asked(tmp_path, monkeypatch):
    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    calls = []

    def f(n):
        calls.append(n)
        return {"y": [n]}

    cache.cached("s", "r", {"n": 1}, f)
    man = cache.manifest("s", "r")
    assert man["code_version"].startswith("ionmotion-")
    man["code_version"] = "ionmotion-older"
    (tmp_path / "data" / "s" / "r.json").write_text(__import__("json").dumps(man))
    cache.cached("s", "r", {"n": 1}, f)
    assert calls == [1]                       # by default a cache is reused
    monkeypatch.setenv(cache.STALE_ENV, "1")
    cache.cached("s", "r", {"n": 1}, f)
    assert calls == [1, 1]                    # made by other code: recomputed
    cache.cached("s", "r", {"n": 1}, f)
    assert calls == [1, 1]                    # now current


def test_a_readers_parameters_never_replace_the_books_cache(tmp_path, monkeypatch):
    from ionbook import checks
    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    calls = []

    def f(n):
        calls.append(n)
        return {"y": [n]}

    cache.cached("s", "r", {"n": 1}, f)
    book = (tmp_path / "data" / "s" / "r.json").read_text()
    monkeypatch.setenv(checks.CUSTOM_ENV, "1")
    assert cache.cached("s", "r", {"n": 2}, f)["y"][0] == 2
    assert cache.cached("s", "r", {"n": 1}, f)["y"][0] == 1      # the book's result is read
    assert calls == [1, 2]
    assert (tmp_path / "data" / "s" / "r.json").read_text() == book
    assert len(list((tmp_path / "build" / "custom-data" / "s").glob("r.*.json"))) == 1
    cache.cached("s", "r", {"n": 2}, f)
    assert calls == [1, 2]                                        # the reader's result is kept


def test_parameters_match_up_to_float_noise():
    assert cache.same_parameters({"x": 0.1 * 3, "n": [1.0, 2.0]}, {"x": 0.3, "n": [1.0, 2.0]})
    assert not cache.same_parameters({"x": 0.3001}, {"x": 0.3})
