"""Checks record, cache with manifests, sweep runner (in-process and on a dask LocalCluster)."""
import json

import numpy as np
import pytest

from ionbook import cache, checks, sweep
from ionmotion.units import DA_PER_MASS_UNIT, HBAR, KB, thermal_frequency


@pytest.fixture()
def root(tmp_path, monkeypatch):
    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    return tmp_path


def test_units_follow_from_the_si_constants():
    """The meV–Å–ps constants derived independently from CODATA SI values (scipy.constants)."""
    from scipy import constants as c
    meV = 1e-3 * c.e
    np.testing.assert_allclose(HBAR, c.hbar / meV / 1e-12, rtol=1e-9)        # meV·ps
    np.testing.assert_allclose(KB, c.k / meV, rtol=1e-9)                      # meV/K
    # the dalton moved by 1.4e-9 between CODATA 2018 (units.py) and 2022 (recent scipy)
    np.testing.assert_allclose(DA_PER_MASS_UNIT, meV * 1e-24 / 1e-20 / c.atomic_mass, rtol=1e-8)
    from ionmotion import units
    np.testing.assert_allclose(units.KB_EV, c.k / c.e, rtol=1e-9)
    # a 300 K phonon: ħΩ_T = k_B T; a 7 Da ion in the book's mass unit and back
    np.testing.assert_allclose(thermal_frequency(300.0) * HBAR, KB * 300.0, rtol=1e-14)
    np.testing.assert_allclose(units.mass_from_dalton(7.0) * DA_PER_MASS_UNIT, 7.0, rtol=1e-14)
    np.testing.assert_allclose(units.mass_to_dalton(units.mass_from_dalton(7.0)), 7.0)
    assert units.speed_to_m_per_s(3.0) == pytest.approx(300.0)
    for f, bad in ((units.kelvin_to_mev, -5.0), (units.thermal_frequency, 0.0),
                   (units.mass_from_dalton, np.nan)):
        with pytest.raises(ValueError):
            f(bad)


