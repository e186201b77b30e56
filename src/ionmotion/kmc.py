"""Rejection-free kinetic Monte Carlo (n-fold way / BKL) of the lattice gas in :mod:`latticegas`.

Units as in :mod:`ionmotion.latticegas`: eV, K, lengths in the cell length a, times in the attempt
period τ (the rate of a hop is (1/zτ) exp(-barrier/k_B T)).

Algorithm
---------
Every hop ends on an empty site, and the rate of a hop p → q depends only on (i) the sublattice of
q, (ii) which neighbours of q are occupied (the set of possible origins and, through their number,
the repulsion felt at q), (iii) the excitation state of q (type-I concerted hopping, below) and
(iv) the bond direction (field). So each *empty site* belongs to one of 2 (z+1) 2^z classes whose
total rate and per-origin rates are tabulated once. The kernel keeps, per class, an unordered list
of its sites (O(1) insertion and removal), picks a class by scanning the ≤ 64 class totals, a site
in it uniformly, then the origin (or the decay of the excitation) by its partial rate. After a hop
only the two sites involved and their neighbours change class. Time advances by -ln(u)/R.

Type-I concerted hopping (hu2026 Sec. IV.2, Eq. (52)) as explicit rates: an ion that leaves site
s for t leaves s "excited" (the host lattice around it has not yet relaxed). While s is excited,
a hop into s from any neighbour other than t has its barrier lowered by M0 (clipped at zero);
the excitation relaxes at rate 1/τ_exc (default τ_exc = τ, one attempt period) or when s is
refilled. This is the pull mechanism of hu2026 Fig. 4(d) without the mean-field average.

Random numbers are drawn outside the kernel from a seeded numpy.random.Generator, two per event
(one picks the class, the site and the origin by successive rescaling; one the waiting time).
"""
import math
import time

import numpy as np
from numba import njit

from . import _validate as v
from . import latticegas as lg
from ._compat import moved
from .papers.constants import HU2026
from .units import KB_EV

# ----------------------------------------------------------------------------------------------
# rate tables


def class_tables(lattice, T, Lambda0, V, field=0.0, M0=0.0, tau_exc=1.0):
    """Per-class total rates and per-slot partial rates of the rejection-free kinetic Monte Carlo.

    Class c of an empty site q is c = (2 (exc(q) + 1) + sub(q)) 2^z + pattern, with bit k of
    pattern set if the k-th neighbour of q is occupied and exc(q) ∈ {−1, 0, …, z−1} its excitation
    (unexcited classes first, so the class scan stops early without concerted hopping). Slot k < z
    is the hop from the k-th neighbour into q, slot z the relaxation of the excitation.

    Parameters
    ----------
    lattice : latticegas.Lattice
    T : float
        Temperature (K).
    Lambda0, V : float
        Bare barrier and nearest-neighbour repulsion (eV).
    field : float, optional
        Zℰ in eV per a along x.
    M0 : float, optional
        Barrier reduction of concerted (type-I) hops into an excited site (eV).
    tau_exc : float, optional
        Lifetime of the excitation (units of τ).

    Returns
    -------
    class_rate : ndarray, shape (n_classes,)
    sub_rates : ndarray, shape (n_classes, z + 1)
    """
    z = lattice.z
    kT = KB_EV * T
    nc = 2 * (z + 1) * (1 << z)
    sub_rates = np.zeros((nc, z + 1))
    for s in range(2):
        for e in range(-1, z):
            for pat in range(1 << z):
                c = ((e + 1) * 2 + s) * (1 << z) + pat
                m = bin(pat).count("1") - 1
                for k in range(z):
                    if not (pat >> k) & 1:
                        continue
                    B = Lambda0 + V * m
                    if e >= 0 and e != k:
                        B -= M0
                    B = max(B, 0.0)
                    dx = -lattice.vecs[s, k, 0]  # the ion moves from q + vecs[s, k] to q
                    sub_rates[c, k] = math.exp(-B / kT) * math.exp(0.5 * field * dx / kT) / z
                if e >= 0:
                    sub_rates[c, z] = 1.0 / tau_exc
    return sub_rates.sum(axis=1), sub_rates


# ----------------------------------------------------------------------------------------------
# numba kernels


@njit(cache=True, inline="always")
def _classify(x, site, geom):
    """Class of site x (-1 if occupied); site = (occ, exc, pid), geom = (nbr, sub, vecs)."""
    occ, exc = site[0], site[1]
    nbr, sub = geom[0], geom[1]
    if occ[x]:
        return -1
    z = nbr.shape[1]
    pat = 0
    for k in range(z):
        if occ[nbr[x, k]]:
            pat |= 1 << k
    return ((exc[x] + 1) * 2 + sub[x]) * (1 << z) + pat


@njit(cache=True, inline="always")
def _reclassify(x, site, geom, classes, class_rate, wcls, R):
    """Move site x to its current class (:func:`_move_to_class`); returns the total rate."""
    return _move_to_class(x, _classify(x, site, geom), classes, class_rate, wcls, R)


