"""Diffusion analysis (rodin2025 Sec. VI): MSD from trajectory segments, D, Arrhenius fits, barriers.

* :func:`msd_segments` - split a trajectory into non-overlapping segments (the paper: 250 of 12 ps
  from 3 ns), squared displacement from each segment's start, mean and standard error.
* :func:`fit_msd` - weighted straight-line fit of the mean MSD beyond the ballistic part
  (the paper excludes the first 1 ps), D = slope/6; besides the formal fit error, a bootstrap over
  segments (the MSD points of one segment are strongly correlated, so the formal error of a fit
  that treats them as independent is too small).
* :func:`arrhenius_fit` - ln D = ln D0 - E_a/ħΩ_T by weighted least squares, 95 % intervals
  (Student t with n - 2 degrees of freedom; D0's interval is asymmetric, as in the paper).
* :func:`static_barrier` - face-centre minus cell-centre energy of the particle, summed over the
  whole lattice; relaxed: the framework relaxes around the particle (harmonic framework, exact
  lattice Green's function V⁻¹ of the infinite lattice, iterated to self-consistency).
* :func:`pooled_diffusion` - D of one parameter set from the pooled segments of its runs, with
  the larger of the bootstrap and run-to-run errors.
* :func:`diffusion_task` - one (method, ħΩ_T, U0, seed) trajectory, the unit of the dask sweeps;
  :func:`mode_energy_ratios` - its particle's temperature against its own thermal sample.
"""
import functools
import time

import numpy as np
from scipy import stats

from ._validate import finite_array, integer_in, positive, choice
from .lattice import CubicLattice
from .potentials import Yukawa, lattice_sum


# --------------------------------------------------------------------------------------------
# MSD and D
# --------------------------------------------------------------------------------------------


def msd_segments(t, R, segment_length, n_segments=None):
    """Mean squared displacement over non-overlapping segments of one trajectory.

    t (K,) equally spaced times, R (K, 3) positions (unfolded). Each segment starts at a multiple
    of segment_length; returns (tau, mean, sem, sq) with tau (S,) lag times 0 … segment_length,
    mean and standard error (S,) over segments and sq (n_segments, S) the individual curves.
    """
    t = finite_array("t", t)
    R = finite_array("R", R, shape_tail=(3,))
    if t.ndim != 1 or len(t) != len(R) or len(t) < 3:
        raise ValueError("t must be 1-D with the same length as R (and at least 3 points)")
    dt = t[1] - t[0]
    if dt <= 0 or not np.allclose(np.diff(t), dt, rtol=1e-6, atol=1e-12):
        raise ValueError("t must be equally spaced and increasing")
    segment_length = positive("segment_length", segment_length)
    S = int(round(segment_length / dt))
    if S < 2:
        raise ValueError(f"segment_length = {segment_length} is shorter than two samples "
                         f"(sample spacing {dt})")
    available = (len(t) - 1) // S
    if n_segments is None:
        n_segments = available
    n_segments = integer_in("n_segments", n_segments, 1)
    if n_segments > available or available < 2:
        raise ValueError(f"trajectory too short: {t[-1] - t[0]:.4g} long, room for {available} "
                         f"segments of {segment_length} but {max(n_segments, 2)} requested "
                         "(at least 2 are needed for a standard error)")
    if n_segments < 2:
        raise ValueError("n_segments must be >= 2 for a standard error")
    idx0 = np.arange(n_segments) * S
    seg = R[idx0[:, None] + np.arange(S + 1)[None, :]]       # (n, S+1, 3)
    sq = np.sum((seg - seg[:, :1]) ** 2, axis=-1)
    mean = sq.mean(0)
    sem = sq.std(0, ddof=1) / np.sqrt(n_segments)
    return dt * np.arange(S + 1), mean, sem, sq


def _wls_line(x, y, sigma):
    """Weighted straight line y = a + b x; returns (b, a, cov) with absolute sigma."""
    w = 1.0 / sigma**2
    A = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv(A.T @ (A * w[:, None]))
    a, b = cov @ (A.T @ (w * y))
    return b, a, cov


