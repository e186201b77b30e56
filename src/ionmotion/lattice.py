"""Lattice dynamics of the framework: dynamical matrices, phonons, sound, drag and recoil.

Two frameworks appear in the papers:

* :class:`CubicLattice` - a simple cubic Bravais lattice (one mass per cell) with central springs
  to the 6 nearest (k1) and 12 next-nearest (k2) neighbours, rodin2025 Eq. (21) = rodin2024
  Eq. (19). A bond along the unit vector e contributes k e eᵀ (1 - cos q·b) to m D(q).
* :class:`Chain` - the confined chain of rodin2024 Fig. 1 / Eq. (12): masses on the z axis, each
  held by on-site springs (kappa) and coupled to its two neighbours (k), moving in 3D.

Both share one set of methods (dynamical matrix, frequencies, mode grids, recoil kernel W(t) of
rodin2025 Eq. (22), static response W(0) = V⁻¹ block of rodin2024 Eq. (29)). Units: mass in
meV·ps²/Å², lengths in Å, force constants in meV/Å², frequencies in ps⁻¹ - or, with mass 1/4π²,
rodin2024's dimensionless units (time in periods, frequencies in radians per period).
"""
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validate import finite_array, integer_in, memory, positive, nonnegative

_BYTES_PER_MODE = 400
"""Rough peak memory per wave vector of a mode grid (q, ω, η, D(q) and eigh work arrays)."""

# --------------------------------------------------------------------------------------------
# Numba kernels (with NumPy references used by the tests)
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def _cos_sum_kernel(amp, omega, t, out):
    """out[k] = Σ_j amp[j] cos(omega[j] t[k]) for 3×3 amplitudes amp (M, 3, 3), any times t."""
    nt = t.shape[0]
    m = omega.shape[0]
    for k in range(nt):
        acc = np.zeros((3, 3))
        tk = t[k]
        for j in range(m):
            c = np.cos(omega[j] * tk)
            for a in range(3):
                for b in range(3):
                    acc[a, b] += amp[j, a, b] * c
        out[k] = acc
    return out


@njit(cache=True)
def _cos_sum_uniform_kernel(amp, omega, t0, dt, nt, out):
    """As _cos_sum_kernel for t_k = t0 + k dt: cos(ω t_k) advanced by a rotation per step, so
    each mode costs two cos/sin evaluations instead of nt."""
    out[:] = 0.0
    m = omega.shape[0]
    for j in range(m):
        c = np.cos(omega[j] * t0)
        s = np.sin(omega[j] * t0)
        cd = np.cos(omega[j] * dt)
        sd = np.sin(omega[j] * dt)
        a00, a01, a02 = amp[j, 0, 0], amp[j, 0, 1], amp[j, 0, 2]
        a10, a11, a12 = amp[j, 1, 0], amp[j, 1, 1], amp[j, 1, 2]
        a20, a21, a22 = amp[j, 2, 0], amp[j, 2, 1], amp[j, 2, 2]
        for k in range(nt):
            out[k, 0, 0] += a00 * c
            out[k, 0, 1] += a01 * c
            out[k, 0, 2] += a02 * c
            out[k, 1, 0] += a10 * c
            out[k, 1, 1] += a11 * c
            out[k, 1, 2] += a12 * c
            out[k, 2, 0] += a20 * c
            out[k, 2, 1] += a21 * c
            out[k, 2, 2] += a22 * c
            c, s = c * cd - s * sd, s * cd + c * sd
    return out


def _cos_sum_reference(amp, omega, t):
    """Plain NumPy version of :func:`_cos_sum_kernel`."""
    return np.einsum("jab,kj->kab", amp, np.cos(np.outer(t, omega)))


def cos_sum(amp, omega, t):
    """Mode sum Σ_j amp[j] cos(omega[j] t) at every time t (the time dependence of W(t)).

    On a uniform time grid the cosines are advanced by a rotation per step (two cos/sin
    evaluations per mode); otherwise each is evaluated directly. numba kernels;
    ``_cos_sum_reference`` is the NumPy version.

    Parameters
    ----------
    amp : array_like, shape (M, 3, 3)
        Amplitude of every mode.
    omega : array_like, shape (M,)
        Angular frequencies (ps⁻¹).
    t : float or array_like, shape (T,)
        Times (ps).

    Returns
    -------
    ndarray, shape (T, 3, 3)
    """
    amp = np.ascontiguousarray(amp, dtype=float)
    omega = np.ascontiguousarray(omega, dtype=float)
    t = np.ascontiguousarray(np.atleast_1d(t), dtype=float)
    out = np.empty((t.shape[0], 3, 3))
    if t.shape[0] > 2:
        dt = (t[-1] - t[0]) / (t.shape[0] - 1)
        if dt != 0 and np.allclose(np.diff(t), dt, rtol=1e-12, atol=1e-15 * abs(dt)):
            return _cos_sum_uniform_kernel(amp, omega, t[0], dt, t.shape[0], out)
    return _cos_sum_kernel(amp, omega, t, out)


