"""CoolProp's tabular backends (BICUBIC&HEOS, TTSE&HEOS) in the property layer: agreement with
HEOS over the screw-Brayton range, the table domain, the fallbacks to HEOS, errors, and the
actors' ``property_backend`` parameter."""
import math
from pathlib import Path

import CoolProp.CoolProp as CP
import numpy as np
import pytest

from cryocosim.errors import ConfigurationError, ModelError
from cryocosim.fmus.properties import gas as gas_module
from cryocosim.fmus.properties.gas import BACKENDS, FluidStateError, Gas, canonical_backend
from cryocosim.fmus.physics.screw_machine import compression_work, expansion_work

ATM = 101325.0
ROOT = Path(__file__).resolve().parents[1]
TABLES = ("BICUBIC&HEOS", "TTSE&HEOS")

# Largest differences from HEOS over nitrogen 0.3-1.5 atm x 100-400 K (13 x 61 grid), measured
# with CoolProp 8.0.0 and given here with a margin of about 2: (100-150 K, 150-400 K).
# Density [relative], enthalpy [K, i.e. (h - h_HEOS)/cp], cp [relative], T from (p, h) [K].
ACCURACY = {
    "BICUBIC&HEOS": {"rho": (1.5e-4, 1.5e-5), "h": (1.5e-3, 5e-5), "cp": (3e-4, 2e-5),
                     "T": (1.5e-3, 5e-5)},
    "TTSE&HEOS": {"rho": (2e-3, 2.5e-4), "h": (1.6e-2, 5e-4), "cp": (6e-3, 2e-4),
                  "T": (1.6e-2, 5e-4)},
}
GRID = [(p * ATM, T) for p in np.linspace(0.3, 1.5, 13) for T in np.linspace(100.0, 400.0, 61)]


@pytest.fixture(scope="module")
def heos():
    return Gas("nitrogen")


@pytest.mark.parametrize("backend", TABLES)
def test_constants_and_limits_come_from_heos(backend, heos):
    g = Gas("nitrogen", backend)
    assert g.backend == backend
    assert (g.R, g.Tmin, g.Tmax) == (heos.R, heos.Tmin, heos.Tmax)
    assert g.R == pytest.approx(8.31451 / 0.02801348, rel=1e-12)  # the EOS's own R (Span 2000)


@pytest.mark.parametrize("backend", TABLES)
def test_agreement_with_heos_over_the_screw_brayton_range(backend, heos):
    g = Gas("nitrogen", backend)
    tol = ACCURACY[backend]
    worst = {k: [0.0, 0.0] for k in tol}
    for p, T in GRID:
        band = 0 if T < 150.0 else 1
        rho = heos.rho_from_p_T(p, T)
        _p, h, _s, cp, _cv, _u = heos.props_rho_T(rho, T)
        errs = {"rho": g.rho_from_p_T(p, T) / rho - 1.0, "h": (g.h_pT(p, T) - h) / cp,
                "cp": g.cp_pT(p, T) / cp - 1.0,
                "T": max(abs(g.T_from_p_h(p, h, T_guess) - T) for T_guess in (T - 5.0, 1.3 * T))}
        for k, e in errs.items():
            worst[k][band] = max(worst[k][band], abs(e))
    for k, (cold, warm) in worst.items():
        assert cold <= tol[k][0] and warm <= tol[k][1], (k, cold, warm)
    assert g.fallbacks <= 8  # only where a guess or the root lies at the domain's cold edge


@pytest.mark.parametrize("backend", TABLES)
def test_density_temperature_evaluations_are_heos_bit_for_bit(backend, heos):
    g = Gas("nitrogen", backend)
    for rho, T in ((0.6, 299.0), (1.85, 185.0), (2.5, 110.0)):
        assert g.props_rho_T(rho, T) == heos.props_rho_T(rho, T)
        assert g.gamma(rho, T) == heos.gamma(rho, T)
        _p, _h, s, _cp, _cv, u = heos.props_rho_T(rho, T)
        assert g.T_from_rho_u(rho, u, T + 7.0) == heos.T_from_rho_u(rho, u, T + 7.0)
        assert g.T_isentropic_rho(1.64 * rho, s, T) == heos.T_isentropic_rho(1.64 * rho, s, T)


