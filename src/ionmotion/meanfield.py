"""Self-consistent mean fields of hu2026 Sec. IV: type-II (polarization) and type-I (concerted
hopping) superionic transitions of the two-site hopping lattice.

Units: T in K, energies (Λ0, K0, M0) in eV, k_B = 8.617333262e-5 eV/K (``units.KB_EV``); the
filling n0 is the number of mobile ions per two-site cell, 0 < n0 ≤ 2.

Equations
---------
- polarization mean field, hu2026 Eq. (50): γ = tanh(γ n0 K0 / (2 k_B T)),
  critical temperature Eq. (51): T_p = n0 K0 / (2 k_B);
- combined self-consistency for the average hopping probability, Eq. (55):
  P0 = A exp(B P0), A = exp(−(Λ0 + n0K0/2)/k_BT) cosh(n0K0γ/(2k_BT)),
  B = n0 M0 (1 − γ²) / (4 k_B T);
- concerted hopping alone, Eq. (54): the same with A = exp(−Λ0/k_BT) (no Coulomb shift, no cosh);
  γ is still taken from Eq. (50) with the given K0 (pass K0 = 0 for γ = 0).

Both P0 equations are x = A e^{Bx}. Writing −Bx e^{−Bx} = −AB gives the closed form
x = −W_0(−AB)/B (principal Lambert-W branch) for the root continuous from low temperature
(where A → 0, x → A). It exists iff e·A·B ≤ 1; at e·A·B = 1 it merges with the second root
−W_{−1}(−AB)/B (a fold, x = 1/B) and beyond that there is no solution: the type-I transition.
Consequence (used by the tests and the chapter): since cosh(y)(1 − tanh² y) = 1/cosh y,
e·A·B ≤ e (n0M0/4) β exp(−(Λ0 + n0K0/2) β) ≤ n0 M0 / (4Λ0 + 2 n0 K0) for Eq. (55),
so a type-I transition exists iff n0 M0 > 4 Λ0 + 2 n0 K0 (for Eq. (54): iff the fold condition is
met; with γ = 0, iff n0 M0 > 4 Λ0).
"""
import functools
import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import lambertw

from . import _validate as V
from .units import KB_EV

__all__ = [
    "KB_EV", "type2_temperature", "polarization", "hopping_probability", "fold_function",
    "type1_temperature", "type1_temperature_gamma0", "type1_exists", "coexistence_window", "conductivity",
    "barrier_shifts", "max_polarization", "T_MAX", "self_consistency_coefficients",
    "apparent_activation_energy", "fold_maximum", "kink_temperature", "type1_sensitivity",
    "hopping_probability_slope", "arrhenius_energy",
]

T_MAX = 20000.0
"""Upper end (K) of the temperature range searched by :func:`type1_temperature`."""

_TANGENT_TOL = 1e-12


# ----------------------------------------------------------------------------- validation
def _n0(n0):
    v = V.positive("n0", n0)
    if v > 2:
        raise ValueError(f"n0 must be in (0, 2] (at most one ion on each of the two sites), "
                         f"got {n0!r}")
    return v


def _T(T):
    arr = np.asarray(T, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"T must be finite and > 0 K, got {T!r}")
    return arr


def _equation(equation):
    eq = str(equation)
    return V.choice("equation", eq, {"54", "55"})


def _scalar_or_array(x, like):
    return float(x) if np.ndim(like) == 0 else x


# ----------------------------------------------------------------------------- type II
def type2_temperature(n0, K0):
    """Type-II (polarization) transition temperature T_p = n0 K0 / (2 k_B), hu2026 Eq. (51). K.

    Parameters
    ----------
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).

    Returns
    -------
    float
        T_p (K).
    """
    return _n0(n0) * V.nonnegative("K0", K0) / (2 * KB_EV)


def max_polarization(n0):
    """Largest |γ| without double occupation, |γ| < 2/n0 − 1 (hu2026 text after Eq. (47)).

    Parameters
    ----------
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.

    Returns
    -------
    float
        The bound on |γ| (at most 1).
    """
    return min(1.0, 2.0 / _n0(n0) - 1.0)


