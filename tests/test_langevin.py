"""Tests of ionmotion.langevin: kernels vs NumPy references, Gibbs/Boltzmann equilibrium,
equipartition, the noise-induced drift of the overdamped limit, Einstein and Lifson–Jackson.

Statistical tests use independent walkers; the standard error (SE) is computed from the spread
across walkers, and the tolerance is 5 SE (plus, where stated, the integrator's known bias).
"""
import numpy as np
import pytest

from ionmotion import langevin as lg
from ionmotion import mobility as mb

LX = 1.0
K = 2 * np.pi / LX


def _field(A=1.2, g0=1.0, eps=0.8, n=128):
    return lg.layered_field(n, LX, lambda x: g0 * (1 + eps * np.sin(K * x)),
                            U_of_x=lambda x: A * np.cos(K * x),
                            dU_of_x=lambda x: -A * K * np.sin(K * x))


def _walker_histograms(x, bins):
    """Per-walker normalised histograms of x (ns, nw) → (nw, bins)."""
    nw = x.shape[1]
    h = np.stack([np.histogram(x[:, w] % LX, bins=bins, range=(0, LX), density=True)[0]
                  for w in range(nw)])
    return h


def _bin_average(f, bins, sub=50):
    xs = (np.arange(bins * sub) + 0.5) * LX / (bins * sub)
    return f(xs).reshape(bins, sub).mean(axis=1)


def test_underdamped_kernel_matches_numpy_reference():
    fld = lg.LangevinField(np.array([[1.0, 0, 0], [0.2, 1.1, 0], [0.1, 0.3, 0.9]]),
                           force=np.random.default_rng(0).normal(size=(6, 5, 4, 3)),
                           gamma=np.einsum("...ij,...kj->...ik", *(2 * [np.random.default_rng(1)
                                           .normal(size=(6, 5, 4, 3, 3))])))
    rng = np.random.default_rng(2)
    r0 = rng.random((4, 3))
    v0 = rng.normal(size=(4, 3))
    xi = rng.normal(size=(300, 4, 3))
    r, v = r0.copy(), v0.copy()
    out = np.zeros((300, 4, 3))
    lg._underdamped_kernel((r, v), (fld.force, np.ascontiguousarray(lg._pack(fld.gamma))),
                           (fld.origin, np.linalg.inv(fld.cell)),
                           (0.7, 2.0, np.array([0.3, 0, -1.0]), 0.01, 1), xi,
                           (out, out.copy(), 0))
    rr, vv = lg.underdamped_reference(fld, r0, v0, 0.7, 2.0, np.array([0.3, 0, -1.0]), 0.01, xi)
    assert np.allclose(r, rr, atol=1e-10) and np.allclose(v, vv, atol=1e-10)


def test_overdamped_kernel_matches_numpy_reference():
    fld = _field()
    rng = np.random.default_rng(5)
    r0 = rng.random((3, 3))
    xi = rng.normal(size=(400, 3, 3))
    D6, S6, div = fld.overdamped_tables()
    for induced in (True, False):
        r = r0.copy()
        out = np.zeros((400, 3, 3))
        lg._overdamped_kernel(r, (fld.force, D6, S6, div), (fld.origin, np.linalg.inv(fld.cell)),
                              (1.0, np.array([0.5, 0.2, 0]), 1e-3, 1, induced), xi, (out, 0))
        rr = lg.overdamped_reference(fld, r0, 1.0, np.array([0.5, 0.2, 0]), 1e-3, xi,
                                     noise_induced_drift=induced)
        assert np.allclose(r, rr, atol=1e-10)


def test_underdamped_zero_temperature_is_deterministic_relaxation():
    # no potential, constant γ, no noise: v(t) = v0 e^{−γt/M} exactly (the O step is exact)
    fld = lg.layered_field(8, 1.0, lambda x: 0 * x + 2.0)
    tr = lg.run_underdamped(fld, 0.5, 0.0, r0=[0, 0, 0], v0=[1.0, -2.0, 0.5], dt=0.01,
                            n_steps=100, noise=False)
    assert np.allclose(tr.v[-1], np.array([1.0, -2.0, 0.5]) * np.exp(-2.0 * 1.0 / 0.5), rtol=1e-12)


