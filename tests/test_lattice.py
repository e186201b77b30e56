"""Lattice dynamics: symmetries of D(q), analytic limits, sound, drag matrix, recoil kernel."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ionmotion.lattice import (CUBIC_BOND_OFFSETS, Chain, CubicLattice, _cos_sum_reference,
                               bz_quadrature, cos_sum, lattice_bonds, sphere_quadrature,
                               isotropic_drag, periodic_grid)

LAT = CubicLattice(mass=3.5, a=3.0, k1=520.0, k2=170.0)   # rodin2025 Sec. III
qvec = st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3).map(np.array)


def close(actual, desired, rtol):
    """Matrix comparison relative to the largest entry (off-diagonal zeros carry round-off)."""
    desired = np.asarray(desired)
    np.testing.assert_allclose(actual, desired, rtol=0, atol=rtol * np.max(np.abs(desired)))


def brute_force_D(lat, q):
    """m D(q) = Σ_b k_b ê_b ê_bᵀ (1 - cos q·b) summed over the 18 neighbours, written out
    independently of lattice.py's closed form."""
    D = np.zeros((3, 3))
    for i in range(3):
        for s in (1, -1):
            b = np.zeros(3)
            b[i] = s * lat.a
            e = b / np.linalg.norm(b)
            D += lat.k1 * np.outer(e, e) * (1 - np.cos(q @ b))
    for i in range(3):
        for j in range(i + 1, 3):
            for si in (1, -1):
                for sj in (1, -1):
                    b = np.zeros(3)
                    b[i], b[j] = si * lat.a, sj * lat.a
                    e = b / np.linalg.norm(b)
                    D += lat.k2 * np.outer(e, e) * (1 - np.cos(q @ b))
    return D / lat.mass


@settings(max_examples=40, deadline=None)
@given(qvec)
def test_dynamical_matrix_matches_neighbour_sum_and_symmetries(q):
    D = LAT.dynamical_matrix(q)
    np.testing.assert_allclose(D, brute_force_D(LAT, q), atol=1e-10)
    np.testing.assert_allclose(D, D.T, atol=1e-12)                       # Hermitian (real)
    np.testing.assert_allclose(LAT.dynamical_matrix(-q), D, atol=1e-12)  # D(-q) = D(q)*
    G = 2 * np.pi / LAT.a * np.array([1, -2, 1])
    np.testing.assert_allclose(LAT.dynamical_matrix(q + G), D, atol=1e-9)  # periodic in q
    assert np.all(np.linalg.eigvalsh(D) > -1e-9)                           # stable


