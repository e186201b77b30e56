"""A time-local equation that obeys the fluctuation–dissipation theorem ("Markov-consistent").

rodin2025's time-local equation (Eqs. (18)–(20), :mod:`ionmotion.thermal`) pairs an
*instantaneous* drag γ(R) = H𝓛H, which removes energy from the particle at every frequency of
the signal it acts on, with the thermal force of the framework, which has (almost) no power above
the largest phonon frequency Ω_max. The two do not balance, and the particle runs colder than the
framework (chapter ``time-local-limits``). (Along a moving path the thermal force, H(R(t)) r_H(t),
has a little power above Ω_max; almost none.) This module builds the equation in which the noise
is taken in the same limit as the drag, ω → 0 of the framework's response:

    M R̈ = −∇U_rel(R) − γ(R) Ṙ + H(R) ξ(t),    ⟨ξ(t) ξ(t')ᵀ⟩ = 2 k_BT 𝓛 δ(t − t'),

with H = Σ_i H_i the summed Hessian of the particle's interaction with the 8 corner masses of
its cell and γ = H𝓛H, so the noise covariance is 2 k_BT γ(R): the Langevin equation of rodin2022
Sec. IV B (:mod:`ionmotion.langevin`) with the time-local drag. The static part is the *relaxed*
energy of the particle with the 8 corners, U_rel(R) = min_r [Σ_i u(R − s_i − r_i) + ½ rᵀ W0⁻¹ r]
(W0 the corners' static response, :func:`ionmotion.thermal.corner_response`): to first order in
W0 it is rodin2025's softened energy U − ½ gᵀ W0 g, but it stays bounded where that expansion
falls to −∞ towards a corner mass. By the envelope theorem −∇U_rel = −Σ_i ∇u(x_i*) at the relaxed
displacements r*, and the Hessians H_i are taken there too. Because the force is a gradient and
the drag and noise obey γ ↔ 2k_BTγ, the Gibbs density e^{−(MV²/2 + U_rel)/k_BT} is stationary
exactly: the particle equipartitions at the noise temperature, whatever γ(R) is.

Assumptions, stated: (i) the framework is classical at the noise temperature (the full-lattice
reference evolves classically; :func:`noise_temperature` gives its mean energy per mode); (ii) the
framework's force noise is white with its ω → 0 strength, the same approximation the time-local
drag already makes, so the equation is right where the particle's motion is slow on 1/Ω_max and
not otherwise; (iii) the particle interacts with the 8 corners of its current cell, as in the
time-local and full-lattice runs of the diffusion chapter.

The fields −∇U_rel and γ are tabulated once on a cell-centred n³ grid over the cell (octant
symmetry: one eighth is relaxed, the rest mirrored) and stepped by the BAOAB kernel of
:func:`ionmotion.langevin.run_underdamped` (exact Ornstein–Uhlenbeck step in γ's eigenbasis).
"""
import functools
import time

import numpy as np

from numba import njit

from ._validate import finite_array, integer_in, positive
from .langevin import _eigh3, _frac, _interp, _unpack_k
from .lattice import CELL_CORNERS, CubicLattice
from .potentials import Yukawa

_MAX_CORNER_DISPLACEMENT = 0.45
"""Largest relaxed corner displacement accepted, in units of the lattice constant."""


def _as_points(points):
    p = finite_array("points", points, shape_tail=(3,))
    return p.reshape(-1, 3)