@pytest.mark.parametrize("backend", TABLES)
def test_screw_machine_work_with_a_table(backend, heos):
    """The indicated work is evaluated at (rho, T) on HEOS: only the table's density differs."""
    g = Gas("nitrogen", backend)
    for p, T, machine, p2 in ((0.5 * ATM, 299.0, compression_work, ATM),
                              (ATM, 140.0, expansion_work, 0.5 * ATM)):
        w_t, pi_t, Ti_t = machine(g, g.rho_from_p_T(p, T), T, p2, 1.64)
        w_h, pi_h, Ti_h = machine(heos, heos.rho_from_p_T(p, T), T, p2, 1.64)
        assert w_t == pytest.approx(w_h, rel=2 * ACCURACY[backend]["rho"][0])
        assert Ti_t == pytest.approx(Ti_h, abs=0.1 if backend == "TTSE&HEOS" else 0.01)


@pytest.mark.parametrize("backend", TABLES)
def test_table_domain(backend):
    g = Gas("nitrogen", backend)
    assert g.in_table(ATM, 131.0) and g.in_table(0.5 * ATM, 300.0) and g.in_table(1e7, 400.0)
    assert not g.in_table(ATM, 90.0)            # within 25 % of saturation (77 K)
    assert not g.in_table(5e6, 150.0)           # near the critical point
    assert not g.in_table(1e4, 300.0)           # below 1.2 x the triple-point pressure
    assert not g.in_table(math.nan, 300.0) and not g.in_table(ATM, math.nan)
    assert not Gas("nitrogen").in_table(ATM, 300.0)
    assert not Gas("helium", backend).in_table(10e5, 20.0)  # helium's tables from 50 K only


@pytest.mark.parametrize("backend", TABLES)
def test_no_table_garbage_near_saturation_or_the_critical_point(backend, heos):
    """Raw tables return liquid densities for vapour near saturation without an error; the
    layer must give HEOS's values there (outside the table domain) and stay close inside it."""
    # superheated vapour 0.1 K (bicubic), 3 K (TTSE) above saturation
    p, T = (1.07e5, 77.9) if backend == "BICUBIC&HEOS" else (4.369e5, 99.71)
    raw = CP.AbstractState(backend, "Nitrogen")
    raw.update(CP.PT_INPUTS, p, T)
    ref = heos.rho_from_p_T(p, T)
    assert abs(raw.rhomass() / ref - 1.0) > 1.0  # the raw table is wrong here...
    g = Gas("nitrogen", backend)
    assert g.rho_from_p_T(p, T) == ref            # ...the layer is HEOS here
    for p in np.geomspace(1.6e4, 3e7, 25):
        for T in np.geomspace(64.0, 1000.0, 40):
            try:
                rho = heos.rho_from_p_T(p, T)
            except FluidStateError:
                continue
            _p, h, _s, cp, _cv, _u = heos.props_rho_T(rho, T)
            assert g.rho_from_p_T(p, T) == pytest.approx(rho, rel=2e-3), (p, T)
            assert g.h_pT(p, T) == pytest.approx(h, abs=0.02 * cp), (p, T)


@pytest.mark.parametrize("backend", TABLES)
def test_two_phase_T_from_p_h_falls_back_to_the_heos_flash(backend):
    g = Gas("nitrogen", backend)
    ref = CP.AbstractState("HEOS", "Nitrogen")
    ref.update(CP.PQ_INPUTS, ATM, 0.3)
    assert g.T_from_p_h(ATM, ref.hmass(), 120.0) == pytest.approx(ref.T(), abs=1e-6)
    assert g.fallbacks >= 1


@pytest.mark.parametrize("backend", TABLES)
def test_failed_newton_falls_back_to_heos(backend, heos, monkeypatch):
    """No Newton iteration allowed: every solver ends on the HEOS flash of its input pair."""
    g = Gas("nitrogen", backend)
    p, T = ATM, 200.0
    rho = heos.rho_from_p_T(p, T)
    _p, h, s, _cp, _cv, u = heos.props_rho_T(rho, T)
    monkeypatch.setattr(gas_module, "_MAX_NEWTON", 0)
    n = g.fallbacks
    assert g.T_from_p_h(p, h, 190.0) == pytest.approx(T, abs=1e-6)
    assert g.T_from_rho_u(rho, u, 190.0) == pytest.approx(T, abs=1e-6)
    assert g.T_isentropic_rho(rho, s, 190.0) == pytest.approx(T, abs=1e-6)
    assert g.rho_from_p_T(ATM, 80.0) == pytest.approx(heos.rho_from_p_T(ATM, 80.0), rel=1e-9)
    assert g.fallbacks - n >= 4


class _BrokenTable:
    """A table that rejects every state (as for a state outside it)."""

    def update(self, *args):
        raise ValueError("inputs are not in range")


