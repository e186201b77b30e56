"""The real-materials chapter's derived results, cached: Eq. (47) on every grid, the interpolant's
tests, the percolation level and the maps of the landscape. Reads the DFT points through
:class:`ionbook.dft.MaterialDFT`; the physics is in :mod:`ionmotion.landscape`."""
import numpy as np

from ionmotion import landscape as ls, materials as mt
from . import cache
from .dft import SLUG, MaterialDFT

PAPER_TABLE1 = {"AgCl": 0.0012, "LiCl": 0.043, "LiI": 0.99, "α-AgI": 0.25, "α-CuBr": 0.18}
"""rodin2022 Table I, μ_calc in cm²/(V·s)."""
EXPERIMENT = {"AgCl": 0.08, "LiI": 0.13, "α-AgI": 0.022, "α-CuBr": 0.001}
"""The experimental mobilities quoted in rodin2022 Sec. V, cm²/(V·s)."""


def _inv_h2(H):
    """rodin2022 Eq. (47) with 𝓛 = 1·I (μ for a scalar 𝓛 = ℓI is this over ℓ, as γ = ℓH²):
    Tr⟨H⁻²⟩/3 (Å⁴/meV²) over the given Hessians, from the eigenvalues h of H (so a point near
    det H = 0 contributes 1/h², large but finite); also the fraction of points whose smallest
    |h| is below 1e-3 of the median |h| and the share of the sum that the top 1 % of the points
    carry."""
    h = np.linalg.eigvalsh(H)
    w = (1.0 / h ** 2).sum(-1) / 3
    ah = np.abs(h)
    near = np.mean(ah.min(-1) < 1e-3 * np.median(ah))
    top = np.sort(w)[::-1][:max(1, int(np.ceil(0.01 * len(w))))].sum() / w.sum()
    return np.array([w.mean(), near, len(w), top])


def _plane_map(ip, a, nu=121, nv=71):
    """U on the plane through the site spanned by x̂ and (0, 1, 1)/√2 (it holds the site, its
    image at a·x̂ and the saddle line (½, t, t)); NaN inside the exclusion spheres."""
    u = np.linspace(-0.15, 1.15, nu) * a
    v = np.linspace(-0.2, 0.5, nv) * a
    U_, V_ = np.meshgrid(u, v, indexing="xy")
    pts = np.stack([U_, V_ / np.sqrt(2), V_ / np.sqrt(2)], -1).reshape(-1, 3)
    return u, v, pts


def analyse(name, *, n_dft=16, fine=(32, 64), rmin_frac=1 / 3):
    """Derived results of one material (cached in data/real-materials/analysis/)."""
    m = MaterialDFT(name)
    params = dict(name=name, a=m.compound.a, n_dft=n_dft, fine=list(fine), rmin_frac=rmin_frac,
                  grids=sorted(m.grids))
    tag = f"{name}-fine{max(fine)}" + ("" if abs(rmin_frac - 1 / 3) < 1e-12 else f"-r{rmin_frac:.4f}")
    return cache.cached(SLUG, f"analysis/{tag}", params, _compute)


def _compute(name, a, n_dft, fine, rmin_frac, grids):
    # One BLAS thread: the spline's linear system is ill-conditioned, and the rounding of a
    # multithreaded solve depends on the thread count (a dask worker has one, a notebook kernel
    # all cores), which moved Eq. (47) on the LiI grids by 3 % between runs.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _analysis(name, a, n_dft, fine, rmin_frac, grids)


