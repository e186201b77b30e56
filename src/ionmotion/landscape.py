"""The potential landscape of a mobile ion computed by DFT (rodin2022 Sec. V), and what it gives.

From energies and forces on the irreducible wedge of a grid (see :mod:`ionmotion.materials`):
the equation of state and elastic constants of the perfect crystal, the drag matrix 𝓛 from the
elastic constants (isotropic with Γ–X speeds as rodin2022 Methods, or the full direction average),
the Hessian from central differences of the forces, a smooth interpolant that refines the grid,
the percolation level of rodin2022 Fig. 2, and the one-dimensional reduction along the hopping
path. Units: eV, Å and GPa where the DFT step reports them (named so), meV, Å, ps elsewhere.
"""
import numpy as np

EV_PER_A3_GPA = 160.21766208
"""1 eV/Å³ in GPa."""


def _bm_energy(V, E0, V0, B0, B1):
    x = (V0 / V) ** (2.0 / 3.0) - 1.0
    return E0 + 9.0 * V0 * B0 / 16.0 * (x ** 3 * B1 + x ** 2 * (6.0 - 4.0 * (V0 / V) ** (2.0 / 3.0)))


def birch_murnaghan(V, E):
    """Fit the third-order Birch–Murnaghan equation of state to energies E (eV) at volumes V (Å³,
    of a cubic cell). Returns dict E0 (eV), V0 (Å³), a0 = V0^(1/3) (Å), B0 (GPa), B1, rms (eV)."""
    from scipy.optimize import curve_fit
    V = np.asarray(V, dtype=float)
    E = np.asarray(E, dtype=float)
    if V.shape != E.shape or V.size < 4 or np.any(V <= 0):
        raise ValueError("V and E must be equal-length arrays of at least 4 points, V > 0")
    c = np.polyfit(V, E, 2)
    if c[0] <= 0:
        raise ValueError("E(V) has no minimum: the scan does not bracket the equilibrium volume")
    V0 = -c[1] / (2 * c[0])
    p0 = (np.polyval(c, V0), V0, 2 * c[0] * V0, 4.0)
    p, _ = curve_fit(_bm_energy, V, E, p0=p0, maxfev=20000)
    rms = float(np.sqrt(np.mean((_bm_energy(V, *p) - E) ** 2)))
    return {"E0": p[0], "V0": p[1], "a0": p[1] ** (1 / 3), "B0": p[2] * EV_PER_A3_GPA,
            "B1": p[3], "rms": rms}


# ---------------------------------------------------------------------------------------------
# elastic constants and the drag matrix 𝓛
# ---------------------------------------------------------------------------------------------

GPA_MEV_PER_A3 = 1e3 / EV_PER_A3_GPA
"""1 GPa in meV/Å³."""


def cubic_elastic_constants(stress_e11, stress_e12, strain):
    """C11, C12, C44 (GPa) of a cubic crystal from central differences of the stress (Voigt, eV/Å³,
    ASE's sign: tensile positive) under uniaxial strains ε11 = ±strain (stress_e11: the pair
    (+, −)) and shears ε12 = ε21 = ±strain (stress_e12: the pair (+, −))."""
    s11 = np.asarray(stress_e11, dtype=float)
    s12 = np.asarray(stress_e12, dtype=float)
    if s11.shape != (2, 6) or s12.shape != (2, 6):
        raise ValueError("stress_e11 and stress_e12 must each be two Voigt stresses (+, −)")
    if not 0 < strain < 0.1:
        raise ValueError(f"strain must be in (0, 0.1), got {strain!r}")
    d11 = (s11[0] - s11[1]) / (2 * strain) * EV_PER_A3_GPA
    d12 = (s12[0] - s12[1]) / (2 * strain) * EV_PER_A3_GPA
    # σ_xy = C44 · γ_xy with the engineering shear γ_xy = 2 ε12
    return {"C11": d11[0], "C12": 0.5 * (d11[1] + d11[2]), "C44": d12[5] / 2,
            "C12_asymmetry": abs(d11[1] - d11[2])}


