"""Full equations of motion: lattice engine vs NumPy reference, exact Green's-function engine vs
the lattice engine, energy and momentum conservation, exactly solvable cases, bad input."""
import numpy as np
import pytest

from ionmotion import full
from ionmotion.lattice import Chain, CubicLattice
from ionmotion.potentials import Gaussian

M0 = 1 / (4 * np.pi**2)                       # rodin2024's framework mass
CUBE = CubicLattice(M0, 2.0, 15.0, 5.0)       # rodin2024 Sec. IV
CHAIN = Chain(M0, 2.0, 99 / 4, 99 / 4, 1.0, 1.0)


def test_bonds_reproduce_dynamical_matrix():
    """m D(q) = onsite + Σ_b K_b (1 − cos q·b a) for both frameworks."""
    rng = np.random.default_rng(1)
    for fw in (CUBE, CHAIN):
        offs, K, onsite = full.lattice_bonds(fw)
        for _ in range(5):
            q = rng.uniform(-np.pi, np.pi, 3) / fw.a
            mD = onsite + np.einsum("b,bxy->xy", 1 - np.cos(offs @ q * fw.a), K)
            qq = q[2:3] if isinstance(fw, Chain) else q
            np.testing.assert_allclose(mD, fw.mass * fw.dynamical_matrix(qq), atol=1e-10)


CHAIN0 = Chain(M0, 2.0, 99 / 4, 99 / 4)          # unconfined: momentum is conserved
DIMS = {   # the same physics on the cubic lattice and on the chain (one code path)
    "cubic": dict(fw=CUBE, free=CUBE, shape=6, line_sites=[(3, 3, j) for j in range(2, 5)],
                  line_r0=(6.0, 6.0, 7.0), site=(2, 2, 2), off_r0=(4.5, 4.2, 1.0),
                  pair=[(2, 2, 2), (2, 3, 2)], pair_r0=(4.0, 4.8, 1.5)),
    "chain": dict(fw=CHAIN, free=CHAIN0, shape=24, line_sites=[(0, 0, j) for j in range(6, 9)],
                  line_r0=(0.0, 0.0, 7.0), site=(0, 0, 4), off_r0=(0.5, 0.2, 5.0),
                  pair=[(0, 0, 2), (0, 0, 3)], pair_r0=(0.0, 0.8, 1.5)),
}
dims = pytest.mark.parametrize("dim", sorted(DIMS))


@dims
def test_lattice_kernel_matches_numpy_reference(dim):
    g = DIMS[dim]
    pot = Gaussian(0.05, 0.5)
    args = (g["fw"], g["shape"] // 2 + 2, pot, g["pair"], 2 * M0, g["pair_r0"], (0.0, 0.0, 6.0),
            1e-3, 300)
    r, v = full.simulate_lattice_reference(*args, line=(0, 0, 1))
    for cubic_kernel in (True, False):          # written-out cubic springs and the bond loop
        out = full.simulate_lattice(*args, line=(0, 0, 1), cubic_kernel=cubic_kernel)
        np.testing.assert_allclose(out["r"], r, atol=1e-12)
        np.testing.assert_allclose(out["v"], v, atol=1e-10)
        assert np.ptp(out.R[:, 2]) > 1.0          # it moved


def test_written_out_cubic_forces_equal_bond_loop():
    """The written-out spring kernel equals the generic bond loop on a random, non-cubic box,
    and a uniform translation costs no force (Σ_b K_b (u − u) = 0)."""
    lat = CubicLattice(3.5, 3.0, 520.0, 170.0)
    rng = np.random.default_rng(4)
    u = rng.normal(size=(5, 6, 7, 3))
    a1, a2 = np.zeros_like(u), np.zeros_like(u)
    offs, K, onsite = full.lattice_bonds(lat)
    full._lattice_accel_kernel(u, offs.astype(np.int64), K, onsite, lat.mass, a1)
    full._cubic_accel_kernel(u, lat.k1, lat.k2, lat.mass, *full._neighbour_tables(u.shape[:3]), a2)
    np.testing.assert_allclose(a2, a1, atol=1e-12 * np.abs(a1).max())
    full._cubic_accel_kernel(u * 0 + rng.normal(size=3), lat.k1, lat.k2, lat.mass,
                             *full._neighbour_tables(u.shape[:3]), a2)
    assert np.abs(a2).max() < 1e-10
    # total framework force vanishes (Newton's third law)
    full._cubic_accel_kernel(u, lat.k1, lat.k2, lat.mass, *full._neighbour_tables(u.shape[:3]), a2)
    assert np.abs(a2.sum(axis=(0, 1, 2))).max() < 1e-10 * np.abs(a2).max() * a2[..., 0].size


