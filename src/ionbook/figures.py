"""The chapters' figures: each function draws one figure from arrays a chapter has computed.

Chapters call the package and keep their code cells short (issue 17), so the drawing lives here:
one function per figure (or per layout a chapter draws more than once, such as
:func:`collision_panels`, rodin2025 Fig. 3 as 2 × 2 panels for the deflection and for the force),
named after what it shows and documented with the chapter it belongs to. No physics: every curve,
fit and model value a figure shows is computed in the chapter (with ``ionmotion``) and passed in;
these functions only lay out panels, styles, labels and legends. Each returns the figure.
"""
import numpy as np

LEVEL_COLORS = {"full": "k", "timelocal": "C2", "quasistatic": "C1", "homogeneous": "C3"}
LEVEL_STYLES = {"full": "-", "timelocal": "-", "quasistatic": "--", "homogeneous": ":"}


def collision_panels(tasks, runs, levels, kind, ylabel):
    """rodin2025 Fig. 3 as 2 × 2 panels of the approximation levels around the collision.

    Parameters
    ----------
    tasks : sequence of dict
        The four collisions' parameters (``lam``, ``speed``).
    runs : sequence of dict
        Their results (:func:`ionmotion.papers.rodin2025.head_on_collision`): ``t``, ``drift``
        and ``r_<level>``, ``F_<level>`` for every level.
    levels : sequence of str
        Approximation levels, "full" first.
    kind : {"r", "F"}
        Deflection of the nearest mass (mÅ, the full solution's drift removed) or the force on
        the ion (−F).
    ylabel : str
        Label of the panels' y axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if kind not in ("r", "F"):
        raise ValueError(f"kind must be 'r' or 'F', got {kind!r}")
    fig, axes = plt.subplots(2, 2, figsize=(7.2, 5.6))
    for ax, p, res in zip(axes.flat, tasks, runs):
        t, F = res["t"], res["F_full"]
        big = np.flatnonzero(np.abs(F) > 1e-3 * np.abs(F).max())
        span = t[big[-1]] - t[big[0]]
        win = (t > t[big[0]] - 0.2 * span) & (t < t[big[-1]] + 0.8 * span)
        tt = t[win] - t[np.argmax(np.abs(F))]
        for lev in levels:
            y = (1e3 * (res[f"r_{lev}"] - (res["drift"] if lev == "full" else 0.0))
                 if kind == "r" else -res[f"F_{lev}"])
            ax.plot(tt, y[win], LEVEL_STYLES[lev], color=LEVEL_COLORS[lev], lw=1.6, label=lev)
        top = (1e3 * np.abs(res["r_full"] - res["drift"]).max() if kind == "r"
               else np.abs(F).max())
        ax.axhline(top, color="k", ls="--", lw=0.8)
        ax.set_title(f"λ = {p['lam']} Å, $\\dot R_0$ = {p['speed']:g} Å/ps", fontsize=10)
    for ax in axes[1]:
        ax.set_xlabel(r"$t - t_\mathrm{peak}$ (ps)")
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    axes[0, 0].legend(fontsize=9)
    fig.tight_layout()
    return fig


def _panel(ax, letter, **labels):
    """Axis labels and the panel letter ("(a)") at the top left."""
    ax.set(**labels)
    ax.set_title(f"({letter})", loc="left")


def hopping_zero_field(k, pp, pm, num, ks, kap_num, kap_small):
    """hopping-conductivity: the zero-field chain's eigenvalues and '+' decay rate (two panels).

    Parameters
    ----------
    k : ndarray
        ka across the Brillouin zone.
    pp, pm : ndarray
        Closed-form '+' and '−' eigenvalues on `k`.
    num : ndarray, shape (len(k), 2)
        Numerical eigenvalues on `k` (about 40 of them drawn as dots).
    ks, kap_num, kap_small : ndarray
        ka on a log grid, the numerical decay rate and the small-k law there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    n_k = len(k)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.2))
    ax.plot(k, pp.real, label=r"$p_{k,+}$")
    ax.plot(k, pm.real, label=r"$p_{k,-}$")
    ax.plot(k[::max(1, n_k // 40)], num.real[::max(1, n_k // 40)], ".", color="k", ms=3)
    _panel(ax, "a", xlabel=r"$ka$", ylabel="eigenvalue")
    ax.legend()
    ax2.loglog(ks, kap_num, ".", label="numerical")
    ax2.loglog(ks, kap_small, "-", label="hu2026 Eq. (27)")
    _panel(ax2, "b", xlabel=r"$ka$", ylabel=r"$\kappa_{k,+}\tau$")
    ax2.legend()
    return fig


def hopping_field_branch(k, pp_f, p_num, weak_phase):
    """hopping-conductivity: hu2026 Fig. 3(c), modulus and phase of the '+' branch in a field.

    Parameters
    ----------
    k : ndarray
        ka across the Brillouin zone.
    pp_f : ndarray
        Closed-form '+' eigenvalue on `k`.
    p_num : ndarray
        Numerical '+' eigenvalue on ``k[1:-1]`` (about 40 of them drawn as dots).
    weak_phase : ndarray
        The weak-field, small-k phase on `k` (grey dashed line in the phase panel).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    sub = slice(None, None, max(1, len(k) // 40))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.2))
    ax.plot(k, np.abs(pp_f))
    ax.plot(k[1:-1][sub], np.abs(p_num[sub]), ".", color="k", ms=3)
    _panel(ax, "a", xlabel=r"$ka$", ylabel=r"$|p_{k,+}|$")
    ax2.plot(k, np.angle(pp_f))
    ax2.plot(k[1:-1][sub], np.angle(p_num[sub]), ".", color="k", ms=3)
    ax2.plot(k, weak_phase, "--", color="0.5", lw=1)
    _panel(ax2, "b", xlabel=r"$ka$", ylabel=r"$\arg p_{k,+}$")
    return fig


def hopping_ring(cells, traj0, trajf, start, arrow, waves):
    """hopping-conductivity: a packet and density waves propagated on a ring (two panels).

    Parameters
    ----------
    cells : ndarray
        Cell positions (units of a).
    traj0, trajf : ndarray, shape (steps + 1, 2 × len(cells))
        The packet's site occupations per step without and with the field; drawn summed per
        cell after 100, 200 and 400 steps.
    start, arrow : float
        Where the packet starts and the predicted drift after 400 steps (the arrow).
    waves : dict
        Label -> (t, amplitude, |p|^t) of a density wave: measured amplitude (dots) and the
        eigenvalue's power (line).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.2))
    for t, ls in ((100, ":"), (200, "--"), (400, "-")):
        ax.plot(cells, traj0[t, 0::2] + traj0[t, 1::2], ls, color="0.6")
        ax.plot(cells, trajf[t, 0::2] + trajf[t, 1::2], ls, color="C0", label=f"t = {t}τ")
    top = 1.08 * (traj0[100, 0::2] + traj0[100, 1::2]).max()
    ax.annotate("", xy=(start + arrow, top), xytext=(start, top),
                arrowprops=dict(arrowstyle="->", color="C3", lw=1.5))
    ax.set(xlim=(start - 30, start + 45), ylim=(0, 1.15 * top))
    _panel(ax, "a", xlabel="cell position (a)", ylabel="ions per cell")
    ax.legend(loc="upper right")
    for label, (tt, amp, law) in waves.items():
        ax2.plot(tt, amp, ".", label=label)
        ax2.plot(tt, law, "-", color=ax2.lines[-1].get_color(), lw=1)
    _panel(ax2, "b", xlabel=r"$t/\tau$", ylabel="wave amplitude")
    ax2.legend()
    return fig


def hopping_conductivity(inv_kT, lnsT_num, lnsT_law, xs, diff_num, xx, cosh_law, chord):
    """hopping-conductivity: Arrhenius plot and strong-field conductivity (two panels).

    Parameters
    ----------
    inv_kT, lnsT_num, lnsT_law : ndarray
        1/k_BT and ln(σT), numerical (dots) and hu2026 Eq. (38) (line).
    xs, diff_num : ndarray
        x = ZEa/2k_BT and the numerical differential conductivity relative to σ_weak (dots).
    xx, cosh_law, chord : ndarray
        A fine x grid, cosh x of hu2026 Eq. (42) and the chord conductivity sinh x / x.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.2))
    ax.plot(inv_kT, lnsT_num, ".", label=r"numerical $\partial J/\partial\mathcal{E}$")
    ax.plot(inv_kT, lnsT_law, "-", lw=1, label="hu2026 Eq. (38)")
    _panel(ax, "a", xlabel=r"$1/k_BT$ (eV$^{-1}$)", ylabel=r"$\ln(\sigma T)$")
    ax.legend()
    ax2.plot(xs, diff_num, "o", ms=4, label=r"numerical $\partial J/\partial\mathcal{E}$")
    ax2.plot(xx, cosh_law, label="hu2026 Eq. (42): cosh x")
    ax2.plot(xx, chord, "--", label="chord: sinh x / x")
    _panel(ax2, "b", xlabel=r"$x = Z\mathcal{E}a/2k_BT$", ylabel=r"$\sigma/\sigma_\mathrm{weak}$")
    ax2.legend()
    return fig


def _table_i_band(ax):
    """The range of rodin2022 Table I (0.0012–0.99 cm²/(V·s)) as a labelled grey band."""
    ax.axhspan(0.0012, 0.99, color="0.8")
    ax.text(0.5, 0.035, "rodin2022 Table I range", transform=ax.get_yaxis_transform(), ha="center")


def drag_slice(X, Y, gmin, U, detH, a):
    """drag-mobility: the smallest drag eigenvalue in a plane, with U and the zero set of det H.

    Parameters
    ----------
    X, Y : ndarray, shape (m, m)
        Grid of the plane (Å).
    gmin : ndarray, shape (m, m)
        Smallest eigenvalue of γ (meV·ps/Å²), drawn as log₁₀ (floored at 1e-8).
    U : ndarray, shape (m, m)
        Potential (meV); contours every 20 meV from 60 meV.
    detH : ndarray, shape (m, m)
        det H; its zero set in white.
    a : float
        Lattice constant (Å), the extent of both axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    im = ax.pcolormesh(X, Y, np.log10(np.maximum(gmin, 1e-8)), shading="auto", cmap="viridis",
                       vmin=-6, vmax=1)
    ax.contour(X, Y, U, levels=np.arange(60, 400, 20), colors="k", linewidths=0.4)
    ax.contour(X, Y, detH, levels=[0], colors="w", linewidths=1.5)
    fig.colorbar(im, ax=ax, label=r"$\log_{10}\,\gamma_\mathrm{min}$ (meV ps/Å$^2$)")
    ax.grid(False)
    ax.set(xlabel="x (Å)", ylabel="y (Å)", aspect="equal", xlim=(0, a), ylim=(0, a))
    return fig


def drag_toy(Fgrid, curves, runs, titles):
    """drag-mobility: drift against force in the 1D landscapes, exact curves and runs (two panels).

    Parameters
    ----------
    Fgrid : ndarray
        Forces of the curves (meV/Å).
    curves : sequence of dict
        Per panel: ``det`` (noise-free exact drift), ``eq47`` (rodin2022 Eq. (47)) and ``noisy``
        (k_BT -> exact drift with noise) on `Fgrid`.
    runs : sequence of dict
        Per panel: ``noisy`` (k_BT -> list of (F, mean, standard error)) and ``noise_free``
        (list of (F, v)).
    titles : sequence of str
        Panel titles.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, cv, rn, title in zip(axes, curves, runs, titles):
        ax.plot(Fgrid, cv["det"], "k-", label="no noise (exact)")
        ax.plot(Fgrid, cv["eq47"], "k--", label="rodin2022 Eq. (47)")
        for c, (kT, v) in zip(["C0", "C1", "C3"], cv["noisy"].items()):
            ax.plot(Fgrid, v, color=c, label=f"kT = {kT:g} meV (exact)")
            for F, m, se in rn["noisy"][kT]:
                ax.errorbar(F, m, 2 * se, fmt="o", color=c, ms=4)
        for F, v in rn["noise_free"]:
            ax.plot(F, v, "ks", ms=5, mfc="none")
        ax.set(xlabel="F (meV/Å)", title=title, ylim=(-0.3, 9))
    axes[0].set_ylabel("drift velocity (Å/ps)")
    axes[1].legend(fontsize=7)
    return fig


def drag_crystal(cryst, forces, kTs, eq47):
    """drag-mobility: the model crystal's mobility, Einstein and drift, against Eq. (47).

    Parameters
    ----------
    cryst : dict of ndarray
        One entry per (k_BT, F) row: ``kT``, ``F``, ``mu_einstein``, ``mu_einstein_se``,
        ``mu_drift``, ``mu_drift_se`` (cm²/(V·s)).
    forces : sequence of float
        The nonzero forces run (meV/Å), one marker colour each.
    kTs : sequence of float
        The temperatures run (meV).
    eq47 : sequence of (float, str, float)
        rodin2022 Eq. (47) values (cm²/(V·s)) with their line style and floor.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    ax.errorbar(cryst["kT"], cryst["mu_einstein"], 2 * cryst["mu_einstein_se"], fmt="o", ms=6,
                label=r"Einstein $qD/k_BT$")
    for F, c in zip(forces, ["C1", "C2"]):
        s = cryst["F"] == F
        ax.errorbar(cryst["kT"][s] + 1.0, cryst["mu_drift"][s], 2 * cryst["mu_drift_se"][s],
                    fmt="s", color=c, ms=6, label=f"drift, F = {F:g} meV/Å")
    for mu, ls, floor in eq47:
        ax.axhline(mu, color="k", ls=ls, label=f"rodin2022 Eq. (47), floor {floor:g}")
    _table_i_band(ax)
    ax.set(yscale="log", xlabel=r"$k_BT$ (meV)", ylabel="μ (cm²/(V·s))", ylim=(1e-4, 30),
           xlim=(min(kTs) - 5, max(kTs) + 5))
    ax.set_xticks(kTs)
    ax.legend(fontsize=8, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return fig


def superionic_type2(t, g, Tp_over_T, sigT, Ea, limits):
    """superionic-transitions: the type-II transition, hu2026 Fig. 4(b)(c) (three panels).

    Parameters
    ----------
    t : ndarray
        T/T_p.
    g : ndarray
        Polarization γ on `t` (drawn with its mirror −γ).
    Tp_over_T, sigT : ndarray
        Abscissa and ordinate of the Arrhenius plot (T_p/T, σT/σ_u).
    Ea : ndarray
        Apparent activation energy (eV) on `t`.
    limits : sequence of float
        Limits of `Ea` drawn as grey dashed lines (eV).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axs = plt.subplot_mosaic([["a", "b"], ["c", "c"]], figsize=(7.5, 5.6),
                                  gridspec_kw=dict(height_ratios=[1, 1.1]))
    ax, ax2, ax3 = axs["a"], axs["b"], axs["c"]
    ax.plot(t, g, color="C0")
    ax.plot(t, -g, "--", color="C0")
    ax.set(xlabel=r"$T/T_p$", ylabel=r"polarization $\gamma$")
    ax2.semilogy(Tp_over_T, sigT, color="C1")
    ax2.axvline(1, color="k", lw=0.6, ls=":")
    ax2.set(xlabel=r"$T_p/T$", ylabel=r"$\sigma T/\sigma_u$ (K)")
    ax3.plot(t, Ea, color="C1", lw=2)
    for E in limits:
        ax3.axhline(E, color="0.5", ls="--", lw=1)
    ax3.axvline(1, color="k", lw=0.6, ls=":")
    ax3.set(xlabel=r"$T/T_p$", ylabel=r"$E_a$ (eV)", ylim=(0.3, 1.6 * np.nanmax(Ea[t < 1.5]) / 1.5))
    for lab_, a_ in (("(a)", ax), ("(b)", ax2), ("(c)", ax3)):
        a_.set_title(lab_, loc="left")
    fig.tight_layout()
    return fig


def superionic_type1(t, curves):
    """superionic-transitions: hopping probability and conductivity of the type-I cases.

    Parameters
    ----------
    t : ndarray
        T/T_p.
    curves : dict
        Label -> (P0 on the physical branch, the second root, σ/σ_u, fold temperature T_I/T_p or
        inf); roots above 1 are not drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import math
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.4))
    for (label, (P, other, sigma, t_I)), col in zip(curves.items(), ("C0", "C1", "C2")):
        ax.plot(t, np.where(P <= 1 + 1e-12, P, np.nan), color=col, label=label)
        ax.plot(t, np.where(other <= 1, other, np.nan), ":", color=col, lw=1.2)
        ax2.semilogy(t, sigma, color=col, label=label)
        if math.isfinite(t_I):
            for a_ in (ax, ax2):
                a_.axvline(t_I, color=col, lw=0.9, ls="--")
    ax.set(ylim=(0, 1.02), xlabel=r"$T/T_p$", ylabel=r"$P_0$")
    ax2.legend(loc="lower right")
    ax2.set(xlabel=r"$T/T_p$", ylabel=r"$\sigma/\sigma_u$")
    ax.set_title("(a)", loc="left")
    ax2.set_title("(b)", loc="left")
    return fig


def superionic_temperatures(K_line, TI_K, Tp_K, M_fix, M_line, TI_M, Tp, K0, window):
    """superionic-transitions: T_I and T_p against K0 and against M0 (two panels).

    Parameters
    ----------
    K_line, TI_K, Tp_K : ndarray
        K0 (eV) and the type-I and type-II temperatures (K) there, at M0 = `M_fix` (eV).
    M_fix : float
        M0 of the first panel (eV).
    M_line, TI_M : ndarray
        M0 (eV) and the type-I temperature (K) there, at K0 = `K0`.
    Tp : float
        The type-II temperature at `K0` (K).
    K0 : float
        K0 of the second panel (eV).
    window : sequence of float
        Edges of the coexistence window in M0 (eV), dotted verticals.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.3))
    ax.plot(K_line, TI_K, label=r"$T_I$ (type I)")
    ax.plot(K_line, Tp_K, label=r"$T_p$ (type II)")
    ax.set(xlabel=r"$K_0$ (eV)", ylabel="T (K)")
    ax.set_title(r"(a) $M_0$ = %.1f eV" % M_fix, loc="left")
    ax.legend()
    ax2.plot(M_line, TI_M, label=r"$T_I$")
    ax2.axhline(Tp, color="C1", label=r"$T_p$")
    for m in window:
        ax2.axvline(m, color="k", ls=":", lw=1)
    ax2.set(xlabel=r"$M_0$ (eV)", ylabel="T (K)")
    ax2.set_title(r"(b) $K_0$ = %.2f eV" % K0, loc="left")
    ax2.legend()
    return fig


def superionic_phase_diagram(Kg, Mg, cls, kk, edges, star, T_window):
    """superionic-transitions: which transitions occur below T_window in the (K0, M0) plane.

    Parameters
    ----------
    Kg, Mg : ndarray
        K0 and M0 of the map's cells (eV).
    cls : ndarray of int, shape (len(Mg), len(Kg))
        0 neither, 1 type II only, 2 type I only, 3 both.
    kk : ndarray
        K0 of the boundary lines (eV).
    edges : sequence of ndarray
        M0 on `kk` of the boundary drawn solid (fold exists above) and dashed (type I pre-empts
        type II above).
    star : (float, float)
        (K0, M0) marked with a star.
    T_window : float
        The temperature of the title (K).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, ax = plt.subplots(figsize=(6.2, 4.2))
    cmap = ListedColormap(["#DDDDDD", "#E69F00", "#0072B2", "#009E73"])
    ax.pcolormesh(Kg, Mg, cls, cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest", rasterized=True)
    ax.plot(kk, edges[0], "w-", lw=1.6)
    ax.plot(kk, edges[1], "w--", lw=1.6)
    ax.plot([star[0]], [star[1]], "k*", ms=12)
    ax.set(xlim=(0, 1.5), ylim=(0, 6), xlabel=r"$K_0$ (eV)", ylabel=r"$M_0$ (eV)")
    for c_, lab in zip(range(4), ["neither", "type II only", "type I only", "both"]):
        ax.plot([], [], "s", ms=9, color=cmap(c_), label=lab)
    ax.legend(loc="upper right", framealpha=0.9, frameon=True)
    ax.set_title(f"transitions below T_window = {T_window:.0f} K", fontsize=10)
    ax.grid(False)
    return fig


def superionic_honeycomb(t, sig_num, sig_law, sig_chain, pos, packets):
    """superionic-transitions: honeycomb conductivity and packets drifting in a field (two panels).

    Parameters
    ----------
    t : ndarray
        T/T_p.
    sig_num, sig_law : ndarray, shape (len(t), 2, 2)
        Numerical and closed-form conductivity tensors; σ_xx is drawn.
    sig_chain : ndarray
        The chain's conductivity, scaled for comparison (dashed).
    pos : ndarray, shape (n_sites, 2)
        Site positions (a).
    packets : sequence of (ndarray, ndarray, ndarray)
        Per field direction: final occupations (sites above a quarter of the maximum drawn), the
        start and the end of the predicted drift (arrow).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.5))
    ax.semilogy(t, sig_num[:, 0, 0], "o", ms=4, label=r"numerical $\sigma_{xx}$")
    ax.semilogy(t, sig_law[:, 0, 0], "-", label="hu2026 Eq. (63)")
    ax.semilogy(t, sig_chain, "--", label="chain × 4/6")
    ax.set(xlabel=r"$T/T_p$", ylabel=r"$\sigma/\sigma_u$")
    ax.set_title("(a)", loc="left")
    ax.legend()
    for (n, start, end), col in zip(packets, ("C0", "C1", "C2")):
        sel = n > 0.25 * n.max()
        ax2.scatter(pos[sel, 0], pos[sel, 1], s=60 * n[sel] / n.max(), color=col, alpha=0.6)
        ax2.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", color="k"))
    ax2.set_aspect("equal")
    ax2.set(xlabel="x (a)", ylabel="y (a)")
    ax2.set_title("(b)", loc="left")
    return fig


def edge_trajectory(t, z, v, envelopes, a, labels):
    """timelocal-validation: rodin2025 Fig. 4(b)(c), the ion along a cell edge (three panels).

    Parameters
    ----------
    t : ndarray
        Time (ps).
    z, v : dict
        Level ("full", "tl") -> position (Å) and velocity (Å/ps) of the ion on `t`.
    envelopes : dict
        Level -> (times, values) of the envelope of the energy above the well bottom (meV).
    a : float
        Lattice constant (Å); positions are drawn as z / a.
    labels : dict
        Level -> legend label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(3, 1, figsize=(7, 7), sharex=True)
    for (which, lab), c, ls in zip(labels.items(), ("k", "C2"), ("-", "--")):
        ax[0].plot(t, z[which] / a, ls, color=c, label=lab)
        ax[1].plot(t, v[which], ls, color=c)
        ax[2].semilogy(*envelopes[which], ls, color=c)
    ax[0].set_ylabel("z / a")
    ax[0].legend(ncol=2)
    ax[1].set_ylabel(r"$\dot Z$ (Å/ps)")
    ax[2].set_ylabel(r"$E - E_\mathrm{min}$ (meV)")
    ax[2].set_xlabel("t (ps)")
    fig.tight_layout()
    return fig


def window_drag(x, running, factors, marked):
    """timelocal-validation: the drag carried by a memory window, relative to the time-local one.

    Parameters
    ----------
    x : ndarray
        Window length in periods 2π/Ω_max.
    running : dict
        ω (ps⁻¹) -> running integral on `x`, relative to the time-local drag.
    factors : sequence of float
        The windows used (periods), marked with dots.
    marked : dict
        ω -> the running integral at `factors`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for (om, cum), c in zip(running.items(), ("C0", "C3")):
        ax.plot(x, cum, color=c, lw=1.8, label=rf"$\omega$ = {om:.1f} ps$^{{-1}}$")
        ax.plot(factors, marked[om], "o", color=c)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xlabel(r"$\tau_w\,/\,(2\pi/\Omega_\mathrm{max})$")
    ax.set_ylabel(r"windowed drag / $\mathcal{L}_{zz}$")
    ax.legend()
    fig.tight_layout()
    return fig


def envelope_ratios(envelopes, reference):
    """timelocal-validation: energy envelopes and their ratio to a reference one (two panels).

    Parameters
    ----------
    envelopes : sequence of (str, ndarray, ndarray, str, str, float)
        (label, times, envelope, colour, line style, line width) per curve.
    reference : (ndarray, ndarray)
        Times and envelope that the lower panel divides by.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    te_ref, Ee_ref = reference
    fig, (ax, axr) = plt.subplots(2, 1, figsize=(7, 6), sharex=True,
                                  gridspec_kw=dict(height_ratios=(3, 2)))
    lowest = np.inf
    for lab, te, Ee, c, ls, lw in envelopes:
        ax.semilogy(te, Ee, ls, color=c, lw=lw, label=lab)
        axr.semilogy(te, Ee / np.interp(te, te_ref, Ee_ref), ls, color=c, lw=lw)
        lowest = min(lowest, Ee[te <= 10.5].min())
    ax.set_xlim(0, 10.5)
    ax.set_ylim(0.7 * lowest, 2 * Ee_ref.max())
    axr.set_ylim(0.3, 2.5)
    axr.set_yticks([0.3, 0.5, 0.7, 1, 1.5, 2], labels=["0.3", "0.5", "0.7", "1", "1.5", "2"])
    axr.minorticks_off()
    axr.axhline(1, color="k", lw=0.8)
    ax.set_ylabel(r"$E - E_\mathrm{min}$ (meV)")
    axr.set_ylabel("envelope / full")
    axr.set_xlabel("t (ps)")
    ax.legend(fontsize=8.5, ncol=2)
    fig.tight_layout()
    return fig


def chain_polarization(t, g_mf, rings):
    """beyond-mean-field: √⟨γ²⟩ of rings of growing length against the exact and mean-field ones.

    Parameters
    ----------
    t : ndarray
        T/T_p of the lines.
    g_mf : ndarray
        Mean-field polarization on `t` (black).
    rings : sequence of (str, ndarray, ndarray, ndarray)
        Per ring: label, T/T_p and √⟨γ²⟩ of the simulation (markers), and the exact √⟨γ²⟩ on
        `t` (dashed).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(t, g_mf, "k-", lw=2, label="mean field, Eq. (50)")
    for i, (label, tk, gk, exact) in enumerate(rings):
        ax.plot(tk, gk, "o", color=f"C{i}", label=label)
        ax.plot(t, exact, "--", color=f"C{i}", lw=1)
    ax.set(xlabel="$T/T_p$", ylabel=r"$\sqrt{\langle\gamma^2\rangle}$", ylim=(0, 1.02))
    ax.legend(fontsize=8, ncol=2)
    return fig


def staggered_correlations(curves):
    """beyond-mean-field: staggered correlations of a ring, simulated and exact, on a log scale.

    Parameters
    ----------
    curves : sequence of (str, ndarray, ndarray, ndarray)
        Per temperature: label, distances r, simulated (−1)^r ⟨s_0 s_r⟩ (markers, clipped at
        1e-4) and the exact one (line).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for i, (label, rr, G, Gex) in enumerate(curves):
        ax.semilogy(rr, np.clip(G, 1e-4, None), "o", ms=3, color=f"C{i}", label=label)
        ax.semilogy(rr, Gex, "-", color=f"C{i}")
    ax.set(xlabel="distance r (sites)", ylabel=r"$(-1)^r\langle s_0 s_r\rangle$", ylim=(1e-3, 1.1))
    ax.legend(fontsize=8)
    return fig


def _arrhenius_against_mean_field(ax, x_mf, s_mf, eq):
    """Mean-field conductivity (black) and half of it (grey dashed) against T_p/T."""
    ax.semilogy(x_mf, s_mf, "k-", label=f"hu2026 Eq. ({eq})")
    ax.semilogy(x_mf, s_mf / 2, "--", color="0.5", label=f"Eq. ({eq}) / 2")


def chain_conductivity(x_mf, s_mf, x, sig, t, ratio, label):
    """beyond-mean-field: the chain's simulated conductivity against the mean field (two panels).

    Parameters
    ----------
    x_mf, s_mf : ndarray
        T_p/T and the mean-field σ/σ_u.
    x, sig : ndarray
        T_p/T and σ/σ_u of the simulation.
    t, ratio : ndarray
        T/T_p and the simulated σ over the mean-field one there.
    label : str
        Legend label of the simulation.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8, 3.4))
    _arrhenius_against_mean_field(ax, x_mf, s_mf, 38)
    ax.semilogy(x, sig, "o", color="C3", label=label)
    ax.axvline(1, ls=":", c="k")
    _panel(ax, "a", xlabel="$T_p/T$", ylabel=r"$\sigma/\sigma_u$")
    ax.legend()
    bx.plot(t, ratio, "o-", color="C3")
    bx.axvline(1, ls=":", c="k")
    _panel(bx, "b", xlabel="$T/T_p$", ylabel=r"$\sigma_\mathrm{KMC}/\sigma_\mathrm{MF}$")
    return fig


def binder_cumulants(table, gtable, Tp, Tc, t_mf, g_mf):
    """beyond-mean-field: Binder cumulants of two samplers and the order parameter (two panels).

    Parameters
    ----------
    table, gtable : dict
        Lattice size L -> (T, U, dU, ⟨|γ|⟩, χ) of the fixed-N and the grand-canonical runs
        (:func:`ionmotion.kmc.binder_table`).
    Tp, Tc : float
        The mean-field and the exact transition temperatures (K).
    t_mf, g_mf : ndarray
        T/T_p and the mean-field polarization (black).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8.5, 3.4))
    colour = {L: f"C{i}" for i, L in enumerate(sorted(set(table) | set(gtable)))}
    for L in sorted(table):
        T, U, dU, G, chi = table[L]
        ax.errorbar(T / Tp, U, dU, fmt="o-", ms=3, color=colour[L], label=f"{2 * L * L} sites")
        bx.plot(T / Tp, G, "o-", ms=3, color=colour[L])
    for L in sorted(gtable):
        Tg_, Ug, dUg = gtable[L][:3]
        ax.errorbar(Tg_ / Tp, Ug, dUg, fmt="s--", ms=3, color=colour[L], mfc="none")
    ax.axvline(Tc / Tp, color="k", lw=1, label="exact Ising $T_c$")
    _panel(ax, "a", xlabel="$T/T_p$", ylabel="Binder cumulant $U$")
    ax.legend(fontsize=8)
    bx.plot(t_mf, g_mf, "k-", label="mean field")
    bx.axvline(Tc / Tp, color="k", lw=1)
    _panel(bx, "b", xlabel="$T/T_p$", ylabel=r"$\langle|\gamma|\rangle$", ylim=(0, 1.02))
    bx.legend(fontsize=8)
    return fig


def honeycomb_conductivity(Tp, Tc, T_mf, s_mf, g_mf, einstein, drift, polarization):
    """beyond-mean-field: honeycomb conductivity and polarization against the mean field.

    Parameters
    ----------
    Tp, Tc : float
        The mean-field and the exact transition temperatures (K).
    T_mf, s_mf, g_mf : ndarray
        Temperatures (K), mean-field σ/σ_u and polarization.
    einstein, drift : (ndarray, ndarray, str)
        Temperatures (K), σ/σ_u and legend label of the Einstein and the drift conductivity.
    polarization : ndarray
        The simulated ⟨|γ|⟩ at the temperatures of `einstein`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    (Th, sh, lab_h), (Td, sd, lab_d) = einstein, drift
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8.5, 3.4))
    _arrhenius_against_mean_field(ax, Tp / T_mf, s_mf, 63)
    ax.semilogy(Tp / Th, sh, "o", color="C0", label=lab_h)
    ax.semilogy(Tp / Td, sd, "s", mfc="none", color="C3", ms=8, label=lab_d)
    ax.axvline(Tp / Tc, color="k", lw=1)
    ax.axvline(1, color="k", ls=":", lw=1)
    _panel(ax, "a", xlabel="$T_p/T$", ylabel=r"$\sigma/\sigma_u$")
    ax.legend(fontsize=8)
    bx.plot(T_mf / Tp, g_mf, "k-", label="mean field, hu2026 Eq. (50)")
    bx.plot(Th / Tp, polarization, "o-", color="C0", label="KMC")
    bx.axvline(Tc / Tp, color="k", lw=1)
    _panel(bx, "b", xlabel="$T/T_p$", ylabel=r"$\langle|\gamma|\rangle$", ylim=(0, 1.02))
    bx.legend(fontsize=8)
    return fig


def concerted_hopping(t_mf, mean_field, t_I, with_m0, without_m0, M0):
    """beyond-mean-field: hop rate and conductivity with and without concerted hopping.

    Parameters
    ----------
    t_mf : ndarray
        T/T_p of the mean-field lines.
    mean_field : (ndarray, ndarray, ndarray)
        On `t_mf`: P0 of hu2026 Eq. (54) (black), of Eq. (49) (grey), and σ/σ_u of
        Eqs. (38), (54).
    t_I : float
        The type-I temperature over T_p (dotted; not drawn if not finite).
    with_m0, without_m0 : (ndarray, ndarray, ndarray)
        T/T_p, hops per ion per τ and σ/σ_u of the simulation with and without concerted hopping.
    M0 : float
        The concerted-hopping strength (eV), for the labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    P54, P49, s54 = mean_field
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8.5, 3.4))
    ax.semilogy(t_mf, P54, "k-", label=f"MF hu2026 Eq. (54), M0 = {M0:g} eV")
    ax.semilogy(t_mf, P49, "-", color="0.6", label="MF hu2026 Eq. (49), M0 = 0")
    ax.semilogy(with_m0[0], with_m0[1], "o-", color="C3", label=f"KMC, M0 = {M0:g} eV")
    ax.semilogy(without_m0[0], without_m0[1], "s-", color="C0", label="KMC, M0 = 0")
    if np.isfinite(t_I):
        ax.axvline(t_I, color="k", ls=":")
    _panel(ax, "a", xlabel="$T/T_p$", ylabel="hops per ion per τ  /  $P_0$")
    ax.legend(fontsize=7)
    bx.semilogy(t_mf, s54, "k-", label="MF hu2026 Eqs. (38), (54)")
    bx.semilogy(with_m0[0], with_m0[2], "o-", color="C3", label=f"KMC, M0 = {M0:g} eV")
    bx.semilogy(without_m0[0], without_m0[2], "s-", color="C0", label="KMC, M0 = 0")
    _panel(bx, "b", xlabel="$T/T_p$", ylabel=r"$\sigma/\sigma_u$")
    bx.legend(fontsize=7)
    return fig


