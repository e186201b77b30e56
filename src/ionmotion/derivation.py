"""Symbolic and exact checks of the rodin2022 path-integral derivation (Secs. II–IV, Apps. A–E).

Every public function returns the *residual* of an identity (a sympy expression that must
simplify to zero, or a float that must be small) together with what it compares, so the
chapter `derivation` and `tests/test_derivation.py` can assert the same facts. Nothing here
is fitted to the paper: each helper builds the object from its definition (the quadratic form
of Eq. (B2), the exponent of Eq. (29), the Fock-space operators of App. A) and compares it
with the printed result.

Conventions: θ = ΔΩ_s (phase per time slice), z = e^{iθ}, w = e^{-βħΩ_s},
n_B = w/(1 - w) (Bose factor). Time slices are numbered 1..N as in the paper.
"""
import functools
import math

import numpy as np
import sympy as sp

from ._validate import finite_array, integer_in, positive

# ------------------------------------------------------------------------------------------
# Sec. II C: classical framework, Eqs. (9)–(13)
# ------------------------------------------------------------------------------------------


def is_zero(expr):
    """True if a sympy expression (or every entry of a Matrix) simplifies to 0."""
    if isinstance(expr, sp.MatrixBase):
        return all(is_zero(e) for e in expr)
    return sp.simplify(sp.expand(expr)) == 0


def oscillator_green_residual():
    """(d²/dt² + Ω²) ζ_p(t) - f(t) for ζ_p(t) = ∫_0^t G(t - t') f(t') dt', G of Eq. (11).

    f is an undefined function, so a zero residual holds for every force history.
    Also returns the two matching conditions G(0⁺) = 0, ∂_t G(0⁺) = 1 (the unit kick).
    """
    t, tp = sp.symbols("t t_p", real=True)
    W = sp.Symbol("Omega", positive=True)
    f = sp.Function("f")
    G = sp.sin(W * (t - tp)) / W
    zeta = sp.Integral(G * f(tp), (tp, 0, t))
    res = sp.simplify((sp.diff(zeta, t, 2) + W**2 * zeta - f(t)).doit())
    tau = sp.Symbol("tau", positive=True)
    g = sp.sin(W * tau) / W
    return res, sp.limit(g, tau, 0), sp.limit(sp.diff(g, tau), tau, 0)


def triatomic_chain():
    """Free m–M–m chain with spring k (a linear triatomic molecule): (symbols, masses, V).

    The smallest framework with a zero mode (rigid translation), an antisymmetric stretch and
    a symmetric stretch; its eigenvalues are known in closed form.
    """
    m, M, k = sp.symbols("m M k", positive=True)
    V = sp.Matrix([[k, -k, 0], [-k, 2 * k, -k], [0, -k, k]])
    return (m, M, k), sp.diag(m, M, m), V


def mass_weighted(masses, V):
    """Ṽ = m^{-1/2} V m^{-1/2} of Eq. (9) for a diagonal mass matrix."""
    mh = sp.diag(*[1 / sp.sqrt(masses[i, i]) for i in range(masses.shape[0])])
    return (mh * V * mh).applyfunc(sp.simplify), mh


def triatomic_modes():
    """Normalised eigenvectors ε_s (columns) and Ω_s² of Ṽ for the triatomic chain.

    Returns (symbols, masses, V, Vt, eps, Omega2). The vectors are written down from symmetry
    (translation, antisymmetric, symmetric stretch); `normal_mode_residuals` checks them.
    """
    (m, M, k), masses, V = triatomic_chain()
    Vt, _ = mass_weighted(masses, V)
    Mt = 2 * m + M
    e0 = sp.Matrix([sp.sqrt(m), sp.sqrt(M), sp.sqrt(m)]) / sp.sqrt(Mt)
    e1 = sp.Matrix([1, 0, -1]) / sp.sqrt(2)
    e2 = sp.Matrix([sp.sqrt(M), -2 * sp.sqrt(m), sp.sqrt(M)]) / sp.sqrt(2 * Mt)
    eps = sp.Matrix.hstack(e0, e1, e2)
    Omega2 = [sp.Integer(0), k / m, k / m + 2 * k / M]
    return (m, M, k), masses, V, Vt, eps, Omega2


def normal_mode_residuals():
    """Residuals of Eq. (9) on the triatomic chain: Ṽ symmetric, Ṽε_s = Ω_s²ε_s,
    εᵀε = 1, and the translation mode gives m^{-1/2}ε_0 = (1,1,1)/√(total mass) (Eq. (39))."""
    (m, M, k), masses, V, Vt, eps, Om2 = triatomic_modes()
    _, mh = mass_weighted(masses, V)
    out = {
        "symmetric": Vt - Vt.T,
        "eigen": sp.Matrix.hstack(*[Vt * eps[:, j] - Om2[j] * eps[:, j] for j in range(3)]),
        "orthonormal": eps.T * eps - sp.eye(3),
        "uniform zero mode": mh * eps[:, 0] - sp.Matrix([1, 1, 1]) / sp.sqrt(2 * m + M),
        "eigenvalues (sympy)": sp.Matrix(sorted(Vt.eigenvals().keys(), key=sp.default_sort_key))
        - sp.Matrix(sorted(Om2, key=sp.default_sort_key)),
    }
    return {k_: v.applyfunc(sp.simplify) for k_, v in out.items()}


def forced_response_residual():
    """m ü + V u + F(t) for u(t) of Eq. (13) (δ^H = 0) on the triatomic chain.

    F = (F1, F2, F3)(t) are undefined functions standing for ∇_u(U + E_i^S). Eq. (13) is a sum
    of convolutions J_ji(t) = ∫_0^t G_j(t - t') F_i(t') dt'; by `oscillator_green_residual`
    (the Leibniz rule with G_j(0) = 0, ∂_tG_j(0) = 1) they obey J̈_ji = F_i(t) - Ω_j² J_ji,
    including the zero mode, whose Ω → 0 Green's function G = t - t' gives J̈ = F_i. With that
    rule the residual is pure linear algebra in the J_ji and F_i(t), and must vanish
    identically: the mode sum reassembles m⁻¹ and V exactly.
    """
    (m, M, k), masses, V, Vt, eps, Om2 = triatomic_modes()
    _, mh = mass_weighted(masses, V)
    t = sp.Symbol("t", real=True)
    F = sp.Matrix([sp.Function(f"F{i + 1}")(t) for i in range(3)])
    J = [[sp.Symbol(f"J_{j}{i}") for i in range(3)] for j in range(3)]
    u = sp.zeros(3, 1)
    udd = sp.zeros(3, 1)
    for j in range(3):
        proj_row = (mh * eps[:, j]).T  # ε_jᵀ m^{-1/2}
        conv = sum(proj_row[i] * J[j][i] for i in range(3))
        conv_dd = sum(proj_row[i] * (F[i] - Om2[j] * J[j][i]) for i in range(3))
        u -= mh * eps[:, j] * conv
        udd -= mh * eps[:, j] * conv_dd
    res = masses * udd + V * u + F
    return res.applyfunc(lambda e: sp.simplify(sp.expand(e)))


