"""The J-T stage and the two-stage GM cryostat of NRAO EDTN 203 section 4 (seed 002):
``fmus/physics/jt_physics.py``, ``fmus/jt_stage.py``, ``fmus/gm_cryostat.py``.

Checked against things the code does not produce: the ideal-gas choked flow, CoolProp called
directly (speed of sound, flashes, a brute-force scan of the isentrope), energy and mass
balances, and the note's own figures (tolerances justified where they are set)."""
from __future__ import annotations

import math

import pytest

CoolProp = pytest.importorskip("CoolProp.CoolProp")

from cryocosim.fmus import gm_cryostat as gm  # noqa: E402
from cryocosim.fmus.physics import jt_physics as jt  # noqa: E402
from cryocosim.fmus.jt_stage import THROAT_AREA_NOTE, JTStage, copper_h  # noqa: E402

ATM = 101325.0
R_HE = 8.314462618 / 4.002602e-3


@pytest.fixture(scope="module")
def he():
    return CoolProp.AbstractState("HEOS", "Helium")


@pytest.fixture(scope="module")
def loop():
    return jt.jt_loop_model(20 * ATM, 1 * ATM)


def h_pT(he, p, T):
    he.update(CoolProp.PT_INPUTS, p, T)
    return he.hmass()


# -- the valve ------------------------------------------------------------------------------------

@pytest.mark.parametrize("p0", [1e4, 1e5])
def test_choked_flux_ideal_gas_limit(he, p0):
    """Warm, dilute helium: G = p0 sqrt(gamma/(R T0)) (2/(gamma+1))^((gamma+1)/(2(gamma-1))),
    gamma = 5/3.  Tolerance: a few times the departure from the ideal gas, |Z - 1| (5e-5 at
    1e4 Pa, 5e-4 at 1e5 Pa, 300 K), G scaling about as Z**-1/2."""
    T0, g = 300.0, 5.0 / 3.0
    G_ideal = p0 * math.sqrt(g / (R_HE * T0)) * (2.0 / (g + 1.0)) ** ((g + 1.0) / (2.0 * (g - 1.0)))
    he.update(CoolProp.PT_INPUTS, p0, T0)
    Z = p0 / (he.rhomass() * R_HE * T0)
    throat = jt.isentropic_nozzle(p0, T0)
    assert throat.choked
    assert abs(throat.mass_flux / G_ideal - 1.0) < 2.0 * abs(Z - 1.0) + 1e-6
    # critical pressure ratio (2/(gamma+1))^(gamma/(gamma-1)) = 0.4871
    assert throat.p / p0 == pytest.approx((2.0 / (g + 1.0)) ** (g / (g - 1.0)), rel=2e-3)


@pytest.mark.parametrize("T0", [8.0, 15.0, 50.0, 300.0])
def test_throat_velocity_is_the_speed_of_sound(T0):
    """Eq. 47: dA = 0 where v = c.  In the gas the largest flux must sit where the velocity
    equals CoolProp's speed of sound (1e-3: the minimiser's pressure tolerance moves v by less)."""
    throat = jt.isentropic_nozzle(20 * ATM, T0)
    assert throat.choked and math.isnan(throat.quality)
    assert throat.velocity == pytest.approx(throat.speed_of_sound, rel=1e-3)


@pytest.mark.parametrize("T0", [4.2, 6.0, 10.0])
def test_choked_flux_is_the_maximum_of_a_brute_force_scan(he, T0):
    """Scan rho v along the isentrope with CoolProp directly (400 pressures from 1 atm to p0):
    no scanned point beats the minimiser's flux, and the best one is within 0.1 % of it."""
    p0, p_out = 20 * ATM, ATM
    he.update(CoolProp.PT_INPUTS, p0, T0)
    s0, h0 = he.smass(), he.hmass()
    best = 0.0
    for k in range(400):
        p = p_out + (p0 - p_out) * k / 400.0
        he.update(CoolProp.PSmass_INPUTS, p, s0)
        best = max(best, he.rhomass() * math.sqrt(2.0 * max(h0 - he.hmass(), 0.0)))
    G = jt.choked_mass_flux(p0, T0, p_out)
    assert best <= G * (1.0 + 1e-9)
    assert best >= G * (1.0 - 1e-3)


