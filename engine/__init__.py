"""cryocosim: discrete-time co-simulation of stepped actors exchanging values on a coupling bus.

The engine is generic: it knows nothing of cryogenics.  The cryogenic models live in
``cryocosim.fmus`` and are found through the ``cryocosim.models`` entry-point group.
"""
__version__ = "0.1.0"

from .actor import Actor  # noqa: E402
from .errors import ConfigurationError, CryocosimError, ModelError, ParameterError, SimulationError  # noqa: E402
from .variables import Causality, Input, Local, Output, Parameter, Variable  # noqa: E402
from .system import System  # noqa: E402
from .results import events_of  # noqa: E402

__all__ = [
    "Actor", "Variable", "Causality", "Parameter", "Input", "Output", "Local", "System", "events_of",
    "CryocosimError", "ConfigurationError", "ParameterError", "ModelError", "SimulationError",
    "__version__",
]
