"""Aftercooler, load exchanger and recuperator (fmus/aftercooler.py, load_exchanger.py,
recuperator.py)."""
import math

import CoolProp.CoolProp as CP
import numpy as np
import pytest

from cryocosim.fmus.aftercooler import Aftercooler
from cryocosim.fmus.load_exchanger import LoadExchanger
from cryocosim.fmus.recuperator import Recuperator

ATM = 101325.0


def hN2(p, T):
    return CP.PropsSI("H", "P", p, "T", T, "Nitrogen")


def cpN2(p, T):
    return CP.PropsSI("C", "P", p, "T", T, "Nitrogen")


# ---- aftercooler and load exchanger ------------------------------------------------------------
def test_aftercooler_effectiveness_and_heat():
    a = Aftercooler("ac", UA=200.0, T_sink=300.0)
    a.setup()
    assert (a.T_out, a.heat_rejected) == (300.0, 0.0)  # no flow at the start values
    a.mdot, a.p, a.T_in, a.h_in = 0.02, ATM, 380.0, hN2(ATM, 380.0)
    a.do_step(0.0, 0.05)
    eps = 1.0 - math.exp(-200.0 / (0.02 * cpN2(ATM, 380.0)))
    # cp from the same equation of state (CoolProp HEOS): agreement to solver tolerance, 1e-9
    assert a.T_out == pytest.approx(380.0 - eps * 80.0, rel=1e-9)
    assert a.h_out == pytest.approx(hN2(ATM, a.T_out), rel=1e-9)
    assert a.heat_rejected == pytest.approx(0.02 * (a.h_in - a.h_out), rel=1e-12)
    assert a.heat_rejected > 0.0
    a.set_parameter("T_sink", "310 K")  # tunable, read at the next step
    a.do_step(0.05, 0.05)
    assert a.T_out == pytest.approx(380.0 - eps * 70.0, rel=1e-9)
    a.mdot = -0.01
    a.do_step(0.1, 0.05)
    assert (a.T_out, a.h_out, a.heat_rejected) == (380.0, a.h_in, 0.0)


def test_load_exchanger_effectiveness_and_heat():
    x = LoadExchanger("lx", UA=50.0)
    x.setup()
    p = 0.5 * ATM
    x.mdot, x.p, x.T_in, x.h_in, x.T_load = 0.02, p, 177.0, hN2(p, 177.0), 185.0
    x.do_step(0.0, 0.05)
    eps = 1.0 - math.exp(-50.0 / (0.02 * cpN2(p, 177.0)))
    assert x.T_out == pytest.approx(177.0 + eps * 8.0, rel=1e-9)
    assert x.heat_load == pytest.approx(0.02 * (hN2(p, x.T_out) - x.h_in), rel=1e-7)
    assert 0.0 < x.heat_load < 0.02 * cpN2(p, 177.0) * 8.0
    x.mdot = 0.0
    x.do_step(0.05, 0.05)
    assert (x.T_out, x.heat_load) == (177.0, 0.0)


# ---- recuperator ---------------------------------------------------------------------------------
def recuperator(**kw):
    r = Recuperator("rec", **kw)
    r.setup()
    return r


def set_streams(r, fluid, mdot_h, mdot_c, p=1e5, T_h=300.0, T_c=180.0):
    r.mdot_hot, r.p_hot, r.T_hot_in = mdot_h, p, T_h
    r.h_hot_in = CP.PropsSI("H", "P", p, "T", T_h, fluid)
    r.mdot_cold, r.p_cold, r.T_cold_in = mdot_c, p, T_c
    r.h_cold_in = CP.PropsSI("H", "P", p, "T", T_c, fluid)


def steady(r, h=2.0, max_steps=20000):
    for k in range(max_steps):
        before = r.wall_temperature.copy()
        r.do_step(k * h, h)
        if np.max(np.abs(r.wall_temperature - before)) < 1e-11:
            return
    raise AssertionError("no steady state")


