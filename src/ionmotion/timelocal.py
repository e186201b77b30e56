"""Time-local equation of motion of a mobile particle in a harmonic framework (rodin2025 Eqs. 18-20).

The particle (mass M, position R) interacts through a pair potential u with n framework masses
whose equilibrium positions are `sites` s_i and whose displacements are r_i:
U(r, R) = Σ_i u(x_i),  x_i = R - s_i - r_i.  With g_i = ∇u(x_i) and H_i = ∇∇u(x_i) evaluated at the
homogeneous (thermal) framework motion r_i = r_H,i, every force evaluation does exactly

1. rodin2025 Eq. (19):  r_eff = r_H - W(0) ∇_r U(r_H, R) = r_H + W0 g,  because ∇_{r_i} U = -g_i;
   W0 is the (3n x 3n) static response V⁻¹ among the interacting masses.
2. rodin2025 Eq. (20):  R_eff = R + 𝓛 ∇_R [dU(r_H, R)/dt].  The total time derivative along the
   motion is dU/dt = ∇_R U·Ṙ + Σ_i ∇_{r_i} U·ṙ_H,i = Σ_i g_i·(Ṙ - ṙ_H,i); its gradient with
   respect to R (velocities held fixed) is G = Σ_i H_i (Ṙ - ṙ_H,i), so R_eff = R + 𝓛 G.
3. rodin2025 Eq. (18):  M R̈ = -∇_R U(r_eff, R_eff) = -Σ_i ∇u(R_eff - s_i - r_eff,i).

No expansion in the deformation is made: the force is evaluated at the shifted arguments. To first
order in W0 and 𝓛 this is F ≈ -Σg + Σ_i H_i (W0 g)_i - H𝓛H (Ṙ - ṙ_H) (H = Σ H_i): the gradient of
the relaxed ("softened") potential U - ½ gᵀW0 g plus a drag H𝓛H.  rodin2024 Eq. (26), read
literally, differentiates the whole bracket U - gᵀW0 g and so carries twice that softening; it is
available as ``form="rodin2024"`` (F = -Σg + 2 Σ_i H_i (W0 g)_i - H𝓛H Ṙ, framework at rest) so the
two readings can be compared.  The drag terms of the two forms agree to first order.

The deterministic case (r_H = ṙ_H = 0, rodin2025 Sec. V, rodin2024 Fig. 6) is :func:`integrate`;
:mod:`ionmotion.thermal` extends the same force routine with thermal r_H, ṙ_H of the corner masses.
Time stepping is Butcher's six-stage fifth-order Runge-Kutta method (:data:`BUTCHER_A` ...), as in
the authors' code. It is stable for oscillations up to dt·Ω ≈ 0.87 (|R(iy)| ≤ 1 for y ≤ 0.87);
public functions refuse dt·Ω > :data:`STABILITY_LIMIT` at the start; along the path the run-time
guard (:func:`guard`, from the rates :func:`particle_rates` of every RK5 step) stops a run once a
pass through steps that are not stable has grown the linearised motion by more than
:data:`GROWTH_LIMIT`. Runs are driven in
chunks (:func:`ionmotion.engine.drive`), so Ctrl-C stops them.

Units are whatever the inputs use consistently (meV, Å, ps for rodin2025; rodin2024's
dimensionless units with M = μ/4π² and 𝓛 → 𝓜 work the same way).
"""
import numpy as np
from numba import njit

from ._validate import finite_array, integer_in, positive, choice
from .engine import (RUNNING, UNSTABLE, ParticleState, Trajectory, check_memory, check_steps,
                     drive, lambda_max_sym3, unstable_dt_error)
from .potentials import pair_derivatives

# Butcher (1964) sixth-stage, fifth-order Runge-Kutta tableau.
BUTCHER_C = np.array([0.0, 0.25, 0.25, 0.5, 0.75, 1.0])
BUTCHER_A = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.25, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.125, 0.125, 0.0, 0.0, 0.0, 0.0],
    [0.0, -0.5, 1.0, 0.0, 0.0, 0.0],
    [3.0 / 16.0, 0.0, 0.0, 9.0 / 16.0, 0.0, 0.0],
    [-3.0 / 7.0, 2.0 / 7.0, 12.0 / 7.0, -12.0 / 7.0, 8.0 / 7.0, 0.0],
])
BUTCHER_B = np.array([7.0, 0.0, 32.0, 12.0, 32.0, 7.0]) / 90.0

