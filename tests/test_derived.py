"""Derived quantities: one expression language with the sweep (engine/expr.py), with units.

1. the language: quantities (a number followed by a unit), the unit rule, dimension checks and
   the result's SI unit, elementwise evaluation over arrays, the sweep's bounds and reductions;
2. a scenario's [derived] table: recorded per output time as derived.NAME with units,
   long_name and expression, in the file and the Dataset, equal to the same arithmetic done here
   on the recorded variables; parameters at their value when recorded; a failed run keeps them;
   validate names the file and key of every mistake; plots and sweep outputs name them;
3. the shipped scenarios (screw-Brayton COP and fraction of Carnot, the 4 K J-T capacity
   margin, the hybrid cooler's cycle-mean refrigeration, COP and fraction of Carnot), each
   checked over its whole run against the numbers computed here from the recorded variables.
"""
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cryocosim import ConfigurationError, SimulationError, scenario
from cryocosim.errors import CryocosimWarning
from cryocosim import expr as expr_module
from cryocosim import sweep
from cryocosim.expr import Expr, ExprError, find_quantities
from cryocosim.units import parse_unit, plain_dims

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
W = "s.toml: [derived]: key 'q'"


# =================================================================================================
# 1. the expression language
# =================================================================================================
@pytest.mark.parametrize("text, value", [
    ("300 K", 300.0), ("300 K - 5 K", 295.0), ("20 degC", 293.15), ("2 g/s", 0.002), ("1 atm", 101325.0),
    ("0.5 bar + 1 atm", 151325.0), ("8.314 J/(mol.K)", 8.314), ("10 W/m2", 10.0), ("1/2 K", 0.5),
    ("2K", 2.0), ("1e3 mK", 1.0), ("10000 rpm", 10000 * 2 * math.pi / 60), ("3 m^2", 3.0), ("3 s-1", 3.0),
    ("20 degC - 10 degC", 10.0), ("7 % 4", 3), ("2 ** 3 * 1 L", 8e-3),
])
def test_a_number_followed_by_a_unit_is_one_value_in_SI(text, value):
    assert Expr(text, W)({}) == pytest.approx(value, rel=1e-14)


def test_the_unit_rule():
    """After a number a word starts a unit, written without spaces; it ends at a space or at any
    character that cannot continue it ('*', ')', '+', ','); '%' and Python keywords are never units."""
    assert find_quantities("cop / (load.T / (300 K - load.T))")[1] == {"__qty0__": ("300 K", "300", "K")}
    assert list(find_quantities("2 g/s*x + (300 K)")[1].values()) == [("2 g/s", "2", "g/s"), ("300 K", "300", "K")]
    assert find_quantities("mean(load.T, last = '10 min') + x2 + 0x1F + 1e5")[1] == {}   # strings, names, numbers
    assert find_quantities("1 if k else 2")[1] == {} and find_quantities("7 % 4")[1] == {}
    assert Expr("2 K / load.T", W).unit({"load.T": "K"}) == "1"          # a space ends the unit
    assert Expr("300 K-load.T", W)({"load.T": 100.0}) == 200.0           # so does any other character
    assert Expr("3 s-1", W).unit({}) == "1/s"                            # '-' only as an exponent's sign
    for bad, match in (("2 K/load.T", "unknown unit 'load'"), ("2 x", "unknown unit 'x'"),
                       ("2 K2x", "cannot read unit 'K2x'"),
                       ("2 furlongs", "unknown unit 'furlongs'"), ("1e400 K", "beyond the range of a double"),
                       ("1e308 km", "beyond the range of a double"), ("1 if k else 2", "only arithmetic")):
        with pytest.raises(ExprError, match=re.escape(match)) as exc:
            Expr(bad, W)
        assert str(exc.value).startswith(f"{W}: expression {bad!r}: ") and "\n" not in str(exc.value)


UNITS = {"load.T": "K", "motor.power": "W", "hx.Q": "W", "m.mdot": "kg/s", "hp.p": "Pa", "x": "m",
         "n": "1", "c.torque": "N.m", "s.speed": "rad/s", "t.T": "degC"}


