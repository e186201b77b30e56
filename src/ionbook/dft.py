"""The DFT step of the real-materials chapter: a separate, resumable command.

    python -m ionbook dft lattice AgCl          # E(a) scan, then elastic constants at the PBE a
    python -m ionbook dft convergence AgCl      # cutoff, k-points and smearing on four points
    python -m ionbook dft grid AgCl --n 16      # the irreducible wedge of the a/16 grid (+ support)
    python -m ionbook dft holdout AgCl          # off-grid points that test the interpolant

Every point is one task of :func:`ionbook.sweep.run_sweep` (dask LocalCluster, one single-threaded
worker per core, or ``--scheduler``), cached in ``data/real-materials/<task>/`` with its manifest
(parameters including the DFT settings, code version, wall time) as soon as it finishes, so an
interrupted run resumes. The chapter reads the cached points with :func:`load` and never needs
the DFT code. Install the code with ``bash .ci/install-dft.sh``.
"""
import json
import os

import numpy as np

from ionmotion import dft, landscape, materials
from .sweep import load_sweep, run_sweep

SLUG = "real-materials"
SCAN = (0.98, 0.99, 1.0, 1.01, 1.02)
"""Lattice constants of the E(a) scan, as multiples of the experimental a."""
STRAIN = 0.01
"""Amplitude of the uniaxial and shear strains for the elastic constants."""
CONV_POINTS = {"site": (0.0, 0.0, 0.0), "tetrahedral": (0.25, 0.25, 0.25),
               "window": (0.25, 0.25, 0.0), "general": (0.09375, 0.046875, 0.015625)}
"""Fractional positions of the mobile ion in the convergence study."""
CONV_SETTINGS = ([{"ecut_eV": e} for e in (300.0, 500.0, 600.0)]
                 + [{"kpts": k} for k in (1, 3, 4)]
                 + [{"smearing_eV": w} for w in (0.01, 0.1)] + [{}])
"""Variations of :data:`ionmotion.dft.DEFAULTS` in the convergence study ({} = the defaults)."""
ELASTIC_K = 4
"""k-points of the perfect-cell calculations (the paper's 4×4×4)."""


def scan_tasks(name):
    a = materials.material(name).a
    return [dict(name=name, a=round(a * f, 4), e11=0.0, e22=0.0, e33=0.0, e23=0.0, e13=0.0,
                 e12=0.0, kpts=ELASTIC_K) for f in SCAN]


def pbe_a(name):
    """The PBE lattice constant (Å, rounded to 1e-4) from the cached E(a) scan (None if absent)."""
    res = load_sweep(SLUG, "lattice", scan_tasks(name))
    if any(r is None for r in res):
        return None
    a = np.array([t["a"] for t in scan_tasks(name)])
    e = np.array([float(r["energy_eV"]) for r in res])
    return round(float(landscape.birch_murnaghan(a ** 3, e)["a0"]), 4)


def elastic_tasks(name, a0):
    base = dict(name=name, a=a0, e11=0.0, e22=0.0, e33=0.0, e23=0.0, e13=0.0, e12=0.0,
                kpts=ELASTIC_K)
    return [{**base, comp: s * STRAIN} for comp in ("e11", "e12") for s in (1, -1)] + [base]


def convergence_tasks(name, a0):
    return [dict(name=name, a=a0, fx=p[0], fy=p[1], fz=p[2], **st)
            for st in CONV_SETTINGS for p in CONV_POINTS.values()]


def grid_tasks(name, a0, n):
    comp = materials.material(name).with_a(a0)
    reps = materials.wedge(materials.support(materials.accessible(comp, n)))
    pts = materials.grid_indices(n)[reps] / n
    return [dict(name=name, a=a0, fx=float(p[0]), fy=float(p[1]), fz=float(p[2])) for p in pts]


def holdout_tasks(name, a0, count=12):
    """`count` accessible a/32 points that lie on no a/16 grid point, spread over the wedge."""
    n = 32
    comp = materials.material(name).with_a(a0)
    reps = materials.wedge(materials.accessible(comp, n))
    idx = materials.grid_indices(n)[reps]
    off = reps[np.any(idx % 2 == 1, axis=1)]
    pick = off[np.linspace(0, len(off) - 1, count).round().astype(int)]
    pts = materials.grid_indices(n)[pick] / n
    return [dict(name=name, a=a0, fx=float(p[0]), fy=float(p[1]), fz=float(p[2])) for p in pts]


def tasks(kind, name, n=16):
    """The task list of one kind for material `name` (needs the lattice scan for all but it)."""
    if kind == "scan":
        return scan_tasks(name)
    a0 = pbe_a(name)
    if a0 is None:
        raise ValueError(f"run `python -m ionbook dft lattice {name}` first: the PBE lattice "
                         "constant comes from its E(a) scan")
    return {"elastic": lambda: elastic_tasks(name, a0),
            "convergence": lambda: convergence_tasks(name, a0),
            "grid": lambda: grid_tasks(name, a0, n),
            "holdout": lambda: holdout_tasks(name, a0)}[kind]()


_FUNC = {"scan": dft.strained_point, "elastic": dft.strained_point,
         "convergence": dft.mobile_point, "grid": dft.mobile_point, "holdout": dft.mobile_point}
