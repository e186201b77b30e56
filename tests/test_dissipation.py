"""Loss theory of rodin2024: Eq. (13) vs Eq. (14), the limits Eqs. (15)-(17), the recoil matrix
of Eq. (23), the low-speed loss, and the full equations of motion against the theory."""
import numpy as np
import pytest

from ionmotion import dissipation as D
from ionmotion import full, timelocal
from ionmotion.dissipation import chain_loss_analytic
from ionmotion.lattice import Chain, CubicLattice
from ionmotion.potentials import Gaussian

M0 = 1 / (4 * np.pi**2)
K = 99 / 4
CUBE = CubicLattice(M0, 2.0, 15.0, 5.0)


@pytest.mark.parametrize("kappa", [0.0, 1.0])
@pytest.mark.parametrize("s", [0.0, 1.0])
@pytest.mark.parametrize("lam", [0.5, 1.0, 2.0, 4.0])
def test_eq13_brillouin_zone_equals_eq14_closed_form(kappa, s, lam):
    """The mode sum of Eq. (13) (Chain's own modes, 1D quadrature) equals the Bessel closed
    form of Eq. (14) and its θ-integral first line."""
    v = np.array([1.0, 2.0, 7.0, 25.0, 80.0])
    chain = Chain(M0, 2.0, K, K, kappa, kappa)
    eq13 = D.single_pass_loss(chain, Gaussian(0.01, lam), v, (0.0, s, 0.0))
    eq14 = chain_loss_analytic(v, 0.01, lam, s, K, K, kappa, kappa)
    np.testing.assert_allclose(eq13, eq14, rtol=1e-9)
    np.testing.assert_allclose(D.chain_loss_numeric(v, 0.01, lam, s, K, K, kappa, kappa), eq14,
                               rtol=1e-9)


def test_eq14_anisotropic_channels():
    """Transverse channel ∝ s² and absent head-on; k⊥, κ⊥ act only through it."""
    a = chain_loss_analytic(10.0, 0.01, 1.0, 0.0, K, 5.0, 1.0, 3.0)
    b = chain_loss_analytic(10.0, 0.01, 1.0, 0.0, K, 9.0, 1.0, 0.0)
    np.testing.assert_allclose(a, b, rtol=1e-14)
    chain = Chain(M0, 2.0, K, 5.0, 1.0, 3.0)
    np.testing.assert_allclose(D.single_pass_loss(chain, Gaussian(0.01, 1.0), 10.0, (0, 0.7, 0)),
                               chain_loss_analytic(10.0, 0.01, 1.0, 0.7, K, 5.0, 1.0, 3.0),
                               rtol=1e-9)


@pytest.mark.parametrize("kappa", [0.0, 1.0])
def test_fast_limit_eq15(kappa):
    v = np.array([1e3, 1e4])
    exact = chain_loss_analytic(v, 0.01, 1.0, 1.0, K, K, kappa, kappa)
    fast = D.chain_loss_fast(v, 0.01, 1.0, 1.0, K, K, kappa, kappa)
    rel = np.abs(fast / exact - 1)
    assert rel[1] < 1e-3 and rel[1] < rel[0] / 50     # error ∝ Λ² ∝ 1/v²



def _eq14_crossover(lam, s=1.0):
    """Last speed where the transverse channel of Eq. (14) overtakes the longitudinal one (κ = 0)."""
    v = np.geomspace(0.3, 3e3, 20001)
    lon = chain_loss_analytic(v, 0.01, lam, 0.0, K, K, 0.0, 0.0) * np.exp(-s**2 / lam**2)
    trans = chain_loss_analytic(v, 0.01, lam, s, K, K, 0.0, 0.0) - lon
    up = np.flatnonzero((trans[1:] > lon[1:]) & (trans[:-1] <= lon[:-1]))
    return v[up[-1] + 1]


@pytest.mark.parametrize("lam", [2.0, 4.0])
def test_crossover_speed_after_eq15(lam):
    """rodin2024's crossover σ̇ = 2πλ²√(κ∥ + 2k∥) holds for Eq. (14) within the fast-limit error
    2Λ²k = 1/λ² at that speed; a √(κ∥ + k∥) or √(κ∥ + 4k∥) misreading of the printed formula lies
    outside the same band (the tolerance does not depend on the formula tested)."""
    v_c, band = _eq14_crossover(lam), 1 / lam**2
    for k_eff, holds in ((2 * K, True), (K, False), (4 * K, False)):
        v_p = 2 * np.pi * lam**2 * np.sqrt(k_eff)
        assert (abs(v_c / v_p - 1) <= band) == holds, (k_eff / K, v_c, v_p)

