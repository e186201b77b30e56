"""Tests of ionmotion.mobility: rodin2022 Eqs. (43), (44), (47) on grids, against analytic cases."""
import numpy as np

from ionmotion.lattice import sphere_quadrature
import pytest
from scipy.integrate import quad, solve_ivp

from ionmotion import mobility as mb


def _sphere_rule(n=24):
    return sphere_quadrature(n)


def test_isotropic_drag_is_solid_angle_integral_of_eq15():
    # rodin2025 Eq. (15) for an isotropic medium: ψ_L = n̂ at v_L, two transverse ψ ⊥ n̂ at v_T.
    rho, vL, vT = 0.13, 47.0, 21.0
    nh, wt = _sphere_rule()
    P = nh[:, :, None] * nh[:, None, :]
    integrand = P / vL**3 + (np.eye(3) - P) / vT**3
    L = np.einsum("j,jab->ab", wt, integrand) / (16 * np.pi**2 * rho)
    assert np.allclose(mb.drag_matrix_from_sound(rho, vL, vT), L, rtol=1e-12, atol=1e-12 * L[0, 0])


def _trig_grid(shape, cell):
    """A band-limited periodic U in a skewed cell, with its analytic Hessian."""
    cell = np.asarray(cell, float)
    B = 2 * np.pi * np.linalg.inv(cell).T
    ks = [np.array([1, 0, 0]) @ B, np.array([0, 1, 1]) @ B, np.array([1, -1, 2]) @ B]
    amps = [30.0, -12.0, 5.0]
    g = mb.PotentialGrid(np.zeros(shape), cell, origin=[0.1, 0.2, -0.05])
    r = g.points()
    U = np.zeros(shape)
    H = np.zeros(shape + (3, 3))
    for A, k in zip(amps, ks):
        ph = r @ k
        U += A * np.cos(ph)
        H += -A * np.cos(ph)[..., None, None] * np.outer(k, k)
    g.U = U
    return g, H


SKEW = [[3.0, 0.0, 0.0], [0.6, 2.8, 0.0], [0.3, -0.4, 3.3]]


def test_spectral_hessian_exact_for_trig_polynomial_in_skewed_cell():
    g, H = _trig_grid((12, 12, 12), SKEW)
    assert np.abs(mb.hessian(g, "spectral") - H).max() < 1e-9 * np.abs(H).max()


@pytest.mark.parametrize("method,order", [("fd2", 2), ("fd4", 4)])
def test_finite_difference_hessian_converges_at_stated_order(method, order):
    errs = []
    for n in (16, 32):
        g, H = _trig_grid((n, n, n), SKEW)
        errs.append(np.abs(mb.hessian(g, method) - H).max())
    rate = np.log2(errs[0] / errs[1])
    assert abs(rate - order) < 0.3, rate


def test_gradient_methods_agree_with_analytic():
    g, _ = _trig_grid((16, 16, 16), SKEW)
    # analytic gradient via a tiny finite difference of the known field is circular; use FFT of
    # the same band-limited function: spectral gradient must satisfy ∇·(∇U) = Tr H
    G = mb.gradient(g, "spectral")
    div = sum(mb.gradient(mb.PotentialGrid(G[..., a], g.cell), "spectral")[..., a] for a in range(3))
    assert np.allclose(div, np.trace(mb.hessian(g, "spectral"), axis1=-2, axis2=-1), atol=1e-8)


def test_yukawa_analytic_derivatives_match_finite_differences():
    rng = np.random.default_rng(0)
    pts = 0.5 + 2.0 * rng.random((20, 3))
    U, G, H = mb.yukawa_cubic_at(pts)
    h = 1e-5
    for a in range(3):
        e = np.zeros(3)
        e[a] = h
        Up, Gp, _ = mb.yukawa_cubic_at(pts + e)
        Um, Gm, _ = mb.yukawa_cubic_at(pts - e)
        assert np.allclose((Up - Um) / (2 * h), G[:, a], rtol=1e-6, atol=1e-6)
        assert np.allclose((Gp - Gm) / (2 * h), H[:, :, a], rtol=1e-6, atol=1e-5)


def test_yukawa_grid_fd4_hessian_in_accessible_region():
    g, _, H = mb.yukawa_cubic_grid(24, derivatives=True)
    m = mb.distance_mask(g, 1.0)
    err = np.abs(mb.hessian(g, "fd4") - H)[m].max() / np.abs(H[m]).max()
    assert err < 5e-3  # fourth order: 1.3e-2 at n = 16, 1e-3 at n = 32


