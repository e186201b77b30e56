"""Event rate of the rejection-free KMC kernel on ~10^4-site lattices (target: 5e6 events/s/core).

Run: python -m pytest benchmarks/bench_kmc.py --benchmark-only -q
Each round executes N_EVENTS events with LatticeGasKMC.run_events (random numbers included);
"events/s" is printed from the median round time. The kernel-only variant passes pre-drawn
uniforms straight to the numba kernel.
"""
import numpy as np
import pytest

from ionmotion import kmc

N_EVENTS = 1_000_000
CASES = [("chain", 5000), ("honeycomb", 71)]  # 10 000 and 10 082 sites


def _sim(kind, size):
    sim = kmc.LatticeGasKMC(kind, size, T=kmc.paper_tp(), K0=0.5, Lambda0=0.25, seed=1)
    sim.run_events(200_000)  # compile and equilibrate
    return sim


@pytest.mark.parametrize("kind,size", CASES)
def test_event_rate(benchmark, kind, size):
    sim = _sim(kind, size)
    benchmark.pedantic(sim.run_events, args=(N_EVENTS,), rounds=5, iterations=1)
    rate = N_EVENTS / benchmark.stats.stats.median
    benchmark.extra_info["events_per_s"] = rate
    benchmark.extra_info["n_sites"] = sim.lattice.n_sites
    print(f"\n{kind} ({sim.lattice.n_sites} sites): {rate / 1e6:.2f} M events/s (with RNG)")


@pytest.mark.parametrize("kind,size", CASES)
def test_kernel_only_event_rate(benchmark, kind, size):
    sim = _sim(kind, size)
    lat = sim.lattice
    uni = sim.rng.random((N_EVENTS, 2))
    e = np.zeros(0)
    samples = (e, np.zeros((0, 2)), e, e, np.zeros((1, 1), np.int8), np.zeros((1, 1, 2)))

    def go():
        sim._kernel(uni, 1e300, samples, 0)

    benchmark.pedantic(go, rounds=5, iterations=1)
    rate = N_EVENTS / benchmark.stats.stats.median
    benchmark.extra_info["events_per_s"] = rate
    print(f"\n{kind} ({lat.n_sites} sites): {rate / 1e6:.2f} M events/s (kernel only)")
