"""Speed of the time-local thermal integration with the paper's 23997 modes and 8 corner masses.

Compares, in one run: the separable numba kernel with quintic-Hermite stage values (default),
the same kernel evaluating r_H at every Runge-Kutta stage ("exact"), and the straightforward dense
NumPy evaluation (all phase factors times all mode amplitudes at every stage,
:func:`ionmotion.thermal.trajectory_reference`); and the thermal kernel as it was before the
engines shared :mod:`ionmotion.engine` (kept below as the reference) against the current one,
in one run, with identical trajectories required; and the banded evaluation (``stride=k``: exact
corner values every k steps, quintic Hermite in between) for k = 2, 4, 8 against stride 1 and
"exact", timed alternately in one run (:func:`strides`).

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


def _run(setup, scheme, n, stride=1):
    modes, W0, drag = setup
    return th.trajectory(R0, np.zeros(3), 0.7, POT, modes, W0, drag, DT, n, scheme=scheme,
                         save_every=n, stride=stride)


STRIDE_CASES = (("hermite", 1), ("exact", 1), ("hermite", 2), ("hermite", 4), ("hermite", 8))


def strides(setup=None, n=2000, rounds=3):
    """RK steps/s of stride 1 (the default), "exact" and strides 2, 4, 8 at the paper's dt, timed
    alternately in one run (best of `rounds`); returns {label: (steps/s, ratio to stride 1)}.
    Stride 8 exceeds the accuracy guard at dt = 5 fs (k·dt·Ω_max = 1.25 >
    th.STRIDE_PHASE_LIMIT; stride 4, 0.63, is what the diffusion chapter uses); the guard is
    lifted here, for the timing only."""
    setup = _setup() if setup is None else setup
    limit = th.STRIDE_PHASE_LIMIT
    th.STRIDE_PHASE_LIMIT = 2.0
    try:
        for scheme, k in STRIDE_CASES:
            _run(setup, scheme, 2, k)  # compile outside the timing
        best = dict.fromkeys(STRIDE_CASES, np.inf)
        for _ in range(rounds):
            for case in STRIDE_CASES:
                t0 = time.perf_counter()
                _run(setup, case[0], n, case[1])
                best[case] = min(best[case], time.perf_counter() - t0)
    finally:
        th.STRIDE_PHASE_LIMIT = limit
    ref = best[("hermite", 1)]
    return {(f"stride {k}" if scheme == "hermite" else scheme): (n / t, ref / t)
            for (scheme, k), t in best.items()}


def test_bench_thermal_strides(benchmark, setup):
    """Banded evaluation against stride 1 and "exact" in one run: steps/s and speed-up."""
    res = benchmark.pedantic(strides, kwargs={"setup": setup}, rounds=1, iterations=1)
    for label, (rate, ratio) in res.items():
        benchmark.extra_info[label] = {"rk_steps_per_s": rate, "speedup_vs_stride1": ratio}
        print(f"{label:9s} {rate:9.1f} RK steps/s   vs stride 1: {ratio:5.2f}x")


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




# --------------------------------------------------------------------------------------------
# Reference: the thermal kernel as it was before the engines shared ionmotion.engine (verbatim,
# renamed _old_*; its old force routine comes from bench_full). The old-vs-new test below times
# both in one run and checks that the trajectories are identical.
# --------------------------------------------------------------------------------------------
from numba import njit  # noqa: E402

from bench_full import _old_acceleration  # noqa: E402
from ionmotion.thermal import _hermite, _sync  # noqa: E402
from ionmotion.timelocal import BUTCHER_C as _C, _rk5_finish, _rk5_stage_input  # noqa: E402,F401


@njit(cache=True, fastmath=True)
def _old_corner_kernel(zr, zi, rotr, roti, use_rot, coef, Er, Ei, cx, cy, cz, npow, out):
    """Mode sums at the 8 corners (cx + dx, cy + dy, cz + dz), d ∈ {0, 1}, of one cell.

    Layout [kx, ky, u, kz] (see :func:`_pencil_layout`). z = (zr + i zi)·rot (if use_rot) are the
    complex mode amplitudes at the wanted time. With S_m(L) = Σ_q Σ_u coef_um z_u e^{iq·L}:
    out[0] = Re S_{0..2} = r_H, out[1] = Im S_{3..5} = ṙ_H, out[2] = -Re S_{6..8} = r̈_H
    (npow = 3; npow = 2 skips r̈_H). The kz sum is done first for both dz, then ky, then kx.
    """
    n = zr.shape[0]
    nc = 3 * npow
    lz0 = cz % n
    lz1 = (cz + 1) % n
    ly0 = cy % n
    ly1 = (cy + 1) % n
    lx0 = cx % n
    lx1 = (cx + 1) % n
    Fr = np.zeros((8, nc))
    Fi = np.zeros((8, nc))
    Dr = np.empty((2, 2, nc))
    Di = np.empty((2, 2, nc))
    Cr = np.empty((2, nc))
    Ci = np.empty((2, nc))
    Br = np.empty((nc, n))
    Bi = np.empty((nc, n))
    wr = np.empty(n)
    wi = np.empty(n)
    for kx in range(n):
        for dy in range(2):
            for dz in range(2):
                for m in range(nc):
                    Dr[dy, dz, m] = 0.0
                    Di[dy, dz, m] = 0.0
        for ky in range(n):
            for m in range(nc):
                for kz in range(n):
                    Br[m, kz] = 0.0
                    Bi[m, kz] = 0.0
            for u in range(3):
                if use_rot:
                    for kz in range(n):
                        ar = zr[kx, ky, u, kz]
                        ai = zi[kx, ky, u, kz]
                        rr = rotr[kx, ky, u, kz]
                        ri = roti[kx, ky, u, kz]
                        wr[kz] = ar * rr - ai * ri
                        wi[kz] = ar * ri + ai * rr
                else:
                    for kz in range(n):
                        wr[kz] = zr[kx, ky, u, kz]
                        wi[kz] = zi[kx, ky, u, kz]
                for m in range(nc):
                    for kz in range(n):
                        e = coef[kx, ky, u, m, kz]
                        Br[m, kz] += e * wr[kz]
                        Bi[m, kz] += e * wi[kz]
            for dz in range(2):
                lz = lz0 if dz == 0 else lz1
                for m in range(nc):
                    sr = 0.0
                    si = 0.0
                    for kz in range(n):
                        er = Er[lz, kz]
                        ei = Ei[lz, kz]
                        sr += Br[m, kz] * er - Bi[m, kz] * ei
                        si += Br[m, kz] * ei + Bi[m, kz] * er
                    Cr[dz, m] = sr
                    Ci[dz, m] = si
            for dy in range(2):
                ly = ly0 if dy == 0 else ly1
                er = Er[ly, ky]
                ei = Ei[ly, ky]
                for dz in range(2):
                    for m in range(nc):
                        Dr[dy, dz, m] += Cr[dz, m] * er - Ci[dz, m] * ei
                        Di[dy, dz, m] += Cr[dz, m] * ei + Ci[dz, m] * er
        for dx in range(2):
            lx = lx0 if dx == 0 else lx1
            er = Er[lx, kx]
            ei = Ei[lx, kx]
            for dy in range(2):
                for dz in range(2):
                    j = 4 * dx + 2 * dy + dz
                    for m in range(nc):
                        Fr[j, m] += Dr[dy, dz, m] * er - Di[dy, dz, m] * ei
                        Fi[j, m] += Dr[dy, dz, m] * ei + Di[dy, dz, m] * er
    for j in range(8):
        for c in range(3):
            out[0, j, c] = Fr[j, c]
            out[1, j, c] = Fi[j, 3 + c]
            if npow == 3:
                out[2, j, c] = -Fr[j, 6 + c]
    return out


@njit(cache=True)
def _old_thermal_kernel(R0, V0, M, code, amp, lam, W0, drag, dt, n_steps, save_every, a,
                    zeta_r, zeta_i, om, coef, Er, Ei, t0, hermite, form, resync,
                    R_out, V_out, stats):
    n = zeta_r.shape[0]
    NS = 8
    coef2 = np.ascontiguousarray(coef[:, :, :, :6, :])  # cache slots
    # per-quarter-step rotations e^{-iΩ c dt}, c = 1/4, 1/2, 3/4, 1
    rot_r = np.empty((4,) + om.shape)
    rot_i = np.empty((4,) + om.shape)
    for q in range(4):
        ph = -om * (dt * 0.25 * (q + 1))
        rot_r[q] = np.cos(ph)
        rot_i[q] = np.sin(ph)
    zr = np.empty(om.shape)
    zi = np.empty(om.shape)
    _sync(zeta_r, zeta_i, om, t0, zr, zi)
    # cache: key = (cx, cy, cz, time tag); data (3, 8, 3) for start and end of step
    key = np.full((NS, 4), -(2**62), dtype=np.int64)
    data0 = np.zeros((NS, 3, 8, 3))
    data1 = np.zeros((NS, 3, 8, 3))
    nxt = 0
    tmp = np.zeros((3, 8, 3))
    sites = np.empty((8, 3))
    rH = np.empty((8, 3))
    vH = np.empty((8, 3))
    g = np.empty((8, 3))
    H = np.empty((8, 3, 3))
    reff = np.empty(24)
    kR = np.empty((6, 3))
    kV = np.empty((6, 3))
    Rs = np.empty(3)
    Vs = np.empty(3)
    acc = np.empty(3)
    dummy = np.zeros((1, 1, 1, 1))
    R = R0.copy()
    V = V0.copy()
    R_out[0] = R
    V_out[0] = V
    jout = 1
    evals = 0
    crossings = 0
    last = np.empty(3, dtype=np.int64)
    for c in range(3):
        last[c] = int(np.floor(R[c] / a))
    for step in range(n_steps):
        if step > 0 and step % resync == 0:
            _sync(zeta_r, zeta_i, om, t0 + step * dt, zr, zi)
        for s in range(6):
            _rk5_stage_input(R, V, s, dt, kR, kV, Rs, Vs)
            cx = int(np.floor(Rs[0] / a))
            cy = int(np.floor(Rs[1] / a))
            cz = int(np.floor(Rs[2] / a))
            for j in range(8):
                sites[j, 0] = a * (cx + j // 4)
                sites[j, 1] = a * (cy + (j // 2) % 2)
                sites[j, 2] = a * (cz + j % 2)
            cs = _C[s]
            if hermite:
                # slot with this cell valid for this step?
                slot = -1
                for k in range(NS):
                    if key[k, 0] == cx and key[k, 1] == cy and key[k, 2] == cz:
                        if key[k, 3] == step:
                            slot = k
                            break
                        if key[k, 3] == step - 1:  # end of last step = start of this one
                            data0[k] = data1[k]
                            _old_corner_kernel(zr, zi, rot_r[3], rot_i[3], True, coef, Er, Ei,
                                           cx, cy, cz, 3, tmp)
                            data1[k] = tmp
                            evals += 1
                            key[k, 3] = step
                            slot = k
                            break
                if slot < 0:
                    slot = nxt
                    nxt = (nxt + 1) % NS
                    _old_corner_kernel(zr, zi, dummy, dummy, False, coef, Er, Ei, cx, cy, cz,
                                   3, tmp)
                    data0[slot] = tmp
                    _old_corner_kernel(zr, zi, rot_r[3], rot_i[3], True, coef, Er, Ei,
                                   cx, cy, cz, 3, tmp)
                    data1[slot] = tmp
                    evals += 2
                    key[slot, 0] = cx
                    key[slot, 1] = cy
                    key[slot, 2] = cz
                    key[slot, 3] = step
                if cs == 0.0:
                    for j in range(8):
                        for c in range(3):
                            rH[j, c] = data0[slot, 0, j, c]
                            vH[j, c] = data0[slot, 1, j, c]
                elif cs == 1.0:
                    for j in range(8):
                        for c in range(3):
                            rH[j, c] = data1[slot, 0, j, c]
                            vH[j, c] = data1[slot, 1, j, c]
                else:
                    _hermite(data0[slot, 0], data0[slot, 1], data0[slot, 2], data1[slot, 0],
                             data1[slot, 1], data1[slot, 2], dt, cs, rH, vH)
            else:
                tag = 4 * step + int(round(4 * cs))
                slot = -1
                for k in range(NS):
                    if (key[k, 0] == cx and key[k, 1] == cy and key[k, 2] == cz
                            and key[k, 3] == tag):
                        slot = k
                        break
                if slot < 0:
                    slot = nxt
                    nxt = (nxt + 1) % NS
                    qi = int(round(4 * cs)) - 1
                    if qi < 0:
                        _old_corner_kernel(zr, zi, dummy, dummy, False, coef2, Er, Ei,
                                       cx, cy, cz, 2, tmp)
                    else:
                        _old_corner_kernel(zr, zi, rot_r[qi], rot_i[qi], True, coef2, Er, Ei,
                                       cx, cy, cz, 2, tmp)
                    data0[slot] = tmp
                    evals += 1
                    key[slot, 0] = cx
                    key[slot, 1] = cy
                    key[slot, 2] = cz
                    key[slot, 3] = tag
                for j in range(8):
                    for c in range(3):
                        rH[j, c] = data0[slot, 0, j, c]
                        vH[j, c] = data0[slot, 1, j, c]
            _old_acceleration(Rs, Vs, sites, rH, vH, code, amp, lam, W0, drag, M, form, g, H,
                             reff, acc)
            for c in range(3):
                kR[s, c] = Vs[c]
                kV[s, c] = acc[c]
        _rk5_finish(R, V, dt, kR, kV)
        # advance mode amplitudes by one step (rotation)
        d0, d1, d2, d3 = zr.shape
        for i0 in range(d0):
            for i1 in range(d1):
                for i2 in range(d2):
                    for i3 in range(d3):
                        xr = zr[i0, i1, i2, i3]
                        xi = zi[i0, i1, i2, i3]
                        rr = rot_r[3, i0, i1, i2, i3]
                        ri = rot_i[3, i0, i1, i2, i3]
                        zr[i0, i1, i2, i3] = xr * rr - xi * ri
                        zi[i0, i1, i2, i3] = xr * ri + xi * rr
        changed = False
        for c in range(3):
            cc = int(np.floor(R[c] / a))
            if cc != last[c]:
                changed = True
            last[c] = cc
        if changed:
            crossings += 1
        if (step + 1) % save_every == 0:
            R_out[jout] = R
            V_out[jout] = V
            jout += 1
    stats[0] = evals
    stats[1] = crossings
    return jout




def _old_trajectory(setup, scheme, n):
    """The former trajectory() body around the old kernel (same layouts and validation)."""
    modes, W0, drag = setup
    Er, Ei = th._phase_table(modes.n_grid)
    om, coef = th._pencil_layout(modes)
    zeta_r, zeta_i = th._z_layout(modes.zeta)
    R_out, V_out = np.empty((n + 1, 3)), np.empty((n + 1, 3))
    stats = np.zeros(2, dtype=np.int64)
    _old_thermal_kernel(R0, np.zeros(3), 0.7, POT.code, float(POT.amp), float(POT.lam), W0, drag,
                        DT, n, 1, float(modes.a), zeta_r, zeta_i, om, coef, Er, Ei, 0.0,
                        scheme == "hermite", 0, 4096, R_out, V_out, stats)
    return R_out, V_out, stats


def _new_trajectory(setup, scheme, n):
    modes, W0, drag = setup
    out = th.trajectory(R0, np.zeros(3), 0.7, POT, modes, W0, drag, DT, n, scheme=scheme)
    return out.R, out.V, np.array([out["mode_evaluations"], out["cell_changes"]])


def compare(setup=None, n=2000, rounds=3):
    """Old and new thermal kernels timed alternately (best of `rounds`) on the paper's modes;
    the trajectories and counters must be identical. Returns {scheme: (old s, new s, old/new)}."""
    setup = _setup() if setup is None else setup
    out = {}
    for scheme in ("hermite", "exact"):
        a, b = _old_trajectory(setup, scheme, n), _new_trajectory(setup, scheme, n)
        for x, y in zip(a, b):
            assert np.array_equal(x, y), scheme
        t_old = t_new = np.inf
        for _ in range(rounds):
            t0 = time.perf_counter()
            _old_trajectory(setup, scheme, n)
            t_old = min(t_old, time.perf_counter() - t0)
            t0 = time.perf_counter()
            _new_trajectory(setup, scheme, n)
            t_new = min(t_new, time.perf_counter() - t0)
        out[scheme] = (t_old, t_new, t_old / t_new)
    return out


def test_bench_thermal_old_vs_new(benchmark, setup):
    """The refactored thermal kernel against the former one in one run: identical trajectories
    and mode-evaluation counts, speed ratio old/new."""
    res = benchmark.pedantic(compare, kwargs={"setup": setup}, rounds=1, iterations=1)
    for scheme, (t_old, t_new, ratio) in res.items():
        benchmark.extra_info[scheme] = {"old_s": t_old, "new_s": t_new, "old_over_new": ratio}
        print(f"{scheme:8s} old {t_old:.3f} s  new {t_new:.3f} s  old/new {ratio:.2f}")


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
    for label, (rate, ratio) in strides(setup).items():
        print(f"{label:9s} {rate:9.1f} RK steps/s   vs stride 1: {ratio:5.2f}x   (one run)")
    for scheme, (t_old, t_new, ratio) in compare(setup).items():
        print(f"old vs new kernel, {scheme:8s}: old {t_old:.3f} s  new {t_new:.3f} s  "
              f"old/new {ratio:.2f}")
    return rates


if __name__ == "__main__":
    main()
