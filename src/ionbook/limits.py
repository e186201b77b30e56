"""The sweeps of the chapter ``time-local-limits``: their task lists at draft and paper quality and
one call that runs (or loads) them all. The physics is in :mod:`ionmotion.limits` (the cooling
diagnosis), :mod:`ionmotion.fdtlocal` (the FDT-consistent equation) and
:func:`ionmotion.diffusion.diffusion_task` (rodin2025's time-local equation and the full lattice).

Every task is a cached dask task (:func:`ionbook.sweep.run_or_load`) in
``data/time-local-limits/<sweep>/``. Paper quality computes what is missing (LocalCluster, or the
scheduler given); a draft execution computes only the short draft sweeps, in process, and shows
whatever paper-quality results are committed.
"""
from ionmotion import diffusion as dif
from ionmotion import fdtlocal as fl
from ionmotion import limits as lm

from .sweep import longest_available, run_or_load

SLUG = "time-local-limits"
PAPER_KT = (10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0)
"""ħΩ_T (meV) of rodin2025's Sec. VI sweep at U0 = 4 eV."""
STIFF_KT = 30.0
"""ħΩ_T (meV) of the stiffness sweeps."""
FULL_STIFFNESS = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Stiffness factors of the 3 ns full-lattice runs (s = 1: rodin2025's crystal)."""
TIMELOCAL_STIFFNESS = (0.5, 1.0, 2.0, 4.0)
"""Stiffness factors of the 3 ns time-local runs: at s = 0.25 rodin2025's equation diverges (the
particle falls into the softening hole at a corner mass and is thrown out; see the chapter)."""
MARKOV_STIFFNESS = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0)
"""Stiffness factors of the FDT-consistent equation's sweep."""
SOFT = dict(U0=8000.0, stiffness=0.25, kT=(20.0, 25.0, 30.0, 40.0, 50.0))
"""The strong-deformation case: U0 = 8 eV on a framework 4× softer (relaxation lowers the barrier
by a third, the deformation energy is a third of the relaxed barrier)."""
MARKOV_SAVE_DT = 1.0
"""Sampling interval (ps) of the stored 3 ns FDT-consistent trajectories: the MSD is fitted from
1 ps to the 12 ps segment length on whole-picosecond lags, and the committed data stay small."""
COOLING_SAVE_DT = 0.25
"""Sampling interval (ps) of the 300 ps FDT-consistent runs at the cooling sets (only their
kinetic temperature is used)."""
COST_GRIDS = (10, 14, 20, 28)
"""Mode grids / lattice sizes N (N³ cells) of the cost measurements."""


def cooling_sets():
    """(ħΩ_T, U0, λ, stiffness) of the cooling diagnosis: ħΩ_T at three stiffnesses beside the
    paper's, and U0 and λ varied at 25 and 50 meV."""
    sets = [(kT, 4000.0, 0.5, s) for s in (0.5, 1.0, 2.0, 4.0) for kT in (10.0, 25.0, 50.0)]
    sets += [(kT, U0, 0.5, 1.0) for U0 in (2000.0, 8000.0) for kT in (25.0, 50.0)]
    sets += [(kT, 4000.0, lam, 1.0) for lam in (0.35, 0.7) for kT in (25.0, 50.0)]
    return sets


def lattice_args(s):
    """The `lattice` task argument for stiffness s (None for rodin2025's own crystal, so that
    the task is named as in the diffusion chapter)."""
    return None if s == 1.0 else {k: v * (s if k in ("k1", "k2") else 1.0)
                                  for k, v in lm.PAPER.items()}


def cooling_tasks(quality):
    if quality == "paper":
        return [dict(kT=kT, U0=U0, lam=lam, stiffness=s, seed=seed, duration=300.0, n_grid=20)
                for kT, U0, lam, s in cooling_sets() for seed in range(4)]
    return [dict(kT=kT, U0=4000.0, lam=0.5, stiffness=s, seed=0, duration=110.0, n_grid=10)
            for kT, s in ((25.0, 1.0), (50.0, 1.0), (25.0, 4.0))]


