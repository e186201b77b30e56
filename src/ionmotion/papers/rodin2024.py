"""rodin2024 (local-time dissipation): the paper's single-pass experiments as task functions.

Each task function takes plain numbers and returns a dict of arrays, so that
:func:`ionbook.sweep.run_sweep` can cache it; the physics it calls lives in
:mod:`ionmotion.dissipation`, :mod:`ionmotion.full` and :mod:`ionmotion.timelocal`. All runs
are in rodin2024's dimensionless units (framework mass 1/4π², :data:`constants.RODIN2024`).

* :func:`chain_pass_task`, :func:`chain_panel_task` - Fig. 2 (chain, full equations of motion
  against Eqs. (13)-(14));
* :func:`cubic_panel_task` - Figs. 4-5 (one, four or eight masses of the cubic lattice);
* :func:`edge_line_full_task`, :func:`edge_line_timelocal` - Fig. 6 (eight masses on a cell
  edge: full solution and time-local Eq. (26));
* :func:`paper_speeds`, :data:`CELL_SITES`, :func:`edge_line_sites` - the paper's grids;
* :func:`fig4_task`, :func:`fig5_task`, :func:`fig4_eq23_rate`, :func:`fig5_eq23_rate`,
  :func:`slow_pass_ratios`, :func:`largest_deviation`, :func:`edge_line_energy` - the
  comparisons of Figs. 4-6 with Eq. (23).
"""
import time as _time

import numpy as np

from .. import full, timelocal
from ..dissipation import chain_loss_analytic, low_speed_loss, recoil_matrix, single_pass_loss
from ..lattice import CELL_CORNERS, Chain, CubicLattice
from ..potentials import Gaussian
from .constants import FOUR_PI2, RODIN2024

M0 = RODIN2024.mass
"""The framework mass 1/4π² of rodin2024's units."""

_P = RODIN2024


def chain_pass_task(speed, kappa, s, lam, Phi0=_P.Phi0, k=_P.k_chain, n_chain=200, dt=1e-4,
                    mu=1.0, a=_P.a):
    """One pass past one mass of a periodic chain (rodin2024 Fig. 2 protocol).

    The particle (mass mu·m) starts 7λ before the middle mass of an n_chain-mass chain at impact
    s ŷ and stops 7λ after it; normal-mode engine of :func:`ionmotion.full.pass_loss`.

    Parameters
    ----------
    speed : float
        Initial speed (rodin2024 units: lengths per oscillation period).
    kappa, s, lam : float
        On-site spring (both polarizations), impact parameter, Gaussian width.
    Phi0, k, n_chain, dt, mu, a : optional
        Interaction amplitude, chain springs, chain length, time step, particle/framework mass
        ratio, lattice spacing.

    Returns
    -------
    dict
        loss, final_speed, steps (0-d arrays).
    """
    ch = Chain(M0, a, k, k, kappa, kappa)
    j0 = n_chain // 2
    z0 = j0 * a
    pot = Gaussian(Phi0, lam)
    out = full.pass_loss(ch, (1, 1, n_chain), pot, [(0, 0, j0)], mu * M0,
                         (0.0, s, z0 - 7 * lam), speed, z0 + 7 * lam, dt, engine="modal")
    return {"loss": np.array(out["loss"]), "final_speed": np.array(out["final_speed"]),
            "steps": np.array(out["steps"])}


def chain_panel_task(speeds, kappa, s, lam, Phi0=_P.Phi0, k=_P.k_chain, n_chain=200, dt=1e-4,
                     mu=1.0, a=_P.a):
    """One panel curve of rodin2024 Fig. 2: :func:`chain_pass_task` for every speed, with the
    theory of Eqs. (13) and (14).

    Parameters
    ----------
    speeds : array_like
    kappa, s, lam : float
    Phi0, k, n_chain, dt, mu, a : optional
        As for :func:`chain_pass_task`.

    Returns
    -------
    dict
        speeds, loss (simulation), eq13 (Brillouin-zone integral), eq14 (closed form).
    """
    speeds = np.atleast_1d(np.asarray(speeds, float))
    loss = np.array([chain_pass_task(v, kappa, s, lam, Phi0, k, n_chain, dt, mu, a)["loss"]
                     for v in speeds])
    chain = Chain(M0, a, k, k, kappa, kappa)
    eq13 = single_pass_loss(chain, Gaussian(Phi0, lam), speeds, (0.0, s, 0.0))
    eq14 = chain_loss_analytic(speeds, Phi0, lam, s, k, k, kappa, kappa)
    return {"speeds": speeds, "loss": loss, "eq13": np.atleast_1d(eq13), "eq14": eq14}