def relaxation_energy_residual():
    """Σ_s Y_s²/(ħΩ_s) - ½ gᵀ V⁻¹ g for Y_s of Eq. (15) with g = ∇_{u⁰}U (first term of Eq. (35)).

    Uses a chain m1–m2 tied to walls (springs k1, k, k2; no zero mode) with symbolic couplings
    g = (g1, g2): the softening of Eq. (35) is the static relaxation energy of the framework.
    """
    m1, m2, k1, k2, k, g1, g2, hbar = sp.symbols("m1 m2 k1 k2 k g1 g2 hbar", positive=True)
    V = sp.Matrix([[k1 + k, -k], [-k, k + k2]])
    masses = sp.diag(m1, m2)
    Vt, mh = mass_weighted(masses, V)
    g = sp.Matrix([g1, g2])
    # Σ_s ε_s ε_sᵀ/Ω_s² = Ṽ⁻¹ (spectral theorem); Y_s² /(ħΩ_s) = (gᵀ m^{-1/2} ε_s)²/(2Ω_s²)
    lhs = (g.T * mh * Vt.inv() * mh * g)[0, 0] / 2
    rhs = (g.T * V.inv() * g)[0, 0] / 2
    # explicit eigen-decomposition for a numeric instance, to make the Σ_s concrete
    vals = {m1: 2, m2: 3, k1: 5, k2: 7, k: 11, g1: sp.Rational(3, 10), g2: -sp.Rational(1, 7),
            hbar: 1}
    Vn = Vt.subs(vals)
    s_sum = 0
    for lam, _mult, vecs in Vn.eigenvects():
        for v in vecs:
            v = v / sp.sqrt((v.T * v)[0, 0])
            Om = sp.sqrt(lam)
            Y = sp.sqrt(1 / (2 * Om)) * (g.T.subs(vals) * mh.subs(vals) * v)[0, 0]
            s_sum += Y**2 / Om
    return sp.simplify(lhs - rhs), sp.nsimplify(sp.simplify(s_sum - rhs.subs(vals)))


# ------------------------------------------------------------------------------------------
# App. A: coherent states on a truncated Fock space
# ------------------------------------------------------------------------------------------


def ladder_operators(n_max):
    """Annihilation a and number a†a on Fock states |0..n_max⟩ (dense numpy arrays)."""
    n_max = integer_in("n_max", n_max, 1)
    a = np.diag(np.sqrt(np.arange(1, n_max + 1, dtype=float)), k=1)
    return a, a.T @ a


def coherent_ket(s, n_max):
    """Unnormalised coherent state |s⟩ = Σ_n s^n/√n! |n⟩ = e^{s a†}|0⟩, truncated at n_max."""
    n_max = integer_in("n_max", n_max, 1)
    n = np.arange(n_max + 1)
    logfact = np.array([math.lgamma(k + 1) for k in n])
    s = complex(s)
    if s == 0:
        out = np.zeros(n_max + 1, complex)
        out[0] = 1
        return out
    return np.exp(n * np.log(s) - 0.5 * logfact)


def truncation_bound(x, n_max):
    """Bound on |e^x - Σ_{n≤n_max} x^n/n!|: |x|^{n+1} e^{|x|}/(n+1)! (Lagrange remainder)."""
    ax = abs(complex(x))
    return math.exp((n_max + 1) * math.log(ax) + ax - math.lgamma(n_max + 2)) if ax > 0 else 0.0


def coherent_identities(s_prime, s, k, n_max=80):
    """Check ⟨s'|s⟩ = e^{s̄'s} and ⟨s'|e^{k a†a}|s⟩ = e^{e^k s̄'s} on the truncated Fock space.

    e^{k a†a} is built as an operator (scipy.linalg.expm of k·a†a), not from the answer.
    Returns dict of absolute errors, the truncation bounds, and the eigen-equation residual
    ‖a|s⟩ - s|s⟩‖ on all but the last Fock component.
    """
    from scipy.linalg import expm

    a, num = ladder_operators(n_max)
    ket = coherent_ket(s, n_max)
    bra = coherent_ket(s_prime, n_max).conj()
    x = np.conj(s_prime) * s
    ov = bra @ ket
    op = expm(complex(k) * num)
    me = bra @ op @ ket
    y = np.exp(complex(k)) * x
    eig = a @ ket - s * ket
    return {
        "overlap error": abs(ov - np.exp(x)),
        "overlap bound": truncation_bound(x, n_max),
        "number-exp error": abs(me - np.exp(y)),
        "number-exp bound": truncation_bound(y, n_max),
        "eigen residual": float(np.linalg.norm(eig[:-1])),
    }


def resolution_of_identity(n_max=3):
    """∫ d²s/π e^{-|s|²} ⟨n|s⟩⟨s|m⟩ for n, m ≤ n_max (Eq. (24)), in polar coordinates.
    Returns the (n_max+1)² matrix, which must be the identity."""
    r, phi = sp.symbols("r phi", positive=True)
    n_max = integer_in("n_max", n_max, 0)
    out = sp.zeros(n_max + 1, n_max + 1)
    for n in range(n_max + 1):
        for m in range(n_max + 1):
            # ⟨n|s⟩ = s^n/√n!, ⟨s|m⟩ = s̄^m/√m!, s = r e^{iφ}
            integrand = r**(n + m) * sp.exp(sp.I * (n - m) * phi) * sp.exp(-r**2) * r / sp.pi
            val = sp.integrate(sp.integrate(integrand, (phi, 0, 2 * sp.pi)), (r, 0, sp.oo))
            out[n, m] = sp.simplify(val / sp.sqrt(sp.factorial(n) * sp.factorial(m)))
    return out


def a2_exponent(hbar_in_exponent=False):
    """Eq. (A2): exp[-iΔΩ s̄s] e^{s̄s} vs exp[e^{-iΔΩ} s̄s] (exponent coefficients of s̄s).

    Returns the Taylor series in Δ of (1 - iΔΩ) - e^{-iΔΩ/ħ^p} with p = 1 if
    `hbar_in_exponent` (as printed) else 0 (corrected). The corrected difference starts at
    O(Δ²) (absorbed by Δ → 0); the printed one has an O(Δ) term unless ħ = 1.
    """
    D, W, hbar = sp.symbols("Delta Omega hbar", positive=True)
    lhs = 1 - sp.I * D / hbar * hbar * W
    rhs = sp.exp(-sp.I * D * W / (hbar if hbar_in_exponent else 1))
    return sp.series(lhs - rhs, D, 0, 3).removeO()


def free_propagator_residual():
    """Eq. (A4): ∫dp/(2πħ) exp[-a p² + i p x/ħ] at a = iΔ/(2Mħ) vs √(M/2πiΔħ) e^{iMx²/2Δħ}.

    The Gaussian is done for Re a > 0 and continued to the imaginary axis (Fresnel limit).
    Returns (prefactor ratio - 1, exponent difference).
    """
    p, x = sp.symbols("p x", real=True)
    ar, ai = sp.symbols("a_r a_i", positive=True)
    D, M, hbar = sp.symbols("Delta M hbar", positive=True)
    gauss = lambda a: sp.sqrt(sp.pi / a) * sp.exp(-x**2 / (4 * a * hbar**2))  # noqa: E731
    # the Gaussian formula ∫ e^{-ap²+ipx/ħ} dp itself, for real a > 0
    al = sp.Symbol("alpha", positive=True)
    direct = sp.integrate(sp.exp(-al * p**2 + sp.I * p * x / hbar), (p, -sp.oo, sp.oo))
    g_ok = sp.simplify(direct - gauss(al))
    # analytic in a for Re a > 0; continue to a = iΔ/(2Mħ) (the Fresnel limit Re a → 0⁺)
    val = gauss(ar + sp.I * ai).subs({ar: 0, ai: D / (2 * M * hbar)}) / (2 * sp.pi * hbar)
    pref = sp.sqrt(M / (2 * sp.pi * sp.I * D * hbar))
    expo = sp.I * M * x**2 / (2 * D * hbar)
    ratio = sp.simplify(val / (pref * sp.exp(expo)))
    return g_ok, sp.simplify(ratio**2 - 1)


