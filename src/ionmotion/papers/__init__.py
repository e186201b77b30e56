"""The four papers' protocols and presets, one module per paper.

* :mod:`ionmotion.papers.constants` - the parameters of the papers' model systems;
* :mod:`ionmotion.papers.rodin2022` - the mobility study's accessible region;
* :mod:`ionmotion.papers.rodin2024` - single-pass dissipation experiments (Figs. 2, 4-6);
* :mod:`ionmotion.papers.rodin2025` - collisions, edge dissipation, window runs, model crystal;
* :mod:`ionmotion.papers.hu2026` - the kinetic Monte Carlo sweeps of "Beyond mean field".

The physics these call is in the modules of :mod:`ionmotion`; nothing in the physics modules
depends on this subpackage except the documented lazy re-exports of moved names. Submodules
load on first access (``ionmotion.papers.rodin2025`` after ``import ionmotion.papers``).
"""
import importlib

__all__ = ["constants", "rodin2022", "rodin2024", "rodin2025", "hu2026"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
