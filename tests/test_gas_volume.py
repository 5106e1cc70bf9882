"""The well-mixed gas volume (fmus/gas_volume.py)."""
import CoolProp.CoolProp as CP
import numpy as np
import pytest

from cryocosim import ParameterError
from cryocosim.fmus.gas_volume import GasVolume

R_N2 = 8.314462618 / 0.0280134  # J/(kg K)


def volume(**kw):
    v = GasVolume("vol", **kw)
    v.setup()
    return v


@pytest.mark.parametrize("bad", [-1.0, 0.0, "-1 L"])
def test_non_positive_volume_is_a_parameter_error(bad):
    with pytest.raises(ParameterError, match="volume"):
        GasVolume("vol", volume=bad)


def test_initial_state_is_near_the_ideal_gas():
    v = volume(volume="10 L", p_start="1 atm", T_start=300.0)
    assert v.p == pytest.approx(101325.0, rel=1e-9)
    assert v.T == 300.0
    assert v.rho == pytest.approx(v.mass / 0.01, rel=1e-15)
    # N2 at 300 K, 1 atm: CoolProp's compressibility Z = 0.99982, so the ideal gas law holds to
    # |Z - 1| = 1.8e-4; 3e-4 leaves room for the gas constant's digits
    assert v.p == pytest.approx(v.mass * R_N2 * 300.0 / 0.01, rel=3e-4)
    assert v.h == pytest.approx(CP.PropsSI("H", "T", 300.0, "P", 101325.0, "Nitrogen"), rel=1e-9)
    assert v.energy == pytest.approx(v.mass * CP.PropsSI("U", "T", 300.0, "P", 101325.0, "Nitrogen"), rel=1e-9)


def test_mass_identity_is_exact():
    v = volume()
    rng = np.random.default_rng(1)
    for k in range(200):
        v.mdot_in, v.mdot_out = rng.uniform(-1e-3, 1e-3, 2)
        m = v.mass
        v.do_step(k * 0.05, 0.05)
        assert v.mass == m + (v.mdot_in - v.mdot_out) * 0.05  # bit for bit


def test_adiabatic_filling_at_constant_inlet_enthalpy():
    v = volume(volume="10 L", p_start="1 atm", T_start=300.0)
    h_in = CP.PropsSI("H", "T", 300.0, "P", 3e5, "Nitrogen")
    v.mdot_in, v.h_in = 1e-3, h_in
    m0, U0 = v.mass, v.energy
    for k in range(200):
        v.do_step(k * 0.1, 0.1)
    dm = v.mass - m0
    assert dm == pytest.approx(0.02, rel=1e-12)
    # energy balance of the filling: U = U0 + h_in * dm (round-off only)
    assert v.energy == pytest.approx(U0 + h_in * dm, rel=1e-12)
    # the state is the equation of state's at (rho, u)
    u = CP.PropsSI("U", "D", v.rho, "T", v.T, "Nitrogen")
    assert u == pytest.approx(v.energy / v.mass, rel=1e-9)
    # ideal gas with constant cv and gamma = 1.4: m cv T = m0 cv T0 + dm cp T_in, so
    # T = (m0 T0 + gamma dm T_in) / m; cp of N2 rises by 0.4 % between 300 and 380 K and Z
    # differs from 1 by < 1e-3 here, so agree to 0.5 %
    T_ideal = (m0 * 300.0 + 1.4 * dm * 300.0) / v.mass
    assert v.T == pytest.approx(T_ideal, rel=5e-3)
    assert v.T > 360.0


def leaving_enthalpy_is_the_end_value(U0, U1, mdot, dt, h0, h1):
    """The enthalpy the leaving gas carried, (U0 - U1) / (mdot dt), is the volume's enthalpy at
    the end of the step (backward Euler), linearised about the start: between h0 and h1 and
    within a thousandth of their difference of h1 (the linearisation's error is O(dh^2))."""
    h_used = (U0 - U1) / (mdot * dt)
    assert min(h0, h1) <= h_used <= max(h0, h1)
    assert abs(h_used - h1) <= 1e-3 * abs(h1 - h0)


def test_outflow_carries_the_volume_enthalpy_and_backflow_h_return():
    v = volume()
    v.mdot_out = 1e-3
    h0, U0 = v.h, v.energy
    v.do_step(0.0, 0.05)
    leaving_enthalpy_is_the_end_value(U0, v.energy, 1e-3, 0.05, h0, v.h)
    assert v.T < 300.0  # blow-down cools the gas left behind
    v.mdot_out, v.h_return = -1e-3, 2.9e5
    U1 = v.energy
    v.do_step(0.05, 0.05)
    assert v.energy == U1 + 1e-3 * 2.9e5 * 0.05  # entering gas: its own enthalpy, exactly
    v.mdot_out, v.mdot_in = 0.0, -1e-3  # leaving through the inlet port: own enthalpy
    U2, h2 = v.energy, v.h
    v.do_step(0.1, 0.05)
    leaving_enthalpy_is_the_end_value(U2, v.energy, 1e-3, 0.05, h2, v.h)


@pytest.mark.parametrize("dt", [0.05, 2.0, 20.0])
def test_through_flow_relaxes_monotonically_at_any_step(dt):
    """Gas at 250 K flows through a volume at 300 K (1 g/s in and out, residence time about
    11 s): the volume's temperature falls towards its end value without overshoot or ringing at
    any step (a start-of-step outflow enthalpy would ring above 11 s and diverge above 22 s).
    The end value, found by CoolProp directly: the volume's enthalpy equal to the inflow's at
    the volume's (constant) density, T(rho, h_in) — a little under 250 K, since the gas ends
    at a lower pressure than it came at.  After 15 residence times the difference has decayed
    as exp(-15 gamma) to well under 1e-3 K."""
    v = volume(volume="10 L", p_start="1 atm", T_start=300.0)
    v.mdot_in = v.mdot_out = 1e-3
    v.h_in = CP.PropsSI("H", "T", 250.0, "P", 101325.0, "Nitrogen")
    T_end = CP.PropsSI("T", "D", v.rho, "H", v.h_in, "Nitrogen")
    temps = [v.T]
    t = 0.0
    while t < 15 * 11.4:
        v.do_step(t, dt)
        t += dt
        temps.append(v.T)
    assert np.all(np.diff(temps) <= 0.0), "no overshoot or ringing"
    assert min(temps) > T_end - 1e-6
    assert temps[-1] == pytest.approx(T_end, abs=1e-3)


def test_state_round_trip_is_bit_for_bit():
    v = volume()
    v.mdot_in, v.h_in, v.mdot_out = 2e-3, 3.3e5, 1e-3
    v.do_step(0.0, 0.05)
    snap = v.get_state()
    v.do_step(0.05, 0.05)
    first = (v.p, v.T, v.rho, v.h, v.mass, v.energy)
    v.mdot_in = 5e-3
    v.do_step(0.1, 0.05)
    v.set_state(snap)
    v.do_step(0.05, 0.05)
    assert (v.p, v.T, v.rho, v.h, v.mass, v.energy) == first


def test_unknown_fluid_is_a_parameter_error():
    with pytest.raises(ParameterError, match="fluid"):
        GasVolume("vol", fluid="water").setup()