# ------------------------------------------------------------------------------------------
# Apps. B and C: the mode matrix and its inverse
# ------------------------------------------------------------------------------------------


def _mode_symbols():
    z, w = sp.symbols("z w")  # z = e^{iθ}, w = e^{-βħΩ}
    return z, w


def mode_form_exponent(N, z=None, w=None):
    """The s-dependent quadratic part of Eq. (B2) for one mode, N slices.

    Returns (exponent, sbar list, s list) with the paper's ordering
    (s̄_+^1 … s̄_+^N s̄_-^N … s̄_-^1) and the same for s.
    """
    N = integer_in("N", N, 2)
    if z is None:
        z, w = _mode_symbols()
    sp_ = sp.symbols(f"sp1:{N + 1}")
    sm_ = sp.symbols(f"sm1:{N + 1}")
    bp = sp.symbols(f"bp1:{N + 1}")  # s̄_+^j
    bm = sp.symbols(f"bm1:{N + 1}")  # s̄_-^j
    E = bp[0] * sm_[0] * w + bm[N - 1] * sp_[N - 1]
    E -= sum(bm[j] * sm_[j] + bp[j] * sp_[j] for j in range(N))
    E += sum(bp[j + 1] * sp_[j] / z for j in range(N - 1))  # e^{-iθ} s̄_+^{j+1} s_+^j
    E += sum(bm[j] * sm_[j + 1] * z for j in range(N - 1))  # e^{+iθ} s̄_-^j s_-^{j+1}
    sbar = list(bp) + list(reversed(bm))
    s = list(sp_) + list(reversed(sm_))
    return E, sbar, s


def mode_matrix(N, z=None, w=None):
    """Y of Eqs. (B3)/(C1): the exponent of Eq. (B2) is -s̄ Y s; Y_ij = -∂²E/∂s̄_i∂s_j."""
    E, sbar, s = mode_form_exponent(N, z, w)
    n = 2 * N
    return sp.Matrix(n, n, lambda i, j: -sp.diff(E, sbar[i], s[j]))


def paper_mode_matrix(N, z=None, w=None):
    """Y as described in the text of App. B / Eq. (C1): lower bidiagonal quadrants with
    -e^{∓iθ} on the subdiagonal, -e^{-βħΩ} top right of b, -1 top right of c."""
    if z is None:
        z, w = _mode_symbols()
    Y = sp.eye(2 * N)
    for j in range(1, N):
        Y[j, j - 1] = -1 / z
    for j in range(N + 1, 2 * N):
        Y[j, j - 1] = -z
    Y[0, 2 * N - 1] = -w
    Y[N, N - 1] = -1
    return Y


def b4_inverse(N, z=None, w=None):
    """G_s of Eq. (B4) (quadrant indices 1..N in the ordering of Eq. (B3)), Θ(0) = 1."""
    if z is None:
        z, w = _mode_symbols()
    nB = w / (1 - w)
    G = sp.zeros(2 * N, 2 * N)
    th = lambda d: 1 if d >= 0 else 0  # noqa: E731  discrete Heaviside, Θ(0) = 1
    for l in range(1, N + 1):
        for n in range(1, N + 1):
            G[l - 1, n - 1] = z**(-(l - n)) * (th(l - n) + nB)
            G[N + l - 1, N + n - 1] = z**(l - n) * (th(l - n) + nB)
            G[l - 1, N + n - 1] = z**(N + 1 - l - n) * nB
            G[N + l - 1, n - 1] = z**(-(N + 1 - l - n)) * (nB + 1)
    return G


def appendix_c_residuals(N):
    """All of App. C for one N, exactly (rational functions of z = e^{iθ}, w = e^{-βħΩ}).

    Returns a dict name -> residual Matrix/expression (all must vanish):
    Y from Eq. (B2) vs Eq. (C1); Y·G_(B4) - 1; G_(B4) vs Y⁻¹ by LU; det Y - (1 - w) (so
    |G_s| = 1/(1 - e^{-βħΩ}) = Tr ρ_s); a⁻¹ of Eq. (C3); Eqs. (C4)–(C6); X of Eq. (C7);
    D - CA⁻¹B = 1 - w (Eqs. (C9)–(C11)); X⁻¹ of Eq. (C13); quadrants (C14)–(C16).
    """
    N = integer_in("N", N, 2)
    z, w = _mode_symbols()
    nB = w / (1 - w)
    Y = mode_matrix(N, z, w)
    G = b4_inverse(N, z, w)
    th = lambda d: 1 if d >= 0 else 0  # noqa: E731
    r = {}
    r["Y (B2) vs (C1)"] = Y - paper_mode_matrix(N, z, w)
    r["Y G - 1"] = (Y * G - sp.eye(2 * N)).applyfunc(sp.cancel)
    r["G (B4) vs Y^-1"] = (Y.inv(method="LU") - G).applyfunc(sp.cancel)
    r["det Y - (1 - w)"] = sp.factor(Y.det() - (1 - w))
    a, b, c, d = Y[:N, :N], Y[:N, N:], Y[N:, :N], Y[N:, N:]
    ainv = a.inv(method="LU")
    r["a^-1 (C3)"] = (ainv - sp.Matrix(N, N, lambda j, k: th(j - k) * z**(-(j - k)))
                      ).applyfunc(sp.cancel)
    r["c a^-1 b (C4)"] = (c * ainv * b - sp.Matrix(
        N, N, lambda j, k: z**(-(N - 1)) * w if (j == 0 and k == N - 1) else 0)).applyfunc(sp.cancel)
    r["a^-1 b (C5)"] = (ainv * b - sp.Matrix(
        N, N, lambda j, k: -z**(-j) * w if k == N - 1 else 0)).applyfunc(sp.cancel)
    r["c a^-1 (C6)"] = (c * ainv - sp.Matrix(
        N, N, lambda j, k: -z**(-(N - 1 - k)) if j == 0 else 0)).applyfunc(sp.cancel)
    X = d - c * ainv * b
    Xp = sp.Matrix(N, N, lambda j, k: 1 if j == k else (-z if j == k + 1 else 0))
    Xp[0, N - 1] += -z**(-(N - 1)) * w
    r["X (C7)"] = (X - Xp).applyfunc(sp.cancel)
    A, B, C, Dm = X[:N - 1, :N - 1], X[:N - 1, N - 1:], X[N - 1:, :N - 1], X[N - 1:, N - 1:]
    Ainv = A.inv(method="LU")
    r["D - C A^-1 B (C9-C11)"] = sp.cancel((Dm - C * Ainv * B)[0, 0] - (1 - w))
    Xinv = X.inv(method="LU")
    r["X^-1 (C13)"] = (Xinv - sp.Matrix(N, N, lambda j, k: (th(j - k) + nB) * z**(j - k))
                       ).applyfunc(sp.cancel)
    r["top right (C14)"] = (-ainv * b * Xinv - sp.Matrix(
        N, N, lambda j, k: nB * z**(N - k - j - 1))).applyfunc(sp.cancel)  # 0-based: N+1-l-n
    r["bottom left (C15)"] = (-Xinv * c * ainv - sp.Matrix(
        N, N, lambda j, k: (1 + nB) * z**(-(N - k - j - 1)))).applyfunc(sp.cancel)
    r["top left (C16)"] = (ainv + ainv * b * Xinv * c * ainv - sp.Matrix(
        N, N, lambda j, k: (th(j - k) + nB) * z**(-(j - k)))).applyfunc(sp.cancel)
    return r


