"""Drag tensor field and the "temperature-free" mobility of rodin2022 Sec. IV B–V, as a tool.

rodin2022 Eq. (44) (with the general 3×3 response matrix 𝓛 of rodin2025 Eq. (15) in place of the
isotropic (1/12πρ)(1/v_L³ + 2/v_T³)) gives the position-dependent drag tensor

    γ(r) = H(r) 𝓛 H(r),        H = ∇∇ᵀU  (meV/Å²),  𝓛 (Å²·ps/meV),  γ (meV·ps/Å²),

and Eq. (47) the mobility μ = q⟨γ⁻¹⟩, a plain (unweighted) average over the accessible part of
the unit cell. This module evaluates both on a periodic grid of U over one cell.

Conventions
-----------
* ``cell`` is a 3×3 array whose *rows* are the lattice vectors (Å); a grid point with integer
  index (i, j, k) on an (n1, n2, n3) grid sits at r = origin + (i/n1, j/n2, k/n3) @ cell.
* Energies in meV. Mobility: with q in units of e and forces F = qE, a drift v = q⟨γ⁻¹⟩E with
  E in V/Å gives μ = 1000·q·⟨γ⁻¹⟩ Å²/(V·ps) for ⟨γ⁻¹⟩ in Å²/(meV·ps); 1 Å²/(V·ps) is
  1e-4 cm²/(V·s) (``units.MOBILITY_CM2_PER_VS``), the unit of rodin2022 Table I.
* The Hessian is obtained either spectrally (exact for trigonometric polynomials resolved by the
  grid; unsuitable for grids containing the 1/r cores of framework ions, where it rings) or by
  central finite differences of stated order 2 or 4 along the grid axes (local: a core spoils only
  its neighbourhood).

Everything here is deterministic NumPy; no kernels are needed (the work is a few FFTs and
batched 3×3 linear algebra).
"""
from dataclasses import dataclass, field

import numpy as np

from . import units
from ._compat import moved
from .papers.constants import RODIN2025_LATTICE as _R25, RODIN2025_PARTICLE as _ION
from .lattice import isotropic_drag
from ._validate import choice, finite_array, integer_in, nonnegative, positive

HARTREE_MEV = 27211.386245988
RYDBERG_MEV = HARTREE_MEV / 2
BOHR_ANGSTROM = 0.529177210903
_ENERGY_UNITS = {"hartree": HARTREE_MEV, "ry": RYDBERG_MEV, "ev": 1e3, "mev": 1.0}
MEV_PER_V_ANGSTROM = 1e3
"""A force of 1 e·V/Å expressed in meV/Å (so μ[Å²/(V·ps)] = 1000 q ⟨γ⁻¹⟩[Å²/(meV·ps)])."""


# ---------------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------------

