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
from . import cache
from .sweep import load_sweep, run_sweep, sweep_manifests

SLUG = "real-materials"
INPUT_FOLDERS = ("lattice", "convergence", "grid", "holdout", "saddle")
"""The folders of DFT points: inputs of the chapter made by an external code. A from-scratch
reproduction copies them (it cannot assume the DFT code) and recomputes everything derived."""
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


SADDLE_LINE = tuple(round(0.25 - 0.0125 * k, 4) for k in range(9))
"""t of the points (½, t, t) on the mirror line through the window (½, ¼, ¼) between two
vacancy images (the saddle lies on it by symmetry: x = ½ is a mirror plane, y ↔ z another)."""
HESS_STEP = 0.1
"""Displacement (Å) of the finite-difference Hessians at the site and at the saddle."""


def saddle_line_tasks(name, a0):
    return [dict(name=name, a=a0, fx=0.5, fy=t, fz=t) for t in SADDLE_LINE]


def saddle_t(name, a0):
    """t* of the saddle (½, t*, t*): where the force along (0, 1, 1) changes sign on the line
    (cubic interpolation of the force; None if the line is not complete or has no sign change)."""
    res = load_sweep(SLUG, "saddle", saddle_line_tasks(name, a0))
    if any(r is None for r in res):
        return None
    t = np.array(SADDLE_LINE)
    f = np.array([r["force_eV_per_A"][1] + r["force_eV_per_A"][2] for r in res])
    return landscape.zero_crossing(t, f)


def hessian_tasks(name, a0, centre):
    """The six points centre ± h·e_i (fractional centre) for a central-difference Hessian."""
    h = HESS_STEP / a0
    out = []
    for i in range(3):
        for sg in (1, -1):
            p = list(centre)
            p[i] = round(p[i] + sg * h, 8)
            out.append(dict(name=name, a=a0, fx=p[0], fy=p[1], fz=p[2]))
    return out


def saddle_tasks(name, a0):
    """The line scan; once it is complete, also the saddle itself and the Hessian points of the
    saddle and of the site."""
    out = saddle_line_tasks(name, a0)
    ts = saddle_t(name, a0)
    if ts is not None:
        c = (0.5, round(ts, 6), round(ts, 6))
        out += [dict(name=name, a=a0, fx=c[0], fy=c[1], fz=c[2])]
        out += hessian_tasks(name, a0, c) + hessian_tasks(name, a0, (0.0, 0.0, 0.0))
    return out


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
            "holdout": lambda: holdout_tasks(name, a0),
            "saddle": lambda: saddle_tasks(name, a0)}[kind]()


_FUNC = {"scan": dft.strained_point, "elastic": dft.strained_point,
         "convergence": dft.mobile_point, "grid": dft.mobile_point, "holdout": dft.mobile_point,
         "saddle": dft.mobile_point}
_FOLDER = {"scan": "lattice", "elastic": "lattice", "convergence": "convergence",
           "grid": "grid", "holdout": "holdout", "saddle": "saddle"}


