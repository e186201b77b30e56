"""Langevin dynamics of one ion with position-dependent drag (rodin2022 Sec. IV B).

Equation of motion (underdamped), with γ(r) = H𝓛H and noise obeying the fluctuation-dissipation
relation ⟨f̃(t) f̃(t')ᵀ⟩ = 2 k_BT γ(r) δ(t − t'):

    M r̈ = −∇U(r) + F − γ(r) ṙ + f̃.

Stochastic interpretation
-------------------------
* Underdamped: the noise amplitude depends on r but multiplies dW in the *velocity* equation,
  and r is differentiable, so Itô, Stratonovich and anti-Itô readings coincide; the Gibbs density
  e^{−(Mv²/2 + U)/k_BT} is stationary for F = 0 whatever γ(r) is.
* Overdamped (M → 0): the small-mass limit is the Itô equation with a noise-induced drift,

      dr = [γ⁻¹(F − ∇U) + k_BT ∇·γ⁻¹] dt + √(2k_BT) γ^{−1/2} dW,     (∇·D)_a = Σ_b ∂_b D_ab,

  the "isothermal"/Hänggi–Klimontovich reading of ṙ = γ⁻¹(F − ∇U) + γ⁻¹f̃. Its stationary density
  at F = 0 is e^{−U/k_BT}. Dropping k_BT∇·γ⁻¹ (plain Itô) gives a different, wrong stationary
  density; the option ``noise_induced_drift=False`` exists so the tests can show that.

Integrators
-----------
* :func:`run_underdamped`: BAOAB splitting. The O step is the exact Ornstein–Uhlenbeck update at
  frozen r: v ← e^{−γΔt/M} v + √(k_BT/M) (1 − e^{−2γΔt/M})^{1/2} ξ, computed from the
  eigen-decomposition of γ(r) (so it is stable for any γΔt/M and preserves the Maxwell
  distribution exactly); B and A are the usual half kicks/drifts. Weak order 2 in Δt.
* :func:`run_overdamped`: Euler–Maruyama for the Itô equation above (weak order 1).

The fields −∇U, γ and, for the overdamped case, γ⁻¹, γ^{−1/2}, ∇·γ⁻¹ are tabulated on a periodic
grid over the cell and interpolated trilinearly (second order in the grid spacing), so the same
code runs analytic test models and potentials read from files. Numba kernels do the stepping; the
random numbers are drawn outside the kernels from a numpy Generator, in chunks; the NumPy
reference implementations take the same random numbers and must agree to rounding.
"""
from dataclasses import dataclass

import numpy as np
from numba import njit

from . import mobility as _mob
from ._validate import finite_array, integer_in, nonnegative, positive
from .engine import check_memory, check_steps

_SYM = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))


def _pack(mat):
    """(…, 3, 3) symmetric → (…, 6) as xx, yy, zz, xy, xz, yz."""
    return np.stack([mat[..., i, j] for i, j in _SYM], axis=-1)


def _unpack(vec):
    out = np.empty(vec.shape[:-1] + (3, 3))
    for k, (i, j) in enumerate(_SYM):
        out[..., i, j] = vec[..., k]
        out[..., j, i] = vec[..., k]
    return out


def _sym_function(mats, fn):
    w, V = np.linalg.eigh(mats)
    return np.einsum("...ik,...k,...jk->...ij", V, fn(w), V)