@pytest.mark.parametrize("n", [20, 80])
def test_balanced_steady_effectiveness_is_the_counterflow_value(n):
    # helium: cp is 5193 J/(kg K) at 180 and 300 K to 1e-4, so h = cp T and the streams can be
    # balanced exactly by scaling the cold flow with the inlet cp ratio the model uses
    UA, C = 1500.0, 150.0  # per side; series UA 750 W/K, so NTU = 5
    cp_h = CP.PropsSI("C", "P", 1e5, "T", 300.0, "Helium")
    cp_c = CP.PropsSI("C", "P", 1e5, "T", 180.0, "Helium")
    r = recuperator(fluid="helium", UA_hot=UA, UA_cold=UA, n_cells=n)
    set_streams(r, "Helium", C / cp_h, C / cp_c)
    steady(r)
    # the cell model's own steady state (derived in the class docstring):
    #   eps_n = n / (n - 1 + 1/(1 - a_h) + 1/(1 - a_c)),  a = exp(-UA/(n C))
    a = math.exp(-UA / n / C)
    eps_n = n / (n - 1 + 2.0 / (1.0 - a))
    # the only departure is the enthalpy correction (helium's h differs from cp T by ~1e-4)
    assert r.effectiveness == pytest.approx(eps_n, rel=2e-4)
    # the counterflow eps-NTU value for balanced flow, NTU = UA_series / C = 5: 5/6.
    # Expanding 1/(1-a) = 1/x + 1/2 + x/12 (x = UA/(n C)) gives
    #   1/eps_n = 1 + 1/NTU + 2x/(12 n),
    # a discretisation error of eps * 2x/(12n): 0.35 % at n = 20 (x = 0.5), 0.022 % at n = 80.
    ntu = 5.0
    x = UA / (n * C)
    assert r.effectiveness == pytest.approx(ntu / (1 + ntu), rel=1.2 * (2 * x / (12 * n)) + 2e-4)
    assert r.effectiveness < ntu / (1 + ntu)
    # energy: at steady state the cold stream takes up what the hot one gives
    q_cold = r.mdot_cold * (r.h_cold_out - r.h_cold_in)
    assert q_cold == pytest.approx(r.heat_transfer, rel=1e-9)


def test_energy_identity_over_a_transient():
    r = recuperator()
    set_streams(r, "Nitrogen", 0.02, 0.018, p=0.5 * ATM, T_h=300.0, T_c=120.0)
    r.p_hot = ATM
    r.h_hot_in = hN2(ATM, 300.0)
    E0, budget = r.metal_energy, 0.0
    for k in range(400):
        r.do_step(k * 0.05, 0.05)
        budget += 0.05 * (r.heat_transfer - r.mdot_cold * (r.h_cold_out - r.h_cold_in))
    # wall energy change == heat the model exchanged, to round-off of sums of ~1e6 J
    assert r.metal_energy - E0 == pytest.approx(budget, abs=1e-9 * abs(E0))
    assert budget < 0.0  # the cold stream at 120 K cools the wall
    assert r.T_metal_cold < r.T_metal_warm <= 300.0


def test_large_steps_are_stable_and_reach_the_same_steady_state():
    ref = recuperator()
    big = recuperator()
    for r in (ref, big):
        set_streams(r, "Nitrogen", 0.02, 0.02, p=0.5 * ATM, T_h=300.0, T_c=180.0)
    steady(ref, h=2.0)
    hot_out = []
    for k in range(200):
        big.do_step(k * 20.0, 20.0)  # 20 s steps: 8 cell time constants
        hot_out.append(big.T_hot_out)
        assert 180.0 <= big.T_hot_out <= 300.0 and 180.0 <= big.T_cold_out <= 300.0
    assert all(b <= a + 1e-9 for a, b in zip(hot_out, hot_out[1:]))  # monotone, no ringing
    steady(big, h=20.0)
    # implicit Euler's steady state is the model's, independent of the step (round-off, 1e-8)
    assert big.T_hot_out == pytest.approx(ref.T_hot_out, abs=1e-8)
    assert big.T_cold_out == pytest.approx(ref.T_cold_out, abs=1e-8)


def test_no_flow_passes_unchanged():
    r = recuperator()
    r.T_hot_in, r.T_cold_in = 290.0, 150.0
    r.do_step(0.0, 0.05)
    assert (r.T_hot_out, r.T_cold_out, r.heat_transfer) == (290.0, 150.0, 0.0)
    assert np.all(r.wall_temperature == 300.0)


def test_state_round_trip_is_bit_for_bit():
    r = recuperator()
    set_streams(r, "Nitrogen", 0.02, 0.02, p=0.5 * ATM, T_h=300.0, T_c=180.0)
    r.do_step(0.0, 0.05)
    snap = r.get_state()
    r.do_step(0.05, 0.05)
    first = (r.T_hot_out, r.h_hot_out, r.T_cold_out, r.h_cold_out, r.metal_energy,
             r.wall_energy.copy())
    r.mdot_hot = 0.1
    r.do_step(0.1, 0.05)
    r.set_state(snap)
    r.do_step(0.05, 0.05)
    again = (r.T_hot_out, r.h_hot_out, r.T_cold_out, r.h_cold_out, r.metal_energy, r.wall_energy)
    assert again[:5] == first[:5]
    assert np.array_equal(again[5], first[5])
