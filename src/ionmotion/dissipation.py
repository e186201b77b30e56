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

from ._compat import moved
from ._validate import finite_array, integer_in, nonnegative, positive
from .lattice import CubicLattice, bz_quadrature
from .potentials import Gaussian

# --------------------------------------------------------------------------------------------
# Eq. (13): Brillouin-zone integral
# --------------------------------------------------------------------------------------------


def gaussian_z_transform(p, amp, lam, s):
    """Φ̃_p(s) = ∫dz e^{ipz} Φ0 exp(−(s² + z²)/2λ²) = Φ0 √(2π) λ exp(−(s² + p²λ⁴)/2λ²).

    Parameters
    ----------
    p : float or array_like
        Wave number along z.
    amp, lam : float
        Φ0 and λ (> 0).
    s : float or array_like
        Distance from the z axis.

    Returns
    -------
    ndarray
    """
    lam = positive("lam", lam)
    return amp * np.sqrt(2 * np.pi) * lam * np.exp(-(s**2 + np.asarray(p)**2 * lam**4)
                                                   / (2 * lam**2))


def graded_bz_quadrature(a, n=14, levels=12, dim=3):
    """Brillouin-zone rule for integrands concentrated near Γ (slow particles: only modes with
    Ω ≲ v/λ count): :func:`ionmotion.lattice.bz_quadrature` with `levels` geometric radial pieces.

    Parameters
    ----------
    a : float
        Lattice constant, > 0.
    n : int, optional
        Gauss nodes per piece and direction.
    levels : int, optional
        Number of geometric refinements towards Γ.
    dim : {1, 3}, optional

    Returns
    -------
    q : ndarray, shape (Q, dim)
    w : ndarray, shape (Q,)
        Weights summing to 1.
    """
    return bz_quadrature(a, n, dim, levels=levels)


def graded_modes(framework, n=14, levels=12):
    """The framework's modes on :func:`graded_bz_quadrature` (for :func:`single_pass_loss` at low
    speed).

    Parameters
    ----------
    framework : CubicLattice or Chain
    n, levels : int, optional

    Returns
    -------
    ModeGrid
    """
    q, w = graded_bz_quadrature(framework.a, n, levels, framework.dim)
    return framework.modes(q, w)


def single_pass_loss(framework, potential, speed, offset=(0.0, 0.0, 0.0), modes=None,
                     n_quad=None):
    """rodin2024 Eq. (13): energy given to the framework by a particle passing one mass at constant
    velocity along z.

    Δ = Σ_j w_j |η_j · F̃(Ω_j)|² / (2m), with F̃(Ω) the Fourier transform of the force of the
    Gaussian interaction on the mass (framework deflection neglected). Works in any unit system
    (the framework's mass and frequencies); with m = 1/4π² it is the paper's 2π²/N Σ_j |…|².

    Parameters
    ----------
    framework : CubicLattice or Chain
    potential : Gaussian
        Eq. (13) uses its z Fourier transform, so only Gaussian interactions are accepted.
    speed : float or array_like
        Speeds (> 0).
    offset : array_like, shape (3,), optional
        Impact vector, perpendicular to z.
    modes : ModeGrid, optional
        E.g. ``framework.mode_grid(N, drop_gamma=False)`` for a finite lattice, or
        :func:`graded_modes` for slow particles in 3D. Default: the infinite-lattice quadrature.
    n_quad : int, optional
        Order of the default quadrature (30 in 3D, 400 for the chain).

    Returns
    -------
    float or ndarray
        Loss per pass, like `speed`.
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
    """rodin2024 Eq. (14): single-pass loss past one chain mass in closed form (dimensionless units).

    With Λ = 2πλ/σ̇: Δ = πΛ²Φ0² e^{−s²/λ²} (s²/λ⁴) e^{−Λ²(κ⊥+2k⊥)} I0(2Λ²k⊥)
    + π(Λ⁴/λ²)Φ0² e^{−s²/λ²} e^{−Λ²(κ∥+2k∥)} [(κ∥+2k∥) I0(2Λ²k∥) − 2k∥ I1(2Λ²k∥)], evaluated with
    exponentially scaled Bessel functions (no overflow at low speed).

    Parameters
    ----------
    speed : float or array_like
        σ̇ in rodin2024's units (> 0).
    Phi0, lam : float
        Gaussian amplitude and width (λ > 0).
    s : float
        Impact parameter.
    k_par, k_perp : float
        Chain springs along and across the chain (> 0).
    kappa_par, kappa_perp : float
        On-site springs (>= 0).

    Returns
    -------
    ndarray
        Loss, like `speed`.
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
    """The first line of rodin2024 Eq. (14) with its θ integrals done by the trapezoid rule (a check
    of the Bessel closed form :func:`chain_loss_analytic`).

    Parameters
    ----------
    speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp : float or array_like
        As for :func:`chain_loss_analytic`.
    n : int, optional
        Trapezoid intervals over θ ∈ [0, π].

    Returns
    -------
    float or ndarray
    """
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
    """rodin2024 Eq. (15), the fast limit Λ → 0: πΛ²/λ² Φ0² e^{−s²/λ²}[s²/λ² + Λ²(κ∥ + 2k∥)].

    Parameters
    ----------
    speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp : float or array_like
        As for :func:`chain_loss_analytic`.

    Returns
    -------
    ndarray
    """
    v, P, lam, s, kp, kt, cp, ct = _chain_args(speed, Phi0, lam, s, k_par, k_perp, kappa_par,
                                               kappa_perp)
    L2 = (2 * np.pi * lam / v) ** 2
    return np.pi * L2 / lam**2 * P**2 * np.exp(-s**2 / lam**2) * (s**2 / lam**2
                                                                  + L2 * (cp + 2 * kp))


