"""Hopping lattices of hu2026: the 1D two-site chain and the 2D honeycomb.

This module implements the single-particle, adiabatic hopping description of hu2026
Secs. II.2-III.2 and Appendix A: reciprocal-space hopping matrices P_k (Eqs. (25), (31), (56)),
their eigenvalues p_k,± (Eqs. (26), (33), (58)), decay rate κ_k and frequency ω_k (definitions
after Eq. (15)), group velocity (Eqs. (36), (62)), eigenvector polarization (Eqs. (28), (29), (37)),
the conductivities σ_weak (Eq. (38)), σ_strong (Eq. (42)) and the honeycomb tensor (Eq. (63));
and real-space master-equation propagation n(t + τ) = P n(t) (Eq. (8)) on a ring of two-site
cells and on a periodic honeycomb patch.

Units
-----
The paper's reduced units: lengths in units of the lattice constant ``a`` (default 1), time in
units of the hop period ``tau`` (default 1). The field enters through f = Z E / (k_B T), an
inverse length (so ``f * a`` is dimensionless). Where a temperature appears, T is in K and
energies in eV (k_B = ``ionmotion.units.KB_EV``); a field E is then in V per length unit and Z in
elementary charges. Conductivities are returned in units of e / (V · length · τ) per the cell
volume ``V`` given (Eq. (38) is n0 Z a / (V τ) times a mobility).

Fourier convention
------------------
We use n_k = N^(-1/2) Σ_j exp(+i k·r_j) n_j, so that
P_k,ba = Σ_j exp(+i k·(r_jb − r_ia)) P_jb,ia. hu2026 prints Eqs. (10), (12) with exp(−i k·r);
its later formulas (Eqs. (25), (31)–(37), (56)–(62)) and the identification of the drift
velocity with +∂ω/∂k are consistent only with the + sign used here (with the printed − sign the
same formulas hold with k → −k and a density wave moves at −∂ω/∂k). Physical results (drift
along the field, decay rates, conductivities) do not depend on the choice.

Geometry
--------
Chain: cell i has site a at x = i a and site b at x = i a + a/2 (hu2026 Fig. 3(a)). Site order in
real-space arrays: [0a, 0b, 1a, 1b, ...].
Honeycomb: the lattice of :func:`ionmotion.latticegas.honeycomb` (the package's one honeycomb:
cells, site order and neighbour table) seen through the inversion r → −r, so that the three bond
vectors a_j of Eq. (57) point from a b site to its three a neighbours, i.e. the b neighbours of
an a site sit at −a_j. With this orientation Eq. (56) holds element by element. Lattice vectors
−A1 = −a (1/2, √3/2), −A2 = a (1/2, −√3/2); site 2 (m L + n) is the a site of cell (m, n).
"""
import math

import numpy as np
import scipy.sparse as sp

from . import _validate as V
from .latticegas import honeycomb
from .units import KB_EV

__all__ = [
    "structure_factor_1d", "chain_Pk", "chain_eigenvalues", "chain_stay_probabilities",
    "decay_rate", "frequency", "plus_branch", "chain_decay_rate_small_k",
    "chain_polarization_small_k", "chain_eigvec_ratio", "chain_eigvec_ratio_weak_field",
    "chain_group_velocity", "chain_group_velocity_weak", "chain_frequency_small_k",
    "sigma_weak", "sigma_strong", "sigma_chord",
    "honeycomb_bond_vectors", "honeycomb_structure_factor", "honeycomb_Pk",
    "honeycomb_eigenvalues", "honeycomb_group_velocity", "honeycomb_stationary_split", "honeycomb_group_velocity_weak",
    "honeycomb_conductivity", "numerical_group_velocity", "chain_conductivity_numerical",
    "honeycomb_conductivity_numerical", "escape_probability",
    "chain_sites", "chain_ring_matrix", "honeycomb_sites", "honeycomb_torus_matrix",
    "propagate", "mean_displacement_per_step",
]


# ----------------------------------------------------------------------------- validation
def _gamma(gamma):
    return V.finite_number("gamma", gamma, lambda g: abs(g) < 1, "in (-1, 1)",
                           " (|gamma| >= 1 makes a hopping probability P0(1 ± gamma)/2 leave "
                           "[0, 1])")


def _P0(P0):
    return V.finite_number("P0", P0, lambda p: 0 < p <= 1, "in (0, 1]")


def _field_1d(f):
    return V.finite_number("f", f, None, "(f = Z E / k_B T)")


def _field_2d(f):
    return V.finite_array("f", f, shape_tail=(2,))


# ----------------------------------------------------------------------------- 1D chain, k space
def structure_factor_1d(k, f=0.0, a=1.0):
    """Field-modified structure factor Ω(k, f) of the chain, hu2026 Eq. (32).

    Ω(k, f) = [exp(−ika/2 − fa/2) + exp(ika/2 + fa/2)] / 2
            = cos(ka/2) cosh(fa/2) + i sin(ka/2) sinh(fa/2).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    complex or numpy.ndarray
        Ω(k, f), like `k`.
    """
    k = V.finite_array("k", k)
    f = _field_1d(f)
    a = V.positive("a", a)
    return 0.5 * (np.exp(-0.5j * k * a - 0.5 * f * a) + np.exp(0.5j * k * a + 0.5 * f * a))