@njit(cache=True, inline="always")
def _move_to_class(x, newc, classes, class_rate, wcls, R):
    """Move site x from its class to class newc (-1: none) in the unordered class lists
    classes = (cls, members, where, count), O(1); keeps the per-class totals wcls and the total
    rate R up to date and returns R. The one copy of the class bookkeeping, shared by the
    canonical kernel, :func:`_init_classes` and the grand-canonical kernel (inlined by numba)."""
    cls, members, where, count = classes
    oldc = cls[x]
    if newc == oldc:
        return R
    if oldc >= 0:
        i = where[x]
        last = members[oldc, count[oldc] - 1]
        members[oldc, i] = last
        where[last] = i
        count[oldc] -= 1
        wcls[oldc] -= class_rate[oldc]
        R -= class_rate[oldc]
    if newc >= 0:
        members[newc, count[newc]] = x
        where[x] = count[newc]
        count[newc] += 1
        wcls[newc] += class_rate[newc]
        R += class_rate[newc]
    cls[x] = newc
    return R


@njit(cache=True)
def _init_classes(site, geom, classes, class_rate):
    """Sort every site into its class from scratch; returns the total rate."""
    cls, count = classes[0], classes[3]
    count[:] = 0
    wcls = np.zeros(count.shape[0])
    R = 0.0
    for x in range(cls.shape[0]):
        cls[x] = -1
    for x in range(cls.shape[0]):
        R = _reclassify(x, site, geom, classes, class_rate, wcls, R)
    return R


@njit(cache=True)
def _total_rate(count, class_rate):
    R = 0.0
    for c in range(count.shape[0]):
        R += count[c] * class_rate[c]
    return R


@njit(cache=True)
def _class_totals(count, class_rate, wcls):
    """wcls[c] = count[c] class_rate[c]; returns their sum (the total rate)."""
    R = 0.0
    for c in range(count.shape[0]):
        wcls[c] = count[c] * class_rate[c]
        R += wcls[c]
    return R


@njit(cache=True, inline="always")
def _record_samples(tn, samples, isample, site, obs, g):
    """Write every sample whose time is <= tn (they see the current state); returns isample.
    samples = (times, R (S, 2), msd (S,), gamma (S,), snapshots, positions);
    obs = (pdisp, Rvec, state, acc, mask_time)."""
    times, s_R, s_msd, s_gam, snaps, s_pos = samples
    pdisp, Rvec = obs[0], obs[1]
    occ = site[0]
    npart = pdisp.shape[0]
    while isample < times.shape[0] and times[isample] <= tn:
        s_R[isample, 0] = Rvec[0]
        s_R[isample, 1] = Rvec[1]
        m2 = 0.0
        for i in range(npart):
            m2 += pdisp[i, 0] * pdisp[i, 0] + pdisp[i, 1] * pdisp[i, 1]
        s_msd[isample] = m2 * (1.0 / npart)
        s_gam[isample] = g
        if snaps.shape[0] > 1:
            for x in range(occ.shape[0]):
                snaps[isample, x] = occ[x]
        if s_pos.shape[0] > 1:
            for i in range(npart):
                s_pos[isample, i, 0] = pdisp[i, 0]
                s_pos[isample, i, 1] = pdisp[i, 1]
        isample += 1
    return isample


@njit(cache=True, inline="always")
def _accumulate(acc, w, g, npairs):
    """Time integrals over an interval w: ∫dt, ∫|γ|dt, ∫γ²dt, ∫γ⁴dt, ∫γ dt, ∫n_pairs dt."""
    g2 = g * g
    acc[0] += w
    acc[1] += w * abs(g)
    acc[2] += w * g2
    acc[3] += w * g2 * g2
    acc[4] += w * g
    acc[5] += w * npairs


@njit(cache=True, inline="always")
def _pick_event(u0, wcls, classes, rates, z):
    """From one uniform u0 ∈ [0, R): the class (by its total), a site in it (uniformly) and the
    slot (origin neighbour k < z, or z = relaxation) by its partial rate. Returns (q, slot)."""
    members, count = classes[1], classes[3]
    class_rate, sub_rates = rates
    c = -1
    cum = 0.0
    last_nz = -1
    cum_last = 0.0
    for cc in range(wcls.shape[0]):
        wc = wcls[cc]
        if wc > 0.0:
            if cum + wc > u0:
                c = cc
                break
            last_nz = cc
            cum_last = cum
            cum += wc
    if c < 0:  # rounding: u0 at the very top of the total
        c = last_nz
        cum = cum_last
    rem = (u0 - cum) / class_rate[c]
    i = int(rem)
    if i >= count[c]:
        i = count[c] - 1
    q = members[c, i]
    frac = (rem - i) * class_rate[c]
    j = z
    cs = 0.0
    for k in range(z + 1):
        if sub_rates[c, k] > 0.0:
            j = k
            cs += sub_rates[c, k]
            if cs > frac:
                break
    return q, j