def as_cell(cell):
    """A 3×3 cell (rows = lattice vectors, Å) from a 3×3 array, three lengths, or one length.

    Raises ValueError unless the metric cell·cellᵀ is positive definite and the cell is
    right-handed (det > 0)."""
    c = np.asarray(cell, dtype=float)
    if c.ndim == 0:
        c = np.eye(3) * float(c)
    elif c.shape == (3,):
        c = np.diag(c)
    if c.shape != (3, 3):
        raise ValueError(f"cell must be a scalar, 3 lengths or a 3×3 matrix, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("cell must contain only finite numbers")
    metric = c @ c.T
    ev = np.linalg.eigvalsh(metric)
    if ev.min() <= 1e-12 * max(ev.max(), 1e-300) or np.linalg.det(c) <= 0:
        raise ValueError("cell must be positive definite: its rows must be three linearly "
                         "independent, right-handed lattice vectors (metric cell·cellᵀ "
                         f"eigenvalues {ev}, det {np.linalg.det(c):.3g})")
    return c


def as_drag_matrix(L):
    """𝓛 as a symmetric positive-definite 3×3 matrix (Å²·ps/meV); a scalar means ℓ·I."""
    m = np.asarray(L, dtype=float)
    if m.ndim == 0:
        m = np.eye(3) * float(m)
    if m.shape != (3, 3):
        raise ValueError(f"L (the drag matrix 𝓛) must be a scalar or 3×3, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError("L (the drag matrix 𝓛) must contain only finite numbers")
    if not np.allclose(m, m.T, rtol=1e-8, atol=1e-14 * np.abs(m).max()):
        raise ValueError("L (the drag matrix 𝓛) must be symmetric")
    m = 0.5 * (m + m.T)
    ev = np.linalg.eigvalsh(m)
    if ev.min() <= 0:
        raise ValueError(f"L (the drag matrix 𝓛) must be positive definite, eigenvalues {ev}")
    return m


def drag_matrix_from_sound(rho, vL, vT):
    """Isotropic 𝓛 = (1/12πρ)(1/v_L³ + 2/v_T³)·I (rodin2022 Eq. (43)); ρ in meV·ps²/Å⁵, v in Å/ps.
    The isotropic limit of rodin2025 Eq. (15); an alias of `ionmotion.lattice.isotropic_drag`."""
    return isotropic_drag(rho, vL, vT)


def _grid_values(U):
    U = np.asarray(U, dtype=float)
    if U.ndim != 3:
        raise ValueError(f"U must be a 3D grid (n1, n2, n3) over one periodic cell, got "
                         f"{U.ndim} dimensions (shape {U.shape})")
    if min(U.shape) < 1:
        raise ValueError(f"U grid must be non-empty, got shape {U.shape}")
    if np.isnan(U).any():
        raise ValueError(f"U grid contains {int(np.isnan(U).sum())} NaN value(s)")
    return U


# ---------------------------------------------------------------------------------------------
# grids
# ---------------------------------------------------------------------------------------------

@dataclass
class PotentialGrid:
    """U (meV) sampled on a periodic (n1, n2, n3) grid over one cell.

    Attributes: ``U`` (n1, n2, n3), ``cell`` (3×3, rows = lattice vectors, Å), ``origin``
    (Cartesian position of grid point (0, 0, 0), Å), ``sites`` (fractional coordinates of the
    framework ions, (k, 3), used for distance masks; may be empty).

    The grid must be periodic: point n_i along axis i is point 0 again and must *not* be stored
    (a grid that repeats its first plane as its last raises ValueError, see
    :func:`check_periodic`)."""
    U: np.ndarray
    cell: np.ndarray
    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))
    sites: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    def __post_init__(self):
        self.U = _grid_values(self.U)
        self.cell = as_cell(self.cell)
        self.origin = finite_array("origin", self.origin, shape_tail=(3,)).reshape(3)
        s = np.asarray(self.sites, dtype=float).reshape(-1, 3)
        self.sites = finite_array("sites", s, shape_tail=(3,))

    @property
    def shape(self):
        return self.U.shape

    @property
    def volume(self):
        return float(np.linalg.det(self.cell))

    def fractional(self):
        """Fractional coordinates of every grid point relative to the origin, (n1, n2, n3, 3)."""
        axes = [np.arange(n) / n for n in self.shape]
        return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)

    def points(self):
        """Cartesian coordinates of every grid point (Å), (n1, n2, n3, 3)."""
        return self.origin + self.fractional() @ self.cell

    def spacing(self):
        """Grid spacing |a_i|/n_i along each axis (Å)."""
        return np.linalg.norm(self.cell, axis=1) / np.array(self.shape)


def check_periodic(U, factor=5.0):
    """Raise ValueError if U does not continue smoothly across the cell boundary.

    A grid over one periodic cell has a step from its last plane to its first that is like its
    interior steps; a grid over some other region (or a cell that is not the repeat unit) shows
    a jump there. The test: along each axis, max |U[0] − U[−1]| must not exceed ``factor`` times
    the largest interior step |U[i+1] − U[i]|."""
    U = _grid_values(U)
    for ax in range(3):
        if U.shape[ax] < 3:
            continue
        jump = np.abs(np.take(U, 0, axis=ax) - np.take(U, -1, axis=ax)).max()
        interior = np.abs(np.diff(U, axis=ax)).max()
        if jump > factor * interior + 1e-12 * (np.abs(U).max() + 1e-300):
            raise ValueError(f"U grid is not periodic along axis {ax}: the step across the cell "
                             f"boundary ({jump:.4g}) exceeds {factor:g}× the largest interior step "
                             f"({interior:.4g})")
    return U


def drop_endpoints(U, rtol=1e-8):
    """Remove the duplicated last plane of a grid that stores both ends of the period (raises
    ValueError if the last plane does not repeat the first along some axis)."""
    U = _grid_values(U)
    scale = np.abs(U).max() + 1e-300
    for ax in range(3):
        if np.abs(np.take(U, 0, axis=ax) - np.take(U, -1, axis=ax)).max() > rtol * scale:
            raise ValueError(f"endpoint=True but U's last plane along axis {ax} does not repeat "
                             "its first: the grid is not periodic with duplicated end points")
    return U[:-1, :-1, :-1]


