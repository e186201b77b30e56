"""Energy loss of a particle passing framework masses (rodin2024 Secs. III-IV).

* :func:`single_pass_loss` - rodin2024 Eq. (13): energy given to the lattice by a particle moving
  at constant velocity along z past one mass (framework deflection neglected), as a Brillouin-zone
  integral over the modes of any framework (Chain or CubicLattice), in any unit system:
  Δ = Σ_j w_j |η_j · F̃(Ω_j)|² / (2m), with F̃(Ω) = ∫dt F(t) e^{iΩt} the Fourier transform of the
  force on the mass. With m = 1/4π² and Ω = 2πω this is the paper's 2π²/N Σ_j |…|².
* :func:`chain_loss_analytic` - the closed form Eq. (14) for the chain in rodin2024's units, and
  its limits :func:`chain_loss_fast` (Eq. (15)) and :func:`chain_loss_slow` (Eq. (16); with κ = 0
  it is Eq. (17)).
* :func:`recoil_matrix` - 𝓜 of Eq. (23) from the long-wavelength expansion D(q) ≈ q² S(θ, φ).
* :func:`low_speed_loss` - Eq. (23) integrated along a straight path at constant speed.
* Task functions for sweeps (:func:`chain_pass_task`, :func:`cubic_pass_task`) that run the full
  equations of motion (:mod:`ionmotion.full`) for rodin2024's single-pass protocol.
"""
import numpy as np
from scipy.special import ive

from ._validate import finite_array, integer_in, nonnegative, positive
from .lattice import Chain, CubicLattice, bz_quadrature
from .potentials import Gaussian

FOUR_PI2 = 4 * np.pi**2

# --------------------------------------------------------------------------------------------
# Eq. (13): Brillouin-zone integral
# --------------------------------------------------------------------------------------------


def gaussian_z_transform(p, amp, lam, s):
    """Φ̃_p(s) = ∫dz e^{ipz} Φ0 exp(−(s² + z²)/2λ²) = Φ0 √(2π) λ exp(−(s² + p²λ⁴)/2λ²)."""
    lam = positive("lam", lam)
    return amp * np.sqrt(2 * np.pi) * lam * np.exp(-(s**2 + np.asarray(p)**2 * lam**4)
                                                   / (2 * lam**2))


def graded_bz_quadrature(a, n=14, levels=12, dim=3):
    """Nodes and weights (summing to 1) for Brillouin-zone averages whose integrand may be
    concentrated near Γ (slow particles: only modes with Ω ≲ v/λ count): the pyramid rule of
    :func:`ionmotion.lattice.bz_quadrature` with its radial interval graded geometrically into
    `levels` pieces [π/a·2^-(l+1), π/a·2^-l] (the last one [0, π/a·2^-levels]), n Gauss-Legendre
    nodes each."""
    return bz_quadrature(a, n, dim, levels=levels)


def graded_modes(framework, n=14, levels=12):
    """The framework's modes on :func:`graded_bz_quadrature` (for :func:`single_pass_loss`)."""
    q, w = graded_bz_quadrature(framework.a, n, levels, framework.dim)
    return framework.modes(q, w)