def speed_histograms(panels):
    """thermal-framework: rodin2025 Fig. 1(d)(e), histograms of |r| and |ṙ| with their laws.

    Parameters
    ----------
    panels : dict
        ħΩ_T (meV) -> [(values, grid, density on the grid)] for |r| (left) and |ṙ| (right):
        the sampled values (shaded histogram) and the Maxwell–Boltzmann density (line).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 2, figsize=(8, 3.6))
    for i, (kT, pair) in enumerate(panels.items()):
        for ax, (x, xs, density) in zip(axs, pair):
            ax.hist(x, bins=80, density=True, color=f"C{i}", alpha=0.35)
            ax.plot(xs, density, color=f"C{i}", lw=1.8, label=f"{kT:g} meV")
    axs[0].set(xlabel=r"$|\mathbf{r}|$ (Å)", ylabel="probability density")
    axs[1].set(xlabel=r"$|\dot{\mathbf{r}}|$ (Å/ps)")
    axs[0].legend(title=r"$\hbar\Omega_T$", fontsize=10, title_fontsize=10)
    fig.tight_layout()
    return fig


def correlation_decay(t, c_self, c_nb, t_est, est_self, est_nb):
    """thermal-framework: normalised displacement correlations, closed form and sampled.

    Parameters
    ----------
    t : ndarray
        Time (ps).
    c_self, c_nb : ndarray
        C_xx(t)/C_xx(0) of the same mass and of the neighbour along x (lines).
    t_est, est_self, est_nb : ndarray
        Lags (ps) and the same two from sampled trajectories (symbols).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.axhline(0, color="0.5", lw=0.8)
    ax.plot(t, c_self, color="C0", lw=2, label="same mass, rodin2025 Eq. (24)")
    ax.plot(t, c_nb, color="C1", lw=2, label="neighbour along x, rodin2025 Eq. (24)")
    ax.plot(t_est, est_self, "o", color="C0", label="same mass, sampled")
    ax.plot(t_est, est_nb, "s", color="C1", label="neighbour, sampled")
    ax.set(xlabel="t (ps)", ylabel=r"$C_{xx}(t)\,/\,C_{xx}(0)$")
    ax.legend(fontsize=9)
    return fig


