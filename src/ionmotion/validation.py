"""Validation of the time-local equation: the four approximation levels of rodin2025 Sec. IV.

A particle at R (velocity Ṙ) interacts through a pair potential u with n framework masses at
equilibrium positions s_i and displacements r_i:  U(r, R) = Σ_i u(x_i),  x_i = R − s_i − r_i.
With g_i = ∇u(x_i) and H_i = ∇∇u(x_i) we have ∇_{r_i}U = −g_i and ∇_R (dU/dt) = Σ_i H_i (Ṙ − ṙ_i).

rodin2025 Eq. (16), the time-local transcendental equation for the displacements, reads

    r_i = r_H,i + Σ_j W0_ij g_j(r) − 𝓛 Σ_j H_j(r) (Ṙ − ṙ_j)                          (16)

(W0 = V⁻¹ the static response among the masses, 𝓛 the drag matrix of Eq. (15); the uniform
shift 𝓚𝓛 acts on every mass alike). The four levels of rodin2025 Sec. IV are

* ``"full"``: r and ṙ from the full equations of motion (Eqs. (2)-(3)), used as they are;
* ``"timelocal"``: the right-hand side of Eq. (16) with the full r and ṙ inserted (Fig. 3 green);
* ``"quasistatic"``: ṙ → ṙ_H on the right-hand side (Fig. 3 yellow). By default the full r is
  inserted (the reading of the Fig. 3 caption); ``solve=True`` instead solves the resulting
  transcendental equation for r (the reading of the Sec. IV text), by Newton iteration;
* ``"homogeneous"``: r → r_H and ṙ → ṙ_H on the right-hand side, rodin2025 Eq. (17) (Fig. 3 red).
  Its force equals Eq. (18) evaluated at the effective positions of Eqs. (19)-(20)
  (:func:`effective_positions`, :func:`effective_force`).

The force on the particle at each level is F = −Σ_i ∇u(R − s_i − r_i) with the level's r and the
full-solution R (as in rodin2025 Fig. 3(e)-(h)).

For a single mass with the motion along a symmetry axis Eq. (16) reduces to the scalar Eq. (25),
r = −w U'(r − R) + l U''(r − R)(ṙ − Ṙ) (:func:`eq25_displacement`); the tests check the two agree.

:func:`head_on_collision` runs rodin2025 Fig. 3 (one mass, the full solution from
:func:`ionmotion.full.simulate_response`), :func:`edge_dissipation` runs Fig. 4 (8 masses on a
cell edge, full vs :func:`ionmotion.timelocal.integrate`). Both return plain dicts of arrays, so
they can be cached by :func:`ionmotion.sweep.run_sweep`.
"""
import numpy as np

from . import full as _full
from . import timelocal as _tl
from ._validate import finite_array, positive, integer_in
from .lattice import CubicLattice
from .potentials import Yukawa

LEVELS = ("full", "timelocal", "quasistatic", "homogeneous")
"""The approximation levels of rodin2025 Sec. IV, from exact to most simplified."""


def _level(level):
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}, got {level!r}")
    return level


def _prepare(R, V, sites, W0, drag, r=None, rdot=None, rH=None, vH=None):
    """Broadcast inputs to R, V (T, 3); sites (n, 3); r, ṙ, r_H, ṙ_H (T, n, 3)."""
    R = np.atleast_2d(finite_array("R", R, shape_tail=(3,))).astype(float)
    V = np.atleast_2d(finite_array("V", V, shape_tail=(3,))).astype(float)
    if V.shape != R.shape:
        raise ValueError(f"V must have the shape of R {R.shape}, got {V.shape}")
    sites = np.atleast_2d(finite_array("sites", sites, shape_tail=(3,))).astype(float)
    n, T = len(sites), len(R)
    W0 = finite_array("W0", W0).astype(float)
    if W0.shape != (3 * n, 3 * n):
        raise ValueError(f"W0 must have shape ({3 * n}, {3 * n}) for {n} masses, got {W0.shape}")
    drag = finite_array("drag", drag).astype(float)
    if drag.shape != (3, 3):
        raise ValueError(f"drag must be a 3x3 matrix, got shape {drag.shape}")

    def per_mass(name, x):
        if x is None:
            return np.zeros((T, n, 3))
        x = finite_array(name, x).astype(float)
        if x.shape == (n, 3):
            x = np.broadcast_to(x, (T, n, 3))
        elif x.shape == (T, 3) and n == 1:
            x = x[:, None, :]
        if x.shape != (T, n, 3):
            raise ValueError(f"{name} must have shape ({T}, {n}, 3), got {x.shape}")
        return np.array(x)

    return (R, V, sites, W0, drag, per_mass("r", r), per_mass("rdot", rdot),
            per_mass("rH", rH), per_mass("vH", vH))