def _solve_tanh(t):
    """γ ≥ 0 solving γ = tanh(t γ) for an array t (= T_p/T); γ = 0 for t ≤ 1 (bisection)."""
    t = np.asarray(t, dtype=float)
    g = np.zeros_like(t)
    m = t > 1
    if np.any(m):
        tt = t[m]
        lo = np.zeros_like(tt)
        hi = np.ones_like(tt)
        for _ in range(80):  # g(γ) = γ − tanh(tγ) < 0 on (0, γ*), > 0 on (γ*, 1]
            mid = 0.5 * (lo + hi)
            neg = mid - np.tanh(tt * mid) < 0
            lo = np.where(neg, mid, lo)
            hi = np.where(neg, hi, mid)
        g[m] = 0.5 * (lo + hi)
    return g


def polarization(T, n0, K0):
    """Ionic polarization γ ≥ 0 solving hu2026 Eq. (50), γ = tanh(γ n0 K0 / (2 k_B T)).

    γ > 0 below T_p (the mirror solution −γ also exists), γ = 0 at and above T_p. Vectorised in T.
    Note: for n0 > 1 a physical solution also needs |γ| < 2/n0 − 1 (``max_polarization``); Eq. (50)
    does not impose it and this function returns the Eq. (50) root.

    Parameters
    ----------
    T : float or array_like
        Temperature (K, > 0); vectorised.
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).

    Returns
    -------
    float or numpy.ndarray
        γ ≥ 0, like `T`.
    """
    T = _T(T)
    Tp = type2_temperature(n0, K0)
    g = _solve_tanh(Tp / T)
    return _scalar_or_array(g, T)


# ----------------------------------------------------------------------------- type I
def _logcosh(y):
    y = np.abs(y)
    return y + np.log1p(np.exp(-2 * y)) - math.log(2.0)


def _AB(T, Lambda0, n0, K0, M0, equation):
    """log A and B of x = A exp(B x) for Eq. (54) or (55), with γ(T) from Eq. (50)."""
    beta = 1.0 / (KB_EV * T)
    g = _solve_tanh(type2_temperature(n0, K0) / T)
    if equation == "55":
        logA = -(Lambda0 + 0.5 * n0 * K0) * beta + _logcosh(0.5 * n0 * K0 * g * beta)
    else:
        logA = -Lambda0 * beta
    B = n0 * M0 * (1 - g * g) * beta / 4
    return logA, B, g


def self_consistency_coefficients(T, Lambda0, n0, K0, M0, equation="55"):
    """(A, B, γ) of P0 = A exp(B P0) for Eq. (55) or Eq. (54) at temperatures T (arrays).

    A is the M0-free hopping probability (Eq. (49) for "55", exp(−Λ0/k_BT) for "54"),
    B = n0 M0 (1 − γ²)/(4 k_B T) in 1/(unit P0), γ the Eq. (50) polarization. Both roots of the
    self-consistency are −W_0(−AB)/B (physical) and −W_{−1}(−AB)/B (second root).

    Parameters
    ----------
    T : float or array_like
        Temperature (K, > 0); vectorised.
    Lambda0 : float
        Bare hopping barrier Λ0 (eV, > 0).
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).
    M0 : float
        Concerted-hopping coupling (eV, ≥ 0).
    equation : {"55", "54"}, optional
        The P0 self-consistency: hu2026 Eq. (55) or Eq. (54).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        A, B and γ at each T.
    """
    T = _T(T)
    Lambda0, n0, K0, M0 = _check_params(Lambda0, n0, K0, M0)
    logA, B, g = _AB(T, Lambda0, n0, K0, M0, _equation(equation))
    return np.exp(logA), B, g


def _check_params(Lambda0, n0, K0, M0):
    return V.positive("Lambda0", Lambda0), _n0(n0), V.nonnegative("K0", K0), \
        V.nonnegative("M0", M0)


