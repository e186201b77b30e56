"""rodin2025 (time-local stochastic equation of motion): the paper's experiments.

Presets and task functions (plain numbers in, dict of arrays out, cached by
:func:`ionbook.sweep.run_sweep`) for the chapters "Validating the time-local equation" and
"Drag and mobility". The physics they call lives in :mod:`ionmotion.validation` (the
approximation levels of Sec. IV, the windowed response of Sec. VII), :mod:`ionmotion.full`,
:mod:`ionmotion.timelocal` and :mod:`ionmotion.mobility`. Units meV, Å, ps.

* :data:`PAPER_LATTICE`, :func:`paper_lattice` - the framework of Sec. III;
* :func:`head_on_collision`, :func:`collision_metrics`, :data:`FIG3_CASES`, :func:`fig3_tasks`
  - Fig. 3;
* :func:`edge_dissipation`, :func:`particle_energy`, :func:`edge_energy_above_bottom`,
  :func:`edge_decay_rate`, :func:`fig4_task` - Fig. 4;
* :func:`collision_windowed`, :func:`edge_dissipation_windowed`, :data:`WINDOW_FACTORS`,
  :data:`FIG4_LONG_WINDOW_TASK`, :func:`fig4_window_task` - the quasi-time-local runs of
  Sec. VII;
* :func:`model_crystal_study` - μ of Eq. (47) for the model crystal;
* :data:`DIFFUSION_SETS`, :func:`diffusion_tasks` - the Sec. VI diffusion sweeps (Figs. 5-7).
"""
import time

import numpy as np

from .. import full, timelocal
from .._validate import choice, integer_in, positive
from ..lattice import CubicLattice
from ..mobility import distance_mask, drag_field, hessian, mobility_from_gamma, yukawa_cubic_grid
from ..potentials import Yukawa
from ..validation import (LEVELS, decay_rate, displacement, envelope, force, integrate_windowed,
                          window_kernel, windowed_displacement)
from .constants import RODIN2025_LATTICE, RODIN2025_PARTICLE

_PART = RODIN2025_PARTICLE

PAPER_LATTICE = RODIN2025_LATTICE.lattice_kwargs()
"""rodin2025 Sec. III framework (meV, Å, ps) as CubicLattice keyword arguments."""


def paper_lattice(k1=None, k2=None):
    """The rodin2025 framework (:data:`constants.RODIN2025_LATTICE`), optionally with other springs.

    Parameters
    ----------
    k1, k2 : float, optional
        Spring constants (meV/Å²), > 0; default the paper's 520 and 170.

    Returns
    -------
    CubicLattice
    """
    p = dict(PAPER_LATTICE)
    if k1 is not None:
        p["k1"] = positive("k1", k1)
    if k2 is not None:
        p["k2"] = positive("k2", k2)
    return CubicLattice(**p)


def _velocity_fd(x, dt):
    """Second-order finite-difference time derivative along axis 0."""
    return np.gradient(x, dt, axis=0, edge_order=2)


