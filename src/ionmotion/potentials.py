"""Pair potentials between the mobile particle and one framework mass, with gradient and Hessian.

* Gaussian (rodin2024): Φ(x) = Φ0 exp(-|x|²/2λ²), used in rodin2024's dimensionless units.
* Screened Coulomb / Yukawa (rodin2025): U(x) = U0 exp(-|x|/λ)/|x|, meV and Å.

`x` is the separation vector particle − mass, shape (…, 3). Each potential is a frozen dataclass
with NumPy methods `value`, `gradient` (∂U/∂x) and `hessian` (∂²U/∂x∂x), and exposes `code` and
`params` so numba kernels can evaluate it through :func:`pair_derivatives` (one dispatch function
for every engine: full lattice, time-local, thermal).
"""
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validate import finite_array, positive

GAUSSIAN = 0
YUKAWA = 1


@njit(cache=True)
def pair_derivatives(code, amp, lam, dx, dy, dz, grad, hess):
    """Value of the pair potential at separation (dx, dy, dz); fills grad (3,) and hess (3, 3).

    U = f(r): ∂U/∂x_i = f'(r) x_i/r; ∂²U/∂x_i∂x_j = (f'' - f'/r) x_i x_j/r² + (f'/r) δ_ij.
    """
    r2 = dx * dx + dy * dy + dz * dz
    if code == GAUSSIAN:
        e = amp * np.exp(-0.5 * r2 / (lam * lam))
        g = -e / (lam * lam)               # f'/r
        c = e / (lam * lam * lam * lam)    # (f'' - f'/r)/r²
        val = e
    else:
        r = np.sqrt(r2)
        e = amp * np.exp(-r / lam)
        f = e / r
        fp = -f * (1.0 / lam + 1.0 / r)
        fpp = f * ((1.0 / lam + 1.0 / r) ** 2 + 1.0 / (r * r))
        g = fp / r
        c = (fpp - g) / r2
        val = f
    x = (dx, dy, dz)
    for i in range(3):
        grad[i] = g * x[i]
        for j in range(3):
            hess[i, j] = c * x[i] * x[j] + (g if i == j else 0.0)
    return val


@dataclass(frozen=True)
class _Pair:
    amp: float
    lam: float
    code = -1

    @property
    def params(self):
        return np.array([self.amp, self.lam])

    def _x(self, x):
        x = finite_array("x", x, shape_tail=(3,))
        if self.code == YUKAWA and np.any(np.linalg.norm(x, axis=-1) == 0):
            raise ValueError("x: the screened Coulomb potential diverges at zero separation")
        return x

    def _radial(self, r):  # pragma: no cover - abstract
        raise NotImplementedError

    def value(self, x):
        """The interaction energy u(x).

        Parameters
        ----------
        x : array_like, shape (..., 3)
            Separations particle − mass (Å).

        Returns
        -------
        ndarray, shape (...)
        """
        x = self._x(x)
        return self._radial(np.linalg.norm(x, axis=-1))[0]

    def gradient(self, x):
        """∇u(x).

        Parameters
        ----------
        x : array_like, shape (..., 3)

        Returns
        -------
        ndarray, shape (..., 3)
        """
        x = self._x(x)
        r = np.linalg.norm(x, axis=-1)
        _, g, _ = self._radial(r)
        return g[..., None] * x

    def hessian(self, x):
        """∇∇u(x).

        Parameters
        ----------
        x : array_like, shape (..., 3)

        Returns
        -------
        ndarray, shape (..., 3, 3)
        """
        x = self._x(x)
        r = np.linalg.norm(x, axis=-1)
        _, g, c = self._radial(r)
        return c[..., None, None] * x[..., :, None] * x[..., None, :] + g[..., None, None] * np.eye(3)

    def radial(self, r):
        """f(r) and f'(r) along a line through the mass (r may be negative: f is even).

        Parameters
        ----------
        r : array_like

        Returns
        -------
        f, df : ndarray
        """
        r = np.asarray(r, float)
        f, g, _ = self._radial(np.abs(r))
        return f, g * r


@dataclass(frozen=True)
class Gaussian(_Pair):
    """Gaussian interaction Φ0 exp(−|x|²/2λ²) (rodin2024 Sec. III).

    Parameters
    ----------
    amp : float
        Φ0 (finite; the energy unit of the framework).
    lam : float
        λ, > 0.
    """
    code = GAUSSIAN

    def __post_init__(self):
        positive("lam", self.lam)
        if not np.isfinite(self.amp):
            raise ValueError("amp (Φ0) must be finite")

    def _radial(self, r):
        e = self.amp * np.exp(-0.5 * r**2 / self.lam**2)
        return e, -e / self.lam**2, e / self.lam**4


@dataclass(frozen=True)
class Yukawa(_Pair):
    """Screened Coulomb interaction U0 exp(−|x|/λ)/|x| (rodin2025 Sec. III).

    Parameters
    ----------
    amp : float
        U0 in meV·Å (finite).
    lam : float
        Screening length λ in Å, > 0.
    """
    code = YUKAWA

    def __post_init__(self):
        positive("lam", self.lam)
        if not np.isfinite(self.amp):
            raise ValueError("amp (U0) must be finite")

    def _radial(self, r):
        with np.errstate(divide="ignore", invalid="ignore"):
            f = self.amp * np.exp(-r / self.lam) / r
            fp = -f * (1 / self.lam + 1 / r)
            fpp = f * ((1 / self.lam + 1 / r) ** 2 + 1 / r**2)
            g = fp / r
            return f, g, (fpp - g) / r**2


def lattice_sum(potential, point, a, n_shell):
    """Σ_L U(point − L) over the simple cubic sites L = a (i, j, k), |i|, |j|, |k| ≤ n_shell: the
    energy landscape of an undeformed framework.

    Parameters
    ----------
    potential : Gaussian or Yukawa
    point : array_like, shape (..., 3)
        Particle positions (Å).
    a : float
        Lattice constant (Å), > 0.
    n_shell : int
        Shells of sites summed in each direction.

    Returns
    -------
    ndarray, shape (...)
        Energies (meV).
    """
    point = finite_array("point", point, shape_tail=(3,))
    a = positive("a", a)
    r = np.arange(-n_shell, n_shell + 1) * a
    sites = np.stack(np.meshgrid(r, r, r, indexing="ij"), axis=-1).reshape(-1, 3)
    sep = point[..., None, :] - sites
    return potential.value(sep).sum(axis=-1)
