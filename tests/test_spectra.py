"""The framework's frequency-resolved drag: sum rules, the zero-frequency limit that is rodin2025's
𝓛, cubic symmetry, and the fluctuation–dissipation balance with the thermal modes that
rodin2025 Eq. (23) samples."""
import numpy as np
import pytest

from ionmotion import spectra as sp, thermal as th
from ionmotion.papers import rodin2025 as r25
from ionmotion.units import HBAR

LAT = r25.paper_lattice()
OM = LAT.max_frequency


def _integral(spec, edges):
    """(2/π) ∫ 𝓛(ω) dω over the bins."""
    return 2 / np.pi * np.einsum("...bij,b->...ij", spec, np.diff(edges))


@pytest.mark.parametrize("sep", [(0, 0, 0), (1, 0, 0), (1, 1, 0), (2, 1, 1)])
def test_the_spectrum_integrates_to_the_static_response(sep):
    edges = np.linspace(0, 1.001 * OM, 37)
    spec = sp.drag_spectrum(LAT, [sep], edges, n_grid=8)[0]
    W = LAT.static_response(sep, n_grid=8)
    np.testing.assert_allclose(_integral(spec, edges), W, rtol=1e-10, atol=1e-14 * abs(W).max())


def test_modes_above_the_last_edge_are_left_out():
    full = np.linspace(0, 1.001 * OM, 21)
    spec = sp.drag_spectrum(LAT, [(0, 0, 0)], full[:11], n_grid=8)[0]
    whole = sp.drag_spectrum(LAT, [(0, 0, 0)], full, n_grid=8)[0]
    np.testing.assert_allclose(spec, whole[:10], rtol=1e-12)
    assert _integral(spec, full[:11])[0, 0] < LAT.static_response((0, 0, 0), n_grid=8)[0, 0]


def test_zero_frequency_limit_is_rodin2025_drag():
    """Below Ω_max/20 only long sound waves remain: the bin average is rodin2025 Eq. (15)'s 𝓛,
    for one mass and, since long waves move neighbours together, between neighbours too."""
    edges = np.array([0.0, OM / 20])
    spec = sp.drag_spectrum(LAT, [(0, 0, 0), (1, 0, 0)], edges, n_quad=40)[:, 0]
    L = LAT.drag_matrix()
    np.testing.assert_allclose(spec[0], L, rtol=0.01, atol=1e-3 * L[0, 0])
    np.testing.assert_allclose(spec[1], L, rtol=0.03, atol=1e-3 * L[0, 0])


def test_on_site_spectrum_is_isotropic_in_every_bin():
    spec = sp.drag_spectrum(LAT, [(0, 0, 0)], np.linspace(0, 1.001 * OM, 13), n_grid=10)[0]
    scale = spec[:, 0, 0].max()
    off = spec - np.einsum("b,ij->bij", np.einsum("bii->b", spec) / 3, np.eye(3))
    assert np.abs(off).max() < 1e-10 * scale
    assert np.all(spec[:, 0, 0] >= 0)


def test_no_drag_above_the_band():
    edges = np.array([0.0, 0.5 * OM, 1.001 * OM, 2 * OM, 3 * OM])
    spec = sp.drag_spectrum(LAT, [(0, 0, 0), (1, 0, 0)], edges, n_grid=8)
    assert np.all(spec[:, 2:] == 0) and np.all(spec[0, :2, 0, 0] > 0)


def test_particle_spectrum_sums_pairs_of_masses():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(2, 3, 3))
    H = A + A.transpose(0, 2, 1)
    sites = np.array([[0, 0, 0], [1, 0, 0]])
    edges = np.linspace(0, 1.001 * OM, 9)
    g = sp.particle_drag_spectrum(H, sites, LAT, edges, n_grid=8)
    s = sp.drag_spectrum(LAT, [(0, 0, 0), (1, 0, 0), (-1, 0, 0)], edges, n_grid=8)
    want = (np.einsum("ab,wbc,cd->wad", H[0], s[0], H[0])
            + np.einsum("ab,wbc,cd->wad", H[1], s[0], H[1])
            + np.einsum("ab,wbc,cd->wad", H[0], s[2], H[1])
            + np.einsum("ab,wbc,cd->wad", H[1], s[1], H[0]))
    np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12 * abs(want).max())
    # the static sum rule over the two masses: Σ_jk H_j W_jk(0) H_k
    W = LAT.static_response_matrix(sites, n_grid=8)
    Hb = np.concatenate(H, axis=0)                  # (6, 3): stacked H_j
    np.testing.assert_allclose(_integral(g, edges), Hb.T @ W @ Hb, rtol=1e-9)