@njit(cache=True, inline="always")
def _hop(p, q, j, site, geom, obs, npairs, concerted):
    """Move the ion on p to the empty neighbour q (q's slot j points back to p): occupations,
    ion labels, displacements, excitation; returns the new number of occupied pairs."""
    occ, exc, pid = site
    nbr, sub, vecs = geom
    pdisp, Rvec = obs[0], obs[1]
    z = nbr.shape[1]
    for k in range(z):
        if occ[nbr[p, k]]:
            npairs -= 1
    occ[p] = 0
    for k in range(z):
        if occ[nbr[q, k]]:
            npairs += 1
    occ[q] = 1
    ip = pid[p]
    pid[q] = ip
    pid[p] = -1
    sq = sub[q]
    dx = -vecs[sq, j, 0]
    dy = -vecs[sq, j, 1]
    pdisp[ip, 0] += dx
    pdisp[ip, 1] += dy
    Rvec[0] += dx
    Rvec[1] += dy
    exc[q] = -1
    if concerted:
        for k in range(z):
            if nbr[p, k] == q:
                exc[p] = k
    return npairs


@njit(cache=True, inline="always")
def _touched(p, q, occ, nbr, upd):
    """Sites whose class a hop p → q can change: q, p and their empty neighbours; returns
    how many were written to upd."""
    upd[0] = q
    upd[1] = p
    nupd = 2
    for k in range(nbr.shape[1]):
        x = nbr[p, k]
        if x != q and occ[x] == 0:
            upd[nupd] = x
            nupd += 1
        x = nbr[q, k]
        if x != p and occ[x] == 0:
            upd[nupd] = x
            nupd += 1
    return nupd


@njit(cache=True)
def _kmc_kernel(site, geom, classes, rates, samples, obs, uni, t, t_stop, concerted, isample,
                mask):
    """Run events until t_stop or until the uniforms ``uni`` (n, 2) are used up.

    Packed arguments: site = (occ, exc, pid); geom = (nbr, sub, vecs); classes = (cls, members,
    where, count); rates = (class_rate, sub_rates); samples = (times, R, msd, gamma, snapshots,
    positions), the last two (1, …) when not wanted; obs = (pdisp, Rvec, state, acc, mask_time),
    state = [n_a, n_pairs, n_hops, n_decays]; mask: occupation bit mask (for mask_time).
    Returns (t, events used, isample, mask)."""
    occ, exc, nbr, sub = site[0], site[1], geom[0], geom[1]
    count, class_rate = classes[3], rates[0]
    pdisp, state, acc, mask_time = obs[0], obs[2], obs[3], obs[4]
    z, npart, na, npairs = nbr.shape[1], pdisp.shape[0], state[0], state[1]
    track = mask_time.shape[0] > 1
    wcls = np.empty(count.shape[0])
    for c in range(count.shape[0]):
        wcls[c] = count[c] * class_rate[c]
    R = wcls.sum()
    upd = np.empty(2 * z + 2, dtype=np.int64)
    used = 0
    g = (2.0 * na - npart) * (1.0 / npart)
    while used < uni.shape[0]:
        if R <= 0.0:
            break
        u0 = uni[used, 0] * R
        dt = -math.log(1.0 - uni[used, 1]) / R
        used += 1
        tn = min(t + dt, t_stop)
        isample = _record_samples(tn, samples, isample, site, obs, g)
        _accumulate(acc, tn - t, g, npairs)
        if track:
            mask_time[mask] += tn - t
        if t + dt > t_stop:
            t = t_stop  # the drawn event is discarded (memoryless): nothing happens
            break
        t = t + dt
        q, j = _pick_event(u0, wcls, classes, rates, z)
        if j == z:  # relaxation of the excitation at q
            exc[q] = -1
            upd[0] = q
            nupd = 1
            state[3] += 1
        else:
            p = nbr[q, j]
            npairs = _hop(p, q, j, site, geom, obs, npairs, concerted)
            na += 1 if sub[q] == 0 else -1
            g = (2.0 * na - npart) * (1.0 / npart)
            if track:
                mask ^= (1 << p) | (1 << q)
            nupd = _touched(p, q, occ, nbr, upd)
            state[2] += 1
        for ii in range(nupd):
            R = _reclassify(upd[ii], site, geom, classes, class_rate, wcls, R)
        if (state[2] & 65535) == 0:  # refresh the running totals (round-off)
            R = _class_totals(count, class_rate, wcls)
    state[0] = na
    state[1] = npairs
    return t, used, isample, mask


# ----------------------------------------------------------------------------------------------
# public interface