def _gH(potential, R, sites, r):
    """g (T, n, 3) and H (T, n, 3, 3) at x_i = R − s_i − r_i; ValueError on contact."""
    x = R[:, None, :] - sites[None, :, :] - r
    if np.any(np.linalg.norm(x, axis=-1) <= 1e-12 * max(1.0, potential.lam)):
        raise ValueError("the particle sits on top of an interacting mass (zero separation)")
    return potential.gradient(x), potential.hessian(x)


def _rhs16(potential, R, V, sites, W0, drag, r, rdot, rH):
    """Right-hand side of rodin2025 Eq. (16) with the given r, ṙ on it. Returns (T, n, 3)."""
    T, n = R.shape[0], sites.shape[0]
    g, H = _gH(potential, R, sites, r)
    static = np.einsum("kl,tl->tk", W0, g.reshape(T, 3 * n)).reshape(T, n, 3)
    G = np.einsum("tiab,tib->ta", H, V[:, None, :] - rdot)      # ∇_R dU/dt
    shift = G @ drag.T                                          # 𝓛 ∇_R dU/dt
    return rH + static - shift[:, None, :]


def _solve_quasistatic(potential, R, V, sites, W0, drag, rH, vH, r_start, tol=1e-12, maxit=60):
    """Solve r = RHS16(r, ṙ = ṙ_H) for each time by damped Newton iteration from r_start."""
    T, n = R.shape[0], sites.shape[0]
    r = r_start.copy()
    scale = max(potential.lam, 1e-300)
    for t in range(T):
        x = r[t:t + 1].copy()
        for _ in range(maxit):
            res = (x - _rhs16(potential, R[t:t + 1], V[t:t + 1], sites, W0, drag, x,
                              vH[t:t + 1], rH[t:t + 1])).reshape(-1)
            if np.max(np.abs(res)) < tol * scale:
                break
            # numerical Jacobian (3n × 3n); n is small
            J = np.eye(3 * n)
            h = 1e-7 * scale
            for k in range(3 * n):
                xp = x.copy().reshape(-1)
                xp[k] += h
                xp = xp.reshape(1, n, 3)
                rp = (xp - _rhs16(potential, R[t:t + 1], V[t:t + 1], sites, W0, drag, xp,
                                  vH[t:t + 1], rH[t:t + 1])).reshape(-1)
                J[:, k] = (rp - res) / h
            step = np.linalg.solve(J, -res)
            lim = 0.5 * scale
            big = np.max(np.abs(step))
            if big > lim:
                step *= lim / big
            x = x + step.reshape(1, n, 3)
        else:
            raise ValueError(f"the quasistatic equation did not converge at sample {t} "
                             "(no self-consistent displacement; the approximation fails here)")
        r[t] = x[0]
    return r


