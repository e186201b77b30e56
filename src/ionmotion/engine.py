"""What every particle engine shares: the particle's state, the result type, the stepping driver
and the guards against bad input (unstable time step, too many steps, a run that cannot be
interrupted).

Engines
-------
Five engines move one mobile particle through a harmonic framework:

* whole lattice, velocity Verlet (:func:`ionmotion.full.simulate_lattice`),
* the lattice's discrete Green's function on the interacting masses
  (:func:`ionmotion.full.simulate_response`),
* the normal coordinates of the coupled modes (:func:`ionmotion.full.simulate_modal`),
* the time-local equation, Butcher RK5, framework at rest (:func:`ionmotion.timelocal.integrate`),
* the time-local equation with a thermal framework (:func:`ionmotion.thermal.trajectory`).

They share one pattern. A :class:`ParticleState` (t, R, V and the step counter) is advanced by a
numba kernel over a *chunk* of steps ``[n0, n1)``; the kernel also updates the engine's own
framework state (lattice field, force history, mode amplitudes or mode phases), which lives in
arrays the Python driver keeps between chunks. :func:`drive` sizes the chunks to a fraction of
a second of work, so Ctrl-C (KeyboardInterrupt) stops any run within about a second, and reads
the kernel's status after every chunk: a kernel that sees the particle's own curvature exceed the
integrator's stability bound stops and :func:`drive` raises a ValueError naming ``dt`` and a
safe value (:func:`unstable_dt_error`). Every engine returns a :class:`Trajectory`.
"""
import os
import time
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._validate import integer_in
from .potentials import pair_derivatives

# kernel status codes (the kernels return them, drive() turns them into exceptions)
RUNNING = 0
STOPPED = 1         # the stop condition (e.g. r[axis] >= value) was reached
UNSTABLE = 2        # the particle's curvature exceeded the stability bound for dt

MAX_STEPS = 2**53
"""Largest n_steps accepted (float64 times are exact integers times dt up to here)."""


# --------------------------------------------------------------------------------------------
# State and result
# --------------------------------------------------------------------------------------------


@dataclass
class ParticleState:
    """The mobile particle: time t, position R (3,), velocity V (3,) and the number of steps
    taken. Engines advance it in place, chunk by chunk."""
    t: float
    R: np.ndarray
    V: np.ndarray
    step: int = 0

    @classmethod
    def start(cls, R0, V0, t0=0.0):
        return cls(float(t0), np.array(R0, float).reshape(3).copy(),
                   np.array(V0, float).reshape(3).copy(), 0)


@dataclass
class Trajectory:
    """Result of every particle engine (same field names everywhere).

    t (K,) sampled times; R (K, 3) and V (K, 3) the particle's positions and velocities there;
    R_final, V_final the state after the last step; n_steps the steps taken; finished whether the
    stop condition was reached; engine the engine's name; extras engine-specific results (u0, u,
    w, energy, cell_changes, mode_evaluations, ...).

    Backward compatible: ``res["r"]``, ``res["v_final"]``, ``res["energy"]`` ... read the fields
    and extras under the names the engines' dicts used, and ``t, R, V = res`` or ``res[2]``
    unpack like the tuples the time-local engines returned.
    """
    t: np.ndarray
    R: np.ndarray
    V: np.ndarray
    R_final: np.ndarray
    V_final: np.ndarray
    n_steps: int
    finished: bool = False
    engine: str = ""
    extras: dict = field(default_factory=dict)
    unpack: tuple = ("t", "R", "V")

    _ALIASES = {"r": "R", "v": "V", "r_final": "R_final", "v_final": "V_final"}
    _FIELDS = ("t", "R", "V", "R_final", "V_final", "n_steps", "finished")

    def _get(self, name):
        name = self._ALIASES.get(name, name)
        if name in self._FIELDS:
            return getattr(self, name)
        return self.extras[name]

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return self._get(key)
            except KeyError:
                raise KeyError(key) from None
        return tuple(self)[key]

    def __iter__(self):
        return iter(tuple(self._get(n) for n in self.unpack))

    def __len__(self):
        return len(self.unpack)

    def __contains__(self, key):
        return key in self.keys()

    def keys(self):
        """Legacy dict keys: r, v, r_final, v_final, t, n_steps, finished and the extras."""
        return ["t", "r", "v", "r_final", "v_final", "n_steps", "finished", *self.extras]

    def get(self, key, default=None):
        return self[key] if key in self.keys() or key in self._FIELDS else default


