"""The actor base of the screw compressor and expander: their parameter checks on the
quasi-steady skeleton (the machines' physics: :mod:`cryocosim.fmus.physics.screw_machine`)."""
from __future__ import annotations

import math

from cryocosim import ParameterError

from .quasi_steady import QuasiSteadyGasActor


class ScrewMachine(QuasiSteadyGasActor):
    """Shared life cycle of the screw compressor and expander: an algebraic actor whose outputs
    follow from its inputs each step (``_compute``), with its parameters checked in ``setup``.

    The checks here are those the declarations cannot make (a strict lower bound of 0); the
    declared bounds (``volume_ratio`` >= 1, ``leak_area`` >= 0) are the engine's to check when a
    value is set."""

    def _check_parameters(self) -> None:
        super()._check_parameters()
        checks = (("displacement", self.displacement > 0.0, "> 0 m3"),
                  ("efficiency", 0.0 < self.efficiency <= 1.0, "in (0, 1]"),
                  ("transition_speed", self.transition_speed > 0.0, "> 0 rad/s"))
        for name, ok, rule in checks:
            value = getattr(self, name)
            if not (ok and math.isfinite(value)):
                raise ParameterError.of(self.name, name, f" = {value!r} must be {rule}")