def single_pass_loss(framework, potential, speed, offset=(0.0, 0.0, 0.0), modes=None,
                     n_quad=None):
    """rodin2024 Eq. (13): loss of a particle moving along z at constant `speed` past one mass
    of `framework` with impact vector `offset` (perpendicular to z), Gaussian `potential`.

    modes: a ModeGrid (e.g. framework.mode_grid(N, drop_gamma=False) for a finite lattice); by
    default the infinite-lattice Brillouin-zone quadrature of order n_quad. Works in any unit
    system (the framework's mass and frequencies). `speed` may be an array. For slow particles
    in 3D pass modes=:func:`graded_modes` (the integrand shrinks towards Γ as speed → 0).
    """
    if not isinstance(potential, Gaussian):
        raise ValueError("potential must be a Gaussian (Eq. (13) uses its z Fourier transform)")
    speed = np.atleast_1d(finite_array("speed", speed)).astype(float)
    if np.any(speed <= 0):
        raise ValueError("speed must be > 0")
    off = finite_array("offset", offset, shape_tail=(3,)).astype(float)
    if off[2] != 0:
        raise ValueError("offset must be perpendicular to the z direction of motion")
    if modes is None:
        modes = framework.quadrature_modes(n_quad or (30 if framework.dim == 3 else 400))
    s = np.linalg.norm(off)
    lam = potential.lam
    Om = modes.omega                              # (Q, 3)
    eta = modes.eta                               # (Q, 3 comp, 3 branch)
    proj_perp = np.einsum("c,qcu->qu", off, eta) / lam**2   # ∇⊥ → −s/λ² (sign irrelevant)
    proj_z = eta[:, 2, :]
    out = np.empty(speed.shape)
    for i, v in enumerate(speed):
        p = Om / v
        ft = gaussian_z_transform(p, potential.amp, lam, s)
        term = (ft / v) ** 2 * (proj_perp**2 + (p * proj_z) ** 2)
        out[i] = np.einsum("q,qu->", modes.weights, term) / (2 * framework.mass)
    return out if out.size > 1 else out[0]


# --------------------------------------------------------------------------------------------
# Eqs. (14)-(17): the chain in closed form (rodin2024's dimensionless units)
# --------------------------------------------------------------------------------------------


def _chain_args(speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp):
    speed = finite_array("speed", speed).astype(float)
    if np.any(speed <= 0):
        raise ValueError("speed must be > 0")
    if not np.isfinite(Phi0):
        raise ValueError("Phi0 must be finite")
    return (speed, float(Phi0), positive("lam", lam), float(finite_array("s", s)),
            positive("k_par", k_par), positive("k_perp", k_perp),
            nonnegative("kappa_par", kappa_par), nonnegative("kappa_perp", kappa_perp))


def chain_loss_analytic(speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp):
    """rodin2024 Eq. (14): single-pass loss past one chain mass, dimensionless units.

    Λ = 2πλ/σ̇. Δ = πΛ²Φ0² e^{−s²/λ²} (s²/λ⁴) e^{−Λ²(κ⊥+2k⊥)} I0(2Λ²k⊥)
    + π(Λ⁴/λ²)Φ0² e^{−s²/λ²} e^{−Λ²(κ∥+2k∥)} [(κ∥+2k∥) I0(2Λ²k∥) − 2k∥ I1(2Λ²k∥)].
    Evaluated with exponentially scaled Bessel functions (no overflow at low speed).
    """
    v, P, lam, s, kp, kt, cp, ct = _chain_args(speed, Phi0, lam, s, k_par, k_perp, kappa_par,
                                               kappa_perp)
    L2 = (2 * np.pi * lam / v) ** 2
    pre = P**2 * np.exp(-s**2 / lam**2)
    perp = np.pi * L2 * pre * s**2 / lam**4 * np.exp(-L2 * ct) * ive(0, 2 * L2 * kt)
    par = (np.pi * L2**2 / lam**2 * pre * np.exp(-L2 * cp)
           * ((cp + 2 * kp) * ive(0, 2 * L2 * kp) - 2 * kp * ive(1, 2 * L2 * kp)))
    return perp + par


def chain_loss_numeric(speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp, n=2000):
    """Eq. (14)'s first line, the θ integrals done by the trapezoid rule (a check of the Bessel
    closed form): Δ = Λ²Φ0²e^{−s²/λ²}(s²/λ⁴)∫₀^π dθ e^{−Λ²ω⊥²} + (Λ⁴/λ²)Φ0²e^{−s²/λ²}∫₀^π dθ ω∥²
    e^{−Λ²ω∥²}, ω_u² = κ_u + 4k_u sin²(θ/2)... with θ ∈ [0, π] covering the band once."""
    v, P, lam, s, kp, kt, cp, ct = _chain_args(speed, Phi0, lam, s, k_par, k_perp, kappa_par,
                                               kappa_perp)
    th = np.linspace(0, np.pi, n + 1)
    wt = np.full(n + 1, np.pi / n)
    wt[[0, -1]] *= 0.5
    L2 = ((2 * np.pi * lam / np.atleast_1d(v)) ** 2)[:, None]
    om_t = ct + 2 * kt * (1 - np.cos(th))
    om_p = cp + 2 * kp * (1 - np.cos(th))
    pre = P**2 * np.exp(-s**2 / lam**2)
    perp = L2[:, 0] * pre * s**2 / lam**4 * (np.exp(-L2 * om_t) @ wt)
    par = L2[:, 0] ** 2 / lam**2 * pre * ((om_p * np.exp(-L2 * om_p)) @ wt)
    out = perp + par
    return out if np.ndim(speed) else out[0]


