"""The FDT-consistent time-local equation (ionmotion.fdtlocal): the corner relaxation against a
direct minimisation, the envelope force, rodin2025's time-local equation as its weak-coupling
limit, equipartition on the paper's crystal, detailed balance in a double well, bad input."""
import numpy as np
import pytest
from scipy.optimize import minimize

from ionmotion import fdtlocal as fl
from ionmotion import langevin as lg
from ionmotion import thermal as th
from ionmotion import timelocal as tl
from ionmotion.lattice import CELL_CORNERS
from ionmotion.limits import scaled_lattice
from ionmotion.potentials import Yukawa

A = 3.0
SITES = CELL_CORNERS * A
POT = Yukawa(4000.0, 0.5)


@pytest.fixture(scope="module")
def W0():
    return th.corner_response(scaled_lattice(1.0), n_quad=24)


def _energy(r, R, W0, pot):
    r = r.reshape(8, 3)
    K = np.linalg.inv(W0)
    return pot.value(R - SITES - r).sum() + 0.5 * r.ravel() @ K @ r.ravel()


@pytest.mark.parametrize("R", [(1.5, 1.5, 1.5), (1.1, 1.4, 1.7), (0.55, 0.5, 0.6), (1.5, 1.5, 0.05)])
def test_relaxation_is_the_minimum_of_interaction_plus_elastic_energy(W0, R):
    """Newton's r = W0 g(r) against scipy's minimisation of Σu + ½ rᵀW0⁻¹r, started elsewhere."""
    R = np.array(R)
    rel = fl.relax_corners(R, POT, W0, A)
    res = minimize(_energy, np.full(24, 0.01), args=(R, W0, POT), method="BFGS",
                   options=dict(gtol=1e-9, maxiter=5000))
    assert rel["U"][0] == pytest.approx(res.fun, rel=1e-8, abs=1e-8)
    assert np.allclose(rel["displacement"][0].ravel(), res.x, atol=2e-5)
    # relaxing can only lower the energy, and the deformation costs less than it gains
    assert rel["U"][0] <= POT.value(R - SITES).sum() + 1e-12


def test_force_is_minus_the_gradient_of_the_relaxed_energy(W0):
    pts = np.array([[1.1, 1.4, 1.7], [0.7, 0.8, 0.9], [1.5, 1.5, 0.2]])
    rel = fl.relax_corners(pts, POT, W0, A)
    h = 1e-5
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        up = fl.relax_corners(pts + e, POT, W0, A)["U"]
        dn = fl.relax_corners(pts - e, POT, W0, A)["U"]
        assert np.allclose(-(up - dn) / (2 * h), rel["force"][:, k], rtol=1e-6, atol=1e-6)


def test_relaxed_energy_is_cubic_symmetric(W0):
    """A 3-fold rotation about the cell diagonal and a mirror map the 8 corners onto themselves."""
    p = np.array([0.9, 1.3, 2.2])
    pts = np.array([p, p[[1, 2, 0]], [A - p[0], p[1], p[2]]])
    rel = fl.relax_corners(pts, POT, W0, A)
    assert rel["U"][0] == pytest.approx(rel["U"][1], rel=1e-12)
    assert rel["U"][0] == pytest.approx(rel["U"][2], rel=1e-12)
    assert np.allclose(rel["force"][1], rel["force"][0][[1, 2, 0]], rtol=1e-10)
    assert np.allclose(rel["force"][2], rel["force"][0] * [-1, 1, 1], rtol=1e-10)


def _old_and_new(stiffness, P):
    lat = scaled_lattice(stiffness)
    W0 = th.corner_response(lat, n_quad=24)
    L = lat.drag_matrix()
    rel = fl.relax_corners(P, POT, W0, A)
    F_old = tl.acceleration_reference(P, np.zeros(3), POT, SITES, W0, L, 1.0)
    d = 1e-4
    gam_old = np.stack([-(tl.acceleration_reference(P, d * e, POT, SITES, W0, L, 1.0) - F_old) / d
                        for e in np.eye(3)], 1)
    g = POT.gradient(P - SITES).ravel()
    U_soft = POT.value(P - SITES).sum() - 0.5 * g @ W0 @ g
    F_bare = -POT.gradient(P - SITES).sum(0)
    Hs = rel["hessian"][0]
    return dict(dF=np.linalg.norm(rel["force"][0] - F_old) / np.linalg.norm(F_bare - F_old),
                dU=abs(rel["U"][0] - U_soft),
                dgam=np.linalg.norm(Hs @ L @ Hs - gam_old) / np.linalg.norm(gam_old))