def fold_function(T, Lambda0, n0, K0, M0, equation="55"):
    """F(T) = e·A(T)·B(T): the physical root of Eq. (54)/(55) exists iff F ≤ 1 (fold at F = 1).

    Parameters
    ----------
    T : float or array_like
        Temperature (K, > 0); vectorised.
    Lambda0 : float
        Bare hopping barrier Λ0 (eV, > 0).
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).
    M0 : float
        Concerted-hopping coupling (eV, ≥ 0).
    equation : {"55", "54"}, optional
        The P0 self-consistency: hu2026 Eq. (55) or Eq. (54).

    Returns
    -------
    float or numpy.ndarray
        e·A·B, like `T` (0 where B = 0).
    """
    T = _T(T)
    Lambda0, n0, K0, M0 = _check_params(Lambda0, n0, K0, M0)
    logA, B, _ = _AB(T, Lambda0, n0, K0, M0, _equation(equation))
    with np.errstate(divide="ignore"):
        F = np.where(B > 0, np.exp(logA + np.log(np.where(B > 0, B, 1.0)) + 1.0), 0.0)
    return _scalar_or_array(F, T)


@functools.lru_cache(maxsize=4096)
def _type1_cached(Lambda0, n0, K0, M0, equation, T_max):
    if M0 == 0:
        return math.nan
    if equation == "55" and not n0 * M0 > 4 * Lambda0 + 2 * n0 * K0:
        return math.nan  # analytic bound: e·A·B <= n0 M0 / (4 Λ0 + 2 n0 K0) <= 1 everywhere
    return _scan_fold(Lambda0, n0, K0, M0, equation, T_max)


def _scan_fold(Lambda0, n0, K0, M0, equation, T_max):
    """First T (K) from low T with e·A·B > 1 by a grid scan + refinement; nan if none."""
    Ts = np.geomspace(1.0, T_max, 3001)
    F = fold_function(Ts, Lambda0, n0, K0, M0, equation)
    over = np.nonzero(F > 1 + _TANGENT_TOL)[0]
    # look for near-tangent maxima that the grid could step over, before the first crossing
    stop = over[0] if over.size else F.size
    inner = np.nonzero((F[1:stop - 1] >= F[:stop - 2]) & (F[1:stop - 1] >= F[2:stop])
                       & (F[1:stop - 1] > 0.9))[0] + 1 if stop > 2 else np.array([], int)
    for i in inner:
        res = minimize_scalar(lambda lt: -fold_function(math.exp(lt), Lambda0, n0, K0, M0,
                                                        equation),
                              bounds=(math.log(Ts[i - 1]), math.log(Ts[i + 1])),
                              method="bounded", options={"xatol": 1e-12})
        if -res.fun > 1 + _TANGENT_TOL:
            lo, hi = math.log(Ts[i - 1]), res.x
            return math.exp(brentq(lambda lt: fold_function(math.exp(lt), Lambda0, n0, K0, M0,
                                                            equation) - 1.0, lo, hi,
                                   xtol=1e-14, rtol=1e-14))
    if not over.size:
        return math.nan
    i = over[0]
    if i == 0:
        return float(Ts[0])
    return math.exp(brentq(lambda lt: fold_function(math.exp(lt), Lambda0, n0, K0, M0,
                                                    equation) - 1.0,
                           math.log(Ts[i - 1]), math.log(Ts[i]), xtol=1e-14, rtol=1e-14))