def test_timelocal_drag_is_the_zero_frequency_limit():
    """The time-local drag (Σ H_j) 𝓛 (Σ H_j) is Re γ(ω → 0) of the eight corner masses of a cell,
    cross terms included (long waves move them together); leaving the cross terms out, as
    Σ_j H_j 𝓛 H_j would, misses it by 16 % at the cell centre."""
    from ionmotion.lattice import CELL_CORNERS
    from ionmotion.potentials import Yukawa
    pot = Yukawa(4000.0, 0.5)
    R = np.full(3, 0.5 * LAT.a)
    H = np.array([pot.hessian(R - c * LAT.a) for c in CELL_CORNERS])
    g = sp.particle_drag_spectrum(H, CELL_CORNERS, LAT, [0.0, OM / 20], n_quad=30)[0]
    g0 = sp.timelocal_drag(H, LAT.drag_matrix())
    np.testing.assert_allclose(g, g0, rtol=0.01, atol=1e-3 * abs(g0).max())
    on_site = np.einsum("jab,bc,jcd->ad", H, LAT.drag_matrix(), H)
    assert np.all(np.diag(g0) > 1.1 * np.diag(on_site))


def test_power_spectrum_normalisation():
    rng = np.random.default_rng(0)
    dt, sigma = 0.01, 2.0
    om, S = sp.power_spectrum(sigma * rng.normal(size=2 ** 16), dt, n_segments=64)
    assert abs(np.mean(S[1:-1]) / (sigma ** 2 * dt) - 1) < 0.02          # white: σ² dt
    t = dt * np.arange(2 ** 14)
    om, S = sp.power_spectrum(np.column_stack([np.cos(7.0 * t), 3 * np.cos(7.0 * t)]), dt, 4)
    var = np.trapezoid(S, om, axis=0) / np.pi
    np.testing.assert_allclose(var, [[0.5, 1.5], [1.5, 4.5]], rtol=0.02)
    assert abs(om[np.argmax(S[:, 0, 0])] - 7.0) < 2 * (om[1] - om[0])


def _band_power(modes, edges):
    """Σ over the sampled modes in each bin of the variance they give one mass's displacement
    (averaged over the three directions): |ζ|² |η|²/2 per mode."""
    var = (np.abs(modes.zeta) ** 2 * np.sum(modes.eta ** 2, axis=-2) / 6)
    b = np.searchsorted(edges, modes.omega, side="right") - 1
    return np.array([var[b == i].sum() for i in range(len(edges) - 1)])


def test_thermal_modes_obey_the_fluctuation_dissipation_balance():
    """The displacement the sampled thermal modes give one mass (rodin2025 Eq. (23)) has the
    spectrum 2 ε(ω) 𝓛₀(ω): the band power of each frequency bin, averaged over eight samples,
    agrees with the drag spectrum within the sampling scatter (a factor 2 in either fails)."""
    ng, kT = 12, 50.0
    edges = np.linspace(0, 1.001 * OM, 7)
    spec = sp.drag_spectrum(LAT, [(0, 0, 0)], edges, n_grid=ng)[0, :, 0, 0]
    centres = 0.5 * (edges[1:] + edges[:-1])
    want = 2 / np.pi * sp.thermal_energy(centres, kT) * np.diff(edges) * spec
    got = np.mean([_band_power(th.sample_modes(LAT, ng, kT, np.random.default_rng(s)), edges)
                   for s in range(8)], axis=0)
    np.testing.assert_allclose(got[1:], want[1:], rtol=0.1)       # >= 200 modes per bin
    np.testing.assert_allclose(got[0], want[0], rtol=0.3)         # 27 modes
    assert abs(got.sum() / want.sum() - 1) < 0.05


def test_the_time_series_of_a_mass_has_the_drag_spectrum():
    """The same balance seen in time: Welch's estimate from the displacement time series
    (:func:`ionmotion.thermal.at_sites`, an independent evaluation of the field), averaged over
    four samples. Degenerate modes interfere at one site, so a single sample scatters more than
    its band powers; the bins above the sparse lowest lines agree within 15 %."""
    ng, kT, dt, n = 12, 50.0, 0.04, 4096
    edges = np.linspace(0, 1.001 * OM, 7)
    centres = 0.5 * (edges[1:] + edges[:-1])
    spec = sp.drag_spectrum(LAT, [(0, 0, 0)], edges, n_grid=ng)[0, :, 0, 0]
    want = 2 / np.pi * sp.thermal_energy(centres, kT) * np.diff(edges) * spec
    got = np.zeros(len(want))
    for seed in range(4):
        m = th.sample_modes(LAT, ng, kT, np.random.default_rng(seed))
        u = np.array([th.at_sites(m, [(0, 0, 0)], k * dt)[0][0] for k in range(n)])
        om, S = sp.power_spectrum(u, dt, n_segments=1)
        S = np.einsum("fii->f", S) / 3
        b = np.searchsorted(edges, om, side="right") - 1
        got += np.array([np.sum(S[b == i]) * (om[1] - om[0]) / np.pi
                         for i in range(len(want))]) / 4
    np.testing.assert_allclose(got[1:], want[1:], rtol=0.15)
    assert abs(got.sum() / want.sum() - 1) < 0.1