def head_on_collision(lam, speed, U0=_PART.U0_collision, M=_PART.M, n_cells=50, dt=1e-3, t_max=None,
                      start_in_lambdas=24.0, n_quad=40, record_every=1, k1=None, k2=None):
    """rodin2025 Fig. 3: a particle launched head-on along a cell edge (z) at one framework mass.

    The particle starts start_in_lambdas·λ before the mass (site (0, 0, 0) of a periodic n_cells³
    lattice) and interacts with that mass only. The full solution is
    :func:`ionmotion.full.simulate_response` (velocity Verlet, exact lattice response); ṙ of the
    mass is a second-order finite difference of its recorded displacement. Every level of
    :data:`ionmotion.validation.LEVELS` is then evaluated along the full trajectory.

    Parameters
    ----------
    lam, speed : float
        Screening length (Å) and initial speed (Å/ps), > 0.
    U0, M : float, optional
        Yukawa amplitude (meV·Å) and particle mass.
    n_cells, dt, t_max : optional
        Lattice size, time step, duration (default: time to travel 2.2 × the start distance).
    start_in_lambdas, n_quad, record_every, k1, k2 : optional

    Returns
    -------
    dict
        t, R, V (particle z), r, rdot (mass z), drift (rigid displacement of the finite lattice,
        M/(N m)∫(v0 − V)dt, absent from the infinite-lattice W(0) but part of r), r_<level> and
        F_<level> for every level, w and l (the zz entries of W(0) and 𝓛).
    """
    lam = positive("lam", lam)
    speed = positive("speed", speed)
    M = positive("M", M)
    dt = positive("dt", dt)
    n_cells = integer_in("n_cells", n_cells, 3)
    lat = paper_lattice(k1, k2)
    pot = Yukawa(float(U0), lam)
    z0 = -float(start_in_lambdas) * lam
    if t_max is None:
        t_max = 2.2 * abs(z0) / speed
    n_steps = int(np.ceil(positive("t_max", t_max) / dt))
    sites = np.array([[0, 0, 0]])
    out = full.simulate_response(lat, n_cells, pot, sites, M, (0.0, 0.0, z0), (0.0, 0.0, speed),
                                  dt, n_steps, line=(0, 0, 1), record_every=1, components="zz")
    t, R3, V3, u3 = out["t"], out["r"], out["v"], out["u0"]
    rdot3 = _velocity_fd(u3, dt)
    W0 = timelocal.static_response_block(lat, sites, n_quad=n_quad)
    drag = lat.drag_matrix()
    # rigid drift of the finite periodic lattice (its q = 0 mode): total momentum is conserved,
    # so N m Ẋ = M (v0 − V) and X(t) = M/(N m) ∫ (v0 − V) dt
    N = n_cells ** 3
    dv = speed - V3[:, 2]
    drift = M / (N * lat.mass) * np.concatenate(
        [[0.0], np.cumsum(0.5 * (dv[1:] + dv[:-1]) * dt)])
    res = {"t": t, "R": R3[:, 2], "V": V3[:, 2], "r": u3[:, 2], "rdot": rdot3[:, 2],
           "drift": drift,
           "w": np.array(W0[2, 2]), "l": np.array(drag[2, 2])}
    for lev in LEVELS:
        d = displacement(lev, R3, V3, pot, np.zeros((1, 3)), W0, drag, r=u3[:, None, :],
                         rdot=rdot3[:, None, :])
        F = force(lev, R3, V3, pot, np.zeros((1, 3)), W0, drag, r=u3[:, None, :],
                  rdot=rdot3[:, None, :])
        res[f"r_{lev}"] = d[:, 0, 2]
        res[f"F_{lev}"] = F[:, 2]
    sl = slice(None, None, integer_in("record_every", record_every, 1))
    return {k: (v[sl] if np.ndim(v) else v) for k, v in res.items()}


def collision_metrics(res):
    """Peak |force| and momentum transfer ∫F dt at every level, with relative errors against "full".

    Parameters
    ----------
    res : dict
        Output of :func:`head_on_collision`.

    Returns
    -------
    dict
        {level: (peak, impulse, err_peak, err_impulse)}.
    """
    t = res["t"]
    peak_full = np.max(np.abs(res["F_full"]))
    imp_full = np.trapezoid(res["F_full"], t)
    out = {}
    for lev in LEVELS:
        F = res[f"F_{lev}"]
        pk, im = np.max(np.abs(F)), np.trapezoid(F, t)
        out[lev] = (pk, im, pk / peak_full - 1.0, im / imp_full - 1.0)
    return out