def test_rodin2025_time_local_equation_is_the_weak_coupling_limit():
    """With the framework at rest, the FDT-consistent equation's static force and drag are those
    of rodin2025 Eqs. (18)-(20) to first order in the response: the energy differs from the softened
    U − ½gᵀW0g at second order (÷4 per doubling of the stiffness), the force's softening and
    the drag at first order (÷2)."""
    P = np.array([1.1, 1.4, 1.7])
    r1, r2, r4, r8 = (_old_and_new(s, P) for s in (1.0, 2.0, 4.0, 8.0))
    for a_, b_ in ((r2, r4), (r4, r8)):        # the next order is a 1/s correction to the ratios
        assert b_["dU"] / a_["dU"] == pytest.approx(0.25, abs=0.015)
        assert b_["dF"] / a_["dF"] == pytest.approx(0.5, abs=0.04)
        assert b_["dgam"] / a_["dgam"] == pytest.approx(0.5, abs=0.04)
    assert r1["dF"] < 0.15 and r1["dgam"] < 0.15     # already close on the paper's crystal


def test_tabulated_field_is_the_relaxation_and_its_force_the_gradient():
    lat = scaled_lattice(1.0)
    f = fl.corner_field(lat, POT, n=16, n_quad=24)
    h = A / 16
    i, j, k = 3, 5, 12                            # a node off every mirror plane
    p = (np.array([i, j, k]) + 0.5) * h
    rel = fl.relax_corners(p, POT, th.corner_response(lat, n_quad=24), A)
    assert f.U[i, j, k] == pytest.approx(rel["U"][0], rel=1e-10)
    assert np.allclose(f.force[i, j, k], rel["force"][0], rtol=1e-10)
    L = lat.drag_matrix()
    assert np.allclose(f.gamma[i, j, k], rel["hessian"][0] @ L @ rel["hessian"][0], rtol=1e-8)
    # mirror images: U even, the normal force component odd
    assert f.U[15 - i, j, k] == pytest.approx(f.U[i, j, k], rel=1e-12)
    assert f.force[15 - i, j, k, 0] == pytest.approx(-f.force[i, j, k, 0], rel=1e-12)
    assert f.gamma[15 - i, j, k, 0, 1] == pytest.approx(-f.gamma[i, j, k, 0, 1], rel=1e-12)


def test_equipartition_on_the_paper_crystal():
    """The particle's kinetic temperature equals the noise temperature (within 4 standard errors
    of 8 independent 150 ps walkers), where rodin2025's equation runs at ~0.6 of it."""
    lat = scaled_lattice(1.0)
    f = fl.corner_field(lat, POT, n=32, n_quad=24)
    kT, M = 30.0, 0.7
    tr = lg.run_underdamped(f, M, kT, r0=np.full(3, 1.5), v0=np.zeros(3), dt=5e-3,
                            n_steps=30000, stride=10, n_walkers=8, rng=np.random.default_rng(3))
    T = M * np.mean(tr.v[200:] ** 2, axis=(0, 2))               # per walker
    se = T.std(ddof=1) / np.sqrt(len(T))
    assert abs(T.mean() / kT - 1) < 4 * se / kT
    assert se / kT < 0.03                                        # the test can resolve 10 %


def test_detailed_balance_in_an_asymmetric_double_well():
    """fdtlocal.trajectory on a double well with a friction that varies 10-fold across it: the
    time spent in each well and the position histogram follow e^{-U/kT}; the friction changes how
    fast the wells exchange, not their populations."""
    L_ = 4.0
    k = 2 * np.pi / L_
    U = lambda x: 30.0 * np.cos(2 * k * x) + 10.0 * np.sin(k * x)          # noqa: E731
    dU = lambda x: -60.0 * k * np.sin(2 * k * x) + 10.0 * k * np.cos(k * x)  # noqa: E731
    gam = lambda x: 2.0 * (1.0 + 0.9 * np.cos(k * x))                       # noqa: E731
    f = lg.layered_field(400, L_, gam, U_of_x=U, dU_of_x=dU)
    kT = 15.0
    xs = []
    for seed in range(4):
        out = fl.trajectory(f, 0.7, kT, 4000.0, dt=2e-3, save_dt=0.02, R0=(0.5, 0, 0),
                            rng=np.random.default_rng(seed))
        xs.append(np.mod(out["R"][5000:, 0], L_))
    x = np.linspace(0, L_, 4001)[:-1]
    w = np.exp(-U(x) / kT)
    w /= w.sum()
    edges = np.linspace(0, L_, 21)
    expect = np.histogram(x, edges, weights=w)[0]
    got = np.array([np.histogram(xx, edges)[0] / len(xx) for xx in xs])
    se = got.std(0, ddof=1) / 2 + 1e-4
    assert np.all(np.abs(got.mean(0) - expect) < 5 * se)
    left = (x > 0) & (x < L_ / 2)                       # the well around L/4 vs the one at 3L/4
    p_left = w[left].sum()
    meas = np.mean([np.mean((xx > 0) & (xx < L_ / 2)) for xx in xs])
    assert meas == pytest.approx(p_left, abs=0.03)
    assert abs(p_left - 0.5) > 0.2                      # the wells really differ


def test_markov_task_is_reproducible_and_counts_cells():
    a = fl.markov_task(40.0, 4000.0, 5, 40.0, n_grid=10, n_field=16, skip=10.0)
    b = fl.markov_task(40.0, 4000.0, 5, 40.0, n_grid=10, n_field=16, skip=10.0)
    assert np.array_equal(a["R"], b["R"])
    assert a["cell_changes"] == fl.cell_changes(a["R"], 3.0) > 0
    assert a["kT_noise"] > 40.0                        # zero-point energy of the stiff modes


