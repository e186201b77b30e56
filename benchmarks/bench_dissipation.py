"""Speed of the loss theory (rodin2024 Eqs. (13), (14), (23)). Run:
python3 -m pytest benchmarks/bench_dissipation.py --benchmark-only"""
import numpy as np
import pytest

from ionmotion import dissipation as D
from ionmotion.lattice import Chain, CubicLattice
from ionmotion.potentials import Gaussian

M0 = 1 / (4 * np.pi**2)
LAT = CubicLattice(M0, 2.0, 15.0, 5.0)
SPEEDS = np.linspace(1, 80, 50)


@pytest.fixture(scope="module")
def graded():
    return D.graded_modes(LAT, 14, 12)


def test_bench_graded_modes_3d(benchmark):
    benchmark.pedantic(D.graded_modes, args=(LAT, 14, 12), rounds=2, iterations=1)


def test_bench_eq13_3d_curve(benchmark, graded):
    """Eq. (13) for one Fig. 4 curve (50 speeds) on 642 096 graded-quadrature wave vectors."""
    out = benchmark.pedantic(D.single_pass_loss, args=(LAT, Gaussian(0.01, 1.0), SPEEDS,
                                                       (1.0, 0, 0)),
                             kwargs={"modes": graded}, rounds=3, iterations=1)
    benchmark.extra_info["mode_speed_pairs_per_s"] = graded.n_modes * len(SPEEDS) / \
        benchmark.stats["min"]
    assert np.all(out > 0)


def test_bench_eq13_chain_curve(benchmark):
    chain = Chain(M0, 2.0, 99 / 4, 99 / 4, 1.0, 1.0)
    benchmark(D.single_pass_loss, chain, Gaussian(0.01, 1.0), SPEEDS, (0, 1.0, 0))


def test_bench_eq14_closed_form(benchmark):
    v = np.linspace(0.5, 80, 10000)
    benchmark(D.chain_loss_analytic, v, 0.01, 1.0, 1.0, 99 / 4, 99 / 4, 1.0, 1.0)


def test_bench_recoil_matrix(benchmark):
    benchmark(D.recoil_matrix, LAT)
