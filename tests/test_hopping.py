"""Physics tests for ionmotion.hopping (hu2026 Secs. III, App. A).

Every closed form is compared with a numerical eigen-decomposition of P_k, with finite
differences, or with real-space master-equation propagation.
"""
import math

import numpy as np
import pytest

from ionmotion import hopping as h

RNG = np.random.default_rng(20260401)


def random_params(n, fmax=1.0):
    """n parameter sets (P0, γ, f) that make a valid probability matrix."""
    out = []
    while len(out) < n:
        g = RNG.uniform(-0.95, 0.95)
        f = RNG.uniform(-fmax, fmax)
        P0 = RNG.uniform(0.01, 1.0) / ((1 + abs(g)) * math.cosh(f / 2))
        out.append((P0, g, f))
    return out


def same_set(a, b, atol):
    """Each value of a is within atol of some value of b and vice versa (eigenvalue multisets)."""
    a, b = np.asarray(a), np.asarray(b)
    d = np.abs(a[:, None] - b[None, :])
    return bool(np.all(d.min(1) < atol) and np.all(d.min(0) < atol))


def eq31_by_hand(k, P0, g, f, a=1.0):
    """hu2026 Eq. (31) written out with cos/cosh/sinh (Eq. (32))."""
    om = lambda kk, ff: (np.cos(kk * a / 2) * np.cosh(ff * a / 2)
                         + 1j * np.sin(kk * a / 2) * np.sinh(ff * a / 2))
    return np.array([[1 - P0 * (1 - g) * om(0, -f), P0 * (1 + g) * om(k, f)],
                     [P0 * (1 - g) * om(-k, -f), 1 - P0 * (1 + g) * om(0, f)]])


# ----------------------------------------------------------------------------- 1D, k space
def test_chain_Pk_is_eq31_and_fourier_transform_of_ring():
    n = 12
    for P0, g, f in random_params(5):
        R = h.chain_ring_matrix(n, P0, g, f).toarray()
        x, _ = h.chain_sites(n)
        for m in range(-3, 4):
            k = 2 * np.pi * m / n
            Pk = h.chain_Pk(k, P0, g, f)
            assert np.allclose(Pk, eq31_by_hand(k, P0, g, f), atol=1e-14)
            # Fourier sum over hops out of cell 0 (column a = 0, b = 1), minimum-image distance
            ft = np.zeros((2, 2), complex)
            for i in (0, 1):
                for j in range(2 * n):
                    d = (x[j] - x[i] + n / 2) % n - n / 2
                    ft[j % 2, i] += np.exp(1j * k * d) * R[j, i]
            assert np.allclose(Pk, ft, atol=1e-14)


def test_chain_eigenvalues_match_numerical_eigendecomposition():
    k = np.linspace(-np.pi, np.pi, 41)
    for P0, g, f in random_params(6, fmax=3.0) + [(0.60, 0.88, 0.5)]:
        pp, pm = h.chain_eigenvalues(k, P0, g, f)
        num = np.linalg.eigvals(h.chain_Pk(k, P0, g, f))
        ref = np.stack([pp, pm], -1)
        for a, b in zip(num, ref):
            assert same_set(a, b, 1e-13)
        # away from the zone boundary (where p_+ and p_- may be a conjugate pair) the '+'
        # branch is the eigenvalue with the larger real part
        inner = np.abs(k) < 0.95 * np.pi
        p_num, _ = h.plus_branch(h.chain_Pk(k[inner], P0, g, f))
        assert np.allclose(p_num, pp[inner], atol=1e-13)


def test_zero_field_eigenvalues_real_and_only_gamma_point_conserved():
    k = np.linspace(-np.pi, np.pi, 101)
    P0, g = 0.4, 0.3
    pp, pm = h.chain_eigenvalues(k, P0, g)
    assert np.allclose(pp.imag, 0) and np.allclose(pm.imag, 0)          # Eq. (26): no propagation
    assert abs(pp[50] - 1) < 1e-15                                       # k = 0 conserved
    assert np.all(np.abs(np.delete(pp, 50)) < 1)
    # number conservation: columns of P_0 sum to one (Eq. (9)) for any field
    for f in (0.0, 0.7, -2.0):
        assert np.allclose(h.chain_Pk(0.0, P0, g, f).sum(0), 1, atol=1e-15)
        assert abs(h.chain_eigenvalues(0.0, P0, g, f)[0] - 1) < 1e-14


