"""Transients and faults of the hybrid Stirling / reverse-Brayton cooler (Nellis & Maddocks,
Cryogenics 43 (2003), seed 001): scenarios/hybrid_startup.toml (start-up from the charge pressure
with a turbine rotor), hybrid_valve_leak.toml (the high-pressure check valve starts to leak back)
and hybrid_turbine_stall.toml (a bearing seizure stalls the rotor, the interlock stops the drive);
the cycle-mean refrigeration of fmus/hybrid_exchangers.py their condition events use; and the
rotor's speed fluctuation against its inertia.

The co-simulations run at the scenarios' fixed explicit steps (1000 per cycle, Gauss-Seidel),
whose coupling error tests/test_hybrid_actors.py measures: +0.26 % on the refrigeration Q_L,
first order in the step, against the monolithic model fmus/reference/hybrid.py."""
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from cryocosim.fmus.reference.hybrid import HybridSI, cyclic_steady_state
from cryocosim.fmus.hybrid_exchangers import HybridExchangers
from cryocosim.fmus.turbine import Turbine
from cryocosim.results import events_of
from cryocosim.scenario import load

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
R_HE = 8.314462618 / 0.004002602          # J/(kg K)
CP_HE = 2.5 * R_HE
F = 50.0
P = 1.0 / F                               # the cycle, s
PC, VE = 2e6, 2e-5
PW = PC * VE * F                          # W: the paper's energies per cycle are over p_charge V_E
# the rotor of hybrid_startup.toml
J, RADIUS, BRAKE = 3.8e-8, 5e-3, 4.07e-7
OMEGA = 2.0 * math.pi * F


def run(name, overrides=None, stop=None, events=()):
    system, settings = load(SCENARIOS / name, overrides)
    for time, values in events:
        system.at(time, set=values)
    return system.run(stop or settings.stop_time, **settings.run_options()), system


def boundaries(ds):
    """Indices of the records at the cycle boundaries 0, P, 2P, ... (the output grid is exact)."""
    t = ds["time"].values
    n = int(round(t[-1] / P))
    idx = [int(np.argmin(np.abs(t - k * P))) for k in range(n + 1)]
    assert all(abs(t[i] - k * P) < 1e-12 for k, i in enumerate(idx))
    return idx


def cycle_heat(ds):
    """Q_L of every cycle [W] from the cumulative hx.energy_load at the boundaries."""
    e = ds["hx.energy_load"].values[boundaries(ds)]
    return np.diff(e) / P


def cycle_mean(ds, var):
    """Mean of a recorded variable over every cycle (the records in (kP, (k+1)P])."""
    b = boundaries(ds)
    v = ds[var].values
    return np.array([v[i0 + 1:i1 + 1].mean() for i0, i1 in zip(b, b[1:])])


def gas(ds):
    return ds["stage.mass"].values + ds["hp_buffer.mass"].values + ds["lp_buffer.mass"].values


def fundamental(t, w):
    """Peak-to-peak amplitude of the cycle-frequency component of w(t), least squares together
    with an offset and a linear drift (a drift alone would leak into the sine over one cycle)."""
    X = np.column_stack([np.ones_like(t), t - t.mean(), np.sin(OMEGA * t), np.cos(OMEGA * t)])
    c = np.linalg.lstsq(X, w, rcond=None)[0]
    return 2.0 * math.hypot(c[2], c[3])


def groups(system) -> dict:
    """The paper's dimensionless groups of a scenario's SI set (as tests/test_hybrid_actors.py)."""
    a = system.bus.actors
    st = a["stage"]
    return HybridSI(T_C=st.T_compression, T_E=st.T_expansion, T_L=a["hx"].T_load, T_D=st.T_dead,
                    V_E=st.swept_volume_expansion, V_C=st.swept_volume_compression,
                    V_D=st.dead_volume, V_B=a["hp_buffer"].volume, phase=st.phase,
                    frequency=st.frequency, r_cv_f=a["hp_valve"].r_forward, a_t=a["turbine"].area,
                    p_charge=st.p_charge, R_gas=R_HE).groups()