def c16_printed_line4(N, j, k):
    """Printed 4th line of Eq. (C16) for entry (j, k) (1-based) minus the correct one (the
    2nd term only). The 3rd line (correct) gives n_B e^{-i(j-k)θ}; the printed 4th line
    repeats the phases e^{i(N-1)θ}e^{-i(N-k)θ} after already writing e^{-i(j-k)θ}."""
    z, w = _mode_symbols()
    nB = w / (1 - w)
    line3 = z**(-(j - 1)) * w * (1 + nB) * z**(N - 1) * z**(-(N - k))
    line4 = z**(-(j - k)) * w * (1 + nB) * z**(N - 1) * z**(-(N - k))
    correct = nB * z**(-(j - k))
    return sp.cancel(line3 - correct), sp.cancel(line4 - correct)


def b6_relabel_residual(N):
    """Eq. (B5) → Eq. (B6): the entries of G_s (Eq. (B4)) after relabelling the "−" slices,
    n_- = N + 1 - (block index), against the kernels printed in Eq. (B6). Returns a list of
    residuals for the ++, --, +-, -+ kernels (1-based slice indices l, n = 1..N), all of which
    carry the common phase e^{-iθ(l-n)} (the premise of Eq. (B7))."""
    N = integer_in("N", N, 2)
    z, w = _mode_symbols()
    nB = w / (1 - w)
    G = b4_inverse(N, z, w)
    th = lambda d: 1 if d >= 0 else 0  # noqa: E731
    res = []
    for l in range(1, N + 1):
        for n in range(1, N + 1):
            lm, nm = N + 1 - l, N + 1 - n  # block indices of slices l, n on the − branch
            pp = G[l - 1, n - 1]
            mm = G[N + lm - 1, N + nm - 1]
            pm = G[l - 1, N + nm - 1]
            mp = G[N + lm - 1, n - 1]
            ph = z**(-(l - n))
            res += [sp.cancel(pp - ph * (th(l - n) + nB)),
                    sp.cancel(mm - ph * (th(n - l) + nB)),
                    sp.cancel(pm - ph * nB),
                    sp.cancel(mp - ph * (nB + 1))]
    return res


def eq14_coupling_residual():
    """Eq. (13) inserted into -∇_r[∇_{u⁰}U · δ] gives the recoil of Eq. (14): per mode,
    [gᵀ(t)m^{-1/2}ε_j][(g+e)ᵀ(t')m^{-1/2}ε_j]/Ω_j = (2/ħ) Y_j(t)[Y_j(t') + W_j(t')] with Y, W of
    Eqs. (15)–(16). a, b, c stand for the three projections gᵀ(t)m^{-1/2}ε_j, gᵀ(t')m^{-1/2}ε_j
    and eᵀ(t')m^{-1/2}ε_j (e = ∇_{u⁰}E_i^S)."""
    a, b, c = sp.symbols("a b c", real=True)
    hbar, Om = sp.symbols("hbar Omega", positive=True)
    amp = sp.sqrt(hbar / (2 * Om))
    Yt, Ytp, Wtp = amp * a, amp * b, amp * c
    return sp.simplify(a * (b + c) / Om - 2 / hbar * Yt * (Ytp + Wtp))


def bose_coth_residual():
    """1 + 2 n_B(Ω) - coth(βħΩ/2) (Eq. (B7)), and 1 + 2 n_B - cosh(βħΩ/2) as printed in
    the third line of Eq. (B8) (nonzero: cosh is a typo for coth)."""
    x = sp.Symbol("x", positive=True)  # βħΩ
    nB = 1 / (sp.exp(x) - 1)
    return (sp.simplify((1 + 2 * nB - sp.coth(x / 2)).rewrite(sp.exp)),
            sp.simplify((1 + 2 * nB - sp.cosh(x / 2)).rewrite(sp.exp)))


def keldysh_form_residual(N=3):
    """Eq. (B6) → Eq. (B7)/(B8): the ± quadratic form equals the Keldysh-rotated one.

    Builds Σ_ln e^{-iθ(l-n)} (C_+^l, C_-^l) M_ln (C_+^n, C_-^n)ᵀ with M of Eq. (B7), and the
    rotated forms with (i) the exact rotated matrix RᵀMR, (ii) the printed second line of
    Eq. (B7), (iii) the last line with δ_ln dropped and 1 + 2n_B → coth. Returns
    (exact - rotated, exact - printed second line, exact - last line, dropped diagonal).
    """
    N = integer_in("N", N, 2)
    z, w = _mode_symbols()
    nB = w / (1 - w)
    cp = sp.symbols(f"cp1:{N + 1}")
    cm = sp.symbols(f"cm1:{N + 1}")
    th = lambda d: 1 if d >= 0 else 0  # noqa: E731
    dl = lambda l, n: 1 if l == n else 0  # noqa: E731
    R = sp.Matrix([[1, 1], [1, -1]]) / sp.sqrt(2)
    exact = rot = printed = last = 0
    for l in range(N):
        for n in range(N):
            ph = z**(-(l - n))
            v = sp.Matrix([cp[l], cm[l]])
            u = sp.Matrix([cp[n], cm[n]])
            Mln = sp.Matrix([[th(l - n) + nB, -nB], [-1 - nB, th(n - l) + nB]])
            exact += ph * (v.T * Mln * u)[0, 0]
            vr, ur = R.T * v, R.T * u  # ((C+ + C-)/√2, (C+ - C-)/√2)
            rot += ph * (vr.T * (R.T * Mln * R) * ur)[0, 0]
            P = sp.Matrix([[sp.Rational(1, 2) * dl(l, n), -th(n - l)],
                           [th(l - n), 1 + 2 * nB + sp.Rational(1, 2) * dl(l, n)]])
            printed += ph * (vr.T * P * ur)[0, 0]
            L = sp.Matrix([[0, -th(n - l)], [th(l - n), 1 + 2 * nB]])
            last += ph * (vr.T * L * ur)[0, 0]
    dropped = sum((cp[l] + cm[l])**2 / 4 + (cp[l] - cm[l])**2 / 4 for l in range(N))
    f = lambda e: sp.cancel(sp.expand(e))  # noqa: E731
    return f(exact - rot), f(exact - printed), f(exact - last - dropped), dropped


