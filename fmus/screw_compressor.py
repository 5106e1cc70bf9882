"""Lysholm screw compressor (seed 000: the compressor rotor pair on the common shaft)."""
from __future__ import annotations

import math

from cryocosim import Input, Output, Parameter

from .base.screw_machine import ScrewMachine
from .physics.screw_machine import compression_work, leak_mass_flow, running_weight
from .properties.gas import FLUIDS, PROPERTY_BACKEND_PARAMETER

_ATM = 101325.0
_TWO_PI = 2.0 * math.pi


class ScrewCompressor(ScrewMachine):
    """Oil-cooled Lysholm screw compressor, quasi-steady (algebraic in its inputs).

    Seed 000 (patent, description of Figs. 1-3 and 6): screw compressor on one shaft with the
    screw expander, nitrogen from about 0.5 atm to 1 atm at 10,000 rpm; the casing is cooled
    (cooling chamber 102).  Per revolution the male rotor displaces ``displacement`` of suction
    gas (rho1, T1); the trapped pocket is compressed isentropically by the built-in volume ratio
    vi and then opened to the discharge pressure p2 (see :mod:`.physics.screw_machine`)::

        w_ind   = (u_i - u1) + p2/rho_i - p1/rho1                 indicated work [J/kg]
        w_shaft = w_ind / efficiency    (w_ind * efficiency if w_ind < 0)
        w_stat  = (p_out - p_in) / rho1                           static displacement work
        w       = (1 - f) w_stat + f w_shaft,  f = smoothstep(speed / transition_speed)
        m_disp  = rho1 * displacement * speed / (2 pi)           displaced flow [kg/s]
        m_leak  = nozzle flow through leak_area, discharge -> suction (signed)
        mdot    = m_disp - m_leak
        torque  = rho1 * displacement / (2 pi) * w                 [N.m]
        power   = torque * speed = m_disp * w
        h_out   = h1 + w                (h1 + w m_disp/mdot if leakage runs forward)
        heat_casing = power - max(mdot, 0) (h_out - h1)
                    = (m_disp - max(mdot, 0)) w   (0 if leakage runs forward)

    At rest (f = 0) the torque is the static ``displacement (p_out - p_in) / (2 pi)``: zero at
    equal pressures, resisting when p_out > p_in; from ``transition_speed`` on it is the running
    formula exactly (the blend and its default are explained in :mod:`.physics.screw_machine`).

    The leaked gas is recompressed: its share of the shaft power is rejected to the oil-cooled
    casing (``heat_casing``), so the gas receives exactly ``power - heat_casing``.  Reverse
    leakage takes its upstream state from the discharge side: T(p_out, h_back), rho(p_out, T).
    Gas entering the suction side backwards (mdot < 0) is throttled isenthalpically:
    ``h_return = h_back``.  The suction state is (rho_in, T_in); p_in enters the static torque
    (so that equal input pressures give exactly zero) and gives the density when rho_in is not
    positive.
    """

    summary = "Lysholm screw compressor: built-in volume ratio, real gas, leakage, casing cooling"
    headline = ('mdot', 'power', 'T_out')
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas", choices=FLUIDS),
        PROPERTY_BACKEND_PARAMETER,
        Parameter("displacement", "m3", 2.2e-4,
                  "suction volume displaced per revolution of the male rotor (default: about "
                  "19 g/s of N2 at 0.5 atm, 299 K, 10,000 rpm)", min=0.0),
        Parameter("volume_ratio", "1", 1.64, "built-in volume ratio vi (2**(1/1.4) matches a "
                  "pressure ratio of 2 for a diatomic ideal gas)", min=1.0),
        Parameter("efficiency", "1", 0.75, "indicated work / shaft work (mechanical and "
                  "non-isentropic losses)", min=0.0, max=1.0),
        Parameter("leak_area", "m2", 9.0e-6, "effective clearance area for internal leakage "
                  "(default: volumetric efficiency 0.9 at pressure ratio 2, 10,000 rpm)",
                  min=0.0),
        Parameter("transition_speed", "rad/s", 1000.0 * _TWO_PI / 60.0,
                  "speed from which the running (indicated-work) torque applies; below it the "
                  "torque passes smoothly to the static displacement*(p_out - p_in)/(2 pi) at rest "
                  "(default 1000 rpm: the default leakage at pressure ratio 2 equals the displaced "
                  "flow there)", min=0.0),
        Input("speed", "rad/s", 0.0, "rotor (shaft) speed"),
        Input("p_in", "Pa", 0.5 * _ATM, "suction pressure"),
        Input("T_in", "K", 299.0, "suction temperature"),
        Input("rho_in", "kg/m3", 0.5709362057, "suction density (from the low-pressure volume)"),
        Input("p_out", "Pa", _ATM, "discharge pressure"),
        Input("h_back", "J/kg", 311193.4455,
              "specific enthalpy of the gas on the discharge side (carried by reverse leakage)"),
        Output("mdot", "kg/s", 0.0, "net mass flow suction -> discharge (negative: backwards)"),
        Output("h_out", "J/kg", 3.11e5, "specific enthalpy of the delivered gas"),
        Output("T_out", "K", 300.0, "temperature of the delivered gas at p_out"),
        Output("h_return", "J/kg", 3.11e5,
               "specific enthalpy of gas entering the suction side when mdot < 0"),
        Output("torque", "N.m", 0.0, "shaft torque absorbed"),
        Output("power", "W", 0.0, "shaft power absorbed (torque * speed)"),
        Output("heat_casing", "W", 0.0,
               "shaft power not carried by the net flow, rejected to the oil-cooled casing"),
        Output("eta_vol", "1", 0.0, "volumetric efficiency mdot / displaced flow (0 at rest)"),
    )
    default_step = 0.05
    state_attributes = ()

    def _compute(self) -> None:
        gas = self._gas
        T1, p2, speed = self.T_in, self.p_out, self.speed
        rho1 = self.rho_in if self.rho_in > 0.0 else gas.rho_from_p_T(self.p_in, T1)
        p1, h1, _s1, cp1, cv1, _u1 = gas.props_rho_T(rho1, T1)
        w_static = (p2 - self.p_in) / rho1  # displacement work: D (p_out - p_in) per revolution
        f = running_weight(speed, self.transition_speed)
        if f > 0.0:  # no property calls for the indicated work at rest
            w_ind = compression_work(gas, rho1, T1, p2, self.volume_ratio)[0]
            w_shaft = w_ind / self.efficiency if w_ind >= 0.0 else w_ind * self.efficiency
            w = w_shaft if f == 1.0 else (1.0 - f) * w_static + f * w_shaft
        else:
            w = w_static

        m_disp = rho1 * self.displacement * max(speed, 0.0) / _TWO_PI
        if p2 > p1:  # reverse leakage, upstream = discharge side
            T_b = gas.T_from_p_h(p2, self.h_back, T1 + (self.h_back - h1) / cp1)
            rho_b = gas.rho_from_p_T(p2, T_b)
            m_leak = leak_mass_flow(self.leak_area, p2, rho_b, gas.gamma(rho_b, T_b), p1)
        elif p1 > p2:  # forward leakage, upstream = suction side
            m_leak = -leak_mass_flow(self.leak_area, p1, rho1, cp1 / cv1, p2)
        else:
            m_leak = 0.0
        mdot = m_disp - m_leak

        h_out = h1 + (w * m_disp / mdot if mdot > m_disp else w)
        T_out = gas.T_from_p_h(p2, h_out, T1 + (h_out - h1) / cp1)
        torque = rho1 * self.displacement / _TWO_PI * w
        power = torque * speed

        self.mdot, self.h_out, self.T_out, self.h_return = mdot, h_out, T_out, self.h_back
        self.torque, self.power = torque, power
        # the closed form of power - max(mdot, 0) (h_out - h1): no cancellation against h1 (which
        # would leave round-off noise of ~1e-16 h1 per kg where w is small, near rest)
        self.heat_casing = (m_disp - max(mdot, 0.0)) * w if mdot <= m_disp else 0.0
        self.eta_vol = mdot / m_disp if m_disp > 0.0 else 0.0
