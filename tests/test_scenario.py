"""Scenario files: validated completely before the run; each error is one line naming file, table, key."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cryocosim import ConfigurationError
from cryocosim import scenario

GOOD = """
[run]
stop_time = "10 s"
output_interval = 1.0

[[actor]]
name = "src"
model = "engine_actors:Constant"
step = 1.0
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
name = "half"
when = "int.x > 10 J"
"""


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_scenario_runs(tmp_path):
    system, settings = scenario.load(write(tmp_path, GOOD))
    ds = system.run(settings.stop_time, output_interval=settings.output_interval)
    assert float(ds["int.x"][-1]) == pytest.approx(20.0, rel=1e-12)  # 2 W for 10 s, exact ZOH sum


@pytest.mark.parametrize("edit, match", [
    (lambda t: t.replace('stop_time = "10 s"', 'stop_time = = 3'), r"TOML syntax error.*line 3"),
    (lambda t: t.replace('stop_time = "10 s"\n', ''), r"\[run\]: missing key 'stop_time'"),
    (lambda t: t.replace('model = "engine_actors:Integrator"', 'model = "warp_drive"'),
     r"\[\[actor\]\] #2 'int': key 'model': unknown model 'warp_drive'"),
    (lambda t: t.replace('to = "int.u"', 'to = "int.v"'), r"\[\[connect\]\] #1: actor 'int' has no variable 'v'"),
    (lambda t: t.replace('value = "2 W"', 'value = "2 K"'), r"\[\[actor\]\] #1 'src': parameters.value: .*unit mismatch"),
    (lambda t: t.replace('[[connect]]\nfrom = "src.y"\nto = "int.u"\n', ''), r"input 'int.u' is not connected"),
    (lambda t: t.replace('when = "int.x > 10 J"', 'when = "int.x > 10 kg"'), r"\[\[event\]\] #1 'half': unit mismatch"),
    (lambda t: t.replace('step = 0.5', 'step = -0.5'), r"'int': key 'step': must be positive"),
    (lambda t: t.replace('[run]', '[run]\nspeed = 3'), r"\[run\]: unknown key 'speed'"),
    (lambda t: t.replace('name = "src"', 'name = "src"\ncolour = "red"'), r"\[\[actor\]\] #1 'src': unknown key 'colour'"),
])
def test_bad_scenario_one_line_error(tmp_path, edit, match):
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(ConfigurationError, match=match) as exc:
        scenario.load(path)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(str(path))


def run_cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    return subprocess.run([sys.executable, "-m", "cryocosim", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_cli_bad_scenario_exit_2_no_traceback(tmp_path):
    path = write(tmp_path, GOOD.replace('model = "engine_actors:Integrator"', 'model = "warp_drive"'))
    r = run_cli("validate", "--trust", str(path))  # --trust: its other model is a module of the tests
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "unknown model 'warp_drive'" in r.stderr


def test_cli_run_writes_result(tmp_path):
    path = write(tmp_path, GOOD)
    out = tmp_path / "r.nc"
    r = run_cli("run", str(path), "-o", str(out), "--plot", str(tmp_path / "r.png"),
                "--set", "src.value=4000 mW", "--stop-time", "0.25 min")  # values with units
    assert r.returncode == 0, r.stderr
    assert out.exists() and (tmp_path / "r.png").exists()
    assert "events" in r.stdout.splitlines() and "   1  2.5 s   half" in r.stdout.splitlines()  # a 15 s run: times in seconds (summary.CLOCK_FROM)
    import xarray as xr

    with xr.open_dataset(out) as ds:
        assert float(ds["int.x"][-1]) == pytest.approx(60.0, rel=1e-12)  # 4 W for 15 s


# -- the whole document's structure and types are checked before anything is built ---------------
@pytest.mark.parametrize("edit, match", [
    (lambda t: 'event = ["x"]\n' + t.split("[[event]]")[0], r": \[\[event\]\] #1 must be a table, not a string \('x'\)"),
    (lambda t: 'event = [{name = "a", at = 1}, "x"]\n' + t.split("[[event]]")[0], r": \[\[event\]\] #2 must be a table, not a string"),
    (lambda t: t.replace('to = "int.u"', 'to = 1.0'), r"\[\[connect\]\] #1: key 'to' must be a string or a non-empty array of strings, not a number"),
    (lambda t: t.replace('from = "src.y"', 'from = true'), r"\[\[connect\]\] #1: key 'from' must be a string, not a boolean"),
    (lambda t: t.replace('name = "src"', 'name = true'), r"\[\[actor\]\] #1: key 'name' must be a string, not a boolean"),
    (lambda t: t.replace('name = "half"', 'name = ["a"]'), r"\[\[event\]\] #1: key 'name' must be a string, not an array"),
    (lambda t: t.replace('[run]\nstop_time = "10 s"\noutput_interval = 1.0', 'run = 1'), r": key 'run' must be a table \(\[run\]\), not a number"),
    (lambda t: "scenario = 1\n" + t, r": key 'scenario' must be a table \(\[scenario\]\), not a number"),
    (lambda t: "extends = 1\n" + t, r": key 'extends' must be a string, not a number"),
    (lambda t: 'defaults = "x"\n' + t, r": key 'defaults' must be a table \(\[defaults\]\), not a string"),
    (lambda t: t.replace('when = "int.x > 10 J"', 'when = "int.x > 10 J"\nset = "x"'), r"\[\[event\]\] #1 'half': key 'set' must be a table"),
    (lambda t: t.replace('[actor.parameters]\nvalue = "2 W"', 'parameters = 3'), r"\[\[actor\]\] #1 'src': key 'parameters' must be a table"),
    (lambda t: t.replace('value = "2 W"', 'value = [2]'), r"\[\[actor\]\] #1 'src': parameters.value must be a number, a string or true/false, not an array"),
    (lambda t: t.replace('step = 0.5', 'step = inf'), r"'int': key 'step': expected a finite number in s, got inf"),
    (lambda t: t.replace('step = 0.5', 'step = 1e300'), r"'int': key 'step': 1e\+300 s is absurdly long"),
    (lambda t: t.replace('step = 0.5', 'step = 1e-12'), r"'int': key 'step': step 1e-12 s must be a positive multiple of 1e-09 s"),
    (lambda t: t.replace('value = "2 W"', 'value = inf'), r"\[\[actor\]\] #1 'src': parameters.value: expected a finite number in W, got inf"),
    (lambda t: t.replace('value = "2 W"', 'value = -1e300'), r"parameters.value: -1e\+300 W is absurdly large"),
    (lambda t: t.replace('value = "2 W"', 'value = "1e308 kW"'), r"parameters.value: expected a finite number in W"),
    (lambda t: t.replace('stop_time = "10 s"', 'stop_time = 1e12'), r"\[run\]: key 'stop_time': stop time 1e\+12 s would take 2e\+12 steps of actor 'int'"),
    (lambda t: t.replace('stop_time = "10 s"', 'stop_time = nan'), r"\[run\]: key 'stop_time': expected a finite number in s, got nan"),
    (lambda t: t.replace('output_interval = 1.0', 'output_interval = 1e-12'), r"\[run\]: key 'output_interval' must be at least 1e-09 s"),
    (lambda t: t.replace('when = "int.x > 10 J"', 'at = -1'), r"\[\[event\]\] #1 'half': key 'at': must not be negative"),
    (lambda t: t.replace('when = "int.x > 10 J"', 'when = "int.x > 1e999 J"'), r"\[\[event\]\] #1 'half': expected a finite number in J"),
    (lambda t: t.replace('[run]', '[run]\norder = ["src", "int", "int"]'), r"\[run\]: key 'order' must list every actor once \(check int\)"),
    (lambda t: t + '\n[plot]\npanels = [["int.x", "int.nope"]]\n', r"\[plot\]: key 'panels': 'int.nope' is not an output"),
    (lambda t: t + '\n[set]\n"src" = 3\n', r"\[set\]: key 'src' must read 'actor.variable'"),
    (lambda t: t + '\n[set]\n"ghost.value" = 3\n', r"\[set\]: key 'ghost.value': names no actor of the scenario"),
])
def test_wrong_types_and_absurd_values_are_one_line_errors(tmp_path, edit, match):
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(ConfigurationError, match=match) as exc:
        scenario.validate(path)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(str(path))


def test_dotted_keys_in_set_tables_are_accepted(tmp_path):
    text = GOOD.replace('when = "int.x > 10 J"', 'at = 2.0\nset = { src.value = "3 W" }') + '\n[set]\nsrc.value = "1 W"\n'
    system, _ = scenario.validate(write(tmp_path, text))
    assert system.bus.actors["src"].value == 1.0
    assert list(system.time_events[0].action.set.values()) == [3.0]


def test_check_run_length_for_the_python_api():
    from cryocosim.checks import check_run_length

    assert check_run_length("2 h", {"a": 0.05, "b": 1.0}) == 7200.0
    for bad, match in [(1e12, r"stop time 1e\+12 s would take 2e\+13 steps of actor 'a'"),
                       (float("inf"), "finite"), (float("nan"), "finite"), (-5, "must be positive"), (0, "positive")]:
        with pytest.raises(ConfigurationError, match=match):
            check_run_length(bad, {"a": 0.05, "b": 1.0}, "stop time")


# -- errors found while setting the actors up name the scenario key -------------------------------
LOAD = """
[run]
stop_time = "1 h"

