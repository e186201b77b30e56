"""Frequency-resolved drag of the framework and the fluctuation–dissipation balance of the
time-local equation (the book's "Beyond the papers" part; not in the papers).

The recoil kernel between framework masses j and k (rodin2025 Eq. (22)),
W_jk(t) = Σ_l w_l cos(q_l·L_jk) η_l η_lᵀ cos(Ω_l t)/(m Ω_l²), has the one-sided transform

    𝓛_jk(ω) = Re ∫_0^∞ W_jk(t) e^{iωt} dt = (π/2) Σ_l w_l cos(q_l·L_jk) η_l η_lᵀ δ(ω − Ω_l)/(m Ω_l²),

the drag the masses exert at frequency ω. Its zero-frequency limit at j = k is the 𝓛 of rodin2025
Eq. (15) (only long sound waves reach ω → 0), and ∫_0^∞ 𝓛_jk dω = (π/2) W_jk(0). Because the same
modes carry the framework's thermal motion, the displacement spectrum of the masses is
2 ε(ω) 𝓛_jk(ω), with ε = k_BT classically and (ħω/2) coth(ħω/2k_BT) for the quantum occupations
rodin2025 Eq. (23) samples. A particle coupled linearly to the masses (force Σ_j H_j u_j, H_j the
Hessian of its interaction with mass j) then feels a thermal force of spectrum
2 ε(ω) Re γ(ω), Re γ(ω) = Σ_jk H_j 𝓛_jk(ω) H_k. The time-local equation
(:mod:`ionmotion.timelocal`: to first order the drag −H𝓛H (Ṙ − ṙ_H) with H = Σ_j H_j) damps with
the frequency-independent γ₀ = H𝓛H, which is Re γ(ω → 0): at long wavelengths all masses move
together and 𝓛_jk(0) = 𝓛 for every pair. Where Re γ(ω) < γ₀ at the frequencies the particle
moves with (above Ω_max Re γ vanishes), drag and noise are out of balance and the particle runs
colder than the framework; where ε(ω) > k_BT (zero-point motion of the quantum modes) it runs
hotter.

Spectra here are bin averages over frequency bins (the δ functions of a finite mode set made
into a density), so that the sum rules hold exactly on any binning; power spectra of time series
use the same convention, S(ω) with (1/π) ∫_0^∞ S dω = ⟨x²⟩.
"""
import numpy as np

from ._validate import finite_array, integer_in, memory, positive
from .lattice import CELL_CORNERS
from .units import HBAR

__all__ = ["drag_spectrum", "particle_drag_spectrum", "timelocal_drag", "thermal_energy",
           "power_spectrum", "force_rate", "power_above"]


def _edges(edges):
    e = finite_array("edges", edges)
    if e.ndim != 1 or len(e) < 2 or e[0] < 0 or np.any(np.diff(e) <= 0):
        raise ValueError("edges must be an increasing 1D array of frequencies >= 0 (ps⁻¹), "
                         f"at least two of them; got {edges!r}")
    return e.astype(float)


def _modes(lattice, n_grid, n_quad):
    if (n_grid is None) == (n_quad is None):
        raise ValueError("give exactly one of n_grid (periodic lattice) and n_quad "
                         "(infinite-lattice quadrature)")
    if n_grid is not None:
        return lattice.mode_grid(integer_in("n_grid", n_grid, 2))
    return lattice.quadrature_modes(integer_in("n_quad", n_quad, 2))