def markov_cooling_tasks(quality, noise="white"):
    """The FDT-consistent equation (or, noise="band", its band-limited counterpart) at the cooling
    diagnosis' parameter sets."""
    extra = {} if noise == "white" else {"noise": noise}
    return [dict(kT=p["kT"], U0=p["U0"], lam=p["lam"], lattice=lattice_args(p["stiffness"]),
                 seed=p["seed"], duration=p["duration"], n_grid=p["n_grid"],
                 save_dt=COOLING_SAVE_DT, **extra)
            for p in cooling_tasks(quality)]


def markov_tasks(quality, kTs=None, U0=4000.0, stiffness=1.0, n_seeds=8, dt=5e-3, noise="white"):
    """The FDT-consistent equation, 3 ns, `n_seeds` seeds per ħΩ_T (default: rodin2025's seven;
    a draft: 200 ps, one seed, three temperatures unless `kTs` is given)."""
    dur, ng, seeds = (3000.0, 20, range(n_seeds)) if quality == "paper" else (200.0, 10, (0,))
    if kTs is None:
        kTs = PAPER_KT if quality == "paper" else (25.0, 40.0, 50.0)
    extra = {} if noise == "white" else {"noise": noise}
    return [dict(kT=kT, U0=U0, seed=s, duration=dur, n_grid=ng, lattice=lattice_args(stiffness),
                 dt=dt, save_dt=MARKOV_SAVE_DT, **extra) for kT in kTs for s in seeds]


def stiffness_tasks(quality, method):
    """3 ns at ħΩ_T = 30 meV, U0 = 4 eV across FULL_STIFFNESS (method "full" or "timelocal",
    :func:`ionmotion.diffusion.diffusion_task`)."""
    if quality != "paper":
        return [dict(method=method, kT=STIFF_KT, U0=4000.0, seed=0, duration=60.0, n_grid=10,
                     lattice=lattice_args(s), **({"stride": 2} if method == "timelocal" else {}))
                for s in (1.0, 4.0)]
    out = []
    for s in FULL_STIFFNESS if method == "full" else TIMELOCAL_STIFFNESS:
        extra = {"stride": lm.largest_stride(lm.scaled_lattice(s), 5e-3)} \
            if method == "timelocal" else {}
        out += [dict(method=method, kT=STIFF_KT, U0=4000.0, seed=seed, duration=3000.0,
                     n_grid=20, lattice=lattice_args(s), **extra) for seed in (0, 1)]
    return out


def markov_stiffness_tasks(quality):
    ss = MARKOV_STIFFNESS if quality == "paper" else (0.5, 1.0, 4.0)
    return [t for s in ss for t in markov_tasks(quality, (STIFF_KT,), stiffness=s)]


def soft_tasks(quality, method):
    """The strong-deformation Arrhenius sweep (:data:`SOFT`): full lattice (4 seeds) or the
    FDT-consistent equation (8 seeds)."""
    if method == "markov":
        return [t for kT in (SOFT["kT"] if quality == "paper" else (30.0, 50.0))
                for t in markov_tasks(quality, (kT,), U0=SOFT["U0"], stiffness=SOFT["stiffness"])]
    if quality != "paper":
        return [dict(method="full", kT=kT, U0=SOFT["U0"], seed=0, duration=60.0, n_grid=10,
                     lattice=lattice_args(SOFT["stiffness"])) for kT in (30.0, 50.0)]
    return [dict(method="full", kT=kT, U0=SOFT["U0"], seed=seed, duration=3000.0, n_grid=20,
                 lattice=lattice_args(SOFT["stiffness"])) for kT in SOFT["kT"] for seed in range(4)]


LAMBDAS = (0.35, 0.7)
"""Screening lengths (Å) of the accuracy sweeps beside the paper's 0.5 (30 meV, U0 = 4 eV)."""