# --------------------------------------------------------------------------------------------
# Brillouin-zone quadrature
# --------------------------------------------------------------------------------------------


def bz_quadrature(a, n, dim=3, levels=0):
    """Nodes and weights (summing to 1) for averages over the Brillouin zone [-π/a, π/a)^dim.

    The phonon sums of this book have a 1/q² singularity at Γ (W ∝ D⁻¹). In 3D the cube is split
    into six pyramids with apex at Γ; in each, q = x (1, u, v) (axes permuted, signs flipped) with
    x ∈ [0, π/a], u, v ∈ [-1, 1] and Jacobian x², so the integrand x²·f(q) is smooth and
    Gauss-Legendre converges exponentially for analytic f·q². In 1D, [0, π/a] carries the Gauss
    nodes and is mirrored (a 1D integral with a 1/q² singularity diverges: the chain needs
    confinement kappa > 0 for W(0) to exist). With `levels` > 0 the radial interval is graded
    geometrically, [π/a·2^-(l+1), π/a·2^-l] for l < levels plus [0, π/a·2^-levels], for integrands
    concentrated near Γ (slow particles couple only to modes with Ω ≲ v/λ).

    Parameters
    ----------
    a : float
        Lattice constant (Å), > 0.
    n : int
        Gauss-Legendre nodes per direction (per radial piece), >= 2.
    dim : {1, 3}
    levels : int, optional
        Number of geometric radial refinements, >= 0.

    Returns
    -------
    q : ndarray, shape (Q, dim)
        Wave vectors (Å⁻¹).
    w : ndarray, shape (Q,)
        Weights, Σ w = 1.

    Raises
    ------
    ValueError
        For bad arguments, or if the rule would not fit in the available memory.
    """
    a = positive("a", a)
    n = integer_in("n", n, 2)
    levels = integer_in("levels", levels, 0)
    if dim not in (1, 3):
        raise ValueError(f"dim must be 1 or 3, got {dim!r}")
    n_rad = n * (levels + 1)
    memory("n", n, _BYTES_PER_MODE * (6 * n_rad * n * n if dim == 3 else 2 * n_rad))
    x, w = np.polynomial.legendre.leggauss(n)
    h = np.pi / a
    edges = np.append(h * 2.0 ** -np.arange(levels + 1), 0.0)[::-1]   # 0, h 2^-levels, …, h
    r = np.concatenate([lo + 0.5 * (hi - lo) * (x + 1) for lo, hi in zip(edges[:-1], edges[1:])])
    wr = np.concatenate([0.5 * (hi - lo) * w for lo, hi in zip(edges[:-1], edges[1:])])
    if dim == 1:
        q = np.concatenate([-r[::-1], r])[:, None]
        return q, np.concatenate([wr[::-1], wr]) / (2 * h)
    R, U, V = np.meshgrid(r, x, x, indexing="ij")
    W = (wr[:, None, None] * w[None, :, None] * w[None, None, :]) * R**2
    base = np.stack([R, R * U, R * V], axis=-1).reshape(-1, 3)
    wb = W.reshape(-1)
    qs, ws = [], []
    for axis in range(3):
        perm = [axis] + [i for i in range(3) if i != axis]
        inv = np.argsort(perm)
        for sign in (1.0, -1.0):
            p = base.copy()
            p[:, 0] *= sign
            qs.append(p[:, inv])
            ws.append(wb)
    return np.concatenate(qs), np.concatenate(ws) / (2 * h) ** 3