def monolithic_q_l(g: dict, R_hp_b: float, R_lp_b: float) -> float:
    """Q_L (per cycle over p_charge V_E) at the cyclic steady state of the paper's eq. 30-32 with a
    back-leak resistance of its own for each valve (fmus/reference/hybrid.py takes one R_cv,b for both):
    marched from the charge state with DOP853 until no pressure changes by 1e-9 over a cycle
    (the charge gas is conserved by the equations, so this is the state the co-simulation
    reaches after a leak opens at constant gas).  Q_L = 1/(2 pi) oint Wdot_t, Wdot_t = Mdot_t
    gamma/((gamma-1) beta chi) (1 - (Pi_HP/Pi_LP)^((1-gamma)/gamma)), Mdot_t = beta chi A_t
    Pi_HP Psi (eq. 36, 40-41)."""
    beta, kappa, S, alpha = g["beta"], g["kappa"], g["S"], g["alpha"]
    lam, gamma, chi, A_t, R_f = g["lam"], g["gamma"], g["chi"], g["A_t"], g["R_cv_f"]
    e = (1.0 - gamma) / gamma
    c2 = 2.0 / (gamma - 1.0)

    def rhs(phi, y):
        Pi, H, L, _ = y
        D = beta * (1.0 + math.cos(phi)) + kappa * (1.0 + math.cos(phi - alpha)) + 2.0 * S
        d = Pi - H
        f_hp = d / (R_f if d > 0.0 else R_hp_b)
        d = L - Pi
        f_lp = d / (R_f if d > 0.0 else R_lp_b)
        if H >= L:
            x = 1.0 - (H / L) ** e
            T = A_t * chi * H * math.sqrt(c2 * x)
        else:
            x = -(1.0 - (L / H) ** e)
            T = -A_t * chi * L * math.sqrt(-c2 * x)
        return [(Pi * (beta * math.sin(phi) + kappa * math.sin(phi - alpha))
                 + beta / math.pi * (f_lp - f_hp)) / D,
                (f_hp - T) / (2.0 * math.pi * lam), (T - f_lp) / (2.0 * math.pi * lam),
                T * gamma / ((gamma - 1.0) * chi) * abs(x) / (2.0 * math.pi)]

    y = [1.0, 1.0, 1.0, 0.0]
    for _ in range(60):
        end = solve_ivp(rhs, (0.0, 2.0 * math.pi), y, method="DOP853", rtol=1e-10, atol=1e-12).y[:, -1]
        change = max(abs(end[i] - y[i]) for i in range(3))
        y = [end[0], end[1], end[2], 0.0]
        if change < 1e-9:
            return float(end[3])
    raise AssertionError("no cyclic steady state in 60 cycles")


# -- the cycle-mean refrigeration output (fmus/hybrid_exchangers.py) ------------------------------
def test_cycle_mean_refrigeration_is_the_exact_mean_over_each_window():
    """heat_load_cycle is the integral of the step values of heat_load over [kP, (k+1)P) / P:
    by hand for steps that straddle the windows' ends (7 ms, P = 20 ms) and a step longer than
    a window (which then holds one value throughout); and bit-compatible with energy_load for
    steps that divide the period (1000 per cycle)."""
    x = HybridExchangers("hx", T_warm=90.0, T_load=30.0, cycle_period=0.02)
    x.setup()
    flows = [8e-3, 6e-3, 9e-3, 7e-3, 5e-3, 8.5e-3, 6.5e-3, 7.5e-3, 9.5e-3]
    t, h, q_of = 0.0, 7e-3, []
    published = []
    for m in flows:
        x.mdot, x.T_turbine_out = m, 25.5
        x.do_step(t, h)
        q_of.append((t, t + h, x.heat_load))
        t += h
        published.append(x.heat_load_cycle)

    def exact(k):   # mean over window k of the step values
        a, b = k * 0.02, (k + 1) * 0.02
        return sum(q * max(0.0, min(b, t1) - max(a, t0)) for t0, t1, q in q_of) / 0.02

    # the windows end at 20, 40, 60 ms, inside the 3rd (14-21 ms), 6th (35-42) and 9th (56-63) steps
    assert published[:2] == [0.0, 0.0]
    assert published[2] == pytest.approx(exact(0), rel=1e-14)
    assert published[5] == pytest.approx(exact(1), rel=1e-14)
    assert published[8] == pytest.approx(exact(2), rel=1e-14)
    assert published[3] == published[4] == published[2]
    # a step of 45 ms from t = 63 ms: window 3 (60-80 ms) ends in it and window 4 (80-100 ms)
    # lies wholly inside it
    x.mdot = 4e-3
    x.do_step(t, 0.045)
    q = x.heat_load
    assert x.heat_load_cycle == q                                     # window 4: the step's value
    assert x.energy_window == pytest.approx(q * (0.108 - 0.1), rel=1e-12)
    # 1000 steps per cycle: the window's mean is the cycle's energy over P
    y = HybridExchangers("hx", T_warm=90.0, T_load=30.0, cycle_period=0.02)
    y.setup()
    for k in range(1000):
        y.mdot, y.T_turbine_out = 8e-3 * (1.0 + 0.3 * math.sin(2 * math.pi * k / 1000)), 25.5
        y.do_step(k * 2e-5, 2e-5)
    assert y.heat_load_cycle == pytest.approx(y.energy_load / 0.02, rel=1e-13)
    assert abs(y.energy_window) < 1e-15 * y.energy_load


