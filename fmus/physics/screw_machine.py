"""Shared physics of positive-displacement screw machines (Lysholm compressor and expander).

Functions, not actors: :mod:`cryocosim.fmus.screw_compressor` and
:mod:`cryocosim.fmus.screw_expander` build on them (their common actor base is
:class:`cryocosim.fmus.base.screw_machine.ScrewMachine`).  Real-gas properties come from
:class:`cryocosim.fmus.properties.gas.Gas`; all quantities SI (Pa, K, kg/m3, J/kg, m2, kg/s).

Indicated work with a built-in volume ratio vi (seed 000, description of Figs. 6/7: the screw
pair traps a pocket, changes its volume by the fixed ratio vi with the ports closed, then opens
it to the discharge/exhaust pressure, which may differ from the pocket pressure: under- or
over-compression losses appear automatically).  For a pocket of unit mass:

* compression, suction (rho1, T1) -> closed isentropic compression to rho_i = vi rho1 ->
  discharge against p2::

      w_ind = (u_i - u1) + p2 v_i - p1 v1          (= h_i - h1 when p_i == p2)

* expansion, inlet (rho4, T4) -> closed isentropic expansion to rho_i = rho4/vi -> exhaust
  against p5::

      w_out = (u4 - u_i) + p4 v4 - p5 v_i

Leakage through the rotor clearances: isentropic compressible nozzle of effective area A,
upstream gamma (e.g. Shapiro, *Compressible Fluid Flow*, ch. 4)::

      m = A sqrt(2 g/(g-1) p_up rho_up (r**(2/g) - r**((g+1)/g))),
      r = max(p_down/p_up, (2/(g+1))**(g/(g-1)))   (choked below the critical ratio)

times sqrt(dp / hypot(dp, dp_laminar)), dp = p_up - p_down: at vanishing pressure difference a
clearance flow is viscous, linear in dp, not the nozzle's sqrt(dp) with its infinite slope at
dp = 0 (on which a standstill, where the two sides equalise through the leaks, chatters); the
factor is 1 - O((dp_laminar/dp)^2) above ``LAMINAR_DP`` = 100 Pa (1e-3 of the operating
pressures: within 1e-6 at the running pressure differences of tens of kPa).

Torque from rest to running speed.  At rest the rotors carry only the static torque of the port
pressures acting on the displacement, ``D (p_high - p_low) / (2 pi)`` (the work of displacing the
volume D per revolution against the pressure difference; zero at equal pressures): friction and
stiction belong to the shaft.  The running torque is the indicated work above with the built-in
volume ratio and the machine's efficiency.  Between the two the pockets cannot hold their
internal compression: at low speed the clearance leakage fills or empties a closed pocket faster
than the rotors change its volume, so its pressure follows the port pressures (effective vi -> 1,
for which the indicated work *is* the static work ``(p2 - p1)/rho1``), and the speed-dependent
losses lumped in the efficiency vanish.  The specific shaft work is therefore blended::

      w = (1 - f) w_static + f w_running,
      f = x**2 (3 - 2 x),   x = min(speed / transition_speed, 1)

a cubic "smoothstep": f(0) = 0, f = 1 at and above ``transition_speed``, continuous with a
continuous slope, so the torque has no jump (nor kink) the shaft integrator could chatter on.
The default ``transition_speed`` of each machine is the speed at which its default clearance
leakage at the design pressure ratio equals the displaced flow (volumetric efficiency -> 0):
1000 rpm for the compressor, 500 rpm for the expander.  Mass flows are unchanged by the blend and
every energy identity uses the blended ``w``.
"""
from __future__ import annotations

import math

from ..properties.gas import Gas


def compression_work(gas: Gas, rho1: float, T1: float, p2: float, vi: float
                     ) -> tuple[float, float, float]:
    """Indicated specific work [J/kg] of a screw compressor with built-in volume ratio vi.

    Suction state (rho1 [kg/m3], T1 [K]), discharge pressure p2 [Pa].  Returns
    ``(w_ind, p_i, T_i)``: the work per kg displaced and the pocket pressure [Pa] and
    temperature [K] at the end of the closed (isentropic) compression.
    """
    p1, _h1, s1, _cp, _cv, u1 = gas.props_rho_T(rho1, T1)
    rho_i = rho1 * vi
    T_i = gas.T_isentropic_rho(rho_i, s1, T1 * vi ** 0.4)
    p_i, _h, _s, _cp, _cv, u_i = gas.props_rho_T(rho_i, T_i)
    w = (u_i - u1) + p2 / rho_i - p1 / rho1
    return w, p_i, T_i


def expansion_work(gas: Gas, rho4: float, T4: float, p5: float, vi: float
                   ) -> tuple[float, float, float]:
    """Indicated specific work [J/kg] delivered by a screw expander with volume ratio vi.

    Inlet state (rho4 [kg/m3], T4 [K]), exhaust pressure p5 [Pa].  Returns
    ``(w_out, p_i, T_i)``: the work per kg displaced and the pocket pressure [Pa] and
    temperature [K] at the end of the closed (isentropic) expansion.
    """
    p4, _h4, s4, _cp, _cv, u4 = gas.props_rho_T(rho4, T4)
    rho_i = rho4 / vi
    T_i = gas.T_isentropic_rho(rho_i, s4, T4 * vi ** -0.4)
    p_i, _h, _s, _cp, _cv, u_i = gas.props_rho_T(rho_i, T_i)
    w = (u4 - u_i) + p4 / rho4 - p5 / rho_i
    return w, p_i, T_i


def critical_pressure_ratio(g: float) -> float:
    """Critical (choking) pressure ratio p_down/p_up of an isentropic nozzle, gamma g."""
    return (2.0 / (g + 1.0)) ** (g / (g - 1.0))


#: pressure difference [Pa] below which clearance leakage turns from nozzle flow to viscous flow
LAMINAR_DP = 100.0


def leak_mass_flow(area: float, p_up: float, rho_up: float, g: float, p_down: float) -> float:
    """Mass flow [kg/s] through a clearance of effective area [m2]; zero if p_up <= p_down.

    Upstream stagnation state p_up [Pa], rho_up [kg/m3], ratio of specific heats g; nozzle flow,
    linear in the pressure difference below ``LAMINAR_DP`` (see the module's docstring).
    """
    if area <= 0.0 or p_up <= p_down:
        return 0.0
    r = max(p_down / p_up, critical_pressure_ratio(g))
    psi = r ** (2.0 / g) - r ** ((g + 1.0) / g)
    dp = p_up - p_down
    return area * math.sqrt(2.0 * g / (g - 1.0) * p_up * rho_up * max(psi, 0.0) * dp / math.hypot(dp, LAMINAR_DP))


def running_weight(speed: float, transition_speed: float) -> float:
    """Weight f [1] of the running (indicated-work) torque against the static one: the cubic
    smoothstep x**2 (3 - 2x) of x = speed / transition_speed, 0 at rest, 1 from
    ``transition_speed`` [rad/s] on (exactly), continuous with a continuous derivative."""
    if speed >= transition_speed:
        return 1.0
    if not speed > 0.0:
        return 0.0
    x = speed / transition_speed
    return x * x * (3.0 - 2.0 * x)
