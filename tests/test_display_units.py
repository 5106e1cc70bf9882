"""Display units, the data path: every Real variable of a result has a ``display_units``
attribute (NetCDF and Dataset; the values stay in their unit), chosen by the command line's
``--units``, the scenario's ``[units]`` (per variable, per unit), the actor class's
``display_units``, ``cryocosim.units.DISPLAY_UNITS``, else the variable's own unit; a display
unit of another dimension is a one-line error naming the key; the helpers ``to_display`` and
``display_values`` convert (their contracts)."""
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cli_output import errors_only
from cryocosim import Actor, Causality, ConfigurationError, Output, Parameter, System, Variable, scenario
from cryocosim import units as units_module
from cryocosim.units import DISPLAY_UNITS, UnitError, display_values, to_display

TESTS = Path(__file__).parent


class Gauge(Actor):
    """Generic outputs of several units; the class chooses atm for p2 (a model's own choice)."""

    variables = (Parameter("p_start", "Pa", 2e5, "pressure"),
                 Output("p1", "Pa", 0.0, "a pressure"), Output("p2", "Pa", 0.0, "another pressure"),
                 Output("w", "rad/s", 0.0, "a speed"), Output("m", "kg/s", 0.0, "a flow"),
                 Output("T", "K", 0.0, "a temperature"), Output("n", "1", 0.0, "a count"),
                 Variable("k", Causality.output, "1", 0, "an integer", type=int),
                 Variable("on", Causality.output, "1", False, "a flag", type=bool))
    display_units = {"p2": "atm"}

    def setup(self):
        self.p1, self.p2, self.w, self.m, self.T, self.n, self.k, self.on = self.p_start, 101325.0, 100.0, 0.02, 300.0, 3.0, 2, True

    def do_step(self, t, h):
        pass


class BadGauge(Gauge):
    display_units = {"p2": "K"}


def gauge_system(cls=Gauge) -> System:
    s = System("gauges")
    s.add("g", cls, step=1.0)
    s.add("h", cls, step=1.0)
    return s


def display_of(ds) -> dict:
    return {name: var.attrs.get("display_units") for name, var in ds.data_vars.items()}


def test_defaults_the_class_choice_and_no_display_unit(tmp_path):
    s = gauge_system()
    ds = s.run(2.0, output=tmp_path / "r.nc", output_interval=1.0)
    shown = display_of(ds)
    assert shown["g.p1"] == "bar" and shown["g.w"] == "rpm" and shown["g.m"] == "g/s"      # DISPLAY_UNITS
    assert shown["g.p2"] == "atm"                                                            # the class's
    assert shown["g.T"] == "K" and shown["g.n"] == "1"                                       # none: its unit
    assert shown["g.k"] is None and shown["g.on"] is None                                    # only Reals
    with xr.open_dataset(tmp_path / "r.nc") as f:
        assert display_of(f) == shown
        np.testing.assert_array_equal(f["g.p1"].values, 2e5)          # the file keeps SI values
        assert f["g.p1"].attrs["units"] == "Pa"


def test_the_order_of_the_choices():
    """command line per variable > command line per dimension > scenario per variable >
    scenario per dimension > the class's display_units > DISPLAY_UNITS > the unit."""
    s = gauge_system()
    s.display("Pa", "psi")                     # scenario: every pressure
    s.display("h.p1", "torr")                  # scenario: one variable
    s.display("h.p2", "kPa")
    s.display("mK")                            # scenario: every temperature (by the display unit's own dimension)
    s.display("bar", override=True)            # command line: every pressure
    s.display("g.p2", "MPa", override=True)    # command line: one variable
    shown = s.display_units()
    assert shown["g.p1"] == "bar" and shown["g.p2"] == "MPa" and shown["h.p1"] == "bar" and shown["h.p2"] == "bar"
    assert shown["g.T"] == shown["h.T"] == "mK" and shown["g.w"] == "rpm"
    t = gauge_system()
    t.display("Pa", "psi")
    t.display("h.p1", "torr")
    assert t.display_units()["h.p1"] == "torr" and t.display_units()["g.p1"] == "psi"
    assert t.display_units()["g.p2"] == "psi"                    # the scenario's over the class's
    assert gauge_system().display_units()["g.p2"] == "atm"      # the class's over DISPLAY_UNITS


def test_derived_quantities_and_the_master_s_columns_get_one_too():
    s = gauge_system()
    s.derive("flow", "g.m + h.m")                  # kg/s: g/s by DISPLAY_UNITS
    s.derive("ratio", "g.p1 / h.p2")
    s.display("derived.ratio", "%")
    ds = s.run(2.0, output_interval=1.0, tolerance=1e-3)
    shown = display_of(ds)
    assert shown["derived.flow"] == "g/s" and shown["derived.ratio"] == "%"
    assert shown["master.step_size"] == "s" and shown["master.rejected_steps"] == "1"


@pytest.mark.parametrize("key, display, match", [
    ("Pa", "K", "display unit 'K' is not of the dimension of 'Pa': K against kg.m-1.s-2"),
    ("g.p1", "W", "display unit 'W' is not of the dimension of 'g.p1' (in Pa)"),
    ("g.w", "Hz", "display unit 'Hz' is not of the dimension of 'g.w' (in rad/s)"),   # 2 pi apart: refused
    ("g.nope", "bar", "actor 'g' has no recorded variable 'nope'"),
    ("derived.nope", "bar", "no derived quantity 'nope'"),
    ("g.k", "%", "'g.k' is not a Real variable"),
    ("furlong", "m", "unknown unit 'furlong' (keys are units, 'Pa', or recorded variables, 'hp.p')"),
    ("Pa", "parsec", "unknown unit 'parsec'"),
])
def test_a_wrong_display_unit_is_one_line_naming_the_key(key, display, match):
    with pytest.raises(ConfigurationError) as exc:
        gauge_system().display(key, display, where="s.toml: [units]: key 'x'")
    assert str(exc.value).startswith("s.toml: [units]: key 'x': ") and match in str(exc.value)
    with pytest.raises(ConfigurationError, match=r"chose a display unit of this dimension"):
        s = gauge_system()
        s.display("Pa", "bar")
        s.display("psi", "atm")


