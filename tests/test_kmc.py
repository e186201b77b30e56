"""Tests of the lattice gas (latticegas) and its rejection-free kinetic Monte Carlo (kmc).

Physics asserted: detailed balance of the rates with respect to the stated energy function,
Boltzmann occupations on small lattices, exact transport of non-interacting ions, the exact
canonical pair density and the transfer-matrix correlations of the chain, the Nernst-Einstein
relation between drift and charge diffusion, the kernel's rate bookkeeping against a brute-force
NumPy catalogue, and the mapping of the lattice-gas mean field onto hu2026 Eq. (50).
"""
import math

import numpy as np
import pytest

from ionmotion import kmc
from ionmotion import latticegas as lg
from ionmotion.units import KB_EV


def _eq50_reference(T, n0, K0):
    """Independent γ ≥ 0 of hu2026 Eq. (50) by fixed-point iteration (test-only reference)."""
    t = n0 * K0 / (2 * KB_EV * T)
    g = 1.0
    for _ in range(20000):
        g = math.tanh(t * g)
    return g if t > 1 else 0.0


# --- lattices and the energy function ----------------------------------------------------------

@pytest.mark.parametrize("kind,size", [("chain", 5), ("honeycomb", 3), ("honeycomb", 4)])
def test_lattice_bonds_are_symmetric_and_bipartite(kind, size):
    lat = lg.make_lattice(kind, size)
    for s in range(lat.n_sites):
        for k in range(lat.z):
            q = lat.nbr[s, k]
            assert lat.sub[q] != lat.sub[s]
            assert s in lat.nbr[q]
            np.testing.assert_allclose(lat.vecs[lat.sub[q]][list(lat.nbr[q]).index(s)],
                                       -lat.vecs[lat.sub[s], k])
    # the bond vectors of a site sum to zero and have the paper's lengths (a/2, a/√3)
    np.testing.assert_allclose(lat.vecs.sum(axis=1), 0.0, atol=1e-14)
    L = 0.5 if kind == "chain" else 1 / math.sqrt(3)
    np.testing.assert_allclose(np.linalg.norm(lat.vecs, axis=-1), L)


@pytest.mark.parametrize("kind,size", [("chain", 6), ("honeycomb", 3)])
def test_rates_obey_detailed_balance_with_energy_function(kind, size):
    lat = lg.make_lattice(kind, size)
    rng = np.random.default_rng(3)
    T, L0, V, F = 900.0, 0.2, 0.13, 0.02
    kT = KB_EV * T
    for _ in range(5):
        occ = (rng.random(lat.n_sites) < 0.5).astype(int)
        orig, slot, dest, rate = lg.hop_rates_reference(occ, lat, T, L0, V, F)
        assert rate.size > 0
        for p, k, q, r in zip(orig, slot, dest, rate):
            new = occ.copy()
            new[p], new[q] = 0, 1
            dE = (lg.energy(new, lat, V) - lg.energy(occ, lat, V)
                  - F * lat.vecs[lat.sub[p], k, 0])
            o2, s2, d2, r2 = lg.hop_rates_reference(new, lat, T, L0, V, F)
            back = r2[(o2 == q) & (d2 == p)]
            assert back.size == 1
            assert r / back[0] == pytest.approx(math.exp(-dE / kT), rel=1e-12)


def test_mapping_gives_eq50_and_eq51():
    K0 = 0.5
    for z in (2, 3):
        V = lg.coupling_from_paper(K0, 1.0, z)
        Tp = K0 / (2 * KB_EV)
        assert lg.bw_critical_temperature(V, z) == pytest.approx(Tp, rel=1e-12)
        T = np.array([0.3, 0.7, 0.95, 1.2]) * Tp
        ref = [_eq50_reference(t, 1.0, K0) for t in T]
        np.testing.assert_allclose(lg.bw_polarization(T, V, z), ref, atol=1e-9)
    with pytest.raises(ValueError, match="n0"):
        lg.coupling_from_paper(K0, 0.8, 2)


def test_mapping_agrees_with_meanfield_module_if_present():
    from ionmotion import meanfield as mf
    K0 = 0.5
    Tp = mf.type2_temperature(1.0, K0)
    T = np.array([0.4, 0.8, 0.99]) * Tp
    V = lg.coupling_from_paper(K0, 1.0, 3)
    np.testing.assert_allclose(lg.bw_polarization(T, V, 3), mf.polarization(T, 1.0, K0),
                               atol=1e-7)