@pytest.mark.parametrize("kappa", [0.0, 0.05])
def test_slow_limit_eq16(kappa):
    v = np.array([1.0, 0.4])          # Λ²κ ≤ 12: no underflow of the gapped loss
    exact = chain_loss_analytic(v, 0.01, 1.0, 1.0, K, K, kappa, kappa)
    slow = D.chain_loss_slow(v, 0.01, 1.0, 1.0, K, K, kappa, kappa)
    rel = np.abs(slow / exact - 1)
    assert exact[1] > 0 and rel[1] < 1e-3 and rel[1] < rel[0]


def test_eq17_is_eq16_unconfined_and_diverges():
    v = np.array([0.5, 1.0, 2.0])
    e16 = D.chain_loss_slow(v, 0.01, 0.5, 1.0, K, K, 0.0, 0.0)
    e17 = D.chain_loss_eq17(v, 0.01, 0.5, 1.0, K, K)
    np.testing.assert_allclose(e16, e17, rtol=1e-12)
    np.testing.assert_allclose(v * e17, v[0] * e17[0], rtol=1e-12)   # Δ ∝ 1/σ̇


def _recoil_matrix_finite_difference(framework, n_quad=32, eps=1e-4):
    """Independent reference for 𝓜 of Eq. (23): S(n̂) = Ξ(eps n̂/a)/eps² from the dynamical
    matrix by finite difference, (1/32π³)∫dΩ S^{-3/2} by Gauss-Legendre × trapezoid (2n+1 φ)."""
    x, w = np.polynomial.legendre.leggauss(n_quad)
    nphi = 2 * n_quad + 1
    phi = 2 * np.pi * np.arange(nphi) / nphi
    st = np.sqrt(1 - x**2)
    n = np.stack([st[:, None] * np.cos(phi)[None, :], st[:, None] * np.sin(phi)[None, :],
                  np.broadcast_to(x[:, None], (n_quad, nphi))], axis=-1).reshape(-1, 3)
    wts = (w[:, None] * np.full(nphi, 2 * np.pi / nphi)[None, :]).reshape(-1)
    S = framework.mass * framework.dynamical_matrix(n * eps / framework.a) / eps**2
    k, eta = np.linalg.eigh(S)
    f = np.einsum("jau,ju,jbu->jab", eta, 1.0 / (4 * (2 * np.pi * np.sqrt(k)) ** 3), eta)
    return np.einsum("j,jab->ab", wts, f)


@pytest.mark.parametrize("fw", [CUBE, CubicLattice(3.5, 3.0, 520.0, 170.0)])
def test_recoil_matrix_matches_finite_difference_reference(fw):
    """𝓜 (computed from the analytic long-wave matrix) against the finite-difference form of
    Eq. (23), for rodin2024's lattice and for a lattice of another mass and spacing."""
    ref = _recoil_matrix_finite_difference(fw)
    np.testing.assert_allclose(D.recoil_matrix(fw), ref, rtol=0, atol=1e-6 * ref[0, 0])


def test_recoil_matrix_diagonal_isotropic_and_equals_drag_matrix():
    Mrec = D.recoil_matrix(CUBE)
    assert np.abs(Mrec - np.diag(np.diag(Mrec))).max() < 1e-12 * Mrec[0, 0]
    np.testing.assert_allclose(np.diag(Mrec), Mrec[0, 0], rtol=1e-7)
    np.testing.assert_allclose(Mrec, CUBE.drag_matrix(), rtol=0, atol=1e-7 * Mrec[0, 0])
    # independent of the lattice constant (q is a phase per site in Eq. (19))
    np.testing.assert_allclose(D.recoil_matrix(CubicLattice(M0, 3.0, 15, 5)), Mrec, rtol=0,
                               atol=1e-7 * Mrec[0, 0])


@pytest.mark.parametrize("lam,s,v", [(0.5, 0.0, (0.5, 2.0)), (1.0, 1.0, (0.5, 2.0)),
                                     (4.0, 0.0, (1.0, 5.0))])