def test_liquid_inlet_is_limited_by_the_exhaust(he):
    """At 20 atm and 4.2 K the isentrope stays liquid down to 0.35 atm (the note: "below about 6 K
    ... the helium can turn to liquid in the nozzle"): with a 1 atm exhaust the flux is largest at
    the exhaust pressure, rho v there by hand."""
    he.update(CoolProp.PT_INPUTS, 20 * ATM, 4.2)
    s0, h0 = he.smass(), he.hmass()
    he.update(CoolProp.PSmass_INPUTS, ATM, s0)
    G_hand = he.rhomass() * math.sqrt(2.0 * (h0 - he.hmass()))
    throat = jt.isentropic_nozzle(20 * ATM, 4.2, ATM)
    assert not throat.choked
    assert throat.mass_flux == pytest.approx(G_hand, rel=1e-12)


def test_flow_table_matches_the_nozzle_solution(loop):
    """The cached table of G(T0) against direct solutions between its nodes (worst 4e-5 measured,
    near the 5.6-6 K switch from the exhaust-limited to the sonic throat): 2e-4."""
    table = loop.flow_table()
    for k in range(0, table.n - 1, 3):
        T = math.exp(0.5 * (table.xs[k] + table.xs[k + 1]))
        if T > 60.0:
            break
        assert table(T) == pytest.approx(jt.choked_mass_flux(20 * ATM, T, ATM), rel=2e-4)


def test_isobar_tables_match_coolprop(he, loop):
    """h(T) of both isobar tables between nodes against CoolProp, and T(h) against h(T)."""
    for iso in (loop.hp, loop.lp):
        for k in range(0, iso.n - 1, 7):
            T = math.sqrt(iso.Ts[k] * iso.Ts[k + 1])
            if iso.subcritical:
                he.specify_phase(CoolProp.iphase_gas)
            he.update(CoolProp.PT_INPUTS, iso.p, T)
            he.unspecify_phase()
            assert iso.h(T) == pytest.approx(he.hmass(), abs=0.01)      # J/kg
            assert iso.T(iso.h(T)) == pytest.approx(T, abs=1e-6)


def test_jt_mass_flow_scales_with_area_and_design_point():
    """The default throat passes the note's 0.32 g/s at 20 atm, 4.2 K (1 atm exhaust)."""
    assert jt.throat_area_for(0.32e-3) == pytest.approx(THROAT_AREA_NOTE, rel=1e-4)
    assert jt.jt_mass_flow(20 * ATM, 4.2, THROAT_AREA_NOTE, ATM) == pytest.approx(0.32e-3, rel=1e-4)


# -- saturation and hand calculations --------------------------------------------------------------

def test_saturation_temperatures():
    """4.22 K at 1 atm; the note's "about 2.5 K at 0.1 atmospheres ... to 5.2 K at 2.2
    atmospheres" (two significant figures: +-0.05 K)."""
    assert jt.saturation_temperature(ATM) == pytest.approx(4.22, abs=0.005)
    assert jt.saturation_temperature(0.1 * ATM) == pytest.approx(2.5, abs=0.05)
    assert jt.saturation_temperature(2.2 * ATM) == pytest.approx(5.2, abs=0.05)
    # the note: latent heat 20.6 J/g at 4.2 K
    assert jt.saturation(ATM).latent_heat == pytest.approx(20.6e3, abs=0.05e3)