def periodic_grid(a, n_grid, dim=3, drop_gamma=True):
    """The allowed wave vectors of a periodic lattice of n_grid^dim cells.

    q = 2π k/(n_grid a), folded into [-π/a, π/a); q = 0 is dropped by default (its translation
    modes have zero frequency).

    Parameters
    ----------
    a : float
        Lattice constant (Å), > 0.
    n_grid : int
        Cells per direction: >= 2 when q = 0 is dropped (a single cell has no other mode),
        else >= 1.
    dim : {1, 3}
    drop_gamma : bool, optional

    Returns
    -------
    q : ndarray, shape (n_grid^dim or n_grid^dim − 1, dim)
    w : ndarray
        Weights 1/n_grid^dim each.
    """
    a = positive("a", a)
    n_grid = integer_in("n_grid", n_grid, 2 if drop_gamma else 1)
    if dim not in (1, 3):
        raise ValueError(f"dim must be 1 or 3, got {dim!r}")
    memory("n_grid", n_grid, _BYTES_PER_MODE * n_grid**dim)
    k = np.arange(n_grid)
    k = np.where(k >= (n_grid + 1) // 2, k - n_grid, k)  # fold
    q1 = 2 * np.pi * k / (n_grid * a)
    if dim == 1:
        q = q1[:, None]
    else:
        q = np.stack(np.meshgrid(q1, q1, q1, indexing="ij"), axis=-1).reshape(-1, 3)
    if drop_gamma:
        q = q[np.any(q != 0, axis=1)]
    return q, np.full(len(q), 1.0 / n_grid**dim)


def sphere_quadrature(n_quad, n_phi=None):
    """Unit vectors and weights for integrals over the full solid angle (weights sum to 4π).

    Gauss-Legendre in cos θ (n_quad nodes) times the trapezoid rule in φ (n_phi equally spaced
    angles, default 2 n_quad), exponentially convergent for smooth integrands. This one rule
    serves the drag matrix 𝓛 (rodin2025 Eq. (15)), the recoil matrix 𝓜 (rodin2024 Eq. (23)) and
    the linear-spectrum kernel.

    Parameters
    ----------
    n_quad : int
        Nodes in cos θ, >= 4.
    n_phi : int, optional
        Angles in φ, >= 4 (default 2 n_quad).

    Returns
    -------
    n : ndarray, shape (n_quad * n_phi, 3)
        Unit vectors, cos θ-major.
    w : ndarray, shape (n_quad * n_phi,)
        Weights, Σ w = 4π.
    """
    n_quad = integer_in("n_quad", n_quad, 4)
    n_phi = 2 * n_quad if n_phi is None else integer_in("n_phi", n_phi, 4)
    x, w = np.polynomial.legendre.leggauss(n_quad)
    phi = 2 * np.pi * np.arange(n_phi) / n_phi
    st = np.sqrt(1 - x**2)
    n = np.stack([st[:, None] * np.cos(phi)[None, :], st[:, None] * np.sin(phi)[None, :],
                  np.broadcast_to(x[:, None], (n_quad, n_phi))], axis=-1).reshape(-1, 3)
    wts = (w[:, None] * np.full(n_phi, 2 * np.pi / n_phi)[None, :]).reshape(-1)
    return n, wts


@dataclass(frozen=True)
class ModeGrid:
    """Phonon modes on a set of wave vectors.

    Attributes
    ----------
    q : ndarray, shape (M, d)
        Wave vectors (Å⁻¹).
    weights : ndarray, shape (M,)
        Quadrature or lattice weights.
    omega : ndarray, shape (M, 3)
        Angular frequencies (ps⁻¹), ascending per wave vector.
    eta : ndarray, shape (M, 3, 3)
        Polarizations: eta[j, :, u] is branch u at q_j (real, orthonormal).
    """
    q: np.ndarray
    weights: np.ndarray
    omega: np.ndarray
    eta: np.ndarray

    @property
    def n_modes(self):
        """Number of modes (wave vectors × branches)."""
        return self.omega.size


# --------------------------------------------------------------------------------------------
# Shared machinery
# --------------------------------------------------------------------------------------------


class _Framework:
    """Methods common to every framework with one mass per cell and 3×3 dynamical matrix."""

    dim = 3
    mass = 1.0
    a = 1.0

    def dynamical_matrix(self, q):  # pragma: no cover - abstract
        raise NotImplementedError

    def _q(self, q):
        return finite_array("q", q, shape_tail=(self.dim,))

    def _eig(self, q):
        D = self.dynamical_matrix(q)
        w2, eta = np.linalg.eigh(D)
        tol = 1e-9 * max(1.0, float(np.max(np.abs(w2)))) if w2.size else 0.0
        if np.any(w2 < -tol):
            raise ValueError("the lattice is mechanically unstable: the dynamical matrix has a "
                             f"negative eigenvalue (min ω² = {w2.min():.3g})")
        return np.clip(w2, 0.0, None), eta

    def frequencies(self, q):
        """Angular frequencies of the three branches, ascending.

        Parameters
        ----------
        q : array_like, shape (..., dim)
            Wave vectors (Å⁻¹).

        Returns
        -------
        ndarray, shape (..., 3)
            Frequencies (ps⁻¹).
        """
        w2, _ = self._eig(q)
        return np.sqrt(w2)

    def modes(self, q, weights=None):
        """Frequencies and polarizations at the given wave vectors.

        Parameters
        ----------
        q : array_like, shape (M, dim)
        weights : array_like, shape (M,), optional
            Default: equal weights 1/M.

        Returns
        -------
        ModeGrid
        """
        q = self._q(q)
        w2, eta = self._eig(q)
        if weights is None:
            weights = np.full(q.shape[0], 1.0 / q.shape[0])
        return ModeGrid(q=q, weights=np.asarray(weights, float), omega=np.sqrt(w2), eta=eta)

    def mode_grid(self, n_grid, drop_gamma=True):
        """Modes of the periodic n_grid^dim lattice (:func:`periodic_grid`), the normal modes
        used for thermal sampling and finite-lattice sums (rodin2025: a 20³ grid, 23997 modes).

        Parameters
        ----------
        n_grid : int
            Cells per direction (>= 2 with drop_gamma).
        drop_gamma : bool, optional

        Returns
        -------
        ModeGrid
        """
        q, w = periodic_grid(self.a, n_grid, self.dim, drop_gamma)
        return self.modes(q, w)

    def quadrature_modes(self, n):
        """Modes on the Γ-regularised Gauss rule of the infinite-lattice Brillouin zone
        (:func:`bz_quadrature` of order n).

        Parameters
        ----------
        n : int
            Nodes per direction, >= 2.

        Returns
        -------
        ModeGrid
        """
        q, w = bz_quadrature(self.a, n, self.dim)
        return self.modes(q, w)

    def _separation(self, separation):
        s = finite_array("separation", separation)
        s = np.atleast_1d(s).astype(float)
        if s.shape != (self.dim,):
            raise ValueError(f"separation must be {self.dim} integers (lattice vector in units "
                             f"of a), got shape {s.shape}")
        if np.any(s != np.round(s)):
            raise ValueError(f"separation must be an integer lattice vector, got {separation!r}")
        return s * self.a

    def _kernel_amplitudes(self, grid, separation, static_power=2):
        """amp[j] = w_j cos(q_j·L) η η†/(m Ω²) for every branch of every mode (flattened)."""
        L = self._separation(separation)
        phase = np.cos(grid.q @ L)
        om = grid.omega
        if np.any(om <= 0):
            raise ValueError("a mode with zero frequency makes W diverge (an unconfined chain "
                             "or q = 0 kept); use kappa > 0 or drop Γ")
        coef = grid.weights[:, None] * phase[:, None] / (self.mass * om**static_power)
        amp = np.einsum("ju,jau,jbu->juab", coef, grid.eta, grid.eta).reshape(-1, 3, 3)
        return amp, om.reshape(-1)

    def _check_kernel_exists(self):
        """Hook: frameworks whose W(0) diverges raise here."""

    def _default_quadrature(self):
        return 40 if self.dim == 3 else 400

    def recoil_kernel(self, t, separation, n_grid=None, n_quad=None):
        """Recoil kernel W(t) of rodin2025 Eq. (22) between two masses.

        W_jk(t) = Σ_l η_l η_lᵀ cos(q_l·(L_j − L_k)) cos(Ω_l t) / (m Ω_l² N). With `n_grid` the
        sum runs over the periodic n_grid^dim lattice without q = 0; with n_grid=None it is the
        infinite-lattice Brillouin-zone integral by :func:`bz_quadrature` of order `n_quad`
        (default 40 per direction in 3D: about 1e-6 relative accuracy for W(0) of the rodin2025
        lattice).

        Parameters
        ----------
        t : float or array_like, shape (T,)
            Times (ps).
        separation : array_like of int, shape (dim,)
            Lattice vector between the masses, in units of a.
        n_grid : int, optional
            Periodic lattice size (>= 2); None for the infinite lattice.
        n_quad : int, optional
            Quadrature order for the infinite lattice.

        Returns
        -------
        ndarray, shape (T, 3, 3), or (3, 3) for scalar t
            In Å²/meV.
        """
        self._check_kernel_exists()
        t_arr = finite_array("t", t)
        scalar = t_arr.ndim == 0
        grid = (self.mode_grid(n_grid) if n_grid is not None
                else self.quadrature_modes(n_quad or self._default_quadrature()))
        amp, om = self._kernel_amplitudes(grid, separation)
        out = cos_sum(amp, om, np.atleast_1d(t_arr))
        return out[0] if scalar else out

    def static_response(self, separation, n_grid=None, n_quad=None):
        """W(0) between two masses: the block of V⁻¹ (rodin2024 Eq. (29)), the static
        displacement of one mass per unit force on the other.

        Parameters
        ----------
        separation : array_like of int, shape (dim,)
            Lattice vector between the masses (units of a).
        n_grid, n_quad : int, optional
            As for :meth:`recoil_kernel`.

        Returns
        -------
        ndarray, shape (3, 3)
            In Å²/meV.
        """
        return self.recoil_kernel(0.0, separation, n_grid=n_grid, n_quad=n_quad)

    def static_response_matrix(self, sites, n_grid=None, n_quad=None):
        """The static response V⁻¹ among n framework masses, as one (3n × 3n) matrix.

        The modes are computed once; each distinct separation L_i − L_j then costs one matrix
        product Σ_q cos(q·L) η ηᵀ/(mΩ²). The one implementation used by the time-local, thermal, validation,
        dissipation and relaxation code.

        Parameters
        ----------
        sites : array_like of int, shape (n, dim)
            Lattice vectors of the masses (units of a).
        n_grid, n_quad : int, optional
            As for :meth:`recoil_kernel`.

        Returns
        -------
        ndarray, shape (3n, 3n)
            Symmetric, in Å²/meV.
        """
        self._check_kernel_exists()
        sites = np.atleast_2d(finite_array("sites", sites)).astype(float)
        if sites.shape[1] != self.dim:
            raise ValueError(f"sites must have shape (n, {self.dim}), got {sites.shape}")
        if np.any(sites != np.round(sites)):
            raise ValueError("sites must be integer lattice vectors (in units of a)")
        grid = (self.mode_grid(n_grid) if n_grid is not None
                else self.quadrature_modes(n_quad or self._default_quadrature()))
        if np.any(grid.omega <= 0):
            raise ValueError("a mode with zero frequency makes W(0) diverge (an unconfined chain "
                             "or q = 0 kept); use kappa > 0 or drop Γ")
        coef = grid.weights[:, None] / (self.mass * grid.omega**2)
        amp = np.einsum("ju,jau,jbu->jab", coef, grid.eta, grid.eta).reshape(-1, 9)
        n = len(sites)
        diffs = (sites[:, None, :] - sites[None, :, :]).reshape(-1, self.dim)
        uniq, inverse = np.unique(diffs, axis=0, return_inverse=True)
        blocks = np.empty((len(uniq), 9))
        for c in range(0, len(uniq), 64):
            ph = np.cos(grid.q @ (uniq[c:c + 64].T * self.a))          # (modes, chunk)
            blocks[c:c + 64] = ph.T @ amp
        W = blocks[inverse.ravel()].reshape(n, n, 3, 3).transpose(0, 2, 1, 3).reshape(3 * n, 3 * n)
        return 0.5 * (W + W.T)

    def dos(self, n_grid=40, bins=200, omega_max=None):
        """Phonon density of states g(Ω), normalised to ∫ g dΩ = 1, from a histogram of all branch
        frequencies on the periodic n_grid^dim mode grid.

        Parameters
        ----------
        n_grid : int, optional
        bins : int, optional
        omega_max : float, optional
            Upper edge of the histogram (default just above the largest frequency).

        Returns
        -------
        centres : ndarray, shape (bins,)
        g : ndarray, shape (bins,)
        """
        grid = self.mode_grid(n_grid)
        om = grid.omega.reshape(-1)
        top = omega_max or 1.0001 * om.max()
        g, edges = np.histogram(om, bins=bins, range=(0.0, top), density=True)
        return 0.5 * (edges[1:] + edges[:-1]), g


# --------------------------------------------------------------------------------------------
# Simple cubic lattice
# --------------------------------------------------------------------------------------------

CELL_CORNERS = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], np.int64)
"""Integer offsets of the 8 corners of a cubic cell from its lowest corner (the order used by the
corner response W0 and the thermal corner kernel)."""