def type1_temperature(Lambda0, n0, K0, M0, equation="55", T_max=T_MAX):
    """Type-I transition temperature (K): where the physical branch of Eq. (55) (or Eq. (54))
    ceases to exist, i.e. the lowest T at which e·A·B first exceeds 1 (the fold).

    Returns nan if the branch exists at all temperatures up to ``T_max`` (20,000 K). A maximum of
    e·A·B equal to 1 within 1e-12 (an exact tangency, as for the hu2026 Fig. 4(e)(f) parameters
    with Eq. (55), where n0 M0 = 4Λ0 + 2 n0 K0 exactly) counts as existing: the two roots touch
    and separate again, so the low-temperature branch does not end there.
    Method: e·A·B on 6001 log-spaced temperatures from 1 K to T_max, local maxima refined with a
    bounded scalar search, the crossing refined with brentq.

    Parameters
    ----------
    Lambda0 : float
        Bare hopping barrier Λ0 (eV, > 0).
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).
    M0 : float
        Concerted-hopping coupling (eV, ≥ 0).
    equation : {"55", "54"}, optional
        The P0 self-consistency: hu2026 Eq. (55) or Eq. (54).
    T_max : float, optional
        Upper end of the search (K).

    Returns
    -------
    float
        T_I (K), or nan without a fold.
    """
    Lambda0, n0, K0, M0 = _check_params(Lambda0, n0, K0, M0)
    T_max = V.positive("T_max", T_max)
    return _type1_cached(Lambda0, n0, K0, M0, _equation(equation), T_max)


def type1_exists(Lambda0, n0, K0, M0):
    """Analytic criterion for Eq. (55): a fold (type-I transition) exists at some T iff
    n0 M0 > 4 Λ0 + 2 n0 K0 (see module docstring).

    Parameters
    ----------
    Lambda0 : float
        Bare hopping barrier Λ0 (eV, > 0).
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).
    M0 : float
        Concerted-hopping coupling (eV, ≥ 0).

    Returns
    -------
    bool
    """
    Lambda0, n0, K0, M0 = _check_params(Lambda0, n0, K0, M0)
    return n0 * M0 > 4 * Lambda0 + 2 * n0 * K0


def coexistence_window(Lambda0, n0, K0):
    """(M0_min, M0_max) in eV for Eq. (55) (closed forms derived in the superionic chapter).

    A type-I fold exists iff M0 > M0_min = (4Λ0 + 2 n0 K0)/n0. It lies above T_p (both
    transitions occur, type-II first) iff M0 < M0_max = 2 K0 exp(2Λ0/(n0 K0)): at T_p, γ = 0 and
    e·A·B = (M0/(2K0)) exp(−2Λ0/(n0K0)), which reaches 1 at M0_max; for M0 ≥ M0_max the fold
    comes at or below T_p and pre-empts the type-II transition. M0_max = 0 when K0 = 0.
    The window is never empty for K0 > 0: M0_max ≥ M0_min because e^x ≥ 1 + x, x = 2Λ0/(n0K0).

    Parameters
    ----------
    Lambda0 : float
        Bare hopping barrier Λ0 (eV, > 0).
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).

    Returns
    -------
    (float, float)
        M0_min and M0_max (eV).
    """
    Lambda0, n0, K0, _ = _check_params(Lambda0, n0, K0, 0.0)
    m_min = (4 * Lambda0 + 2 * n0 * K0) / n0
    m_max = 2 * K0 * math.exp(2 * Lambda0 / (n0 * K0)) if K0 > 0 else 0.0
    return m_min, m_max


def type1_temperature_gamma0(Lambda0, n0, K0, M0, equation="55"):
    """Closed-form fold temperature when γ = 0 at the fold (K).

    With γ = 0, e·A·B = e (n0M0/4) β e^{−Eβ}, E = Λ0 + n0K0/2 (Eq. (55)) or E = Λ0 (Eq. (54)).
    The first crossing of 1 from low T is k_B T_I = −E / W_{−1}(−4E/(e n0 M0)).
    Valid for Eq. (55) whenever the result is ≥ T_p; nan if n0 M0 ≤ 4E.

    Parameters
    ----------
    Lambda0 : float
        Bare hopping barrier Λ0 (eV, > 0).
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).
    M0 : float
        Concerted-hopping coupling (eV, ≥ 0).
    equation : {"55", "54"}, optional
        The P0 self-consistency: hu2026 Eq. (55) or Eq. (54).

    Returns
    -------
    float
        T_I (K), or nan.
    """
    Lambda0, n0, K0, M0 = _check_params(Lambda0, n0, K0, M0)
    E = Lambda0 + 0.5 * n0 * K0 if _equation(equation) == "55" else Lambda0
    z = -4 * E / (math.e * n0 * M0) if M0 > 0 else -math.inf
    if not z > -1 / math.e:
        return math.nan
    w = lambertw(z, -1).real
    return -E / w / KB_EV