def test_exact_honeycomb_ising_tc():
    # k_B T_c / J = 2 / ln(2 + √3) for the honeycomb Ising model; J = V/4
    V = 0.4
    assert lg.ising_exact_tc(V) * KB_EV / (V / 4) == pytest.approx(1.518651, rel=1e-6)


# --- kernel bookkeeping against the brute-force catalogue ---------------------------------------

@pytest.mark.parametrize("kind,size,field,M0", [("chain", 20, 0.0, 0.0), ("honeycomb", 5, 0.05, 0.0),
                                                 ("chain", 20, 0.0, 0.4), ("honeycomb", 5, 0.0, 0.4)])
def test_kernel_total_rate_matches_reference(kind, size, field, M0):
    sim = kmc.LatticeGasKMC(kind, size, T=1500.0, K0=0.5, Lambda0=0.25, field=field, M0=M0,
                            seed=11)
    for _ in range(3):
        sim.run(5.0)
        o, s, d, r = lg.hop_rates_reference(sim.occ, sim.lattice, sim.T, sim.Lambda0, sim.V,
                                            sim.field, sim.M0, sim.exc)
        relax = np.sum((sim.exc >= 0) & (sim.occ == 0)) / sim.tau_exc if M0 > 0 else 0.0
        assert sim.total_rate() == pytest.approx(r.sum() + relax, rel=1e-10)
        # class lists are consistent with the occupation
        assert np.all((sim.cls >= 0) == (sim.occ == 0))
        assert sim.state[0] == sim.occ[sim.lattice.sub == 0].sum()
        assert sim.state[1] == round(lg.energy(sim.occ, sim.lattice, 1.0))
        assert np.all(sim.pid[sim.occ == 1] >= 0)


def test_seeded_runs_are_reproducible():
    a = kmc.LatticeGasKMC("honeycomb", 4, T=2000.0, seed=5)
    b = kmc.LatticeGasKMC("honeycomb", 4, T=2000.0, seed=5)
    ra, rb = a.run(20.0, n_samples=10), b.run(20.0, n_samples=10)
    np.testing.assert_array_equal(a.occ, b.occ)
    np.testing.assert_array_equal(ra["R"], rb["R"])


# --- equilibrium ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,size,V,M0", [("chain", 4, 0.12, 0.0), ("honeycomb", 2, 0.08, 0.0),
                                             ("chain", 4, 0.12, 0.3)])
def test_kmc_samples_boltzmann_occupations(kind, size, V, M0):
    """Time fractions in every configuration of an 8-site lattice = exp(-E/k_BT)/Z. With the
    concerted-hopping excitation (M0 > 0) the dynamics is no longer reversible; the test records
    how far the occupations move (they stay Boltzmann only within the tolerance asserted)."""
    T = 1000.0
    sim = kmc.LatticeGasKMC(kind, size, T=T, V=V, Lambda0=0.0, seed=2, M0=M0,
                            track_states=True)
    sim.run(50.0)
    sim.reset_observables()
    sim.run(1e5)
    p = sim.state_probabilities()
    ns, N = sim.lattice.n_sites, sim.n_particles
    masks = np.arange(1 << ns)
    occ = (masks[:, None] >> np.arange(ns)) & 1
    ok = occ.sum(axis=1) == N
    E = lg.energy(occ[ok], sim.lattice, V)
    w = np.exp(-(E - E.min()) / (KB_EV * T))
    w /= w.sum()
    assert p[~ok].sum() == 0.0
    if M0 == 0:
        np.testing.assert_allclose(p[ok], w, rtol=0.08, atol=5e-4)
    else:
        # the energy averages stay close to Boltzmann (the excitation is short-lived)
        assert np.sum(p[ok] * E) == pytest.approx(np.sum(w * E), abs=0.02)


def test_chain_pair_density_matches_exact_canonical_count():
    T, V = 1200.0, 0.1
    sim = kmc.LatticeGasKMC("chain", 15, T=T, V=V, Lambda0=0.05, seed=4)
    sim.run(100.0)
    sim.reset_observables()
    sim.run(3000.0)
    exact = lg.chain_pair_density_canonical(30, 15, T, V)
    assert sim.moments()["pairs"] == pytest.approx(exact, rel=0.04)
    # and the interaction matters: V = 0 would give N(N-1)/(L-1)/L
    assert abs(exact - 15 * 14 / 29 / 30) > 0.1 * exact


