"""Reproduction checks: compare a book number with a paper's number, record it, raise on failure.

Every check cell in the book calls :func:`check`. It records the comparison (quantity, paper value,
book value, tolerance, pass/fail, verdict, chapter, quality, code version) and raises
:class:`ReproductionError` when the book value leaves the stated tolerance, which fails the
chapter's execution and so the book build. :func:`report` then shows the outcome of the cell's
checks as one short line for the reader (the check code itself is hidden in the HTML).

Where records go
    A run writes its records to the scratch file ``build/checks/<chapter>.<quality>.json`` (not
    tracked). The book's record of a chapter, ``data/checks/<chapter>.paper.json``, is replaced by
    :func:`promote` after a successful paper-quality execution at the chapter's own parameters, and
    only if a record changed by more than float noise or the code that made it changed: building
    the book leaves the tracked tree unchanged. With the environment variable
    ``IONBOOK_CUSTOM_PARAMETERS=1`` (set by ``ionbook execute`` when a reader changes a parameter)
    records go to ``build/checks/custom/`` and a failing check is reported as a result of those
    parameters instead of raising.

Verdicts (issue "reproduction ledger"): every record says what kind of claim it is
    ``agrees``: a number or statement printed in a paper, reproduced within a tolerance that could
    fail; ``disagrees``: the paper's statement fails (the record passes only if the paper's own
    statement fails, and names its errata row); ``extension``: a result beyond the papers;
    ``internal``: consistency, convergence, identities, book against book.
"""
import html as _html
import json
import math
import os
from pathlib import Path

import numpy as np

from .paths import repo_root

VERDICTS = {
    "agrees": "agrees with the paper",
    "disagrees": "the paper's statement does not hold",
    "extension": "beyond the papers",
    "internal": "internal consistency",
}
"""Allowed values of a record's ``verdict`` and how the book reads them."""

CUSTOM_ENV = "IONBOOK_CUSTOM_PARAMETERS"
SCRATCH_ENV = "IONBOOK_FROM_SCRATCH"
"""Set (by ``ionbook reproduce --from-scratch``) to a folder: records of paper-quality runs go to
``<folder>/checks/`` and are read from there, and the book's records are never replaced."""


class ReproductionError(AssertionError):
    """A reproduced number left the tolerance its chapter states."""


def custom_parameters():
    """True when the running chapter was executed at parameters other than its defaults."""
    return os.environ.get(CUSTOM_ENV, "") not in ("", "0")


def code_version(chapter=None):
    """``ionmotion-<hash>`` of the physics modules a chapter imports (their sources, followed
    through ionmotion's own imports; :mod:`ionbook.provenance`), or of the whole package.

    It names the code that produced a record; it changes when a module the chapter depends on
    changes, never when only the pipeline (``ionbook``) or a chapter's prose does.
    """
    from .provenance import chapter_version, code_version as whole

    if chapter is not None:
        try:
            return chapter_version(chapter)
        except (OSError, SyntaxError):
            pass
    return whole()


def from_scratch_dir():
    """The folder of a from-scratch reproduction in progress (:data:`SCRATCH_ENV`), or None."""
    v = os.environ.get(SCRATCH_ENV)
    return Path(v) if v else None


def _scratch_path(chapter, quality, root=None):
    d = from_scratch_dir() / "checks" if from_scratch_dir() else \
        Path(root or repo_root()) / "build" / "checks"
    if custom_parameters():
        d = d / "custom"
    d.mkdir(parents=True, exist_ok=True)
    return d / f"{chapter}.{quality}.json"


def book_record_path(chapter, root=None):
    """``data/checks/<chapter>.paper.json``: the book's tracked record of a chapter."""
    return Path(root or repo_root()) / "data" / "checks" / f"{chapter}.paper.json"


_seen = set()
_pending = []