# -- start-up -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def startup():
    ds, _ = run("hybrid_startup.toml")
    return ds


@pytest.fixture(scope="module")
def leak():
    ds, system = run("hybrid_valve_leak.toml")
    return ds, system


def test_startup_buffers_separate_rotor_spins_up_refrigeration_builds(startup, leak):
    ds = startup
    t = ds["time"].values
    # everything at the charge pressure at t = 0, the rotor at rest
    for v in ("stage.p", "hp_buffer.p", "lp_buffer.p"):
        assert ds[v].values[0] == pytest.approx(PC, rel=1e-12)
    assert ds["turbine.speed"].values[0] == 0.0
    # the buffers separate within 3 cycles to their cyclic steady state: the rotor does not
    # change the nozzle flow, so they are the paper turbine's (the monolithic model's mean
    # buffer pressures: within 2e-3 of p_charge, the coupling error of the pressures measured in
    # tests/test_hybrid_actors.py; here 5e-4)
    hp, lp = cycle_mean(ds, "hp_buffer.p") / PC, cycle_mean(ds, "lp_buffer.p") / PC
    assert hp[0] > 1.3 and lp[0] > 1.0 and hp[2] > 1.5 and lp[2] < 1.05
    ref = cyclic_steady_state(**groups(load(SCENARIOS / "hybrid_startup.toml")[0]), steps_per_cycle=800,
                              return_waves=True)
    waves = ref["waves"]
    assert hp[-1] == pytest.approx(np.mean(waves["Pi_HP"][:-1]), abs=2e-3)
    assert lp[-1] == pytest.approx(np.mean(waves["Pi_LP"][:-1]), abs=2e-3)
    assert abs(hp[-1] - hp[2]) < 1e-3 and abs(lp[-1] - lp[2]) < 1e-3
    # the cycle-mean speed rises every cycle; spin-up time constant J/(2 mdot r^2 + b) = 2.3
    # cycles, so it is within 0.1 % of its final value after 20 cycles (the last two cycles
    # differ by 4 rad/s)
    w = cycle_mean(ds, "turbine.speed")
    assert np.all(np.diff(w) > 0.0)
    assert w[0] < 0.1 * w[-1] and w[4] < 0.9 * w[-1] and (w[-1] - w[-2]) < 5e-4 * w[-1]
    # ... and settles at the design point r w = c/2 that the brake b = 2 mdot r^2 sets: the mean
    # of J dw/dt = 2 |mdot| r (c - r w) - b w over a cycle is zero at w = <2 |mdot| r c> /
    # <2 |mdot| r^2 + b> up to the correlation of the flow's and the speed's swings (1.7 % p-p)
    # and the 4 rad/s still to come: within 1e-3 (measured 2e-4)
    last = (t > t[-1] - P + 1e-9)
    mdot, vr, speed = (ds[v].values[last] for v in ("turbine.mdot", "turbine.velocity_ratio", "turbine.speed"))
    c = RADIUS * speed / vr                                  # the jet speed of each step
    w_bar = np.mean(2 * np.abs(mdot) * RADIUS * c) / np.mean(2 * np.abs(mdot) * RADIUS**2 + BRAKE)
    assert w[-1] == pytest.approx(w_bar, rel=1e-3)
    assert np.mean(vr) == pytest.approx(0.5, abs=0.01)                  # 0.505
    # refrigeration builds cycle by cycle to slightly below the paper's turbine (no rotor, the
    # valve-leak scenario before its leak): the wheel runs off its design point while the jet
    # speed swings; the cycle mean output is the cycle's energy over P
    q = cycle_heat(ds)
    assert np.all(np.diff(q) > -1e-6 * q[-1]) and q[0] < 0.2 * q[-1]
    assert ds["hx.heat_load_cycle"].values[boundaries(ds)[1:]] == pytest.approx(q, rel=1e-12)
    q_paper = cycle_heat(leak[0])[9]
    assert 0.99 * q_paper < q[-1] < q_paper                       # measured: -0.34 %
    # the events, in order: speed first (cycle 6), then the cycle mean above 180 W, which can
    # only change at a cycle's end
    ev = events_of(ds)
    assert [e["name"] for e in ev] == ["turbine above 180,000 rpm", "refrigeration above 180 W"]
    assert 0.1 < ev[0]["time"] < ev[1]["time"]
    assert ev[1]["time"] == pytest.approx(6 * P, abs=2e-5)        # located within one step
    assert ev[0]["value"] == pytest.approx(180000 * 2 * math.pi / 60, rel=1e-3)
    # the gas in stage and buffers is conserved (every consumer of a flow sees the same value)
    M = gas(ds)
    assert np.max(np.abs(M / M[0] - 1.0)) < 1e-12


