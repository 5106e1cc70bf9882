"""Load heat exchanger: the cold gas takes the heat of the load (seed 000, Fig. 6 item 192)."""
from __future__ import annotations


from cryocosim import Input, Output, Parameter

from .base.stream_exchanger import PRESSURE_DROP_PARAMETERS, StreamExchanger, p_out_output
from .physics.inleak import check_inleak, conduction_inleak, inleak_conductance
from .properties.gas import PROPERTY_BACKEND_PARAMETER


class LoadExchanger(StreamExchanger):
    """Cold gas stream warmed by the load and by the cold box's heat in-leak, quasi-steady (the
    thermal mass is the load's).

    The load surface is isothermal at T_load, so (NTU method with C_r = 0, Incropera & DeWitt
    eq. 11.35)::

        eps = 1 - exp(-UA / (mdot cp))
        T_x = T_in + eps (T_load - T_in)
        h_x = h(p, T_x),   heat_load = mdot (h_x - h_in)

    ``heat_load`` is the heat taken from the load (the refrigeration), connected to the load's
    ``heat_removed``.  cp is evaluated at the inlet (p, T_in).

    Cold-box in-leak (seed 000: the dewar 140 insulates the cold parts "with a minimum amount of
    heat conducted and radiated into" them): conduction along supports and piping plus radiation
    through the insulation, from surroundings at ``T_ambient`` into the cold stream.  It is
    linear in the temperature difference (conduction-dominated; radiation linearised), given as
    ``inleak_heat`` [W] with the gas at ``inleak_T_ref`` (default 184 K, the seed's gas leaving
    the load, point 6), i.e. a conductance G = inleak_heat / (T_ambient - inleak_T_ref), limited
    by the stream's capacity (:func:`.physics.inleak.conduction_inleak`) and acting on the gas as it leaves the
    load exchange at T_x (so the outlet does not exceed T_ambient, even at a trickle of flow)::

        heat_inleak = mdot cp (T_ambient - T_x) (1 - exp(-G / (mdot cp)))
        h_out = h_x + heat_inleak / mdot,   T_out = T(p_out, h_out)

    so ``mdot (h_out - h_in) = heat_load + heat_inleak`` exactly.  The in-leak enters after the
    load exchange (it does not reduce ``heat_load``); it vanishes as the cold parts reach
    ambient temperature, and with no forward flow it is not absorbed (``heat_inleak`` = 0: it
    would warm metal without thermal mass here).  Default 0 W.  Optional pressure drop
    ``dp_nominal`` (see :class:`.base.stream_exchanger.StreamExchanger`).  With no forward flow (mdot <= 0) the gas
    passes unchanged and no heat is taken.
    """

    summary = "Load heat exchanger: cold gas stream warmed by the load (eps-NTU), cold-box in-leak"
    headline = ('heat_load',)
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas"),
        PROPERTY_BACKEND_PARAMETER,
        Parameter("UA", "W/K", 50.0, "conductance between gas and load", min=0.0),
        Parameter("inleak_heat", "W", 0.0, "cold-box conduction/radiation heat in-leak into the "
                  "cold stream with the gas at inleak_T_ref (scales with T_ambient - T_gas)",
                  min=0.0),
        Parameter("T_ambient", "K", 300.0, "temperature of the cold box's surroundings",
                  min=1e-3, tunable=True),
        Parameter("inleak_T_ref", "K", 184.0, "temperature of the gas leaving the load exchange "
                  "at which the in-leak is inleak_heat (seed 000: 184 K, point 6)", min=1e-3),
        *PRESSURE_DROP_PARAMETERS,
        Input("mdot", "kg/s", 0.0, "mass flow"),
        Input("p", "Pa", 50662.5, "inlet pressure"),
        Input("T_in", "K", 300.0, "inlet temperature"),
        Input("h_in", "J/kg", 3.11e5, "inlet specific enthalpy"),
        Input("T_load", "K", 300.0, "load temperature"),
        Output("T_out", "K", 300.0, "outlet temperature"),
        Output("h_out", "J/kg", 3.11e5, "outlet specific enthalpy"),
        Output("heat_load", "W", 0.0, "heat taken from the load"),
        Output("heat_inleak", "W", 0.0, "cold-box in-leak absorbed by the stream"),
        p_out_output(50662.5),
    )
    default_step = 0.05

    heat_output = "heat_load"
    heat_sign = 1.0

    def wall_temperature(self) -> float:
        return self.T_load

    def _check_parameters(self) -> None:
        super()._check_parameters()
        check_inleak(self, "inleak_heat", "T_ambient", "inleak_T_ref")

    def inleak(self, mdot: float, cp: float, T_gas: float) -> float:
        if self.inleak_heat == 0.0:
            return 0.0
        G = inleak_conductance(self.inleak_heat, self.T_ambient, self.inleak_T_ref)
        return conduction_inleak(G, mdot, cp, self.T_ambient, T_gas)

    def _set_inleak(self, q: float) -> None:
        self.heat_inleak = q