class LatticeGasKMC:
    """Kinetic Monte Carlo of the lattice gas on hu2026's lattices (any filling).

    Rejection-free (n-fold way); random numbers are drawn outside the kernel, two per event, from
    a seeded numpy.random.Generator.

    Parameters
    ----------
    kind : {"chain", "honeycomb"}
    size : int
        Cells of the chain, or n of the n × n honeycomb.
    T : float
        Temperature (K), > 0.
    K0 : float, optional
        hu2026's coupling (eV); V = 2 K0 / z unless `V` is given.
    Lambda0 : float, optional
        Bare barrier (eV), >= 0.
    n0 : float, optional
        Ions per two-site cell, in (0, 2).
    V : float, optional
        Nearest-neighbour repulsion (eV), >= 0 (0: non-interacting ions with site exclusion).
    M0 : float, optional
        Concerted-hopping barrier reduction (eV), >= 0.
    field : float, optional
        Zℰ in eV per a along x.
    tau_exc : float, optional
        Lifetime of the concerted-hopping excitation (units of τ), > 0.
    seed : int, optional
    init : {"random", "ordered"}, optional
        "ordered" puts all ions on sublattice a.
    track_states : bool, optional
        Record the time spent in every configuration (n_sites <= 24).
    """

    def __init__(self, kind, size, T, K0=HU2026.K0, Lambda0=HU2026.Lambda0, n0=1.0, V=None, M0=0.0,
                 field=0.0, tau_exc=1.0, seed=0, init="random", track_states=False):
        self.lattice = lg.make_lattice(kind, size)
        lat = self.lattice
        self.T = v.positive("T", T)
        self.Lambda0 = v.nonnegative("Lambda0", Lambda0)
        self.V = (lg.coupling_from_paper(K0, 1.0, lat.z) if V is None
                  else v.nonnegative("V", V))
        self.M0 = v.nonnegative("M0", M0)
        self.tau_exc = v.positive("tau_exc", tau_exc)
        self.field = float(field)
        if not math.isfinite(self.field):
            raise ValueError(f"field must be finite, got {field!r}")
        n0 = float(n0)
        if not 0 < n0 < 2:
            raise ValueError(f"n0 must be in (0, 2) ions per two-site cell, got {n0!r}")
        v.choice("init", init, {"random", "ordered"})
        ns = lat.n_sites
        npart = int(round(n0 * ns / 2))
        if not 0 < npart < ns:
            raise ValueError(f"n0={n0} gives {npart} ions on {ns} sites; need 0 < N < n_sites")
        self.n_particles = npart
        self.rng = np.random.default_rng(seed)
        occ = np.zeros(ns, dtype=np.int8)
        if init == "ordered" and npart <= ns // 2:
            a_sites = np.flatnonzero(lat.sub == 0)
            occ[self.rng.choice(a_sites, npart, replace=False)] = 1
        else:
            occ[self.rng.choice(ns, npart, replace=False)] = 1
        self.occ = occ
        self.exc = np.full(ns, -1, dtype=np.int8)
        self.pid = np.full(ns, -1, dtype=np.int32)
        self.pid[occ == 1] = np.arange(npart, dtype=np.int32)
        self.class_rate, self.sub_rates = class_tables(lat, self.T, self.Lambda0, self.V,
                                                       self.field, self.M0, self.tau_exc)
        nc = self.class_rate.size
        self.cls = np.full(ns, -1, dtype=np.int32)
        self.members = np.zeros((nc, ns), dtype=np.int32)
        self.where = np.zeros(ns, dtype=np.int32)
        self.count = np.zeros(nc, dtype=np.int32)
        _init_classes(self._site(), self._geom(), self._classes(), self.class_rate)
        self.t = 0.0
        na = int(occ[lat.sub == 0].sum())
        npairs = int(round(lg.energy(occ, lat, 1.0)))
        self.state = np.array([na, npairs, 0, 0], dtype=np.int64)
        if track_states and ns > 24:
            raise ValueError("track_states needs n_sites <= 24")
        self.mask_time = np.zeros((1 << ns) if track_states else 1)
        self.mask = int(np.sum(occ.astype(np.int64) << np.arange(ns))) if track_states else 0
        self.reset_observables()

    # -- packed kernel arguments (see _kmc_kernel)
    def _site(self):
        return (self.occ, self.exc, self.pid)

    def _geom(self):
        return (self.lattice.nbr, self.lattice.sub, self.lattice.vecs)

    def _classes(self):
        return (self.cls, self.members, self.where, self.count)

    def _kernel(self, uni, t_stop, samples, isample):
        """One call of :func:`_kmc_kernel` on this state; returns (events used, isample)."""
        obs = (self.pdisp, self.Rvec, self.state, self.acc, self.mask_time)
        t, used, isample, self.mask = _kmc_kernel(
            self._site(), self._geom(), self._classes(), (self.class_rate, self.sub_rates),
            samples, obs, uni, self.t, t_stop, self.M0 > 0.0, isample, self.mask)
        self.t = t
        return used, isample

    # -- bookkeeping
    def reset_observables(self):
        """Zero the displacements, time integrals and state-time histogram (after equilibration)."""
        self.pdisp = np.zeros((self.n_particles, 2))
        self.Rvec = np.zeros(2)
        self.acc = np.zeros(6)
        self.mask_time[:] = 0.0
        self.t0 = self.t
        self.state[2:] = 0

    @property
    def gamma(self):
        """Instantaneous sublattice polarization γ = (N_a − N_b) / N."""
        return (2.0 * self.state[0] - self.n_particles) / self.n_particles

    def total_rate(self):
        """The current total event rate (per τ).

        Returns
        -------
        float
        """
        return float(_total_rate(self.count, self.class_rate))

    def run(self, duration, n_samples=0, snapshots=False, positions=False, chunk=1 << 16):
        """Advance by `duration`, sampling at n_samples equally spaced times.

        Parameters
        ----------
        duration : float
            Time in units of τ, > 0.
        n_samples : int, optional
        snapshots : bool, optional
            Also return the occupations at the sample times.
        positions : bool, optional
            Also return the unwrapped ion displacements.
        chunk : int, optional
            Events per kernel call (random numbers drawn per chunk).

        Returns
        -------
        dict
            t (S,) sample times since the last reset, R (S, 2) collective displacement, msd (S,)
            tracer mean-square displacement per ion, gamma (S,), hops, wall (s); optionally snapshots
            (S, n_sites) and positions (S, N, 2).
        """
        duration = v.positive("duration", duration)
        t_stop = self.t + duration
        S = int(n_samples)
        ts = self.t + duration * np.arange(1, S + 1) / S if S else np.zeros(0)
        s_R = np.zeros((S, 2))
        s_msd = np.zeros(S)
        s_gam = np.zeros(S)
        snaps = np.zeros((S, self.lattice.n_sites) if snapshots and S > 1 else (1, 1), np.int8)
        s_pos = np.zeros((S, self.n_particles, 2) if positions and S > 1 else (1, 1, 2))
        isample = 0
        hops0 = int(self.state[2])
        t_wall = time.perf_counter()
        samples = (ts, s_R, s_msd, s_gam, snaps, s_pos)
        while self.t < t_stop:
            uni = self.rng.random((chunk, 2))
            used, isample = self._kernel(uni, t_stop, samples, isample)
            if used < chunk and self.t < t_stop:  # no event possible (R = 0)
                raise RuntimeError("no possible event (total rate is zero)")
        out = {"t": ts - self.t0, "R": s_R, "msd": s_msd, "gamma": s_gam,
               "hops": int(self.state[2]) - hops0, "wall": time.perf_counter() - t_wall}
        if snapshots and S > 1:
            out["snapshots"] = snaps
        if positions and S > 1:
            out["positions"] = s_pos
        return out

    def run_events(self, n_events, chunk=1 << 16):
        """Advance by exactly n_events events (hops, and relaxations if M0 > 0), without samples.

        Parameters
        ----------
        n_events : int
            >= 0.
        chunk : int, optional

        Returns
        -------
        LatticeGasKMC
            self.
        """
        n = v.integer_in("n_events", n_events, 0)
        e = np.zeros(0)
        samples = (e, np.zeros((0, 2)), e, e, np.zeros((1, 1), np.int8), np.zeros((1, 1, 2)))
        while n > 0:
            uni = self.rng.random((min(chunk, n), 2))
            used, _ = self._kernel(uni, 1e300, samples, 0)
            if used < uni.shape[0]:
                raise RuntimeError("no possible event (total rate is zero)")
            n -= used
        return self

    def hop_rate(self, n_events=None):
        """Hops per ion per τ, measured over further events.

        Parameters
        ----------
        n_events : int, optional
            Default 20 per ion.

        Returns
        -------
        float
        """
        n_events = n_events or 20 * self.n_particles
        t0, h0 = self.t, int(self.state[2])
        self.run_events(n_events)
        return (int(self.state[2]) - h0) / (self.t - t0) / self.n_particles

    def moments(self):
        """Time averages since the last reset.

        Returns
        -------
        dict
            abs ⟨|γ|⟩, g2 ⟨γ²⟩, g4 ⟨γ⁴⟩, g1 ⟨γ⟩, pairs ⟨n_pairs⟩/n_sites.
        """
        a = self.acc
        T = a[0]
        return {"abs": a[1] / T, "g2": a[2] / T, "g4": a[3] / T, "g1": a[4] / T,
                "pairs": a[5] / T / self.lattice.n_sites}

    def state_probabilities(self):
        """Fraction of the time spent in each configuration (needs track_states=True).

        Returns
        -------
        ndarray, shape (2**n_sites,)
            Bit i of the index is the occupation of site i.
        """
        return self.mask_time / self.mask_time.sum()