def chain_loss_fast(speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp):
    """rodin2024 Eq. (15), Λ → 0: πΛ²/λ² Φ0² e^{−s²/λ²}[s²/λ² + Λ²(κ∥ + 2k∥)]."""
    v, P, lam, s, kp, kt, cp, ct = _chain_args(speed, Phi0, lam, s, k_par, k_perp, kappa_par,
                                               kappa_perp)
    L2 = (2 * np.pi * lam / v) ** 2
    return np.pi * L2 / lam**2 * P**2 * np.exp(-s**2 / lam**2) * (s**2 / lam**2
                                                                  + L2 * (cp + 2 * kp))


def chain_loss_slow(speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp):
    """rodin2024 Eq. (16), Λ → ∞: πΦ0²Λ e^{−s²/λ²}/(2√π λ²) [ (s²/λ²) e^{−Λ²κ⊥}/√k⊥
    + (Λ²κ∥ + ½) e^{−Λ²κ∥}/√k∥ ]. With κ = 0 it equals Eq. (17), ∝ 1/σ̇."""
    v, P, lam, s, kp, kt, cp, ct = _chain_args(speed, Phi0, lam, s, k_par, k_perp, kappa_par,
                                               kappa_perp)
    L = 2 * np.pi * lam / v
    return (np.pi * P**2 * L * np.exp(-s**2 / lam**2) / (2 * np.sqrt(np.pi) * lam**2)
            * (s**2 / lam**2 * np.exp(-L**2 * ct) / np.sqrt(kt)
               + (L**2 * cp + 0.5) * np.exp(-L**2 * cp) / np.sqrt(kp)))


def chain_loss_eq17(speed, Phi0, lam, s, k_par, k_perp):
    """rodin2024 Eq. (17) (unconfined chain, linearised spectrum):
    π^{3/2} Φ0² e^{−s²/λ²}/(λσ̇) (1/(2√k∥) + (s²/λ²)/√k⊥)."""
    speed = finite_array("speed", speed).astype(float)
    lam = positive("lam", lam)
    return (np.pi**1.5 * Phi0**2 * np.exp(-s**2 / lam**2) / (lam * speed)
            * (1 / (2 * np.sqrt(k_par)) + s**2 / lam**2 / np.sqrt(k_perp)))


# --------------------------------------------------------------------------------------------
# Eq. (23): recoil matrix and the low-speed loss
# --------------------------------------------------------------------------------------------