# -- the leaking check valve ----------------------------------------------------------------------
R_BACK = 3.7391e8           # Pa s/kg: the leak of hybrid_valve_leak.toml


def test_valve_leak_degrades_rectification_and_refrigeration_as_the_monolithic_model(leak):
    ds, system = leak
    g = groups(system)
    R_b = R_BACK * g["R_cv_f"] / system.bus.actors["hp_valve"].r_forward
    assert R_b == pytest.approx(2.0, rel=1e-4)
    q = cycle_heat(ds)
    sealed, leaking = q[9], q[-1]
    assert abs(q[-1] - q[-2]) < 1e-6 * q[-1] and abs(q[9] - q[8]) < 1e-6 * q[9]   # both settled
    # the monolithic reference: eq. 30-32 with the HP valve's R_cv,b = 2, the LP valve sealed
    q_sealed_ref = monolithic_q_l(g, math.inf, math.inf) * PW
    q_leak_ref = monolithic_q_l(g, R_b, math.inf) * PW
    # co-simulation against it: the explicit coupling's +0.26 % (first order in the step) in
    # both states (measured +0.258 % and +0.264 %), so within (0, +0.5 %), and the relative drop
    # within 1e-3 (measured 4e-5: the coupling errors cancel)
    for cosim, ref in ((sealed, q_sealed_ref), (leaking, q_leak_ref)):
        assert 0.0 < cosim / ref - 1.0 < 5e-3
    drop, drop_ref = 1.0 - leaking / sealed, 1.0 - q_leak_ref / q_sealed_ref
    assert drop == pytest.approx(drop_ref, abs=1e-3)
    assert 0.15 < drop < 0.3                                      # measured 22.3 %
    # rectification: the buffers' pressure ratio and the turbine flow fall; gas flows back
    hp, lp = cycle_mean(ds, "hp_buffer.p"), cycle_mean(ds, "lp_buffer.p")
    assert hp[-1] / lp[-1] < hp[9] / lp[9] - 0.05                   # 1.479 -> 1.398
    flow = cycle_mean(ds, "turbine.mdot")
    assert 0.85 < flow[-1] / flow[9] < 0.95                        # -10.8 %
    v = ds["hp_valve.mdot"].values
    t = ds["time"].values
    assert np.all(v[t <= 0.2 + 1e-9] >= 0.0) and v[t > 0.2 + 1e-9].min() < -1e-3
    # the events: the leak at 0.2 s, then the cycle mean below 160 W at the end of the second
    # cycle after it (the first still averages 165 W: the buffers take a cycle to respond)
    ev = events_of(ds)
    assert [e["name"] for e in ev] == ["HP valve starts to leak", "refrigeration below 160 W"]
    assert ev[0]["time"] == 0.2 and ev[0]["set"] == {"hp_valve.r_back": R_BACK}
    assert q[10] > 160.0 > q[11]
    assert ev[1]["time"] == pytest.approx(0.24, abs=2e-5) and ev[1]["value"] < 160.0
    M = gas(ds)
    assert np.max(np.abs(M / M[0] - 1.0)) < 1e-12