def paper_speeds(lam, n=50, top=80.0, dim=1):
    """The speed grids of the authors' scripts: n values up to `top`.

    dim=1 (the chain, Fig. 2): from 2 (λ <= 1), 4 (λ = 2) or 8 (λ = 4). Otherwise the grid
    starts at float(dim): dim=2 gives the 3D four- and eight-mass grids (from 2).

    Parameters
    ----------
    lam : float
    n : int, optional
    top : float, optional
    dim : int, optional

    Returns
    -------
    ndarray
    """
    if dim == 1:
        lo = 2.0 if lam <= 1 else (4.0 if lam == 2 else 8.0)
    else:
        lo = float(dim)
    return np.linspace(lo, top, n)


CELL_SITES = {
    "one": [(0, 0, 0)],
    "four": [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0)],
    "eight": [tuple(int(x) for x in c) for c in CELL_CORNERS],
}
"""The interacting masses of rodin2024 Figs. 4-5 (integer offsets from the lowest corner):
one mass, the four masses of a face, the eight corners of a cell."""


def _cubic_geometry(config, lam, n_lattice, a):
    """Sites, the z of the first layer of masses, the z where the path stops (7λ after the last
    layer), and the lateral position of the path for impact offset s."""
    c = n_lattice // 2
    base = np.array([c, c, c])
    sites = [tuple(int(x) for x in base + np.array(v)) for v in CELL_SITES[config]]
    z_first = c * a
    z_last = (c + (1 if config == "eight" else 0)) * a

    def xy(s):
        return (c * a + s, c * a) if config == "one" else (c * a + a / 2, c * a + a / 2)

    return sites, z_first, z_last + 7 * lam, xy


def cubic_panel_task(speeds, config, lam, offsets=(0.0,), Phi0=_P.Phi0, n_lattice=50, dt=1e-3,
                     mu=1.0, k1=_P.k1, k2=_P.k2, a=_P.a):
    """Passes through a periodic cubic lattice (rodin2024 Figs. 4-5 protocol) for several speeds
    and impact offsets sharing one response kernel.

    Parameters
    ----------
    speeds : array_like
        Initial speeds.
    config : {"one", "four", "eight"}
        One mass (impact s x̂ for s in `offsets`), the face masses (path through the face
        centre) or the cell's eight masses (path through the cell; offsets ignored).
    lam : float
        Gaussian width; the path starts 7λ before the first layer and stops 7λ after the last.
    offsets, Phi0, n_lattice, dt, mu, k1, k2, a : optional
        Impact offsets, interaction amplitude, lattice size, time step, mass ratio, springs,
        spacing.

    Returns
    -------
    dict
        speeds, offsets, loss and final_speed (n_offsets, n_speeds), kernel_wall_s.
    """
    lat = CubicLattice(M0, a, k1, k2)
    sites, z_first, stop, xy = _cubic_geometry(config, lam, n_lattice, a)
    speeds = np.atleast_1d(np.asarray(speeds, float))
    offsets = np.atleast_1d(np.asarray(offsets, float)) if config == "one" else np.array([0.0])
    n_max = int(np.ceil(1.3 * (stop - z_first + 7 * lam) / (speeds.min() * dt))) + 10
    pot = Gaussian(Phi0, lam)
    t0 = _time.perf_counter()
    kern = full.verlet_response_kernel(lat, (n_lattice,) * 3, sites, dt, n_max,
                                       components="iso" if config == "one" else "full")
    t_kernel = _time.perf_counter() - t0
    loss = np.zeros((len(offsets), len(speeds)))
    vf = np.zeros_like(loss)
    for i, s in enumerate(offsets):
        start = (*xy(s), z_first - 7 * lam)
        for j, v in enumerate(speeds):
            o = full.pass_loss(lat, (n_lattice,) * 3, pot, sites, mu * M0, start, v, stop, dt,
                               kernel=kern)
            loss[i, j] = o["loss"]
            vf[i, j] = o["final_speed"]
    return {"speeds": speeds, "offsets": offsets, "loss": loss, "final_speed": vf,
            "kernel_wall_s": np.array(t_kernel)}


