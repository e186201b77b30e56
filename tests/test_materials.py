"""Tests of ionmotion.materials (rock-salt geometry, O_h orbits) and ionmotion.landscape (elastic
constants, 𝓛 from the Christoffel equation, force-difference Hessian, spline, percolation)."""
from itertools import permutations, product

import numpy as np
import pytest

from ionmotion import landscape as ls, materials as mt
from ionmotion.mobility import drag_matrix_from_sound

AGCL = mt.material("AgCl")


def _sym_field(frac):
    """An O_h-invariant periodic test field (meV) about the origin, with its gradient (per unit
    fractional coordinate)."""
    c, s = np.cos(2 * np.pi * frac), np.sin(2 * np.pi * frac)
    c2 = np.cos(4 * np.pi * frac)
    U = 100 * c.sum(-1) + 30 * (c[..., 0] * c[..., 1] + c[..., 1] * c[..., 2]
                                + c[..., 0] * c[..., 2]) + 7 * c2.sum(-1) * c.prod(-1)
    return U


def test_oh_is_a_group_of_48_orthogonal_operations():
    ops = mt.oh_operations()
    assert ops.shape == (48, 3, 3) and np.array_equal(ops[0], np.eye(3))
    keys = {o.tobytes() for o in ops}
    assert len(keys) == 48
    for o in ops:
        assert np.array_equal(o @ o.T, np.eye(3, dtype=int))
    for o1 in ops[::7]:
        for o2 in ops[::5]:
            assert (o1 @ o2).tobytes() in keys


def test_orbits_match_brute_force_enumeration():
    # independent count: canonical form = smallest tuple over all signed permutations
    n = 8
    orbits = {}
    for p in product(range(n), repeat=3):
        key = min(tuple((sg * x) % n for sg, x in zip(sgs, perm))
                  for perm in permutations(p) for sgs in product((1, -1), repeat=3))
        orbits.setdefault(key, []).append(p)
    rep, op = mt.orbit_representatives(n)
    assert len(np.unique(rep)) == len(orbits)
    pts = mt.grid_indices(n)
    ops = mt.oh_operations()
    assert np.array_equal((np.einsum("pij,pj->pi", ops[op], pts[rep])) % n, pts)


def test_framework_is_oh_invariant_and_wedge_counts():
    sites, sym = AGCL.fixed_sites()
    assert len(sites) == 7 and sym.count("Cl") == 4
    for o in mt.oh_operations():
        img = (sites @ o.T) % 1.0
        d = np.abs(img[:, None] - sites[None]) % 1.0
        assert np.all(np.min(np.minimum(d, 1 - d).sum(-1), axis=1) < 1e-12)
    acc = mt.accessible(AGCL, 16)
    assert len(mt.wedge(acc)) == 33          # also found by the orbit enumeration in issue 16
    assert acc.sum() == 753 and not acc[8, 0, 0] and acc[0, 0, 0] and acc[4, 4, 4]
    sup = mt.support(acc)
    assert sup.sum() > acc.sum() and np.all(sup[acc])


def test_expand_reproduces_a_symmetric_field_and_rotates_forces():
    n = 8
    frac = mt.grid_indices(n) / n
    U = _sym_field(frac)
    h = 1e-6
    F = -np.stack([(_sym_field(frac + h * e) - _sym_field(frac - h * e)) / (2 * h)
                   for e in np.eye(3)], -1)
    rep, _ = mt.orbit_representatives(n)
    reps = np.unique(rep)
    Ug, Fg = mt.expand(n, reps, U[reps], F[reps])
    assert np.allclose(Ug.ravel(), U) and np.allclose(Fg.reshape(-1, 3), F, atol=1e-6)
    # a field that is not symmetric is not reproduced
    Ub = mt.expand(n, reps, (U + 5 * np.sin(2 * np.pi * frac[:, 0]))[reps])
    assert not np.allclose(Ub.ravel(), U + 5 * np.sin(2 * np.pi * frac[:, 0]))


def test_wedge_rejects_asymmetric_mask():
    m = mt.accessible(AGCL, 8)
    m[1, 2, 3] = not m[1, 2, 3]
    with pytest.raises(ValueError, match="invariant"):
        mt.wedge(m)


