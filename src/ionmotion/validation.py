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

The paper's experiments (Fig. 3 head-on collisions, Fig. 4 edge dissipation, the Sec. VII
window runs and their task presets) live in :mod:`ionmotion.papers.rodin2025`; the old names
here are lazy re-exports.
"""
import numpy as np
from numba import njit

from ._compat import moved
from ._validate import finite_array, positive, integer_in
from .lattice import sphere_quadrature
from .potentials import pair_derivatives

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
    """Displacements r_i of the interacting masses at one approximation level of rodin2025 Sec. IV.

    Parameters
    ----------
    level : {"full", "timelocal", "quasistatic", "homogeneous"}
        See :data:`LEVELS` and the module docstring.
    R, V : array_like, shape (T, 3)
        Particle positions and velocities (from the full solution).
    potential : Gaussian or Yukawa
    sites : array_like, shape (n, 3)
        Equilibrium positions of the interacting masses.
    W0 : array_like, shape (3n, 3n)
        Static response among them.
    drag : array_like, shape (3, 3)
        𝓛 of rodin2025 Eq. (15).
    r, rdot : array_like, shape (T, n, 3), optional
        The full solution's displacements and velocities of the masses (needed by "full",
        "timelocal" and, unless solve=True, "quasistatic").
    rH, vH : array_like, shape (T, n, 3), optional
        Homogeneous (thermal) motion, default zero.
    solve : bool, optional
        "quasistatic" only: solve the transcendental Eq. (16) with ṙ → ṙ_H for r (Newton).

    Returns
    -------
    ndarray, shape (T, n, 3)
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
    """Force on the particle, −Σ_i ∇u(R − s_i − r_i), with the displacements of one level.

    Parameters
    ----------
    level, R, V, potential, sites, W0, drag, r, rdot, rH, vH, solve :
        As for :func:`displacement`.

    Returns
    -------
    ndarray, shape (T, 3)
    """
    d = displacement(level, R, V, potential, sites, W0, drag, r, rdot, rH, vH, solve)
    R = np.atleast_2d(np.asarray(R, float))
    sites = np.atleast_2d(np.asarray(sites, float))
    g, _ = _gH(potential, R, sites, d)
    return -g.sum(axis=1)


def effective_positions(R, V, potential, sites, W0, drag, rH=None, vH=None):
    """Effective positions of rodin2025 Eqs. (19)-(20): r_eff = r_H + W0 g(r_H, R) and
    R_eff = R + 𝓛 ∇_R dU(r_H, R)/dt.

    Parameters
    ----------
    R, V : array_like, shape (T, 3)
        Particle positions and velocities (from the full solution).
    potential : Gaussian or Yukawa
    sites : array_like, shape (n, 3)
        Equilibrium positions of the interacting masses.
    W0 : array_like, shape (3n, 3n)
        Static response among them.
    drag : array_like, shape (3, 3)
        𝓛 of rodin2025 Eq. (15).
    rH, vH : array_like, shape (T, n, 3), optional

    Returns
    -------
    r_eff : ndarray, shape (T, n, 3)
    R_eff : ndarray, shape (T, 3)
    """
    R, V, sites, W0, drag, _, _, rH, vH = _prepare(R, V, sites, W0, drag, None, None, rH, vH)
    T, n = R.shape[0], sites.shape[0]
    g, H = _gH(potential, R, sites, rH)
    r_eff = rH + np.einsum("kl,tl->tk", W0, g.reshape(T, 3 * n)).reshape(T, n, 3)
    G = np.einsum("tiab,tib->ta", H, V[:, None, :] - vH)
    return r_eff, R + G @ drag.T


def effective_force(R, V, potential, sites, W0, drag, rH=None, vH=None):
    """rodin2025 Eq. (18): F = −∇_R U(r_eff, R_eff) at the effective positions.

    Parameters
    ----------
    R, V, potential, sites, W0, drag, rH, vH :
        As for :func:`effective_positions`.

    Returns
    -------
    ndarray, shape (T, 3)
    """
    r_eff, R_eff = effective_positions(R, V, potential, sites, W0, drag, rH, vH)
    sites = np.atleast_2d(np.asarray(sites, float))
    g, _ = _gH(potential, R_eff, sites, r_eff)
    return -g.sum(axis=1)