def chain_stay_probabilities(P0, gamma, f=0.0, a=1.0):
    """Probabilities (P_ia,ia, P_ib,ib) of staying on an a or b site, hu2026 Eqs. (24), (30).

    1 − P0 (1 − γ) cosh(fa/2) and 1 − P0 (1 + γ) cosh(fa/2). A negative value means the
    parameters do not define a probability matrix (e.g. hu2026 Fig. 3(c): P0 = 0.6, γ = 0.88).

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    (float, float)
        Staying probabilities on a and on b.
    """
    P0, g, f, a = _P0(P0), _gamma(gamma), _field_1d(f), V.positive("a", a)
    c = math.cosh(0.5 * f * a)
    return 1.0 - P0 * (1 - g) * c, 1.0 - P0 * (1 + g) * c


def chain_Pk(k, P0, gamma, f=0.0, a=1.0):
    """Reciprocal-space hopping matrix P_k of the two-site chain, hu2026 Eq. (31) (Eq. (25) at f=0).

    Returns an array of shape k.shape + (2, 2) on the basis (n_k,a, n_k,b):
        [[1 − P0(1−γ) Ω(0,−f),  P0(1+γ) Ω(k, f)],
         [P0(1−γ) Ω(−k,−f),     1 − P0(1+γ) Ω(0, f)]].
    Built here directly as the Fourier sum (Fourier convention in the module docstring) of the
    real-space hops of Eq. (30), so that tests can compare it with Eq. (31).
    Columns of P_0 sum to one (number conservation, Eq. (9)).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    numpy.ndarray
        Shape k.shape + (2, 2).
    """
    k = V.finite_array("k", k)
    P0, g, f, a = _P0(P0), _gamma(gamma), _field_1d(f), V.positive("a", a)
    stay_a, stay_b = chain_stay_probabilities(P0, g, f, a)
    # a -> b hops: to (i,b) at +a/2 with weight e^{+fa/2}, to (i-1,b) at -a/2 with e^{-fa/2}
    ba = 0.5 * P0 * (1 - g) * (np.exp(0.5j * k * a + 0.5 * f * a)
                               + np.exp(-0.5j * k * a - 0.5 * f * a))
    # b -> a hops: to (i,a) at -a/2 with e^{-fa/2}, to (i+1,a) at +a/2 with e^{+fa/2}
    ab = 0.5 * P0 * (1 + g) * (np.exp(-0.5j * k * a - 0.5 * f * a)
                               + np.exp(0.5j * k * a + 0.5 * f * a))
    out = np.empty(k.shape + (2, 2), dtype=complex)
    out[..., 0, 0] = stay_a
    out[..., 0, 1] = ab
    out[..., 1, 0] = ba
    out[..., 1, 1] = stay_b
    return out


def chain_eigenvalues(k, P0, gamma, f=0.0, a=1.0):
    """Closed-form eigenvalues (p_k,+, p_k,−) of P_k, hu2026 Eq. (33) (Eq. (26) at f = 0).

    p_k,± = 1 − P0 Ω(0,f) [1 ∓ sqrt(γ² + (1 − γ²) (Ω(k,f)/Ω(0,f))²)],
    principal complex square root (continuous through k = 0, where p_0,+ = 1).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        p_k,+ and p_k,−.
    """
    k = V.finite_array("k", k)
    P0, g, f, a = _P0(P0), _gamma(gamma), _field_1d(f), V.positive("a", a)
    c = math.cosh(0.5 * f * a)
    r = structure_factor_1d(k, f, a) / c
    s = np.sqrt(g * g + (1 - g * g) * r * r + 0j)
    return 1 - P0 * c * (1 - s), 1 - P0 * c * (1 + s)


def decay_rate(p, tau=1.0):
    """κ = (1 − |p|)/τ, hu2026 definition after Eq. (15).

    Parameters
    ----------
    p : complex or array_like
        An eigenvalue of P_k.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float or numpy.ndarray
        κ.
    """
    tau = V.positive("tau", tau)
    return (1.0 - np.abs(p)) / tau


def frequency(p, tau=1.0):
    """ω = arg(p)/τ, hu2026 definition after Eq. (15).

    Parameters
    ----------
    p : complex or array_like
        An eigenvalue of P_k.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float or numpy.ndarray
        ω.
    """
    tau = V.positive("tau", tau)
    return np.angle(p) / tau


def plus_branch(Pk):
    """Numerical eigen-decomposition of P_k (shape (..., n, n)): the '+' eigenvalue and vector.

    The '+' branch is the eigenvalue with the largest real part (it is continuous with the
    conserved eigenvalue p = 1 at k = 0). Returns (p, u) with u normalised so that its first
    component is 1.

    Parameters
    ----------
    Pk : array_like, shape (..., n, n)
        Hopping matrices.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The '+' eigenvalue and its eigenvector.
    """
    Pk = np.asarray(Pk)
    w, vecs = np.linalg.eig(Pk)
    idx = np.argmax(w.real, axis=-1)
    p = np.take_along_axis(w, idx[..., None], axis=-1)[..., 0]
    u = np.take_along_axis(vecs, idx[..., None, None], axis=-1)[..., 0]
    return p, u / u[..., :1]


