"""Tests of the deterministic time-local equation (rodin2025 Eqs. 18-20)."""
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from ionmotion import timelocal as tl
from ionmotion.lattice import CubicLattice
from ionmotion.potentials import Gaussian, Yukawa

LAT = CubicLattice(3.5, 3.0, 520.0, 170.0)
SITES = np.array([[0, 0, 3.0 * j] for j in range(8)], float)


@pytest.fixture(scope="module")
def w0_edge():
    return tl.static_response_block(LAT, SITES / 3.0, n_grid=8)


def test_kernel_matches_numpy_reference(w0_edge):
    pot = Yukawa(150.0, 0.5)
    drag = LAT.drag_matrix()
    R0, V0 = np.array([0.3, -0.2, 10.5]), np.array([1.0, 0.5, 7.5])
    for form in ("rodin2025", "rodin2024"):
        t, R, V = tl.integrate(R0, V0, 0.7, pot, SITES, w0_edge, drag, 5e-3, 100, form=form)
        tr, Rr, Vr = tl.integrate_reference(R0, V0, 0.7, pot, SITES, w0_edge, drag, 5e-3, 100,
                                            form=form)
        assert np.allclose(t, tr)
        assert np.max(np.abs(R - Rr)) < 1e-10
        assert np.max(np.abs(V - Vr)) < 1e-9


def test_fifth_order_convergence_and_energy_conservation():
    """Without softening and drag the particle moves in a static landscape: energy is conserved
    and the global error of Butcher's RK5 falls as dt^5."""
    pot = Yukawa(4000.0, 0.5)
    sites = 3.0 * np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], float)
    R0, V0 = np.array([1.2, 1.6, 1.4]), np.array([3.0, -2.0, 1.0])
    z = np.zeros((24, 24))
    T = 0.4

    def run(dt, every=1):
        return tl.integrate(R0, V0, 0.7, pot, sites, z, np.zeros((3, 3)), dt, int(round(T / dt)),
                            save_every=every)

    _, Rref, _ = run(T / 1600)
    errs = []
    for n in (100, 200):
        _, R, V = run(T / n)
        errs.append(np.abs(R[-1] - Rref[-1]).max())
        E = tl.energy(R, V, 0.7, pot, sites)
        assert np.ptp(E) < 1e-4 * np.abs(E).max()
    assert 20 < errs[0] / errs[1] < 45  # 2^5 = 32


def test_drag_dissipates_at_the_rate_vHLHv():
    """With W0 = 0 the energy loss rate is V·(H𝓛H)V to first order in 𝓛 (rodin2024 Eq. 26)."""
    pot = Yukawa(150.0, 0.5)
    R0, V0 = np.array([0.0, 0.0, 10.0]), np.array([0.0, 0.0, 7.5])
    drag = 1e-3 * LAT.drag_matrix()
    z = np.zeros((24, 24))
    dt = 1e-4
    t, R, V = tl.integrate(R0, V0, 0.7, pot, SITES, z, drag, dt, 4)
    E = tl.energy(R, V, 0.7, pot, SITES)
    rate = (E[2] - E[0]) / (2 * dt)
    H = pot.hessian(R[1] - SITES).sum(0)
    expect = -V[1] @ H @ drag @ H @ V[1]
    assert expect < 0
    assert abs(rate / expect - 1) < 1e-2
    # and over a long run the energy only goes down
    t, R, V = tl.integrate(R0, V0, 0.7, pot, SITES, z, LAT.drag_matrix(), 5e-3, 2000,
                           constrain=[0, 0, 1])
    E = tl.energy(R, V, 0.7, pot, SITES)
    assert np.all(np.diff(E) <= 1e-9 * abs(E[0]))
    assert E[-1] < 0.5 * E[0]


@pytest.mark.parametrize("pot", [Yukawa(150.0, 0.5), Gaussian(40.0, 0.7)])
def test_softened_force_is_the_relaxed_energy_gradient(pot):
    """For one mass on a spring (W0 = w·1) the static force of Eqs. (18)-(19) approximates
    -dE*/dR of the exactly relaxed energy E*(R) = min_r r²/2w + u(R - r) with an error O(w²);
    the literal rodin2024 Eq. (26) (twice the softening) is off already at O(w)."""
    R = np.array([0.0, 0.0, 1.0])
    site = np.zeros((1, 3))

    def exact_force(w):
        def Estar(z):
            return minimize_scalar(lambda r: r * r / (2 * w) + pot.value(np.array([0, 0, z - r])),
                                   bracket=(-0.1, 0.0, 0.1), tol=1e-14).fun
        h = 1e-4
        return -(Estar(R[2] + h) - Estar(R[2] - h)) / (2 * h)

    errs = {"rodin2025": [], "rodin2024": []}
    bare = -pot.gradient(R)[2]
    for w in (2e-4, 1e-4):
        F = exact_force(w)
        assert abs(F - bare) > 10 * 1e-8 * abs(bare)  # the softening is visible
        for form in errs:
            a = tl.acceleration_reference(R, np.zeros(3), pot, site, w * np.eye(3),
                                          np.zeros((3, 3)), 1.0, form=form)
            errs[form].append(abs(a[2] - F))
    assert 3.0 < errs["rodin2025"][0] / errs["rodin2025"][1] < 5.0   # O(w²)
    assert 1.6 < errs["rodin2024"][0] / errs["rodin2024"][1] < 2.4   # O(w)


