"""Thermal motion of the framework and time-local stochastic trajectories (rodin2025 Secs. III, VI).

Thermal sampling (rodin2025 Eq. (23) and the authors' rule): on the periodic n_grid³ mode lattice
without q = 0, every mode j = (q, branch u) gets an occupation n_j ~ Geometric(1 - e^{-Ω_j/Ω_T})
(n = 0, 1, …), an amplitude A_j = √(n_j + ½)·√(2ħ/Ω_j) and a phase φ_j uniform on [0, 2π).  The
homogeneous framework motion is

    r_H(L, t) = Re Σ_j ζ_j η_j e^{i q_j·L} e^{-iΩ_j t} / √(N m),   ζ_j = A_j e^{iφ_j},

a stationary Gaussian process (for many modes) with covariance C(t) of rodin2025 Eq. (24),
C(t) = Σ_j η_j η_jᵀ cos(q_j·ΔL) ħ coth(Ω_j/2Ω_T) cos(Ω_j t)/(2 N m Ω_j)  (:func:`covariance`).
Temperatures are given as the thermal energy kT = ħΩ_T in meV, as in the paper.

Three evaluations of r_H, ṙ_H (and r̈_H) are provided:
* :func:`at_sites` - the dense sum over all modes (NumPy; the reference);
* :func:`field` - the whole mode lattice at once by a 3D inverse FFT (rodin2025 Fig. 1(d)(e));
* :func:`corners` - the 8 corners of one cell, separably: the mode sum factorises as
  Σ_{kx} E[kx, lx] Σ_{ky} E[ky, ly] Σ_{kz} E[kz, lz] B(kx, ky, kz) with E[k, l] = e^{2πikl/n}, so the
  8 corners cost about two single-site sums (numba kernel).

:func:`trajectory` integrates rodin2025 Eqs. (18)-(20) (the force routine of
:mod:`ionmotion.timelocal`) with r_H, ṙ_H of the 8 corner masses of the cell the particle is in,
cell index taken modulo n_grid (r_H is periodic in the mode lattice), while the particle's own
coordinate is never folded.  Mode amplitudes are advanced in time by multiplying with e^{-iΩ dt}
(re-synchronised with exact exponentials every 4096 steps).  Two schemes:
* ``scheme="exact"`` - r_H, ṙ_H evaluated by the mode sum at every distinct Runge-Kutta stage time
  (t, t + dt/4, t + dt/2, t + 3dt/4, t + dt);
* ``scheme="hermite"`` (default) - the mode sum gives r_H, ṙ_H, r̈_H exactly at the step ends only;
  stage values come from the quintic Hermite interpolant (r_H) and its derivative (ṙ_H). For the
  highest mode (Ω_max dt ≈ 0.16 in the paper) the interpolation error is ~1e-9 of the amplitude,
  far below the RK5 truncation error of the particle; the tests compare the two schemes.
  With ``stride=k`` (opt-in; k = 1, the default, is the scheme just described, bit for bit) the
  exact values are computed only at block ends t_b = t0 + b·k·dt and the amplitudes are rotated
  by e^{-iΩ k dt} once per block; step j of the block takes its stage values from the quintic
  Hermite interpolant over [t_b, t_b + k dt] at s = (j + c)/k (stage node c). r_H has no power
  above Ω_max, so the error is bounded mode by mode: for a sinusoid of amplitude A and x = Ωh
  (h = k dt) the two-point Hermite remainder f⁽⁶⁾(ξ)/6!·(t−t_b)³(t−t_b−h)³ gives
  |δr_H| ≤ A x⁶/46080 and, differentiating it, |δṙ_H| ≤ AΩ (x⁵ √5/30000 + x⁶/322560).
  Both stay below 1e-5 of the mode's own amplitude (A, AΩ; hence of Σ_j|A_j| for the sum) for
  k·dt·Ω_max <= :data:`STRIDE_PHASE_LIMIT` = 0.66 (ṙ_H binds: r_H alone would allow 0.88), and
  larger strides are refused. At the paper's dt = 5 fs (Ω_max dt = 0.157) that admits k <= 4.
  The bound is reached only by the highest modes (it falls as (Ω/Ω_max)⁵ below them); it is a
  deterministic error of the thermal field far below the statistical uncertainty of anything
  a trajectory is used for (percent-level diffusion constants and temperatures). Stride 4 is
  what the diffusion chapter's paper-quality runs use (benchmarks/bench_thermal.py times it
  against stride 1).
Random numbers are drawn outside the kernels from a seeded ``numpy.random.Generator``.
"""
import functools
from dataclasses import dataclass

import numpy as np
from numba import njit

from . import timelocal as tl
from ._validate import finite_array, integer_in, positive
from .engine import RUNNING, UNSTABLE, ParticleState, Trajectory
from .timelocal import (_acceleration, _rk5_finish, _rk5_stage_input,
                        step_rate)
from .lattice import CELL_CORNERS
from .units import HBAR

STRIDE_PHASE_LIMIT = 0.66
"""Largest k·dt·Ω_max for ``trajectory(..., stride=k)``: the quintic Hermite interpolant over a
block of k steps keeps r_H and ṙ_H within 1e-5 of every mode's amplitude (module docstring)."""
STRIDE_MAX = 16

CORNER_OFFSETS = CELL_CORNERS
"""Integer offsets of the 8 corners of a cubic cell from its lowest corner (order used in W0)."""