def single_mass_loss(v, curves, sims, extra_handles):
    """dissipation-cubic: rodin2024 Fig. 4, loss per unit speed past one mass (two panels).

    Parameters
    ----------
    v : ndarray
        Speeds of the Eq. (13) curves.
    curves : dict
        λ -> for the offsets s = 0 and 1 (left, right): (loss per speed of rodin2024 Eq. (13) on
        `v`, low-speed rate of Eq. (23)); colours C0, C1, … in this order.
    sims : dict
        λ -> simulation result with ``speeds`` and ``loss`` (one row per offset), where run.
    extra_handles : sequence of matplotlib.lines.Line2D
        Marker legend entries appended to the λ entries.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 4), sharey=True)
    for k, (lam, pair) in enumerate(curves.items()):
        c = f"C{k}"
        for i, (ax, s, (e13v, rate)) in enumerate(zip(axes, (0.0, 1.0), pair)):
            ax.loglog(v, e13v, "s", mfc="none", color=c, ms=4)
            ax.axhline(rate, color=c, lw=1.2, label=f"λ = {lam:g}")
            if lam in sims:
                r = sims[lam]
                ax.loglog(r["speeds"], r["loss"][i] / r["speeds"], "o", color=c, ms=3.5)
            ax.set_title(f"s = {s:g}", fontsize=10)
            ax.set_xlabel(r"$\dot\sigma$")
    axes[0].set_ylabel(r"$\Delta/\dot\sigma$")
    axes[0].set_ylim(3e-10, 3e-6)
    fig.legend(handles=axes[0].get_legend_handles_labels()[0] + list(extra_handles), ncol=7,
               fontsize=9, loc="upper center", bbox_to_anchor=(0.5, 1.08))
    fig.tight_layout()
    return fig


def several_masses_loss(rates, sims, small, lams):
    """dissipation-cubic: rodin2024 Fig. 5, loss per unit speed past four and eight masses.

    Parameters
    ----------
    rates : dict
        (configuration "four" or "eight", λ) -> low-speed rate of rodin2024 Eq. (23) (dashed),
        in drawing order.
    sims, small : dict
        (configuration, λ) -> simulation result (``speeds``, ``loss``): the main runs (dots) and
        those on a smaller box (crosses), where present.
    lams : sequence of float
        All λ, whose index picks the colour.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8), sharey=True)
    for (cfg, lam), rate in rates.items():
        ax, c = axes[0 if cfg == "four" else 1], f"C{list(lams).index(lam)}"
        if (cfg, lam) in sims:
            r = sims[(cfg, lam)]
            ax.semilogy(r["speeds"], r["loss"][0] / r["speeds"], "o-", color=c, ms=3, lw=0.8)
        if (cfg, lam) in small:
            s32 = small[(cfg, lam)]
            ax.semilogy(s32["speeds"], s32["loss"][0] / s32["speeds"], "x", color=c, ms=4)
        ax.axhline(rate, color=c, lw=1, ls="--", label=f"λ = {lam:g}")
        ax.set_title(f"{cfg} masses", fontsize=10)
        ax.set_xlabel(r"$\dot\sigma$")
    axes[0].set_ylabel(r"$\Delta/\dot\sigma$")
    floor = min(float(r["loss"][0][-1] / r["speeds"][-1]) for r in sims.values()) / 5
    for ax in axes:
        ax.set_ylim(bottom=floor)
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def chain_loss_panels(panels, runs, lines, kappas, offsets, lams, extra_handles):
    """dissipation-chain: rodin2024 Fig. 2, σ̇Δ against σ̇ in 2 × 2 panels (κ × offset s).

    Parameters
    ----------
    panels : sequence of (float, float, float)
        (κ, s, λ) of each curve.
    runs : sequence of dict
        Per curve: ``speeds``, the simulated ``loss`` (dots, every other speed) and ``eq13``
        (rodin2024 Eq. (13), squares in between).
    lines : sequence of (ndarray, ndarray)
        Per curve: speeds and σ̇Δ of the closed form, rodin2024 Eq. (14) (line).
    kappas, offsets, lams : sequence of float
        Their index picks the panel row, the panel column and the colour.
    extra_handles : sequence of matplotlib.lines.Line2D
        Marker legend entries appended to the λ entries.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(8, 6.4), sharex=True, sharey=True)
    for (kap, s, lam), r, (v, line) in zip(panels, runs, lines):
        ax, c = axes[list(kappas).index(kap), list(offsets).index(s)], f"C{list(lams).index(lam)}"
        ax.semilogy(v, line, color=c, lw=1, label=f"λ = {lam:g}")
        ax.semilogy(r["speeds"][1::2], (r["speeds"] * r["eq13"])[1::2], "s", mfc="none", color=c,
                    ms=7, mew=1.0)
        ax.semilogy(r["speeds"][::2], (r["speeds"] * r["loss"])[::2], "o", color=c, ms=4, zorder=3)
        ax.set_title(f"κ = {kap:g}, s = {s:g}", fontsize=10)
        ax.set_ylim(1e-7, 5e-4)
    for ax in axes[1]:
        ax.set_xlabel(r"$\dot\sigma$")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"$\dot\sigma\,\Delta$")
    fig.legend(handles=axes[0, 0].get_legend_handles_labels()[0] + list(extra_handles), ncol=7,
               fontsize=9, loc="upper center", bbox_to_anchor=(0.5, 1.05))
    fig.tight_layout()
    return fig


def chain_loss_limits(v, kappas, curves):
    """dissipation-chain: the closed-form loss against its fast and slow limits (two panels).

    Parameters
    ----------
    v : ndarray
        Speeds of the lines.
    kappas : sequence of float
        κ of the panels.
    curves : sequence of (ndarray, ndarray, ndarray, dict)
        Per panel: rodin2024 Eqs. (14), (15) and (16) on `v`, and a simulation result
        (``speeds``, ``loss``; black dots).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6), sharey=True)
    for ax, kap, (e14, fast, slow, r) in zip(axes, kappas, curves):
        ax.loglog(v, e14, label="Eq. (14)")
        ax.loglog(v, fast, "--", label="fast, Eq. (15)")
        ax.loglog(v, slow, ":", lw=2, label="slow, Eq. (16)")
        ax.loglog(r["speeds"], r["loss"], "o", color="k", ms=3, label="simulation")
        ax.set_ylim(1e-10, 1e-3)
        ax.set_xlabel(r"$\dot\sigma$")
        ax.set_title(f"κ = {kap:g}", fontsize=10)
    axes[0].set_ylabel(r"$\Delta$")
    axes[0].legend(fontsize=9)
    fig.tight_layout()
    return fig