@dataclass
class LangevinField:
    """−∇U (meV/Å) and γ (meV·ps/Å²) tabulated on a periodic (n1, n2, n3) grid over ``cell``.

    force: (n1, n2, n3, 3); gamma: (n1, n2, n3, 3, 3) symmetric positive semi-definite; cell rows
    are lattice vectors (Å); grid point (i, j, k) sits at origin + (i/n1, j/n2, k/n3) @ cell."""
    cell: np.ndarray
    force: np.ndarray
    gamma: np.ndarray
    origin: np.ndarray = None
    U: np.ndarray = None

    def __post_init__(self):
        self.cell = _mob.as_cell(self.cell)
        self.force = finite_array("force", self.force, shape_tail=(3,))
        if self.force.ndim != 4:
            raise ValueError(f"force must be a 3D grid of vectors (n1, n2, n3, 3), got shape "
                             f"{self.force.shape}")
        self.gamma = finite_array("gamma", self.gamma, shape_tail=(3, 3))
        if self.gamma.shape[:3] != self.force.shape[:3]:
            raise ValueError("gamma and force must be tabulated on the same grid")
        if not np.allclose(self.gamma, np.swapaxes(self.gamma, -1, -2),
                           atol=1e-12 * max(np.abs(self.gamma).max(), 1e-300)):
            raise ValueError("gamma must be symmetric at every grid point")
        wmin = np.linalg.eigvalsh(self.gamma).min()
        if wmin < -1e-10 * np.abs(self.gamma).max():
            raise ValueError(f"gamma must be positive semi-definite (smallest eigenvalue {wmin})")
        self.origin = np.zeros(3) if self.origin is None else \
            finite_array("origin", self.origin, shape_tail=(3,)).reshape(3)
        self._od = None

    @property
    def shape(self):
        return self.force.shape[:3]

    @classmethod
    def from_potential(cls, grid, L, method="fd4"):
        """Fields of rodin2022's model: −∇U from the grid and γ = H𝓛H (Eq. (44))."""
        f = -_mob.gradient(grid, method)
        g = _mob.drag_field(_mob.hessian(grid, method), L)
        return cls(grid.cell, f, g, origin=grid.origin, U=grid.U)

    def overdamped_tables(self, method="spectral"):
        """γ⁻¹, γ^{−1/2} (packed, (…, 6)) and ∇·γ⁻¹ (…, 3) on the grid. Raises ValueError if γ
        is singular somewhere (the overdamped limit does not exist there: the momentum
        relaxation time M/γ diverges)."""
        if self._od is not None and self._od[0] == method:
            return self._od[1]
        w = np.linalg.eigvalsh(self.gamma)
        if w.min() <= 0:
            raise ValueError("gamma is singular at some grid point: the overdamped limit needs "
                             "γ positive definite everywhere")
        D = _sym_function(self.gamma, lambda x: 1.0 / x)
        S = _sym_function(self.gamma, lambda x: 1.0 / np.sqrt(x))
        div = np.zeros(self.shape + (3,))
        for a in range(3):
            for b in range(3):
                div[..., a] += _mob._grid_gradient(D[..., a, b], self.cell, method)[..., b]
        tabs = (np.ascontiguousarray(_pack(D)), np.ascontiguousarray(_pack(S)),
                np.ascontiguousarray(div))
        self._od = (method, tabs)
        return tabs


# ---------------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------------

@njit(cache=True)
def _interp(field, s0, s1, s2, out):
    """Trilinear periodic interpolation of field (n1, n2, n3, k) at fractional (s0, s1, s2)."""
    n0, n1, n2, k = field.shape
    u0 = s0 * n0
    u1 = s1 * n1
    u2 = s2 * n2
    f0 = np.floor(u0)
    f1 = np.floor(u1)
    f2 = np.floor(u2)
    t0 = u0 - f0
    t1 = u1 - f1
    t2 = u2 - f2
    i0 = int(f0) % n0
    i1 = int(f1) % n1
    i2 = int(f2) % n2
    j0 = (i0 + 1) % n0
    j1 = (i1 + 1) % n1
    j2 = (i2 + 1) % n2
    for c in range(k):
        out[c] = ((1 - t0) * ((1 - t1) * ((1 - t2) * field[i0, i1, i2, c] + t2 * field[i0, i1, j2, c])
                              + t1 * ((1 - t2) * field[i0, j1, i2, c] + t2 * field[i0, j1, j2, c]))
                  + t0 * ((1 - t1) * ((1 - t2) * field[j0, i1, i2, c] + t2 * field[j0, i1, j2, c])
                          + t1 * ((1 - t2) * field[j0, j1, i2, c] + t2 * field[j0, j1, j2, c])))


