"""Observables of a particle trajectory that several chapters compare between methods."""
import numpy as np

from ._validate import finite_array, positive


def window_max(t, x, width):
    """Envelope of an oscillating signal: max |x| over consecutive windows of length `width`.

    Parameters
    ----------
    t : array_like, shape (n,)
        Increasing times.
    x : array_like, shape (n,)
        The signal (e.g. the particle's velocity).
    width : float
        Window length, in the units of `t`; at least one sample per window is required.

    Returns
    -------
    centres, envelope : ndarray
        Window centres and the largest |x| in each full window, from t[0] on.
    """
    t = finite_array("t", t)
    x = finite_array("x", x)
    width = positive("width", width)
    if t.ndim != 1 or x.shape != t.shape or t.size < 2:
        raise ValueError(f"t and x must have the same length >= 2, got {t.shape} and {x.shape}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("t must be strictly increasing")
    n_win = int(np.floor((t[-1] - t[0]) / width + 1e-9))
    if n_win < 1:
        raise ValueError(f"width must be at most the time span {t[-1] - t[0]:g}, got {width:g}")
    idx = np.minimum(((t - t[0]) / width + 1e-9).astype(int), n_win)
    keep = idx < n_win
    env = np.zeros(n_win)
    np.maximum.at(env, idx[keep], np.abs(x[keep]))
    counts = np.bincount(idx[keep], minlength=n_win)
    if np.any(counts == 0):
        raise ValueError(f"width {width:g} is shorter than the sampling interval")
    return t[0] + width * (np.arange(n_win) + 0.5), env


def envelope_mismatch(t_ref, x_ref, t, x, width, t_from=None):
    """Mean relative difference of the envelopes (:func:`window_max`) of two signals, over the
    windows that start at or after `t_from` (default: all). The second signal is interpolated
    onto the first one's times."""
    x_i = np.interp(np.asarray(t_ref, dtype=float), np.asarray(t, dtype=float),
                    np.asarray(x, dtype=float))
    c, e_ref = window_max(t_ref, x_ref, width)
    _, e = window_max(t_ref, x_i, width)
    sel = np.ones_like(c, dtype=bool) if t_from is None else (c - width / 2 >= t_from - 1e-12)
    if not sel.any():
        raise ValueError(f"t_from={t_from} leaves no window")
    return float(np.mean(np.abs(e[sel] - e_ref[sel]) / e_ref[sel]))


def window_average(t, x, t0, t1):
    """Mean of the samples of `x` with t0 ≤ t < t1.

    Parameters
    ----------
    t : array_like, shape (n,)
        Sample times.
    x : array_like, shape (n,)
        The signal.
    t0, t1 : float
        The window, t0 < t1.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ, t1 <= t0, or no sample lies in the window.
    """
    t = finite_array("t", t)
    x = np.asarray(x, dtype=float)
    if x.shape != t.shape:
        raise ValueError(f"t and x must have the same shape, got {t.shape} and {x.shape}")
    if not t1 > t0:
        raise ValueError(f"t1 must be larger than t0, got t0 = {t0:g}, t1 = {t1:g}")
    m = (t >= t0) & (t < t1)
    if not m.any():
        raise ValueError(f"no sample lies in the window t0 = {t0:g} <= t < t1 = {t1:g}")
    return float(x[m].mean())


def max_log_slope(x, y):
    """Largest Δln y / Δln x between neighbouring samples: a jump in y (a first-order
    transition in a rate against temperature) makes it large.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Positive samples, n >= 2, x strictly monotonic.

    Returns
    -------
    float
    """
    x = finite_array("x", x)
    y = finite_array("y", y)
    if x.ndim != 1 or y.shape != x.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-d of the same length >= 2, got {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be > 0 for logarithms")
    return float(np.max(np.diff(np.log(y)) / np.diff(np.log(x))))