def test_pressures_outside_coolprops_saturation_line_are_refused():
    """CoolProp's helium starts at the lambda point (2.1768 K, 5039 Pa); below that pressure its
    PQ flash does not fail but answers wrongly (101 Pa: 2.56 K, warmer than at 0.1 atm), so the
    saturation functions and the J-T stage refuse such a pressure with a message naming it, as
    they do one at or above the critical pressure."""
    p_min = jt.lowest_saturation_pressure()
    assert p_min == pytest.approx(CoolProp.PropsSI("ptriple", "Helium"), rel=1e-12)
    assert jt.saturation_temperature(p_min) == pytest.approx(2.1768, abs=1e-4)
    for p in (101.325, 0.99 * p_min, jt.critical_pressure()):
        with pytest.raises(ValueError, match="helium saturation needs"):
            jt.saturation_temperature(p)
    from cryocosim import ParameterError
    stage = JTStage("jt", p_exhaust=0.001 * ATM)
    with pytest.raises(ParameterError, match=r"actor 'jt': parameter 'p_exhaust': exhaust pressure 101.325 Pa must lie "
                                              r"between 5039.33 Pa"):
        stage.setup()
    # in a scenario the error names where the value came from
    from pathlib import Path

    from cryocosim import ConfigurationError, scenario
    cooldown = Path(__file__).resolve().parents[1] / "scenarios" / "4k_cooldown.toml"
    with pytest.raises(ConfigurationError, match=r"^--set 'jt.p_exhaust': exhaust pressure 101.325 Pa"):
        scenario.validate(cooldown, {"jt.p_exhaust": "0.001 atm"}, "--set")


def test_isenthalpic_expansion_quality(he, loop):
    """After the valve (point 6) the state is CoolProp's HmassP flash of h5 at the exhaust."""
    s = loop.solve(0.32e-3, E3=0.96)
    he.update(CoolProp.HmassP_INPUTS, s.h[5], ATM)
    assert s.quality_6 == pytest.approx(he.Q(), abs=1e-9)
    assert s.T[6] == pytest.approx(he.T(), abs=1e-9)
    # the note's Table 11 example: 20 atm and 15 K throttled to 1 atm gives "~12.5 K"
    he.update(CoolProp.HmassP_INPUTS, h_pT(he, 20 * ATM, 15.0), ATM)
    assert he.T() == pytest.approx(12.5, abs=0.05)


# -- the loop --------------------------------------------------------------------------------------

@pytest.mark.parametrize("definition", ["pinch", "note"])
@pytest.mark.parametrize("stations", [(300.0, 77.0, 15.0, None), (300.0, 80.0, 18.0, 6.0),
                                      (290.0, 60.0, 12.0, 30.0)])
def test_loop_energy_balance(loop, definition, stations):
    """Whole loop: the heat taken in at the 4 K station equals the heat rejected at the two
    stations plus the enthalpy the stream carries out, mdot (h10 - h0); the exchangers conserve
    energy.  Includes a 4 K station warmer than the 15 K one (X3 running backwards)."""
    T0, T77, T15, TL = stations
    s = loop.solve(0.3e-3, T_supply=T0, T_77=T77, T_15=T15, T_load=TL, definition=definition)
    out = s.heat_77 + s.heat_15 + s.mdot * (s.h[10] - s.h[0])
    assert s.capacity == pytest.approx(out, rel=1e-12, abs=1e-12)
    h = s.h
    assert h[4] - h[5] == pytest.approx(h[8] - h[7], rel=1e-12)      # X3
    assert h[2] - h[3] == pytest.approx(h[9] - h[8], rel=1e-12)      # X2
    assert h[0] - h[1] == pytest.approx(h[10] - h[9], rel=1e-12)     # X1


def test_pinch_definition_respects_the_second_law(loop):
    """With the "pinch" definition and E3 = 1 the J-T inlet reaches the station temperature and
    no lower; with the note's eq. 35-38 and E3 = 1 it would be cooled below the returning gas
    (3.4 K against 4.22 K: the note's 4.44 W needs this)."""
    T_sat = loop.sat.T
    pinch = loop.solve(0.32e-3, E3=1.0, definition="pinch")
    note = loop.solve(0.32e-3, E3=1.0, definition="note")
    assert pinch.T[5] == pytest.approx(T_sat, abs=1e-6)
    assert note.T[5] < T_sat - 0.5
    # X1 and X2 are limited by the cold stream: the two definitions agree there
    assert pinch.h[1] == pytest.approx(note.h[1], rel=1e-3)
    assert pinch.h[3] == pytest.approx(note.h[3], rel=2e-2)