def edge_dissipation(n_cells=100, U0=_PART.U0_edge, lam=_PART.lam, M=_PART.M, speed=7.5,
                     start=3.5, n_masses=8,
                     t_max=30.0, dt=5e-3, dt_timelocal=None, n_quad=40, record_every=10,
                     k1=None, k2=None):
    """rodin2025 Fig. 4: a particle on a cell edge (z axis) with n_masses masses at (0, 0, j a),
    started at z = start·a with `speed` along +z, framework at rest.

    Full: :func:`ionmotion.full.simulate_response` on a periodic n_cells³ lattice. Time-local:
    :func:`ionmotion.timelocal.integrate` (Eqs. (18)-(20), r_H = ṙ_H = 0).

    Parameters
    ----------
    n_cells, U0, lam, M, speed, start, n_masses, t_max, dt : optional
        Lattice size, Yukawa parameters, particle mass, launch, duration and step.
    dt_timelocal : float, optional
        Step of the time-local run (default dt).
    n_quad, record_every, k1, k2 : optional

    Returns
    -------
    dict
        t, z_full, v_full, z_tl, v_tl, W0, drag.
    """
    lat = paper_lattice(k1, k2)
    pot = Yukawa(float(U0), positive("lam", lam))
    n_masses = integer_in("n_masses", n_masses, 1)
    n_cells = integer_in("n_cells", n_cells, 3)
    if n_masses > n_cells:
        raise ValueError(f"n_masses = {n_masses} does not fit on a lattice of {n_cells} cells")
    idx = np.array([[0, 0, j] for j in range(n_masses)])
    pos = idx * lat.a
    z0 = float(start) * lat.a
    n_steps = int(np.ceil(positive("t_max", t_max) / positive("dt", dt)))
    every = integer_in("record_every", record_every, 1)
    out = full.simulate_response(lat, n_cells, pot, idx, positive("M", M), (0.0, 0.0, z0),
                                  (0.0, 0.0, positive("speed", speed)), dt, n_steps,
                                  line=(0, 0, 1), record_every=every, components="zz")
    W0 = timelocal.static_response_block(lat, idx, n_quad=n_quad)
    drag = lat.drag_matrix()
    dtl = dt if dt_timelocal is None else positive("dt_timelocal", dt_timelocal)
    n_tl = int(round(n_steps * dt / dtl))
    every_tl = max(1, int(round(every * dt / dtl)))
    t_tl, R_tl, V_tl = timelocal.integrate((0.0, 0.0, z0), (0.0, 0.0, speed), M, pot, pos, W0, drag,
                                     dtl, n_tl, constrain=(0, 0, 1), save_every=every_tl)
    m = min(len(out["t"]), len(t_tl))
    return {"t": out["t"][:m], "z_full": out["r"][:m, 2], "v_full": out["v"][:m, 2],
            "z_tl": R_tl[:m, 2], "v_tl": V_tl[:m, 2], "W0": W0, "drag": drag}


def particle_energy(z, v, M=_PART.M, U0=_PART.U0_edge, lam=_PART.lam, n_masses=8,
                    a=RODIN2025_LATTICE.a):
    """½Mv² + Σ_j U(z − j a) for motion along the edge past an undeformed framework (the energy the
    framework absorbs).

    Parameters
    ----------
    z, v : array_like
    M, U0, lam, n_masses, a : optional

    Returns
    -------
    ndarray
    """
    pot = Yukawa(float(U0), float(lam))
    z = np.asarray(z, float)
    s = np.arange(n_masses) * a
    U = pot.radial(z[:, None] - s[None, :])[0].sum(axis=1)
    return 0.5 * M * np.asarray(v, float) ** 2 + U


def edge_energy_above_bottom(z, v, U0=_PART.U0_edge, M=_PART.M, lam=_PART.lam, n_masses=8,
                             a=RODIN2025_LATTICE.a):
    """:func:`particle_energy` minus its minimum, the ion at rest midway along the edge
    (z = 3.5 a for the eight masses): the energy that is left to dissipate.

    Parameters
    ----------
    z, v : array_like
        Position along the edge (Å) and speed (Å/ps).
    U0, M, lam, n_masses, a : optional
        As for :func:`particle_energy`.

    Returns
    -------
    numpy.ndarray
    """
    kw = dict(M=M, U0=U0, lam=lam, n_masses=n_masses, a=a)
    bottom = particle_energy(np.array([(n_masses - 1) / 2 * a]), np.zeros(1), **kw)[0]
    return particle_energy(z, v, **kw) - bottom


def edge_decay_rate(t, z, v, U0=_PART.U0_edge, t_min=0.0, t_max=10.0):
    """Rate γ of E − E_min ∝ e^{−γt} fitted to the local maxima of the energy above the bottom
    (:func:`edge_energy_above_bottom`, :func:`ionmotion.validation.envelope`) over
    t_min ≤ t ≤ t_max (Fig. 4: the first 10 ps).

    Parameters
    ----------
    t, z, v : array_like
        Times (ps), positions (Å) and speeds (Å/ps) of one run.
    U0 : float, optional
        Interaction strength (meV·Å).
    t_min, t_max : float, optional
        The fitted window (ps).

    Returns
    -------
    float
        γ (1/ps).
    """
    te, Ee = envelope(t, edge_energy_above_bottom(z, v, U0))
    return decay_rate(te, Ee, t_min, t_max)


