"""Results cached in `data/<slug>/` with a manifest; a cache is used only when its parameters match.

A cached result is a pair of files: `<name>.npz` (arrays) and `<name>.json` (the manifest:
parameters, seed, package version, wall time, date). :func:`cached` returns the stored arrays when
the manifest's parameters equal the requested ones and recomputes (and stores) otherwise.
"""
import hashlib
import json
import math
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ionmotion import __version__
from .provenance import code_version
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


STALE_ENV = "IONBOOK_REFRESH_STALE"
"""Set to "1" to treat results made by other code than the current (manifest `code_version`)
as missing, "all" to treat results without a recorded code version as missing too."""


def is_stale(manifest, code_modules=None):
    """True when a manifest's `code_version` differs from the current code of `code_modules`
    (False when it records none: such results predate code versions, see :data:`STALE_ENV`)."""
    v = manifest.get("code_version")
    return v is not None and v != code_version(code_modules)


def _rounded(v):
    """Parameters with floats kept to 12 significant digits: a parameter computed as 0.1 * 3 on
    one machine and 0.3 on another names the same result."""
    if isinstance(v, float):
        return float(f"{v:.12g}") if math.isfinite(v) else v
    if isinstance(v, list):
        return [_rounded(x) for x in v]
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    return v


def same_parameters(a, b):
    """True when two parameter dicts are equal up to float noise (12 significant digits)."""
    return _rounded(_canon(a)) == _rounded(_canon(b))


def _custom_dir(slug):
    """Results of a run at a reader's own parameters (not the chapter's): kept beside the book's,
    in the untracked build/custom-data/<slug>/, so they never replace the book's cached results."""
    from .checks import custom_parameters
    from .paths import repo_root

    if not custom_parameters():
        return None
    d = repo_root() / "build" / "custom-data" / slug
    d.mkdir(parents=True, exist_ok=True)
    return d


def _candidates(slug, name, params):
    out = []
    c = _custom_dir(slug)
    if c is not None:
        out.append((c, f"{name}.{param_hash(params)}"))
    return out + [(data_dir(slug), name)]


VERIFY_ENV = "IONBOOK_VERIFY_CACHE"
"""Set to a number of seconds to re-run every cached result that records no current
`code_version` and whose recorded wall time is at most that: the result is recomputed with the
current code and compared with the stored arrays (:func:`verify`); when they agree the manifest is
stamped with the current `code_version` and a `verified` entry, otherwise the mismatch is reported
in build/verify-caches.jsonl and the manifest left as it was (``python -m ionbook reproduce
--verify-caches``)."""

_TIMING = ("wall",)


def _stored_form(arrays):
    """The arrays as :func:`save` stores and :func:`load` returns them (same dtypes)."""
    import io
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def compare(stored, fresh, rtol=1e-9):
    """(agree, worst relative difference) between stored arrays and freshly computed ones.
    Timings (names containing "wall") are skipped; floats agree within `rtol` (of each array's
    largest magnitude), everything else exactly."""
    fresh = _stored_form(fresh)
    if set(stored) != set(fresh):
        return False, float("inf")
    worst = 0.0
    for k in stored:
        if any(t in k for t in _TIMING):
            continue
        a, b = np.asarray(stored[k]), np.asarray(fresh[k])
        if a.shape != b.shape:
            return False, float("inf")
        if a.dtype.kind in "fc":
            scale = float(np.max(np.abs(a))) if a.size else 0.0
            diff = float(np.max(np.abs(a - b))) if a.size else 0.0
            if not np.array_equal(np.isfinite(a), np.isfinite(b)):
                return False, float("inf")
            rel = diff / scale if scale > 0 else diff
            worst = max(worst, rel)
        elif not np.array_equal(a, b):
            return False, float("inf")
    return worst <= rtol, worst


def verification_due(slug, name, params, code_modules=None):
    """The manifest path of the book's cached result data/<slug>/<name> when :data:`VERIFY_ENV`
    asks for it to be re-run (no current code version, recorded wall time within the budget);
    else None."""
    budget = os.environ.get(VERIFY_ENV)
    man = data_dir(slug) / f"{name}.json"
    if not budget or not man.exists():
        return None
    m = json.loads(man.read_text())
    if not same_parameters(m.get("parameters"), params):
        return None
    if m.get("code_version") == code_version(code_modules):
        return None
    return man if (m.get("wall_time_s") or 0.0) <= float(budget) else None