def fdt_kernels(t, beta_C, K, T, mismatch, series):
    """derivation: recoil and noise kernels of explicit modes, and their mismatch against T.

    Parameters
    ----------
    t : ndarray
        Time (ps).
    beta_C : dict
        Temperature (K) -> xx component of β C(t) on `t`; line styles "-" then ":".
    K : ndarray
        xx component of the recoil kernel K(t) on `t` (black dashed).
    T, mismatch, series : ndarray
        Temperatures (K), the relative mismatch ‖βC(0) − K(0)‖/‖K(0)‖ (dots) and its high-T
        series (dashed).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.3))
    for (temp, bc), ls in zip(beta_C.items(), ("-", ":")):
        a1.plot(t, bc, ls, label=f"βC, {temp} K")
    a1.plot(t, K, "k--", lw=1, label="K (any T)")
    a1.set_xlabel("t (ps)"); a1.set_ylabel("xx kernel (arb. units)"); a1.legend(fontsize=8)
    a2.loglog(T, mismatch, "o", ms=3, label="explicit modes")
    a2.loglog(T, series, "--", label="high-T series ⟨x²⟩/3")
    a2.set_xlabel("T (K)"); a2.set_ylabel("relative FDT mismatch"); a2.legend(fontsize=8)
    return fig


def drag_ratio(ratios, rel, marked):
    """derivation: the drag matrix over the isotropic formula against the spring ratio k2/k1.

    Parameters
    ----------
    ratios, rel : ndarray
        k2/k1 and 𝓛_xx over the isotropic formula with the [100] sound speeds.
    marked : float
        The book framework's k2/k1 (dotted).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    ax.plot(ratios, rel, "o-", ms=3)
    ax.axhline(1, color="0.5", lw=0.8); ax.axvline(1, color="0.5", lw=0.8)
    ax.axvline(marked, ls=":", color="k")
    ax.set_xlabel("$k_2/k_1$"); ax.set_ylabel(r"$\mathcal{L}$ / rodin2022 Eq. (43), [100] speeds")
    return fig