def _to_float(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else [float(v) for v in x.ravel()]


def _validate_verdict(verdict, errata, paper, source):
    if verdict is None:
        return
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {sorted(VERDICTS)}, got {verdict!r}")
    if verdict == "disagrees" and not errata:
        raise ValueError("a check with verdict='disagrees' needs errata=<label of its errata row>")
    if verdict in ("agrees", "disagrees") and not source:
        raise ValueError(f"a check with verdict={verdict!r} needs source=<paper and place>")


def check(quantity, book, paper=None, *, rtol=None, atol=None, chapter, quality="draft",
          source="", unit="", note="", passed=None, verdict=None, errata=None, volatile=False):
    """Compare `book` with `paper` within `rtol`/`atol` (|book - paper| <= atol + rtol |paper|).

    Parameters
    ----------
    quantity : str
        What is compared; unique within a chapter (a later check of the same name replaces it).
    book, paper : float or array_like
        The book's value and the paper's (``paper=None``: a qualitative check, then pass an explicit
        boolean `passed` and describe it in `note`). Arrays are compared element-wise.
    rtol, atol : float, optional
        Tolerance; at least one is needed when `paper` is given.
    chapter, quality : str
        The chapter's slug and ``"draft"`` or ``"paper"``.
    source : str
        Where the paper states the value, e.g. ``"rodin2025 Eq. (21)"``.
    verdict : {"agrees", "disagrees", "extension", "internal"}
        What kind of claim the record is (see the module docstring).
    errata : str, optional
        Label of the errata row (required with ``verdict="disagrees"``).
    volatile : bool
        The book value is a measurement of this machine (a timing, a speed-up) or carries
        run-to-run noise: a new run changes the book's record only if the outcome changes.

    Returns the book value. Raises :class:`ReproductionError` if the check fails; at a reader's
    own parameters the failure is recorded and the run goes on (``ionbook execute`` lists it).
    """
    _validate_verdict(verdict, errata, paper, source)
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
        "rtol": rtol, "atol": atol, "passed": ok, "note": note, "verdict": verdict,
        "errata": errata, "code_version": code_version(chapter),
    }
    if volatile:
        rec["volatile"] = True
    if custom_parameters():
        rec["custom_parameters"] = True
    path = _scratch_path(chapter, quality)
    key = (str(path), chapter, quality)
    records = []
    if key in _seen and path.exists():
        records = json.loads(path.read_text())
    _seen.add(key)  # first check of a run starts the file afresh
    records = [r for r in records if r["quantity"] != quantity] + [rec]
    path.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    _pending.append(rec)
    if not ok and not custom_parameters():
        raise ReproductionError(failure_message(rec))
    # at a reader's own parameters a failed check is a result of those parameters: it is recorded
    # (build/checks/custom), shown by report(), and listed by ionbook execute; the run goes on, so
    # every later check is seen too
    return book


def failure_message(rec):
    """One line saying what a failed record found."""
    return (f"[{rec['chapter']}] {rec['quantity']}: book {rec['book']} vs paper {rec['paper']} "
            f"(rtol={rec['rtol']}, atol={rec['atol']}) {rec['note']}")


def custom_failures(chapter, root=None):
    """Failed records of the latest run of `chapter` at a reader's own parameters (the files in
    build/checks/custom, any quality)."""
    d = Path(root or repo_root()) / "build" / "checks" / "custom"
    out = []
    for f in sorted(d.glob(f"{chapter}.*.json")):
        out += [r for r in json.loads(f.read_text()) if not r["passed"]]
    return out


def clear_custom(chapter, root=None):
    """Forget the records of earlier runs of `chapter` at a reader's own parameters."""
    for f in (Path(root or repo_root()) / "build" / "checks" / "custom").glob(f"{chapter}.*.json"):
        f.unlink()


def _line(rec):
    mark = "✔" if rec["passed"] else "✘"
    v = rec.get("verdict") or "unclassified"
    val = fmt(rec["book"])
    if rec.get("paper") is not None:
        val += f" vs {fmt(rec['paper'])}"
    unit = f" {rec['unit']}" if rec.get("unit") else ""
    src = f" ({rec['source']})" if rec.get("source") else ""
    return mark, v, f"{rec['quantity']}{src}: {val}{unit}"