def test_both_valves_leaking_meet_the_monolithic_cyclic_steady_state(leak):
    """Both check valves at R_cv,b = 2: the case cryocosim.fmus.reference.hybrid.cyclic_steady_state
    solves.  The leak opens at 0.1 s (5 cycles, the sealed state settled to 1e-4); 7 cycles
    later the cycle is settled to 1e-6.  The co-simulation meets the monolithic Q_L within
    (0, +0.5 %): the explicit coupling's first-order +0.26 %.  The reference of the scenario's
    single leaking valve (monolithic_q_l, the same equations marched with DOP853) agrees with
    cyclic_steady_state where both solve the same case, within 2e-5 (RK4 at 800 steps against
    DOP853 across the valves' kinks: measured 4e-6)."""
    _, system = leak
    g = groups(system)
    R_b = R_BACK * g["R_cv_f"] / system.bus.actors["hp_valve"].r_forward
    ref = cyclic_steady_state(**{**g, "R_cv_b": R_b}, steps_per_cycle=800)
    assert monolithic_q_l(g, R_b, R_b) == pytest.approx(ref["Q_L"], rel=2e-5)
    ds, _ = run("hybrid_stirling.toml", stop=12 * P,
                events=[(0.1, {"hp_valve.r_back": R_BACK, "lp_valve.r_back": R_BACK})])
    q = cycle_heat(ds) / PW
    assert abs(q[-1] - q[-2]) < 1e-6 * q[-1]
    assert 0.0 < q[-1] / ref["Q_L"] - 1.0 < 5e-3
    # two leaking valves cost more refrigeration than one (106 W, 144 W, 186 W sealed)
    one = cycle_heat(leak[0])[-1] / PW
    assert q[-1] < one < cycle_heat(leak[0])[9] / PW


# -- the turbine stall ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stall():
    ds, system = run("hybrid_turbine_stall.toml")
    return ds, system