def lambda_tasks(quality, method):
    """3 ns at ħΩ_T = 30 meV, U0 = 4 eV for each λ in LAMBDAS: the full lattice and rodin2025's
    equation (two seeds, :func:`ionmotion.diffusion.diffusion_task`) or the FDT-consistent
    equation (eight seeds)."""
    if method == "markov":
        return [dict(t, lam=lam) for lam in (LAMBDAS if quality == "paper" else (0.7,))
                for t in markov_tasks(quality, (STIFF_KT,))]
    if quality != "paper":
        return [dict(method=method, kT=STIFF_KT, U0=4000.0, seed=0, duration=60.0, n_grid=10,
                     lam=0.7, **({"stride": 4} if method == "timelocal" else {}))]
    extra = {"stride": 4} if method == "timelocal" else {}
    return [dict(method=method, kT=STIFF_KT, U0=4000.0, seed=seed, duration=3000.0, n_grid=20,
                 lam=lam, **extra) for lam in LAMBDAS for seed in (0, 1)]


def cost_tasks(quality, method):
    """Short runs at ħΩ_T = 30 meV whose wall times give the cost per simulated ns against the
    lattice size (the FDT-consistent equation has no modes: one size)."""
    dur = 60.0 if quality == "paper" else 6.0
    grids = COST_GRIDS if quality == "paper" else (10,)
    if method == "markov":
        return [dict(kT=STIFF_KT, U0=4000.0, seed=100, duration=max(dur * 10, 200.0), n_grid=20)]
    extra = {"stride": 4} if method == "timelocal" else {}
    return [dict(method=method, kT=STIFF_KT, U0=4000.0, seed=100, duration=dur, n_grid=n,
                 **extra) for n in grids]


def dt_tasks(quality):
    """The FDT-consistent equation at 2.5, 5 and 10 fs (30 and 50 meV): the error BAOAB adds."""
    return [t for dt in (2.5e-3, 5e-3, 1e-2)
            for t in markov_tasks(quality, (30.0, 50.0) if quality == "paper" else (50.0,),
                                  dt=dt)]


SWEEPS = {
    # name: (task function, task list builder)
    "cooling": (lm.cooling_task, cooling_tasks),
    "markov-cooling": (fl.markov_task, markov_cooling_tasks),
    "markov": (fl.markov_task, lambda q: markov_tasks(q, n_seeds=16)),
    "band-cooling": (fl.markov_task, lambda q: markov_cooling_tasks(q, "band")),
    "band": (fl.markov_task, lambda q: markov_tasks(q, noise="band", n_seeds=16)),
    "full-stiffness": (dif.diffusion_task, lambda q: stiffness_tasks(q, "full")),
    "timelocal-stiffness": (dif.diffusion_task, lambda q: stiffness_tasks(q, "timelocal")),
    "markov-stiffness": (fl.markov_task, markov_stiffness_tasks),
    "full-soft": (dif.diffusion_task, lambda q: soft_tasks(q, "full")),
    "markov-soft": (fl.markov_task, lambda q: soft_tasks(q, "markov")),
    "markov-dt": (fl.markov_task, dt_tasks),
    "full-lambda": (dif.diffusion_task, lambda q: lambda_tasks(q, "full")),
    "timelocal-lambda": (dif.diffusion_task, lambda q: lambda_tasks(q, "timelocal")),
    "markov-lambda": (fl.markov_task, lambda q: lambda_tasks(q, "markov")),
    "cost-full": (dif.diffusion_task, lambda q: cost_tasks(q, "full")),
    "cost-timelocal": (dif.diffusion_task, lambda q: cost_tasks(q, "timelocal")),
    "cost-markov": (fl.markov_task, lambda q: cost_tasks(q, "markov")),
}
"""Every sweep of the chapter: the cached folder name, its task function and its task lists."""