@pytest.mark.parametrize("backend", TABLES)
def test_state_outside_the_table_falls_back_to_heos(backend, heos):
    g = Gas("nitrogen", backend)
    g._tab = _BrokenTable()
    p, T = ATM, 250.0
    assert g.rho_from_p_T(p, T) == heos.rho_from_p_T(p, T)
    assert g.h_pT(p, T) == heos.h_pT(p, T)
    assert g.cp_pT(p, T) == heos.cp_pT(p, T)
    h = heos.h_pT(p, T)
    assert g.T_from_p_h(p, h, 240.0) == heos.T_from_p_h(p, h, 240.0)
    assert g.fallbacks == 4


@pytest.mark.parametrize("backend", TABLES)
@pytest.mark.parametrize("call", [lambda g: g.props_rho_T(1.0, 1.0),
                                  lambda g: g.props_rho_T(-1.0, 300.0),
                                  lambda g: g.rho_from_p_T(-5.0, 300.0),
                                  lambda g: g.rho_from_p_T(ATM, 1e5),
                                  lambda g: g.h_pT(math.nan, 300.0),
                                  lambda g: g.cp_pT(ATM, 10.0),
                                  lambda g: g.T_from_p_h(ATM, math.nan, 300.0),
                                  lambda g: g.T_from_p_h(ATM, 1e12, 300.0),
                                  lambda g: g.T_from_rho_u(1.0, math.nan, 300.0),
                                  lambda g: g.T_isentropic_rho(-1.0, 6000.0, 300.0)])
def test_states_outside_the_range_raise_one_line_errors(backend, call):
    with pytest.raises(FluidStateError) as info:
        call(Gas("nitrogen", backend))
    msg = str(info.value)
    assert isinstance(info.value, ModelError)
    assert "\n" not in msg and msg.startswith("nitrogen")


def test_backend_names():
    assert BACKENDS == ("HEOS", "BICUBIC&HEOS", "TTSE&HEOS")
    assert canonical_backend(" bicubic&heos ") == "BICUBIC&HEOS"
    with pytest.raises(FluidStateError, match=r"^unknown property backend 'SRK' \(known: HEOS, "):
        Gas("nitrogen", "SRK")


def _default_scenario_with(tmp_path, line):
    text = (ROOT / "scenarios/screw_brayton_cooldown.toml").read_text()
    assert 'fluid = "nitrogen"' in text
    path = tmp_path / "cooldown.toml"
    path.write_text(text.replace('fluid = "nitrogen"', 'fluid = "nitrogen"\n' + line, 1))
    return path


def test_every_actor_with_a_fluid_has_the_parameter_and_defaults_set_it(tmp_path):
    from cryocosim import scenario

    system, _ = scenario.load(_default_scenario_with(tmp_path, 'property_backend = "BICUBIC&HEOS"'))
    scenario.setup_actors(system)
    with_fluid = [a for a in system.bus.actors.values() if "fluid" in a.variable_map()]
    assert len(with_fluid) == 7
    for actor in system.bus.actors.values():
        has = "property_backend" in actor.variable_map()
        assert has == ("fluid" in actor.variable_map()), actor.name
        if has:
            assert actor.property_backend == "BICUBIC&HEOS"
            assert actor._gas.backend == "BICUBIC&HEOS"


def test_a_bad_backend_is_a_one_line_configuration_error(tmp_path):
    from cryocosim import scenario

    with pytest.raises(ConfigurationError) as info:
        system, _ = scenario.load(_default_scenario_with(tmp_path, 'property_backend = "REFPROP"'))
        scenario.setup_actors(system)
    msg = str(info.value)
    assert "property_backend" in msg and "REFPROP" in msg and "\n" not in msg


def _short_run(backend, stop=60.0):
    from cryocosim import scenario

    path = ROOT / "scenarios/screw_brayton_cooldown.toml"
    system, settings = scenario.load(path)
    overrides = {f"{n}.property_backend": backend for n, a in system.bus.actors.items()
                 if "property_backend" in a.variable_map()}
    system, settings = scenario.load(path, overrides, "--set")
    return system.run(stop, ordering=settings.ordering, output_interval=5.0)


def test_default_cooldown_start_agrees_with_heos():
    """The first minute (start-up from rest, the largest transients) with the bicubic table."""
    ref, tab = _short_run("HEOS"), _short_run("BICUBIC&HEOS")
    for name, tol in (("load.T", 1e-4), ("expander.T_out", 1e-3), ("recuperator.T_hot_out", 1e-3),
                      ("hp.p", 1.0), ("lp.p", 1.0), ("shaft.speed", 1e-2)):
        assert float(abs(tab[name] - ref[name]).max()) < tol, name
