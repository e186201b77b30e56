"""Tests of the diffusion analysis: MSD and D on synthetic walks, Arrhenius fits, static barriers,
and equipartition of the time-local particle in the smooth weak-coupling limit."""
import itertools

import numpy as np
import pytest
from scipy.signal import lfilter

from ionmotion import diffusion as dif
from ionmotion import thermal as th
from ionmotion.lattice import CubicLattice
from ionmotion.potentials import Gaussian, Yukawa

LAT = CubicLattice(3.5, 3.0, 520.0, 170.0)


def _brownian(D, dt, n, rng):
    steps = rng.normal(0.0, np.sqrt(2 * D * dt), size=(n, 3))
    return dt * np.arange(n + 1), np.vstack([np.zeros(3), np.cumsum(steps, axis=0)])


def test_msd_recovers_D_of_a_random_walk():
    rng = np.random.default_rng(1)
    D = 0.7
    t, R = _brownian(D, 0.05, 200 * 240, rng)
    tau, mean, sem, sq = dif.msd_segments(t, R, 12.0)
    assert sq.shape[0] == 200
    fit = dif.fit_msd(tau, mean, sem, t_min=1.0, sq=sq)
    assert abs(fit["D"] - D) < 4 * fit["D_err_boot"]
    assert fit["D_err_boot"] < 0.2 * D


def test_fit_excludes_ballistic_part_ornstein_uhlenbeck():
    """Langevin particle: ballistic for τ ≪ 1/γ, diffusive with D = kT/(Mγ) beyond."""
    rng = np.random.default_rng(2)
    kT, M, gamma, dt, n = 25.0, 0.7, 4.0, 0.01, 300_000
    a = np.exp(-gamma * dt)
    noise = rng.normal(0, np.sqrt(kT / M * (1 - a * a)), size=(n, 3))
    noise[0] = rng.normal(0, np.sqrt(kT / M), 3)  # stationary start
    V = lfilter([1.0], [1.0, -a], noise, axis=0)   # v_i = a v_(i-1) + noise_i
    R = np.vstack([np.zeros(3), np.cumsum(V * dt, axis=0)])
    t = dt * np.arange(n + 1)
    tau, mean, sem, sq = dif.msd_segments(t, R, 12.0)
    fit = dif.fit_msd(tau, mean, sem, t_min=1.0, sq=sq)
    D = kT / (M * gamma)
    assert abs(fit["D"] - D) < 4 * fit["D_err_boot"] + 0.02 * D
    # short times are ballistic: ⟨ΔR²⟩ ≈ 3 kT/M τ²
    k = 3
    assert abs(mean[k] / (3 * kT / M * tau[k] ** 2) - 1) < 0.1


def test_arrhenius_fit_exact_and_coverage():
    kT = np.array([10, 15, 20, 25, 30, 40, 50.0])
    Ea, D0 = 42.0, 9.8
    D = D0 * np.exp(-Ea / kT)
    fit = dif.arrhenius_fit(kT, D, 0.05 * D)
    assert fit["E_a"] == pytest.approx(Ea, rel=1e-10)
    assert fit["D0"] == pytest.approx(D0, rel=1e-10)
    rng = np.random.default_rng(4)
    hits = 0
    trials = 300
    for _ in range(trials):
        Dn = D * np.exp(rng.normal(0, 0.1, len(kT)))
        f = dif.arrhenius_fit(kT, Dn, 0.1 * Dn)
        hits += f["E_a_ci"][0] <= Ea <= f["E_a_ci"][1]
        assert f["D0_ci"][0] < f["D0"] < f["D0_ci"][1]
    assert 0.90 < hits / trials < 0.99


def test_arrhenius_face_value_intervals_cover_when_errors_are_right():
    """scale_by_chi2=False: with the true error bars the face-value 95 % interval covers the true
    E_a in ~95 % of synthetic data sets, even with only three temperatures; the χ²-scaled
    interval (Student t, 1 dof) is then much wider on average."""
    kT = np.array([30.0, 40.0, 50.0])
    D = 23.0 * np.exp(-40.0 / kT)
    rng = np.random.default_rng(7)
    hits, widths = 0, []
    for _ in range(400):
        Dn = D * np.exp(rng.normal(0, 0.05, 3))
        f = dif.arrhenius_fit(kT, Dn, 0.05 * Dn, scale_by_chi2=False)
        g = dif.arrhenius_fit(kT, Dn, 0.05 * Dn)
        hits += f["E_a_ci"][0] <= 40.0 <= f["E_a_ci"][1]
        widths.append((g["E_a_halfwidth"], f["E_a_halfwidth"]))
    assert 0.92 < hits / 400 < 0.98
    w = np.array(widths)
    assert np.mean(w[:, 0]) > 3 * np.mean(w[:, 1])
    with pytest.raises(ValueError, match="D_err"):
        dif.arrhenius_fit(kT, D, scale_by_chi2=False)