def test_decay_rate_small_k_eq27():
    P0, g, tau = 0.5, 0.6, 2.0
    prev = None
    for k in (0.2, 0.1, 0.05, 0.025):
        p_num, _ = h.plus_branch(h.chain_Pk(k, P0, g))
        kappa = h.decay_rate(p_num, tau)
        err = abs(kappa / h.chain_decay_rate_small_k(k, P0, g, tau=tau) - 1)
        if prev is not None:
            assert err < prev / 3.5  # error shrinks like k²
        prev = err
    assert prev < 2e-4


def test_eigenvector_detailed_balance_eq28():
    for P0, g, f in random_params(5, fmax=2.0):
        _, u = h.plus_branch(h.chain_Pk(0.0, P0, g, f))
        assert np.isclose(u[1].real, (1 - g) / (1 + g), rtol=1e-12)
        assert abs(u[1].imag) < 1e-13
        assert np.isclose(h.chain_eigvec_ratio(0.0, P0, g, f), (1 - g) / (1 + g), rtol=1e-13)


def test_polarization_eq29_coefficient_is_a_quarter_of_printed():
    P0, g = 0.3, 0.5
    ratios = []
    for k in (0.08, 0.04, 0.02):
        _, u = h.plus_branch(h.chain_Pk(k, P0, g))
        pol = ((1 - u[1]) / (1 + u[1])).real
        ratios.append((pol - g) / (g * (1 - g * g) * (k / 2) ** 2))
        # closed-form ratio agrees with the numerical eigenvector
        assert np.isclose(h.chain_eigvec_ratio(k, P0, g), u[1], rtol=1e-12)
    assert abs(ratios[-1] - 0.25) < 1e-3          # corrected Eq. (29)
    assert abs(ratios[-1] - 1.0) > 0.7            # printed coefficient does not hold
    k = 0.02
    _, u = h.plus_branch(h.chain_Pk(k, P0, g))
    pol = ((1 - u[1]) / (1 + u[1])).real
    assert abs(pol - h.chain_polarization_small_k(k, g)) < 1e-9


def test_weak_field_eigenvector_eq37():
    P0, g = 0.4, 0.5
    errs = []
    for eps in (0.1, 0.05, 0.025):
        k, f = eps, eps
        _, u = h.plus_branch(h.chain_Pk(k, P0, g, f))
        approx = h.chain_eigvec_ratio_weak_field(k, g, f)
        errs.append(abs(u[1] - approx))
        # the phase difference Δφ_k = γ (ka/4)(fa) of Eq. (37)
        assert np.isclose(np.angle(u[1]), g * k * f / 4, rtol=0.05)
    assert errs[2] < errs[1] < errs[0]


def test_group_velocity_exact_and_weak_field_eq36():
    P0, g, a, tau = 0.45, 0.3, 1.3, 0.7
    for f in (0.01, 0.5, 2.0, -3.0):
        num = h.numerical_group_velocity(lambda k: h.chain_Pk(k, P0, g, f, a), 1, h=1e-5,
                                         tau=tau)
        assert np.isclose(num, h.chain_group_velocity(P0, g, f, a, tau), rtol=1e-7)
    # weak-field limit, Eq. (36)
    f = 1e-3
    assert np.isclose(h.chain_group_velocity(P0, g, f, a, tau),
                      h.chain_group_velocity_weak(P0, g, f, a, tau), rtol=1e-6)
    # the k = 0 mode has zero frequency but finite velocity; small-k frequency Eq. (41)
    p0, _ = h.plus_branch(h.chain_Pk(0.0, P0, g, 2.0, a))
    assert abs(np.angle(p0)) < 1e-14
    k = 1e-4
    p, _ = h.plus_branch(h.chain_Pk(k, P0, g, 2.0, a))
    assert np.isclose(np.angle(p) / tau, h.chain_frequency_small_k(k, P0, g, 2.0, a, tau),
                      rtol=1e-6)


