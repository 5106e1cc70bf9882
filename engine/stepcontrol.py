"""Settings and arithmetic of step-size control and iterated coupling (used by the macro stepper).

The coupling error of a zero-order hold
----------------------------------------
Over a communication step a consumer holds each input at the value its producer published at the
start of the step.  The error this makes is proportional to how far the producer's output moves
during the step, so the master measures, for every *coupled* output (one that feeds an input), the
change over each step it takes and weighs it like an ODE solver's local error::

    e_v = |u_v(t + h) - u_v(t)| / (atol_v + rtol * max(|u_v(t)|, |u_v(t + h)|))

``rtol`` is the scenario's ``tolerance``; ``atol_v`` is ``rtol * nominal_v``, where ``nominal_v``
is the variable's typical magnitude: ``[run] nominal`` for the variable (``"actor.variable"``) or
its unit (``"kg/s"``), else its declared FMI ``nominal`` (1 in SI units when none is declared);
``abs_tolerance`` gives ``atol_v`` itself, for the variable or its unit.  A
step is accepted when every e_v <= 1; otherwise the whole system is rolled back and the step is
retried smaller.  The next step is ``h * clamp(safety / e, shrink_limit, growth_limit)`` — the
error of a zero-order hold is first order in h.

Iterated coupling
-----------------
With ``iterate = true`` every actor holds its inputs over a step at its producers' values at the
*end* of the step (a backward-Euler coupling: stable on stiff links — a compressor between two
volumes, a valve between two volumes, a motor on a light shaft — at steps far above their time
constants, where the explicit hold diverges).  Those end values ``x`` are the fixed point of
``F(x)``: what the actors, each run from the saved state with its inputs held at ``x``, put out at
the end of the step.  The master solves ``F(x) = x`` by Newton's method::

    x_{k+1} = x_k + relaxation * (I - J)^-1 (F(x_k) - x_k),    J = dF/dx

from a linear extrapolation of the last two steps.  With inputs held, the actors are independent
over the step, so ``J`` is found by forward differences one actor and one of its sources at a
time (as many actor steps as there are connections, not a whole-system step per variable), kept
for later steps within a factor 2 of its step length and refreshed along the way by Broyden's
update; it is recomputed when convergence slows (residual not down by 4 per iteration).  An
update that makes a model fail or the residual grow is halved.  Convergence: every
``|F(x) - x|`` within the iteration tolerance (``iteration_tolerance``, default a tenth of
``tolerance``).  (Plain fixed-point iteration fails on these links: the valve-volume loop's
iteration matrix has eigenvalues +-i sqrt(2 G h / C), outside the unit circle.)

The local error of an iterated step is the distance of the converged outputs from the
predictor: after a linear prediction ``x_{n+1} - x_pred = h (h + h_prev) u''/2``, of which the
backward-Euler error ``h^2 u''/2`` is the part ``h / (h + h_prev)``; it grows as h**2, so the
next step is ``h * clamp(safety * e**-1/2, ...)``.  A step that does not converge is retried
smaller down to the scenario's own step; at or below it the step is taken explicitly instead
(inputs held at their start values; counted in ``explicit_steps`` and warned about), which is
stable there — flows that cross zero at a standstill switch the upwind side of every exchanger
and can keep Newton from converging at any step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import ConfigurationError


@dataclass
class StepControl:
    """How the master chooses its communication steps and whether it iterates them.

    ``tolerance`` None (or 0) keeps the fixed steps of the scenario; otherwise it is the relative
    tolerance of the coupling error.  ``min_step``/``max_step`` bound the step of the fastest actor
    (the others keep their ratio to it); None: 1e-4 and 1e3 times its nominal step.
    """

    tolerance: float | None = None
    abs_tolerance: dict[str, float] = field(default_factory=dict)
    nominal: dict[str, float] = field(default_factory=dict)
    min_step: float | None = None
    max_step: float | None = None
    safety: float = 0.9
    growth_limit: float = 2.0
    shrink_limit: float = 0.2
    iterate: bool = False
    iteration_tolerance: float | None = None
    max_iterations: int = 20
    relaxation: float = 1.0
    event_tolerance: float = 1e-3
    #: inputs over a step as polynomials of this degree through the last communication points (0:
    #: held, 1: linear, 2: quadratic; cryocosim.extrapolation) for the actors that can integrate
    #: them (Actor.input_order); per actor in ``coupling_orders``
    coupling_order: int = 0
    coupling_orders: dict[str, int] = field(default_factory=dict)

    @property
    def adaptive(self) -> bool:
        return bool(self.tolerance)

    @property
    def active(self) -> bool:
        return self.adaptive or self.iterate

    def check(self, where: str = "[run]") -> "StepControl":
        def positive(name, value, allow_none=True):
            if value is None and allow_none:
                return
            if not (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and math.isfinite(value) and value > 0):
                raise ConfigurationError(f"{where}: key '{name}' must be a positive number, got {value!r}")

        if self.tolerance is not None and self.tolerance != 0:
            positive("tolerance", self.tolerance)
            if self.tolerance >= 1:
                raise ConfigurationError(f"{where}: key 'tolerance' is relative and must be below 1, got {self.tolerance!r}")
        positive("min_step", self.min_step)
        positive("max_step", self.max_step)
        positive("iteration_tolerance", self.iteration_tolerance)
        positive("event_tolerance", self.event_tolerance, allow_none=False)
        if self.min_step and self.max_step and self.min_step > self.max_step:
            raise ConfigurationError(f"{where}: min_step {self.min_step:g} s is above max_step {self.max_step:g} s")
        if not (isinstance(self.max_iterations, int) and 1 <= self.max_iterations <= 1000):
            raise ConfigurationError(f"{where}: key 'max_iterations' must be a whole number 1-1000")
        if not (0 < self.relaxation <= 1):
            raise ConfigurationError(f"{where}: key 'relaxation' must be in (0, 1], got {self.relaxation!r}")
        for key, value in [("coupling_order", self.coupling_order),
                           *((f"coupling_order.{k}", v) for k, v in self.coupling_orders.items())]:
            if value not in (0, 1, 2) or isinstance(value, bool):
                raise ConfigurationError(f"{where}: key '{key}' must be 0, 1 or 2, got {value!r}")
        for key, value in self.abs_tolerance.items():
            positive(f"abs_tolerance.{key}", value, allow_none=False)
        for key, value in self.nominal.items():
            positive(f"nominal.{key}", value, allow_none=False)
        return self

    def rtol(self) -> float:
        return self.tolerance or self.iteration_tolerance or 1e-6

    def iteration_rtol(self) -> float:
        return self.iteration_tolerance or (self.tolerance * 0.1 if self.tolerance else 1e-6)

    def atol(self, key: str, unit: str, nominal: float, rtol: float) -> float:
        """Absolute floor of variable ``key`` ("actor.variable") of ``unit``."""
        if key in self.abs_tolerance:
            return self.abs_tolerance[key]
        if unit in self.abs_tolerance:
            return self.abs_tolerance[unit]
        nominal = self.nominal.get(key, self.nominal.get(unit, nominal))
        return rtol * (abs(nominal) if nominal else 1.0)

    def next_factor(self, err: float, order: int = 1) -> float:
        """Factor for the next step after a step with weighted error ``err`` (1 = at tolerance)
        when the error grows as h**order."""
        if err <= 0.0:
            return self.growth_limit
        return min(self.growth_limit, max(self.shrink_limit, self.safety * err ** (-1.0 / order)))


class Reject(Exception):
    """A macro step whose coupling error is above tolerance (or whose models failed): roll back.

    ``err``: the weighted error (1 = tolerance; inf for a failure), ``cause``: the failure,
    ``key``: what was above tolerance (``"actor.output"``, ``"coupling iteration"``)."""

    # simpy re-raises a process's exception rebuilt from its args: keep everything in them
    def __init__(self, err: float, cause: BaseException | None = None, key: str | None = None):
        super().__init__(err, cause, key)

    err = property(lambda self: self.args[0])
    cause = property(lambda self: self.args[1])
    key = property(lambda self: self.args[2])


def weighted_change(new: float, old: float, atol: float, rtol: float) -> float:
    """|new - old| / (atol + rtol max(|new|, |old|)): 1 is at tolerance."""
    d = abs(new - old)
    if d == 0.0:
        return 0.0
    return d / (atol + rtol * max(abs(new), abs(old)))
