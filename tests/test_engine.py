"""The generic engine on small actors with analytic answers (no cryogenics)."""
import math

import numpy as np
import pytest
import xarray as xr

from cryocosim import ConfigurationError, SimulationError, System, events_of
from cryocosim.units import UnitError, conversion, parse_quantity


def oscillator(step, ordering="gauss-seidel"):
    s = System("osc")
    s.add("a", "engine_actors:Oscillator", step=step, k=1.0, x_start=1.0)
    s.add("b", "engine_actors:Oscillator", step=step, k=-1.0, x_start=0.0)
    s.connect("a.x", "b.u")
    s.connect("b.x", "a.u")
    return s


def test_units_convert_and_reject_mismatch():
    assert conversion("rpm", "rad/s")[0] == pytest.approx(2 * math.pi / 60, rel=1e-15)
    assert parse_quantity("0.5 atm", "Pa") == pytest.approx(50662.5, rel=1e-15)
    assert parse_quantity("1 kJ/(kg.K)", "J/(kg.K)") == pytest.approx(1000.0)
    assert conversion("degC", "K") == (1.0, 273.15)
    with pytest.raises(UnitError, match="unit mismatch"):
        conversion("kg/s", "Pa")


@pytest.mark.parametrize("ordering", ["gauss-seidel", "jacobi"])
def test_coupling_error_falls_with_step(ordering):
    # x'' = -x split across two actors; both orderings are first order in the step, so
    # halving h must roughly halve the error at t = 1 s (ratio between 1.6 and 2.4).
    errs = []
    for h in (0.02, 0.01, 0.005):
        ds = oscillator(h).run(1.0, ordering=ordering)
        errs.append(abs(float(ds["a.x"][-1]) - math.cos(1.0)))
    assert 1.6 < errs[0] / errs[1] < 2.4 and 1.6 < errs[1] / errs[2] < 2.4


def test_jacobi_and_gauss_seidel_differ():
    a = oscillator(0.05).run(2.0, ordering="jacobi")["a.x"].values
    b = oscillator(0.05).run(2.0, ordering="gauss-seidel")["a.x"].values
    assert np.max(np.abs(a - b)) > 1e-3


@pytest.mark.parametrize("ordering, expected", [
    # The source computes its output at the end of its 1 s step, so the value set at t = 5 s is
    # published as valid from t = 6 s.  Jacobi: the fast step [t, t+0.1] reads the value valid at
    # t, so 2 W for 6 s then 4 W for 4 s.  Gauss-Seidel: it reads the value valid at t + 0.1, so
    # the step [5.9, 6.0] already sees 4 W: 2 W for 5.9 s then 4 W for 4.1 s.
    ("jacobi", 2.0 * 6 + 4.0 * 4),
    ("gauss-seidel", 2.0 * 5.9 + 4.0 * 4.1),
])
def test_multirate_zero_order_hold_integrates_exactly(ordering, expected):
    s = System("mr")
    s.add("src", "engine_actors:Constant", step=1.0, value=2.0)
    s.add("int", "engine_actors:Integrator", step=0.1)
    s.connect("src.y", "int.u")
    s.at(5.0, set={"src.value": 4.0})
    ds = s.run(10.0, output_interval=1.0, ordering=ordering)
    assert float(ds["int.x"].sel(time=5.0)) == pytest.approx(10.0, rel=1e-12)
    # 100 additions of a float: round-off only
    assert float(ds["int.x"][-1]) == pytest.approx(expected, rel=1e-12)
    assert events_of(ds)[0]["name"] == "t=5 s"


def test_condition_event_located_and_stops():
    s = System("ev")
    s.add("src", "engine_actors:Constant", step=1.0, value=1.0)
    s.add("int", "engine_actors:Integrator", step=0.1)
    s.connect("src.y", "int.u")
    s.when("int.x > 3.33 J", name="crossed", stop=True)
    ds = s.run(100.0, output_interval=0.1)
    ev = events_of(ds)[0]
    # x = t exactly, so linear interpolation between monitor ticks locates the crossing exactly
    assert ev["time"] == pytest.approx(3.33, abs=1e-9)
    assert ds.attrs["status"] == "stopped by event 'crossed'"
    assert float(ds["time"][-1]) < 3.5