def eq25_displacement(level, r, rdot, R, Rdot, potential, w, l):
    """rodin2025 Eq. (25) for one mass on the line of motion: r = −w U'(r − R) + l U''(r − R)(ṙ − Ṙ).

    The right-hand side takes r, ṙ according to `level`: "full" returns r, "quasistatic" sets
    ṙ = 0, "homogeneous" r = ṙ = 0 (U is even along the line).

    Parameters
    ----------
    level : {"full", "timelocal", "quasistatic", "homogeneous"}
    r, rdot, R, Rdot : float or array_like
        Positions and velocities along the axis.
    potential : Gaussian or Yukawa
    w, l : float
        zz entries of W(0) and 𝓛.

    Returns
    -------
    ndarray
    """
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
# Analysis of decaying trajectories
# --------------------------------------------------------------------------------------------


def envelope(t, v):
    """Local maxima of |v|: the speed envelope of a decaying oscillation.

    Parameters
    ----------
    t, v : array_like, shape (T,)

    Returns
    -------
    t_k, v_k : ndarray
    """
    s = np.abs(np.asarray(v, float))
    k = np.where((s[1:-1] >= s[:-2]) & (s[1:-1] > s[2:]))[0] + 1
    return np.asarray(t)[k], s[k]


def decay_rate(t, E, t_min=0.0, t_max=np.inf):
    """Fitted rate γ of E ≈ E0 e^{−γt} (least squares on log E over t_min <= t <= t_max).

    Pass the energy above the bottom of the well (E − E_min); non-positive samples are skipped.

    Parameters
    ----------
    t, E : array_like
    t_min, t_max : float, optional

    Returns
    -------
    float
    """
    t = np.asarray(t, float)
    E = np.asarray(E, float)
    m = (t >= t_min) & (t <= t_max) & (E > 0)
    if m.sum() < 2:
        raise ValueError("decay_rate needs at least two positive samples in the window")
    p = np.polyfit(t[m], np.log(E[m]), 1)
    return -p[0]


# --------------------------------------------------------------------------------------------
# Quasi-time-local response: the memory integral of Eq. (11) kept over a finite window
# (rodin2025 Sec. VII)
# --------------------------------------------------------------------------------------------
#
# With the bare forces on the interacting masses g_i(t) = ∇u(R(t) − s_i − r_H,i) (r → r_H on the
# right-hand side, here r_H = 0) and their rates ġ_i = H_i (Ṙ − ṙ_H,i), Eq. (11) reads
#
#     r(t) = W(0) g(t) − ∫_0^t W(s) ġ(t − s) ds − W(t) g(0)                               (11')
#
# (∇_r U = −g). rodin2025 Sec. VII propose to keep the integral only over t − τ_w < t' < t. We
# implement exactly
#
#     r_n = W_s g_n − Σ_{k=0}^{K_n} c_k W_k ġ_{n−k}  [ − W_n g_0  if keep_initial and n ≤ K ]
#           [ + c0 Σ_k c_k (k h) Σ_j g_{n−k, j}  on every mass, if c0 > 0 ]               (W)
#
# on a uniform time grid t_n = n h, with W_k = W(k h) for k = 0 … K (τ_w = K h), K_n = min(K, n),
# trapezoid weights c_0 = c_{K_n} = h/2, c_k = h otherwise, and W_s the static response W(0) (the
# tests also pass other static/memory pairs, e.g. the linear-spectrum kernel). The bracketed
# terms are off by default: the boundary term −W(t)g(0) is the one rodin2025 drop after Eq. (11)
# (kept only while it lies inside the window), and c0 = 1/(N m) adds the rigid q = 0 translation
# of a finite periodic lattice, whose W is infinite but whose contribution to (11') is the finite
# (1/Nm)∫_0^t s Σ_j g_j(t − s) ds. With K ≥ n for every step, keep_initial=True and c0 = 1/(Nm),
# (W) is the exact linear response of the periodic lattice to the bare forces (rodin2025 Eq. (9)
# with r → r_H), up to the O(h²) quadrature error.
#
# The time-local limit: if the memory kernel is 2𝓛δ(s) on every pair (the linear spectrum with
# Q → ∞, rodin2025 Eq. (15)), the half-delta at the window's end gives ∫ = 𝓛 Σ_j ġ_j and (W) is
# rodin2025 Eq. (17). The particle obeys M R̈ = −Σ_i ∇u(R − s_i − r_i) with these r.