def test_underdamped_boltzmann_and_equipartition():
    # strongly varying γ(x): the Gibbs density must not depend on it
    kT, M = 1.0, 1.0
    fld = _field(A=1.2, g0=2.0, eps=0.9)
    tr = lg.run_underdamped(fld, M, kT, r0=[0, 0, 0], n_walkers=64, dt=0.01, n_steps=24000,
                            stride=10, rng=np.random.default_rng(11))
    burn = 200
    bins = 16
    h = _walker_histograms(tr.r[burn:, :, 0], bins)
    mean, se = h.mean(0), h.std(0, ddof=1) / np.sqrt(h.shape[0])
    p = _bin_average(lambda x: np.exp(-1.2 * np.cos(K * x) / kT), bins)
    p /= p.mean() * LX
    assert np.all(np.abs(mean - p) < 5 * se + 0.01 * p), np.max(np.abs(mean - p) / se)
    ke = M * (tr.v[burn:] ** 2).mean(axis=0)  # (nw, 3) per-walker ⟨M v_i²⟩
    m, s = ke.mean(0), ke.std(0, ddof=1) / np.sqrt(ke.shape[0])
    assert np.all(np.abs(m - kT) < 5 * s + 0.005 * kT), (m, s)


@pytest.mark.parametrize("induced", [True, False])
def test_overdamped_stationary_density(induced):
    # Itô with k_BT∇·γ⁻¹: e^{−U/kT}; plain Itô (no induced drift): γ(x) e^{−U/kT} instead.
    kT = 1.0
    g = lambda x: 1 + 0.8 * np.sin(K * x)
    fld = _field(A=1.2, g0=1.0, eps=0.8)
    tr = lg.run_overdamped(fld, kT, r0=[0, 0, 0], n_walkers=48, dt=2e-5, n_steps=30000,
                           stride=10, rng=np.random.default_rng(7), noise_induced_drift=induced)
    bins = 16
    h = _walker_histograms(tr.r[300:, :, 0], bins)
    mean, se = h.mean(0), h.std(0, ddof=1) / np.sqrt(h.shape[0])
    boltz = lambda x: np.exp(-1.2 * np.cos(K * x) / kT)
    p_true = _bin_average(boltz, bins)
    p_true /= p_true.mean() * LX
    p_ito = _bin_average(lambda x: g(x) * boltz(x), bins)
    p_ito /= p_ito.mean() * LX
    expected, other = (p_true, p_ito) if induced else (p_ito, p_true)
    # Euler–Maruyama is weakly first order: allow 2 % bias besides 5 SE
    assert np.all(np.abs(mean - expected) < 5 * se + 0.02 * expected)
    assert np.max(np.abs(mean - other) / (se + 0.02 * other)) > 5


def _segment_diffusion(tr, skip=1):
    """D per axis from squared increments over consecutive samples (segments of length
    T = stride·dt) after `skip` burn-in segments: mean and SE over all walkers and segments.
    In a periodic landscape E[Δx²] = 2DT + O(L²) in a stationary start, so T ≫ L²/D; the tests
    allow 3 % for that."""
    r = np.concatenate([tr.r0[None], tr.r])[skip:]
    T = tr.t[1] - tr.t[0]
    est = (np.diff(r, axis=0) ** 2 / (2 * T)).reshape(-1, 3)
    return est.mean(0), est.std(0, ddof=1) / np.sqrt(len(est))


def test_overdamped_einstein_layered_friction():
    # U = 0, γ = γ(x) I: D_xx = kT/⟨γ⟩ (series), D_yy = kT⟨1/γ⟩ (parallel) — the latter is
    # rodin2022 Eq. (47)'s average, the former is not.
    kT = 1.0
    g = lambda x: 1 + 0.8 * np.sin(K * x)
    fld = lg.layered_field(128, LX, g)
    tr = lg.run_overdamped(fld, kT, r0=[0, 0, 0], n_walkers=200, dt=2.5e-4, n_steps=40000,
                           stride=8000, rng=np.random.default_rng(3))
    x = np.arange(4096) / 4096 * LX
    D_series = kT / g(x).mean()
    D_parallel = kT * (1 / g(x)).mean()
    m, s = _segment_diffusion(tr)
    assert abs(m[0] - D_series) < 5 * s[0] + 0.03 * D_series, (m[0], D_series, s[0])
    assert abs(m[1] - D_parallel) < 5 * s[1] + 0.03 * D_parallel, (m[1], D_parallel, s[1])
    assert abs(D_parallel - D_series) > 5 * max(s[0], s[1])  # the test can tell them apart


