"""Speed of the full equations of motion (rodin2024). Run:
python3 -m pytest benchmarks/bench_full.py --benchmark-only

* whole-lattice velocity Verlet: atom-steps per second beside the rate a memory-bandwidth-bound
  step would reach (bytes moved per atom-step / measured copy bandwidth);
* the exact discrete Green's function route of Fig. 6 (100³): kernel construction rate and
  convolution rate, extrapolated to the paper's τ = 30 (the cached paper run's wall time is in
  data/dissipation-cubic/fig6-full-dt0.001.json);
* the time-local Fig. 6 run (ionmotion.timelocal, RK5, δτ = 1e-3, τ = 30);
* the modal engine on the slowest chain pass of Fig. 2.
"""
import time

import numpy as np
import pytest

from ionmotion import dissipation as D
from ionmotion import full
from ionmotion.lattice import CubicLattice
from ionmotion.potentials import Gaussian

M0 = 1 / (4 * np.pi**2)
LAT = CubicLattice(M0, 2.0, 15.0, 5.0)
BYTES_PER_ATOM_STEP = 8 * 3 * 10
"""Verlet on the lattice streams u, w, acc: drift (read u, w, acc; write u, w), forces (read u,
write acc), kick (read w, acc; write w) = 10 arrays of 3 doubles per atom and step."""


def copy_bandwidth(n=2**24, repeats=5):
    """Measured memory bandwidth (bytes/s) of a large array copy (read + write)."""
    a = np.ones(n)
    b = np.empty_like(a)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return 2 * a.nbytes / best


def test_bench_lattice_verlet_throughput(benchmark):
    n, steps = 32, 20
    args = (LAT, n, Gaussian(1.0, 0.5), [(0, 0, j) for j in range(8)], M0, (0.0, 0.0, 7.0),
            (0.0, 0.0, 7.5), 1e-3)
    full.simulate_lattice(*args, 2, line=(0, 0, 1), energy=False)        # compile
    benchmark.pedantic(full.simulate_lattice, args=args + (steps,),
                       kwargs={"line": (0, 0, 1), "energy": False}, rounds=3, iterations=1)
    rate = n**3 * steps / benchmark.stats["min"]
    bw = copy_bandwidth()
    benchmark.extra_info["atom_steps_per_s"] = rate
    benchmark.extra_info["bandwidth_bound_atom_steps_per_s"] = bw / BYTES_PER_ATOM_STEP
    benchmark.extra_info["fraction_of_bandwidth_bound"] = rate * BYTES_PER_ATOM_STEP / bw
    benchmark.extra_info["fig6_full_lattice_hours_extrapolated"] = 100**3 * 30000 / rate / 3600


def test_bench_fig6_green_kernel(benchmark):
    """Kernel of Eq. (dissipation-cubic-kernel) on the 100³ lattice, zz only, 400 steps."""
    sites = D.edge_line_sites()
    full.verlet_response_kernel(LAT, 8, sites, 1e-3, 5, components="zz")    # compile
    n = 400
    benchmark.pedantic(full.verlet_response_kernel, args=(LAT, 100, sites, 1e-3, n),
                       kwargs={"components": "zz"}, rounds=1, iterations=1)
    t = benchmark.stats["min"]
    benchmark.extra_info["kernel_s_per_step"] = t / n
    benchmark.extra_info["kernel_s_extrapolated_tau30"] = t / n * 30000


def test_bench_fig6_convolution(benchmark):
    """Particle + eight masses through the kernel (cost ∝ steps²); 3000 steps on a 12³ kernel
    (the convolution cost does not depend on the lattice size)."""
    sites = D.edge_line_sites()
    n = 3000
    kern = full.verlet_response_kernel(LAT, 12, sites, 1e-3, n, components="zz")
    args = (LAT, 12, Gaussian(1.0, 0.5), sites, M0, (0.0, 0.0, 7.0), (0.0, 0.0, 7.5), 1e-3)
    full.simulate_response(*args, 10, line=(0, 0, 1), kernel=kern, components="zz")
    benchmark.pedantic(full.simulate_response, args=args + (n,),
                       kwargs={"line": (0, 0, 1), "kernel": kern, "components": "zz"},
                       rounds=2, iterations=1)
    t = benchmark.stats["min"]
    benchmark.extra_info["convolution_s_extrapolated_tau30"] = t * (30000 / n) ** 2


def test_bench_fig6_timelocal(benchmark):
    D.edge_line_timelocal(tau=0.01)                                       # compile + W0, 𝓜
    out = benchmark.pedantic(D.edge_line_timelocal, kwargs={"tau": 30.0}, rounds=3,
                             iterations=1)
    benchmark.extra_info["integrate_cpu_s"] = out["integrate_cpu_s"]
    assert out["integrate_cpu_s"] < 1.0


def test_bench_chain_slowest_pass_modal(benchmark):
    D.chain_pass_task(40.0, 0.0, 1.0, 4.0, dt=1e-3)                       # compile
    benchmark.pedantic(D.chain_pass_task, args=(8.0, 0.0, 1.0, 4.0), rounds=3, iterations=1)