def hopping_probability(T, Lambda0, n0, K0, M0, equation="55"):
    """Average hopping probability P0 on the physical branch of hu2026 Eq. (55) (or Eq. (54)).

    The physical branch is the root of P0 = A exp(B P0) continuous from low temperature,
    P0 = −W_0(−AB)/B (P0 = A when M0 = 0, i.e. Eq. (49)). Returns nan at and above the type-I
    temperature (:func:`type1_temperature`), where that branch no longer exists — also where
    roots reappear at higher T, since they are not connected to the low-T branch.
    γ is the Eq. (50) polarization at T with the given K0 (for both equations).
    Vectorised in T. P0 ≤ 1 is not enforced; the chapter discusses where P0 approaches 1.

    Parameters
    ----------
    T : float or array_like
        Temperature (K, > 0); vectorised.
    Lambda0 : float
        Bare hopping barrier Λ0 (eV, > 0).
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).
    M0 : float
        Concerted-hopping coupling (eV, ≥ 0).
    equation : {"55", "54"}, optional
        The P0 self-consistency: hu2026 Eq. (55) or Eq. (54).

    Returns
    -------
    float or numpy.ndarray
        P0, like `T` (nan beyond the fold).
    """
    T = _T(T)
    Lambda0, n0, K0, M0 = _check_params(Lambda0, n0, K0, M0)
    equation = _equation(equation)
    logA, B, _ = _AB(T, Lambda0, n0, K0, M0, equation)
    A = np.exp(logA)
    z = A * B
    with np.errstate(invalid="ignore", divide="ignore"):
        w = lambertw(-np.minimum(z, 1 / math.e), 0).real
        P = np.where(B > 0, -w / np.where(B > 0, B, 1.0), A)
    T_I = type1_temperature(Lambda0, n0, K0, M0, equation)
    if math.isfinite(T_I):
        P = np.where(T >= T_I, np.nan, P)
    P = np.where(math.e * z > 1 + _TANGENT_TOL, np.nan, P)
    return _scalar_or_array(P, T)


def barrier_shifts(T, n0, K0, M0, P0):
    """Mean-field barrier shifts (ΔE_ba, ΔE_ab) in eV (n0 ≤ 1, so the K∞ term vanishes).

    Coulomb part, hu2026 Eqs. (45)-(46): K0 n0 (1 ± γ)/2 (repulsive, > 0);
    concerted-hopping part, Eq. (53): −M0 n0 P0 (1 − γ²)/4 (attractive, < 0).
    Returns a dict with keys "coulomb_ba", "coulomb_ab", "concerted".

    Parameters
    ----------
    T : float or array_like
        Temperature (K, > 0); vectorised.
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).
    M0 : float
        Concerted-hopping coupling (eV, ≥ 0).
    P0 : float or array_like
        Average hopping probability at T.

    Returns
    -------
    dict
        coulomb_ba, coulomb_ab, concerted (eV).
    """
    g = np.asarray(polarization(T, n0, K0))
    n0 = _n0(n0)
    K0, M0 = V.nonnegative("K0", K0), V.nonnegative("M0", M0)
    return {"coulomb_ba": K0 * n0 * (1 + g) / 2, "coulomb_ab": K0 * n0 * (1 - g) / 2,
            "concerted": -M0 * n0 * np.asarray(P0) * (1 - g * g) / 4}


