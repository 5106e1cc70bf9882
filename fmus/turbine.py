"""The reverse-Brayton turbine of the hybrid cooler (Nellis & Maddocks 2003, seed 001, eq. 21,
38), with an optional rotor (the speed fluctuation the paper's section 4 worries about) and a
stall/seize option."""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Local, ModelError, Output, Parameter, ParameterError

from .physics.exponential import chi, phi1, phi2
from .properties.ideal_gas import fluid_parameters, ideal_gas


class Turbine(Actor):
    """Turbine between the high- and low-pressure buffers: a nozzle flow characteristic
    (seed eq. 21) and the isentropic expansion power (eq. 38)::

        mdot = p_in/(R T_in) a_t sqrt(2 c_p T_in (1 - (p_out/p_in)^((gamma-1)/gamma)))   (eq. 21)
        dh_s = c_p T_in (1 - (p_out/p_in)^((gamma-1)/gamma)),  power = eta mdot dh_s      (eq. 38)
        T_out = T_in - power / (mdot c_p)

    (eta = ``efficiency``, 1: the paper's reversible turbine; a reversed pressure ratio, only
    in transients, drives the same nozzle backwards, fed from the outlet side, as in
    ``fmus/reference/hybrid.py``; its power is counted on |mdot|).  The flow does not depend on the
    speed (the paper's nozzle characteristic).

    Rotor (``inertia`` > 0; 0: none, the turbine always at its design point as in the paper):
    an impulse wheel of radius r whose jet leaves the nozzle at c = sqrt(2 dh_s) takes the
    torque T_g = 2 eta |mdot| r (c - r w) (power T_g w, at most eta mdot dh_s, reached at the
    design speed r w = c/2; the rest of the jet's energy stays in the gas), against a
    generator/brake torque b w (``load_coefficient``) and Coulomb friction T_c::

        J dw/dt = 2 eta |mdot| r (c - r w) - b w - T_c,   w >= 0

    Linear in w with constant coefficients for held inputs, so every step is exact (as in
    ``fmus/shaft.py``): w(t) = w0 e^-x + (A t/J) (1 - e^-x)/x, x = k t/J, A = 2 eta |mdot| r c
    - T_c, k = 2 eta |mdot| r^2 + b; the mean shaft power over the step, T_g w, follows from the
    exact integrals of w and w^2, and the gas gives up exactly that enthalpy.  At steady flow
    the speed settles at w = A/k with the time constant J/k; a driving pressure that swings over
    the Stirling cycle moves A/k, and the speed follows it the less, the longer J/k is against
    the cycle (b = 2 eta mdot r^2 puts the mean speed at the design point).

    Stall: ``seized`` (tunable: an event can seize and release the rotor) locks the rotor and
    chokes the flow to ``leak_fraction`` of the nozzle flow (0: it stops); power 0, T_out = T_in
    (throttling of an ideal gas).  With a rotor, a rotor that comes to rest (overload: a load
    torque raised by an event, friction) is stalled and chokes the flow the same way from the
    next step; it breaks away again when the leak flow's torque exceeds the friction.  A rotor
    at rest from the start (speed_start = 0) is not stalled: the full flow starts it.
    """

    summary = "Nozzle-characteristic turbine (hybrid cooler eq. 21, 38): efficiency, rotor inertia, stall"
    headline = ('speed', 'power', 'T_out')
    variables = fluid_parameters(with_gamma=True) + (
        Parameter("area", "m2", 7.8e-7, "effective nozzle flow area a_t", min=0.0),
        Parameter("efficiency", "1", 1.0, "isentropic efficiency eta (1: reversible)", min=0.0, max=1.0),
        Parameter("inertia", "kg.m2", 0.0, "rotor moment of inertia J; 0: no rotor model", min=0.0),
        Parameter("wheel_radius", "m", 5e-3, "impulse wheel radius r (rotor model)", min=1e-9),
        Parameter("load_coefficient", "N.m.s/rad", 2e-7,
                  "generator/brake torque per unit speed b (rotor model)", min=0.0, tunable=True),
        Parameter("friction_torque", "N.m", 0.0, "Coulomb bearing friction T_c (rotor model)", min=0.0,
                  tunable=True),
        Parameter("speed_start", "rad/s", 0.0, "initial rotor speed (rotor model)", min=0.0),
        Parameter("seized", "1", False, "rotor seized: the flow drops to the leak", tunable=True),
        Parameter("leak_fraction", "1", 0.0, "fraction of the nozzle flow through a seized/stalled rotor",
                  min=0.0, max=1.0, tunable=True),
        Input("p_in", "Pa", 2e6, "inlet pressure (high-pressure buffer)"),
        Input("p_out", "Pa", 2e6, "outlet pressure (low-pressure buffer)"),
        Input("T_in", "K", 30.0, "inlet temperature (the recuperator's hot outlet; T_L ideally)"),
        Output("mdot", "kg/s", 0.0, "mass flow (negative: reversed)"),
        Output("T_out", "K", 30.0, "outlet temperature"),
        Output("power", "W", 0.0, "shaft power taken from the gas, mean over the step (eq. 38)"),
        Output("speed", "rad/s", 0.0, "rotor speed (0 without a rotor model)"),
        Local("power_isentropic", "W", 0.0, "|mdot| dh_s at the step's flow"),
        Local("power_load", "W", 0.0, "power into the generator/brake, b w^2, mean over the step"),
        Local("velocity_ratio", "1", 0.0, "blade-to-jet speed ratio r w / c (design: 1/2)"),
        Local("work", "J", 0.0, "shaft work since the start"),
        Local("stalled", "1", 0.0, "1 while a rotor that came to rest chokes the flow"),
    )
    default_step = 2e-5
    input_order = 2  # pressures and inlet temperature taken at the end of the step

    def setup(self) -> None:
        R, gamma = ideal_gas(self)
        self._R, self._cp, self._e = R, gamma * R / (gamma - 1.0), (gamma - 1.0) / gamma
        if self.inertia > 0.0 and not self.wheel_radius > 0.0:
            raise ParameterError.of(self.name, "wheel_radius", f" must be positive")
        self.speed = self.speed_start if self.inertia > 0.0 else 0.0
        self.stalled = 0.0
        self.work = 0.0
        self.power = self.power_load = 0.0
        self.initialize_outputs(0.0)

    # -- the nozzle ----------------------------------------------------------------------------
    def _flow(self) -> tuple[float, float]:
        """(mdot, dh_s) of eq. 21 at the present inputs, choked to the leak when blocked."""
        p_in, p_out, T = self.p_in, self.p_out, self.T_in
        if not (p_in > 0.0 and p_out > 0.0 and T > 0.0):
            raise ModelError(f"actor '{self.name}': non-positive inlet state "
                                 f"(p_in {p_in:g} Pa, p_out {p_out:g} Pa, T_in {T:g} K)")
        hi, lo, sign = (p_in, p_out, 1.0) if p_in >= p_out else (p_out, p_in, -1.0)
        dh = self._cp * T * (1.0 - (lo / hi) ** self._e)
        area = self.area
        if self.seized or self.stalled:
            area *= self.leak_fraction
        mdot = sign * hi / (self._R * T) * area * math.sqrt(2.0 * dh)
        return mdot, dh

    def initialize_outputs(self, t: float) -> None:
        mdot, dh = self._flow()
        self.mdot = mdot
        self.power_isentropic = abs(mdot) * dh
        if self.seized:
            self.speed = 0.0
        if self.inertia == 0.0 and not self.seized:
            self.power = self.efficiency * abs(mdot) * dh
            self.T_out = self.T_in - self.efficiency * dh / self._cp
        elif self.inertia > 0.0 and not self.seized and mdot != 0.0:
            c = math.sqrt(2.0 * dh)
            r, w = self.wheel_radius, self.speed
            self.power = 2.0 * self.efficiency * abs(mdot) * r * (math.copysign(c, mdot) - r * w) * w
            self.T_out = self.T_in - self.power / (abs(mdot) * self._cp)
            self.velocity_ratio = r * w / c if c > 0.0 else 0.0
        else:
            self.power = 0.0
            self.T_out = self.T_in

    # -- a step --------------------------------------------------------------------------------
    def do_step(self, t: float, h: float) -> None:
        if not h > 0.0:
            return
        if self.input_derivatives:  # the nozzle's flow at the end of the step (coupling order >= 1)
            self.advance_inputs(h)
        mdot, dh = self._flow()
        self.mdot = mdot
        self.power_isentropic = abs(mdot) * dh
        cp = self._cp
        self.power_load = 0.0
        if self.seized:
            self.speed = 0.0
            self.stalled = 0.0   # released, the rotor restarts as from rest
            self.power, self.T_out = 0.0, self.T_in
        elif self.inertia == 0.0:
            self.power = self.efficiency * abs(mdot) * dh
            self.T_out = self.T_in - self.efficiency * dh / cp
        else:
            self._rotor_step(mdot, dh, h)
            self.T_out = self.T_in - self.power / (abs(mdot) * cp) if mdot != 0.0 else self.T_in
        self.work += self.power * h

    def _rotor_step(self, mdot: float, dh: float, h: float) -> None:
        J, r, b, Tc = self.inertia, self.wheel_radius, self.load_coefficient, self.friction_torque
        c = math.copysign(math.sqrt(2.0 * dh), mdot) if mdot != 0.0 else 0.0
        G = 2.0 * self.efficiency * abs(mdot) * r          # T_g = G (c - r w)
        w0 = self.speed
        A, k = G * c - Tc, G * r + b                       # J dw/dt = A - k w
        if not (w0 > 0.0 or A > 0.0):                      # at rest, held by stiction
            self.power, self.velocity_ratio = 0.0, 0.0
            return
        t_move = h
        if A < 0.0:                                        # decelerating: stops in the step?
            t0 = J * w0 / -A if k == 0.0 else J / k * math.log1p(k * w0 / -A)
            t_move = min(t0, h)
        # w(s) = w0 + D phi1(k s/J) s/t, D = (A - k w0) t/J: no cancellation as k -> 0
        x = k * t_move / J
        D = (A - k * w0) * t_move / J
        w1 = 0.0 if t_move < h else max(0.0, w0 + D * phi1(x))
        p2 = phi2(x)
        int_w = t_move * (w0 + D * p2)
        int_w2 = t_move * (w0 * w0 + 2.0 * w0 * D * p2 + D * D * chi(x))
        self.speed = w1
        self.stalled = 1.0 if w1 == 0.0 else 0.0
        self.power = G * (c * int_w - r * int_w2) / h
        self.power_load = b * int_w2 / h
        self.velocity_ratio = r * w1 / abs(c) if c != 0.0 else 0.0
