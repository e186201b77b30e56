"""Where the time-local equation holds: the cooling diagnosis of its particle (chapter
``time-local-limits``).

rodin2025's time-local drag acts on the rate of change of the force the particle exerts on its
cell's corners, Ḟ = H·V (:func:`ionmotion.spectra.force_rate`), and removes 𝓛|H·V|² of energy per
unit time at every frequency of that signal. The framework can absorb, and by the
fluctuation–dissipation theorem feed back, only the part below its largest phonon frequency
Ω_max. :func:`cooling_task` runs one time-local trajectory (:func:`ionmotion.thermal.trajectory`)
and measures the particle's kinetic temperature beside the fraction of the power of V and of H·V
above Ω_max, with their spectra in frequency bins, so that the chapter can hold the first against
the second across U0, λ, ħΩ_T and the framework's stiffness.
"""
import time

import numpy as np

from ._validate import integer_in, positive
from .lattice import CubicLattice
from .potentials import Yukawa

PAPER = dict(mass=3.5, a=3.0, k1=520.0, k2=170.0)
"""rodin2025's model crystal (Sec. III); a stiffness factor s scales k1 and k2 by s."""


def scaled_lattice(stiffness=1.0):
    """rodin2025's crystal with both spring constants multiplied by `stiffness` (> 0): Ω_max grows
    as √s, the static response W0 falls as 1/s and the drag 𝓛 as s^(-3/2)."""
    s = positive("stiffness", stiffness)
    return CubicLattice(PAPER["mass"], PAPER["a"], PAPER["k1"] * s, PAPER["k2"] * s)


def largest_stride(lattice, dt, cap=4):
    """The longest exact-evaluation block of the band-limited thermal field that
    :func:`ionmotion.thermal.trajectory` admits at this dt (k·dt·Ω_max <= 0.66), at most `cap`."""
    from .thermal import STRIDE_PHASE_LIMIT
    k = int(STRIDE_PHASE_LIMIT / (positive("dt", dt) * lattice.max_frequency))
    return max(1, min(integer_in("cap", cap, 1, 16), k))


def _binned(om, S, edges):
    idx = np.digitize(om, edges) - 1
    ok = (idx >= 0) & (idx < len(edges) - 1)
    tot = np.bincount(idx[ok], weights=S[ok], minlength=len(edges) - 1)
    cnt = np.bincount(idx[ok], minlength=len(edges) - 1)
    return tot / np.maximum(cnt, 1)


def cooling_task(kT, U0, seed, duration, stiffness=1.0, lam=0.5, M=0.7, dt=5e-3, n_grid=20,
                 save_dt=0.01, skip=50.0, n_bins=60):
    """One time-local trajectory and the spectra of the signals the drag and the particle carry.

    Parameters
    ----------
    kT : float
        ħΩ_T (meV) of the framework's thermal sample.
    U0, lam : float
        Yukawa strength (meV·Å) and screening length (Å).
    seed : int
        numpy default_rng seed of the thermal sample.
    duration : float
        Length (ps); the first `skip` ps are dropped from every average.
    stiffness : float, optional
        Spring constants × stiffness (:func:`scaled_lattice`).
    M, dt, n_grid, save_dt : float, float, int, float, optional
        Particle mass, RK5 step (ps), mode grid, sampling interval of the analysed path (ps).
    n_bins : int, optional
        Frequency bins of the stored spectra, 0 .. 4 Ω_max.

    Returns
    -------
    dict
        ``T_kin`` (meV, M⟨|V|²⟩/3), ``T_modes`` (the sample's mean energy per mode, meV),
        ``omega_max`` (ps⁻¹), ``frac_V``, ``frac_HV`` (fraction of the power of V and of H·V
        above Ω_max), ``edges`` (bin edges, ps⁻¹), ``S_V``, ``S_HV`` (bin-mean one-sided power of
        the three components summed), ``unstable_passes``, ``cell_changes``, ``stride``, ``wall``.
    """
    from . import spectra as sp
    from . import thermal as th
    kT, U0, lam, M, duration, save_dt, skip = (
        positive(k, v) for k, v in (("kT", kT), ("U0", U0), ("lam", lam), ("M", M),
                                    ("duration", duration), ("save_dt", save_dt),
                                    ("skip", skip)))
    if duration <= skip + 20 * save_dt * 8:
        raise ValueError(f"duration = {duration:g} ps must exceed skip = {skip:g} ps by enough "
                         "samples for eight spectral segments")
    lat = scaled_lattice(stiffness)
    pot = Yukawa(U0, lam)
    modes = th.sample_modes(lat, integer_in("n_grid", n_grid, 4, 64), kT,
                            np.random.default_rng(seed))
    stride = largest_stride(lat, dt)
    every = max(1, int(round(save_dt / dt)))
    n_steps = every * int(round(duration / (dt * every)))
    t0 = time.perf_counter()
    out = th.trajectory(np.full(3, lat.a / 2), np.zeros(3), M, pot, modes,
                        th.corner_response(lat, n_quad=40), lat.drag_matrix(), dt, n_steps,
                        save_every=every, stride=stride, unstable="count")
    wall = time.perf_counter() - t0
    keep = out.t >= skip
    R, V = out.R[keep], out.V[keep]
    h = dt * every
    om_max = float(modes.omega.max())
    HV = sp.force_rate(R, V, pot, lat.a)
    edges = np.linspace(0.0, 4 * om_max, integer_in("n_bins", n_bins, 4, 1000) + 1)
    om, SV = sp.power_spectrum(V, h)
    _, SH = sp.power_spectrum(HV, h)
    SV, SH = np.einsum("fii->f", SV), np.einsum("fii->f", SH)
    return {"T_kin": np.array(M * np.mean(np.sum(V ** 2, 1)) / 3),
            "T_modes": np.array(kT * th.sample_energy_ratio(modes)),
            "omega_max": np.array(om_max),
            "frac_V": np.array(sp.power_above(V, h, om_max)),
            "frac_HV": np.array(sp.power_above(HV, h, om_max)),
            "edges": edges, "S_V": _binned(om, SV, edges), "S_HV": _binned(om, SH, edges),
            "unstable_passes": np.array(out["unstable_passes"]),
            "cell_changes": np.array(out["cell_changes"]), "stride": np.array(stride),
            "wall": np.array(wall)}