def test_kernel_accumulate_across_blocks():
    """The blocked matrix-product accumulation equals the closed form S_n = sin nθ / sin θ when
    the steps and modes span several blocks (state carried across block boundaries)."""
    rng = np.random.default_rng(2)
    cth = np.concatenate([[1.0], np.cos(rng.uniform(0.01, 3.1, 36))])   # θ = 0 included
    amp = rng.normal(size=(37, 5))
    out = np.zeros((101, 5))
    full._kernel_accumulate(cth, amp, 100, out, block_steps=7, block_modes=8)
    np.testing.assert_allclose(out, full._kernel_reference(cth, amp, 100), rtol=1e-9, atol=1e-9)


def test_follow_cell_equals_fixed_corners_and_is_periodic():
    """sites="cell": while the particle stays inside one cell the run equals the one with those
    8 corners fixed; shifting the start by a whole box period shifts the trajectory rigidly; a
    particle that crosses cells gets counted and keeps a continuous (unfolded) coordinate."""
    from ionmotion.potentials import Yukawa
    lat = CubicLattice(3.5, 3.0, 520.0, 170.0)
    rng = np.random.default_rng(3)
    u0, w0 = 0.01 * rng.normal(size=(8, 8, 8, 3)), 0.1 * rng.normal(size=(8, 8, 8, 3))
    pot = Yukawa(4000.0, 0.5)
    r0 = np.array([7.5, 10.5, 13.5])                      # centre of cell (2, 3, 4)
    kw = dict(u0=u0, w0=w0, energy=False)
    fixed = full.simulate_lattice(lat, 8, pot, np.array([2, 3, 4]) + full.CORNERS, 0.7, r0,
                                  (0, 0, 0), 5e-3, 200, **kw)
    cell = full.simulate_lattice(lat, 8, pot, "cell", 0.7, r0, (0, 0, 0), 5e-3, 200, **kw)
    assert cell["cell_changes"] == 0
    np.testing.assert_allclose(cell["r"], fixed["r"], atol=1e-12)
    image = full.simulate_lattice(lat, 8, pot, "cell", 0.7, r0 - 24.0, (0, 0, 0), 5e-3, 200, **kw)
    np.testing.assert_allclose(image["r"] + 24.0, cell["r"], atol=1e-10)
    fast = full.simulate_lattice(lat, 8, pot, "cell", 0.7, r0, (-40.0, 0, 0), 5e-3, 400, **kw)
    assert fast["cell_changes"] >= 3 and fast["r"][-1, 0] < -4.5     # left the box: not folded


def test_follow_cell_switches_to_the_new_corners():
    """After the particle crosses into the next cell, the run equals one restarted from that
    state with the new cell's 8 corners as fixed sites (velocity Verlet restarts exactly), up to
    the next crossing: the forces after a cell change come from the right masses."""
    from ionmotion.potentials import Yukawa
    lat = CubicLattice(3.5, 3.0, 520.0, 170.0)
    rng = np.random.default_rng(6)
    u0, w0 = 0.01 * rng.normal(size=(8, 8, 8, 3)), 0.1 * rng.normal(size=(8, 8, 8, 3))
    pot = Yukawa(4000.0, 0.5)
    r0, v0 = (7.5, 10.5, 13.5), (15.0, 1.0, 0.5)
    run = full.simulate_lattice(lat, 8, pot, "cell", 0.7, r0, v0, 5e-3, 200, u0=u0, w0=w0,
                                energy=False)
    cells = np.floor(run["r"] / 3.0).astype(int)
    k = int(np.argmax(np.any(cells != cells[0], axis=1)))        # first step in the new cell
    assert k > 0 and tuple(cells[k]) == (3, 3, 4)
    nxt = k + int(np.argmax(np.any(cells[k:] != cells[k], axis=1)))  # next change (or 0 → end)
    m = (nxt if nxt > k else len(cells)) - k - 1
    head = full.simulate_lattice(lat, 8, pot, "cell", 0.7, r0, v0, 5e-3, k, u0=u0, w0=w0,
                                 energy=False)
    state = dict(u0=head["u"], w0=head["w"], energy=False)
    corners = (cells[k] + full.CORNERS) % 8
    fixed = full.simulate_lattice(lat, 8, pot, corners, 0.7, head["r_final"], head["v_final"],
                                  5e-3, m, **state)
    np.testing.assert_allclose(run["r"][k:k + m + 1], fixed["r"], atol=1e-10)
    old = full.simulate_lattice(lat, 8, pot, (cells[0] + full.CORNERS) % 8, 0.7,
                                head["r_final"], head["v_final"], 5e-3, m, **state)
    assert np.abs(old["r"][-1] - fixed["r"][-1]).max() > 1e-6    # the old corners differ
    with pytest.raises(ValueError, match="u0 must have shape"):
        full.simulate_lattice(lat, 8, pot, "cell", 0.7, r0, (0, 0, 0), 5e-3, 10, energy=False,
                              u0=np.zeros((5, 5, 5, 3)))
    with pytest.raises(ValueError, match="energy"):
        full.simulate_lattice(lat, 8, pot, "cell", 0.7, r0, (0, 0, 0), 5e-3, 10)
    with pytest.raises(ValueError, match="cell"):
        full.simulate_lattice(CHAIN, 8, pot, "cell", M0, r0, (0, 0, 0), 1e-3, 10, energy=False)