def test_weak_field_eigenvalue_eq34_and_decay_second_order():
    P0, g = 0.5, 0.4
    k, f = 1e-3, 1e-3
    p, _ = h.plus_branch(h.chain_Pk(k, P0, g, f))
    assert np.isclose(p.imag, P0 * (1 - g * g) * k / 4 * f, rtol=1e-5)
    # the field changes |p| only at second order
    p_nofield, _ = h.plus_branch(h.chain_Pk(k, P0, g, 0.0))
    assert abs(abs(p) - abs(p_nofield)) < 10 * (k * f) ** 2


def test_sigma_weak_and_strong_from_numerical_velocity():
    P0, g, T, n0, Z, a, Vc, tau = 0.3, 0.2, 600.0, 1.0, 1.0, 2.0, 3.0, 1.5
    kT = 8.617333262e-5 * T

    def J(E):  # current density Z n0 v / V from the numerically diagonalised P_k
        f = Z * E / kT
        v = h.numerical_group_velocity(lambda k: h.chain_Pk(k, P0, g, f, a), 1, tau=tau)
        return Z * n0 * v / Vc

    dE = 1e-6
    assert np.isclose((J(dE) - J(-dE)) / (2 * dE), h.sigma_weak(P0, g, T, n0, Z, a, Vc, tau),
                      rtol=1e-5)
    for E in (0.02, 0.1):
        dE = 1e-6
        sig = (J(E + dE) - J(E - dE)) / (2 * dE)
        assert np.isclose(sig, h.sigma_strong(P0, g, T, E, n0, Z, a, Vc, tau), rtol=1e-5)
        assert np.isclose(J(E) / E, h.sigma_chord(P0, g, T, E, n0, Z, a, Vc, tau), rtol=1e-6)
    # Arrhenius law Eq. (39): with P0 = exp(-Λ/kT), ln(σT) is linear in 1/T with slope -Λ/k_B
    Lam = 0.3
    Ts = np.array([300.0, 400.0, 600.0])
    y = [math.log(h.sigma_weak(math.exp(-Lam / (8.617333262e-5 * t)), g, t) * t) for t in Ts]
    slope = np.polyfit(1 / Ts, y, 1)[0]
    assert np.isclose(slope, -Lam / 8.617333262e-5, rtol=1e-10)


# ----------------------------------------------------------------------------- 1D, real space
def test_ring_conserves_number_and_eigenmode_evolves_as_p_to_the_t():
    n, P0, g, f = 40, 0.5, 0.3, 0.8
    R = h.chain_ring_matrix(n, P0, g, f)
    assert np.allclose(np.asarray(R.sum(0)).ravel(), 1, atol=1e-15)
    x, lab = h.chain_sites(n)
    m = 3
    k = 2 * np.pi * m / n
    p, u = h.plus_branch(h.chain_Pk(k, P0, g, f))
    # with n_k = Σ exp(+ikx) n, the real-space pattern of mode k is exp(−ikx) u (module docstring)
    wave = np.exp(-1j * k * x) * u[lab]
    n_init = 1.0 + 0.3 * np.real(wave)
    steps = 60
    traj = h.propagate(R, n_init, steps)
    t = np.arange(steps + 1)[:, None]
    closed = 1.0 + 0.3 * np.real(p ** t * wave)
    # the uniform part is the stationary k = 0 state only if split (1+γ):(1−γ); use the exact one
    n_stat = np.where(lab == 0, 1 + g, 1 - g)
    traj2 = h.propagate(R, n_stat + 0.3 * np.real(wave), steps)
    closed2 = n_stat + 0.3 * np.real(p ** t * wave)
    assert np.max(np.abs(traj2 - closed2)) < 1e-12
    assert np.allclose(traj.sum(1), n_init.sum(), rtol=1e-14, atol=0)   # Eq. (9)
    assert np.max(np.abs(traj - closed)) > 1e-3  # a non-stationary background does evolve