FIG3_CASES = [(0.2, 2.0), (0.2, 10.0), (0.5, 2.0), (0.5, 10.0)]
"""(λ in Å, initial speed in Å/ps) of rodin2025 Fig. 3 columns."""


def fig3_tasks(quality="draft"):
    """Parameter dicts of :func:`head_on_collision` for the four columns of rodin2025 Fig. 3.

    Parameters
    ----------
    quality : {"draft", "paper"}

    Returns
    -------
    list of dict
    """
    if quality == "paper":
        common = dict(n_cells=50, dt=1e-3, n_quad=40, record_every=2)
    else:
        common = dict(n_cells=20, dt=2e-3, n_quad=24, record_every=1)
    return [dict(lam=lam, speed=sp, U0=_PART.U0_collision, M=_PART.M, **common)
            for lam, sp in FIG3_CASES]


def fig4_task(quality="draft"):
    """Parameter dict of :func:`edge_dissipation` for rodin2025 Fig. 4.

    Parameters
    ----------
    quality : {"draft", "paper"}

    Returns
    -------
    dict
    """
    if quality == "paper":
        return dict(n_cells=100, t_max=30.0, dt=5e-3, n_quad=40, record_every=2)
    return dict(n_cells=20, t_max=30.0, dt=5e-3, n_quad=24, record_every=2)


DIFFUSION_KT = (10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0)
"""ħΩ_T (meV) of the Sec. VI sweep at U0 = 4 eV (Fig. 7)."""
DIFFUSION_SETS = tuple((kT, _PART.U0_crystal) for kT in DIFFUSION_KT) + (
    (25.0, 2 * _PART.U0_crystal), (50.0, 2 * _PART.U0_crystal))
"""(ħΩ_T, U0) of every Sec. VI trajectory: the Fig. 7 temperatures at 4 eV and two at 8 eV."""
DIFFUSION_FIGURE_SETS = ((25.0, 4000.0), (50.0, 4000.0), (25.0, 8000.0), (50.0, 8000.0))
"""The four (ħΩ_T, U0) of Figs. 5 and 6."""


def diffusion_tasks(duration, n_grid, seeds, sets=DIFFUSION_SETS, method="timelocal", dt=5e-3,
                    stride=None):
    """Parameter dicts of :func:`ionmotion.diffusion.diffusion_task` for a Sec. VI sweep.

    The paper's particle (M = 0.7, λ = 1/2 Å), δt = 5 fs and samples every 50 fs; one task per
    (ħΩ_T, U0) in `sets` and seed. The dicts name the cached files, so their keys and values are
    those of the committed sweeps.

    Parameters
    ----------
    duration : float
        Trajectory length (ps); the paper's 3000.
    n_grid : int
        Mode grid per direction (the paper's 20).
    seeds : sequence of int
        Random seeds (one trajectory each per parameter set).
    sets : sequence of (float, float), optional
        (ħΩ_T in meV, U0 in meV·Å) pairs; default :data:`DIFFUSION_SETS`.
    method : {"timelocal", "full"}, optional
        Time-local equation (Fig. 7(a)) or the whole lattice (Fig. 7(b)).
    dt : float, optional
        Time step (ps).
    stride : int, optional
        Time-local runs only: exact thermal-field values every `stride` steps, quintic Hermite in
        between (:func:`ionmotion.thermal.trajectory`); None leaves the key out (stride 1, the
        name of the older cached sweeps).

    Returns
    -------
    list of dict
        Ordered by parameter set, then seed.

    Raises
    ------
    ValueError
        If `method` is unknown or `duration`, `dt` are not positive.
    """
    choice("method", method, {"timelocal", "full"})
    positive("duration", duration), positive("dt", dt)     # validated, kept as given (cache keys)
    if stride is not None and method != "timelocal":
        raise ValueError(f"stride applies to method 'timelocal' only, got method {method!r}")
    extra = {} if stride is None else {"stride": int(stride)}
    return [dict(method=method, dt=dt, lam=_PART.lam, M=_PART.M, save_dt=0.05, kT=kT, U0=U0,
                 seed=s, duration=duration, n_grid=n_grid, **extra)
            for kT, U0 in sets for s in seeds]