# --------------------------------------------------------------------------------------------
# Thermal sampling
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThermalModes:
    """A thermal sample of the framework's normal modes on the periodic n_grid³ mode lattice.

    Arrays are laid out on the grid of integer wave-vector indices (kx, ky, kz), q = 2πk/(n a):
    omega (n, n, n, 3), eta (n, n, n, 3, 3) = polarisations / √(N m) (eta[..., c, u]: component c
    of branch u), zeta (n, n, n, 3) complex amplitudes at t = 0 (zero at q = 0, which is dropped),
    occupation (n, n, n, 3) integers.  kT = ħΩ_T in meV.
    """
    n_grid: int
    a: float
    mass: float
    kT: float
    omega: np.ndarray
    eta: np.ndarray
    zeta: np.ndarray
    occupation: np.ndarray

    @property
    def n_modes(self):
        return 3 * (self.n_grid**3 - 1)


@functools.lru_cache(maxsize=4)
def _mode_grid_cached(cls, mass, a, k1, k2, n_grid):
    return cls(mass, a, k1, k2).mode_grid(n_grid)


def _mode_grid(lattice, n_grid):
    """lattice.mode_grid(n_grid), memoised for CubicLattice (the 60³ grid takes seconds)."""
    try:
        return _mode_grid_cached(type(lattice), lattice.mass, lattice.a, lattice.k1, lattice.k2,
                                 n_grid)
    except AttributeError:
        return lattice.mode_grid(n_grid)


def _grid_modes(lattice, n_grid):
    """omega (n,n,n,3), unscaled eta (n,n,n,3,3) on the integer-index grid; Γ gets omega 0."""
    grid = _mode_grid(lattice, n_grid)
    k = np.rint(grid.q * lattice.a * n_grid / (2 * np.pi)).astype(int) % n_grid
    om = np.zeros((n_grid,) * 3 + (3,))
    eta = np.zeros((n_grid,) * 3 + (3, 3))
    om[k[:, 0], k[:, 1], k[:, 2]] = grid.omega
    eta[k[:, 0], k[:, 1], k[:, 2]] = grid.eta
    eta[0, 0, 0] = np.eye(3)
    return om, eta


def sample_modes(lattice, n_grid, kT, rng):
    """Draw occupations and phases of every mode (rodin2025 Eq. (23)); returns :class:`ThermalModes`.

    lattice: :class:`ionmotion.lattice.CubicLattice`; n_grid >= 2 (the paper: 20, 23997 modes);
    kT = ħΩ_T > 0 in meV; rng: ``numpy.random.Generator`` (draws occupations, then phases).
    """
    n_grid = integer_in("n_grid", n_grid, 2)
    kT = positive("kT (ħΩ_T in meV; T must be > 0)", kT)
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (e.g. np.random.default_rng(seed))")
    om, eta = _grid_modes(lattice, n_grid)
    live = om > 0
    live[0, 0, 0] = False
    x = HBAR * om[live] / kT
    p = -np.expm1(-x)
    occ = np.zeros(om.shape, dtype=np.int64)
    occ[live] = rng.geometric(p) - 1
    phase = np.zeros(om.shape)
    phase[live] = rng.uniform(0.0, 2 * np.pi, size=int(live.sum()))
    amp = np.zeros(om.shape)
    amp[live] = np.sqrt(occ[live] + 0.5) * np.sqrt(2 * HBAR / om[live])
    zeta = amp * np.exp(1j * phase)
    N = n_grid**3
    return ThermalModes(n_grid=n_grid, a=lattice.a, mass=lattice.mass, kT=kT, omega=om,
                        eta=eta / np.sqrt(N * lattice.mass), zeta=zeta, occupation=occ)


def covariance(lattice, n_grid, kT, t=0.0, separation=(0, 0, 0)):
    """Displacement and velocity covariance (3×3 each) of rodin2025 Eq. (24) on the n_grid³ modes.

    C(t) = Σ_j η_j η_jᵀ cos(q_j·ΔL) ħ coth(Ω_j/2Ω_T) cos(Ω_j t)/(2 N m Ω_j); the velocity covariance
    ⟨ṙ(t) ṙ(0)ᵀ⟩ has an extra Ω_j². Returns (C_r, C_v), shape (3, 3) or (len(t), 3, 3).
    """
    n_grid = integer_in("n_grid", n_grid, 2)
    kT = positive("kT (ħΩ_T in meV; T must be > 0)", kT)
    t_arr = finite_array("t", t)
    grid = _mode_grid(lattice, n_grid)
    L = lattice._separation(separation)
    om = grid.omega
    x = HBAR * om / kT
    coth = 1.0 / np.tanh(0.5 * x)
    coef = HBAR * coth / (2 * n_grid**3 * lattice.mass * om)
    coef = coef * np.cos(grid.q @ L)[:, None]
    tt = np.atleast_1d(t_arr)
    cos_t = np.cos(om[None, :, :] * tt[:, None, None])  # (T, M, 3)
    Cr = np.einsum("tju,ju,jau,jbu->tab", cos_t, coef, grid.eta, grid.eta)
    Cv = np.einsum("tju,ju,jau,jbu->tab", cos_t, coef * om**2, grid.eta, grid.eta)
    if t_arr.ndim == 0:
        return Cr[0], Cv[0]
    return Cr, Cv


def classical_temperature_ratio(lattice, n_grid, kT):
    """Mean energy per mode of the sampled framework over ħΩ_T: ⟨(x/2) coth(x/2)⟩, x = ħΩ/ħΩ_T,
    averaged over the n_grid³ − 1 wave vectors × 3 branches (q = 0 dropped).

    The sampling rule gives every mode the quantum mean energy ħΩ(n̄ + ½), zero point included,
    and a harmonic lattice evolved classically from such a sample (the full thermal reference)
    keeps each mode's energy: its modes never exchange energy. In a monatomic cubic lattice every
    mode has equal weight at every site, so each mass's kinetic temperature m⟨v_c²⟩ equals the
    mean mode energy, this ratio × ħΩ_T; a particle colliding with the masses is driven towards
    it (approximately: it couples to the modes with frequency-dependent weights). The ratio is 1
    when ħΩ_max ≪ ħΩ_T and the mean zero-point energy ⟨ħΩ⟩/2 over ħΩ_T when ħΩ_T → 0.
    :func:`sample_energy_ratio` gives the same mean for one sample."""
    n_grid = integer_in("n_grid", n_grid, 2)
    kT = positive("kT (ħΩ_T in meV; T must be > 0)", kT)
    x = HBAR * _mode_grid(lattice, n_grid).omega / kT
    return float(np.mean(0.5 * x / np.tanh(0.5 * x)))