@njit(cache=True)
def _frac(r, origin, inv_cell, s):
    for i in range(3):
        s[i] = ((r[0] - origin[0]) * inv_cell[0, i] + (r[1] - origin[1]) * inv_cell[1, i]
                + (r[2] - origin[2]) * inv_cell[2, i])


@njit(cache=True)
def _unpack_k(p, m):
    m[0, 0] = p[0]
    m[1, 1] = p[1]
    m[2, 2] = p[2]
    m[0, 1] = p[3]
    m[1, 0] = p[3]
    m[0, 2] = p[4]
    m[2, 0] = p[4]
    m[1, 2] = p[5]
    m[2, 1] = p[5]


@njit(cache=True)
def _eigh3(A, lam, V):
    """Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations (in place:
    A is destroyed; lam receives eigenvalues, V the eigenvectors as columns). Converges to
    rounding in a few sweeps; avoids LAPACK call overhead in the stepping loop."""
    for i in range(3):
        for j in range(3):
            V[i, j] = 1.0 if i == j else 0.0
    for sweep in range(50):
        off = A[0, 1] * A[0, 1] + A[0, 2] * A[0, 2] + A[1, 2] * A[1, 2]
        diag = A[0, 0] * A[0, 0] + A[1, 1] * A[1, 1] + A[2, 2] * A[2, 2]
        if off <= 1e-30 * diag or off == 0.0:
            break
        for p in range(2):
            for q in range(p + 1, 3):
                apq = A[p, q]
                if apq == 0.0:
                    continue
                theta = (A[q, q] - A[p, p]) / (2.0 * apq)
                t = (1.0 if theta >= 0 else -1.0) / (abs(theta) + np.sqrt(theta * theta + 1.0))
                c = 1.0 / np.sqrt(t * t + 1.0)
                s = t * c
                for k in range(3):  # A ← A J (columns p, q)
                    akp = A[k, p]
                    akq = A[k, q]
                    A[k, p] = c * akp - s * akq
                    A[k, q] = s * akp + c * akq
                for k in range(3):  # A ← Jᵀ A (rows p, q)
                    apk = A[p, k]
                    aqk = A[q, k]
                    A[p, k] = c * apk - s * aqk
                    A[q, k] = s * apk + c * aqk
                for k in range(3):
                    vkp = V[k, p]
                    vkq = V[k, q]
                    V[k, p] = c * vkp - s * vkq
                    V[k, q] = s * vkp + c * vkq
    for i in range(3):
        lam[i] = A[i, i]