def test_free_thermal_lattice_follows_its_modes():
    """A lattice started from a thermal mode sample and left alone (the particle far from its one
    interacting mass) evolves as the modes say: u(t) = r_H(t) of ionmotion.thermal, with the
    velocity-Verlet error ∝ δt² (ratio 4 when δt is halved)."""
    from ionmotion import thermal as th
    lat = CubicLattice(3.5, 3.0, 520.0, 170.0)
    modes = th.sample_modes(lat, 6, 25.0, np.random.default_rng(5))
    u0, w0 = th.field(modes, 0.0)
    exact, _ = th.field(modes, 0.4)
    err = []
    for dt in (4e-3, 2e-3):
        out = full.simulate_lattice(lat, 6, Gaussian(1.0, 0.1), [(0, 0, 0)], 0.7,
                                    (9.0, 9.0, 9.0), (0, 0, 0), dt, int(round(0.4 / dt)),
                                    u0=u0, w0=w0, energy=False)
        err.append(np.abs(out["u"] - exact).max())
    assert err[0] < 1e-2 * np.abs(exact).max()
    assert 3.6 < err[0] / err[1] < 4.4


@pytest.mark.parametrize("fw,shape,sites,r0,line", [
    (CUBE, 6, [(3, 3, 3)], (6.3, 6.5, 3.0), (0, 0, 1)),
    (CUBE, 5, [(1, 1, 1), (2, 1, 1), (1, 2, 1), (2, 2, 1)], (3.0, 3.0, 0.5), None),
    (CHAIN, 16, [(0, 0, 8)], (0.0, 1.0, 13.0), (0, 0, 1)),
])
def test_response_engines_equal_lattice_engine(fw, shape, sites, r0, line):
    """The discrete Green's function and the coupled normal modes reproduce the whole-lattice velocity Verlet to round-off
    (same discrete dynamics, framework at rest), also for 3D motion and several masses."""
    pot = Gaussian(0.2, 0.5)
    v0 = (0.0, 0.0, 4.0) if line is not None else (0.3, -0.2, 4.0)
    a = full.simulate_lattice(fw, shape, pot, sites, M0, r0, v0, 2e-3, 800, line=line)
    idx = tuple(sites[0])
    for engine in (full.simulate_response, full.simulate_modal):
        b = engine(fw, shape, pot, sites, M0, r0, v0, 2e-3, 800, line=line)
        np.testing.assert_allclose(b["r"], a["r"], atol=1e-11)
        np.testing.assert_allclose(b["v"], a["v"], atol=1e-9)
        np.testing.assert_allclose(b["u0"][-1], a["u"][idx], atol=1e-12)
    assert np.abs(a["u"][idx]).max() > 1e-5      # the framework did respond


def test_zz_kernel_equals_full_kernel_on_the_line():
    sites = [(0, 0, j) for j in range(4)]
    Rf, seps, _ = full.verlet_response_kernel(CUBE, 6, sites, 2e-3, 200)
    Rz, seps2, _ = full.verlet_response_kernel(CUBE, 6, sites, 2e-3, 200, components="zz")
    np.testing.assert_array_equal(seps, seps2)
    np.testing.assert_allclose(Rz[:, :, 2, 2], Rf[:, :, 2, 2], atol=1e-14)
    assert np.abs(Rf[:, :, 0, 2]).max() < 1e-15   # xz vanishes for separations along z