_FOLDER = {"scan": "lattice", "elastic": "lattice", "convergence": "convergence",
           "grid": "grid", "holdout": "holdout"}


def run(kind, name, n=16, scheduler=None, jobs=None):
    """Compute (or resume) one kind of DFT task for material `name`; returns the results."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one thread per worker process
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if kind == "lattice":
        run("scan", name, n, scheduler, jobs)
        return run("elastic", name, n, scheduler, jobs)
    t = tasks(kind, name, n)
    return run_sweep(_FUNC[kind], t, slug=SLUG, name=_FOLDER[kind], scheduler=scheduler,
                     n_workers=jobs, retries=0)


def load(kind, name, n=16):
    """Cached results of one kind (None where a point is missing); [] if the scan is missing."""
    try:
        t = tasks(kind, name, n)
    except ValueError:
        return [], []
    return t, load_sweep(SLUG, _FOLDER[kind], t)


def describe_versions():
    return json.dumps(dft.versions())


# ---------------------------------------------------------------------------------------------
# what the chapter reads
# ---------------------------------------------------------------------------------------------

class MaterialDFT:
    """Everything the chapter needs of one material, from the cached DFT points only.

    Attributes: name; compound (RockSalt at the PBE a); eos (Birch–Murnaghan fit of the scan);
    elastic (C11, C12, C44 in GPa from the stresses, plus C11_energy, C44_energy from the
    energies); grids {n: (U meV, F meV/Å)} for every grid whose wedge and support are complete;
    reference_eV (the energy with the ion on its own site); walls {kind: wall times (s)};
    versions (the DFT code that made the points)."""

    def __init__(self, name, grids=(8, 16, 32)):
        from ionmotion.landscape import EV_PER_A3_GPA, birch_murnaghan, cubic_elastic_constants
        self.name = name
        t, r = load("scan", name)
        if not t or any(x is None for x in r):
            raise ValueError(f"no complete lattice scan for {name}: run `python -m ionbook dft "
                             f"lattice {name}`")
        a = np.array([x["a"] for x in t])
        self.eos = birch_murnaghan(a ** 3, [float(x["energy_eV"]) for x in r])
        self.walls = {"lattice": [self._wall(x) for x in r]}
        a0 = pbe_a(name)
        self.compound = materials.material(name).with_a(a0)
        te, re_ = load("elastic", name)
        self.elastic = None
        if re_ and all(x is not None for x in re_):
            st = [x["stress_eV_per_A3"] for x in re_]
            self.elastic = cubic_elastic_constants(st[:2], st[2:4], STRAIN)
            E = [float(x["energy_eV"]) for x in re_]
            V = a0 ** 3
            self.elastic["C11_energy"] = (E[0] + E[1] - 2 * E[4]) / (V * STRAIN ** 2) * EV_PER_A3_GPA
            self.elastic["C44_energy"] = (E[2] + E[3] - 2 * E[4]) / (4 * V * STRAIN ** 2) * EV_PER_A3_GPA
            self.walls["lattice"] += [self._wall(x) for x in re_]
        self.grids, self.walls["grid"] = {}, {}
        self.reference_eV, self.versions = None, None
        for n in grids:
            tg, rg = load("grid", name, n)
            if not tg or any(x is None for x in rg):
                continue
            reps = materials.wedge(materials.support(materials.accessible(self.compound, n)))
            site = [i for i, x in enumerate(tg) if x["fx"] == x["fy"] == x["fz"] == 0.0][0]
            self.reference_eV = float(rg[site]["energy_eV"])
            self.versions = json.loads(str(rg[site]["versions"]))
            self.grids[n] = landscape.wedge_to_grid(
                n, reps, [float(x["energy_eV"]) for x in rg],
                [x["force_eV_per_A"] for x in rg], self.reference_eV)
            self.walls["grid"][n] = [self._wall(x) for x in rg]

    @staticmethod
    def _wall(res):
        return float(res["scf_wall_s"])

    def accessible(self, n, rmin_frac=1 / 3):
        return materials.accessible(self.compound, n, rmin_frac)

    def holdout(self):
        """(fractional points (k, 3), energies meV, forces meV/Å) of the off-grid test points."""
        t, r = load("holdout", self.name)
        ok = [(x, y) for x, y in zip(t, r) if y is not None]
        if not ok or self.reference_eV is None:
            return None
        f = np.array([[x["fx"], x["fy"], x["fz"]] for x, _ in ok])
        return (f, np.array([(float(y["energy_eV"]) - self.reference_eV) * 1e3 for _, y in ok]),
                np.array([y["force_eV_per_A"] * 1e3 for _, y in ok]))

    def convergence(self):
        """Rows (setting, point, energy relative to the site at that setting in meV, force on the
        ion in meV/Å, wall s) of the convergence study (None where a point is missing)."""
        t, r = load("convergence", self.name)
        rows = []
        for x, y in zip(t, r):
            if y is None:
                continue
            setting = {k: x[k] for k in dft.DEFAULTS if k in x} or {"defaults": True}
            point = [k for k, p in CONV_POINTS.items() if p == (x["fx"], x["fy"], x["fz"])][0]
            rows.append((json.dumps(setting), point, float(y["energy_eV"]),
                         np.asarray(y["force_eV_per_A"]) * 1e3, float(y["scf_wall_s"])))
        return rows
