"""The common shaft of motor, screw compressor and screw expander (seed 000, claims 11-14)."""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Output, Parameter

from .physics.exponential import phi1, phi2


class Shaft(Actor):
    """One rotating inertia carrying the motor, compressor and expander rotors.

    The expander is geared to the shaft at a fixed speed ratio r (patent of seed 000, claims
    11-14: same shaft, 1:1 by default), so its torque acts on the shaft multiplied by r::

        J dw/dt = T_motor - T_comp + r T_exp - T_c sign(w) - b w,      w >= 0

    with Coulomb (bearing) friction T_c and viscous friction b.  Stiction: at w = 0 the shaft
    stays at rest while the net driving torque D = T_motor - T_comp + r T_exp is at most T_c
    (and it never turns backwards: the screw machines are not run in reverse).  Between stiction
    events the equation is linear with constant coefficients for inputs held over the step, so
    each step is integrated exactly::

        w(t) = w0 exp(-x) + (A t / J) (1 - exp(-x))/x,   x = b t / J,   A = D - T_c

    A decelerating shaft stops at t0 = (J/b) ln(1 + b w0 / -A) (t0 = J w0 / -A when b = 0),
    exactly at 0, and stays there for the rest of the step: no chatter.  ``friction_power``
    is the mean over the step of T_c |w| + b w**2, from the energy balance
    D * integral(w dt) - (J/2) (w1**2 - w0**2).
    """

    summary = "Shaft inertia with Coulomb/viscous friction and stiction (motor+compressor+expander)"
    headline = ('speed',)
    variables = (
        Parameter("inertia", "kg.m2", 0.01, "moment of inertia of all rotors", min=1e-12),
        Parameter("speed_ratio", "1", 1.0, "expander speed / shaft speed", min=0.0),
        Parameter("friction_torque", "N.m", 0.05, "Coulomb (bearing) friction torque", min=0.0),
        Parameter("viscous_friction", "N.m.s/rad", 2e-5, "viscous friction coefficient", min=0.0),
        Parameter("speed_start", "rad/s", 0.0, "initial shaft speed", min=0.0),
        Input("motor_torque", "N.m", 0.0, "torque of the motor"),
        Input("compressor_torque", "N.m", 0.0, "torque absorbed by the compressor"),
        Input("expander_torque", "N.m", 0.0, "torque delivered by the expander at its own shaft"),
        Output("speed", "rad/s", 0.0, "shaft (motor, compressor) speed"),
        Output("expander_speed", "rad/s", 0.0, "expander speed = speed_ratio * speed"),
        Output("friction_power", "W", 0.0, "friction dissipation, mean over the step"),
    )
    default_step = 0.05

    def setup(self) -> None:
        self.speed = self.speed_start
        self.expander_speed = self.speed_ratio * self.speed
        self.friction_power = 0.0

    def do_step(self, t: float, h: float) -> None:
        J, r = self.inertia, self.speed_ratio
        Tc, b = self.friction_torque, self.viscous_friction
        D = self.motor_torque - self.compressor_torque + r * self.expander_torque
        w0 = self.speed
        A = D - Tc
        w1, int_w = 0.0, 0.0
        if w0 > 0.0 or A > 0.0:  # moving, or breaking away from rest
            t_move = h
            if A < 0.0:  # decelerating: does it stop within the step?
                t0 = J * w0 / -A if b == 0.0 else J / b * math.log1p(b * w0 / -A)
                t_move = min(t0, h)
            x = b * t_move / J
            if t_move < h:
                w1 = 0.0  # stopped exactly, stiction holds it (D < T_c)
            else:
                w1 = max(0.0, w0 * math.exp(-x) + A * t_move / J * phi1(x))
            int_w = w0 * t_move * phi1(x) + A * t_move * t_move / J * phi2(x)
        self.speed = w1
        self.expander_speed = r * w1
        self.friction_power = max(0.0, (D * int_w - 0.5 * J * (w1 * w1 - w0 * w0)) / h) if h > 0 else 0.0