def drag_spectrum(lattice, separations, edges, *, n_grid=None, n_quad=None):
    """Bin averages of the framework's drag 𝓛_L(ω) between two masses a lattice vector L apart.

    Parameters
    ----------
    lattice : ionmotion.lattice.CubicLattice
    separations : array_like of int, shape (K, 3)
        Lattice vectors L (units of a); (0, 0, 0) is one mass with itself.
    edges : array_like, shape (B + 1,)
        Frequency bin edges (ps⁻¹), increasing, from >= 0.
    n_grid, n_quad : int
        Exactly one: the periodic n_grid³ lattice without Γ (the modes rodin2025 samples) or the
        infinite-lattice Brillouin-zone rule of that order.

    Returns
    -------
    ndarray, shape (K, B, 3, 3)
        Å²·ps/meV: (π/2)/Δ_b Σ_{Ω_l in bin b} w_l cos(q_l·L) η_l η_lᵀ/(m Ω_l²). Modes above the
        last edge are left out; with edges covering every mode,
        (2/π) Σ_b Δ_b 𝓛_L(b) = W_L(0) (:meth:`CubicLattice.static_response`).
    """
    e = _edges(edges)
    L = np.atleast_2d(finite_array("separations", separations))
    if L.shape[1] != 3 or np.any(L != np.round(L)):
        raise ValueError(f"separations must be integer lattice vectors, shape (K, 3); got {L.shape}")
    g = _modes(lattice, n_grid, n_quad)
    name, value = ("n_grid", n_grid) if n_grid is not None else ("n_quad", n_quad)
    memory(name, value, g.omega.size * 9 * 8 * 3)     # the 3×3 weights, a copy, the products
    om = g.omega
    if np.any(om <= 0):
        raise ValueError("a mode of zero frequency: the drag spectrum diverges at ω = 0")
    b = np.searchsorted(e, om, side="right") - 1                     # (M, 3) bin of each mode
    keep = (b >= 0) & (b < len(e) - 1)
    coef = np.where(keep, g.weights[:, None] / (lattice.mass * om ** 2), 0.0)
    amp = np.einsum("mu,mau,mbu->muab", coef, g.eta, g.eta).reshape(-1, 9)
    bins = np.where(keep, b, 0).reshape(-1)
    out = np.empty((len(L), len(e) - 1, 9))
    for i, Li in enumerate(L):
        ph = np.repeat(np.cos(g.q @ (Li * lattice.a)), 3)             # per mode, per branch
        out[i] = np.stack([np.bincount(bins, ph * amp[:, c], minlength=len(e) - 1)
                           for c in range(9)], -1)
    return 0.5 * np.pi * out.reshape(len(L), -1, 3, 3) / np.diff(e)[None, :, None, None]


def timelocal_drag(hessians, drag):
    """γ₀ = H𝓛H with H = Σ_j H_j: the time-local equation's drag (meV·ps/Å², first order of
    rodin2025 Eq. (20)) for the Hessians H_j (n, 3, 3, meV/Å²) of the particle's interaction
    with each mass and 𝓛 (3, 3)."""
    H = _hessians(hessians).sum(0)
    Lm = finite_array("drag", drag, shape_tail=(3, 3))
    return H @ Lm @ H


def _hessians(hessians):
    H = finite_array("hessians", hessians)
    if H.ndim != 3 or H.shape[1:] != (3, 3):
        raise ValueError(f"hessians must have shape (n, 3, 3), got {H.shape}")
    return H


def particle_drag_spectrum(hessians, sites, lattice, edges, *, n_grid=None, n_quad=None):
    """Re γ(ω) = Σ_jk H_j 𝓛_{L_j − L_k}(ω) H_k in frequency bins (meV·ps/Å², shape (B, 3, 3)):
    the drag the framework masses at integer `sites` (n, 3) exert on a particle whose interaction
    with mass j has the Hessian hessians[j] (n, 3, 3). The thermal force from the same masses has
    the spectrum 2 ε(ω) Re γ(ω) (:func:`thermal_energy`)."""
    H = _hessians(hessians)
    S = np.atleast_2d(finite_array("sites", sites))
    if S.shape != (len(H), 3):
        raise ValueError(f"sites must have shape ({len(H)}, 3), one per Hessian; got {S.shape}")
    diffs = (S[:, None] - S[None]).reshape(-1, 3)
    uniq, inv = np.unique(diffs, axis=0, return_inverse=True)
    spec = drag_spectrum(lattice, uniq, edges, n_grid=n_grid, n_quad=n_quad)
    n = len(H)
    blocks = spec[inv.ravel()].reshape(n, n, -1, 3, 3)
    return np.einsum("jab,jkwbc,kcd->wad", H, blocks, H)


