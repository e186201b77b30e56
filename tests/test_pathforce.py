"""The thermal force along a path (ionmotion.pathforce): the fast corner evaluation against the
dense mode sum, its time-averaged covariance against the ensemble covariance of rodin2025 Eq.
(24), and the drag along the path against ionmotion.spectra."""
import numpy as np
import pytest

from ionmotion import pathforce as pf
from ionmotion import spectra as sp
from ionmotion import thermal as th
from ionmotion.lattice import CELL_CORNERS
from ionmotion.limits import scaled_lattice
from ionmotion.potentials import Yukawa

LAT = scaled_lattice(1.0)
POT = Yukawa(4000.0, 0.5)


def test_matches_the_dense_mode_sum_across_cells():
    m = th.sample_modes(LAT, 8, 25.0, np.random.default_rng(2))
    t = np.array([0.013, 0.71, 2.5, 9.123])
    R = np.array([[1.1, 1.4, 1.9], [4.2, 1.3, -0.8], [-1.0, 25.3, 1.6], [13.9, 2.2, 1.5]])
    F = pf.thermal_force_along(t, R, m, POT)
    for k in range(len(t)):
        cell = np.floor(R[k] / LAT.a).astype(int)
        rH, _ = th.at_sites(m, cell + CELL_CORNERS, t[k])
        H = POT.hessian(R[k] - (cell + CELL_CORNERS) * LAT.a)
        assert np.allclose(F[k], np.einsum("iab,ib->a", H, rH), rtol=1e-10, atol=1e-10)


def test_time_averaged_covariance_is_the_ensemble_one():
    """A particle held off-centre: the time average of F_th F_thᵀ over one thermal sample equals
    Σ_ij H_i C(s_i − s_j) H_j with C of rodin2025 Eq. (24) to within the sample's fluctuation."""
    m = th.sample_modes(LAT, 12, 25.0, np.random.default_rng(5))
    R0 = np.array([1.2, 1.6, 1.4])
    t = np.arange(3000) * 0.05
    F = pf.thermal_force_along(t, np.tile(R0, (len(t), 1)), m, POT)
    H = POT.hessian(R0 - CELL_CORNERS * LAT.a)
    expect = sum(H[i] @ th.covariance(LAT, 12, 25.0, 0.0, CELL_CORNERS[i] - CELL_CORNERS[j])[0] @ H[j]
                 for i in range(8) for j in range(8))
    got = F.T @ F / len(F)
    assert np.trace(got) == pytest.approx(np.trace(expect), rel=0.1)


def test_drag_along_is_the_time_local_drag():
    R = np.array([[1.1, 1.4, 1.9], [4.2, 1.3, -0.8]])
    g = pf.drag_along(R, POT, LAT.a, LAT.drag_matrix())
    for k in range(2):
        cell = np.floor(R[k] / LAT.a)
        H = POT.hessian(R[k] - (cell + CELL_CORNERS) * LAT.a)
        assert np.allclose(g[k], sp.timelocal_drag(H, LAT.drag_matrix()), rtol=1e-12)


def test_bad_input():
    m = th.sample_modes(LAT, 4, 25.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="R must have shape"):
        pf.thermal_force_along([0.0, 1.0], [[1, 1, 1]], m, POT)
    with pytest.raises(ValueError, match="ThermalModes"):
        pf.thermal_force_along([0.0], [[1, 1, 1]], None, POT)
