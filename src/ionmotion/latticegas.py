"""Lattice gas of mobile ions on the two-site chain and the honeycomb lattice (hu2026 Secs. III-IV, App. A).

Units: the chapter "Beyond mean field" works in hu2026's units: energies in eV, temperatures in K,
lengths in the cell length a (a = 1) and times in the attempt period τ (τ = 1).

Model
-----
Sites carry occupations n_i ∈ {0, 1} (site exclusion: hu2026's K_∞ → ∞). Nearest-neighbour sites
(always on opposite sublattices a/b: both lattices are bipartite) repel with energy V::

    E({n}) = V Σ_<ij> n_i n_j  -  Z ℰ Σ_i x_i n_i                                   (energy function)

A hop of an ion from site p to an empty neighbour q has the rate::

    Γ(p→q) = (1/(z τ)) exp(-[Λ0 + V m_q] / k_B T) exp(+Z ℰ (x_q - x_p) / (2 k_B T)),

where m_q is the number of occupied neighbours of the destination q other than p. This is hu2026's
barrier-shift rule Eq. (43) made literal (the hopping ion is repelled by the ions next to where it
lands), with the degeneracy 1/z of hu2026 Eq. (24)/(56). It obeys detailed balance with respect to
E: the reverse hop has barrier Λ0 + V m_p, and V (m_q - m_p) is exactly the change of E.

Mapping (n0, K0) → V: at half filling (n0 = 1) the Bragg-Williams mean field of this lattice gas is
γ = tanh(z V γ / (4 k_B T)), which is hu2026 Eq. (50) if z V / 4 = n0 K0 / 2, i.e. V = 2 K0 / z
(V = K0 on the chain, V = 2 K0 / 3 on the honeycomb). See :func:`coupling_from_paper`.
"""
import math

import numpy as np

from . import _validate as v
from .units import KB_EV

SQRT3 = math.sqrt(3.0)

BYTES_PER_SITE = 400
"""Rough memory per site of a lattice and a kinetic Monte Carlo state on it (neighbour table,
positions, occupations, and the per-class member lists of :mod:`ionmotion.kmc`: 64 classes ×
4 bytes on the honeycomb)."""

ISING_HONEYCOMB_KTC_OVER_J = 2.0 / math.log(2.0 + SQRT3)
"""Exact critical temperature of the Ising model on the honeycomb lattice, k_B T_c / J
(Houtappel 1950): 2 / ln(2 + √3) ≈ 1.5187 for H = -J Σ s_i s_j."""


class Lattice:
    """A periodic bipartite lattice: neighbour table, bond vectors, sublattice of every site.

    Attributes: ``name``, ``z`` (coordination), ``n_sites``, ``nbr`` (n_sites, z) int32 neighbour
    indices, ``sub`` (n_sites,) int8 sublattice (0 = a, 1 = b), ``vecs`` (2, z, 2) bond vectors from
    a site of sublattice s to its k-th neighbour (units of a), ``pos`` (n_sites, 2) positions, ``dim``.
    """

    def __init__(self, name, nbr, sub, vecs, pos, dim, shape):
        self.name, self.nbr, self.sub, self.vecs, self.pos = name, nbr, sub, vecs, pos
        self.dim, self.shape = dim, shape
        self.n_sites, self.z = nbr.shape

    def __repr__(self):
        return f"Lattice({self.name}, shape={self.shape}, n_sites={self.n_sites})"


def chain(n_cells):
    """Two-site chain of hu2026 Sec. III: n_cells cells of length a = 1, sites a (even) and b (odd)
    a/2 apart, periodic. Site s sits at x = s/2; neighbour k = 0 is to the right, k = 1 to the left.

    Parameters
    ----------
    n_cells : int
        Number of two-site cells.

    Returns
    -------
    Lattice
        Sites, positions, neighbour table.
    """
    n_cells = v.integer_in("n_cells", n_cells, 2)
    ns = 2 * n_cells
    s = np.arange(ns)
    nbr = np.stack([(s + 1) % ns, (s - 1) % ns], axis=1).astype(np.int32)
    sub = (s % 2).astype(np.int8)
    vecs = np.zeros((2, 2, 2))
    vecs[:, 0, 0], vecs[:, 1, 0] = 0.5, -0.5
    pos = np.stack([s * 0.5, np.zeros(ns)], axis=1)
    return Lattice("chain", nbr, sub, vecs, pos, 1, (n_cells,))


