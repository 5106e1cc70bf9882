"""Screw expander (seed 000: the expander rotor pair on the compressor's shaft)."""
from __future__ import annotations

import math

from cryocosim import Input, Output, Parameter

from .base.screw_machine import ScrewMachine
from .physics.inleak import check_inleak, conduction_inleak, inleak_conductance
from .physics.screw_machine import expansion_work, leak_mass_flow, running_weight
from .properties.gas import FLUIDS, PROPERTY_BACKEND_PARAMETER

_ATM = 101325.0
_TWO_PI = 2.0 * math.pi


class ScrewExpander(ScrewMachine):
    """Lysholm screw expander, adiabatic and quasi-steady (algebraic in its inputs).

    Seed 000 (patent, description of Figs. 6/7): the cold high-pressure gas leaving the
    recuperator (about 185 K, 1 atm) expands to the suction pressure (about 0.5 atm) in a screw
    expander on the compressor's shaft, which recovers the expansion work.  Per revolution the
    rotor admits ``displacement`` of inlet gas (rho4 = rho(p_in, T_in)); the pocket expands
    isentropically by the built-in volume ratio vi and is then opened to the exhaust pressure
    p5 (see :mod:`.physics.screw_machine`)::

        w_out   = (u4 - u_i) + p4/rho4 - p5/rho_i                   indicated work [J/kg]
        w_shaft = efficiency * w_out     (w_out / efficiency if w_out < 0)
        w_stat  = (p_in - p_out) / rho4                            static displacement work
        w       = (1 - f) w_stat + f w_shaft,  f = smoothstep(speed / transition_speed)
        m_disp  = rho4 * displacement * speed / (2 pi)
        m_leak  = nozzle flow through leak_area, inlet -> exhaust (0 if p_out >= p_in)
        mdot    = m_disp + m_leak
        torque  = rho4 * displacement / (2 pi) * w                   delivered to the shaft
        h_out   = (m_disp (h_in - w) + m_leak h_in + heat_bearing) / mdot   (h_in if mdot == 0)
        power   = torque * speed = mdot (h_in - h_out) + heat_bearing

    At rest (f = 0) the torque is the static ``displacement (p_in - p_out) / (2 pi)``: zero at
    equal pressures, driving when p_in > p_out; from ``transition_speed`` on it is the running
    formula exactly (blend and default explained in :mod:`.physics.screw_machine`).  The part of the
    indicated work that does not reach the shaft (friction, heat) stays in the gas; leakage
    bypasses the rotors isenthalpically.

    Bearing heat in-leak (seed 000, Figs. 3/5: oil from the warm pump circulates through the
    expander's bearings 142/144 at the dewar's end, which "may supply heat to the bearings ... to
    keep them temperature stabilized"; hollow shafts and thermal plugs limit, but do not stop,
    the conduction into the cold rotors).  It is conduction from oil at ``T_oil`` and is given as
    ``bearing_heat`` [W] with the inlet gas at ``bearing_T_ref`` (default 185 K, the seed's
    expander inlet), i.e. a conductance G = bearing_heat / (T_oil - bearing_T_ref).  The heat goes
    into the exhaust gas, limited by the stream's capacity (:func:`.physics.inleak.conduction_inleak`)::

        heat_bearing = mdot cp4 (T_oil - T_in) (1 - exp(-G / (mdot cp4)))

    It does not depend on speed (the bearing housing stays warm while the oil is warm; the
    bearings' friction heat belongs to the shaft's friction and is carried off by the oil), it
    vanishes as the cold end warms to ``T_oil``, and at rest only the leakage flow can carry it
    (``heat_bearing`` = 0 without flow: it would warm metal without thermal mass here).
    Default 0 W.  cp4 is the inlet cp (no extra property call).  The outlet may be two-phase
    (T_out is then the saturation temperature).  The speed is assumed non-negative.
    """

    summary = "Lysholm screw expander: built-in volume ratio, real gas, bypass leakage, bearing in-leak"
    headline = ('power', 'T_out')
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas", choices=FLUIDS),
        PROPERTY_BACKEND_PARAMETER,
        Parameter("displacement", "m3", 5.8e-5,
                  "inlet volume admitted per revolution (default: swallows the default "
                  "compressor's flow at 185 K, 1 atm inlet, same speed)", min=0.0),
        Parameter("volume_ratio", "1", 1.64, "built-in volume ratio vi", min=1.0),
        Parameter("efficiency", "1", 0.7, "shaft work / indicated work", min=0.0, max=1.0),
        Parameter("leak_area", "m2", 3.0e-6,
                  "effective clearance area for bypass leakage inlet -> exhaust", min=0.0),
        Parameter("transition_speed", "rad/s", 500.0 * _TWO_PI / 60.0,
                  "speed from which the running (indicated-work) torque applies; below it the "
                  "torque passes smoothly to the static displacement*(p_in - p_out)/(2 pi) at rest "
                  "(default 500 rpm: the default leakage at 1 -> 0.5 atm, 185 K equals the "
                  "displaced flow there)", min=0.0),
        Parameter("bearing_heat", "W", 0.0, "heat in-leak from the oil-warmed bearings into the "
                  "exhaust gas with the inlet at bearing_T_ref (scales with T_oil - T_in)",
                  min=0.0),
        Parameter("T_oil", "K", 300.0, "temperature of the bearing oil (ambient, oil cooler 78)",
                  min=1e-3, tunable=True),
        Parameter("bearing_T_ref", "K", 185.0, "inlet temperature at which the bearing in-leak "
                  "is bearing_heat (seed 000: 185 K at the expander inlet)", min=1e-3),
        Input("speed", "rad/s", 0.0, "expander rotor speed"),
        Input("p_in", "Pa", _ATM, "inlet pressure"),
        Input("T_in", "K", 185.0, "inlet temperature (recuperator hot outlet)"),
        Input("h_in", "J/kg", 191337.2916, "inlet specific enthalpy (recuperator hot outlet)"),
        Input("p_out", "Pa", 0.5 * _ATM, "exhaust pressure"),
        Output("mdot", "kg/s", 0.0, "mass flow inlet -> exhaust (>= 0)"),
        Output("h_out", "J/kg", 191337.2916, "exhaust specific enthalpy (mixed with leakage)"),
        Output("T_out", "K", 185.0, "exhaust temperature at p_out (may be two-phase)"),
        Output("torque", "N.m", 0.0, "torque delivered to the shaft (positive drives it)"),
        Output("power", "W", 0.0, "shaft power delivered (torque * speed)"),
        Output("eta_vol", "1", 0.0, "mdot / displaced flow (0 at rest)"),
        Output("heat_bearing", "W", 0.0, "bearing heat in-leak absorbed by the exhaust gas"),
    )
    default_step = 0.05
    state_attributes = ()

    def _compute(self) -> None:
        gas = self._gas
        p4, T4, h_in, p5, speed = self.p_in, self.T_in, self.h_in, self.p_out, self.speed
        rho4 = gas.rho_from_p_T(p4, T4)
        _p, _h, _s, cp4, cv4, _u = gas.props_rho_T(rho4, T4)
        w_static = (p4 - p5) / rho4  # displacement work: D (p_in - p_out) per revolution
        f = running_weight(speed, self.transition_speed)
        if f > 0.0:  # no property calls for the indicated work at rest
            w_out = expansion_work(gas, rho4, T4, p5, self.volume_ratio)[0]
            w_shaft = w_out * self.efficiency if w_out >= 0.0 else w_out / self.efficiency
            w = w_shaft if f == 1.0 else (1.0 - f) * w_static + f * w_shaft
        else:
            w = w_static

        m_disp = rho4 * self.displacement * max(speed, 0.0) / _TWO_PI
        m_leak = leak_mass_flow(self.leak_area, p4, rho4, cp4 / cv4, p5)
        mdot = m_disp + m_leak
        q_bearing = 0.0
        if self.bearing_heat != 0.0:  # T_oil is tunable: the conductance is computed here
            G = inleak_conductance(self.bearing_heat, self.T_oil, self.bearing_T_ref)
            q_bearing = conduction_inleak(G, mdot, cp4, self.T_oil, T4)
        h_out = (m_disp * (h_in - w) + m_leak * h_in + q_bearing) / mdot if mdot > 0.0 else h_in
        T_out = gas.T_from_p_h(p5, h_out, T4 + (h_out - h_in) / cp4)
        torque = rho4 * self.displacement / _TWO_PI * w

        self.mdot, self.h_out, self.T_out = mdot, h_out, T_out
        self.torque, self.power = torque, torque * speed
        self.eta_vol = mdot / m_disp if m_disp > 0.0 else 0.0
        self.heat_bearing = q_bearing

    def _check_parameters(self) -> None:
        super()._check_parameters()
        check_inleak(self, "bearing_heat", "T_oil", "bearing_T_ref")