def thermal_energy(omega, kT, quantum=True):
    """ε(ω) (meV): (ħω/2) coth(ħω/2k_BT), the mean energy per mode of the occupations rodin2025
    Eq. (23) samples, or k_BT with quantum=False (its limit ħω ≪ k_BT)."""
    kT = positive("kT", kT)
    w = np.asarray(finite_array("omega", omega), float)
    if np.any(w < 0):
        raise ValueError("omega must be >= 0")
    if not quantum:
        return np.full_like(w, kT)
    x = HBAR * w / (2 * kT)
    out = np.full_like(x, kT)                   # x coth x → 1 below x = 1e-8
    big = x > 1e-8
    out[big] = kT * x[big] / np.tanh(x[big])
    return out


def power_spectrum(x, dt, n_segments=8):
    """Welch estimate of the power spectral density of a sampled signal.

    Parameters
    ----------
    x : array_like, shape (T,) or (T, d)
        Samples every `dt`; a vector signal gives the cross-spectral matrix.
    dt : float
        Sampling interval (ps).
    n_segments : int
        Non-overlapping Hann-windowed segments averaged (>= 1, each at least 16 samples).

    Returns
    -------
    omega : ndarray, shape (F,)
        Angular frequencies 0 … π/dt (ps⁻¹).
    S : ndarray, shape (F,) or (F, d, d)
        Two-sided density in ω, normalised so that (1/π) ∫_0^∞ S dω is the variance (the
        mean of each segment removed); for a vector signal the real part of the
        cross-spectral matrix.
    """
    dt = positive("dt", dt)
    X = np.asarray(finite_array("x", x), float)
    vec = X.ndim == 2
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"x must have shape (T,) or (T, d), got {X.shape}")
    n_seg = integer_in("n_segments", n_segments, 1)
    n = len(X) // n_seg
    if n < 16:
        raise ValueError(f"n_segments={n_seg} leaves {n} samples per segment (need >= 16)")
    w = np.hanning(n)
    S = 0.0
    for s in range(n_seg):
        seg = X[s * n:(s + 1) * n]
        F = np.fft.rfft((seg - seg.mean(0)) * w[:, None], axis=0)
        S = S + np.einsum("fa,fb->fab", F, F.conj()).real
    S = S * dt / (n_seg * np.sum(w ** 2))
    omega = 2 * np.pi * np.fft.rfftfreq(n, dt)
    return omega, (S if vec else S[:, 0, 0])


def force_rate(R, V, potential, a):
    """Ḟ = H(R)·V along a path (meV/(Å·ps), shape (T, 3)): the total Hessian H of the particle's
    interaction with the eight corner masses of its current cubic cell (lattice constant `a`, the
    masses at rest) times its velocity. The time-local drag acts on this signal: it dissipates
    Ḟᵀ𝓛Ḟ at every frequency, while the framework can absorb and feed only the part of Ḟ below
    its largest frequency."""
    R = finite_array("R", R, shape_tail=(3,))
    V = finite_array("V", V, shape_tail=(3,))
    if R.ndim != 2 or R.shape != V.shape:
        raise ValueError(f"R and V must both have shape (T, 3); got {R.shape} and {V.shape}")
    a = positive("a", a)
    cells = np.floor(R / a)
    H = sum(potential.hessian(R - (cells + c) * a) for c in CELL_CORNERS)
    return np.einsum("tab,tb->ta", H, V)


def power_above(x, dt, omega, n_segments=8):
    """The fraction of the power of the signal x ((T,) or (T, d), sampled every dt) at angular
    frequencies above `omega` (:func:`power_spectrum`, traces for a vector signal)."""
    om, S = power_spectrum(x, dt, n_segments)
    if S.ndim == 3:
        S = np.einsum("fii->f", S)
    omega = positive("omega", omega)
    return float(S[om > omega].sum() / S.sum())