def test_ring_packet_drifts_at_group_velocity_and_spreads_diffusively():
    n, P0, g = 200, 0.5, 0.4
    x, lab = h.chain_sites(n)
    n_init = np.zeros(2 * n)
    n_init[200], n_init[201] = (1 + g) / 2, (1 - g) / 2      # stationary split in cell 100
    steps = 150
    for f in (0.0, 0.3, 1.0):
        R = h.chain_ring_matrix(n, P0, g, f)
        traj = h.propagate(R, n_init, steps)
        mean = traj @ x
        assert np.allclose(np.diff(mean), h.chain_group_velocity(P0, g, f), atol=1e-12)
        if f == 0.0:
            var = traj @ x ** 2 - mean ** 2
            D = P0 * (1 - g * g) / 8          # κ = D k² of Eq. (27)
            assert np.allclose(np.diff(var), 2 * D, atol=1e-11)


def test_ring_density_wave_decay_rate_scales_as_k_squared():
    n, P0, g = 64, 0.5, 0.2
    R = h.chain_ring_matrix(n, P0, g)
    x, lab = h.chain_sites(n)
    rates = []
    for m in (1, 2, 4):
        k = 2 * np.pi * m / n
        n_init = np.where(lab == 0, 1 + g, 1 - g) + 0.1 * np.cos(k * x)
        traj = h.propagate(R, n_init, 400, every=200)
        amp = lambda v: abs(np.sum(v * np.exp(-1j * k * x)))
        rates.append(-math.log(amp(traj[2]) / amp(traj[1])) / 200)  # once the '−' mode died
        p_plus = h.chain_eigenvalues(k, P0, g)[0]
        assert np.isclose(amp(traj[2]) / amp(traj[1]), abs(p_plus) ** 200, rtol=1e-12)
        assert np.isclose(rates[-1], h.decay_rate(p_plus), rtol=0.01)  # κτ = 1 − |p| ≈ −ln|p|
    assert np.isclose(rates[1] / rates[0], 4, rtol=0.01)
    assert np.isclose(rates[2] / rates[0], 16, rtol=0.05)


# ----------------------------------------------------------------------------- honeycomb
def test_honeycomb_eigenvalues_eq58_and_conservation():
    k = RNG.uniform(-4, 4, size=(20, 2))
    for P0, g, f1 in random_params(4, fmax=0.5):
        f = np.array([f1, -0.5 * f1])
        Pk = h.honeycomb_Pk(k, P0, g, f, diagonal="printed")
        pp, pm = h.honeycomb_eigenvalues(k, P0, g, f)
        for a, b0, b1 in zip(np.linalg.eigvals(Pk), pp, pm):
            assert same_set(a, [b0, b1], 1e-13)
        cons = h.honeycomb_Pk(np.zeros(2), P0, g, f)
        assert np.allclose(cons.sum(0), 1, atol=1e-15)
        if f1 != 0:  # the printed diagonal ignores the field: columns miss 1 at O(f²)
            printed = h.honeycomb_Pk(np.zeros(2), P0, g, f, diagonal="printed")
            assert np.max(np.abs(printed.sum(0) - 1)) > 1e-6
    # at zero field the two diagonals coincide
    assert np.allclose(h.honeycomb_Pk(k, 0.3, 0.2), h.honeycomb_Pk(k, 0.3, 0.2, diagonal="printed"))


def test_honeycomb_structure_factor_expansion_eq59():
    a = 1.0
    for eps in (1e-2, 5e-3):
        k = eps * np.array([0.7, -0.4])
        f = eps * np.array([0.3, 0.9])
        prod = h.honeycomb_structure_factor(k, f, a) * h.honeycomb_structure_factor(-k, -f, a)
        assert np.isclose(prod.imag, a * a / 3 * (k @ f), rtol=1e-3)