def relax_corners(points, potential, W0, a, tol=1e-10, max_iter=60,
                  max_displacement=_MAX_CORNER_DISPLACEMENT):
    """The 8 corner masses of a cubic cell relaxed around a particle (harmonic framework).

    Solves r = W0 g(r), g_i = ∇u(R − s_i − r_i) the force the particle exerts on corner i, by
    Newton's method on F(r) = r − W0 g(r) (Jacobian 1 + W0 blockdiag(H_i)) with step halving on
    |F|, vectorised over the points. At the solution r* minimises Σ_i u(R − s_i − r_i) + ½ rᵀW0⁻¹r,
    whose value is the relaxed energy Σ_i u(x_i*) + ½ g·r*.

    Parameters
    ----------
    points : array_like, shape (P, 3) or (3,)
        Particle positions relative to the cell's lowest corner (Å), none on a corner.
    potential : pair potential
        The particle–mass interaction (:mod:`ionmotion.potentials`).
    W0 : array_like, shape (24, 24)
        Static response among the corners in ``CELL_CORNERS`` order (Å²/meV).
    a : float
        Lattice constant (Å).
    tol : float, optional
        Convergence: max |F| (Å) at every point.
    max_iter : int, optional
        Newton iterations allowed.
    max_displacement : float or None, optional
        Largest corner displacement accepted, in units of a (None: no limit; the tabulated field
        relaxes points next to a corner that no thermal particle reaches, and records the
        displacement instead).

    Returns
    -------
    dict
        ``U`` (P,) relaxed energy (meV), ``force`` (P, 3) = −∇U_rel (meV/Å), ``hessian`` (P, 3, 3)
        Σ_i H_i at the relaxed corners (meV/Å²), ``displacement`` (P, 8, 3) (Å), ``iterations``.

    Raises
    ------
    ValueError
        If a point sits on a corner, W0 is not (24, 24) symmetric positive definite, or the
        relaxation does not converge or moves a corner by more than 0.45 a (the interaction is
        too strong for a harmonic framework there).
    """
    p = _as_points(points)
    a = positive("a", a)
    W0 = finite_array("W0", W0)
    if W0.shape != (24, 24) or not np.allclose(W0, W0.T, rtol=1e-10, atol=0):
        raise ValueError(f"W0 must be a symmetric (24, 24) matrix, got shape {W0.shape}")
    if np.linalg.eigvalsh(W0).min() <= 0:
        raise ValueError("W0 must be positive definite (a static response)")
    max_iter = integer_in("max_iter", max_iter, 1, 10_000)
    tol = positive("tol", tol)
    x0 = p[:, None, :] - (CELL_CORNERS * a)[None]                    # (P, 8, 3)
    if np.any(np.linalg.norm(x0, axis=-1) == 0):
        raise ValueError("points: a particle exactly on a corner mass has no relaxed energy")
    P = len(p)
    r = np.zeros((P, 8, 3))

    def residual(r):
        g = potential.gradient(x0 - r)
        return r - (g.reshape(P, 24) @ W0).reshape(P, 8, 3), g

    F, g = residual(r)
    it = 0
    while True:
        err = np.abs(F).reshape(P, -1).max(1)
        if err.max() < tol:
            break
        if it >= max_iter:
            raise ValueError(f"the corner relaxation did not converge in max_iter = {max_iter} "
                             f"Newton steps (largest residual {err.max():.3g} Å)")
        it += 1
        H = potential.hessian(x0 - r)                                 # (P, 8, 3, 3)
        J = np.tile(np.eye(24), (P, 1, 1))
        W = W0.reshape(1, 8, 3, 8, 3)
        J += np.einsum("piajb,pjbc->piajc", np.broadcast_to(W, (P, 8, 3, 8, 3)),
                       H).reshape(P, 24, 24)
        step = np.linalg.solve(J, -F.reshape(P, 24, 1)).reshape(P, 8, 3)
        lam = np.ones(P)
        for _ in range(30):                      # step halving where |F| would grow
            trial = r + lam[:, None, None] * step
            d = np.linalg.norm(x0 - trial, axis=-1)
            ok = np.all(d > 1e-6, axis=1)
            Ft = np.where(ok[:, None, None], residual(np.where(ok[:, None, None], trial, r))[0],
                          np.inf)
            worse = np.abs(Ft).reshape(P, -1).max(1) > np.maximum(err, tol)
            if not worse.any():
                break
            lam = np.where(worse, 0.5 * lam, lam)
        r = r + lam[:, None, None] * step
        F, g = residual(r)
    dmax = float(np.linalg.norm(r, axis=-1).max())
    if max_displacement is not None and dmax > max_displacement * a:
        raise ValueError(f"the relaxed corners move by {dmax:.3g} Å > "
                         f"{max_displacement:g} a: the interaction is too strong for a "
                         "harmonic framework at these points")
    x = x0 - r
    g = potential.gradient(x)
    U = potential.value(x).sum(1) + 0.5 * np.einsum("pic,pic->p", g, r)
    return {"U": U, "force": -g.sum(1), "hessian": potential.hessian(x).sum(1),
            "displacement": r, "iterations": it}


def _mirror(half, n, sign_axes):
    """Extend an octant table (n/2, n/2, n/2, ...) to (n, n, n, ...) by the reflections
    x -> a - x of a cell-centred grid (index i -> n - 1 - i); along a reflected axis the entries
    listed in sign_axes[axis] (a boolean mask over the trailing entries) change sign."""
    out = half
    for ax in range(3):
        flipped = np.flip(out, axis=ax).copy()
        if sign_axes is not None:
            flipped[..., sign_axes[ax]] *= -1
        out = np.concatenate([out, flipped], axis=ax)
    return out


