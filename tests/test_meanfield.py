"""Physics tests for ionmotion.meanfield (hu2026 Sec. IV, Eqs. (49)-(55)).

References are independent: scipy's brentq on the self-consistency equations written out here,
scipy's minimize_scalar for the existence of roots, and limits known in closed form.
"""
import math

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

from ionmotion import meanfield as mf

KB = 8.617333262e-5
FIG4 = dict(Lambda0=0.25, n0=1.0, K0=0.5)


def gamma_ref(T, n0, K0):
    """γ ≥ 0 of Eq. (50) by brentq, written independently of the module."""
    t = n0 * K0 / (2 * KB * T)
    if t <= 1:
        return 0.0
    return brentq(lambda g: g - math.tanh(t * g), 1e-300 if t > 1 else 0.0, 1.0, xtol=1e-15)


def rhs(x, T, Lambda0, n0, K0, M0, equation, g):
    b = 1 / (KB * T)
    if equation == "55":
        return math.exp(-(Lambda0 + n0 * K0 / 2 - x * n0 * M0 * (1 - g * g) / 4) * b) \
            * math.cosh(n0 * K0 * g * b / 2)
    return math.exp(-(Lambda0 - x * n0 * M0 * (1 - g * g) / 4) * b)


def p0_ref(T, Lambda0, n0, K0, M0, equation="55"):
    """Smallest root of x = rhs(x) by brentq (nan if none), independent of the module."""
    g = gamma_ref(T, n0, K0)
    h = lambda x: rhs(x, T, Lambda0, n0, K0, M0, equation, g) - x
    # h(0) > 0; h is convex in x, so its minimum decides whether a root exists
    res = minimize_scalar(h, bounds=(0.0, 50.0), method="bounded", options={"xatol": 1e-12})
    if res.fun > 0:
        return math.nan
    return brentq(h, 0.0, res.x, xtol=1e-15, rtol=1e-14)


def test_type2_temperature_is_where_polarization_vanishes():
    for n0, K0 in [(1.0, 0.5), (0.5, 0.2), (1.7, 0.05)]:
        Tp = mf.type2_temperature(n0, K0)
        assert mf.polarization(Tp * (1 - 1e-6), n0, K0) > 0
        assert mf.polarization(Tp * (1 + 1e-9), n0, K0) == 0
        assert mf.polarization(3 * Tp, n0, K0) == 0
        # independent: γ = tanh(γ x) has a nonzero root iff x > 1, x = n0 K0 / (2 k_B T)
        assert gamma_ref(Tp * 0.999, n0, K0) > 0 and gamma_ref(Tp * 1.001, n0, K0) == 0


def test_polarization_matches_brentq_and_critical_exponent():
    T = np.linspace(50, 2900, 60)
    g = mf.polarization(T, 1.0, 0.5)
    ref = np.array([gamma_ref(t, 1.0, 0.5) for t in T])
    assert np.allclose(g, ref, atol=1e-12)
    assert np.all(np.diff(g) <= 0)                       # depolarizes with temperature
    Tp = mf.type2_temperature(1.0, 0.5)
    for eps in (1e-3, 1e-4):                            # mean-field exponent 1/2
        assert np.isclose(mf.polarization(Tp * (1 - eps), 1.0, 0.5), math.sqrt(3 * eps),
                          rtol=2 * eps + 1e-6)
    # both signs solve Eq. (50)
    gg = mf.polarization(1000.0, 1.0, 0.5)
    x = 0.5 / (2 * KB * 1000.0)
    assert abs(gg - math.tanh(gg * x)) < 1e-14 and abs(-gg - math.tanh(-gg * x)) < 1e-14


@pytest.mark.parametrize("equation", ["55", "54"])
@pytest.mark.parametrize("M0", [0.0, 0.25, 2.0, 3.0])
def test_hopping_probability_matches_independent_root_finding(equation, M0):
    Tp = mf.type2_temperature(1.0, 0.5)
    T = np.linspace(0.1, 3.0, 30) * Tp
    P = mf.hopping_probability(T, M0=M0, equation=equation, **FIG4)
    T_I = mf.type1_temperature(M0=M0, equation=equation, **FIG4)
    for t, p in zip(T, P):
        ref = p0_ref(t, M0=M0, equation=equation, **FIG4)
        if math.isfinite(T_I) and t >= T_I:
            assert math.isnan(p)        # branch gone (roots may exist again, disconnected)
        else:
            # at an exact double root (Fig. 4 parameters, T = 2 T_p) roots are only √eps-accurate
            tol = 1e-7 if abs(t / Tp - 2) < 1e-9 else 1e-9
            assert np.isclose(p, ref, rtol=tol, atol=1e-14), (t / Tp, p, ref)


