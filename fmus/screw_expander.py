"""Screw expander (seed 000: the expander rotor pair on the compressor's shaft)."""
from __future__ import annotations

import math

from cryocosim import Input, Output, Parameter

from .gas import FLUIDS
from .screw_machine import ScrewMachine, expansion_work, leak_mass_flow

_ATM = 101325.0
_TWO_PI = 2.0 * math.pi


class ScrewExpander(ScrewMachine):
    """Lysholm screw expander, adiabatic and quasi-steady (algebraic in its inputs).

    Seed 000 (patent, description of Figs. 6/7): the cold high-pressure gas leaving the
    recuperator (about 185 K, 1 atm) expands to the suction pressure (about 0.5 atm) in a screw
    expander on the compressor's shaft, which recovers the expansion work.  Per revolution the
    rotor admits ``displacement`` of inlet gas (rho4 = rho(p_in, T_in)); the pocket expands
    isentropically by the built-in volume ratio vi and is then opened to the exhaust pressure
    p5 (see :mod:`.screw_machine`)::

        w_out   = (u4 - u_i) + p4/rho4 - p5/rho_i                   indicated work [J/kg]
        w_shaft = efficiency * w_out     (w_out / efficiency if w_out < 0)
        m_disp  = rho4 * displacement * speed / (2 pi)
        m_leak  = nozzle flow through leak_area, inlet -> exhaust (0 if p_out >= p_in)
        mdot    = m_disp + m_leak
        h_out   = (m_disp (h_in - w_shaft) + m_leak h_in) / mdot      (h_in when mdot == 0)
        torque  = rho4 * displacement / (2 pi) * w_shaft             delivered to the shaft
        power   = torque * speed = mdot (h_in - h_out)

    The part of the indicated work that does not reach the shaft (friction, heat) stays in the
    gas; leakage bypasses the rotors isenthalpically.  The outlet may be two-phase (T_out is
    then the saturation temperature).  The speed is assumed non-negative.
    """

    summary = "Lysholm screw expander: built-in volume ratio, real gas, bypass leakage"
    variables = (
        Parameter("fluid", "1", "nitrogen", "working gas", choices=FLUIDS),
        Parameter("displacement", "m3", 5.8e-5,
                  "inlet volume admitted per revolution (default: swallows the default "
                  "compressor's flow at 185 K, 1 atm inlet, same speed)", min=0.0),
        Parameter("volume_ratio", "1", 1.64, "built-in volume ratio vi", min=1.0),
        Parameter("efficiency", "1", 0.7, "shaft work / indicated work", min=0.0, max=1.0),
        Parameter("leak_area", "m2", 3.0e-6,
                  "effective clearance area for bypass leakage inlet -> exhaust", min=0.0),
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
    )
    default_step = 0.05
    state_attributes = ()

    def _compute(self) -> None:
        gas = self._gas
        p4, T4, h_in, p5, speed = self.p_in, self.T_in, self.h_in, self.p_out, self.speed
        rho4 = gas.rho_from_p_T(p4, T4)
        _p, _h, _s, cp4, cv4, _u = gas.props_rho_T(rho4, T4)
        w_out = expansion_work(gas, rho4, T4, p5, self.volume_ratio)[0]
        w_shaft = w_out * self.efficiency if w_out >= 0.0 else w_out / self.efficiency

        m_disp = rho4 * self.displacement * max(speed, 0.0) / _TWO_PI
        m_leak = leak_mass_flow(self.leak_area, p4, rho4, cp4 / cv4, p5)
        mdot = m_disp + m_leak
        h_out = (m_disp * (h_in - w_shaft) + m_leak * h_in) / mdot if mdot > 0.0 else h_in
        T_out = gas.T_from_p_h(p5, h_out, T4 + (h_out - h_in) / cp4)
        torque = rho4 * self.displacement / _TWO_PI * w_shaft

        self.mdot, self.h_out, self.T_out = mdot, h_out, T_out
        self.torque, self.power = torque, torque * speed
        self.eta_vol = mdot / m_disp if m_disp > 0.0 else 0.0