def b8_sine_residual(N=3):
    """Eq. (B8): the two Θ cross terms combine into i Σ sin(θ(n-l)) (C_+^n - C_-^n) Θ(n-l)
    (C_+^l + C_-^l), and the coth term is -(1/2)coth·Q Q* with Q of Eq. (B10)."""
    N = integer_in("N", N, 2)
    th_ = sp.Symbol("theta", real=True)
    cp = sp.symbols(f"cp1:{N + 1}", real=True)
    cm = sp.symbols(f"cm1:{N + 1}", real=True)
    Th = lambda d: 1 if d >= 0 else 0  # noqa: E731
    cross = 0
    target = 0
    for l in range(N):
        for n in range(N):
            ph = sp.exp(-sp.I * th_ * (l - n)) / 2
            cross += ph * (cp[l] + cm[l]) * Th(n - l) * (cp[n] - cm[n])
            cross -= ph * (cp[l] - cm[l]) * Th(l - n) * (cp[n] + cm[n])
            target += sp.I * sp.sin(th_ * (n - l)) * (cp[n] - cm[n]) * Th(n - l) * (cp[l] + cm[l])
    quad = sum(sp.exp(-sp.I * th_ * (l - n)) / 2 * (cp[l] - cm[l]) * (cp[n] - cm[n])
               for l in range(N) for n in range(N))
    Q = sum(sp.exp(-sp.I * th_ * (l + 1)) * (cp[l] - cm[l]) for l in range(N))
    Qc = sum(sp.exp(sp.I * th_ * (l + 1)) * (cp[l] - cm[l]) for l in range(N))
    r1 = sp.simplify(sp.expand((cross - target).rewrite(sp.exp)))
    r2 = sp.simplify(sp.expand(quad - Q * Qc / 2))
    return r1, r2


# ------------------------------------------------------------------------------------------
# Sec. III B: Hubbard–Stratonovich, Eq. (28); App. D moments
# ------------------------------------------------------------------------------------------


def hs_normalisation():
    """(2/π) tanh ∫ dRe ξ dIm ξ exp[-2 tanh |ξ|²] for the measure dξdξ* = dRe ξ dIm ξ.

    Returns the value (1 if Eq. (28) holds); with the other common convention
    dξ̄dξ = 2 dRe ξ dIm ξ the prefactor would have to be 1/π instead of 2/π.
    """
    x, y = sp.symbols("x y", real=True)
    t = sp.Symbol("t", positive=True)  # tanh(βħΩ/2) ∈ (0, 1)
    return sp.simplify(2 / sp.pi * t * sp.integrate(sp.exp(-2 * t * (x**2 + y**2)),
                                                    (x, -sp.oo, sp.oo), (y, -sp.oo, sp.oo)))


def hs_shift_residual():
    """Exponent after the shift ξ → ξ + (i/2)coth Q, ξ* → ξ* + (i/2)coth Q* in Eq. (28), plus
    the -(1/2)coth QQ* of Eq. (26), minus the result used in Eq. (29):
    -2 tanh ξ*ξ - i(ξ Q* + ξ* Q). Zero means the Q Q* term is removed exactly."""
    xi, xis, Q, Qs = sp.symbols("xi xi_s Q Q_s")
    c = sp.Symbol("c", positive=True)  # coth(βħΩ/2); tanh = 1/c
    shifted = -2 / c * (xis + sp.I / 2 * c * Qs) * (xi + sp.I / 2 * c * Q)
    total = shifted - c / 2 * Q * Qs
    return sp.expand(total - (-2 / c * xis * xi - sp.I * (xi * Qs + xis * Q)))


def hs_shift_invariance(a, b, t=0.6, L=12.0, n=801):
    """Numerical check that ∫dx dy (2/π)t e^{-2t((x+a)²+(y+b)²)} = 1 for complex a, b
    (the contour shift behind "the equality holds even if one shifts ξ and ξ* by arbitrary
    independent complex numbers"). Trapezoid on [-L, L]², returns |value - 1|."""
    x = np.linspace(-L, L, n)
    X, Yg = np.meshgrid(x, x, indexing="ij")
    f = 2 / np.pi * t * np.exp(-2 * t * ((X + a)**2 + (Yg + b)**2))
    val = np.trapezoid(np.trapezoid(f, x, axis=1), x)
    return abs(val - 1)


def hs_moments():
    """Moments of P(ξ) = (2/π)tanh e^{-2 tanh|ξ|²}: returns (⟨ξξ*⟩, ⟨ξ²⟩, ⟨ξ*²⟩) with
    tanh = 1/c, i.e. (c/2, 0, 0) where c = coth(βħΩ/2)."""
    r, phi = sp.symbols("r phi", positive=True)
    c = sp.Symbol("c", positive=True)
    P = 2 / sp.pi / c * sp.exp(-2 / c * r**2) * r  # includes the polar Jacobian
    mom = lambda e: sp.simplify(sp.integrate(  # noqa: E731
        sp.integrate(e * P, (phi, 0, 2 * sp.pi)), (r, 0, sp.oo)))
    xi = r * sp.exp(sp.I * phi)
    xis = r * sp.exp(-sp.I * phi)
    return mom(xi * xis), mom(xi * xi), mom(xis * xis), c


def d1_residual():
    """App. D / Eq. (34): ⟨(e^{iθn}ξ + e^{-iθn}ξ*)(e^{iθl}ξ + e^{-iθl}ξ*)⟩ - coth·cos(θ(n-l)).
    Returns (residual with the correct factor 2⟨ξξ*⟩, residual using ⟨ξξ*⟩² as printed)."""
    mxx, mxx2, mxsxs, c = hs_moments()
    th, n, l = sp.symbols("theta n l", real=True)
    avg = (sp.exp(sp.I * th * (n + l)) * mxx2 + sp.exp(-sp.I * th * (n + l)) * mxsxs
           + mxx * (sp.exp(sp.I * th * (n - l)) + sp.exp(-sp.I * th * (n - l))))
    target = c * sp.cos(th * (n - l))
    printed = mxx**2 * sp.cos(th * (n - l))
    return (sp.simplify((avg - target).rewrite(sp.cos)), sp.simplify(printed - target))


# ------------------------------------------------------------------------------------------
# Sec. III C: Keldysh rotation and the semiclassical limit, Eqs. (30)–(33)
# ------------------------------------------------------------------------------------------


def keldysh_expansion_residuals():
    """Eq. (30) with r_± = (r_c ± r_q)/√2 (1D, generic U and Y): residuals after subtracting
    the printed right-hand sides, as series in r_q. Returns dict name -> (residual, order of
    its first nonzero term in r_q). The kinetic line is exact."""
    rc, rq, M = sp.symbols("r_c r_q M", real=True)
    U, Y = sp.Function("U"), sp.Function("Y")
    rp, rm = (rc + rq) / sp.sqrt(2), (rc - rq) / sp.sqrt(2)
    x = sp.Symbol("x")
    dU = sp.diff(U(x), x).subs(x, rc / sp.sqrt(2))
    dY = sp.diff(Y(x), x).subs(x, rc / sp.sqrt(2))
    out = {}
    out["U+ - U-"] = U(rp) - U(rm) - sp.sqrt(2) * dU * rq
    out["Y+ + Y-"] = Y(rp) + Y(rm) - 2 * Y(rc / sp.sqrt(2))
    out["Y+ - Y-"] = Y(rp) - Y(rm) - sp.sqrt(2) * dY * rq
    # kinetic: two slices j, j+1
    c1, c2, q1, q2 = sp.symbols("c1 c2 q1 q2", real=True)
    r = lambda c, q, s: (c + s * q) / sp.sqrt(2)  # noqa: E731
    kin = sum(s * (r(c2, q2, s) - r(c1, q1, s))**2 * M for s in (1, -1)) / 2
    out["kinetic"] = sp.expand(kin - (q2 - q1) * M * (c2 - c1))
    res = {}
    for k_, e in out.items():
        if k_ == "kinetic":
            res[k_] = (e, None if e == 0 else 0)
            continue
        ser = sp.series(e, rq, 0, 4).removeO().doit()
        ser = sp.simplify(ser)
        order = None
        for p in range(4):
            if sp.simplify(ser.coeff(rq, p)) != 0:
                order = p
                break
        res[k_] = (ser, order)
    return res