def cubic_stiffness(C11, C12, C44):
    """The 3×3×3×3 stiffness tensor C_ijkl of a cubic crystal (units of the arguments)."""
    C = np.zeros((3, 3, 3, 3))
    for i in range(3):
        for j in range(3):
            C[i, i, j, j] = C12
        C[i, i, i, i] = C11
        for j in range(3):
            if i != j:
                C[i, j, i, j] = C[i, j, j, i] = C44
    return C


def christoffel(C, rho, directions):
    """Sound speeds (N, 3) (ascending) and polarisations (N, 3, 3) (columns) for propagation
    directions (N, 3), stiffness C (meV/Å³) and density ρ (meV·ps²/Å⁵): ρv² are the
    eigenvalues of Γ_ik = C_ijkl n_j n_l."""
    n = np.asarray(directions, dtype=float)
    G = np.einsum("ijkl,pj,pl->pik", C, n, n)
    w, V = np.linalg.eigh(G / rho)
    if np.any(w <= 0):
        raise ValueError("the stiffness is not positive definite (an acoustic speed² ≤ 0)")
    return np.sqrt(w), V


def drag_matrix_direction_average(C, rho, n_quad=48):
    """𝓛 (Å²·ps/meV) of the long-wavelength (Debye-like) continuum with the full anisotropic
    sound speeds: 𝓛 = (1/16π²ρ) ∮ dΩ Σ_b e_b e_bᵀ / v_b³, which for isotropic speeds is
    rodin2022 Eq. (43), (1/12πρ)(1/v_L³ + 2/v_T³)·I."""
    from .lattice import sphere_quadrature
    dirs, wts = sphere_quadrature(n_quad)
    v, e = christoffel(C, rho, dirs)
    L = np.einsum("p,pib,pjb,pb->ij", wts, e, e, 1.0 / v ** 3)
    return L / (16 * np.pi ** 2 * rho)


# ---------------------------------------------------------------------------------------------
# Hessian from forces
# ---------------------------------------------------------------------------------------------

def hessian_from_forces(F, a):
    """H = −∂F/∂r (…, 3, 3) on a periodic n×n×n grid of a cubic cell of edge a (Å) from the force
    field F (n, n, n, 3) by second-order central differences along the axes, symmetrised.
    Returns (H, asym): asym is |H − Hᵀ|/|H| before symmetrisation (a check of the forces).
    Points whose neighbours have no force (NaN) get NaN."""
    F = np.asarray(F, dtype=float)
    if F.ndim != 4 or F.shape[-1] != 3 or len(set(F.shape[:3])) != 1:
        raise ValueError(f"F must have shape (n, n, n, 3), got {F.shape}")
    h = a / F.shape[0]
    H = np.empty(F.shape[:3] + (3, 3))
    for ax in range(3):
        H[..., ax, :] = -(np.roll(F, -1, axis=ax) - np.roll(F, 1, axis=ax)) / (2 * h)
    Hs = 0.5 * (H + np.swapaxes(H, -1, -2))
    with np.errstate(invalid="ignore"):
        asym = np.linalg.norm(H - Hs, axis=(-2, -1)) / np.linalg.norm(Hs, axis=(-2, -1))
    return Hs, asym


# ---------------------------------------------------------------------------------------------
# a smooth interpolant of scattered energies: polyharmonic spline φ(r) = r⁵ + quadratic
# ---------------------------------------------------------------------------------------------

def _quadratic_basis(x):
    x = np.atleast_2d(x)
    one = np.ones(len(x))
    cols = [one, x[:, 0], x[:, 1], x[:, 2]]
    cols += [x[:, i] * x[:, j] for i in range(3) for j in range(i, 3)]
    return np.stack(cols, -1)