def test_overdamped_lifson_jackson_diffusion():
    kT, A = 1.0, 1.2
    g = lambda x: 1 + 0.8 * np.sin(K * x)
    fld = _field(A=A, g0=1.0, eps=0.8)
    tr = lg.run_overdamped(fld, kT, r0=[0, 0, 0], n_walkers=200, dt=2.5e-4, n_steps=40000,
                           stride=8000, rng=np.random.default_rng(9))
    x = np.arange(4096) / 4096 * LX
    D_lj = kT * mb.lifson_jackson_mobility_1d(A * np.cos(K * x), g(x), kT)
    m, s = _segment_diffusion(tr)
    assert abs(m[0] - D_lj) < 5 * s[0] + 0.03 * D_lj, (m[0], D_lj, s[0])
    assert abs(m[0] - kT / g(x).mean()) > 5 * s[0]  # the barrier matters


def test_underdamped_drift_and_einstein_constant_friction():
    kT, M, gam, F = 1.0, 1.0, 4.0, 2.0
    fld = lg.layered_field(8, 1.0, lambda x: 0 * x + gam)
    tr = lg.run_underdamped(fld, M, kT, F=[F, 0, 0], r0=[0, 0, 0], n_walkers=200, dt=0.01,
                            n_steps=4000, stride=2000, rng=np.random.default_rng(4))
    v = (tr.r[1] - tr.r[0]) / (tr.t[1] - tr.t[0])
    m, s = v.mean(0), v.std(0, ddof=1) / np.sqrt(len(v))
    assert abs(m[0] - F / gam) < 5 * s[0]
    dy = tr.r[1, :, 1] - tr.r[0, :, 1]
    D = (dy**2).mean() / (2 * (tr.t[1] - tr.t[0]))
    se = (dy**2).std(ddof=1) / np.sqrt(len(dy)) / (2 * (tr.t[1] - tr.t[0]))
    # the free-particle MSD over an interval T after equilibration: 2D(T − (M/γ)(1 − e^{−γT/M}))
    T = tr.t[1] - tr.t[0]
    D_eff = kT / gam * (1 - M / gam / T * (1 - np.exp(-gam * T / M)))
    assert abs(D - D_eff) < 5 * se


def test_bad_input():
    fld = _field()
    with pytest.raises(ValueError, match="T must be > 0"):
        lg.run_underdamped(fld, 1.0, 0.0, r0=[0, 0, 0], dt=0.01, n_steps=10)
    with pytest.raises(ValueError, match="kT"):
        lg.run_overdamped(fld, -1.0, r0=[0, 0, 0], dt=0.01, n_steps=10)
    with pytest.raises(ValueError, match="dt"):
        lg.run_underdamped(fld, 1.0, 1.0, r0=[0, 0, 0], dt=0.0, n_steps=10)
    sing = lg.layered_field(8, 1.0, lambda x: np.sin(2 * np.pi * x) ** 2)
    with pytest.raises(ValueError, match="singular"):
        lg.run_overdamped(sing, 1.0, r0=[0, 0, 0], dt=0.01, n_steps=10)
    bad = np.zeros((4, 4, 4, 3, 3))
    bad[..., 0, 0] = -1.0
    with pytest.raises(ValueError, match="positive semi-definite"):
        lg.LangevinField(np.eye(3), np.zeros((4, 4, 4, 3)), bad)
    with pytest.raises(ValueError, match="cell"):
        lg.LangevinField(np.zeros((3, 3)), np.zeros((4, 4, 4, 3)), np.zeros((4, 4, 4, 3, 3)))
