"""The parameters of the papers' model systems, in one place.

Every preset, task function and chapter takes its model constants from here, so a value typed
from a paper appears once. Each paper's model is a frozen dataclass instance; ``asdict`` style
access is available through :meth:`CubicModel.lattice_kwargs`.

Units: rodin2025 in meV, Å, ps (masses in meV·ps²/Å²); rodin2024 in its dimensionless units
(framework mass 1/4π², time in oscillation periods); hu2026 in eV, K, cell lengths and attempt
periods.
"""
from dataclasses import dataclass

import numpy as np

FOUR_PI2 = 4 * np.pi**2
"""4π²: rodin2024's framework mass is 1/4π², so that frequencies are in radians per period."""


@dataclass(frozen=True)
class CubicModel:
    """A simple cubic framework with central springs k1 (6 nearest) and k2 (12 next-nearest).

    Parameters
    ----------
    mass, a, k1, k2 : float
    """
    mass: float
    a: float
    k1: float
    k2: float

    def lattice_kwargs(self):
        """Keyword arguments for :class:`ionmotion.lattice.CubicLattice`.

        Returns
        -------
        dict
            mass, a, k1, k2.
        """
        return dict(mass=self.mass, a=self.a, k1=self.k1, k2=self.k2)

    def lattice(self, k1=None, k2=None):
        """The :class:`ionmotion.lattice.CubicLattice` of this model, optionally with other springs.

        Parameters
        ----------
        k1, k2 : float, optional

        Returns
        -------
        CubicLattice
        """
        from ..lattice import CubicLattice
        return CubicLattice(self.mass, self.a, self.k1 if k1 is None else k1,
                            self.k2 if k2 is None else k2)


RODIN2025_LATTICE = CubicModel(mass=3.5, a=3.0, k1=520.0, k2=170.0)
"""rodin2025 Sec. III framework (meV/Å², Å, meV·ps²/Å²)."""


@dataclass(frozen=True)
class Rodin2025Particle:
    """The mobile ion of rodin2025 and its Yukawa interaction U0 e^{−r/λ}/r.

    Parameters
    ----------
    M : float
        Mass (meV·ps²/Å²).
    lam : float
        Screening length (Å).
    U0_crystal, U0_collision, U0_edge : float
        U0 (meV·Å) of the model crystal (Secs. V-VI), the Fig. 3 collisions and the Fig. 4 edge.
    """
    M: float = 0.7
    lam: float = 0.5
    U0_crystal: float = 4000.0   # the model crystal of Secs. V-VI (diffusion, drag, mobility)
    U0_collision: float = 14000.0  # Fig. 3 head-on collisions
    U0_edge: float = 150.0       # Fig. 4 particle on a cell edge


RODIN2025_PARTICLE = Rodin2025Particle()


@dataclass(frozen=True)
class Rodin2024Model:
    """rodin2024's dimensionless models: framework mass 1/4π², spacing a, Gaussian amplitude Phi0, the
    chain's springs (Fig. 2) and the cubic lattice's k1, k2 (Figs. 4-6).

    Parameters
    ----------
    mass, a, Phi0, k_chain, k1, k2 : float
    """
    mass: float = 1 / FOUR_PI2
    a: float = 2.0
    Phi0: float = 0.01
    k_chain: float = 99 / 4
    k1: float = 15.0
    k2: float = 5.0

    def cubic(self):
        """The rodin2024 cubic lattice as a :class:`CubicModel`.

        Returns
        -------
        CubicModel
        """
        return CubicModel(self.mass, self.a, self.k1, self.k2)


RODIN2024 = Rodin2024Model()


@dataclass(frozen=True)
class Hu2026Model:
    """hu2026 Fig. 4 parameters.

    Parameters
    ----------
    K0, Lambda0 : float
        Coupling and bare barrier (eV).
    n0 : float
        Ions per two-site cell.
    """
    K0: float = 0.5
    Lambda0: float = 0.25
    n0: float = 1.0


HU2026 = Hu2026Model()