def test_force_rate_at_the_cell_centre_is_the_isotropic_curvature_times_velocity():
    from ionmotion.potentials import Yukawa
    pot = Yukawa(4000.0, 0.5)
    R = np.tile(np.full(3, 0.5 * LAT.a), (4, 1)) + np.array([[0, 0, 0], [3, 0, 0], [0, -3, 3],
                                                             [6, 3, 0]]) * LAT.a
    V = np.random.default_rng(0).normal(size=(4, 3))
    H = sum(pot.hessian(np.full(3, 0.5 * LAT.a) - c * LAT.a) for c in
            np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)]))
    assert np.allclose(H, H[0, 0] * np.eye(3))                  # the centre: isotropic
    np.testing.assert_allclose(sp.force_rate(R, V, pot, LAT.a), H[0, 0] * V, rtol=1e-12)


def test_power_above_splits_two_lines():
    t = 0.01 * np.arange(2 ** 14)
    x = np.column_stack([np.cos(5.0 * t), 2 * np.sin(40.0 * t + 1), np.zeros_like(t)])
    assert abs(sp.power_above(x, 0.01, 20.0) - 4 / 5) < 0.01
    assert sp.power_above(x[:, 0], 0.01, 20.0) < 1e-4 and sp.power_above(x, 0.01, 50.0) < 1e-4


def test_the_drag_acts_on_high_frequencies_the_velocity_does_not_show():
    """Along a time-local trajectory at 50 meV (rodin2025's parameters, a short run on 10³
    modes), the force rate H·V carries a good part of its power above Ω_max, the velocity
    almost none: the instantaneous drag removes energy where the band-limited framework cannot
    return it (the cooling of the time-local particle)."""
    from ionmotion.potentials import Yukawa
    pot = Yukawa(4000.0, 0.5)
    m = th.sample_modes(LAT, 10, 50.0, np.random.default_rng(1))
    W0 = th.corner_response(LAT, n_grid=10)
    t, R, V = th.trajectory(np.full(3, 1.5), np.zeros(3), r25.RODIN2025_PARTICLE.M, pot, m, W0,
                            LAT.drag_matrix(), 5e-3, 24000, stride=4, unstable="count")
    R, V = R[4000:], V[4000:]
    assert sp.power_above(V, 5e-3, OM) < 0.05
    assert sp.power_above(sp.force_rate(R, V, pot, LAT.a), 5e-3, OM) > 0.2


def test_thermal_energy_limits():
    w = np.array([1e-6, 1.0, 1e4])
    e = sp.thermal_energy(w, 25.0)
    assert abs(e[0] - 25.0) < 1e-9 and abs(e[2] / (HBAR * 1e4 / 2) - 1) < 1e-9
    assert e[1] > 25.0 and np.all(sp.thermal_energy(w, 25.0, quantum=False) == 25.0)


@pytest.mark.parametrize("call, match", [
    (lambda: sp.drag_spectrum(LAT, [(0, 0, 0)], [1.0, 0.5], n_grid=4), "edges"),
    (lambda: sp.drag_spectrum(LAT, [(0, 0, 0)], [0, 1.0]), "exactly one"),
    (lambda: sp.drag_spectrum(LAT, [(0.5, 0, 0)], [0, 1.0], n_grid=4), "separations"),
    (lambda: sp.particle_drag_spectrum(np.zeros((2, 3, 3)), [(0, 0, 0)], LAT, [0, 1],
                                       n_grid=4), "sites"),
    (lambda: sp.power_spectrum(np.zeros(40), 0.1, n_segments=4), "n_segments"),
    (lambda: sp.power_spectrum(np.zeros(40), -0.1), "dt"),
    (lambda: sp.thermal_energy([1.0], 0.0), "kT"),
    (lambda: sp.force_rate(np.zeros((3, 3)), np.zeros((2, 3)), None, 3.0), "R and V"),
    (lambda: sp.power_above(np.ones(64), 0.1, -1.0, n_segments=2), "omega"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