def honeycomb(n):
    """Honeycomb lattice of hu2026 App. A on an n × n periodic rhombus (2 n² sites).

    Bond vectors from an a site are hu2026's a_1 = (1/2, 1/(2√3)), a_2 = (-1/2, 1/(2√3)),
    a_3 = (0, -1/√3) (units of a); a b site has the opposite vectors. Cell (i, j) has its a site at
    i A1 + j A2 with A1 = a_1 - a_3, A2 = a_2 - a_3, and its b site at a + a_1.

    Parameters
    ----------
    n : int
        Cells per side of the rhombus.

    Returns
    -------
    Lattice
        Sites, positions, neighbour table.
    """
    n = v.integer_in("n", n, 2)
    a1 = np.array([0.5, 0.5 / SQRT3])
    a2 = np.array([-0.5, 0.5 / SQRT3])
    a3 = np.array([0.0, -1.0 / SQRT3])
    A1, A2 = a1 - a3, a2 - a3
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    i, j = i.ravel(), j.ravel()

    def a_site(ii, jj):
        return 2 * ((ii % n) * n + (jj % n))

    def b_site(ii, jj):
        return a_site(ii, jj) + 1

    ns = 2 * n * n
    nbr = np.empty((ns, 3), dtype=np.int32)
    # a site at r: neighbours r + a_1 = b(i, j), r + a_2 = b(i-1, j+1), r + a_3 = b(i-1, j)
    nbr[a_site(i, j), 0] = b_site(i, j)
    nbr[a_site(i, j), 1] = b_site(i - 1, j + 1)
    nbr[a_site(i, j), 2] = b_site(i - 1, j)
    # b site: the same bonds reversed (neighbour k along -a_k)
    nbr[b_site(i, j), 0] = a_site(i, j)
    nbr[b_site(i - 1, j + 1), 1] = a_site(i, j)
    nbr[b_site(i - 1, j), 2] = a_site(i, j)
    sub = (np.arange(ns) % 2).astype(np.int8)
    vecs = np.stack([np.stack([a1, a2, a3]), -np.stack([a1, a2, a3])])
    pos = np.empty((ns, 2))
    pos[a_site(i, j)] = np.outer(i, A1) + np.outer(j, A2)
    pos[b_site(i, j)] = pos[a_site(i, j)] + a1
    return Lattice("honeycomb", nbr, sub, vecs, pos, 2, (n, n))


def make_lattice(kind, size):
    """``chain(size)`` or ``honeycomb(size)`` by name; checks the memory first.

    Parameters
    ----------
    kind : {"chain", "honeycomb"}
        The lattice.
    size : int
        Cells (chain) or n of the n × n honeycomb.

    Returns
    -------
    Lattice
    """
    v.choice("kind", kind, {"chain", "honeycomb"})
    size = v.integer_in("size", size, 2)
    n_sites = 2 * size if kind == "chain" else 2 * size * size
    v.memory("size", size, BYTES_PER_SITE * n_sites)
    return chain(size) if kind == "chain" else honeycomb(size)


# --- the energy function and the mapping to hu2026 ---------------------------------------------

def coupling_from_paper(K0, n0=1.0, z=2):
    """Nearest-neighbour repulsion V (eV) whose lattice-gas mean field is hu2026 Eq. (50).

    The Bragg-Williams mean field of the lattice gas at filling n0 per two-site cell has the
    critical temperature k_B T_BW = z V n0 (1 - n0/2) / 2; at half filling (n0 = 1) its order
    parameter obeys γ = tanh(z V γ / 4 k_B T), which is Eq. (50) with T_p of Eq. (51) when
    V = 2 K0 / z. Only n0 = 1 maps exactly (Eq. (50) has no blocking factor 1 - n0/2), so other
    fillings raise ValueError.

    Parameters
    ----------
    K0 : float
        hu2026's Coulomb coupling (eV).
    n0 : float, optional
        Ions per two-site cell, 0 < n0 ≤ 2.
    z : int, optional
        Coordination number (2 chain, 3 honeycomb).

    Returns
    -------
    float
        V (eV).
    """
    K0 = v.positive("K0", K0)
    if float(n0) != 1.0:
        raise ValueError(f"n0 must be 1 (half filling) for the exact mapping to Eq. (50), got {n0!r}")
    z = v.integer_in("z", z, 2)
    return 2.0 * K0 / z