def corner_line(e, window=(-150.0, 450.0)):
    """diffusion: the particle's static energy on the line from the cell centre to a corner mass,
    exact relaxed against the time-local (second order in the forces) form.

    Parameters
    ----------
    e : dict
        :func:`ionmotion.diffusion.corner_line_energies` (distance, relaxed, timelocal; meV).
    window : (float, float), optional
        Energy range shown (the time-local curve falls to −∞).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(e["distance"], e["relaxed"], color="C0", label="framework relaxed exactly")
    ax.plot(e["distance"], e["timelocal"], color="C3", ls="--",
            label="time-local equation at rest (rodin2025 Eqs. (18)–(20))")
    ax.axhline(e["timelocal"][-1], color="0.6", lw=0.8)
    ax.set(xlabel="distance from the corner mass (Å)", ylabel="energy (meV)", ylim=window,
           xlim=(e["distance"].min(), e["distance"].max()))
    ax.legend(loc="upper right", fontsize=8)
    return fig


def diffusion_trajectories(runs, keys):
    """diffusion: rodin2025 Fig. 5, trajectories projected on the x–y plane (2 × 2 panels).

    Parameters
    ----------
    runs : dict
        (ħΩ_T, U0) -> {"label": str, "runs": [result with ``R`` (Å)]}, as returned by
        :func:`ionbook.sweep.longest_available`; the first run is drawn.
    keys : sequence of (float, float)
        The four parameter sets, one per panel; a missing one is titled "not computed".

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(2, 2, figsize=(8, 7.5))
    for ax, key in zip(axs.ravel(), keys):
        if key not in runs:
            ax.set_title(f"ħΩ_T = {key[0]:g} meV, U0 = {key[1]/1000:g} eV: not computed"); continue
        R = runs[key]["runs"][0]["R"]
        ax.plot(R[:, 0], R[:, 1], lw=0.4, color="C0")
        ax.plot(*R[0, :2], "o", color="k", ms=7); ax.plot(*R[-1, :2], "x", color="C3", ms=9, mew=2)
        lo = np.floor(R[:, :2].min(0) / 3) * 3 - 3
        hi = np.ceil(R[:, :2].max(0) / 3) * 3 + 3
        ax.set_xticks(np.arange(lo[0], hi[0] + 1, 3), minor=True)
        ax.set_yticks(np.arange(lo[1], hi[1] + 1, 3), minor=True)
        ax.grid(False, which="major"); ax.grid(True, which="minor", color="0.75", lw=0.4)
        ax.set(aspect="equal", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]),
               title=f"ħΩ_T = {key[0]:g} meV, U0 = {key[1]/1000:g} eV ({runs[key]['label']})",
               xlabel="x (Å)", ylabel="y (Å)")
    fig.tight_layout()
    return fig