def chain_loss_slow(speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp):
    """rodin2024 Eq. (16), the slow limit Λ → ∞: πΦ0²Λ e^{−s²/λ²}/(2√π λ²) [(s²/λ²) e^{−Λ²κ⊥}/√k⊥
    + (Λ²κ∥ + ½) e^{−Λ²κ∥}/√k∥]; with κ = 0 it equals Eq. (17), ∝ 1/σ̇.

    Parameters
    ----------
    speed, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp : float or array_like
        As for :func:`chain_loss_analytic`.

    Returns
    -------
    ndarray
    """
    v, P, lam, s, kp, kt, cp, ct = _chain_args(speed, Phi0, lam, s, k_par, k_perp, kappa_par,
                                               kappa_perp)
    L = 2 * np.pi * lam / v
    return (np.pi * P**2 * L * np.exp(-s**2 / lam**2) / (2 * np.sqrt(np.pi) * lam**2)
            * (s**2 / lam**2 * np.exp(-L**2 * ct) / np.sqrt(kt)
               + (L**2 * cp + 0.5) * np.exp(-L**2 * cp) / np.sqrt(kp)))


def chain_loss_eq17(speed, Phi0, lam, s, k_par, k_perp):
    """rodin2024 Eq. (17) (unconfined chain, linearised spectrum):
    π^{3/2} Φ0² e^{−s²/λ²}/(λσ̇) (1/(2√k∥) + (s²/λ²)/√k⊥).

    Parameters
    ----------
    speed, Phi0, lam, s, k_par, k_perp : float or array_like
        As for :func:`chain_loss_analytic`.

    Returns
    -------
    ndarray
    """
    speed = finite_array("speed", speed).astype(float)
    lam = positive("lam", lam)
    return (np.pi**1.5 * Phi0**2 * np.exp(-s**2 / lam**2) / (lam * speed)
            * (1 / (2 * np.sqrt(k_par)) + s**2 / lam**2 / np.sqrt(k_perp)))


# --------------------------------------------------------------------------------------------
# Eq. (23): recoil matrix and the low-speed loss
# --------------------------------------------------------------------------------------------