def test_kernel_recurrence_matches_closed_form():
    rng = np.random.default_rng(0)
    cth = np.concatenate([[1.0], rng.uniform(-0.9, 0.99, 40)])
    amp = rng.normal(size=(41, 3))
    out = np.zeros((60, 3))
    full._kernel_accumulate(cth, amp, 59, out)
    np.testing.assert_allclose(out, full._kernel_reference(cth, amp, 59), rtol=1e-9, atol=1e-9)


@dims
def test_energy_conserved_at_paper_time_step(dim):
    """Total energy (particle + lattice + interaction) at δτ = 1e-3 (rodin2024's 3D step):
    bounded oscillation, relative spread < 5e-5 (Fig. 6 interaction Φ0 = 1), shrinking as δτ²
    (symplectic, 2nd order), on the cubic lattice and on the chain alike."""
    g = DIMS[dim]
    pot = Gaussian(1.0, 0.5)
    spreads = []
    for dt in (1e-3, 5e-4):
        n = int(round(2.0 / dt))
        out = full.simulate_lattice(g["fw"], g["shape"], pot, g["line_sites"], M0, g["line_r0"],
                                    (0.0, 0.0, 7.5), dt, n, line=(0, 0, 1))
        E = out["energy"]
        spreads.append(np.ptp(E) / abs(E[0]))
    assert spreads[0] < 5e-5
    assert 3.0 < spreads[0] / spreads[1] < 5.0


@dims
def test_momentum_conserved_without_constraint(dim):
    """Unconfined periodic lattice + free particle: total momentum exactly conserved."""
    g = DIMS[dim]
    fw = g["free"]
    pot = Gaussian(0.5, 0.7)
    out = full.simulate_lattice(fw, g["shape"] // 2 + 2, pot, [g["site"]], 3 * M0, g["off_r0"],
                                (0.5, 0.1, 5.0), 2e-3, 600)
    p_lat = fw.mass * out["w"].reshape(-1, 3).sum(axis=0)
    p_tot = p_lat + 3 * M0 * out["v_final"]
    np.testing.assert_allclose(p_tot, 3 * M0 * np.array([0.5, 0.1, 5.0]), atol=1e-12)
    assert np.abs(p_lat).max() > 1e-6


@dims
def test_free_particle_moves_uniformly(dim):
    g = DIMS[dim]
    out = full.simulate_lattice(g["fw"], g["shape"] // 2 + 2, Gaussian(0.0, 0.5), [g["site"]], M0,
                                (0.3, 0.1, 0.2), (1.0, 2.0, 3.0), 1e-3, 500)
    np.testing.assert_allclose(out["r"][-1], np.array([0.3, 0.1, 0.2]) + 0.5 * np.array(
        [1.0, 2.0, 3.0]), atol=1e-12)
    assert np.all(out["u"] == 0)


def _engines():
    """Every particle engine on the same free particle (zero interaction), same result type."""
    import ionmotion.thermal as thm
    import ionmotion.timelocal as tlm
    from ionmotion.lattice import CubicLattice as CL
    r0, v0, dt, n = (0.3, 0.1, 0.2), (1.0, 2.0, 3.0), 1e-3, 500
    args = (CUBE, 4, Gaussian(0.0, 0.5), [(1, 1, 1)], M0, r0, v0, dt, n)
    lat = CL(3.5, 3.0, 520.0, 170.0)
    modes = thm.sample_modes(lat, 4, 1e-3, np.random.default_rng(0))
    zero = Gaussian(0.0, 0.5)
    return {
        "lattice": lambda: full.simulate_lattice(*args),
        "response": lambda: full.simulate_response(*args),
        "modal": lambda: full.simulate_modal(*args),
        "timelocal": lambda: tlm.integrate(r0, v0, M0, zero, [(2.0, 2.0, 2.0)], np.zeros((3, 3)),
                                           np.zeros((3, 3)), dt, n),
        "thermal": lambda: thm.trajectory(r0, v0, 0.7, zero, modes, np.zeros((24, 24)),
                                          np.zeros((3, 3)), dt, n),
    }