def test_data_folder_outside_the_book_is_the_user_cache(tmp_path, monkeypatch):
    """From a folder outside any book, results go to $XDG_CACHE_HOME/ionmotion (or to
    $IONMOTION_DATA), never into the book's data/."""
    from ionbook import paths
    book_data = paths.repo_root() / "data"
    before = set(book_data.glob("*")) if book_data.exists() else set()
    work = tmp_path / "my-project"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("IONMOTION_ROOT", raising=False)
    monkeypatch.delenv("IONMOTION_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert paths.data_root() == (tmp_path / "cache" / "ionmotion").resolve()
    tasks = [{"x": 2.0, "seed": 0}]
    out = sweep.run_sweep(_square, tasks, slug="mine", name="sq", scheduler="synchronous",
                          progress=False)
    assert float(out[0]["y"][0]) == 4.0
    assert len(list((tmp_path / "cache" / "ionmotion" / "mine" / "sq").glob("*.npz"))) == 1
    after = set(book_data.glob("*")) if book_data.exists() else set()
    assert after == before
    monkeypatch.setenv("IONMOTION_DATA", str(tmp_path / "explicit"))
    cache.cached("mine", "res", {"n": 2}, lambda n: {"y": np.arange(n)})
    assert (tmp_path / "explicit" / "mine" / "res.npz").is_file()
    with pytest.raises(ValueError, match="slug"):
        paths.data_dir("../escape")


def test_data_folder_inside_a_book_is_its_data(tmp_path, monkeypatch):
    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.delenv("IONMOTION_ROOT", raising=False)
    monkeypatch.delenv("IONMOTION_DATA", raising=False)
    from ionbook import paths
    assert paths.data_dir("chapter") == (tmp_path / "data" / "chapter").resolve()


def test_check_records_and_raises(root):
    checks.check("x", book=1.01, paper=1.0, rtol=0.02, chapter="c", quality="draft")
    with pytest.raises(checks.ReproductionError):
        checks.check("y", book=1.5, paper=1.0, rtol=0.02, chapter="c", quality="draft")
    with pytest.raises(checks.ReproductionError):
        checks.check("z", book=np.nan, paper=1.0, atol=1.0, chapter="c", quality="draft")
    recs = json.loads((root / "build" / "checks" / "c.draft.json").read_text())
    assert [(r["quantity"], r["passed"]) for r in recs] == [("x", True), ("y", False), ("z", False)]
    assert not (root / "data" / "checks").exists()   # a run never writes the book's record
    with pytest.raises(ValueError):
        checks.check("w", book=1.0, paper=1.0, chapter="c")


def test_check_verdicts_are_validated_and_reported(root):
    with pytest.raises(ValueError, match="verdict"):
        checks.check("a", book=1.0, paper=1.0, rtol=0.1, chapter="c", verdict="fine")
    with pytest.raises(ValueError, match="errata"):
        checks.check("a", book=1.0, paper=2.0, rtol=0.1, chapter="c", verdict="disagrees",
                     source="p Eq. (1)")
    with pytest.raises(ValueError, match="source"):
        checks.check("a", book=1.0, paper=1.0, rtol=0.1, chapter="c", verdict="agrees")
    checks.report()
    checks.check("a", book=1.0, paper=1.05, rtol=0.1, chapter="c", verdict="agrees",
                 source="p Eq. (1)")
    checks.check("b", book=0.0, passed=True, chapter="c", verdict="internal", note="n")
    r = checks.report("Sec. 1")
    assert "2 checks pass (1 agrees, 1 internal)" in repr(r) and "<details" in r._repr_html_()
    assert checks.report() is None


def test_custom_parameters_never_touch_the_record(root, monkeypatch):
    monkeypatch.setenv(checks.CUSTOM_ENV, "1")
    # at a reader's parameters a failed check is recorded, not raised: the run goes on
    assert checks.check("x", book=2.0, paper=1.0, rtol=0.01, chapter="c", quality="paper") == 2.0
    assert (root / "build" / "checks" / "custom" / "c.paper.json").exists()
    assert [r["quantity"] for r in checks.custom_failures("c", root)] == ["x"]
    monkeypatch.delenv(checks.CUSTOM_ENV)
    with pytest.raises(checks.ReproductionError, match="book 2.0 vs paper 1.0"):
        checks.check("x", book=2.0, paper=1.0, rtol=0.01, chapter="c", quality="paper")
    monkeypatch.setenv(checks.CUSTOM_ENV, "1")
    assert not checks.promote("c", root)
    assert not checks.book_record_path("c", root).exists()


def test_promote_rewrites_only_real_changes(root):
    checks.check("x", book=1.0 / 3.0, paper=0.3333, rtol=1e-3, chapter="p", quality="paper")
    assert checks.promote("p", root)
    dst = checks.book_record_path("p", root)
    before = dst.read_text()
    checks._seen.clear()   # a new run of the chapter, with last-digit float noise
    checks.check("x", book=1.0 / 3.0 * (1 + 1e-14), paper=0.3333, rtol=1e-3, chapter="p",
                 quality="paper")
    assert not checks.promote("p", root) and dst.read_text() == before
    checks._seen.clear()   # a real change is promoted
    checks.check("x", book=0.3334, paper=0.3333, rtol=1e-3, chapter="p", quality="paper")
    assert checks.promote("p", root) and dst.read_text() != before
    assert json.loads(dst.read_text())[0]["code_version"].startswith("ionmotion-")


def test_same_records_ignore_noise_below_the_tolerance_and_nothing_else():
    """A residual of float noise (3.3e-19 against 3.1e-19, atol 2.1e-17) is the same result; a
    change of a hundredth of atol or more is not, nor another code version; volatile records
    compare by outcome only, their sample-derived tolerance included."""
    rec = dict(quantity="r", book=3.3e-19, paper=0.0, atol=2.1e-17, rtol=None, passed=True,
               code_version="ionmotion-a")
    assert checks.same_records([rec], [dict(rec, book=3.1e-19)])
    assert not checks.same_records([rec], [dict(rec, book=6e-19)])
    assert not checks.same_records([rec], [dict(rec, code_version="ionmotion-b")])
    assert not checks.same_records([rec], [dict(rec, passed=False)])
    arr = dict(rec, book=[1.000703008865996, 2.0], atol=None, rtol=1e-3)
    assert checks.same_records([arr], [dict(arr, book=[1.0007030088659954, 2.0])])
    assert not checks.same_records([arr], [dict(arr, book=[1.0007031, 2.0])])
    assert not checks.same_records([arr], [dict(arr, book=[1.000703008865996])])
    vol = dict(rec, volatile=True, book=1.0015, rtol=0.0263, note="spread 0.0088")
    assert checks.same_records([vol], [dict(vol, book=1.0016, rtol=0.0262, note="spread 0.0087")])
    assert not checks.same_records([vol], [dict(vol, passed=False)])


def test_cache_used_only_when_parameters_match(root):
    calls = []

    def f(n, scale):
        calls.append(n)
        return {"y": scale * np.arange(n)}

    a = cache.cached("slug", "res", {"n": 3, "scale": 2.0}, f, seed=1)
    b = cache.cached("slug", "res", {"n": 3, "scale": 2.0}, f, seed=1)
    np.testing.assert_array_equal(a["y"], b["y"])
    assert calls == [3]
    cache.cached("slug", "res", {"n": 4, "scale": 2.0}, f)
    assert calls == [3, 4]
    man = cache.manifest("slug", "res")
    assert man["parameters"] == {"n": 4, "scale": 2.0} and man["wall_time_s"] is not None
    assert "package_version" in man


def _square(x, seed):
    rng = np.random.default_rng(seed)
    return {"y": np.array([x * x]), "noise": rng.normal(size=2)}


@pytest.mark.parametrize("scheduler", ["synchronous", "local"])
def test_sweep_runs_caches_and_resumes(root, scheduler):
    tasks = [{"x": float(x), "seed": i} for i, x in enumerate([1, 2, 3])]
    out = sweep.run_sweep(_square, tasks, slug="s", name="sq", scheduler=scheduler,
                          progress=False, n_workers=1)
    assert [float(r["y"][0]) for r in out] == [1.0, 4.0, 9.0]
    # a resumed sweep with one extra task computes only the new one
    files = sorted((root / "data" / "s" / "sq").glob("*.npz"))
    mtimes = {p: p.stat().st_mtime_ns for p in files}
    out2 = sweep.run_sweep(_square, tasks + [{"x": 4.0, "seed": 3}], slug="s", name="sq",
                           scheduler="synchronous", progress=False)
    assert float(out2[-1]["y"][0]) == 16.0
    assert all(p.stat().st_mtime_ns == mtimes[p] for p in files)
    np.testing.assert_array_equal(out2[0]["noise"], out[0]["noise"])   # seeded, reproducible
    assert len(sweep.sweep_manifests("s", "sq")) == 4


def test_cached_sweeps_are_loaded_and_chosen_by_preference(root):
    """load_sweep never computes; run_or_load computes only when asked; longest_available takes
    each parameter set from the first source that has it."""
    tasks = [{"x": float(x), "seed": s} for x in (1, 2) for s in (0, 1)]
    assert sweep.load_sweep("s", "long", tasks) == [None] * 4
    assert sweep.run_or_load(_square, tasks, slug="s", name="long", compute=False) == [None] * 4
    assert not list((root / "data" / "s").rglob("*.npz"))
    long = sweep.run_or_load(_square, tasks[:2], slug="s", name="long", compute=True,
                             scheduler="synchronous")
    short = sweep.run_or_load(_square, tasks, slug="s", name="short", compute=True,
                              scheduler="synchronous")
    loaded = sweep.load_sweep("s", "long", tasks)
    assert [r is not None for r in loaded] == [True, True, False, False]
    np.testing.assert_array_equal(loaded[1]["noise"], long[1]["noise"])
    by_x = lambda p: p["x"]  # noqa: E731
    best = sweep.longest_available([(loaded, tasks, "long"), (short, tasks, "short")], by_x)
    assert {k: (v["label"], len(v["runs"])) for k, v in best.items()} == {
        1.0: ("long", 2), 2.0: ("short", 2)}
    assert best[2.0]["params"] == tasks[2:]
    assert sweep.coverage(loaded, tasks, by_x) == (2, 4, 2, "0/2")
    text = sweep.summarize_runs(best, lambda k: f"x={k:g}")
    assert text == "2 × long for x=1; 2 × short for x=2"
    with pytest.raises(ValueError, match="sources"):
        sweep.longest_available([(loaded[:1], tasks, "long")], by_x)


def test_prose_numbers_are_plain_floats(monkeypatch):
    from ionbook import prose
    import myst_nb
    got = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, v, display: got.update({name: v}))
    assert prose.put("a", np.float64(0.25)) is None        # nothing shown as a cell's value
    assert type(got["a"]) is float and got["a"] == 0.25
    for name, value in (("", 1.0), ("b", "x"), ("c", None)):
        with pytest.raises(ValueError):
            prose.put(name, value)
    assert prose.aligned("a &= 1", "b &= 2") == r"\begin{aligned}a &= 1\\b &= 2\end{aligned}"
    with pytest.raises(ValueError, match="lines"):
        prose.aligned()