def conductivity(T, Lambda0, n0, K0, M0, equation="55", lattice="chain"):
    """Weak-field conductivity against temperature, in units of σ_u = Z² a² / (V τ · 1 eV).

    chain (hu2026 Eq. (38)): σ/σ_u = n0 (1 − γ²) P0 / (4 k_B T);
    honeycomb (Eq. (63), σ_xx = σ_yy): σ/σ_u = n0 (1 − γ²) P0 / (6 k_B T);
    k_B T in eV, γ from Eq. (50), P0 from :func:`hopping_probability` (nan beyond the type-I fold).

    Parameters
    ----------
    T : float or array_like
        Temperature (K, > 0); vectorised.
    Lambda0 : float
        Bare hopping barrier Λ0 (eV, > 0).
    n0 : float
        Mobile ions per two-site cell, 0 < n0 ≤ 2.
    K0 : float
        Coulomb coupling (eV, ≥ 0).
    M0 : float
        Concerted-hopping coupling (eV, ≥ 0).
    equation : {"55", "54"}, optional
        The P0 self-consistency: hu2026 Eq. (55) or Eq. (54).
    lattice : {"chain", "honeycomb"}, optional
        Eq. (38) or Eq. (63).

    Returns
    -------
    float or numpy.ndarray
        σ/σ_u, like `T`.
    """
    T = _T(T)
    V.choice("lattice", lattice, {"chain", "honeycomb"})
    g = np.asarray(polarization(T, n0, K0))
    P = np.asarray(hopping_probability(T, Lambda0, n0, K0, M0, equation))
    c = 4.0 if lattice == "chain" else 6.0
    s = _n0(n0) * (1 - g * g) * P / (c * KB_EV * T)
    return _scalar_or_array(s, T)


# ----------------------------------------------------------------------------- derived quantities
def apparent_activation_energy(T, Lambda0, n0, K0, M0, equation="55", h=1e-6):
    """Apparent activation energy E_a = −d ln(σT)/d(1/k_BT) of :func:`conductivity` (eV).

    A central difference in T with relative step `h`, taken in the variable 1/k_BT, so that an
    Arrhenius law σT ∝ exp(−E/k_BT) gives E exactly (up to rounding).

    Parameters
    ----------
    T : float or array_like
        Temperature (K, > 0).
    Lambda0, n0, K0, M0 : float
        Model parameters (eV; n0 the filling), as in :func:`conductivity`.
    equation : {"55", "54"}, optional
        The self-consistency for P0.
    h : float, optional
        Relative step in T (> 0, < 1).

    Returns
    -------
    float or numpy.ndarray
        E_a (eV) at each T.

    Raises
    ------
    ValueError
        If `h` is not in (0, 1), or for parameters :func:`conductivity` refuses.
    """
    h = V.positive("h", h)
    if h >= 1:
        raise ValueError(f"h must be in (0, 1), got {h!r}")
    T = _T(T)

    def ln_sigma_T(x):
        return np.log(conductivity(x, Lambda0, n0, K0, M0, equation) * x)

    up, dn = T * (1 + h), T * (1 - h)
    return -(ln_sigma_T(up) - ln_sigma_T(dn)) / (1 / (KB_EV * up) - 1 / (KB_EV * dn))


def fold_maximum(Lambda0, n0, K0, M0, equation="55", t_range=(0.1, 20.0), n=200001):
    """Largest e·A·B (:func:`fold_function`) over a logarithmic temperature grid, by brute force.

    A value above 1 means the P0 self-consistency loses its low-temperature root somewhere: a
    type-I transition (the independent check of the closed criterion of :func:`type1_exists`).

    Parameters
    ----------
    Lambda0, n0, K0, M0 : float
        Model parameters (eV).
    equation : {"55", "54"}, optional
    t_range : (float, float), optional
        The grid's ends in units of T_p (:func:`type2_temperature`).
    n : int, optional
        Grid points (>= 2).

    Returns
    -------
    (float, float)
        The maximum and the T/T_p where it is reached.
    """
    n = V.integer_in("n", n, 2)
    lo, hi = (V.positive("t_range", x) for x in t_range)
    if not hi > lo:
        raise ValueError(f"t_range must be increasing, got {t_range!r}")
    Tp = type2_temperature(n0, K0)
    Ts = np.geomspace(lo, hi, n) * Tp
    F = fold_function(Ts, Lambda0, n0, K0, M0, equation)
    return float(F.max()), float(Ts[np.argmax(F)] / Tp)