def test_chain_correlations_match_transfer_matrix():
    T, V = 1500.0, 0.4  # ξ ≈ 1.6 sites
    # start ordered: from a random start the excess domain walls (adjacent ion pairs and
    # adjacent vacancy pairs) annihilate by diffusion, a slow (t^-1/2) approach to equilibrium
    sim = kmc.LatticeGasKMC("chain", 200, T=T, V=V, Lambda0=0.0, seed=9, init="ordered")
    sim.run(2000.0)
    sim.reset_observables()
    res = sim.run(4000.0, n_samples=400, snapshots=True)
    s = 2.0 * res["snapshots"] - 1.0
    r = np.arange(1, 6)
    G = np.array([np.mean(s * np.roll(s, -k, axis=1)) for k in r])
    exact = lg.chain_spin_correlation(r, T, V)
    np.testing.assert_allclose(G, exact, atol=0.02)


# --- transport ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,size", [("chain", 2000), ("honeycomb", 40)])
def test_dilute_ions_diffuse_freely_with_haven_ratio_one(kind, size):
    """A few ions on a large lattice: D* = D_σ = P0 ℓ² / (2d) (hop rate P0/τ, step ℓ), H = 1."""
    lat = lg.make_lattice(kind, size)
    T, L0, N = 2000.0, 0.1, 16
    P0 = math.exp(-L0 / (KB_EV * T))
    ell2 = 0.25 if kind == "chain" else 1 / 3
    D0 = P0 * ell2 / (2 * lat.dim)
    Dt, Dc = [], []
    for seed in range(4):
        sim = kmc.LatticeGasKMC(kind, size, T=T, V=0.0, Lambda0=L0, n0=2 * N / lat.n_sites,
                                seed=seed)
        res = sim.run(4000.0, n_samples=2000, positions=True)
        d = kmc.diffusion(res, lat.dim, N)
        Dt.append(d["D_tracer"])
        Dc.append(d["D_sigma"])
    assert np.mean(Dt) == pytest.approx(D0, rel=0.06)
    assert np.mean(Dc) == pytest.approx(D0, rel=0.12)
    assert np.mean(Dt) / np.mean(Dc) == pytest.approx(1.0, abs=0.15)


def test_noninteracting_charge_diffusion_with_exclusion_is_exact():
    """V = 0 with site exclusion: the collective displacement is a martingale, so
    D_σ = P0 ℓ² (N_s - N)/(N_s - 1) / (2d) exactly; the tracer is slower (Haven ratio < 1)."""
    T, L0 = 2000.0, 0.1
    ns = 2 * 12 * 12
    P0 = math.exp(-L0 / (KB_EV * T))
    Ds, H = [], []
    for seed in range(4):
        sim = kmc.LatticeGasKMC("honeycomb", 12, T=T, V=0.0, Lambda0=L0, seed=seed)
        N = sim.n_particles
        res = sim.run(2000.0, n_samples=2000)
        d = kmc.diffusion(res, 2, N)
        Ds.append(d["D_sigma"])
        H.append(d["haven"])
    exact = P0 / 3 * (ns - N) / (ns - 1) / 4
    assert np.mean(Ds) == pytest.approx(exact, rel=0.1)
    assert 0.3 < np.mean(H) < 0.8  # tracer correlation factor of the half-filled honeycomb


def test_drift_under_weak_field_obeys_nernst_einstein():
    T, K0 = 3000.0, 0.5
    kw = dict(K0=K0, Lambda0=0.1, seed=3)
    De, Dd = [], []
    F = 0.6 * KB_EV * T  # Zℰ ℓ_x ≤ 0.3 k_B T per hop: sinh(x)/x - 1 < 0.4 %
    for seed in range(3):
        kw["seed"] = seed
        De.append(kmc.equilibrium_task("honeycomb", 10, T, hops_eq=20, hops_run=1500,
                                       **kw)["D_sigma"])
        Dd.append(kmc.drift_task("honeycomb", 10, T, hops_eq=20, hops_run=1500, field=F,
                                 **kw)["D_drift"])
    assert np.mean(Dd) == pytest.approx(np.mean(De), rel=0.12)


def test_invalid_input_raises():
    with pytest.raises(ValueError, match="T"):
        kmc.LatticeGasKMC("chain", 10, T=-1.0)
    with pytest.raises(ValueError, match="kind"):
        kmc.LatticeGasKMC("square", 10, T=100.0)
    with pytest.raises(ValueError, match="n0"):
        kmc.LatticeGasKMC("chain", 10, T=100.0, n0=2.5)
    with pytest.raises(ValueError, match="duration"):
        kmc.LatticeGasKMC("chain", 10, T=100.0).run(0.0)
    with pytest.raises(ValueError, match="M0"):
        kmc.LatticeGasKMC("chain", 10, T=100.0, M0=-0.1)


