"""Pressure drop, cold-box in-leak and life cycle of the stream exchangers (fmus/stream_exchanger.py,
aftercooler.py, load_exchanger.py).  The plain eps-NTU behaviour is tested in test_heat_exchangers.py."""
import math

import CoolProp.CoolProp as CP
import pytest

from cryocosim import ModelError, ParameterError
from cryocosim.fmus.aftercooler import Aftercooler
from cryocosim.fmus.properties.gas import Gas, stream_toward
from cryocosim.fmus.load_exchanger import LoadExchanger
from cryocosim.fmus.physics.inleak import conduction_inleak

ATM = 101325.0


def hN2(p, T):
    return CP.PropsSI("H", "P", p, "T", T, "Nitrogen")


def cpN2(p, T):
    return CP.PropsSI("C", "P", p, "T", T, "Nitrogen")


def aftercooler(mdot=0.02, p=ATM, T_in=380.0, **kw):
    a = Aftercooler("ac", **kw)
    a.mdot, a.p, a.T_in, a.h_in = mdot, p, T_in, hN2(p, T_in)
    a.setup()
    return a


def load_hx(mdot=0.019, p=0.5 * ATM, T_in=177.0, T_load=185.0, **kw):
    x = LoadExchanger("lx", **kw)
    x.mdot, x.p, x.T_in, x.h_in, x.T_load = mdot, p, T_in, hN2(p, T_in), T_load
    x.setup()
    return x


# ---- without the options: the model as before -----------------------------------------------------
def test_defaults_reproduce_the_plain_wall_exchange_exactly():
    g = Gas("nitrogen")
    a = aftercooler()
    assert (a.T_out, a.h_out) == stream_toward(g, 0.02, ATM, 380.0, 300.0, 200.0)
    assert a.p_out == ATM
    x = load_hx()
    assert (x.T_out, x.h_out) == stream_toward(g, 0.019, 0.5 * ATM, 177.0, 185.0, 50.0)
    assert x.p_out == 0.5 * ATM and x.heat_inleak == 0.0


# ---- pressure drop ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mdot", [0.019, 0.01, 0.03])
def test_aftercooler_pressure_drop_is_quadratic_and_isenthalpic(mdot):
    a = aftercooler(mdot=mdot, dp_nominal=2000.0, mdot_nominal=0.019)
    ref = aftercooler(mdot=mdot)
    dp = 2000.0 * (mdot / 0.019) ** 2
    assert a.p_out == pytest.approx(ATM - dp, rel=1e-15)
    # the wall exchange is the same (at the inlet pressure); the drop is adiabatic: energy exact
    assert a.heat_rejected == ref.heat_rejected and a.h_out == ref.h_out
    assert mdot * (a.h_in - a.h_out) == pytest.approx(a.heat_rejected, rel=1e-12)
    # the outlet state is at the outlet pressure: T from CoolProp at (p_out, h_out); the model's
    # Newton stops at |h - h_out| < 1e-10 |h|, i.e. ~3e-5 J/kg, ~3e-8 K: 1e-9 relative
    assert a.T_out == pytest.approx(CP.PropsSI("T", "P", a.p_out, "H", a.h_out, "Nitrogen"), rel=1e-9)
    # throttling from p to p_out: the Joule-Thomson coefficient (dT/dp)_h of nitrogen near 300 K
    # (~0.2 K/bar) times dp; linear over dp <= 5 kPa to well within 1 % (dp/p < 5 %)
    st = CP.AbstractState("HEOS", "Nitrogen")
    st.update(CP.PT_INPUTS, ATM, ref.T_out)
    mu_jt = st.first_partial_deriv(CP.iT, CP.iP, CP.iHmass)
    assert ref.T_out - a.T_out == pytest.approx(mu_jt * dp, rel=1e-2)


def test_load_exchanger_pressure_drop_at_cold_conditions():
    x = load_hx(dp_nominal=1500.0)
    assert x.p_out == pytest.approx(0.5 * ATM - 1500.0, rel=1e-15)  # at mdot_nominal (19 g/s)
    assert x.T_out == pytest.approx(CP.PropsSI("T", "P", x.p_out, "H", x.h_out, "Nitrogen"), rel=1e-9)
    assert x.mdot * (x.h_out - x.h_in) == pytest.approx(x.heat_load, rel=1e-12)


def test_no_forward_flow_passes_unchanged_without_pressure_drop():
    for mdot in (0.0, -0.01):
        a = aftercooler(mdot=mdot, dp_nominal=2000.0)
        assert (a.p_out, a.T_out, a.h_out, a.heat_rejected) == (ATM, 380.0, a.h_in, 0.0)


def test_pressure_drop_beyond_the_inlet_pressure_is_a_model_error():
    with pytest.raises(ModelError, match=r"^actor 'ac': pressure drop .* exceeds the inlet pressure"):
        aftercooler(mdot=0.019, dp_nominal=2 * ATM)


# ---- cold-box in-leak ------------------------------------------------------------------------------
@pytest.mark.parametrize("T_in,mdot", [(177.0, 0.019), (120.0, 0.019), (250.0, 0.005),
                                       (177.0, 1e-6)])
