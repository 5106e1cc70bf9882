"""The induction motor's Kloss characteristic (fmus/motor.py)."""
import math

import numpy as np
import pytest

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
    assert m.power == 0.0
    t_gen = torque_at_slip(m, -0.05)
    assert t_gen < 0.0 and m.power < 0.0
    # odd in s: T(-s) = -T(s)
    assert t_gen == pytest.approx(-torque_at_slip(m, 0.05), rel=1e-14)


def test_starting_torque_power_and_slip():
    m = motor()  # speed input starts at 0: slip 1
    expected = 2 * 6.0 / (1 / 0.12 + 0.12)
    assert m.slip == 1.0
    assert m.torque == pytest.approx(expected, rel=1e-14)
    assert m.power == pytest.approx(expected * m.sync_speed, rel=1e-14)


def test_voltage_ratio_is_read_each_step():
    m = motor()
    base = torque_at_slip(m, 0.05)
    m.set_parameter("voltage_ratio", 0.0)  # supply cut by an event
    assert torque_at_slip(m, 0.05) == 0.0
    m.set_parameter("voltage_ratio", 0.5)
    assert torque_at_slip(m, 0.05) == pytest.approx(0.25 * base, rel=1e-14)
