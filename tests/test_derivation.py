"""Tests of ionmotion.derivation: each rodin2022 identity holds, and each check can fail
(negative controls: a deliberately wrong variant gives a nonzero residual)."""
import numpy as np
import pytest
import sympy as sp

from ionmotion import derivation as d


def test_green_function_and_forced_solution():
    res, g0, dg0 = d.oscillator_green_residual()
    assert res == 0 and g0 == 0 and dg0 == 1
    assert d.is_zero(d.forced_response_residual())


def test_normal_modes_of_triatomic_chain():
    out = d.normal_mode_residuals()
    for name, r in out.items():
        assert d.is_zero(r), name


def test_relaxation_energy_is_half_g_Vinv_g():
    sym, num = d.relaxation_energy_residual()
    assert sym == 0 and num == 0


@pytest.mark.parametrize("sp_, s, k", [(1.2 - 0.5j, 0.7 + 0.9j, -0.8 + 0.3j),
                                       (0.3, -1.1j, -2.0), (1.0, 1.0, -0.05j)])
def test_coherent_state_identities(sp_, s, k):
    r = d.coherent_identities(sp_, s, k, n_max=60)
    assert r["overlap error"] < 1e-12 and r["number-exp error"] < 1e-12
    assert r["eigen residual"] < 1e-12


def test_coherent_truncation_is_visible_when_too_small():
    r = d.coherent_identities(2.0, 2.0, 0.0, n_max=8)
    assert r["overlap error"] > 1e-3  # the check detects truncation
    assert r["overlap error"] <= r["overlap bound"]


def test_resolution_of_identity():
    assert d.resolution_of_identity(2) == sp.eye(3)


def test_a2_exponent_printed_form_is_first_order_wrong():
    D, W, hbar = sp.symbols("Delta Omega hbar", positive=True)
    corr = d.a2_exponent(False)
    printed = d.a2_exponent(True)
    assert corr.coeff(D, 1) == 0 and corr.coeff(D, 2) != 0
    assert sp.simplify(printed.coeff(D, 1)) != 0
    assert sp.simplify(printed.coeff(D, 1).subs(hbar, 1)) == 0


def test_free_propagator():
    g, r = d.free_propagator_residual()
    assert g == 0 and r == 0


@pytest.mark.parametrize("N", [2, 3, 4])
def test_appendix_c_inverse(N):
    for name, r in d.appendix_c_residuals(N).items():
        assert d.is_zero(r), (N, name)


def test_b4_with_wrong_bose_factor_fails():
    z, w = sp.symbols("z w")
    N = 3
    Y = d.mode_matrix(N, z, w)
    G = d.b4_inverse(N, z, w).subs(w, w)  # correct
    assert d.is_zero((Y * G - sp.eye(2 * N)).applyfunc(sp.cancel))
    Gbad = d.b4_inverse(N, z, w)
    Gbad[0, 0] += 1  # e.g. Θ(0) = 1 counted twice
    assert not d.is_zero((Y * Gbad - sp.eye(2 * N)).applyfunc(sp.cancel))


def test_c16_printed_line_is_wrong_but_line3_right():
    ok, bad = d.c16_printed_line4(4, 3, 2)
    assert ok == 0 and bad != 0


def test_bose_coth_and_b8_typo():
    good, bad = d.bose_coth_residual()
    assert good == 0 and bad != 0


def test_b6_relabelling_and_eq14():
    assert all(r == 0 for r in d.b6_relabel_residual(3))
    assert d.eq14_coupling_residual() == 0


def test_keldysh_rotation_forms():
    r_rot, r_printed, r_last, dropped = d.keldysh_form_residual(3)
    assert r_rot == 0 and r_printed == 0 and r_last == 0
    assert dropped != 0
    r1, r2 = d.b8_sine_residual(3)
    assert r1 == 0 and r2 == 0


def test_hubbard_stratonovich():
    assert d.hs_normalisation() == 1
    assert d.hs_shift_residual() == 0
    assert d.hs_shift_invariance(0.3 + 0.4j, -0.2 + 0.5j) < 1e-10
    xx, x2, xs2, c = d.hs_moments()
    assert sp.simplify(xx - c / 2) == 0 and x2 == 0 and xs2 == 0


def test_d1_factor():
    good, printed = d.d1_residual()
    assert good == 0 and printed != 0


def test_keldysh_expansion_orders():
    r = d.keldysh_expansion_residuals()
    assert r["kinetic"][1] is None
    assert r["U+ - U-"][1] == 3 and r["Y+ - Y-"][1] == 3 and r["Y+ + Y-"][1] == 2


def test_summation_by_parts_and_semiclassical_eom():
    assert d.summation_by_parts_31(6) == 0
    assert all(r == 0 for r in d.semiclassical_eom_residual(5))
    assert all(r != 0 for r in d.semiclassical_eom_residual(4, recoil_sign=-1))


