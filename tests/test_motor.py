"""The induction motor's Kloss characteristic and power bookkeeping (fmus/motor.py)."""
import math

import numpy as np
import pytest

from cryocosim import ParameterError
from cryocosim.fmus.motor import Motor

RPM = 2 * math.pi / 60


def motor(**kw):
    m = Motor("motor", **kw)
    m.setup()
    return m


def torque_at_slip(m, s):
    m.speed = m.sync_speed * (1.0 - s)
    m.do_step(0.0, 0.05)
    return m.torque


def test_defaults_and_units():
    m = Motor("m", sync_speed="10500 rpm")
    assert m.sync_speed == pytest.approx(10500 * RPM, rel=1e-15)
    assert Motor("d").sync_speed == pytest.approx(10500 * RPM, rel=1e-15)
    assert (m.breakdown_torque, m.breakdown_slip, m.voltage_ratio) == (6.0, 0.12, 1.0)
    assert Motor.default_step == 0.05


@pytest.mark.parametrize("v", [1.0, 0.55, 0.3])
def test_peak_torque_is_breakdown_torque_at_breakdown_slip_scaled_by_v2(v):
    m = motor(voltage_ratio=v)
    # Kloss: T(s_bd) = 2 T_bd v^2 / (1 + 1) = T_bd v^2 exactly (up to round-off, 1e-12)
    assert torque_at_slip(m, 0.12) == pytest.approx(6.0 * v * v, rel=1e-12)
    # and it is the maximum: on a slip grid of step 1e-4 the argmax lies within one grid step
    slips = np.arange(1e-4, 1.0, 1e-4)
    torques = [torque_at_slip(m, s) for s in slips]
    assert slips[int(np.argmax(torques))] == pytest.approx(0.12, abs=1e-4)
    assert max(torques) <= 6.0 * v * v * (1 + 1e-12)


def test_zero_at_synchronous_speed_and_generator_above():
    m = motor()
    assert torque_at_slip(m, 0.0) == 0.0
    # no torque, no load current: the electrical input is the no-load loss (magnetising copper
    # and iron at rated voltage and frequency), exactly the two parameters
    assert m.power_airgap == 0.0 and m.loss_rotor_copper == 0.0
    assert m.power == m.magnetizing_copper_loss + m.iron_loss
    t_gen = torque_at_slip(m, -0.05)
    assert t_gen < 0.0 and m.power_airgap < 0.0 and m.power < 0.0  # generating past the losses
    # odd in s: T(-s) = -T(s)
    assert t_gen == pytest.approx(-torque_at_slip(m, 0.05), rel=1e-14)


def test_starting_torque_power_and_slip():
    m = motor()  # speed input starts at 0: slip 1
    expected = 2 * 6.0 / (1 / 0.12 + 0.12)
    assert m.slip == 1.0
    assert m.torque == pytest.approx(expected, rel=1e-14)
    assert m.power_airgap == pytest.approx(expected * m.sync_speed, rel=1e-14)
    # at standstill all the air-gap power is rotor copper loss (s = 1)
    assert m.power_shaft == 0.0
    assert m.loss_rotor_copper == pytest.approx(m.power_airgap, rel=1e-14)
    assert m.power == pytest.approx(m.power_airgap * (1 + 1.5) + 50.0 + 150.0, rel=1e-14)


def test_voltage_ratio_is_read_each_step():
    m = motor()
    base = torque_at_slip(m, 0.05)
    m.set_parameter("voltage_ratio", 0.0)  # supply cut by an event
    assert torque_at_slip(m, 0.05) == 0.0
    m.set_parameter("voltage_ratio", 0.5)
    assert torque_at_slip(m, 0.05) == pytest.approx(0.25 * base, rel=1e-14)


