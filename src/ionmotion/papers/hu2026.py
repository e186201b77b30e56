"""hu2026 (superionic phase transitions): the kinetic Monte Carlo sweeps of the chapter
"Beyond mean field".

Task lists at the paper's Fig. 4 parameters (:data:`constants.HU2026`) and the combination of
their results (Binder cumulants and their crossings, seed averages). The task functions they
list (:func:`ionmotion.kmc.equilibrium_task`, :func:`ionmotion.kmc.binder_task`,
:func:`ionmotion.kmc.gc_binder_task`, …) are physics and stay in :mod:`ionmotion.kmc`.
Units: eV, K, cell lengths, attempt periods.
"""
import math

import numpy as np

from .._validate import choice
from ..kmc import binder
from ..meanfield import type2_temperature
from .constants import HU2026

PAPER_K0, PAPER_LAMBDA0, PAPER_N0 = HU2026.K0, HU2026.Lambda0, HU2026.n0
"""hu2026 Fig. 4: K0 = 0.5 eV, Λ0 = 0.25 eV, n0 = 1 (from :data:`constants.HU2026`)."""


def paper_tp(K0=PAPER_K0, n0=PAPER_N0):
    """T_p of hu2026 Eq. (51) in K (:func:`ionmotion.meanfield.type2_temperature`).

    Parameters
    ----------
    K0, n0 : float, optional

    Returns
    -------
    float
    """
    return float(type2_temperature(n0, K0))


_BINDER_GRID = {"paper": ((8, 12, 16, 24), np.arange(0.47, 0.545, 0.01), 3),
                "draft": ((6, 12), np.array([0.47, 0.49, 0.51, 0.53]), 2)}
"""Sizes, T/T_p and seeds per quality of the honeycomb Binder sweeps."""


def _honeycomb_grid(quality, **run):
    """Honeycomb tasks over sizes × T/T_p × seeds of :data:`_BINDER_GRID` (T rounded to 1 mK),
    with the run-length keys `run` added to each."""
    choice("quality", quality, {"draft", "paper"})
    sizes, fr, seeds = _BINDER_GRID[quality]
    Tp = paper_tp()
    return [dict(kind="honeycomb", size=int(L), T=round(float(f * Tp), 3), K0=PAPER_K0,
                 seed=int(s), **run)
            for L in sizes for f in fr for s in range(seeds)]


def binder_tasks(quality="draft"):
    """Task list of the honeycomb Binder-cumulant sweep (sizes × temperatures × seeds) for
    :func:`ionmotion.kmc.binder_task`.

    Parameters
    ----------
    quality : {"draft", "paper"}

    Returns
    -------
    list of dict
    """
    heq, hrun = (3000, 30000) if quality == "paper" else (300, 2000)
    return _honeycomb_grid(quality, Lambda0=PAPER_LAMBDA0, hops_eq=heq, hops_run=hrun)


def binder_table(tasks, results):
    """Combine a Binder sweep: per (size, T) the mean cumulant over seeds and blocks and its standard
    error (from the spread of the block values).

    Parameters
    ----------
    tasks : list of dict
    results : list of dict
        Outputs of :func:`ionmotion.kmc.binder_task` or :func:`ionmotion.kmc.gc_binder_task`.

    Returns
    -------
    dict
        size -> (T, U, dU, ⟨|γ|⟩, χ) arrays.
    """
    out = {}
    sizes = sorted({p["size"] for p in tasks})
    for L in sizes:
        Ts = sorted({p["T"] for p in tasks if p["size"] == L})
        U, dU, G, CHI = [], [], [], []
        for T in Ts:
            rs = [r for p, r in zip(tasks, results) if p["size"] == L and p["T"] == T]
            g2 = np.array([np.mean(r["g2"]) for r in rs])
            g4 = np.array([np.mean(r["g4"]) for r in rs])
            ab = np.array([np.mean(r["abs"]) for r in rs])
            # per-block values give an error bar even for a single seed
            ub = np.concatenate([binder(r["g2"], r["g4"]) for r in rs])
            U.append(binder(g2.mean(), g4.mean()))
            dU.append(ub.std(ddof=1) / math.sqrt(ub.size))
            G.append(ab.mean())
            N = 2 * L * L / 2
            CHI.append(N * (g2.mean() - ab.mean() ** 2) / T)
        out[L] = tuple(np.array(x) for x in (Ts, U, dU, G, CHI))
    return out


