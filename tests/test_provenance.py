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
    (fake_pkg / "d.py").write_text("import numpy\nx = 1\n")
    provenance._hash.cache_clear()
    assert provenance.code_version(["ionmotion.a"]) == va
    assert provenance.code_version(["ionmotion.d"]) != vd
    (fake_pkg / "c.py").write_text("g = 2\n")
    provenance._hash.cache_clear()
    assert provenance.code_version(["ionmotion.a"]) != va


def test_documentation_changes_leave_the_version(fake_pkg):
    """Docstrings, comments and layout are not code: editing them keeps cached results current;
    a changed constant, even inside a string that is not a docstring, does not."""
    v = provenance.code_version(["ionmotion.c"])
    (fake_pkg / "c.py").write_text('"""Module doc."""\n\ng = 1   # the constant\n\n\n'
                                   'def h():\n    """Doc."""\n    return g\n')
    provenance._hash.cache_clear()
    v_doc = provenance.code_version(["ionmotion.c"])
    (fake_pkg / "c.py").write_text('"""Other doc."""\ng = 1\ndef h():\n    return g\n')
    provenance._hash.cache_clear()
    assert provenance.code_version(["ionmotion.c"]) == v_doc != v
    (fake_pkg / "c.py").write_text('"""Other doc."""\ng = 1\ndef h():\n    return "g"\n')
    provenance._hash.cache_clear()
    assert provenance.code_version(["ionmotion.c"]) != v_doc


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


def test_unversioned_caches_are_verified_by_a_rerun(tmp_path, monkeypatch):
    """With IONBOOK_VERIFY_CACHE set, a cached result that records no code version is recomputed:
    when the current code gives the same arrays (timings aside) the manifest is stamped with the
    current version; when it does not, the manifest stays unversioned and the mismatch is logged."""
    import json
    import numpy as np

    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    calls = []

    def f(n):
        calls.append(n)
        return {"y": np.arange(n) * 0.5, "wall": np.array(float(len(calls)))}

    for n in (3, 4):
        cache.cached("demo", f"r{n}", {"n": n}, f)
        man = tmp_path / "data" / "demo" / f"r{n}.json"
        m = json.loads(man.read_text())
        del m["code_version"]
        man.write_text(json.dumps(m))
    z = tmp_path / "data" / "demo" / "r4.npz"
    np.savez_compressed(z, y=np.arange(4) * 0.5 + 1e-6, wall=np.array(0.0))   # "old code"
    monkeypatch.setenv(cache.VERIFY_ENV, "60")
    calls.clear()
    a = cache.cached("demo", "r3", {"n": 3}, f)
    b = cache.cached("demo", "r4", {"n": 4}, f)
    assert calls == [3, 4]                          # both re-run, the stored arrays returned
    assert np.allclose(b["y"], np.arange(4) * 0.5 + 1e-6) and a["y"].size == 3
    m3 = json.loads((tmp_path / "data" / "demo" / "r3.json").read_text())
    m4 = json.loads((tmp_path / "data" / "demo" / "r4.json").read_text())
    assert m3["code_version"].startswith("ionmotion-") and m3["verified"]["max_rel_diff"] == 0.0
    assert "code_version" not in m4
    log = [json.loads(x) for x in (tmp_path / "build" / "verify-caches.jsonl").read_text().split("\n") if x]
    assert [r["agree"] for r in log] == [True, False]
    calls.clear()
    cache.cached("demo", "r3", {"n": 3}, f)         # now current: not re-run again
    assert calls == []
    monkeypatch.setenv(cache.VERIFY_ENV, "-1")       # a budget below any recorded wall time
    cache.cached("demo", "r4", {"n": 4}, f)
    assert calls == []


def test_a_sweep_verifies_its_unversioned_tasks(tmp_path, monkeypatch):
    """The same verification for cached sweep tasks (run through the sweep's scheduler)."""
    import json
    import numpy as np
    from ionbook import sweep

    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    calls = []

    def f(n):
        calls.append(n)
        return {"y": np.linspace(0, 1, n)}

    tasks = [{"n": 2}, {"n": 5}]
    sweep.run_sweep(f, tasks, slug="demo", name="s", scheduler="synchronous", progress=False)
    mans = sorted((tmp_path / "data" / "demo" / "s").glob("*.json"))
    for man in mans:
        m = json.loads(man.read_text())
        del m["code_version"]
        man.write_text(json.dumps(m))
    monkeypatch.setenv(cache.VERIFY_ENV, "60")
    calls.clear()
    out = sweep.run_sweep(f, tasks, slug="demo", name="s", scheduler="synchronous", progress=False)
    assert sorted(calls) == [2, 5] and [r["y"].size for r in out] == [2, 5]
    assert all("verified" in json.loads(m.read_text()) for m in mans)
    calls.clear()
    sweep.run_sweep(f, tasks, slug="demo", name="s", scheduler="synchronous", progress=False)
    assert calls == []