def sample_energy_ratio(modes):
    """Mean energy per mode of one thermal sample over ħΩ_T: ⟨ħΩ_j (n_j + ½)⟩ / ħΩ_T over its
    live modes (q = 0 dropped); its ensemble mean is :func:`classical_temperature_ratio`."""
    if not isinstance(modes, ThermalModes):
        raise ValueError("modes must be a ThermalModes sample (ionmotion.thermal.sample_modes)")
    live = modes.omega > 0
    return float(np.mean(HBAR * modes.omega[live] * (modes.occupation[live] + 0.5)) / modes.kT)


def maxwell_boltzmann(x, sigma):
    """Distribution of |v| for a 3D isotropic Gaussian of per-component variance σ²:
    4πx² exp(-x²/2σ²)/(2πσ²)^{3/2} (rodin2025 Sec. III)."""
    x = np.asarray(x, float)
    sigma = positive("sigma", sigma)
    return 4 * np.pi * x**2 * np.exp(-0.5 * x**2 / sigma**2) / (2 * np.pi * sigma**2) ** 1.5


# --------------------------------------------------------------------------------------------
# Evaluating r_H: dense reference, FFT field, separable corner kernel
# --------------------------------------------------------------------------------------------


def _amplitudes(modes, t):
    """B_p(q) = Σ_u ζ_u e^{-iΩ_u t} η_u Ω_u^p for p = 0, 1, 2: arrays (n, n, n, 3) complex."""
    z = modes.zeta * np.exp(-1j * modes.omega * t)
    return [np.einsum("...cu,...u->...c", modes.eta, z * modes.omega**p) for p in range(3)]


def at_sites(modes, sites, t=0.0):
    """r_H, ṙ_H (each (k, 3)) at integer lattice sites (k, 3) and time t: the dense mode sum.

    This is the straightforward evaluation (every phase factor times every mode amplitude); it is
    the reference for :func:`corners` and :func:`field` and the baseline of the benchmark.
    """
    sites = np.atleast_2d(finite_array("sites", sites, shape_tail=(3,)))
    t = float(finite_array("t", t))
    n = modes.n_grid
    k = np.stack(np.meshgrid(*(np.arange(n),) * 3, indexing="ij"), -1).reshape(-1, 3)
    ph = np.exp(2j * np.pi * (sites @ k.T) / n)            # (sites, modes)
    z = (modes.zeta * np.exp(-1j * modes.omega * t)).reshape(-1, 3)
    eta = modes.eta.reshape(-1, 3, 3)
    om = modes.omega.reshape(-1, 3)
    Bp = np.einsum("jcu,ju->jc", eta, z)
    Bv = np.einsum("jcu,ju->jc", eta, z * om)
    r = (ph @ Bp).real
    v = (ph @ Bv).imag
    return r, v


def field(modes, t=0.0):
    """r_H and ṙ_H on the whole periodic mode lattice (n, n, n, 3) at time t, by inverse FFT."""
    t = float(finite_array("t", t))
    Bp, Bv, _ = _amplitudes(modes, t)
    N = modes.n_grid**3
    r = np.fft.ifftn(Bp, axes=(0, 1, 2)).real * N
    v = np.fft.ifftn(Bv, axes=(0, 1, 2)).imag * N
    return r, v


def _phase_table(n):
    k = np.arange(n)
    E = np.exp(2j * np.pi * np.outer(k, k) / n)
    return np.ascontiguousarray(E.real), np.ascontiguousarray(E.imag)


def _pencil_layout(modes, npow=3):
    """Kernel layout: omega (n, n, 3, n) [kx, ky, u, kz] and coef (n, n, 3, 3·npow, n) with
    coef[kx, ky, u, 3p + c, kz] = η_cu Ω_u^p (η already divided by √(N m)); kz is innermost so
    the inner loops run over contiguous memory (SIMD)."""
    om = np.ascontiguousarray(np.transpose(modes.omega, (0, 1, 3, 2)))
    eta = np.transpose(modes.eta, (0, 1, 4, 3, 2))            # [kx, ky, u, c, kz]
    coef = np.concatenate([eta * om[:, :, :, None, :] ** p for p in range(npow)], axis=3)
    return om, np.ascontiguousarray(coef)


def _z_layout(z):
    return (np.ascontiguousarray(np.transpose(z.real, (0, 1, 3, 2))),
            np.ascontiguousarray(np.transpose(z.imag, (0, 1, 3, 2))))


@njit(cache=True, inline="always")
def _pencil_amplitudes(z, rot, coef, kx, ky, nc, w, B):
    """B[m, kz] = Σ_u coef[kx, ky, u, m, kz] z_u(kz) for one (kx, ky) pencil, with z = (zr + i
    zi)·rot when rot[2] (use_rot) is set; w = (wr, wi), B = (Br, Bi) work arrays."""
    zr, zi = z
    rotr, roti, use_rot = rot
    wr, wi = w
    Br, Bi = B
    n = zr.shape[0]
    for m in range(nc):
        for kz in range(n):
            Br[m, kz] = 0.0
            Bi[m, kz] = 0.0
    for u in range(3):
        if use_rot:
            for kz in range(n):
                ar = zr[kx, ky, u, kz]
                ai = zi[kx, ky, u, kz]
                rr = rotr[kx, ky, u, kz]
                ri = roti[kx, ky, u, kz]
                wr[kz] = ar * rr - ai * ri
                wi[kz] = ar * ri + ai * rr
        else:
            for kz in range(n):
                wr[kz] = zr[kx, ky, u, kz]
                wi[kz] = zi[kx, ky, u, kz]
        for m in range(nc):
            for kz in range(n):
                e = coef[kx, ky, u, m, kz]
                Br[m, kz] += e * wr[kz]
                Bi[m, kz] += e * wi[kz]


