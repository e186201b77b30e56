"""Checks record, cache with manifests, sweep runner (in-process and on a dask LocalCluster)."""
import json

import numpy as np
import pytest

from ionbook import cache, checks, sweep
from ionmotion.units import DA_PER_MASS_UNIT, HBAR, KB, MOBILITY_CM2_PER_VS, thermal_frequency


@pytest.fixture()
def root(tmp_path, monkeypatch):
    (tmp_path / "_toc.yml").write_text("format: jb-book\n")
    monkeypatch.setenv("IONMOTION_ROOT", str(tmp_path))
    return tmp_path


def test_units():
    np.testing.assert_allclose(DA_PER_MASS_UNIT, 9.6485, rtol=1e-4)
    assert HBAR == 0.6582119569 and KB == 0.08617333262
    np.testing.assert_allclose(thermal_frequency(300.0) * HBAR, KB * 300.0)
    assert MOBILITY_CM2_PER_VS == pytest.approx(1.0)
    from ionmotion import units
    np.testing.assert_allclose(units.mass_to_dalton(units.mass_from_dalton(7.0)), 7.0)
    for f, bad in ((units.kelvin_to_mev, -5.0), (units.thermal_frequency, 0.0),
                   (units.mass_from_dalton, np.nan)):
        with pytest.raises(ValueError):
            f(bad)


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


def test_custom_parameters_never_touch_the_record_and_do_not_raise(root, monkeypatch, capsys):
    monkeypatch.setenv(checks.CUSTOM_ENV, "1")
    checks.check("x", book=2.0, paper=1.0, rtol=0.01, chapter="c", quality="paper")
    assert "At your parameters" in capsys.readouterr().out
    assert (root / "build" / "checks" / "custom" / "c.paper.json").exists()
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
