"""Figures that a chapter draws more than once (the same layout for different quantities).

:func:`collision_panels` draws rodin2025 Fig. 3 ("Validating the time-local equation") as 2 × 2
panels, once for the framework's deflection and once for the force on the ion.
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