def test_yukawa_barrier_face_minus_centre():
    # unrelaxed barrier between neighbouring cells for U0 = 4 eV, λ = 1/2 Å (rodin2025 Sec. VI: 45.5 meV)
    U, _, _ = mb.yukawa_cubic_at(np.array([[1.5, 1.5, 1.5], [1.5, 1.5, 0.0]]))
    assert abs((U[1] - U[0]) - 45.5) < 0.5


def test_distance_mask_volume_fraction():
    g = mb.PotentialGrid(np.zeros((32, 32, 32)), 3.0, origin=np.full(3, 3 / 64), sites=[[0, 0, 0]])
    rmin = 1.0
    frac = mb.distance_mask(g, rmin).mean()
    exact = 1 - 4 / 3 * np.pi * rmin**3 / 27.0
    assert abs(frac - exact) < 0.01


def test_constant_hessian_gives_closed_form_mobility():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(3, 3))
    H = A @ A.T + 3 * np.eye(3)
    B = rng.normal(size=(3, 3))
    L = 1e-4 * (B @ B.T + np.eye(3))
    gamma = np.broadcast_to(mb.drag_field(H, L), (4, 5, 6, 3, 3))
    res = mb.mobility_from_gamma(gamma, q=2.0)
    exact = 2.0 * 1e3 * np.linalg.inv(H) @ np.linalg.inv(L) @ np.linalg.inv(H)
    assert np.allclose(res.tensor, exact, rtol=1e-10)
    assert res.near_singular == 0.0


def test_mobility_in_si_units_for_a_constant_drag():
    """μ = q/γ worked out in SI by hand: γ0 meV·ps/Å² = γ0 · 1.602e-22 J · 1e-12 s / 1e-20 m²
    (kg/s), so for one elementary charge μ = e/γ_SI m²/(V·s) = 1e4 e/γ_SI cm²/(V·s)."""
    e = 1.602176634e-19
    gamma0 = 0.37
    gamma = np.broadcast_to(gamma0 * np.eye(3), (3, 3, 3, 3, 3))
    res = mb.mobility_from_gamma(gamma, q=1.0)
    gamma_si = gamma0 * 1e-3 * e * 1e-12 / 1e-20
    assert res.average_cm2_per_Vs == pytest.approx(1e4 * e / gamma_si, rel=1e-12)
    assert res.average_cm2_per_Vs == pytest.approx(0.1 / gamma0, rel=1e-12)


def test_separable_potential_mobility_tensor():
    # U = Σ_i A_i cos(k x_i): H = diag(−A_i k² cos k x_i); with 𝓛 = ℓ I, γ⁻¹ = diag(1/(ℓ h_i²)).
    n, a = 24, 3.0
    k = 2 * np.pi / a
    amps = np.array([40.0, 25.0, 10.0])
    g = mb.PotentialGrid(np.zeros((n, n, n)), a, origin=np.full(3, 0.37 * a / n))
    r = g.points()
    g.U = sum(amps[i] * np.cos(k * r[..., i]) for i in range(3))
    L = mb.drag_matrix_from_sound(0.13, 47.0, 21.0)
    ell = L[0, 0]
    h = -amps * k**2 * np.cos(k * r)
    exact = np.diag(1e3 * np.mean(1 / (ell * h**2), axis=(0, 1, 2)))
    res = mb.mobility(g, L, method="spectral")
    assert np.allclose(res.tensor, exact, rtol=1e-8, atol=1e-10 * exact.max())
    assert np.isclose(res.average, np.trace(exact) / 3)


def test_floor_regularised_mobility_matches_continuum_quadrature():
    # 1D: ⟨1/max(ℓ h(x)², floor)⟩ with h = A k² cos kx, quadrature vs a fine grid average.
    n, a, A = 512, 3.0, 40.0
    k = 2 * np.pi / a
    L = 3e-5 * np.eye(3)
    g = mb.PotentialGrid(np.zeros((n, 4, 4)), a)
    x = g.points()[..., 0]
    g.U = A * np.cos(k * x) + 30 * np.cos(k * g.points()[..., 1]) + 30 * np.cos(k * g.points()[..., 2])
    floor = 1e-2
    res = mb.mobility(g, L, method="spectral", floor=floor)
    f = lambda t: 1.0 / max(3e-5 * (A * k**2 * np.cos(t))**2, floor)
    tc = np.arccos(np.sqrt(floor / 3e-5) / (A * k**2))
    val = sum(quad(f, lo, hi)[0] for lo, hi in [(0, tc), (tc, np.pi - tc), (np.pi - tc, np.pi)]) / np.pi
    assert np.isclose(res.tensor[0, 0], 1e3 * val, rtol=2e-3)


