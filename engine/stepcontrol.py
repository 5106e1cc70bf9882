"""Settings and arithmetic of step-size control and iterated coupling (used by the master).

The coupling error of a zero-order hold
----------------------------------------
Over a communication step a consumer holds each input at the value its producer published at the
start of the step.  The error this makes is proportional to how far the producer's output moves
during the step, so the master measures, for every *coupled* output (one that feeds an input), the
change over each step it takes and weighs it like an ODE solver's local error::

    e_v = |u_v(t + h) - u_v(t)| / (atol_v + rtol * max(|u_v(t)|, |u_v(t + h)|))

``rtol`` is the scenario's ``tolerance``; ``atol_v`` is ``rtol * nominal_v``, where ``nominal_v``
is the variable's declared ``nominal`` (FMI's default 1 in SI units when none is declared), unless
``abs_tolerance`` gives it for the variable (``"actor.variable"``) or for its unit (``"K"``).  A
step is accepted when every e_v <= 1; otherwise the whole system is rolled back and the step is
retried smaller.  The next step is ``h * clamp(safety / e, shrink_limit, growth_limit)`` — the
error of a zero-order hold is first order in h.

Iterated coupling
-----------------
With ``iterate = true`` every step is repeated, from the saved state, with each actor's inputs
held at its producers' values at the *end* of the step, until those values stop changing
(e_v <= 1 between two iterations, with the iteration tolerance): an implicit coupling, stable on
stiff links (a valve between two volumes) where the explicit hold diverges.  Plain fixed-point
iteration fails exactly there (the valve-volume loop's iteration matrix has eigenvalues
+-i sqrt(2 G h / C), outside the unit circle), so the update is the interface quasi-Newton method
with an inverse Jacobian from least squares, IQN-ILS (Degroote, Bathe & Vierendeels, Computers &
Structures 87 (2009) 793), with residuals in units of each variable's tolerance::

    r_k = F(u_k) - u_k;   first step  u_1 = u_0 + relaxation * r_0;   then
    V = [r_k - r_i],  W = [F(u_k) - F(u_i)]  (i < k),   c = argmin |V c + r_k|,
    u_{k+1} = F(u_k) + W c

On a linear coupling of n variables it converges in at most n + 1 iterations.
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
    min_step: float | None = None
    max_step: float | None = None
    safety: float = 0.9
    growth_limit: float = 2.0
    shrink_limit: float = 0.2
    iterate: bool = False
    iteration_tolerance: float | None = None
    max_iterations: int = 20
    relaxation: float = 0.1
    event_tolerance: float = 1e-3

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
        for key, value in self.abs_tolerance.items():
            positive(f"abs_tolerance.{key}", value, allow_none=False)
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
        return rtol * (abs(nominal) if nominal else 1.0)

    def next_factor(self, err: float) -> float:
        """Factor for the next step after a step with weighted error ``err`` (1 = at tolerance)."""
        if err <= 0.0:
            return self.growth_limit
        return min(self.growth_limit, max(self.shrink_limit, self.safety / err))


def weighted_change(new: float, old: float, atol: float, rtol: float) -> float:
    """|new - old| / (atol + rtol max(|new|, |old|)): 1 is at tolerance."""
    d = abs(new - old)
    if d == 0.0:
        return 0.0
    return d / (atol + rtol * max(abs(new), abs(old)))