@pytest.mark.parametrize("text, unit", [
    ("hx.Q / motor.power", "1"), ("load.T", "K"), ("hp.p * 1 L", "J"), ("hx.Q / m.mdot", "J/kg"),
    ("m.mdot * 3600 s", "kg"), ("c.torque * s.speed", "W"), ("s.speed", "rad/s"), ("hx.Q / load.T", "W/K"),
    ("sqrt(x ** 2 + x * x)", "m"), ("hypot(x, 2 m)", "m"), ("min(load.T, 300 K, t.T)", "K"),
    ("abs(load.T - t.T) / 1 K", "1"), ("exp(-n) * hp.p", "Pa"), ("log(hp.p / 1 atm)", "1"), ("pi * x", "m"),
    ("hx.Q / (x ** 2)", "W/m2"), ("m.mdot / x ** 3", "kg.m-3.s-1"), ("atan2(x, 1 m)", "rad"),
])
def test_the_result_has_its_SI_unit(text, unit):
    e = Expr(text, W, reductions=False)
    assert e.unit(UNITS) == unit
    # the name reads back as the dimension (radians count as dimensionless: N.m * rad/s is W)
    assert plain_dims(parse_unit(unit).dims) == plain_dims(e.dimension(UNITS))


@pytest.mark.parametrize("text, match", [
    ("load.T + motor.power", "'load.T + motor.power': cannot add K and W (different dimensions)"),
    ("hx.Q / motor.power - load.T", "cannot subtract 1 and K"),
    ("min(load.T, hp.p)", "cannot compare K and Pa"),
    ("exp(load.T)", "'load.T': the argument of exp() must be dimensionless, not in K"),
    ("x ** n", "a power of m needs a constant exponent"), ("n ** x", "an exponent must be dimensionless"),
    ("sqrt(load.T)", "a power 0.5 of K has no unit"), ("load.T % 2", "cannot take the remainder of K and 1"),
    ("2 * (load.T + 1)", "'load.T + 1': cannot add K and 1"),
])
def test_dimensions_disagreeing_are_one_line_naming_the_key(text, match):
    with pytest.raises(ExprError) as exc:
        Expr(text, W, reductions=False).dimension(UNITS)
    message = str(exc.value)
    assert message.startswith(f"{W}: expression {text!r}: ") and match in message and "\n" not in message


def test_elementwise_over_arrays_and_the_sweep_s_reductions():
    t = np.array([0.0, 1.0, 2.0, 4.0])
    T = np.array([150.0, 120.0, 100.0, 80.0])
    Q = np.array([0.0, 100.0, 120.0, 130.0])
    P = np.array([50.0, 1500.0, 1550.0, 1600.0])
    ns = {"load.T": T, "hx.Q": Q, "motor.power": P, "__time__": t}
    cop = Expr("hx.Q / motor.power", W, reductions=False)(ns)
    np.testing.assert_array_equal(cop, Q / P)
    carnot = Expr("cop / (load.T / (300 K - load.T))", W, reductions=False)({**ns, "cop": cop})
    np.testing.assert_allclose(carnot, (Q / P) / (T / (300.0 - T)), rtol=1e-15)
    assert Expr("min(hx.Q / motor.power, 0.05)", W, reductions=False)(ns).tolist() == [0.0, 0.05, 0.05, 0.05]
    # the sweep keeps its reductions (and takes a time with a unit in at())
    assert Expr("at(load.T, 3 s)", W)(ns) == 90.0 and Expr("at(load.T, '3 s')", W)(ns) == 90.0
    assert Expr("mean(load.T, last = '2 s') - 1 K", W)(ns) == pytest.approx(89.0)
    for fn in ("min(load.T)", "mean(load.T)", "final(load.T)", "at(load.T, '1 s')"):
        with pytest.raises(ExprError, match=r"reduces a series over the run .* computed at each record"):
            Expr(fn, W, reductions=False)