# ----------------------------------------------------------------------------------------------
# analysis


def binder(g2, g4):
    """Binder cumulant U = 1 − ⟨γ⁴⟩ / (3 ⟨γ²⟩²).

    Parameters
    ----------
    g2, g4 : float or array_like

    Returns
    -------
    float or ndarray
    """
    return 1.0 - np.asarray(g4) / (3.0 * np.asarray(g2) ** 2)


def msd_slope(t, y, start=0.3):
    """Least-squares slope (with intercept) of y(t) over the points with t >= start · t_max.

    Parameters
    ----------
    t, y : array_like
    start : float, optional

    Returns
    -------
    float
    """
    t, y = np.asarray(t), np.asarray(y)
    sel = t >= start * t.max()
    A = np.stack([t[sel], np.ones(sel.sum())], axis=1)
    return float(np.linalg.lstsq(A, y[sel], rcond=None)[0][0])


def collective_msd(t, R, max_lag_frac=0.02):
    """⟨|R(t0 + s) − R(t0)|²⟩ averaged over time origins (and ions for (S, N, 2) input).

    Parameters
    ----------
    t : array_like, shape (S,)
        Equally spaced sample times.
    R : array_like, shape (S, 2) or (S, N, 2)
    max_lag_frac : float, optional
        Largest lag as a fraction of the run.

    Returns
    -------
    lags : ndarray
    msd : ndarray
    """
    R = np.asarray(R)
    S = R.shape[0]
    nl = max(2, int(S * max_lag_frac))
    dt = t[1] - t[0]
    lags = np.arange(1, nl + 1)
    msd = np.array([np.mean(np.sum((R[l:] - R[:-l]) ** 2, axis=-1)) for l in lags])
    return lags * dt, msd


