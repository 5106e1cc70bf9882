"""An isothermal buffer volume of the hybrid cooler's rectifier (Nellis & Maddocks 2003, seed
001, eq. 13-16)."""
from __future__ import annotations

from cryocosim import Actor, Input, ModelError, Output, Parameter

from .physics.net_flow import net_flow
from .properties.ideal_gas import fluid_parameters, ideal_gas


class BufferVolume(Actor):
    """Isothermal buffer volume of ideal gas at the expansion temperature (seed eq. 13-16)::

        dm/dt = mdot_in - mdot_out,   p = m R T / V

    (eq. 13/14 for the mass; eq. 15/16, dp/dt = R T / V (mdot_in - mdot_out), is its pressure
    form).  With the flows held over a step the mass is linear in time, so each step is
    exact, m(t + h) = m + h (mdot_in - mdot_out), at any step.  High-pressure buffer:
    mdot_in from the high-pressure check valve, mdot_out to the turbine; low-pressure buffer:
    mdot_in from the turbine, mdot_out to the low-pressure check valve.
    """

    summary = "Isothermal ideal-gas buffer volume (hybrid cooler eq. 13-16), exact mass step"
    headline = ('p',)
    display_units = {"mass": "g"}  # a few grams: in g, not kg
    variables = fluid_parameters() + (
        Parameter("volume", "m3", 2.5e-5, "buffer volume V_B", min=1e-12),
        Parameter("temperature", "K", 100.0, "gas temperature (the expansion temperature T_E)", min=1e-3),
        Parameter("p_start", "Pa", 2e6, "initial pressure (the charge pressure)", min=1e-6),
        Input("mdot_in", "kg/s", 0.0, "mass flow in"),
        Input("mdot_out", "kg/s", 0.0, "mass flow out"),
        Output("p", "Pa", 2e6, "pressure"),
        Output("mass", "kg", 0.0, "gas mass"),
    )
    default_step = 2e-5
    input_order = 2  # integrates polynomial flows over a step exactly (physics.net_flow)

    def setup(self) -> None:
        R, _ = ideal_gas(self)
        self._k = R * self.temperature / self.volume
        self.mass = self.p_start / self._k
        self.p = self.p_start

    def do_step(self, t: float, h: float) -> None:
        q, q1, q2 = net_flow(self)
        # the mean of the flows over the step: held, or their polynomial's exact mean
        m = self.mass + h * (q if not (q1 or q2) else q + h * (q1 / 2 + h * q2 / 6))
        if not m > 0.0:
            raise ModelError(f"actor '{self.name}': the buffer emptied (gas {m:g} kg)")
        self.mass = m
        self.p = m * self._k