def trajectory_from_record(record, n_rec, state, n_steps, finished, engine, extras=None,
                           unpack=("t", "R", "V")):
    """A :class:`Trajectory` from a record array whose rows are (t, R, V, …)."""
    return Trajectory(t=record[:n_rec, 0], R=record[:n_rec, 1:4], V=record[:n_rec, 4:7],
                      R_final=state.R, V_final=state.V, n_steps=int(n_steps),
                      finished=bool(finished), engine=engine, extras=dict(extras or {}),
                      unpack=unpack)


# --------------------------------------------------------------------------------------------
# Guards: step count, memory, time step
# --------------------------------------------------------------------------------------------


def available_memory():
    """Bytes of physical memory currently available (Linux), or 8 GiB if unknown."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def check_steps(n_steps, name="n_steps"):
    """n_steps as an int in [1, MAX_STEPS] (ValueError naming it otherwise)."""
    return integer_in(name, n_steps, 1, MAX_STEPS)


def check_memory(what, n_bytes, fix, fraction=0.5):
    """ValueError before allocating when `n_bytes` exceed `fraction` of the available memory.
    what: the array being sized (names the parameters); fix: what to change."""
    limit = fraction * available_memory()
    if n_bytes > limit:
        raise ValueError(f"{what} would need {n_bytes / 2**30:.3g} GiB, more than the "
                         f"{limit / 2**30:.3g} GiB that can be allocated; {fix}")


def unstable_dt_error(dt, rate, limit, integrator, detail=None):
    """The ValueError for a time step at which the particle itself is unstable (`detail`: what
    the guard measured, instead of the bare comparison of dt·Ω with `limit`)."""
    what = detail or f"dt·Ω = {dt * rate:.3g} > {limit:g}, the stability bound of {integrator}"
    return ValueError(
        f"dt = {dt:.4g} is unstable for the particle: along its path the curvature of its "
        f"potential energy reaches the rate Ω = {rate:.4g} (dt·Ω = {dt * rate:.3g}; {what}"
        f"{' of ' + integrator if detail else ''}); use dt <= {0.5 * limit / rate:.3g}")


@njit(cache=True)
def lambda_max_sym3(H):
    """Largest eigenvalue of a symmetric 3×3 matrix (closed form, trigonometric)."""
    p1 = H[0, 1] ** 2 + H[0, 2] ** 2 + H[1, 2] ** 2
    q = (H[0, 0] + H[1, 1] + H[2, 2]) / 3.0
    if p1 == 0.0:
        return max(H[0, 0], max(H[1, 1], H[2, 2]))
    p2 = (H[0, 0] - q) ** 2 + (H[1, 1] - q) ** 2 + (H[2, 2] - q) ** 2 + 2.0 * p1
    p = np.sqrt(p2 / 6.0)
    b00 = (H[0, 0] - q) / p
    b11 = (H[1, 1] - q) / p
    b22 = (H[2, 2] - q) / p
    b01 = H[0, 1] / p
    b02 = H[0, 2] / p
    b12 = H[1, 2] / p
    det = b00 * (b11 * b22 - b12 * b12) - b01 * (b01 * b22 - b12 * b02) \
        + b02 * (b01 * b12 - b11 * b02)
    r = min(1.0, max(-1.0, 0.5 * det))
    return q + 2.0 * p * np.cos(np.arccos(r) / 3.0)


@njit(cache=True)
def curvature_rate2(Htot, M):
    """Ω² = λ_max(H)/M of the particle's summed pair Hessian (0 if the curvature is negative)."""
    lm = lambda_max_sym3(Htot) / M
    return lm if lm > 0.0 else 0.0