@pytest.mark.parametrize("engine", ["lattice", "response", "modal", "timelocal", "thermal"])
def test_every_engine_returns_one_result_type(engine):
    """Whole lattice, Green's function, normal modes, time-local and thermal time-local: one
    Trajectory with the same fields, uniform motion of a free particle in each."""
    from ionmotion.engine import Trajectory
    out = _engines()[engine]()
    assert isinstance(out, Trajectory) and out.engine == engine
    assert out.R.shape == out.V.shape == (501, 3) and out.t.shape == (501,)
    expect = np.array([0.3, 0.1, 0.2]) + np.array([1.0, 2.0, 3.0]) * out.t[:, None]
    np.testing.assert_allclose(out.R, expect, atol=1e-11)
    np.testing.assert_allclose(out.R_final, expect[-1], atol=1e-11)
    assert out.n_steps == 500
    t, R, V = out[0], out[1], out[2]                 # the former tuple access
    assert t is out.t and R is out.R and V is out.V


def test_single_bound_mass_absorbs_forced_oscillator_energy():
    """Decoupled masses (k → 0) on springs κ: a very heavy particle passing at constant speed
    drives one harmonic oscillator, which absorbs |F̃(Ω)|²/2m, Ω = √(κ/m) - exactly solvable."""
    kappa, lam, amp, s, v = 1.0, 0.5, 1e-4, 0.4, 3.0   # weak: deflection ≪ λ
    fw = Chain(M0, 2.0, 1e-12, 1e-12, kappa, kappa)
    M = 1e9
    out = full.simulate_lattice(fw, 5, Gaussian(amp, lam), [(0, 0, 2)], M, (0.0, s, 4.0 - 8 * lam),
                                (0.0, 0.0, v), 1e-4, int(round(16 * lam / v / 1e-4)),
                                line=(0, 0, 1))
    u, w = out["u"][0, 0, 2], out["w"][0, 0, 2]
    E_osc = 0.5 * M0 * (w @ w) + 0.5 * kappa * (u @ u)
    Om = np.sqrt(kappa / M0)
    p = Om / v
    ft = amp * np.sqrt(2 * np.pi) * lam * np.exp(-(s**2 + p**2 * lam**4) / (2 * lam**2)) / v
    exact = ft**2 * ((s / lam**2) ** 2 + p**2) / (2 * M0)
    np.testing.assert_allclose(E_osc, exact, rtol=2e-3)


@pytest.mark.parametrize("kw,name", [
    (dict(particle_mass=-1.0), "particle_mass"),
    (dict(particle_mass=0.0), "particle_mass"),
    (dict(dt=0.05), "dt"),
    (dict(sites=[(0, 0, 9)]), "sites"),
    (dict(r0=(2.0, 2.0, 2.0)), "r0"),
])
def test_bad_input(kw, name):
    args = dict(framework=CUBE, shape=6, potential=Gaussian(0.1, 0.5), sites=[(1, 1, 1)],
                particle_mass=M0, r0=(2.0, 2.0, 0.5), v0=(0.0, 0.0, 1.0), dt=1e-3, n_steps=5)
    args.update(kw)
    with pytest.raises(ValueError, match=name):
        full.simulate_lattice(**args)
    with pytest.raises(ValueError, match=name):
        full.simulate_response(**args)


def test_bad_framework_and_potential_parameters():
    with pytest.raises(ValueError, match="mass"):
        CubicLattice(-1.0, 2.0, 15, 5)
    with pytest.raises(ValueError, match="lam"):
        Gaussian(1.0, 0.0)
    with pytest.raises(ValueError, match="dt"):
        full.verlet_response_kernel(CUBE, 6, [(0, 0, 0)], 0.04, 10)


def test_physical_units_rodin2025_lattice_with_yukawa():
    """The same engines in meV, Å, ps: rodin2025's lattice (m = 3.5, a = 3, k1 = 520, k2 = 170),
    a Li-like particle (M = 0.7) and the screened Coulomb pair potential; the Green's-function
    engine equals the lattice engine and the total energy is conserved."""
    from ionmotion.potentials import Yukawa
    lat = CubicLattice(3.5, 3.0, 520.0, 170.0)
    pot = Yukawa(150.0, 0.5)
    sites = [(2, 2, 2), (2, 2, 3)]
    r0, v0 = (6.0, 6.0, 7.5), (0.0, 0.0, 7.5)
    a = full.simulate_lattice(lat, 5, pot, sites, 0.7, r0, v0, 5e-3, 400, line=(0, 0, 1))
    b = full.simulate_response(lat, 5, pot, sites, 0.7, r0, v0, 5e-3, 400, line=(0, 0, 1))
    np.testing.assert_allclose(b["r"], a["r"], atol=1e-10)
    assert np.ptp(a["energy"]) / abs(a["energy"][0]) < 1e-3     # at rodin2025's δt = 5 fs
    with pytest.raises(ValueError, match="dt"):
        full.simulate_lattice(lat, 5, pot, sites, 0.7, r0, v0, 0.07, 10)


