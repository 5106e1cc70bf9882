"""Aftercooler: rejects the heat of compression to the ambient sink (seed 000, Fig. 6 item 184)."""
from __future__ import annotations


from cryocosim import Input, Output, Parameter

from .base.stream_exchanger import PRESSURE_DROP_PARAMETERS, StreamExchanger, p_out_output
from .properties.gas import PROPERTY_BACKEND_PARAMETER


class Aftercooler(StreamExchanger):
    """Gas cooled toward a sink at uniform temperature, quasi-steady (no thermal mass).

    Effectiveness of a stream exchanging with an isothermal sink (the NTU method, e.g.
    Incropera & DeWitt, *Fundamentals of Heat and Mass Transfer*, eq. 11.35 with C_r = 0)::

        eps = 1 - exp(-UA / (mdot cp))
        T_x = T_in - eps (T_in - T_sink)
        h_x = h(p, T_x),   heat_rejected = mdot (h_in - h_x)

    cp is evaluated at the inlet (p, T_in).  Optional friction pressure drop
    ``dp = dp_nominal (mdot/mdot_nominal)**2`` (default 0): the gas leaves at p_out = p - dp with
    h_out = h_x (isenthalpic, so mdot (h_in - h_out) = heat_rejected exactly) and
    T_out = T(p_out, h_out); without it T_out = T_x (see :class:`.base.stream_exchanger.StreamExchanger`).  With no
    forward flow (mdot <= 0) the gas passes unchanged and no heat is rejected.  ``T_sink`` is
    tunable (a cooling-water upset).
    """

    summary = "Aftercooler: gas stream cooled toward a sink temperature (eps-NTU)"
    headline = ('heat_rejected', 'T_out')
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas"),
        PROPERTY_BACKEND_PARAMETER,
        Parameter("UA", "W/K", 200.0, "overall conductance", min=0.0),
        Parameter("T_sink", "K", 300.0, "sink (cooling water / ambient) temperature", min=1e-3,
                  tunable=True),
        *PRESSURE_DROP_PARAMETERS,
        Input("mdot", "kg/s", 0.0, "mass flow"),
        Input("p", "Pa", 101325.0, "inlet pressure"),
        Input("T_in", "K", 300.0, "inlet temperature"),
        Input("h_in", "J/kg", 3.11e5, "inlet specific enthalpy"),
        Output("T_out", "K", 300.0, "outlet temperature"),
        Output("h_out", "J/kg", 3.11e5, "outlet specific enthalpy"),
        Output("heat_rejected", "W", 0.0, "heat rejected to the sink"),
        p_out_output(101325.0),
    )
    default_step = 0.05

    heat_output = "heat_rejected"
    heat_sign = -1.0

    def wall_temperature(self) -> float:
        return self.T_sink