@pytest.mark.parametrize("call, match", [
    (lambda W: fl.relax_corners((0.0, 0.0, 0.0), POT, W, A), "corner"),
    (lambda W: fl.relax_corners((1, 1, 1), POT, W[:12, :12], A), "W0"),
    (lambda W: fl.relax_corners((1, 1, 1), POT, -W, A), "positive definite"),
    (lambda W: fl.relax_corners((1.5, 1.5, 0.01), Yukawa(4e6, 0.5), W, A), "harmonic|converge"),
    (lambda W: fl.corner_field(scaled_lattice(1.0), POT, n=15), "even"),
    (lambda W: fl.corner_field(scaled_lattice(1.0), POT, n=2), "n"),
    (lambda W: fl.markov_task(0.0, 4000.0, 0, 10.0), "kT"),
    (lambda W: fl.markov_task(30.0, 4000.0, 0, -1.0, n_field=16), "duration"),
    (lambda W: fl.markov_task(30.0, 4000.0, 0, 50.0, n_field=16), "twice skip"),
    (lambda W: fl.trajectory(fl.corner_field(scaled_lattice(1.0), POT, n=16), 0.7, 30.0, 1.0,
                             noise="band"), "needs hessian"),
    (lambda W: fl.trajectory(fl.corner_field(scaled_lattice(1.0), POT, n=16), 0.7, 30.0, 1.0,
                             noise="pink"), "noise must"),
    (lambda W: scaled_lattice(0.0), "stiffness"),
])
def test_bad_input(W0, call, match):
    with pytest.raises(ValueError, match=match):
        call(W0)


# ---------------------------------------------------------------------------------------------
# the band-limited counterpart: the same drag and landscape, the noise cut at Ω_max

def _small():
    lat = scaled_lattice(1.0)
    return lat, fl.corner_field(lat, POT, n=16, n_quad=24), fl.corner_hessians(lat, POT, 16, 24)


def test_band_kernel_matches_numpy_reference():
    lat, f, H = _small()
    z = fl.band_noise(301, 5e-3, 30.0, lat.drag_matrix(), lat.max_frequency,
                      np.random.default_rng(0))
    R, V = fl.band_reference(f, H, [1.2, 1.4, 1.5], [1.0, 0.0, -2.0], 0.7, 5e-3, z)
    out = fl.trajectory(f, 0.7, 30.0, 1.5, dt=5e-3, save_dt=5e-3, R0=[1.2, 1.4, 1.5],
                        V0=[1.0, 0.0, -2.0], noise="band", hessian=H, drag=lat.drag_matrix(),
                        omega_c=lat.max_frequency, rng=np.random.default_rng(0))
    assert np.allclose(out["R"], R, rtol=0, atol=1e-11)
    assert np.allclose(out["V"], V, rtol=0, atol=1e-10)


def test_band_noise_has_the_white_level_inside_its_band():
    """Two-sided density 2k_BT𝓛 below omega_c: variance 2k_BT ℓ omega_c/π per component."""
    L = 3e-5 * np.eye(3)
    z = fl.band_noise(2 ** 18, 5e-3, 30.0, L, 31.35, np.random.default_rng(4))
    assert np.var(z, axis=0) == pytest.approx(np.full(3, 2 * 30.0 * 3e-5 * 31.35 / np.pi),
                                              rel=0.03)
    white = fl.band_noise(2 ** 16, 5e-3, 30.0, L, np.pi / 5e-3, np.random.default_rng(4))
    assert np.var(white, axis=0) == pytest.approx(np.full(3, 2 * 30.0 * 3e-5 / 5e-3), rel=0.03)


def test_band_limited_noise_cools_and_white_noise_does_not():
    """The explanation of the cooling, isolated: with the same landscape, drag and integrator,
    noise cut at Ω_max leaves the particle colder than the noise temperature; the same scheme with
    the cut at the Nyquist frequency (white noise) equipartitions (to O(γ dt/M))."""
    lat, f, H = _small()
    kT, M = 30.0, 0.7
    ratios = {}
    for name, wc in (("band", lat.max_frequency), ("white", np.pi / 5e-3)):
        T = []
        for seed in range(4):
            out = fl.trajectory(f, M, kT, 300.0, dt=5e-3, save_dt=0.05, noise="band", hessian=H,
                                drag=lat.drag_matrix(), omega_c=wc, rng=np.random.default_rng(seed))
            T.append(M * np.mean(np.sum(out["V"][1000:] ** 2, 1)) / 3 / kT)
        ratios[name] = (np.mean(T), np.std(T, ddof=1) / 2)
    assert abs(ratios["white"][0] - 1) < 4 * ratios["white"][1] + 0.03
    assert ratios["band"][0] < 0.9 and ratios["band"][0] < ratios["white"][0] - 0.1