# ---- electrical losses -----------------------------------------------------------------------
@pytest.mark.parametrize("v", [1.0, 0.55])
@pytest.mark.parametrize("s", [1.0, 0.5, 0.12, 0.03, 0.0, -0.04])
def test_electrical_input_is_shaft_power_plus_losses(v, s):
    m = motor(voltage_ratio=v, stator_resistance_ratio=1.3, magnetizing_copper_loss=40.0,
              iron_loss=120.0)
    T = torque_at_slip(m, s)
    w, ws = m.speed, m.sync_speed
    assert m.power_shaft == pytest.approx(T * w, rel=1e-15)
    # hand calculation from the equivalent circuit: rotor copper = s P_airgap, stator copper =
    # (R1/R2') s P_airgap + magnetising part v^2, iron v^2 (rated frequency); sums of a handful of
    # terms: round-off, 1e-12 relative to the largest term
    scale = abs(T * ws) + 200.0
    assert m.loss_rotor_copper == pytest.approx(s * T * ws, abs=1e-12 * scale)
    assert m.loss_stator_copper == pytest.approx(1.3 * s * T * ws + 40.0 * v * v, abs=1e-12 * scale)
    assert m.loss_iron == pytest.approx(120.0 * v * v, rel=1e-14)
    assert m.power == pytest.approx(m.power_shaft + m.loss_rotor_copper + m.loss_stator_copper
                                    + m.loss_iron, abs=1e-12 * scale)
    assert m.power == pytest.approx(m.power_airgap + m.loss_stator_copper + m.loss_iron, rel=1e-15)
    assert min(m.loss_rotor_copper, m.loss_stator_copper, m.loss_iron) >= 0.0


def test_soft_start_losses_follow_the_actual_voltage():
    m = motor(start_ramp=20.0)
    m.speed = 300.0
    m.initialize_outputs(5.0)  # ws = ws_nominal / 4 at t = 5 s of a 20 s ramp
    ws = m.sync_speed * 5.0 / 20.0
    # iron loss ~ (v ws/ws_nominal)^2 = 1/16 of rated; magnetising copper at constant V/f: rated
    assert m.loss_iron == pytest.approx(150.0 / 16.0, rel=1e-14)
    assert m.power_airgap == pytest.approx(m.torque * ws, rel=1e-15)
    assert m.loss_rotor_copper == pytest.approx(m.torque * (ws - 300.0), rel=1e-12)
    assert m.loss_stator_copper == pytest.approx(1.5 * m.loss_rotor_copper + 50.0, rel=1e-14)
    assert m.power == pytest.approx(m.power_shaft + m.loss_rotor_copper + m.loss_stator_copper
                                    + m.loss_iron, rel=1e-12)


def test_no_losses_with_the_supply_cut():
    m = motor()
    for s in (1.0, 0.3, 0.0, -0.1):
        m.set_parameter("voltage_ratio", 0.0)
        torque_at_slip(m, s)
        assert (m.torque, m.power, m.power_airgap, m.power_shaft) == (0.0, 0.0, 0.0, 0.0)
        assert (m.loss_rotor_copper, m.loss_stator_copper, m.loss_iron) == (0.0, 0.0, 0.0)


def test_default_efficiency_is_typical_of_a_2_kw_two_pole_motor():
    """IEC 60034-30-1: 85.9 % (IE3) at 2.2 kW, 87.1 % at 3 kW for 2-pole motors; friction and
    windage are the shaft's, so the model's motor alone should sit at or a little above them."""
    m = motor()
    lo, hi = 0.8 * m.sync_speed, m.sync_speed  # bisection on the speed for 2.4 N.m (rated)
    for _ in range(100):
        m.speed = 0.5 * (lo + hi)
        m.do_step(0.0, 0.05)
        lo, hi = (m.speed, hi) if m.torque > 2.4 else (lo, m.speed)
    assert 2.4e3 < m.power_shaft < 2.7e3
    assert 0.859 < m.power_shaft / m.power < 0.90


def test_initialize_outputs_is_idempotent_and_keeps_no_state():
    m = motor(start_ramp=10.0)
    m.speed = 100.0
    m.initialize_outputs(2.0)
    first = m.get_state()
    m.initialize_outputs(2.0)
    assert m.get_state() == first
    m.do_step(1.0, 1.0)  # do_step evaluates at the end of the step: the same time
    assert m.get_state() == first


def test_setup_errors_name_the_parameter():
    m = Motor("m1")
    m.iron_loss = -1.0  # set directly, as an FMI master would, bypassing set_parameter
    with pytest.raises(ParameterError, match=r"^actor 'm1': parameter 'iron_loss'"):
        m.setup()
    m = Motor("m2")
    m.breakdown_slip = 0.0
    with pytest.raises(ParameterError, match=r"^actor 'm2': parameter 'breakdown_slip'"):
        m.setup()
