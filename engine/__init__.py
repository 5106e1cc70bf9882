"""cryocosim: discrete-time co-simulation of stepped actors exchanging values on a coupling bus.

The engine is generic: it knows nothing of cryogenics.  The cryogenic models live in
``cryocosim.fmus`` and are found through the ``cryocosim.models`` entry-point group.
"""
from .actor import Actor
from .errors import ConfigurationError, CryocosimError, ModelError, ParameterError, SimulationError
from .variables import Causality, Input, Local, Output, Parameter, Variable

__version__ = "0.1.0"

__all__ = [
    "Actor", "Variable", "Causality", "Parameter", "Input", "Output", "Local",
    "CryocosimError", "ConfigurationError", "ParameterError", "ModelError", "SimulationError",
    "__version__",
]