def test_one_language_with_the_sweep():
    """The sweep's Expr is the same machinery (its errors are SweepErrors), with the same bounds."""
    assert issubclass(sweep.Expr, expr_module.Expr) and sweep.Expr.error is sweep.SweepError
    assert (sweep.MAX_EXPR_CHARS, sweep.MAX_EXPR_DEPTH) == (expr_module.MAX_EXPR_CHARS, expr_module.MAX_EXPR_DEPTH)
    assert issubclass(sweep.SweepError, ConfigurationError) and issubclass(ExprError, ConfigurationError)
    for text, match in (("+".join(["a"] * 101), "nested 101 deep"), ("a+" * 6000 + "a", "characters; an expression has at most 10000"),
                        ("10**10**10", "beyond the range"), ("a / (1 - 1)", "division by zero"),
                        ("k +", "cannot read expression")):
        for cls, err in ((sweep.Expr, sweep.SweepError), (Expr, ExprError)):
            with pytest.raises(err, match=re.escape(match)):
                cls(text, W)
    assert sweep.Expr("300 K - load.T", W)({"load.T": 100.0}) == 200.0   # quantities in sweeps: SI numbers


# =================================================================================================
# 2. a scenario's [derived]
# =================================================================================================
BASE = """
[run]
stop_time = "10 s"
output_interval = 1.0

[[actor]]
name = "src"
model = "engine_actors:Constant"
step = 0.5
[actor.parameters]
value = "2 W"

[[actor]]
name = "int"
model = "engine_actors:Integrator"
step = 0.5

[[connect]]
from = "src.y"
to = "int.u"

[[event]]
name = "more"
at = "4 s"
set = { "src.value" = "5 W" }
"""

DERIVED = """
[derived]
mean_power = { expr = "int.x / 5 s", unit = "mW", description = "energy over five seconds" }
ratio = "mean_power / src.y"
setpoint = "src.value"
warm = { expr = "20 degC + int.x / (1 J/K)", unit = "degC" }
energy_Wh = { expr = "derived.mean_power * 5 s", unit = "W.h" }
"""


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_derived_quantities_are_recorded_with_their_units_in_file_and_dataset(tmp_path):
    path = write(tmp_path, BASE + DERIVED + '\n[plot]\npanels = [["int.x"], ["derived.ratio"], ["derived.setpoint"]]\n')
    system, settings = scenario.load(path)
    assert list(system.derived) == ["mean_power", "ratio", "setpoint", "warm", "energy_Wh"]
    ds = system.run(settings.stop_time, output=tmp_path / "r.nc", output_interval=settings.output_interval)
    with xr.open_dataset(tmp_path / "r.nc") as f:
        for name in system.derived:
            v = f"derived.{name}"
            np.testing.assert_array_equal(f[v].values, ds[v].values)
            assert f[v].attrs == ds[v].attrs
    t, x, y = ds["time"].values, ds["int.x"].values, ds["src.y"].values
    units = {k: ds[f"derived.{k}"].attrs["units"] for k in system.derived}
    assert units == {"mean_power": "mW", "ratio": "1", "setpoint": "W", "warm": "degC", "energy_Wh": "W.h"}
    assert ds["derived.mean_power"].attrs["long_name"] == "energy over five seconds"
    assert ds["derived.ratio"].attrs["long_name"] == ds["derived.ratio"].attrs["expression"] == "mean_power / src.y"
    # the same numbers by hand
    np.testing.assert_allclose(ds["derived.mean_power"].values, x / 5.0 * 1e3, rtol=1e-15)
    np.testing.assert_allclose(ds["derived.ratio"].values, (x / 5.0) / y, rtol=1e-15)
    np.testing.assert_allclose(ds["derived.warm"].values, 20.0 + x, rtol=1e-15)   # via kelvin and back
    np.testing.assert_allclose(ds["derived.energy_Wh"].values, x / 3600.0, rtol=1e-15)
    # a parameter at its value when the record is taken: the event at 4 s sets 5 W
    setpoint = ds["derived.setpoint"].values
    assert set(setpoint[t < 4.0]) == {2.0} and set(setpoint[t > 4.0]) == {5.0}
    assert float(ds["int.x"][-1]) == pytest.approx(2 * 4 + 5 * 6)