def diffusion(res, dim, n_particles):
    """Tracer D*, charge D_σ (a²/τ) and the Haven ratio D*/D_σ from one run.

    D_σ = ⟨|ΔR|²⟩ / (2 d N t) from the collective displacement (time origins averaged, lags up
    to 2 % of the run); D* from the ions' positions if they were sampled, else from the
    mean-square displacement since the start of the run.

    Parameters
    ----------
    res : dict
        Output of :meth:`LatticeGasKMC.run`.
    dim : int
        Dimension of the lattice.
    n_particles : int

    Returns
    -------
    dict
        D_tracer, D_sigma, haven.
    """
    t = res["t"]
    if "positions" in res:
        lags, m = collective_msd(t, res["positions"])
        D_tr = msd_slope(lags, m, start=0.0) / (2 * dim)
    else:
        D_tr = msd_slope(t, res["msd"]) / (2 * dim)
    lags, m = collective_msd(t, res["R"])
    D_sig = msd_slope(lags, m, start=0.0) / (2 * dim * n_particles)
    return {"D_tracer": D_tr, "D_sigma": D_sig, "haven": D_tr / D_sig}


def drift_diffusion(res, n_particles, field, T, axis=0):
    """Charge diffusion coefficient from the drift under a weak field (Nernst-Einstein):
    D_σ = k_B T ⟨Ṙ⟩ / (N Zℰ).

    Parameters
    ----------
    res : dict
        Output of :meth:`LatticeGasKMC.run`.
    n_particles : int
    field : float
        Zℰ (eV per a).
    T : float
        Temperature (K).
    axis : int, optional

    Returns
    -------
    float
    """
    t = res["t"]
    vel = msd_slope(t, res["R"][:, axis], start=0.0)
    return vel * KB_EV * T / (n_particles * field)


# ----------------------------------------------------------------------------------------------
# sweep task functions (plain arrays in, dict of arrays out: cached by ionbook.sweep)


def _equilibrated(kind, size, T, K0, Lambda0, seed, hops_eq, M0=0.0, n0=1.0, init="ordered",
                  field=0.0, tau_exc=1.0):
    sim = LatticeGasKMC(kind, size, T, K0=K0, Lambda0=Lambda0, n0=n0, M0=M0, seed=seed,
                        init=init, field=field, tau_exc=tau_exc)
    sim.run_events(int(hops_eq * sim.n_particles))
    return sim


def equilibrium_task(kind, size, T, K0, Lambda0, seed, hops_eq, hops_run, n_samples=1000,
                     M0=0.0, n0=1.0, init="ordered", tau_exc=1.0):
    """One equilibrium run (sweep task): hops_run hops per ion after hops_eq, the duration set from a
    pilot measurement of the hop rate.

    Parameters
    ----------
    kind : {"chain", "honeycomb"}
    size : int
        Cells (chain) or n of the n × n honeycomb.
    T : float
        Temperature (K).
    K0, Lambda0 : float
        hu2026's coupling and bare barrier (eV); V = 2 K0 / z.
    seed : int
        Seed of the run's numpy.random.Generator.
    hops_eq, hops_run : float
        Hops per ion for equilibration and for the measurement.
    n_samples : int, optional
    M0, n0, init, tau_exc : optional
        As for :class:`LatticeGasKMC`.

    Returns
    -------
    dict
        abs, g2, g4, pairs, D_tracer, D_sigma, hops, hop_rate, n_particles, wall.
    """
    sim = _equilibrated(kind, size, T, K0, Lambda0, seed, hops_eq, M0, n0, init,
                        tau_exc=tau_exc)
    rate = sim.hop_rate()
    sim.reset_observables()
    res = sim.run(hops_run / rate, n_samples=n_samples)
    mo = sim.moments()
    d = diffusion(res, sim.lattice.dim, sim.n_particles)
    return {"abs": mo["abs"], "g2": mo["g2"], "g4": mo["g4"], "pairs": mo["pairs"],
            "D_tracer": d["D_tracer"], "D_sigma": d["D_sigma"], "hops": res["hops"],
            "hop_rate": rate, "n_particles": sim.n_particles, "wall": res["wall"]}


def drift_task(kind, size, T, K0, Lambda0, seed, hops_eq, hops_run, field, M0=0.0, n0=1.0,
               init="ordered"):
    """One run under a weak field (sweep task): D_σ from the drift.

    Parameters
    ----------
    kind, size, T, K0, Lambda0, seed, hops_eq, hops_run
        As for :func:`equilibrium_task`.
    field : float
        Zℰ (eV per a) along x.
    M0, n0, init : optional

    Returns
    -------
    dict
        D_drift, hops.
    """
    sim = _equilibrated(kind, size, T, K0, Lambda0, seed, hops_eq, M0, n0, init, field)
    rate = sim.hop_rate()
    sim.reset_observables()
    res = sim.run(hops_run / rate, n_samples=200)
    return {"D_drift": drift_diffusion(res, sim.n_particles, field, T), "hops": res["hops"]}