# --------------------------------------------------------------------------------------------
# Shared numba pieces of the velocity-Verlet engines
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def pair_forces(r, uI, pos, pair, fp, fs, Htot):
    """Interaction of the particle at r with the interacting masses (equilibrium pos (n, 3),
    displacements uI (n, 3)): returns the energy, writes the force on the particle fp (3,), the
    force on each mass fs (n, 3) and the summed Hessian Htot (3, 3). pair = (code, amp, lam)."""
    code, amp, lam = pair
    grad = np.empty(3)
    hess = np.empty((3, 3))
    e = 0.0
    fp[:] = 0.0
    Htot[:, :] = 0.0
    for I in range(pos.shape[0]):
        dx = r[0] - pos[I, 0] - uI[I, 0]
        dy = r[1] - pos[I, 1] - uI[I, 1]
        dz = r[2] - pos[I, 2] - uI[I, 2]
        e += pair_derivatives(code, amp, lam, dx, dy, dz, grad, hess)
        for x in range(3):
            fp[x] -= grad[x]
            fs[I, x] = grad[x]
            for y in range(3):
                Htot[x, y] += hess[x, y]
    return e


@njit(cache=True, inline="always")
def project(f, d):
    """Project f on the unit direction d in place (no-op for d = 0: free 3D motion)."""
    if d[0] == 0.0 and d[1] == 0.0 and d[2] == 0.0:
        return
    p = f[0] * d[0] + f[1] * d[1] + f[2] * d[2]
    for x in range(3):
        f[x] = p * d[x]


@njit(cache=True, inline="always")
def particle_drift(r, v, ap, dt):
    """Velocity-Verlet position update and first half kick of the particle."""
    for x in range(3):
        r[x] += dt * v[x] + 0.5 * dt * dt * ap[x]
        v[x] += 0.5 * dt * ap[x]


@njit(cache=True, inline="always")
def particle_kick(v, ap, fp, M, dt):
    """Second half kick of the particle with the new force fp; ap ← fp/M."""
    for x in range(3):
        ap[x] = fp[x] / M
        v[x] += 0.5 * dt * ap[x]


@njit(cache=True, inline="always")
def record_row(rec, k, t, r, v):
    """Row k of a record: time, particle position and velocity (columns 0-6)."""
    rec[k, 0] = t
    for x in range(3):
        rec[k, 1 + x] = r[x]
        rec[k, 4 + x] = v[x]


VERLET_LIMIT = 2.0
"""Velocity Verlet is stable for oscillations with dt·Ω < 2."""


@njit(cache=True, inline="always")
def verlet_guard(Htot, M, dt, worst):
    """True if dt·Ω ≥ 2 for the particle, Ω² = λ_max(H)/M (then stored in worst[0]). The exact
    eigenvalue is computed only when the cheap bound ‖H‖_F ≥ λ_max says it might be needed."""
    f2 = 0.0
    for x in range(3):
        for y in range(3):
            f2 += Htot[x, y] * Htot[x, y]
    if np.sqrt(f2) / M * dt * dt < VERLET_LIMIT * VERLET_LIMIT:
        return False
    w2 = curvature_rate2(Htot, M)
    if w2 > worst[0]:
        worst[0] = w2
    return w2 * dt * dt >= VERLET_LIMIT * VERLET_LIMIT


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------

CHUNK_SECONDS = 0.2
"""Wall time aimed at per kernel call: Ctrl-C is seen between chunks."""


def drive(advance, n_total, first=8, seconds=CHUNK_SECONDS):
    """Run ``advance(n0, n1) -> status`` over steps [0, n_total) in chunks of about `seconds`
    of work each; returns (status, steps done). The first chunk is small and measures the cost
    per step; later chunks are sized from it (and from every chunk after). Python sees pending
    signals between chunks, so KeyboardInterrupt stops a run within about a chunk."""
    done = 0
    chunk = max(1, min(first, n_total))
    status = RUNNING
    while done < n_total:
        m = min(chunk, n_total - done)
        t0 = time.perf_counter()
        status = advance(done, done + m)
        wall = time.perf_counter() - t0
        done += m
        if status != RUNNING:
            break
        per_step = max(wall / m, 1e-9)
        chunk = int(min(max(1, seconds / per_step), 8 * m + 8, 2**40))
    return status, done