def energy(occ, lattice, V, field=0.0):
    """E({n}) = V Σ_<ij> n_i n_j - field Σ_i x_i n_i (eV; field = Zℰ in eV per a, along x).

    Parameters
    ----------
    occ : array_like of int
        Occupation n_i ∈ {0, 1} of every site.
    lattice : Lattice
        As returned by :func:`chain` or :func:`honeycomb`.
    V : float
        Nearest-neighbour repulsion (eV, > 0).
    field : float, optional
        Zℰ (eV per a) along x.

    Returns
    -------
    float
        E (eV).
    """
    occ = np.asarray(occ, dtype=float)  # (..., n_sites)
    pairs = occ[..., :, None] * occ[..., lattice.nbr]
    return 0.5 * V * pairs.sum(axis=(-1, -2)) - field * (occ * lattice.pos[:, 0]).sum(axis=-1)


def bw_critical_temperature(V, z, n0=1.0):
    """Bragg-Williams critical temperature (K) of the lattice gas: z V n0 (1 - n0/2) / (2 k_B).

    Parameters
    ----------
    V : float
        Nearest-neighbour repulsion (eV, > 0).
    z : int
        Coordination number (2 chain, 3 honeycomb).
    n0 : float, optional
        Ions per two-site cell, 0 < n0 ≤ 2.

    Returns
    -------
    float
        T_BW (K).
    """
    V = v.positive("V", V)
    n0 = float(n0)
    if not 0 < n0 < 2:
        raise ValueError(f"n0 must be in (0, 2), got {n0!r}")
    return z * V * n0 * (1 - n0 / 2) / (2 * KB_EV)


def ising_exact_tc(V, lattice="honeycomb"):
    """Exact critical temperature (K) of the half-filled lattice gas with repulsion V (eV).

    With s = 2n - 1 the lattice gas is the antiferromagnetic Ising model with J = V/4; on a
    bipartite lattice it has the ferromagnet's T_c. The chain has none (returns 0.0).

    Parameters
    ----------
    V : float
        Nearest-neighbour repulsion (eV, > 0).
    lattice : {"honeycomb", "chain"}, optional
        The lattice by name.

    Returns
    -------
    float
        T_c (K); 0.0 for the chain.
    """
    V = v.positive("V", V)
    v.choice("lattice", lattice, {"chain", "honeycomb"})
    if lattice == "chain":
        return 0.0
    return ISING_HONEYCOMB_KTC_OVER_J * (V / 4) / KB_EV


# --- exact results for the chain ----------------------------------------------------------------

def chain_correlation_length(T, V):
    """Exact correlation length (in sites) of the half-filled chain in the thermodynamic limit.

    ⟨δn_0 δn_r⟩ ∝ (-tanh(V / 4 k_B T))^r (1D Ising with J = V/4 at zero field), so
    ξ = -1 / ln tanh(V / 4 k_B T).

    Parameters
    ----------
    T : float
        Temperature (K, > 0).
    V : float
        Nearest-neighbour repulsion (eV, > 0).

    Returns
    -------
    float
        ξ in sites.
    """
    T, V = v.positive("T", T), v.positive("V", V)
    t = math.tanh(V / (4 * KB_EV * T))
    return -1.0 / math.log(t)


def chain_spin_correlation(r, T, V):
    """Exact ⟨s_0 s_r⟩ (s = 2n - 1) of the infinite half-filled chain: (-tanh(V / 4 k_B T))^r.

    Parameters
    ----------
    r : int or array_like
        Distance in sites.
    T : float
        Temperature (K, > 0).
    V : float
        Nearest-neighbour repulsion (eV, > 0).

    Returns
    -------
    float or numpy.ndarray
        ⟨s_0 s_r⟩.
    """
    T, V = v.positive("T", T), v.positive("V", V)
    r = np.asarray(r)
    return (-math.tanh(V / (4 * KB_EV * T))) ** r


def chain_pair_density_canonical(n_sites, n_particles, T, V):
    """Exact canonical ⟨Σ_i n_i n_{i+1}⟩ / n_sites on a ring of n_sites with n_particles.

    A configuration with k clusters on the ring has n_particles - k occupied bonds; the number of
    such configurations is (L/k) C(N-1, k-1) C(L-N-1, k-1) (L sites, N particles, 0 < N < L).

    Parameters
    ----------
    n_sites : int
        Ring length L.
    n_particles : int
        Number of ions N, 0 < N < L.
    T : float
        Temperature (K, > 0).
    V : float
        Nearest-neighbour repulsion (eV, > 0).

    Returns
    -------
    float
        Occupied bonds per site.
    """
    L = v.integer_in("n_sites", n_sites, 3)
    N = v.integer_in("n_particles", n_particles, 1, L - 1)
    T, V = v.positive("T", T), v.nonnegative("V", V)
    beta = 1.0 / (KB_EV * T)
    ks = np.arange(1, min(N, L - N) + 1)
    logw = (np.log(L / ks) + _lncomb(N - 1, ks - 1) + _lncomb(L - N - 1, ks - 1)
            - beta * V * (N - ks))
    w = np.exp(logw - logw.max())
    return float(np.sum(w * (N - ks)) / np.sum(w) / L)