STABILITY_LIMIT = 0.85
"""Largest dt·Ω accepted: Butcher's RK5 amplifies oscillations of frequency Ω once dt·Ω ≳ 0.87."""

RUNTIME_LIMIT = 3.0
"""Reference value of dt·Ω for the advice in the error message (a safe step is half of it / Ω).
On the imaginary axis Butcher's RK5 amplifies an oscillation of frequency Ω per step by
|R(i dt·Ω)| (:func:`rk5_growth`): 1.0003 at 1.2, 1.014 at 1.81, 1.13 at 2.5, 1.37 at 3.0, 1.42 at
3.07 (a thermal diffusion particle passing close to a mass at the paper's dt = 5 fs), 1.89 at 3.5
and 3.3 at 4.0. What decides is not one step but the growth accumulated over a pass: see
:data:`GROWTH_LIMIT`."""

GROWTH_LIMIT = 4.0
"""Largest growth tolerated within one pass of the particle through a region where the step is
not stable: the product of the per-step growth factors :func:`rk5_growth` (oscillation and drag
rates of the linearised particle) over the consecutive steps n of the pass (reset when a step is
stable again). A close pass that spends two or three steps near dt·Ω = 3 grows a local
oscillation by 2-3 and leaves the stable region again, while a step size that keeps the particle
above the limit (a blow-up within tens of steps) or a single step at dt·Ω ≳ 4 passes the bound,
and the run stops with a ValueError."""

FORMS = {"rodin2025": 0, "rodin2024": 1}