def test_a_failed_run_keeps_the_derived_values_up_to_the_failure(tmp_path):
    path = write(tmp_path, BASE + """
[[actor]]
name = "f"
model = "engine_actors:Failing"
step = 0.5
[actor.parameters]
fail_at = "6 s"

[derived]
twice = "2 * f.y"
""")
    system, settings = scenario.load(path)
    out = tmp_path / "failed.nc"
    with pytest.raises(SimulationError):
        system.run(settings.stop_time, output=out, output_interval=settings.output_interval)
    with xr.open_dataset(out) as ds:
        assert ds.attrs["status"].startswith("failed at t=6") and len(ds["time"]) == 7
        np.testing.assert_array_equal(ds["derived.twice"].values, 2 * ds["f.y"].values)


@pytest.mark.parametrize("table, match", [
    ('q = "int.x + src.y"', "[derived]: key 'q': expression 'int.x + src.y': cannot add J and W (different dimensions)"),
    ('q = { expr = "int.x", unit = "W" }', "[derived]: key 'q': 'unit': 'W' is not of the dimension of 'int.x', which is in J"),
    ('q = { expr = "int.x", unit = "parsec" }', "[derived]: key 'q': 'unit': unknown unit 'parsec'"),
    ('q = "int.xx"', "[derived]: key 'q': expression 'int.xx': actor 'int' has no variable 'xx'"),
    ('q = "pump.x"', "[derived]: key 'q': expression 'pump.x': unknown actor 'pump' in 'pump.x'"),
    ('q = "int.u"', "[derived]: key 'q': expression 'int.u': 'int.u' is an input of actor 'int'"),
    ('q = "r * 2"\nr = "int.x"', "[derived]: key 'q': expression 'r * 2': unknown name 'r'"),
    ('q = "derived.r"', "[derived]: key 'q': expression 'derived.r': derived quantity 'r' is not defined above"),
    ('q = "max(int.x)"', "[derived]: key 'q': expression 'max(int.x)': max() reduces a series over the run"),
    ('q = "int.x /"', "[derived]: key 'q': cannot read expression 'int.x /'"),
    ('q = 3', "[derived]: key 'q' must be an expression string"),
    ('q = { unit = "W" }', "[derived]: key 'q': missing key 'expr'"),
    ('q = { expr = "int.x", colour = "red" }', "[derived]: key 'q': unknown key 'colour'"),
    ('pi = "int.x"', "[derived]: key 'pi': 'pi' is a constant of the expressions"),
    ('"a-b" = "int.x"', "[derived]: key 'a-b': the name of a derived quantity is a word"),
])
def test_validate_names_the_file_and_key_of_each_mistake(tmp_path, table, match):
    path = write(tmp_path, BASE + "\n[derived]\n" + table + "\n")
    with pytest.raises(ConfigurationError) as exc:
        scenario.validate(path)
    assert str(exc.value).startswith(f"{path}: ") and match in str(exc.value) and "\n" not in str(exc.value)


def test_panels_and_conditions_naming_derived_quantities(tmp_path):
    from cryocosim.plot import plot_result

    good = write(tmp_path, BASE + DERIVED + '\n[plot]\npanels = [["derived.ratio"], ["int.x"]]\n')
    system, settings = scenario.validate(good)
    ds = system.run(settings.stop_time, output_interval=1.0)
    assert plot_result(ds, tmp_path / "p.png", settings.extra["plot"]["panels"]).stat().st_size > 0
    bad = write(tmp_path, BASE + DERIVED + '\n[plot]\npanels = [["derived.nope"]]\n', "bad.toml")
    with pytest.raises(ConfigurationError, match=r"\[plot\]: key 'panels': 'derived.nope' is not an output"):
        scenario.validate(bad)
    cond = write(tmp_path, BASE + DERIVED + '\n[[event]]\nname = "x"\nwhen = "derived.ratio > 2"\n', "cond.toml")
    with pytest.raises(ConfigurationError, match=r"\[\[event\]\] #2 'x': condition 'derived.ratio > 2' names the derived "
                                                 r"quantity 'derived.ratio': conditions name variables of the actors"):
        scenario.validate(cond)