def record_verification(slug, name, manifest_path, stored, fresh, wall, code_modules=None):
    """Compare a re-run (`fresh`, taking `wall` s) with the `stored` arrays; stamp the manifest
    with the current code version when they agree, log the outcome in build/verify-caches.jsonl
    either way. Returns True when stamped."""
    ok, worst = compare(stored, fresh)
    entry = {"slug": slug, "name": name, "agree": ok, "max_rel_diff": worst,
             "wall_time_s": round(wall, 3), "code_version": code_version(code_modules)}
    from .paths import repo_root
    log = repo_root() / "build" / "verify-caches.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as f:
        f.write(json.dumps(entry) + "\n")
    if ok:
        m = json.loads(manifest_path.read_text())
        m["code_version"] = entry["code_version"]
        m["verified"] = {"by": "re-run with the current code", "max_rel_diff": worst,
                         "rerun_wall_time_s": entry["wall_time_s"],
                         "on": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        manifest_path.write_text(json.dumps(m, indent=1, sort_keys=True) + "\n")
    else:
        print(f"cache {slug}/{name}: the current code gives a different result "
              f"(worst relative difference {worst:.3g}); manifest left unversioned")
    return ok


def load(slug, name, params, code_modules=None, recompute=None):
    """Arrays stored under data/<slug>/<name> if its manifest's parameters equal `params` up to
    float noise (and, when the environment variable :data:`STALE_ENV` is set, if the code still
    matches). In a run at a reader's own parameters, results kept for those come first.
    `recompute` (no arguments, returns the arrays) is used only to verify a result made by
    unrecorded or other code when :data:`VERIFY_ENV` asks for it."""
    for d, stem in _candidates(slug, name, params):
        man, arr = d / f"{stem}.json", d / f"{stem}.npz"
        if not (man.exists() and arr.exists()):
            continue
        m = json.loads(man.read_text())
        if not same_parameters(m.get("parameters"), params):
            continue
        mode = os.environ.get(STALE_ENV, "")
        if (mode == "all" and m.get("code_version") is None) or (mode and is_stale(m, code_modules)):
            continue
        with np.load(arr, allow_pickle=False) as z:
            hit = {k: z[k] for k in z.files}
        due = recompute is not None and d == data_dir(slug) and \
            verification_due(slug, name, params, code_modules)
        if due:
            t0 = time.perf_counter()
            fresh = recompute()
            record_verification(slug, name, due, hit, fresh, time.perf_counter() - t0, code_modules)
        return hit
    return None


def manifest(slug, name):
    p = data_dir(slug) / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None


def save(slug, name, params, arrays, *, seed=None, wall_time=None, extra=None, code_modules=None):
    d, name = _candidates(slug, name, params)[0]
    (d / name).parent.mkdir(parents=True, exist_ok=True)
    tmp = d / f"{name}.tmp.npz"
    np.savez_compressed(tmp, **arrays)
    tmp.replace(d / f"{name}.npz")
    m = {
        "parameters": _canon(params), "seed": seed, "package_version": __version__,
        "code_version": code_version(code_modules),
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
        hit = load(slug, name, params, code_modules=_modules_of(compute),
                   recompute=lambda: compute(**params))
        if hit is not None:
            return hit
    t0 = time.perf_counter()
    out = compute(**params)
    save(slug, name, params, out, seed=seed, wall_time=time.perf_counter() - t0,
         code_modules=_modules_of(compute))
    return {k: np.asarray(v) for k, v in out.items()}


def _modules_of(func):
    """The ionmotion module a task function lives in (None: the whole package counts)."""
    mod = getattr(func, "__module__", "") or ""
    return [mod] if mod.startswith("ionmotion") else None


def unversioned_caches(root=None):
    """{slug: (cached results, of which record no code version)} over data/<slug>/."""
    from .paths import repo_root

    base = Path(root or repo_root()) / "data"
    out = {}
    for man in sorted(base.glob("*/**/*.json")):
        if man.parts[len(base.parts)] == "checks" or not man.with_suffix(".npz").exists():
            continue
        slug = man.parts[len(base.parts)]
        n, k = out.get(slug, (0, 0))
        out[slug] = (n + 1, k + ("code_version" not in json.loads(man.read_text())))
    return out