def recoil_matrix(framework, n_quad=32, eps=1e-4):
    """𝓜 of rodin2024 Eq. (23) for a 3D lattice in rodin2024's units (framework mass 1/4π²):
    Σ_u ∫dΩ η_u η_uᵀ / (4 (2π√k_u)³) = (1/32π³) ∫dΩ S(n̂)^{−3/2}, where Ξ(q n̂) ≈ q² S(n̂) with q
    the phase per lattice spacing (Eq. (19)) and Ξ = m D(q) the force-constant matrix. S is taken
    from the framework's dynamical matrix at |q| a = eps (finite difference), the solid angle by
    Gauss-Legendre (cos θ) × trapezoid (φ). 𝓜 depends only on the springs; for a framework
    of mass 1/4π² it equals the drag matrix 𝓛 = `framework.drag_matrix()` (rodin2025 Eq. (15),
    computed there from the analytic long-wave expansion), which the tests confirm.
    """
    if not isinstance(framework, CubicLattice):
        raise ValueError("framework must be a CubicLattice (𝓜 is the 3D recoil matrix)")
    n_quad = integer_in("n_quad", n_quad, 4)
    x, w = np.polynomial.legendre.leggauss(n_quad)
    nphi = 2 * n_quad + 1
    phi = 2 * np.pi * np.arange(nphi) / nphi
    st = np.sqrt(1 - x**2)
    n = np.stack([st[:, None] * np.cos(phi)[None, :], st[:, None] * np.sin(phi)[None, :],
                  np.broadcast_to(x[:, None], (n_quad, nphi))], axis=-1).reshape(-1, 3)
    wts = (w[:, None] * np.full(nphi, 2 * np.pi / nphi)[None, :]).reshape(-1)
    Xi = framework.mass * framework.dynamical_matrix(n * eps / framework.a)  # m D = Ξ
    S = Xi / eps**2
    k, eta = np.linalg.eigh(S)
    if np.any(k <= 0):
        raise ValueError("a sound velocity vanishes; 𝓜 diverges")
    f = np.einsum("jau,ju,jbu->jab", eta, 1.0 / (4 * (2 * np.pi * np.sqrt(k)) ** 3), eta)
    return np.einsum("j,jab->ab", wts, f)


def path_hessians(potential, site_pos, offset, z):
    """Σ_I HΦ(σ − L_I) at σ = offset + z ẑ for every z: (len(z), 3, 3)."""
    site_pos = np.atleast_2d(finite_array("site_pos", site_pos, shape_tail=(3,)))
    off = finite_array("offset", offset, shape_tail=(3,))
    z = np.atleast_1d(finite_array("z", z))
    sig = off[None, :] + z[:, None] * np.array([0.0, 0.0, 1.0])
    return potential.hessian(sig[:, None, :] - site_pos[None, :, :]).sum(axis=1)


def low_speed_loss(recoil, potential, site_pos, offset, speed, n=4001, margin=10.0):
    """rodin2024 Eq. (23) at constant velocity σ̇ = speed ẑ along σ = offset + zẑ:
    Δ = σ̇ ∫dz ẑᵀ H(z) 𝓜 H(z) ẑ, with H the Hessian of the interaction summed over the masses
    at `site_pos` (phases between masses neglected, as in the paper). The z range covers the
    masses ± margin·λ (the integrand is Gaussian-small beyond). Returns Δ (array like speed)."""
    recoil = finite_array("recoil", recoil, shape_tail=(3, 3))
    site_pos = np.atleast_2d(finite_array("site_pos", site_pos, shape_tail=(3,)))
    lam = potential.lam
    z = np.linspace(site_pos[:, 2].min() - margin * lam, site_pos[:, 2].max() + margin * lam, n)
    H = path_hessians(potential, site_pos, offset, z)
    f = np.einsum("na,ab,nb->n", H[:, 2, :], recoil, H[:, :, 2])
    rate = np.trapezoid(f, z)
    return np.asarray(finite_array("speed", speed), float) * rate


# --------------------------------------------------------------------------------------------
# Sweep tasks (full equations of motion, rodin2024's single-pass protocol)
# --------------------------------------------------------------------------------------------


def chain_pass_task(speed, kappa, s, lam, Phi0=0.01, k=99 / 4, n_chain=200, dt=1e-4, mu=1.0,
                    a=2.0):
    """One pass past one mass of a periodic chain (rodin2024 Fig. 2 protocol, dimensionless):
    start 7λ before the mass at impact s ŷ, stop 7λ after. Returns loss, final speed."""
    from . import full
    m = 1 / FOUR_PI2
    ch = Chain(m, a, k, k, kappa, kappa)
    j0 = n_chain // 2
    z0 = j0 * a
    pot = Gaussian(Phi0, lam)
    out = full.pass_loss(ch, (1, 1, n_chain), pot, [(0, 0, j0)], mu * m,
                         (0.0, s, z0 - 7 * lam), speed, z0 + 7 * lam, dt, engine="modal")
    return {"loss": np.array(out["loss"]), "final_speed": np.array(out["final_speed"]),
            "steps": np.array(out["steps"])}


