"""The skeleton of a quasi-steady gas actor: no state, its outputs an algebraic function of its
inputs and parameters, re-evaluated whenever they may have changed.

The screw machines (:class:`~cryocosim.fmus.base.screw_machine.ScrewMachine`: compressor,
expander) and the stream exchangers
(:class:`~cryocosim.fmus.base.stream_exchanger.StreamExchanger`: aftercooler, load exchanger)
are built on it; each gives only its parameter checks and its outlet state.
"""
from __future__ import annotations

from cryocosim import Actor, ModelError

from ..properties.gas import FluidStateError, gas_for


class QuasiSteadyGasActor(Actor):
    """An actor whose outputs follow from its present inputs (direct feed-through) through a real
    gas (:func:`~cryocosim.fmus.properties.gas.gas_for` of its ``fluid`` parameter), with no state
    of its own.

    Life cycle:

    * :meth:`setup` -- the gas (``self._gas``), then the parameter checks
      (:meth:`_check_parameters`: raise a ParameterError naming the parameter), then the outputs
      from the inputs present;
    * :meth:`do_step` and :meth:`initialize_outputs` -- the outputs from the present inputs
      (idempotent: nothing is stored but the outputs);
    * :meth:`_compute` (the subclass's) -- sets the outputs; a :class:`FluidStateError` it raises
      becomes a one-line :class:`ModelError` naming the actor.
    """

    def setup(self) -> None:
        self._gas = gas_for(self, self.fluid)
        self._check_parameters()
        self._evaluate()

    def _check_parameters(self) -> None:
        """Further parameter checks (override; call ``super()._check_parameters()`` first, and
        raise a ParameterError naming the parameter)."""

    def do_step(self, t: float, h: float) -> None:
        self._evaluate()

    def initialize_outputs(self, t: float) -> None:
        """Outputs from the present inputs (no state): idempotent."""
        self._evaluate()

    def _evaluate(self) -> None:
        try:
            self._compute()
        except FluidStateError as exc:
            raise ModelError(f"actor '{self.name}': {exc}") from None

    def _compute(self) -> None:
        """Set the outputs from the present inputs and parameters (override)."""
        raise NotImplementedError
