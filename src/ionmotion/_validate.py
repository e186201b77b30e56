"""Input validation shared by every public function: errors name the parameter and its range."""
import math
import os

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
    """Return float(value) if it is a finite number >= 0, else raise ValueError naming it."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def finite_number(name, value, check=None, allowed="", why=""):
    """Return float(value) if it is a finite number for which check(v) holds, else raise
    ValueError: "<name> must be a finite number <allowed><why>, got <value>"."""
    msg = f"{name} must be a finite number{' ' + allowed if allowed else ''}{why}, got {value!r}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(msg) from None
    if not math.isfinite(v) or (check is not None and not check(v)):
        raise ValueError(msg)
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
    """Return int(value) if it is an integer in [lo, hi] (hi None: no upper bound)."""
    try:
        int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be an integer {rng}, got {value!r}")
    return v


def choice(name, value, allowed):
    """Return value if it is one of `allowed`, else raise ValueError listing them."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)!r}, got {value!r}")
    return value


def available_memory():
    """Bytes of physical memory available now (Linux/Unix sysconf), or 16 GiB if unknown."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX systems
        return 16 << 30


def memory(name, value, n_bytes):
    """Raise ValueError naming parameter `name` (set to `value`) if an allocation of about
    n_bytes would not fit in the memory available now; checked before allocating, so a too
    large grid fails at once with a clear message instead of numpy's MemoryError (or swapping)."""
    avail = available_memory()
    if n_bytes > avail:
        raise ValueError(f"{name} = {value!r} needs about {n_bytes / 2**30:.3g} GiB of memory, "
                         f"more than the {avail / 2**30:.3g} GiB available; use a smaller {name}")