def edge_line_sites(n_masses=8):
    """Integer sites (0, 0, j), j = 0 … n_masses − 1: the masses along a cell edge (rodin2024
    Fig. 6).

    Parameters
    ----------
    n_masses : int, optional

    Returns
    -------
    list of tuple
    """
    return [(0, 0, j) for j in range(n_masses)]


def edge_line_full_task(n_lattice=100, dt=1e-3, tau=30.0, Phi0=1.0, lam=0.5, speed=7.5,
                        start=7.0, mu=1.0, k1=_P.k1, k2=_P.k2, a=_P.a, record_every=10):
    """rodin2024 Fig. 6, full solution.

    The particle moves on the z axis between the 4th and 5th of eight masses at (0, 0, j a) of a
    periodic n_lattice³ cubic lattice, framework at rest, with the exact discrete Green's function
    of the velocity-Verlet lattice (only R_zz is needed: every force is along z).

    Parameters
    ----------
    n_lattice, dt, tau : optional
        Lattice size, time step, duration.
    Phi0, lam, speed, start, mu : optional
        Gaussian interaction, launch speed and position (on z), mass ratio.
    k1, k2, a, record_every : optional

    Returns
    -------
    dict
        t, z, v, kernel_wall_s, run_wall_s.
    """
    lat = CubicLattice(M0, a, k1, k2)
    sites = edge_line_sites()
    n = int(round(tau / dt))
    t0 = _time.perf_counter()
    kern = full.verlet_response_kernel(lat, (n_lattice,) * 3, sites, dt, n, components="zz")
    t1 = _time.perf_counter()
    out = full.simulate_response(lat, (n_lattice,) * 3, Gaussian(Phi0, lam), sites, mu * M0,
                                 (0.0, 0.0, start), (0.0, 0.0, speed), dt, n, line=(0, 0, 1),
                                 record_every=record_every, kernel=kern, components="zz")
    t2 = _time.perf_counter()
    return {"t": out["t"], "z": out["r"][:, 2], "v": out["v"][:, 2],
            "kernel_wall_s": np.array(t1 - t0), "run_wall_s": np.array(t2 - t1)}


_EDGE_CACHE = {}


def _edge_response(k1, k2, a, n_quad):
    """Static response among the eight edge masses and 𝓜, once per lattice (in memory)."""
    key = (k1, k2, a, n_quad)
    if key not in _EDGE_CACHE:
        lat = CubicLattice(M0, a, k1, k2)
        _EDGE_CACHE[key] = (timelocal.static_response_block(lat, np.array(edge_line_sites()),
                                                            n_quad=n_quad), recoil_matrix(lat))
    return _EDGE_CACHE[key]


def edge_line_timelocal(dt=1e-3, tau=30.0, Phi0=1.0, lam=0.5, speed=7.5, start=7.0, mu=1.0,
                        k1=_P.k1, k2=_P.k2, a=_P.a, n_quad=None, form="rodin2024",
                        save_every=10):
    """rodin2024 Fig. 6, time-local side: Eq. (26) (form="rodin2024", the literal reading) or
    rodin2025 Eqs. (18)-(20) (form="rodin2025") via :func:`ionmotion.timelocal.integrate`.

    The static response among the eight masses (infinite lattice) and 𝓜 (Eq. (23)) are computed
    once per lattice and kept in memory.

    Parameters
    ----------
    dt, tau, Phi0, lam, speed, start, mu, k1, k2, a : optional
        As for :func:`edge_line_full_task`.
    n_quad : int, optional
        Quadrature order of the static response.
    form : {"rodin2024", "rodin2025"}, optional
    save_every : int, optional

    Returns
    -------
    dict
        t, z, v, integrate_wall_s, integrate_cpu_s (the integration alone).
    """
    W0, Mrec = _edge_response(k1, k2, a, n_quad)
    sites = np.array(edge_line_sites())
    n = int(round(tau / dt))
    t0 = _time.perf_counter()
    c0 = _time.process_time()
    t, R, V = timelocal.integrate((0.0, 0.0, start), (0.0, 0.0, speed), mu / FOUR_PI2,
                                  Gaussian(Phi0, lam), sites * a, W0, Mrec, dt, n,
                                  constrain=(0, 0, 1), save_every=save_every, form=form)
    wall = _time.perf_counter() - t0
    cpu = _time.process_time() - c0
    return {"t": t, "z": R[:, 2], "v": V[:, 2], "integrate_wall_s": wall, "integrate_cpu_s": cpu}


