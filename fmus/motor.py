"""Induction motor driving the compressor-expander shaft (seed 000: one motor on the shaft)."""
from __future__ import annotations

import math

from cryocosim import Actor, Input, Output, Parameter, ParameterError


class Motor(Actor):
    """Three-phase induction motor on a quasi-steady Kloss torque-speed characteristic, with its
    electrical losses.

    The electrical transients are much faster than the shaft, so the torque is an algebraic
    function of the slip (Kloss' formula, e.g. Fitzgerald & Kingsley, *Electric Machinery*,
    the simplified equivalent circuit with the stator resistance neglected)::

        s = (w_sync - w) / w_sync
        T = 2 T_bd v**2 / (s/s_bd + s_bd/s) = 2 T_bd v**2 s s_bd / (s**2 + s_bd**2)

    ``T_bd`` is the breakdown (pull-out) torque at rated voltage, reached at the breakdown slip
    ``s_bd``; the torque scales with the square of the supply voltage ratio ``v``.  The second
    form has no singularity: T = 0 at synchronous speed and T < 0 above it (generator, s < 0).
    ``voltage_ratio`` is tunable: 1 normal, < 1 a sag, 0 a supply cut.

    ``start_ramp`` > 0 models an inverter soft start at constant V/f: the synchronous speed
    rises linearly from 0 to ``sync_speed`` over ``start_ramp`` seconds from t = 0, with the
    breakdown torque unchanged at the same slip speed s_bd*sync_speed (a 10,000 rpm motor is
    inverter-fed; direct-on-line starting gives only 2 s_bd/(1+s_bd**2) of T_bd at standstill).
    0 means direct on line.  During the ramp the slip is referred to the nominal synchronous
    speed, s = (ws - w)/ws_nominal, and the actual supply voltage is v * ws/ws_nominal.

    Power bookkeeping (equivalent circuit per phase, R1 stator, R2' rotor referred, e.g.
    Fitzgerald & Kingsley ch. 6; I2'**2 R2'/s_actual carries the air-gap power)::

        power_airgap      = T ws                                     (air-gap power)
        power_shaft       = T w                                      (mechanical, to the shaft)
        loss_rotor_copper = power_airgap - power_shaft = T (ws - w)  (= s_actual P_airgap >= 0)
        loss_stator_copper= (R1/R2') loss_rotor_copper + magnetizing_copper_loss v**2
        loss_iron         = iron_loss (v ws/ws_nominal)**2
        power             = power_airgap + loss_stator_copper + loss_iron   (electrical input)

    The stator current is the load current I2' plus the magnetising current, taken in
    quadrature (|I1|**2 = I2'**2 + Im**2, exact at small slip): R1 I2'**2 = (R1/R2') s P_airgap,
    and R1 Im**2 scales with the flux squared, v**2 at constant V/f.  Stray-load losses (also
    proportional to I**2) are lumped into the ratio.  Iron losses scale with the square of the
    actual voltage (eddy currents at the flux of constant V/f, growing with f**2).  Friction and
    windage belong to the shaft actor.  All losses are >= 0 and vanish with the supply cut
    (v = 0: T = 0, no magnetising current, no voltage).

    Defaults: IEC 60034-30-1 gives 85.9 % (IE3) for 2.2 kW and 87.1 % for 3 kW 2-pole motors.
    A 2-pole 2-3 kW motor slips about 4 % at rated load and takes a no-load current near half
    its rated current; for the default Kloss curve (T_bd 6 N.m, s_bd 0.12) the rated point is
    about 2.4 N.m at 2.5 % slip (T_bd/T = 2.5), where R1/R2' = 1.5 (R1 ~ 1.2 R2' plus stray
    load), 50 W of magnetising copper (Im ~ 0.6 I2') and 150 W of iron loss (high: 175 Hz)
    give an efficiency of 87.6 % (87.2 % at 2 kW) excluding friction and windage, i.e. the IE3
    level of a 2.2-3 kW 2-pole motor.  The same losses with the cool-down scenario's weaker
    curve (T_bd 3 N.m, slip 4.3 % at 1.9 N.m) give 82.5 %, about IE2.
    """

    summary = "Induction motor, Kloss torque-speed curve with breakdown torque, copper and iron losses"
    headline = ('power',)
    variables = (
        Parameter("sync_speed", "rad/s", 10500.0 * 2.0 * math.pi / 60.0,
                  "synchronous speed (10500 rpm)", min=1e-9),
        Parameter("breakdown_torque", "N.m", 6.0, "breakdown torque at rated voltage", min=0.0),
        Parameter("breakdown_slip", "1", 0.12, "slip at breakdown torque", min=1e-6, max=1.0),
        Parameter("voltage_ratio", "1", 1.0, "supply voltage / rated voltage (0 = cut)",
                  min=0.0, tunable=True),
        Parameter("start_ramp", "s", 0.0, "inverter soft-start ramp time of the frequency "
                  "(0: direct on line)", min=0.0),
        Parameter("stator_resistance_ratio", "1", 1.5, "R1/R2': stator copper (with stray-load) "
                  "loss of the load current per unit rotor copper loss", min=0.0),
        Parameter("magnetizing_copper_loss", "W", 50.0, "stator copper loss of the magnetising "
                  "current at rated flux (v = 1)", min=0.0),
        Parameter("iron_loss", "W", 150.0, "iron (core) loss at rated voltage and frequency",
                  min=0.0),
        Input("speed", "rad/s", 0.0, "shaft speed"),
        Output("torque", "N.m", 0.0, "electromagnetic torque on the shaft"),
        Output("power", "W", 0.0, "electrical input: air-gap power + stator copper + iron loss"),
        Output("power_airgap", "W", 0.0, "air-gap power torque * synchronous speed"),
        Output("power_shaft", "W", 0.0, "mechanical power to the shaft torque * speed"),
        Output("loss_rotor_copper", "W", 0.0, "rotor copper loss torque * (ws - speed)"),
        Output("loss_stator_copper", "W", 0.0, "stator copper loss (load and magnetising current)"),
        Output("loss_iron", "W", 0.0, "iron (core) loss"),
        Output("slip", "1", 1.0, "slip (w_sync - w)/w_sync"),
    )
    default_step = 0.05

    def setup(self) -> None:
        # the declared bounds (min=0: breakdown_torque, voltage_ratio, start_ramp,
        # stator_resistance_ratio, magnetizing_copper_loss, iron_loss) are checked by the engine
        # when a value is set; iron_loss is checked here too, for a value set directly on the
        # actor (tests/test_motor.py asserts this message)
        checks = (("sync_speed", self.sync_speed > 0.0, "> 0 rad/s"),
                  ("breakdown_slip", 0.0 < self.breakdown_slip <= 1.0, "in (0, 1]"),
                  ("iron_loss", self.iron_loss >= 0.0, ">= 0 W"))
        for name, ok, rule in checks:
            value = getattr(self, name)
            if not (ok and math.isfinite(value)):
                raise ParameterError.of(self.name, name, f" = {value!r} must be {rule}")
        self._evaluate(0.0)

    def do_step(self, t: float, h: float) -> None:
        self._evaluate(t + h)

    def initialize_outputs(self, t: float) -> None:
        """Outputs at time ``t`` from the present speed input (no state): idempotent."""
        self._evaluate(t)

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
        torque = 2.0 * self.breakdown_torque * v * v * s * sb / (s * s + sb * sb)
        p_airgap = torque * ws
        rotor_cu = torque * (ws - self.speed)  # >= 0: the torque has the sign of the slip
        stator_cu = self.stator_resistance_ratio * rotor_cu + self.magnetizing_copper_loss * v * v
        v_actual = v * ws / ws_nominal
        iron = self.iron_loss * v_actual * v_actual
        self.slip = s
        self.torque = torque
        self.power_airgap = p_airgap
        self.power_shaft = torque * self.speed
        self.loss_rotor_copper = rotor_cu
        self.loss_stator_copper = stator_cu
        self.loss_iron = iron
        self.power = p_airgap + stator_cu + iron