def _trap_weights(K, h):
    w = np.full(K + 1, h)
    w[0] = w[-1] = 0.5 * h
    if K == 0:
        w[0] = 0.0
    return w


@njit(cache=True)
def _memory_sum_kernel(Wk, gdot, g, n, K, h, keep_initial, c0, ncomp, k_lo, out):
    """out = −Σ_{k=k_lo}^{min(K,n)} c_k W_k ġ_{n−k} (trapezoid) [− W_n g_0] [+ rigid drift]
    (k_lo = 1 leaves out the current-time term, which the integrator adds per iteration)."""
    Kn = n if n < K else K
    m = out.shape[0]
    for a in range(m):
        out[a] = 0.0
    for k in range(k_lo, Kn + 1):
        c = h
        if k == 0 or k == Kn:
            c = 0.5 * h
        if Kn == 0:
            c = 0.0
        j = n - k
        for a in range(m):
            acc = 0.0
            for b in range(m):
                acc += Wk[k, a, b] * gdot[j, b]
            out[a] -= c * acc
        if c0 > 0.0:
            for x in range(3):
                s = 0.0
                for i in range(ncomp):
                    s += g[j, 3 * i + x]
                for i in range(ncomp):
                    out[3 * i + x] += c0 * c * (k * h) * s
    if keep_initial and n <= K:
        for a in range(m):
            acc = 0.0
            for b in range(m):
                acc += Wk[n, a, b] * g[0, b]
            out[a] -= acc
    return out


def windowed_displacement_reference(g, gdot, h, W_static, W_window, keep_initial=False, c0=0.0):
    """Plain NumPy evaluation of the windowed response (W) (see the comment above
    :func:`windowed_displacement`).

    Parameters
    ----------
    g, gdot, h, W_static, W_window, keep_initial, c0 :
        As for :func:`windowed_displacement`.

    Returns
    -------
    ndarray, shape (T, 3n)
    """
    g = np.asarray(g, float)
    gdot = np.asarray(gdot, float)
    T, m = g.shape
    K = len(W_window) - 1
    n_mass = m // 3
    r = g @ np.asarray(W_static, float).T
    for n in range(T):
        Kn = min(K, n)
        if Kn > 0:
            w = _trap_weights(Kn, h)
            lag = np.arange(Kn + 1)
            r[n] -= np.einsum("k,kab,kb->a", w, W_window[:Kn + 1], gdot[n - lag])
            if c0 > 0:
                tot = g[n - lag].reshape(Kn + 1, n_mass, 3).sum(axis=1)      # (k, 3)
                drift = c0 * np.einsum("k,k,kx->x", w, lag * h, tot)
                r[n] += np.tile(drift, n_mass)
        if keep_initial and n <= K:
            r[n] -= W_window[n] @ g[0]
    return r


def _check_window_arrays(g, gdot, W_static, W_window):
    g = finite_array("g", g)
    gdot = finite_array("gdot", gdot)
    if g.ndim != 2 or g.shape[1] % 3 or gdot.shape != g.shape:
        raise ValueError(f"g and gdot must both have shape (T, 3n), got {g.shape}, {gdot.shape}")
    m = g.shape[1]
    W_static = finite_array("W_static", W_static)
    W_window = finite_array("W_window", W_window)
    if W_static.shape != (m, m):
        raise ValueError(f"W_static must have shape ({m}, {m}), got {W_static.shape}")
    if W_window.ndim != 3 or W_window.shape[1:] != (m, m) or len(W_window) < 1:
        raise ValueError(f"W_window must have shape (K+1, {m}, {m}), got {W_window.shape}")
    return g, gdot, W_static, W_window