def test_binder_limits():
    # ordered (γ = ±1): U = 2/3; Gaussian γ: ⟨γ⁴⟩ = 3⟨γ²⟩² → U = 0
    assert kmc.binder(1.0, 1.0) == pytest.approx(2 / 3)
    assert kmc.binder(0.1, 0.03) == pytest.approx(0.0)


def test_canonical_transfer_matrix_matches_enumeration():
    import itertools
    T, V, L = 1200.0, 0.3, 12
    G, g2 = lg.chain_canonical_correlations(T, V, L)
    lat = lg.chain(L // 2)
    occs = np.array([o for o in itertools.product([0, 1], repeat=L) if sum(o) == L // 2])
    E = lg.energy(occs, lat, V)
    w = np.exp(-(E - E.min()) / (KB_EV * T))
    w /= w.sum()
    s = 2 * occs - 1
    Gb = [np.sum(w * np.mean(s * np.roll(s, -r, axis=1), axis=1)) for r in range(L)]
    np.testing.assert_allclose(G, Gb, atol=1e-12)
    gam = (s * (-1) ** np.arange(L)).sum(axis=1) / L
    assert g2 == pytest.approx(np.sum(w * gam ** 2), rel=1e-12)
    # a long ring approaches the grand-canonical (e^{V/2k_BT}/L) result
    assert lg.chain_canonical_correlations(T, V, 512)[1] == pytest.approx(
        lg.chain_gamma2_ring(T, V, 512), rel=0.02)


def test_kmc_polarization_of_small_ring_matches_exact_canonical():
    T, V = 1000.0, 0.3
    sim = kmc.LatticeGasKMC("chain", 8, T=T, V=V, Lambda0=0.0, seed=6)
    sim.run_events(20000)
    sim.reset_observables()
    sim.run_events(400000)
    exact = lg.chain_canonical_correlations(T, V, 16)[1]
    assert sim.moments()["g2"] == pytest.approx(exact, rel=0.05)


@pytest.fixture(scope="module")
def honeycomb18():
    lat = lg.honeycomb(3)
    ns = lat.n_sites
    allm = np.arange(1 << ns)
    occ = ((allm[:, None] >> np.arange(ns)) & 1).astype(np.int8)
    E = lg.energy(occ, lat, 1.0)  # number of occupied bonds
    ms = (occ[:, lat.sub == 0].sum(1) - occ[:, lat.sub == 1].sum(1)) / (ns / 2)
    return lat, occ.sum(1), E, ms


def test_grand_canonical_sampler_matches_enumeration(honeycomb18):
    lat, N, pairs, ms = honeycomb18
    T, K0 = 1420.0, 0.5
    V = lg.coupling_from_paper(K0, 1.0, 3)
    E = V * pairs - 1.5 * V * N  # μ = zV/2: half filling
    w = np.exp(-(E - E.min()) / (KB_EV * T))
    w /= w.sum()
    r = kmc.gc_binder_task("honeycomb", 3, T, K0, seed=2, sweeps_eq=500, sweeps_run=40000)
    assert r["g2"].mean() == pytest.approx(np.sum(w * ms ** 2), rel=0.02)
    assert r["g4"].mean() == pytest.approx(np.sum(w * ms ** 4), rel=0.03)


def test_fixed_n_kmc_matches_canonical_enumeration_and_differs_from_gc(honeycomb18):
    lat, N, pairs, ms = honeycomb18
    T, K0 = 1420.0, 0.5
    V = lg.coupling_from_paper(K0, 1.0, 3)
    sel = N == 9
    w = np.exp(-(V * pairs[sel] - V * pairs[sel].min()) / (KB_EV * T))
    w /= w.sum()
    exact = np.sum(w * ms[sel] ** 2)
    sim = kmc.LatticeGasKMC("honeycomb", 3, T=T, K0=K0, Lambda0=0.0, seed=4)
    sim.run_events(20000)
    sim.reset_observables()
    sim.run_events(600000)
    assert sim.moments()["g2"] == pytest.approx(exact, rel=0.02)
    # the ensembles differ at this size (fixed N is more ordered)
    wg = np.exp(-(V * pairs - 1.5 * V * N - (V * pairs - 1.5 * V * N).min()) / (KB_EV * T))
    assert exact > 1.05 * np.sum(wg * ms ** 2) / wg.sum()


def test_binder_crossing_of_synthetic_curved_cumulants():
    # U_L(T) = 2/3 - a (1 + (T - Tc) L^{1/ν} / s)^2-like curved family crossing exactly at Tc
    Tc, T = 1000.0, np.linspace(900.0, 1100.0, 9)
    table = {}
    for L in (8, 16, 32):
        x = (T - Tc) / Tc * L
        U = 0.6 - 0.05 * np.tanh(x) - 0.01 * np.tanh(x) ** 2
        table[L] = (T, U, np.full(T.size, 1e-4))
    for L1, L2, Tx, dTx in kmc.binder_crossings(table):
        assert Tx == pytest.approx(Tc, abs=3.0)
        assert dTx < 3.0


def test_numpy_reference_step_samples_boltzmann_pair_density():
    lat = lg.chain(4)
    T, V = 1000.0, 0.12
    rng = np.random.default_rng(0)
    occ = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    exc = np.full(8, -1)
    tot, acc = 0.0, 0.0
    for _ in range(6000):
        new, exc, dt, ev = kmc.reference_step(occ, exc, lat, T, 0.0, V, 0.0, 0.0, 1.0,
                                              rng.random(3))
        acc += dt * lg.energy(occ, lat, 1.0)
        tot += dt
        occ = new
    exact = lg.chain_pair_density_canonical(8, 4, T, V) * 8
    assert acc / tot == pytest.approx(exact, rel=0.1)


NO_SAMPLES = (np.zeros(0), np.zeros((0, 2)), np.zeros(0), np.zeros(0), np.zeros((1, 1), np.int8),
              np.zeros((1, 1, 2)))


@pytest.mark.parametrize("kind,size,field,M0", [("chain", 6, 0.05, 0.0),
                                                 ("honeycomb", 3, 0.04, 0.3)])
def test_kernel_picks_each_event_with_its_reference_rate(kind, size, field, M0):
    """One kernel event from a fixed state, for u0 on a fine grid: the fraction of u0 leading
    to each hop p → q (or relaxation at q) equals its rate / total in the brute-force catalogue
    of :func:`kmc.reference_step`'s rates, and the waiting time is −ln(1 − u1)/R."""
    import copy
    sim = kmc.LatticeGasKMC(kind, size, T=1500.0, field=field, M0=M0, seed=2)
    sim.run_events(200)
    o, _, d, r = lg.hop_rates_reference(sim.occ, sim.lattice, sim.T, sim.Lambda0, sim.V,
                                        sim.field, sim.M0, sim.exc)
    relax = np.flatnonzero((sim.exc >= 0) & (sim.occ == 0)) if M0 > 0 else np.zeros(0, int)
    want = {(int(p), int(q)): w for p, q, w in zip(o, d, r)}
    want.update({(-1, int(q)): 1.0 / sim.tau_exc for q in relax})
    R = sum(want.values())
    K = 6000
    seen = {}
    for k in range(K):
        s = copy.deepcopy(sim)
        occ0, exc0 = s.occ.copy(), s.exc.copy()
        s._kernel(np.array([[(k + 0.5) / K, 0.3]]), 1e300, NO_SAMPLES, 0)
        assert s.t - sim.t == pytest.approx(-np.log(0.7) / R, rel=1e-12)
        moved = np.flatnonzero(s.occ != occ0)
        if moved.size:
            p = int(moved[occ0[moved] == 1][0])
            q = int(moved[occ0[moved] == 0][0])
            ev = (p, q)
        else:
            ev = (-1, int(np.flatnonzero((exc0 >= 0) & (s.exc < 0))[0]))
        seen[ev] = seen.get(ev, 0) + 1
    assert set(seen) <= set(want)
    for ev, w in want.items():
        assert seen.get(ev, 0) / K == pytest.approx(w / R, abs=2.0 / K)


def test_chain_gamma2_switches_from_canonical_to_ring_with_an_o_one_over_L_difference():
    T, V = 900.0, 0.3
    assert lg.chain_gamma2(T, V, 64) == lg.chain_canonical_correlations(T, V, 64)[1]
    assert lg.chain_gamma2(T, V, 300) == lg.chain_gamma2_ring(T, V, 300)
    big = lg.chain_canonical_correlations(T, V, 300)[1]
    assert abs(big - lg.chain_gamma2(T, V, 300)) < 5.0 / 300 * big