@njit(cache=True)
def _underdamped_kernel(state, tables, geom, consts, xi, out):
    """BAOAB steps for every walker over the noise block xi (n, nw, 3). state = (r, v) (nw, 3);
    tables = (force, gamma6) on the grid; geom = (origin, inverse cell); consts = (M, kT, F, dt,
    stride); out = (out_r, out_v, first output row)."""
    r, v = state
    force, gamma6 = tables
    origin, inv_cell = geom
    M, kT, F, dt, stride = consts
    out_r, out_v, out_i0 = out
    nsteps = xi.shape[0]
    nw = r.shape[0]
    s = np.empty(3)
    f = np.empty(3)
    g6 = np.empty(6)
    g = np.empty((3, 3))
    vn = np.empty(3)
    lam = np.empty(3)
    V = np.empty((3, 3))
    for w in range(nw):
        _frac(r[w], origin, inv_cell, s)
        _interp(force, s[0], s[1], s[2], f)
        k = out_i0
        for n in range(nsteps):
            for i in range(3):  # B
                v[w, i] += 0.5 * dt * (f[i] + F[i]) / M
            for i in range(3):  # A
                r[w, i] += 0.5 * dt * v[w, i]
            _frac(r[w], origin, inv_cell, s)  # O
            _interp(gamma6, s[0], s[1], s[2], g6)
            _unpack_k(g6, g)
            _eigh3(g, lam, V)
            # c = Vᵀ v, then scale per eigen-direction, then rotate back
            for a in range(3):
                ca = V[0, a] * v[w, 0] + V[1, a] * v[w, 1] + V[2, a] * v[w, 2]
                xa = V[0, a] * xi[n, w, 0] + V[1, a] * xi[n, w, 1] + V[2, a] * xi[n, w, 2]
                la = lam[a] if lam[a] > 0.0 else 0.0
                e = np.exp(-la * dt / M)
                amp = np.sqrt(kT / M * (1.0 - e * e))
                vn[a] = e * ca + amp * xa
            for i in range(3):
                v[w, i] = V[i, 0] * vn[0] + V[i, 1] * vn[1] + V[i, 2] * vn[2]
            for i in range(3):  # A
                r[w, i] += 0.5 * dt * v[w, i]
            _frac(r[w], origin, inv_cell, s)
            _interp(force, s[0], s[1], s[2], f)
            for i in range(3):  # B
                v[w, i] += 0.5 * dt * (f[i] + F[i]) / M
            if (n + 1) % stride == 0:
                for i in range(3):
                    out_r[k, w, i] = r[w, i]
                    out_v[k, w, i] = v[w, i]
                k += 1


@njit(cache=True)
def _overdamped_kernel(r, tables, geom, consts, xi, out):
    """Euler–Maruyama steps for every walker over the noise block xi (n, nw, 3). tables =
    (force, γ⁻¹ packed, γ^{-1/2} packed, ∇·γ⁻¹); geom = (origin, inverse cell); consts = (kT, F,
    dt, stride, noise-induced drift on); out = (out_r, first output row)."""
    force, D6, S6, div = tables
    origin, inv_cell = geom
    kT, F, dt, stride, induced = consts
    out_r, out_i0 = out
    nsteps = xi.shape[0]
    nw = r.shape[0]
    s = np.empty(3)
    f = np.empty(3)
    d6 = np.empty(6)
    s6 = np.empty(6)
    dv = np.empty(3)
    D = np.empty((3, 3))
    S = np.empty((3, 3))
    amp = np.sqrt(2.0 * kT * dt)
    for w in range(nw):
        k = out_i0
        for n in range(nsteps):
            _frac(r[w], origin, inv_cell, s)
            _interp(force, s[0], s[1], s[2], f)
            _interp(D6, s[0], s[1], s[2], d6)
            _interp(S6, s[0], s[1], s[2], s6)
            _interp(div, s[0], s[1], s[2], dv)
            _unpack_k(d6, D)
            _unpack_k(s6, S)
            for i in range(3):
                step = 0.0
                noise = 0.0
                for j in range(3):
                    step += D[i, j] * (f[j] + F[j])
                    noise += S[i, j] * xi[n, w, j]
                if induced:
                    step += kT * dv[i]
                r[w, i] += dt * step + amp * noise
            if (n + 1) % stride == 0:
                for i in range(3):
                    out_r[k, w, i] = r[w, i]
                k += 1


# ---------------------------------------------------------------------------------------------
# NumPy references (same algorithm, same random numbers; for the tests)
# ---------------------------------------------------------------------------------------------

def _interp_np(field, s):
    """Trilinear periodic interpolation; s (nw, 3) fractional → (nw, k)."""
    n = np.array(field.shape[:3])
    u = s * n
    f = np.floor(u)
    t = u - f
    i = f.astype(int) % n
    j = (i + 1) % n
    out = 0.0
    for c0, w0 in ((i[:, 0], 1 - t[:, 0]), (j[:, 0], t[:, 0])):
        for c1, w1 in ((i[:, 1], 1 - t[:, 1]), (j[:, 1], t[:, 1])):
            for c2, w2 in ((i[:, 2], 1 - t[:, 2]), (j[:, 2], t[:, 2])):
                out = out + (w0 * w1 * w2)[:, None] * field[c0, c1, c2]
    return out