def _analysis(name, a, n_dft, fine, rmin_frac, grids):
    m = MaterialDFT(name, grids=grids)
    out = {}
    for n, (U, F) in sorted(m.grids.items()):
        H, asym = ls.hessian_from_forces(F, a)
        mask = mt.accessible(m.compound, n, rmin_frac)
        out[f"dft{n}"] = _inv_h2(H[mask])
        out[f"asym{n}"] = np.array([np.median(asym[mask])])
    U, F = m.grids[n_dft]
    ip = ls.Interpolant(m.compound, U)
    acc = mt.accessible(m.compound, n_dft)
    nodes = mt.grid_indices(n_dft)[acc.ravel()] / n_dft * a
    out["node_force_error"] = np.array([np.sqrt(np.mean((ip.gradient(nodes) + F[acc]) ** 2)),
                                        np.sqrt(np.mean(F[acc] ** 2))])
    ho = m.holdout()
    if ho is not None:
        f, E, Fh = ho
        out["holdout"] = np.column_stack([E, ip(f * a), np.linalg.norm(Fh, axis=1),
                                          np.linalg.norm(ip.gradient(f * a) + Fh, axis=1)])
    if 2 * n_dft in m.grids:    # the finer DFT grid: a test of the interpolant on all its new points
        n2 = 2 * n_dft
        U2, F2 = m.grids[n2]
        acc2 = mt.accessible(m.compound, n2)
        new = acc2 & ~np.kron(np.ones((n_dft,) * 3, bool), np.pad(np.ones((1, 1, 1), bool),
                                                                  ((0, 1),) * 3))
        pts = mt.grid_indices(n2)[new.ravel()] / n2 * a
        dE = ip(pts) - U2[new]
        dF = np.linalg.norm(ip.gradient(pts) + F2[new], axis=1) / np.maximum(
            np.linalg.norm(F2[new], axis=1), 1.0)
        out["finer_test"] = np.array([new.sum(), np.abs(dE).max(), np.sqrt(np.mean(dE ** 2)),
                                      np.median(dF), np.nanmax(U2[new]) - np.nanmin(U2[new])])
    for n in fine:
        mask = mt.accessible(m.compound, n, rmin_frac)
        out[f"spline{n}"] = _inv_h2(ls.spline_hessian_grid(ip, a, n, mask)[mask])
    n = 32
    mask = mt.accessible(m.compound, n)
    Ug = ls.spline_energy_grid(ip, a, n, mask)
    level, cluster = ls.percolation_level(np.where(mask, Ug, np.inf), mask)
    out["percolation"] = np.array([level])
    out["cluster32"] = cluster
    out["U32"] = np.where(mask, Ug, np.nan).astype(np.float32)
    u, v, pts = _plane_map(ip, a)
    Um = ip(pts)
    far = mt.min_distance(pts / a, m.compound.fixed_sites()[0], a) > rmin_frac * a
    out["map_u"], out["map_v"] = u, v
    out["map_U"] = np.where(far, Um, np.nan).reshape(len(v), len(u))
    return out


def mobility_table(results, L):
    """μ (cm²/(V·s)) of rodin2022 Eq. (47) per grid from :func:`analyse` results and a scalar 𝓛
    (Å²·ps/meV): rows (Hessian source, n, μ, near-singular fraction, top 1 %'s share)."""
    rows = []
    for src, label in (("dft", "DFT forces"), ("spline", "interpolant")):
        for n in sorted(int(k[len(src):]) for k in results
                        if k.startswith(src) and k[len(src):].isdigit()):
            v = results[f"{src}{n}"]
            rows.append((label, n, float(1e3 * v[0] / L * 1e-4), float(v[1]), float(v[3])))
    return rows


def elastic_table(mats, Ls):
    """Markdown: PBE lattice constant, bulk modulus, elastic constants, [100] sound speeds and
    the two 𝓛 of each material."""
    rows = ["| | " + " | ".join(mats) + " |", "|---|" + "---:|" * len(mats)]
    get = {
        "PBE lattice constant $a$ (Å)": lambda m, L: f"{m.compound.a:.4f}",
        "bulk modulus $B_0$, equation of state (GPa)": lambda m, L: f"{m.eos['B0']:.1f}",
        "$C_{11}$, $C_{12}$, $C_{44}$ from stresses (GPa)":
            lambda m, L: f"{m.elastic['C11']:.1f}, {m.elastic['C12']:.1f}, {m.elastic['C44']:.1f}",
        "$C_{11}$, $C_{44}$ from energies (GPa)":
            lambda m, L: f"{m.elastic['C11_energy']:.1f}, {m.elastic['C44_energy']:.1f}",
        "$(C_{11}+2C_{12})/3$ (GPa)":
            lambda m, L: f"{(m.elastic['C11'] + 2 * m.elastic['C12']) / 3:.1f}",
        "$v_L$, $v_T$ along [100] (m/s)": lambda m, L: f"{L['vL'] * 100:.0f}, {L['vT'] * 100:.0f}",
        "𝓛, Γ–X recipe (10⁻⁴ Å²·ps/meV)": lambda m, L: f"{L['Γ–X'][0, 0] * 1e4:.3f}",
        "𝓛, direction average (10⁻⁴ Å²·ps/meV)": lambda m, L: f"{L['average'][0, 0] * 1e4:.3f}",
    }
    for label, f in get.items():
        rows.append(f"| {label} | " + " | ".join(f(mats[n], Ls[n]) for n in mats) + " |")
    return "\n".join(rows)


def holdout_table(res):
    """Markdown: the interpolant against the held-out DFT points, per material."""
    rows = ["| material | points | U range (eV) | largest energy error (meV) | "
            "median force error / force |", "|---|---:|---:|---:|---:|"]
    for n, r in res.items():
        h = r["holdout"]
        rows.append(f"| {n} | {len(h)} | {h[:, 0].min() / 1e3:.2f}–{h[:, 0].max() / 1e3:.2f} | "
                    f"{np.abs(h[:, 1] - h[:, 0]).max():.1f} | "
                    f"{np.median(h[:, 3] / np.maximum(h[:, 2], 1.0)):.3f} |")
    return "\n".join(rows)