class PolyharmonicSpline:
    """s(x) = Σ c_i |x − x_i|⁵ + quadratic polynomial, interpolating values y_i at centres x_i
    (Å, (N, 3)). Smooth (C⁴), with analytic gradient and Hessian; the interpolant of least
    "bending energy" of its order, so it adds no oscillation between points of a grid."""

    def __init__(self, x, y):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if x.ndim != 2 or x.shape[1] != 3 or y.shape != (len(x),) or len(x) < 10:
            raise ValueError("x must be (N, 3) and y (N,) with N ≥ 10")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("x and y must be finite")
        self.x, self.shift = x, x.mean(0)
        r = np.linalg.norm(x[:, None] - x[None], axis=-1)
        P = _quadratic_basis(x - self.shift)
        m = P.shape[1]
        A = np.block([[r ** 5, P], [P.T, np.zeros((m, m))]])
        sol = np.linalg.solve(A, np.concatenate([y, np.zeros(m)]))
        self.c, self.p = sol[:len(x)], sol[len(x):]

    def _chunks(self, q, size=2048):
        for s in range(0, len(q), size):
            yield s, q[s:s + size]

    def __call__(self, q):
        q = np.atleast_2d(np.asarray(q, dtype=float))
        out = np.empty(len(q))
        for s, qq in self._chunks(q):
            r = np.linalg.norm(qq[:, None] - self.x[None], axis=-1)
            out[s:s + len(qq)] = r ** 5 @ self.c + _quadratic_basis(qq - self.shift) @ self.p
        return out

    def gradient(self, q):
        """∇s at points q (M, 3)."""
        q = np.atleast_2d(np.asarray(q, dtype=float))
        out = np.empty((len(q), 3))
        p = self.p
        for s, qq in self._chunks(q):
            d = qq[:, None] - self.x[None]
            r = np.linalg.norm(d, axis=-1)
            g = np.einsum("mn,mna,n->ma", 5 * r ** 3, d, self.c)
            z = qq - self.shift
            g[:, 0] += p[1] + 2 * p[4] * z[:, 0] + p[5] * z[:, 1] + p[6] * z[:, 2]
            g[:, 1] += p[2] + p[5] * z[:, 0] + 2 * p[7] * z[:, 1] + p[8] * z[:, 2]
            g[:, 2] += p[3] + p[6] * z[:, 0] + p[8] * z[:, 1] + 2 * p[9] * z[:, 2]
            out[s:s + len(qq)] = g
        return out

    def hessian(self, q):
        """∇∇ᵀs at points q (M, 3, 3): ∂a∂b r⁵ = 5r³δ_ab + 15 r d_a d_b."""
        q = np.atleast_2d(np.asarray(q, dtype=float))
        out = np.empty((len(q), 3, 3))
        p = self.p
        P2 = np.array([[2 * p[4], p[5], p[6]], [p[5], 2 * p[7], p[8]], [p[6], p[8], 2 * p[9]]])
        for s, qq in self._chunks(q, 1024):
            d = qq[:, None] - self.x[None]
            r = np.linalg.norm(d, axis=-1)
            iso = (5 * r ** 3) @ self.c
            H = np.einsum("mn,mna,mnb,n->mab", 15 * r, d, d, self.c)
            H += iso[:, None, None] * np.eye(3) + P2
            out[s:s + len(qq)] = H
        return out


def periodic_images(frac, values, margin):
    """Fractional points (N, 3) and values with their periodic copies that lie within `margin`
    (fractional) outside the unit cube [0, 1)³ — so that a spline fitted to them is periodic to
    within its accuracy inside the cube."""
    frac = np.asarray(frac, dtype=float)
    values = np.asarray(values)
    xs, vs = [], []
    for sh in np.stack(np.meshgrid(*[np.arange(-1, 2)] * 3, indexing="ij"), -1).reshape(-1, 3):
        f = frac + sh
        keep = np.all((f > -margin) & (f < 1 + margin), axis=1)
        xs.append(f[keep])
        vs.append(values[keep])
    return np.concatenate(xs), np.concatenate(vs)


# ---------------------------------------------------------------------------------------------
# percolation level (rodin2022 Fig. 2)
# ---------------------------------------------------------------------------------------------

def _label_periodic(ok):
    """Cluster labels of a periodic boolean grid and, for each label, whether it wraps (its
    copy in a neighbouring cell is the same cluster) along some axis."""
    from scipy import ndimage
    n = ok.shape
    lab, nl = ndimage.label(np.tile(ok, (3, 3, 3)))
    centre = lab[n[0]:2 * n[0], n[1]:2 * n[1], n[2]:2 * n[2]]
    wraps = set()
    for ax in range(3):
        sl = [slice(n[0], 2 * n[0]), slice(n[1], 2 * n[1]), slice(n[2], 2 * n[2])]
        sl[ax] = slice(2 * n[ax], 3 * n[ax])
        nb = lab[tuple(sl)]
        same = (centre > 0) & (centre == nb)
        wraps.update(np.unique(centre[same]).tolist())
    return centre, wraps


