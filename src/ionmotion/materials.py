"""Real rock-salt materials for rodin2022 Sec. V: the mobile-ion geometry and its cubic symmetry.

rodin2022's Methods move one cation of a conventional rock-salt cell (4 cations + 4 anions) on a
grid of spacing a/N while the other seven ions stay at their ideal sites, and keep only positions
farther than r_min = a/3 from every fixed ion. With the moved cation's own site at the origin, the
fixed framework is invariant under the 48 operations of O_h about the origin (signed permutations
of the fractional coordinates, modulo the cell). U(r) therefore needs to be computed only on one
representative of each O_h orbit of grid points (the irreducible wedge) and is copied to the rest;
forces turn with the operation.

This module holds the geometry only (no DFT code): the structures, the orbits of a grid, the
expansion of wedge values to the full grid, and the "support" points a force-difference Hessian
needs. The DFT driver is :mod:`ionmotion.dft`; the analysis of the landscape is
:mod:`ionmotion.landscape`.
"""
from dataclasses import dataclass
from itertools import permutations, product

import numpy as np

from . import units
from ._validate import integer_in, positive

# Fractional positions in the conventional cell: cations on fcc sites, anions shifted by a/2 x̂.
CATION_SITES = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
ANION_SITES = np.array([[.5, 0, 0], [0, .5, 0], [0, 0, .5], [.5, .5, .5]])


@dataclass(frozen=True)
class RockSalt:
    """A rock-salt compound: name, cation and anion symbols, their masses (Da) and a lattice
    constant a (Å, the conventional cube's edge)."""
    name: str
    cation: str
    anion: str
    m_cation: float
    m_anion: float
    a: float

    def __post_init__(self):
        positive("a", self.a)
        positive("m_cation", self.m_cation)
        positive("m_anion", self.m_anion)

    def with_a(self, a):
        """The same compound at another lattice constant (Å)."""
        return RockSalt(self.name, self.cation, self.anion, self.m_cation, self.m_anion, a)

    @property
    def cell(self):
        """3×3 cell, rows = lattice vectors (Å)."""
        return np.eye(3) * self.a

    @property
    def density(self):
        """Mass density ρ in the book's units meV·ps²/Å⁵ (four formula units per cube)."""
        return units.mass_from_dalton(4 * (self.m_cation + self.m_anion)) / self.a ** 3

    def fixed_sites(self):
        """Fractional positions (7, 3) and symbols of the fixed ions (cation 0 is the mobile one)."""
        frac = np.vstack([CATION_SITES[1:], ANION_SITES])
        return frac, [self.cation] * 3 + [self.anion] * 4


# Masses (Da, IUPAC standard atomic weights) and experimental room-temperature lattice constants
# (Å) used as starting points; the DFT step replaces a by its PBE value.
MATERIALS = {
    "AgCl": RockSalt("AgCl", "Ag", "Cl", 107.8682, 35.453, 5.55),
    "LiCl": RockSalt("LiCl", "Li", "Cl", 6.94, 35.453, 5.13),
    "LiI": RockSalt("LiI", "Li", "I", 6.94, 126.90447, 6.00),
}


def material(name):
    """The :class:`RockSalt` called `name` (one of :data:`MATERIALS`)."""
    if name not in MATERIALS:
        raise ValueError(f"material must be one of {sorted(MATERIALS)}, got {name!r}")
    return MATERIALS[name]


def oh_operations():
    """The 48 operations of O_h as 3×3 signed permutation matrices (integer), identity first."""
    ops = []
    for perm in permutations(range(3)):
        for signs in product((1, -1), repeat=3):
            m = np.zeros((3, 3), dtype=int)
            m[np.arange(3), perm] = signs
            ops.append(m)
    ops.sort(key=lambda m: (not np.array_equal(m, np.eye(3, dtype=int)),))
    return np.array(ops)


def min_distance(frac, sites, a):
    """Smallest minimum-image distance (Å) from fractional points (…, 3) to fractional sites."""
    frac = np.asarray(frac, dtype=float)
    d = frac[..., None, :] - np.asarray(sites, dtype=float)
    d -= np.round(d)
    return np.sqrt((d ** 2).sum(-1)).min(-1) * a