def test_sweep_outputs_name_derived_quantities(tmp_path):
    write(tmp_path, BASE + DERIVED, "scen.toml")
    spec = write(tmp_path, """
scenario = "scen.toml"
[parameters]
"src.value" = ["1 W", "3 W"]
[outputs]
power = "derived.mean_power"
peak = "max(derived.ratio)"
in_kelvin = "derived.warm + 0 * src.y"
""", "spec.toml")
    ds = sweep.run_sweep(sweep.load_spec(spec), scheduler="synchronous", progress=False)
    assert list(ds["status"].values) == ["ok", "ok"]
    assert ds["power"].attrs["units"] == "mW"
    for i, v in enumerate((1.0, 3.0)):
        x_end = v * 4 + 5 * 6                       # the event sets 5 W at 4 s
        assert float(ds["power"][i]) == pytest.approx(x_end / 5 * 1e3, rel=1e-14)
        assert float(ds["in_kelvin"][i]) == pytest.approx(20.0 + x_end, rel=1e-14)   # as recorded (degC)


def test_a_scenario_with_derived_is_not_taken_for_a_sweep_spec(tmp_path):
    assert not sweep.is_spec(write(tmp_path, BASE + DERIVED))


def test_python_api_and_the_fmu_twin_keep_them(tmp_path):
    from cryocosim import System

    s = System("api")
    s.add("src", "engine_actors:Constant", step=1.0, value="3 W")
    s.derive("kW", "src.y", unit="kW", description="source power")
    with pytest.raises(ConfigurationError, match=r"^derived quantity 'kW': derived quantity 'kW' is defined twice$"):
        s.derive("kW", "src.y")
    ds = s.run(3.0, output_interval=1.0)
    assert ds["derived.kW"].values.tolist() == [0.003] * 4 and ds["derived.kW"].attrs["long_name"] == "source power"
    assert s._fmu_variant().derived == s.derived


# =================================================================================================
# 3. the shipped scenarios
# =================================================================================================
def run_shipped(name: str) -> xr.Dataset:
    system, settings = scenario.load(SCENARIOS / f"{name}.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)   # the coast-down's explicit steps (its header)
        return system.run(settings.stop_time, **settings.run_options())


def derived_table(name: str) -> dict:
    data = scenario.read_toml(SCENARIOS / f"{name}.toml", (SCENARIOS / f"{name}.toml").read_text())
    return data["derived"]


def nan_equal(a, b, rtol=1e-15):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=0.0, equal_nan=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["screw_brayton_cooldown", "screw_brayton_patent", "screw_brayton_stall",
                                  "screw_brayton_coastdown"])
def test_screw_brayton_cop_and_fraction_of_carnot(name):
    """COP = refrigeration at the load / motor electrical input, fraction of Carnot = COP /
    (T_load / (T_ambient - T_load)), T_ambient the heat-rejection temperature (the aftercooler's
    sink, 300 K): docs/scripts/screw_brayton_validation.py's definitions, computed here."""
    assert set(derived_table(name)) == {"cop", "carnot_fraction"}
    system, _ = scenario.load(SCENARIOS / f"{name}.toml")
    assert system.bus.actors["aftercooler"].T_sink == 300.0
    ds = run_shipped(name)
    Q, P, T = ds["load_hx.heat_load"].values, ds["motor.power"].values, ds["load.T"].values
    with np.errstate(all="ignore"):
        cop = Q / P
        carnot = cop / (T / (300.0 - T))
    nan_equal(ds["derived.cop"].values, cop)
    nan_equal(ds["derived.carnot_fraction"].values, carnot)
    assert ds["derived.cop"].attrs["units"] == ds["derived.carnot_fraction"].attrs["units"] == "1"
    if name == "screw_brayton_cooldown":   # docs/screw_brayton_validation.md: design set, end of the run
        assert float(ds["derived.cop"][-1]) == pytest.approx(0.08984, abs=5e-6)
        assert float(ds["derived.carnot_fraction"][-1]) == pytest.approx(0.1055, abs=5e-5)
    if name == "screw_brayton_patent":     # the patent-calibrated set
        assert float(ds["derived.cop"][-1]) == pytest.approx(0.06024, abs=5e-6)
        assert float(ds["derived.carnot_fraction"][-1]) == pytest.approx(0.03781, abs=5e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["4k_cooldown", "4k_stall", "4k_boiloff"])