def test_hessian_from_forces_converges_at_second_order():
    a = 5.0
    errs = []
    for n in (16, 32):
        frac = mt.grid_indices(n) / n
        k = 2 * np.pi / a
        x = frac * a
        # U = A Σ cos(k x_i) + B cos(k x) cos(k y): F = −∇U, H analytic
        A, B = 50.0, 20.0
        F = np.stack([A * k * np.sin(k * x[:, 0]) + B * k * np.sin(k * x[:, 0]) * np.cos(k * x[:, 1]),
                      A * k * np.sin(k * x[:, 1]) + B * k * np.cos(k * x[:, 0]) * np.sin(k * x[:, 1]),
                      A * k * np.sin(k * x[:, 2])], -1).reshape(n, n, n, 3)
        H, asym = ls.hessian_from_forces(F, a)
        Hx = np.zeros((n ** 3, 3, 3))
        Hx[:, 0, 0] = -(A + B * np.cos(k * x[:, 1])) * k * k * np.cos(k * x[:, 0])
        Hx[:, 1, 1] = -(A + B * np.cos(k * x[:, 0])) * k * k * np.cos(k * x[:, 1])
        Hx[:, 2, 2] = -A * k * k * np.cos(k * x[:, 2])
        Hx[:, 0, 1] = Hx[:, 1, 0] = B * k * k * np.sin(k * x[:, 0]) * np.sin(k * x[:, 1])
        errs.append(np.abs(H.reshape(-1, 3, 3) - Hx).max())
    assert 3.6 < errs[0] / errs[1] < 4.4


def test_spline_reproduces_quadratics_and_its_derivatives_are_consistent():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 4, (60, 3))
    Q = np.array([[2.0, 0.3, -0.1], [0.3, 1.0, 0.2], [-0.1, 0.2, 3.0]])
    f = lambda p: np.einsum("pi,ij,pj->p", p, Q, p) + p @ np.array([1.0, -2.0, 0.5]) + 3
    s = ls.PolyharmonicSpline(x, f(x))
    q = rng.uniform(0.5, 3.5, (20, 3))
    assert np.allclose(s(q), f(q), atol=1e-6)
    assert np.allclose(s.hessian(q), 2 * Q, atol=1e-5)
    # a non-polynomial field: interpolates, and gradient/Hessian agree with finite differences
    g = lambda p: np.sin(p[:, 0]) * np.cos(0.7 * p[:, 1]) + 0.3 * p[:, 2] ** 3
    s = ls.PolyharmonicSpline(x, g(x))
    assert np.allclose(s(x), g(x), atol=1e-8)
    h = 1e-4
    for e in np.eye(3):
        fd = (s(q + h * e) - s(q - h * e)) / (2 * h)
        assert np.allclose(s.gradient(q) @ e, fd, atol=1e-6)
        fdg = (s.gradient(q + h * e) - s.gradient(q - h * e)) / (2 * h)
        assert np.allclose(np.einsum("mab,b->ma", s.hessian(q), e), fdg, atol=1e-5)


def test_christoffel_isotropic_limit_is_eq43_and_cubic_is_scalar():
    rho = 0.6
    C11, C44 = 60.0, 15.0
    C = ls.cubic_stiffness(C11, C11 - 2 * C44, C44)       # isotropic: C11 − C12 = 2 C44
    vL, vT = np.sqrt(C11 / rho), np.sqrt(C44 / rho)
    L = ls.drag_matrix_direction_average(C, rho)
    assert np.allclose(L, drag_matrix_from_sound(rho, vL, vT), rtol=1e-10)
    Ca = ls.cubic_stiffness(60.0, 36.0, 6.0)               # AgCl-like, strongly anisotropic
    La = ls.drag_matrix_direction_average(Ca, rho)
    assert np.allclose(La, La[0, 0] * np.eye(3), rtol=1e-10, atol=1e-12 * La[0, 0])
    v, _ = ls.christoffel(Ca, rho, np.array([[1.0, 0, 0]]))
    assert np.allclose(v[0], np.sqrt(np.array([6.0, 6.0, 60.0]) / rho))
    # the Γ–X shortcut differs from the average when the crystal is anisotropic
    Lx = drag_matrix_from_sound(rho, np.sqrt(60 / rho), np.sqrt(6 / rho))
    assert abs(Lx[0, 0] / La[0, 0] - 1) > 0.1


def test_elastic_constants_and_equation_of_state_from_synthetic_data():
    C11, C12, C44 = 70.0, 30.0, 12.0
    C = ls.cubic_stiffness(C11, C12, C44) / ls.EV_PER_A3_GPA

    def stress(eps):
        s = np.einsum("ijkl,kl->ij", C, eps)
        return np.array([s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]])

    e = 0.01
    u = [stress(np.diag([sg * e, 0, 0])) for sg in (1, -1)]
    shear = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    sh = [stress(sg * e * shear) for sg in (1, -1)]
    r = ls.cubic_elastic_constants(u, sh, e)
    assert np.allclose([r["C11"], r["C12"], r["C44"]], [C11, C12, C44])
    V0, B0, B1, E0 = 170.0, 45.0, 4.5, -21.7
    V = V0 * np.linspace(0.94, 1.06, 7)
    E = ls._bm_energy(V, E0, V0, B0 / ls.EV_PER_A3_GPA, B1)
    fit = ls.birch_murnaghan(V, E)
    assert np.isclose(fit["B0"], B0, rtol=1e-6) and np.isclose(fit["a0"], V0 ** (1 / 3))
    with pytest.raises(ValueError, match="bracket"):
        ls.birch_murnaghan(V[:4], -E[:4])


