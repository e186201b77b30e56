"""Speed of the lattice core: the mode-sum kernel behind W(t) (numba vs the NumPy reference)
and the drag-matrix quadrature. Run: python3 -m pytest benchmarks/bench_lattice.py --benchmark-only"""
import numpy as np
import pytest

from ionmotion.lattice import CubicLattice, _cos_sum_reference, cos_sum

LAT = CubicLattice(3.5, 3.0, 520.0, 170.0)


@pytest.fixture(scope="module")
def modes():
    grid = LAT.quadrature_modes(16)          # 6·16³ = 24576 wave vectors, 73728 branch modes
    amp, om = LAT._kernel_amplitudes(grid, [0, 0, 0])
    return amp, om, np.linspace(0, 2, 50)


def test_bench_cos_sum_numba(benchmark, modes):
    amp, om, t = modes
    cos_sum(amp, om, t[:1])                   # compile outside the timing
    out = benchmark(cos_sum, amp, om, t)
    benchmark.extra_info["mode_time_pairs_per_s"] = len(om) * len(t) / benchmark.stats["mean"]
    np.testing.assert_allclose(out, _cos_sum_reference(amp, om, t), atol=1e-12)


def test_bench_cos_sum_numpy_reference(benchmark, modes):
    amp, om, t = modes
    benchmark(_cos_sum_reference, amp, om, t)
    benchmark.extra_info["mode_time_pairs_per_s"] = len(om) * len(t) / benchmark.stats["mean"]


def test_bench_drag_matrix(benchmark):
    benchmark(LAT.drag_matrix)


def test_bench_recoil_kernel_fig1c_draft(benchmark):
    t = np.linspace(0, 2, 101)
    benchmark.pedantic(LAT.recoil_kernel, args=(t, [0, 0, 0]), kwargs={"n_quad": 24},
                       rounds=3, iterations=1)