def load_grid(path, cell=None, *, energy_unit="mev", sites=None, check=True, endpoint=False):
    """Read a potential grid from ``.npy`` (needs ``cell``), ``.npz`` or a Gaussian ``.cube``.

    * ``.npz``: arrays ``U`` (n1, n2, n3) and ``cell`` (3×3 or 3 lengths, Å); optional
      ``origin`` (3,) and ``sites`` (k, 3) fractional coordinates of framework ions.
    * ``.cube``: see :func:`read_cube`; the cell is n_i times the voxel vectors and the atoms
      become the framework ``sites``.
    ``energy_unit`` ("mev", "ev", "ry", "hartree") converts the stored values to meV
    (cube files from electronic-structure codes usually hold Hartree or Ry). ``endpoint=True``:
    the file stores both ends of the period; the duplicate planes are dropped (the cell is
    unchanged). ``check``: run :func:`check_periodic`.
    """
    from pathlib import Path
    p = Path(path)
    scale = _ENERGY_UNITS[choice("energy_unit", str(energy_unit).lower(), set(_ENERGY_UNITS))]
    suffix = p.suffix.lower()
    if suffix == ".npy":
        if cell is None:
            raise ValueError("cell is required for a .npy grid (it stores only U)")
        U = np.load(p, allow_pickle=False)
        g = PotentialGrid(U * scale, cell, sites=np.zeros((0, 3)) if sites is None else sites)
    elif suffix == ".npz":
        with np.load(p, allow_pickle=False) as z:
            if "U" not in z.files:
                raise ValueError(f"{p.name} must contain an array 'U'")
            c = z["cell"] if "cell" in z.files else cell
            if c is None:
                raise ValueError(f"{p.name} has no 'cell' array and no cell was given")
            g = PotentialGrid(z["U"] * scale, c,
                              origin=z["origin"] if "origin" in z.files else np.zeros(3),
                              sites=(z["sites"] if "sites" in z.files else
                                     (np.zeros((0, 3)) if sites is None else sites)))
    elif suffix == ".cube":
        g = read_cube(p, energy_unit=energy_unit)
        if sites is not None:
            g.sites = finite_array("sites", np.asarray(sites, float).reshape(-1, 3), (3,))
    else:
        raise ValueError(f"path must end in .npy, .npz or .cube, got {p.name!r}")
    if endpoint:
        g.U = drop_endpoints(g.U)
    if check:
        check_periodic(g.U)
    return g


def read_cube(path, *, energy_unit="hartree"):
    """A small Gaussian cube reader → :class:`PotentialGrid` (lengths in Å, values in meV).

    Format: two comment lines; ``natoms ox oy oz``; three lines ``n_i vx vy vz`` (voxel vectors,
    Bohr when n_i > 0, Å when n_i < 0); ``natoms`` lines ``Z charge x y z``; then the values with
    the third index running fastest. A negative ``natoms`` (orbital cubes) is rejected."""
    from pathlib import Path
    scale = _ENERGY_UNITS[choice("energy_unit", str(energy_unit).lower(), set(_ENERGY_UNITS))]
    lines = Path(path).read_text().splitlines()
    if len(lines) < 6:
        raise ValueError(f"{path}: not a cube file (too short)")
    head = lines[2].split()
    natoms = int(head[0])
    if natoms < 0:
        raise ValueError(f"{path}: cube files with orbital data (negative atom count) are not "
                         "supported")
    origin = np.array([float(x) for x in head[1:4]])
    n = []
    vox = []
    bohr = True
    for i in range(3):
        parts = lines[3 + i].split()
        ni = int(parts[0])
        if ni < 0:
            bohr = False
        n.append(abs(ni))
        vox.append([float(x) for x in parts[1:4]])
    length = BOHR_ANGSTROM if bohr else 1.0
    vox = np.array(vox) * length
    origin = origin * length
    atoms = []
    for i in range(natoms):
        parts = lines[6 + i].split()
        atoms.append([float(x) for x in parts[2:5]])
    atoms = np.array(atoms).reshape(-1, 3) * length
    data = np.array(" ".join(lines[6 + natoms:]).split(), dtype=float)
    if data.size != n[0] * n[1] * n[2]:
        raise ValueError(f"{path}: expected {n[0] * n[1] * n[2]} values, found {data.size}")
    cell = vox * np.array(n)[:, None]
    cell = as_cell(cell)
    frac = (atoms - origin) @ np.linalg.inv(cell) if natoms else np.zeros((0, 3))
    return PotentialGrid(data.reshape(n) * scale, cell, origin=origin, sites=frac % 1.0)