def test_mobility_diverges_under_refinement_without_floor():
    # Every periodic U has ⟨∇²U⟩ = 0, so Hessian eigenvalues cross zero and ⟨γ⁻¹⟩ = ∞ in the
    # continuum; on grids the unregularised average grows as points approach the zero set.
    a, A = 3.0, 40.0
    k = 2 * np.pi / a
    vals = []
    for n in (16, 64, 256):
        g = mb.PotentialGrid(np.zeros((n, 2, 2)), a, origin=[0.013, 0, 0])
        g.U = A * np.cos(k * g.points()[..., 0]) + 0 * g.U
        # add a constant-curvature-free y, z part is impossible; look at xx only
        H = mb.hessian(g, "spectral")[..., 0, 0]
        vals.append(np.mean(1 / (3e-5 * H**2)))
    assert vals[2] > 3 * vals[0]


def test_scaling_with_charge_and_drag_matrix():
    g = mb.yukawa_cubic_grid(16)
    m = mb.distance_mask(g, 1.0)
    L = mb.drag_matrix_from_sound(0.13, 47.0, 21.0)
    r1 = mb.mobility(g, L, m, q=1.0, floor=1e-3)
    r2 = mb.mobility(g, 2 * L, m, q=3.0, floor=2e-3)
    assert np.allclose(r2.tensor, 1.5 * r1.tensor, rtol=1e-10)
    # cubic symmetry: the tensor is isotropic
    assert np.allclose(r1.tensor, r1.average * np.eye(3), rtol=1e-6, atol=1e-6 * r1.average)


def test_cube_round_trip(tmp_path):
    g = mb.yukawa_cubic_grid(8)
    g.cell = np.array(SKEW)
    p = tmp_path / "u.cube"
    mb.write_cube(p, g, energy_unit="ev")
    h = mb.load_grid(p, energy_unit="ev")
    assert h.shape == g.shape
    assert np.allclose(h.cell, g.cell, atol=1e-7)
    assert np.allclose(h.origin, g.origin, atol=1e-7)
    assert np.allclose(h.sites, g.sites % 1.0, atol=1e-7)
    assert np.allclose(h.U, g.U, rtol=1e-9)


def test_npz_and_npy_readers(tmp_path):
    g = mb.yukawa_cubic_grid(8)
    np.savez(tmp_path / "u.npz", U=g.U, cell=g.cell, sites=g.sites, origin=g.origin)
    h = mb.load_grid(tmp_path / "u.npz")
    assert np.allclose(h.U, g.U) and np.allclose(h.origin, g.origin)
    np.save(tmp_path / "u.npy", g.U / 1e3)
    h = mb.load_grid(tmp_path / "u.npy", cell=3.0, energy_unit="eV")
    assert np.allclose(h.U, g.U)
    with pytest.raises(ValueError, match="cell is required"):
        mb.load_grid(tmp_path / "u.npy")


def test_lifson_jackson_limits():
    x = np.arange(400) / 400
    g = 1.0 + 0.7 * np.sin(2 * np.pi * x)
    assert np.isclose(mb.lifson_jackson_mobility_1d(0 * x, g, 1.0), 1 / g.mean())
    U = 2.0 * np.cos(2 * np.pi * x)
    # constant friction: 1/(γ ⟨e^{βU}⟩⟨e^{−βU}⟩) = 1/(γ I0(β A)²)
    from scipy.special import i0
    assert np.isclose(mb.lifson_jackson_mobility_1d(U, 0 * x + 2.0, 1.0), 1 / (2 * i0(2.0)**2), rtol=1e-8)


def test_deterministic_drift_against_ode():
    Lp, A, F = 2.0, 1.0, 5.0
    k = 2 * np.pi / Lp
    dU = lambda x: -A * k * np.sin(k * x)
    gam = lambda x: 1.0 + 0.5 * np.cos(k * x + 0.3)
    x = np.arange(2000) * Lp / 2000
    v = mb.deterministic_drift_1d(dU(x), gam(x), F)
    ev = lambda t, y: y[0] - 5 * Lp
    ev.terminal = True
    sol = solve_ivp(lambda t, y: (F - dU(y)) / gam(y), (0, 1e3), [0.0], rtol=1e-10, atol=1e-10,
                    events=ev)
    v_ode = 5 * Lp / sol.t_events[0][0]  # time-averaged velocity over five whole periods
    assert np.isclose(v, v_ode, rtol=2e-3)
    assert mb.deterministic_drift_1d(dU(x), gam(x), 0.5 * A * k) == 0.0  # pinned


