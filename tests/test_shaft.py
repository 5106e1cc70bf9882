"""The shaft inertia with friction and stiction (fmus/shaft.py)."""
import math

import pytest

from cryocosim import ParameterError
from cryocosim.fmus.shaft import Shaft


def shaft(**kw):
    s = Shaft("shaft", **kw)
    s.setup()
    return s


def run(s, n, h=0.05, t0=0.0):
    speeds = []
    for k in range(n):
        s.do_step(t0 + k * h, h)
        speeds.append(s.speed)
    return speeds


def test_constant_torque_accelerates_linearly():
    s = shaft(friction_torque=0.0, viscous_friction=0.0, inertia=0.01)
    s.motor_torque, s.compressor_torque, s.expander_torque = 1.5, 0.7, 0.2
    speeds = run(s, 200)
    # J dw/dt = 1.5 - 0.7 + 0.2 = 1 N.m: w = t / J; the step is exact, so only round-off
    # accumulates over 200 steps (1e-12 relative)
    for k, w in enumerate(speeds, 1):
        assert w == pytest.approx(k * 0.05 * 1.0 / 0.01, rel=1e-12)
    assert s.expander_speed == s.speed


def test_constant_torque_with_coulomb_and_viscous_friction_is_exact():
    J, Tc, b, T = 0.01, 0.05, 2e-3, 1.0
    s = shaft(inertia=J, friction_torque=Tc, viscous_friction=b, speed_ratio=2.0)
    s.expander_torque = T / 2.0  # reflected through the 2:1 ratio: r*T_exp = 1 N.m
    speeds = run(s, 400, h=0.1)
    A = T - Tc
    for k in (1, 10, 100, 400):
        t = k * 0.1
        exact = A / b * (1.0 - math.exp(-b * t / J))
        # exact composition of exact steps: agreement to round-off (1e-11 relative)
        assert speeds[k - 1] == pytest.approx(exact, rel=1e-11)
    assert s.expander_speed == 2.0 * s.speed


def test_stiction_holds_below_friction_and_breaks_away_above():
    s = shaft(friction_torque=0.05)
    s.motor_torque = 0.049
    assert run(s, 20) == [0.0] * 20
    assert s.friction_power == 0.0
    s.motor_torque, s.compressor_torque = 0.2, 0.25  # net -0.05: never turns backwards
    assert run(s, 20) == [0.0] * 20
    s.motor_torque, s.compressor_torque = 0.06, 0.0
    run(s, 1)
    assert s.speed > 0.0


@pytest.mark.parametrize("b", [0.0, 2e-5, 1e-3])
def test_coast_down_stops_at_the_analytic_time_and_stays(b):
    J, Tc, w0, h = 0.01, 0.05, 1000.0, 0.05
    s = shaft(inertia=J, friction_torque=Tc, viscous_friction=b, speed_start=w0)
    s.motor_torque = 0.03  # a driving torque below the Coulomb torque: it cannot restart
    A = s.motor_torque - Tc
    t_stop = J * w0 / -A if b == 0 else J / b * math.log1p(b * w0 / -A)
    n = int(t_stop / h) + 40
    speeds = run(s, n, h)
    k_stop = next(k for k, w in enumerate(speeds) if w == 0.0)
    # the step that contains t_stop is the first at exactly zero; every later one stays there
    assert k_stop * h < t_stop <= (k_stop + 1) * h
    assert all(w == 0.0 for w in speeds[k_stop:])
    assert all(w > 0.0 for w in speeds[:k_stop])


def test_coast_down_friction_energy_is_the_kinetic_energy():
    J, w0, h = 0.01, 800.0, 0.05
    s = shaft(inertia=J, friction_torque=0.05, viscous_friction=2e-5, speed_start=w0)
    energy = 0.0
    for k in range(6000):
        s.do_step(k * h, h)
        energy += s.friction_power * h
    assert s.speed == 0.0
    # with no driving torque all kinetic energy goes to friction (round-off only, 1e-9)
    assert energy == pytest.approx(0.5 * J * w0**2, rel=1e-9)


def test_state_round_trip_is_bit_for_bit():
    s = shaft(speed_start=500.0)
    s.motor_torque, s.compressor_torque, s.expander_torque = 2.0, 1.7, 0.4
    run(s, 3)
    snap = s.get_state()
    s.do_step(0.15, 0.05)
    first = (s.speed, s.expander_speed, s.friction_power)
    s.motor_torque = 99.0
    s.do_step(0.2, 0.05)
    s.set_state(snap)
    s.do_step(0.15, 0.05)
    assert (s.speed, s.expander_speed, s.friction_power) == first


def test_bad_inertia_is_rejected():
    with pytest.raises(ParameterError):
        Shaft("s", inertia=0.0)
    with pytest.raises(ParameterError):
        Shaft("s", speed_start=-1.0)
