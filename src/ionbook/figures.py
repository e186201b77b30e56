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