def windowed_displacement(g, gdot, h, W_static, W_window, keep_initial=False, c0=0.0):
    """Displacements of the interacting masses from the windowed memory integral of rodin2025
    Eq. (11), form (W) of the comment above this function (numba kernel).

    Parameters
    ----------
    g, gdot : array_like, shape (T, 3n)
        Bare forces on the masses and their rates, sampled every h.
    h : float
        Sampling interval, > 0.
    W_static : array_like, shape (3n, 3n)
    W_window : array_like, shape (K + 1, 3n, 3n)
        W(k h), k = 0 … K (the window is τ_w = K h).
    keep_initial : bool, optional
        Keep the boundary term −W(t) g(0) while it lies in the window.
    c0 : float, optional
        1/(N m) adds the rigid translation of a finite periodic lattice; >= 0.

    Returns
    -------
    ndarray, shape (T, 3n)
    """
    h = positive("h", h)
    g, gdot, W_static, W_window = _check_window_arrays(g, gdot, W_static, W_window)
    c0 = float(c0)
    if not np.isfinite(c0) or c0 < 0:
        raise ValueError(f"c0 must be a finite number >= 0, got {c0!r}")
    g = np.ascontiguousarray(g)
    gdot = np.ascontiguousarray(gdot)
    Wk = np.ascontiguousarray(W_window)
    T, m = g.shape
    r = g @ W_static.T
    out = np.zeros(m)
    for n in range(T):
        r[n] += _memory_sum_kernel(Wk, gdot, g, n, len(Wk) - 1, h, bool(keep_initial), c0,
                                   m // 3, 0, out)
    return r


def window_kernel(lattice, sites, h, n_lags, n_grid=None, n_quad=None):
    """W(k h), k = 0 … n_lags, among masses at integer lattice vectors, from
    :meth:`CubicLattice.recoil_kernel` (rodin2025 Eq. (22)), once per distinct separation.

    Parameters
    ----------
    lattice : CubicLattice
    sites : array_like of int, shape (n, 3)
    h : float
        Time step, > 0.
    n_lags : int
        >= 0.
    n_grid : int, optional
        Periodic lattice without q = 0; None: infinite lattice.
    n_quad : int, optional

    Returns
    -------
    ndarray, shape (n_lags + 1, 3n, 3n)
    """
    sites = np.atleast_2d(np.asarray(sites))
    if sites.ndim != 2 or sites.shape[1] != 3 or np.any(sites != np.round(sites)):
        raise ValueError(f"sites must be integer lattice vectors (n, 3), got {sites!r}")
    sites = sites.astype(int)
    h = positive("h", h)
    n_lags = integer_in("n_lags", n_lags, 0)
    t = h * np.arange(n_lags + 1)
    n = len(sites)
    out = np.zeros((n_lags + 1, 3 * n, 3 * n))
    cache = {}
    for i in range(n):
        for j in range(n):
            d = tuple(sites[i] - sites[j])
            key = tuple(sorted((d, tuple(-x for x in d))))
            if key not in cache:
                cache[key] = lattice.recoil_kernel(t, np.array(d), n_grid=n_grid, n_quad=n_quad)
            out[:, 3 * i:3 * i + 3, 3 * j:3 * j + 3] = cache[key]
    return out


def linear_spectrum_kernel(lattice, s, Q, n_quad=24):
    """Recoil kernel of the linearised spectrum with momentum cutoff Q (rodin2025 Eq. (15), second
    line, before Q → ∞), the same for every pair block.

    W_lin(s) = Σ_u ∫ dS/(8π³ρ) ψ_u ψ_uᵀ sin(Q v_u s)/(v_u³ s), W_lin(0) = Σ_u ∫ dS Q ψψᵀ/(8π³ρ v_u²);
    ∫_0^∞ W_lin ds = 𝓛 for every Q, and W_lin → 2𝓛δ(s) as Q → ∞.

    Parameters
    ----------
    lattice : CubicLattice
    s : array_like
        Time lags, >= 0.
    Q : float
        Momentum cutoff, > 0.
    n_quad : int, optional
        Order of :func:`ionmotion.lattice.sphere_quadrature`.

    Returns
    -------
    ndarray, shape (len(s), 3, 3)
    """
    s = np.atleast_1d(finite_array("s", s)).astype(float)
    if np.any(s < 0):
        raise ValueError("s must be >= 0 (a time lag)")
    Q = positive("Q", Q)
    nv, wts = sphere_quadrature(n_quad)
    lam, vec = np.linalg.eigh(lattice.long_wave_matrix(nv))
    v = np.sqrt(lam)                                           # (P, 3) sound speeds
    sv = s[:, None, None] * v[None]                            # (T, P, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(sv > 0, np.sin(Q * sv) / np.where(sv > 0, sv, 1.0), Q) / v[None] ** 2
    proj = np.einsum("p,pau,pbu->puab", wts, vec, vec).reshape(-1, 9)   # (P·3, 9)
    out = (f.reshape(len(s), -1) @ proj).reshape(len(s), 3, 3)
    return out / (8 * np.pi**3 * lattice.density)


@njit(cache=True)
def _windowed_force(R, V, pot, resp, opts, hist, work, n, past):
    """Bare g_n, ġ_n at (R, V) into the histories; r = W_s g_n + memory; F = −Σ∇u(R − s − r).

    Packed: pot = (code, amp, lam); resp = (sites, Ws, Wk); opts = (h, keep_initial, c0);
    hist = (gh, gdh, mem, r); work = (gi, hi, F). If past is True, mem already holds the lags
    k ≥ 1 (they do not depend on V) and only the current-time term is added; otherwise all lags
    are summed into mem first."""
    code, amp, lam = pot
    sites, Ws, Wk = resp
    h, keep_initial, c0 = opts
    gh, gdh, mem, r = hist
    gi, hi, F = work
    nI = sites.shape[0]
    m = 3 * nI
    K = Wk.shape[0] - 1
    for i in range(nI):
        pair_derivatives(code, amp, lam, R[0] - sites[i, 0], R[1] - sites[i, 1],
                         R[2] - sites[i, 2], gi, hi)
        for a in range(3):
            gh[n, 3 * i + a] = gi[a]
            acc = 0.0
            for b in range(3):
                acc += hi[a, b] * V[b]
            gdh[n, 3 * i + a] = acc
    if not past:
        _memory_sum_kernel(Wk, gdh, gh, n, K, h, keep_initial, c0, nI, 1, mem)
    Kn = n if n < K else K
    c_now = 0.5 * h if Kn > 0 else 0.0        # trapezoid weight of the current time
    for a in range(m):
        acc = mem[a]
        for b in range(m):
            acc += Ws[a, b] * gh[n, b] - c_now * Wk[0, a, b] * gdh[n, b]
        r[a] = acc
    for x in range(3):
        F[x] = 0.0
    for i in range(nI):
        pair_derivatives(code, amp, lam, R[0] - sites[i, 0] - r[3 * i],
                         R[1] - sites[i, 1] - r[3 * i + 1], R[2] - sites[i, 2] - r[3 * i + 2],
                         gi, hi)
        for x in range(3):
            F[x] -= gi[x]


@njit(cache=True, inline="always")
def _accel(F, M, cdir, has_c, a):
    """a = F/M, projected on the unit direction cdir if the motion is constrained."""
    for x in range(3):
        a[x] = F[x] / M
    if has_c:
        p = a[0] * cdir[0] + a[1] * cdir[1] + a[2] * cdir[2]
        for x in range(3):
            a[x] = p * cdir[x]


@njit(cache=True)
def _windowed_integrate_kernel(R0, V0, M, pot, resp, opts, n_steps, constraint, n_iter,
                               save_every, out):
    """Velocity Verlet of :func:`integrate_windowed`; packed pot, resp, opts as in
    :func:`_windowed_force`, constraint = (cdir, has_c), out = (R_out, V_out, r_out)."""
    m = 3 * resp[0].shape[0]
    cdir, has_c = constraint
    R_out, V_out, r_out = out
    hist = (np.zeros((n_steps + 1, m)), np.zeros((n_steps + 1, m)), np.zeros(m), np.zeros(m))
    work = (np.empty(3), np.empty((3, 3)), np.zeros(3))
    r, F, h = hist[3], work[2], opts[0]
    R = R0.copy()
    V = V0.copy()
    a = np.zeros(3)
    Vh = np.zeros(3)
    _windowed_force(R, V, pot, resp, opts, hist, work, 0, False)
    k_out = 0
    for n in range(n_steps + 1):
        _accel(F, M, cdir, has_c, a)       # from the current force
        if n % save_every == 0:
            for x in range(3):
                R_out[k_out, x] = R[x]
                V_out[k_out, x] = V[x]
            for c in range(m):
                r_out[k_out, c] = r[c]
            k_out += 1
        if n == n_steps:
            break
        # velocity Verlet; ġ_{n+1} needs V_{n+1}: fixed-point iteration on the last half kick
        for x in range(3):
            Vh[x] = V[x] + 0.5 * h * a[x]
            R[x] += h * Vh[x]
        for x in range(3):
            V[x] = Vh[x] + 0.5 * h * a[x]
        for it in range(n_iter):
            _windowed_force(R, V, pot, resp, opts, hist, work, n + 1, it > 0)
            _accel(F, M, cdir, has_c, a)
            for x in range(3):
                V[x] = Vh[x] + 0.5 * h * a[x]
    return k_out


def _windowed_setup(R0, V0, M, potential, sites, W_static, W_window, dt, c0, constrain):
    R0 = finite_array("R0", R0, shape_tail=(3,)).astype(float).reshape(3).copy()
    V0 = finite_array("V0", V0, shape_tail=(3,)).astype(float).reshape(3).copy()
    M = positive("M", M)
    dt = positive("dt", dt)
    sites = np.ascontiguousarray(np.atleast_2d(finite_array("sites", sites, shape_tail=(3,))),
                                 dtype=float)
    m = 3 * len(sites)
    W_static = np.ascontiguousarray(finite_array("W_static", W_static), dtype=float)
    W_window = np.ascontiguousarray(finite_array("W_window", W_window), dtype=float)
    if W_static.shape != (m, m):
        raise ValueError(f"W_static must have shape ({m}, {m}), got {W_static.shape}")
    if W_window.ndim != 3 or W_window.shape[1:] != (m, m) or len(W_window) < 1:
        raise ValueError(f"W_window must have shape (K+1, {m}, {m}), got {W_window.shape}")
    c0 = float(c0)
    if not np.isfinite(c0) or c0 < 0:
        raise ValueError(f"c0 must be a finite number >= 0, got {c0!r}")
    if np.min(np.linalg.norm(R0[None] - sites, axis=1)) <= 1e-9 * max(1.0, potential.lam):
        raise ValueError("R0: the particle starts on top of an interacting mass")
    if constrain is None:
        cdir, has_c = np.zeros(3), False
    else:
        cdir = finite_array("constrain", constrain, shape_tail=(3,)).astype(float).reshape(3)
        nrm = np.linalg.norm(cdir)
        if nrm == 0:
            raise ValueError("constrain must be a non-zero 3-vector (the allowed direction)")
        cdir, has_c = cdir / nrm, True
    return R0, V0, M, dt, sites, W_static, W_window, c0, cdir, has_c


def integrate_windowed(R0, V0, M, potential, sites, W_static, W_window, dt, n_steps,
                       keep_initial=False, c0=0.0, constrain=None, save_every=1, n_iter=3):
    """Quasi-time-local trajectory of rodin2025 Sec. VII: M R̈ = −Σ_i ∇u(R − s_i − r_i) with r from the
    windowed Eq. (11), form (W), r → r_H = 0 on its right-hand side.

    Velocity Verlet with step dt (the kernel's spacing); the velocity dependence of ġ at the
    current step is resolved by n_iter fixed-point passes. numba kernel;
    :func:`integrate_windowed_reference` is the NumPy version.

    Parameters
    ----------
    R0, V0 : array_like, shape (3,)
    M : float
        Particle mass, > 0.
    potential : Gaussian or Yukawa
    sites : array_like, shape (n, 3)
        Positions of the interacting masses (Å).
    W_static : array_like, shape (3n, 3n)
    W_window : array_like, shape (K + 1, 3n, 3n)
        :func:`window_kernel` with h = dt.
    dt : float
    n_steps : int
    keep_initial, c0 : optional
        As for :func:`windowed_displacement`.
    constrain : array_like, shape (3,), optional
        Direction the motion is projected on.
    save_every : int, optional
    n_iter : int, optional
        Fixed-point passes, 1 … 50.

    Returns
    -------
    t : ndarray, shape (K',)
    R, V : ndarray, shape (K', 3)
    r : ndarray, shape (K', 3n)
    """
    R0, V0, M, dt, sites, Ws, Wk, c0, cdir, has_c = _windowed_setup(
        R0, V0, M, potential, sites, W_static, W_window, dt, c0, constrain)
    n_steps = integer_in("n_steps", n_steps, 1)
    save_every = integer_in("save_every", save_every, 1)
    n_iter = integer_in("n_iter", n_iter, 1, 50)
    n_out = n_steps // save_every + 1
    R_out, V_out = np.empty((n_out, 3)), np.empty((n_out, 3))
    r_out = np.empty((n_out, Ws.shape[0]))
    pot = (potential.code, float(potential.amp), float(potential.lam))
    _windowed_integrate_kernel(R0, V0, M, pot, (sites, Ws, Wk), (dt, bool(keep_initial), c0),
                               n_steps, (cdir, has_c), n_iter, save_every, (R_out, V_out, r_out))
    if not (np.all(np.isfinite(R_out)) and np.all(np.isfinite(V_out))):
        raise ValueError("the windowed trajectory diverged (non-finite values); reduce dt")
    return dt * save_every * np.arange(n_out), R_out, V_out, r_out


def integrate_windowed_reference(R0, V0, M, potential, sites, W_static, W_window, dt, n_steps,
                                 keep_initial=False, c0=0.0, constrain=None, n_iter=3):
    """NumPy velocity Verlet of :func:`integrate_windowed` (every step saved; slow).

    Parameters
    ----------
    R0, V0, M, potential, sites, W_static, W_window, dt, n_steps, keep_initial, c0, constrain, n_iter :
        As for :func:`integrate_windowed`.

    Returns
    -------
    t, R, V, r : ndarray
    """
    R0, V0, M, dt, sites, Ws, Wk, c0, cdir, has_c = _windowed_setup(
        R0, V0, M, potential, sites, W_static, W_window, dt, c0, constrain)
    n_steps = integer_in("n_steps", n_steps, 1)
    nI, m = len(sites), 3 * len(sites)
    gh, gdh = np.zeros((n_steps + 1, m)), np.zeros((n_steps + 1, m))

    def force(R, V, n):
        x = R[None, :] - sites
        gh[n] = potential.gradient(x).reshape(-1)
        gdh[n] = np.einsum("iab,b->ia", potential.hessian(x), V).reshape(-1)
        r = windowed_displacement_reference(gh[:n + 1], gdh[:n + 1], dt, Ws, Wk,
                                            keep_initial, c0)[n]
        F = -potential.gradient(R[None, :] - sites - r.reshape(nI, 3)).sum(axis=0)
        a = F / M
        return (a @ cdir) * cdir if has_c else a, r

    R, V = R0.copy(), V0.copy()
    a, r = force(R, V, 0)
    Rs, Vs, rs = [R.copy()], [V.copy()], [r]
    for n in range(n_steps):
        Vh = V + 0.5 * dt * a
        R = R + dt * Vh
        V = Vh + 0.5 * dt * a
        for _ in range(n_iter):
            a, r = force(R, V, n + 1)
            V = Vh + 0.5 * dt * a
        Rs.append(R.copy())
        Vs.append(V.copy())
        rs.append(r)
    return dt * np.arange(n_steps + 1), np.array(Rs), np.array(Vs), np.array(rs)


# --------------------------------------------------------------------------------------------
# Compatibility shims: rodin2025's experiments moved to ionmotion.papers.rodin2025
# --------------------------------------------------------------------------------------------
# Thin lazy re-exports (see ionmotion._compat): the chapters still call these names here; new
# code imports them from ionmotion.papers.rodin2025.
__getattr__, __dir__ = moved(__name__, dict.fromkeys(
    ("PAPER_LATTICE", "paper_lattice", "head_on_collision", "collision_metrics",
     "edge_dissipation", "particle_energy", "FIG3_CASES", "fig3_tasks", "fig4_task",
     "WINDOW_FACTORS", "collision_windowed", "edge_dissipation_windowed",
     "FIG4_LONG_WINDOW_TASK", "fig4_window_task"), "ionmotion.papers.rodin2025"))
