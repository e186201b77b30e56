"""Physical constants and conversions for the meV–Å–ps unit system.

The book works in meV (energy), Å (length) and ps (time). The derived mass unit is
1 meV·ps²/Å² = 1e-3·e·1e-24 s² / 1e-20 m² / u ≈ 9.6485 Da (e / u in SI).
"""
import math

import numpy as np


def _positive(name, x):
    """x (scalar or array) if every entry is finite and > 0, else ValueError naming it."""
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {x!r}")
    return x

HBAR = 0.6582119569
"""Reduced Planck constant ħ in meV·ps."""
KB = 0.08617333262
"""Boltzmann constant k_B in meV/K."""
KB_EV = 8.617333262e-5
"""Boltzmann constant k_B in eV/K (used by the hopping chapters, which quote energies in eV)."""

_E_CHARGE = 1.602176634e-19  # C
_DALTON = 1.66053906660e-27  # kg

DA_PER_MASS_UNIT = 1e-3 * _E_CHARGE * 1e-24 / 1e-20 / _DALTON
"""Daltons in one meV·ps²/Å² (≈ 9.6485)."""


def mass_from_dalton(m_da):
    """Mass in the book's unit meV·ps²/Å² from Daltons.

    Parameters
    ----------
    m_da : float or array_like
        Mass in Da, > 0.

    Returns
    -------
    float or ndarray
    """
    return _positive("m_da", m_da) / DA_PER_MASS_UNIT


def mass_to_dalton(m):
    """Mass in Daltons from meV·ps²/Å².

    Parameters
    ----------
    m : float or array_like
        Mass in meV·ps²/Å², > 0.

    Returns
    -------
    float or ndarray
    """
    return _positive("m", m) * DA_PER_MASS_UNIT


def kelvin_to_mev(T):
    """Thermal energy k_B T in meV.

    Parameters
    ----------
    T : float or array_like
        Temperature in K, > 0.

    Returns
    -------
    float or ndarray
    """
    return KB * _positive("T", T)


def thermal_frequency(T):
    """Ω_T = k_B T / ħ in ps⁻¹ (rodin2025 Eq. (23)).

    Parameters
    ----------
    T : float or array_like
        Temperature in K, > 0.

    Returns
    -------
    float or ndarray
    """
    return KB * _positive("T", T) / HBAR


def speed_to_m_per_s(v):
    """Speed in m/s from Å/ps (1 Å/ps = 100 m/s).

    Parameters
    ----------
    v : float or array_like

    Returns
    -------
    float or ndarray
    """
    return v * 100.0


MOBILITY_CM2_PER_VS = 1e-16 / 1e-12
"""1 Å²/(V·ps) in cm²/(V·s): 1 Å² = 1e-16 cm² and 1 ps = 1e-12 s, so 1 Å²/(V·ps) = 1e-4 cm²/(V·s)."""