def grid_indices(n):
    """All integer grid points (n³, 3) of an n×n×n grid, C order."""
    n = integer_in("n", n, 2, 4096)
    return np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)


def orbit_representatives(n):
    """For every point of the n³ grid, the flat index of its O_h orbit representative (the
    smallest flat index in the orbit), and the operation index g with p = op_g · rep (mod n).

    Returns (rep, op) arrays of length n³."""
    pts = grid_indices(n)
    ops = oh_operations()
    flat = lambda p: (p[..., 0] * n + p[..., 1]) * n + p[..., 2]
    images = np.einsum("gij,pj->gp i".replace(" ", ""), ops, pts) % n     # (48, n³, 3)
    fl = flat(images)                                                   # (48, n³)
    rep = fl.min(axis=0)
    # op with op·rep = p: images of rep under g; find g such that flat(op_g rep) = p
    rep_pts = pts[rep]
    img_rep = np.einsum("gij,pj->gpi", ops, rep_pts) % n
    hit = flat(img_rep) == np.arange(n ** 3)[None, :]
    op = hit.argmax(axis=0)
    return rep, op


def accessible(compound, n, rmin_frac=1 / 3):
    """Boolean (n, n, n) mask of grid points farther than rmin_frac·a from every fixed ion."""
    frac = grid_indices(n) / n
    sites, _ = compound.fixed_sites()
    return (min_distance(frac, sites, compound.a) > rmin_frac * compound.a + 1e-9).reshape((n,) * 3)


def support(mask):
    """The accessible points plus their six axis neighbours (periodic): the points whose forces a
    central-difference Hessian on `mask` needs."""
    s = mask.copy()
    for ax in range(3):
        for sh in (1, -1):
            s |= np.roll(mask, sh, axis=ax)
    return s


def wedge(mask):
    """Sorted flat indices of the orbit representatives of the points in `mask` (n, n, n),
    which must be a union of O_h orbits (ValueError otherwise)."""
    n = mask.shape[0]
    rep, _ = orbit_representatives(n)
    m = mask.ravel()
    reps = np.unique(rep[m])
    if not np.array_equal(np.isin(rep, reps), m):
        raise ValueError("mask is not invariant under O_h about the origin")
    return reps


def expand_tensor(n, reps, tensors):
    """Full-grid rank-2 tensors (n, n, n, 3, 3) from tensors on orbit representatives
    (T(g·r) = g T(r) gᵀ, e.g. a Hessian); NaN off the computed orbits."""
    rep, op = orbit_representatives(n)
    lookup = np.full(n ** 3, -1)
    lookup[np.asarray(reps)] = np.arange(len(reps))
    j = lookup[rep]
    have = j >= 0
    T = np.full((n ** 3, 3, 3), np.nan)
    g = oh_operations()[op[have]]
    T[have] = np.einsum("pia,pab,pjb->pij", g, np.asarray(tensors, dtype=float)[j[have]], g)
    return T.reshape((n,) * 3 + (3, 3))


def expand(n, reps, energy, forces=None):
    """Full-grid energy (n, n, n) (NaN off the computed orbits) and forces (n, n, n, 3) from
    values on orbit representatives `reps` (flat indices): U(g·r) = U(r), F(g·r) = g F(r)."""
    rep, op = orbit_representatives(n)
    lookup = np.full(n ** 3, -1)
    lookup[np.asarray(reps)] = np.arange(len(reps))
    j = lookup[rep]
    have = j >= 0
    U = np.full(n ** 3, np.nan)
    U[have] = np.asarray(energy, dtype=float)[j[have]]
    if forces is None:
        return U.reshape((n,) * 3)
    F = np.full((n ** 3, 3), np.nan)
    ops = oh_operations()
    F[have] = np.einsum("pij,pj->pi", ops[op[have]], np.asarray(forces, dtype=float)[j[have]])
    return U.reshape((n,) * 3), F.reshape((n,) * 3 + (3,))
