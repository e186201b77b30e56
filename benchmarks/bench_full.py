"""Speed of the full equations of motion (rodin2024). Run:
python3 -m pytest benchmarks/bench_full.py --benchmark-only

* whole-lattice velocity Verlet, written-out cubic springs and the generic bond loop: atom-steps
  per second beside the rate a memory-bandwidth-bound step would reach (bytes moved per atom-step
  / measured copy bandwidth);
* the eight-mass kernel of rodin2024 Fig. 5 on 50³ and the full thermal reference trajectory of
  rodin2025 Fig. 7(b) (20³, particle in its current cell);
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


@pytest.mark.parametrize("cubic_kernel", [True, False], ids=["written-out", "bond-loop"])
def test_bench_lattice_verlet_throughput(benchmark, cubic_kernel):
    n, steps = 32, 200            # enough steps that the set-up (all 32³ frequencies) is small
    args = (LAT, n, Gaussian(1.0, 0.5), [(0, 0, j) for j in range(8)], M0, (0.0, 0.0, 7.0),
            (0.0, 0.0, 7.5), 1e-3)
    kw = {"line": (0, 0, 1), "energy": False, "cubic_kernel": cubic_kernel}
    full.simulate_lattice(*args, 2, **kw)        # compile
    benchmark.pedantic(full.simulate_lattice, args=args + (steps,), kwargs=kw, rounds=3,
                       iterations=1)
    rate = n**3 * steps / benchmark.stats["min"]
    bw = copy_bandwidth()
    benchmark.extra_info["atom_steps_per_s"] = rate
    benchmark.extra_info["bandwidth_bound_atom_steps_per_s"] = bw / BYTES_PER_ATOM_STEP
    benchmark.extra_info["fraction_of_bandwidth_bound"] = rate * BYTES_PER_ATOM_STEP / bw
    benchmark.extra_info["fig6_full_lattice_hours_extrapolated"] = 100**3 * 30000 / rate / 3600


def test_bench_fig6_green_kernel(benchmark):
    """Kernel of Eq. (dissipation-cubic-kernel) on the 100³ lattice, zz only, 3000 steps (marginal
    cost per step from a 500-step run; the set-up diagonalises all 100³ wave vectors)."""
    sites = D.edge_line_sites()
    full.verlet_response_kernel(LAT, 8, sites, 1e-3, 5, components="zz")    # compile
    n0, n = 500, 3000
    t0 = time.perf_counter()
    full.verlet_response_kernel(LAT, 100, sites, 1e-3, n0, components="zz")
    t_short = time.perf_counter() - t0
    benchmark.pedantic(full.verlet_response_kernel, args=(LAT, 100, sites, 1e-3, n),
                       kwargs={"components": "zz"}, rounds=1, iterations=1)
    t = benchmark.stats["min"]
    per_step = (t - t_short) / (n - n0)            # marginal cost; the rest is set-up
    benchmark.extra_info["kernel_s_per_step"] = per_step
    benchmark.extra_info["setup_s"] = t - per_step * n
    benchmark.extra_info["kernel_s_extrapolated_tau30"] = t + per_step * (30000 - n)


def test_bench_fig5_eight_mass_kernel(benchmark):
    """Full 3×3 kernel among the eight corners of a cell (14 separations) on the paper's 50³
    lattice, 3000 steps (marginal cost per step from a 500-step run); extrapolated to the slowest Fig. 5 pass (λ = 4, σ̇ = 1: 75 410 steps)."""
    sites = [(25 + i, 25 + j, 25 + k) for i in (0, 1) for j in (0, 1) for k in (0, 1)]
    full.verlet_response_kernel(LAT, 8, [(1, 1, 1), (2, 2, 2)], 1e-3, 5)      # compile
    n0, n = 500, 3000
    t0 = time.perf_counter()
    full.verlet_response_kernel(LAT, 50, sites, 1e-3, n0)
    t_short = time.perf_counter() - t0
    benchmark.pedantic(full.verlet_response_kernel, args=(LAT, 50, sites, 1e-3, n), rounds=1,
                       iterations=1)
    t = benchmark.stats["min"]
    per_step = (t - t_short) / (n - n0)            # marginal cost; the rest is set-up
    benchmark.extra_info["mode_steps_per_s"] = 3 * 50**3 / 2 / per_step
    benchmark.extra_info["kernel_s_extrapolated_75410_steps"] = t + per_step * (75410 - n)


def test_bench_full_thermal_trajectory(benchmark):
    """rodin2025 Fig. 7(b) reference: the whole 20³ lattice and the particle in its current cell,
    1000 steps of 5 fs; extrapolated to one 3 ns trajectory (600 000 steps)."""
    from ionmotion import thermal as th
    from ionmotion.potentials import Yukawa
    lat = CubicLattice(3.5, 3.0, 520.0, 170.0)
    u0, w0 = th.field(th.sample_modes(lat, 20, 50.0, np.random.default_rng(0)), 0.0)
    args = (lat, 20, Yukawa(4000.0, 0.5), "cell", 0.7, (1.5, 1.5, 1.5), (0.0, 0.0, 0.0), 5e-3)
    kw = {"u0": u0, "w0": w0, "energy": False, "record_every": 10}
    full.simulate_lattice(*args, 5, **kw)         # compile
    n = 1000
    benchmark.pedantic(full.simulate_lattice, args=args + (n,), kwargs=kw, rounds=3,
                       iterations=1)
    t = benchmark.stats["min"]
    benchmark.extra_info["atom_steps_per_s"] = 20**3 * n / t
    benchmark.extra_info["minutes_per_3ns"] = t / n * 600000 / 60


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