def underdamped_reference(field, r0, v0, M, kT, F, dt, xi):
    """NumPy BAOAB with the kernel's algorithm; returns r, v after len(xi) steps."""
    r = np.array(r0, float).copy()
    v = np.array(v0, float).copy()
    inv = np.linalg.inv(field.cell)
    g6 = _pack(field.gamma)
    f = _interp_np(field.force, (r - field.origin) @ inv)
    for n in range(len(xi)):
        v = v + 0.5 * dt * (f + F) / M
        r = r + 0.5 * dt * v
        g = _unpack(_interp_np(g6, (r - field.origin) @ inv))
        lam, V = np.linalg.eigh(g)
        lam = np.maximum(lam, 0.0)
        e = np.exp(-lam * dt / M)
        c = np.einsum("wia,wi->wa", V, v)
        x = np.einsum("wia,wi->wa", V, xi[n])
        c = e * c + np.sqrt(kT / M * (1 - e * e)) * x
        v = np.einsum("wia,wa->wi", V, c)
        r = r + 0.5 * dt * v
        f = _interp_np(field.force, (r - field.origin) @ inv)
        v = v + 0.5 * dt * (f + F) / M
    return r, v


def overdamped_reference(field, r0, kT, F, dt, xi, noise_induced_drift=True, method="spectral"):
    """NumPy Euler–Maruyama (Itô, with k_BT∇·γ⁻¹ unless disabled); returns r after len(xi)."""
    D6, S6, div = field.overdamped_tables(method)
    r = np.array(r0, float).copy()
    inv = np.linalg.inv(field.cell)
    for n in range(len(xi)):
        s = (r - field.origin) @ inv
        f = _interp_np(field.force, s)
        D = _unpack(_interp_np(D6, s))
        S = _unpack(_interp_np(S6, s))
        drift = np.einsum("wij,wj->wi", D, f + F)
        if noise_induced_drift:
            drift = drift + kT * _interp_np(div, s)
        r = r + dt * drift + np.sqrt(2 * kT * dt) * np.einsum("wij,wj->wi", S, xi[n])
    return r


# ---------------------------------------------------------------------------------------------
# public wrappers
# ---------------------------------------------------------------------------------------------

@dataclass
class Trajectories:
    """Sampled states of independent walkers: t (ns,), r (ns, nw, 3) unwrapped positions (Å),
    v (ns, nw, 3) velocities (Å/ps; None for overdamped), r0 (nw, 3) initial positions."""
    t: np.ndarray
    r: np.ndarray
    v: np.ndarray
    r0: np.ndarray

    def drift_velocity(self, skip=0):
        """Per-walker mean velocity (nw, 3) from the displacement between sample `skip` and the
        last sample (Å/ps)."""
        ref = self.r0 if skip == 0 else self.r[skip - 1]
        t0 = 0.0 if skip == 0 else self.t[skip - 1]
        return (self.r[-1] - ref) / (self.t[-1] - t0)


