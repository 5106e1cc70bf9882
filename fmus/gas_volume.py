"""A well-mixed gas volume (the warm high- and low-pressure inventories of seed 000)."""
from __future__ import annotations

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .gas import PROPERTY_BACKEND_PARAMETER, FluidStateError, gas_for


class GasVolume(Actor):
    """A rigid, adiabatic, well-mixed gas volume with mass m and internal energy U as states.

    Mass and energy balances of an open control volume with upwind enthalpies::

        dm/dt = mdot_in - mdot_out
        dU/dt = mdot_in  * (h_in if mdot_in > 0 else h)
              - mdot_out * (h if mdot_out > 0 else h_return)

    Gas leaving through either port carries the volume's own enthalpy h; gas entering through
    the outlet port (mdot_out < 0) carries ``h_return``.  One explicit step per ``do_step``
    with h taken at the start of the step (the value the neighbours read from the bus), so the
    coupled system conserves mass and energy exactly: m_new = m + (mdot_in - mdot_out) dt.
    The state then follows from rho = m/V, u = U/m: T from ``Gas.T_from_rho_u`` and p, h from
    ``Gas.props_rho_T`` (CoolProp Helmholtz equation of state).
    """

    summary = "Well-mixed gas volume: mass and energy balance, real-gas properties"
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas"),
        PROPERTY_BACKEND_PARAMETER,
        Parameter("volume", "m3", 0.01, "internal volume", min=1e-12),
        Parameter("p_start", "Pa", 101325.0, "initial pressure", min=1e-12),
        Parameter("T_start", "K", 300.0, "initial temperature", min=1e-3),
        Input("mdot_in", "kg/s", 0.0, "mass flow in through the inlet port"),
        Input("h_in", "J/kg", 3.11e5, "specific enthalpy of the gas entering at the inlet"),
        Input("mdot_out", "kg/s", 0.0, "mass flow out through the outlet port"),
        Input("h_return", "J/kg", 3.11e5,
              "specific enthalpy of gas entering through the outlet port (mdot_out < 0)"),
        Output("p", "Pa", 101325.0, "pressure"),
        Output("T", "K", 300.0, "temperature"),
        Output("rho", "kg/m3", 1.0, "density"),
        Output("h", "J/kg", 3.11e5, "specific enthalpy"),
        Output("mass", "kg", 0.0, "gas mass"),
        Local("energy", "J", 0.0, "internal energy U"),
    )
    default_step = 0.05

    def setup(self) -> None:
        self._gas = gas = gas_for(self, self.fluid)
        try:
            rho = gas.rho_from_p_T(self.p_start, self.T_start)
            p, h, _s, _cp, _cv, u = gas.props_rho_T(rho, self.T_start)
        except FluidStateError as exc:
            # name the start value to blame: T_start outside the fluid's range, else p_start
            if not (gas.Tmin <= self.T_start <= gas.Tmax):
                bad = f"parameter 'T_start' = {self.T_start:g} K"
            else:
                bad = f"parameter 'p_start' = {self.p_start:g} Pa (at T_start = {self.T_start:g} K)"
            raise ParameterError(f"actor '{self.name}': {bad}: {exc}") from None
        self.mass = rho * self.volume
        self.energy = self.mass * u
        self.rho, self.T, self.p, self.h = rho, self.T_start, p, h

    def do_step(self, t: float, h: float) -> None:
        h_own = self.h
        mi, mo = self.mdot_in, self.mdot_out
        mass = self.mass + (mi - mo) * h
        energy = self.energy + (mi * (self.h_in if mi > 0.0 else h_own)
                                - mo * (h_own if mo > 0.0 else self.h_return)) * h
        if not mass > 0.0:
            raise ModelError(f"actor '{self.name}': the volume emptied (mass {mass:g} kg)")
        rho = mass / self.volume
        try:
            T = self._gas.T_from_rho_u(rho, energy / mass, self.T)
            state = self._gas.at_rho_T(rho, T)  # no update: T_from_rho_u left it there
            p, h_gas = state.p(), state.hmass()
        except FluidStateError as exc:
            raise ModelError(f"actor '{self.name}': {exc}") from None
        self.mass, self.energy = mass, energy
        self.rho, self.T, self.p, self.h = rho, T, p, h_gas