def test_e1_lines():
    r = d.e1_residuals(3)
    for k in ("line2", "line3", "line4", "line5 corrected"):
        assert r[k] == 0, k
    assert r["line5"] != 0


def test_e1_continuum_limit_converges():
    Y = lambda t: np.exp(-0.5 * (t - 1.0)**2) + 0.3 * t  # noqa: E731
    errs = []
    for D in (1e-2, 5e-3, 2.5e-3):
        lhs, rhs = d.recoil_sum(2.0, Y, 3.0, D)
        errs.append(abs(lhs - rhs))
    assert errs[2] < errs[1] < errs[0]
    assert errs[0] / errs[2] > 3  # first order in Δ
    assert d.continuum_parts_residual() == 0


def test_fdt_kernels_high_and_low_temperature():
    rng = np.random.default_rng(1)
    Om = np.linspace(0.5, 3.0, 12)
    g = rng.normal(size=(12, 3))
    t = np.linspace(0, 5, 7)
    K, C = d.fdt_kernels(Om, g, beta=1e-4, t=t)
    assert np.allclose(1e-4 * C, K, rtol=1e-6, atol=1e-9 * np.abs(K).max())
    K, C = d.fdt_kernels(Om, g, beta=10.0, t=t)
    assert not np.allclose(10.0 * C, K, rtol=0.1)
    with pytest.raises(ValueError, match="Omega"):
        d.fdt_kernels([0.0, 1.0], g[:2], 1.0, t)
    ser, x = d.fdt_ratio_series(6)
    assert sp.simplify(ser - (1 + x**2 / 3 - x**4 / 45)) == 0


def test_poisson_weight_and_endpoint():
    assert all(v == 2 * sp.pi for v in d.dirichlet_weight(3))
    assert d.fdt_endpoint_residual() == (-1, 1)


def test_drag_pieces():
    r1, r2 = d.uniform_shift_residual()
    assert d.is_zero(r1) and d.is_zero(r2)
    assert d.is_zero(d.drag_from_modes_residual())
    RR, TT = d.solid_angle_tensors()
    assert RR == sp.eye(3) * 4 * sp.pi / 3 and TT == sp.eye(3) * 8 * sp.pi / 3
    v = sp.Symbol("v", positive=True)
    assert d.half_delta_weight(3) == 1 / (2 * v**3)
    val, printed = d.eq43_bracket()
    assert sp.simplify(val - printed) == 0
    assert d.rodin2025_L_isotropic() == 0


def test_isotropic_cubic_lattice_reconciles_with_drag_matrix():
    from ionmotion.lattice import CubicLattice, isotropic_drag

    lat = CubicLattice(3.5, 3.0, 300.0, 300.0)
    vL, vT = d.isotropic_cubic_velocities(3.5, 3.0, 300.0)
    for direction in [(1, 0, 0), (1, 1, 1), (0.3, -0.2, 0.9)]:
        v = lat.sound_velocities(direction)
        assert np.allclose(v, [vT, vT, vL], rtol=1e-10)
    L = lat.drag_matrix()
    assert np.allclose(L, isotropic_drag(lat.density, vL, vT), rtol=1e-10, atol=1e-12 * L[0, 0])
    # anisotropic (paper) lattice: Eq. (43) with [100] speeds is not the drag matrix
    lat2 = CubicLattice(3.5, 3.0, 520.0, 170.0)
    v = lat2.sound_velocities((1, 0, 0))
    assert not np.allclose(lat2.drag_matrix(), isotropic_drag(lat2.density, v[2], v[0]),
                           rtol=0.05)


def test_fdt_mismatch_of_modes_along_one_axis_is_the_weighted_x_coth_x_excess():
    """With every ∇Y_s along x the kernels are multiples of x̂x̂, and the mismatch is exactly
    Σ_s (g_s²/Ω_s)(y_s coth y_s − 1) / Σ_s g_s²/Ω_s, y_s = βħΩ_s/2 (→ 0 classically)."""
    import numpy as np
    import pytest
    from ionmotion import derivation as dv
    Om = np.array([0.5, 1.0, 2.0, 3.5])
    g = np.array([1.0, 0.3, 2.0, 0.7])
    grads = np.zeros((4, 3))
    grads[:, 0] = g
    w = g**2 / Om
    for T in (0.05, 1.0, 40.0):
        y = Om / (2 * T)
        expected = np.sum(w * (y / np.tanh(y) - 1)) / w.sum()
        assert dv.fdt_mismatch(Om, grads, T) == pytest.approx(expected, rel=1e-10)
    assert dv.fdt_mismatch(Om, grads, 1e4) < 1e-6
    with pytest.raises(ValueError, match="T"):
        dv.fdt_mismatch(Om, grads, 0.0)