def fit_msd(tau, mean, sem, t_min=1.0, sq=None, n_boot=200, rng=None):
    """Weighted linear fit of ⟨|ΔR|²⟩(τ) for τ ≥ t_min; D = slope/6 (3D diffusion).

    Returns a dict: slope, intercept, D, D_err (formal, points weighted by 1/sem² as the paper
    does), and when the per-segment curves `sq` are given D_err_boot: the standard deviation of D
    over bootstrap resamples of whole segments (accounts for the correlation along τ).
    """
    tau = finite_array("tau", tau)
    mean = finite_array("mean", mean)
    sem = finite_array("sem", sem)
    t_min = float(t_min)
    sel = tau >= t_min
    if sel.sum() < 3:
        raise ValueError(f"fewer than 3 MSD points with τ >= t_min = {t_min}; the segments are "
                         "too short for this t_min")
    s = np.where(sem[sel] > 0, sem[sel], np.max(sem[sel]) if np.any(sem[sel] > 0) else 1.0)
    b, a, cov = _wls_line(tau[sel], mean[sel], s)
    out = {"slope": b, "intercept": a, "D": b / 6, "D_err": np.sqrt(cov[1, 1]) / 6,
           "t_min": t_min}
    if sq is not None:
        rng = rng or np.random.default_rng(0)
        n = sq.shape[0]
        Ds = []
        for _ in range(n_boot):
            pick = rng.integers(0, n, n)
            m = sq[pick].mean(0)
            e = sq[pick].std(0, ddof=1) / np.sqrt(n)
            e = np.where(e[sel] > 0, e[sel], max(e[sel].max(), 1e-30))
            Ds.append(_wls_line(tau[sel], m[sel], e)[0] / 6)
        out["D_err_boot"] = float(np.std(Ds, ddof=1))
    return out


def pooled_diffusion(runs, M, segment_length=12.0, t_min=1.0, min_error=1e-3):
    """D of one parameter set from the 12 ps segments of all its trajectories (rodin2025 Sec. VI).

    The segments of every run are pooled into one mean MSD with its standard error and fitted for
    τ ≥ `t_min` (:func:`fit_msd`, bootstrap over whole segments). Each run is also fitted alone;
    the standard error of those single-run values of D is an independent estimate of the
    uncertainty (consecutive segments of one trajectory are not quite independent, which the
    bootstrap ignores). The error used in an Arrhenius fit is the larger of the two, and never
    below `min_error`.

    Parameters
    ----------
    runs : sequence of dict
        Trajectories as returned by :func:`diffusion_task`: ``t`` (ps), ``R`` (unfolded, Å) and
        ``V2`` (run mean of |V|², Å²/ps²). All must share the same sampling interval.
    M : float
        The particle's mass (meV·ps²/Å²), for the kinetic temperature M⟨|V|²⟩/3.
    segment_length : float, optional
        Segment length (ps); the paper's 12 ps.
    t_min : float, optional
        Start of the fitted range (ps); the paper excludes the ballistic first 1 ps.
    min_error : float, optional
        Floor of the returned error of D (Å²/ps).

    Returns
    -------
    dict
        ``tau``, ``mean``, ``sem`` (pooled MSD curve), ``fit`` (:func:`fit_msd` of it), ``n_seg``,
        ``T_kin`` (mean kinetic temperature, meV) and ``T_runs``, ``D_runs`` (per run),
        ``seed_sem`` (standard error of ``D_runs``, NaN for one run) and ``D_err``.

    Raises
    ------
    ValueError
        If `runs` is empty or `M` is not positive.
    """
    M = positive("M", M)
    min_error = positive("min_error", min_error)
    if len(runs) == 0:
        raise ValueError("runs: at least one trajectory is needed")
    seg = [msd_segments(r["t"], r["R"], segment_length) for r in runs]
    sq = np.concatenate([s[3] for s in seg])
    mean, sem = sq.mean(0), sq.std(0, ddof=1) / np.sqrt(len(sq))
    f = fit_msd(seg[0][0], mean, sem, t_min=t_min, sq=sq)
    D_runs = np.array([fit_msd(*s[:3], t_min=t_min)["D"] for s in seg])
    seed_sem = D_runs.std(ddof=1) / np.sqrt(len(D_runs)) if len(D_runs) > 1 else np.nan
    T_runs = np.array([M * float(r["V2"]) / 3 for r in runs])
    return dict(tau=seg[0][0], mean=mean, sem=sem, fit=f, n_seg=len(sq), T_kin=T_runs.mean(),
                T_runs=T_runs, D_runs=D_runs, seed_sem=seed_sem,
                D_err=max(f["D_err_boot"], np.nan_to_num(seed_sem), min_error))


