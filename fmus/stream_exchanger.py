"""Shared base of the quasi-steady exchangers in which a gas stream meets an isothermal wall."""
from __future__ import annotations

from cryocosim import Actor, ModelError

from .gas import FluidStateError, gas_for, stream_toward


class StreamExchanger(Actor):
    """A gas stream exchanging heat with a wall at a uniform temperature (eps-NTU, C_r = 0).

    Subclasses give the wall temperature (:meth:`wall_temperature`), the name of their heat output
    and its sign: ``heat = heat_sign * mdot * (h_out - h_in)``.  Inputs ``mdot``, ``p``, ``T_in``,
    ``h_in``; outputs ``T_out``, ``h_out``.  With no forward flow the gas passes unchanged.
    """

    heat_output = "heat"
    heat_sign = 1.0

    def wall_temperature(self) -> float:
        raise NotImplementedError

    def setup(self) -> None:
        self._gas = gas_for(self, self.fluid)
        self.do_step(0.0, 0.0)

    def do_step(self, t: float, h: float) -> None:
        mdot, p, T_in = self.mdot, self.p, self.T_in
        if not mdot > 0.0:
            self.T_out, self.h_out = T_in, self.h_in
            setattr(self, self.heat_output, 0.0)
            return
        try:
            T_out, h_out = stream_toward(self._gas, mdot, p, T_in, self.wall_temperature(), self.UA)
        except FluidStateError as exc:
            raise ModelError(f"actor '{self.name}': {exc}") from None
        self.T_out, self.h_out = T_out, h_out
        setattr(self, self.heat_output, self.heat_sign * mdot * (h_out - self.h_in))
