"""Full (time-nonlocal) equations of motion: a periodic harmonic lattice plus one mobile particle.

rodin2024 Eqs. (3)-(4) / rodin2025 Eq. (1): the particle (mass M) interacts through a pair
potential with a chosen set of framework masses (mass m) of a periodic N_x×N_y×N_z lattice (the
:class:`~ionmotion.lattice.CubicLattice`, or the :class:`~ionmotion.lattice.Chain` as a 1×1×N
lattice along z). One engine serves both unit systems: physical (meV, Å, ps, masses in
meV·ps²/Å²) and rodin2024's dimensionless units (framework mass 1/4π², particle mass μ/4π², time
in periods), because the equations only involve the masses, springs and the potential.

Two integrators, both velocity Verlet (symplectic, second order):

* :func:`simulate_lattice` - the whole periodic lattice is stepped (numba). Supports initial
  framework displacements and velocities. Cost ∝ number of sites × steps: the reference for small
  lattices and for the tests.
* :func:`simulate_modal` - the same dynamics in the normal coordinates of the modes that touch
  the interacting masses (cost ∝ those modes × steps; the fast route for the chain).
* :func:`simulate_response` - the lattice is eliminated exactly. Because the framework is linear,
  velocity Verlet applied to it is, mode by mode, the recursion ζ_{n+1} = 2cosθ ζ_n − ζ_{n−1}
  + h² f_n/m with cos θ = 1 − Ω²h²/2, whose solution from rest is
  ζ_n = (h²/m)[½ f_0 S_n + Σ_{k=1}^{n−1} f_k S_{n−k}], S_j = sin(jθ)/sin θ. Summing over the modes
  of the periodic lattice gives the discrete Green's function R_{IJ}(n) among the interacting
  masses (:func:`verlet_response_kernel`), and the interacting masses' displacements follow from
  a convolution with their past forces. This reproduces :func:`simulate_lattice` (framework at
  rest) to round-off while touching only the few interacting masses: cost ∝ modes × steps for
  the kernel (once per lattice, sites and step) plus sites² × steps² for the convolution.
  Symmetry cuts both: on a cubic N³ lattice the kernel sums over the ~N³/48 classes of wave
  vectors under the cubic point group (:func:`wedge_wave_vectors`), and a particle confined to
  a z line through a face or cell centre drives the masses of one orbit of C4v alike, so the
  convolution follows one mass per orbit (:func:`site_orbits`).

All three share one stepping pattern (:mod:`ionmotion.engine`): the engine supplies the
interacting masses' displacements, one routine gives the pair forces and the particle's
curvature, the particle is kicked and drifted, and chunks of steps are driven from Python so
that Ctrl-C stops a run and an unstable time step for the particle raises a ValueError. All
return a :class:`~ionmotion.engine.Trajectory`; :func:`simulate_lattice` also records the total
energy (kinetic + lattice + interaction), conserved by the symplectic integrator up to O(h²)
oscillations (tested). Chain and cubic lattice run through the same code: a framework enters
only through its :class:`Geometry` (bond table, on-site springs, the axes it extends along).
"""
from dataclasses import dataclass

import numpy as np
from numba import njit

from . import engine as eng
from ._validate import finite_array, integer_in, positive
from .engine import (RUNNING, STOPPED, UNSTABLE, pair_forces, particle_drift, particle_kick,
                     project, record_row, verlet_guard)
from .lattice import CELL_CORNERS as CORNERS, Chain, CubicLattice
from .potentials import pair_derivatives  # noqa: F401  (re-exported for older callers)

# --------------------------------------------------------------------------------------------
# Lattice description: bonds (integer offsets, 3×3 stiffness) and on-site springs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geometry:
    """What the engines need to know about a framework, whatever its type.

    offsets (B, 3) integer bond vectors, K (B, 3, 3) bond stiffness and onsite (3, 3) springs
    (framework force on site i: F_i = −onsite u_i − Σ_b K_b (u_i − u_{i+b})); axes: the lattice
    directions the framework extends along (a chain: z only), so a lattice of shape (Nx, Ny, Nz)
    has N = 1 along the others; central_springs: (k1, k2) when the bonds are the simple cubic
    table of central springs (the written-out force kernel then applies), else None."""
    offsets: np.ndarray
    K: np.ndarray
    onsite: np.ndarray
    axes: tuple
    central_springs: tuple = None

    @property
    def cubic(self):
        """True when the framework extends along all three axes (cells, cubic symmetry)."""
        return all(self.axes)


def _central_bonds(offsets, k):
    """K_b = k_b e_b e_bᵀ for central springs along the integer offsets."""
    e = offsets / np.linalg.norm(offsets, axis=1, keepdims=True)
    return np.asarray(k, float)[:, None, None] * e[:, :, None] * e[:, None, :]


def geometry(framework):
    """:class:`Geometry` of a CubicLattice (its bond table, :meth:`CubicLattice.bond_springs`: central
    springs k1 to 6 nearest and k2 to 12 next-nearest neighbours, rodin2024 Eqs. (18)-(19)) or
    of a Chain along z (K = diag(k⊥, k⊥, k∥) to the two neighbours, on-site diag(κ⊥, κ⊥, κ∥),
    rodin2024 Eq. (12)). The only place that looks at the framework's type."""
    if isinstance(framework, CubicLattice):
        b, k = framework.bond_springs()
        offs = np.rint(b / framework.a).astype(int)
        return Geometry(offs, _central_bonds(offs, k), np.zeros((3, 3)), (True, True, True),
                        (float(framework.k1), float(framework.k2)))
    if isinstance(framework, Chain):
        offs = np.array([[0, 0, 1], [0, 0, -1]])
        Kb = np.diag([framework.k_perp, framework.k_perp, framework.k_par])
        onsite = np.diag([framework.kappa_perp, framework.kappa_perp, framework.kappa_par])
        return Geometry(offs, np.stack([Kb, Kb]), onsite, (False, False, True))
    raise ValueError(f"framework must be a CubicLattice or a Chain, got {type(framework).__name__}")


def lattice_bonds(framework):
    """(offsets (B, 3) int, K (B, 3, 3), onsite (3, 3)) with the framework force on site i
    F_i = −onsite u_i − Σ_b K_b (u_i − u_{i+b}); then m D(q) = onsite + Σ_b K_b (1 − cos q·b)."""
    g = geometry(framework)
    return g.offsets, g.K, g.onsite


def _shape(framework, shape):
    """(Nx, Ny, Nz) of the periodic lattice: N along the framework's axes, 1 across them."""
    axes = geometry(framework).axes
    n_ext = sum(axes)
    if np.ndim(shape) == 0:
        shape = tuple(int(shape) if ax else 1 for ax in axes)
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or any(s != 1 for s, ax in zip(shape, axes) if not ax):
        want = "three integers" if n_ext == 3 else "N or (1, 1, N) for a chain"
        raise ValueError(f"shape must be {want}, got {shape!r}")
    for s in shape:
        if s < 1:
            raise ValueError(f"shape entries must be >= 1, got {shape!r}")
    if min(s for s, ax in zip(shape, axes) if ax) < 3:
        raise ValueError("shape: a periodic lattice needs at least 3 sites along each of its "
                         f"directions, got {shape!r}")
    return shape


def _sites(sites, shape):
    s = np.atleast_2d(np.asarray(sites))
    if s.ndim != 2 or s.shape[1] != 3 or s.shape[0] < 1:
        raise ValueError(f"sites must be integer triples (n, 3), got shape {s.shape}")
    if np.any(s != np.round(s)):
        raise ValueError("sites must be integer lattice indices")
    s = s.astype(np.int64)
    for ax in range(3):
        if np.any(s[:, ax] < 0) or np.any(s[:, ax] >= shape[ax]):
            raise ValueError(f"sites: index along axis {ax} outside the lattice [0, {shape[ax]})")
    if len({tuple(v) for v in s}) != len(s):
        raise ValueError("sites must be distinct")
    return s


def finite_max_frequency(framework, shape):
    """Largest angular frequency of the periodic lattice of this shape (the stability limit of
    velocity Verlet is h < 2/Ω_max)."""
    q = _grid_q(framework, shape)
    return float(framework.frequencies(_q_for(framework, q)).max())