def chain_decay_rate_small_k(k, P0, gamma, a=1.0, tau=1.0):
    """Leading small-k decay rate of the '+' mode at zero field, hu2026 Eq. (27).

    κ_k,+ ≈ (P0/τ) (1/2) (1 − γ²) (ka/2)²  (diffusion: κ = D k² with D = P0 (1−γ²) a² / (8τ)).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    a : float, optional
        Lattice constant.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float or numpy.ndarray
        κ_k,+.
    """
    k = V.finite_array("k", k)
    P0, g, a, tau = _P0(P0), _gamma(gamma), V.positive("a", a), V.positive("tau", tau)
    return P0 / tau * 0.5 * (1 - g * g) * (0.5 * k * a) ** 2


def chain_eigvec_ratio(k, P0, gamma, f=0.0, a=1.0):
    """Exact u_k,+,b / u_k,+,a of the '+' eigenvector (closed form from the first row of Eq. (31)).

    u_b/u_a = cosh(fa/2) (S − γ) / ((1 + γ) Ω(k,f)),  S = sqrt(γ² + (1−γ²)(Ω(k,f)/Ω(0,f))²).
    At k = 0 this is (1 − γ)/(1 + γ), detailed balance, hu2026 Eq. (28).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    complex or numpy.ndarray
        u_b/u_a.
    """
    k = V.finite_array("k", k)
    P0, g, f, a = _P0(P0), _gamma(gamma), _field_1d(f), V.positive("a", a)
    c = math.cosh(0.5 * f * a)
    om = structure_factor_1d(k, f, a)
    s = np.sqrt(g * g + (1 - g * g) * (om / c) ** 2 + 0j)
    return c * (s - g) / ((1 + g) * om)


def chain_polarization_small_k(k, gamma, a=1.0, printed=False):
    """Small-k polarization (u_a − u_b)/(u_a + u_b) of the '+' mode at zero field, Eq. (29).

    With ``printed=True`` returns hu2026's printed form γ + γ(1−γ²)(ka/2)². The expansion of the
    exact eigenvector (``chain_eigvec_ratio``) gives γ + γ(1−γ²)(ka/2)²/4, a quarter of the
    printed coefficient; that corrected form is the default (see the hopping-conductivity chapter).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    a : float, optional
        Lattice constant.
    printed : bool, optional
        Return hu2026's printed form instead of the derived one.

    Returns
    -------
    float or numpy.ndarray
        (u_a − u_b)/(u_a + u_b).
    """
    k = V.finite_array("k", k)
    g, a = _gamma(gamma), V.positive("a", a)
    coef = 1.0 if printed else 0.25
    return g + coef * g * (1 - g * g) * (0.5 * k * a) ** 2


def chain_eigvec_ratio_weak_field(k, gamma, f, a=1.0):
    """Weak-field, small-k eigenvector ratio u_b/u_a, hu2026 Eq. (37).

    u_b/u_a ≈ ((1 − γ)/(1 + γ)) (1 + i γ (ka/4) (fa)), with f = Z E / (k_B T).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    complex or numpy.ndarray
        u_b/u_a.
    """
    k = V.finite_array("k", k)
    g, f, a = _gamma(gamma), _field_1d(f), V.positive("a", a)
    return (1 - g) / (1 + g) * (1 + 1j * g * (k * a / 4) * (f * a))


def chain_group_velocity(P0, gamma, f, a=1.0, tau=1.0):
    """Exact group velocity ∂ω_k,+/∂k at k = 0 of the chain for any field.

    v = P0 (1 − γ²) (a / 2τ) sinh(fa/2); this is the derivative at k = 0 of ω from Eqs. (40)-(41)
    (hu2026 Eq. (41) omits the 1/τ) and reduces to Eq. (36) for |fa| ≪ 1. It equals the mean
    displacement per step of an ion in the stationary occupation (see ``mean_displacement_per_step``).

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float
        v (a/τ units of the inputs).
    """
    P0, g, f = _P0(P0), _gamma(gamma), _field_1d(f)
    a, tau = V.positive("a", a), V.positive("tau", tau)
    return P0 * (1 - g * g) * a / (2 * tau) * math.sinh(0.5 * f * a)


def chain_group_velocity_weak(P0, gamma, f, a=1.0, tau=1.0):
    """Weak-field group velocity, hu2026 Eq. (36): v = (a/τ) P0 (1 − γ²) (fa/4).

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float
        v.
    """
    P0, g, f = _P0(P0), _gamma(gamma), _field_1d(f)
    a, tau = V.positive("a", a), V.positive("tau", tau)
    return a / tau * P0 * (1 - g * g) * f * a / 4


