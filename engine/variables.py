"""Declared variables of an actor: name, causality, SI unit, start value, description.

These map one to one onto FMI 2.0 scalar variables (``causality`` parameter/input/output/local,
``variability`` fixed/tunable/continuous), so an actor exports to an FMU without edits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .units import parse_unit


class Causality(str, Enum):
    parameter = "parameter"
    input = "input"
    output = "output"
    local = "local"


@dataclass(frozen=True)
class Variable:
    """One declared variable of an actor.

    ``type`` is ``float``, ``int``, ``bool`` or ``str`` (FMI Real, Integer or Enumeration,
    Boolean, String; native actors use strings for parameters such as a fluid name).
    ``min``/``max`` bound parameter values (checked in :meth:`Actor.__init__`).
    ``tunable`` parameters may be changed by events during a run.
    ``start_is_default``: an input that nothing connects or sets may run at its start value (an
    FMU input with a declared start; a native input declared so); the run notes each such input.
    Without it an unconnected input with no value is an error.
    """

    name: str
    causality: Causality
    unit: str = "1"
    start: Any = 0.0
    description: str = ""
    type: type = float
    min: float | None = None
    max: float | None = None
    tunable: bool = False
    choices: tuple = field(default=())
    #: typical magnitude (FMI ``nominal``, default 1 in the SI unit): the master's absolute error
    #: floor for a coupled Real is ``tolerance * nominal``
    nominal: float | None = None
    #: the items ``((name, value), ...)`` of an FMI Enumeration (``type`` int); empty otherwise
    items: tuple = field(default=())
    #: an input whose start value stands when nothing connects or sets it (noted by the run)
    start_is_default: bool = False

    @property
    def type_name(self) -> str:
        """The FMI type: Real, Integer, Enumeration, Boolean or String."""
        if self.type is float:
            return "Real"
        if self.type is int:
            return "Enumeration" if self.items else "Integer"
        return {bool: "Boolean", str: "String"}.get(self.type, self.type.__name__)

    def __post_init__(self):
        if self.type is float:
            parse_unit(self.unit)  # fail at class definition time on a bad unit


def Parameter(name, unit="1", start=0.0, description="", *, type=None, min=None, max=None,
              tunable=False, choices=()) -> Variable:
    """A parameter; ``tunable=True`` lets events change it during a run."""
    t = type or (str if isinstance(start, str) else bool if isinstance(start, bool) else float)
    return Variable(name, Causality.parameter, unit, start, description, t, min, max, tunable,
                    tuple(choices))


def Input(name, unit="1", start=0.0, description="", *, nominal=None, start_is_default=False) -> Variable:
    """An input: read from the coupling bus before each step.  It must be connected or given a
    value, unless ``start_is_default=True`` declares its start a safe default: then an input left
    alone runs at ``start`` (in ``unit``) and the run notes it (a warning, the result's
    ``unconnected_inputs``)."""
    return Variable(name, Causality.input, unit, float(start), description, nominal=nominal,
                    start_is_default=bool(start_is_default))


def Output(name, unit="1", start=0.0, description="", *, nominal=None) -> Variable:
    """An output: published on the coupling bus after each step; ``nominal`` is its typical
    magnitude in ``unit`` (the step-size control's absolute floor is tolerance * nominal)."""
    return Variable(name, Causality.output, unit, float(start), description, nominal=nominal)


def Local(name, unit="1", start=0.0, description="", *, nominal=None) -> Variable:
    """A recorded internal quantity (a state or diagnostic) that is not coupled."""
    return Variable(name, Causality.local, unit, float(start), description, nominal=nominal)