def test_stall_is_reported_refrigeration_is_lost_and_the_buffers_equalise(stall):
    ds, system = stall
    t = ds["time"].values
    ev = events_of(ds)
    names = [e["name"] for e in ev]
    assert names == ["turbine above 180,000 rpm", "refrigeration above 180 W", "bearing seizes",
                     "turbine stalled: drive stopped", "refrigeration lost", "buffers equalised"]
    times = [e["time"] for e in ev]
    assert times == sorted(times) and times[2] == 0.3
    stalled, lost, equal = ev[3], ev[4], ev[5]
    assert stalled["set"] == {"stage.frequency": 0.0}
    # the coast-down: averaged over the cycle, J dw/dt = -T_f + k (w_bar - w) with k = 2 <mdot>
    # r^2 + b (the jet's torque less the brake's, linear in w, zero at the mean speed w_bar):
    # w reaches w_s = 20,000 rpm at t = (J/k) ln((w_0 - w_bar + T_f/k) / (w_s - w_bar + T_f/k));
    # the flow's swing over the cycle modulates k and the jet's torque: within 1 % (measured
    # 0.05 %: 17.50 ms against 17.51 ms)
    i0 = int(np.argmin(np.abs(t - 0.3)))
    w0 = ds["turbine.speed"].values[i0]
    w_bar = cycle_mean(ds, "turbine.speed")[14]
    k = 2.0 * cycle_mean(ds, "turbine.mdot")[14] * RADIUS**2 + BRAKE
    a = 0.05 / k
    w_s = 20000 * 2 * math.pi / 60
    t_stall = J / k * math.log((w0 - w_bar + a) / (w_s - w_bar + a))
    assert stalled["time"] - 0.3 == pytest.approx(t_stall, rel=1e-2)
    assert stalled["value"] == pytest.approx(w_s, rel=1e-2)
    # the rotor stops within a few ms of the event and the refrigeration is zero from then on:
    # the gas passes the stopped wheel at its inlet enthalpy
    after = t > stalled["time"] + 0.005
    assert np.all(ds["turbine.speed"].values[after] == 0.0)
    assert np.all(ds["turbine.power"].values[after] == 0.0)
    assert np.all(ds["hx.heat_load"].values[after] == 0.0)
    q = cycle_heat(ds)
    assert q[14] > 180.0 and 0.0 < q[15] < q[14] and np.all(q[16:] == 0.0)
    assert lost["time"] == pytest.approx(17 * P, abs=2e-5)        # the end of the first cycle at 0
    assert np.all(ds["hx.heat_load_cycle"].values[t > 17 * P + 1e-9] == 0.0)
    # the buffers equalise (flow below 0.01 g/s some 40 ms after the drive stopped) and all
    # three volumes end at one pressure: within 2 Pa, twice the explicit coupling's chatter of
    # the nozzle law about equal pressures (h (2 R T_E/V_B) dmdot/dsqrt(dp) = 1.95 sqrt(Pa), a
    # period-2 cycle of +-0.95 Pa; measured 0.956 Pa)
    assert stalled["time"] < equal["time"] < stalled["time"] + 0.06
    end = t > 0.45
    p_s, p_h, p_l = (ds[v].values[end] for v in ("stage.p", "hp_buffer.p", "lp_buffer.p"))
    assert np.max(np.abs(p_h - p_l)) < 2.0 and np.max(np.abs(p_s - p_h)) < 2.0
    # ... the pressure that puts the charge gas into the stage (frozen at its last crank angle)
    # and the two buffers: p = M / (V_e/(R T_E) + V_c/(R T_C) + V_D/(R T_D) + 2 V_B/(R T_E)),
    # within the chatter (measured 2e-7)
    M = gas(ds)
    assert np.max(np.abs(M / M[0] - 1.0)) < 1e-12
    Ve, Vc = ds["stage.V_e"].values[-1], ds["stage.V_c"].values[-1]
    cap = (Ve / 90.0 + Vc / 270.0 + 5e-6 / 135.0 + 2 * 2.5e-5 / 90.0) / R_HE
    assert p_h[-1] == pytest.approx(M[0] / cap, rel=1e-6)
    assert ds["stage.crank_angle"].values[-1] == ds["stage.crank_angle"].values[i0 + 100]   # stopped


# -- rotor speed against inertia ------------------------------------------------------------------
def test_rotor_speed_swing_falls_as_the_inertia_grows_standalone():
    """A driving pressure swinging by +-1 % at 50 Hz: the speed's swing is that of a first-order
    lag, 2 |dT/dp| dp / sqrt(k^2 + (J omega)^2) (k = 2 mdot r^2 + b), for J omega/k from 4 to 60
    (1e-8 to 1.6e-7 kg m2): within 2e-3 (measured 2e-4; the +-1 % swing keeps it linear)."""
    p_in, p_out, eps = 3.08e6, 2.08e6, 0.01

    def torque(p, w):
        tu = Turbine("t", area=7.7573e-7, inertia=1e-8, wheel_radius=RADIUS, load_coefficient=BRAKE)
        tu.setup()
        tu.p_in, tu.p_out, tu.T_in = p, p_out, 30.0
        mdot, dh = tu._flow()
        G = 2.0 * mdot * RADIUS
        return G * (math.sqrt(2.0 * dh) - RADIUS * w) - BRAKE * w, G * RADIUS + BRAKE

    A0, _ = torque(p_in, 0.0)
    _, k = torque(p_in, 0.0)
    w_bar = A0 / k
    dT = (torque(p_in * 1.001, w_bar)[0] - torque(p_in * 0.999, w_bar)[0]) / (0.002 * p_in)
    amps = []
    for inertia in (1e-8, 4e-8, 1.6e-7):
        tu = Turbine("t", area=7.7573e-7, inertia=inertia, wheel_radius=RADIUS, load_coefficient=BRAKE,
                     speed_start=w_bar)
        tu.p_in, tu.p_out, tu.T_in = p_in, p_out, 30.0
        tu.setup()
        h, n = 2e-5, 1000
        ts, ws = [], []
        for i in range(12 * n):
            tu.p_in = p_in * (1.0 + eps * math.sin(OMEGA * (i + 0.5) * h))
            tu.do_step(i * h, h)
            if i >= 11 * n:
                ts.append((i + 1) * h)
                ws.append(tu.speed)
        amp = fundamental(np.array(ts), np.array(ws))
        assert amp == pytest.approx(2 * abs(dT) * eps * p_in / math.hypot(k, inertia * OMEGA), rel=2e-3)
        amps.append(amp)
    assert amps[0] > amps[1] > amps[2]
    assert amps[0] / amps[2] > 15.0


