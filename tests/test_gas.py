"""Real-gas property layer (cryocosim.fmus.gas): Newton solvers against CoolProp's own flashes."""
import math

import CoolProp.CoolProp as CP
import pytest

from cryocosim.errors import ModelError
from cryocosim.fmus.gas import FluidStateError, Gas, canonical_fluid

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


# HEOS results bit for bit: values of the property layer as it was before the tabular backends
# and the skipped duplicate updates (CoolProp 8.0.0); the determinism and native-vs-FMU tests
# rely on HEOS runs not changing.  A different CoolProp build may differ in the last bits.
_PINNED = [
    ("rho_from_p_T", (0.5 * ATM, 299.0), 0.5709362056998307),
    ("rho_from_p_T", (ATM, 185.0), 1.8507041771006587),
    ("h_pT", (ATM, 185.0), 191337.29157122027),
    ("h_pT", (0.5 * ATM, 131.0), 135280.91335860273),
    ("props_rho_T", (0.6, 299.0), (53241.24109821417, 310259.052033102, 7029.581435628647,
                                   1040.5689479121104, 743.0318076300274, 221523.65020274508)),
    ("T_from_p_h", (ATM, 3.0e5, 290.0), 289.25095036677226),
    ("T_from_p_h", (0.5 * ATM, 1.4e5, 140.0), 135.51330928591565),
    ("T_from_rho_u", (0.8, 2.2e5, 300.0), 296.9986440191623),
    ("T_isentropic_rho", (0.95, 6500.0, 250.0), 176.14850366834614),
    ("gamma", (1.2, 200.0), 1.4030348211565131),
]


@pytest.mark.skipif(CP.get_global_param_string("version") != "8.0.0",
                    reason="pinned with CoolProp 8.0.0")
def test_heos_results_are_bit_for_bit_those_of_before():
    g = Gas("nitrogen")
    for name, args, expected in _PINNED:
        assert getattr(g, name)(*args) == expected, name
    # in any order, with the state left anywhere by the previous call
    for name, args, expected in reversed(_PINNED):
        assert getattr(g, name)(*args) == expected, name


def test_repeated_density_temperature_state_is_not_recomputed():
    g = Gas("nitrogen")
    rho = g.rho_from_p_T(ATM, 200.0)
    state = g.at_rho_T(rho, 200.0)  # rho_from_p_T left the state there
    assert state.rhomass() == rho and state.T() == 200.0
    before = g.props_rho_T(rho, 200.0)
    g.T_from_p_h(ATM, 2.0e5, 190.0)  # another kind of update in between
    assert g.props_rho_T(rho, 200.0) == before