def test_front_door_names_resolve_and_import_stays_light():
    """Every name in ionmotion.__all__ resolves; importing the package loads neither numba nor
    the book pipeline."""
    import subprocess
    import sys
    code = ("import sys, ionmotion as im; assert 'numba' not in sys.modules; "
            "assert not any(m.startswith('ionbook') for m in sys.modules); "
            "[getattr(im, n) for n in im.__all__]; print(len(im.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 20


def test_own_lattice_page_code_runs(tmp_path, monkeypatch):
    """The code blocks of book/own-lattice.md run in order, as a reader would paste them."""
    import re
    from pathlib import Path
    page = (Path(__file__).resolve().parents[1] / "book" / "own-lattice.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    ns = {}
    for b in blocks:
        exec(compile(b, "own-lattice.md", "exec"), ns)
    assert ns["L"].shape == (3, 3) and ns["E"][-1] - ns["E"].min() < 0.05 * (ns["E"][0]
                                                                            - ns["E"].min())


def test_api_page_is_generated_from_the_current_docstrings():
    """book/api.md equals what `python -m ionbook.apidoc` writes now (regenerate it after
    changing a docstring), and it lists every name of ionmotion.__all__ that is a function or
    class."""
    import inspect
    from pathlib import Path
    import ionmotion as im
    from ionbook import apidoc
    text = apidoc.render()
    committed = (Path(__file__).resolve().parents[1] / "book" / "api.md").read_text()
    assert committed == text, "book/api.md is stale: run python -m ionbook.apidoc"
    for n in im.__all__:
        obj = getattr(im, n)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert f"`{n}(" in text, n


NUMPYDOC_MODULES = ("lattice", "potentials", "dissipation", "validation", "kmc", "units",
                    "papers.constants", "papers.rodin2022", "papers.rodin2024", "papers.rodin2025",
                    "papers.hu2026")


@pytest.mark.parametrize("name", NUMPYDOC_MODULES)
def test_public_functions_have_numpydoc_docstrings(name):
    """Every public function, class and method of these modules has a one-line summary and, if
    it takes arguments, a numpydoc Parameters section (the API page is built from them)."""
    import importlib
    import inspect
    from ionbook.apidoc import _public
    mod = importlib.import_module(f"ionmotion.{name}")
    bad = []
    for n, obj in _public(mod):
        items = [(n, obj)]
        if inspect.isclass(obj):
            items += [(f"{n}.{m}", f) for m, f in vars(obj).items()
                      if inspect.isfunction(f) and not m.startswith("_")]
        for q, f in items:
            if not (inspect.isfunction(f) or inspect.isclass(f)):
                continue
            doc = inspect.getdoc(f) or ""
            params = [p for p in inspect.signature(f).parameters if p != "self"]
            sections = ("Parameters\n----------", "Attributes\n----------")
            if not doc.strip() or (params and not any(x in doc for x in sections)):
                bad.append(q)
    assert not bad, f"missing numpydoc docstrings in ionmotion.{name}: {bad}"
