"""Load heat exchanger: the cold gas takes the heat of the load (seed 000, Fig. 6 item 192)."""
from __future__ import annotations


from cryocosim import Input, Output, Parameter

from .stream_exchanger import StreamExchanger


class LoadExchanger(StreamExchanger):
    """Cold gas stream warmed by the load, quasi-steady (the thermal mass is the load's).

    The load surface is isothermal at T_load, so (NTU method with C_r = 0, Incropera & DeWitt
    eq. 11.35)::

        eps = 1 - exp(-UA / (mdot cp))
        T_out = T_in + eps (T_load - T_in)
        h_out = h(p, T_out),   heat_load = mdot (h_out - h_in)

    ``heat_load`` is the heat taken from the load (the refrigeration), connected to the load's
    ``heat_removed``.  cp is evaluated at the inlet (p, T_in).  With no forward flow
    (mdot <= 0) the gas passes unchanged and no heat is taken.
    """

    summary = "Load heat exchanger: cold gas stream warmed by the load (eps-NTU)"
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas"),
        Parameter("UA", "W/K", 50.0, "conductance between gas and load", min=0.0),
        Input("mdot", "kg/s", 0.0, "mass flow"),
        Input("p", "Pa", 50662.5, "pressure"),
        Input("T_in", "K", 300.0, "inlet temperature"),
        Input("h_in", "J/kg", 3.11e5, "inlet specific enthalpy"),
        Input("T_load", "K", 300.0, "load temperature"),
        Output("T_out", "K", 300.0, "outlet temperature"),
        Output("h_out", "J/kg", 3.11e5, "outlet specific enthalpy"),
        Output("heat_load", "W", 0.0, "heat taken from the load"),
    )
    default_step = 0.05

    heat_output = "heat_load"
    heat_sign = 1.0

    def wall_temperature(self) -> float:
        return self.T_load
