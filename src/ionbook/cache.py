"""Results cached in `data/<slug>/` with a manifest; a cache is used only when its parameters match.

A cached result is a pair of files: `<name>.npz` (arrays) and `<name>.json` (the manifest:
parameters, seed, package version, wall time, date). :func:`cached` returns the stored arrays when
the manifest's parameters equal the requested ones and recomputes (and stores) otherwise.
"""
import hashlib
import json
import time
from datetime import datetime, timezone

import numpy as np

from ionmotion import __version__
from .checks import code_version
from .paths import data_dir


def _canon(params):
    """Parameters as plain JSON (tuples → lists, numpy scalars → Python numbers)."""
    return json.loads(json.dumps(params, sort_keys=True, default=_default))


def _default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"parameter of type {type(o).__name__} is not JSON-serialisable")


def param_hash(params):
    """Short stable hash of a parameter dict (names the file of one sweep task)."""
    s = json.dumps(_canon(params), sort_keys=True)
    return hashlib.sha1(s.encode()).hexdigest()[:12]


def load(slug, name, params):
    """Arrays stored under data/<slug>/<name> if its manifest's parameters equal `params`."""
    d = data_dir(slug)
    man, arr = d / f"{name}.json", d / f"{name}.npz"
    if not (man.exists() and arr.exists()):
        return None
    m = json.loads(man.read_text())
    if m.get("parameters") != _canon(params):
        return None
    with np.load(arr, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def manifest(slug, name):
    p = data_dir(slug) / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None


def save(slug, name, params, arrays, *, seed=None, wall_time=None, extra=None):
    d = data_dir(slug)
    tmp = d / f"{name}.tmp.npz"
    np.savez_compressed(tmp, **arrays)
    tmp.replace(d / f"{name}.npz")
    m = {
        "parameters": _canon(params), "seed": seed, "package_version": __version__,
        "code_version": code_version(),
        "wall_time_s": None if wall_time is None else round(float(wall_time), 3),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "arrays": sorted(arrays),
    }
    if extra:
        m.update(_canon(extra))
    (d / f"{name}.json").write_text(json.dumps(m, indent=1, sort_keys=True) + "\n")


def cached(slug, name, params, compute, *, seed=None, refresh=False):
    """Return compute(**params)'s dict of arrays, from data/<slug>/<name> when parameters match."""
    if not refresh:
        hit = load(slug, name, params)
        if hit is not None:
            return hit
    t0 = time.perf_counter()
    out = compute(**params)
    save(slug, name, params, out, seed=seed, wall_time=time.perf_counter() - t0)
    return {k: np.asarray(v) for k, v in out.items()}