def test_4k_jt_capacity_margin(name):
    """The J-T stage's capacity minus the heat load on the 4 K station: the dewar's parasitic
    load into the station plus the heat applied on it (changed by the stall's and the boil-off's
    events: the margin follows)."""
    assert set(derived_table(name)) == {"jt_margin", "load_4k"}
    ds = run_shipped(name)
    t = ds["time"].values
    applied = np.zeros_like(t)
    events = [e for e in json_events(ds) if "jt.heat_applied" in e["set"]]
    base = {"4k_cooldown": 0.0, "4k_stall": 1.75, "4k_boiloff": 0.0}[name]
    applied[:] = base
    for e in events:
        applied[t > e["time"]] = e["set"]["jt.heat_applied"]
    exact = np.isclose(t, [e["time"] for e in events][0]) if events else np.zeros_like(t, dtype=bool)
    margin = ds["jt.capacity"].values - ds["dewar.heat_station"].values - applied
    nan_equal(ds["derived.jt_margin"].values[~exact], margin[~exact], rtol=1e-12)
    load = ds["dewar.heat_station"].values + applied    # the station's load the panel plots
    nan_equal(ds["derived.load_4k"].values[~exact], load[~exact], rtol=1e-12)
    assert ds["derived.load_4k"].attrs["units"] == "W"
    assert ds["derived.jt_margin"].attrs["units"] == "W"
    if name == "4k_boiloff":    # 3.5 W is above the 4 K capacity: the margin ends negative
        assert float(ds["derived.jt_margin"][-1]) < 0 < float(ds["derived.jt_margin"].sel(time=5 * 3600.0))


def json_events(ds):
    import json

    return json.loads(ds.attrs["events"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hybrid_stirling", "hybrid_startup", "hybrid_valve_leak", "hybrid_turbine_stall"])
def test_hybrid_cycle_mean_refrigeration_and_efficiency(name):
    """Refrigeration: hx.heat_load_cycle; efficiency: it over the Stirling stage's cycle-mean
    compression work input; fraction of Carnot: that over T_L / (T_C - T_L) (30 K and 270 K)."""
    assert set(derived_table(name)) == {"refrigeration", "cop", "carnot_fraction"}
    ds = run_shipped(name)
    Q, Wc = ds["hx.heat_load_cycle"].values, ds["stage.power_compression_cycle"].values
    with np.errstate(all="ignore"):
        cop = Q / Wc
    nan_equal(ds["derived.refrigeration"].values, Q)
    nan_equal(ds["derived.cop"].values, cop)
    nan_equal(ds["derived.carnot_fraction"].values, cop / (30.0 / (270.0 - 30.0)), rtol=1e-14)
    first_cycle = ds["time"].values < 0.02 - 1e-9
    assert np.isnan(ds["derived.cop"].values[first_cycle]).all()          # 0/0: no cycle completed yet
    assert np.isfinite(ds["derived.cop"].values[~first_cycle]).all()
    assert ds["derived.refrigeration"].attrs["units"] == "W" and ds["derived.cop"].attrs["units"] == "1"
    if name == "hybrid_stirling":   # the file's header: q_L = 185 W, w_C = 4.47 kW
        assert float(ds["derived.refrigeration"][-1]) == pytest.approx(185.0, rel=0.01)
        assert float(ds["derived.cop"][-1]) == pytest.approx(185.0 / 4470.0, rel=0.01)