def summation_by_parts_31(N=6):
    """Eq. (31): Σ_{j=1}^{N-1} (q_{j+1}-q_j)(c_{j+1}-c_j) = Σ_{j=2}^{N-1} q_j(2c_j - c_{j-1} -
    c_{j+1}) when q_1 = q_N = 0 (r_q vanishes at the ends of the contour). Returns residual."""
    N = integer_in("N", N, 3)
    q = list(sp.symbols(f"q1:{N + 1}"))
    c = sp.symbols(f"c1:{N + 1}")
    q[0] = 0
    q[-1] = 0
    lhs = sum((q[j + 1] - q[j]) * (c[j + 1] - c[j]) for j in range(N - 1))
    rhs = sum(q[j] * (2 * c[j] - c[j - 1] - c[j + 1]) for j in range(1, N - 1))
    return sp.expand(lhs - rhs)


def semiclassical_eom_residual(N=5, recoil_sign=1):
    """Derive the ion's equation of motion from the exponent of Eq. (29) and compare with
    Eq. (33) (1D, one mode, generic U(r), Y(r), W_l, ξ; N time slices).

    The exponent S(r_+, r_-) of Eq. (29) is written out term by term, r_± = (r_c ± ε r_q)/√2
    with r_q^1 = r_q^N = 0, and ∂S/∂ε at ε = 0 is linear in r_q^n (n = 2..N-1). Integrating r_q
    gives δ(coefficient of r_q^n); with r_c = √2 r and the coefficient divided by i√2Δ/ħ this
    must equal -(LHS - RHS) of Eq. (33). Returns the list of residuals for n = 2..N-1.
    `recoil_sign=-1` flips the sine term of Eq. (29) (a negative control: residuals then equal
    twice the recoil force of Eq. (33)).
    """
    N = integer_in("N", N, 3)
    D, hbar, M, Om = sp.symbols("Delta hbar M Omega", positive=True)
    xi, xis = sp.symbols("xi xi_s")
    U, Yf = sp.Function("U"), sp.Function("Y")
    c = sp.symbols(f"c1:{N + 1}", real=True)
    q = list(sp.symbols(f"q1:{N + 1}", real=True))
    q[0] = 0
    q[-1] = 0
    Wl = sp.symbols(f"W1:{N + 1}", real=True)
    eps = sp.Symbol("epsilon")
    rp = [(c[j] + eps * q[j]) / sp.sqrt(2) for j in range(N)]
    rm = [(c[j] - eps * q[j]) / sp.sqrt(2) for j in range(N)]
    I = sp.I
    S = 0
    for j in range(N - 1):  # kinetic and potential, j = 1..N-1
        for s, r in ((1, rp), (-1, rm)):
            S += s * I * M * (r[j + 1] - r[j])**2 / (2 * D * hbar) - s * I * D / hbar * U(r[j])
    for n in range(N):  # thermal force, n = 1..N (paper index n+1)
        S += -I * D / hbar * (Yf(rp[n]) - Yf(rm[n])) * (
            xi * sp.exp(I * D * Om * (n + 1)) + xis * sp.exp(-I * D * Om * (n + 1)))
    for n in range(N):  # recoil, Θ(n - l) with Θ(0) = 1 (the l = n term has sin 0 = 0)
        for l in range(n + 1):
            S += recoil_sign * I * D**2 / hbar**2 * sp.sin(D * Om * (n - l)) * (Yf(rp[n]) - Yf(rm[n])) * (
                Yf(rp[l]) + Yf(rm[l]) + 2 * Wl[l])
    lin = sp.diff(S, eps).subs(eps, 0).doit()
    r = sp.symbols(f"r1:{N + 1}", real=True)
    x = sp.Symbol("x")
    res = []
    for n in range(1, N - 1):
        coef = sp.expand(lin).coeff(q[n])
        coef = coef.subs({c[j]: sp.sqrt(2) * r[j] for j in range(N)}).doit()
        lhs33 = M * (r[n - 1] - 2 * r[n] + r[n + 1]) / D**2
        dU = sp.diff(U(x), x).subs(x, r[n])
        dY = sp.diff(Yf(x), x).subs(x, r[n])
        rhs33 = (-dU + 2 * D / hbar * dY * sum(sp.sin(D * Om * (n - l)) * (Yf(r[l]) + Wl[l])
                                               for l in range(n + 1))
                 - dY * (sp.exp(I * D * Om * (n + 1)) * xi + sp.exp(-I * D * Om * (n + 1)) * xis))
        res.append(sp.simplify(sp.expand(coef / (I * sp.sqrt(2) * D / hbar) + (lhs33 - rhs33))))
    return res


# ------------------------------------------------------------------------------------------
# Sec. IV A and App. E: recoil term, fluctuation–dissipation
# ------------------------------------------------------------------------------------------


def e1_lines(n=4):
    """The lines of Eq. (E1) for a given n with symbolic θ = ΔΩ and Y_1..Y_n.

    Returns dict: 'lhs', 'line2'..'line5' (as printed), 'line5 corrected' (with
    Y_{l+1} - cos θ Y_l). Lines 2–4 and the corrected 5th equal the lhs exactly; the printed
    5th line differs by tan(θ/2) Σ_{l<n} cos(θ(n-l)) Y_l, which is O(Δ) relative to the lhs.
    """
    n = integer_in("n", n, 2)
    th = sp.Symbol("theta", positive=True)
    Y = sp.symbols(f"Y1:{n + 1}")
    C, S = sp.cos, sp.sin
    lhs = sum(S(th * (n - l)) * Y[l - 1] for l in range(1, n + 1))
    l2 = sum((C(th * (n - l)) * C(th) - C(th * (n + 1 - l))) / S(th) * Y[l - 1]
             for l in range(1, n + 1))
    l3 = (sum(C(th * (n - l)) * C(th) / S(th) * Y[l - 1] for l in range(1, n + 1))
          - sum(C(th * (n - l)) / S(th) * Y[l] for l in range(0, n)))
    l4 = (sum(C(th * (n - l)) * C(th) / S(th) * Y[l - 1] for l in range(1, n))
          - sum(C(th * (n - l)) / S(th) * Y[l] for l in range(1, n))
          + C(th) / S(th) * Y[n - 1] - C(th * n) / S(th) * Y[0])
    bnd = C(th) / S(th) * Y[n - 1] - C(th * n) / S(th) * Y[0]
    l5 = -sum(C(th * (n - l)) / S(th) * (Y[l] - Y[l - 1]) for l in range(1, n)) + bnd
    l5c = -sum(C(th * (n - l)) / S(th) * (Y[l] - C(th) * Y[l - 1]) for l in range(1, n)) + bnd
    return {"lhs": lhs, "line2": l2, "line3": l3, "line4": l4, "line5": l5,
            "line5 corrected": l5c, "theta": th, "Y": Y}