def write_cube(path, grid, *, energy_unit="hartree", comment="ionmotion potential grid"):
    """Write a :class:`PotentialGrid` as a Gaussian cube file (Bohr units; values converted from
    meV to ``energy_unit``). Framework sites are written as atoms with Z = 0."""
    scale = _ENERGY_UNITS[choice("energy_unit", str(energy_unit).lower(), set(_ENERGY_UNITS))]
    n = grid.shape
    vox = grid.cell / np.array(n)[:, None] / BOHR_ANGSTROM
    o = grid.origin / BOHR_ANGSTROM
    atoms = (grid.origin + grid.sites @ grid.cell) / BOHR_ANGSTROM
    out = [comment, "values in " + energy_unit,
           f"{len(atoms):5d} {o[0]:14.8f} {o[1]:14.8f} {o[2]:14.8f}"]
    for i in range(3):
        out.append(f"{n[i]:5d} {vox[i, 0]:14.8f} {vox[i, 1]:14.8f} {vox[i, 2]:14.8f}")
    for a in atoms:
        out.append(f"{0:5d} {0.0:14.8f} {a[0]:14.8f} {a[1]:14.8f} {a[2]:14.8f}")
    vals = (grid.U / scale).ravel()
    for i in range(0, vals.size, 6):
        out.append(" ".join(f"{v: .10e}" for v in vals[i:i + 6]))
    from pathlib import Path
    Path(path).write_text("\n".join(out) + "\n")


# ---------------------------------------------------------------------------------------------
# model crystal: simple cubic framework, screened-Coulomb (Yukawa) pair interaction
# ---------------------------------------------------------------------------------------------

def _yukawa_sum(points, cell, sites, U0, lam, rcut):
    """U, ∇U, H of Σ_sites,images U0 e^{-d/λ}/d at Cartesian `points` (P, 3); analytic."""
    inv = np.linalg.inv(cell)
    lengths = np.linalg.norm(cell, axis=1)
    nimg = np.ceil(rcut / lengths).astype(int) + 1
    shifts = np.stack(np.meshgrid(*[np.arange(-m, m + 1) for m in nimg], indexing="ij"),
                      axis=-1).reshape(-1, 3)
    U = np.zeros(len(points))
    G = np.zeros((len(points), 3))
    H = np.zeros((len(points), 3, 3))
    site_cart = np.asarray(sites) @ cell
    # keep only the image shells that can come within rcut of a point in the reference cell
    half_diag = 0.5 * np.linalg.norm(cell.sum(axis=0))
    shifts = shifts[np.linalg.norm(shifts @ cell, axis=1) < rcut + half_diag]
    for s in site_cart:
        # nearest image of the site to each point in fractional terms, then shells around it
        d0 = points - s
        f = d0 @ inv
        d0 = (f - np.round(f)) @ cell
        for sh in shifts @ cell:
            d = d0 + sh
            r = np.linalg.norm(d, axis=1)
            use = r < rcut
            if not use.any():
                continue
            r_ = r[use]
            e = d[use] / r_[:, None]
            f0 = U0 * np.exp(-r_ / lam) / r_
            f1 = -f0 * (1 / lam + 1 / r_)                       # dU/dr
            f2 = f0 * (1 / lam**2 + 2 / (lam * r_) + 2 / r_**2)  # d²U/dr²
            U[use] += f0
            G[use] += f1[:, None] * e
            ee = e[:, :, None] * e[:, None, :]
            H[use] += f2[:, None, None] * ee + (f1 / r_)[:, None, None] * (np.eye(3) - ee)
    return U, G, H