def table1_markdown(tables, paper):
    """Markdown: Eq. (47) per grid and material beside rodin2022 Table I."""
    rows = ["| material | Hessian from | grid | μ (cm²/(V·s)) | points near det H = 0 | "
            "share of the top 1 % of points | rodin2022 Table I |", "|---|---|---:|---:|---:|---:|---:|"]
    for n, tab in tables.items():
        for src, grid, mu, near, share in tab:
            rows.append(f"| {n} | {src} | a/{grid} | {mu:.3g} | {100 * near:.2f} % | "
                        f"{100 * share:.1f} % | {paper[n]} |")
    return "\n".join(rows)


def dynamic_mobility(m, saddle, L, T):
    """Hop diffusion and mobility of the Langevin dynamics on a DFT landscape (see the chapter):
    D = 4 k a² with k the Kramers–Langer rate over one of the 24 saddles. T in K (array).
    Returns dict D (cm²/s), mu and mu0 = mu·e^{ΔE/kT} (cm²/(V·s)), factor, attempt (1/ps)."""
    from ionmotion import units
    M = units.mass_from_dalton(m.compound.m_cation)
    Hs = saddle["H_saddle"]
    kT = units.KB * np.asarray(T, dtype=float)
    hop = ls.hop_rate(saddle["H_site"], Hs, Hs @ L @ Hs, M, saddle["barrier"], kT)
    D = 4 * hop["rate"] * m.compound.a ** 2 * 1e-4            # Å²/ps → cm²/s
    mu = D / (kT * 1e-3)                                      # q = e: μ = D/(kT/e), kT in eV
    mu0 = 4 * hop["attempt"] * hop["factor"] * m.compound.a ** 2 * 1e-4 / (kT * 1e-3)
    return {"D": D, "mu": mu, "mu0": mu0, "factor": hop["factor"], "attempt": hop["attempt"]}


def finer_test_markdown(res):
    """A sentence on the interpolant against the finer DFT grid, for the materials that have it
    ("" when none has)."""
    parts = []
    for n, r in res.items():
        if "finer_test" in r:
            k, emax, erms, fmed, span = r["finer_test"]
            parts.append(f"For {n}, the DFT step also computed the $a/32$ grid: on its {k:.0f} "
                         f"accessible points that are not on the $a/16$ grid (energies spanning "
                         f"{span / 1e3:.1f} eV) the interpolant's energy error is {erms:.1f} meV rms "
                         f"and {emax:.1f} meV at most, and the median relative error of its "
                         f"gradient against the DFT force is {100 * fmed:.1f} %.")
    return " ".join(parts)


def validate_parameters(rmin_factor, temperature):
    """ValueError unless the chapter's parameters are ones its DFT points can serve: the
    exclusion radius from a/3 (the DFT points reach one a/16 step inside it) to 0.43a (beyond, no
    point of the grids is left but the site's neighbourhood), and 50 K ≤ T ≤ 5000 K."""
    if not (1 / 3 - 1e-12 <= float(rmin_factor) <= 0.43):
        raise ValueError(f"rmin_factor must be between 1/3 and 0.43 (the computed DFT points "
                         f"cover no smaller exclusion radius), got {rmin_factor!r}")
    if not (50.0 <= float(temperature) <= 5000.0):
        raise ValueError(f"temperature must be between 50 and 5000 K, got {temperature!r}")


def same_grid_markdown(tables):
    """A sentence comparing Eq. (47) from DFT-force and from interpolant Hessians on the same grid
    ("" when no grid has both)."""
    parts = []
    for n, tab in tables.items():
        dft_ = {g: mu for src, g, mu, *_ in tab if src == "DFT forces"}
        ip = {g: mu for src, g, mu, *_ in tab if src == "interpolant"}
        for g in sorted(set(dft_) & set(ip)):
            parts.append(f"On the same $a/{g}$ points of {n}, the Hessians from DFT force "
                         f"differences give μ = {dft_[g]:.3g} and those of the interpolant "
                         f"{ip[g]:.3g} cm²/(V·s), a factor of {max(dft_[g], ip[g]) / min(dft_[g], ip[g]):.3g} "
                         "apart: near det H = 0 the average is set by how exactly the smallest "
                         "eigenvalue of H is computed, and a difference quotient over one grid "
                         "step smooths it.")
    return " ".join(parts)
