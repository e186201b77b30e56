"""Reproduction checks: compare a book number with a paper's number, record it, raise on failure.

Every check cell in the book calls :func:`check`. It appends a record (quantity, paper value, book
value, tolerance, pass/fail, chapter, quality) to `data/checks/<chapter>.<quality>.json` and raises
:class:`ReproductionError` when the book value leaves the stated tolerance, which fails the
chapter's execution and so the book build. The page "What this book reproduces" is generated from
these files.
"""
import json
import math
from pathlib import Path

import numpy as np

from .paths import repo_root


class ReproductionError(AssertionError):
    """A reproduced number left the tolerance its chapter states."""


def _records_path(chapter, quality):
    d = repo_root() / "data" / "checks"
    d.mkdir(parents=True, exist_ok=True)
    return d / f"{chapter}.{quality}.json"


_seen = set()


def _to_float(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else [float(v) for v in x.ravel()]


def check(quantity, book, paper=None, *, rtol=None, atol=None, chapter, quality="draft",
          source="", unit="", note="", passed=None):
    """Compare `book` with `paper` within `rtol`/`atol` (|book - paper| <= atol + rtol |paper|).

    With `paper=None`, pass an explicit boolean `passed` (a qualitative check such as "matrix is
    isotropic") and describe it in `note`. Arrays are compared element-wise (all must pass).
    Returns the book value. Raises ReproductionError if the check fails.
    """
    if paper is not None:
        if rtol is None and atol is None:
            raise ValueError("check needs rtol or atol when a paper value is given")
        b = np.asarray(book, dtype=float)
        p = np.asarray(paper, dtype=float)
        tol = (atol or 0.0) + (rtol or 0.0) * np.abs(p)
        ok = bool(np.all(np.isfinite(b)) and np.all(np.abs(b - p) <= tol))
    else:
        if passed is None:
            raise ValueError("check needs a paper value or an explicit passed=True/False")
        ok = bool(passed)
    rec = {
        "chapter": chapter, "quality": quality, "quantity": quantity, "unit": unit,
        "source": source, "paper": None if paper is None else _to_float(paper),
        "book": _to_float(book) if np.asarray(book).dtype.kind in "fciub" else str(book),
        "rtol": rtol, "atol": atol, "passed": ok, "note": note,
    }
    path = _records_path(chapter, quality)
    key = (chapter, quality)
    records = []
    if key in _seen and path.exists():
        records = json.loads(path.read_text())
    _seen.add(key)  # first check of a run starts the file afresh
    records = [r for r in records if r["quantity"] != quantity] + [rec]
    path.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    if not ok:
        raise ReproductionError(
            f"[{chapter}] {quantity}: book {rec['book']} vs paper {rec['paper']} "
            f"(rtol={rtol}, atol={atol}) {note}")
    return book


def load_records(root=None):
    """All recorded checks, as a list of dicts (used by the summary page and the build)."""
    root = Path(root) if root else repo_root()
    out = []
    for f in sorted((root / "data" / "checks").glob("*.json")):
        out.extend(json.loads(f.read_text()))
    return out


def fmt(v):
    """Short text for a number or a list of numbers in the summary table."""
    if v is None:
        return "—"
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v[:4]) + (", …]" if len(v) > 4 else "]")
    if isinstance(v, str):
        return v
    if v == 0 or (1e-3 <= abs(v) < 1e5):
        return f"{v:.4g}"
    return f"{v:.3e}" if math.isfinite(v) else str(v)


def check_identity(quantity, residual, *, chapter, quality, source, expect_zero=True, note=""):
    """Record a symbolic identity as a book check (:func:`check`).

    The check passes when the residual vanishes (expect_zero=True), or, for the printed form
    of an erratum, when it does NOT vanish (expect_zero=False: the printed text is shown to
    differ from the derivation). The recorded book value is 0 or the residual's text.
    """
    from ionmotion.derivation import residual_is_zero

    zero = residual_is_zero(residual)
    book = 0.0 if zero else str(residual)[:200]
    what = "residual must vanish" if expect_zero else "printed form must differ (erratum)"
    return check(quantity, book=book, passed=(zero == expect_zero), chapter=chapter,
                 quality=quality, source=source, note=(note + "; " if note else "") + what)