def test_honeycomb_Pk_is_fourier_transform_of_torus():
    L, P0, g, f = 6, 0.4, -0.3, np.array([0.4, -0.2])
    R = h.honeycomb_torus_matrix(L, P0, g, f).toarray()
    assert np.allclose(R.sum(0), 1, atol=1e-15)
    pos, lab, _ = h.honeycomb_sites(L)
    A = np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])  # rows: lattice vectors
    Binv = np.linalg.inv(A.T)

    def min_image(d):
        c = d @ Binv.T
        c -= L * np.round(c / L)
        return c @ A

    for (m1, m2) in [(0, 0), (1, 0), (0, 2), (-1, 3)]:
        k = 2 * np.pi * (m1 * np.linalg.inv(A)[:, 0] + m2 * np.linalg.inv(A)[:, 1]) / L
        ft = np.zeros((2, 2), complex)
        for i in (0, 1):
            for j in np.nonzero(R[:, i])[0]:
                d = min_image(pos[j] - pos[i])
                ft[lab[j], i] += np.exp(1j * k @ d) * R[j, i]
        assert np.allclose(ft, h.honeycomb_Pk(k, P0, g, f), atol=1e-13)


def test_honeycomb_group_velocity_and_conductivity_eq62_63():
    P0, g, tau = 0.4, 0.3, 1.0
    for f in (np.array([0.8, 0.0]), np.array([-0.5, 1.1])):
        num = h.numerical_group_velocity(lambda k: h.honeycomb_Pk(k, P0, g, f), 2, tau=tau)
        assert np.allclose(num, h.honeycomb_group_velocity(P0, g, f, tau=tau), rtol=1e-7,
                           atol=1e-10)
    f = np.array([1e-4, -2e-4])
    assert np.allclose(h.honeycomb_group_velocity(P0, g, f), h.honeycomb_group_velocity_weak(
        P0, g, f), rtol=1e-6)
    # conductivity tensor from numerical derivatives of the drift velocity
    T, n0, Z = 800.0, 1.0, 1.0
    kT = 8.617333262e-5 * T
    sig = np.zeros((2, 2))
    dE = 1e-4
    for beta in range(2):
        e = np.zeros(2)
        e[beta] = dE
        vp = h.numerical_group_velocity(lambda k: h.honeycomb_Pk(k, P0, g, Z * e / kT), 2)
        vm = h.numerical_group_velocity(lambda k: h.honeycomb_Pk(k, P0, g, -Z * e / kT), 2)
        sig[:, beta] = Z * n0 * (vp - vm) / (2 * dE)
    ref = h.honeycomb_conductivity(P0, g, T, n0, Z)
    assert np.allclose(sig, ref, rtol=1e-5, atol=1e-6 * ref[0, 0])
    assert abs(sig[0, 1]) < 1e-6 * sig[0, 0] and np.isclose(sig[0, 0], sig[1, 1], rtol=1e-6)


def test_honeycomb_torus_drift_and_conservation():
    L, P0, g = 24, 0.5, 0.25
    f = np.array([0.6, 0.3])
    R = h.honeycomb_torus_matrix(L, P0, g, f)
    pos, lab, cells = h.honeycomb_sites(L)
    wa, wb = h.honeycomb_stationary_split(P0, g, f)
    n_init = np.zeros(2 * L * L)
    c0 = 2 * ((L // 2) * L + L // 2)
    n_init[c0], n_init[c0 + 1] = wa, wb
    traj = h.propagate(R, n_init, 30)
    assert np.allclose(traj.sum(1), 1, rtol=0, atol=1e-14)
    mean = traj @ pos
    assert np.allclose(np.diff(mean, axis=0), h.honeycomb_group_velocity(P0, g, f), atol=1e-12)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, name", [
    (lambda: h.chain_Pk(0.1, 0.5, 1.0), "gamma"),
    (lambda: h.chain_Pk(0.1, 0.5, -1.2), "gamma"),
    (lambda: h.chain_Pk(0.1, 0.0, 0.2), "P0"),
    (lambda: h.chain_Pk(0.1, 1.5, 0.2), "P0"),
    (lambda: h.chain_Pk(np.nan, 0.5, 0.2), "k"),
    (lambda: h.chain_ring_matrix(10, 0.6, 0.88, 0.5), "P0"),
    (lambda: h.honeycomb_torus_matrix(4, 0.9, 0.5), "P0"),
    (lambda: h.sigma_weak(0.5, 0.1, 0.0), "T"),
    (lambda: h.sigma_weak(0.5, 0.1, -10.0), "T"),
    (lambda: h.sigma_weak(0.5, 0.1, 300.0, n0=2.5), "n0"),
    (lambda: h.honeycomb_Pk(np.zeros(3), 0.5, 0.1), "k"),
    (lambda: h.decay_rate(0.9, tau=0.0), "tau"),
])
def test_bad_input_raises_naming_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_honeycomb_stationary_split_is_conserved_eigenvector():
    P0, g = 0.4, 0.35
    assert np.allclose(h.honeycomb_stationary_split(P0, g), ((1 + g) / 2, (1 - g) / 2))
    f = np.array([0.9, -0.4])
    w = np.array(h.honeycomb_stationary_split(P0, g, f))
    Pk = h.honeycomb_Pk(np.zeros(2), P0, g, f)
    assert np.allclose(Pk @ w, w, atol=1e-15)