def test_a_model_s_own_choice_of_the_wrong_dimension_is_refused():
    with pytest.raises(ConfigurationError, match=r"BadGauge \(actor 'g'\): display_units\['p2'\] = 'K' is not a "
                                                 r"unit of the dimension of its unit Pa"):
        gauge_system(BadGauge).run(1.0)


SCENARIO = """
[run]
stop_time = "2 s"
output_interval = 1.0

[[actor]]
name = "src"
model = "engine_actors:Constant"
step = 1.0

[[actor]]
name = "tank"
model = "engine_actors:Tank"
step = 1.0
[actor.parameters]
q_in = 0.0
q_out = 0.0
p_start = "2 bar"

[derived]
p_atm = { expr = "tank.p", unit = "atm" }

[units]
W = "mW"
"tank.p" = "kPa"
"""


def test_the_scenario_s_units_table(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    system, settings = scenario.load(path)
    ds = system.run(settings.stop_time, output_interval=1.0)
    shown = display_of(ds)
    assert shown["src.y"] == "mW" and shown["tank.p"] == "kPa" and shown["derived.p_atm"] == "atm"
    for edit, match in ((('"tank.p" = "kPa"', '"tank.p" = "K"'), "[units]: key 'tank.p': display unit 'K' is not of "
                                                                  "the dimension of 'tank.p' (in Pa)"),
                        (('W = "mW"', 'W = 3'), "[units]: key 'W' must be a display unit (\"bar\"), not a number"),
                        (('W = "mW"', 'W = "m"'), "[units]: key 'W': display unit 'm' is not of the dimension of 'W'")):
        path.write_text(SCENARIO.replace(*edit))
        with pytest.raises(ConfigurationError) as exc:
            scenario.validate(path)
        assert str(exc.value).startswith(f"{path}: ") and match in str(exc.value), str(exc.value)


def test_the_command_line_units_option(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    out = tmp_path / "r.nc"

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "cryocosim", "run", str(path), "-q", "-o", str(out), *extra],
                              capture_output=True, text=True, env={"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin"})

    r = run("--units", "bar", "--units", "src.y=kW")
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(out) as ds:
        assert ds["tank.p"].attrs["display_units"] == "bar"          # over the scenario's kPa
        assert ds["derived.p_atm"].attrs["display_units"] == "bar"
        assert ds["src.y"].attrs["display_units"] == "kW"
        assert ds["tank.p"].attrs["units"] == "Pa" and float(ds["tank.p"][-1]) == 2e5
    for args, line in ((["--units", "tank.p=K"], "--units 'tank.p=K': display unit 'K' is not of the dimension of "
                                                 "'tank.p' (in Pa)"),
                       (["--units", "parsec"], "--units 'parsec': unknown unit 'parsec'"),
                       (["--units", "tank.x=bar"], "--units 'tank.x=bar': actor 'tank' has no recorded variable 'x'")):
        r = run(*args)
        err = errors_only(r.stderr)
        assert r.returncode == 2 and err.count("\n") == 1 and line in err, r.stderr


# ---- the helpers ------------------------------------------------------------------------------------
def test_to_display_contract():
    x = np.array([300.0, 77.0])
    assert to_display(x, "K", None) is x and to_display(x, "K", "") is x and to_display(x, "K", "K") is x
    np.testing.assert_allclose(to_display(x, "K", "degC"), [26.85, -196.15], rtol=1e-13)
    assert to_display(2e5, "Pa", "bar") == pytest.approx(2.0, rel=1e-15)
    assert to_display(10000 * 2 * math.pi / 60, "rad/s", "rpm") == pytest.approx(10000.0, rel=1e-15)
    assert to_display(0.02, "kg/s", "g/s") == pytest.approx(20.0, rel=1e-15)
    with pytest.raises(UnitError, match="unit mismatch"):
        to_display(x, "K", "W")


def test_display_values_of_a_dataset_variable(tmp_path):
    ds = gauge_system().run(1.0, output=tmp_path / "r.nc", output_interval=1.0)
    with xr.open_dataset(tmp_path / "r.nc") as f:
        for data in (ds, f):
            values, unit = display_values(data["g.p1"])
            assert unit == "bar" and values.tolist() == [2.0, 2.0]
            values, unit = display_values(data["g.p2"])
            assert unit == "atm" and values.tolist() == [1.0, 1.0]
            values, unit = display_values(data["g.p1"], "kPa")            # another choice
            assert unit == "kPa" and values.tolist() == [200.0, 200.0]
            assert display_values(data["g.n"])[1] == ""                  # dimensionless: no label
            values, unit = display_values(data["g.k"])                    # not a Real: as recorded
            assert unit == "" and values.tolist() == [2, 2]
        assert f["g.p1"].values.tolist() == [2e5, 2e5]                    # untouched
    legacy = xr.DataArray([1.0], attrs={"units": "Pa"})                   # a result without display units
    assert display_values(legacy)[1] == "Pa"


def test_one_home_for_the_default_display_units():
    from cryocosim.fmi import slave

    assert slave.DISPLAY_UNITS is DISPLAY_UNITS is units_module.DISPLAY_UNITS
    assert DISPLAY_UNITS["Pa"][0] == "bar" and DISPLAY_UNITS["rad/s"] == ("rpm",)