# Table 12 (0.32 g/s, E1 = E2 = 0.96; the note's "H (J)" are W at 0.32 g/s)
TABLE12 = {  # point: (T first, H first, T second, H second)
    0: (300, 505.3, 300, 505.3), 1: (88.1, 149.4, 83.8, 145.3), 2: (77, 134.0, 77, 134.0),
    3: (20.0, 34.76, 19.5, 33.97), 4: (15, 24.88, 15, 24.88), 7: (4.2, 9.64, 4.2, 9.64),
    8: (15, 29.32, 14.5, 28.53), 9: (77, 132.7, 74.5, 128.6), 10: (300, 503.4, 291.1, 488.6)}


@pytest.mark.parametrize("approx", [1, 2])
def test_table12(loop, approx):
    """Table 12 with the note's definition of E.  Enthalpies are compared as differences from
    point 0 (the reference states differ).  Tolerances: temperatures 0.5 K (the 1972 tables'
    cp at 20 atm differs from CoolProp's by a few tenths of a per cent over 15-77 K); enthalpy
    differences 0.5 W, 0.15 % of the 355 W X1 duty, and the station heats, small differences of
    100-370 W quantities, to 0.5 W as well.  Measured: 0.4 W at most (the 15 K station)."""
    s = loop.solve(0.32e-3, E1=0.96, E2=0.96, E3=0.96, definition="note", approximation=approx)
    col = 0 if approx == 1 else 2
    for i, row in TABLE12.items():
        T_note, H_note = row[col], row[col + 1]
        if approx == 1 and i == 1:
            # the note's T1 = 88.1 K does not match its own H1: H1 - H2 = 15.4 W at 0.32 g/s is
            # 48.1 J/g above 77 K at 20 atm, 86.3 K with CoolProp (cp = 5.2 J/(g K)); 88.1 K
            # would need cp = 4.75.  Check T1 against the note's H1 instead, and pin the gap.
            he = CoolProp.AbstractState("HEOS", "Helium")
            he.update(CoolProp.HmassP_INPUTS, loop.hp.h(77.0) + (149.4 - 134.0) / 0.32e-3, 20 * ATM)
            assert s.T[1] == pytest.approx(he.T(), abs=0.5)
            assert 1.5 < T_note - s.T[1] < 2.0
        else:
            assert s.T[i] == pytest.approx(T_note, abs=0.5), f"T{i}"
        dH_ours = s.mdot * (s.h[i] - s.h[0])
        assert dH_ours == pytest.approx(H_note - 505.3, abs=0.5), f"H{i}"
    Q77, Q15 = (149.4 - 134.0, 34.76 - 24.88) if approx == 1 else (145.3 - 134.0, 33.97 - 24.88)
    assert s.heat_77 == pytest.approx(Q77, abs=0.5)
    assert s.heat_15 == pytest.approx(Q15, abs=0.5)


def test_eq37_capacities(loop):
    """4.44 W with E3 = 1 and 3.65 W with E3 = 0.96 (eq. 37, the note's definition).

    The loss term of eq. 37, (1 - E3)(H8 - H7) = 0.79 W, is matched to its rounding.  The
    capacity H8 - H4 = mdot (h(1 atm, 15 K) - h(20 atm, 15 K)) is not: CoolProp gives 13.08 J/g,
    the note's Table 11 53.0 J/mol = 13.24 J/g (1.2 % more), its Table 12 4.44 W / 0.32 g/s =
    13.875 J/g (6 % more: the note's two tables disagree by 4.8 %).  So the check is against
    Table 11 (2 %), and the gap to the quoted 4.44 and 3.65 W is pinned (5-7 %) so that a
    change shows."""
    one = loop.solve(0.32e-3, E3=1.0, definition="note", approximation=1)
    loss = loop.solve(0.32e-3, E3=0.96, definition="note", approximation=1).loss_X3
    assert loss == pytest.approx(0.79, abs=0.005)
    table11 = 0.32 * 53.0 / 4.002602                       # W
    assert one.capacity == pytest.approx(table11, rel=0.02)
    assert 0.05 < (4.44 - one.capacity) / 4.44 < 0.07
    e96 = one.capacity - loss
    assert 0.05 < (3.65 - e96) / 3.65 < 0.08
    # the second approximation's loop capacity is eq. 50
    s = loop.solve(0.32e-3, E3=0.96, definition="note")
    assert s.capacity == pytest.approx(jt.capacity_eq50(0.32e-3, s.h[4], s.h[7], loop.lp.h(15.0), 0.96),
                                       rel=1e-12)
    assert s.capacity == pytest.approx(e96, rel=1e-12)


