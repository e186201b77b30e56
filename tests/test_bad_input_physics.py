"""Bad input to the physics modules owned by the lattice/dissipation/hopping side gives a clear
ValueError naming the parameter (never a silently wrong result, a hang or numpy's MemoryError).

Each case is (call, the word the message must contain). The calls are cheap: every check fires
before any long computation."""
import numpy as np
import pytest

from ionmotion import dissipation as D
from ionmotion import hopping, kmc, latticegas, meanfield, mobility, units
from ionmotion import validation as val
from ionmotion.lattice import (Chain, CubicLattice, bz_quadrature, lattice_bonds, periodic_grid,
                               sphere_quadrature)
from ionmotion.papers import hu2026, rodin2022
from ionmotion.potentials import Gaussian, Yukawa

LAT = CubicLattice(3.5, 3.0, 520.0, 170.0)
CUBE = CubicLattice(1 / (4 * np.pi**2), 2.0, 15.0, 5.0)
CHAIN = Chain(1 / (4 * np.pi**2), 2.0, 24.75, 24.75, 1.0, 1.0)
W0 = np.eye(3) * 1e-3
DRAG = np.eye(3) * 1e-5

CASES = {
    # frameworks
    "negative mass": (lambda: CubicLattice(-1.0, 3.0, 520.0, 170.0), "mass"),
    "zero next-nearest spring": (lambda: CubicLattice(3.5, 3.0, 520.0, 0.0), "k2"),
    "negative chain confinement": (lambda: Chain(1.0, 1.0, 1.0, 1.0, -0.1, 0.0), "kappa_par"),
    "static response on a 1-cell grid (was zeros)":
        (lambda: LAT.static_response([0, 0, 0], n_grid=1), "n_grid"),
    "recoil kernel on a 1-cell grid": (lambda: LAT.recoil_kernel([0.0, 0.1], [1, 0, 0],
                                                                 n_grid=1), "n_grid"),
    "static response matrix on a 1-cell grid":
        (lambda: LAT.static_response_matrix([[0, 0, 0], [1, 0, 0]], n_grid=1), "n_grid"),
    "non-integer separation": (lambda: LAT.static_response([0.5, 0, 0]), "separation"),
    "non-integer sites": (lambda: LAT.static_response_matrix([[0, 0, 0.5]]), "sites"),
    "mode grid larger than memory": (lambda: LAT.mode_grid(100000), "n_grid"),
    "quadrature larger than memory": (lambda: bz_quadrature(3.0, 20000), "n"),
    "periodic grid in 2D": (lambda: periodic_grid(3.0, 4, dim=2), "dim"),
    "drag quadrature too coarse": (lambda: LAT.drag_matrix(n_quad=2), "n_quad"),
    "sphere rule too coarse": (lambda: sphere_quadrature(3), "n_quad"),
    "sphere rule with 2 angles": (lambda: sphere_quadrature(8, n_phi=2), "n_phi"),
    "unknown high-symmetry point": (lambda: LAT.band_path(("G", "Q")), "points"),
    "NaN wave vector": (lambda: LAT.frequencies([[np.nan, 0.0, 0.0]]), "q"),
    "bond table of a non-framework": (lambda: lattice_bonds("cubic"), "framework"),
    "kernel of an unconfined chain": (lambda: Chain(1.0, 1.0, 1.0, 1.0).static_response([0]),
                                      "kappa"),
    # dissipation (rodin2024)
    "Eq. (13) with a Yukawa potential": (lambda: D.single_pass_loss(CUBE, Yukawa(1.0, 0.5), 2.0),
                                         "potential"),
    "negative speed": (lambda: D.single_pass_loss(CHAIN, Gaussian(0.01, 0.5), -1.0), "speed"),
    "offset along the path": (lambda: D.single_pass_loss(CHAIN, Gaussian(0.01, 0.5), 2.0,
                                                         (0.0, 0.0, 1.0)), "offset"),
    "recoil matrix of a chain": (lambda: D.recoil_matrix(CHAIN), "framework"),
    "zero Gaussian width in Eq. (14)": (lambda: D.chain_loss_analytic(1.0, 0.01, 0.0, 0.0, 1.0,
                                                                      1.0, 0.0, 0.0), "lam"),
    "recoil of the wrong shape": (lambda: D.low_speed_loss(np.eye(2), Gaussian(0.01, 0.5),
                                                           [(0, 0, 0)], (0, 0, 0), 1.0),
                                  "recoil"),
    # validation (rodin2025 Sec. IV, VII)
    "unknown approximation level": (lambda: val.displacement("exact", [[0, 0, 1.0]],
                                                             [[0, 0, 1.0]], Yukawa(1.0, 0.5),
                                                             [[0, 0, 0]], W0, DRAG), "level"),
    "W0 of the wrong size": (lambda: val.displacement("homogeneous", [[0, 0, 1.0]],
                                                      [[0, 0, 1.0]], Yukawa(1.0, 0.5),
                                                      [[0, 0, 0]], np.eye(6), DRAG), "W0"),
    "drag not 3x3": (lambda: val.displacement("homogeneous", [[0, 0, 1.0]], [[0, 0, 1.0]],
                                              Yukawa(1.0, 0.5), [[0, 0, 0]], W0, np.eye(2)),
                     "drag"),
    "window kernel on non-lattice sites": (lambda: val.window_kernel(LAT, [[0, 0, 0.5]], 1e-3,
                                                                     4), "sites"),
    "negative rigid-drift coefficient": (lambda: val.windowed_displacement(
        np.zeros((3, 3)), np.zeros((3, 3)), 1e-3, W0, W0[None], c0=-1.0), "c0"),
    "zero fixed-point passes": (lambda: val.integrate_windowed(
        (0, 0, 1.0), (0, 0, 1.0), 0.7, Yukawa(1.0, 0.5), [[0, 0, 0]], W0, W0[None], 1e-3, 5,
        n_iter=0), "n_iter"),
    "negative time lag": (lambda: val.linear_spectrum_kernel(LAT, [-0.1], 3.0), "s"),
    # lattice gas and kinetic Monte Carlo (hu2026)
    "filling out of range": (lambda: kmc.LatticeGasKMC("chain", 10, 1000.0, n0=2.5), "n0"),
    "unknown lattice": (lambda: kmc.LatticeGasKMC("square", 10, 1000.0), "kind"),
    "zero temperature": (lambda: kmc.LatticeGasKMC("chain", 10, 0.0), "T"),
    "NaN field": (lambda: kmc.LatticeGasKMC("chain", 10, 1000.0, field=np.nan), "field"),
    "negative run duration": (lambda: kmc.LatticeGasKMC("chain", 10, 1000.0).run(-1.0),
                              "duration"),
    "state tracking on a large lattice": (lambda: kmc.LatticeGasKMC("chain", 20, 1000.0,
                                                                    track_states=True),
                                          "track_states"),
    "lattice gas larger than memory": (lambda: kmc.LatticeGasKMC("honeycomb", 10**6, 1000.0),
                                       "size"),
    "mapping off half filling": (lambda: latticegas.coupling_from_paper(0.5, n0=0.5), "n0"),
    "honeycomb of one cell": (lambda: latticegas.honeycomb(1), "n"),
    "non-stochastic hopping matrix": (lambda: hopping.chain_ring_matrix(4, 0.9, 0.5), "P0"),
    "master equation with the wrong density shape": (
        lambda: hopping.propagate(hopping.chain_ring_matrix(4, 0.3, 0.1), np.ones(5), 3),
        "n_init"),
    "honeycomb torus of one cell": (lambda: hopping.honeycomb_torus_matrix(1, 0.3, 0.1), "L"),
    "negative temperature in the mean field": (lambda: meanfield.polarization(-1.0, 1.0, 0.5),
                                               "T"),
    # mobility, units, paper presets
    "drag matrix not positive definite": (lambda: mobility.as_drag_matrix(-np.eye(3)), "L"),
    "negative thermal energy": (lambda: units.kelvin_to_mev(-5.0), "T"),
    "zero Yukawa length": (lambda: Yukawa(1.0, 0.0), "lam"),
    "unknown structure for the accessible region": (lambda: rodin2022.accessible_rmin("fcc", 3.0),
                                                    "structure"),
    "unknown sweep quality": (lambda: hu2026.binder_tasks("final"), "quality"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_raises_a_clear_value_error(case):
    call, word = CASES[case]
    with pytest.raises(ValueError) as err:
        call()
    assert word in str(err.value), f"{case}: message {str(err.value)!r} does not name {word!r}"


def test_there_are_at_least_twenty_cases():
    assert len(CASES) >= 20


def test_static_response_on_the_smallest_grid_is_the_two_cell_lattice():
    """n_grid = 2 is the smallest periodic lattice with modes besides q = 0: finite, not zero."""
    W = LAT.static_response([0, 0, 0], n_grid=2)
    assert np.all(np.isfinite(W)) and W[0, 0] > 0