def test_static_barrier_matches_independent_lattice_sum():
    for U0, lam in ((4000.0, 0.5), (14000.0, 0.2)):
        def energy(p):
            tot = 0.0
            for i, j, k in itertools.product(range(-5, 6), repeat=3):
                r = np.linalg.norm(np.asarray(p) - 3.0 * np.array([i, j, k]))
                tot += U0 * np.exp(-r / lam) / r
            return tot
        ref = energy([1.5, 1.5, 0.0]) - energy([1.5, 1.5, 1.5])
        assert dif.static_barrier(U0, lam, LAT) == pytest.approx(ref, rel=1e-12)
    # linear in U0 when unrelaxed
    assert dif.static_barrier(8000.0, 0.5, LAT) == pytest.approx(
        2 * dif.static_barrier(4000.0, 0.5, LAT), rel=1e-12)


def test_relaxation_lowers_the_barrier_and_vanishes_for_a_stiff_framework():
    soft = dif.static_barrier(4000.0, 0.5, LAT, relaxed=True, parts=True, n_quad=8)
    bare = dif.static_barrier(4000.0, 0.5, LAT)
    assert soft["barrier"] < bare
    assert soft["deformation"] > 0
    assert soft["barrier"] == pytest.approx(soft["interaction"] + soft["deformation"])
    stiff = CubicLattice(3.5, 3.0, 52000.0, 17000.0)  # 100x stiffer: V⁻¹ 100x smaller
    s = dif.static_barrier(4000.0, 0.5, stiff, relaxed=True, n_quad=8)
    # relaxation energy is -½ gᵀ V⁻¹ g to leading order: 100x smaller shift
    assert (bare - s) == pytest.approx((bare - soft["barrier"]) / 100, rel=0.1)


def test_equipartition_smooth_weak_coupling():
    """With a smooth, wide interaction the time-local particle (drag 𝓛, noise from r_H) settles
    at the bath temperature: ⟨½M|V|²⟩ = 3/2 ħΩ_T (fluctuation-dissipation between Eq. (15) and
    Eq. (24)). Three seeds × 40 ps on an 8³ mode grid."""
    drag = LAT.drag_matrix()
    W0 = th.corner_response(LAT, n_grid=8)
    kT = 50.0
    ke = []
    for seed in range(3):
        m = th.sample_modes(LAT, 8, kT, np.random.default_rng(seed))
        t, R, V = th.trajectory(np.full(3, 1.5), np.zeros(3), 0.7, Gaussian(300.0, 1.0), m, W0,
                                drag, 5e-3, 8000, save_every=4)
        ke.append(0.5 * 0.7 * np.mean(np.sum(V[250:] ** 2, axis=1)))
    assert abs(np.mean(ke) / (1.5 * kT) - 1) < 0.2


def test_diffusion_task_runs_and_is_reproducible():
    a = dif.diffusion_task("timelocal", 50.0, 4000.0, 3, 0.5, n_grid=4, n_quad=8)
    b = dif.diffusion_task("timelocal", 50.0, 4000.0, 3, 0.5, n_grid=4, n_quad=8)
    assert np.array_equal(a["R"], b["R"])
    assert np.allclose(a["R"][0], 1.5)
    assert len(a["t"]) == 11


@pytest.mark.parametrize("method", ["timelocal", "full"])
def test_diffusion_task_lattice_is_a_parameter(method):
    """The lattice enters the result (so it must be, and is, a task parameter: the cache key);
    passing the paper's lattice explicitly reproduces the default bit for bit."""
    kw = dict(n_grid=4, n_quad=8, save_dt=0.01)
    a = dif.diffusion_task(method, 50.0, 4000.0, 3, 0.1, **kw)
    b = dif.diffusion_task(method, 50.0, 4000.0, 3, 0.1, lattice=dict(dif.PAPER_LATTICE), **kw)
    stiff = dict(dif.PAPER_LATTICE, k1=2 * dif.PAPER_LATTICE["k1"])
    c = dif.diffusion_task(method, 50.0, 4000.0, 3, 0.1, lattice=stiff, **kw)
    assert np.array_equal(a["R"], b["R"])
    assert not np.allclose(a["R"], c["R"])


def test_full_diffusion_task_shares_the_thermal_start():
    """method="full": reproducible, starts at rest at the cell centre, stores the compact form
    (R float32, V2 = run mean of |V|²), and its framework starts from the same mode sample as
    the time-local run with the same seed (the first force, from the corners' thermal
    displacements, is the same to first order: the first steps agree closely)."""
    a = dif.diffusion_task("full", 50.0, 4000.0, 3, 0.05, n_grid=6, save_dt=0.005)
    b = dif.diffusion_task("full", 50.0, 4000.0, 3, 0.05, n_grid=6, save_dt=0.005)
    assert np.array_equal(a["R"], b["R"]) and a["R"].dtype == np.float32
    assert np.allclose(a["R"][0], 1.5) and a["V2"].shape == () and a["V2"] > 0
    tl = dif.diffusion_task("timelocal", 50.0, 4000.0, 3, 0.05, n_grid=6, n_quad=8,
                            save_dt=0.005)
    d_full, d_tl = a["R"][2] - a["R"][0], tl["R"][2] - tl["R"][0]
    assert np.linalg.norm(d_full - d_tl) < 0.2 * np.linalg.norm(d_full)
    other = dif.diffusion_task("full", 50.0, 4000.0, 4, 0.05, n_grid=6, save_dt=0.005)
    assert not np.allclose(other["R"][2], a["R"][2])