def test_startup_capacity(loop):
    """At 15 K X3 exchanges nothing, so the start-up capacity is mdot(15 K) x (h(1 atm, 15 K) -
    h(20 atm, 15 K)), whatever E3.  The note gives two figures:

    * 1.8 W for the 0.32 g/s machine (E3 = 0.92) -- ours 1.75 W, within the 5 % that its "about"
      and its own tables' 4.8 % spread allow;
    * 1.6 W for the 0.25 g/s machine (E3 = 0.96) -- ours 1.37 W, 14 % less.  The cause is in the
      note: a valve sized for a design flow passes, at 15 K, that flow times one ratio
      mdot(15 K)/mdot(4.2 K) (the flux through a throat does not depend on its area), so the two
      start-up capacities must be in the ratio of the design flows, 0.25/0.32 = 0.78; the note's
      1.6/1.8 = 0.89 is 14 % off that.  Scaled by the flows, its 1.8 W means 1.41 W for the
      0.25 g/s machine, which ours meets as it meets the 1.8 W (within 5 %; both 2.7 % low).
      docs/jt_validation.md states the same."""
    q = {}
    for m_design, E3 in ((0.32e-3, 0.92), (0.25e-3, 0.96)):
        A = jt.throat_area_for(m_design)
        q15, mdot, T5 = loop.capacity(15.0, A, E3=E3)
        assert T5 == pytest.approx(15.0, abs=1e-6)
        assert q15 == pytest.approx(mdot * (loop.lp.h(15.0) - loop.hp.h(15.0)), rel=1e-9)
        # E3 drops out at 15 K (the same to the tables' rounding)
        assert loop.capacity(15.0, A, E3=1.0)[0] == pytest.approx(q15, rel=1e-9)
        q[m_design] = q15
    q32, q25 = q[0.32e-3], q[0.25e-3]
    assert q32 == pytest.approx(1.8, rel=0.05)
    # flow proportional to the throat: the capacities in the ratio of the design flows (the
    # throat areas are computed from those flows at one inlet state; rounding only)
    assert q25 / q32 == pytest.approx(0.25 / 0.32, rel=1e-9)
    assert q25 == pytest.approx(1.8 * 0.25 / 0.32, rel=0.05)
    # the note's 1.6 W is not met: outside the 5 % allowed above (14 % above ours), because its
    # own two figures are 14 % out of the ratio of the flows
    assert (1.6 - q25) / 1.6 > 0.05


# -- the actor -------------------------------------------------------------------------------------

def make_stage(**kw):
    a = JTStage("jt", **kw)
    a.setup()
    return a


def hand_filling_rate(he, T15=15.0, E3=0.96):
    """Liquid production at no load by hand with CoolProp: X3 limited by the supply stream
    (checked), h5 = h4 - E3 (h4 - h(20 atm, T_sat)), mdot from the nozzle solution (no table),
    dm/dt = mdot (h_v - h5) / h_fg."""
    he.update(CoolProp.PQ_INPUTS, ATM, 1.0)
    T_sat, h_v = he.T(), he.hmass()
    he.update(CoolProp.PQ_INPUTS, ATM, 0.0)
    h_l = he.hmass()
    h4 = h_pT(he, 20 * ATM, T15)
    q_hot = h4 - h_pT(he, 20 * ATM, T_sat)
    q_cold = h_pT(he, ATM, T15) - h_v
    assert q_hot < q_cold                       # the supply limits X3 at the pinch (cold end)
    h5 = h4 - E3 * q_hot
    he.update(CoolProp.HmassP_INPUTS, h5, 20 * ATM)
    mdot = THROAT_AREA_NOTE * jt.choked_mass_flux(20 * ATM, he.T(), ATM)
    return mdot * (h_v - h5) / (h_v - h_l), mdot, mdot * (h_v - h5)