def _grid_q(framework, shape):
    axes = []
    for n in shape:
        k = np.arange(n)
        k = np.where(k >= (n + 1) // 2, k - n, k)
        axes.append(2 * np.pi * k / (n * framework.a))
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def _q_for(framework, q):
    """The components of the wave vectors q (…, 3) along the framework's axes."""
    return q[:, np.flatnonzero(geometry(framework).axes)]


@dataclass(frozen=True)
class Setup:
    """Validated common input of the engines."""
    framework: object
    shape: tuple
    sites: np.ndarray        # (n, 3) integer indices
    site_pos: np.ndarray     # (n, 3) equilibrium positions a·index
    code: int
    amp: float
    lam: float
    mass: float              # framework mass
    particle_mass: float
    dt: float
    direction: np.ndarray    # (3,) unit vector of the line constraint, or zeros for 3D motion

    @property
    def pair(self):
        """(code, amp, lam): the pair potential as the kernels take it."""
        return (self.code, self.amp, self.lam)

    @property
    def particle(self):
        """(M, dt, direction): the particle's constants as the kernels take them."""
        return (self.particle_mass, self.dt, self.direction)


def _check_framework_dt(framework, shape, dt):
    om = finite_max_frequency(framework, shape)
    if dt * om >= 2.0:
        raise ValueError(f"dt = {dt:g} exceeds the velocity-Verlet stability limit "
                         f"2/Ω_max = {2 / om:g} of this lattice")


def _direction(line):
    if line is None:
        return np.zeros(3)
    line = finite_array("line", line, shape_tail=(3,))
    n = np.linalg.norm(line)
    if line.shape != (3,) or n == 0:
        raise ValueError("line must be a non-zero direction vector (3,)")
    return line / n


def _setup(framework, shape, potential, sites, particle_mass, r0, dt, line, integrator="verlet"):
    shape = _shape(framework, shape)
    eng.check_memory(f"a lattice of shape {shape} (its modes and state)",
                     24 * 8 * int(np.prod(shape)), "use a smaller shape")
    sites = _sites(sites, shape)
    pos = sites * framework.a
    M = positive("particle_mass", particle_mass)
    dt = positive("dt", dt)
    _check_framework_dt(framework, shape, dt)
    r0 = finite_array("r0", r0, shape_tail=(3,))
    d = np.min(np.linalg.norm(r0[None, :] - pos, axis=1))
    if d <= 1e-9 * framework.a:
        raise ValueError("r0: the particle starts on top of an interacting mass")
    if not hasattr(potential, "code") or potential.code < 0:
        raise ValueError("potential must be an ionmotion.potentials pair potential "
                         "(Yukawa or Gaussian)")
    return Setup(framework, shape, sites, pos.astype(float), int(potential.code),
                 float(potential.amp), float(potential.lam), float(framework.mass), M, dt,
                 _direction(line))


def _start(S, r0, v0):
    """The particle's initial :class:`~ionmotion.engine.ParticleState` (v0 along the line)."""
    v0 = finite_array("v0", v0, shape_tail=(3,))
    if v0.shape != (3,):
        raise ValueError(f"v0 must be a single 3-vector, got shape {v0.shape}")
    d = S.direction
    if np.any(d != 0) and np.linalg.norm(v0 - (v0 @ d) * d) > 1e-12 * max(1.0, np.linalg.norm(v0)):
        raise ValueError("v0 must be parallel to the line constraint")
    return eng.ParticleState.start(r0, v0)


def _stop(stop, d=None):
    if stop is None:
        return -1, np.inf
    axis, value = stop
    axis = integer_in("stop axis", axis, 0, 2)
    return axis, float(value)


def _record(n_steps, record_every, columns, per_row_extra=0, what="the trajectory record"):
    """Record array (rows at every record_every-th step), memory checked before allocating."""
    n_rec = n_steps // record_every + 1
    eng.check_memory(what, 8 * n_rec * (columns + per_row_extra),
                     "raise record_every or lower n_steps")
    return np.zeros((n_rec, columns))


def _unstable(S, worst, status):
    """Raise the particle's unstable-dt error if a kernel reported it."""
    if status == UNSTABLE:
        raise eng.unstable_dt_error(S.dt, float(np.sqrt(worst)), eng.VERLET_LIMIT,
                                    "velocity Verlet")


# --------------------------------------------------------------------------------------------
# Engine 1: the whole periodic lattice, velocity Verlet
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def _lattice_accel_kernel(u, offs, K, onsite, m, acc):
    """acc = −(onsite u + Σ_b K_b (u_i − u_{i+b}))/m on a periodic (Nx, Ny, Nz, 3) lattice."""
    nx, ny, nz = u.shape[0], u.shape[1], u.shape[2]
    nb = offs.shape[0]
    inv = 1.0 / m
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                f0 = 0.0
                f1 = 0.0
                f2 = 0.0
                u0 = u[i, j, k, 0]
                u1 = u[i, j, k, 1]
                u2 = u[i, j, k, 2]
                for b in range(nb):
                    ii = (i + offs[b, 0]) % nx
                    jj = (j + offs[b, 1]) % ny
                    kk = (k + offs[b, 2]) % nz
                    d0 = u0 - u[ii, jj, kk, 0]
                    d1 = u1 - u[ii, jj, kk, 1]
                    d2 = u2 - u[ii, jj, kk, 2]
                    f0 -= K[b, 0, 0] * d0 + K[b, 0, 1] * d1 + K[b, 0, 2] * d2
                    f1 -= K[b, 1, 0] * d0 + K[b, 1, 1] * d1 + K[b, 1, 2] * d2
                    f2 -= K[b, 2, 0] * d0 + K[b, 2, 1] * d1 + K[b, 2, 2] * d2
                f0 -= onsite[0, 0] * u0 + onsite[0, 1] * u1 + onsite[0, 2] * u2
                f1 -= onsite[1, 0] * u0 + onsite[1, 1] * u1 + onsite[1, 2] * u2
                f2 -= onsite[2, 0] * u0 + onsite[2, 1] * u1 + onsite[2, 2] * u2
                acc[i, j, k, 0] = f0 * inv
                acc[i, j, k, 1] = f1 * inv
                acc[i, j, k, 2] = f2 * inv


@njit(cache=True, inline="always")
def _nnn_plane(pa, pb, ma, mb, qa, qb, na, nb, ua, ub, h):
    """Force (÷ mass) on components a, b from the four next-nearest neighbours in the (a, b)
    plane: p, m at ±(e_a + e_b), q, n at ±(e_a − e_b) (their a and b displacements), springs
    (k2/2)(e_a ± e_b)(e_a ± e_b)ᵀ, h = k2/2; ua, ub the site's own displacement."""
    s = pa + pb + ma + mb - 2.0 * (ua + ub)
    d = qa - qb + na - nb - 2.0 * (ua - ub)
    return h * (s + d), h * (s - d)


@njit(cache=True)
def _cubic_accel_kernel(u, k1, k2, m, xp, xm, yp, ym, zp, zm, acc):
    """acc = framework force / m for the simple cubic lattice of central springs (k1 to the 6
    nearest, k2 to the 12 next-nearest neighbours), written out bond by bond: a nearest bond
    along axis c acts on component c only, a next-nearest bond along (e_a ± e_b)/√2 gives the
    force ∓(k2/2)[(Δu_a ± Δu_b)](e_a ± e_b) with Δu = u_i − u_j. Periodic neighbours come from
    the index tables xp = (i+1) mod nx, xm = (i−1) mod nx, … (no modulo in the loop). Equal to
    :func:`_lattice_accel_kernel` with :func:`lattice_bonds` (tested)."""
    nx, ny, nz = u.shape[0], u.shape[1], u.shape[2]
    h = 0.5 * k2
    inv = 1.0 / m
    for i in range(nx):
        ip, im = xp[i], xm[i]
        for j in range(ny):
            jp, jm = yp[j], ym[j]
            for k in range(nz):
                kp, km = zp[k], zm[k]
                u0 = u[i, j, k, 0]
                u1 = u[i, j, k, 1]
                u2 = u[i, j, k, 2]
                # nearest neighbours
                f0 = k1 * (u[ip, j, k, 0] + u[im, j, k, 0] - 2.0 * u0)
                f1 = k1 * (u[i, jp, k, 1] + u[i, jm, k, 1] - 2.0 * u1)
                f2 = k1 * (u[i, j, kp, 2] + u[i, j, km, 2] - 2.0 * u2)
                # next-nearest neighbours, plane by plane: (+,+), (−,−) along e_a + e_b and
                # (+,−), (−,+) along e_a − e_b
                a0, a1 = _nnn_plane(u[ip, jp, k, 0], u[ip, jp, k, 1], u[im, jm, k, 0],
                                    u[im, jm, k, 1], u[ip, jm, k, 0], u[ip, jm, k, 1],
                                    u[im, jp, k, 0], u[im, jp, k, 1], u0, u1, h)
                b0, b2 = _nnn_plane(u[ip, j, kp, 0], u[ip, j, kp, 2], u[im, j, km, 0],
                                    u[im, j, km, 2], u[ip, j, km, 0], u[ip, j, km, 2],
                                    u[im, j, kp, 0], u[im, j, kp, 2], u0, u2, h)
                c1, c2 = _nnn_plane(u[i, jp, kp, 1], u[i, jp, kp, 2], u[i, jm, km, 1],
                                    u[i, jm, km, 2], u[i, jp, km, 1], u[i, jp, km, 2],
                                    u[i, jm, kp, 1], u[i, jm, kp, 2], u1, u2, h)
                f0 += a0 + b0
                f1 += a1 + c1
                f2 += b2 + c2
                acc[i, j, k, 0] = f0 * inv
                acc[i, j, k, 1] = f1 * inv
                acc[i, j, k, 2] = f2 * inv


def _neighbour_tables(shape):
    """(xp, xm, yp, ym, zp, zm): periodic index tables (i ± 1) mod n for each axis."""
    out = []
    for n in shape:
        i = np.arange(n, dtype=np.int64)
        out += [(i + 1) % n, (i - 1) % n]
    return tuple(out)


@njit(cache=True, inline="always")
def _follow_cell(r, a, shape, offsets, sites, pos):
    """Interacting masses = the corners of the cell holding the particle: cell c = ⌊r/a⌋
    (unfolded), sites (c + offset) folded into the periodic box, equilibrium positions a(c +
    offset) unfolded, so the particle never sees the box boundary. Returns the cell's flat key."""
    c0 = np.floor(r[0] / a)
    c1 = np.floor(r[1] / a)
    c2 = np.floor(r[2] / a)
    for I in range(offsets.shape[0]):
        ci = (c0 + offsets[I, 0], c1 + offsets[I, 1], c2 + offsets[I, 2])
        for x in range(3):
            pos[I, x] = a * ci[x]
            sites[I, x] = int(ci[x]) % shape[x]
    return c0 * 1e12 + c1 * 1e6 + c2


@njit(cache=True)
def _lattice_energy_kernel(u, w, offs, K, onsite, m):
    nx, ny, nz = u.shape[0], u.shape[1], u.shape[2]
    e = 0.0
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                for x in range(3):
                    e += 0.5 * m * w[i, j, k, x] ** 2
                    for y in range(3):
                        e += 0.5 * u[i, j, k, x] * onsite[x, y] * u[i, j, k, y]
                for b in range(offs.shape[0]):
                    ii = (i + offs[b, 0]) % nx
                    jj = (j + offs[b, 1]) % ny
                    kk = (k + offs[b, 2]) % nz
                    for x in range(3):
                        dx = u[i, j, k, x] - u[ii, jj, kk, x]
                        for y in range(3):
                            dy = u[i, j, k, y] - u[ii, jj, kk, y]
                            e += 0.25 * dx * K[b, x, y] * dy
    return e


@njit(cache=True, inline="always")
def _framework_accel(u, lat, acc):
    """acc = framework force / m; lat = (offs, K, onsite, m, cubic, k1, k2, tables)."""
    offs, K, onsite, m, cubic, k1, k2, tabs = lat
    if cubic:
        _cubic_accel_kernel(u, k1, k2, m, tabs[0], tabs[1], tabs[2], tabs[3], tabs[4], tabs[5],
                            acc)
    else:
        _lattice_accel_kernel(u, offs, K, onsite, m, acc)


@njit(cache=True, inline="always")
def _lattice_forces(fw, ps, lat, pair, part, follow, ctr, fl):
    """Forces at the current state: framework springs, (if following) the particle's cell, the
    interaction, added to the masses' accelerations; fp is left for the particle. Returns the
    stability flag of the particle (velocity Verlet bound)."""
    u, w, acc = fw
    r, v, ap, fp, sites, pos, uI, fs, Htot = ps
    M, dt, d = part
    _framework_accel(u, lat, acc)
    if follow[0]:
        new = _follow_cell(r, follow[1], follow[2], follow[3], sites, pos)
        if new != fl[1]:
            ctr[2] += 1
            fl[1] = new
    for I in range(sites.shape[0]):
        for x in range(3):
            uI[I, x] = u[sites[I, 0], sites[I, 1], sites[I, 2], x]
    fl[0] = pair_forces(r, uI, pos, pair, fp, fs, Htot)
    project(fp, d)
    project_hessian(Htot, d)
    m = lat[3]
    for I in range(sites.shape[0]):
        for x in range(3):
            acc[sites[I, 0], sites[I, 1], sites[I, 2], x] += fs[I, x] / m
    return verlet_guard(Htot, M, dt, fl[2:3])


@njit(cache=True, inline="always")
def project_hessian(H, d):
    """With a line constraint only the curvature along d matters: H ← (dᵀHd) I."""
    if d[0] == 0.0 and d[1] == 0.0 and d[2] == 0.0:
        return
    c = 0.0
    for x in range(3):
        for y in range(3):
            c += d[x] * H[x, y] * d[y]
    for x in range(3):
        for y in range(3):
            H[x, y] = c if x == y else 0.0


@njit(cache=True, inline="always")
def _lattice_kick(fw, dt):
    """Half kick w += (dt/2)·acc of every mass (flat loop over the C-contiguous arrays)."""
    _, w, acc = fw
    wf, af = w.reshape(-1), acc.reshape(-1)
    for n in range(wf.size):
        wf[n] += 0.5 * dt * af[n]


@njit(cache=True, inline="always")
def _lattice_drift(fw, dt):
    """Velocity-Verlet position update and first half kick of every mass."""
    u, w, acc = fw
    uf, wf, af = u.reshape(-1), w.reshape(-1), acc.reshape(-1)
    for n in range(uf.size):
        uf[n] += dt * wf[n] + 0.5 * dt * dt * af[n]
    _lattice_kick(fw, dt)


@njit(cache=True, nogil=True)
def _verlet_lattice_init(fw, ps, lat, pair, part, follow, ctr, fl):
    """Initial forces (and, if following, the particle's initial cell)."""
    r, sites, pos = ps[0], ps[4], ps[5]
    if follow[0]:
        fl[1] = _follow_cell(r, follow[1], follow[2], follow[3], sites, pos)
    bad = _lattice_forces(fw, ps, lat, pair, part, follow, ctr, fl)
    for x in range(3):
        ps[2][x] = ps[3][x] / part[0]
    return UNSTABLE if bad else RUNNING


@njit(cache=True, nogil=True)
def _verlet_lattice_chunk(n0, n1, fw, ps, lat, pair, part, ctrl, follow, out, ctr, fl):
    """Steps n0 … n1−1 of velocity Verlet of the whole lattice plus the particle (record, stop
    test, then one step; the last step index ctrl[3] only records). The state lives in fw = (u,
    w, acc), ps = (r, v, ap, fp, sites, pos, uI, fs, Htot), ctr = [records, steps, cell
    changes], fl = [interaction energy, cell key, largest Ω²]. lat: see :func:`_framework_accel`;
    follow = (flag, a, shape, corner offsets): the interacting masses are the corners of the
    particle's current cell (:func:`_follow_cell`)."""
    u, w, acc = fw
    r, v, ap, fp = ps[0], ps[1], ps[2], ps[3]
    M, dt, d = part
    stop_axis, stop_at, record_every, n_last, with_energy = ctrl
    traj, energy = out
    offs, K, onsite, m = lat[0], lat[1], lat[2], lat[3]
    for n in range(n0, n1):
        if n % record_every == 0:
            record_row(traj, ctr[0], n * dt, r, v)
            if with_energy:
                ek = 0.5 * M * (v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
                energy[ctr[0]] = ek + fl[0] + _lattice_energy_kernel(u, w, offs, K, onsite, m)
            ctr[0] += 1
        ctr[1] = n
        if stop_axis >= 0 and r[stop_axis] >= stop_at:
            return STOPPED
        if n == n_last:
            return RUNNING
        particle_drift(r, v, ap, dt)
        _lattice_drift(fw, dt)
        if _lattice_forces(fw, ps, lat, pair, part, follow, ctr, fl):
            ctr[1] = n + 1
            return UNSTABLE
        particle_kick(v, ap, fp, M, dt)
        _lattice_kick(fw, dt)
    return RUNNING


def _field(name, x, shape):
    """A framework field (displacements or velocities) of shape (Nx, Ny, Nz, 3), validated."""
    x = finite_array(name, x).astype(float)
    if x.shape != tuple(shape) + (3,):
        raise ValueError(f"{name} must have shape {tuple(shape) + (3,)} (3 components for each "
                         f"site of the lattice), got {x.shape}")
    return x.copy()


def _lattice_setup(framework, shape, potential, sites, particle_mass, r0, dt, line, energy):
    """Validated set-up of :func:`simulate_lattice`; sites="cell" follows the particle's cell
    (its corner indices folded into the box, the particle's coordinate shifted by whole boxes
    only for the initial corner positions). Returns (Setup, follow flag)."""
    if not isinstance(sites, str):
        return _setup(framework, shape, potential, sites, particle_mass, r0, dt, line), False
    if sites != "cell" or not geometry(framework).cubic:
        raise ValueError("sites must be integer indices, or 'cell' for a CubicLattice")
    if energy:
        raise ValueError("energy=True is not available with sites='cell' (the interacting "
                         "set changes, so the total energy is not conserved)")
    shp = np.array(_shape(framework, shape))
    c = np.floor(finite_array("r0", r0, shape_tail=(3,)) / framework.a).astype(np.int64)
    S = _setup(framework, shape, potential, (c[None, :] + CORNERS) % shp, particle_mass,
               np.asarray(r0, float) - framework.a * (c - c % shp), dt, line)
    return S, True


def _lattice_pack(framework, S, cubic_kernel):
    """lat tuple of :func:`_framework_accel`."""
    g = geometry(framework)
    cubic = bool(cubic_kernel) and g.central_springs is not None
    k1, k2 = g.central_springs if cubic else (0.0, 0.0)
    return (g.offsets.astype(np.int64), g.K, g.onsite, S.mass, cubic, float(k1), float(k2),
            _neighbour_tables(S.shape))


def simulate_lattice(framework, shape, potential, sites, particle_mass, r0, v0, dt, n_steps, *,
                     line=None, stop=None, u0=None, w0=None, record_every=1, energy=True,
                     cubic_kernel=True):
    """Velocity-Verlet solution of the full equations of motion on the whole periodic lattice.

    framework: CubicLattice or Chain (its mass, a and springs); shape: (Nx, Ny, Nz) or N (a chain
    is (1, 1, N)); potential: Gaussian or Yukawa; sites: integer indices (n, 3) of the masses the
    particle interacts with (equilibrium position a·index); r0, v0: particle position and
    velocity; line: optional direction to which the particle's motion is constrained (forces are
    projected on it; v0 must lie along it); stop: optional (axis, value) - stop once r[axis] ≥
    value; u0, w0: optional initial framework displacements and velocities (Nx, Ny, Nz, 3).
    sites="cell" (CubicLattice): the particle interacts with the 8 corners of the cell it is in,
    followed as it moves (rodin2025's full thermal reference, Fig. 7(b)); the corner indices are
    folded into the periodic box, the particle's coordinate is not. The total energy then jumps
    slightly whenever the set of corners changes, so energy=False is required.
    cubic_kernel: for a CubicLattice use the written-out spring forces (several times faster
    than the generic bond loop, which cubic_kernel=False keeps).

    Raises ValueError if dt is unstable for the lattice (dt·Ω_max ≥ 2) or, during the run, for
    the particle (dt·Ω ≥ 2 with Ω² the largest curvature of its potential energy over M).

    Returns a :class:`~ionmotion.engine.Trajectory` (also readable as the former dict): t, r
    (particle positions), v, energy (total, if requested), u, w (final framework state),
    n_steps (steps taken), finished (stop reached), cell_changes (with sites="cell").
    """
    S, follow = _lattice_setup(framework, shape, potential, sites, particle_mass, r0, dt, line,
                               energy)
    st = _start(S, r0, v0)
    n_steps = eng.check_steps(n_steps)
    record_every = integer_in("record_every", record_every, 1)
    traj = _record(n_steps, record_every, 7, per_row_extra=1)
    fw = tuple(np.zeros(S.shape + (3,)) if x is None else _field(n, x, S.shape)
               for n, x in (("u0", u0), ("w0", w0), ("acc", None)))
    nI = len(S.sites)
    ps = (st.R, st.V, np.zeros(3), np.zeros(3), S.sites.copy(), S.site_pos.copy(),
          np.zeros((nI, 3)), np.zeros((nI, 3)), np.zeros((3, 3)))
    lat = _lattice_pack(framework, S, cubic_kernel)
    follow_t = (follow, float(framework.a), np.array(S.shape, np.int64), CORNERS)
    axis, value = _stop(stop)
    ctrl = (axis, value, record_every, n_steps, bool(energy))
    ctr, fl = np.zeros(3, np.int64), np.zeros(3)
    en = np.zeros(len(traj))
    status = _verlet_lattice_init(fw, ps, lat, S.pair, S.particle, follow_t, ctr, fl)
    if status == RUNNING:
        status, _ = eng.drive(lambda n0, n1: _verlet_lattice_chunk(
            n0, n1, fw, ps, lat, S.pair, S.particle, ctrl, follow_t, (traj, en), ctr, fl),
            n_steps + 1)
    _unstable(S, fl[2], status)
    extras = {"u": fw[0], "w": fw[1]}
    if follow:
        extras["cell_changes"] = int(ctr[2])
    if energy:
        extras["energy"] = en[:ctr[0]]
    st.step = int(ctr[1])
    return eng.trajectory_from_record(traj, ctr[0], st, ctr[1], status == STOPPED, "lattice",
                                      extras)


def simulate_lattice_reference(framework, shape, potential, sites, particle_mass, r0, v0, dt,
                               n_steps, line=None):
    """Plain NumPy velocity Verlet on the whole lattice (no stop, framework at rest): the
    reference the tests compare the numba kernels against. Returns (r, v) of every step."""
    S = _setup(framework, shape, potential, sites, particle_mass, r0, dt, line)
    offs, K, onsite = lattice_bonds(framework)
    u = np.zeros(S.shape + (3,))
    w = np.zeros_like(u)
    r = np.asarray(r0, float).copy()
    v = np.asarray(v0, float).copy()
    idx = tuple(S.sites.T)

    def forces(u, r):
        acc = -np.einsum("xy,...y->...x", onsite, u)
        for b, K_b in zip(offs, K):
            du = u - np.roll(u, shift=tuple(-b), axis=(0, 1, 2))
            acc -= np.einsum("xy,...y->...x", K_b, du)
        sep = r[None, :] - S.site_pos - u[idx]
        g = potential.gradient(sep)
        acc[idx] += g
        fp = -g.sum(axis=0)
        if np.any(S.direction):
            fp = (fp @ S.direction) * S.direction
        return acc / S.mass, fp / S.particle_mass

    acc, ap = forces(u, r)
    rs, vs = [r.copy()], [v.copy()]
    h = S.dt
    for _ in range(n_steps):
        r = r + h * v + 0.5 * h * h * ap
        v = v + 0.5 * h * ap
        u = u + h * w + 0.5 * h * h * acc
        w = w + 0.5 * h * acc
        acc, ap = forces(u, r)
        v = v + 0.5 * h * ap
        w = w + 0.5 * h * acc
        rs.append(r.copy())
        vs.append(v.copy())
    return np.array(rs), np.array(vs)


# --------------------------------------------------------------------------------------------
# Engine 2: the lattice's exact discrete response on the interacting masses
# --------------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _chebyshev_block(c2, s_prev, s_cur, S):
    """S[i, j] = S_{n0+i}(θ_j) for the rows of S, advancing the recursion in place:
    on entry s_prev, s_cur hold S_{n0−1}, S_{n0}; S_{n+1} = 2cosθ S_n − S_{n−1} (c2 = 2cosθ)."""
    nt, nb = S.shape
    for i in range(nt):
        for j in range(nb):
            S[i, j] = s_cur[j]
            s_new = c2[j] * s_cur[j] - s_prev[j]
            s_prev[j] = s_cur[j]
            s_cur[j] = s_new


def _kernel_accumulate(cth, amp, n_steps, out, block_steps=512, block_modes=4096):
    """out[n, c] += Σ_j amp[j, c] S_n(θ_j), S_0 = 0, S_1 = 1, S_{n+1} = 2cosθ S_n − S_{n−1}.

    cth: (J,) cos θ_j; amp: (J, C). The sum over modes is a matrix product: for each block of
    time steps and block of modes the numba recursion (:func:`_chebyshev_block`) tabulates
    S_n(θ_j) and BLAS multiplies the table by amp (≈ 9× faster than a mode-by-mode loop on
    one core, benchmarks/bench_full.py)."""
    cth = np.ascontiguousarray(cth, float)
    amp = np.ascontiguousarray(amp, float)
    J = cth.shape[0]
    c2 = 2.0 * cth
    s_prev = np.zeros(J)
    s_cur = np.ones(J)
    table = np.empty(min(block_steps, n_steps) * min(block_modes, J))
    for n0 in range(1, n_steps + 1, block_steps):
        nt = min(block_steps, n_steps + 1 - n0)
        for j0 in range(0, J, block_modes):
            j1 = min(J, j0 + block_modes)
            S = table[:nt * (j1 - j0)].reshape(nt, j1 - j0)      # one buffer, reused
            # slices of contiguous 1-D arrays are views: the recursion state advances in place
            _chebyshev_block(c2[j0:j1], s_prev[j0:j1], s_cur[j0:j1], S)
            out[n0:n0 + nt] += S @ amp[j0:j1]
    return out


def _kernel_reference(cth, amp, n_steps):
    """NumPy reference of :func:`_kernel_accumulate` via S_n = sin(nθ)/sin θ (n at θ = 0)."""
    th = np.arccos(np.clip(cth, -1, 1))
    n = np.arange(n_steps + 1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        S = np.where(th[None, :] > 1e-12, np.sin(n * th[None, :]) / np.sin(th[None, :]),
                     n * np.ones_like(th[None, :]))
    return S @ amp


def _separations(sites, shape):
    """Distinct site separations (up to sign) and the index map pair → (separation, sign)."""
    seps, index = [], np.zeros((len(sites), len(sites)), np.int64)
    for I in range(len(sites)):
        for J in range(len(sites)):
            d = tuple(int(x) for x in (sites[I] - sites[J]))
            nd = tuple(-x for x in d)
            if d in seps:
                index[I, J] = seps.index(d)
            elif nd in seps:
                index[I, J] = seps.index(nd)
            else:
                seps.append(d)
                index[I, J] = len(seps) - 1
    return np.array(seps, dtype=np.int64), index


def _half_wave_vectors(S):
    """Integer wave-vector indices K of the periodic lattice S, halved by q ↔ −q (identical
    contributions), and their weights wq (1 where q ≡ −q, else 2)."""
    ks = [np.arange(n) for n in S]
    K = np.stack(np.meshgrid(*ks, indexing="ij"), axis=-1).reshape(-1, 3)
    lin = np.ravel_multi_index(K.T, S)
    nlin = np.ravel_multi_index(((-K) % np.array(S)).T, S)
    keep = lin <= nlin
    return K[keep], np.where(lin == nlin, 1.0, 2.0)[keep]


def _fold_xy(K, wq, S):
    """Fold onto kx, ky in the first half (R_zz is even in q_x and q_y separately)."""
    Kf = K.copy()
    for ax in (0, 1):
        Kf[:, ax] = np.minimum(K[:, ax], S[ax] - K[:, ax])
    uniq, inv = np.unique(np.ravel_multi_index(Kf.T, S), return_inverse=True)
    return np.stack(np.unravel_index(uniq, S), axis=-1), np.bincount(inv, weights=wq)


_UPPER = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]


def point_group():
    """The 48 operations of the cubic point group O_h as signed permutation matrices (48, 3, 3)."""
    import itertools
    mats = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            g = np.zeros((3, 3), np.int64)
            g[np.arange(3), perm] = signs
            mats.append(g)
    return np.array(mats)


def wedge_wave_vectors(n):
    """The irreducible wedge of the periodic n³ wave-vector grid under O_h.

    Two integer wave vectors K, K' (mod n) are equivalent when a signed permutation maps one onto
    the other; every class has one canonical member with n/2 ≥ K_x ≥ K_y ≥ K_z ≥ 0 (component
    k ↦ min(k, n − k), then sorted). Returns (K (Q_w, 3) canonical members, count (Q_w,) the
    number of grid vectors in each class); count sums to n³."""
    n = integer_in("n", n, 1)
    k = np.arange(n)
    K = np.stack(np.meshgrid(k, k, k, indexing="ij"), axis=-1).reshape(-1, 3)
    C = -np.sort(-np.minimum(K, n - K), axis=1)
    lin = np.ravel_multi_index(C.T, (n // 2 + 1,) * 3)
    _, first, count = np.unique(lin, return_index=True, return_counts=True)
    return C[first], count


def _wedge_amplitudes(framework, n, seps, components, dt, pref):
    """(cos θ (Q_w·3,), amplitudes (Q_w·3, C)) of the kernel sum over the O_h wedge of an n³
    lattice: for a canonical K with count c = 48/|stabiliser| the class contributes
    (1/|stab|) Σ_g cos(2π gK·d/n) g P_u(K) gᵀ per branch u (P_u = η_u η_uᵀ), which is the sum of
    cos(q·d a) P_u(q) over the class because the dynamical matrix obeys D(gq) = g D(q) gᵀ."""
    Kw, count = wedge_wave_vectors(n)
    q = 2 * np.pi * Kw / (n * framework.a)
    w2, eta = framework._eig(_q_for(framework, q))
    cth = (1.0 - 0.5 * w2 * dt * dt).reshape(-1)
    if components == "iso":        # R_0 ∝ 1: only (1/3) tr, and tr P_u = 1
        return cth, np.repeat(count.astype(float), 3)[:, None] * (pref / 3.0)
    G = point_group().astype(float)
    stab = 48.0 / count
    amp = np.empty((len(Kw), 3, len(seps), 6))
    for k0 in range(0, len(Kw), 512):                       # bounded memory for large n
        sl = slice(k0, k0 + 512)
        ph = np.cos(2 * np.pi / n * np.einsum("gij,kj,si->kgs", G, Kw[sl], seps))   # gK·d
        P = np.einsum("kau,kbu->kuab", eta[sl], eta[sl])
        gPg = np.einsum("gai,kuij,gbj->kguab", G, P, G)
        A = np.einsum("kgs,kguab->kusab", ph, gPg) / stab[sl, None, None, None, None]
        for c, (a, b) in enumerate(_UPPER):
            amp[sl, :, :, c] = A[..., a, b]
    return cth, amp.reshape(len(Kw) * 3, -1) * pref


def _accumulate(cth, amp, n_steps):
    out = np.zeros((n_steps + 1, amp.shape[1]))
    _kernel_accumulate(cth.reshape(-1), np.ascontiguousarray(amp), n_steps, out)
    return out


def _response_components(components, wq, eta, phase, pref, cth, n_steps, n_sep):
    """R (n_steps+1, n_sep, 3, 3) from the mode amplitudes for the chosen components."""
    R = np.zeros((n_steps + 1, n_sep, 3, 3))
    if components == "zz":
        amp = wq[:, None, None] * eta[:, 2, :, None] ** 2 * phase[:, None, :]   # (Q, 3, n_sep)
        R[:, :, 2, 2] = _accumulate(cth, amp.reshape(-1, n_sep) * pref, n_steps)
    elif components == "iso":
        # one site of a cubic lattice: R_0(n) = r(n) I by cubic symmetry, r = (1/3) tr R_0
        amp = np.repeat(wq[:, None], 3, axis=1).reshape(-1, 1) * (pref / 3.0)
        out = _accumulate(cth, amp, n_steps)
        for a in range(3):
            R[:, 0, a, a] = out[:, 0]
    else:
        P = np.stack([eta[:, a, :] * eta[:, b, :] for a, b in _UPPER], axis=-1)  # (Q, 3, 6)
        amp = (wq[:, None, None, None] * P[:, :, None, :] * phase[:, None, :, None]) * pref
        out = _accumulate(cth, amp.reshape(-1, n_sep * 6), n_steps).reshape(n_steps + 1, n_sep, 6)
        for c, (a, b) in enumerate(_UPPER):
            R[:, :, a, b] = out[:, :, c]
            R[:, :, b, a] = out[:, :, c]
    return R


class ResponseKernel(tuple):
    """(R, separations, index) as returned by :func:`verlet_response_kernel`, with `meta` =
    (framework repr, shape, dt, components): what it was computed for, so that
    :func:`simulate_response` refuses a kernel of another lattice, size or time step."""

    def __new__(cls, R, seps, index, meta):
        obj = super().__new__(cls, (R, seps, index))
        obj.meta = meta
        return obj

    def __getnewargs__(self):
        return (*self, self.meta)


def _check_kernel(kernel, framework, S, n_steps, components):
    """ValueError unless `kernel` was computed for this framework, shape, dt and sites and
    covers n_steps."""
    R, seps, index = kernel
    meta = getattr(kernel, "meta", None)
    if meta is not None and meta[:3] != (repr(framework), tuple(S.shape), S.dt):
        raise ValueError(f"kernel was computed for {meta[0]}, shape {meta[1]}, dt = {meta[2]:g}; "
                         f"this run has {framework!r}, shape {S.shape}, dt = {S.dt:g}: "
                         "pass kernel=None or the kernel of this lattice")
    s2, i2 = _separations(S.sites, S.shape)
    if s2.shape != np.shape(seps) or np.any(s2 != seps) or np.any(i2 != index):
        raise ValueError("kernel: its separations do not match the interacting sites of this run")
    if R.shape[0] < n_steps + 1:
        raise ValueError(f"kernel covers {R.shape[0] - 1} steps, fewer than n_steps = {n_steps}")


def verlet_response_kernel(framework, shape, sites, dt, n_steps, components="full",
                           symmetry=True):
    """Discrete Green's function of the velocity-Verlet lattice among the interacting sites.

    R_d(n) = (h²/m)(1/N) Σ_q cos(q·d a) Σ_u η_u η_uᵀ S_n(θ_qu), cos θ = 1 − Ω²h²/2, for every
    distinct separation d (integer vector) among `sites`, n = 0 … n_steps (R(0) = 0). The sum
    runs over all N = Nx·Ny·Nz wave vectors of the periodic lattice, q = 0 included (its
    translation modes have S_n = n). Symmetric in the Cartesian indices and even in d.

    components: "full" (all 3×3, shape (n_steps+1, n_sep, 3, 3)), "zz" (only R_zz; valid and
    cheaper when all separations lie along z and only z forces act: the sum is then folded onto
    q_x, q_y ≥ 0) or "iso" (one site of a cubic lattice, where cubic symmetry makes R_0 ∝ 1 and
    only its trace is accumulated). Returns (R, separations (n_sep, 3), index (n, n) pair → separation).

    symmetry: on a cubic N³ CubicLattice ("full" and "iso") the sum runs over the irreducible
    wedge of wave vectors under the cubic point group O_h (:func:`wedge_wave_vectors`, about
    N³/48 classes instead of N³/2), each class carrying its orbit sum of cos(q·d a) η ηᵀ; the
    result equals the sum over all wave vectors up to round-off (tested). False: the half-space
    sum (the former route, kept as the reference).
    """
    S = _shape(framework, shape)
    sites = _sites(sites, S)
    n_steps = eng.check_steps(n_steps)
    dt = positive("dt", dt)
    _check_framework_dt(framework, S, dt)
    if components not in ("full", "zz", "iso"):
        raise ValueError(f"components must be 'full', 'zz' or 'iso', got {components!r}")
    seps, index = _separations(sites, S)
    eng.check_memory("the response kernel (n_steps + 1) × separations × 3 × 3",
                     8 * (n_steps + 1) * len(seps) * 15, "lower n_steps")
    pref = dt * dt / (framework.mass * int(np.prod(S)))
    if symmetry and components != "zz" and geometry(framework).cubic and len(set(S)) == 1:
        cth, amp = _wedge_amplitudes(framework, S[0], seps, components, dt, pref)
        out = _accumulate(cth, amp, n_steps)
        R = np.zeros((n_steps + 1, len(seps), 3, 3))
        if components == "iso":
            for a in range(3):
                R[:, 0, a, a] = out[:, 0]
        else:
            out = out.reshape(n_steps + 1, len(seps), 6)
            for c, (a, b) in enumerate(_UPPER):
                R[:, :, a, b] = R[:, :, b, a] = out[:, :, c]
        return ResponseKernel(R, seps, index, (repr(framework), tuple(S), dt, components))
    K, wq = _half_wave_vectors(S)
    if components == "zz":
        if np.any(seps[:, :2] != 0):
            raise ValueError("components='zz' needs all separations along z")
        K, wq = _fold_xy(K, wq, S)
    elif components == "iso" and (len(seps) != 1 or not geometry(framework).cubic):
        raise ValueError("components='iso' needs a single site of a CubicLattice")
    q = 2 * np.pi * K / (np.array(S) * framework.a)
    w2, eta = framework._eig(_q_for(framework, q))
    cth = 1.0 - 0.5 * w2 * dt * dt            # (Q, 3)
    phase = np.cos(q @ (seps * framework.a).T)   # (Q, n_sep)
    R = _response_components(components, wq, eta, phase, pref, cth, n_steps, len(seps))
    return ResponseKernel(R, seps, index, (repr(framework), tuple(S), dt, components))


@njit(cache=True, fastmath=True)
def _history_dot(r, f, n):
    """Σ_{k=1}^{n−1} r[n−k] f[k], the convolution with the past forces. fastmath lets LLVM
    reorder the sum into SIMD lanes (the result changes only at round-off)."""
    acc = 0.0
    for k in range(1, n):
        acc += r[n - k] * f[k]
    return acc


def site_orbits(sites, r0, a, direction):
    """Orbits of the interacting sites under the symmetry of a particle confined to a z line.

    A particle that starts on the z line through r0 and moves only along it, with the framework
    at rest, keeps the symmetry of that line: every operation g of C4v about it that maps the set
    of interacting sites onto itself maps the masses' displacements and forces, u_{gI} = g u_I,
    F_{gI} = g F_I, at every step (the lattice's Green's function obeys R(gd) = g R(d) gᵀ and
    the pair potential is radial). Returns (orbit (n,) the orbit of each site, g (n, 3, 3) with
    site I = g_I(representative of its orbit), reps (n_orbits,) the representatives, the first
    site of each orbit). Without a z line, or with no symmetry, every site is its own orbit."""
    sites = np.asarray(sites, np.int64)
    n = len(sites)
    orbit, reps = -np.ones(n, np.int64), []
    gs = np.tile(np.eye(3), (n, 1, 1))
    ops = []
    if np.allclose(direction, (0.0, 0.0, 1.0)):
        c = np.append(np.asarray(r0, float)[:2] / a, 0.0)
        index = {tuple(x): i for i, x in enumerate(sites)}
        for g in (g for g in point_group() if g[2, 2] == 1):     # C4v about the line
            img = (sites - c) @ g.T + c
            ok = np.allclose(img, np.rint(img), atol=1e-9)
            perm = [index.get(tuple(np.rint(x).astype(np.int64))) for x in img] if ok else [None]
            if None not in perm:
                ops.append((g, perm))
    for i in range(n):
        if orbit[i] >= 0:
            continue
        orbit[i] = len(reps)
        for g, perm in ops:
            if orbit[perm[i]] < 0:
                orbit[perm[i]], gs[perm[i]] = len(reps), g
        reps.append(i)
    return orbit, gs, np.array(reps, np.int64)


def _reduced_kernel(Rt, index, orbit, gs, reps):
    """R̃_{o,p}(m) = Σ_{J ∈ orbit p} R_{rep(o), J}(m) g_J: the kernel acting on the
    representatives' forces (Rt (n_sep, 3, 3, steps); returns (n_orb², 3, 3, steps), index)."""
    no = len(reps)
    out = np.zeros((no * no, 3, 3, Rt.shape[-1]))
    for o in range(no):
        for J in range(len(orbit)):
            out[o * no + orbit[J]] += np.einsum("abn,bc->acn", Rt[index[reps[o], J]], gs[J])
    return out, np.arange(no * no, dtype=np.int64).reshape(no, no)


@njit(cache=True, inline="always")
def _expand_orbits(ured, sym, u):
    """u_I = g_I u_rep(orbit of I) for every interacting site."""
    orbit, gs = sym
    for I in range(u.shape[0]):
        o = orbit[I]
        for a in range(3):
            u[I, a] = gs[I, a, 0] * ured[o, 0] + gs[I, a, 1] * ured[o, 1] + gs[I, a, 2] * ured[o, 2]


@njit(cache=True, inline="always")
def _response_displacements(n, kern, F, fnz, u):
    """u_I(n) = Σ_J [½ R_IJ(n) F_J(0) + Σ_{k=1}^{n−1} R_IJ(n−k) F_J(k)], skipping kernel
    components flagged zero (nzR), force components that cannot act (comps) and those that have
    been exactly zero so far (fnz)."""
    R, index, comps, nzR = kern
    for I in range(u.shape[0]):
        for a in range(3):
            acc = 0.0
            for J in range(index.shape[1]):
                s = index[I, J]
                for b in range(3):
                    if comps[b] == 0 or comps[a] == 0 or fnz[b] == 0 or nzR[s, a, b] == 0:
                        continue
                    acc += 0.5 * R[s, a, b, n] * F[J, b, 0]
                    acc += _history_dot(R[s, a, b], F[J, b], n)
            u[I, a] = acc


@njit(cache=True, nogil=True)
def _response_chunk(n0, n1, kern, ps, hist, sym, pair, part, ctrl, rec, ctr, fl):
    """Steps n0 … n1−1 of velocity Verlet for the particle with the interacting masses'
    displacements from the discrete Green's function (kern = (R (pairs, 3, 3, steps), index
    (n_orb, n_orb) → pair, comps, nzR), acting on the orbit representatives). ps = (r, v, ap, fp,
    pos, Htot), hist = (F (n_orb, 3, steps+1) past forces on the representatives, fnz (3,)
    components seen non-zero, ured (n_orb, 3), u (nI, 3), fs (nI, 3)), sym = (orbit (nI,),
    g (nI, 3, 3)) with reps (n_orb,); ctr = [records, steps], fl = [largest Ω²]."""
    r, v, ap, fp, pos, Htot = ps
    F, fnz, ured, u, fs = hist
    orbit, gs, reps = sym
    M, dt, d = part
    stop_axis, stop_at, record_every, n_last = ctrl
    for n in range(n0, n1):
        if n > 0:
            _response_displacements(n, kern, F, fnz, ured)
            _expand_orbits(ured, (orbit, gs), u)
        pair_forces(r, u, pos, pair, fp, fs, Htot)
        for o in range(reps.shape[0]):
            for x in range(3):
                F[o, x, n] = fs[reps[o], x]
                if fs[reps[o], x] != 0.0:
                    fnz[x] = 1
        project(fp, d)
        project_hessian(Htot, d)
        if verlet_guard(Htot, M, dt, fl):
            return UNSTABLE
        if n > 0:
            particle_kick(v, ap, fp, M, dt)
        else:
            for x in range(3):
                ap[x] = fp[x] / M
        if _record_step(n, rec, ctr, r, v, u, dt, record_every, stop_axis, stop_at):
            return STOPPED
        if n == n_last:
            return RUNNING
        particle_drift(r, v, ap, dt)
    return RUNNING


@njit(cache=True, inline="always")
def _record_step(n, rec, ctr, r, v, u, dt, record_every, stop_axis, stop_at):
    """Record row (t, r, v, u of the first mass) every record_every-th step; True if the stop
    condition r[stop_axis] >= stop_at holds."""
    if n % record_every == 0:
        k = ctr[0]
        record_row(rec, k, n * dt, r, v)
        for x in range(3):
            rec[k, 7 + x] = u[0, x]
        ctr[0] += 1
    ctr[1] = n
    return stop_axis >= 0 and r[stop_axis] >= stop_at


def _nonzero_masks(Rt, components):
    """comps (3,): force components that can act; nzR (pairs, 3, 3): kernel components that
    are not identically zero (relative 1e-13). Rt: (pairs, 3, 3, steps)."""
    comps = np.ones(3, np.int64)
    if components == "zz" or (Rt.shape[-1] > 1 and np.all(Rt[:, :2] == 0)
                              and np.all(Rt[:, :, :2] == 0)):
        comps[:] = (0, 0, 1)
    scale = np.abs(Rt).max() if Rt.size else 0.0
    return comps, (np.abs(Rt).max(axis=-1) > 1e-13 * scale).astype(np.int64)


def _run_particle_engine(S, st, chunk, n_steps, record, name, extras=None):
    """The shared driver of the response and modal engines: run ``chunk(n0, n1, ctr, fl)``
    over n_steps (:func:`ionmotion.engine.drive`), raise on an unstable particle, return the
    :class:`~ionmotion.engine.Trajectory` (with u0, the first mass's displacement)."""
    ctr, fl = np.zeros(2, np.int64), np.zeros(1)
    status, _ = eng.drive(lambda n0, n1: chunk(n0, n1, ctr, fl), n_steps + 1)
    _unstable(S, fl[0], status)
    st.step = int(ctr[1])
    out = dict(extras or {})
    out["u0"] = record[:ctr[0], 7:10]
    return eng.trajectory_from_record(record, ctr[0], st, ctr[1], status == STOPPED, name, out)


def simulate_response(framework, shape, potential, sites, particle_mass, r0, v0, dt, n_steps, *,
                      line=None, stop=None, record_every=1, kernel=None, components="full",
                      symmetry=True):
    """Full equations of motion with the framework (initially at rest) eliminated exactly.

    Same arguments and the same discrete dynamics as :func:`simulate_lattice` (framework at
    rest), but only the interacting masses are followed, through the discrete Green's function
    of :func:`verlet_response_kernel` (pass a precomputed `kernel` = its return value to reuse it
    across runs; it must cover n_steps). Returns a :class:`~ionmotion.engine.Trajectory` (also
    readable as the former dict): t, r, v, u0 (displacement of the first interacting mass),
    r_final, v_final, n_steps, finished.

    symmetry: for a particle on a z line (``line=(0, 0, 1)``) through a point about which
    operations of C4v permute the interacting sites (a face or cell centre), only one mass per
    orbit is followed and the convolution runs over orbit representatives
    (:func:`site_orbits`): 16× fewer history products for four or eight masses, the same
    trajectory up to round-off (tested). False: every mass followed (the former route).
    """
    S = _setup(framework, shape, potential, sites, particle_mass, r0, dt, line)
    st = _start(S, r0, v0)
    n_steps = eng.check_steps(n_steps)
    record_every = integer_in("record_every", record_every, 1)
    eng.check_memory("the force history (interacting masses × 3 × n_steps)",
                     8 * 3 * len(S.sites) * (n_steps + 1), "lower n_steps")
    record = _record(n_steps, record_every, 10)
    if kernel is None:
        kernel = verlet_response_kernel(framework, S.shape, S.sites, dt, n_steps, components)
    _check_kernel(kernel, framework, S, n_steps, components)
    R, seps, index = kernel
    nI = len(S.sites)
    Rt = np.ascontiguousarray(R[:n_steps + 1].transpose(1, 2, 3, 0))
    orbit, gs, reps = (site_orbits(S.sites, st.R, framework.a, S.direction) if symmetry else
                       (np.arange(nI), np.tile(np.eye(3), (nI, 1, 1)), np.arange(nI)))
    if len(reps) < nI:
        Rt, index = _reduced_kernel(Rt, index, orbit, gs, reps)
    kern = (Rt, index) + _nonzero_masks(Rt, components)
    no = len(reps)
    ps = (st.R, st.V, np.zeros(3), np.zeros(3), S.site_pos, np.zeros((3, 3)))
    hist = (np.zeros((no, 3, n_steps + 1)), np.zeros(3, np.int64), np.zeros((no, 3)),
            np.zeros((nI, 3)), np.zeros((nI, 3)))
    sym = (orbit, gs.astype(float), reps)
    axis, value = _stop(stop)
    ctrl = (axis, value, record_every, n_steps)

    def chunk(n0, n1, ctr, fl):
        return _response_chunk(n0, n1, kern, ps, hist, sym, S.pair, S.particle, ctrl, record,
                               ctr, fl)

    return _run_particle_engine(S, st, chunk, n_steps, record, "response")


def pass_loss(framework, shape, potential, sites, particle_mass, start, speed, stop_z, dt,
              *, kernel=None, max_steps=None, components="full", engine="response",
              symmetry=True):
    """Kinetic energy lost by a particle constrained to the z line through `start`, launched
    along +z with `speed`, when it reaches z = stop_z (rodin2024's single-pass protocol):
    Δ = M(v₀² − v₁²)/2. engine: "response" (:func:`simulate_response`) or "modal"
    (:func:`simulate_modal`), both exact for the framework at rest. Returns a dict with
    loss, final speed and steps; loss is NaN if the particle did not get there (reflected)."""
    speed = positive("speed", speed)
    start = finite_array("start", start, shape_tail=(3,)).astype(float)
    dist = float(stop_z) - start[2]
    if dist <= 0:
        raise ValueError("stop_z must lie beyond the start along +z")
    if engine not in ("response", "modal"):
        raise ValueError(f"engine must be 'response' or 'modal', got {engine!r}")
    if max_steps is None:
        max_steps = int(np.ceil(1.5 * dist / (speed * positive("dt", dt)))) + 10
    if kernel is not None:
        max_steps = min(max_steps, kernel[0].shape[0] - 1)
    args = (framework, shape, potential, sites, particle_mass, start, (0.0, 0.0, speed), dt,
            max_steps)
    kw = dict(line=(0, 0, 1), stop=(2, stop_z), record_every=max_steps)
    if engine == "modal":
        out = simulate_modal(*args, **kw)
    else:
        out = simulate_response(*args, kernel=kernel, components=components, symmetry=symmetry,
                                **kw)
    v1 = out.V_final[2]
    M = positive("particle_mass", particle_mass)
    loss = 0.5 * M * (speed**2 - v1**2) if out.finished else np.nan
    return {"loss": loss, "final_speed": v1, "steps": out.n_steps, "finished": out.finished}


# --------------------------------------------------------------------------------------------
# Engine 3: normal coordinates of the modes that touch the interacting masses
# --------------------------------------------------------------------------------------------


def coupled_modes(framework, shape, sites):
    """Real normal modes of the periodic lattice that have non-zero amplitude on the
    interacting `sites`: for each wave vector of the half set (q ~ −q) and branch, a cosine and a
    sine standing wave, normalised over the N sites (√(2/N), or √(1/N) where q ≡ −q). Returns
    (omega2 (P,), phi (P, n_sites, 3)) with u_I = Σ_p phi[p, I] A_p and the generalised force on
    mode p = Σ_I phi[p, I]·F_I. Modes vanishing on every site are dropped (they never move)."""
    S = _shape(framework, shape)
    sites = _sites(sites, S)
    N = int(np.prod(S))
    K, wq = _half_wave_vectors(S)
    selfc = wq == 1.0
    q = 2 * np.pi * K / (np.array(S) * framework.a)
    w2, eta = framework._eig(_q_for(framework, q))            # (Q, 3), (Q, 3c, 3u)
    ph = q @ (sites * framework.a).T                           # (Q, n)
    norm = np.where(selfc, np.sqrt(1.0 / N), np.sqrt(2.0 / N))
    etaT = np.transpose(eta, (0, 2, 1))[:, :, None, :]        # (Q, u, 1, 3)
    cos_part = (norm[:, None] * np.cos(ph))[:, None, :, None] * etaT   # (Q, u, n, 3)
    sin_part = (norm[:, None] * np.sin(ph))[:, None, :, None] * etaT
    sin_part[selfc] = 0.0
    phi = np.concatenate([cos_part.reshape(-1, len(sites), 3),
                          sin_part.reshape(-1, len(sites), 3)])
    om2 = np.concatenate([w2.reshape(-1), w2.reshape(-1)])
    live = np.abs(phi).reshape(len(phi), -1).max(axis=1) > 1e-14
    return om2[live], np.ascontiguousarray(phi[live])


@njit(cache=True, inline="always")
def _modal_displacements(phi, A, u):
    """u_I = Σ_p phi[p, I] A_p."""
    for I in range(u.shape[0]):
        for x in range(3):
            s = 0.0
            for p in range(A.shape[0]):
                s += phi[p, I, x] * A[p]
            u[I, x] = s


@njit(cache=True, inline="always")
def _modal_accel(om2, phi, m, A, fs, acc):
    """acc_p = (Σ_I phi[p, I]·F_I)/m − Ω_p² A_p."""
    for p in range(A.shape[0]):
        f = 0.0
        for I in range(fs.shape[0]):
            for x in range(3):
                f += phi[p, I, x] * fs[I, x]
        acc[p] = f / m - om2[p] * A[p]


@njit(cache=True, nogil=True)
def _modal_chunk(n0, n1, modes, ps, pair, part, ctrl, rec, ctr, fl):
    """Steps n0 … n1−1 of velocity Verlet in the normal coordinates of the coupled modes:
    modes = (omega2 (P,), phi (P, nI, 3), m, A, B, acc) (A, B amplitudes and velocities),
    ps = (r, v, ap, fp, pos, Htot, u, fs); ctr = [records, steps], fl = [largest Ω²]."""
    om2, phi, m, A, B, acc = modes
    r, v, ap, fp, pos, Htot, u, fs = ps
    M, dt, d = part
    stop_axis, stop_at, record_every, n_last = ctrl
    for n in range(n0, n1):
        _modal_displacements(phi, A, u)
        pair_forces(r, u, pos, pair, fp, fs, Htot)
        project(fp, d)
        project_hessian(Htot, d)
        if verlet_guard(Htot, M, dt, fl):
            return UNSTABLE
        _modal_accel(om2, phi, m, A, fs, acc)
        if n > 0:
            particle_kick(v, ap, fp, M, dt)
            for p in range(A.shape[0]):
                B[p] += 0.5 * dt * acc[p]
        else:
            for x in range(3):
                ap[x] = fp[x] / M
        if _record_step(n, rec, ctr, r, v, u, dt, record_every, stop_axis, stop_at):
            return STOPPED
        if n == n_last:
            return RUNNING
        particle_drift(r, v, ap, dt)
        for p in range(A.shape[0]):
            A[p] += dt * B[p] + 0.5 * dt * dt * acc[p]
            B[p] += 0.5 * dt * acc[p]
    return RUNNING


def simulate_modal(framework, shape, potential, sites, particle_mass, r0, v0, dt, n_steps, *,
                   line=None, stop=None, record_every=1):
    """Full equations of motion (framework initially at rest) in the normal coordinates of the
    modes that touch the interacting masses (:func:`coupled_modes`). Velocity Verlet commutes with
    the orthogonal change to normal coordinates, so this is the same discrete dynamics as
    :func:`simulate_lattice` at a cost ∝ coupled modes × sites × steps - ideal for a chain
    (≈ 3N/2 modes), where the Green's-function convolution (∝ steps²) is the slower route.
    Returns the same :class:`~ionmotion.engine.Trajectory` as :func:`simulate_response`."""
    S = _setup(framework, shape, potential, sites, particle_mass, r0, dt, line)
    st = _start(S, r0, v0)
    n_steps = eng.check_steps(n_steps)
    record_every = integer_in("record_every", record_every, 1)
    record = _record(n_steps, record_every, 10)
    om2, phi = coupled_modes(framework, S.shape, S.sites)
    P, nI = len(om2), len(S.sites)
    modes = (om2, phi, S.mass, np.zeros(P), np.zeros(P), np.zeros(P))
    ps = (st.R, st.V, np.zeros(3), np.zeros(3), S.site_pos, np.zeros((3, 3)), np.zeros((nI, 3)),
          np.zeros((nI, 3)))
    axis, value = _stop(stop)
    ctrl = (axis, value, record_every, n_steps)

    def chunk(n0, n1, ctr, fl):
        return _modal_chunk(n0, n1, modes, ps, S.pair, S.particle, ctrl, record, ctr, fl)

    return _run_particle_engine(S, st, chunk, n_steps, record, "modal")