def run(kind, name, n=16, scheduler=None, jobs=None):
    """Compute (or resume) one kind of DFT task for material `name`; returns the results."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one thread per worker process
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if kind == "lattice":
        run("scan", name, n, scheduler, jobs)
        return run("elastic", name, n, scheduler, jobs)
    if kind == "saddle":   # two stages: the line, then the saddle and the Hessian points
        run_sweep(_FUNC[kind], saddle_line_tasks(name, pbe_a(name)), slug=SLUG, name="saddle",
                  scheduler=scheduler, n_workers=jobs, retries=0)
    t = tasks(kind, name, n)
    out = run_sweep(_FUNC[kind], t, slug=SLUG, name=_FOLDER[kind], scheduler=scheduler,
                    n_workers=jobs, retries=0)
    annotate(_FOLDER[kind])
    return out


def annotate(folder):
    """Write the DFT description into every manifest of `folder` that lacks it: the functional,
    cutoff, k-points, smearing and SCF tolerances the point used (:data:`ionmotion.dft.DEFAULTS`
    with the task's overrides) and the code, ASE and setup versions that made it."""
    d = cache.data_dir(SLUG) / folder
    for man in sorted(d.glob("*.json")):
        m = json.loads(man.read_text())
        if "dft" in m:
            continue
        over = {k: v for k, v in m["parameters"].items() if k in dft.DEFAULTS}
        with np.load(man.with_suffix(".npz"), allow_pickle=False) as z:
            versions = json.loads(str(z["versions"]))
        m["dft"] = {**dft.settings(**over), **versions}
        man.write_text(json.dumps(m, indent=1, sort_keys=True) + "\n")


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
            # the stress left at the energy minimum (plane-wave basis at fixed cutoff): the two
            # routes to the elastic constants differ by terms of this order
            self.elastic["sigma0"] = float(np.mean(re_[4]["stress_eV_per_A3"][:3])) * EV_PER_A3_GPA
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

    def saddle(self):
        """The hop's saddle from the DFT points of ``dft saddle``: dict with t (the saddle is at
        (½, t, t)), barrier (meV above the site), H_saddle and H_site (meV/Å², central
        differences of the forces with step :data:`HESS_STEP`), the line scan (t, U meV,
        force along (0,1,1)/√2 meV/Å); None until the line, saddle and Hessian points exist."""
        a0 = self.compound.a
        t = saddle_tasks(self.name, a0)
        res = load_sweep(SLUG, "saddle", t)
        if len(t) == len(SADDLE_LINE) or any(r is None for r in res) or self.reference_eV is None:
            return None
        E = lambda r: (float(r["energy_eV"]) - self.reference_eV) * 1e3
        nl = len(SADDLE_LINE)
        line = (np.array(SADDLE_LINE), np.array([E(r) for r in res[:nl]]),
                np.array([(r["force_eV_per_A"][1] + r["force_eV_per_A"][2]) / np.sqrt(2) * 1e3
                          for r in res[:nl]]))

        def hess(rs):
            F = np.array([r["force_eV_per_A"] * 1e3 for r in rs])       # meV/Å, (+x, −x, +y, …)
            H = -(F[0::2] - F[1::2]) / (2 * HESS_STEP)                  # row i: −∂F/∂r_i
            return 0.5 * (H + H.T)

        return {"t": t[nl]["fy"], "barrier": E(res[nl]), "H_saddle": hess(res[nl + 1:nl + 7]),
                "H_site": hess(res[nl + 7:nl + 13]), "line": line,
                "walls": [self._wall(r) for r in res]}


DEFAULT_TABLE = (
    "| setting | value |\n|---|---|\n"
    "| code | GPAW (plane waves, PAW setups of gpaw-data), through ASE |\n"
    f"| functional | {dft.DEFAULTS['xc']} |\n"
    f"| cutoff | {dft.DEFAULTS['ecut_eV']:.0f} eV |\n"
    f"| k-points | {dft.DEFAULTS['kpts']}×{dft.DEFAULTS['kpts']}×{dft.DEFAULTS['kpts']} "
    f"(cells for the elastic constants: {ELASTIC_K}×{ELASTIC_K}×{ELASTIC_K}) |\n"
    f"| occupations | Fermi–Dirac, {dft.DEFAULTS['smearing_eV']} eV |\n"
    f"| SCF stops at | ΔE < {dft.DEFAULTS['conv_energy_eV_per_electron']:g} eV per valence "
    f"electron, density change < {dft.DEFAULTS['conv_density']:g} |\n"
    "| cell | conventional rock-salt cube, 8 ions, cation 0 moved, 7 fixed |\n")
"""The DFT settings of the landscape points, as a Markdown table."""


def _walls(name, folder):
    return [m["wall_time_s"] for m in sweep_manifests(SLUG, folder)
            if m["parameters"].get("name") == name]


def cost_table(mats):
    """Markdown: DFT points and wall time (one core each) per material and kind of point."""
    rows = ["| material | kind | points | mean per point (s) | longest (s) | core-hours |",
            "|---|---|---:|---:|---:|---:|"]
    total = 0.0
    for name in mats:
        sub = 0.0
        for folder in ("lattice", "convergence", "grid", "holdout", "saddle"):
            w = _walls(name, folder)
            if not w:
                continue
            sub += sum(w)
            rows.append(f"| {name} | {folder} | {len(w)} | {np.mean(w):.0f} | {max(w):.0f} | "
                        f"{sum(w) / 3600:.2f} |")
        rows.append(f"| **{name}** | **all** | | | | **{sub / 3600:.2f}** |")
        total += sub
    rows.append(f"| **both** | | | | | **{total / 3600:.2f}** |")
    return "\n".join(rows)


def convergence_table(m):
    """The convergence study of one material: a Markdown table of energies above the site
    (meV) and the force on the ion at the general point (meV/Å) per setting, and the largest
    relative deviation of the defaults from the most converged cutoff (600 eV) and k-points
    (4×4×4) ("deviation"), and that of one k-point ("k1")."""
    by = {}
    for setting, point, E, F, _ in m.convergence():
        by.setdefault(setting, {})[point] = (E, F)
    names = [s for s in by if len(by[s]) == len(CONV_POINTS)]

    def vec(s):
        d = by[s]
        e0 = d["site"][0]
        return np.array([(d[p][0] - e0) * 1e3 for p in ("tetrahedral", "window", "general")]
                        + [np.abs(d["general"][1]).max(), np.abs(d["window"][1]).max()])

    label = lambda s: ", ".join(f"{k} = {v}" for k, v in json.loads(s).items()).replace(
        "defaults = True", "**defaults**")
    rows = [f"**{m.name}** | tetrahedral (meV) | window (meV) | general (meV) | "
            "force, general (meV/Å) | force, window (meV/Å)", "|---|---:|---:|---:|---:|---:|"]
    rows += [f"| {label(s)} | " + " | ".join(f"{x:.1f}" for x in vec(s)) + " |" for s in names]
    ref = vec(json.dumps({"defaults": True}))
    dev = max(np.abs(ref / vec(json.dumps(best)) - 1).max()
              for best in ({"ecut_eV": 600.0}, {"kpts": 4}))
    k1 = np.abs(vec(json.dumps({"kpts": 1}))[:3] / ref[:3] - 1).max()
    rows[0] = "| " + rows[0]
    return {"markdown": "\n".join(rows), "deviation": float(dev), "k1": float(k1)}