def test_static_response_block_is_the_static_displacement_per_unit_force():
    """W0 of the time-local equation is V⁻¹: on a periodic 4³ lattice, the displacements of
    three masses under forces on them (net force zero) solve V u = F, with V assembled from the
    bond table, up to the uniform translation the periodic lattice leaves free."""
    from ionmotion.lattice import lattice_bonds
    n = 4
    off = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 2]])
    W = tl.static_response_block(LAT, off, n_grid=n)
    offs, K, onsite = lattice_bonds(LAT)
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    index = {tuple(c): i for i, c in enumerate(cells)}
    V = np.zeros((3 * n**3, 3 * n**3))
    for i, c in enumerate(cells):
        V[3 * i:3 * i + 3, 3 * i:3 * i + 3] += onsite
        for o, k in zip(offs, K):
            j = index[tuple((c + o) % n)]
            V[3 * i:3 * i + 3, 3 * i:3 * i + 3] += k
            V[3 * i:3 * i + 3, 3 * j:3 * j + 3] -= k
    F = np.random.default_rng(1).normal(size=(3, 3))
    F -= F.mean(axis=0)                              # no net force on the periodic lattice
    Ffull = np.zeros(3 * n**3)
    rows = [index[tuple(c)] for c in off]
    for r, f in zip(rows, F):
        Ffull[3 * r:3 * r + 3] = f
    u = np.linalg.lstsq(V, Ffull, rcond=None)[0]
    u = u.reshape(-1, 3) - u.reshape(-1, 3).mean(axis=0)   # the q = 0 translation removed
    np.testing.assert_allclose((W @ F.reshape(-1)).reshape(3, 3), u[rows], rtol=1e-9,
                               atol=1e-12 * np.abs(u).max())


def test_bad_input(w0_edge):
    pot = Yukawa(150.0, 0.5)
    drag = LAT.drag_matrix()
    R0, V0 = np.array([0, 0, 10.5]), np.array([0, 0, 7.5])
    with pytest.raises(ValueError, match="stability limit"):
        tl.integrate(R0, V0, 0.7, pot, SITES, w0_edge, drag, 0.5, 10)
    with pytest.raises(ValueError, match="W0 must have shape"):
        tl.integrate(R0, V0, 0.7, pot, SITES, np.eye(3), drag, 5e-3, 10)
    bad = w0_edge.copy()
    bad[0, 1] += 1.0
    with pytest.raises(ValueError, match="symmetric"):
        tl.integrate(R0, V0, 0.7, pot, SITES, bad, drag, 5e-3, 10)
    with pytest.raises(ValueError, match="positive semi-definite"):
        tl.integrate(R0, V0, 0.7, pot, SITES, w0_edge, -drag, 5e-3, 10)
    with pytest.raises(ValueError, match="n_steps"):
        tl.integrate(R0, V0, 0.7, pot, SITES, w0_edge, drag, 5e-3, 0)
    with pytest.raises(ValueError, match="form"):
        tl.integrate(R0, V0, 0.7, pot, SITES, w0_edge, drag, 5e-3, 10, form="x")


def _one_rk5_step(lam_dt):
    """One step of Butcher's tableau on y' = λy from y = 1 (complex), straight from the tableau."""
    k = np.zeros(6, complex)
    for s in range(6):
        k[s] = lam_dt * (1 + tl.BUTCHER_A[s, :s] @ k[:s])
    return 1 + tl.BUTCHER_B @ k


@pytest.mark.parametrize("z", [0.3j, 1.81j, 3.07j, -3.07, -3.5, -1.0 + 2.0j, 0.5])
def test_rk5_amplification_is_the_tableau_stability_function(z):
    assert abs(tl.rk5_amplification(z) - _one_rk5_step(z)) < 1e-12 * max(1, abs(_one_rk5_step(z)))


def test_step_growth_of_oscillation_and_drag():
    """The linearised particle: an undamped oscillation grows on the imaginary axis beyond
    dt·w ≈ 0.87; a pure drag (w = 0) is stable up to dt·γ ≈ 3.4 on the real axis."""
    dt = 0.005
    assert tl.rk5_growth(0.8 / dt, 0.0, dt) <= 1.0
    assert tl.rk5_growth(3.07 / dt, 0.0, dt) == pytest.approx(1.4182, abs=1e-4)
    assert tl.rk5_growth(0.0, 3.07 / dt, dt) == pytest.approx(1.0)        # root λ = 0 and R(−3.07)
    assert tl.rk5_growth(1.0 / dt, 3.07 / dt, dt) <= 1.0                   # overdamped, both roots stable
    assert tl.rk5_growth(0.0, 3.6 / dt, dt) > 1.0                          # beyond the real-axis bound


def test_guard_stops_a_pass_that_grows_fourfold_and_forgets_stable_steps():
    """At dt·w = 3.07 each step grows by 1.418: the fourth consecutive step passes GROWTH_LIMIT = 4
    (1.418³ = 2.85, 1.418⁴ = 4.04); a stable step in between resets the pass."""
    g = float(tl.rk5_growth(3.07, 0.0, 1.0))
    fl = np.zeros(3)
    assert [tl.guard(3.07, g, fl) for _ in range(4)] == [False, False, False, True]
    fl = np.zeros(3)
    for _ in range(20):
        assert not tl.guard(3.07, g, fl) and not tl.guard(3.07, g, fl) and not tl.guard(0.5, 1.0, fl)
    assert np.exp(fl[2]) == pytest.approx(g * g) and fl[0] == pytest.approx(3.07)