def test_eq23_is_low_speed_limit_of_eq13_in_3d(lam, s, v):
    modes = D.graded_modes(CUBE, 10, 12)
    pot = Gaussian(0.01, lam)
    v = np.array(v)
    eq13 = D.single_pass_loss(CUBE, pot, v, (s, 0, 0), modes=modes)
    eq23 = D.low_speed_loss(D.recoil_matrix(CUBE), pot, [(0, 0, 0)], (s, 0, 0), v)
    rel = np.abs(eq13 / eq23 - 1)
    assert rel[0] < 3e-3 and rel[0] < rel[1] / 3    # corrections vanish as σ̇ → 0


def test_graded_quadrature_integrates_polynomials():
    q, w = D.graded_bz_quadrature(2.0, 6, 5)
    h = np.pi / 2
    np.testing.assert_allclose(w.sum(), 1.0, rtol=1e-13)
    np.testing.assert_allclose(w @ (q[:, 0] ** 2), h**2 / 3, rtol=1e-12)
    q1, w1 = D.graded_bz_quadrature(2.0, 6, 5, dim=1)
    np.testing.assert_allclose(w1 @ q1[:, 0] ** 4, h**4 / 5, rtol=1e-12)


def test_full_chain_simulation_matches_eq14():
    """Simulation (Eqs. (3)-(4), periodic chain) vs Eq. (14) where the constant-speed assumption
    holds (kinetic energy ≫ Φ0)."""
    for v, kappa, s, lam in [(10.0, 1.0, 1.0, 1.0), (30.0, 0.0, 0.0, 0.5)]:
        sim = D.chain_pass_task(v, kappa, s, lam, dt=1e-3, n_chain=100)["loss"]
        ref = chain_loss_analytic(v, 0.01, lam, s, K, K, kappa, kappa)
        np.testing.assert_allclose(sim, ref, rtol=1e-2)


def test_timelocal_matches_full_engine_for_slow_pass():
    """A slow pass over four face masses: the loss of the time-local equation (softened
    potential + drag 𝓜) agrees with the full equations of motion on a periodic lattice within
    the few per cent the paper's Fig. 5 shows at low speed."""
    lam, v, Phi0 = 1.0, 4.0, 0.0025
    sites = np.array(D.CELL_SITES["four"]) + 8
    start = np.array([8 * 2 + 1.0, 8 * 2 + 1.0, 16 - 7 * lam])
    stop = 16 + 7 * lam
    res = full.pass_loss(CUBE, 16, Gaussian(Phi0, lam), sites, M0, start, v, stop, 2e-3)
    W0 = timelocal.static_response_block(CUBE, sites - 8, n_quad=16)
    n = int(round((stop - start[2]) / v / 2e-3))
    t, R, V = timelocal.integrate(start, (0, 0, v), M0, Gaussian(Phi0, lam), sites * 2.0, W0,
                                  D.recoil_matrix(CUBE), 2e-3, n, constrain=(0, 0, 1))
    loss_tl = 0.5 * M0 * (v**2 - V[-1, 2] ** 2)
    low = D.low_speed_loss(D.recoil_matrix(CUBE), Gaussian(Phi0, lam), sites * 2.0,
                           start * np.array([1, 1, 0]), v)
    np.testing.assert_allclose(loss_tl, low, rtol=0.05)
    np.testing.assert_allclose(res["loss"], loss_tl, rtol=0.15)


def test_bad_input():
    with pytest.raises(ValueError, match="lam"):
        chain_loss_analytic(1.0, 0.01, 0.0, 0.0, K, K, 0, 0)
    with pytest.raises(ValueError, match="speed"):
        chain_loss_analytic(-1.0, 0.01, 1.0, 0.0, K, K, 0, 0)
    with pytest.raises(ValueError, match="kappa_par"):
        chain_loss_analytic(1.0, 0.01, 1.0, 0.0, K, K, -1, 0)
    with pytest.raises(ValueError, match="offset"):
        D.single_pass_loss(CUBE, Gaussian(0.01, 1.0), 1.0, (0, 0, 1.0))