def msd_fits(res, keys):
    """diffusion: log–log mean squared displacements with their linear fits beyond 1 ps.

    Parameters
    ----------
    res : dict
        (ħΩ_T, U0) -> analysis with ``tau``, ``mean``, ``sem`` and ``fit`` (``intercept``,
        ``slope``), as returned by :func:`ionmotion.diffusion.pooled_diffusion`.
    keys : sequence of (float, float)
        The parameter sets to draw (colours C0, C1, … by position; missing ones skipped).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, key in enumerate(keys):
        if key not in res:
            continue
        r = res[key]; tt = r["tau"][1:]; mm = r["mean"][1:]; ee = r["sem"][1:]
        ax.plot(tt, mm, color=f"C{i}", lw=2, label=f"{key[0]:g} meV, {key[1]/1000:g} eV")
        ax.fill_between(tt, np.clip(mm - ee, 1e-6, None), mm + ee, color=f"C{i}", alpha=0.25)
        lin = r["fit"]["intercept"] + r["fit"]["slope"] * tt
        ax.plot(tt[tt >= 1.0], lin[tt >= 1.0], "--", color=f"C{i}", lw=1.2)
    tg = np.geomspace(0.05, 0.4, 10)
    ax.plot(tg, 30 * tg**2, color="0.35", lw=1.2)
    ax.text(0.2, 30 * 0.04 * 0.45, r"$\propto\tau^2$", color="0.25", fontsize=11)
    tl_ = np.geomspace(2, 12, 10)
    ax.plot(tl_, 0.3 * tl_, color="0.35", lw=1.2)
    ax.text(6, 0.3 * 6 * 0.45, r"$\propto\tau$", color="0.25", fontsize=11)
    ax.axvline(1.0, color="0.6", lw=0.8, ls=":")
    ax.set(xscale="log", yscale="log", xlabel="τ (ps)",
           ylabel=r"$\langle|\Delta\mathbf{R}|^2\rangle$ (Å²)", xlim=(0.05, 12))
    ax.legend(title=r"$\hbar\Omega_T$, $U_0$", fontsize=9, title_fontsize=9, loc="upper left")
    return fig


def msd_and_arrhenius(msd, points, lines):
    """diffusion: mean squared displacements (left) and an Arrhenius plot of D (right).

    Parameters
    ----------
    msd : sequence of (ndarray, ndarray, str)
        τ (ps), ⟨|ΔR|²⟩ (Å²) and label per temperature (viridis colours in order).
    points : sequence of (ndarray, ndarray, ndarray, dict)
        ħΩ_T (meV), D (Å²/ps), its error and the errorbar style (fmt, colour, label).
    lines : sequence of (float, float, dict)
        D0 (Å²/ps), E_a (meV) and the style of an Arrhenius line D0 exp(−E_a/ħΩ_T).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (ax, ins) = plt.subplots(1, 2, figsize=(8, 3.6))
    for i, (tau, mean, label) in enumerate(msd):
        ax.plot(tau, mean, color=plt.cm.viridis(0.9 * i / max(1, len(msd) - 1)), lw=1.8,
                label=label)
    ax.set(xlabel="τ (ps)", ylabel=r"$\langle|\Delta\mathbf{R}|^2\rangle$ (Å²)")
    ax.legend(title=r"$\hbar\Omega_T$", loc="upper left", fontsize=8, title_fontsize=8)
    for kT, D, err, style in points:
        ins.errorbar(1 / kT, D, yerr=err, ms=4, **style)
    x = np.linspace(1 / 55, 1 / 9, 50)
    for D0, Ea, style in lines:
        ins.plot(x, D0 * np.exp(-Ea * x), **style)
    ins.set(yscale="log", xlabel=r"$1/\hbar\Omega_T$ (1/meV)", ylabel="D (Å²/ps)")
    ins.legend(fontsize=8)
    fig.tight_layout()
    return fig


