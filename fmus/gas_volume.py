"""A well-mixed gas volume (the warm high- and low-pressure inventories of seed 000)."""
from __future__ import annotations

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .properties.gas import PROPERTY_BACKEND_PARAMETER, FluidStateError, gas_for


class GasVolume(Actor):
    """A rigid, adiabatic, well-mixed gas volume with mass m and internal energy U as states.

    Mass and energy balances of an open control volume with upwind enthalpies::

        dm/dt = mdot_in - mdot_out
        dU/dt = mdot_in  * (h_in if mdot_in > 0 else h)
              - mdot_out * (h if mdot_out > 0 else h_return)

    Gas leaving through either port carries the volume's own enthalpy h; gas entering through
    the outlet port (mdot_out < 0) carries ``h_return``.  With the flows held over a step, the
    mass is exact, m_new = m + (mdot_in - mdot_out) dt; the energy balance takes the leaving
    gas's enthalpy at the *end* of the step (backward Euler), linearised about the start,
    h_new = h + (dh/du)_rho (u_new - u), (dh/du)_rho = 1 + (dp/dT)_rho / (rho c_v) (gamma for
    an ideal gas), which makes the update one division::

        u_new = (U + dt (E_in - mdot_leaving (h - k u))) / (m_new + dt mdot_leaving k)

    The volume's own outflow relaxes its temperature with the residence time m / mdot (under
    a second here); a start-of-step enthalpy would be explicit Euler on that mode, ringing
    from one step to the next and unstable above twice the residence time.  Implicit, the
    volume is stable at any step, and under iterated coupling (where the neighbours hold
    ``h`` at its end-of-step value) it conserves energy to the linearisation's O(du^2).
    The state then follows from rho = m/V, u = U/m: T from ``Gas.T_from_rho_u`` and p, h from
    the CoolProp Helmholtz equation of state.
    """

    summary = "Well-mixed gas volume: mass and energy balance, real-gas properties"
    headline = ('p', 'T')
    display_units = {"mass": "g"}  # a few grams: in g, not kg
    input_order = 2  # integrates polynomial inputs over a step (_mean_flows)
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
    state_attributes = ("_dh_du",)

    def setup(self) -> None:
        self._gas = gas = gas_for(self, self.fluid)
        try:
            rho = gas.rho_from_p_T(self.p_start, self.T_start)
            p, h, _s, _cp, _cv, u = gas.props_rho_T(rho, self.T_start)
        except FluidStateError as exc:
            # name the start value to blame: T_start outside the fluid's range, else p_start
            if not (gas.Tmin <= self.T_start <= gas.Tmax):
                bad, value = "T_start", f" = {self.T_start:g} K"
            else:
                bad, value = "p_start", f" = {self.p_start:g} Pa (at T_start = {self.T_start:g} K)"
            raise ParameterError.of(self.name, bad, f"{value}: {exc}") from None
        self.mass = rho * self.volume
        self.energy = self.mass * u
        self.rho, self.T, self.p, self.h = rho, self.T_start, p, h
        self._dh_du = gas.dh_du_at_rho_T(rho, self.T_start)

    def _flows(self, mi: float, mo: float, h_in: float, h_return: float) -> tuple[float, float, float]:
        """(net mass flow [kg/s], flow leaving with the own enthalpy [kg/s], enthalpy flow
        entering [W]) for the inputs' values at one instant (upwind enthalpies)."""
        leaving = (mo if mo > 0.0 else 0.0) + (-mi if mi < 0.0 else 0.0)
        entering = (mi * h_in if mi > 0.0 else 0.0) - (mo * h_return if mo < 0.0 else 0.0)
        return mi - mo, leaving, entering

    def _mean_flows(self, h: float) -> tuple[float, float, float]:
        """:meth:`_flows` averaged over a step of inputs given as polynomials (a coupling order
        >= 1, ``input_derivatives``): Simpson's rule, exact for the mass of inputs of degree <= 2
        (a cubic); the upwind products to the rule's O(h^4)."""
        der = self.input_derivatives
        names = ("mdot_in", "mdot_out", "h_in", "h_return")
        base = [getattr(self, n) for n in names]
        d = [der.get(n, (0.0, 0.0)) for n in names]
        total = [0.0, 0.0, 0.0]
        for tau, w in ((0.0, 1.0), (0.5 * h, 4.0), (h, 1.0)):
            vals = [u + tau * (d1 + 0.5 * tau * d2) for u, (d1, d2) in zip(base, d)]
            for i, f in enumerate(self._flows(*vals)):
                total[i] += w * f
        return total[0] / 6.0, total[1] / 6.0, total[2] / 6.0

    def do_step(self, t: float, h: float) -> None:
        if self.input_derivatives:  # inputs as polynomials over the step (coupling order >= 1)
            net, leaving, entering = self._mean_flows(h)
            mass = self.mass + net * h
        else:
            mi, mo = self.mdot_in, self.mdot_out
            mass = self.mass + (mi - mo) * h
            leaving = (mo if mo > 0.0 else 0.0) + (-mi if mi < 0.0 else 0.0)  # kg/s with the own h
            entering = (mi * self.h_in if mi > 0.0 else 0.0) - (mo * self.h_return if mo < 0.0 else 0.0)  # W
        if not mass > 0.0:
            raise ModelError(f"actor '{self.name}': the volume emptied (mass {mass:g} kg)")
        if leaving > 0.0:
            k = self._dh_du
            u1 = (self.energy + h * (entering - leaving * (self.h - k * self.energy / self.mass))) \
                / (mass + h * leaving * k)
            energy = mass * u1
        else:
            energy = self.energy + h * entering
        rho = mass / self.volume
        try:
            T = self._gas.T_from_rho_u(rho, energy / mass, self.T)
            state = self._gas.at_rho_T(rho, T)  # no update: T_from_rho_u left it there
            p, h_gas = state.p(), state.hmass()
            k = self._gas.dh_du_at_rho_T(rho, T)
        except FluidStateError as exc:
            raise ModelError(f"actor '{self.name}': {exc}") from None
        self.mass, self.energy = mass, energy
        self.rho, self.T, self.p, self.h = rho, T, p, h_gas
        self._dh_du = k