def test_M0_zero_reduces_to_eq49_and_arrhenius():
    T = np.array([300.0, 1000.0, 2500.0, 4000.0])
    P = mf.hopping_probability(T, 0.25, 1.0, 0.5, 0.0)
    g = np.array([gamma_ref(t, 1.0, 0.5) for t in T])
    b = 1 / (KB * T)
    assert np.allclose(P, np.exp(-(0.25 + 0.25) * b) * np.cosh(0.25 * g * b), rtol=1e-12)
    # no interactions at all: P0 = exp(-Λ0/kT) (Eq. (3)), Arrhenius σT (Eq. (39))
    P = mf.hopping_probability(T, 0.25, 1.0, 0.0, 0.0)
    assert np.allclose(P, np.exp(-0.25 * b), rtol=1e-12)
    s = mf.conductivity(T, 0.25, 1.0, 0.0, 0.0)
    slope = np.polyfit(b, np.log(s * T), 1)[0]
    assert np.isclose(slope, -0.25, rtol=1e-10)


def test_type1_temperature_brackets_loss_of_root():
    for M0, eq in [(3.0, "55"), (5.0, "55"), (2.0, "54"), (1.2, "54")]:
        T_I = mf.type1_temperature(M0=M0, equation=eq, **FIG4)
        assert math.isfinite(T_I)
        assert math.isfinite(p0_ref(T_I * (1 - 1e-7), M0=M0, equation=eq, **FIG4))
        assert math.isnan(p0_ref(T_I * (1 + 1e-7), M0=M0, equation=eq, **FIG4))
        # and a root exists at every lower temperature on a grid
        for t in np.linspace(0.05, 0.999, 25) * T_I:
            assert math.isfinite(p0_ref(t, M0=M0, equation=eq, **FIG4))
        # P0 rises steeply (fold: dP0/dT diverges) as T → T_I from below
        p1 = mf.hopping_probability(T_I * (1 - 1e-4), M0=M0, equation=eq, **FIG4)
        p2 = mf.hopping_probability(T_I * (1 - 1e-6), M0=M0, equation=eq, **FIG4)
        p3 = mf.hopping_probability(T_I * (1 - 1e-2), M0=M0, equation=eq, **FIG4)
        assert (p2 - p1) / (1e-4 - 1e-6) > 5 * (p1 - p3) / (1e-2 - 1e-4)


def test_type1_temperature_closed_form_and_existence_criterion():
    # fold above T_p: Lambert-W closed form with γ = 0
    for Lambda0, n0, K0, M0 in [(0.25, 1.0, 0.5, 2.5), (0.2, 0.8, 0.3, 1.8), (0.3, 1.5, 0.1, 2.0)]:
        T_I = mf.type1_temperature(Lambda0, n0, K0, M0)
        assert T_I > mf.type2_temperature(n0, K0)
        E = Lambda0 + n0 * K0 / 2
        # independent: solve e (n0 M0/4) β exp(−E β) = 1 on the low-T side of its maximum
        F = lambda b: math.log(math.e * n0 * M0 / 4 * b) - E * b
        beta = brentq(F, 1 / E, 200 / E, xtol=1e-14)
        assert np.isclose(T_I, 1 / (KB * beta), rtol=1e-10)
        assert np.isclose(T_I, mf.type1_temperature_gamma0(Lambda0, n0, K0, M0), rtol=1e-10)
    # criterion n0 M0 > 4Λ0 + 2 n0 K0 against the raw scan (which does not use the criterion)
    rng = np.random.default_rng(7)
    for _ in range(12):
        L0, n0, K0 = rng.uniform(0.05, 0.4), rng.uniform(0.2, 2.0), rng.uniform(0.0, 0.8)
        crit = 4 * L0 + 2 * n0 * K0
        M0 = crit / n0 * rng.choice([0.9, 1.05, 1.5])
        scan = mf._scan_fold(L0, n0, K0, M0, "55", 1e6)
        assert math.isfinite(scan) == mf.type1_exists(L0, n0, K0, M0)