def landscape_maps(maps, saddles):
    """real-materials: U (eV) on the plane through the site spanned by x̂ and (0,1,1)/√2, one
    panel per material; white where the exclusion spheres of rodin2022 Methods cut the plane.

    Parameters
    ----------
    maps : dict
        name → (u Å, v Å, U meV (len v, len u), a Å).
    saddles : dict
        name → (u, v) of the hop's saddle (Å) or None.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(maps), figsize=(5.2 * len(maps), 3.6), squeeze=False)
    for ax, (name, (u, v, U, a)) in zip(axes[0], maps.items()):
        levels = np.linspace(min(np.nanmin(U), 0.0) / 1e3, np.nanmax(U) / 1e3, 25)
        cs = ax.contourf(u / a, v / a, U / 1e3, levels=levels, cmap="viridis")
        ax.contour(u / a, v / a, U / 1e3, levels=levels[::3], colors="w", linewidths=0.4)
        ax.plot([0, 1], [0, 0], "o", color="C3", ms=6, label="vacated site and its image")
        if saddles.get(name) is not None:
            ax.plot(*(np.asarray(saddles[name]) / a), "x", color="C1", ms=8, mew=2,
                    label="saddle of the hop")
        ax.set_aspect("equal")
        ax.set_xlabel("$x/a$")
        ax.set_ylabel(r"$(y+z)/(\sqrt{2}\,a)$")
        ax.set_title(name)
        fig.colorbar(cs, ax=ax, label="$U$ (eV)", shrink=0.85)
    axes[0][0].legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    return fig


def percolation_cells(clusters, ions):
    """real-materials, after rodin2022 Fig. 2: the region {U ≤ E*} of the percolating cluster on
    the a/32 grid (E* the percolation level), one 3D panel per material, fixed ions marked.

    Parameters
    ----------
    clusters : dict
        name → (boolean (n, n, n) cluster, level meV).
    ions : dict
        name → (fractional positions (k, 3), symbols, {symbol: colour}).
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(5.0 * len(clusters), 4.6))
    for i, (name, (cl, level)) in enumerate(clusters.items()):
        ax = fig.add_subplot(1, len(clusters), i + 1, projection="3d")
        n = cl.shape[0]
        # draw the cluster around the vacated site: shift the cell by half an edge
        c = np.roll(cl, n // 2, axis=(0, 1, 2))
        ax.voxels(c, facecolors=(0.12, 0.47, 0.71, 0.35), shade=False)
        frac, sym, colours = ions[name]
        for s in sorted(set(sym)):
            p = (np.asarray([f for f, t in zip(frac, sym) if t == s]) + 0.5) % 1.0 * n
            ax.scatter(*p.T, s=120, color=colours[s], depthshade=False, label=f"fixed {s}")
        ax.scatter([n / 2], [n / 2], [n / 2], s=60, marker="x", color="k", label="vacated site")
        ax.set_title(f"{name}: $E^* = {level / 1e3:.2f}$ eV")
        ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])
        ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    return fig


def mobility_grids(tables, paper):
    """real-materials: rodin2022 Eq. (47) against the grid, per material, beside Table I.

    Parameters
    ----------
    tables : dict
        name → rows (source, n, μ cm²/(V·s), …) of :func:`ionbook.realmaterials.mobility_table`.
    paper : dict
        name → rodin2022 Table I value.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.2, 3.8))
    for i, (name, rows) in enumerate(tables.items()):
        for src, mk in (("DFT forces", "o"), ("interpolant", "s")):
            pts = [(n, mu) for s, n, mu, *_ in rows if s == src]
            if pts:
                n, mu = np.array(pts).T
                ax.plot(n, mu, mk + "-", color=f"C{i}", mfc="w" if src == "interpolant" else None,
                        label=f"{name}, Hessian from {src}")
        ax.axhline(paper[name], color=f"C{i}", ls="--", lw=1,
                   label=f"{name}, rodin2022 Table I (a/64)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("grid divisions per cell edge $N$ (spacing $a/N$)")
    ax.set_ylabel(r"$\mu = q\langle\gamma^{-1}\rangle$ (cm$^2$/(V s))")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def dynamic_mobility(T, mu, mu0, experiment, eq47):
    """real-materials: the hop mobility from the Langevin dynamics against temperature, its
    activation-free prefactor, the experiments' numbers and rodin2022 Table I.

    Parameters
    ----------
    T : array
        Temperatures (K).
    mu, mu0 : dict
        name → μ(T) and μ₀(T) = μ(T) e^{ΔE/k_BT} (cm²/(V·s)).
    experiment, eq47 : dict
        name → the experiment's mobility and rodin2022 Table I (cm²/(V·s)).
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1, 1.45]})
    for i, name in enumerate(mu):
        axes[0].semilogy(1000 / T, mu[name], color=f"C{i}", label=name)
        axes[1].semilogy(T, mu0[name], color=f"C{i}", label=f"{name}: $\\mu_0$ of the dynamics")
        axes[1].axhline(experiment[name], color=f"C{i}", ls="--", lw=1,
                        label=f"{name}: experiment (rodin2022 Sec. V)")
        axes[1].axhline(eq47[name], color=f"C{i}", ls=":", lw=1,
                        label=f"{name}: rodin2022 Table I")
    axes[0].set_xlabel("$1000/T$ (1/K)")
    axes[0].set_ylabel(r"$\mu = qD/k_BT$ (cm$^2$/(V s))")
    axes[0].legend(fontsize=8)
    axes[1].set_xlabel("$T$ (K)")
    axes[1].set_ylabel(r"$\mu_0 = \mu\,e^{\Delta E/k_BT}$ (cm$^2$/(V s))")
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# time-local-limits
# ---------------------------------------------------------------------------------------------