def binder_task(kind, size, T, K0, Lambda0, seed, hops_eq, hops_run, n_blocks=10):
    """Moments of γ in n_blocks consecutive blocks of one run (sweep task; block values give error
    bars).

    Parameters
    ----------
    kind, size, T, K0, Lambda0, seed, hops_eq, hops_run
        As for :func:`equilibrium_task`.
    n_blocks : int, optional

    Returns
    -------
    dict
        abs, g2, g4 (n_blocks,), wall, n_events.
    """
    sim = _equilibrated(kind, size, T, K0, Lambda0, seed, hops_eq)
    per = int(hops_run * sim.n_particles / n_blocks)
    out = {k: np.zeros(n_blocks) for k in ("abs", "g2", "g4")}
    t0 = time.perf_counter()
    for b in range(n_blocks):
        sim.reset_observables()
        sim.run_events(per)
        mo = sim.moments()
        for k in out:
            out[k][b] = mo[k]
    out["wall"] = time.perf_counter() - t0
    out["n_events"] = per * n_blocks
    return out


# ----------------------------------------------------------------------------------------------
# plain NumPy reference (slow): one KMC step by brute force over the full event list


def reference_step(occ, exc, lattice, T, Lambda0, V, field, M0, tau_exc, u):
    """One rejection-free step by brute force over the full event list (plain NumPy reference of the
    kernel).

    Parameters
    ----------
    occ, exc : ndarray
        Occupations and excitations of the sites.
    lattice : latticegas.Lattice
    T, Lambda0, V, field, M0, tau_exc : float
        As for :class:`LatticeGasKMC`.
    u : array_like, shape (3,)
        Uniforms in [0, 1): event choice, (unused), waiting time.

    Returns
    -------
    occ, exc : ndarray
        The new state.
    dt : float
    event : tuple
        (p, q) for a hop p → q, (−1, q) for a relaxation at q.
    """
    orig, slot, dest, rate = lg.hop_rates_reference(occ, lattice, T, Lambda0, V, field, M0, exc)
    relax = np.flatnonzero((exc >= 0) & (occ == 0)) if M0 > 0 else np.zeros(0, int)
    rates = np.concatenate([rate, np.full(relax.size, 1.0 / tau_exc)])
    R = rates.sum()
    i = int(np.searchsorted(np.cumsum(rates), u[0] * R, side="right"))
    i = min(i, rates.size - 1)
    occ, exc = occ.copy(), exc.copy()
    dt = -math.log(1.0 - u[2]) / R
    if i >= rate.size:
        q = relax[i - rate.size]
        exc[q] = -1
        return occ, exc, dt, (-1, q)
    p, q = orig[i], dest[i]
    occ[p], occ[q] = 0, 1
    exc[q] = -1
    if M0 > 0:
        exc[p] = int(np.flatnonzero(lattice.nbr[p] == q)[0])
    return occ, exc, dt, (p, q)


def chain_correlation_task(size, T, K0, Lambda0, seed, hops_eq, hops_run, r_max=40,
                           n_snapshots=200):
    """Staggered correlation ⟨s_0 s_r⟩ (s = 2n − 1) of the chain from equally spaced snapshots
    (sweep task).

    Parameters
    ----------
    size, T, K0, Lambda0, seed, hops_eq, hops_run :
        As for :func:`equilibrium_task` (kind is "chain").
    r_max : int, optional
    n_snapshots : int, optional

    Returns
    -------
    dict
        r, G, g2.
    """
    sim = _equilibrated("chain", size, T, K0, Lambda0, seed, hops_eq)
    rate = sim.hop_rate()
    sim.reset_observables()
    res = sim.run(hops_run / rate, n_samples=n_snapshots, snapshots=True)
    s = 2.0 * res["snapshots"] - 1.0
    r = np.arange(r_max + 1)
    G = np.array([np.mean(s * np.roll(s, -k, axis=1)) for k in r])
    return {"r": r, "G": G, "g2": sim.moments()["g2"]}


# ----------------------------------------------------------------------------------------------
# grand-canonical reference: the same lattice gas exchanging ions with a reservoir


@njit(cache=True, inline="always")
def _gc_pick(u0, wcls, classes, class_rate):
    """The site of the next insertion/removal: class by its total, site uniformly in it."""
    members, count = classes[1], classes[3]
    nc = wcls.shape[0]
    c = nc - 1
    cum = 0.0
    for cc in range(nc):
        if cum + wcls[cc] > u0:
            c = cc
            break
        cum += wcls[cc]
    while count[c] == 0:  # rounding at the top of the total
        c -= 1
    i = int((u0 - cum) / class_rate[c])
    if i >= count[c]:
        i = count[c] - 1
    return members[c, i]