def chain_frequency_small_k(k, P0, gamma, f, a=1.0, tau=1.0):
    """Strong-field small-k frequency ω_k,+ = P0 (1 − γ²) sinh(fa/2) (ka/2) / τ, hu2026 Eq. (41)
    (the printed Eq. (41) lacks the 1/τ of the definition ω = arg p / τ).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float or numpy.ndarray
        ω_k,+.
    """
    k = V.finite_array("k", k)
    return k * chain_group_velocity(P0, gamma, f, a, tau)


def _kT(T):
    return KB_EV * V.positive("T", T)


def sigma_weak(P0, gamma, T, n0=1.0, Z=1.0, a=1.0, V_cell=1.0, tau=1.0):
    """Weak-field DC conductivity of the chain, hu2026 Eq. (38).

    σ_weak = (n0 Z a / (V τ)) (Z a / (4 k_B T)) (1 − γ²) P0, with T in K and k_B T in eV
    (Z in e, a in length units, V_cell the cell volume, τ the hop period).

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    T : float
        Temperature (K, > 0).
    n0 : float, optional
        Ions per two-site cell, 0 < n0 ≤ 2.
    Z : float, optional
        Charge of the ion (e).
    a : float, optional
        Lattice constant.
    V_cell : float, optional
        Volume (area, length) of a cell.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float
        σ_weak.
    """
    P0, g = _P0(P0), _gamma(gamma)
    n0 = V.positive("n0", n0)
    if n0 > 2:
        raise ValueError(f"n0 must be in (0, 2] (at most one ion per site, two sites), got {n0!r}")
    Z, a = V.positive("Z", Z), V.positive("a", a)
    V_cell, tau = V.positive("V_cell", V_cell), V.positive("tau", tau)
    return n0 * Z * a / (V_cell * tau) * Z * a / (4 * _kT(T)) * (1 - g * g) * P0


def sigma_strong(P0, gamma, T, E, n0=1.0, Z=1.0, a=1.0, V_cell=1.0, tau=1.0):
    """Strong-field differential conductivity ∂J/∂E of the chain, hu2026 Eq. (42).

    σ_strong = σ_weak cosh(Z E a / (2 k_B T)). hu2026 prints the argument as E a/(2 k_B T), i.e.
    with Z = 1. This is the derivative of J = Z n0 v / V with the exact v of
    ``chain_group_velocity``; the chord conductivity J/E is ``sigma_chord``.

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    T : float
        Temperature (K, > 0).
    E : float
        Field (eV per lattice constant).
    n0 : float, optional
        Ions per two-site cell, 0 < n0 ≤ 2.
    Z : float, optional
        Charge of the ion (e).
    a : float, optional
        Lattice constant.
    V_cell : float, optional
        Volume (area, length) of a cell.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float
        σ_strong.
    """
    E = float(V.finite_array("E", E))
    x = V.positive("Z", Z) * E * V.positive("a", a) / (2 * _kT(T))
    return sigma_weak(P0, gamma, T, n0, Z, a, V_cell, tau) * math.cosh(x)


def sigma_chord(P0, gamma, T, E, n0=1.0, Z=1.0, a=1.0, V_cell=1.0, tau=1.0):
    """Chord conductivity J/E = σ_weak sinh(x)/x, x = Z E a / (2 k_B T) (not in hu2026).

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    T : float
        Temperature (K, > 0).
    E : float
        Field (eV per lattice constant).
    n0 : float, optional
        Ions per two-site cell, 0 < n0 ≤ 2.
    Z : float, optional
        Charge of the ion (e).
    a : float, optional
        Lattice constant.
    V_cell : float, optional
        Volume (area, length) of a cell.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float
        J/E.
    """
    E = float(V.finite_array("E", E))
    x = V.positive("Z", Z) * E * V.positive("a", a) / (2 * _kT(T))
    fac = 1.0 if x == 0 else math.sinh(x) / x
    return sigma_weak(P0, gamma, T, n0, Z, a, V_cell, tau) * fac


# ----------------------------------------------------------------------------- honeycomb, k space
def honeycomb_bond_vectors(a=1.0):
    """The three inter-site vectors a_j of hu2026 Eq. (57), shape (3, 2), pointing b → a.

    a_1 = a(1/2, 1/(2√3)), a_2 = a(−1/2, 1/(2√3)), a_3 = a(0, −1/√3); |a_j| = a/√3.

    Parameters
    ----------
    a : float, optional
        Lattice constant.

    Returns
    -------
    numpy.ndarray, shape (3, 2)
        a_1, a_2, a_3.
    """
    a = V.positive("a", a)
    s3 = math.sqrt(3.0)
    return a * np.array([[0.5, 0.5 / s3], [-0.5, 0.5 / s3], [0.0, -1.0 / s3]])


def honeycomb_structure_factor(k, f=(0.0, 0.0), a=1.0):
    """Ω(k, f) = (1/3) Σ_j exp(i (k − i f)·a_j), hu2026 Eq. (57). k: shape (..., 2).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    complex or numpy.ndarray
        Ω(k, f), shape k.shape[:-1].
    """
    k = V.finite_array("k", k, shape_tail=(2,))
    f = _field_2d(f)
    d = honeycomb_bond_vectors(a)
    z = (1j * k[..., None, :] + f) * d  # (..., 3, 2)
    return np.exp(z.sum(-1)).mean(-1)


def honeycomb_Pk(k, P0, gamma, f=(0.0, 0.0), a=1.0, diagonal="conserving"):
    """Honeycomb hopping matrix P_k, hu2026 Eq. (56); shape k.shape[:-1] + (2, 2).

    Off-diagonals P0(1+γ) Ω(k,f) (row a, column b) and P0(1−γ) Ω(−k,−f) (row b, column a)
    as printed. ``diagonal="printed"`` uses the printed diagonal 1 − P0(1 ∓ γ), which ignores the
    field and conserves the ion number only to O(f); ``diagonal="conserving"`` (default) uses
    1 − P0(1−γ) Ω(0,−f) and 1 − P0(1+γ) Ω(0,f), as in the 1D Eq. (31), so that columns of P_0 sum
    to one exactly (Eq. (9)).

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.
    diagonal : {"conserving", "printed"}, optional
        Number-conserving diagonal or the one printed in Eq. (56).

    Returns
    -------
    numpy.ndarray
        Shape k.shape[:-1] + (2, 2).
    """
    k = V.finite_array("k", k, shape_tail=(2,))
    P0, g, f = _P0(P0), _gamma(gamma), _field_2d(f)
    V.choice("diagonal", diagonal, {"conserving", "printed"})
    om_p = honeycomb_structure_factor(k, f, a)
    om_m = honeycomb_structure_factor(-k, -f, a)
    out = np.empty(k.shape[:-1] + (2, 2), dtype=complex)
    if diagonal == "printed":
        da, db = 1 - P0 * (1 - g), 1 - P0 * (1 + g)
    else:
        zero = np.zeros(2)
        da = 1 - P0 * (1 - g) * honeycomb_structure_factor(zero, -f, a).real
        db = 1 - P0 * (1 + g) * honeycomb_structure_factor(zero, f, a).real
    out[..., 0, 0] = da
    out[..., 0, 1] = P0 * (1 + g) * om_p
    out[..., 1, 0] = P0 * (1 - g) * om_m
    out[..., 1, 1] = db
    return out


def honeycomb_eigenvalues(k, P0, gamma, f=(0.0, 0.0), a=1.0):
    """Closed-form eigenvalues (p_k,+, p_k,−) of Eq. (56) with the printed diagonal, Eq. (58).

    p_k,± = 1 − P0 ± P0 sqrt(γ² + (1 − γ²) Ω(k,f) Ω(−k,−f)). Exact for ``diagonal="printed"``;
    at f = 0 the two diagonals coincide.

    Parameters
    ----------
    k : float or array_like
        Wave vector (1/a; shape (..., 2) on the honeycomb).
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        p_k,+ and p_k,−.
    """
    k = V.finite_array("k", k, shape_tail=(2,))
    P0, g, f = _P0(P0), _gamma(gamma), _field_2d(f)
    prod = honeycomb_structure_factor(k, f, a) * honeycomb_structure_factor(-k, -f, a)
    s = np.sqrt(g * g + (1 - g * g) * prod + 0j)
    return 1 - P0 + P0 * s, 1 - P0 - P0 * s


def honeycomb_group_velocity_weak(P0, gamma, f, a=1.0, tau=1.0):
    """Weak-field group velocity vector, hu2026 Eq. (62): v = P0 (1 − γ²) a² f / (6τ).

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    numpy.ndarray, shape (2,)
        v.
    """
    P0, g, f = _P0(P0), _gamma(gamma), _field_2d(f)
    a, tau = V.positive("a", a), V.positive("tau", tau)
    return P0 * (1 - g * g) * a * a / (6 * tau) * f


def honeycomb_stationary_split(P0, gamma, f=(0.0, 0.0), a=1.0):
    """Fractions (w_a, w_b) of the conserved k = 0 mode of the number-conserving honeycomb P_k.

    (1 + γ)/2 and (1 − γ)/2 at zero field (detailed balance, cf. Eq. (28)); the field changes
    them at O(f³).

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    (float, float)
        w_a and w_b.
    """
    return _stationary_split_honeycomb(_P0(P0), _gamma(gamma), _field_2d(f), V.positive("a", a))


def _stationary_split_honeycomb(P0, g, f, a):
    zero = np.zeros(2)
    out_a = P0 * (1 - g) * honeycomb_structure_factor(zero, -f, a).real  # leave rate of a
    out_b = P0 * (1 + g) * honeycomb_structure_factor(zero, f, a).real
    wa = out_b / (out_a + out_b)
    return wa, 1 - wa


def honeycomb_group_velocity(P0, gamma, f, a=1.0, tau=1.0):
    """Exact drift velocity (= ∂ω_k,+/∂k at k = 0 of the conserving P_k) for any field.

    v τ = w_a Σ_j P0(1−γ)/3 (−a_j) e^{−f·a_j} + w_b Σ_j P0(1+γ)/3 a_j e^{f·a_j},
    with (w_a, w_b) the stationary sublattice split of the conserving P_0. Reduces to Eq. (62).

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    numpy.ndarray, shape (2,)
        v.
    """
    P0, g, f = _P0(P0), _gamma(gamma), _field_2d(f)
    a, tau = V.positive("a", a), V.positive("tau", tau)
    d = honeycomb_bond_vectors(a)
    wa, wb = _stationary_split_honeycomb(P0, g, f, a)
    ea = np.exp(-(d @ f))
    eb = np.exp(d @ f)
    v = wa * P0 * (1 - g) / 3 * (-(d * ea[:, None]).sum(0)) \
        + wb * P0 * (1 + g) / 3 * (d * eb[:, None]).sum(0)
    return v / tau


def honeycomb_conductivity(P0, gamma, T, n0=1.0, Z=1.0, a=1.0, V_cell=1.0, tau=1.0):
    """Weak-field conductivity tensor of the honeycomb, hu2026 Eq. (63), shape (2, 2).

    σ_xx = σ_yy = (J0 Z a / (6 k_B T)) P0 (1 − γ²), J0 = Z n0 a / (V τ); σ_xy = σ_yx = 0.

    Parameters
    ----------
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    T : float
        Temperature (K, > 0).
    n0 : float, optional
        Ions per two-site cell, 0 < n0 ≤ 2.
    Z : float, optional
        Charge of the ion (e).
    a : float, optional
        Lattice constant.
    V_cell : float, optional
        Volume (area, length) of a cell.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    numpy.ndarray, shape (2, 2)
        σ.
    """
    P0, g = _P0(P0), _gamma(gamma)
    n0 = V.positive("n0", n0)
    if n0 > 2:
        raise ValueError(f"n0 must be in (0, 2] (at most one ion per site, two sites), got {n0!r}")
    Z, a = V.positive("Z", Z), V.positive("a", a)
    V_cell, tau = V.positive("V_cell", V_cell), V.positive("tau", tau)
    J0 = Z * n0 * a / (V_cell * tau)
    return J0 * Z * a / (6 * _kT(T)) * P0 * (1 - g * g) * np.eye(2)


def numerical_group_velocity(Pk_of_k, dim, h=1e-5, tau=1.0):
    """Group velocity ∂ω_+/∂k at k = 0 by central differences of the numerically diagonalised P_k.

    ``Pk_of_k(k)`` returns the matrix for a scalar k (dim=1) or a length-2 vector (dim=2).
    Returns a float (dim=1) or an array of shape (2,).

    Parameters
    ----------
    Pk_of_k : callable
        k ↦ P_k (a scalar k for dim=1, a length-2 vector for dim=2).
    dim : {1, 2}
        Dimension of k.
    h : float, optional
        Step of the central difference in k.
    tau : float, optional
        Hop period τ.

    Returns
    -------
    float or numpy.ndarray
        ∂ω_+/∂k (a float for dim=1, shape (2,) for dim=2).
    """
    V.integer_in("dim", dim, 1, 2)
    h = V.positive("h", h)
    tau = V.positive("tau", tau)

    def om(k):
        p, _ = plus_branch(Pk_of_k(k))
        return np.angle(p) / tau

    if dim == 1:
        return float((om(h) - om(-h)) / (2 * h))
    out = np.empty(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        out[i] = float((om(e) - om(-e)) / (2 * h))
    return out


def chain_conductivity_numerical(P0, gamma, T, E=0.0, dE=1e-5, field_scale=1.0):
    """Differential conductivity ∂J/∂E of the chain from the eigenvalues of P_k, at field E.

    The current is the group velocity of the '+' branch (:func:`numerical_group_velocity` of
    :func:`chain_Pk` with field parameter f = field_scale·E/k_BT), differentiated by a central
    difference in E. Units Z = a = V = τ = n0 = 1; at E = 0 it is hu2026 Eq. (38)
    (:func:`sigma_weak`), independently of that closed form.

    Parameters
    ----------
    P0 : float
        Hopping probability of the pair.
    gamma : float
        Bias, −1 < γ < 1.
    T : float
        Temperature (K).
    E : float, optional
        Field (eV per lattice constant).
    dE : float, optional
        Step of the difference (> 0).
    field_scale : float, optional
        f per E/k_BT: 1 for the paper's factors e^{±fa/2}, 1/2 for e^{±fa/4}.

    Returns
    -------
    float
    """
    kT = _kT(T)
    dE = V.positive("dE", dE)

    def current(e):
        return numerical_group_velocity(lambda q: chain_Pk(q, P0, gamma, field_scale * e / kT), 1)

    return (current(E + dE) - current(E - dE)) / (2 * dE)


def honeycomb_conductivity_numerical(P0, gamma, T, n0=1.0, dE=1e-4):
    """Weak-field 2×2 conductivity of the honeycomb from the eigenvalues of P_k.

    Fields ±dE along x and along y; the current n0·∂ω_+/∂k (:func:`numerical_group_velocity` of
    :func:`honeycomb_Pk`) differentiated by central differences. Units Z = a = V = τ = 1; the
    numerical counterpart of hu2026 Eq. (63) (:func:`honeycomb_conductivity`).

    Parameters
    ----------
    P0, gamma : float
        Hopping probability and bias.
    T : float
        Temperature (K).
    n0 : float, optional
        Filling (ions per two-site cell).
    dE : float, optional
        Field step (eV per lattice constant, > 0).

    Returns
    -------
    numpy.ndarray, shape (2, 2)
        σ[i, j] = ∂J_i/∂E_j.
    """
    kT = _kT(T)
    dE = V.positive("dE", dE)
    s = np.zeros((2, 2))
    for b, e in enumerate(np.eye(2) * dE):
        vp, vm = (numerical_group_velocity(lambda q: honeycomb_Pk(q, P0, gamma, sg * e / kT), 2)
                  for sg in (1, -1))
        s[:, b] = n0 * (vp - vm) / (2 * dE)
    return s


def escape_probability(P, site, N):
    """Probability Σ_{j≠i} [P^N]_ji that an ion started on `site` is elsewhere after N steps.

    Uses one eigendecomposition P = V Λ V⁻¹ for all N at once (P diagonalisable).

    Parameters
    ----------
    P : array_like, shape (n, n)
        Column-stochastic transfer matrix (dense).
    site : int
        Start site i.
    N : array_like of int
        Numbers of steps.

    Returns
    -------
    numpy.ndarray
        One probability per N.
    """
    P = np.asarray(P, dtype=float)
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise ValueError(f"P must be a square matrix, got shape {P.shape}")
    site = V.integer_in("site", site, 0, P.shape[0] - 1)
    N = np.asarray(N)
    lam, vec = np.linalg.eig(P)
    return 1 - np.real((vec[site] * np.linalg.inv(vec)[:, site]) @ lam[:, None] ** N[None, :])


# ----------------------------------------------------------------------------- real space
def chain_sites(n_cells, a=1.0):
    """Positions x (shape (2N,)) and sublattice labels (0 = a, 1 = b) of a chain of N cells.

    Parameters
    ----------
    n_cells : int
        Number of two-site cells N.
    a : float, optional
        Lattice constant.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Positions x and sublattice labels.
    """
    n = V.integer_in("n_cells", n_cells, 2)
    a = V.positive("a", a)
    x = np.empty(2 * n)
    x[0::2] = a * np.arange(n)
    x[1::2] = a * np.arange(n) + 0.5 * a
    lab = np.tile([0, 1], n)
    return x, lab


def _require_stochastic(stay):
    if min(stay) < -1e-14:
        raise ValueError(
            f"P0 too large for this gamma and field: a stay probability is {min(stay):.4g} < 0, "
            "so P is not a probability matrix (need P0 (1 + |gamma|) × (field factor) <= 1)")


def chain_ring_matrix(n_cells, P0, gamma, f=0.0, a=1.0):
    """Real-space hopping matrix of a ring of N two-site cells, hu2026 Eqs. (24)/(30).

    Column-stochastic sparse matrix (CSR, shape (2N, 2N)) with P[j, i] = P_{j←i}; columns sum to 1
    (Eq. (9)). Raises ValueError if a stay probability would be negative.

    Parameters
    ----------
    n_cells : int
        Number of two-site cells N.
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape (2N, 2N).
    """
    n = V.integer_in("n_cells", n_cells, 2)
    P0, g, f, a = _P0(P0), _gamma(gamma), _field_1d(f), V.positive("a", a)
    stay = chain_stay_probabilities(P0, g, f, a)
    _require_stochastic(stay)
    ep, em = math.exp(0.5 * f * a), math.exp(-0.5 * f * a)
    ia = 2 * np.arange(n)
    ib = ia + 1
    rows, cols, vals = [], [], []

    def add(r, c, v):
        rows.append(r)
        cols.append(c)
        vals.append(np.full(n, v))

    add(ia, ia, stay[0])
    add(ib, ib, stay[1])
    add(ib, ia, 0.5 * P0 * (1 - g) * ep)                     # (i,a) -> (i,b), +a/2
    add((ib - 2) % (2 * n), ia, 0.5 * P0 * (1 - g) * em)     # (i,a) -> (i-1,b), -a/2
    add(ia, ib, 0.5 * P0 * (1 + g) * em)                     # (i,b) -> (i,a), -a/2
    add((ia + 2) % (2 * n), ib, 0.5 * P0 * (1 + g) * ep)     # (i,b) -> (i+1,a), +a/2
    P = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(2 * n, 2 * n))
    return P.tocsr()


def _honeycomb_torus(L):
    """The one honeycomb lattice of the package, :func:`ionmotion.latticegas.honeycomb` (its
    site order, cells and neighbour table), for the master equation."""
    return honeycomb(V.integer_in("L", L, 2))