def noise_balance(x, curves, om_cage, measured):
    """time-local-limits: the thermal force the framework supplies over the white 2k_BT γ0 that
    the instantaneous drag needs, against ω/Ω_max: left, 2ε(ω) Re γ(ω) / 2k_BT γ0 at the cell
    centre (traces; one line per temperature); right, the measured spectrum of the thermal force
    along a time-local trajectory over 2k_BT⟨γ0⟩ along the same path.

    Parameters
    ----------
    x : array
        Bin centres ω/Ω_max of the left panel.
    curves : dict
        label → ratio per bin.
    om_cage : float
        The particle's cage frequency over Ω_max (a marker).
    measured : tuple
        (bin centres ω/Ω_max, ratio per bin, label) of the right panel.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8), sharey=True)
    ax = axes[0]
    for i, (lab, y) in enumerate(curves.items()):
        ax.plot(x, y, color=f"C{i}", label=lab)
    xm, ym, lab = measured
    axes[1].plot(xm, ym, color="C0", label=lab)
    for ax in axes:
        ax.axhline(1.0, color="k", lw=1, ls="--", label="what the time-local drag needs")
        ax.axvline(1.0, color="0.5", lw=1, ls=":")
        ax.axvline(om_cage, color="C3", lw=1, ls="-.", label="cage frequency at the centre")
        ax.set_xlabel(r"$\omega/\Omega_\mathrm{max}$")
        ax.set_xlim(0, None)
        ax.legend(fontsize=7)
    axes[0].set_ylim(0, None)
    axes[0].set_ylabel("noise supplied / noise needed")
    axes[0].set_title("held at the cell centre (analytic)", fontsize=10)
    axes[1].set_title("along a time-local trajectory (measured)", fontsize=10)
    fig.tight_layout()
    return fig


def cooling_spectra(edges_over_max, spectra):
    """time-local-limits: binned power spectra of V and of H·V along time-local trajectories,
    each normalised to unit total power, against ω/Ω_max (Ω_max dotted).

    spectra: label → (S_V, S_HV) per bin."""
    import matplotlib.pyplot as plt

    x = 0.5 * (edges_over_max[1:] + edges_over_max[:-1])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    for i, (lab, (sv, sh)) in enumerate(spectra.items()):
        axes[0].semilogy(x, sv / sv.sum(), color=f"C{i}", label=lab)
        axes[1].semilogy(x, sh / sh.sum(), color=f"C{i}", label=lab)
    for ax, what in zip(axes, ("velocity $V$", r"force rate $\dot F = HV$ (what the drag acts on)")):
        ax.axvline(1.0, color="0.4", ls=":", lw=1)
        ax.set_xlabel(r"$\omega/\Omega_\mathrm{max}$")
        ax.set_title(what, fontsize=10)
        ax.set_ylim(1e-5, 1)
    axes[0].set_ylabel("share of the power per bin")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def kinetic_temperatures(groups, compare):
    """time-local-limits: left, the time-local particle's kinetic temperature over its framework's
    against 1 − (share of the power of H·V above Ω_max), one marker per varied parameter; right,
    at the same parameter sets, the FDT-consistent equation and its band-limited counterpart
    (kinetic over noise temperature) against the time-local particle's ratio.

    groups: label → (x, y, y_err) arrays (time-local runs); compare: label → (x, y, y_err)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0))
    marks = "osD^v<>"
    for i, (lab, (x, y, e)) in enumerate(groups.items()):
        axes[0].errorbar(x, y, yerr=e, fmt=marks[i % len(marks)], color=f"C{i}", label=lab, ms=5,
                         capsize=2)
    line = np.array([0.2, 1.3])
    axes[0].plot(line, line, "k--", lw=1, label="$T_\\mathrm{kin}/T = 1 -$ share")
    axes[0].set_xlabel(r"$1-$ share of the power of $HV$ above $\Omega_\mathrm{max}$")
    axes[0].set_ylabel(r"$T_\mathrm{kin}$ / framework's mean mode energy")
    axes[0].set_title("rodin2025's time-local equation", fontsize=10)
    axes[0].legend(fontsize=7)
    for i, (lab, (x, y, e)) in enumerate(compare.items()):
        axes[1].errorbar(x, y, yerr=e, fmt="os"[i % 2], color=["C3", "C1"][i % 2], label=lab,
                         ms=5, capsize=2)
    axes[1].plot(line, line, "k:", lw=1, label="equal to the time-local particle's")
    axes[1].axhline(1.0, color="k", ls="--", lw=1)
    axes[1].set_xlabel(r"time-local particle: $T_\mathrm{kin}/T$")
    axes[1].set_ylabel(r"$T_\mathrm{kin}/T_\mathrm{noise}$")
    axes[1].set_title("same landscape and drag: white or band-limited noise", fontsize=10)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def method_arrhenius(series, tkin=None):
    """time-local-limits: ln D against 1/k_BT for several methods, each with its Arrhenius line,
    and (optional right panel) their kinetic temperatures over the framework's.

    series: label → dict(kT, D, D_err, line=(kT grid, D fit) or None, color, marker);
    tkin: label → (kT, ratio, ratio_err)."""
    import matplotlib.pyplot as plt

    n = 2 if tkin else 1
    fig, axes = plt.subplots(1, n, figsize=(5.3 * n, 3.9), squeeze=False)
    ax = axes[0, 0]
    for lab, s in series.items():
        ax.errorbar(1 / np.asarray(s["kT"]), s["D"], yerr=s["D_err"], fmt=s.get("marker", "o"),
                    color=s["color"], label=lab, ms=5, capsize=2)
        if s.get("line") is not None:
            ax.plot(1 / s["line"][0], s["line"][1], color=s["color"], lw=1, ls=s.get("ls", "-"))
    ax.set_yscale("log")
    ax.set_xlabel(r"$1/k_BT$ (meV$^{-1}$)")
    ax.set_ylabel(r"$D$ (Å$^2$/ps)")
    ax.legend(fontsize=7)
    if tkin:
        ax = axes[0, 1]
        for i, (lab, (kT, r, e)) in enumerate(tkin.items()):
            ax.errorbar(kT, r, yerr=e, fmt="os^"[i % 3], color=series.get(lab, {}).get(
                "color", f"C{i}"), label=lab, ms=5, capsize=2)
        ax.axhline(1.0, color="k", ls="--", lw=1)
        ax.set_xlabel(r"$\hbar\Omega_T$ (meV)")
        ax.set_ylabel("kinetic T / framework's")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def stiffness_panels(curves, tkin):
    """time-local-limits: D at fixed ħΩ_T against the stiffness factor for each method (log-log),
    and the time-local particle's kinetic temperature over its framework's.

    curves: label → dict(s, D, D_err, color, marker, fit=(s grid, D) or None); tkin: (s, r, e)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    for lab, c in curves.items():
        axes[0].errorbar(c["s"], c["D"], yerr=c["D_err"], fmt=c.get("marker", "o"),
                         color=c["color"], label=lab, ms=5, capsize=2)
        if c.get("fit") is not None:
            axes[0].plot(*c["fit"], color=c["color"], lw=1, ls="--")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("stiffness factor $s$ ($k_1, k_2$ × $s$)")
    axes[0].set_ylabel(r"$D$ (Å$^2$/ps)")
    axes[0].legend(fontsize=7)
    s, r, e = tkin
    axes[1].errorbar(s, r, yerr=e, fmt="s", color="C2", ms=5, capsize=2,
                     label="rodin2025's time-local equation")
    axes[1].axhline(1.0, color="k", ls="--", lw=1)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("stiffness factor $s$")
    axes[1].set_ylabel(r"$T_\mathrm{kin}$ / framework's")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def cost_map(grids, cost, markov_cost, accuracy):
    """time-local-limits: core-seconds per simulated ns against the lattice size N (N³ cells) for
    each method, and each method's D against the full lattice's at the paper's parameters.

    cost: label → per-N array (NaN where not measured); markov_cost: float;
    accuracy: label → (kT, D/D_full, error)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    colors = {"full lattice": "k", "time-local (rodin2025)": "C2"}
    for lab, c in cost.items():
        axes[0].loglog(grids, c, "o-", color=colors.get(lab, "C0"), label=lab)
    axes[0].axhline(markov_cost, color="C3", ls="--", label="FDT-consistent (no modes)")
    axes[0].set_xlabel("lattice / mode grid $N$ ($N^3$ cells)")
    axes[0].set_ylabel("core-s per simulated ns")
    axes[0].legend(fontsize=7)
    for i, (lab, (kT, r, e)) in enumerate(accuracy.items()):
        axes[1].errorbar(kT, r, yerr=e, fmt="os"[i % 2], color=["C2", "C3"][i % 2], label=lab,
                         ms=5, capsize=2)
    axes[1].axhline(1.0, color="k", ls="--", lw=1)
    axes[1].set_yscale("log")
    axes[1].set_xlabel(r"$\hbar\Omega_T$ (meV)")
    axes[1].set_ylabel(r"$D / D_\mathrm{full\ lattice}$")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig
