"""Real-gas property layer (cryocosim.fmus.properties.gas): Newton solvers against CoolProp's own flashes."""
import math

import CoolProp.CoolProp as CP
import pytest

from cryocosim.errors import ModelError
from cryocosim.fmus.properties.gas import FluidStateError, Gas, canonical_fluid

ATM = 101325.0


def flash(fluid, pair, a, b):
    st = CP.AbstractState("HEOS", fluid)
    st.update(pair, a, b)
    return st


def test_canonical_names_are_case_insensitive():
    assert canonical_fluid("N2") == canonical_fluid("nitrogen") == "Nitrogen"
    assert canonical_fluid("AR") == "Argon"
    assert canonical_fluid("ne") == "Neon"
    assert canonical_fluid("Helium") == "Helium"


# Tolerances: the Newton loops stop at |residual| < 1e-10 |u| (or |h|), 1e-11 p, 1e-12 |s|;
# divided by the slopes cv, cp, dp/drho that is ~1e-7 K in T and 1e-10 relative in rho, so 1e-6 K
# and 1e-9 relative are met with margin while still catching a wrong root or a wrong derivative.
@pytest.mark.parametrize("fluid,p,T", [("nitrogen", 0.5 * ATM, 299.0), ("nitrogen", ATM, 90.0),
                                       ("nitrogen", 20e5, 150.0), ("argon", ATM, 120.0),
                                       ("neon", 5e5, 40.0), ("helium", 2e5, 10.0)])
def test_newton_solvers_match_coolprop_flashes(fluid, p, T):
    g = Gas(fluid)
    ref = flash(g.fluid, CP.PT_INPUTS, p, T)
    rho = g.rho_from_p_T(p, T)
    assert rho == pytest.approx(ref.rhomass(), rel=1e-9)
    p_, h, s, cp, cv, u = g.props_rho_T(rho, T)
    assert p_ == pytest.approx(p, rel=1e-9)
    assert h == pytest.approx(ref.hmass(), rel=1e-9, abs=1e-3)
    assert g.h_pT(p, T) == pytest.approx(ref.hmass(), rel=1e-9, abs=1e-3)
    assert g.T_from_rho_u(rho, u, 1.3 * T) == pytest.approx(T, abs=1e-6)
    assert g.T_from_p_h(p, h, 0.8 * T) == pytest.approx(T, abs=1e-6)
    assert g.T_isentropic_rho(rho, s, 1.2 * T) == pytest.approx(T, abs=1e-6)
    assert g.gamma(rho, T) == pytest.approx(cp / cv)


def test_isentropic_temperature_matches_DmassSmass_flash():
    g = Gas("nitrogen")
    rho1 = g.rho_from_p_T(0.5 * ATM, 299.0)
    s1 = g.props_rho_T(rho1, 299.0)[2]
    T2 = g.T_isentropic_rho(1.64 * rho1, s1, 299.0)
    ref = flash("Nitrogen", CP.DmassSmass_INPUTS, 1.64 * rho1, s1)
    assert T2 == pytest.approx(ref.T(), abs=1e-6)


def test_T_from_p_h_in_the_two_phase_region_uses_the_flash():
    g = Gas("nitrogen")
    ref = flash("Nitrogen", CP.PQ_INPUTS, ATM, 0.3)
    T = g.T_from_p_h(ATM, ref.hmass(), 120.0)
    assert T == pytest.approx(ref.T(), abs=1e-6)  # the saturation temperature, 77.35 K


@pytest.mark.parametrize("call", [lambda g: g.props_rho_T(1.0, 1.0),
                                  lambda g: g.props_rho_T(-1.0, 300.0),
                                  lambda g: g.rho_from_p_T(-5.0, 300.0),
                                  lambda g: g.T_from_rho_u(1.0, math.nan, 300.0),
                                  lambda g: g.gamma(1.0, 1e5)])
def test_bad_states_raise_a_one_line_fluid_state_error(call):
    g = Gas("nitrogen")
    with pytest.raises(FluidStateError) as info:
        call(g)
    msg = str(info.value)
    assert isinstance(info.value, ModelError)
    assert "\n" not in msg and msg.startswith("nitrogen")


def test_message_names_fluid_and_inputs():
    with pytest.raises(FluidStateError, match=r"^nitrogen state outside CoolProp's range: rho=-1 kg/m3, T=300 K$"):
        Gas("nitrogen").props_rho_T(-1.0, 300.0)


