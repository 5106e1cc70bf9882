"""Induction motor driving the compressor-expander shaft (seed 000: one motor on the shaft)."""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Output, Parameter


class Motor(Actor):
    """Three-phase induction motor on a quasi-steady Kloss torque-speed characteristic.

    The electrical transients are much faster than the shaft, so the torque is an algebraic
    function of the slip (Kloss' formula, e.g. Fitzgerald & Kingsley, *Electric Machinery*,
    the simplified equivalent circuit with the stator resistance neglected)::

        s = (w_sync - w) / w_sync
        T = 2 T_bd v**2 / (s/s_bd + s_bd/s) = 2 T_bd v**2 s s_bd / (s**2 + s_bd**2)

    ``T_bd`` is the breakdown (pull-out) torque at rated voltage, reached at the breakdown slip
    ``s_bd``; the torque scales with the square of the supply voltage ratio ``v``.  The second
    form has no singularity: T = 0 at synchronous speed and T < 0 above it (generator, s < 0).
    ``power`` is the air-gap power T*w_sync, the electrical input with stator losses neglected.
    ``voltage_ratio`` is tunable: 1 normal, < 1 a sag, 0 a supply cut.

    ``start_ramp`` > 0 models an inverter soft start at constant V/f: the synchronous speed
    rises linearly from 0 to ``sync_speed`` over ``start_ramp`` seconds from t = 0, with the
    breakdown torque unchanged at the same slip speed s_bd*sync_speed (a 10,000 rpm motor is inverter-fed; direct-on-line starting
    gives only 2 s_bd/(1+s_bd**2) of T_bd at standstill).  0 means direct on line.
    """

    summary = "Induction motor, Kloss torque-speed curve with breakdown torque"
    variables = (
        Parameter("sync_speed", "rad/s", 10500.0 * 2.0 * math.pi / 60.0,
                  "synchronous speed (10500 rpm)", min=1e-9),
        Parameter("breakdown_torque", "N.m", 6.0, "breakdown torque at rated voltage", min=0.0),
        Parameter("breakdown_slip", "1", 0.12, "slip at breakdown torque", min=1e-6, max=1.0),
        Parameter("voltage_ratio", "1", 1.0, "supply voltage / rated voltage (0 = cut)",
                  min=0.0, tunable=True),
        Parameter("start_ramp", "s", 0.0, "inverter soft-start ramp time of the frequency (0: direct on line)",
                  min=0.0),
        Input("speed", "rad/s", 0.0, "shaft speed"),
        Output("torque", "N.m", 0.0, "electromagnetic torque on the shaft"),
        Output("power", "W", 0.0, "air-gap (electrical input) power torque*sync_speed"),
        Output("slip", "1", 1.0, "slip (w_sync - w)/w_sync"),
    )
    default_step = 0.05

    def setup(self) -> None:
        self._evaluate(0.0)

    def do_step(self, t: float, h: float) -> None:
        self._evaluate(t + h)

    def _evaluate(self, t: float) -> None:
        # parameters are read at every call: voltage_ratio is changed by events during a run
        ws_nominal = ws = self.sync_speed
        if self.start_ramp > 0.0 and t < self.start_ramp:
            ws = ws_nominal * t / self.start_ramp
        # at constant V/f the curve depends on the slip speed ws - w: slip is referred to the
        # nominal synchronous speed (identical to the usual slip once the ramp is over)
        s = (ws - self.speed) / ws_nominal
        sb = self.breakdown_slip
        v = self.voltage_ratio
        self.slip = s
        self.torque = 2.0 * self.breakdown_torque * v * v * s * sb / (s * s + sb * sb)
        self.power = self.torque * ws