def run(quality, scheduler=None, names=None):
    """Run or load the chapter's sweeps. Returns {name: {"tasks", "results", "label"}}, per sweep
    the paper-quality results where every one is cached (or, at paper quality, computed), else
    the draft sweep's (computed in process when missing)."""
    out = {}
    for name in names or SWEEPS:
        func, build = SWEEPS[name]
        paper_t = build("paper")
        paper = run_or_load(func, paper_t, slug=SLUG, name=name, compute=quality == "paper",
                            scheduler=scheduler)
        if all(r is not None for r in paper):
            out[name] = {"tasks": paper_t, "results": paper, "label": "paper"}
            continue
        draft_t = build("draft")
        draft = run_or_load(func, draft_t, slug=SLUG, name=f"{name}-draft", compute=True,
                            scheduler="synchronous")
        out[name] = {"tasks": draft_t, "results": draft, "label": "draft"}
    return out


def by_key(entry, key):
    """Group a sweep's results by a key of their task parameters:
    {key(p): {"runs": [...], "params": [...], "label": ...}} (the form
    :func:`ionmotion.diffusion.pooled_diffusion` users take)."""
    return longest_available([(entry["results"], entry["tasks"], entry["label"])], key)


# ---------------------------------------------------------------------------------------------
# Reading the sweeps
# ---------------------------------------------------------------------------------------------

M_ION = 0.7
"""The particle's mass (rodin2025 Sec. III, Li), as in every task of this chapter."""


def diffusion_reference():
    """The diffusion chapter's 3 ns runs at U0 = 4 eV, the paper's seven ħΩ_T, three seeds:
    {"full": entry, "timelocal": entry} as returned by :func:`run` (None where a sweep is not
    completely cached; a whole-book reproduction runs that chapter first, CHAPTER_NEEDS)."""
    from ionmotion.papers import rodin2025 as r25

    from .sweep import load_sweep
    sets = [(kT, 4000.0) for kT in r25.DIFFUSION_KT]
    out = {}
    for name, tasks in (("full", r25.diffusion_tasks(3000.0, 20, range(3), sets, method="full")),
                        ("timelocal", r25.diffusion_tasks(3000.0, 20, range(3), sets, stride=4))):
        res = load_sweep("diffusion", f"{name}-3ns", tasks)
        out[name] = ({"tasks": tasks, "results": res, "label": "paper"}
                     if all(r is not None for r in res) else None)
    return out


def _temperature_ratios(runs, params):
    """Per run: kinetic temperature over the framework's (the mean mode energy of the run's own
    thermal sample for the lattice methods, the noise temperature for the FDT-consistent one)."""
    import numpy as np

    from ionmotion.lattice import CubicLattice
    if "kT_noise" in runs[0]:
        return np.array([M_ION * float(r["V2"]) / 3 / float(r["kT_noise"]) for r in runs])
    lat = params[0].get("lattice")
    lat = None if lat is None else CubicLattice(**lat)
    return dif.mode_energy_ratios(runs, [{"M": M_ION, **p} for p in params], lat)


def summarise(entry, key):
    """Per parameter set (key of the task dict): D (pooled 12 ps segments, rodin2025 Sec. VI),
    its error, the kinetic temperature ratio (mean, standard error over runs) and the runs'
    count. Returns {key: dict(D, D_err, T_ratio, T_ratio_se, n, label)}."""
    import numpy as np
    out = {}
    for k, v in by_key(entry, key).items():
        p = dif.pooled_diffusion(v["runs"], M_ION)
        t = _temperature_ratios(v["runs"], v["params"])
        out[k] = dict(D=p["fit"]["D"], D_err=p["D_err"], T_ratio=float(t.mean()),
                      T_ratio_se=float(t.std(ddof=1) / np.sqrt(len(t))) if len(t) > 1 else np.nan,
                      n=len(t), label=v["label"])
    return out


def series(summary):
    """Arrays (keys, D, D_err, T_ratio, T_ratio_se) of a :func:`summarise` result, by key."""
    import numpy as np
    ks = sorted(summary)
    return (np.array(ks), *(np.array([summary[k][f] for k in ks])
                            for f in ("D", "D_err", "T_ratio", "T_ratio_se")))


def cost_per_ns(entry):
    """Core-seconds of integration per simulated ns of each task (its `wall` over its length)."""
    import numpy as np
    return np.array([float(r["wall"]) / (p["duration"] / 1000.0)
                     for r, p in zip(entry["results"], entry["tasks"])])


