"""The cooling diagnosis task (ionmotion.limits) and the rate-curve fits (ionmotion.ratecurves)."""
import numpy as np
import pytest

from ionmotion import limits as lm
from ionmotion import ratecurves as rc


def test_stiffness_scales_the_framework_as_stated():
    base, stiff = lm.scaled_lattice(1.0), lm.scaled_lattice(4.0)
    assert stiff.max_frequency == pytest.approx(2 * base.max_frequency, rel=1e-10)
    assert stiff.drag_matrix()[0, 0] == pytest.approx(base.drag_matrix()[0, 0] / 8, rel=1e-8)
    # the band-limited field admits blocks up to k·dt·Ω_max = 0.66
    assert lm.largest_stride(base, 5e-3) == 4
    assert lm.largest_stride(stiff, 5e-3) == 2
    assert lm.largest_stride(lm.scaled_lattice(0.25), 5e-3) == 4    # capped


def test_cooling_task_the_drag_signal_lives_above_the_band_the_velocity_below():
    """A short time-local run at 50 meV: the particle is colder than its framework sample, its
    velocity has almost no power above Ω_max, the force rate H·V a large share, and the binned
    spectra carry the same split."""
    out = lm.cooling_task(50.0, 4000.0, 0, 130.0, n_grid=10, skip=20.0)
    assert out["T_kin"] < 0.85 * out["T_modes"]
    assert out["frac_V"] < 0.05 and out["frac_HV"] > 0.2
    e = out["edges"]
    above = (e[:-1] + e[1:]) / 2 > out["omega_max"]
    share = out["S_HV"][above].sum() / out["S_HV"].sum()
    assert share == pytest.approx(out["frac_HV"], abs=0.1)   # bins stop at 4 Ω_max


def test_cooling_task_bad_input():
    with pytest.raises(ValueError, match="duration"):
        lm.cooling_task(50.0, 4000.0, 0, 30.0)
    with pytest.raises(ValueError, match="stiffness"):
        lm.cooling_task(50.0, 4000.0, 0, 300.0, stiffness=-1)


def test_curvature_fit_known_answers():
    kT = np.array([10.0, 15.0, 20.0, 30.0, 40.0, 50.0])
    x = 1 / kT
    straight = 8.0 * np.exp(-40.0 * x)
    f = rc.curvature_fit(kT, straight, 0.01 * straight)
    assert f["c2"] == pytest.approx(0.0, abs=1e-6) and not f["curved"]
    assert f["E_cold"] == pytest.approx(40.0, rel=1e-8) and f["E_hot"] == pytest.approx(40.0)
    bent = np.exp(2.0 - 40.0 * x + 300.0 * x * x)
    g = rc.curvature_fit(kT, bent, 0.01 * bent)
    assert g["c2"] == pytest.approx(300.0, rel=1e-8) and g["curved"]
    assert g["E_cold"] == pytest.approx(40.0 - 600.0 / 10.0)
    # noise of the size of the error bars: the interval covers the truth
    rng = np.random.default_rng(1)
    noisy = straight * np.exp(0.05 * rng.standard_normal(len(kT)))
    h = rc.curvature_fit(kT, noisy, 0.05 * noisy)
    assert h["c2_ci"][0] < 0 < h["c2_ci"][1]


def test_peak_fit_known_answers():
    s = np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
    D = np.exp(1.0 - 0.5 * (np.log(s) - np.log(1.5)) ** 2)
    p = rc.peak_fit(s, D, 0.01 * D)
    assert p["peak"] and p["s_peak"] == pytest.approx(1.5, rel=1e-8)
    assert p["D_peak"] == pytest.approx(np.e, rel=1e-8)
    mono = rc.peak_fit(s, s ** 0.7, 0.01 * s ** 0.7)
    assert not mono["peak"] and np.isnan(mono["s_peak"])
    edge = rc.peak_fit(s, np.exp(-(np.log(s) - np.log(20.0)) ** 2), np.full(6, 1e-3))
    assert not edge["peak"]                      # vertex outside the sampled range


@pytest.mark.parametrize("call, match", [
    (lambda: rc.curvature_fit([10, 20, 30], [1, 2, 3], [0.1] * 3), "four"),
    (lambda: rc.curvature_fit([10, 20, 30, 40], [1, -2, 3, 4], [0.1] * 4), "> 0"),
    (lambda: rc.curvature_fit([10, 20, 30, 40], [1, 2, 3], [0.1] * 3), "same length"),
    (lambda: rc.peak_fit([-1, 1, 2, 3], [1, 2, 3, 4], [0.1] * 4), "s must"),
    (lambda: rc.peak_fit([1, 1, 1, 1], [1, 2, 3, 4], [0.1] * 4), "four distinct"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