def test_bad_input():
    t, R = _brownian(1.0, 0.05, 1000, np.random.default_rng(0))
    with pytest.raises(ValueError, match="too short"):
        dif.msd_segments(t, R, 12.0, n_segments=250)
    with pytest.raises(ValueError, match="too short"):
        dif.msd_segments(t, R, 30.0)
    with pytest.raises(ValueError, match="at least three temperatures"):
        dif.arrhenius_fit([25.0, 50.0], [0.1, 0.5])
    with pytest.raises(ValueError, match="fewer than 3"):
        tau, mean, sem, _ = dif.msd_segments(t, R, 0.1)
        dif.fit_msd(tau, mean, sem, t_min=1.0)
    with pytest.raises(ValueError, match="method"):
        dif.diffusion_task("magic", 50.0, 4000.0, 0, 1.0)


def test_pooled_diffusion_recovers_D_and_takes_the_larger_error():
    rng = np.random.default_rng(5)
    D, M, V2 = 0.4, 0.7, 30.0
    runs = []
    for _ in range(3):
        t, R = _brownian(D, 0.05, 60 * 240, rng)
        runs.append({"t": t, "R": R, "V2": np.array(V2)})
    out = dif.pooled_diffusion(runs, M)
    assert out["n_seg"] == 180
    assert abs(out["fit"]["D"] - D) < 4 * out["D_err"]
    assert out["D_err"] >= max(out["fit"]["D_err_boot"], out["seed_sem"])
    # the pooled D of three equal-length runs is close to the mean of their own fits
    assert abs(out["fit"]["D"] - out["D_runs"].mean()) < 0.5 * out["D_err"]
    assert out["T_kin"] == pytest.approx(M * V2 / 3)
    one = dif.pooled_diffusion(runs[:1], M)
    assert np.isnan(one["seed_sem"]) and one["D_err"] == pytest.approx(one["fit"]["D_err_boot"])
    with pytest.raises(ValueError, match="M"):
        dif.pooled_diffusion(runs, -1.0)
    with pytest.raises(ValueError, match="runs"):
        dif.pooled_diffusion([], M)


def test_mode_energy_ratio_of_a_particle_at_the_nominal_temperature():
    """A particle whose kinetic temperature is exactly ħΩ_T sits below its lattice's mean mode
    energy by the ensemble factor ⟨(x/2) coth(x/2)⟩ (thermal.classical_temperature_ratio)."""
    kT, M, n = 10.0, 0.7, 6
    params = [dict(kT=kT, M=M, n_grid=n, seed=s) for s in range(8)]
    runs = [{"V2": np.array(3 * kT / M)} for _ in params]
    r = dif.mode_energy_ratios(runs, params, LAT)
    expected = 1 / th.classical_temperature_ratio(LAT, n, kT)
    assert expected < 0.9                     # zero-point energy matters at 10 meV
    assert r.mean() == pytest.approx(expected, rel=0.03)
    with pytest.raises(ValueError, match="params"):
        dif.mode_energy_ratios(runs, params[:2], LAT)


def test_corner_line_energies_linear_response_holds_far_and_diverges_near():
    """On the cell-centre → corner line: at the centre (deformation small) the time-local energy
    (second order in the forces) agrees with the exact relaxed energy within 2 meV; the exact
    relaxed energy rises monotonically towards the mass, while the time-local one has a maximum
    and then falls below zero (the linearised relaxation −½gᵀW0g grows as 1/d⁴)."""
    from ionmotion.lattice import CubicLattice
    lat = CubicLattice(**dif.PAPER_LATTICE)
    d = np.linspace(0.9, lat.a * np.sqrt(3) / 2, 12)
    e = dif.corner_line_energies(4000.0, 0.5, lat, d)
    assert abs(e["relaxed"][-1] - e["timelocal"][-1]) < 2.0
    assert np.all(np.diff(e["relaxed"]) < 0)                     # falls with distance from the mass
    k = int(np.argmax(e["timelocal"]))
    assert 0 < k < len(d) - 1 and e["timelocal"][0] < 0 < e["timelocal"][-1]
    with pytest.raises(ValueError, match="distances"):
        dif.corner_line_energies(4000.0, 0.5, lat, [3.0])