# --- symmetry reductions: O_h wedge of wave vectors, C4v orbits of the interacting masses ---
CORNERS8 = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0),
            (0, 0, 1), (1, 0, 1), (0, 1, 1), (1, 1, 1)]


def test_point_group_is_cubic_group_of_the_dynamical_matrix():
    """48 distinct orthogonal integer matrices, det ±1, closed under products, with the identity;
    and the cubic lattice obeys D(gq) = g D(q) gᵀ, the property the wedge sum relies on."""
    G = full.point_group()
    assert G.shape == (48, 3, 3) and G.dtype.kind == "i"
    keys = {g.tobytes() for g in G}
    assert len(keys) == 48 and np.eye(3, dtype=G.dtype).tobytes() in keys
    assert all((g @ h).tobytes() in keys for g in G for h in G)
    np.testing.assert_array_equal(np.einsum("gij,gkj->gik", G, G),
                                  np.broadcast_to(np.eye(3), G.shape))
    assert set(np.rint(np.linalg.det(G)).astype(int)) == {1, -1}
    assert (np.rint(np.linalg.det(G)) == 1).sum() == 24                  # the rotations O
    q = np.random.default_rng(7).uniform(-np.pi, np.pi, 3) / CUBE.a
    D = CUBE.dynamical_matrix(q)
    for g in G:
        np.testing.assert_allclose(CUBE.dynamical_matrix(g @ q), g @ D @ g.T, atol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 5, 6, 7, 8])
def test_wedge_wave_vectors_partition_the_grid(n):
    """Canonical members n/2 ≥ Kx ≥ Ky ≥ Kz ≥ 0, one per class, counts sum to n³ and each count
    equals the size of the orbit under the 48 signed permutations (mod n), found by brute force."""
    K, count = full.wedge_wave_vectors(n)
    assert count.sum() == n**3
    assert np.all(2 * K[:, 0] <= n) and np.all(K[:, 0] >= K[:, 1])
    assert np.all(K[:, 1] >= K[:, 2]) and np.all(K[:, 2] >= 0)
    assert len({tuple(k) for k in K}) == len(K)
    orbits = [{tuple(x) for x in (K[i] @ full.point_group().transpose(0, 2, 1)) % n}
              for i in range(len(K))]
    np.testing.assert_array_equal(count, [len(o) for o in orbits])
    assert len(set().union(*orbits)) == n**3                             # disjoint, cover the grid
    if n == 8:
        assert len(K) == 35 and np.all(48 % count == 0)                  # C(5+2, 3) classes


@pytest.mark.parametrize("n", [6, 7])
@pytest.mark.parametrize("components,sites", [("full", CORNERS8), ("iso", [(1, 2, 3)])])
def test_wedge_kernel_equals_half_space_sum(n, components, sites):
    """The O_h-wedge kernel equals the half-space sum over all wave vectors (even and odd N)."""
    a = full.verlet_response_kernel(CUBE, n, sites, 1e-3, 200, components=components)
    b = full.verlet_response_kernel(CUBE, n, sites, 1e-3, 200, components=components,
                                    symmetry=False)
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    scale = np.abs(b[0]).max()
    assert scale > 0 and np.abs(a[0] - b[0]).max() < 1e-12 * scale
    if components == "full":               # off-diagonal parts present (tested, not just zeros)
        assert np.abs(b[0][:, :, 0, 1]).max() > 1e-6 * scale


def test_wedge_kernel_non_cubic_box_falls_back():
    a = full.verlet_response_kernel(CUBE, (6, 6, 8), CORNERS8, 1e-3, 200)
    b = full.verlet_response_kernel(CUBE, (6, 6, 8), CORNERS8, 1e-3, 200, symmetry=False)
    assert a[0].shape == (201, len(a[1]), 3, 3) and a.meta[1] == (6, 6, 8)
    np.testing.assert_allclose(a[0], b[0], rtol=0, atol=1e-12 * np.abs(b[0]).max())