def arrhenius_fit(kT, D, D_err=None, confidence=0.95, scale_by_chi2=True):
    """Fit D = D0 exp(-E_a/kT) (kT = ħΩ_T in meV) by weighted least squares on ln D.

    Weights 1/(D_err/D)² if D_err is given (else equal). By default, when the points scatter
    more than their error bars allow (reduced χ² > 1), or without error bars, the covariance is
    scaled by the reduced χ² and intervals use Student's t with n - 2 degrees of freedom; when
    χ² ≤ 1 the error bars are taken at face value (normal quantile), so a small χ² never narrows
    the intervals. With scale_by_chi2=False (D_err required) the error bars are always taken at
    face value: the covariance is not rescaled and the intervals use the normal quantile. Returns a dict with E_a,
    E_a_ci (lo, hi), D0, D0_ci (lo, hi) (asymmetric, from the interval of ln D0), and the fit's
    reduced chi2. Needs at least three temperatures.
    """
    kT = finite_array("kT", kT).ravel()
    D = finite_array("D", D).ravel()
    if len(kT) != len(D):
        raise ValueError("kT and D must have the same length")
    if len(kT) < 3:
        raise ValueError(f"kT: an Arrhenius fit needs at least three temperatures, got {len(kT)}")
    if np.any(kT <= 0):
        raise ValueError("kT (temperatures) must be > 0")
    if np.any(D <= 0):
        raise ValueError("D must be > 0 for an Arrhenius fit (ln D)")
    y = np.log(D)
    x = 1.0 / kT
    if D_err is None:
        if not scale_by_chi2:
            raise ValueError("scale_by_chi2=False needs D_err (error bars taken at face value)")
        sig = np.ones_like(y)
    else:
        D_err = finite_array("D_err", D_err).ravel()
        if np.any(D_err <= 0):
            raise ValueError("D_err must be > 0")
        sig = D_err / D
    b, a, cov = _wls_line(x, y, sig)
    dof = len(x) - 2
    resid = (y - a - b * x) / sig
    chi2 = float(resid @ resid / dof) if dof > 0 else float("nan")
    if not scale_by_chi2 or (D_err is not None and dof > 0 and chi2 <= 1.0):
        tq = stats.norm.ppf(0.5 + confidence / 2)        # error bars at face value
    else:
        if dof > 0:
            cov = cov * chi2
        tq = stats.t.ppf(0.5 + confidence / 2, dof) if dof > 0 else np.inf
    Ea, Ea_e = -b, tq * np.sqrt(cov[1, 1])
    lnD0_e = tq * np.sqrt(cov[0, 0])
    return {"E_a": Ea, "E_a_ci": (Ea - Ea_e, Ea + Ea_e), "E_a_halfwidth": Ea_e,
            "D0": np.exp(a), "D0_ci": (np.exp(a - lnD0_e), np.exp(a + lnD0_e)),
            "chi2_red": chi2, "confidence": confidence}


# --------------------------------------------------------------------------------------------
# Static barriers
# --------------------------------------------------------------------------------------------

_N_CLUSTER = 2  # relaxed masses: all sites within [-2, 3]^3 (6^3 = 216) around the cell [0, 1]^3


