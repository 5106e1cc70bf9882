"""The cooled device with NRAO EDTN 203 parasitics (fmus/thermal_load.py)."""

import pytest
from scipy.integrate import quad

from cryocosim.fmus.properties.materials import Material
from cryocosim.fmus.thermal_load import K_SI, ThermalLoad, effective_emissivity

SIGMA = 5.670374419e-8  # CODATA 2018, W/m2/K4


def load(**kw):
    a = ThermalLoad("load", **kw)
    a.setup()
    return a


def test_k_in_si():
    # 1.6e-2 W/(cm2 torr K) * 1e4 cm2/m2 / 133.322 Pa/torr
    assert K_SI["nitrogen"] == pytest.approx(1.6e-2 * 1e4 / (101325 / 760), rel=1e-14)
    assert K_SI["air"] == K_SI["nitrogen"]
    assert K_SI["helium"] == pytest.approx(2.1002, rel=1e-4)


def test_gas_conduction_matches_the_nrao_example():
    # "2500 cm2 at 1e-5 torr, a = 0.5, 300 -> 77 K, nitrogen: about 45 mW" (no radiation here)
    a = load(area="2500 cm2", gas_pressure="1e-5 torr", accommodation=0.5, T_start=77.0,
             emissivity_load=0.0, emissivity_wall=0.0, residual_gas="nitrogen")
    in_note_units = 1.6e-2 * 0.5 * 1e-5 * (300 - 77) * 2500  # W, eq. 17 as printed: 44.6 mW
    assert a.heat_gas == pytest.approx(in_note_units, rel=1e-12)
    # the note rounds to "about 45 mW": 2 % covers the rounding of 44.6
    assert a.heat_gas == pytest.approx(0.045, rel=0.02)
    assert a.heat_radiation == 0.0
    assert a.heat_parasitic == a.heat_gas


def test_radiation_matches_eq_2():
    assert effective_emissivity(0.05, 1.0) == pytest.approx(0.05, rel=1e-15)
    assert effective_emissivity(0.02, 0.02) == pytest.approx(0.02 / 1.98, rel=1e-15)  # ~E/2
    a = load(T_start=77.0, gas_pressure=0.0)  # defaults: E1 0.05, E2 0.1, 0.05 m2
    e_eff = 0.05 * 0.1 / (0.05 + 0.1 - 0.05 * 0.1)
    assert a.heat_radiation == pytest.approx(SIGMA * 0.05 * e_eff * (300**4 - 77**4), rel=1e-9)
    # in the note's units, 500 cm2 and sigma = 5.67e-12 W/cm2/K4 (its 5.46 is a misprint):
    # 0.78 W; 1e-4 covers the rounding of sigma to 3 digits
    assert a.heat_radiation == pytest.approx(5.67e-12 * 500 * e_eff * (300**4 - 77**4), rel=1e-4)


def test_cooling_with_constant_removal_matches_the_cp_integral():
    a = load(emissivity_load=0.0, gas_pressure=0.0, mass=2.0, T_start=300.0)
    a.heat_removed = 50.0
    h, n = 10.0, 200  # 2000 s at 10 s steps: 1e5 J, to about 120 K
    for k in range(n):
        a.do_step(k * h, h)
    cu = Material("copper")
    integral, err = quad(cu.cp, a.T, 300.0, epsabs=0, epsrel=1e-12)
    # removed energy = m * integral of cp from T_end to 300 K; quad converges to ~1e-10, the
    # model's T_from_h is the exact inverse of h, so 1e-8 relative is round-off headroom
    assert 2.0 * integral == pytest.approx(50.0 * h * n, rel=1e-8)
    assert a.T < 300.0


def test_energy_identity_with_parasitics_at_large_steps():
    a = load(heat_applied=5.0, gas_pressure=1.0, emissivity_load=0.5, emissivity_wall=0.5)
    a.heat_removed = 15.0  # parasitics + 5 W balance it near 185 K
    E0, budget = a.energy, 0.0
    temps = []
    for k in range(600):
        a.do_step(k * 10.0, 10.0)
        budget += 10.0 * (a.heat_applied + a.heat_radiation + a.heat_gas - a.heat_removed)
        temps.append(a.T)
    # the energy is advanced by exactly these step means: round-off only
    assert a.energy - E0 == pytest.approx(budget, rel=1e-12)
    assert all(b < c for b, c in zip(temps[1:], temps))  # monotone, no oscillation
    assert a.heat_parasitic == pytest.approx(a.heat_radiation + a.heat_gas, rel=1e-15)


def test_heat_applied_is_tunable_and_read_each_step():
    a = load(emissivity_load=0.0, gas_pressure=0.0)
    a.do_step(0.0, 1.0)
    assert a.T == 300.0
    a.set_parameter("heat_applied", "150 W")
    a.do_step(1.0, 1.0)
    assert a.energy - 2.0 * Material("copper").h(300.0) == pytest.approx(150.0, rel=1e-9)
    assert a.T > 300.0