@settings(max_examples=30, deadline=None)
@given(qvec)
def test_cubic_symmetry(q):
    D = LAT.dynamical_matrix(q)
    for perm in ([1, 0, 2], [2, 1, 0], [0, 2, 1]):
        P = np.eye(3)[perm]
        np.testing.assert_allclose(LAT.dynamical_matrix(P @ q), P @ D @ P.T, atol=1e-10)
    S = np.diag([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(LAT.dynamical_matrix(S @ q), S @ D @ S, atol=1e-10)


def test_gamma_and_x_point():
    np.testing.assert_allclose(LAT.dynamical_matrix(np.zeros(3)), 0, atol=1e-12)
    X = np.array([np.pi / LAT.a, 0, 0])
    w = LAT.frequencies(X)
    m, k1, k2 = LAT.mass, LAT.k1, LAT.k2
    np.testing.assert_allclose(w[-1], np.sqrt(4 * k1 / m + 8 * k2 / m), rtol=1e-12)
    np.testing.assert_allclose(LAT.max_frequency, np.sqrt(4 * k1 / m + 8 * k2 / m), rtol=1e-12)


def test_sound_velocities_are_slopes_of_the_dispersion():
    for n in ([1, 0, 0], [1, 1, 0], [1, 1, 1], [0.3, -0.5, 0.8]):
        n = np.array(n, float) / np.linalg.norm(n)
        q = 1e-4
        slope = LAT.frequencies(q * n) / q
        np.testing.assert_allclose(slope, LAT.sound_velocities(n), rtol=1e-6)
    # [100]: v_L = a √((k1 + 2k2)/m), v_T = a √(k2/m) (elastic constants of the central-force model)
    vT, _, vL = LAT.sound_velocities([1, 0, 0])
    np.testing.assert_allclose(vL, LAT.a * np.sqrt((LAT.k1 + 2 * LAT.k2) / LAT.mass))
    np.testing.assert_allclose(vT, LAT.a * np.sqrt(LAT.k2 / LAT.mass))


def test_drag_matrix_isotropic_limit_and_cubic_isotropy():
    # k1 = k2 makes the central-force cubic lattice elastically isotropic (C11 - C12 = 2 C44),
    # so 𝓛 must equal the isotropic-medium formula rodin2022 Eq. (43).
    iso = CubicLattice(2.0, 2.5, 100.0, 100.0)
    for n in ([1, 0, 0], [1, 1, 1], [0.2, 0.7, -0.1]):
        np.testing.assert_allclose(iso.sound_velocities(n), iso.sound_velocities([1, 0, 0]))
    vT, _, vL = iso.sound_velocities([1, 0, 0])
    np.testing.assert_allclose(iso.drag_matrix(), isotropic_drag(iso.density, vL, vT), rtol=1e-12,
                               atol=1e-14 * iso.drag_matrix()[0, 0])
    L = LAT.drag_matrix()
    np.testing.assert_allclose(L, L[0, 0] * np.eye(3), atol=1e-12 * L[0, 0])
    close(LAT.drag_matrix(16), L, 1e-6)          # quadrature converged at order 16
    # 𝓛 lies between the isotropic values built from the slowest and fastest sound speeds
    assert isotropic_drag(LAT.density, 47.0, 29.8)[0, 0] < L[0, 0]


def test_drag_matrix_scales_with_density_and_stiffness():
    L = LAT.drag_matrix()
    # ρ → 2ρ (double mass): v ∝ m^{-1/2}, so 𝓛 ∝ 1/(ρ v³) ∝ m^{1/2}
    close(CubicLattice(7.0, 3.0, 520, 170).drag_matrix(), L * np.sqrt(2), 1e-12)
    # springs ×4: v doubles, 𝓛 / 8
    close(CubicLattice(3.5, 3.0, 2080, 680).drag_matrix(), L / 8, 1e-12)


def test_quadrature_weights_and_known_integrals():
    q, w = bz_quadrature(LAT.a, 12)
    np.testing.assert_allclose(w.sum(), 1.0, rtol=1e-13)
    assert np.all(np.abs(q) <= np.pi / LAT.a + 1e-12)
    # ⟨cos q·L⟩ over the zone = δ_{L,0}
    for L in ([1, 0, 0], [2, 1, 0], [1, 1, 1]):
        assert abs(np.sum(w * np.cos(q @ (np.array(L) * LAT.a)))) < 1e-10
    # ⟨1/|q|²⟩ is finite; the pyramid rule integrates the Γ singularity: compare two orders
    f = lambda n: np.sum(bz_quadrature(LAT.a, n)[1] / np.sum(bz_quadrature(LAT.a, n)[0] ** 2, 1))
    np.testing.assert_allclose(f(10), f(30), rtol=1e-6)


def test_periodic_grid():
    q, w = periodic_grid(3.0, 4)
    assert len(q) == 63 and np.isclose(w.sum(), 63 / 64)
    assert not np.any(np.all(q == 0, axis=1))


def test_cos_sum_kernel_matches_numpy():
    rng = np.random.default_rng(1)
    amp = rng.normal(size=(50, 3, 3))
    om = rng.uniform(0.1, 5, size=50)
    for t in (np.linspace(0, 3, 7), np.array([0.0, 0.3, 2.0]), np.linspace(-1, 40, 4001)):
        # uniform grids use the rotation recurrence (error grows ~ k·1e-16), others direct cos
        np.testing.assert_allclose(cos_sum(amp, om, t), _cos_sum_reference(amp, om, t), atol=1e-10)


def test_static_response_is_inverse_of_the_force_constant_matrix():
    """On a small periodic lattice W(0) must invert V on the subspace without uniform shifts."""
    n = 4
    lat = CubicLattice(1.3, 2.0, 7.0, 3.0)
    sites = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    N = len(sites)
    V = np.zeros((3 * N, 3 * N))
    b, kk = lat.bond_springs()
    index = {tuple(s): i for i, s in enumerate(sites)}
    for i, s in enumerate(sites):
        for bb, kb in zip(b, kk):
            j = index[tuple(((s + np.round(bb / lat.a)).astype(int)) % n)]
            e = bb / np.linalg.norm(bb)
            V[3 * i:3 * i + 3, 3 * i:3 * i + 3] += kb * np.outer(e, e)
            V[3 * i:3 * i + 3, 3 * j:3 * j + 3] -= kb * np.outer(e, e)
    W = np.zeros_like(V)
    for i, s in enumerate(sites):
        for j, u in enumerate(sites):
            W[3 * i:3 * i + 3, 3 * j:3 * j + 3] = lat.static_response(s - u, n_grid=n)
    P = np.eye(3 * N) - np.kron(np.ones((N, N)) / N, np.eye(3))   # remove uniform translations
    np.testing.assert_allclose(V @ W, P, atol=1e-10)


def test_recoil_kernel_grid_converges_to_infinite_lattice():
    w_inf = LAT.static_response([0, 0, 0])
    errs = [abs(LAT.static_response([0, 0, 0], n_grid=n)[0, 0] - w_inf[0, 0]) for n in (10, 20, 40)]
    assert errs[0] > errs[1] > errs[2]
    np.testing.assert_allclose(errs[0] / errs[1], 2.0, rtol=0.05)   # O(1/N): the missing Γ cell
    close(LAT.static_response([0, 0, 0], n_quad=24), w_inf, 1e-8)
    # on-site W(0) is isotropic; the neighbour block has the bond's axial symmetry
    np.testing.assert_allclose(w_inf, w_inf[0, 0] * np.eye(3), atol=1e-12 * w_inf[0, 0])
    w1 = LAT.static_response([1, 0, 0])
    assert w1[0, 0] > w1[1, 1] > 0 and abs(w1[0, 1]) < 1e-12 * w1[0, 0]


def test_recoil_kernel_is_even_in_time_and_decays():
    t = np.linspace(0, 2, 41)
    W = LAT.recoil_kernel(t, [0, 0, 0], n_quad=30)
    close(LAT.recoil_kernel(-t, [0, 0, 0], n_quad=30), W, 1e-12)
    ratio = W[:, 0, 0] / W[0, 0, 0]
    assert np.all(np.abs(ratio[t > 0.5]) < 0.1)


def test_chain_dispersion_and_kernel():
    ch = Chain(1 / (4 * np.pi**2), 2.0, 99 / 4, 99 / 4, 1.0, 1.0)   # rodin2024 units
    j = np.arange(100)
    q = 2 * np.pi * j / (100 * 2.0)
    w = ch.branch_frequencies(q) / (2 * np.pi)                          # cycles per period
    np.testing.assert_allclose(w[:, 2] ** 2, 1 + 4 * 99 / 4 * np.sin(np.pi * j / 100) ** 2)
    # static response of a single confined, uncoupled mass is 1/kappa
    lone = Chain(1.0, 1.0, 1e-12, 1e-12, 2.0, 2.0)
    np.testing.assert_allclose(lone.static_response([0]), np.eye(3) / 2.0, rtol=1e-8)
    with pytest.raises(ValueError, match="kappa"):
        Chain(1.0, 1.0, 1.0, 1.0, 0.0, 0.0).static_response([0])


@pytest.mark.parametrize("kw,name", [
    (dict(mass=0, a=3, k1=1, k2=1), "mass"), (dict(mass=1, a=-3, k1=1, k2=1), "a"),
    (dict(mass=1, a=3, k1=np.nan, k2=1), "k1"), (dict(mass=1, a=3, k1=1, k2=0), "k2"),
    (dict(mass=1, a=3, k1=1, k2=np.inf), "k2")])
def test_bad_parameters(kw, name):
    with pytest.raises(ValueError, match=name):
        CubicLattice(**kw)


def test_bad_arrays():
    with pytest.raises(ValueError, match="q"):
        LAT.dynamical_matrix(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="q"):
        LAT.frequencies([np.nan, 0, 0])
    with pytest.raises(ValueError, match="separation"):
        LAT.static_response([0.5, 0, 0])
    with pytest.raises(ValueError, match="direction"):
        LAT.sound_velocities([0, 0, 0])


def test_band_path_dos_and_response_matrix():
    q, d, ticks, labels = LAT.band_path(n_per_segment=20)
    assert labels == ["Γ", "X", "M", "Γ", "R"] and len(ticks) == 5
    np.testing.assert_allclose(q[0], 0, atol=1e-15)
    np.testing.assert_allclose(q[-1], np.pi / LAT.a, rtol=1e-12)          # ends at R
    np.testing.assert_allclose(d[-1], ticks[-1])
    assert np.all(np.diff(d) >= 0)
    w, g = LAT.dos(n_grid=12, bins=40)
    np.testing.assert_allclose(np.sum(g) * (w[1] - w[0]), 1.0, rtol=1e-12)
    assert w[np.argmax(g > 0)] < 0.3 * LAT.max_frequency and np.all(g >= 0)
    sites = np.array([[0, 0, j] for j in range(3)])
    V_inv = LAT.static_response_matrix(sites, n_quad=12)
    np.testing.assert_allclose(V_inv, V_inv.T, atol=1e-14 * np.abs(V_inv).max())
    assert np.all(np.linalg.eigvalsh(V_inv) > 0)                           # a response is stable
    with pytest.raises(ValueError, match="points"):
        LAT.band_path(points=("G", "K"))


def test_graded_quadrature_matches_plain_rule():
    for dim in (1, 3):
        q, w = bz_quadrature(LAT.a, 8, dim, levels=6)
        np.testing.assert_allclose(w.sum(), 1.0, rtol=1e-13)
    f = lambda q: np.exp(-np.sum(q**2, axis=1)) / np.sum(q**2, axis=1)   # peaked at Γ
    qg, wg = bz_quadrature(LAT.a, 24, levels=4)
    qp, wp = bz_quadrature(LAT.a, 30)
    np.testing.assert_allclose(np.sum(wg * f(qg)), np.sum(wp * f(qp)), rtol=1e-8)


@pytest.mark.parametrize("fw", [CubicLattice(1.3, 2.0, 7.0, 3.0),
                                Chain(0.8, 1.5, 4.0, 2.5, 0.7, 0.3)])
def test_bond_table_reproduces_the_dynamical_matrix(fw):
    """m D(q) = onsite + Σ_b K_b (1 − cos q·b a) for the one bond table of each framework."""
    offs, K, onsite = lattice_bonds(fw)
    assert np.allclose(K, np.swapaxes(K, 1, 2))
    # every bond has its reverse with the same stiffness (Newton's third law)
    for o, k in zip(offs, K):
        j = np.flatnonzero((offs == -o).all(axis=1))
        assert j.size == 1 and np.allclose(K[j[0]], k)
    rng = np.random.default_rng(4)
    q = rng.uniform(-np.pi, np.pi, (7, 3)) / fw.a
    qq = q if fw.dim == 3 else q[:, 2:]
    mD = onsite + np.einsum("qb,bij->qij", 1 - np.cos(q @ offs.T * fw.a), K)
    np.testing.assert_allclose(mD, fw.mass * fw.dynamical_matrix(qq), rtol=1e-12, atol=1e-12)


def test_cubic_bond_offsets_are_the_18_shortest_lattice_vectors():
    o = CUBIC_BOND_OFFSETS
    assert o.shape == (18, 3) and len({tuple(x) for x in o}) == 18
    n2 = (o**2).sum(axis=1)
    assert list(n2) == [1] * 6 + [2] * 12


def test_sphere_quadrature_integrates_polynomials_and_area():
    n, w = sphere_quadrature(8)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(w.sum(), 4 * np.pi, rtol=1e-13)
    # ∫ n_i n_j dΩ = 4π/3 δ_ij, ∫ n_z⁴ dΩ = 4π/5, ∫ n_x² n_y² dΩ = 4π/15
    np.testing.assert_allclose(np.einsum("p,pi,pj->ij", w, n, n), 4 * np.pi / 3 * np.eye(3),
                               atol=1e-13)
    np.testing.assert_allclose(w @ n[:, 2] ** 4, 4 * np.pi / 5, rtol=1e-13)
    np.testing.assert_allclose(w @ (n[:, 0] ** 2 * n[:, 1] ** 2), 4 * np.pi / 15, rtol=1e-13)
    n2, w2 = sphere_quadrature(8, n_phi=17)
    assert len(w2) == 8 * 17 and np.isclose(w2.sum(), 4 * np.pi)