def test_coexistence_window_edges():
    for Lambda0, n0, K0 in [(0.25, 1.0, 0.5), (0.1, 0.7, 0.3), (0.2, 1.5, 0.2)]:
        m_min, m_max = mf.coexistence_window(Lambda0, n0, K0)
        Tp = mf.type2_temperature(n0, K0)
        assert np.isclose(n0 * m_min, 4 * Lambda0 + 2 * n0 * K0)
        if m_max > m_min:
            # at M0_max the fold sits exactly at T_p; just inside the window it is above T_p
            assert np.isclose(mf.type1_temperature(Lambda0, n0, K0, m_max), Tp, rtol=1e-7)
            mid = 0.5 * (m_min + m_max)
            assert mf.type1_temperature(Lambda0, n0, K0, mid) > Tp
            assert mf.type1_temperature(Lambda0, n0, K0, 1.2 * m_max) < Tp
    # Fig. 4 parameters: M0_min = 2 eV (the stated M0 sits on the edge), M0_max = e eV
    assert np.allclose(mf.coexistence_window(0.25, 1.0, 0.5), (2.0, math.e), rtol=1e-14)


def test_fig4_parameters_eq55_is_marginal_and_eq54_has_a_fold():
    Tp = mf.type2_temperature(1.0, 0.5)
    # Eq. (55): n0 M0 = 4Λ0 + 2 n0 K0 exactly → P0 = 1 solves Eq. (55) for every T > T_p,
    # the physical branch reaches it at T = 2 T_p and never disappears
    assert math.isnan(mf.type1_temperature(M0=2.0, **FIG4))
    for t in (1.2, 1.9, 2.5):
        assert abs(rhs(1.0, t * Tp, M0=2.0, equation="55", g=0.0, **FIG4) - 1) < 1e-14
    assert np.isclose(mf.hopping_probability(2 * Tp, M0=2.0, **FIG4), 1.0, atol=1e-6)
    assert mf.hopping_probability(1.9 * Tp, M0=2.0, **FIG4) < 0.99
    # slightly stronger coupling: a genuine fold near 2 T_p
    assert 1.5 < mf.type1_temperature(M0=2.01, **FIG4) / Tp < 2.0
    # Eq. (54) with the same parameters: fold below T_p (γ from Eq. (50)) ...
    T54 = mf.type1_temperature(M0=2.0, equation="54", **FIG4)
    assert 0.5 < T54 / Tp < 1.0
    # ... and with γ = 0 (K0 = 0) the closed form −Λ0 / W_{−1}(−4Λ0/(e n0 M0))
    T54g0 = mf.type1_temperature(0.25, 1.0, 0.0, 2.0, equation="54")
    assert np.isclose(T54g0, mf.type1_temperature_gamma0(0.25, 1.0, 0.0, 2.0, "54"), rtol=1e-10)
    # weak coupling of Fig. 4(b)(c): no type-I transition at all
    assert math.isnan(mf.type1_temperature(M0=0.25, **FIG4))
    assert math.isnan(mf.type1_temperature(M0=0.25, equation="54", **FIG4))


def test_conductivity_continuous_at_Tp_with_kink():
    Tp = mf.type2_temperature(1.0, 0.5)
    eps = 1e-4
    T = Tp * np.array([1 - 2 * eps, 1 - eps, 1.0, 1 + eps, 1 + 2 * eps])
    s = mf.conductivity(T, M0=0.25, **FIG4)
    assert np.all(np.diff(s) > 0)
    left = (s[2] - s[0]) / (2 * eps)
    right = (s[4] - s[2]) / (2 * eps)
    assert abs(s[3] - s[1]) / s[2] < 1e-2          # continuous
    assert left / right > 1.5                       # slope jumps (second-order transition)
    hon = mf.conductivity(T, M0=0.25, lattice="honeycomb", **FIG4)
    assert np.allclose(hon / s, 4 / 6, rtol=1e-13)  # Eq. (63) vs Eq. (38)


def test_barrier_shift_signs():
    d = mf.barrier_shifts(1500.0, 1.0, 0.5, 2.0, 0.1)
    assert d["coulomb_ba"] > d["coulomb_ab"] > 0 and d["concerted"] < 0


