"""The command line end to end: exit status 0/2, one-line errors on stderr, never a traceback.

Each ``cryocosim`` process takes seconds to start (imports), so the cases run as concurrent
subprocesses in one test, and each case checks its own outcome.
"""
import os
import subprocess
import sys
from pathlib import Path

from cli_output import errors_only
from test_scenario import GOOD, LOAD

TESTS = Path(__file__).parent


def start(*args, cwd=None, stdout=subprocess.PIPE):
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    return subprocess.Popen([sys.executable, "-m", "cryocosim", *map(str, args)], stdout=stdout,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)


def finish(proc, timeout=300):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out or "", err


def test_bad_input_is_one_line_exit_2_before_the_run(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(GOOD)
    long_run = tmp_path / "long.toml"
    long_run.write_text(GOOD.replace('stop_time = "10 s"', "stop_time = 1e12"))
    cold = tmp_path / "cold.toml"
    cold.write_text(LOAD)
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    out = tmp_path / "r.nc"
    cases = {  # name: (args, what the error line must contain)
        "negative stop time": (["run", good, "-o", out, "--stop-time", "-5"], "--stop-time: must be positive"),
        "nan stop time": (["run", good, "-o", out, "--stop-time", "nan"], "--stop-time: expected a number"),
        "inf --set": (["run", good, "-o", out, "--set", "src.value=inf"], "--set 'src.value': expected a number"),
        "bad --set": (["run", good, "-o", out, "--set", "src.value"], "--set 'src.value' must read actor.parameter=value"),
        "parent is a file": (["run", good, "-o", a_file / "r.nc"], "a_file' is not a directory"),
        "output is a folder": (["run", good, "-o", tmp_path], "it is a directory"),
        "plot format": (["run", good, "-o", out, "--plot", tmp_path / "r.xyz"], "unknown plot format ('.xyz')"),
        "endless run": (["validate", "--trust", long_run], "key 'stop_time': stop time 1e+12 s would take 2e+12 steps"),
        "2 K copper": (["validate", cold], "[[actor]] #1 'load': parameters.T_start: 2 K is outside"),
        "20 K nitrogen via --set": (["run", cold, "-o", out, "--set", "load.T_start=80", "--set", "hp.T_start=20 K"],
                                    "--set 'hp.T_start': 20 K: nitrogen state outside CoolProp's range"),
    }
    procs = {name: start(*args) for name, (args, _) in cases.items()}
    for name, proc in procs.items():
        status, stdout, stderr = finish(proc)
        assert status == 2, (name, status, stderr)
        stderr = errors_only(stderr)  # the scenarios' models are modules of the tests: named first
        assert "Traceback" not in stderr and stderr.count("\n") == 1, (name, stderr)
        assert stderr.startswith("cryocosim: error: ") and cases[name][1] in stderr, (name, stderr)
    assert not out.exists()  # every error came before the run


def test_describe_lists_models_and_a_closed_pipe_is_quiet(tmp_path):
    listing = start("describe")
    # stdout is a pipe nobody reads: the first write fails (what `cryocosim describe x | head` meets)
    r, w = os.pipe()
    os.close(r)
    piped = start("describe", "thermal_load", stdout=w)
    os.close(w)
    status, stdout, stderr = finish(listing)
    assert status == 0, stderr
    assert "registered models" in stdout and "thermal_load" in stdout and "gas_volume" in stdout
    status, _, stderr = finish(piped)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert status == 141


def test_step_control_switches_of_run(tmp_path):
    """``--tolerance 0`` keeps the scenario's iterated coupling at fixed steps; ``--no-iterate``
    turns it off too (the plain explicit loop); the run command imports no xarray."""
    import netCDF4

    cool = Path(__file__).resolve().parents[1] / "scenarios/screw_brayton_cooldown.toml"
    modes = {}
    for name, extra in (("fixed_it", ["--tolerance", "0"]), ("fixed_ex", ["--tolerance", "0", "--no-iterate"]),
                        ("adaptive", [])):
        out = tmp_path / f"{name}.nc"
        code = (f"import sys; from cryocosim.cli import main; rc = main({['run', str(cool), '-q', '--stop-time', '10', '-o', str(out), *extra]!r}); "
                "assert 'xarray' not in sys.modules, 'xarray imported'; sys.exit(rc)")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        with netCDF4.Dataset(out) as ds:
            modes[name] = (ds.step_control, int(ds.actor_steps))
    assert modes["fixed_it"][0] == "fixed, iterated" and modes["fixed_ex"][0] == "fixed"
    assert modes["adaptive"][0] == "adaptive, iterated"
    # the explicit fixed loop takes exactly one step per actor per 0.05 s: 10 actors x 200 steps
    assert modes["fixed_ex"][1] == 10 * 200


def test_validate_skips_python_scripts(tmp_path):
    """``cryocosim validate scenarios/*`` meets the Python scripts kept beside the scenarios: each
    is skipped with one line (not read as TOML) and does not change the exit status; a scenario
    beside it is still validated, and a bad one still fails."""
    good = tmp_path / "good.toml"  # a registered model: validated without --trust
    good.write_text('[run]\nstop_time = "10 s"\n\n[[actor]]\nname = "load"\nmodel = "thermal_load"\n'
                    'step = 1.0\n[actor.parameters]\nheat_removed = "1 W"\n')
    script = Path(__file__).resolve().parents[1] / "scenarios/compare_gases.py"
    assert script.is_file()
    upper = tmp_path / "PLOT.PY"
    upper.write_text("this is = not [toml\n")
    status, stdout, stderr = finish(start("validate", script, good, upper))
    assert status == 0, stderr
    assert stderr == ""
    assert stdout.splitlines() == [f"{script}: skipped (a Python script, not a scenario)",
                                   f"{good}: valid (1 actor, 0 connections, 0 events)",
                                   f"{upper}: skipped (a Python script, not a scenario)"]
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = not [toml\n")
    status, stdout, stderr = finish(start("validate", script, bad))
    assert status == 2 and stdout.splitlines() == [f"{script}: skipped (a Python script, not a scenario)"]
    assert errors_only(stderr).count("\n") == 1 and "TOML syntax error" in stderr


def test_validate_the_shipped_scenarios_folder():
    """``cryocosim validate scenarios/*``, as a user types it: every scenario valid, the scripts
    and the sweeps folder skipped with a line each, exit 0."""
    import glob

    root = Path(__file__).resolve().parents[1]
    paths = sorted(glob.glob(str(root / "scenarios" / "*")))
    status, stdout, stderr = finish(start("validate", *paths))
    assert status == 0, stderr
    lines = stdout.splitlines()
    assert len(lines) == len(paths)
    for path, line in zip(paths, lines):
        if path.endswith(".toml"):
            assert line.startswith(f"{path}: valid ("), line
        elif path.endswith(".py"):
            assert line == f"{path}: skipped (a Python script, not a scenario)"
        else:
            assert line == f"{path}: skipped (a folder without SystemStructure.ssd: neither a scenario nor an SSP)"