def core_hours(names):
    """Core-hours the cached tasks of these sweeps recorded (their manifests' wall times)."""
    from .sweep import sweep_manifests
    return sum(float(m.get("wall_time_s") or 0.0) for n in names
               for m in sweep_manifests(SLUG, n)) / 3600.0


DIVERGED = 5.0
"""A time-local run whose kinetic temperature exceeds this multiple of its framework's has
diverged (the particle fell into the softening hole at a corner mass and was ejected)."""


def cooling_rows(entry):
    """One row per cooling parameter set (ħΩ_T, U0, λ, s), averaged over its seeds: the
    time-local particle's T_kin over its framework sample's mean mode energy, the shares of the
    power of V and of H·V above Ω_max, unstable passes of the runs kept, runs that diverged (left
    out of the means, :data:`DIVERGED`), and the binned spectra of the first run kept."""
    import numpy as np
    rows = {}
    for r, p in zip(entry["results"], entry["tasks"]):
        k = (p["kT"], p["U0"], p["lam"], p["stiffness"])
        rows.setdefault(k, []).append(r)
    out = []
    for (kT, U0, lam, s), all_rs in rows.items():
        # a run whose particle ends far hotter than any equipartition (it fell into the hole
        # the softened energy opens at a corner and was thrown out) is counted, not averaged
        rs = [r for r in all_rs if float(r["T_kin"]) < DIVERGED * float(r["T_modes"])]
        t = np.array([float(r["T_kin"]) / float(r["T_modes"]) for r in rs])
        out.append(dict(kT=kT, U0=U0, lam=lam, s=s, T_ratio=t.mean(), n=len(rs),
                        diverged=len(all_rs) - len(rs),
                        T_ratio_se=t.std(ddof=1) / np.sqrt(len(t)) if len(t) > 1 else np.nan,
                        frac_HV=np.mean([float(r["frac_HV"]) for r in rs]),
                        frac_V=np.mean([float(r["frac_V"]) for r in rs]),
                        unstable=int(sum(int(r["unstable_passes"]) for r in rs)),
                        edges=rs[0]["edges"] / float(rs[0]["omega_max"]),
                        S_V=rs[0]["S_V"], S_HV=rs[0]["S_HV"]))
    return out


def cooling_group(row):
    """The label of the varied parameter a cooling row belongs to (for the figure's legend)."""
    if row["U0"] != 4000.0:
        return "$U_0$ = 2, 8 eV"
    if row["lam"] != 0.5:
        return r"$\lambda$ = 0.35, 0.7 Å"
    return f"stiffness × {row['s']:g}"


def markov_rows(entry):
    """The FDT-consistent equation's (or its band-limited counterpart's) T_kin / T_noise per
    (ħΩ_T, U0, λ, stiffness) set: (mean over seeds, its standard error, number of seeds)."""
    import numpy as np
    rows = {}
    for r, p in zip(entry["results"], entry["tasks"]):
        s = 1.0 if p["lattice"] is None else p["lattice"]["k1"] / lm.PAPER["k1"]
        rows.setdefault((p["kT"], p["U0"], p["lam"], s), []).append(
            M_ION * float(r["V2"]) / 3 / float(r["kT_noise"]))
    return {k: (float(np.mean(v)), float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1
                else np.nan, len(v)) for k, v in rows.items()}


def mode_temperature(kT, stiffness=1.0, n_grid=20):
    """The mean energy per mode (meV) of the framework sampled at ħΩ_T = kT: the classical
    temperature of the full-lattice reference and the FDT-consistent equation's noise temperature
    (:func:`ionmotion.fdtlocal.noise_temperature`), for each kT."""
    import numpy as np
    lat = lm.scaled_lattice(stiffness)
    return np.array([fl.noise_temperature(lat, float(k), n_grid) for k in np.atleast_1d(kT)])