WINDOW_FACTORS = (0.5, 1.0, 2.0, 4.0)
"""Window lengths τ_w of the quasi-time-local runs in units of 2π/Ω_max."""


def collision_windowed(res, lam, U0=_PART.U0_collision, factors=WINDOW_FACTORS, n_quad=24, k1=None,
                       k2=None):
    """The quasi-time-local level for a head-on collision: the windowed Eq. (11) (form (W),
    r → r_H = 0, boundary term dropped) along the full solution's trajectory.

    Parameters
    ----------
    res : dict
        Output of :func:`head_on_collision`.
    lam, U0 : float
    factors : sequence of float, optional
        Windows in units of 2π/Ω_max.
    n_quad, k1, k2 : optional

    Returns
    -------
    dict
        {factor: (r_z, F_z)} on res["t"].
    """
    lat = paper_lattice(k1, k2)
    pot = Yukawa(float(U0), positive("lam", lam))
    t = np.asarray(res["t"], float)
    h = float(t[1] - t[0])
    x = np.zeros((len(t), 3))
    x[:, 2] = res["R"]
    g = pot.gradient(x)
    gdot = np.einsum("tab,tb->ta", pot.hessian(x), np.c_[0 * t, 0 * t, res["V"]])
    tau0 = 2 * np.pi / lat.max_frequency
    K = int(round(max(factors) * tau0 / h))
    Wk = window_kernel(lat, [[0, 0, 0]], h, K, n_quad=n_quad)
    out = {}
    for f in factors:
        Kf = int(round(f * tau0 / h))
        r = windowed_displacement(g, gdot, h, Wk[0], Wk[:Kf + 1])
        F = -pot.gradient(x - r)[:, 2]
        out[float(f)] = (r[:, 2], F)
    return out


def edge_dissipation_windowed(factors=WINDOW_FACTORS, U0=_PART.U0_edge, lam=_PART.lam, M=_PART.M,
                              speed=7.5,
                              start=3.5, n_masses=8, t_max=30.0, dt=5e-3, n_quad=24,
                              record_every=2, keep_initial=False, k1=None, k2=None):
    """rodin2025 Fig. 4 with the quasi-time-local response of Sec. VII.

    The particle on the cell edge is driven by :func:`ionmotion.validation.integrate_windowed`
    (infinite-lattice kernel and W(0) from the quadrature of order n_quad), one run per window
    τ_w = factor·2π/Ω_max, plus the time-local run with the same W(0) for the cost comparison.

    Parameters
    ----------
    factors : sequence of float, optional
    U0, lam, M, speed, start, n_masses, t_max, dt, n_quad, record_every, keep_initial, k1, k2 :
        As for :func:`edge_dissipation` and :func:`ionmotion.validation.integrate_windowed`.

    Returns
    -------
    dict
        t, z_tl, v_tl, z_<i>, v_<i> for factors[i], factors, and wall times (s): wall_kernel, wall_tl,
        wall_<i> (integration only, after a warm-up call that compiles the kernels).
    """
    lat = paper_lattice(k1, k2)
    pot = Yukawa(float(U0), positive("lam", lam))
    n_masses = integer_in("n_masses", n_masses, 1)
    factors = np.atleast_1d(np.asarray(factors, float))
    if np.any(factors < 0) or not np.all(np.isfinite(factors)):
        raise ValueError(f"factors must be finite numbers >= 0, got {factors!r}")
    idx = np.array([[0, 0, j] for j in range(n_masses)])
    pos = idx * lat.a
    dt = positive("dt", dt)
    n_steps = int(np.ceil(positive("t_max", t_max) / dt))
    tau0 = 2 * np.pi / lat.max_frequency
    Ks = [int(round(f * tau0 / dt)) for f in factors]
    t0 = time.perf_counter()
    Wk = window_kernel(lat, idx, dt, max(Ks), n_quad=n_quad)
    wall_kernel = time.perf_counter() - t0
    W0 = Wk[0]
    R0, V0 = (0.0, 0.0, float(start) * lat.a), (0.0, 0.0, positive("speed", speed))
    # warm-up (numba compilation) on a few steps
    integrate_windowed(R0, V0, M, pot, pos, W0, Wk[:2], dt, 2, constrain=(0, 0, 1))
    timelocal.integrate(R0, V0, M, pot, pos, W0, lat.drag_matrix(), dt, 2, constrain=(0, 0, 1))
    out = {"factors": factors, "wall_kernel": np.array(wall_kernel)}
    t0 = time.perf_counter()
    t, R, V = timelocal.integrate(R0, V0, M, pot, pos, W0, lat.drag_matrix(), dt, n_steps,
                            constrain=(0, 0, 1), save_every=record_every)
    out["wall_tl"] = np.array(time.perf_counter() - t0)
    out.update(t=t, z_tl=R[:, 2], v_tl=V[:, 2])
    for i, K in enumerate(Ks):
        t0 = time.perf_counter()
        _, R, V, _ = integrate_windowed(R0, V0, M, pot, pos, W0, Wk[:K + 1], dt, n_steps,
                                        keep_initial=keep_initial, constrain=(0, 0, 1),
                                        save_every=record_every)
        out[f"wall_{i}"] = np.array(time.perf_counter() - t0)
        out[f"z_{i}"], out[f"v_{i}"] = R[:, 2], V[:, 2]
    return out