def _check_orbit_maps(sites, r0, a, orbit, g, reps):
    """g_I maps the representative's position relative to the line onto site I's."""
    c = np.array([r0[0] / a, r0[1] / a, 0.0])
    rel = np.asarray(sites, float) - c
    for i in range(len(sites)):
        assert reps[orbit[i]] <= i
        np.testing.assert_allclose(g[i] @ rel[reps[orbit[i]]], rel[i], atol=1e-12)
        np.testing.assert_allclose(g[i] @ g[i].T, np.eye(3), atol=1e-12)
        assert g[i][2, 2] == 1                                           # z line kept


@pytest.mark.parametrize("sites,xy,n_orbits", [
    ([(4, 4, 4), (5, 4, 4), (4, 5, 4), (5, 5, 4)], (9.0, 9.0), 1),    # face about its centre
    ([(4 + i, 4 + j, 4 + k) for i, j, k in CORNERS8], (9.0, 9.0), 2),  # cell: one per layer
    ([(4, 4, 4), (5, 4, 4), (4, 5, 4), (5, 5, 4)], (9.6, 9.0), 2),    # mirror y only
    ([(4, 4, 4), (5, 4, 4), (4, 5, 4), (5, 5, 4)], (9.6, 9.4), 4),    # no symmetry left
    ([(4 + i, 4 + j, 4 + k) for i, j, k in CORNERS8], (9.6, 9.4), 8),
])
def test_site_orbits(sites, xy, n_orbits):
    a = 2.0
    orbit, g, reps = full.site_orbits(sites, (*xy, 3.0), a, (0.0, 0.0, 1.0))
    assert len(reps) == n_orbits and len(set(orbit)) == n_orbits
    _check_orbit_maps(sites, (*xy, 3.0), a, orbit, g, reps)
    if n_orbits == 2 and len(sites) == 8:
        assert all(orbit[i] == orbit[j] for i in range(8) for j in range(8)
                   if sites[i][2] == sites[j][2])                        # the layers
    off = full.site_orbits(sites, (*xy, 3.0), a, (1.0, 0.0, 0.0))      # not a z line
    assert len(off[2]) == len(sites)


def _fig5_pass(config, speed, dx=0.0, n=10, lam=0.5, Phi0=0.05):
    """pass_loss with and without the orbit reduction, rodin2024 Fig. 4/5 geometry on n³."""
    from ionmotion.papers import rodin2024 as r24
    lat = CubicLattice(r24.M0, r24._P.a, r24._P.k1, r24._P.k2)
    sites, z_first, stop, xy = r24._cubic_geometry(config, lam, n, r24._P.a)
    x0, y0 = xy(dx) if config == "one" else (xy(0.0)[0] + dx, xy(0.0)[1])
    start = (x0, y0, z_first - 7 * lam)
    args = (lat, n, Gaussian(Phi0, lam), sites, r24.M0, start, speed, stop, 1e-3)
    orbits = full.site_orbits(sites, start, lat.a, (0.0, 0.0, 1.0))[2]
    return full.pass_loss(*args), full.pass_loss(*args, symmetry=False), len(orbits)


@pytest.mark.parametrize("config,n_orbits", [("four", 1), ("eight", 2)])
def test_pass_loss_orbit_reduction_equals_every_mass(config, n_orbits):
    """Following one mass per C4v orbit gives the same pass as following every mass."""
    for speed in (3.0, 8.0):
        a, b, no = _fig5_pass(config, speed)
        assert no == n_orbits and a["finished"] and b["finished"] and a["steps"] == b["steps"]
        assert b["loss"] > 0
        np.testing.assert_allclose(a["final_speed"], b["final_speed"], rtol=1e-12)
        np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-8)


@pytest.mark.parametrize("config,dx,n_orbits", [("one", 0.3, 1), ("four", 0.3, 2),
                                                ("eight", 0.3, 4)])
def test_pass_loss_off_axis_start(config, dx, n_orbits):
    """Off the face/cell centre only the surviving mirror reduces the masses; still exact."""
    a, b, no = _fig5_pass(config, 8.0, dx=dx)
    assert no == n_orbits and a["finished"] and b["loss"] > 0
    np.testing.assert_allclose(a["final_speed"], b["final_speed"], rtol=1e-12)
    np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-8)
