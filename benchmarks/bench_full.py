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
* the modal engine on the slowest chain pass of Fig. 2;
* old versus new: the kernels as they were before the engines shared :mod:`ionmotion.engine`
  (kept below as the reference) against the current engines, timed in one run with the results
  compared (``python3 benchmarks/bench_full.py`` prints the table);
* symmetry on versus off: the eight-corner kernel summed over the O_h wedge of wave vectors
  against the half-space sum, and a slow Fig. 5 pass following one mass per C4v orbit against
  every mass, timed in one run with the results compared (printed in the same table form).
"""
import time

import numpy as np
import pytest

from ionmotion import dissipation as D
from ionmotion import full
from ionmotion import timelocal as tl
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


# --------------------------------------------------------------------------------------------
# Reference: the kernels as they were before the engines shared ionmotion.engine (verbatim,
# renamed _old_*; the helpers they call that did not change are imported). The old-vs-new test
# below times both in one run and checks that the results agree.
# --------------------------------------------------------------------------------------------
from numba import njit  # noqa: E402

from ionmotion.full import (_cubic_accel_kernel, _history_dot, _lattice_accel_kernel,  # noqa: E402
                            _lattice_energy_kernel)
from ionmotion.potentials import pair_derivatives  # noqa: E402
from ionmotion.timelocal import _rk5_finish, _rk5_stage_input  # noqa: E402


@njit(cache=True, inline="always")
def _old_follow_cell(r, a, shape, offsets, sites, pos):
    """Interacting masses = the corners of the cell holding the particle: cell c = ⌊r/a⌋
    (unfolded), sites (c + offset) folded into the periodic box, equilibrium positions a(c +
    offset) unfolded, so the particle never sees the box boundary. Returns the cell's flat key."""
    c0 = np.floor(r[0] / a)
    c1 = np.floor(r[1] / a)
    c2 = np.floor(r[2] / a)
    for I in range(offsets.shape[0]):
        ci = (c0 + offsets[I, 0], c1 + offsets[I, 1], c2 + offsets[I, 2])
        for x in range(3):
            pos[I, x] = a * ci[x]
            sites[I, x] = int(ci[x]) % shape[x]
    return c0 * 1e12 + c1 * 1e6 + c2


@njit(cache=True)
def _old_interaction_kernel(r, u, sites, pos, code, amp, lam, fp, fs):
    """Interaction energy; fp = force on the particle, fs[I] = force on interacting mass I."""
    grad = np.empty(3)
    hess = np.empty((3, 3))
    e = 0.0
    fp[:] = 0.0
    for I in range(sites.shape[0]):
        a, b, c = sites[I, 0], sites[I, 1], sites[I, 2]
        dx = r[0] - pos[I, 0] - u[a, b, c, 0]
        dy = r[1] - pos[I, 1] - u[a, b, c, 1]
        dz = r[2] - pos[I, 2] - u[a, b, c, 2]
        e += pair_derivatives(code, amp, lam, dx, dy, dz, grad, hess)
        for x in range(3):
            fp[x] -= grad[x]
            fs[I, x] = grad[x]
    return e


@njit(cache=True, inline="always")
def _old_particle_drift(r, v, ap, dt):
    """Velocity-Verlet position update and first half kick of the particle."""
    for x in range(3):
        r[x] += dt * v[x] + 0.5 * dt * dt * ap[x]
        v[x] += 0.5 * dt * ap[x]


@njit(cache=True)
def _old_project(f, d):
    if d[0] == 0.0 and d[1] == 0.0 and d[2] == 0.0:
        return
    p = f[0] * d[0] + f[1] * d[1] + f[2] * d[2]
    for x in range(3):
        f[x] = p * d[x]


@njit(cache=True, inline="always")
def _old_framework_accel(u, offs, K, onsite, m, cubic, k1, k2, tabs, acc):
    if cubic:
        _cubic_accel_kernel(u, k1, k2, m, tabs[0], tabs[1], tabs[2], tabs[3], tabs[4], tabs[5],
                            acc)
    else:
        _lattice_accel_kernel(u, offs, K, onsite, m, acc)