def yukawa_cubic_grid(n, a=_R25.a, U0=_ION.U0_crystal, lam=_ION.lam, *, rcut=None, offset=0.5,
                      derivatives=False):
    """The rodin2025 model crystal's potential for one mobile ion: a simple cubic framework
    (one ion per cell, at the cell corner) and the pair interaction U0 e^{-d/λ}/d summed over all
    framework ions within ``rcut`` (default 14λ: a neglected ion contributes < U0·e^{−14}/(14λ),
    5e-4 meV for the rodin2025 values).

    The grid is offset by ``offset`` voxels along every axis (default ½) so that no grid point
    sits on a framework ion. Returns a :class:`PotentialGrid`; with ``derivatives=True`` also the
    analytic gradient (n, n, n, 3) and Hessian (n, n, n, 3, 3) for checking grid derivatives."""
    n = integer_in("n", n, 4)
    a = positive("a", a)
    U0 = positive("U0", U0)
    lam = positive("lam", lam)
    rcut = 14 * lam if rcut is None else positive("rcut", rcut)
    offset = nonnegative("offset", offset)
    cell = np.eye(3) * a
    origin = np.full(3, offset * a / n)
    g = PotentialGrid(np.zeros((n, n, n)), cell, origin=origin, sites=np.zeros((1, 3)))
    pts = g.points().reshape(-1, 3)
    U, G, H = _yukawa_sum(pts, cell, g.sites, U0, lam, rcut)
    g.U = U.reshape(n, n, n)
    if derivatives:
        return g, G.reshape(n, n, n, 3), H.reshape(n, n, n, 3, 3)
    return g


def yukawa_cubic_at(points, a=_R25.a, U0=_ION.U0_crystal, lam=_ION.lam, rcut=None):
    """U, ∇U, H of the model crystal at arbitrary Cartesian points (P, 3) (analytic)."""
    a = positive("a", a)
    lam = positive("lam", lam)
    rcut = 14 * lam if rcut is None else positive("rcut", rcut)
    pts = finite_array("points", points, shape_tail=(3,)).reshape(-1, 3)
    return _yukawa_sum(pts, np.eye(3) * a, np.zeros((1, 3)), positive("U0", U0), lam, rcut)


# ---------------------------------------------------------------------------------------------
# derivatives on a periodic grid
# ---------------------------------------------------------------------------------------------

def _d1(U, ax, order):
    """∂U/∂s along grid axis `ax` in units of one grid step (central, order 2 or 4)."""
    if order == 2:
        return 0.5 * (np.roll(U, -1, ax) - np.roll(U, 1, ax))
    return (8 * (np.roll(U, -1, ax) - np.roll(U, 1, ax))
            - (np.roll(U, -2, ax) - np.roll(U, 2, ax))) / 12.0


def _d2(U, ax, order):
    if order == 2:
        return np.roll(U, -1, ax) - 2 * U + np.roll(U, 1, ax)
    return (-(np.roll(U, -2, ax) + np.roll(U, 2, ax)) + 16 * (np.roll(U, -1, ax) + np.roll(U, 1, ax))
            - 30 * U) / 12.0