def e1_residuals(n=4):
    """Residuals (line - lhs) of Eq. (E1) for each line, simplified."""
    L = e1_lines(n)
    f = lambda e: sp.simplify(sp.expand_trig(sp.expand(e - L["lhs"])))  # noqa: E731
    return {k: f(L[k]) for k in ("line2", "line3", "line4", "line5 corrected", "line5")}


def recoil_sum(Omega, Y_of_t, t_end, Delta):
    """Δ Σ_{l=1}^{n} sin(ΔΩ(n-l)) Y(lΔ) with nΔ = t_end (left side of Eq. (E1) times Δ),
    and the Δ → 0 right side of Eq. (E1) times Δ:
    Y(t)/Ω - cos(Ω t) Y(Δ)/Ω - Δ Σ_{l<n} cos(ΔΩ(n-l)) Ẏ(lΔ)/Ω (Ẏ by centred difference).
    Returns (lhs, rhs); both tend to ∫_0^t sin(Ω(t-t')) Y(t') dt'."""
    Omega = positive("Omega", Omega)
    Delta = positive("Delta", Delta)
    n = int(round(t_end / Delta))
    lgrid = np.arange(1, n + 1)
    tl = lgrid * Delta
    Yl = Y_of_t(tl)
    lhs = Delta * np.sum(np.sin(Delta * Omega * (n - lgrid)) * Yl)
    Ydot = (Y_of_t(tl + Delta / 2) - Y_of_t(tl - Delta / 2)) / Delta
    m = lgrid < n
    rhs = (Yl[-1] / Omega - np.cos(Omega * n * Delta) * Yl[0] / Omega
           - Delta * np.sum(np.cos(Delta * Omega * (n - lgrid[m])) * Ydot[m]) / Omega)
    return lhs, rhs


def continuum_parts_residual():
    """Continuum form of App. E: d/dt' [cos(Ω(t-t'))Y(t')/Ω] - sin(Ω(t-t'))Y(t')
    - cos(Ω(t-t'))Y'(t')/Ω, which vanishes (integration by parts behind Eq. (35))."""
    t, tp = sp.symbols("t t_p", real=True)
    W = sp.Symbol("Omega", positive=True)
    Y = sp.Function("Y")
    e = (sp.diff(sp.cos(W * (t - tp)) * Y(tp) / W, tp) - sp.sin(W * (t - tp)) * Y(tp)
         - sp.cos(W * (t - tp)) * sp.diff(Y(tp), tp) / W)
    return sp.simplify(e)


def fdt_ratio_series(order=6):
    """Series of x coth x (x = βħΩ/2): the factor by which the quantum noise of Eq. (34)
    exceeds the classical noise β⁻¹ × recoil kernel of Eq. (35) for one mode."""
    x = sp.Symbol("x", positive=True)
    return sp.series(x * sp.coth(x), x, 0, order).removeO(), x


def fdt_kernels(Omega, grads, beta, t, hbar=1.0):
    """Recoil and noise kernels of Eqs. (34)–(35) for an explicit set of modes.

    Omega: (S,) frequencies; grads: (S, 3) vectors ∇Y_s(r) (r frozen, as in Eq. (37)); t: times
    (n - l)Δ. Returns (K, C): K(t) = (2/ħ) Σ_s cos(Ω_s t)/Ω_s ∇Y_s⊗∇Y_s (the recoil kernel
    multiplying -Δ ṙ_l in Eq. (35)) and C(t) = Σ_s coth(βħΩ_s/2) cos(Ω_s t) ∇Y_s⊗∇Y_s (Eq. (34)).
    The classical FDT reads K = βC; quantum mechanically βC = Σ (x coth x) × (mode part of K).
    """
    Omega = finite_array("Omega", Omega)
    if np.any(Omega <= 0):
        raise ValueError("Omega must contain only frequencies > 0")
    grads = finite_array("grads", grads, shape_tail=(3,))
    beta = positive("beta", beta)
    hbar = positive("hbar", hbar)
    t = np.atleast_1d(finite_array("t", t))
    outer = np.einsum("sa,sb->sab", grads, grads)
    cos = np.cos(np.outer(t, Omega))
    K = 2 / hbar * np.einsum("ts,s,sab->tab", cos, 1 / Omega, outer)
    C = np.einsum("ts,s,sab->tab", cos, 1 / np.tanh(beta * hbar * Omega / 2), outer)
    return K, C


def dirichlet_weight(M_max):
    """∫_{-π}^{π} Σ_{|m|≤M} cos(m x) dx for M = 0..M_max (exact); each must be 2π. This is the
    weight behind Δ Σ_l cos(ΔΩ(n-l)) → 2π δ(Ω) used between Eqs. (37) and (38)."""
    x = sp.Symbol("x", real=True)
    return [sp.integrate(sum(sp.cos(m * x) for m in range(-M, M + 1)), (x, -sp.pi, sp.pi))
            for M in range(M_max + 1)]


def fdt_endpoint_residual():
    """Eq. (37) summation limits, with Abel damping e^{-ε|m|} (m = n - l):
    returns (2Σ_{m≥1} - Σ_{all}, 2Σ_{m≥0} - Σ_{all}) = (-1, +1): the two printed
    upper limits (n - 1 from Eq. (35), n in Eq. (37)) differ from the full sum by ∓ the m = 0
    term, i.e. by Δ⟨f_n⊗f_n⟩ → 0."""
    th = sp.Symbol("theta", real=True)
    e = sp.Symbol("epsilon", positive=True)
    zz = sp.exp(sp.I * th - e)
    S1 = (zz / (1 - zz) + sp.conjugate(zz) / (1 - sp.conjugate(zz))) / 2  # Σ_{m≥1} cos e^{-εm}
    Sall = 1 + 2 * S1
    return sp.simplify(2 * S1 - Sall), sp.simplify(2 * (S1 + 1) - Sall)


# ------------------------------------------------------------------------------------------
# Sec. IV A–B: drag tensor, Eqs. (38)–(44)
# ------------------------------------------------------------------------------------------


def uniform_shift_residual():
    """Eq. (39)–(40): for U(r, {u_l}) = Σ_l φ(r - u_l), Σ_l ∇_{u_l} U = -∇_r U (a uniform shift
    of the framework is a shift of the ion the other way), hence ∇_r[Σ_l ∇_{u_l}U] = -H_r U.
    Two framework atoms, generic φ; returns the residual vector and matrix."""
    r = sp.Matrix(sp.symbols("x y z", real=True))
    u1 = sp.Matrix(sp.symbols("a1 b1 c1", real=True))
    u2 = sp.Matrix(sp.symbols("a2 b2 c2", real=True))
    phi = sp.Function("phi")
    U = phi(*(r - u1)) + phi(*(r - u2))
    grad = lambda f, v: sp.Matrix([sp.diff(f, vi) for vi in v])  # noqa: E731
    shift = grad(U, u1) + grad(U, u2)
    res1 = (shift + grad(U, r)).applyfunc(lambda e: sp.expand(e.doit()))
    H = sp.hessian(U, list(r))
    res2 = (shift.jacobian(list(r)) + H).applyfunc(lambda e: sp.expand(e.doit()))
    return res1, res2