def chain_gamma2_ring(T, V, n_sites):
    """Exact ⟨γ²⟩ of a half-filled ring of n_sites in the grand-canonical transfer-matrix
    solution: ⟨γ²⟩ = (1/L) Σ_r (t^r + t^(L-r)) / (1 + t^L), t = tanh(V / 4 k_B T).

    (γ is the staggered magnetization of the equivalent Ising ring; for L ≫ ξ this is
    e^(V/2k_BT) / L, so γ → 0 as the chain grows at every T > 0.) The canonical constraint
    (exactly N = L/2 ions) changes it by O(1/L).

    Parameters
    ----------
    T : float
        Temperature (K, > 0).
    V : float
        Nearest-neighbour repulsion (eV, > 0).
    n_sites : int
        Ring length L.

    Returns
    -------
    float
        ⟨γ²⟩.
    """
    T, V = v.positive("T", T), v.positive("V", V)
    L = v.integer_in("n_sites", n_sites, 2)
    t = math.tanh(V / (4 * KB_EV * T))
    r = np.arange(L)
    return float(np.sum(t ** r + t ** (L - r)) / (1 + t ** L) / L)


def chain_gamma2(T, V, n_sites, canonical_max=256):
    """Exact ⟨γ²⟩ of a half-filled ring: canonical (:func:`chain_canonical_correlations`) up to
    `canonical_max` sites, the cheaper grand-canonical ring (:func:`chain_gamma2_ring`) beyond,
    where the two differ by O(1/L).

    Parameters
    ----------
    T : float
        Temperature (K).
    V : float
        Nearest-neighbour repulsion (eV).
    n_sites : int
        Ring length L (even).
    canonical_max : int, optional
        Largest L solved canonically.

    Returns
    -------
    float
    """
    if n_sites <= canonical_max:
        return chain_canonical_correlations(T, V, n_sites)[1]
    return chain_gamma2_ring(T, V, n_sites)


def chain_canonical_correlations(T, V, n_sites):
    """Exact canonical ⟨s_0 s_r⟩ (r = 0..L-1) and ⟨γ²⟩ of a ring of L sites with exactly L/2 ions.

    Transfer matrix T(x)_{nn'} = x^{(n+n')/2} exp(-V n n' / k_B T) with fugacity x; the
    fixed-N parts of Tr T^L and Tr D T^r D T^(L-r) (D = diag(0, 1)) are extracted by a discrete
    Fourier transform on a circle |x| = e^{V/k_B T} (the half-filling fugacity, where the N = L/2
    coefficient dominates and the transform is well conditioned).

    Parameters
    ----------
    T : float
        Temperature (K, > 0).
    V : float
        Nearest-neighbour repulsion (eV, > 0).
    n_sites : int
        Ring length L.

    Returns
    -------
    (numpy.ndarray, float)
        ⟨s_0 s_r⟩ for r = 0 … L−1 and ⟨γ²⟩.
    """
    T, V = v.positive("T", T), v.positive("V", V)
    L = v.integer_in("n_sites", n_sites, 4)
    if L % 2:
        raise ValueError(f"n_sites must be even, got {n_sites!r}")
    N = L // 2
    b = V / (KB_EV * T)
    rad = math.exp(b)
    M = L + 1
    k = np.arange(M)
    x = rad * np.exp(2j * np.pi * k / M)
    sx = np.sqrt(x)
    Tm = np.empty((M, 2, 2), complex)
    Tm[:, 0, 0] = 1.0
    Tm[:, 0, 1] = Tm[:, 1, 0] = sx
    Tm[:, 1, 1] = x * math.exp(-b)
    lam0 = np.max(np.abs(np.linalg.eigvals(Tm[0])))
    Tm /= lam0
    w, P = np.linalg.eig(Tm)  # (M, 2), (M, 2, 2)
    Pinv = np.linalg.inv(P)
    r = np.arange(L)
    phase = np.exp(-2j * np.pi * k * N / M)
    # Tr T^L
    Z = np.sum((w ** L).sum(axis=1) * phase).real
    # Tr D T^r D T^(L-r) = Σ_ab (P^-1 D P)_ab λ_b^r (P^-1 D P)_ba λ_a^(L-r)
    Dt = Pinv[:, :, 1][:, :, None] * P[:, 1, :][:, None, :]  # (P^-1 D P)_{ab}
    A = Dt * np.swapaxes(Dt, 1, 2)  # A_ab = Dt_ab Dt_ba
    lr = w[:, None, :] ** r[None, :, None]  # λ_b^r: (M, L, 2)
    lL = w[:, None, :] ** (L - r)[None, :, None]  # λ_a^(L-r)
    nn = np.einsum("kab,krb,kra->kr", A, lr, lL)
    nn = np.sum(nn * phase[:, None], axis=0).real / Z
    G = 4.0 * nn - 1.0  # ⟨s_0 s_r⟩ at exactly half filling
    g2 = float(np.sum(G * (-1.0) ** r) / L)
    return G, g2