def test_unknown_fluid():
    with pytest.raises(FluidStateError, match="unknown fluid 'xenon'"):
        Gas("xenon")


# The property layer's calls at states of the screw-Brayton cycle (formerly pinned bit for bit to
# CoolProp 8.0.0's results and skipped on any other build; now checked on any CoolProp: the
# determinism the native-vs-FMU and repeated-run tests rely on, and physics below).
_CALLS = [
    ("rho_from_p_T", (0.5 * ATM, 299.0)),
    ("rho_from_p_T", (ATM, 185.0)),
    ("h_pT", (ATM, 185.0)),
    ("h_pT", (0.5 * ATM, 131.0)),
    ("props_rho_T", (0.6, 299.0)),
    ("T_from_p_h", (ATM, 3.0e5, 290.0)),
    ("T_from_p_h", (0.5 * ATM, 1.4e5, 140.0)),
    ("T_from_rho_u", (0.8, 2.2e5, 300.0)),
    ("T_isentropic_rho", (0.95, 6500.0, 250.0)),
    ("gamma", (1.2, 200.0)),
]


def test_heos_results_do_not_depend_on_call_order_or_the_state_left_behind():
    """Each HEOS result is the same, bit for bit, from a fresh Gas, after all the other calls in
    either order (the state left anywhere by the previous call; an update at the inputs the
    state already holds is skipped, which must not change a result)."""
    fresh = [getattr(Gas("nitrogen"), name)(*args) for name, args in _CALLS]
    g = Gas("nitrogen")
    forward = [getattr(g, name)(*args) for name, args in _CALLS]
    backward = [getattr(g, name)(*args) for name, args in reversed(_CALLS)][::-1]
    again = [getattr(g, name)(*args) for name, args in _CALLS]
    assert forward == fresh and backward == fresh and again == fresh


R_MOLAR = 8.314462618        # J/(mol K), CODATA 2018
M_N2 = 28.0134e-3            # kg/mol (IUPAC atomic weight of N, 14.0067)


def test_nitrogen_in_the_ideal_gas_limit_and_at_its_boiling_point():
    """Physics the property layer must reproduce on any CoolProp build.

    * Ideal-gas limit: at 0.5 Pa the virial terms are below 1e-7 (B rho ~ 5e-6 m3/mol x 2e-4
      mol/m3), so Z = p/(rho R T) = 1 and the Mayer relation cp - cv = R hold to the gas
      constant's precision: the reference equation (Span et al. 2000) was fitted with
      R = 8.31451 J/(mol K) (5.7e-6 above CODATA 2018) and M = 28.01348 g/mol (2.9e-6 above the
      IUPAC value used here), so 1e-5.
    * At 0.5 atm and 299 K (the compressor's suction) nitrogen is below its Boyle temperature
      (327 K): the second virial coefficient is negative, a few cm3/mol (|B| < 10 cm3/mol makes
      |Z - 1| < 2e-4 here).
    * The normal boiling point: 77.355 K at 101325 Pa (ITS-90 value for nitrogen); the equation
      reproduces the vapour pressure within 0.02 %, i.e. dp/p = (h_fg/(R T^2)) dT: 2 mK.
    """
    g = Gas("nitrogen")
    R = R_MOLAR / M_N2
    for T in (131.0, 185.0, 299.0):
        p = 0.5
        rho = g.rho_from_p_T(p, T)
        P, _h, _s, cp, cv, _u = g.props_rho_T(rho, T)
        assert P / (rho * R * T) == pytest.approx(1.0, abs=1e-5), T
        assert cp - cv == pytest.approx(R, rel=1e-5), T
    p, T = 0.5 * ATM, 299.0
    Z = p / (g.rho_from_p_T(p, T) * R * T)
    assert -2e-4 < Z - 1.0 < 0.0
    boiling = flash("Nitrogen", CP.PQ_INPUTS, ATM, 0.5).hmass()  # a two-phase enthalpy at 1 atm
    assert g.T_from_p_h(ATM, boiling, 120.0) == pytest.approx(77.355, abs=2e-3)


def test_repeated_density_temperature_state_is_not_recomputed():
    g = Gas("nitrogen")
    rho = g.rho_from_p_T(ATM, 200.0)
    state = g.at_rho_T(rho, 200.0)  # rho_from_p_T left the state there
    assert state.rhomass() == rho and state.T() == 200.0
    before = g.props_rho_T(rho, 200.0)
    g.T_from_p_h(ATM, 2.0e5, 190.0)  # another kind of update in between
    assert g.props_rho_T(rho, 200.0) == before