# --------------------------------------------------------------------------------------------
# Numba kernels
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def _acceleration(R, V, sites, rH, vH, pair, model, work, out):
    """Acceleration R̈ of rodin2025 Eqs. (18)-(20) (form 0) or rodin2024 Eq. (26) (form 1).

    sites (n, 3) equilibrium positions, rH, vH (n, 3) homogeneous displacement and velocity of the
    interacting masses; pair = (code, amp, lam); model = (W0, drag, M, form, …); work = (g (n, 3),
    H (n, 3, 3), reff (3n,), Htot (3, 3)) work arrays (on return g, H hold the bare pair
    derivatives, Htot their sum); result written to out (3,).
    """
    code, amp, lam = pair
    W0, drag, M, form = model[0], model[1], model[2], model[3]
    g, H, reff, Htot = work
    n = sites.shape[0]
    gi = np.empty(3)
    hi = np.empty((3, 3))
    Gv = np.zeros(3)
    Htot[:, :] = 0.0
    for i in range(n):
        pair_derivatives(code, amp, lam, R[0] - sites[i, 0] - rH[i, 0],
                         R[1] - sites[i, 1] - rH[i, 1], R[2] - sites[i, 2] - rH[i, 2], gi, hi)
        for a in range(3):
            g[i, a] = gi[a]
            for b in range(3):
                H[i, a, b] = hi[a, b]
                Htot[a, b] += hi[a, b]
                Gv[a] += hi[a, b] * (V[b] - vH[i, b])
    # r_eff - r_H = W0 g  (Eq. 19)
    m3 = 3 * n
    for k in range(m3):
        acc = 0.0
        for l in range(m3):
            acc += W0[k, l] * g[l // 3, l % 3]
        reff[k] = acc
    # 𝓛 G (Eq. 20)
    LG = np.zeros(3)
    for a in range(3):
        for b in range(3):
            LG[a] += drag[a, b] * Gv[b]
    if form == 0:
        _force_shifted(R, LG, sites, rH, reff, pair, gi, hi, out)
    else:
        _force_expanded(g, H, Htot, reff, LG, out)
    for a in range(3):
        out[a] /= M
    return out


@njit(cache=True, inline="always")
def _force_shifted(R, LG, sites, rH, reff, pair, gi, hi, out):
    """rodin2025 Eq. (18): −Σ_i ∇u(R_eff − s_i − r_eff,i) with R_eff = R + 𝓛G."""
    code, amp, lam = pair
    for a in range(3):
        out[a] = 0.0
    for i in range(sites.shape[0]):
        pair_derivatives(code, amp, lam,
                         R[0] + LG[0] - sites[i, 0] - rH[i, 0] - reff[3 * i],
                         R[1] + LG[1] - sites[i, 1] - rH[i, 1] - reff[3 * i + 1],
                         R[2] + LG[2] - sites[i, 2] - rH[i, 2] - reff[3 * i + 2], gi, hi)
        for a in range(3):
            out[a] -= gi[a]


@njit(cache=True, inline="always")
def _force_expanded(g, H, Htot, reff, LG, out):
    """rodin2024 Eq. (26) read literally: −Σg + 2 Σ_i H_i (W0 g)_i − H 𝓛G."""
    for a in range(3):
        f = 0.0
        for i in range(g.shape[0]):
            f -= g[i, a]
            for b in range(3):
                f += 2.0 * H[i, a, b] * reff[3 * i + b]
        for b in range(3):
            f -= Htot[a, b] * LG[b]
        out[a] = f


@njit(cache=True, inline="always")
def _rk5_stage_input(R, V, s, dt, kR, kV, Rs, Vs):
    """State (Rs, Vs) at which stage s of Butcher's RK5 evaluates the acceleration."""
    for a in range(3):
        Rs[a] = R[a]
        Vs[a] = V[a]
    for p in range(s):
        c = _A[s, p]
        if c != 0.0:
            for a in range(3):
                Rs[a] += dt * c * kR[p, a]
                Vs[a] += dt * c * kV[p, a]


@njit(cache=True, inline="always")
def _rk5_finish(R, V, dt, kR, kV):
    """Advance (R, V) by one RK5 step from the six stage slopes kR, kV."""
    for a in range(3):
        dR = 0.0
        dV = 0.0
        for s in range(6):
            dR += _B[s] * kR[s, a]
            dV += _B[s] * kV[s, a]
        R[a] += dt * dR
        V[a] += dt * dV


@njit(cache=True)
def particle_rates(Ht, drag, M, cdir):
    """Rates of the particle's linearised equation M ẍ = −Ht x − Ht𝓛Ht ẋ at the current state,
    from its summed pair Hessian Ht (3, 3): (w, γ) = (√(λmax(Ht)/M), λmax(Ht 𝓛 Ht)/M), along
    cdir when it is non-zero (line constraint). Positive curvature only: a negative one is a slow
    exponential, not a step instability."""
    G = np.empty((3, 3))           # Ht 𝓛 Ht, symmetrised
    for a in range(3):
        for b in range(3):
            s = 0.0
            for c in range(3):
                for e in range(3):
                    s += 0.5 * (Ht[a, c] * drag[c, e] * Ht[e, b] + Ht[b, c] * drag[c, e] * Ht[e, a])
            G[a, b] = s
    if cdir[0] == 0.0 and cdir[1] == 0.0 and cdir[2] == 0.0:
        w2 = lambda_max_sym3(Ht) / M
        gam = lambda_max_sym3(G) / M
    else:
        w2 = 0.0
        gam = 0.0
        for a in range(3):
            for b in range(3):
                w2 += cdir[a] * Ht[a, b] * cdir[b] / M
                gam += cdir[a] * G[a, b] * cdir[b] / M
    return np.sqrt(max(w2, 0.0)), max(gam, 0.0)


@njit(cache=True)
def particle_rate(Ht, drag, M, cdir):
    """Fastest rate max(w, γ) of :func:`particle_rates`: the run-time counterpart of
    :func:`fastest_rate`."""
    w, gam = particle_rates(Ht, drag, M, cdir)
    return max(w, gam)


@njit(cache=True, inline="always")
def rate_bound(Ht, drag_norm, M):
    """Cheap upper bound of :func:`particle_rate`: ‖Ht‖_F ≥ |λ|max(Ht) and ‖Ht‖_F²‖𝓛‖_F ≥
    λmax(Ht𝓛Ht). Only when it exceeds the limit is the exact rate computed."""
    f2 = 0.0
    for a in range(3):
        for b in range(3):
            f2 += Ht[a, b] * Ht[a, b]
    return max(np.sqrt(np.sqrt(f2) / M), f2 * drag_norm / M)


@njit(cache=True, inline="always")
def rk5_amplification(z):
    """R(z) = 1 + z + z²/2 + z³/6 + z⁴/24 + z⁵/120 + z⁶/640, the stability polynomial of Butcher's
    RK5 (the factor one step multiplies a solution e^{λt} by, z = dt·λ)."""
    return 1.0 + z * (1.0 + z * (0.5 + z * (1.0 / 6.0 + z * (1.0 / 24.0 + z * (1.0 / 120.0
                                                                            + z / 640.0)))))


@njit(cache=True)
def rk5_growth(w, gam, dt):
    """Growth per RK5 step, max |R(dt·λ)| over the roots λ of λ² + γλ + w² = 0 (the linearised
    particle: an oscillation of frequency w damped by the drag rate γ). Above 1 the step amplifies
    what it should damp or keep: |R(iy)| = 1.014 at y = dt·w = 1.81, 1.37 at 3.0; on the damped
    side R(−3.07) = 0.56 is stable, R(−3.5) = 1.23 is not."""
    disc = complex(0.25 * gam * gam - w * w)
    root = np.sqrt(disc)
    g1 = abs(rk5_amplification(dt * (-0.5 * gam + root)))
    g2 = abs(rk5_amplification(dt * (-0.5 * gam - root)))
    return max(g1, g2)


@njit(cache=True, inline="always")
def step_rate(Ht, model, cdir, dt):
    """(rate, growth) for the guard: (0, 1) if dt·(cheap bound) is within the stability limit,
    else the exact max(w, γ) of :func:`particle_rates` and the step's :func:`rk5_growth`.
    model = (W0, drag, M, form, ‖drag‖_F)."""
    r = rate_bound(Ht, model[4], model[2])
    if r * dt <= STABILITY_LIMIT:
        return 0.0, 1.0
    w, gam = particle_rates(Ht, model[1], model[2], cdir)
    return max(w, gam), rk5_growth(w, gam, dt)


@njit(cache=True)
def guard(rate_dt, growth, fl):
    """Account one step in the stability guard (dt·rate and its :func:`rk5_growth`); True when
    the run must stop.

    fl = [largest dt·rate, log-growth of the current pass, largest such log-growth]: a pass is a
    run of consecutive steps whose growth exceeds 1; its log-growth is accumulated and reset when a
    step is stable again; the run stops when a pass grows by more than :data:`GROWTH_LIMIT`."""
    if rate_dt > fl[0]:
        fl[0] = rate_dt
    if growth <= 1.0:
        fl[1] = 0.0
        return False
    fl[1] += np.log(growth)
    if fl[1] > fl[2]:
        fl[2] = fl[1]
    return fl[1] > np.log(GROWTH_LIMIT)


@njit(cache=True)
def _rk5_step(R, V, dt, sites, rH, vH, pair, model, cdir, work):
    """One Butcher RK5 step of the deterministic equation (framework displacement rH, vH fixed).
    work = (g, H, reff, Htot, kR, kV, Rs, Vs, acc). Returns the particle's rate and the step's
    growth factor at the step's start (:func:`step_rate`; (0, 1) when safely stable) for the
    stability guard."""
    g, H, reff, Htot, kR, kV, Rs, Vs, acc = work
    has_c = cdir[0] != 0.0 or cdir[1] != 0.0 or cdir[2] != 0.0
    rate, growth = 0.0, 1.0
    for s in range(6):
        _rk5_stage_input(R, V, s, dt, kR, kV, Rs, Vs)
        _acceleration(Rs, Vs, sites, rH, vH, pair, model, (g, H, reff, Htot), acc)
        if s == 0:
            rate, growth = step_rate(Htot, model, cdir, dt)
        if has_c:
            proj = acc[0] * cdir[0] + acc[1] * cdir[1] + acc[2] * cdir[2]
            for a in range(3):
                acc[a] = proj * cdir[a]
        for a in range(3):
            kR[s, a] = Vs[a]
            kV[s, a] = acc[a]
    _rk5_finish(R, V, dt, kR, kV)
    return rate, growth


_A = BUTCHER_A
_B = BUTCHER_B


def rk5_work(n):
    """Work arrays of the RK5 step for n interacting masses: (g, H, reff, Htot, kR, kV, Rs, Vs,
    acc)."""
    return (np.empty((n, 3)), np.empty((n, 3, 3)), np.empty(3 * n), np.empty((3, 3)),
            np.empty((6, 3)), np.empty((6, 3)), np.empty(3), np.empty(3), np.empty(3))


def rk5_model(W0, drag, M, form):
    """The model tuple of the RK5 kernels: (W0, drag, M, form code, ‖drag‖_F)."""
    return (W0, drag, M, FORMS[form], float(np.linalg.norm(drag)))


@njit(cache=True)
def _integrate_chunk(n0, n1, ps, sites, pair, model, ctrl, out, ctr, fl):
    """Steps n0+1 … n1 of the deterministic RK5 trajectory. ps = (R, V, cdir, work); ctrl =
    (dt, save_every); out = (R_out, V_out); ctr = [next output row]; fl = the guard's state
    (:func:`guard`)."""
    R, V, cdir, work = ps
    dt, save_every = ctrl
    R_out, V_out = out
    n = sites.shape[0]
    rH = np.zeros((n, 3))
    vH = np.zeros((n, 3))
    for step in range(n0 + 1, n1 + 1):
        rate, growth = _rk5_step(R, V, dt, sites, rH, vH, pair, model, cdir, work)
        if guard(rate * dt, growth, fl):
            return UNSTABLE
        if step % save_every == 0:
            R_out[ctr[0]] = R
            V_out[ctr[0]] = V
            ctr[0] += 1
    return RUNNING


# --------------------------------------------------------------------------------------------
# NumPy references (used by the tests)
# --------------------------------------------------------------------------------------------


def acceleration_reference(R, V, potential, sites, W0, drag, M, rH=None, vH=None,
                           form="rodin2025"):
    """Plain NumPy evaluation of rodin2025 Eqs. (18)-(20) (or rodin2024 Eq. (26)); see module doc."""
    sites = np.asarray(sites, float)
    n = len(sites)
    rH = np.zeros((n, 3)) if rH is None else np.asarray(rH, float)
    vH = np.zeros((n, 3)) if vH is None else np.asarray(vH, float)
    x = R - sites - rH
    g = potential.gradient(x)                       # (n, 3)
    H = potential.hessian(x)                        # (n, 3, 3)
    reff = (W0 @ g.reshape(-1)).reshape(n, 3)       # r_eff - r_H, Eq. (19)
    G = np.einsum("iab,ib->a", H, V - vH)           # ∇_R dU/dt
    LG = drag @ G                                   # R_eff - R, Eq. (20)
    if form == "rodin2025":
        F = -potential.gradient(R + LG - sites - rH - reff).sum(axis=0)
    else:
        F = -g.sum(0) + 2 * np.einsum("iab,ib->a", H, reff) - H.sum(0) @ LG
    return F / M


def rk5_reference(f, R0, V0, dt, n_steps, t0=0.0):
    """Plain NumPy Butcher RK5 of R̈ = f(t, R, V): the one reference of both RK5 engines
    (:func:`integrate_reference`, :func:`ionmotion.thermal.trajectory_reference`). Returns
    (t, R, V) at every step."""
    R = np.asarray(R0, float).copy()
    V = np.asarray(V0, float).copy()
    out_R, out_V = [R.copy()], [V.copy()]
    for step in range(n_steps):
        t = t0 + step * dt
        kR, kV = [], []
        for s in range(6):
            Rs = R + dt * sum(BUTCHER_A[s, p] * kR[p] for p in range(s)) if s else R
            Vs = V + dt * sum(BUTCHER_A[s, p] * kV[p] for p in range(s)) if s else V
            kR.append(Vs)
            kV.append(f(t + BUTCHER_C[s] * dt, Rs, Vs))
        R = R + dt * sum(b * k for b, k in zip(BUTCHER_B, kR))
        V = V + dt * sum(b * k for b, k in zip(BUTCHER_B, kV))
        out_R.append(R.copy())
        out_V.append(V.copy())
    return t0 + dt * np.arange(n_steps + 1), np.array(out_R), np.array(out_V)


def integrate_reference(R0, V0, M, potential, sites, W0, drag, dt, n_steps, constrain=None,
                        form="rodin2025"):
    """Plain NumPy Butcher RK5 of the deterministic equation; returns (t, R, V) at every step."""
    d = None if constrain is None else np.asarray(constrain, float) / np.linalg.norm(constrain)

    def f(t, R, V):
        a = acceleration_reference(R, V, potential, sites, W0, drag, M, form=form)
        return a if d is None else (a @ d) * d

    return rk5_reference(f, R0, V0, dt, n_steps)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _validate_common(R0, V0, M, potential, sites, W0, drag, dt, form):
    R0 = finite_array("R0", R0, shape_tail=(3,))
    V0 = finite_array("V0", V0, shape_tail=(3,))
    if R0.shape != (3,) or V0.shape != (3,):
        raise ValueError("R0 and V0 must be single 3-vectors")
    M = positive("M", M)
    dt = positive("dt", dt)
    sites = np.ascontiguousarray(finite_array("sites", np.atleast_2d(sites), shape_tail=(3,)),
                                 dtype=float)
    if sites.ndim != 2 or len(sites) < 1:
        raise ValueError("sites must have shape (n, 3) with n >= 1")
    n = len(sites)
    W0 = np.ascontiguousarray(finite_array("W0", W0), dtype=float)
    if W0.shape != (3 * n, 3 * n):
        raise ValueError(f"W0 must have shape ({3 * n}, {3 * n}) for {n} sites, got {W0.shape}")
    if not np.allclose(W0, W0.T, rtol=1e-8, atol=1e-14 * max(1.0, np.abs(W0).max())):
        raise ValueError("W0 must be symmetric (it is a block of V⁻¹)")
    drag = np.ascontiguousarray(finite_array("drag", drag), dtype=float)
    if drag.shape != (3, 3):
        raise ValueError(f"drag must be a 3x3 matrix, got shape {drag.shape}")
    if np.linalg.eigvalsh(0.5 * (drag + drag.T)).min() < -1e-14 * max(1.0, np.abs(drag).max()):
        raise ValueError("drag must be positive semi-definite (a negative eigenvalue would pump "
                         "energy into the particle)")
    if not hasattr(potential, "code") or potential.code < 0:
        raise ValueError("potential must be an ionmotion.potentials pair potential "
                         "(Yukawa or Gaussian)")
    choice("form", form, FORMS)
    return R0, V0, M, dt, sites, W0, drag


def fastest_rate(R, V, potential, sites, drag, M, rH=None):
    """Largest rate (1/time) the particle's equation carries at (R, V): the local oscillation
    frequency √(|λ|max(H)/M) of the summed Hessian H = Σ H_i and the drag rate
    λmax(H𝓛H)/M. Used for the time-step stability check."""
    sites = np.atleast_2d(np.asarray(sites, float))
    rH = np.zeros_like(sites) if rH is None else rH
    H = potential.hessian(np.asarray(R, float) - sites - rH).sum(axis=0)
    w = np.sqrt(np.abs(np.linalg.eigvalsh(H)).max() / M)
    gamma = np.abs(np.linalg.eigvalsh(H @ drag @ H)).max() / M
    return float(max(w, gamma))


def check_time_step(dt, rate, what="the particle"):
    """ValueError if dt·rate exceeds :data:`STABILITY_LIMIT` (Butcher RK5 on oscillations)."""
    if dt * rate > STABILITY_LIMIT:
        raise ValueError(f"dt = {dt:.4g} is above the stability limit for {what}: dt·Ω = "
                         f"{dt * rate:.3g} > {STABILITY_LIMIT} (Ω = {rate:.4g}); use dt <= "
                         f"{STABILITY_LIMIT / rate:.4g}")


def _constraint(constrain):
    """Unit direction of the line constraint, or zeros (free 3D motion)."""
    if constrain is None:
        return np.zeros(3)
    cdir = finite_array("constrain", constrain, shape_tail=(3,)).astype(float)
    nrm = np.linalg.norm(cdir)
    if cdir.shape != (3,) or nrm == 0:
        raise ValueError("constrain must be a non-zero 3-vector (the allowed direction)")
    return cdir / nrm


def output_rows(n_steps, save_every, what="the trajectory"):
    """Rows of an output sampled every save_every-th step, memory checked before allocating."""
    n_steps = check_steps(n_steps)
    save_every = integer_in("save_every", save_every, 1)
    n_out = n_steps // save_every + 1
    check_memory(f"{what} (n_steps // save_every + 1 = {n_out} rows of R and V)", 48 * n_out,
                 "raise save_every or lower n_steps")
    return n_steps, save_every, n_out


def run_rk5(chunk, n_steps, dt, what):
    """Drive an RK5 chunk kernel ``chunk(n0, n1, fl)`` over n_steps steps (Ctrl-C between
    chunks); raise the unstable-dt ValueError if the particle's rate left the stability region
    for long enough to grow an oscillation by more than GROWTH_LIMIT (:func:`guard`)."""
    fl = np.zeros(3)
    status, _ = drive(lambda n0, n1: chunk(n0, n1, fl), n_steps)
    if status == UNSTABLE:
        raise unstable_dt_error(
            dt, fl[0] / dt, RUNTIME_LIMIT, f"Butcher's RK5 ({what})",
            detail=f"within one pass through unstable steps the scheme grew the linearised "
                   f"motion by {np.exp(fl[2]):.3g}× (limit {GROWTH_LIMIT:g}×)")


def integrate(R0, V0, M, potential, sites, W0, drag, dt, n_steps, constrain=None, save_every=1,
              form="rodin2025"):
    """Deterministic time-local trajectory: rodin2025 Eqs. (18)-(20) with r_H = ṙ_H = 0.

    Parameters
    ----------
    R0, V0 : (3,) initial position and velocity of the particle.
    M : particle mass.
    potential : :class:`ionmotion.potentials.Yukawa` or :class:`~ionmotion.potentials.Gaussian`.
    sites : (n, 3) equilibrium positions of the interacting framework masses (same length unit).
    W0 : (3n, 3n) static response among them (``lattice.static_response_matrix(sites / a)`` or
        :func:`static_response_block`); zero switches the softening off.
    drag : (3, 3) 𝓛 of rodin2025 Eq. (15) (``lattice.drag_matrix()``), or 𝓜 in rodin2024 units;
        zero switches the drag off.
    dt, n_steps : time step and number of Butcher RK5 steps.
    constrain : optional direction (3,): the acceleration is projected on it, so a particle started
        along it stays on the line (rodin2024 Fig. 6, rodin2025 Fig. 4).
    save_every : store every save_every-th step (the first and, if it falls on the grid, the last).
    form : "rodin2025" (default; Eqs. 18-20 evaluated without expansion) or "rodin2024" (Eq. 26
        literally; see the module docstring for the factor-2 difference of the softening).

    Returns
    -------
    :class:`~ionmotion.engine.Trajectory` that unpacks as t (K,), R (K, 3), V (K, 3).

    Raises ValueError if dt is above the RK5 stability limit for the particle, at the start or
    anywhere along the path (its curvature and drag rate, :func:`particle_rate`).
    """
    R0, V0, M, dt, sites, W0, drag = _validate_common(R0, V0, M, potential, sites, W0, drag, dt,
                                                      form)
    n_steps, save_every, n_out = output_rows(n_steps, save_every)
    cdir = _constraint(constrain)
    check_time_step(dt, fastest_rate(R0, V0, potential, sites, drag, M))
    R_out = np.empty((n_out, 3))
    V_out = np.empty((n_out, 3))
    st = ParticleState.start(R0, V0)
    R_out[0], V_out[0] = st.R, st.V
    ps = (st.R, st.V, cdir, rk5_work(len(sites)))
    pair = (potential.code, float(potential.amp), float(potential.lam))
    model = rk5_model(W0, drag, M, form)

    ctr = np.ones(1, np.int64)

    def chunk(n0, n1, fl):
        return _integrate_chunk(n0, n1, ps, sites, pair, model, (dt, save_every), (R_out, V_out),
                                ctr, fl)

    run_rk5(chunk, n_steps, dt, "time-local particle")
    if not (np.all(np.isfinite(R_out)) and np.all(np.isfinite(V_out))):
        raise ValueError("the trajectory diverged (non-finite values); reduce dt or check that "
                         "the particle does not start on top of a framework mass")
    st.step = n_steps
    st.t = dt * n_steps
    return Trajectory(t=dt * save_every * np.arange(n_out), R=R_out, V=V_out, R_final=st.R,
                      V_final=st.V, n_steps=n_steps, engine="timelocal")


def energy(R, V, M, potential, sites):
    """Kinetic plus bare interaction energy ½M|V|² + Σ_i u(R - s_i) (framework at rest) for each
    row of R, V: the quantity the drag dissipates when W0 = 0."""
    R = np.atleast_2d(R)
    V = np.atleast_2d(V)
    sites = np.atleast_2d(sites)
    U = potential.value(R[:, None, :] - sites[None, :, :]).sum(axis=1)
    return 0.5 * M * np.sum(V**2, axis=1) + U


def static_response_block(lattice, offsets, n_grid=None, n_quad=None):
    """(3n × 3n) static response V⁻¹ among sites at integer lattice vectors `offsets` (n, 3):
    :meth:`ionmotion.lattice.CubicLattice.static_response_matrix` (kept as the name the
    time-local callers use)."""
    return lattice.static_response_matrix(offsets, n_grid=n_grid, n_quad=n_quad)