class _Report:
    """The outcome of a group of checks: one line, the details folded (HTML) or listed (text)."""

    def __init__(self, recs, title):
        self.recs, self.title = recs, title

    def _head(self):
        n = len(self.recs)
        bad = sum(not r["passed"] for r in self.recs)
        counts = {}
        for r in self.recs:
            counts[r.get("verdict") or "unclassified"] = counts.get(
                r.get("verdict") or "unclassified", 0) + 1
        parts = ", ".join(f"{c} {k}" for k, c in counts.items())
        state = f"{bad} of {n} outside tolerance" if bad else f"{n} check{'s' * (n != 1)} pass"
        return ("✔ " if not bad else "✘ ") + (f"{self.title}: " if self.title else "") + \
            f"{state} ({parts})"

    def __repr__(self):
        return self._head() + "".join(f"\n  {m} [{v}] {t}" for m, v, t in map(_line, self.recs))

    def _repr_html_(self):
        items = "".join(
            f'<li><span class="ionbook-verdict ionbook-{_html.escape(v)}">{_html.escape(v)}</span> '
            f"{m} {_html.escape(t)}</li>" for m, v, t in map(_line, self.recs))
        cls = "ionbook-checks" + ("" if all(r["passed"] for r in self.recs) else " ionbook-failed")
        return (f'<details class="{cls}"><summary>{_html.escape(self._head())}</summary>'
                f"<ul>{items}</ul></details>")


def report(title=None):
    """Show the outcome of the checks recorded since the last report (one line, details folded).

    Chapters end each (hidden) check cell with ``report()``; returns the displayable object.
    """
    recs = list(_pending)
    _pending.clear()
    return _Report(recs, title) if recs else None


def _close(a, b, floor):
    """Values equal up to float noise: numbers within 1e-9 relative (10 significant digits) or
    within `floor`; lists and dicts element by element; anything else exactly."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not (math.isfinite(a) and math.isfinite(b)):
            return a == b or (math.isnan(a) and math.isnan(b))
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + floor
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, floor) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], floor) for k in a)
    return a == b


def _noise_floor(r):
    """A book value this close to another is the same result: a hundredth of the record's
    absolute tolerance (a float-noise residual of 3.3e-19 against 3.1e-19, atol 2.1e-17), else 0.
    Records are compared only when their code_version is the same (a code change rewrites them),
    so what is left is float noise of one machine against another, which a check resolves no
    finer than its own tolerance."""
    atol = r.get("atol")
    return 1e-2 * atol if isinstance(atol, (int, float)) and atol > 0 else 0.0


def _comparable(r):
    r = dict(r)
    if r.get("volatile"):  # a timing or a noisy measurement: only its outcome counts
        for k in ("book", "note", "rtol", "atol"):
            r.pop(k, None)
    return r


def same_records(a, b):
    """True when two record lists agree up to float noise (10 significant digits, or a hundredth
    of a record's atol; records marked volatile only in their outcome)."""
    key = lambda r: r["quantity"]  # noqa: E731
    a, b = sorted(a, key=key), sorted(b, key=key)
    return len(a) == len(b) and all(
        _close(_comparable(x), _comparable(y), max(_noise_floor(x), _noise_floor(y)))
        for x, y in zip(a, b))


def promote(chapter, root=None):
    """Make this run's paper-quality records the book's record of `chapter`, if they changed.

    Called by ``ionbook execute`` after a successful paper execution at the chapter's defaults.
    Returns True when ``data/checks/<chapter>.paper.json`` was rewritten.
    """
    if custom_parameters() or from_scratch_dir():
        return False
    src = Path(root or repo_root()) / "build" / "checks" / f"{chapter}.paper.json"
    if not src.exists():
        return False
    new = json.loads(src.read_text())
    dst = book_record_path(chapter, root)
    if dst.exists() and same_records(json.loads(dst.read_text()), new):
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    return True


def load_records(root=None, quality="paper"):
    """Recorded checks as a list of dicts: the book's records (``quality="paper"``, from
    ``data/checks``) or this machine's latest draft run (``quality="draft"``, from ``build/``)."""
    root = Path(root) if root else repo_root()
    folder = root / "data" / "checks" if quality == "paper" else root / "build" / "checks"
    if from_scratch_dir() and quality == "paper":
        folder = from_scratch_dir() / "checks"
    out = []
    for f in sorted(folder.glob(f"*.{quality}.json")):
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


def check_identity(quantity, residual, source, *, chapter, quality, expect_zero=True, note="",
                   verdict="internal", errata=None):
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
                 quality=quality, source=source, note=(note + "; " if note else "") + what,
                 verdict=verdict, errata=errata)