@pytest.mark.parametrize("bad,match", [
    (lambda: mb.PotentialGrid(np.full((4, 4, 4), np.nan), 3.0), "NaN"),
    (lambda: mb.PotentialGrid(np.zeros((4, 4)), 3.0), "3D grid"),
    (lambda: mb.PotentialGrid(np.zeros((4, 4, 4)), [[1, 0, 0], [1, 0, 0], [0, 0, 1]]), "positive definite"),
    (lambda: mb.mobility(mb.yukawa_cubic_grid(8), np.diag([1e-5, -1e-5, 1e-5])), "positive definite"),
    (lambda: mb.mobility(mb.yukawa_cubic_grid(8), 1e-5, mask=np.zeros((8, 8, 8), bool)), "selects no"),
    (lambda: mb.drag_matrix_from_sound(0.1, 0.0, 20.0), "vL"),
    (lambda: mb.boltzmann_inverse_drag(np.broadcast_to(np.eye(3), (2, 2, 2, 3, 3)),
                                       np.zeros((2, 2, 2)), 0.0), "kT"),
])
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_non_periodic_grid_rejected(tmp_path):
    x = np.arange(8) / 8
    U = (3 * x)[:, None, None] * np.ones((8, 8, 8))  # a ramp: jumps back across the boundary
    np.savez(tmp_path / "ramp.npz", U=U, cell=np.eye(3) * 3)
    with pytest.raises(ValueError, match="not periodic"):
        mb.load_grid(tmp_path / "ramp.npz")


def test_duplicated_endpoints_dropped(tmp_path):
    x = np.linspace(0, 1, 9)  # includes both ends of the period
    U = np.cos(2 * np.pi * x)[:, None, None] * np.cos(2 * np.pi * x)[None, :, None] * np.ones(9)
    np.savez(tmp_path / "dup.npz", U=U, cell=np.eye(3) * 3)
    g = mb.load_grid(tmp_path / "dup.npz", endpoint=True)
    assert g.shape == (8, 8, 8) and np.allclose(g.U, U[:-1, :-1, :-1])
    with pytest.raises(ValueError, match="does not repeat"):
        mb.load_grid(tmp_path / "dup.npz", endpoint=True) if False else mb.drop_endpoints(U[:-1])


def test_stationary_drift_limits():
    Lp, n = 3.0, 600
    x = np.arange(n) * Lp / n
    k = 2 * np.pi / Lp
    g = 10 * (1 + 0.8 * np.sin(k * x))
    U = 20 * np.cos(k * x)
    for kT in (10.0, 50.0):
        # F → 0: Lifson–Jackson; U = 0: F/⟨γ⟩ at any F and T
        lin = mb.stationary_drift_1d(U, g, 1e-4, kT, Lp) / 1e-4
        assert np.isclose(lin, mb.lifson_jackson_mobility_1d(U, g, kT), rtol=1e-3)
        for F in (3.0, 40.0):
            assert np.isclose(mb.stationary_drift_1d(0 * U, g, F, kT, Lp), F / g.mean(), rtol=1e-3)
    # mirror symmetry: reversing the force equals mirroring the landscape
    v_minus = mb.stationary_drift_1d(U, g, -15.0, 25.0, Lp)
    v_mirror = mb.stationary_drift_1d(np.roll(U[::-1], 1), np.roll(g[::-1], 1), 15.0, 25.0, Lp)
    assert np.isclose(-v_minus, v_mirror, rtol=1e-10)
    # the drift grows with temperature below the critical force (thermal activation)
    vs = [mb.stationary_drift_1d(U, g, 20.0, kT, Lp) for kT in (5.0, 10.0, 20.0)]
    assert vs[0] < vs[1] < vs[2]


def test_energy_mask_fraction():
    n, A, c = 400, 50.0, 20.0
    g = mb.PotentialGrid(np.zeros((n, 2, 2)), 3.0)
    g.U = A * np.cos(2 * np.pi * g.points()[..., 0] / 3.0)
    frac = mb.energy_mask(g, c).mean()
    assert abs(frac - np.arccos(1 - c / A) / np.pi) < 2.0 / n
    with pytest.raises(ValueError, match="cutoff"):
        mb.energy_mask(g, -1.0)