def _cubic_bond_offsets():
    nn = [np.eye(3, dtype=np.int64)[i] * sgn for i in range(3) for sgn in (1, -1)]
    nnn = []
    for i in range(3):
        for j in range(i + 1, 3):
            for si in (1, -1):
                for sj in (1, -1):
                    v = np.zeros(3, np.int64)
                    v[i], v[j] = si, sj
                    nnn.append(v)
    return np.array(nn + nnn, np.int64)


CUBIC_BOND_OFFSETS = _cubic_bond_offsets()
"""Integer offsets of the 18 bonds of the simple cubic lattice: the 6 nearest neighbours (±x,
±y, ±z), then the 12 next-nearest (pairs of axes i < j, signs (+,+), (+,−), (−,+), (−,−)). The one
bond table of the package: :meth:`CubicLattice.bonds`, the drag matrix and the whole-lattice
integrators all use this order."""

HIGH_SYMMETRY = {"G": (0.0, 0.0, 0.0), "X": (0.5, 0.0, 0.0), "M": (0.5, 0.5, 0.0),
                 "R": (0.5, 0.5, 0.5)}
"""High-symmetry points of the simple cubic Brillouin zone in units of 2π/a."""
LABELS = {"G": "Γ", "X": "X", "M": "M", "R": "R"}