def test_liquid_fills_at_the_hand_rate(he):
    """No load, liquid present: the inventory grows at mdot (h_v - h5) / h_fg (hand calculation;
    1e-4: the valve table's interpolation), the same at any step size (the phase is exact)."""
    rate, mdot, cap = hand_filling_rate(he)
    a = make_stage(liquid_start=1e-3, pot_volume=1e-2)
    for _ in range(100):
        a.do_step(0.0, 1.0)
    assert (a.liquid_mass - 1e-3) / 100.0 == pytest.approx(rate, rel=1e-4)
    assert a.mdot == pytest.approx(mdot, rel=1e-4)
    assert a.capacity == pytest.approx(cap, rel=1e-4)
    assert a.T == pytest.approx(jt.saturation_temperature(ATM), abs=1e-12)
    b = make_stage(liquid_start=1e-3, pot_volume=1e-2)
    b.do_step(0.0, 100.0)
    assert b.liquid_mass == pytest.approx(a.liquid_mass, rel=1e-12)


def test_overload_boils_off_then_warms_with_mass_conserved(he):
    """Load above capacity: the liquid boils off at (load - capacity)/h_fg, the pot empties at
    the predicted time, then the station warms.  Helium in = out + (1 - rho_v/rho_l) x liquid
    change (the vapour that fills the room the liquid leaves)."""
    rate, _, cap = hand_filling_rate(he)
    sat = jt.saturation(ATM)
    m0, load = 5e-3, cap + 1.0
    a = make_stage(liquid_start=m0)
    a.heat_load = load
    t_empty = m0 * sat.latent_heat / (load - cap)
    t, h = 0.0, 2.0
    while t + h <= t_empty - 1.0:
        a.do_step(t, h)
        t += h
    # the hand capacity is good to the valve table's 1e-4
    assert a.liquid_mass == pytest.approx(m0 - t * (load - cap) / sat.latent_heat,
                                          abs=1e-4 * cap * t / sat.latent_heat)
    for _ in range(50):
        a.do_step(t, h)
        t += h
    assert a.liquid_mass == 0.0
    assert a.T > sat.T + 0.1
    r = 1.0 - sat.rho_vapour / sat.rho_liquid
    assert a.mass_in - a.mass_out == pytest.approx(r * (0.0 - m0), rel=1e-9)


def test_cool_down_then_fill_energy_balance():
    """From 15 K with no liquid the station cools (the note's start-up point), reaches T_sat and
    starts to fill.  While dry: load - heat taken by the stream = m_cu dh_cu/dt, step by step."""
    a = make_stage(T_start=15.0, station_mass=0.5)
    a.heat_load = 0.2
    t = 0.0
    while a.liquid_mass == 0.0 and t < 3600.0:
        T0 = a.T
        a.do_step(t, 1.0)
        t += 1.0
        if a.liquid_mass == 0.0:
            dE = 0.5 * (copper_h(a.T) - copper_h(T0))
            assert 0.2 - a.heat_removed == pytest.approx(dE, rel=1e-9, abs=1e-12)
    assert a.liquid_mass > 0.0 and t < 3600.0
    assert a.T == pytest.approx(jt.saturation_temperature(ATM), abs=1e-12)


def test_full_pot_overflows():
    """A full pot keeps its inventory; the stream takes exactly the load and the return leaves
    wet; mass in = mass out."""
    a = make_stage(liquid_start=0.0, T_start=4.3, pot_volume=1e-5)
    m_max = jt.saturation(ATM).rho_liquid * 1e-5
    for _ in range(120):
        a.do_step(0.0, 1.0)
    assert a.liquid_mass == pytest.approx(m_max, rel=1e-12)
    a.heat_load = 0.5
    m_in, m_out = a.mass_in, a.mass_out
    a.do_step(0.0, 1.0)
    assert a.heat_removed == pytest.approx(0.5, rel=1e-9)
    assert a.mass_in - m_in == pytest.approx(a.mass_out - m_out, rel=1e-12)


