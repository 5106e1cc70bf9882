"""Shared base of the quasi-steady exchangers in which a gas stream meets an isothermal wall,
with the optional pressure drop and heat in-leak they share (the in-leak law:
:mod:`cryocosim.fmus.physics.inleak`)."""
from __future__ import annotations

import math

from cryocosim import ModelError, Output, Parameter, ParameterError

from ..properties.gas import Gas
from .quasi_steady import QuasiSteadyGasActor


#: pressure-drop parameters shared by the stream exchangers (placed among their ``variables``)
PRESSURE_DROP_PARAMETERS = (
    Parameter("dp_nominal", "Pa", 0.0, "friction pressure drop at mdot_nominal (quadratic in "
              "mdot; 0: none)", min=0.0),
    Parameter("mdot_nominal", "kg/s", 0.019, "mass flow at which dp_nominal applies (default: "
              "the seed-000 design flow, about 19 g/s)", min=0.0),
)


def p_out_output(p_start: float):
    """The ``p_out`` output declaration, starting at the exchanger's inlet start pressure [Pa]."""
    return Output("p_out", "Pa", p_start, "outlet pressure p - dp (p without forward flow)")


class StreamExchanger(QuasiSteadyGasActor):
    """A gas stream exchanging heat with a wall at a uniform temperature (eps-NTU, C_r = 0), with
    an optional friction pressure drop and an optional heat in-leak into the stream.

    Subclasses give the wall temperature (:meth:`wall_temperature`), the name of their heat output
    and its sign, and optionally an in-leak (:meth:`inleak`).  Inputs ``mdot``, ``p``, ``T_in``,
    ``h_in``; outputs ``T_out``, ``h_out``, ``p_out``.  With forward flow::

        eps    = 1 - exp(-UA / (mdot cp)),  cp at the inlet (p, T_in)
        T_x    = T_in + eps (T_wall - T_in),  h_x = h(p, T_x)        wall exchange at p
        heat   = heat_sign * mdot (h_x - h_in)
        dp     = dp_nominal (mdot / mdot_nominal)**2,   p_out = p - dp
        Q_inleak = inleak(mdot, cp, T_x)     subclass's in-leak, after the wall exchange
        h_out  = h_x + Q_inleak / mdot,   T_out = T(p_out, h_out)

    The friction pressure drop is adiabatic and isenthalpic (the dissipated work stays in the
    gas), so it changes the outlet temperature (Joule-Thomson) but not the energy balance::

        mdot (h_out - h_in) = heat_sign * heat + Q_inleak         exactly

    With dp_nominal = 0 and no in-leak, T_out = T_x and h_out = h_x (no extra property call).
    The pressure drop ignores the density dependence of friction (dp at fixed geometry scales as
    mdot**2 / rho).  With no forward flow the gas passes unchanged at p_out = p.  Life cycle
    (set-up, steps, a gas state CoolProp rejects): :class:`.QuasiSteadyGasActor`.
    """

    heat_output = "heat"
    heat_sign = 1.0

    def wall_temperature(self) -> float:
        raise NotImplementedError

    def inleak(self, mdot: float, cp: float, T_gas: float) -> float:
        """Heat [W] leaking into the stream of ``mdot`` [kg/s], ``cp`` [J/(kg K)] that leaves the
        wall exchange at ``T_gas`` [K] (override); 0 by default."""
        return 0.0

    def _check_parameters(self) -> None:
        super()._check_parameters()
        # UA >= 0 and dp_nominal >= 0 are also their declared bounds, which the engine checks
        # when a value is set; kept here for a value set directly on the actor
        # (tests/test_stream_exchangers.py asserts these messages)
        if not (self.UA >= 0.0 and math.isfinite(self.UA)):
            raise ParameterError.of(self.name, "UA", f" = {self.UA!r} must be >= 0 W/K")
        if not (self.dp_nominal >= 0.0 and math.isfinite(self.dp_nominal)):
            raise ParameterError.of(self.name, "dp_nominal", f" = {self.dp_nominal!r} "
                                 "must be >= 0 Pa")
        if self.dp_nominal > 0.0 and not self.mdot_nominal > 0.0:
            raise ParameterError.of(self.name, "mdot_nominal", f" = {self.mdot_nominal!r} must be "
                                 "> 0 kg/s when 'dp_nominal' > 0")

    def pressure_drop(self, mdot: float) -> float:
        """Friction pressure drop [Pa] at forward mass flow ``mdot`` [kg/s]."""
        if not (self.dp_nominal > 0.0 and mdot > 0.0):
            return 0.0
        r = mdot / self.mdot_nominal
        return self.dp_nominal * r * r

    def _compute(self) -> None:
        mdot, p, T_in = self.mdot, self.p, self.T_in
        if not mdot > 0.0:
            self.T_out, self.h_out, self.p_out = T_in, self.h_in, p
            setattr(self, self.heat_output, 0.0)
            self._set_inleak(0.0)
            return
        gas: Gas = self._gas
        dp = self.pressure_drop(mdot)
        p_out = p - dp
        if not p_out > 0.0:
            raise ModelError(f"actor '{self.name}': pressure drop {dp:.6g} Pa at mdot={mdot:.6g} kg/s "
                             f"exceeds the inlet pressure {p:.6g} Pa")
        # eps-NTU toward the wall at the inlet pressure (the arithmetic of gas.stream_toward,
        # which does not return the cp the in-leak needs)
        cp = gas.cp_pT(p, T_in)
        eps = -math.expm1(-self.UA / (mdot * cp))
        T_x = T_in + eps * (self.wall_temperature() - T_in)
        h_x = gas.h_pT(p, T_x)
        q_leak = self.inleak(mdot, cp, T_x)
        if dp > 0.0 or q_leak != 0.0:
            h_out = h_x + q_leak / mdot
            T_out = gas.T_from_p_h(p_out, h_out, T_x + q_leak / (mdot * cp))
        else:
            h_out, T_out = h_x, T_x
        self.T_out, self.h_out, self.p_out = T_out, h_out, p_out
        setattr(self, self.heat_output, self.heat_sign * mdot * (h_x - self.h_in))
        self._set_inleak(q_leak)

    def _set_inleak(self, q: float) -> None:
        """Publish the in-leak actually absorbed (subclasses with an in-leak output)."""