def _lncomb(n, k):
    from scipy.special import gammaln
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


# --- mean field ---------------------------------------------------------------------------------

def bw_polarization(T, V, z):
    """γ ≥ 0 of the half-filled lattice gas in Bragg-Williams mean field: γ = tanh(z V γ / 4 k_B T).

    Identical to hu2026 Eq. (50) under V = 2 K0 / z (fixed-point iteration from γ = 1; 0 above T_c).

    Parameters
    ----------
    T : float
        Temperature (K, > 0).
    V : float
        Nearest-neighbour repulsion (eV, > 0).
    z : int
        Coordination number (2 chain, 3 honeycomb).

    Returns
    -------
    float
        γ ≥ 0.
    """
    T = np.atleast_1d(np.asarray(T, dtype=float))
    if np.any(~np.isfinite(T)) or np.any(T <= 0):
        raise ValueError("T must contain finite temperatures > 0 K")
    V = v.positive("V", V)
    from scipy.optimize import brentq
    a = z * V / (4 * KB_EV * T)
    out = np.zeros_like(T)
    for i, ai in enumerate(a):
        if ai > 1:
            out[i] = brentq(lambda x: x - math.tanh(ai * x), 1e-12, 1.0)
    return out


# --- reference rate catalogue (plain NumPy; the kernels are tested against it) -------------------

def hop_rates_reference(occ, lattice, T, Lambda0, V, field=0.0, M0=0.0, exc=None):
    """Every allowed hop and its rate for configuration ``occ`` (brute force, O(N z)).

    Returns arrays (origin, neighbour slot k, destination, rate). ``field`` is Zℰ in eV per a along
    x. ``exc[q] = k`` marks site q as just vacated by an ion that went to its k-th neighbour
    (-1: not excited); a hop into an excited site from any other neighbour has its barrier lowered
    by M0 (clipped at zero).

    Parameters
    ----------
    occ : array_like of int
        Occupation n_i ∈ {0, 1} of every site.
    lattice : Lattice
        As returned by :func:`chain` or :func:`honeycomb`.
    T : float
        Temperature (K, > 0).
    Lambda0 : float
        Bare barrier (eV).
    V : float
        Nearest-neighbour repulsion (eV, > 0).
    field : float, optional
        Zℰ (eV per a) along x.
    M0 : float, optional
        Concerted-hopping lowering of the barrier into a just-vacated site (eV).
    exc : array_like of int, optional
        Per site, the neighbour slot its last ion left through (−1: none).

    Returns
    -------
    tuple of numpy.ndarray
        origin, neighbour slot k, destination, rate.
    """
    occ = np.asarray(occ).astype(bool)
    kT = KB_EV * T
    nbr, z = lattice.nbr, lattice.z
    cnt = occ[nbr].sum(axis=1)
    orig, slot, dest, rate = [], [], [], []
    for p in np.flatnonzero(occ):
        for k in range(z):
            q = nbr[p, k]
            if occ[q]:
                continue
            m = cnt[q] - 1
            B = Lambda0 + V * m
            if exc is not None and exc[q] >= 0 and nbr[q, exc[q]] != p:
                B -= M0
            B = max(B, 0.0)
            dx = lattice.vecs[lattice.sub[p], k, 0]
            orig.append(p)
            slot.append(k)
            dest.append(q)
            rate.append(math.exp(-B / kT) * math.exp(0.5 * field * dx / kT) / z)
    return (np.array(orig, dtype=int), np.array(slot, dtype=int), np.array(dest, dtype=int),
            np.array(rate))