def test_rotor_speed_swing_in_the_cooler_falls_as_the_inertia_grows(startup):
    """In the co-simulated cooler the buffers' pressure swing drives the rotor: four times the
    start-up scenario's inertia (the same rotor, started at its final speed) swings four times
    less at the cycle frequency, as a first-order lag with J omega/k = 14.7 predicts (3.99);
    within 3 % (the flow's +-20 % swing over the cycle modulates k, which the lag with a constant
    k leaves out: measured 4.05 against 3.99, +1.6 %)."""
    t = startup["time"].values
    last = t > t[-1] - P + 1e-9
    a1 = fundamental(t[last], startup["turbine.speed"].values[last])
    w_end = float(cycle_mean(startup, "turbine.speed")[-1])
    ds, _ = run("hybrid_startup.toml", {"turbine.inertia": 4 * J, "turbine.speed_start": w_end}, stop=10 * P)
    t4 = ds["time"].values
    last = t4 > t4[-1] - P + 1e-9
    a4 = fundamental(t4[last], ds["turbine.speed"].values[last])
    k = 2.0 * cycle_mean(startup, "turbine.mdot")[-1] * RADIUS**2 + BRAKE
    assert J * OMEGA / k == pytest.approx(14.7, abs=0.05)
    assert a1 / a4 == pytest.approx(math.hypot(k, 4 * J * OMEGA) / math.hypot(k, J * OMEGA), rel=3e-2)
    # the fundamental's peak to peak: 0.94 % of the speed (the whole swing, harmonics too, 1.7 %)
    assert 0.005 < a1 / w_end < 0.017


def test_isentropic_efficiency_below_one_with_and_without_rotor():
    """eta < 1: the nozzle flow is unchanged and the shaft power is eta mdot dh_s.  With the
    rotor, a brake b = 2 eta mdot r^2 keeps the design point r w = c/2, where the wheel takes
    eta mdot dh_s (its torque 2 eta |mdot| r (c - r w)).  In the cooler with ideal exchangers the
    turbine is fed at T_L whatever its outlet, so the pressures are eta's and Q_L scales with
    it exactly (to rounding)."""
    eta = 0.7
    t = Turbine("t", area=7.7573e-7, efficiency=eta, inertia=J, wheel_radius=RADIUS)
    t.setup()
    t.p_in, t.p_out, t.T_in = 3e6, 2e6, 30.0
    mdot, dh = t._flow()
    t.set_parameter("load_coefficient", 2.0 * eta * mdot * RADIUS**2)
    t.do_step(0.0, 3.0)                             # one exact step of 45 time constants J / (2 b)
    t.do_step(3.0, 1e-3)
    assert t.velocity_ratio == pytest.approx(0.5, rel=1e-9)
    assert t.power == pytest.approx(eta * mdot * dh, rel=1e-9)
    assert t.T_out == pytest.approx(30.0 - eta * dh / CP_HE, rel=1e-12)
    full, _ = run("hybrid_stirling.toml", stop=3 * P)
    part, _ = run("hybrid_stirling.toml", {"turbine.efficiency": eta}, stop=3 * P)
    np.testing.assert_array_equal(part["hp_buffer.p"].values, full["hp_buffer.p"].values)
    assert cycle_heat(part) == pytest.approx(eta * cycle_heat(full), rel=1e-12)
