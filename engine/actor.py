"""The stepped actor: the unit of co-simulation.

An actor declares its variables (:mod:`cryocosim.variables`) and implements

* :meth:`Actor.setup` – validate parameters, build internal state (called once before the run
  and again after a parameter change by an event);
* :meth:`Actor.do_step` – advance from ``t`` to ``t + h`` reading its input attributes and
  writing its output attributes;
* :meth:`Actor.get_state` / :meth:`Actor.set_state` – a complete snapshot for rollback.

Every declared variable is a plain attribute of the instance (``self.p_in``, ``self.mdot``),
which is what both the engine's bus and the FMU wrapper read and write.  Internal state that is
not a declared variable is listed in ``state_attributes`` so snapshots are complete.
"""
from __future__ import annotations

import copy
from typing import Any, ClassVar

from .errors import ParameterError
from .units import UnitError, parse_quantity
from .variables import Causality, Variable


class Actor:
    """Base class of every co-simulation actor (native model or wrapped FMU)."""

    #: declared variables, in the order they are exported
    variables: ClassVar[tuple[Variable, ...]] = ()
    #: physical ports: port name -> {role: variable name}; see :meth:`Bus.connect_ports`
    ports: ClassVar[dict[str, dict[str, str]]] = {}
    #: names of internal attributes (not declared variables) that make up the state
    state_attributes: ClassVar[tuple[str, ...]] = ()
    #: default communication step in s (the scenario may override it)
    default_step: ClassVar[float] = 1.0
    #: one-line description used by ``cryocosim describe`` and the FMU's modelDescription
    summary: ClassVar[str] = ""
    #: the outputs a run's summary shows for this actor (a load's temperature, a compressor's flow
    #: and power): :mod:`cryocosim.summary`; none declared, the first Real outputs are shown
    headline: ClassVar[tuple[str, ...]] = ()
    #: the highest time derivative of its Real inputs the actor integrates over a step (0: it
    #: holds each input at its value; 1: linear, 2: quadratic inputs; :mod:`cryocosim.extrapolation`).
    #: Above 0, the master sets :attr:`input_derivatives` before each ``do_step`` under a coupling
    #: order above 0, and the input's value is the polynomial's at the step's start
    input_order: ClassVar[int] = 0

    def __init__(self, name: str = "actor", **parameters: Any):
        self.name = name
        #: input name -> (du/dt [unit/s], d2u/dt2 [unit/s2]) at the start of the coming step, for
        #: an actor with ``input_order`` >= 1 under a coupling order >= 1 (empty: inputs held)
        self.input_derivatives: dict[str, tuple[float, float]] = {}
        for v in self.variables:
            setattr(self, v.name, v.start)
        for key, value in parameters.items():
            self.set_parameter(key, value)

    def advance_inputs(self, dt: float) -> None:
        """Move each input given as a polynomial (:attr:`input_derivatives`) ``dt`` s on along
        it: an actor whose outputs follow its inputs computes them at the end of its step this
        way (``u + u' dt + u'' dt^2/2``)."""
        der = self.input_derivatives
        for name, (d1, d2) in der.items():
            setattr(self, name, getattr(self, name) + dt * (d1 + 0.5 * dt * d2))
            der[name] = (d1 + dt * d2, d2)  # the derivatives there: successive moves compose

    # -- declarations -------------------------------------------------------------------
    @classmethod
    def variable_map(cls) -> dict[str, Variable]:
        cache = cls.__dict__.get("_variable_map")
        if cache is None:
            cache = {v.name: v for v in cls.variables}
            cls._variable_map = cache
        return cache

    @classmethod
    def by_causality(cls, causality: Causality) -> list[Variable]:
        return [v for v in cls.variables if v.causality == causality]

    # -- parameters ---------------------------------------------------------------------
    def set_parameter(self, key: str, value: Any) -> None:
        """Set a parameter, converting ``"0.5 atm"``-style strings to the declared unit."""
        var = self.variable_map().get(key)
        if var is None or var.causality not in (Causality.parameter, Causality.input):
            raise ParameterError(f"actor '{self.name}': unknown parameter '{key}' ({self._known_parameters(key)})")
        setattr(self, key, self.coerce(var, value))

    def _known_parameters(self, key: str) -> str:
        """The parameters to name beside an unknown ``key``: all of a short list; of a long one,
        the close matches and where to find the rest (an error stays one readable line)."""
        import difflib

        names = [v.name for v in self.variables if v.causality == Causality.parameter]
        if len(names) <= 12:
            return f"parameters: {', '.join(names)}"
        close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        return f"{hint}{len(names)} parameters: `cryocosim describe` lists them"

    def coerce(self, var: Variable, value: Any) -> Any:
        from .checks import MAX_MAGNITUDE, describe

        if var.type is str:
            if not isinstance(value, str):
                raise ParameterError.of(self.name, var.name, f" must be a string, got {describe(value)}")
            if var.choices and value not in var.choices:
                raise ParameterError.of(self.name, var.name, f" = {describe(value)} is not one of {', '.join(var.choices)}")
            return value
        if var.type is bool:
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"  # from the command line (--set a.b=true)
            if not isinstance(value, bool):
                raise ParameterError.of(self.name, var.name, f" must be true or false, got {describe(value)}")
            return value
        try:
            x = parse_quantity(value, var.unit)  # also refuses NaN and infinities
        except UnitError as exc:
            raise ParameterError.of(self.name, var.name, f": {exc}") from None
        unit = "" if var.unit == "1" else f" {var.unit}"   # a count or a ratio: no unit shown
        # a whole number in full (2147483648 beside the limit 2147483647, not 2.14748e+09 twice)
        num = (lambda v: f"{int(v)}") if var.type is int else (lambda v: f"{v:g}")  # noqa: E731
        if abs(x) > MAX_MAGNITUDE:
            raise ParameterError.of(self.name, var.name, f" = {x:g}{unit} is absurdly large (limit {MAX_MAGNITUDE:g})")
        if var.min is not None and x < var.min:
            raise ParameterError.of(self.name, var.name, f" = {num(x)}{unit} is below its minimum {num(var.min)}{unit}")
        if var.max is not None and x > var.max:
            raise ParameterError.of(self.name, var.name, f" = {num(x)}{unit} is above its maximum {num(var.max)}{unit}")
        if var.type is int:
            if x != int(x):
                raise ParameterError.of(self.name, var.name, f" = {x:g} must be a whole number")
            return int(x)
        return x

    def parameters(self) -> dict[str, Any]:
        return {v.name: getattr(self, v.name) for v in self.variables if v.causality == Causality.parameter}

    # -- life cycle -----------------------------------------------------------------------
    def setup(self) -> None:
        """Validate parameters and build the internal state (override)."""

    def do_step(self, t: float, h: float) -> None:
        """Advance from ``t`` to ``t + h`` (s) (override)."""
        raise NotImplementedError(f"{type(self).__name__}.do_step")

    def initialize_outputs(self, t: float) -> None:
        """Recompute the outputs from the present inputs and state at time ``t`` (s) without
        advancing the state.

        The master calls it during initialisation, after :meth:`setup`, over and over while it
        iterates the connected values to a fixed point (what an FMI master does in
        initialisation mode with ``initial="calculated"`` outputs), so the first record is a
        consistent state.  Override it in actors whose outputs depend directly on their inputs
        (direct feed-through: a valve, a compressor map, a heat exchanger without storage); an
        actor whose outputs follow from its state alone keeps this default, which does nothing.
        It must be idempotent: calling it twice with the same inputs gives the same outputs.
        """

    def supports_rollback(self) -> bool:
        """True when :meth:`get_state`/:meth:`set_state` capture the whole state (a native actor
        lists its internal state in ``state_attributes``); adaptive steps and iterated coupling
        need it of every actor."""
        return True

    def end_initialization(self) -> None:
        """Called once after the master's initialisation has converged (override when needed;
        an FMU actor leaves FMI initialisation mode here)."""

    def terminate(self) -> None:
        """Release resources (override when needed)."""

    # -- state --------------------------------------------------------------------------------
    @classmethod
    def _state_names(cls) -> tuple[str, ...]:
        """Declared variables that can change during a run: all but the fixed (non-tunable)
        parameters, which are constant once the actor is set up."""
        cache = cls.__dict__.get("_state_name_cache")
        if cache is None:
            cache = tuple(v.name for v in cls.variables
                          if not (v.causality == Causality.parameter and not v.tunable))
            cls._state_name_cache = cache
        return cache

    def get_state(self) -> dict[str, Any]:
        """A complete snapshot: every declared variable that can change during a run (fixed
        parameters cannot) plus ``state_attributes``."""
        snap = {name: getattr(self, name) for name in self._state_names()}
        for name in self.state_attributes:
            snap[name] = copy.deepcopy(getattr(self, name))
        return snap

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a snapshot taken by :meth:`get_state`."""
        deep = self.state_attributes
        for key, value in state.items():
            setattr(self, key, copy.deepcopy(value) if key in deep else value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self.name}'>"