@njit(cache=True, inline="always")
def _kz_sums(B, E, lz, nc, C):
    """C[dz, m] = Σ_kz B[m, kz] e^{2πi kz lz[dz]/n} for the two z layers of the cell."""
    Br, Bi = B
    Er, Ei = E
    Cr, Ci = C
    n = Br.shape[1]
    for dz in range(2):
        l = lz[dz]
        for m in range(nc):
            sr = 0.0
            si = 0.0
            for kz in range(n):
                er = Er[l, kz]
                ei = Ei[l, kz]
                sr += Br[m, kz] * er - Bi[m, kz] * ei
                si += Br[m, kz] * ei + Bi[m, kz] * er
            Cr[dz, m] = sr
            Ci[dz, m] = si


@njit(cache=True, inline="always")
def _phase_accumulate(X, E, l, k, nc, Y, j0, stride):
    """Y[j0 + stride·d + j] += X[j] e^{2πi k l[d]/n} for d = 0, 1 (one more sum over k)."""
    Xr, Xi = X
    Er, Ei = E
    Yr, Yi = Y
    nj = Xr.shape[0]
    for d in range(2):
        er = Er[l[d], k]
        ei = Ei[l[d], k]
        for j in range(nj):
            for m in range(nc):
                Yr[j0 + stride * d + j, m] += Xr[j, m] * er - Xi[j, m] * ei
                Yi[j0 + stride * d + j, m] += Xr[j, m] * ei + Xi[j, m] * er


@njit(cache=True, fastmath=True)
def _corner_kernel(z, rot, coef, E, cell, npow, out):
    """Mode sums at the 8 corners (cx + dx, cy + dy, cz + dz), d ∈ {0, 1}, of one cell.

    Layout [kx, ky, u, kz] (see :func:`_pencil_layout`); z = (zr, zi), rot = (rotr, roti,
    use_rot): the complex mode amplitudes at the wanted time are (zr + i zi)·rot (if use_rot);
    E = (Er, Ei) the phase table; cell = (cx, cy, cz). With S_m(L) = Σ_q Σ_u coef_um z_u e^{iq·L}:
    out[0] = Re S_{0..2} = r_H, out[1] = Im S_{3..5} = ṙ_H, out[2] = -Re S_{6..8} = r̈_H
    (npow = 3; npow = 2 skips r̈_H). The kz sum is done first for both dz, then ky, then kx.
    """
    n = z[0].shape[0]
    nc = 3 * npow
    lx = (cell[0] % n, (cell[0] + 1) % n)
    ly = (cell[1] % n, (cell[1] + 1) % n)
    lz = (cell[2] % n, (cell[2] + 1) % n)
    F = (np.zeros((8, nc)), np.zeros((8, nc)))
    D = (np.empty((4, nc)), np.empty((4, nc)))          # rows 2·dy + dz
    C = (np.empty((2, nc)), np.empty((2, nc)))
    B = (np.empty((nc, n)), np.empty((nc, n)))
    w = (np.empty(n), np.empty(n))
    for kx in range(n):
        D[0][:, :] = 0.0
        D[1][:, :] = 0.0
        for ky in range(n):
            _pencil_amplitudes(z, rot, coef, kx, ky, nc, w, B)
            _kz_sums(B, E, lz, nc, C)
            _phase_accumulate(C, E, ly, ky, nc, D, 0, 2)
        _phase_accumulate(D, E, lx, kx, nc, F, 0, 4)
    Fr, Fi = F
    for j in range(8):
        for c in range(3):
            out[0, j, c] = Fr[j, c]
            out[1, j, c] = Fi[j, 3 + c]
            if npow == 3:
                out[2, j, c] = -Fr[j, 6 + c]
    return out


def corners(modes, cell, t=0.0):
    """r_H, ṙ_H, r̈_H (each (8, 3)) at the corners cell + CORNER_OFFSETS at time t (fast kernel).

    `cell` is the integer index of the cell's lowest corner (any integers; periodic mod n_grid).
    """
    cell = np.asarray(cell)
    if cell.shape != (3,) or np.any(cell != np.round(cell)):
        raise ValueError("cell must be 3 integers")
    t = float(finite_array("t", t))
    zr, zi = _z_layout(modes.zeta * np.exp(-1j * modes.omega * t))
    _, coef = _pencil_layout(modes)
    Er, Ei = _phase_table(modes.n_grid)
    out = np.zeros((3, 8, 3))
    dummy = np.zeros((1, 1, 1, 1))
    _corner_kernel((zr, zi), (dummy, dummy, False), coef, (Er, Ei),
                   (int(cell[0]), int(cell[1]), int(cell[2])), 3, out)
    return out[0], out[1], out[2]


