"""cryocosim: discrete-time co-simulation of stepped actors exchanging values on a coupling bus.

The engine is generic: it knows nothing of cryogenics.  The cryogenic models live in
``cryocosim.fmus`` and are found through the ``cryocosim.models`` entry-point group.
"""
__version__ = "0.1.0"

from .actor import Actor  # noqa: E402
from .errors import ConfigurationError, CryocosimError, ModelError, ParameterError, SimulationError  # noqa: E402
from .variables import Causality, Input, Local, Output, Parameter, Variable  # noqa: E402

# System and events_of bring in simpy, numpy and xarray (about 0.7 s): imported on first use, so
# that `cryocosim --help` and the models' own imports stay light (PEP 562)
_LAZY = {"System": ".system", "events_of": ".results"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Actor", "Variable", "Causality", "Parameter", "Input", "Output", "Local", "System", "events_of",
    "CryocosimError", "ConfigurationError", "ParameterError", "ModelError", "SimulationError",
    "__version__",
]