def honeycomb_sites(L, a=1.0):
    """Positions (shape (2L², 2)), sublattice labels and cell indices (m, n) of an L×L honeycomb
    torus: the lattice of :func:`ionmotion.latticegas.honeycomb` seen through the inversion
    r → −r (see the module's Geometry notes). Site 2 (m L + n) is the a site of cell (m, n), +1 its
    b site, at −a_1 from it; the b neighbours of an a site sit at −a_j.

    Parameters
    ----------
    L : int
        Cells per side of the torus.
    a : float, optional
        Lattice constant.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Positions, sublattice labels and cell indices.
    """
    lat = _honeycomb_torus(L)
    a = V.positive("a", a)
    pos = -a * lat.pos
    lab = lat.sub.astype(int)
    c = np.arange(lat.n_sites) // 2
    cells = np.stack([c // lat.shape[1], c % lat.shape[1]], axis=-1)
    return pos, lab, cells


def honeycomb_torus_matrix(L, P0, gamma, f=(0.0, 0.0), a=1.0):
    """Real-space hopping matrix of an L×L periodic honeycomb patch (hu2026 App. A, Fig. 5(b,c)).

    Each a site hops to its three b neighbours at −a_j with probability P0(1−γ)/3 · e^{−f·a_j},
    each b site to its three a neighbours at +a_j with P0(1+γ)/3 · e^{f·a_j}; the rest stays.
    The neighbour table is that of :func:`ionmotion.latticegas.honeycomb` (neighbour k of an
    a site is along −a_k here, the inversion of its +a_k). Column-stochastic CSR matrix of shape
    (2L², 2L²).

    Parameters
    ----------
    L : int
        Cells per side of the torus.
    P0 : float
        Total hopping probability of a pair of sites per step, 0 ≤ P0 ≤ 1.
    gamma : float
        Bias of the staggered landscape, −1 < γ < 1.
    f : float or array_like, optional
        Field parameter f = ZE/k_BT (1/a; a 2-vector on the honeycomb).
    a : float, optional
        Lattice constant.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape (2L², 2L²).
    """
    lat = _honeycomb_torus(L)
    P0, g, f = _P0(P0), _gamma(gamma), _field_2d(f)
    a = V.positive("a", a)
    d = honeycomb_bond_vectors(a)
    wa = P0 * (1 - g) / 3 * np.exp(-(d @ f))   # a -> b along -a_j
    wb = P0 * (1 + g) / 3 * np.exp(d @ f)      # b -> a along +a_j
    stay = (1 - wa.sum(), 1 - wb.sum())
    _require_stochastic(stay)
    ia = np.flatnonzero(lat.sub == 0)
    ib = np.flatnonzero(lat.sub == 1)
    rows, cols = [ia, ib], [ia, ib]
    vals = [np.full(ia.size, stay[0]), np.full(ib.size, stay[1])]
    for j in range(3):
        nb = lat.nbr[ia, j]                # the b neighbour of each a site along bond j
        rows += [nb, ia]
        cols += [ia, nb]
        vals += [np.full(ia.size, wa[j]), np.full(ia.size, wb[j])]
    n = lat.n_sites
    P = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n, n))
    return P.tocsr()


def propagate(P, n_init, steps, every=1):
    """Master equation n(t + τ) = P n(t), hu2026 Eq. (8); returns the densities every `every` steps.

    Output shape (steps // every + 1, n_sites); row 0 is n_init.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n_sites, n_sites)
        Column-stochastic hopping matrix.
    n_init : array_like, shape (n_sites,)
        Initial site densities.
    steps : int
        Number of steps.
    every : int, optional
        Keep every `every`-th step.

    Returns
    -------
    numpy.ndarray
        Shape (steps // every + 1, n_sites); row 0 is n_init.
    """
    steps = V.integer_in("steps", steps, 0)
    every = V.integer_in("every", every, 1)
    n = V.finite_array("n_init", n_init).astype(float).copy()
    if n.ndim != 1 or n.size != P.shape[1]:
        raise ValueError(f"n_init must have shape ({P.shape[1]},), got {n.shape}")
    out = [n.copy()]
    for s in range(1, steps + 1):
        n = P @ n
        if s % every == 0:
            out.append(n.copy())
    return np.array(out)


def mean_displacement_per_step(P, positions, n, box=None):
    """Expected displacement per step Σ_i n_i Σ_j P_ji (r_j − r_i) / Σ_i n_i (plain NumPy).

    ``box``: for a torus, a callable mapping raw displacements to minimum-image displacements.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n_sites, n_sites)
        Column-stochastic hopping matrix.
    positions : array_like, shape (n_sites, d)
        Site positions.
    n : array_like, shape (n_sites,)
        Site densities.
    box : callable, optional
        Maps raw displacements to minimum images (torus).

    Returns
    -------
    numpy.ndarray
        Mean displacement per step, shape (d,).
    """
    P = sp.coo_matrix(P)
    pos = np.asarray(positions, dtype=float)
    d = pos[P.row] - pos[P.col]
    if box is not None:
        d = box(d)
    w = P.data * np.asarray(n, dtype=float)[P.col]
    if pos.ndim == 1:
        return float((w * d).sum() / np.sum(n))
    return (w[:, None] * d).sum(0) / np.sum(n)