def displacement(level, R, V, potential, sites, W0, drag, r=None, rdot=None, rH=None, vH=None,
                 solve=False):
    """Displacements r_i (T, n, 3) of the interacting masses at one approximation level.

    R, V: particle positions and velocities (T, 3) (from the full solution); sites: equilibrium
    positions (n, 3); W0: (3n, 3n) static response among them; drag: 𝓛 (3, 3); r, rdot: the full
    solution's displacements and velocities of the masses (T, n, 3) (needed by "full",
    "timelocal" and — unless solve=True — "quasistatic"); rH, vH: homogeneous (thermal) motion
    (default zero). level: one of :data:`LEVELS`.
    """
    level = _level(level)
    R, V, sites, W0, drag, r_, rd_, rH, vH = _prepare(R, V, sites, W0, drag, r, rdot, rH, vH)
    needs_r = level in ("full", "timelocal") or (level == "quasistatic" and not solve)
    if needs_r and r is None:
        raise ValueError(f"level {level!r} needs the full solution's displacements r")
    if level == "timelocal" and rdot is None:
        raise ValueError("level 'timelocal' needs the full solution's velocities rdot")
    if level == "full":
        return r_
    if level == "timelocal":
        return _rhs16(potential, R, V, sites, W0, drag, r_, rd_, rH)
    if level == "quasistatic":
        if solve:
            start = _rhs16(potential, R, V, sites, W0, drag, rH, vH, rH)
            return _solve_quasistatic(potential, R, V, sites, W0, drag, rH, vH, start)
        return _rhs16(potential, R, V, sites, W0, drag, r_, vH, rH)
    return _rhs16(potential, R, V, sites, W0, drag, rH, vH, rH)   # homogeneous, Eq. (17)


def force(level, R, V, potential, sites, W0, drag, r=None, rdot=None, rH=None, vH=None,
          solve=False):
    """Force on the particle (T, 3): −Σ_i ∇u(R − s_i − r_i) with the level's displacements."""
    d = displacement(level, R, V, potential, sites, W0, drag, r, rdot, rH, vH, solve)
    R = np.atleast_2d(np.asarray(R, float))
    sites = np.atleast_2d(np.asarray(sites, float))
    g, _ = _gH(potential, R, sites, d)
    return -g.sum(axis=1)


def effective_positions(R, V, potential, sites, W0, drag, rH=None, vH=None):
    """r_eff (T, n, 3) and R_eff (T, 3) of rodin2025 Eqs. (19)-(20):
    r_eff = r_H − V⁻¹∇_r U(r_H, R) = r_H + W0 g,  R_eff = R + 𝓛 ∇_R dU(r_H, R)/dt."""
    R, V, sites, W0, drag, _, _, rH, vH = _prepare(R, V, sites, W0, drag, None, None, rH, vH)
    T, n = R.shape[0], sites.shape[0]
    g, H = _gH(potential, R, sites, rH)
    r_eff = rH + np.einsum("kl,tl->tk", W0, g.reshape(T, 3 * n)).reshape(T, n, 3)
    G = np.einsum("tiab,tib->ta", H, V[:, None, :] - vH)
    return r_eff, R + G @ drag.T


def effective_force(R, V, potential, sites, W0, drag, rH=None, vH=None):
    """rodin2025 Eq. (18): F = −∇_R U(r_eff, R_eff) = −Σ_i ∇u(R_eff − s_i − r_eff,i), (T, 3)."""
    r_eff, R_eff = effective_positions(R, V, potential, sites, W0, drag, rH, vH)
    sites = np.atleast_2d(np.asarray(sites, float))
    g, _ = _gH(potential, R_eff, sites, r_eff)
    return -g.sum(axis=1)


def eq25_displacement(level, r, rdot, R, Rdot, potential, w, l):
    """rodin2025 Eq. (25) for one mass on the line of motion (scalars or arrays along the axis):
    r = −w U'(r − R) + l U''(r − R)(ṙ − Ṙ), with r, ṙ on the right-hand side set by `level`
    ("full" returns r; "quasistatic" sets ṙ = 0 with the given r; "homogeneous" r = ṙ = 0).
    U'(x), U''(x) are the radial derivatives along the line (U even in x)."""
    level = _level(level)
    r, rdot, R, Rdot = (np.asarray(v, float) for v in (r, rdot, R, Rdot))
    if level == "full":
        return r
    if level in ("quasistatic", "homogeneous"):
        rdot = np.zeros_like(rdot)
    if level == "homogeneous":
        r = np.zeros_like(r)
    x = r - R
    if np.any(x == 0):
        raise ValueError("the particle sits on top of the mass (zero separation)")
    _, fp = potential.radial(x)                       # U'(x) along the line
    pts = np.zeros(x.shape + (3,))
    pts[..., 2] = x
    fpp = potential.hessian(pts)[..., 2, 2]          # U''(x) along the line
    return -w * fp + l * fpp * (rdot - Rdot)