def test_state_rollback_reproduces_a_step():
    a = make_stage(liquid_start=2e-3)
    a.heat_load = 2.0
    snap = a.get_state()
    a.do_step(0.0, 5.0)
    first = (a.liquid_mass, a.T, a.mdot, a.heat_15)
    a.set_state(snap)
    a.do_step(0.0, 5.0)
    assert (a.liquid_mass, a.T, a.mdot, a.heat_15) == first


def test_runs_in_a_system():
    """The actor runs under the engine's master from its class path (entry points aside)."""
    from cryocosim import System

    s = System("J-T stage at fixed stations")
    s.add("jt", "cryocosim.fmus.jt_stage:JTStage", step="1 s", T_start="15 K",
          T_77="77 K", T_15="15 K", heat_load="0.5 W")
    s.add("gm", "cryocosim.fmus.gm_cryostat:GMCryostat", step="1 s", T1="77 K", T2="15 K")
    ds = s.run("60 s")
    assert float(ds["jt.T"][-1]) < 15.0
    assert float(ds["gm.capacity_2"][-1]) == pytest.approx(9.9, rel=1e-4)


# -- the GM cryostat -------------------------------------------------------------------------------

def test_gm_calibration_points():
    """The stored volumes are calibrate()'s (4 digits) and reproduce the two calibration points:
    Q2(77 K, 15 K) = 9.9 W (the note's CTI 1020) and Q1 = 15.4 + 1.405 W (the J-T loop's
    first-approximation 77 K load and the dewar's, Table 8)."""
    V1, V2 = gm.calibrate()
    assert gm.V1_CALIBRATED == pytest.approx(V1, rel=2e-4)
    assert gm.V2_CALIBRATED == pytest.approx(V2, rel=2e-4)
    r = gm.stage_loads(77.0, 15.0, V1=V1, V2=V2)
    assert r["Q1"] == pytest.approx(16.805, rel=1e-12)
    assert r["Q2"] == pytest.approx(9.9, rel=1e-12)


def test_gm_ideal_refrigeration_per_displaced_volume():
    """The note: at 200 psi "a displaced volume of 0.72 cm3/sec would be required for a 1 Watt
    heat load" (ideal, no losses: eps = 1)."""
    r = gm.stage_loads(77.0, 15.0, V1=0.0, V2=0.72e-6, frequency=1.0, eps_warm=1.0)
    assert r["Q2"] == pytest.approx(1.0, rel=0.01)


def test_gm_capacity_trends():
    """Q2 falls with T2 and with T1; Q1 falls as T2 drops (more gas to precool); a no-load
    second-stage temperature exists between 10 and 15 K (the note: useful limit about 15 K)."""
    f = lambda T1, T2: gm.stage_loads(T1, T2, V1=gm.V1_CALIBRATED, V2=gm.V2_CALIBRATED)  # noqa: E731
    assert f(77, 20)["Q2"] > f(77, 15)["Q2"] > f(77, 12)["Q2"]
    assert f(60, 15)["Q2"] > f(77, 15)["Q2"] > f(90, 15)["Q2"]
    assert f(77, 20)["Q1"] > f(77, 15)["Q1"]
    assert f(77, 10)["Q2"] < 0.0 < f(77, 15)["Q2"]


def test_gm_actor():
    from cryocosim.fmus.gm_cryostat import GMCryostat

    a = GMCryostat("gm")
    a.setup()
    a.T1, a.T2 = 77.0, 15.0
    a.do_step(0.0, 1.0)
    assert a.capacity_2 == pytest.approx(9.9, rel=1e-4)
    assert a.capacity_1 == pytest.approx(16.805, rel=1e-4)
    assert a.ideal_2 - a.regenerator_loss_2 == pytest.approx(a.capacity_2, rel=1e-12)
