"""A thin driver for the DFT points of rodin2022 Sec. V: GPAW (PBE, PAW, plane waves) through ASE.

Two kinds of point, each one self-consistent calculation of a conventional rock-salt cell:

* :func:`mobile_point`: the cation at the origin moved to a fractional position, the other seven
  ions fixed at their ideal sites (rodin2022 Methods); returns the total energy and the force on
  the moved ion.
* :func:`strained_point`: the perfect cell deformed by F = I + ε (for the lattice constant and the
  elastic constants); returns the total energy and the stress.

GPAW and ASE are imported only when a point is computed, so the rest of the package and the book
never need them (install: ``bash .ci/install-dft.sh``). Energies in eV and forces in eV/Å, as
GPAW reports them; :mod:`ionmotion.landscape` converts to the book's meV.
"""
import json
import time

import numpy as np

from .materials import ANION_SITES, CATION_SITES, material
from ._validate import integer_in, positive

DEFAULTS = {"xc": "PBE", "ecut_eV": 400.0, "kpts": 2, "smearing_eV": 0.05,
            "conv_energy_eV_per_electron": 1e-6, "conv_density": 1e-6}
"""Settings of the landscape points (the convergence study in the chapter justifies them)."""


def settings(**over):
    """:data:`DEFAULTS` with the given entries replaced (unknown names raise ValueError)."""
    bad = set(over) - set(DEFAULTS)
    if bad:
        raise ValueError(f"unknown DFT setting(s) {sorted(bad)}; allowed: {sorted(DEFAULTS)}")
    s = {**DEFAULTS, **over}
    positive("ecut_eV", s["ecut_eV"])
    integer_in("kpts", s["kpts"], 1, 12)
    positive("smearing_eV", s["smearing_eV"])
    return s


def versions():
    """Versions of the DFT code, ASE and the PAW setups (raises ImportError without GPAW)."""
    import ase
    import gpaw
    try:
        from importlib.metadata import version
        data = version("gpaw-data")
    except Exception:   # setups installed another way
        data = "unknown"
    return {"code": "GPAW", "gpaw": gpaw.__version__, "ase": ase.__version__,
            "setups": f"gpaw-data {data} (PAW, PBE)"}


def _calculator(s, txt=None):
    from gpaw import GPAW, PW, FermiDirac
    return GPAW(mode=PW(s["ecut_eV"]), xc=s["xc"], kpts=(s["kpts"],) * 3,
                occupations=FermiDirac(s["smearing_eV"]), txt=txt,
                convergence={"energy": s["conv_energy_eV_per_electron"],
                             "density": s["conv_density"]})


def _cell_atoms(name, a):
    from ase import Atoms
    c = material(name)
    frac = np.vstack([CATION_SITES, ANION_SITES])
    symbols = [c.cation] * 4 + [c.anion] * 4
    return Atoms(symbols, scaled_positions=frac, cell=np.eye(3) * a, pbc=True)


def mobile_point(name, a, fx, fy, fz, **dft):
    """Energy (eV) of the cell with cation 0 moved to fractional (fx, fy, fz), and the force on it
    (eV/Å). Returns a dict of arrays (for :func:`ionbook.sweep.run_sweep`)."""
    a = positive("a", a)
    frac = np.array([fx, fy, fz], dtype=float)
    if not np.all(np.isfinite(frac)):
        raise ValueError(f"fractional position must be finite, got {frac}")
    s = settings(**dft)
    atoms = _cell_atoms(name, a)
    atoms.positions[0] = frac @ atoms.cell[:]
    atoms.calc = calc = _calculator(s)
    t0 = time.perf_counter()
    e = atoms.get_potential_energy()
    f = atoms.get_forces()[0]
    return {"energy_eV": np.array(e), "force_eV_per_A": np.array(f),
            "iterations": np.array(calc.get_number_of_iterations()),
            "scf_wall_s": np.array(time.perf_counter() - t0),
            "versions": np.array(json.dumps(versions()))}


def strained_point(name, a, e11, e22, e33, e23, e13, e12, **dft):
    """Energy (eV) and stress (eV/Å³, Voigt xx yy zz yz xz xy) of the perfect cell of lattice
    constant a deformed by F = I + ε with the symmetric ε given by its six components."""
    a = positive("a", a)
    eps = np.array([[e11, e12, e13], [e12, e22, e23], [e13, e23, e33]], dtype=float)
    s = settings(**dft)
    atoms = _cell_atoms(name, a)
    atoms.set_cell(atoms.cell[:] @ (np.eye(3) + eps), scale_atoms=True)   # rows: F·a_i, F symmetric
    atoms.calc = calc = _calculator(s)
    t0 = time.perf_counter()
    e = atoms.get_potential_energy()
    stress = atoms.get_stress(voigt=True)
    return {"energy_eV": np.array(e), "stress_eV_per_A3": np.array(stress),
            "volume_A3": np.array(atoms.get_volume()),
            "iterations": np.array(calc.get_number_of_iterations()),
            "scf_wall_s": np.array(time.perf_counter() - t0),
            "versions": np.array(json.dumps(versions()))}