@njit(cache=True, nogil=True)
def _old_verlet_lattice_kernel(u, w, r, v, offs, K, onsite, m, M, sites, pos, code, amp, lam, dt,
                           n_steps, d, stop_axis, stop_at, record_every, traj, energy, with_energy,
                           cubic, k1, k2, tabs, follow, a, shape, offsets, counters):
    """Velocity Verlet of the whole lattice plus the particle. cubic: use the written-out
    :func:`_cubic_accel_kernel` (CubicLattice) instead of the generic bond loop. follow: the
    interacting masses are the corners of the particle's current cell (:func:`_follow_cell`,
    `offsets` the corner offsets); counters[0] counts the cell changes."""
    nI = sites.shape[0]
    acc = np.zeros_like(u)
    fp = np.zeros(3)
    fs = np.zeros((nI, 3))
    _old_framework_accel(u, offs, K, onsite, m, cubic, k1, k2, tabs, acc)
    key = 0.0
    if follow:
        key = _old_follow_cell(r, a, shape, offsets, sites, pos)
    eint = _old_interaction_kernel(r, u, sites, pos, code, amp, lam, fp, fs)
    _old_project(fp, d)
    for I in range(nI):
        for x in range(3):
            acc[sites[I, 0], sites[I, 1], sites[I, 2], x] += fs[I, x] / m
    ap = fp / M
    n_rec = 0
    n_done = n_steps
    nx, ny, nz = u.shape[0], u.shape[1], u.shape[2]
    for n in range(n_steps + 1):
        if n % record_every == 0:
            traj[n_rec, 0] = n * dt
            for x in range(3):
                traj[n_rec, 1 + x] = r[x]
                traj[n_rec, 4 + x] = v[x]
            if with_energy:
                ek = 0.5 * M * (v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
                energy[n_rec] = ek + eint + _lattice_energy_kernel(u, w, offs, K, onsite, m)
            n_rec += 1
        if stop_axis >= 0 and r[stop_axis] >= stop_at:
            n_done = n
            break
        if n == n_steps:
            break
        # velocity Verlet
        _old_particle_drift(r, v, ap, dt)
        for i in range(nx):
            for j in range(ny):
                for k in range(nz):
                    for x in range(3):
                        u[i, j, k, x] += dt * w[i, j, k, x] + 0.5 * dt * dt * acc[i, j, k, x]
                        w[i, j, k, x] += 0.5 * dt * acc[i, j, k, x]
        _old_framework_accel(u, offs, K, onsite, m, cubic, k1, k2, tabs, acc)
        if follow:
            new = _old_follow_cell(r, a, shape, offsets, sites, pos)
            if new != key:
                counters[0] += 1
                key = new
        eint = _old_interaction_kernel(r, u, sites, pos, code, amp, lam, fp, fs)
        _old_project(fp, d)
        for I in range(nI):
            for x in range(3):
                acc[sites[I, 0], sites[I, 1], sites[I, 2], x] += fs[I, x] / m
        for x in range(3):
            ap[x] = fp[x] / M
            v[x] += 0.5 * dt * ap[x]
        for i in range(nx):
            for j in range(ny):
                for k in range(nz):
                    for x in range(3):
                        w[i, j, k, x] += 0.5 * dt * acc[i, j, k, x]
    return n_rec, n_done


@njit(cache=True, inline="always")
def _old_record_state(traj, k, t, r, v, u):
    """Row k of a trajectory: time, particle position and velocity, first mass's displacement."""
    traj[k, 0] = t
    for x in range(3):
        traj[k, 1 + x] = r[x]
        traj[k, 4 + x] = v[x]
        traj[k, 7 + x] = u[0, x]


@njit(cache=True, nogil=True)
def _old_response_kernel_run(R, index, r, v, M, pos, code, amp, lam, dt, n_steps, d, stop_axis,
                         stop_at, record_every, traj, F, comps, nzR):
    """Velocity Verlet for the particle with the interacting masses' displacements from the
    discrete Green's function: u_I(n) = Σ_J [½ R_IJ(n) F_J(0) + Σ_{k=1}^{n−1} R_IJ(n−k) F_J(k)].
    F (nI, 3, n_steps+1) stores the forces on the masses; comps (3,) flags force components
    that may be non-zero (skipped otherwise); nzR (n_sep, 3, 3) flags kernel components that are
    not identically zero. Force components that have been exactly zero so far are skipped too
    (e.g. the x force of a particle confined to the yz plane)."""
    nI = pos.shape[0]
    grad = np.empty(3)
    hess = np.empty((3, 3))
    u = np.zeros((nI, 3))
    fp = np.zeros(3)
    ap = np.zeros(3)
    n_rec = 0
    n_done = n_steps
    fnz = np.zeros(3, np.int64)
    for n in range(n_steps + 1):
        # displacements at step n from forces at steps < n
        if n > 0:
            for I in range(nI):
                for a in range(3):
                    acc = 0.0
                    for J in range(nI):
                        s = index[I, J]
                        for b in range(3):
                            if comps[b] == 0 or comps[a] == 0 or fnz[b] == 0 or nzR[s, a, b] == 0:
                                continue
                            acc += 0.5 * R[s, a, b, n] * F[J, b, 0]
                            acc += _history_dot(R[s, a, b], F[J, b], n)
                    u[I, a] = acc
        # forces at step n
        fp[:] = 0.0
        for I in range(nI):
            dx = r[0] - pos[I, 0] - u[I, 0]
            dy = r[1] - pos[I, 1] - u[I, 1]
            dz = r[2] - pos[I, 2] - u[I, 2]
            pair_derivatives(code, amp, lam, dx, dy, dz, grad, hess)
            for x in range(3):
                fp[x] -= grad[x]
                F[I, x, n] = grad[x]
                if grad[x] != 0.0:
                    fnz[x] = 1
        _old_project(fp, d)
        if n > 0:
            for x in range(3):
                v[x] += 0.5 * dt * fp[x] / M
        for x in range(3):
            ap[x] = fp[x] / M
        if n % record_every == 0:
            _old_record_state(traj, n_rec, n * dt, r, v, u)
            n_rec += 1
        if stop_axis >= 0 and r[stop_axis] >= stop_at:
            n_done = n
            break
        if n == n_steps:
            break
        _old_particle_drift(r, v, ap, dt)
    return n_rec, n_done


@njit(cache=True)
def _old_modal_kernel(om2, phi, m, r, v, M, pos, code, amp, lam, dt, n_steps, d, stop_axis, stop_at,
                  record_every, traj):
    P = om2.shape[0]
    nI = pos.shape[0]
    A = np.zeros(P)
    B = np.zeros(P)          # mode velocities
    acc = np.zeros(P)
    u = np.zeros((nI, 3))
    Fs = np.zeros((nI, 3))
    grad = np.empty(3)
    hess = np.empty((3, 3))
    fp = np.zeros(3)
    ap = np.zeros(3)
    n_rec = 0
    n_done = n_steps
    for n in range(n_steps + 1):
        for I in range(nI):
            for x in range(3):
                s = 0.0
                for p in range(P):
                    s += phi[p, I, x] * A[p]
                u[I, x] = s
        fp[:] = 0.0
        for I in range(nI):
            pair_derivatives(code, amp, lam, r[0] - pos[I, 0] - u[I, 0],
                             r[1] - pos[I, 1] - u[I, 1], r[2] - pos[I, 2] - u[I, 2], grad, hess)
            for x in range(3):
                fp[x] -= grad[x]
                Fs[I, x] = grad[x]
        _old_project(fp, d)
        for p in range(P):
            f = 0.0
            for I in range(nI):
                for x in range(3):
                    f += phi[p, I, x] * Fs[I, x]
            acc[p] = f / m - om2[p] * A[p]
        if n > 0:
            for x in range(3):
                v[x] += 0.5 * dt * fp[x] / M
            for p in range(P):
                B[p] += 0.5 * dt * acc[p]
        for x in range(3):
            ap[x] = fp[x] / M
        if n % record_every == 0:
            _old_record_state(traj, n_rec, n * dt, r, v, u)
            n_rec += 1
        if stop_axis >= 0 and r[stop_axis] >= stop_at:
            n_done = n
            break
        if n == n_steps:
            break
        _old_particle_drift(r, v, ap, dt)
        for p in range(P):
            A[p] += dt * B[p] + 0.5 * dt * dt * acc[p]
            B[p] += 0.5 * dt * acc[p]
    return n_rec, n_done


@njit(cache=True)
def _old_acceleration(R, V, sites, rH, vH, code, amp, lam, W0, drag, M, form, g, H, reff, out):
    """Acceleration R̈ of rodin2025 Eqs. (18)-(20) (form 0) or rodin2024 Eq. (26) (form 1).

    sites (n, 3) equilibrium positions, rH, vH (n, 3) homogeneous displacement and velocity of the
    interacting masses; g (n, 3), H (n, 3, 3), reff (3n,) work arrays; result written to out (3,).
    """
    n = sites.shape[0]
    gi = np.empty(3)
    hi = np.empty((3, 3))
    Gv = np.zeros(3)
    Htot = np.zeros((3, 3))
    for i in range(n):
        pair_derivatives(code, amp, lam, R[0] - sites[i, 0] - rH[i, 0],
                         R[1] - sites[i, 1] - rH[i, 1], R[2] - sites[i, 2] - rH[i, 2], gi, hi)
        for a in range(3):
            g[i, a] = gi[a]
            for b in range(3):
                H[i, a, b] = hi[a, b]
                Htot[a, b] += hi[a, b]
                Gv[a] += hi[a, b] * (V[b] - vH[i, b])
    # r_eff - r_H = W0 g  (Eq. 19)
    m3 = 3 * n
    for k in range(m3):
        acc = 0.0
        for l in range(m3):
            acc += W0[k, l] * g[l // 3, l % 3]
        reff[k] = acc
    # 𝓛 G (Eq. 20)
    LG = np.zeros(3)
    for a in range(3):
        for b in range(3):
            LG[a] += drag[a, b] * Gv[b]
    if form == 0:
        for a in range(3):
            out[a] = 0.0
        for i in range(n):
            pair_derivatives(code, amp, lam,
                             R[0] + LG[0] - sites[i, 0] - rH[i, 0] - reff[3 * i],
                             R[1] + LG[1] - sites[i, 1] - rH[i, 1] - reff[3 * i + 1],
                             R[2] + LG[2] - sites[i, 2] - rH[i, 2] - reff[3 * i + 2], gi, hi)
            for a in range(3):
                out[a] -= gi[a]
    else:
        for a in range(3):
            f = 0.0
            for i in range(n):
                f -= g[i, a]
                for b in range(3):
                    f += 2.0 * H[i, a, b] * reff[3 * i + b]
            for b in range(3):
                f -= Htot[a, b] * LG[b]
            out[a] = f
    for a in range(3):
        out[a] /= M
    return out


@njit(cache=True)
def _old_rk5_step(R, V, dt, sites, rH, vH, code, amp, lam, W0, drag, M, form, cdir, has_c,
              kR, kV, g, H, reff, Rs, Vs, acc):
    """One Butcher RK5 step of the deterministic equation (framework displacement rH, vH fixed)."""
    for s in range(6):
        _rk5_stage_input(R, V, s, dt, kR, kV, Rs, Vs)
        _old_acceleration(Rs, Vs, sites, rH, vH, code, amp, lam, W0, drag, M, form, g, H, reff, acc)
        if has_c:
            proj = acc[0] * cdir[0] + acc[1] * cdir[1] + acc[2] * cdir[2]
            for a in range(3):
                acc[a] = proj * cdir[a]
        for a in range(3):
            kR[s, a] = Vs[a]
            kV[s, a] = acc[a]
    _rk5_finish(R, V, dt, kR, kV)


@njit(cache=True)
def _old_integrate_kernel(R0, V0, M, code, amp, lam, sites, W0, drag, dt, n_steps, save_every,
                      cdir, has_c, form, R_out, V_out):
    n = sites.shape[0]
    rH = np.zeros((n, 3))
    vH = np.zeros((n, 3))
    g = np.empty((n, 3))
    H = np.empty((n, 3, 3))
    reff = np.empty(3 * n)
    kR = np.empty((6, 3))
    kV = np.empty((6, 3))
    Rs = np.empty(3)
    Vs = np.empty(3)
    acc = np.empty(3)
    R = R0.copy()
    V = V0.copy()
    R_out[0] = R
    V_out[0] = V
    j = 1
    for step in range(1, n_steps + 1):
        _old_rk5_step(R, V, dt, sites, rH, vH, code, amp, lam, W0, drag, M, form, cdir, has_c,
                  kR, kV, g, H, reff, Rs, Vs, acc)
        if step % save_every == 0:
            R_out[j] = R
            V_out[j] = V
            j += 1
    return j




def _old_lattice(framework, shape, potential, sites, M, r0, v0, dt, n_steps, *, line=None,
                 u0=None, w0=None, record_every=1, energy=True, cubic_kernel=True):
    """The former simulate_lattice body around the old kernel (validation shared)."""
    S, follow = full._lattice_setup(framework, shape, potential, sites, M, r0, dt, line, energy)
    u = np.zeros(S.shape + (3,)) if u0 is None else np.array(u0, float)
    w = np.zeros(S.shape + (3,)) if w0 is None else np.array(w0, float)
    offs, K, onsite = full.lattice_bonds(framework)
    traj = np.zeros((n_steps // record_every + 1, 7))
    en = np.zeros(len(traj))
    r, v = np.array(r0, float), np.array(v0, float)
    cubic = bool(cubic_kernel) and isinstance(framework, CubicLattice)
    k1, k2 = (framework.k1, framework.k2) if cubic else (0.0, 0.0)
    n_rec, _ = _old_verlet_lattice_kernel(
        u, w, r, v, offs.astype(np.int64), K, onsite, S.mass, S.particle_mass, S.sites.copy(),
        S.site_pos.copy(), S.code, S.amp, S.lam, S.dt, n_steps, S.direction, -1, np.inf,
        record_every, traj, en, energy, cubic, float(k1), float(k2),
        full._neighbour_tables(S.shape), follow, float(framework.a),
        np.array(S.shape, np.int64), full.CORNERS, np.zeros(1, np.int64))
    return traj[:n_rec, 1:4], traj[:n_rec, 4:7], u


def _new_lattice(*args, **kw):
    out = full.simulate_lattice(*args, **kw)
    return out.R, out.V, out["u"]


def _old_response(framework, shape, potential, sites, M, r0, v0, dt, n_steps, *, line, kernel,
                  components):
    S = full._setup(framework, shape, potential, sites, M, r0, dt, line)
    R, seps, index = kernel
    comps, nzR = full._nonzero_masks(R, components)
    traj = np.zeros((n_steps + 1, 10))
    F = np.zeros((len(S.sites), 3, n_steps + 1))
    r, v = np.array(r0, float), np.array(v0, float)
    n_rec, _ = _old_response_kernel_run(
        np.ascontiguousarray(R.transpose(1, 2, 3, 0)), index, r, v, S.particle_mass, S.site_pos,
        S.code, S.amp, S.lam, S.dt, n_steps, S.direction, -1, np.inf, 1, traj, F, comps, nzR)
    return traj[:n_rec, 1:4], traj[:n_rec, 4:7], traj[:n_rec, 7:10]


def _new_response(*args, **kw):
    out = full.simulate_response(*args, **kw)
    return out.R, out.V, out["u0"]


def _old_modal(framework, shape, potential, sites, M, r0, v0, dt, n_steps, *, line):
    S = full._setup(framework, shape, potential, sites, M, r0, dt, line)
    om2, phi = full.coupled_modes(framework, S.shape, S.sites)
    traj = np.zeros((n_steps + 1, 10))
    r, v = np.array(r0, float), np.array(v0, float)
    n_rec, _ = _old_modal_kernel(om2, phi, S.mass, r, v, S.particle_mass, S.site_pos, S.code,
                                 S.amp, S.lam, S.dt, n_steps, S.direction, -1, np.inf, 1, traj)
    return traj[:n_rec, 1:4], traj[:n_rec, 4:7], traj[:n_rec, 7:10]


def _new_modal(*args, **kw):
    out = full.simulate_modal(*args, **kw)
    return out.R, out.V, out["u0"]


def _old_integrate(R0, V0, M, pot, sites, W0, drag, dt, n_steps, constrain):
    d = np.asarray(constrain, float) / np.linalg.norm(constrain)
    R_out, V_out = np.empty((n_steps + 1, 3)), np.empty((n_steps + 1, 3))
    _old_integrate_kernel(np.asarray(R0, float), np.asarray(V0, float), M, pot.code,
                          float(pot.amp), float(pot.lam), sites, W0, drag, dt, n_steps, 1, d, True,
                          0, R_out, V_out)
    return R_out, V_out


def _new_integrate(*args):
    t, R, V = tl.integrate(*args)
    return R, V


def _cases():
    """(name, old call, new call, tolerance relative to the largest |value|: 0 = bitwise)."""
    from ionmotion import thermal as th
    from ionmotion.lattice import Chain
    from ionmotion.potentials import Yukawa
    g = Gaussian(1.0, 0.5)
    line8 = (LAT, 32, g, [(0, 0, j) for j in range(8)], M0, (0.0, 0.0, 7.0), (0.0, 0.0, 7.5),
             1e-3, 200)
    lat = CubicLattice(3.5, 3.0, 520.0, 170.0)
    u0, w0 = th.field(th.sample_modes(lat, 20, 50.0, np.random.default_rng(0)), 0.0)
    cell = (lat, 20, Yukawa(4000.0, 0.5), "cell", 0.7, (1.5, 1.5, 1.5), (0.0, 0.0, 0.0), 5e-3,
            1000)
    cell_kw = {"u0": u0, "w0": w0, "energy": False, "record_every": 10}
    sites = D.edge_line_sites()
    kern = full.verlet_response_kernel(LAT, 12, sites, 1e-3, 3000, components="zz")
    conv = (LAT, 12, g, sites, M0, (0.0, 0.0, 7.0), (0.0, 0.0, 7.5), 1e-3, 3000)
    conv_kw = {"line": (0, 0, 1), "kernel": kern, "components": "zz"}
    chain = Chain(M0, 2.0, 99 / 4, 99 / 4, 1.0, 1.0)
    modal = (chain, 400, g, [(0, 0, 100)], 4 * M0, (0.0, 1.0, 190.0), (0.0, 0.0, 2.0), 1e-3,
             20000)
    edge = np.array(sites[:3], float) * LAT.a
    W0 = tl.static_response_block(LAT, np.array(sites[:3]), n_quad=8)
    tlargs = ((0.0, 0.0, 1.0), (0.0, 0.0, 7.5), M0, g, edge, W0, LAT.drag_matrix(n_quad=12),
              1e-3, 20000, (0, 0, 1))
    return [
        ("lattice 32³ written-out", lambda: _old_lattice(*line8, line=(0, 0, 1), energy=False),
         lambda: _new_lattice(*line8, line=(0, 0, 1), energy=False), 0.0),
        ("lattice 32³ bond loop",
         lambda: _old_lattice(*line8, line=(0, 0, 1), energy=False, cubic_kernel=False),
         lambda: _new_lattice(*line8, line=(0, 0, 1), energy=False, cubic_kernel=False), 0.0),
        ("lattice 20³ thermal cell", lambda: _old_lattice(*cell, **cell_kw),
         lambda: _new_lattice(*cell, **cell_kw), 0.0),
        ("response 3000 steps", lambda: _old_response(*conv, **conv_kw),
         lambda: _new_response(*conv, **conv_kw), 1e-12),
        ("modal chain 20000 steps", lambda: _old_modal(*modal, line=(0, 0, 1)),
         lambda: _new_modal(*modal, line=(0, 0, 1)), 1e-12),
        ("time-local RK5 20000 steps", lambda: _old_integrate(*tlargs),
         lambda: _new_integrate(*tlargs), 0.0),
    ]


def compare(rounds=3, cases=None):
    """Time old and new kernels alternately (best of `rounds`), check their results agree;
    returns {case: (old s, new s, speed ratio old/new, max relative difference)}. `cases`:
    (name, old, new, tolerance) tuples, default :func:`_cases`."""
    out = {}
    for name, old, new, tol in (_cases() if cases is None else cases):
        a, b = old(), new()                       # compile both, compare
        diff = max(float(np.max(np.abs(x - y))) / max(float(np.max(np.abs(x))), 1e-300)
                   for x, y in zip(a, b))
        assert diff <= tol, (name, diff)
        t_old, t_new = np.inf, np.inf
        for _ in range(rounds):
            t0 = time.perf_counter()
            old()
            t_old = min(t_old, time.perf_counter() - t0)
            t0 = time.perf_counter()
            new()
            t_new = min(t_new, time.perf_counter() - t0)
        out[name] = (t_old, t_new, t_old / t_new, diff)
    return out


def _report(benchmark, res, old="old", new="new"):
    """Store and print {case: (old s, new s, ratio, max rel. diff)} of :func:`compare`."""
    for name, (t_old, t_new, ratio, diff) in res.items():
        benchmark.extra_info[name] = {f"{old}_s": t_old, f"{new}_s": t_new,
                                      f"{old}_over_{new}": ratio, "max_rel_diff": diff}
        print(f"{name:28s} {old} {t_old:8.4f} s  {new} {t_new:8.4f} s  {old}/{new} {ratio:5.2f}  "
              f"max rel. diff {diff:.1e}")


def test_bench_old_vs_new_kernels(benchmark):
    """The refactored engines against the former kernels, in one run: identical results
    (bitwise for the whole lattice and RK5, round-off for the response and modal engines, whose
    half kick now shares the whole-lattice engine's operation order) and the speed ratio."""
    _report(benchmark, benchmark.pedantic(compare, kwargs={"rounds": 3}, rounds=1, iterations=1))


def _symmetry_cases():
    """(name, call with symmetry=False, call with symmetry=True, relative tolerance): the
    eight-corner kernel on 24³ (2000 steps) and a slow eight-mass pass of rodin2024 Fig. 5
    (λ = 4, 16³, σ̇ = 15: about 3900 steps; both through one precomputed kernel)."""
    from ionmotion.papers import rodin2024 as r24
    corners = [(i, j, k) for k in (0, 1) for j in (0, 1) for i in (0, 1)]
    kern = (LAT, 24, corners, 1e-3, 2000)
    lam, n, speed = 4.0, 16, 15.0
    sites, z_first, stop, xy = r24._cubic_geometry("eight", lam, n, LAT.a)
    steps = int(np.ceil(1.5 * (stop - z_first + 7 * lam) / (speed * 1e-3))) + 10
    K = full.verlet_response_kernel(LAT, n, sites, 1e-3, steps)
    pas = (LAT, n, Gaussian(r24.FIG5_PHI0, lam), sites, M0, (*xy(0.0), z_first - 7 * lam), speed,
           stop, 1e-3)

    def run_pass(sym):
        o = full.pass_loss(*pas, kernel=K, symmetry=sym)
        assert o["finished"]
        return np.array([o["loss"], o["final_speed"]]), np.array([o["steps"]])

    return [
        ("kernel 8 corners 24³ 2000", lambda: full.verlet_response_kernel(*kern, symmetry=False),
         lambda: full.verlet_response_kernel(*kern, symmetry=True), 1e-12),
        ("pass 8 masses λ=4 16³", lambda: run_pass(False), lambda: run_pass(True), 1e-9),
    ]


def compare_symmetry(rounds=2):
    """As :func:`compare` with old = symmetry=False, new = symmetry=True."""
    return compare(rounds, _symmetry_cases())


def test_bench_symmetry_on_vs_off(benchmark):
    """O_h wedge kernel and C4v orbit pass against the unreduced routes: same results (round-off),
    speed-up ratio off/on."""
    _report(benchmark, benchmark.pedantic(compare_symmetry, kwargs={"rounds": 2}, rounds=1,
                                          iterations=1), "off", "on")


if __name__ == "__main__":
    for name, (t_old, t_new, ratio, diff) in compare().items():
        print(f"{name:28s} old {t_old:8.4f} s  new {t_new:8.4f} s  old/new {ratio:5.2f}  "
              f"max rel. diff {diff:.1e}")
    for name, (t_old, t_new, ratio, diff) in compare_symmetry().items():
        print(f"{name:28s} off {t_old:8.4f} s  on {t_new:8.4f} s  off/on {ratio:5.2f}  "
              f"max rel. diff {diff:.1e}")