def percolation_level(U, mask):
    """The lowest energy E* at which {U ≤ E*} ∩ mask contains a cluster that connects a periodic
    cell to its neighbours (the level of rodin2022 Fig. 2), and that cluster's mask.
    U: (n, n, n) energies; mask: accessible points (True)."""
    U = np.asarray(U, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    if U.shape != mask.shape or U.ndim != 3:
        raise ValueError("U and mask must be 3D grids of the same shape")
    levels = np.unique(U[mask & np.isfinite(U)])
    if levels.size == 0:
        raise ValueError("mask selects no finite energy")
    lo, hi = 0, len(levels) - 1
    if not _label_periodic(mask & (U <= levels[hi]))[1]:
        raise ValueError("the accessible region does not percolate at any level")
    while lo < hi:
        mid = (lo + hi) // 2
        if _label_periodic(mask & (U <= levels[mid]))[1]:
            hi = mid
        else:
            lo = mid + 1
    lab, wraps = _label_periodic(mask & (U <= levels[lo]))
    return float(levels[lo]), np.isin(lab, list(wraps))


# ---------------------------------------------------------------------------------------------
# from wedge points to a landscape
# ---------------------------------------------------------------------------------------------

def wedge_to_grid(n, reps, energy_eV, force_eV_per_A, reference_eV):
    """Full n³ grid of U (meV, relative to `reference_eV`) and F (meV/Å) from the wedge points
    (flat indices `reps`, see :func:`ionmotion.materials.wedge`); NaN where not computed."""
    from .materials import expand
    E = (np.asarray(energy_eV, dtype=float) - reference_eV) * 1e3
    U, F = expand(n, reps, E, np.asarray(force_eV_per_A, dtype=float) * 1e3)
    return U, F


def drag_matrices(C11, C12, C44, rho):
    """𝓛 (Å²·ps/meV) two ways from cubic elastic constants (GPa) and ρ (meV·ps²/Å⁵): "Γ–X" is
    rodin2022's recipe (isotropic Eq. (43) with the [100] speeds v_L = √(C11/ρ), v_T = √(C44/ρ));
    "average" is the full direction average of the Christoffel speeds and polarisations."""
    from .mobility import drag_matrix_from_sound
    c = np.array([C11, C12, C44], dtype=float) * GPA_MEV_PER_A3
    vL, vT = np.sqrt(c[0] / rho), np.sqrt(c[2] / rho)
    return {"Γ–X": drag_matrix_from_sound(rho, vL, vT),
            "average": drag_matrix_direction_average(cubic_stiffness(*c), rho),
            "vL": vL, "vT": vT}


def grid_mobility(F, a, mask, L):
    """rodin2022 Eq. (47) on a DFT grid: γ = H𝓛H with H from central differences of the forces
    F (meV/Å, (n, n, n, 3)), averaged over `mask`. Returns (MobilityResult, H asymmetry median)."""
    from .mobility import drag_field, mobility_from_gamma
    H, asym = hessian_from_forces(F, a)
    Hm = H[mask]
    if not np.all(np.isfinite(Hm)):
        raise ValueError("a masked point lacks the forces of its neighbours (compute the support)")
    return mobility_from_gamma(drag_field(Hm, L), None), float(np.median(asym[mask]))


def spline_hessian_grid(spline, a, n, mask):
    """Hessian (n, n, n, 3, 3) of a spline landscape on the points of an O_h-invariant `mask`
    (NaN elsewhere), computed on the orbit representatives only and rotated to the rest."""
    from .materials import expand_tensor, grid_indices, wedge
    reps = wedge(mask)
    pts = grid_indices(n)[reps] / n * a
    return expand_tensor(n, reps, spline.hessian(pts))


def spline_energy_grid(spline, a, n, mask):
    """Energy (n, n, n) of a spline landscape on an O_h-invariant `mask` (NaN elsewhere)."""
    from .materials import expand, grid_indices, wedge
    reps = wedge(mask)
    return expand(n, reps, spline(grid_indices(n)[reps] / n * a))


def spline_from_grid(U, a, margin=0.2):
    """A :class:`PolyharmonicSpline` (Cartesian Å → meV) through every finite point of the
    periodic grid U (n, n, n) of a cube of edge a, with periodic copies `margin` (fractional)
    beyond the cell."""
    n = U.shape[0]
    frac = np.stack(np.meshgrid(*[np.arange(n) / n] * 3, indexing="ij"), -1).reshape(-1, 3)
    v = U.ravel()
    ok = np.isfinite(v)
    f, y = periodic_images(frac[ok], v[ok], margin)
    return PolyharmonicSpline(f * a, y)


# ---------------------------------------------------------------------------------------------
# the hopping path and the one-dimensional reduction of the dynamics
# ---------------------------------------------------------------------------------------------

def minimax_path(U, mask, start, shift):
    """The grid path from index `start` to `start` + n·`shift` (a lattice vector in grid units)
    through `mask` whose highest energy is lowest (Dijkstra on the bottleneck), as unwrapped
    integer indices (K, 3). U, mask: (n, n, n) periodic grids."""
    import heapq
    n = U.shape[0]
    start = tuple(int(i) for i in start)
    goal = tuple(s + n * int(d) for s, d in zip(start, shift))
    best = {start: U[start]}
    prev = {}
    heap = [(U[start], start)]
    steps = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
    span = 2 * n
    while heap:
        cost, p = heapq.heappop(heap)
        if p == goal:
            break
        if cost > best.get(p, np.inf):
            continue
        for d in steps:
            q = (p[0] + d[0], p[1] + d[1], p[2] + d[2])
            if max(abs(c) for c in q) > span:
                continue
            w = (q[0] % n, q[1] % n, q[2] % n)
            if not mask[w]:
                continue
            c = max(cost, U[w])
            if c < best.get(q, np.inf):
                best[q] = c
                prev[q] = p
                heapq.heappush(heap, (c, q))
    if goal not in prev:
        raise ValueError("no path through the mask joins the start to its periodic image")
    path = [goal]
    while path[-1] != start:
        path.append(prev[path[-1]])
    return np.array(path[::-1])


def _resample(x, m):
    """m points equally spaced in arc length along the polyline x (K, 3)."""
    seg = np.linalg.norm(np.diff(x, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    t = np.linspace(0, s[-1], m)
    return np.stack([np.interp(t, s, x[:, i]) for i in range(3)], -1)


def string_method(grad, x0, m=81, step=1e-4, tol=1e-5, max_iter=20000):
    """Minimum-energy path by the simplified string method (E, Ren & Vanden-Eijnden 2007): move
    every image down the gradient, then redistribute the images at equal arc length; the end
    images relax into their minima. grad: callable (K, 3) → (K, 3); x0: initial polyline (Å);
    step in Å²/meV. Returns the path (m, 3) and the number of iterations."""
    x = _resample(np.asarray(x0, dtype=float), m)
    for it in range(1, max_iter + 1):
        y = _resample(x - step * grad(x), m)
        if np.abs(y - x).max() < tol:
            return y, it
        x = y
    raise ValueError(f"string method did not converge in max_iter={max_iter} iterations "
                     f"(last change {np.abs(y - x).max():.2e} Å; lower step)")


def path_profile(spline, path, L):
    """Arc length s (Å), U(s) (meV), tangent t(s) and the drag along the path γ_tt = tᵀ H𝓛H t
    (meV·ps/Å²) for a path (m, 3) on a spline landscape and a drag matrix 𝓛 (3×3, Å²·ps/meV)."""
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    t = np.gradient(path, s, axis=0)
    t /= np.linalg.norm(t, axis=1)[:, None]
    H = spline.hessian(path)
    g = np.einsum("ma,mab,bc,mcd,md->m", t, H, L, H, t)
    return s, spline(path), t, g


def zero_crossing(t, f):
    """The t where the sampled function f(t) changes sign (cubic spline through the samples,
    root bracketed by the first sign change); None if f keeps its sign."""
    from scipy.interpolate import CubicSpline
    from scipy.optimize import brentq
    t = np.asarray(t, dtype=float)
    f = np.asarray(f, dtype=float)
    o = np.argsort(t)
    t, f = t[o], f[o]
    k = np.flatnonzero(np.sign(f[:-1]) != np.sign(f[1:]))
    if k.size == 0:
        return None
    cs = CubicSpline(t, f)
    return float(brentq(cs, t[k[0]], t[k[0] + 1]))


def tst_rate_1d(s, U, kT, M):
    """One-directional transition-state rate (1/ps) over the highest point of a 1D profile U(s)
    (meV) that starts and ends in the same well (one period): √(kT/2πM) e^{−U_b/kT} divided by
    the well's configurational integral ∫e^{−U/kT}ds. M in meV·ps²/Å²."""
    b = int(np.argmax(U))
    w = np.exp(-(U - U.min()) / kT)
    Z = np.trapezoid(w, s)
    return np.sqrt(kT / (2 * np.pi * M)) * np.exp(-(U[b] - U.min()) / kT) / Z


def kramers_factor(gamma_b, M, omega_b):
    """Kramers' transmission factor √(1 + α²) − α, α = γ_b/(2Mω_b) (moderate to high friction;
    1 at zero friction, the transition-state limit)."""
    alpha = gamma_b / (2 * M * omega_b)
    return np.sqrt(1 + alpha ** 2) - alpha


# ---------------------------------------------------------------------------------------------
# interpolant = fitted pair baseline + spline of the residual
# ---------------------------------------------------------------------------------------------

class PairBaseline:
    """A smooth stand-in for the steep part of the landscape: U_b(r) = c0 + Σ_j A_s e^{−d_j/ρ_s}
    + B_s/d_j over the fixed ions j (and their periodic images), one (A, ρ, B) per species,
    fitted by least squares to DFT energies. It is only a baseline: the interpolant adds a
    spline of the residual, so the baseline needs no physical meaning, only smoothness."""

    def __init__(self, compound, frac, U):
        from scipy.optimize import least_squares
        sites, sym = compound.fixed_sites()
        shifts = np.stack(np.meshgrid(*[np.arange(-1, 2)] * 3, indexing="ij"), -1).reshape(-1, 3)
        self.a = compound.a
        self.ions = (sites[None] + shifts[:, None]).reshape(-1, 3) * self.a
        self.anion = np.tile([s == compound.anion for s in sym], len(shifts))
        x = np.asarray(frac, dtype=float) * self.a
        U = np.asarray(U, dtype=float)
        w = 1 + np.abs(U) / 1e3
        sol = least_squares(lambda p: (self._energy(x, p) - U) / w,
                            [1e5, 0.3, 1e5, 0.3, 1e4, -1e4, 0.0],
                            x_scale=[1e5, 0.1, 1e5, 0.1, 1e4, 1e4, 1e3], max_nfev=5000)
        self.p = sol.x

    def _species(self, p):
        Ac, rc, Aa, ra, Bc, Ba, _ = p
        return (np.where(self.anion, Aa, Ac), np.where(self.anion, ra, rc),
                np.where(self.anion, Ba, Bc))

    def _energy(self, x, p):
        A, r, B = self._species(p)
        out = np.empty(len(x))
        for s in range(0, len(x), 4096):
            d = np.linalg.norm(x[s:s + 4096, None] - self.ions[None], axis=-1)
            out[s:s + 4096] = p[6] + (A * np.exp(-d / r) + B / d).sum(1)
        return out

    def __call__(self, x):
        return self._energy(np.atleast_2d(np.asarray(x, dtype=float)), self.p)

    def _radial(self, x):
        A, r, B = self._species(self.p)
        D = np.atleast_2d(x)[:, None] - self.ions[None]
        d = np.linalg.norm(D, axis=-1)
        e = A * np.exp(-d / r)
        return D, d, -e / r - B / d ** 2, e / r ** 2 + 2 * B / d ** 3

    def gradient(self, x):
        D, d, d1, _ = self._radial(x)
        return np.einsum("mj,mja->ma", d1 / d, D)

    def hessian(self, x):
        D, d, d1, d2 = self._radial(x)
        u = D / d[..., None]
        H = np.einsum("mj,mja,mjb->mab", d2 - d1 / d, u, u)
        return H + (d1 / d).sum(1)[:, None, None] * np.eye(3)


class Interpolant:
    """U(r) (meV, r in Å) through DFT grid points: a :class:`PairBaseline` plus a
    :class:`PolyharmonicSpline` of the residual, made periodic by copies of the points within
    `margin` (fractional) of the cell. Exact at the points; gradient and Hessian analytic."""

    def __init__(self, compound, U, margin=0.2):
        n = U.shape[0]
        frac = np.stack(np.meshgrid(*[np.arange(n) / n] * 3, indexing="ij"), -1).reshape(-1, 3)
        v = U.ravel()
        ok = np.isfinite(v)
        self.baseline = PairBaseline(compound, frac[ok], v[ok])
        f, y = periodic_images(frac[ok], v[ok], margin)
        x = f * compound.a
        self.spline = PolyharmonicSpline(x, y - self.baseline(x))

    def __call__(self, x):
        return self.baseline(x) + self.spline(x)

    def gradient(self, x):
        return self.baseline.gradient(x) + self.spline.gradient(x)

    def hessian(self, x):
        return self.baseline.hessian(x) + self.spline.hessian(x)


# ---------------------------------------------------------------------------------------------
# the hop rate from the Langevin equation: harmonic transition-state theory with Langer's
# (multidimensional Kramers) friction factor
# ---------------------------------------------------------------------------------------------

def unstable_growth_rate(H_saddle, gamma, M):
    """λ₊ > 0 with det(Mλ² + γλ + H_s) = 0: the growth rate of the unstable motion at the saddle
    under the drag γ (meV·ps/Å²); M in meV·ps²/Å², H_s (meV/Å²) with one negative eigenvalue.
    At γ = 0 it is the barrier frequency ω_b = √(|h_u|/M)."""
    H = np.asarray(H_saddle, dtype=float)
    g = np.asarray(gamma, dtype=float)
    w = np.linalg.eigvalsh(H)
    if not (w[0] < 0 < w[1]):
        raise ValueError(f"H_saddle must have exactly one negative eigenvalue, got {w}")
    A = np.block([[np.zeros((3, 3)), np.eye(3)], [-H / M, -g / M]])
    ev = np.linalg.eigvals(A)
    pos = ev[(np.abs(ev.imag) < 1e-9 * np.abs(ev).max()) & (ev.real > 0)].real
    if pos.size != 1:
        raise ValueError("no unique positive growth rate at the saddle")
    return float(pos[0])


def hop_rate(H_min, H_saddle, gamma_saddle, M, barrier, kT):
    """Rate (1/ps) of one escape channel over a saddle, the high-barrier (Kramers–Langer) limit of
    the Langevin equation M r̈ = −∇U − γ ṙ + noise:  k = (λ₊/ω_b) · (1/2π) Πω_min/Πω_saddle ·
    e^{−ΔE/kT}  (harmonic transition-state theory times Langer's friction factor λ₊/ω_b ≤ 1).
    Returns dict(rate, tst, factor, omega_b)."""
    wm = np.linalg.eigvalsh(np.asarray(H_min, dtype=float))
    ws = np.linalg.eigvalsh(np.asarray(H_saddle, dtype=float))
    if wm[0] <= 0:
        raise ValueError(f"H_min must be positive definite, got eigenvalues {wm}")
    prefactor = np.sqrt(np.prod(wm) / np.prod(ws[1:]) / M) / (2 * np.pi)
    omega_b = np.sqrt(-ws[0] / M)
    lam = unstable_growth_rate(H_saddle, gamma_saddle, M)
    tst = prefactor * np.exp(-np.asarray(barrier) / np.asarray(kT))
    return {"rate": tst * lam / omega_b, "tst": tst, "factor": lam / omega_b,
            "omega_b": omega_b, "attempt": prefactor}
