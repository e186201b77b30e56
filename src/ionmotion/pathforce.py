"""The thermal force a moving particle feels from the framework's thermal motion, along its path.

To first order in the corners' thermal displacements r_H,i, the force on a particle at R from the
8 corners of its cell is −Σ_i ∇u(R − s_i − r_H,i) ≈ −Σ_i ∇u(R − s_i) + Σ_i H_i(R − s_i) r_H,i:
the thermal part F_th(t) = Σ_i H_i r_H,i(t) is what rodin2025's time-local equation pairs with its
instantaneous drag γ0 = H𝓛H (chapter ``time-local-limits``). :func:`thermal_force_along`
evaluates it on a sampled path from the same thermal mode sample that drove the path, and
:func:`drag_along` the time-local drag there, so that the measured spectrum of F_th can be held
against the 2k_BT⟨γ0⟩ a Markovian drag needs.
"""
import numpy as np

from ._validate import finite_array
from .lattice import CELL_CORNERS


def _path(t, R):
    t = finite_array("t", t).ravel()
    R = finite_array("R", R, shape_tail=(3,))
    if R.shape != (len(t), 3):
        raise ValueError(f"R must have shape (len(t), 3) = ({len(t)}, 3), got {R.shape}")
    return t, R


def _corner_hessians(R, potential, a):
    cells = np.floor(R / a)
    return potential.hessian(R[:, None, :] - (cells[:, None, :] + CELL_CORNERS) * a), cells


def thermal_force_along(t, R, modes, potential):
    """F_th(t_k) = Σ_i H_i(R_k − s_i) r_H,i(t_k) over the 8 corners of the cell R_k is in.

    Parameters
    ----------
    t : array_like, shape (T,)
        Sample times (ps) in the mode sample's clock.
    R : array_like, shape (T, 3)
        Positions (Å), unfolded (the cell index is taken modulo the mode grid).
    modes : ionmotion.thermal.ThermalModes
        The thermal sample (r_H from its inverse FFT, :func:`ionmotion.thermal.field`).
    potential : pair potential

    Returns
    -------
    ndarray, shape (T, 3)
        meV/Å.
    """
    from . import thermal as th
    if not isinstance(modes, th.ThermalModes):
        raise ValueError("modes must be a ThermalModes sample (thermal.sample_modes)")
    t, R = _path(t, R)
    H, cells = _corner_hessians(R, potential, modes.a)
    # the corner kernel of ionmotion.thermal with its mode layouts built once (thermal.corners
    # rebuilds them at every call)
    _, coef = th._pencil_layout(modes)
    E = th._phase_table(modes.n_grid)
    dummy = np.zeros((1, 1, 1, 1))
    out, buf = np.empty((len(t), 3)), np.zeros((3, 8, 3))
    for k, tk in enumerate(t):
        zr, zi = th._z_layout(modes.zeta * np.exp(-1j * modes.omega * tk))
        c = cells[k].astype(np.int64)
        th._corner_kernel((zr, zi), (dummy, dummy, False), coef, E,
                          (int(c[0]), int(c[1]), int(c[2])), 3, buf)
        out[k] = np.einsum("iab,ib->a", H[k], buf[0])
    return out


def drag_along(R, potential, a, drag):
    """γ0(R_k) = H𝓛H, H the summed Hessian of the 8 corners of R_k's cell (T, 3, 3), meV·ps/Å²."""
    R = finite_array("R", R, shape_tail=(3,)).reshape(-1, 3)
    H, _ = _corner_hessians(R, potential, float(a))
    Hs = H.sum(1)
    L = finite_array("drag", drag, shape_tail=(3, 3))
    return np.einsum("tab,bc,tcd->tad", Hs, L, Hs)