@functools.lru_cache(maxsize=8)
def _cluster_response(mass, a, k1, k2, n_quad, half):
    lat = CubicLattice(mass, a, k1, k2)
    r = np.arange(-half, half + 2)
    sites = np.stack(np.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
    return sites, lat.static_response_matrix(sites, n_quad=n_quad)


def relaxed_energy(potential, point, lattice, n_quad=16, n_shell=6, tol=1e-10, max_iter=500):
    """Energy of a particle at `point` with the harmonic framework relaxed around it (meV).

    The masses of a 6³ cluster around the cell [0, a]³ relax; for a harmonic framework the exact
    equilibrium displacement satisfies r = G g(r) (G = V⁻¹ among the cluster sites, infinite
    lattice; g_i = ∇u(point - s_i - r_i) the force the particle exerts on mass i), solved by damped
    fixed-point iteration. Returns dict(total, interaction, deformation, displacement): the
    interaction Σ_i u(point - s_i - r_i) over the whole lattice (farther masses unrelaxed) and the
    deformation energy ½ rᵀ V r = ½ gᵀ r.
    """
    point = finite_array("point", point, shape_tail=(3,))
    a = lattice.a
    sites, G = _cluster_response(lattice.mass, a, lattice.k1, lattice.k2, n_quad, _N_CLUSTER)
    pos = sites * a
    far = lattice_sum(potential, point, a, n_shell) - potential.value(point - pos).sum()
    r = np.zeros_like(pos)
    for it in range(max_iter):
        g = potential.gradient(point - pos - r)
        r_new = (G @ g.ravel()).reshape(-1, 3)
        if np.max(np.abs(r_new - r)) < tol:
            r = r_new
            break
        r = 0.5 * r + 0.5 * r_new
    else:
        raise ValueError("framework relaxation did not converge (interaction too strong for a "
                         "harmonic framework?)")
    g = potential.gradient(point - pos - r)
    inter = potential.value(point - pos - r).sum() + far
    deform = 0.5 * float(g.ravel() @ r.ravel())
    return {"total": inter + deform, "interaction": inter, "deformation": deform,
            "displacement": r}


def static_barrier(U0, lam, lattice, relaxed=False, n_shell=6, n_quad=16, parts=False):
    """Barrier between neighbouring cells for U(x) = U0 e^{-|x|/λ}/|x|: the energy with the
    particle at a face centre (a/2, a/2, 0) minus at the cell centre (a/2, a/2, a/2), in meV,
    summed over the whole lattice (|i|, |j|, |k| ≤ n_shell; with λ = 1/2 Å the terms beyond are
    below 1e-20 meV). relaxed=True relaxes the framework for each particle position
    (:func:`relaxed_energy`); parts=True returns a dict with the interaction and deformation
    contributions (rodin2025 Sec. VI: 42.3 = 39.4 + 2.9 meV for U0 = 4 eV).
    """
    pot = Yukawa(U0, positive("lam", lam))
    a = lattice.a
    face = np.array([a / 2, a / 2, 0.0])
    centre = np.array([a / 2, a / 2, a / 2])
    if not relaxed:
        b = float(lattice_sum(pot, face, a, n_shell) - lattice_sum(pot, centre, a, n_shell))
        return {"barrier": b, "interaction": b, "deformation": 0.0} if parts else b
    ef = relaxed_energy(pot, face, lattice, n_quad=n_quad, n_shell=n_shell)
    ec = relaxed_energy(pot, centre, lattice, n_quad=n_quad, n_shell=n_shell)
    out = {"barrier": ef["total"] - ec["total"],
           "interaction": ef["interaction"] - ec["interaction"],
           "deformation": ef["deformation"] - ec["deformation"]}
    return out if parts else out["barrier"]


def corner_line_energies(U0, lam, lattice, distances, n_quad=40):
    """Static energy of the particle on the line from the cell centre to a corner mass.

    For each distance d from the mass (Å, 0 < d <= a√3/2): the exact relaxed energy of the
    harmonic framework (:func:`relaxed_energy`, the masses moved until the forces balance) and
    the energy the time-local equation of motion implies at rest, rodin2025 Eqs. (18)-(20) with
    r_H = 0: the pair energy with the cell's 8 corners minus ½ gᵀ W0 g, g the forces on the
    corners at their undisplaced positions and W0 their static response
    (:func:`ionmotion.thermal.corner_response`). The second is the first expanded to second order
    in the forces; it is accurate while the displacement W0 g is small against d, and
    diverges to −∞ as d → 0 (g grows as U0/d², the correction as its square).
    Returns dict(distance, relaxed, timelocal) in meV.
    """
    from . import thermal as th
    d = np.atleast_1d(np.asarray(distances, float))
    half = lattice.a * np.sqrt(3.0) / 2
    if np.any(d <= 0) or np.any(d > half + 1e-12):
        raise ValueError(f"distances must lie in (0, {half:.4g}] Å (cell centre to corner)")
    pot = Yukawa(U0, positive("lam", lam))
    W0 = th.corner_response(lattice, n_quad=n_quad)
    corners = th.CORNER_OFFSETS * lattice.a
    relaxed, local = np.empty_like(d), np.empty_like(d)
    for i, x in enumerate(d):
        r = np.full(3, x / np.sqrt(3.0))          # corner 0 at the origin, centre at (a/2)(1,1,1)
        relaxed[i] = relaxed_energy(pot, r, lattice)["total"]
        g = pot.gradient(r - corners).ravel()
        local[i] = pot.value(r - corners).sum() - 0.5 * g @ W0 @ g
    return {"distance": d, "relaxed": relaxed, "timelocal": local}


# --------------------------------------------------------------------------------------------
# One sweep task
# --------------------------------------------------------------------------------------------

PAPER_LATTICE = dict(mass=3.5, a=3.0, k1=520.0, k2=170.0)


@functools.lru_cache(maxsize=4)
def _w0_drag(mass, a, k1, k2, n_quad):
    from .thermal import corner_response
    lat = CubicLattice(mass, a, k1, k2)
    return corner_response(lat, n_quad=n_quad), lat.drag_matrix()


def diffusion_task(method, kT, U0, seed, duration, dt=5e-3, n_grid=20, lam=0.5, M=0.7,
                   save_dt=0.05, scheme="hermite", n_quad=40, lattice=None, stride=1):
    """One diffusion trajectory (rodin2025 Sec. VI): particle at rest at the cell centre,
    framework thermal modes from an n_grid³ grid at ħΩ_T = kT (meV), U0 (meV·Å), λ = lam.

    method "timelocal" (Eqs. 18-20) or "full": the whole periodic n_grid³ lattice (velocity
    Verlet, :func:`ionmotion.full.simulate_lattice` with sites="cell"), started from the same
    thermal mode sample as the time-local run with the same seed (displacements and velocities
    of every mass by one inverse FFT, :func:`ionmotion.thermal.field`); the particle interacts
    with the 8 corners of its current cell (rodin2025 Fig. 7(b), the authors' reference).
    Returns dict(t, R, V2, wall, cell_changes) sampled every save_dt: R unfolded, as float32
    (the sweeps keep hundreds of thousands of samples per trajectory; the float32 spacing,
    ~1e-5 Å at a few hundred Å, is far below anything the MSD resolves), V2 the run mean of |V|²
    (the particle's kinetic temperature). The random stream is numpy's default_rng(seed).
    `lattice` is a dict of :class:`~ionmotion.lattice.CubicLattice` arguments (mass, a, k1, k2);
    None (the default) is rodin2025's model crystal. Passed explicitly, it is one of the task's
    parameters and so part of the name of its cached result in a sweep. `stride` (time-local
    only): exact thermal-field values every `stride` steps (:func:`ionmotion.thermal.trajectory`).
    A time-local run integrates on through passes where the fixed step is unstable, as rodin2025's
    scheme does, and returns their number (`unstable_passes`).
    """
    from . import thermal as th
    choice("method", method, {"timelocal", "full"})
    duration, dt, save_dt = (positive(k, x) for k, x in
                             (("duration", duration), ("dt", dt), ("save_dt", save_dt)))
    if duration < dt:
        raise ValueError(f"duration = {duration:g} is shorter than one time step dt = {dt:g}")
    lat_args = dict(PAPER_LATTICE if lattice is None else lattice)
    lat = CubicLattice(**lat_args)
    rng = np.random.default_rng(seed)
    modes = th.sample_modes(lat, n_grid, kT, rng)
    n_steps = int(round(duration / dt))
    every = max(1, int(round(save_dt / dt)))
    if method == "full":
        from . import full
        if stride != 1:
            raise ValueError(f"stride applies to method 'timelocal' only, got stride = {stride!r}")
        u0, w0 = th.field(modes, 0.0)
        t0 = time.perf_counter()
        out = full.simulate_lattice(lat, n_grid, Yukawa(U0, lam), "cell", M, np.full(3, lat.a / 2),
                                    np.zeros(3), dt, n_steps, u0=u0, w0=w0, record_every=every,
                                    energy=False)
        return _compact(out.t, out.R, out.V, time.perf_counter() - t0, out["cell_changes"])
    W0, drag = _w0_drag(lat.mass, lat.a, lat.k1, lat.k2, n_quad)
    t0 = time.perf_counter()
    out = th.trajectory(np.full(3, lat.a / 2), np.zeros(3), M, Yukawa(U0, lam), modes, W0, drag,
                        dt, n_steps, save_every=every, scheme=scheme, stride=stride,
                        unstable="count")
    return _compact(out.t, out.R, out.V, time.perf_counter() - t0, out["cell_changes"],
                    out["unstable_passes"])


def mode_energy_ratios(runs, params, lattice=None):
    """The particle's kinetic temperature over the mean mode energy of each run's own sample.

    :func:`diffusion_task` draws the framework's thermal modes from ``default_rng(seed)``; this
    draws the same sample again and divides M⟨|V|²⟩/3 by its mean energy per mode
    (:func:`ionmotion.thermal.sample_energy_ratio` times ħΩ_T). Equipartition with the lattice
    gives 1.

    Parameters
    ----------
    runs : sequence of dict
        Results of :func:`diffusion_task` (``V2`` is used).
    params : sequence of dict
        Their task parameters (``kT``, ``M``, ``n_grid``, ``seed``).
    lattice : CubicLattice, optional
        The framework; default the paper's (the one :func:`diffusion_task` uses).

    Returns
    -------
    numpy.ndarray
        One ratio per run.

    Raises
    ------
    ValueError
        If `runs` and `params` differ in length.
    """
    from . import thermal as th
    if len(runs) != len(params):
        raise ValueError(f"params: {len(params)} task dicts for {len(runs)} runs")
    lat = lattice if lattice is not None else CubicLattice(**PAPER_LATTICE)
    out = []
    for r, p in zip(runs, params):
        modes = th.sample_modes(lat, p["n_grid"], p["kT"], np.random.default_rng(p["seed"]))
        out.append(p["M"] * float(r["V2"]) / 3 / p["kT"] / th.sample_energy_ratio(modes))
    return np.array(out)


def _compact(t, R, V, wall, cell_changes, unstable=None):
    """The stored form of one trajectory: R as float32 and only the mean of |V|² (and, for the
    time-local runs, the number of passes through steps where rodin2025's fixed RK5 step is
    unstable, :func:`ionmotion.thermal.trajectory` with unstable="count")."""
    out = {"t": np.asarray(t), "R": np.asarray(R, np.float32),
           "V2": np.array(np.mean(np.sum(np.asarray(V) ** 2, axis=1))),
           "wall": np.array(wall), "cell_changes": np.array(cell_changes)}
    if unstable is not None:
        out["unstable_passes"] = np.array(unstable)
    return out
