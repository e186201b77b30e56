"""Compatibility shims for names that moved to :mod:`ionmotion.papers`.

The paper presets and task functions used to live in the physics modules. They now live in
``ionmotion.papers.<paper>``; the old module keeps the old name as a thin, lazy re-export (as
QuantEcon does for moved functions), so that existing chapters and scripts keep running. The
re-export is resolved on first attribute access (PEP 562 ``__getattr__``), so a physics module
never imports the papers layer at import time and no import cycle exists. New code should
import from ``ionmotion.papers``.
"""
import importlib


def moved(module_name, mapping):
    """Return (__getattr__, __dir__) for module `module_name` whose names in `mapping`
    (name -> "ionmotion.papers.<paper>") now live in those modules."""
    def __getattr__(name):
        target = mapping.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        return getattr(importlib.import_module(target), name)

    def __dir__():
        mod = importlib.import_module(module_name)
        return sorted(set(vars(mod)) | set(mapping))

    return __getattr__, __dir__