def binder_crossings(table, n_boot=400, seed=0, width=2):
    """Crossing temperatures of U(T) for consecutive sizes, with bootstrap errors.

    U_L2 − U_L1 is fitted by a quadratic on `width` temperatures on each side of its sign change
    and its root in the bracket returned; the bootstrap resamples U with its errors dU.

    Parameters
    ----------
    table : dict
        Output of :func:`binder_table`.
    n_boot, seed, width : int, optional

    Returns
    -------
    list of tuple
        (L1, L2, T_x, dT_x); T_x is nan if the curves do not cross.
    """
    rng = np.random.default_rng(seed)
    sizes = sorted(table)
    out = []

    def cross(T, D):
        s = np.flatnonzero(np.diff(np.sign(D)) != 0)
        if s.size == 0:
            return np.nan
        k = s[0]
        lo, hi = max(0, k - width + 1), min(T.size, k + width + 1)
        c = np.polyfit(T[lo:hi] - T[k], D[lo:hi], min(2, hi - lo - 1))
        roots = np.roots(c).real + T[k]
        roots = roots[(roots >= T[k] - 1e-9) & (roots <= T[k + 1] + 1e-9)]
        if roots.size == 0:  # fall back to linear interpolation in the bracket
            return T[k] - D[k] * (T[k + 1] - T[k]) / (D[k + 1] - D[k])
        return float(roots[0])

    for L1, L2 in zip(sizes[:-1], sizes[1:]):
        T1, U1, d1 = table[L1][:3]
        T2, U2, d2 = table[L2][:3]
        if T1.size != T2.size or np.any(np.abs(T1 - T2) > 1e-6):
            raise ValueError(f"sizes {L1} and {L2} were run at different temperatures")
        x0 = cross(T1, U2 - U1)
        boots = np.array([cross(T1, (U2 + d2 * rng.standard_normal(U2.size))
                                - (U1 + d1 * rng.standard_normal(U1.size)))
                          for _ in range(n_boot)])
        out.append((L1, L2, float(x0), float(np.nanstd(boots))))
    return out


def grid_tasks(kind, sizes, fracs, seeds, hops_eq, hops_run, M0=0.0, **extra):
    """Tasks over sizes × T/T_p × seeds at hu2026's Fig. 4 parameters (T rounded to 1 mK).

    Parameters
    ----------
    kind : {"chain", "honeycomb"}
    sizes, fracs : sequence
        Sizes and temperatures in units of T_p.
    seeds : int
    hops_eq, hops_run : float
    M0 : float, optional
    **extra
        Further task keys.

    Returns
    -------
    list of dict
    """
    Tp = paper_tp()
    return [dict(kind=kind, size=int(L), T=round(float(f * Tp), 3), K0=PAPER_K0,
                 Lambda0=PAPER_LAMBDA0, seed=int(s), hops_eq=hops_eq, hops_run=hops_run,
                 M0=float(M0), **extra)
            for L in sizes for f in fracs for s in range(seeds)]


def average_over_seeds(tasks, results, keys, by=("size", "T")):
    """Mean and standard error over seeds of result `keys`, grouped by the task fields `by`.

    Parameters
    ----------
    tasks, results : list of dict
    keys : sequence of str
    by : tuple of str, optional

    Returns
    -------
    groups : list of tuple
        The sorted distinct values of `by`.
    stats : dict
        key -> (mean, sem) arrays over the groups.
    """
    groups = sorted({tuple(p[b] for b in by) for p in tasks})
    out = {k: (np.zeros(len(groups)), np.zeros(len(groups))) for k in keys}
    for i, g in enumerate(groups):
        rs = [r for p, r in zip(tasks, results) if tuple(p[b] for b in by) == g]
        for k in keys:
            x = np.array([float(np.asarray(r[k])) for r in rs])
            out[k][0][i] = x.mean()
            out[k][1][i] = x.std(ddof=1) / math.sqrt(x.size) if x.size > 1 else np.nan
    return groups, out


def gc_binder_tasks(quality="draft"):
    """Task list of the grand-canonical (Ising) Binder sweep at the temperatures of
    :func:`binder_tasks`, for :func:`ionmotion.kmc.gc_binder_task`.

    Parameters
    ----------
    quality : {"draft", "paper"}

    Returns
    -------
    list of dict
    """
    seq, srun = (2000, 20000) if quality == "paper" else (200, 2000)
    return _honeycomb_grid(quality, sweeps_eq=seq, sweeps_run=srun)