def recoil_matrix(framework, n_quad=32):
    """𝓜 of rodin2024 Eq. (23) for a 3D lattice, in rodin2024's units (framework mass 1/4π²).

    𝓜 = Σ_u ∫dΩ η_u η_uᵀ / (4 (2π√k_u)³) = (1/32π³) ∫dΩ S(n̂)^{−3/2}, with Ξ(q n̂) ≈ q² S(n̂) the
    force-constant matrix at phase q per lattice spacing (Eq. (19)). Since S = m a⁻² D₁ with
    D₁ the long-wave matrix of :meth:`CubicLattice.long_wave_matrix`, 𝓜 is the drag matrix of
    rodin2025 Eq. (15) in other units: 𝓜 = 𝓛 / (2π √m). It depends only on the springs, and for
    a framework of mass 1/4π² it equals 𝓛. Computed by :meth:`CubicLattice.drag_matrix` (the one
    implementation of the drag tensor).

    Parameters
    ----------
    framework : CubicLattice
        Any mass and lattice constant (𝓜 does not depend on either).
    n_quad : int, optional
        Order of the solid-angle quadrature (>= 4).

    Returns
    -------
    ndarray, shape (3, 3)
    """
    if not isinstance(framework, CubicLattice):
        raise ValueError("framework must be a CubicLattice (𝓜 is the 3D recoil matrix)")
    return framework.drag_matrix(n_quad) / (2 * np.pi * np.sqrt(framework.mass))


def path_hessians(potential, site_pos, offset, z):
    """Σ_I HΦ(σ − L_I) along the straight path σ = offset + z ẑ.

    Parameters
    ----------
    potential : Gaussian or Yukawa
    site_pos : array_like, shape (n, 3)
        Positions of the masses.
    offset : array_like, shape (3,)
    z : array_like, shape (T,)

    Returns
    -------
    ndarray, shape (T, 3, 3)
    """
    site_pos = np.atleast_2d(finite_array("site_pos", site_pos, shape_tail=(3,)))
    off = finite_array("offset", offset, shape_tail=(3,))
    z = np.atleast_1d(finite_array("z", z))
    sig = off[None, :] + z[:, None] * np.array([0.0, 0.0, 1.0])
    return potential.hessian(sig[:, None, :] - site_pos[None, :, :]).sum(axis=1)


def low_speed_loss(recoil, potential, site_pos, offset, speed, n=4001, margin=10.0):
    """rodin2024 Eq. (23) at constant velocity σ̇ = speed ẑ along σ = offset + zẑ:
    Δ = σ̇ ∫dz ẑᵀ H(z) 𝓜 H(z) ẑ, H the Hessian of the interaction summed over the masses (phases
    between masses neglected, as in the paper).

    Parameters
    ----------
    recoil : array_like, shape (3, 3)
        𝓜 (:func:`recoil_matrix`).
    potential : Gaussian or Yukawa
    site_pos : array_like, shape (n, 3)
    offset : array_like, shape (3,)
    speed : float or array_like
    n : int, optional
        Points of the z grid.
    margin : float, optional
        The grid covers the masses ± margin·λ.

    Returns
    -------
    ndarray
        Loss, like `speed`.
    """
    recoil = finite_array("recoil", recoil, shape_tail=(3, 3))
    site_pos = np.atleast_2d(finite_array("site_pos", site_pos, shape_tail=(3,)))
    lam = potential.lam
    z = np.linspace(site_pos[:, 2].min() - margin * lam, site_pos[:, 2].max() + margin * lam, n)
    H = path_hessians(potential, site_pos, offset, z)
    f = np.einsum("na,ab,nb->n", H[:, 2, :], recoil, H[:, :, 2])
    rate = np.trapezoid(f, z)
    return np.asarray(finite_array("speed", speed), float) * rate





# --------------------------------------------------------------------------------------------
# Compatibility shims: rodin2024's experiments moved to ionmotion.papers.rodin2024
# --------------------------------------------------------------------------------------------
# Thin lazy re-exports (see ionmotion._compat): the chapters still call these names here; new
# code imports them from ionmotion.papers.rodin2024.
__getattr__, __dir__ = moved(__name__, dict.fromkeys(
    ("CELL_SITES", "chain_panel_task", "chain_pass_task", "cubic_panel_task",
     "edge_line_full_task", "edge_line_sites", "edge_line_timelocal", "paper_speeds", "M0"),
    "ionmotion.papers.rodin2024") | {"FOUR_PI2": "ionmotion.papers.constants"})