[[actor]]
name = "load"
model = "thermal_load"
step = 1.0
[actor.parameters]
heat_removed = 0.0
T_start = "2 K"

[[actor]]
name = "hp"
model = "gas_volume"
[actor.parameters]
mdot_in = 0.0
h_in = 3.11e5
mdot_out = 0.0
h_return = 3.11e5
"""


def test_setup_errors_name_the_key_that_caused_them(tmp_path):
    path = write(tmp_path, LOAD)
    with pytest.raises(ConfigurationError) as exc:
        scenario.validate(path)
    assert str(exc.value) == (f"{path}: [[actor]] #1 'load': parameters.T_start: 2 K is outside the copper "
                              "model's range 4-600 K")
    path = write(tmp_path, LOAD.replace('T_start = "2 K"', 'T_start = "80 K"') + '\n[set]\n"hp.T_start" = "20 K"\n')
    with pytest.raises(ConfigurationError, match=r"^.*s.toml: \[set\]: key 'hp.T_start': 20 K: nitrogen state "
                                                 r"outside CoolProp's range"):
        scenario.validate(path)
    path = write(tmp_path, LOAD.replace('T_start = "2 K"', 'T_start = "80 K"'))
    with pytest.raises(ConfigurationError, match=r"^--set 'hp.p_start': 1e\+11 Pa \(at T_start = 300 K\): nitrogen"):
        scenario.validate(path, {"hp.p_start": "1e6 bar"}, "--set")
    system, _ = scenario.validate(path)
    assert system.origins["hp"] == f"{path}: [[actor]] #2 'hp'"


def test_validate_reads_fmu_description_without_running_it(tmp_path, monkeypatch):
    from cryocosim.fmi.export import export_fmu
    from cryocosim.fmi.fmu_actor import FMUActor
    from fmi_fixture_actor import FirstOrderLag

    folder = tmp_path / "study"
    folder.mkdir()
    export_fmu(FirstOrderLag, folder)
    text = """