def test_load_exchanger_inleak_hand_calculation_and_energy(T_in, mdot):
    x = load_hx(mdot=mdot, T_in=T_in, T_load=T_in + 8.0, inleak_heat=4.0)
    ref = load_hx(mdot=mdot, T_in=T_in, T_load=T_in + 8.0)
    # hand calculation: G = 4 W / (300 - 184) K, eps-NTU from the gas leaving the load exchange
    # (ref.T_out) with the inlet cp from CoolProp; the model's cp comes from the same equation of
    # state at a density solved to 1e-11: 1e-9
    cp = cpN2(0.5 * ATM, T_in)
    G = 4.0 / (300.0 - 184.0)
    q = mdot * cp * (300.0 - ref.T_out) * -math.expm1(-G / (mdot * cp))
    assert x.heat_inleak == pytest.approx(q, rel=1e-9)
    assert 0.0 < x.heat_inleak <= G * (300.0 - ref.T_out)
    # the in-leak does not take from the load's share, and the gas receives both exactly
    assert x.heat_load == ref.heat_load
    assert x.mdot * (x.h_out - x.h_in) == pytest.approx(x.heat_load + x.heat_inleak, rel=1e-12)
    assert x.T_out > ref.T_out
    # the gas cannot leave warmer than the surroundings, even at a trickle of flow (there it
    # leaves at them, to the inlet-cp approximation of the in-leak: cp of N2 at 0.5 atm varies by
    # 0.2 % between 177 and 300 K, so 0.5 % of the rise to ambient)
    assert x.T_out < 300.0 + 5e-3 * (300.0 - ref.T_out)


def test_inleak_is_the_parameter_at_the_design_point_and_vanishes_at_ambient():
    # gas leaving the load exchange at inleak_T_ref (184 K; UA = 0 leaves it at T_in): capacity
    # rate 19 g/s * 1.04 kJ/(kg K) = 20 W/K against G = 0.034 W/K, so the eps-NTU factor differs
    # from 1 by G/(2 mdot cp) ~ 1e-3
    assert load_hx(inleak_heat=4.0, UA=0.0, T_in=184.0).heat_inleak == pytest.approx(4.0, rel=2e-3)
    # at the seed's design point (177 K in, load at 185 K) the gas leaves near 184.4 K
    x = load_hx(inleak_heat=4.0)
    assert x.heat_inleak == pytest.approx(4.0 * (300.0 - x.T_out) / 116.0, rel=2e-3)
    assert load_hx(inleak_heat=4.0, T_in=300.0, T_load=300.0).heat_inleak == 0.0
    still = load_hx(mdot=0.0, inleak_heat=4.0)
    assert (still.heat_inleak, still.heat_load, still.T_out) == (0.0, 0.0, 177.0)


def test_inleak_with_pressure_drop_keeps_the_energy_identity():
    x = load_hx(inleak_heat=4.0, dp_nominal=1500.0)
    assert x.mdot * (x.h_out - x.h_in) == pytest.approx(x.heat_load + x.heat_inleak, rel=1e-12)
    assert x.T_out == pytest.approx(CP.PropsSI("T", "P", x.p_out, "H", x.h_out, "Nitrogen"), rel=1e-9)


def test_conduction_inleak_limits():
    # large capacity rate: G dT; small: mdot cp dT (the stream reaches the source temperature)
    assert conduction_inleak(0.1, 10.0, 1000.0, 300.0, 200.0) == pytest.approx(10.0, rel=1e-5)
    assert conduction_inleak(0.1, 1e-8, 1000.0, 300.0, 200.0) == pytest.approx(1e-3, rel=1e-6)
    assert conduction_inleak(0.1, 0.0, 1000.0, 300.0, 200.0) == 0.0
    assert conduction_inleak(0.0, 0.02, 1000.0, 300.0, 200.0) == 0.0


# ---- life cycle --------------------------------------------------------------------------------------
def test_setup_and_initialize_outputs_are_consistent_and_idempotent():
    x = load_hx(inleak_heat=4.0, dp_nominal=1500.0)  # setup with the inputs already set
    first = x.get_state()
    assert x.heat_load > 0.0 and x.heat_inleak > 0.0
    x.initialize_outputs(0.0)
    assert x.get_state() == first
    x.do_step(0.0, 0.05)
    assert x.get_state() == first
    a = Aftercooler("ac")
    a.setup()
    a.mdot, a.p, a.T_in, a.h_in = 0.02, ATM, 380.0, hN2(ATM, 380.0)
    a.initialize_outputs(3.0)
    assert a.heat_rejected > 0.0 and a.T_out < 380.0


@pytest.mark.parametrize("cls,changes,param", [
    (Aftercooler, {"dp_nominal": 100.0, "mdot_nominal": 0.0}, "mdot_nominal"),
    (Aftercooler, {"UA": -1.0}, "UA"),
    (LoadExchanger, {"inleak_heat": 2.0, "inleak_T_ref": 310.0}, "inleak_T_ref"),
    (LoadExchanger, {"dp_nominal": float("nan")}, "dp_nominal"),
])
def test_setup_errors_name_the_actor_and_parameter(cls, changes, param):
    m = cls("hx1")
    for k, v in changes.items():
        setattr(m, k, v)  # as an FMI master would, bypassing set_parameter's bounds
    with pytest.raises(ParameterError, match=rf"^actor 'hx1': parameter '{param}'"):
        m.setup()
