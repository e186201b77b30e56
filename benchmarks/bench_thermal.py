"""Speed of the time-local thermal integration with the paper's 23997 modes and 8 corner masses.

Compares, in one run: the separable numba kernel with quintic-Hermite stage values (default),
the same kernel evaluating r_H at every Runge-Kutta stage ("exact"), and the straightforward dense
NumPy evaluation (all phase factors times all mode amplitudes at every stage,
:func:`ionmotion.thermal.trajectory_reference`).

    python3 -m pytest benchmarks/bench_thermal.py --benchmark-only     # pytest-benchmark
    python3 benchmarks/bench_thermal.py                                # plain table of steps/s
"""
import time

import numpy as np
import pytest

from ionmotion import thermal as th
from ionmotion.lattice import CubicLattice
from ionmotion.potentials import Yukawa

LAT = CubicLattice(3.5, 3.0, 520.0, 170.0)
POT = Yukawa(4000.0, 0.5)
R0 = np.array([1.5, 1.5, 1.5])
DT = 5e-3


def _setup():
    modes = th.sample_modes(LAT, 20, 50.0, np.random.default_rng(0))
    assert modes.n_modes == 23997
    return modes, th.corner_response(LAT), LAT.drag_matrix()


@pytest.fixture(scope="module")
def setup():
    return _setup()


def _run(setup, scheme, n):
    modes, W0, drag = setup
    return th.trajectory(R0, np.zeros(3), 0.7, POT, modes, W0, drag, DT, n, scheme=scheme,
                         save_every=n)


@pytest.mark.parametrize("scheme", ["hermite", "exact"])
def test_bench_thermal_kernel(benchmark, setup, scheme):
    _run(setup, scheme, 2)  # compile outside the timing
    n = 2000
    benchmark.pedantic(_run, args=(setup, scheme, n), rounds=3, iterations=1)
    benchmark.extra_info["rk_steps_per_s"] = n / benchmark.stats["mean"]


def test_bench_dense_numpy_reference(benchmark, setup):
    modes, W0, drag = setup
    n = 10
    benchmark.pedantic(th.trajectory_reference,
                       args=(R0, np.zeros(3), 0.7, POT, modes, W0, drag, DT, n),
                       rounds=2, iterations=1)
    benchmark.extra_info["rk_steps_per_s"] = n / benchmark.stats["mean"]


def main(n_fast=4000, n_dense=20):
    setup = _setup()
    modes, W0, drag = setup
    rates = {}
    for scheme in ("hermite", "exact"):
        _run(setup, scheme, 2)
        t0 = time.perf_counter()
        _run(setup, scheme, n_fast)
        rates[scheme] = n_fast / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    th.trajectory_reference(R0, np.zeros(3), 0.7, POT, modes, W0, drag, DT, n_dense)
    rates["dense NumPy"] = n_dense / (time.perf_counter() - t0)
    for k, v in rates.items():
        print(f"{k:12s} {v:10.1f} RK steps/s   3 ns (600000 steps): {600000 / v / 60:8.1f} min"
              f"   speed-up vs dense: {v / rates['dense NumPy']:7.1f}x")
    return rates


if __name__ == "__main__":
    main()