def unstable_per_run(entry, key):
    """Mean number of passes through steps where rodin2025's fixed RK5 step is unstable, per run,
    for each key of the task parameters."""
    import numpy as np
    per = {}
    for r, p in zip(entry["results"], entry["tasks"]):
        per.setdefault(key(p), []).append(int(r.get("unstable_passes", 0)))
    return {k: float(np.mean(v)) for k, v in per.items()}


def stiffness_table(st, unstable):
    """Markdown table of the stiffness sweeps: per stiffness s, Ω_max, D ± error of each method
    (`st`: label -> :func:`series` arrays), the time-local particle's T_kin/T and its unstable
    passes per run."""
    import numpy as np
    tl_key, full_key, new_key = "time-local (rodin2025)", "full lattice", "FDT-consistent"

    def at(k, s, field=1, fmt="{:.2f}", err=True):
        i = np.flatnonzero(st[k][0] == s) if k in st else []
        if not len(i):
            return "—"
        v = fmt.format(st[k][field][i[0]])
        return v + (f" ± {st[k][2][i[0]]:.2f}" if err else "")

    rows = ["| stiffness s | Ω_max (ps⁻¹) | D full lattice | D time-local | time-local T_kin/T | "
            "time-local unstable passes per 3 ns run | D FDT-consistent |",
            "|---|---|---|---|---|---|---|"]
    for s in sorted(set(np.concatenate([v[0] for v in st.values()]))):
        u = f"{unstable[s]:.0f}" if s in unstable else "—"
        rows.append(f"| {s:g} | {lm.scaled_lattice(s).max_frequency:.1f} | {at(full_key, s)} | "
                    f"{at(tl_key, s)} | {at(tl_key, s, 3, err=False)} | {u} | {at(new_key, s)} |")
    return "\n".join(rows)


def binned(omega, S, edges):
    """Bin means of a spectrum S(ω) between `edges` (empty bins 0)."""
    import numpy as np
    idx = np.digitize(omega, edges) - 1
    ok = (idx >= 0) & (idx < len(edges) - 1)
    tot = np.bincount(idx[ok], weights=S[ok], minlength=len(edges) - 1)
    return tot / np.maximum(np.bincount(idx[ok], minlength=len(edges) - 1), 1)


def field_build_seconds(n=48):
    """Wall time (s) to tabulate the FDT-consistent equation's fields for rodin2025's crystal on
    an n³ grid from scratch (:func:`ionmotion.fdtlocal.tabulate`, W0 included)."""
    import time

    from ionmotion.potentials import Yukawa
    t0 = time.perf_counter()
    fl.tabulate(lm.scaled_lattice(1.0), Yukawa(4000.0, 0.5), n)
    return time.perf_counter() - t0


def wall_by(entry, key):
    """Mean wall time (s) of a sweep's runs (their ``wall``, the integration alone) per key of the
    task parameters."""
    import numpy as np
    per = {}
    for r, p in zip(entry["results"], entry["tasks"]):
        per.setdefault(key(p), []).append(float(r["wall"]))
    return {k: float(np.mean(v)) for k, v in per.items()}


def accuracy_points(by_lam, by_s):
    """D of each approximation over the full lattice's at every point of the accuracy map: the λ
    sweep at s = 1 and the stiffness sweep at λ = 0.5 Å (both 30 meV, U0 = 4 eV).

    by_lam, by_s: label -> {λ or s: :func:`summarise` entry}, "full lattice" among the labels.
    Returns a list of dict(point, label, ratio, error) for the labels other than the full lattice,
    where both it and the full lattice have runs."""
    import numpy as np
    out = []
    for table, name in ((by_lam, "λ = {:g} Å, s = 1"), (by_s, "s = {:g}, λ = 0.5 Å")):
        full = table["full lattice"]
        for k in sorted(full):
            for label, d in table.items():
                if label == "full lattice" or k not in d:
                    continue
                r = d[k]["D"] / full[k]["D"]
                e = r * np.hypot(d[k]["D_err"] / d[k]["D"], full[k]["D_err"] / full[k]["D"])
                out.append(dict(point=name.format(k), label=label, ratio=r, error=e))
    return out