class CubicLattice(_Framework):
    """Simple cubic lattice with central springs k1 (6 nearest) and k2 (12 next-nearest neighbours).

    rodin2025 Eq. (21): m D(q) = 2 k1 diag(1 − cos q_α a) + 2 k2 [δ_αβ (2 − Σ_{γ≠α} cos q_α a
    cos q_γ a) + (1 − δ_αβ) sin q_α a sin q_β a]. k2 > 0 is required: with k2 = 0 the Cartesian
    directions decouple, the transverse sound velocity along the cube axes vanishes and the drag
    matrix diverges.

    Parameters
    ----------
    mass : float
        Mass per cell (meV·ps²/Å²; 1/4π² for rodin2024's units), > 0.
    a : float
        Lattice constant (Å), > 0.
    k1, k2 : float
        Spring constants (meV/Å²), > 0.
    """

    dim = 3

    def __init__(self, mass, a, k1, k2):
        self.mass = positive("mass", mass)
        self.a = positive("a", a)
        self.k1 = positive("k1", k1)
        self.k2 = positive("k2", k2)

    def __repr__(self):
        return f"CubicLattice(mass={self.mass}, a={self.a}, k1={self.k1}, k2={self.k2})"

    @property
    def density(self):
        """Mass density ρ = m/a³ (meV·ps²/Å⁵)."""
        return self.mass / self.a**3

    def dynamical_matrix(self, q):
        """D(q) of rodin2025 Eq. (21).

        Parameters
        ----------
        q : array_like, shape (..., 3)
            Wave vectors (Å⁻¹).

        Returns
        -------
        ndarray, shape (..., 3, 3)
            In ps⁻².
        """
        q = self._q(q)
        c = np.cos(q * self.a)
        s = np.sin(q * self.a)
        D = np.zeros(q.shape[:-1] + (3, 3))
        f1 = 2 * self.k1 / self.mass
        f2 = 2 * self.k2 / self.mass
        for al in range(3):
            others = [g for g in range(3) if g != al]
            D[..., al, al] = (f1 * (1 - c[..., al])
                              + f2 * (2 - c[..., al] * (c[..., others[0]] + c[..., others[1]])))
            for be in others:
                D[..., al, be] = f2 * s[..., al] * s[..., be]
        return D

    def bond_springs(self):
        """Neighbour vectors and central spring constants (order of :data:`CUBIC_BOND_OFFSETS`).

        Returns
        -------
        b : ndarray, shape (18, 3)
            Bond vectors (Å): 6 nearest, then 12 next-nearest neighbours.
        k : ndarray, shape (18,)
            Spring constants (meV/Å²): k1 six times, then k2.
        """
        b = CUBIC_BOND_OFFSETS * self.a
        k = np.array([self.k1] * 6 + [self.k2] * 12)
        return b, k

    def bonds(self):
        """The bond table of the lattice (the one used by every engine).

        The force on mass i is F_i = −onsite u_i − Σ_b K_b (u_i − u_{i+b}), so that
        m D(q) = onsite + Σ_b K_b (1 − cos q·b a) (rodin2024 Eqs. (18)-(19)); K_b = k_b ê_b ê_bᵀ.

        Returns
        -------
        offsets : ndarray of int, shape (18, 3)
        K : ndarray, shape (18, 3, 3)
            Bond stiffness matrices (meV/Å²).
        onsite : ndarray, shape (3, 3)
            Zero for this lattice.
        """
        offs = CUBIC_BOND_OFFSETS.copy()
        e = offs / np.linalg.norm(offs, axis=1, keepdims=True)
        _, k = self.bond_springs()
        K = k[:, None, None] * e[:, :, None] * e[:, None, :]
        return offs, K, np.zeros((3, 3))

    def long_wave_matrix(self, direction):
        """D₁(n̂) of the long-wavelength expansion D(q n̂) = q² D₁(n̂) + O(q⁴).

        D₁ = (1/2m) Σ_b k_b ê_b ê_bᵀ (n̂·b)².

        Parameters
        ----------
        direction : array_like, shape (..., 3)
            Non-zero directions (normalised here).

        Returns
        -------
        ndarray, shape (..., 3, 3)
            In Å²/ps²; its eigenvalues are the squared sound speeds.
        """
        n = finite_array("direction", direction, shape_tail=(3,))
        norm = np.linalg.norm(n, axis=-1, keepdims=True)
        if np.any(norm == 0):
            raise ValueError("direction must be a non-zero vector")
        n = n / norm
        b, k = self.bond_springs()
        e = b / np.linalg.norm(b, axis=1, keepdims=True)
        proj = (n @ b.T) ** 2  # (…, 18)
        return np.einsum("...b,b,bi,bj->...ij", proj, k, e, e) / (2 * self.mass)

    def sound_velocities(self, direction=(1.0, 0.0, 0.0)):
        """The three sound speeds along a direction, ascending.

        Parameters
        ----------
        direction : array_like, shape (3,), optional

        Returns
        -------
        ndarray, shape (3,)
            In Å/ps.
        """
        return np.sqrt(np.linalg.eigvalsh(self.long_wave_matrix(direction)))

    @property
    def max_frequency(self):
        """Ω_max (ps⁻¹), the largest phonon frequency: √(4k1/m + 8k2/m) at X (rodin2025 Sec. III),
        found as the maximum over a 32³ grid and the high-symmetry points.
        """
        q, _ = periodic_grid(self.a, 32, 3, drop_gamma=False)
        hs = np.array(list(HIGH_SYMMETRY.values())) * 2 * np.pi / self.a
        return float(self.frequencies(np.concatenate([q, hs])).max())

    def drag_matrix(self, n_quad=48):
        """The drag matrix 𝓛 = Σ_u ∫dS ψ_u ψ_uᵀ/(16π² ρ v_u³) of rodin2025 Eq. (15).

        Uses Σ_u ψ_u ψ_uᵀ v_u⁻³ = D₁(n̂)^(-3/2), a smooth function of direction, integrated with
        :func:`sphere_quadrature` (better than 1e-10 relative at the default order for the rodin2025
        lattice). With a Hessian H (meV/Å²), γ = H𝓛H is the drag tensor (meV·ps/Å²).

        Parameters
        ----------
        n_quad : int, optional
            Order of the solid-angle rule, >= 4.

        Returns
        -------
        ndarray, shape (3, 3)
            In Å²·ps/meV.
        """
        n, wts = sphere_quadrature(n_quad)
        D1 = self.long_wave_matrix(n)
        lam, vec = np.linalg.eigh(D1)
        if np.any(lam <= 0):
            raise ValueError("a sound velocity vanishes in some direction; 𝓛 diverges")
        f = np.einsum("jau,ju,jbu->jab", vec, lam**-1.5, vec)
        integral = np.einsum("j,jab->ab", wts, f)
        return integral / (16 * np.pi**2 * self.density)

    def band_path(self, points=("G", "X", "M", "G", "R"), n_per_segment=60):
        """Wave vectors along a path through high-symmetry points.

        Parameters
        ----------
        points : sequence of {"G", "X", "M", "R"}, optional
        n_per_segment : int, optional
            Points per segment, >= 2.

        Returns
        -------
        q : ndarray, shape (K, 3)
            Wave vectors (Å⁻¹).
        distance : ndarray, shape (K,)
            Distance along the path (Å⁻¹).
        ticks : ndarray
            Distances of the corner points.
        labels : list of str
        """
        n_per_segment = integer_in("n_per_segment", n_per_segment, 2)
        for p in points:
            if p not in HIGH_SYMMETRY:
                raise ValueError(f"points must be among {sorted(HIGH_SYMMETRY)}, got {p!r}")
        corners = [np.array(HIGH_SYMMETRY[p]) * 2 * np.pi / self.a for p in points]
        qs, ds, ticks = [], [], [0.0]
        d0 = 0.0
        for i, (p0, p1) in enumerate(zip(corners[:-1], corners[1:])):
            s = np.linspace(0, 1, n_per_segment, endpoint=(i == len(corners) - 2))
            seg = p0 + s[:, None] * (p1 - p0)
            L = np.linalg.norm(p1 - p0)
            qs.append(seg)
            ds.append(d0 + s * L)
            d0 += L
            ticks.append(d0)
        return np.concatenate(qs), np.concatenate(ds), np.array(ticks), [LABELS[p] for p in points]


