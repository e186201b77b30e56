"""Input validation shared by every public function: errors name the parameter and its range."""
import math

import numpy as np


def positive(name, value):
    """Return float(value) if it is a finite number > 0, else raise ValueError naming it."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def nonnegative(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def finite_array(name, value, shape_tail=None, dtype=float):
    """Return value as an ndarray of finite numbers; optionally check its trailing shape."""
    arr = np.asarray(value, dtype=dtype)
    if shape_tail is not None:
        tail = tuple(shape_tail)
        if arr.ndim < len(tail) or arr.shape[arr.ndim - len(tail):] != tail:
            want = "(..., " + ", ".join(str(t) for t in tail) + ")"
            raise ValueError(f"{name} must have shape {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return arr


def integer_in(name, value, lo, hi=None):
    if isinstance(value, bool) or int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be an integer {rng}, got {value!r}")
    return v


def choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)!r}, got {value!r}")
    return value