def test_runs_are_bit_for_bit_identical():
    a = oscillator(0.01).run(3.0)
    b = oscillator(0.01).run(3.0)
    assert np.array_equal(a["a.x"].values, b["a.x"].values)
    assert np.array_equal(a["b.x"].values, b["b.x"].values)


def test_rollback_restores_the_whole_system():
    s = oscillator(0.01)
    ds_ref = oscillator(0.01).run(2.0)
    s.run(1.0)
    master = s.master
    snap = master.snapshot()
    master.run(1.5)
    first = master.bus.value("a", "x", master.t)
    master.restore(snap)
    assert master.t * master.resolution == pytest.approx(1.0)
    master.run(1.5)
    assert master.bus.value("a", "x", master.t) == first
    master.run(2.0)
    assert master.bus.value("a", "x", master.t) == float(ds_ref["a.x"][-1])


def test_failure_midway_keeps_results(tmp_path):
    s = System("fail")
    s.add("f", "engine_actors:Failing", step=0.5, fail_at=7.0)
    out = tmp_path / "fail.nc"
    with pytest.raises(SimulationError) as exc:
        s.run(20.0, output=out, output_interval=0.5)
    msg = str(exc.value)
    assert "\n" not in msg and "'f'" in msg and "t=7" in msg and str(out) in msg
    ds = xr.open_dataset(out)
    assert float(ds["time"][-1]) == pytest.approx(7.0)
    assert float(ds["f.y"].sel(time=7.0)) == pytest.approx(7.0)
    assert ds.attrs["status"].startswith("failed at t=7")


@pytest.mark.parametrize("build, match", [
    (lambda s: s.add("x", "no_such_model"), "unknown model 'no_such_model'"),
    (lambda s: s.connect("src.nope", "int.u"), "has no variable 'nope'"),
    (lambda s: s.connect("ghost.y", "int.u"), "unknown actor 'ghost'"),
    (lambda s: s.connect("int.x", "int.u"), "unit mismatch"),
    (lambda s: (s.connect("src.y", "int.u"), s.connect("src.y", "int.u")), "already fed"),
    (lambda s: s.bus.check(), "input 'int.u' is not connected"),
    (lambda s: s.add("y", "engine_actors:Constant", value="3 kg"), "unit mismatch"),
    (lambda s: s.add("z", "engine_actors:Constant", typo=3), "unknown parameter 'typo'"),
    (lambda s: s.at(1.0, set={"int.x_start": 2.0}), "cannot be changed during a run"),
])
def test_bad_input_gives_one_line_error(build, match):
    s = System("bad")
    s.add("src", "engine_actors:Constant", step=1.0)
    s.add("int", "engine_actors:Integrator", step=1.0)
    with pytest.raises(ConfigurationError, match=match) as exc:
        build(s)
    assert "\n" not in str(exc.value)


def test_parameter_bounds_are_reported_in_the_parameters_unit():
    """A bound is reported with the parameter's unit, except a dimensionless one ("1"), which
    reads as a plain number ("-1 is below its minimum 0", not "-1 1 ... 0 1")."""
    from cryocosim import ParameterError
    from cryocosim.fmus.dewar import Dewar, ThermalStation

    with pytest.raises(ParameterError, match=r"parameter 'n_pump' = -1 is below its minimum 0$"):
        Dewar("dewar").set_parameter("n_pump", -1)
    with pytest.raises(ParameterError, match=r"parameter 'mass' = 0 kg is below its minimum 1e-09 kg$"):
        ThermalStation("stage").set_parameter("mass", "0 kg")
