"""ionmotion: the numerical core of the book on the microscopic theory of ionic motion in solids.

Units are meV, Å and ps throughout (mass unit meV·ps²/Å² ≈ 9.6485 Da) unless a function says it
works in one of the papers' dimensionless unit systems.

The front door
--------------
The most used names are available from the package itself and load on first use (importing
``ionmotion`` stays fast: numba and scipy load with the module that needs them)::

    import ionmotion as im
    lat = im.CubicLattice(mass=3.5, a=3.0, k1=520.0, k2=170.0)
    lat.frequencies([[0.5, 0.0, 0.0]]), lat.drag_matrix()

Modules (one idea each): :mod:`~ionmotion.lattice` (frameworks, phonons, bond table, drag),
:mod:`~ionmotion.potentials` (pair interactions), :mod:`~ionmotion.full` (whole-lattice
engines), :mod:`~ionmotion.timelocal` (time-local equation), :mod:`~ionmotion.thermal`
(thermal framework motion), :mod:`~ionmotion.dissipation` (energy loss), :mod:`~ionmotion.validation`
(approximation levels, windowed response), :mod:`~ionmotion.diffusion`,
:mod:`~ionmotion.langevin`, :mod:`~ionmotion.mobility`, :mod:`~ionmotion.hopping`,
:mod:`~ionmotion.latticegas`, :mod:`~ionmotion.kmc`, :mod:`~ionmotion.meanfield`,
:mod:`~ionmotion.derivation`, :mod:`~ionmotion.units`; the papers' protocols and constants in
:mod:`ionmotion.papers`.
"""
import importlib
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("ionmotion")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

from . import units  # noqa: E402,F401

_SUBMODULES = ("lattice", "potentials", "full", "timelocal", "thermal", "dissipation",
               "validation", "diffusion", "langevin", "mobility", "hopping", "latticegas", "kmc",
               "meanfield", "derivation", "units", "papers")

_NAMES = {
    # frameworks and their phonons (lattice)
    "CubicLattice": "lattice", "Chain": "lattice", "ModeGrid": "lattice",
    "lattice_bonds": "lattice", "CUBIC_BOND_OFFSETS": "lattice", "CELL_CORNERS": "lattice",
    "bz_quadrature": "lattice", "periodic_grid": "lattice", "sphere_quadrature": "lattice",
    "isotropic_drag": "lattice",
    # interactions
    "Gaussian": "potentials", "Yukawa": "potentials",
    # dissipation (rodin2024)
    "single_pass_loss": "dissipation", "recoil_matrix": "dissipation",
    "low_speed_loss": "dissipation",
    # lattice gas, kinetic Monte Carlo, hopping, mean field (hu2026)
    "LatticeGasKMC": "kmc", "make_lattice": "latticegas",
    # mobility (rodin2022)
    "PotentialGrid": "mobility",
    # units
    "HBAR": "units", "KB": "units", "KB_EV": "units",
}

__all__ = sorted(set(_SUBMODULES) | set(_NAMES) | {"__version__"})


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    mod = _NAMES.get(name)
    if mod is not None:
        return getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