FIG4_PHI0 = 0.01
"""Gaussian amplitude of the one-mass passes of Fig. 4."""
FIG5_PHI0 = 0.0025
"""Gaussian amplitude of the four- and eight-mass passes of Fig. 5."""


def fig4_task(lam, n_lattice, dt, speeds):
    """Parameters of :func:`cubic_panel_task` for one panel of Fig. 4 (one mass, s = 0 and 1).

    Parameters
    ----------
    lam : float
        Gaussian width.
    n_lattice : int
        Lattice size per direction (the paper's 50).
    dt : float
        Time step (the paper's 10⁻³).
    speeds : array_like
        Initial speeds (the paper's 50 from 1 to 80).

    Returns
    -------
    dict
        Keyword arguments; they name the cached files of the committed sweeps.
    """
    return dict(speeds=list(map(float, speeds)), config="one", lam=lam, offsets=[0.0, 1.0],
                Phi0=FIG4_PHI0, n_lattice=n_lattice, dt=dt)


def fig5_task(config, lam, n_lattice, dt, speeds):
    """Parameters of :func:`cubic_panel_task` for one curve of Fig. 5.

    Parameters
    ----------
    config : {"four", "eight"}
        The face's four masses or the cell's eight.
    lam, n_lattice, dt, speeds
        As in :func:`fig4_task`.

    Returns
    -------
    dict
    """
    return dict(speeds=list(map(float, speeds)), config=config, lam=lam, offsets=[0.0],
                Phi0=FIG5_PHI0, n_lattice=n_lattice, dt=dt)


def fig4_eq23_rate(recoil, lam, s, Phi0=FIG4_PHI0):
    """Low-speed loss per unit speed Δ/σ̇ of Eq. (23) for the Fig. 4 pass past one mass.

    Parameters
    ----------
    recoil : array_like, shape (3, 3)
        𝓜 of Eq. (23) (:func:`ionmotion.dissipation.recoil_matrix`).
    lam : float
        Gaussian width.
    s : float
        Impact offset along x.
    Phi0 : float, optional
        Gaussian amplitude.

    Returns
    -------
    float
    """
    return low_speed_loss(recoil, Gaussian(Phi0, lam), [(0, 0, 0)], (s, 0, 0), 1.0)


def fig5_eq23_rate(recoil, config, lam, Phi0=FIG5_PHI0, a=_P.a):
    """Δ/σ̇ of Eq. (23) for a Fig. 5 pass through the face centre, Hessians of the `config`
    masses summed (the paper neglects the phases between them).

    Parameters
    ----------
    recoil : array_like, shape (3, 3)
        𝓜 of Eq. (23).
    config : {"four", "eight"}
        Interacting masses (:data:`CELL_SITES`).
    lam, Phi0 : float
        Gaussian width and amplitude.
    a : float, optional
        Lattice spacing.

    Returns
    -------
    float
    """
    if config not in ("four", "eight"):
        raise ValueError(f"config must be 'four' or 'eight', got {config!r}")
    sites = np.array(CELL_SITES[config], float) * a
    return low_speed_loss(recoil, Gaussian(Phi0, lam), sites, (a / 2, a / 2, 0.0), 1.0)


def slow_pass_ratios(runs, recoil, v_max=4.5):
    """Simulated Δ/σ̇ over Eq. (23) at the slow end of Fig. 5 curves.

    Parameters
    ----------
    runs : dict
        (config, lam) -> result of :func:`cubic_panel_task`.
    recoil : array_like, shape (3, 3)
        𝓜 of Eq. (23).
    v_max : float, optional
        Largest speed listed.

    Returns
    -------
    dict
        (config, lam) -> list of (speed, ratio) for speeds ≤ `v_max`.
    """
    out = {}
    for (cfg, lam), r in runs.items():
        rate = fig5_eq23_rate(recoil, cfg, lam)
        m = r["speeds"] <= v_max
        out[(cfg, lam)] = [(v, r["loss"][0][i] / v / rate)
                           for i, v in zip(np.flatnonzero(m), r["speeds"][m])]
    return out