def tabulate(lattice, potential, n=48, n_quad=40):
    """Tabulate the relaxed 8-corner fields over one cell (uncached; :func:`corner_field` caches).

    Parameters
    ----------
    lattice : CubicLattice
    potential : Yukawa
    n : int
        Even number of cell-centred grid points per direction.
    n_quad : int
        Quadrature order of W0.

    Returns
    -------
    field : ionmotion.langevin.LangevinField
        −∇U_rel, γ0 = H𝓛H and U_rel on the grid.
    hessian : ndarray, shape (n, n, n, 3, 3)
        H = Σ_i H_i at the relaxed corners (the noise amplitude of :func:`trajectory`).
    displacement : ndarray, shape (n, n, n)
        The largest relaxed corner displacement over a.
    """
    from .langevin import LangevinField
    from .thermal import corner_response
    a = lattice.a
    h = a / n
    c = (np.arange(n // 2) + 0.5) * h
    pts = np.stack(np.meshgrid(c, c, c, indexing="ij"), -1).reshape(-1, 3)
    rel = relax_corners(pts, potential, corner_response(lattice, n_quad=n_quad), a,
                        max_displacement=None)
    L = lattice.drag_matrix()
    H = rel["hessian"]
    gam = np.einsum("pab,bc,pcd->pad", H, L, H)
    gam = 0.5 * (gam + np.swapaxes(gam, -1, -2))
    m = n // 2
    U = _mirror(rel["U"].reshape(m, m, m, 1), n, None)[..., 0]
    dmax = np.linalg.norm(rel["displacement"], axis=-1).max(-1)
    disp = _mirror(dmax.reshape(m, m, m, 1), n, None)[..., 0] / a
    eye = np.eye(3, dtype=bool)
    force = _mirror(rel["force"].reshape(m, m, m, 3), n, [eye[k] for k in range(3)])
    flip = [np.logical_xor(eye[k][:, None], eye[k][None, :]).ravel() for k in range(3)]
    gflat = _mirror(gam.reshape(m, m, m, 9), n, flip).reshape(n, n, n, 3, 3)
    hflat = _mirror(H.reshape(m, m, m, 9), n, flip).reshape(n, n, n, 3, 3)
    fld = LangevinField(np.eye(3) * a, force, gflat, origin=np.full(3, h / 2), U=U)
    return fld, hflat, disp


@functools.lru_cache(maxsize=8)
def _field_cached(mass, a, k1, k2, U0, lam, n, n_quad):
    return tabulate(CubicLattice(mass, a, k1, k2), Yukawa(U0, lam), n, n_quad)


def corner_field(lattice, potential, n=48, n_quad=40):
    """−∇U_rel and γ = H𝓛H of the 8-corner relaxed particle, tabulated over one cell.

    Parameters
    ----------
    lattice : CubicLattice
        The framework (its W0 from :func:`ionmotion.thermal.corner_response`, 𝓛 from
        ``drag_matrix``).
    potential : Yukawa
        The particle–mass interaction.
    n : int, optional
        Even number of grid points per direction (cell-centred: (i + ½) a/n), 8..256.
    n_quad : int, optional
        Quadrature order of W0.

    Returns
    -------
    ionmotion.langevin.LangevinField
        With ``U`` the relaxed energy; cached per parameters.

    Raises
    ------
    ValueError
        For an odd or out-of-range n, a potential other than Yukawa, or a relaxation that fails.
    """
    if not isinstance(lattice, CubicLattice):
        raise ValueError("lattice must be a CubicLattice")
    if not isinstance(potential, Yukawa):
        raise ValueError("potential must be a Yukawa pair potential")
    n = integer_in("n", n, 8, 256)
    if n % 2:
        raise ValueError(f"n must be even (the octant is mirrored), got {n}")
    return _field_cached(lattice.mass, lattice.a, lattice.k1, lattice.k2,
                         float(potential.amp), float(potential.lam), n,
                         integer_in("n_quad", n_quad, 4, 200))[0]


def corner_hessians(lattice, potential, n=48, n_quad=40):
    """H = Σ_i H_i at the relaxed corners on :func:`corner_field`'s grid, (n, n, n, 3, 3)."""
    corner_field(lattice, potential, n, n_quad)
    return _field_cached(lattice.mass, lattice.a, lattice.k1, lattice.k2,
                         float(potential.amp), float(potential.lam), n, n_quad)[1]


def corner_displacements(lattice, potential, n=48, n_quad=40):
    """The largest relaxed corner displacement over a, per node of :func:`corner_field`'s grid
    (n, n, n): where the harmonic relaxation is itself questionable (a large fraction of a
    lattice constant), which :func:`markov_task` checks a trajectory never visits."""
    corner_field(lattice, potential, n, n_quad)
    return _field_cached(lattice.mass, lattice.a, lattice.k1, lattice.k2,
                         float(potential.amp), float(potential.lam), n, n_quad)[2]


def visited_maximum(table, R, a):
    """The largest value of a cell-centred (n, n, n) table at the nodes nearest to the sampled
    positions R (n_samples, 3), folded into the cell."""
    n = table.shape[0]
    idx = np.floor(np.mod(np.asarray(R, float), a) / (a / n)).astype(int) % n
    return float(table[idx[:, 0], idx[:, 1], idx[:, 2]].max())


def noise_temperature(lattice, kT, n_grid=20):
    """The full-lattice reference's classical temperature: the mean energy per mode of a framework
    sampled at ħΩ_T = kT (zero point included, :func:`ionmotion.thermal.classical_temperature_ratio`)
    in meV. The FDT-consistent equation is run at it so that it is compared with the particle of
    the classical full lattice started from the same thermal sample rule."""
    from .thermal import classical_temperature_ratio
    return kT * classical_temperature_ratio(lattice, n_grid, kT)


def cell_changes(R, a):
    """Number of sample-to-sample changes of the cell ⌊R/a⌋ along a sampled path (R (n, 3))."""
    c = np.floor(np.asarray(R) / a)
    return int(np.count_nonzero(np.any(np.diff(c, axis=0) != 0, axis=1)))


def band_noise(n, dt, kT, drag, omega_c, rng):
    """ζ at n equally spaced times: a Gaussian process whose two-sided spectrum is 2k_BT𝓛 for
    |ω| < omega_c and zero above (white noise drawn per step, its Fourier components above
    omega_c removed; omega_c >= π/dt leaves it white). Returns (n, 3)."""
    n = integer_in("n", n, 2)
    dt, kT, omega_c = positive("dt", dt), positive("kT", kT), positive("omega_c", omega_c)
    L = finite_array("drag", drag, shape_tail=(3, 3))
    C = np.linalg.cholesky(2 * kT * L / dt)
    xi = rng.standard_normal((n, 3)) @ C.T
    if omega_c >= np.pi / dt:
        return xi
    X = np.fft.rfft(xi, axis=0)
    X[2 * np.pi * np.fft.rfftfreq(n, dt) > omega_c] = 0.0
    return np.fft.irfft(X, n, axis=0)


@njit(cache=True)
def _band_kernel(state, tables, geom, consts, zeta, out):
    """Steps of M R̈ = F(R) − γ(R)Ṙ + H(R)ζ(t) for a smooth, given ζ (n + 1, 3): half kick with
    F + Hζ_n, half drift, exact decay e^{−γdt/M} in γ's eigenbasis, half drift, half kick with
    F + Hζ_{n+1}. state = (R, V) (3,); tables = (force, gamma6, hess6); out = (R_out, V_out,
    first row, stride)."""
    r, v = state
    force, gamma6, hess6 = tables
    origin, inv_cell = geom
    M, dt = consts
    out_r, out_v, k, stride = out
    s = np.empty(3)
    f = np.empty(3)
    g6 = np.empty(6)
    g = np.empty((3, 3))
    h6 = np.empty(6)
    h = np.empty((3, 3))
    lam = np.empty(3)
    V = np.empty((3, 3))
    c = np.empty(3)
    for n in range(zeta.shape[0] - 1):
        for half in range(2):
            if half == 1:
                for i in range(3):
                    r[i] += 0.5 * dt * v[i]
                _frac(r, origin, inv_cell, s)
                _interp(gamma6, s[0], s[1], s[2], g6)
                _unpack_k(g6, g)
                _eigh3(g, lam, V)
                for a in range(3):
                    c[a] = V[0, a] * v[0] + V[1, a] * v[1] + V[2, a] * v[2]
                    c[a] *= np.exp(-(lam[a] if lam[a] > 0.0 else 0.0) * dt / M)
                for i in range(3):
                    v[i] = V[i, 0] * c[0] + V[i, 1] * c[1] + V[i, 2] * c[2]
                for i in range(3):
                    r[i] += 0.5 * dt * v[i]
            _frac(r, origin, inv_cell, s)
            _interp(force, s[0], s[1], s[2], f)
            _interp(hess6, s[0], s[1], s[2], h6)
            _unpack_k(h6, h)
            z = n + half
            for i in range(3):
                kick = f[i] + h[i, 0] * zeta[z, 0] + h[i, 1] * zeta[z, 1] + h[i, 2] * zeta[z, 2]
                v[i] += 0.5 * dt * kick / M
        if (n + 1) % stride == 0:
            for i in range(3):
                out_r[k, i] = r[i]
                out_v[k, i] = v[i]
            k += 1


def band_reference(field, hessian, R0, V0, M, dt, zeta):
    """Plain NumPy steps of :func:`_band_kernel` (every step returned): R, V of shape
    (len(zeta), 3), row 0 the start."""
    from .langevin import _interp_np, _pack, _unpack
    inv = np.linalg.inv(field.cell)
    g6, h6 = _pack(field.gamma), _pack(hessian)
    frac = lambda r: ((r - field.origin) @ inv)[None]                  # noqa: E731
    r, v = np.array(R0, float), np.array(V0, float)
    Rs, Vs = [r.copy()], [v.copy()]
    for n in range(len(zeta) - 1):
        for half in range(2):
            if half:
                r = r + 0.5 * dt * v
                lam, W = np.linalg.eigh(_unpack(_interp_np(g6, frac(r)))[0])
                v = W @ (np.exp(-np.maximum(lam, 0) * dt / M) * (W.T @ v))
                r = r + 0.5 * dt * v
            f = _interp_np(field.force, frac(r))[0]
            H = _unpack(_interp_np(h6, frac(r)))[0]
            v = v + 0.5 * dt * (f + H @ zeta[n + half]) / M
        Rs.append(r.copy())
        Vs.append(v.copy())
    return np.array(Rs), np.array(Vs)


def trajectory(field, M, kT, duration, *, dt=5e-3, save_dt=0.05, R0=None, V0=None, rng=None,
               noise="white", hessian=None, drag=None, omega_c=None):
    """One trajectory of the FDT-consistent equation, or of its band-limited counterpart.

    Parameters
    ----------
    field : LangevinField
        From :func:`corner_field`.
    M : float
        Particle mass (meV·ps²/Å²).
    kT : float
        Noise temperature (meV), > 0.
    duration, dt, save_dt : float
        Length, time step and sampling interval (ps).
    R0, V0 : array_like, optional
        Start (default: the cell centre, at rest, as in rodin2025 Sec. VI).
    rng : numpy.random.Generator, optional
        The noise stream.
    noise : {"white", "band"}
        "white": the FDT-consistent equation (BAOAB, :func:`ionmotion.langevin.run_underdamped`).
        "band": the same drag and landscape with the noise H(R)ζ(t) of :func:`band_noise`, its
        spectrum 2k_BT𝓛 cut at `omega_c` (the instantaneous drag paired with a band-limited
        thermal force, as in rodin2025's equation); needs `hessian` (:func:`corner_hessians`)
        and `drag` (𝓛, 3 × 3).

    Returns
    -------
    dict
        ``t`` (ps), ``R`` (n, 3) unfolded (Å), ``V`` (n, 3) (Å/ps), sampled every save_dt.
    """
    from .langevin import _pack, run_underdamped
    duration, dt, save_dt = (positive(k, x) for k, x in
                             (("duration", duration), ("dt", dt), ("save_dt", save_dt)))
    M, kT = positive("M", M), positive("kT", kT)
    if noise not in ("white", "band"):
        raise ValueError(f"noise must be 'white' or 'band', got {noise!r}")
    every = max(1, int(round(save_dt / dt)))
    n_steps = every * max(1, int(round(duration / (dt * every))))
    a = float(field.cell[0, 0])
    R0 = np.full(3, a / 2) if R0 is None else finite_array("R0", R0, shape_tail=(3,)).reshape(3)
    V0 = np.zeros(3) if V0 is None else finite_array("V0", V0, shape_tail=(3,)).reshape(3)
    rng = np.random.default_rng() if rng is None else rng
    if noise == "white":
        tr = run_underdamped(field, M, kT, r0=R0, v0=V0, dt=dt, n_steps=n_steps, stride=every,
                             rng=rng)
        R, V = tr.r[:, 0], tr.v[:, 0]
    else:
        if hessian is None or drag is None or omega_c is None:
            raise ValueError("noise='band' needs hessian, drag and omega_c")
        zeta = band_noise(n_steps + 1, dt, kT, drag, omega_c, rng)
        R, V = np.empty((n_steps // every, 3)), np.empty((n_steps // every, 3))
        r, v = R0.copy(), V0.astype(float).copy()
        tables = (np.ascontiguousarray(field.force), np.ascontiguousarray(_pack(field.gamma)),
                  np.ascontiguousarray(_pack(np.asarray(hessian, float))))
        geom = (field.origin, np.linalg.inv(field.cell))
        for k0 in range(0, n_steps, 100 * every):    # chunks: Ctrl-C is seen between them
            k1 = min(n_steps, k0 + 100 * every)
            _band_kernel((r, v), tables, geom, (M, dt), zeta[k0:k1 + 1],
                         (R, V, k0 // every, every))
    t = dt * every * np.arange(n_steps // every + 1)
    return {"t": t, "R": np.concatenate([R0[None], R]), "V": np.concatenate([V0[None], V])}


def markov_task(kT, U0, seed, duration, dt=5e-3, lam=0.5, M=0.7, save_dt=0.05, n_grid=20,
                n_field=48, lattice=None, classical=False, noise="white", skip=50.0):
    """One diffusion trajectory of the FDT-consistent equation, stored like
    :func:`ionmotion.diffusion.diffusion_task`.

    Parameters
    ----------
    kT : float
        ħΩ_T (meV) of the framework whose classical temperature the noise has.
    U0, lam : float
        Yukawa strength (meV·Å) and screening length (Å).
    seed : int
        numpy default_rng seed of the noise.
    duration, dt, save_dt : float
        Length, step and sampling interval (ps); the particle starts at rest at the cell centre.
    M : float
        Particle mass.
    n_grid : int
        Mode grid of the framework whose mean mode energy is the noise temperature.
    n_field : int
        Grid of the tabulated fields (:func:`corner_field`).
    lattice : dict, optional
        CubicLattice arguments (None: rodin2025's crystal).
    classical : bool
        Noise temperature kT itself instead of :func:`noise_temperature`.
    noise : {"white", "band"}
        The FDT-consistent equation, or the same with the noise cut at the framework's Ω_max
        (:func:`trajectory`).
    skip : float
        The kinetic temperature ``V2`` averages over t >= skip (ps): from rest, the particle
        needs M/γ0 to warm up, 20 ps on the stiffest frameworks.

    Returns
    -------
    dict
        ``t``, ``R`` (float32, unfolded), ``V2`` (mean |V|² after `skip`), ``wall`` (s, the
        integration; the field is tabulated once per process, :func:`tabulate`),
        ``cell_changes``, ``kT_noise``, ``U_visited_max`` (the highest relaxed energy visited,
        meV above the cell's minimum), ``displacement_visited_max`` (the largest relaxed corner
        displacement there, over a).
    """
    from .diffusion import PAPER_LATTICE
    lat = CubicLattice(**dict(PAPER_LATTICE if lattice is None else lattice))
    kT = positive("kT", kT)
    skip = positive("skip", skip)
    if positive("duration", duration) <= 2 * skip:
        raise ValueError(f"duration = {duration:g} ps must exceed twice skip = {skip:g} ps")
    kTn = kT if classical else noise_temperature(lat, kT, integer_in("n_grid", n_grid, 2))
    pot = Yukawa(positive("U0", U0), positive("lam", lam))
    fld = corner_field(lat, pot, n_field)
    extra = {} if noise == "white" else dict(hessian=corner_hessians(lat, pot, n_field),
                                              drag=lat.drag_matrix(), omega_c=lat.max_frequency)
    t0 = time.perf_counter()
    out = trajectory(fld, positive("M", M), kTn, duration, dt=dt, save_dt=save_dt,
                     rng=np.random.default_rng(seed), noise=noise, **extra)
    wall = time.perf_counter() - t0
    late = out["t"] >= skip
    return {"t": out["t"], "R": out["R"].astype(np.float32),
            "V2": np.array(np.mean(np.sum(out["V"][late] ** 2, axis=1))), "wall": np.array(wall),
            "cell_changes": np.array(cell_changes(out["R"], lat.a)), "kT_noise": np.array(kTn),
            "U_visited_max": np.array(visited_maximum(fld.U, out["R"], lat.a) - fld.U.min()),
            "displacement_visited_max": np.array(visited_maximum(
                corner_displacements(lat, pot, n_field), out["R"], lat.a))}