def isotropic_drag(rho, vL, vT):
    """𝓛 of an isotropic medium, (1/12πρ)(1/v_L³ + 2/v_T³) times the identity (rodin2022 Eq. (43);
    the isotropic limit of rodin2025 Eq. (15)).

    Parameters
    ----------
    rho : float
        Mass density (meV·ps²/Å⁵), > 0.
    vL, vT : float
        Longitudinal and transverse sound speeds (Å/ps), > 0.

    Returns
    -------
    ndarray, shape (3, 3)
        In Å²·ps/meV.
    """
    rho = positive("rho", rho)
    vL = positive("vL", vL)
    vT = positive("vT", vT)
    return np.eye(3) * (1.0 / vL**3 + 2.0 / vT**3) / (12 * np.pi * rho)


# --------------------------------------------------------------------------------------------
# Confined chain
# --------------------------------------------------------------------------------------------


class Chain(_Framework):
    """The confined chain of rodin2024 Fig. 1 / Eq. (12): masses on the z axis moving in 3D.

    m D(q) = diag(κ⊥ + 2k⊥(1 − cos qa), κ⊥ + 2k⊥(1 − cos qa), κ∥ + 2k∥(1 − cos qa)), so
    ω_u² = (κ_u + 4 k_u sin²(qa/2))/m; with m = 1/4π² the frequencies per period are
    √(κ_u + 4k_u sin²(πj/N)), Eq. (12). :meth:`frequencies` returns the branches ascending,
    :meth:`branch_frequencies` in (x, y, z) order.

    Parameters
    ----------
    mass : float
        Mass per site, > 0.
    a : float
        Spacing, > 0.
    k_par, k_perp : float
        Nearest-neighbour springs along and across the chain, > 0.
    kappa_par, kappa_perp : float, optional
        On-site (confining) springs, >= 0; both > 0 for W(t) to exist.
    """

    dim = 1

    def __init__(self, mass, a, k_par, k_perp, kappa_par=0.0, kappa_perp=0.0):
        self.mass = positive("mass", mass)
        self.a = positive("a", a)
        self.k_par = positive("k_par", k_par)
        self.k_perp = positive("k_perp", k_perp)
        self.kappa_par = nonnegative("kappa_par", kappa_par)
        self.kappa_perp = nonnegative("kappa_perp", kappa_perp)

    def __repr__(self):
        return (f"Chain(mass={self.mass}, a={self.a}, k_par={self.k_par}, k_perp={self.k_perp}, "
                f"kappa_par={self.kappa_par}, kappa_perp={self.kappa_perp})")

    @property
    def density(self):
        """Linear mass density m/a."""
        return self.mass / self.a

    def _q(self, q):
        q = finite_array("q", q)
        if q.ndim >= 1 and q.shape[-1] == 1:
            return q
        return q[..., None]

    def _check_kernel_exists(self):
        if self.kappa_par == 0 or self.kappa_perp == 0:
            raise ValueError("W(t) of an unconfined chain (kappa_par or kappa_perp = 0) diverges: "
                             "its zero-frequency modes have finite weight in 1D; use kappa > 0")

    def branch_frequencies(self, q):
        """Frequencies of the x, y (transverse) and z (longitudinal) branches.

        Parameters
        ----------
        q : array_like, shape (...,) or (..., 1)

        Returns
        -------
        ndarray, shape (..., 3)
        """
        q = self._q(q)[..., 0]
        s2 = np.sin(0.5 * q * self.a) ** 2
        perp = (self.kappa_perp + 4 * self.k_perp * s2) / self.mass
        par = (self.kappa_par + 4 * self.k_par * s2) / self.mass
        return np.sqrt(np.stack([perp, perp, par], axis=-1))

    def dynamical_matrix(self, q):
        """Diagonal D(q) of the chain.

        Parameters
        ----------
        q : array_like, shape (...,) or (..., 1)

        Returns
        -------
        ndarray, shape (..., 3, 3)
        """
        om = self.branch_frequencies(q)
        D = np.zeros(om.shape[:-1] + (3, 3))
        for i in range(3):
            D[..., i, i] = om[..., i] ** 2
        return D

    def bonds(self):
        """The bond table of the chain, in the convention of :meth:`CubicLattice.bonds`.

        Returns
        -------
        offsets : ndarray of int, shape (2, 3)
            ±ẑ.
        K : ndarray, shape (2, 3, 3)
            diag(k⊥, k⊥, k∥) for both bonds.
        onsite : ndarray, shape (3, 3)
            diag(κ⊥, κ⊥, κ∥).
        """
        offs = np.array([[0, 0, 1], [0, 0, -1]])
        Kb = np.diag([self.k_perp, self.k_perp, self.k_par])
        onsite = np.diag([self.kappa_perp, self.kappa_perp, self.kappa_par])
        return offs, np.stack([Kb, Kb]), onsite

    def sound_velocities(self, direction=None):
        """Sound speeds a√(k/m) (transverse, transverse, longitudinal, ascending); only an
        unconfined chain (kappa = 0) has sound.

        Parameters
        ----------
        direction : ignored
            (The chain has one direction.)

        Returns
        -------
        ndarray, shape (3,)
        """
        if self.kappa_par > 0 or self.kappa_perp > 0:
            raise ValueError("a confined chain (kappa > 0) has gapped branches and no sound")
        return np.sort(self.a * np.sqrt(np.array([self.k_perp, self.k_perp, self.k_par])
                                        / self.mass))

    @property
    def max_frequency(self):
        """The largest branch frequency √(max(κ_u + 4k_u)/m)."""
        return float(np.sqrt(max(self.kappa_perp + 4 * self.k_perp,
                                 self.kappa_par + 4 * self.k_par) / self.mass))


def lattice_bonds(framework):
    """The bond table of any framework of this module: (offsets (B, 3) int, K (B, 3, 3),
    onsite (3, 3)) with F_i = −onsite u_i − Σ_b K_b (u_i − u_{i+b}).

    Parameters
    ----------
    framework : CubicLattice or Chain

    Returns
    -------
    offsets, K, onsite : ndarray
        See :meth:`CubicLattice.bonds` and :meth:`Chain.bonds`.
    """
    if not isinstance(framework, _Framework):
        raise ValueError("framework must be a CubicLattice or a Chain, got "
                         f"{type(framework).__name__}")
    return framework.bonds()