def chain_panel_task(speeds, kappa, s, lam, Phi0=0.01, k=99 / 4, n_chain=200, dt=1e-4, mu=1.0,
                     a=2.0):
    """One panel curve of rodin2024 Fig. 2: :func:`chain_pass_task` for every speed. Returns
    speeds, loss (simulation), eq13 (Brillouin-zone integral) and eq14 (closed form)."""
    speeds = np.atleast_1d(np.asarray(speeds, float))
    loss = np.array([chain_pass_task(v, kappa, s, lam, Phi0, k, n_chain, dt, mu, a)["loss"]
                     for v in speeds])
    chain = Chain(1 / FOUR_PI2, a, k, k, kappa, kappa)
    eq13 = single_pass_loss(chain, Gaussian(Phi0, lam), speeds, (0.0, s, 0.0))
    eq14 = chain_loss_analytic(speeds, Phi0, lam, s, k, k, kappa, kappa)
    return {"speeds": speeds, "loss": loss, "eq13": np.atleast_1d(eq13), "eq14": eq14}


def paper_speeds(lam, n=50, top=80.0, dim=1):
    """The speed grids of the authors' scripts: 50 values from 2 (λ ≤ 1), 4 (λ = 2) or 8 (λ = 4)
    to 80 for the chain; from 1 to 80 (one mass) or 2 to 80 (four/eight masses) in 3D."""
    if dim == 1:
        lo = 2.0 if lam <= 1 else (4.0 if lam == 2 else 8.0)
    else:
        lo = float(dim)
    return np.linspace(lo, top, n)


CELL_SITES = {
    "one": [(0, 0, 0)],
    "four": [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0)],
    "eight": [(i, j, k) for i in (0, 1) for j in (0, 1) for k in (0, 1)],
}


def cubic_panel_task(speeds, config, lam, offsets=(0.0,), Phi0=0.01, n_lattice=50, dt=1e-3,
                     mu=1.0, k1=15.0, k2=5.0, a=2.0):
    """Passes through a periodic cubic lattice (rodin2024 Figs. 4-5 protocol, dimensionless) for
    several speeds and impact offsets sharing one response kernel. config: "one" (one mass,
    impact s x̂ for s in `offsets`), "four" (face masses, path through the face centre) or
    "eight" (cell masses, path through the cell; offsets ignored). Start 7λ before the first
    layer of masses, stop 7λ after the last. Returns speeds, offsets, loss (n_offsets, n_speeds),
    final_speed and the wall time of the kernel."""
    import time as _time
    from . import full
    m = 1 / FOUR_PI2
    lat = CubicLattice(m, a, k1, k2)
    c = n_lattice // 2
    base = np.array([c, c, c])
    sites = [tuple(int(x) for x in base + np.array(v)) for v in CELL_SITES[config]]
    z_first = c * a
    z_last = (c + (1 if config == "eight" else 0)) * a
    stop = z_last + 7 * lam
    speeds = np.atleast_1d(np.asarray(speeds, float))
    offsets = np.atleast_1d(np.asarray(offsets, float)) if config == "one" else np.array([0.0])
    n_max = int(np.ceil(1.3 * (stop - z_first + 7 * lam) / (speeds.min() * dt))) + 10
    pot = Gaussian(Phi0, lam)
    t0 = _time.perf_counter()
    kern = full.verlet_response_kernel(lat, (n_lattice,) * 3, sites, dt, n_max,
                                       components="iso" if config == "one" else "full")
    t_kernel = _time.perf_counter() - t0
    loss = np.zeros((len(offsets), len(speeds)))
    vf = np.zeros_like(loss)
    for i, s in enumerate(offsets):
        xy = (c * a + s, c * a) if config == "one" else (c * a + a / 2, c * a + a / 2)
        start = (xy[0], xy[1], z_first - 7 * lam)
        for j, v in enumerate(speeds):
            o = full.pass_loss(lat, (n_lattice,) * 3, pot, sites, mu * m, start, v, stop, dt,
                               kernel=kern)
            loss[i, j] = o["loss"]
            vf[i, j] = o["final_speed"]
    return {"speeds": speeds, "offsets": offsets, "loss": loss, "final_speed": vf,
            "kernel_wall_s": np.array(t_kernel)}


