"""Cryogenic material properties (NIST fits): cp at 300 K, exact h <-> T inversion, range."""
import numpy as np
import pytest

from cryocosim.fmus.properties.materials import MATERIALS, Material

HANDBOOK_300K = {"copper": 385.0, "stainless_304": 477.0, "aluminium_6061": 897.0}


@pytest.mark.parametrize("name", MATERIALS)
def test_cp_at_300_k_within_2_percent_of_handbook(name):
    assert Material(name).cp(300.0) == pytest.approx(HANDBOOK_300K[name], rel=0.02)


def test_aliases():
    assert Material("Cu").name == "copper"
    assert Material("SS304").name == "stainless_304"
    assert Material("al6061").name == "aluminium_6061"
    with pytest.raises(ValueError):
        Material("unobtainium")


@pytest.mark.parametrize("name", MATERIALS)
def test_h_and_T_from_h_are_exact_inverses(name):
    m = Material(name)
    T = np.linspace(4.0, 600.0, 2001)
    # both directions interpolate the same table linearly: equal up to rounding
    np.testing.assert_allclose(m.T_from_h(m.h(T)), T, rtol=0, atol=1e-9)
    h = np.linspace(0.0, m.h_max, 997)
    np.testing.assert_allclose(m.h(m.T_from_h(h)), h, rtol=1e-12, atol=1e-9)
    assert m.h(4.0) == 0.0
    assert m.T_from_h(m.h(77.0)) == pytest.approx(77.0, abs=1e-9)
    assert np.all(np.diff(m.h(T)) > 0)


@pytest.mark.parametrize("name", MATERIALS)
def test_h_is_the_integral_of_cp(name):
    m = Material(name)
    T = np.linspace(50.0, 250.0, 4001)
    cp = m.cp(T)
    integral = float(np.sum(0.5 * (cp[1:] + cp[:-1]) * np.diff(T)))
    assert m.h(250.0) - m.h(50.0) == pytest.approx(integral, rel=1e-5)


def test_cp_is_held_above_300_k_and_range_is_enforced():
    m = Material("copper")
    assert m.cp(450.0) == m.cp(300.0)
    for bad in (3.0, 601.0, float("nan")):
        with pytest.raises(ValueError):
            m.cp(bad)
    with pytest.raises(ValueError):
        m.T_from_h(-1.0)
    with pytest.raises(ValueError):
        m.h(np.array([10.0, 700.0]))