[run]
stop_time = "10 s"

[[actor]]
name = "lag"
model = "FirstOrderLag.fmu"
step = 0.5
[actor.parameters]
u = "20 degC"
tau = "2 s"

[[event]]
when = "lag.y < 295 K"
"""
    path = write(folder, text)

    def no_setup(self):
        raise AssertionError("validate instantiated the FMU")

    monkeypatch.setattr(FMUActor, "setup", no_setup)
    monkeypatch.chdir(tmp_path)  # the .fmu path is relative to the scenario's folder, not to here
    system, _ = scenario.validate(path.relative_to(tmp_path))
    assert isinstance(system.bus.actors["lag"], FMUActor)
    with pytest.raises(ConfigurationError, match=r"\[\[actor\]\] #1 'lag': key 'model'.*Missing.fmu"):
        scenario.validate(write(folder, text.replace("FirstOrderLag.fmu", "Missing.fmu")))


def test_plot_panels_are_checked(tmp_path):
    """[plot] panels: names of outputs or derived quantities; a table gives a zoom window, a title
    and a log axis; a panel of two dimensions is refused (one axis cannot read both)."""
    base = GOOD + '\n[derived]\nhalf = "int.x / 2"\nratio = "src.y / src.y"\n'
    ok = base + '[plot]\npanels = [["int.x", "derived.half"], { vars = ["src.y"], from = "2 s", to = "4 s", ' \
                'title = "zoom", log = false }]\n'
    system, settings = scenario.validate(write(tmp_path, ok))
    assert settings.extra["plot"]["panels"][1]["from"] == "2 s"
    for panels, match in [
        ('[["int.x", "derived.ratio"]]', r"panel #1 mixes dimensions \(int.x \[J\], derived.ratio \[1\]\)"),
        ('[{ vars = ["src.y"], from = "4 s", to = "2 s" }]', r"panels #1: key 'from' must come before key 'to'"),
        ('[{ vars = ["src.y"], zoom = 2 }]', r"panels #1: unknown key 'zoom'"),
        ('[{ vars = "src.y" }]', r"panels #1: key 'vars'"),
        ('[{ vars = ["src.y"], log = "yes" }]', r"panels #1: key 'log'"),
        ('[["int.nope"]]', r"'int.nope' is not an output"),
    ]:
        with pytest.raises(ConfigurationError, match=match) as err:
            scenario.validate(write(tmp_path, base + f"[plot]\npanels = {panels}\n"))
        assert "\n" not in str(err.value)