def edge_line_sites(n_masses=8):
    """Integer sites (0, 0, j), j = 0 … n_masses−1: the masses along a cell edge (rodin2024
    Fig. 6)."""
    return [(0, 0, j) for j in range(n_masses)]


def edge_line_full_task(n_lattice=100, dt=1e-3, tau=30.0, Phi0=1.0, lam=0.5, speed=7.5,
                        start=7.0, mu=1.0, k1=15.0, k2=5.0, a=2.0, record_every=10):
    """rodin2024 Fig. 6, full solution: particle on the z axis between the 4th and 5th of eight
    masses at (0, 0, 2j) of a periodic n_lattice³ cubic lattice, framework at rest. Solved with
    the exact discrete Green's function of the velocity-Verlet lattice (only R_zz is needed:
    every force is along z). Returns t, z, v and the kernel/run wall times."""
    import time as _time
    from . import full
    m = 1 / FOUR_PI2
    lat = CubicLattice(m, a, k1, k2)
    sites = edge_line_sites()
    n = int(round(tau / dt))
    t0 = _time.perf_counter()
    kern = full.verlet_response_kernel(lat, (n_lattice,) * 3, sites, dt, n, components="zz")
    t1 = _time.perf_counter()
    out = full.simulate_response(lat, (n_lattice,) * 3, Gaussian(Phi0, lam), sites, mu * m,
                                 (0.0, 0.0, start), (0.0, 0.0, speed), dt, n, line=(0, 0, 1),
                                 record_every=record_every, kernel=kern, components="zz")
    t2 = _time.perf_counter()
    return {"t": out["t"], "z": out["r"][:, 2], "v": out["v"][:, 2],
            "kernel_wall_s": np.array(t1 - t0), "run_wall_s": np.array(t2 - t1)}


def edge_line_timelocal(dt=1e-3, tau=30.0, Phi0=1.0, lam=0.5, speed=7.5, start=7.0, mu=1.0,
                        k1=15.0, k2=5.0, a=2.0, n_quad=None, form="rodin2024", save_every=10):
    """rodin2024 Fig. 6, time-local side: Eq. (26) (form="rodin2024", the literal reading) or
    rodin2025 Eqs. (18)-(20) (form="rodin2025") via :func:`ionmotion.timelocal.integrate`, with
    the static response among the eight masses (infinite lattice) and 𝓜 (Eq. (23)).
    Returns t, z, v, integrate_wall_s and integrate_cpu_s (the integration alone; the static
    response and 𝓜 are computed once per lattice, cached in memory)."""
    import time as _time
    from . import timelocal
    key = (k1, k2, a, n_quad)
    if key not in _EDGE_CACHE:
        lat = CubicLattice(1 / FOUR_PI2, a, k1, k2)
        _EDGE_CACHE[key] = (timelocal.static_response_block(lat, np.array(edge_line_sites()),
                                                            n_quad=n_quad), recoil_matrix(lat))
    W0, Mrec = _EDGE_CACHE[key]
    sites = np.array(edge_line_sites())
    n = int(round(tau / dt))
    t0 = _time.perf_counter()
    c0 = _time.process_time()
    t, R, V = timelocal.integrate((0.0, 0.0, start), (0.0, 0.0, speed), mu / FOUR_PI2,
                                  Gaussian(Phi0, lam), sites * a, W0, Mrec, dt, n,
                                  constrain=(0, 0, 1), save_every=save_every, form=form)
    wall = _time.perf_counter() - t0
    cpu = _time.process_time() - c0
    return {"t": t, "z": R[:, 2], "v": V[:, 2], "integrate_wall_s": wall, "integrate_cpu_s": cpu}


_EDGE_CACHE = {}