def drag_from_modes_residual():
    """Eq. (38) with Eq. (40) gives Eq. (41): 2π ∇Y⊗∇Y δ/(ħΩ) with ∇Y = -√(ħ/2mLΩ) H ε equals
    H [2π/(2mL) δ/Ω² ε⊗ε] H, for a generic symmetric H and polarisation ε (one mode)."""
    h = sp.symbols("h11 h12 h13 h22 h23 h33", real=True)
    H = sp.Matrix([[h[0], h[1], h[2]], [h[1], h[3], h[4]], [h[2], h[4], h[5]]])
    e = sp.Matrix(sp.symbols("e1 e2 e3", real=True))
    hbar, m, L, Om, dl = sp.symbols("hbar m L Omega delta", positive=True)
    gY = -sp.sqrt(hbar / (2 * m * L * Om)) * H * e
    lhs = 2 * sp.pi * gY * gY.T * dl / (hbar * Om)
    rhs = H * (2 * sp.pi / (2 * m * L) * dl / Om**2 * e * e.T) * H
    return (lhs - rhs).applyfunc(sp.expand)


@functools.lru_cache(maxsize=None)
def solid_angle_tensors():
    """∫dΩ r̂⊗r̂ and ∫dΩ (1 - r̂⊗r̂) over the unit sphere (exact): (4π/3)𝟙 and (8π/3)𝟙."""
    th, ph = sp.symbols("theta phi", real=True)
    rhat = sp.Matrix([sp.sin(th) * sp.cos(ph), sp.sin(th) * sp.sin(ph), sp.cos(th)])
    integ = lambda e: sp.integrate(sp.integrate(e * sp.sin(th), (ph, 0, 2 * sp.pi)),  # noqa: E731
                                   (th, 0, sp.pi))
    RR = (rhat * rhat.T).applyfunc(integ)
    TT = (sp.eye(3) - rhat * rhat.T).applyfunc(integ)
    return RR, TT


@functools.lru_cache(maxsize=None)
def half_delta_weight(D=3):
    """∫_0^∞ dq q^{D-1} δ_ε(vq)/(v² q²) with a Gaussian δ_ε (even, width ε): the radial factor
    of Eq. (43) in D dimensions. D = 3 gives 1/(2v³) for every ε (the half weight of δ at the
    end of the range); D ≤ 2 diverges (the low-dimensional divergence noted after Eq. (36))."""
    q, v, e = sp.symbols("q v epsilon", positive=True)
    delta = sp.exp(-(v * q)**2 / (2 * e**2)) / (sp.sqrt(2 * sp.pi) * e)
    return sp.simplify(sp.integrate(q**(D - 1) * delta / (v**2 * q**2), (q, 0, sp.oo)))


def eq43_bracket():
    """Eq. (43) assembled from its pieces: (1/(2(2π)²ρ)) [∫dΩ r̂r̂ ∫dq δ(v_L q)/v_L² +
    ∫dΩ (1 - r̂r̂) ∫dq δ(v_T q)/v_T²] (xx entry); returns (value, printed final form)."""
    rho, vL, vT = sp.symbols("rho v_L v_T", positive=True)
    RR, TT = solid_angle_tensors()
    qL = half_delta_weight(3).subs(sp.Symbol("v", positive=True), vL)
    qT = half_delta_weight(3).subs(sp.Symbol("v", positive=True), vT)
    val = (RR[0, 0] * qL + TT[0, 0] * qT) / (2 * (2 * sp.pi)**2 * rho)
    printed = (1 / vL**3 + 2 / vT**3) / (12 * sp.pi * rho)
    return sp.simplify(val), printed


def rodin2025_L_isotropic():
    """𝓛 = Σ_u ∫dS ψ_uψ_uᵀ/(16π²ρ v_u³) (rodin2025 Eq. (15)) for an isotropic medium, xx entry,
    minus Eq. (43)'s (1/12πρ)(1/v_L³ + 2/v_T³)."""
    rho, vL, vT = sp.symbols("rho v_L v_T", positive=True)
    RR, TT = solid_angle_tensors()
    L = (RR[0, 0] / vL**3 + TT[0, 0] / vT**3) / (16 * sp.pi**2 * rho)
    return sp.simplify(L - (1 / vL**3 + 2 / vT**3) / (12 * sp.pi * rho))


def isotropic_cubic_velocities(mass, a, k):
    """Sound velocities of the simple-cubic lattice with k1 = k2 = k (then C11 - C12 = 2C44,
    elastically isotropic): v_L = a√(3k/m), v_T = a√(k/m) (from m D(q) → k a²(q²𝟙 + 2qqᵀ))."""
    mass, a, k = positive("mass", mass), positive("a", a), positive("k", k)
    return a * math.sqrt(3 * k / mass), a * math.sqrt(k / mass)


def eq36_residual():
    """Eq. (34) at high T (coth(βħΩ/2) → 2/βħΩ) with Y_s of Eq. (15) minus Eq. (36), for one
    mode and a generic coupling vector g = ∇[∇_{u⁰}U]ᵀ m^{-1/2} ε_s (a 3-vector)."""
    g = sp.Matrix(sp.symbols("g1 g2 g3", real=True))
    hbar, Om, beta, ph = sp.symbols("hbar Omega beta phi", positive=True)
    gradY = sp.sqrt(hbar / (2 * Om)) * g
    c34 = gradY * gradY.T * (2 / (beta * hbar * Om)) * sp.cos(ph)
    c36 = g * g.T * sp.cos(ph) / (beta * Om**2)
    return (c34 - c36).applyfunc(sp.simplify)


# ------------------------------------------------------------------------------------------
# Recording: identities as book checks
# ------------------------------------------------------------------------------------------


def residual_is_zero(residual):
    """True if a residual (sympy expression/Matrix, dict of them, list, or number) vanishes."""
    if isinstance(residual, dict):
        return all(residual_is_zero(v) for v in residual.values())
    if isinstance(residual, (list, tuple)):
        return all(residual_is_zero(v) for v in residual)
    if isinstance(residual, (sp.Basic, sp.MatrixBase)):
        return is_zero(residual)
    return float(abs(residual)) == 0.0


def fdt_mismatch(Omega, grads, T, hbar=1.0, kB=1.0):
    """How far the classical fluctuation–dissipation relation is from holding at equal times:
    ‖βC(0) − K(0)‖ / ‖K(0)‖ with the kernels of :func:`fdt_kernels` (Frobenius norms).

    Parameters
    ----------
    Omega : array_like, shape (S,)
        Mode frequencies (> 0).
    grads : array_like, shape (S, 3)
        The vectors ∇Y_s of the modes.
    T : float
        Temperature (> 0), in the units that make kB·T an energy.
    hbar, kB : float, optional
        ħ and Boltzmann's constant in the caller's units.

    Returns
    -------
    float
        0 in the classical limit; grows like ⟨(βħΩ/2)²⟩/3 at high T and tends to 1 − ⟨...⟩ of
        the zero-point noise at low T.

    Raises
    ------
    ValueError
        If T, hbar or kB are not positive (or the modes are invalid, see :func:`fdt_kernels`).
    """
    kT = positive("T", T) * positive("kB", kB)
    K, C = fdt_kernels(Omega, grads, 1 / kT, [0.0], hbar=hbar)
    return float(np.linalg.norm(C[0] / kT - K[0]) / np.linalg.norm(K[0]))