def test_honeycomb_is_one_lattice_for_master_equation_and_lattice_gas():
    """The master equation's torus and the lattice gas (kinetic Monte Carlo) use the same
    lattice: the same bonds, every bond of length a/√3 (minimum image), each hop along the
    bond vector the model assigns to it, and the same cells."""
    from ionmotion import latticegas as lg
    L = 5
    lat = lg.honeycomb(L)
    P = h.honeycomb_torus_matrix(L, 0.4, 0.2).tocoo()
    off = P.row != P.col
    bonds = {(int(i), int(j)) for i, j in zip(P.row[off], P.col[off])}
    want = {(int(x), int(y)) for x in range(lat.n_sites) for y in lat.nbr[x]}
    assert bonds == want and len(want) == 3 * lat.n_sites
    pos, lab, cells = h.honeycomb_sites(L)
    np.testing.assert_array_equal(lab, lat.sub)
    np.testing.assert_allclose(pos, -lat.pos)
    # cells: site 2 (m L + n) + s is in cell (m, n), its a site at m A1' + n A2'
    np.testing.assert_array_equal(cells[::2], cells[1::2])
    A1, A2 = pos[2 * L] - pos[0], pos[2] - pos[0]
    np.testing.assert_allclose(pos[0::2], cells[0::2, :1] * A1 + cells[0::2, 1:] * A2,
                               atol=1e-12)
    d = h.honeycomb_bond_vectors()
    for x in np.flatnonzero(lab == 0)[:7]:
        for k in range(3):
            y = lat.nbr[x, k]
            shift = pos[y] - pos[x] + d[k]          # a → b along −a_k, up to a torus period
            c = np.linalg.solve(np.stack([A1, A2], 1), shift) / L
            np.testing.assert_allclose(c, np.round(c), atol=1e-9)
            np.testing.assert_allclose(lat.vecs[0, k], d[k])   # the lattice gas: +a_k


def test_numerical_conductivities_equal_the_closed_forms():
    """∂J/∂E from the eigenvalues of P_k reproduces hu2026 Eq. (38) (chain) and Eq. (63)
    (honeycomb) without using them."""
    P0, g, T = 0.02, 0.4, 700.0
    assert h.chain_conductivity_numerical(P0, g, T) == pytest.approx(h.sigma_weak(P0, g, T),
                                                                     rel=1e-5)
    # e^{±fa/4} instead of e^{±fa/2}: half the conductivity
    half = h.chain_conductivity_numerical(P0, g, T, field_scale=0.5)
    assert half == pytest.approx(0.5 * h.sigma_weak(P0, g, T), rel=1e-5)
    s = h.honeycomb_conductivity_numerical(P0, g, T, n0=1.0)
    np.testing.assert_allclose(s, h.honeycomb_conductivity(P0, g, T, 1.0),
                               rtol=1e-4, atol=1e-6 * s[0, 0])


def test_escape_probability_equals_matrix_powers():
    P = h.chain_ring_matrix(12, 0.3, 0.2).toarray()
    N = np.array([0, 1, 5, 40])
    want = [1 - np.linalg.matrix_power(P, n)[3, 3] for n in N]
    np.testing.assert_allclose(h.escape_probability(P, 3, N), want, atol=1e-12)
    with pytest.raises(ValueError, match="site"):
        h.escape_probability(P, P.shape[0], N)