@pytest.mark.parametrize("config,layers", [("four", (0.0,)), ("eight", (0.0, 2.0))])
def test_fig5_eq23_rate_from_the_summed_hessians_by_hand(config, layers):
    """Through the face centre the x and y parts of the summed Hessian cancel, so with an
    isotropic 𝓜 = m·1 the low-speed loss is m ∫ (Σ_j ∂²Φ_j/∂z²)² dz per unit speed, with
    ∂²Φ/∂z² = Φ0 e^{−r²/2λ²}(z²/λ⁴ − 1/λ²) for a Gaussian (four masses per layer at ρ² = a²/2)."""
    from ionmotion.papers import rodin2024 as r24
    m, Phi0, lam, a = 3.0e-4, 0.0025, 0.7, 2.0
    z = np.linspace(-12.0, 14.0, 200001)

    def hzz(dz):
        r2 = 0.5 * a**2 + dz**2
        return Phi0 * np.exp(-0.5 * r2 / lam**2) * (dz**2 / lam**4 - 1 / lam**2)

    h = sum(4 * hzz(z - zl) for zl in layers)
    expected = m * np.trapezoid(h**2, z) if hasattr(np, "trapezoid") else m * np.trapz(h**2, z)
    got = r24.fig5_eq23_rate(m * np.eye(3), config, lam, Phi0=Phi0, a=a)
    assert got == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ValueError, match="config"):
        r24.fig5_eq23_rate(m * np.eye(3), "one", lam)


def test_fig5_comparisons_read_the_simulated_curves():
    from ionmotion.papers import rodin2024 as r24
    M = 2e-4 * np.eye(3)
    rate = r24.fig5_eq23_rate(M, "four", 1.0)
    speeds = np.array([1.0, 4.0, 10.0, 20.0, 30.0])
    factors = np.array([0.5, 0.9, 1.1, 0.8, 3.0])       # simulated Δ/σ̇ = factor × Eq. (23)
    run = {"speeds": speeds, "loss": (factors * rate * speeds)[None, :]}
    assert r24.largest_deviation(run, rate) == pytest.approx(0.2)     # 10 ≤ σ̇ ≤ 25
    slow = r24.slow_pass_ratios({("four", 1.0): run}, M)[("four", 1.0)]
    assert [v for v, _ in slow] == [1.0, 4.0]
    np.testing.assert_allclose([x for _, x in slow], [0.5, 0.9])
    with pytest.raises(ValueError, match="lo, hi"):
        r24.largest_deviation(run, rate, lo=40.0, hi=50.0)


def test_edge_line_energy_far_from_the_masses_is_kinetic():
    from ionmotion.papers import rodin2024 as r24
    z = np.array([-30.0, 0.0, 7.0])
    e = r24.edge_line_energy(z, np.array([2.0, 0.0, 0.0]))
    assert e[0] == pytest.approx(0.5 * r24.M0 * 4.0, rel=1e-12)       # no mass within reach
    assert e[1] == pytest.approx(1.0 + np.exp(-8.0), rel=1e-12)       # on the first mass, λ = 1/2
    assert e[2] == pytest.approx(2 * np.exp(-2.0) + 2 * np.exp(-18.0), rel=1e-9)  # midway 6-8


def test_channel_crossover_of_a_model_loss_with_known_crossing():
    """Longitudinal A/σ̇⁴ e^{−s²/λ²}, transverse B s²/σ̇²: they cross at σ̇² = A e^{−s²/λ²}/(B s²)."""
    from ionmotion.papers import rodin2024 as r24
    A, B = 5e4, 2.0

    def loss(v, Phi0, lam, s, *springs):
        return A / v**4 * np.exp(-s**2 / lam**2) + B * s**2 / v**2

    lam, s = 1.5, 1.0
    want = np.sqrt(A * np.exp(-s**2 / lam**2) / (B * s**2))
    got = r24.channel_crossover_speed(lam, s, 0.0, loss=loss)
    assert got == pytest.approx(want, rel=1e-3)            # grid spacing 0.046 %
    assert np.isnan(r24.channel_crossover_speed(lam, s, 0.0, loss=loss, speeds=[0.5, 1.0, 2.0]))
    t = r24.fig2_task(0.0, 1.0, 2.0, 200, 1e-4, 50)
    assert len(t["speeds"]) == 50 and t["speeds"][0] == 4.0 and t["n_chain"] == 200
