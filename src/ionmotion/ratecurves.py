"""Shapes of measured rate curves: whether ln D is straight in 1/kT (Arrhenius), and where a
curve such as D against the framework's stiffness peaks.

Both fits are weighted least squares of a quadratic with the covariance scaled by the reduced χ²
when the points scatter more than their error bars allow (as :func:`ionmotion.diffusion.
arrhenius_fit` does for the straight line), and Student-t intervals.
"""
import numpy as np
from scipy import stats

from ._validate import finite_array


def _quadratic(x, y, sig, confidence):
    X = np.stack([np.ones_like(x), x, x * x], 1)
    Wt = 1.0 / sig ** 2
    A = X.T @ (X * Wt[:, None])
    cov = np.linalg.inv(A)
    c = cov @ (X.T @ (Wt * y))
    dof = len(x) - 3
    r = (y - X @ c) / sig
    chi2 = float(r @ r / dof) if dof > 0 else float("nan")
    if dof > 0 and chi2 > 1.0:
        cov = cov * chi2
    tq = stats.t.ppf(0.5 + confidence / 2, dof) if dof > 0 else np.inf
    return c, cov, chi2, tq


def _inputs(x, y, err, xname, yname):
    x = finite_array(xname, x).ravel()
    y = finite_array(yname, y).ravel()
    err = finite_array(f"{yname}_err", err).ravel()
    if not (len(x) == len(y) == len(err)):
        raise ValueError(f"{xname}, {yname} and {yname}_err must have the same length")
    if len(np.unique(x)) < 4:
        raise ValueError(f"{xname}: a quadratic with a test of its curvature needs at least four "
                         f"distinct points, got {len(np.unique(x))}")
    if np.any(y <= 0) or np.any(err <= 0):
        raise ValueError(f"{yname} and {yname}_err must be > 0 (the fit is of ln {yname})")
    return x, y, err


def curvature_fit(kT, D, D_err, confidence=0.95):
    """ln D = c0 + c1/kT + c2/kT²: is the Arrhenius plot curved?

    Parameters
    ----------
    kT : array_like
        Temperatures (meV), at least four distinct.
    D, D_err : array_like
        Diffusion coefficients and their errors (> 0).
    confidence : float, optional
        Of the intervals.

    Returns
    -------
    dict
        ``c2`` (meV²) with ``c2_ci``; ``curved`` (the interval of c2 excludes 0); the local
        activation energy E(kT) = −d ln D/d(1/kT) = −(c1 + 2c2/kT) at the coldest and hottest
        points, ``E_cold``, ``E_hot`` (meV) with intervals ``E_cold_ci``, ``E_hot_ci``; ``chi2_red``.
    """
    kT, D, D_err = _inputs(kT, D, D_err, "kT", "D")
    if np.any(kT <= 0):
        raise ValueError("kT must be > 0")
    x = 1.0 / kT
    c, cov, chi2, tq = _quadratic(x, np.log(D), D_err / D, confidence)
    out = {"c2": c[2], "c2_ci": (c[2] - tq * np.sqrt(cov[2, 2]), c[2] + tq * np.sqrt(cov[2, 2])),
           "chi2_red": chi2, "confidence": confidence}
    out["curved"] = bool(out["c2_ci"][0] > 0 or out["c2_ci"][1] < 0)
    for name, xx in (("E_cold", x.max()), ("E_hot", x.min())):
        g = np.array([0.0, -1.0, -2.0 * xx])
        e, s = float(g @ c), float(np.sqrt(g @ cov @ g))
        out[name], out[name + "_ci"] = e, (e - tq * s, e + tq * s)
    return out


def peak_fit(s, D, D_err, confidence=0.95):
    """Where does D(s) peak? A quadratic in ln s fitted to ln D.

    Parameters
    ----------
    s : array_like
        The control parameter (> 0, e.g. the stiffness factor), at least four distinct values.
    D, D_err : array_like
        The curve and its errors (> 0).

    Returns
    -------
    dict
        ``peak`` (True when the fitted parabola opens downwards with its curvature's interval
        below 0 and its vertex inside the sampled range), ``s_peak`` and ``s_peak_ci`` (delta
        method on the vertex −c1/2c2 in ln s, NaN without a peak), ``D_peak``, ``c2``, ``c2_ci``,
        ``chi2_red``.
    """
    s, D, D_err = _inputs(s, D, D_err, "s", "D")
    if np.any(s <= 0):
        raise ValueError("s must be > 0 (the fit is in ln s)")
    x = np.log(s)
    c, cov, chi2, tq = _quadratic(x, np.log(D), D_err / D, confidence)
    c2e = tq * np.sqrt(cov[2, 2])
    out = {"c2": c[2], "c2_ci": (c[2] - c2e, c[2] + c2e), "chi2_red": chi2,
           "confidence": confidence}
    xv = -c[1] / (2 * c[2]) if c[2] != 0 else np.nan
    inside = bool(np.isfinite(xv) and x.min() < xv < x.max())
    out["peak"] = bool(c[2] + c2e < 0 and inside)
    if out["peak"]:
        g = np.array([0.0, -1.0 / (2 * c[2]), c[1] / (2 * c[2] ** 2)])
        se = float(np.sqrt(g @ cov @ g))
        out["s_peak"], out["s_peak_ci"] = np.exp(xv), (np.exp(xv - tq * se), np.exp(xv + tq * se))
        out["D_peak"] = float(np.exp(c[0] + c[1] * xv + c[2] * xv * xv))
    else:
        out["s_peak"], out["s_peak_ci"], out["D_peak"] = np.nan, (np.nan, np.nan), np.nan
    return out
