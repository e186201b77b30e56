"""ionmotion: the numerical core of the book on the microscopic theory of ionic motion in solids.

Units are meV, Å and ps throughout (mass unit meV·ps²/Å² ≈ 9.6485 Da) unless a function says it
works in one of the papers' dimensionless unit systems.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("ionmotion")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

from . import units  # noqa: E402,F401