# --------------------------------------------------------------------------------------------
# Time-local stochastic trajectory
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def _hermite(y0, d0, a0, y1, d1, a1, h, s, outy, outd):
    """Quintic Hermite interpolation on [0, h] at fraction s: value and derivative."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    s5 = s4 * s
    H0 = 1 - 10 * s3 + 15 * s4 - 6 * s5
    H1 = s - 6 * s3 + 8 * s4 - 3 * s5
    H2 = 0.5 * (s2 - 3 * s3 + 3 * s4 - s5)
    H3 = 10 * s3 - 15 * s4 + 6 * s5
    H4 = -4 * s3 + 7 * s4 - 3 * s5
    H5 = 0.5 * (s3 - 2 * s4 + s5)
    dH0 = -30 * s2 + 60 * s3 - 30 * s4
    dH1 = 1 - 18 * s2 + 32 * s3 - 15 * s4
    dH2 = 0.5 * (2 * s - 9 * s2 + 12 * s3 - 5 * s4)
    dH3 = 30 * s2 - 60 * s3 + 30 * s4
    dH4 = -12 * s2 + 28 * s3 - 15 * s4
    dH5 = 0.5 * (3 * s2 - 8 * s3 + 5 * s4)
    for j in range(y0.shape[0]):
        for c in range(3):
            outy[j, c] = (H0 * y0[j, c] + h * H1 * d0[j, c] + h * h * H2 * a0[j, c]
                          + H3 * y1[j, c] + h * H4 * d1[j, c] + h * h * H5 * a1[j, c])
            outd[j, c] = (dH0 * y0[j, c] + h * dH1 * d0[j, c] + h * h * dH2 * a0[j, c]
                          + dH3 * y1[j, c] + h * dH4 * d1[j, c] + h * h * dH5 * a1[j, c]) / h


@njit(cache=True)
def _sync(zeta_r, zeta_i, om, t, zr, zi):
    """Exact mode amplitudes ζ e^{-iΩt} (re-synchronisation of the rotated amplitudes)."""
    ph = -om * t
    c = np.cos(ph)
    s = np.sin(ph)
    zr[...] = zeta_r * c - zeta_i * s
    zi[...] = zeta_r * s + zeta_i * c


@njit(cache=True)
def _rotations(om, dt):
    """Per-quarter-step rotations e^{-iΩ c dt}, c = 1/4, 1/2, 3/4, 1: (rot_r, rot_i), each
    (4,) + om.shape."""
    rot_r = np.empty((4,) + om.shape)
    rot_i = np.empty((4,) + om.shape)
    for q in range(4):
        ph = -om * (dt * 0.25 * (q + 1))
        rot_r[q] = np.cos(ph)
        rot_i[q] = np.sin(ph)
    return rot_r, rot_i


@njit(cache=True, inline="always")
def _corner_cell(Rs, a, sites):
    """Cell (cx, cy, cz) holding Rs; sites ← positions of its 8 corners (CORNER_OFFSETS order)."""
    cx = int(np.floor(Rs[0] / a))
    cy = int(np.floor(Rs[1] / a))
    cz = int(np.floor(Rs[2] / a))
    for j in range(8):
        sites[j, 0] = a * (cx + j // 4)
        sites[j, 1] = a * (cy + (j // 2) % 2)
        sites[j, 2] = a * (cz + j % 2)
    return cx, cy, cz


@njit(cache=True, inline="always")
def _set_key(key, slot, cx, cy, cz, tag):
    key[slot, 0] = cx
    key[slot, 1] = cy
    key[slot, 2] = cz
    key[slot, 3] = tag


@njit(cache=True)
def _hermite_slot(cache, zs, cx, cy, cz, step, ctr):
    """Cache slot holding the cell's corner values (r_H, ṙ_H, r̈_H) at the start (data0) and the
    end (data1) of this block (`step` is the block index; a block is one step when stride = 1).
    A slot filled at the previous block moves its end values to the start and evaluates only the
    new end (amplitudes zr, zi are at the block's start; zs[11], zs[12] rotate them by the block
    length); a new cell costs two mode sums (ctr[1] counts them). cache = (key (NS, 4), data0,
    data1 (NS, 3, 8, 3), tmp (3, 8, 3)); ctr[3] the next slot."""
    key, data0, data1, tmp = cache
    zr, zi, rot_r, rot_i, coef, Er, Ei = zs[3], zs[4], zs[11], zs[12], zs[7], zs[9], zs[10]
    for k in range(key.shape[0]):
        if key[k, 0] == cx and key[k, 1] == cy and key[k, 2] == cz:
            if key[k, 3] == step:
                return k
            if key[k, 3] == step - 1:  # end of last step = start of this one
                data0[k] = data1[k]
                _corner_kernel((zr, zi), (rot_r, rot_i, True), coef, (Er, Ei), (cx, cy, cz), 3,
                               tmp)
                data1[k] = tmp
                ctr[1] += 1
                key[k, 3] = step
                return k
    slot = ctr[3]
    ctr[3] = (slot + 1) % key.shape[0]
    dummy = np.zeros((1, 1, 1, 1))
    _corner_kernel((zr, zi), (dummy, dummy, False), coef, (Er, Ei), (cx, cy, cz), 3, tmp)
    data0[slot] = tmp
    _corner_kernel((zr, zi), (rot_r, rot_i, True), coef, (Er, Ei), (cx, cy, cz), 3, tmp)
    data1[slot] = tmp
    ctr[1] += 2
    _set_key(key, slot, cx, cy, cz, step)
    return slot


@njit(cache=True)
def _exact_slot(cache, zs, cx, cy, cz, tag, qi, ctr):
    """Cache slot holding the cell's corner values (r_H, ṙ_H) at the stage time with this tag
    (4·step + 4c), evaluated by one mode sum if missing (qi: index of the stage's rotation,
    −1 for the step's start)."""
    key, data0, data1, tmp = cache
    zr, zi, rot_r, rot_i, coef2, Er, Ei = zs[3], zs[4], zs[5], zs[6], zs[8], zs[9], zs[10]
    for k in range(key.shape[0]):
        if key[k, 0] == cx and key[k, 1] == cy and key[k, 2] == cz and key[k, 3] == tag:
            return k
    slot = ctr[3]
    ctr[3] = (slot + 1) % key.shape[0]
    if qi < 0:
        dummy = np.zeros((1, 1, 1, 1))
        _corner_kernel((zr, zi), (dummy, dummy, False), coef2, (Er, Ei), (cx, cy, cz), 2, tmp)
    else:
        _corner_kernel((zr, zi), (rot_r[qi], rot_i[qi], True), coef2, (Er, Ei), (cx, cy, cz), 2,
                       tmp)
    data0[slot] = tmp
    ctr[1] += 1
    _set_key(key, slot, cx, cy, cz, tag)
    return slot


@njit(cache=True, inline="always")
def _copy_frame(d, rH, vH):
    for j in range(8):
        for c in range(3):
            rH[j, c] = d[0, j, c]
            vH[j, c] = d[1, j, c]


@njit(cache=True)
def _stage_frame(cache, zs, cx, cy, cz, step, cs, ctrl, rH, vH, ctr):
    """r_H, ṙ_H of the 8 corners of cell (cx, cy, cz) at the stage time t_step + cs·dt; hermite:
    from the block's end values at fraction s = (j + cs)/k of the block (step = b·k + j)."""
    key, data0, data1, tmp = cache
    dt, hermite, k = ctrl[0], ctrl[4], ctrl[6]
    if not hermite:
        q = int(round(4 * cs))
        _copy_frame(data0[_exact_slot(cache, zs, cx, cy, cz, 4 * step + q, q - 1, ctr)], rH, vH)
        return
    slot = _hermite_slot(cache, zs, cx, cy, cz, step // k, ctr)
    s = (step % k + cs) / k
    if s == 0.0:
        _copy_frame(data0[slot], rH, vH)
    elif s == 1.0:
        _copy_frame(data1[slot], rH, vH)
    else:
        _hermite(data0[slot, 0], data0[slot, 1], data0[slot, 2], data1[slot, 0],
                 data1[slot, 1], data1[slot, 2], k * dt, s, rH, vH)


@njit(cache=True)
def _advance_amplitudes(zr, zi, rot_r, rot_i):
    """Mode amplitudes by one step: z ← z·e^{-iΩ dt} (rot = the full-step rotation)."""
    d0, d1, d2, d3 = zr.shape
    for i0 in range(d0):
        for i1 in range(d1):
            for i2 in range(d2):
                for i3 in range(d3):
                    xr = zr[i0, i1, i2, i3]
                    xi = zi[i0, i1, i2, i3]
                    rr = rot_r[i0, i1, i2, i3]
                    ri = rot_i[i0, i1, i2, i3]
                    zr[i0, i1, i2, i3] = xr * rr - xi * ri
                    zi[i0, i1, i2, i3] = xr * ri + xi * rr


@njit(cache=True, inline="always")
def _cell_changed(R, a, last):
    """True if R left the cell recorded in last (updated)."""
    changed = False
    for c in range(3):
        cc = int(np.floor(R[c] / a))
        if cc != last[c]:
            changed = True
        last[c] = cc
    return changed


@njit(cache=True)
def _rk5_part(step, c0, frac, ps, zs, cache, pair, model, ctrl, ctr, first):
    """One Butcher RK5 step of length frac·dt from stage fraction c0 of step `step` (the whole
    step: c0 = 0, frac = 1); first = (have, rate, growth): with have, stage 0 is already in
    kR[0], kV[0] (:func:`_stage_zero`). Returns the particle's rate and this step's growth."""
    R, V, last, sites, rH, vH, work = ps
    g, H, reff, Htot, kR, kV, Rs, Vs, acc = work
    dt, a = ctrl[0], ctrl[1]
    h = frac * dt
    rate, growth = 0.0, 1.0
    for s in range(6):
        _rk5_stage_input(R, V, s, h, kR, kV, Rs, Vs)
        if s == 0 and first[0]:
            rate, growth = first[1], first[2]
            continue
        cx, cy, cz = _corner_cell(Rs, a, sites)
        _stage_frame(cache, zs, cx, cy, cz, step, c0 + frac * _C[s], ctrl, rH, vH, ctr)
        _acceleration(Rs, Vs, sites, rH, vH, pair, model, (g, H, reff, Htot), acc)
        if s == 0:
            rate, growth = step_rate(Htot, model, _NO_LINE, h)
        for c in range(3):
            kR[s, c] = Vs[c]
            kV[s, c] = acc[c]
    _rk5_finish(R, V, h, kR, kV)
    return rate, growth


@njit(cache=True)
def _thermal_step(step, ps, zs, cache, pair, model, ctrl, ctr):
    """One RK5 step of the thermal time-local equation; returns the particle's rate and the step's
    growth factor at the step's start (stability guard, :func:`ionmotion.timelocal.step_rate`).
    ps = (R, V, last cell, corner sites, rH, vH, RK5 work);
    ctrl = (dt, a, t0, save_every, hermite, resync, stride k, max substeps, count unstable
    passes instead of stopping). The amplitudes
    zs[3], zs[4] hold the start of the current block of k steps: re-synchronised at the first
    block start at or after every multiple of `resync` steps, rotated by zs[11], zs[12] after a
    block's last step. A step at whose start dt·rate of the particle exceeds RK5's stability
    limit (:data:`ionmotion.timelocal.STABILITY_LIMIT`, where the step stops being accurate and
    soon stable) is replaced, when max substeps > 1 (hermite only), by m equal RK5 substeps with
    dt·rate/m <= the limit, m <= max substeps; their stage values of r_H come from the same
    interpolant."""
    R, V, last, sites, rH, vH, work = ps
    dt, a, t0, save_every, hermite, resync, k, max_sub, _ = ctrl
    if step > 0 and step % k == 0 and (step // k) % max(1, resync // k) == 0:
        _sync(zs[0], zs[1], zs[2], t0 + step * dt, zs[3], zs[4])
    rate, growth = _stage_zero(step, ps, zs, cache, pair, model, ctrl, ctr)
    if rate * dt <= tl.STABILITY_LIMIT or max_sub <= 1 or not hermite:
        rate, growth = _rk5_part(step, 0.0, 1.0, ps, zs, cache, pair, model, ctrl, ctr,
                                 (True, rate, growth))
    else:
        m = min(max_sub, int(np.ceil(rate * dt / tl.STABILITY_LIMIT)))
        for i in range(m):
            rate, growth = _rk5_part(step, i / m, 1.0 / m, ps, zs, cache, pair, model, ctrl,
                                     ctr, (False, 0.0, 1.0))
            rate = rate * m          # the guard multiplies by dt, not dt/m
        ctr[4] += 1
    if step % k == k - 1:
        _advance_amplitudes(zs[3], zs[4], zs[11], zs[12])
    if _cell_changed(R, a, last):
        ctr[2] += 1
    return rate, growth


@njit(cache=True)
def _stage_zero(step, ps, zs, cache, pair, model, ctrl, ctr):
    """Stage 0 of the step (the state at its start): writes kR[0], kV[0]; returns (rate, growth)
    of a full step dt (:func:`ionmotion.timelocal.step_rate`)."""
    R, V, last, sites, rH, vH, work = ps
    g, H, reff, Htot, kR, kV, Rs, Vs, acc = work
    cx, cy, cz = _corner_cell(R, ctrl[1], sites)
    _stage_frame(cache, zs, cx, cy, cz, step, 0.0, ctrl, rH, vH, ctr)
    _acceleration(R, V, sites, rH, vH, pair, model, (g, H, reff, Htot), acc)
    for c in range(3):
        kR[0, c] = V[c]
        kV[0, c] = acc[c]
    return step_rate(Htot, model, _NO_LINE, ctrl[0])


@njit(cache=True)
def _thermal_chunk(n0, n1, ps, zs, cache, pair, model, ctrl, out, ctr, fl):
    """Steps n0 … n1−1 of :func:`trajectory` (the state carried between chunks: ps, the rotated
    amplitudes in zs, the corner cache). ctr = [next output row, mode evaluations, cell changes,
    next cache slot, substepped steps, unstable passes]; fl = the stability guard's state (:func:`ionmotion.timelocal.guard`)."""
    R, V = ps[0], ps[1]
    dt, save_every = ctrl[0], ctrl[3]
    R_out, V_out = out
    for step in range(n0, n1):
        rate, growth = _thermal_step(step, ps, zs, cache, pair, model, ctrl, ctr)
        if tl.guard(rate * dt, growth, fl):
            if not ctrl[8]:
                return UNSTABLE
            if fl[1] - np.log(growth) <= np.log(tl.GROWTH_LIMIT):   # this step crossed it
                ctr[5] += 1
        if (step + 1) % save_every == 0:
            R_out[ctr[0]] = R
            V_out[ctr[0]] = V
            ctr[0] += 1
    return RUNNING


_C = tl.BUTCHER_C
_NO_LINE = np.zeros(3)


def corner_response(lattice, n_quad=None, n_grid=None):
    """W0 (24 × 24): static response V⁻¹ among the 8 corners of a cell (infinite lattice by
    default; n_grid for the periodic n_grid³ lattice), in CORNER_OFFSETS order."""
    return tl.static_response_block(lattice, CORNER_OFFSETS, n_grid=n_grid, n_quad=n_quad)


def _thermal_state(R0, V0, modes, dt, t0, stride=1):
    """Kernel inputs of :func:`trajectory`: particle state ps, mode arrays zs (ζ, Ω, the
    amplitudes rotated to t0, quarter-step rotations, pencil coefficients, phase table, the
    block rotation e^{-iΩ·stride·dt}) and the corner cache."""
    st = ParticleState.start(R0, V0, t0)
    last = np.floor(st.R / modes.a).astype(np.int64)
    ps = (st.R, st.V, last, np.empty((8, 3)), np.empty((8, 3)), np.empty((8, 3)), tl.rk5_work(8))
    Er, Ei = _phase_table(modes.n_grid)
    om, coef = _pencil_layout(modes)
    zeta_r, zeta_i = _z_layout(modes.zeta)
    zr, zi = np.empty(om.shape), np.empty(om.shape)
    _sync(zeta_r, zeta_i, om, t0, zr, zi)
    rot_r, rot_i = _rotations(om, dt)
    coef2 = np.ascontiguousarray(coef[:, :, :, :6, :])
    if stride == 1:
        blk_r, blk_i = rot_r[3], rot_i[3]
    else:
        blk_r, blk_i = np.cos(-om * (dt * stride)), np.sin(-om * (dt * stride))
    zs = (zeta_r, zeta_i, om, zr, zi, rot_r, rot_i, coef, coef2, Er, Ei, blk_r, blk_i)
    NS = 8
    cache = (np.full((NS, 4), -(2**62), dtype=np.int64), np.zeros((NS, 3, 8, 3)),
             np.zeros((NS, 3, 8, 3)), np.zeros((3, 8, 3)))
    return st, ps, zs, cache


def _check_stride(stride, scheme, dt, omega_max):
    """stride as an int in 1..STRIDE_MAX, > 1 only for the hermite scheme and only while the
    block's phase k·dt·Ω_max stays within STRIDE_PHASE_LIMIT (interpolation error <= 1e-5)."""
    k = integer_in("stride", stride, 1, STRIDE_MAX)
    if k > 1 and scheme != "hermite":
        raise ValueError(f"stride must be 1 for scheme {scheme!r} (stride > 1 interpolates r_H; "
                         f"use scheme='hermite')")
    if k > 1 and k * dt * omega_max > STRIDE_PHASE_LIMIT:
        raise ValueError(f"stride = {k} is too long a block: k·dt·Ω_max = {k * dt * omega_max:.3g} "
                         f"> {STRIDE_PHASE_LIMIT} (quintic Hermite error of r_H, ṙ_H above 1e-5 "
                         f"of the mode amplitude); use stride <= "
                         f"{max(1, int(STRIDE_PHASE_LIMIT / (dt * omega_max)))}")
    return k


def trajectory(R0, V0, M, potential, modes, W0, drag, dt, n_steps, save_every=1, t0=0.0,
               scheme="hermite", form="rodin2025", return_stats=False, stride=1,
               max_substeps=1, unstable="raise"):
    """Time-local stochastic trajectory: rodin2025 Eqs. (18)-(20) with thermal r_H, ṙ_H.

    R0, V0 (3,) initial state (the paper: cell centre, at rest); M particle mass; potential a
    pair potential; modes a :class:`ThermalModes` sample (its lattice constant defines the cells);
    W0 (24, 24) from :func:`corner_response`; drag 𝓛 (3, 3); dt, n_steps Butcher RK5 steps;
    save_every output stride; t0 the time at which the mode phases start; scheme "hermite" or
    "exact" (module docstring); stride k (hermite only, integer 1..16, k·dt·Ω_max <=
    :data:`STRIDE_PHASE_LIMIT`): exact corner values every k steps, interpolated in between
    (module docstring; k = 1 is the default scheme, unchanged); max_substeps (hermite only,
    integer 1..64): a step at whose start dt·rate of the particle exceeds RK5's stability limit
    0.85 (a close approach to a framework mass, where the fixed step is inaccurate and soon
    amplifies the motion) is taken as m <= max_substeps equal RK5 substeps with
    m·0.85 >= dt·rate; 1 (the default) keeps every step at dt, rodin2025's fixed step.
    unstable: "raise" (default) stops the run with a ValueError when a pass through steps outside
    RK5's stability region grows the linearised motion by more than
    :data:`ionmotion.timelocal.GROWTH_LIMIT`; "count" integrates on, as rodin2025's fixed-step
    scheme does, and counts such passes (stats "unstable_passes"). Returns a
    :class:`~ionmotion.engine.Trajectory` that unpacks as t, R, V (and, with return_stats, the
    stats {mode_evaluations, cell_changes} as a fourth item; they are also in its extras).
    Raises ValueError for a dt above the RK5 stability limit of the fastest framework mode or of
    the particle (at the start or along the path), and for a stride out of range or too long.
    """
    if not isinstance(modes, ThermalModes):
        raise ValueError("modes must be a ThermalModes sample (thermal.sample_modes)")
    R0, V0, M, dt, _, W0, drag = tl._validate_common(R0, V0, M, potential,
                                                     CORNER_OFFSETS * modes.a, W0, drag, dt, form)
    n_steps, save_every, n_out = tl.output_rows(n_steps, save_every)
    if scheme not in ("hermite", "exact"):
        raise ValueError(f"scheme must be 'hermite' or 'exact', got {scheme!r}")
    t0 = float(finite_array("t0", t0))
    stride = _check_stride(stride, scheme, dt, float(modes.omega.max()))
    max_substeps = integer_in("max_substeps", max_substeps, 1, 64)
    if unstable not in ("raise", "count"):
        raise ValueError(f"unstable must be 'raise' or 'count', got {unstable!r}")
    tl.check_time_step(dt, float(modes.omega.max()), "the fastest framework mode")
    cell = np.floor(R0 / modes.a)
    tl.check_time_step(dt, tl.fastest_rate(R0, V0, potential, (cell + CORNER_OFFSETS) * modes.a,
                                           drag, M))
    st, ps, zs, cache = _thermal_state(R0, V0, modes, dt, t0, stride)
    R_out, V_out = np.empty((n_out, 3)), np.empty((n_out, 3))
    R_out[0], V_out[0] = st.R, st.V
    pair = (potential.code, float(potential.amp), float(potential.lam))
    model = tl.rk5_model(W0, drag, M, form)
    ctrl = (dt, float(modes.a), t0, save_every, scheme == "hermite", 4096, stride, max_substeps,
            unstable == "count")
    stats = np.array([1, 0, 0, 0, 0, 0], np.int64)

    def chunk(n0, n1, fl):
        return _thermal_chunk(n0, n1, ps, zs, cache, pair, model, ctrl, (R_out, V_out), stats, fl)

    tl.run_rk5(chunk, n_steps, dt, "thermal time-local particle")
    if not (np.all(np.isfinite(R_out)) and np.all(np.isfinite(V_out))):
        raise ValueError("the trajectory diverged (non-finite values); reduce dt")
    st.step, st.t = n_steps, t0 + dt * n_steps
    info = {"mode_evaluations": int(stats[1]), "cell_changes": int(stats[2]),
            "substepped_steps": int(stats[4]), "unstable_passes": int(stats[5])}
    return Trajectory(t=t0 + dt * save_every * np.arange(n_out), R=R_out, V=V_out, R_final=st.R,
                      V_final=st.V, n_steps=n_steps, engine="thermal", extras=dict(info, stats=info),
                      unpack=("t", "R", "V", "stats") if return_stats else ("t", "R", "V"))


def trajectory_reference(R0, V0, M, potential, modes, W0, drag, dt, n_steps, t0=0.0):
    """Plain NumPy reference of :func:`trajectory` (scheme "exact"): dense r_H at every stage,
    stepped by the one NumPy RK5 (:func:`ionmotion.timelocal.rk5_reference`)."""
    a = modes.a

    def f(t, R, V):
        idx = np.floor(R / a).astype(int) + CORNER_OFFSETS
        rH, vH = at_sites(modes, idx, t)
        return tl.acceleration_reference(R, V, potential, idx * a, W0, drag, M, rH=rH, vH=vH)

    return tl.rk5_reference(f, R0, V0, dt, n_steps, t0)