@njit(cache=True)
def _gc_kernel(occ, geom, classes, class_rate, uni, t, state, acc):
    """Rejection-free (BKL) single-site insertion/removal dynamics. geom = (nbr, sub),
    classes = (cls, members, where, count); the class of a site is occ·(z+1) + (number of
    occupied neighbours). state = [n_a, n_b]; acc += ∫dt, ∫|m|dt, ∫m²dt, ∫m⁴dt with the
    staggered magnetization m = (n_a − n_b) / (n_sites/2)."""
    nbr, sub = geom
    z = nbr.shape[1]
    nc = class_rate.shape[0]
    half = occ.shape[0] / 2.0
    na = state[0]
    nb = state[1]
    wcls = np.empty(nc)
    for c in range(nc):
        wcls[c] = classes[3][c] * class_rate[c]
    R = wcls.sum()
    for e in range(uni.shape[0]):
        u0 = uni[e, 0] * R
        dt = -math.log(1.0 - uni[e, 1]) / R
        m = (na - nb) / half
        _accumulate_gc(acc, dt, m)
        t += dt
        x = _gc_pick(u0, wcls, classes, class_rate)
        occ[x] = 1 - occ[x]
        d = 1 if occ[x] else -1
        if sub[x] == 0:
            na += d
        else:
            nb += d
        for ii in range(z + 1):
            y = x if ii == 0 else nbr[x, ii - 1]
            mm = 0
            for k in range(z):
                mm += occ[nbr[y, k]]
            _move_to_class(y, occ[y] * (z + 1) + mm, classes, class_rate, wcls, 0.0)
        R = 0.0
        for cc in range(nc):
            R += wcls[cc]
    state[0] = na
    state[1] = nb
    return t


@njit(cache=True, inline="always")
def _accumulate_gc(acc, dt, m):
    m2 = m * m
    acc[0] += dt
    acc[1] += dt * abs(m)
    acc[2] += dt * m2
    acc[3] += dt * m2 * m2


def gc_binder_task(kind, size, T, K0, seed, sweeps_eq, sweeps_run, n_blocks=10):
    """Grand-canonical lattice gas at the half-filling chemical potential μ = zV/2 (the Ising model
    at zero field), by rejection-free single-site exchange with a reservoir (Metropolis rates):
    block moments of the staggered magnetization m = (N_a − N_b)/(N_s/2) (sweep task).

    Parameters
    ----------
    kind, size, T, K0, seed :
        As for :func:`equilibrium_task`.
    sweeps_eq, sweeps_run : float
        Attempts per site for equilibration and measurement.
    n_blocks : int, optional

    Returns
    -------
    dict
        abs, g2, g4 (n_blocks,), wall, n_events.
    """
    lat = lg.make_lattice(kind, size)
    T = v.positive("T", T)
    z, ns = lat.z, lat.n_sites
    V = lg.coupling_from_paper(K0, 1.0, z)
    mu = z * V / 2
    kT = KB_EV * T
    class_rate = np.empty(2 * (z + 1))
    for o in range(2):
        for m in range(z + 1):
            dE = (V * m - mu) * (1 if o == 0 else -1)  # insertion (o = 0) or removal (o = 1)
            class_rate[o * (z + 1) + m] = min(1.0, math.exp(-dE / kT))
    rng = np.random.default_rng(seed)
    occ = (lat.sub == 0).astype(np.int8)  # start ordered
    cnt = occ[lat.nbr].sum(axis=1)
    cls = (occ * (z + 1) + cnt).astype(np.int32)
    nc = class_rate.size
    members = np.zeros((nc, ns), dtype=np.int32)
    where = np.zeros(ns, dtype=np.int32)
    count = np.zeros(nc, dtype=np.int32)
    for x in range(ns):
        c = cls[x]
        members[c, count[c]] = x
        where[x] = count[c]
        count[c] += 1
    state = np.array([int(occ[lat.sub == 0].sum()), int(occ[lat.sub == 1].sum())], np.int64)
    acc = np.zeros(4)
    t = 0.0
    chunk = 1 << 16

    def run(n):
        nonlocal t
        while n > 0:
            u = rng.random((min(chunk, n), 2))
            t = _gc_kernel(occ, (lat.nbr, lat.sub), (cls, members, where, count), class_rate,
                           u, t, state, acc)
            n -= u.shape[0]

    run(int(sweeps_eq * ns))
    out = {k: np.zeros(n_blocks) for k in ("abs", "g2", "g4")}
    t0 = time.perf_counter()
    for b in range(n_blocks):
        acc[:] = 0.0
        run(int(sweeps_run * ns / n_blocks))
        out["abs"][b], out["g2"][b], out["g4"][b] = acc[1] / acc[0], acc[2] / acc[0], acc[3] / acc[0]
    out["wall"] = time.perf_counter() - t0
    out["n_events"] = int(sweeps_run * ns)
    return out


# ----------------------------------------------------------------------------------------------
# Compatibility shims: hu2026's sweep presets moved to ionmotion.papers.hu2026
# ----------------------------------------------------------------------------------------------
# Thin lazy re-exports (see ionmotion._compat): the chapter still calls these names here; new
# code imports them from ionmotion.papers.hu2026.
__getattr__, __dir__ = moved(__name__, dict.fromkeys(
    ("PAPER_K0", "PAPER_LAMBDA0", "PAPER_N0", "paper_tp", "binder_tasks", "binder_table",
     "binder_crossings", "grid_tasks", "average_over_seeds", "gc_binder_tasks"),
    "ionmotion.papers.hu2026"))