def largest_deviation(run, rate, row=0, lo=10.0, hi=25.0):
    """max |Δ/σ̇ / rate − 1| over the speeds lo ≤ σ̇ ≤ hi of one simulated curve.

    Parameters
    ----------
    run : dict
        Result of :func:`cubic_panel_task`.
    rate : float
        Reference Δ/σ̇ (e.g. :func:`fig5_eq23_rate`).
    row : int, optional
        Row of ``run["loss"]`` (the impact offset).
    lo, hi : float, optional
        Speed window.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If no speed of the run lies in the window.
    """
    m = (run["speeds"] >= lo) & (run["speeds"] <= hi)
    if not m.any():
        raise ValueError(f"no speed of the run lies in [lo, hi] = [{lo:g}, {hi:g}]")
    return float(np.max(np.abs(run["loss"][row][m] / run["speeds"][m] / rate - 1)))


def edge_line_energy(z, v, mu=1.0, Phi0=1.0, lam=0.5, n_masses=8, a=_P.a):
    """Bare energy μM0 σ̇²/2 + Σ_j Φ(σ − j a ẑ) of the Fig. 6 particle on the cell edge, the
    framework at rest (the energy the framework has taken is its decrease).

    Parameters
    ----------
    z, v : array_like
        Position and speed along the edge.
    mu, Phi0, lam, n_masses, a : optional
        Mass ratio, Gaussian amplitude and width, masses on the edge, spacing.

    Returns
    -------
    numpy.ndarray
    """
    pot = Gaussian(Phi0, lam)
    z = np.asarray(z, float)
    zs = a * np.arange(n_masses)
    path = np.stack([np.zeros_like(z)] * 2 + [z], axis=1)[:, None, :]
    sites = np.stack([np.zeros(n_masses), np.zeros(n_masses), zs], axis=1)[None]
    return 0.5 * mu * M0 * np.asarray(v, float) ** 2 + pot.value(path - sites).sum(axis=1)


def fig2_task(kappa, s, lam, n_chain, dt, n_speeds):
    """Parameters of :func:`chain_panel_task` for one Fig. 2 curve on :func:`paper_speeds`.

    Parameters
    ----------
    kappa, s, lam : float
        Confining spring, impact offset and Gaussian width of the panel.
    n_chain : int
        Chain length (the paper's 200).
    dt : float
        Time step (the paper's 10⁻⁴).
    n_speeds : int
        Speeds on the paper's grid (50).

    Returns
    -------
    dict
        Keyword arguments; they name the cached files of the committed sweeps.
    """
    return dict(speeds=paper_speeds(lam, n_speeds).tolist(), kappa=kappa, s=s, lam=lam,
                n_chain=n_chain, dt=dt)


def channel_crossover_speed(lam, s, kappa, Phi0=_P.Phi0, k=_P.k_chain, loss=None, speeds=None):
    """Speed above which the transverse channel of the chain's loss exceeds the longitudinal one.

    The longitudinal channel is the loss at s = 0 times e^{−s²/λ²}; the transverse one is the
    rest of the loss at offset s. Returned is the last upward crossing on the speed grid (NaN
    if there is none).

    Parameters
    ----------
    lam, s, kappa : float
        Width, offset (> 0 for a transverse channel) and confining spring (κ∥ = κ⊥).
    Phi0, k : float, optional
        Amplitude and chain springs (k∥ = k⊥).
    loss : callable, optional
        ``loss(v, Phi0, lam, s, k_par, k_perp, kappa_par, kappa_perp)``; default Eq. (14)
        (:func:`ionmotion.dissipation.chain_loss_analytic`).
    speeds : array_like, optional
        The grid; default 20001 speeds log-spaced from 0.3 to 3000.

    Returns
    -------
    float
    """
    loss = chain_loss_analytic if loss is None else loss
    v = np.geomspace(0.3, 3e3, 20001) if speeds is None else np.asarray(speeds, float)
    lon = loss(v, Phi0, lam, 0.0, k, k, kappa, kappa) * np.exp(-s**2 / lam**2)
    trans = loss(v, Phi0, lam, s, k, k, kappa, kappa) - lon
    up = np.flatnonzero((trans[1:] > lon[1:]) & (trans[:-1] <= lon[:-1]))
    return float(v[up[-1] + 1]) if len(up) else np.nan