def kink_temperature(Lambda0, n0, K0, M0, t_range=(0.5, 1.5), n=4001):
    """T/T_p of the largest drop of the Arrhenius slope of :func:`conductivity` on a grid.

    The slope −Δln(σT)/Δ(1/k_BT) is taken on each interval of a linear grid over `t_range`
    (units of T_p); the kink is where it falls most from one interval to the next (the type-II
    transition puts it at T_p).

    Parameters
    ----------
    Lambda0, n0, K0, M0 : float
        Model parameters (eV).
    t_range : (float, float), optional
    n : int, optional
        Grid points (>= 4).

    Returns
    -------
    float
    """
    n = V.integer_in("n", n, 4)
    Tp = type2_temperature(n0, K0)
    Tg = np.linspace(t_range[0], t_range[1], n) * Tp
    s = np.log(conductivity(Tg, Lambda0, n0, K0, M0) * Tg)
    Ea = -np.diff(s) / np.diff(1 / (KB_EV * Tg))
    j = int(np.nanargmax(Ea[:-1] - Ea[1:]))
    return float(Tg[j + 1] / Tp)


def type1_sensitivity(name, Lambda0, n0, K0, M0, h=1e-5):
    """Logarithmic derivative d ln T_I / d ln p of :func:`type1_temperature` for one parameter.

    Parameters
    ----------
    name : {"Lambda0", "n0", "K0", "M0"}
        The parameter p.
    Lambda0, n0, K0, M0 : float
        Where the derivative is taken (a type-I transition must exist there).
    h : float, optional
        Relative step (central difference).

    Returns
    -------
    float
    """
    V.choice("name", name, {"Lambda0", "n0", "K0", "M0"})
    h = V.positive("h", h)
    base = dict(Lambda0=Lambda0, n0=n0, K0=K0, M0=M0)
    up, dn = dict(base), dict(base)
    up[name] *= 1 + h
    dn[name] *= 1 - h
    return (math.log(type1_temperature(**up)) - math.log(type1_temperature(**dn))) / (2 * h)


def hopping_probability_slope(T, Lambda0, n0, K0, M0, equation="55", h=1e-6):
    """dP0/dT of :func:`hopping_probability` by a backward difference, (P0(T) − P0(T(1−h)))/(Th).

    Backward, so that it stays on the low-temperature side of a fold at T_I (where P0 ends with
    an infinite slope) when T approaches T_I from below.

    Parameters
    ----------
    T : float
        Temperature (K).
    Lambda0, n0, K0, M0 : float
        Model parameters (eV).
    equation : {"55", "54"}, optional
    h : float, optional
        Relative step, 0 < h < 1.

    Returns
    -------
    float
    """
    h = V.positive("h", h)
    if h >= 1:
        raise ValueError(f"h must be in (0, 1), got {h!r}")
    T = float(_T(T))
    f = functools.partial(hopping_probability, Lambda0=Lambda0, n0=n0, K0=K0, M0=M0,
                          equation=equation)
    return (f(T) - f(T * (1 - h))) / (T * h)


def arrhenius_energy(T, sigma):
    """Activation energy of an Arrhenius law σT ∝ exp(−E/k_BT) fitted by least squares.

    Parameters
    ----------
    T : array_like
        Temperatures (K), at least two.
    sigma : array_like
        Conductivities (> 0) at those temperatures.

    Returns
    -------
    float
        E (eV): minus the slope of ln(σT) against 1/k_BT.
    """
    T = _T(T)
    sigma = np.asarray(sigma, dtype=float)
    if T.ndim != 1 or T.size < 2 or sigma.shape != T.shape:
        raise ValueError(f"T and sigma must be 1-d of the same length >= 2, got {T.shape} and "
                         f"{sigma.shape}")
    if np.any(~(sigma > 0)):
        raise ValueError("sigma must be > 0 everywhere for a logarithm")
    return -np.polyfit(1 / (KB_EV * T), np.log(sigma * T), 1)[0]