@pytest.mark.parametrize("call, name", [
    (lambda: mf.polarization(0.0, 1.0, 0.5), "T"),
    (lambda: mf.polarization(np.array([100.0, -1.0]), 1.0, 0.5), "T"),
    (lambda: mf.polarization(100.0, 0.0, 0.5), "n0"),
    (lambda: mf.polarization(100.0, 2.5, 0.5), "n0"),
    (lambda: mf.type2_temperature(1.0, -0.1), "K0"),
    (lambda: mf.hopping_probability(100.0, 0.0, 1.0, 0.5, 1.0), "Lambda0"),
    (lambda: mf.hopping_probability(100.0, -0.2, 1.0, 0.5, 1.0), "Lambda0"),
    (lambda: mf.hopping_probability(100.0, 0.2, 1.0, 0.5, -1.0), "M0"),
    (lambda: mf.hopping_probability(100.0, 0.2, 1.0, 0.5, 1.0, equation="56"), "equation"),
    (lambda: mf.type1_temperature(0.2, 3.0, 0.5, 1.0), "n0"),
    (lambda: mf.conductivity(-5.0, 0.2, 1.0, 0.5, 1.0), "T"),
    (lambda: mf.conductivity(100.0, 0.2, 1.0, 0.5, 1.0, lattice="square"), "lattice"),
])
def test_bad_input_raises_naming_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_self_consistency_coefficients_reproduce_the_solution():
    T = np.array([800.0, 2000.0, 3500.0])
    for eq in ("54", "55"):
        A, B, g = mf.self_consistency_coefficients(T, M0=0.25, equation=eq, **FIG4)
        P = mf.hopping_probability(T, M0=0.25, equation=eq, **FIG4)
        assert np.allclose(A * np.exp(B * P), P, rtol=1e-12)
        assert np.allclose(g, [gamma_ref(t, 1.0, 0.5) for t in T], atol=1e-12)


def test_apparent_activation_energy_of_the_depolarized_phase_without_concerted_hopping():
    """Above T_p (γ = 0) and with M0 = 0, σT ∝ exp(−(Λ0 + n0K0/2)/k_BT) exactly."""
    Tp = mf.type2_temperature(FIG4["n0"], FIG4["K0"])
    E = mf.apparent_activation_energy(np.array([1.2, 1.8]) * Tp, M0=0.0, **FIG4)
    np.testing.assert_allclose(E, FIG4["Lambda0"] + FIG4["n0"] * FIG4["K0"] / 2, rtol=1e-6)
    low = float(mf.apparent_activation_energy(0.1 * Tp, M0=0.0, **FIG4))
    assert low == pytest.approx(FIG4["Lambda0"] + FIG4["n0"] * FIG4["K0"], rel=2e-2)
    with pytest.raises(ValueError, match="h"):
        mf.apparent_activation_energy(Tp, M0=0.0, h=1.5, **FIG4)
    assert mf.arrhenius_energy(np.array([300.0, 400.0, 500.0]),
                               np.exp(-0.3 / (KB * np.array([300.0, 400.0, 500.0]))) / 
                               np.array([300.0, 400.0, 500.0])) == pytest.approx(0.3, rel=1e-9)


def test_type2_kink_sits_at_Tp_and_fold_scan_agrees_with_the_closed_criterion():
    kink = mf.kink_temperature(M0=0.0, **FIG4)
    assert abs(kink - 1.0) < 2 * 1.0 / 4000
    m_min, _ = mf.coexistence_window(**FIG4)
    n0, L0, K0 = FIG4["n0"], FIG4["Lambda0"], FIG4["K0"]
    for m in (m_min * (1 - 1e-3), m_min * (1 + 1e-3)):
        assert (mf.fold_maximum(M0=m, n=20001, **FIG4)[0] > 1) == (n0 * m > 4 * L0 + 2 * n0 * K0)


def test_type1_temperature_is_homogeneous_of_degree_one_in_the_energies():
    """T_I(sΛ0, sK0, sM0) = s T_I: the three energy sensitivities add up to 1."""
    p = dict(FIG4, M0=2.5)
    assert mf.type1_exists(**p)
    total = sum(mf.type1_sensitivity(name, **p) for name in ("Lambda0", "K0", "M0"))
    assert total == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="name"):
        mf.type1_sensitivity("T", **p)


def test_hopping_probability_slope_of_a_pure_arrhenius_probability():
    Tp = mf.type2_temperature(FIG4["n0"], FIG4["K0"])
    T = 1.5 * Tp
    E = FIG4["Lambda0"] + FIG4["n0"] * FIG4["K0"] / 2
    P = float(mf.hopping_probability(T, M0=0.0, **FIG4))
    got = mf.hopping_probability_slope(T, M0=0.0, h=1e-7, **FIG4)
    assert got == pytest.approx(P * E / (KB * T**2), rel=1e-5)