# --------------------------------------------------------------------------------------------
# The paper's lattice and experiments
# --------------------------------------------------------------------------------------------

PAPER_LATTICE = dict(mass=3.5, a=3.0, k1=520.0, k2=170.0)
"""rodin2025 Sec. III framework (meV, Å, ps)."""


def paper_lattice(k1=None, k2=None):
    """The rodin2025 framework, optionally with other spring constants k1, k2 (meV/Å²)."""
    p = dict(PAPER_LATTICE)
    if k1 is not None:
        p["k1"] = positive("k1", k1)
    if k2 is not None:
        p["k2"] = positive("k2", k2)
    return CubicLattice(**p)


def _velocity_fd(x, dt):
    """Second-order finite-difference time derivative along axis 0."""
    return np.gradient(x, dt, axis=0, edge_order=2)


def head_on_collision(lam, speed, U0=14000.0, M=0.7, n_cells=50, dt=1e-3, t_max=None,
                      start_in_lambdas=24.0, n_quad=40, record_every=1, k1=None, k2=None):
    """rodin2025 Fig. 3: a particle launched head-on along a cell edge (z) at one framework mass.

    The particle starts start_in_lambdas·λ before the mass (site (0, 0, 0) of a periodic
    n_cells³ lattice) with `speed` towards it and interacts with that mass only. The full
    solution comes from :func:`ionmotion.full.simulate_response` (velocity Verlet, exact lattice
    response); ṙ of the mass is a second-order finite difference of its recorded displacement.
    t_max defaults to the time needed to travel 2.2·start distance at the initial speed.

    Returns t, R (particle z), V, r (mass z displacement), rdot, drift (the rigid displacement
    of the whole finite lattice, X(t) = M/(N m)∫(v0 − V)dt, which the infinite-lattice W(0)
    does not contain; it is part of r and r_full), and for every level in
    :data:`LEVELS` the displacement r_<level> and force F_<level> (z components); w, l (the zz
    entries of W(0) and 𝓛).
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
    out = _full.simulate_response(lat, n_cells, pot, sites, M, (0.0, 0.0, z0), (0.0, 0.0, speed),
                                  dt, n_steps, line=(0, 0, 1), record_every=1, components="zz")
    t, R3, V3, u3 = out["t"], out["r"], out["v"], out["u0"]
    rdot3 = _velocity_fd(u3, dt)
    W0 = _tl.static_response_block(lat, sites, n_quad=n_quad)
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
    """Peak |force| and momentum transferred ∫F dt at every level, and their relative errors
    against "full". Returns {level: (peak, impulse, err_peak, err_impulse)}."""
    t = res["t"]
    peak_full = np.max(np.abs(res["F_full"]))
    imp_full = np.trapezoid(res["F_full"], t)
    out = {}
    for lev in LEVELS:
        F = res[f"F_{lev}"]
        pk, im = np.max(np.abs(F)), np.trapezoid(F, t)
        out[lev] = (pk, im, pk / peak_full - 1.0, im / imp_full - 1.0)
    return out


def edge_dissipation(n_cells=100, U0=150.0, lam=0.5, M=0.7, speed=7.5, start=3.5, n_masses=8,
                     t_max=30.0, dt=5e-3, dt_timelocal=None, n_quad=40, record_every=10,
                     k1=None, k2=None):
    """rodin2025 Fig. 4: a particle on a cell edge (z axis) interacting with n_masses masses at
    (0, 0, j a), j = 0 … n_masses−1, started at z = start·a with `speed` along +z, framework at
    rest. Full: :func:`ionmotion.full.simulate_response` on a periodic n_cells³ lattice (velocity
    Verlet). Time-local: :func:`ionmotion.timelocal.integrate` (Eqs. (18)-(20), r_H = ṙ_H = 0,
    Butcher RK5). Returns t, z_full, v_full, z_tl, v_tl (every record_every-th step)."""
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
    out = _full.simulate_response(lat, n_cells, pot, idx, positive("M", M), (0.0, 0.0, z0),
                                  (0.0, 0.0, positive("speed", speed)), dt, n_steps,
                                  line=(0, 0, 1), record_every=every, components="zz")
    W0 = _tl.static_response_block(lat, idx, n_quad=n_quad)
    drag = lat.drag_matrix()
    dtl = dt if dt_timelocal is None else positive("dt_timelocal", dt_timelocal)
    n_tl = int(round(n_steps * dt / dtl))
    every_tl = max(1, int(round(every * dt / dtl)))
    t_tl, R_tl, V_tl = _tl.integrate((0.0, 0.0, z0), (0.0, 0.0, speed), M, pot, pos, W0, drag,
                                     dtl, n_tl, constrain=(0, 0, 1), save_every=every_tl)
    m = min(len(out["t"]), len(t_tl))
    return {"t": out["t"][:m], "z_full": out["r"][:m, 2], "v_full": out["v"][:m, 2],
            "z_tl": R_tl[:m, 2], "v_tl": V_tl[:m, 2], "W0": W0, "drag": drag}


def particle_energy(z, v, M=0.7, U0=150.0, lam=0.5, n_masses=8, a=3.0):
    """½Mv² + Σ_j U(z − j a) for motion along the edge (undeformed framework): the energy the
    framework absorbs."""
    pot = Yukawa(float(U0), float(lam))
    z = np.asarray(z, float)
    s = np.arange(n_masses) * a
    U = pot.radial(z[:, None] - s[None, :])[0].sum(axis=1)
    return 0.5 * M * np.asarray(v, float) ** 2 + U


def envelope(t, v):
    """Local maxima of |v| (the speed envelope of a decaying oscillation): (t_k, |v|_k)."""
    s = np.abs(np.asarray(v, float))
    k = np.where((s[1:-1] >= s[:-2]) & (s[1:-1] > s[2:]))[0] + 1
    return np.asarray(t)[k], s[k]


def decay_rate(t, E, t_min=0.0, t_max=np.inf):
    """Fitted rate γ of E ≈ E0 e^{−γt} (least squares on log E over t_min ≤ t ≤ t_max) for the
    energy above the bottom of the well (pass E − E_min)."""
    t = np.asarray(t, float)
    E = np.asarray(E, float)
    m = (t >= t_min) & (t <= t_max) & (E > 0)
    if m.sum() < 2:
        raise ValueError("decay_rate needs at least two positive samples in the window")
    p = np.polyfit(t[m], np.log(E[m]), 1)
    return -p[0]


# --------------------------------------------------------------------------------------------
# Sweep definitions shared by the chapter and background paper-quality runs
# --------------------------------------------------------------------------------------------

FIG3_CASES = [(0.2, 2.0), (0.2, 10.0), (0.5, 2.0), (0.5, 10.0)]
"""(λ in Å, initial speed in Å/ps) of rodin2025 Fig. 3 columns."""


def fig3_tasks(quality="draft"):
    """Parameter dicts of :func:`head_on_collision` for rodin2025 Fig. 3 at a quality."""
    if quality == "paper":
        common = dict(n_cells=50, dt=1e-3, n_quad=40, record_every=2)
    else:
        common = dict(n_cells=20, dt=2e-3, n_quad=24, record_every=1)
    return [dict(lam=lam, speed=sp, U0=14000.0, M=0.7, **common) for lam, sp in FIG3_CASES]


def fig4_task(quality="draft"):
    """Parameter dict of :func:`edge_dissipation` for rodin2025 Fig. 4 at a quality."""
    if quality == "paper":
        return dict(n_cells=100, t_max=30.0, dt=5e-3, n_quad=40, record_every=2)
    return dict(n_cells=20, t_max=30.0, dt=5e-3, n_quad=24, record_every=2)