def _common(field, r0, kT, F, dt, n_steps, stride, n_walkers):
    if not isinstance(field, LangevinField):
        raise ValueError("field must be a LangevinField")
    kT = nonnegative("kT", kT)
    dt = positive("dt", dt)
    n_steps = check_steps(n_steps)
    stride = integer_in("stride", stride, 1)
    F = finite_array("F", F, shape_tail=(3,))
    if F.shape != (3,):
        raise ValueError(f"F must be one force vector (3,), got shape {F.shape}")
    r0 = finite_array("r0", r0, shape_tail=(3,))
    if r0.ndim == 1:
        r0 = np.repeat(r0[None, :], integer_in("n_walkers", n_walkers, 1), axis=0)
    r0 = np.ascontiguousarray(r0.reshape(-1, 3))
    check_memory(f"the samples (n_steps // stride = {n_steps // stride} × {len(r0)} walkers × "
                 "r and v)", 48 * (n_steps // stride) * len(r0),
                 "raise stride, lower n_steps or use fewer walkers (n_walkers)")
    return kT, dt, n_steps, stride, F, r0


def _chunk_steps(chunk, stride, n_walkers):
    """Steps per kernel call: at most `chunk`, and at most ~2²¹ walker-steps of noise (50 MB)
    so that memory stays bounded and Ctrl-C is seen between calls; a multiple of stride. The
    noise is drawn chunk by chunk from one stream, so the chunk size does not change results."""
    chunk = integer_in("chunk", chunk, 1)
    m = min(chunk, max(1, 2**21 // n_walkers))
    return max(stride, (m // stride) * stride)


def _positive_T(kT):
    if kT <= 0:
        raise ValueError(f"T must be > 0 for a thermal run (kT = {kT}); pass kT=0 only with "
                         "noise=False")


def run_underdamped(field, M, kT, F=(0, 0, 0), *, r0, v0=None, dt, n_steps, stride=1,
                    n_walkers=1, rng=None, noise=True, chunk=20000):
    """Integrate M r̈ = −∇U + F − γ(r)ṙ + f̃ (BAOAB) for independent walkers.

    M: ion mass (meV·ps²/Å²); kT: thermal energy (meV, > 0 when noise=True); F: constant force
    (meV/Å); r0: (3,) or (nw, 3) start positions (Å); v0: start velocities (default: Maxwell at
    kT, or 0 without noise); dt (ps); n_steps; samples every `stride` steps; rng: numpy Generator
    (seeded) for the noise and the initial velocities. noise=False drops f̃ (deterministic
    damped dynamics; kT is then ignored). Returns :class:`Trajectories`."""
    M = positive("M", M)
    kT, dt, n_steps, stride, F, r = _common(field, r0, kT, F, dt, n_steps, stride, n_walkers)
    if noise:
        _positive_T(kT)
    kT_eff = kT if noise else 0.0
    rng = np.random.default_rng() if rng is None else rng
    nw = len(r)
    r_init = r.copy()
    if v0 is None:
        v = rng.standard_normal((nw, 3)) * np.sqrt(kT_eff / M)
    else:
        v = np.ascontiguousarray(np.broadcast_to(finite_array("v0", v0, (3,)), (nw, 3)),
                                 dtype=float).copy()
    ns = n_steps // stride
    out_r = np.zeros((ns, nw, 3))
    out_v = np.zeros((ns, nw, 3))
    inv = np.linalg.inv(field.cell)
    g6 = np.ascontiguousarray(_pack(field.gamma))
    force = np.ascontiguousarray(field.force)
    chunk = _chunk_steps(chunk, stride, nw)
    done = 0
    while done < n_steps:
        m = min(chunk, n_steps - done)
        xi = rng.standard_normal((m, nw, 3)) if noise else np.zeros((m, nw, 3))
        _underdamped_kernel((r, v), (force, g6), (field.origin, inv), (M, kT_eff, F, dt, stride),
                            xi, (out_r, out_v, done // stride))
        done += m
    t = dt * stride * np.arange(1, ns + 1)
    return Trajectories(t=t, r=out_r, v=out_v, r0=r_init)


def run_overdamped(field, kT, F=(0, 0, 0), *, r0, dt, n_steps, stride=1, n_walkers=1, rng=None,
                   noise=True, noise_induced_drift=True, method="spectral", chunk=20000):
    """Integrate the overdamped (M → 0) limit, Itô: dr = [γ⁻¹(F − ∇U) + k_BT∇·γ⁻¹]dt +
    √(2k_BT)γ^{−1/2}dW (Euler–Maruyama). noise=False integrates ṙ = γ⁻¹(F − ∇U) (the equation
    rodin2022 averages in Eqs. (45)–(46)). ∇·γ⁻¹ is differentiated on the grid by `method`
    ("spectral", "fd2", "fd4"). Returns :class:`Trajectories` (v = None)."""
    kT, dt, n_steps, stride, F, r = _common(field, r0, kT, F, dt, n_steps, stride, n_walkers)
    if noise:
        _positive_T(kT)
    kT_eff = kT if noise else 0.0
    D6, S6, div = field.overdamped_tables(method)
    rng = np.random.default_rng() if rng is None else rng
    nw = len(r)
    r_init = r.copy()
    ns = n_steps // stride
    out_r = np.zeros((ns, nw, 3))
    inv = np.linalg.inv(field.cell)
    force = np.ascontiguousarray(field.force)
    chunk = _chunk_steps(chunk, stride, nw)
    done = 0
    while done < n_steps:
        m = min(chunk, n_steps - done)
        xi = rng.standard_normal((m, nw, 3)) if noise else np.zeros((m, nw, 3))
        _overdamped_kernel(r, (force, D6, S6, div), (field.origin, inv),
                           (kT_eff, F, dt, stride, bool(noise_induced_drift)), xi,
                           (out_r, done // stride))
        done += m
    t = dt * stride * np.arange(1, ns + 1)
    return Trajectories(t=t, r=out_r, v=None, r0=r_init)


# ---------------------------------------------------------------------------------------------
# model fields for tests and the chapter
# ---------------------------------------------------------------------------------------------

def layered_field(n, length, gamma_of_x, U_of_x=None, dU_of_x=None, transverse=None):
    """A field varying along x only: U(x) and γ(x) = diag(γ_x(x), γ_⊥(x), γ_⊥(x)).

    n: grid points along x (the other axes get 2 points, over which nothing varies); length:
    period (Å, the cell is cubic with this edge); gamma_of_x(x) → γ_x (meV·ps/Å²);
    transverse(x) → γ_⊥ (default: same as γ_x); U_of_x, dU_of_x: potential and its derivative
    (default 0)."""
    n = integer_in("n", n, 4)
    length = positive("length", length)
    x = np.arange(n) * length / n
    gx = np.asarray(gamma_of_x(x), float) * np.ones(n)
    gt = gx if transverse is None else np.asarray(transverse(x), float) * np.ones(n)
    gamma = np.zeros((n, 2, 2, 3, 3))
    gamma[..., 0, 0] = gx[:, None, None]
    gamma[..., 1, 1] = gt[:, None, None]
    gamma[..., 2, 2] = gt[:, None, None]
    force = np.zeros((n, 2, 2, 3))
    if dU_of_x is not None:
        force[..., 0] = -np.asarray(dU_of_x(x), float)[:, None, None]
    U = np.zeros((n, 2, 2))
    if U_of_x is not None:
        U = np.broadcast_to(np.asarray(U_of_x(x), float)[:, None, None], (n, 2, 2)).copy()
    return LangevinField(np.eye(3) * length, force, gamma, U=U)


# ---------------------------------------------------------------------------------------------
# sweep task: drift and diffusion for the chapter "Drag and mobility"
# ---------------------------------------------------------------------------------------------

TOY = dict(length=3.0, gamma0=10.0, eps=0.8, A=20.0)
"""1D toy landscape of the chapter: period 3 Å, γ(x) = γ0(1 + ε sin kx) (meV·ps/Å²),
U(x) = A cos kx (meV), overdamped."""

CRYSTAL = dict(mass=3.5, a=3.0, k1=520.0, k2=170.0, U0=4000.0, lam=0.5, M=0.7)
"""rodin2025 Sec. III model crystal and a Li-like mobile ion (M = 0.7 meV·ps²/Å²)."""

_FIELDS = {}


def toy_field(with_potential, n=256):
    """The chapter's 1D toy as a LangevinField (γ isotropic, varying along x only)."""
    k = 2 * np.pi / TOY["length"]
    A = TOY["A"] if with_potential else 0.0
    return layered_field(n, TOY["length"],
                         lambda x: TOY["gamma0"] * (1 + TOY["eps"] * np.sin(k * x)),
                         U_of_x=lambda x: A * np.cos(k * x),
                         dU_of_x=lambda x: -A * k * np.sin(k * x))


def crystal_field(n=48):
    """The rodin2025 model crystal for one mobile ion: exact −∇U and γ = H𝓛H (analytic
    Hessian of the Yukawa lattice sum at the grid nodes, 𝓛 from ``CubicLattice.drag_matrix``)."""
    key = ("crystal", n)
    if key not in _FIELDS:
        from .lattice import CubicLattice
        c = CRYSTAL
        L = CubicLattice(c["mass"], c["a"], c["k1"], c["k2"]).drag_matrix()
        g, G, H = _mob.yukawa_cubic_grid(n, c["a"], c["U0"], c["lam"], derivatives=True)
        _FIELDS[key] = LangevinField(g.cell, -G, _mob.drag_field(H, L), origin=g.origin, U=g.U)
    return _FIELDS[key]


def drift_task(model, kT, F, seed, n_walkers, t_total, dt, n_segments=10, noise=True, n_grid=48):
    """One sweep task: walkers under a force F along x; returns per-walker drift velocities and
    segment estimates of the diffusion coefficients.

    model: "toy0" (1D toy, U = 0, overdamped), "toy" (1D toy with U, overdamped) or "crystal"
    (model crystal, underdamped, M = 0.7). kT (meV), F (meV/Å along x), t_total (ps), dt (ps).
    The first of `n_segments` equal segments is burn-in; drift and D come from the rest.
    Returns dict: v (nw, 3) Å/ps, D (3,) and D_se (3,) Å²/ps (squared increments per segment,
    mean and SE over walkers×segments), v_mean (3,), v_se (3,).

    The random stream is seeded by (seed, model, kT, F), so tasks that differ only in kT or F are
    statistically independent even with the same `seed` (otherwise their errors would be
    correlated and a comparison across tasks would overstate the agreement)."""
    import zlib
    tag = zlib.crc32(f"{model}|{float(kT)!r}|{float(F)!r}|{bool(noise)}".encode())
    rng = np.random.default_rng([int(seed), tag])
    n_steps = int(round(t_total / dt))
    stride = max(1, n_steps // n_segments)
    n_steps = stride * n_segments
    Fv = np.array([F, 0.0, 0.0])
    if model in ("toy0", "toy"):
        fld = toy_field(model == "toy")
        r0 = np.array([TOY["length"] / 2, 0.0, 0.0])
        tr = run_overdamped(fld, kT, Fv, r0=r0, dt=dt, n_steps=n_steps, stride=stride,
                            n_walkers=n_walkers, rng=rng, noise=noise)
    elif model == "crystal":
        fld = crystal_field(n_grid)
        r0 = np.full(3, CRYSTAL["a"] / 2)
        tr = run_underdamped(fld, CRYSTAL["M"], kT, Fv, r0=r0, dt=dt, n_steps=n_steps,
                             stride=stride, n_walkers=n_walkers, rng=rng, noise=noise,
                             v0=None if noise else np.zeros(3))
    else:
        raise ValueError(f"model must be 'toy0', 'toy' or 'crystal', got {model!r}")
    v = tr.drift_velocity(skip=1)
    r = tr.r
    T = tr.t[1] - tr.t[0]
    inc = np.diff(r, axis=0).reshape(-1, 3)  # segments 2..n, all walkers
    inc = inc - inc.mean(axis=0)  # remove the mean drift
    est = inc ** 2 / (2 * T) * len(inc) / (len(inc) - 1)
    return {"v": v, "D": est.mean(0), "D_se": est.std(0, ddof=1) / np.sqrt(len(est)),
            "v_mean": v.mean(0),
            "v_se": v.std(0, ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.full(3, np.nan)}