FIG4_LONG_WINDOW_TASK = dict(factors=(30.0,), n_quad=24, t_max=10.5, dt=5e-3, record_every=2)
"""One 6 ps window (30 × 2π/Ω_max) for Fig. 4: the approach to the full solution (≈1 min; the
chapter reads it from the committed cache at both qualities)."""


def fig4_window_task(quality="draft"):
    """Parameter dict of :func:`edge_dissipation_windowed` at a quality.

    Parameters
    ----------
    quality : {"draft", "paper"}

    Returns
    -------
    dict
    """
    if quality == "paper":
        return dict(n_quad=40, t_max=30.0, dt=5e-3, record_every=2)
    return dict(n_quad=16, t_max=10.5, dt=5e-3, record_every=2)


def model_crystal_study(ns, floors, L, rmin=1.0, a=RODIN2025_LATTICE.a, U0=_PART.U0_crystal,
                        lam=_PART.lam, hessian_method="exact"):
    """μ of rodin2022 Eq. (47) for the rodin2025 model crystal on several grids and regularisations.

    Parameters
    ----------
    ns : sequence of int
        Grid points per cell edge.
    floors : sequence of float
        γ-eigenvalue floors (meV·ps/Å²; 0 = none).
    L : array_like, shape (3, 3)
        𝓛.
    rmin : float, optional
        Distance mask (Å).
    a, U0, lam : float, optional
        Model crystal (defaults from :mod:`ionmotion.papers.constants`).
    hessian_method : str, optional
        "exact" (analytic Hessian) or a :func:`ionmotion.mobility.hessian` method.

    Returns
    -------
    dict
        n, floors, mu (len(ns), len(floors)) directional averages in Å²/(V·ps)
        (``MobilityResult.average``; multiply by ``units.MOBILITY_CM2_PER_VS`` for cm²/(V·s)), near_singular, min_eig_ratio.
    """
    mu = np.zeros((len(ns), len(floors)))
    ns_frac = np.zeros(len(ns))
    ratio = np.zeros(len(ns))
    for i, n in enumerate(ns):
        g, _, H = yukawa_cubic_grid(int(n), a, U0, lam, derivatives=True)
        if hessian_method != "exact":
            H = hessian(g, hessian_method)
        m = distance_mask(g, rmin)
        gam = drag_field(H[m], L)
        for j, fl in enumerate(floors):
            r = mobility_from_gamma(gam, None, floor=fl)
            mu[i, j] = r.average
        ns_frac[i] = r.near_singular
        ratio[i] = r.min_eig_ratio
    return {"n": np.asarray(ns), "floors": np.asarray(floors, float), "mu": mu,
            "near_singular": ns_frac, "min_eig_ratio": ratio}