def test_percolation_level_of_a_cosine_landscape_is_its_saddle():
    n = 16
    frac = mt.grid_indices(n) / n
    U = -np.cos(2 * np.pi * frac).sum(-1).reshape(n, n, n)   # minima −3, saddles −1, maxima 3
    level, cluster = ls.percolation_level(U, np.ones_like(U, bool))
    assert level == pytest.approx(-1.0)
    assert cluster[0, 0, 0] and not cluster[n // 2, n // 2, n // 2]
    # blocking the saddles' plane x = ½ raises the level to the next way round: there is none
    m = np.ones_like(U, bool)
    m[n // 2] = False
    m[:, n // 2] = False
    m[:, :, n // 2] = False
    with pytest.raises(ValueError, match="percolate"):
        ls.percolation_level(U, m)


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="material"):
        mt.material("NaCl")
    with pytest.raises(ValueError, match="strain"):
        ls.cubic_elastic_constants(np.zeros((2, 6)), np.zeros((2, 6)), 0.5)
    with pytest.raises(ValueError, match="F must"):
        ls.hessian_from_forces(np.zeros((4, 4, 3)), 5.0)
    with pytest.raises(ValueError, match="finite"):
        ls.PolyharmonicSpline(np.full((12, 3), np.nan), np.zeros(12))


def test_langer_growth_rate_is_kramers_in_one_direction_and_tst_without_drag():
    M, wb = 2.0, 5.0
    H = np.diag([-M * wb ** 2, 100.0, 200.0])
    assert ls.unstable_growth_rate(H, np.zeros((3, 3)), M) == pytest.approx(wb)
    g = np.diag([30.0, 5.0, 5.0])      # friction along the unstable direction: 1D Kramers
    lam = ls.unstable_growth_rate(H, g, M)
    assert lam == pytest.approx(-15 / 2 + np.sqrt(15 ** 2 / 4 + wb ** 2))
    r = ls.hop_rate(np.diag([50.0, 50.0, 50.0]), H, g, M, 300.0, np.array([25.0, 50.0]))
    # harmonic TST: (1/2π) Πω_min/Πω_saddle e^{−ΔE/kT}
    w_min = np.sqrt(50.0 / M) ** 3
    w_sad = np.sqrt(100.0 / M) * np.sqrt(200.0 / M)
    assert np.allclose(r["tst"], w_min / w_sad / (2 * np.pi) * np.exp(-300.0 / np.array([25.0, 50.0])))
    assert 0 < r["factor"] < 1 and np.allclose(r["rate"], r["tst"] * r["factor"])
    with pytest.raises(ValueError, match="one negative"):
        ls.unstable_growth_rate(np.eye(3), g, M)


def test_pair_baseline_derivatives_and_interpolant_exactness():
    comp = AGCL
    n = 8
    frac = mt.grid_indices(n) / n
    keep = mt.min_distance(frac, comp.fixed_sites()[0], comp.a) > 0.2 * comp.a
    d = mt.min_distance(frac[keep], comp.fixed_sites()[0], comp.a)
    U = 5e4 * np.exp(-d / 0.4) + 50 * np.cos(2 * np.pi * frac[keep]).sum(1)
    b = ls.PairBaseline(comp, frac[keep], U)
    q = frac[keep][:6] * comp.a + 0.05
    h = 1e-5
    for e in np.eye(3):
        assert np.allclose((b(q + h * e) - b(q - h * e)) / (2 * h), b.gradient(q) @ e, rtol=1e-5)
        assert np.allclose((b.gradient(q + h * e) - b.gradient(q - h * e)) / (2 * h),
                           np.einsum("mab,b->ma", b.hessian(q), e), rtol=1e-4, atol=1e-3)
    grid = np.full(n ** 3, np.nan)
    grid[keep] = U
    ip = ls.Interpolant(comp, grid.reshape(n, n, n))
    assert np.allclose(ip(frac[keep] * comp.a), U, atol=1e-6 * np.abs(U).max())
    # periodic through the copies of the points: a point and its copy one cell on agree to 1 %
    # of the data's range on this coarse a/8 grid (the copies reach 0.2 a beyond the cell)
    p = np.array([[0.1, 0.05, 0.0]]) * comp.a
    assert ip(p)[0] == pytest.approx(ip(p + [comp.a, 0, 0])[0], abs=1e-2 * np.abs(U).max())


def test_minimax_path_and_string_method_find_the_saddle_of_a_cosine_landscape():
    a, n, A = 4.0, 16, 100.0
    frac = mt.grid_indices(n) / n
    U = -A * np.cos(2 * np.pi * frac).sum(-1).reshape(n, n, n)
    path = ls.minimax_path(U, np.ones_like(U, bool), (0, 0, 0), (1, 0, 0))
    assert tuple(path[0]) == (0, 0, 0) and tuple(path[-1]) == (n, 0, 0)
    assert U[tuple((path % n).T)].max() == pytest.approx(-A)        # the saddle (½, 0, 0)
    k = 2 * np.pi / a
    grad = lambda x: A * k * np.sin(k * x)
    x0 = path / n * a + np.array([0, 0.3, -0.2])                     # a bent start
    mep, _ = ls.string_method(grad, x0, m=41, step=2e-4, tol=1e-7)
    assert np.allclose(mep[:, 1:], 0, atol=1e-3) and mep[20, 0] == pytest.approx(a / 2, abs=1e-3)


def test_zero_crossing_and_drag_matrices():
    t = np.linspace(0, 1, 9)
    assert ls.zero_crossing(t, np.sin(3 * (t - 0.37))) == pytest.approx(0.37, abs=1e-4)
    assert ls.zero_crossing(t, t + 1) is None
    L = ls.drag_matrices(60.0, 30.0, 15.0, 0.5)                      # isotropic: C11 − C12 = 2C44
    assert np.allclose(L["Γ–X"], L["average"], rtol=1e-10)


def test_more_bad_input_is_refused_with_the_parameter_named():
    from ionmotion import dft
    with pytest.raises(ValueError, match="a must"):
        mt.RockSalt("X", "Ag", "Cl", 1.0, 1.0, -5.0)
    with pytest.raises(ValueError, match="unknown DFT setting"):
        dft.settings(cutoff=400)
    with pytest.raises(ValueError, match="kpts"):
        dft.settings(kpts=0)
    with pytest.raises(ValueError, match="positive definite"):
        ls.christoffel(ls.cubic_stiffness(10.0, 20.0, 5.0), 1.0, np.array([[1.0, 1.0, 0.0]]) / np.sqrt(2))
    with pytest.raises(ValueError, match="same shape"):
        ls.percolation_level(np.zeros((4, 4, 4)), np.ones((4, 4, 5), bool))
    m = np.ones((8, 8, 8), bool)
    m[4] = False
    with pytest.raises(ValueError, match="no path"):
        ls.minimax_path(np.zeros((8, 8, 8)), m, (0, 0, 0), (1, 0, 0))
    with pytest.raises(ValueError, match="H_min"):
        ls.hop_rate(-np.eye(3), np.diag([-1.0, 1, 1]), np.zeros((3, 3)), 1.0, 10.0, 1.0)
    with pytest.raises(ValueError, match="at least 4"):
        ls.birch_murnaghan([1.0, 2.0], [0.0, 1.0])


def test_dft_command_resumes_from_the_cached_points_and_refuses_unknown_materials(capsys):
    """`python -m ionbook dft grid AgCl` with every point cached computes nothing (so it needs no
    GPAW) and leaves the manifests as they are; an unknown material is a one-line usage error."""
    from ionbook import dft as dftcmd
    from ionbook.cli import run
    tasks, res = dftcmd.load("grid", "AgCl", 16)
    assert tasks and all(r is not None for r in res)
    folder = dftcmd.cache.data_dir(dftcmd.SLUG) / "grid"
    before = {p: p.read_text() for p in (folder / f"{dftcmd.cache.param_hash(t)}.json" for t in tasks)}
    assert run(["dft", "grid", "AgCl", "--n", "16"]) == 0
    after = {p: p.read_text() for p in before}
    assert after == before
    assert run(["dft", "grid", "NaCl"]) == 2
    assert "material must be one of" in capsys.readouterr().err


def test_chapter_parameters_outside_what_the_dft_points_serve_are_refused():
    from ionbook.realmaterials import validate_parameters
    validate_parameters(1 / 3, 500.0)
    validate_parameters(5 / 12, 300.0)
    with pytest.raises(ValueError, match="rmin_factor"):
        validate_parameters(0.3, 500.0)
    with pytest.raises(ValueError, match="temperature"):
        validate_parameters(1 / 3, -5.0)