def _wavevectors(shape, cell):
    """Cartesian wave vectors k (n1, n2, n3, 3) of the FFT modes (Nyquist modes set to 0)."""
    ms = []
    for n in shape:
        m = np.fft.fftfreq(n, 1.0 / n)
        if n % 2 == 0:
            m[n // 2] = 0.0
        ms.append(m)
    M = np.stack(np.meshgrid(*ms, indexing="ij"), axis=-1)
    B = 2 * np.pi * np.linalg.inv(cell).T  # rows: reciprocal vectors b_j, a_i·b_j = 2π δ_ij
    return M @ B


def gradient(grid, method="fd4"):
    """∇U (meV/Å) on the grid, (n1, n2, n3, 3). method: "spectral", "fd2" or "fd4"."""
    method = choice("method", method, {"spectral", "fd2", "fd4"})
    return _grid_gradient(grid.U, grid.cell, method)


def _grid_gradient(U, cell, method):
    """∇ of a periodic scalar field U (n1, n2, n3) in a cell; no validation."""
    if method == "spectral":
        k = _wavevectors(U.shape, cell)
        Uk = np.fft.fftn(U)
        return np.stack([np.fft.ifftn(1j * k[..., i] * Uk).real for i in range(3)], axis=-1)
    order = int(method[2])
    n = np.array(U.shape)
    gs = np.stack([_d1(U, ax, order) * n[ax] for ax in range(3)], axis=-1)  # ∂U/∂s
    inv = np.linalg.inv(cell)  # ∂s_i/∂r_a = inv[a, i]
    return gs @ inv.T


def hessian(grid, method="fd4"):
    """H = ∇∇ᵀU (meV/Å²) on the grid, (n1, n2, n3, 3, 3).

    method "spectral": multiply the FFT by −k_a k_b (exact for band-limited U; Nyquist modes
    dropped); "fd2"/"fd4": central differences of order 2/4 along the grid axes (fractional
    coordinates), mixed derivatives as nested first differences, then H_r = C⁻¹ H_s C⁻ᵀ with
    C⁻¹ = inv(cell)."""
    method = choice("method", method, {"spectral", "fd2", "fd4"})
    U, cell = grid.U, grid.cell
    if method == "spectral":
        k = _wavevectors(U.shape, cell)
        Uk = np.fft.fftn(U)
        H = np.empty(U.shape + (3, 3))
        for a in range(3):
            for b in range(a, 3):
                H[..., a, b] = np.fft.ifftn(-k[..., a] * k[..., b] * Uk).real
                H[..., b, a] = H[..., a, b]
        return H
    order = int(method[2])
    n = np.array(U.shape, dtype=float)
    Hs = np.empty(U.shape + (3, 3))
    for i in range(3):
        Hs[..., i, i] = _d2(U, i, order) * n[i] ** 2
        di = _d1(U, i, order) * n[i]
        for j in range(i + 1, 3):
            Hs[..., i, j] = _d1(di, j, order) * n[j]
            Hs[..., j, i] = Hs[..., i, j]
    inv = np.linalg.inv(cell)
    return np.einsum("ai,...ij,bj->...ab", inv, Hs, inv)


# ---------------------------------------------------------------------------------------------
# drag and mobility
# ---------------------------------------------------------------------------------------------

def drag_field(H, L):
    """γ(r) = H 𝓛 H (meV·ps/Å²) from a Hessian field (…, 3, 3) and 𝓛 (rodin2022 Eq. (44) with the
    general 𝓛 of rodin2025 Eq. (15))."""
    H = finite_array("H", H, shape_tail=(3, 3))
    L = as_drag_matrix(L)
    g = H @ L @ H
    return 0.5 * (g + np.swapaxes(g, -1, -2))


def distance_mask(grid, rmin):
    """Grid points whose distance to every framework ion (all periodic images) exceeds rmin (Å):
    the accessible region of rodin2022 Methods (rmin = a/3 for rock salts, 5a/12 for α-AgI)."""
    rmin = nonnegative("rmin", rmin)
    if len(grid.sites) == 0:
        raise ValueError("grid has no framework sites; a distance mask needs grid.sites")
    frac = grid.points() @ np.linalg.inv(grid.cell)
    dmin = np.full(grid.shape, np.inf)
    shifts = np.stack(np.meshgrid(*[np.arange(-1, 2)] * 3, indexing="ij"), -1).reshape(-1, 3)
    for s in grid.sites:
        d = frac - s
        d = d - np.round(d)
        for sh in shifts:
            dist = np.linalg.norm((d + sh) @ grid.cell, axis=-1)
            dmin = np.minimum(dmin, dist)
    return dmin > rmin


def energy_mask(grid, cutoff):
    """Grid points with U − min U ≤ cutoff (meV)."""
    cutoff = nonnegative("cutoff", cutoff)
    return grid.U - grid.U.min() <= cutoff


def _check_mask(mask, shape):
    if mask is None:
        return np.ones(shape, dtype=bool)
    m = np.asarray(mask)
    if m.shape != tuple(shape):
        raise ValueError(f"mask must have the grid's shape {tuple(shape)}, got {m.shape}")
    m = m.astype(bool)
    if not m.any():
        raise ValueError("mask selects no grid point (the accessible region is empty)")
    return m


def _regularised_inverse(gamma, floor):
    """γ⁻¹ with γ's eigenvalues clamped from below at `floor` (0: plain inverse, ∞ where
    singular)."""
    w, V = np.linalg.eigh(gamma)
    if floor > 0:
        w = np.maximum(w, floor)
    with np.errstate(divide="ignore"):
        inv_w = np.where(w > 0, 1.0 / np.where(w > 0, w, 1.0), np.inf)
    return np.einsum("...ik,...k,...jk->...ij", V, inv_w, V)


@dataclass
class MobilityResult:
    """μ = q⟨γ⁻¹⟩ (rodin2022 Eq. (47)) and its diagnostics.

    tensor: 3×3 μ in Å²/(V·ps) (× 1e-4 for cm²/(V·s)); average: Tr μ / 3 (the directional average);
    inv_gamma: ⟨γ⁻¹⟩ in Å²/(meV·ps); n_points: grid points averaged; near_singular: fraction of
    those points whose smallest γ eigenvalue is below ``singular_rtol`` × the median of
    Tr γ/3; min_eig_ratio: smallest such ratio on the grid; floor: regularisation used."""
    tensor: np.ndarray
    average: float
    inv_gamma: np.ndarray
    n_points: int
    near_singular: float
    min_eig_ratio: float
    floor: float

    @property
    def average_cm2_per_Vs(self):
        """The directional average in cm²/(V·s), the unit of rodin2022 Table I."""
        return self.average * units.MOBILITY_CM2_PER_VS


def mobility_from_gamma(gamma, mask=None, q=1.0, *, floor=0.0, singular_rtol=1e-3):
    """μ = q⟨γ⁻¹⟩ over the masked points of a drag field γ (…grid…, 3, 3) in meV·ps/Å².

    ``floor`` (meV·ps/Å², ≥ 0) clamps γ's eigenvalues from below before inversion (0 = none:
    a singular point makes μ infinite, which is reported, not hidden)."""
    gamma = finite_array("gamma", gamma, shape_tail=(3, 3))
    q = float(q)
    if not np.isfinite(q) or q == 0:
        raise ValueError(f"q must be a finite non-zero charge (units of e), got {q!r}")
    floor = nonnegative("floor", floor)
    singular_rtol = nonnegative("singular_rtol", singular_rtol)
    m = _check_mask(mask, gamma.shape[:-2])
    g = gamma[m]
    w = np.linalg.eigvalsh(g)
    scale = np.median(np.trace(g, axis1=-2, axis2=-1)) / 3
    ratio = w[:, 0] / scale if scale > 0 else np.full(len(g), np.nan)
    inv = _regularised_inverse(g, floor).mean(axis=0)
    mu = q * MEV_PER_V_ANGSTROM * inv
    return MobilityResult(tensor=mu, average=float(np.trace(mu) / 3), inv_gamma=inv,
                          n_points=int(m.sum()),
                          near_singular=float(np.mean(ratio < singular_rtol)),
                          min_eig_ratio=float(np.min(ratio)), floor=floor)


def mobility(grid, L, mask=None, q=1.0, *, method="fd4", floor=0.0, singular_rtol=1e-3):
    """rodin2022 Eq. (47) from a potential grid: γ = H𝓛H (Eq. (44)), μ = q⟨γ⁻¹⟩ over `mask`.

    grid: :class:`PotentialGrid`; L: 3×3 𝓛 (Å²·ps/meV), e.g. ``CubicLattice.drag_matrix()`` or
    :func:`drag_matrix_from_sound`; mask: boolean grid (see :func:`distance_mask`,
    :func:`energy_mask`), None = whole cell; method: Hessian method (see :func:`hessian`)."""
    if not isinstance(grid, PotentialGrid):
        raise ValueError("grid must be a PotentialGrid (see load_grid / yukawa_cubic_grid)")
    L = as_drag_matrix(L)
    m = _check_mask(mask, grid.shape)
    H = hessian(grid, method)
    gamma = drag_field(H[m], L)
    return mobility_from_gamma(gamma, None, q, floor=floor, singular_rtol=singular_rtol)


def boltzmann_inverse_drag(gamma, U, kT, mask=None):
    """⟨γ⁻¹⟩ weighted by e^{−U/kT} over the mask (Å²/(meV·ps)): the Wiener upper bound on the
    overdamped linear-response mobility tensor (divided by q·1000) — attained only when γ⁻¹
    and U vary solely across the force direction."""
    kT = positive("kT", kT)
    gamma = finite_array("gamma", gamma, shape_tail=(3, 3))
    U = finite_array("U", U)
    m = _check_mask(mask, gamma.shape[:-2])
    w = np.exp(-(U[m] - U[m].min()) / kT)
    w /= w.sum()
    return np.einsum("p,pij->ij", w, _regularised_inverse(gamma[m], 0.0))


# ---------------------------------------------------------------------------------------------
# exact one-dimensional results (tests of Eqs. (45)–(47) against dynamics)
# ---------------------------------------------------------------------------------------------

def _periodic_profile(U, gamma):
    """U (meV) and γ (meV·ps/Å²) sampled on one uniform period: finite, same length, γ > 0."""
    U = finite_array("U", U).ravel()
    g = finite_array("gamma", gamma).ravel()
    if U.shape != g.shape:
        raise ValueError("U and gamma must have the same number of points")
    if np.any(g <= 0):
        raise ValueError("gamma must be > 0 everywhere")
    return U, g


def lifson_jackson_mobility_1d(U, gamma, kT):
    """Linear-response mobility (per unit force, Å²/(meV·ps)... i.e. v/F) of overdamped motion in
    a periodic 1D potential U(x) (meV, uniform grid over one period) with friction γ(x)
    (meV·ps/Å²) and thermal noise 2kTγ(x):  μ_F = 1 / (⟨γ e^{U/kT}⟩ ⟨e^{−U/kT}⟩)
    (Lifson & Jackson with position-dependent friction); D = kT μ_F (Einstein)."""
    kT = positive("kT", kT)
    U, g = _periodic_profile(U, gamma)
    u = (U - U.min()) / kT
    return 1.0 / (np.mean(g * np.exp(u)) * np.mean(np.exp(-u)))


def deterministic_drift_1d(dU, gamma, F):
    """Noise-free overdamped drift velocity (Å/ps) in 1D: ẋ = (F − U'(x))/γ(x) crosses a period
    in time ∫ γ/(F − U') dx, so v = L / ∫ γ/(F − U') dx if F > max U' (else the ion is pinned,
    v = 0). dU: U' (meV/Å) and gamma on a uniform grid over one period; returns v/L·L via means:
    v = 1/⟨γ/(F − U')⟩."""
    dU = finite_array("dU", dU).ravel()
    g = finite_array("gamma", gamma).ravel()
    F = float(F)
    if F > 0:
        if F <= dU.max():
            return 0.0
        return 1.0 / np.mean(g / (F - dU))
    if F < 0:
        return -deterministic_drift_1d(-dU, g, -F)
    return 0.0


def stationary_drift_1d(U, gamma, F, kT, length):
    """Exact stationary drift velocity (Å/ps) of overdamped motion with thermal noise in a tilted
    periodic 1D landscape U(x) − Fx with friction γ(x) and noise 2kTγ(x) (Itô with the
    noise-induced drift, so F = 0 is Boltzmann). For any F (not only linear response):

        v = L (1 − e^{−βFL}) / ( β ∫₀ᴸdx ∫₀ᴸdz γ(x+z) e^{β[U(x+z) − U(x)]} e^{−βFz} )

    (Stratonovich's formula, generalised to γ(x); derived from the constant stationary current
    of the Smoluchowski equation, written so that no exponentials cancel). U, gamma: values on a
    uniform grid of one period (meV, meV·ps/Å²; the double sum costs n² operations; its error is
    first order in β·max|U′|·L/n); F in meV/Å;
    kT in meV; length = period L (Å). F → 0 gives the Lifson–Jackson mobility, U = 0 gives
    F/⟨γ⟩ for every F and T, kT → 0 the noise-free drift."""
    kT = positive("kT", kT)
    length = positive("length", length)
    U, g = _periodic_profile(U, gamma)
    F = float(F)
    if not np.isfinite(F):
        raise ValueError(f"F must be finite, got {F!r}")
    if F == 0.0:
        return 0.0
    if F < 0:
        return -stationary_drift_1d(U[::-1], g[::-1], -F, kT, length)
    n = len(U)
    dx = length / n
    b = 1.0 / kT
    z = np.arange(n) * dx
    idx = (np.arange(n)[:, None] + np.arange(n)[None, :]) % n   # x + z
    # γ e^{β ΔU} is taken piecewise constant on [z_j, z_j + dx) and e^{−βFz} integrated exactly
    # over each piece (so U = 0 is exact for any grid, and large βF·dx does not bias the sum)
    expo = b * (U[idx] - U[:, None]) - b * F * z[None, :]
    m = expo.max()
    w = -np.expm1(-b * F * dx) / (b * F)
    S = np.sum(g[idx] * np.exp(expo - m)) * dx * w
    # v = L(1 − e^{−βFL}) / (β S e^{m})
    return length * (-np.expm1(-b * F * length)) * np.exp(-m) / (b * S)


# Compatibility shim: the rodin2025 model-crystal study moved to ionmotion.papers.rodin2025
# (a thin lazy re-export, see ionmotion._compat).
__getattr__, __dir__ = moved(__name__, {"model_crystal_study": "ionmotion.papers.rodin2025"})
