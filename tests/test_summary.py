"""What a run tells at its end, and the plot and compare verbs (issue 22, parts 1 and 3).

The summary's numbers are checked against the result file they summarise (final, min, max read
back with xarray), its event times against the event log; ``compare``'s largest differences
against the two files; the sweep table against the sweep's Dataset.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cryocosim import __version__, cli
from cryocosim.summary import clock, duration, moment, number, to_unit

ROOT = Path(__file__).resolve().parents[1]

LOAD = """
[scenario]
name = "a copper load warming"
[run]
stop_time = "2 h"
output_interval = "1 min"

[[actor]]
name = "load"
model = "thermal_load"
step = 10.0
[actor.parameters]
T_start = "80 K"
heat_removed = "0 W"
heat_applied = "{heat} W"

[[event]]
name = "load above 100 K"
when = "load.T > 100 K"
"""


def test_clock_duration_number():
    assert clock(0.0) == "0:00:00" and clock(9753.5) == "2:42:33.5" and clock(86400.0) == "24:00:00"
    assert clock(59.94) == "0:00:59.9" and clock(-75.0) == "-0:01:15"
    assert moment(0.2343, 0.4) == "0.2343 s" and moment(9753.5, 86400.0) == "2:42:33.5"  # short runs in s
    assert duration(86400.0) == "24 h" and duration(5400.0) == "90 min" and duration(12.5) == "12.5 s"
    assert number(10500.0) == "10500" and number(4.2239) == "4.224" and number(0.011381) == "0.01138"
    assert number(0.0) == "0" and number(3.1e-7) == "3.100e-07" and number(2.5e8) == "2.500e+08"
    values, unit = to_unit(np.array([101325.0, 2e5]), "Pa", "bar")
    assert unit == "bar" and np.allclose(values, [1.01325, 2.0], rtol=1e-15)
    values, unit = to_unit(np.array([300.0]), "K", "degC")
    assert unit == "degC" and abs(values[0] - 26.85) < 1e-12
    assert to_unit(np.array([1.0]), "K", "bar")[1] == "K"  # another dimension: left as it is


def cli_out(capsys, *argv) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_run_ends_with_a_summary_that_the_file_bears_out(tmp_path, capsys):
    (tmp_path / "s.toml").write_text(LOAD.format(heat=5))
    status, out, _ = cli_out(capsys, "run", tmp_path / "s.toml", "-o", tmp_path / "r.nc")
    assert status == 0
    lines = out.splitlines()
    assert re.fullmatch(rf"wrote {re.escape(str(tmp_path / 'r.nc'))}: 121 records of \d+ variables, completed; "
                        r"2 h simulated in \d+\.\d s", lines[0]), lines[0]
    assert lines[1].split() == ["final", "min", "max"]
    row = lines[2].split()
    assert row[:2] == ["load.T", "K"]  # the thermal load's headline output
    with xr.open_dataset(tmp_path / "r.nc") as ds:
        T = ds["load.T"].values
        events = json.loads(ds.attrs["events"])
    assert row[2:] == [number(T[-1]), number(T.min()), number(T.max())]
    (ev,) = events
    assert lines[-2] == "events" and lines[-1].split(None, 2) == ["1", clock(ev["time"]), "load above 100 K"]
    assert T[-1] > 100.0 > T[0]  # it warmed through the event's threshold


def test_quiet_run_says_where_and_how_it_ended(tmp_path, capsys):
    (tmp_path / "s.toml").write_text(LOAD.format(heat=5))
    status, out, _ = cli_out(capsys, "run", tmp_path / "s.toml", "-o", tmp_path / "r.nc", "-q")
    assert status == 0 and len(out.splitlines()) == 1 and out.startswith(f"wrote {tmp_path / 'r.nc'}: 121 records")


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out == f"cryocosim {__version__}\n"


def test_an_interrupted_run_says_when_and_where(tmp_path):
    from test_results import SLOW  # a run of 10 ms steps: long enough to be interrupted

    (tmp_path / "slow.toml").write_text(SLOW.format(stop=1e4))
    out = tmp_path / "r.nc"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    proc = subprocess.Popen([sys.executable, "-m", "cryocosim", "run", str(tmp_path / "slow.toml"), "-q", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 60
    while not (tmp_path / "r.nc.lock").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    with xr.open_dataset(out) as ds:
        t = float(re.match(r"interrupted at t=(\S+) s", ds.attrs["status"]).group(1))
    assert f"cryocosim: interrupted at t = {clock(t)} ({duration(t)}), results to then in {out}" in err.splitlines()


# ==============================================================================================
# plot and compare
# ==============================================================================================
@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    for heat in (5, 8):
        (d / f"s{heat}.toml").write_text(LOAD.format(heat=heat))
        assert cli.main(["run", str(d / f"s{heat}.toml"), "-o", str(d / f"r{heat}.nc"), "-q"]) == 0
    return d


def test_plot_a_result(two_runs, tmp_path, capsys):
    status, out, _ = cli_out(capsys, "plot", two_runs / "r5.nc", "-o", tmp_path / "p.png", "--var", "load.T")
    assert status == 0 and out == f"wrote {tmp_path / 'p.png'}\n" and (tmp_path / "p.png").stat().st_size > 10_000
    status, _, err = cli_out(capsys, "plot", two_runs / "r5.nc", "--var", "load.nope")
    assert status == 2 and err.startswith(f"cryocosim: error: {two_runs / 'r5.nc'}: --var 'load.nope' is not in")
    (tmp_path / "x.nc").write_text("not netcdf")
    status, _, err = cli_out(capsys, "plot", tmp_path / "x.nc")
    assert status == 2 and "not a readable result (NetCDF) file" in err and err.count("\n") == 1
    (tmp_path / "link.png").symlink_to(two_runs / "r5.nc")  # the result under a picture's name
    status, _, err = cli_out(capsys, "plot", two_runs / "r5.nc", "-o", tmp_path / "link.png")
    assert status == 2 and "it is the result file" in err


def test_compare_names_the_largest_difference_of_each_variable(two_runs, tmp_path, capsys):
    status, out, _ = cli_out(capsys, "compare", two_runs / "r5.nc", two_runs / "r8.nc", "--var", "load.T",
                             "--var", "load.heat_parasitic", "-o", tmp_path / "c.png")
    assert status == 0 and (tmp_path / "c.png").stat().st_size > 10_000
    lines = out.splitlines()
    assert lines[0] == f"{two_runs / 'r8.nc'} against {two_runs / 'r5.nc'} (the reference) at 121 times:"
    with xr.open_dataset(two_runs / "r5.nc") as a, xr.open_dataset(two_runs / "r8.nc") as b:
        for name in ("load.T", "load.heat_parasitic"):
            gap = np.abs(b[name].values - a[name].values)
            k = int(np.argmax(gap))
            row = next(line for line in lines if line.split()[0] == name).split()
            assert row[-4:] == [number(gap[k]), clock(float(a["time"].values[k])), number(float(a[name].values[k])),
                                number(float(b[name].values[k]))], (name, row)
    # a shorter run on the same grid: compared where both have times
    (tmp_path / "short.toml").write_text(LOAD.format(heat=8).replace('stop_time = "2 h"', 'stop_time = "1 h"'))
    assert cli.main(["run", str(tmp_path / "short.toml"), "-o", str(tmp_path / "short.nc"), "-q"]) == 0
    capsys.readouterr()
    status, out, _ = cli_out(capsys, "compare", tmp_path / "short.nc", two_runs / "r8.nc", "--var", "load.T")
    assert status == 0 and "at 61 times:" in out.splitlines()[0]
    row = out.splitlines()[2].split()
    assert row[0] == "load.T" and row[2] == "0"  # the same run where both ran
    status, _, err = cli_out(capsys, "compare", two_runs / "r5.nc")
    assert status == 2 and "compare needs two results or more" in err


def test_a_sweep_ends_with_its_table(tmp_path, capsys):
    spec = tmp_path / "sweep.toml"
    (tmp_path / "f.py").write_text("def f(a, b):\n    return {'y': a * b, 'z': a + b}\n")
    spec.write_text('function = "f.py:f"\noutputs = ["y", "z"]\n[parameters]\na = [1.0, 2.0]\nb = [10.0, 20.0, 30.0]\n')
    status, out, _ = cli_out(capsys, "sweep", spec, "-o", tmp_path / "s.nc", "--scheduler", "synchronous", "-q")
    assert status == 0 and len(out.splitlines()) == 1  # quiet: no table
    status, out, _ = cli_out(capsys, "sweep", spec, "-o", tmp_path / "s.nc", "--scheduler", "synchronous")
    lines = out.splitlines()
    assert status == 0 and lines[1].split() == ["a", "b", "y", "z", "status"]
    body = [line.split() for line in lines[3:]]
    with xr.open_dataset(tmp_path / "s.nc") as ds:
        expected = [[number(a), number(b), number(float(ds["y"].sel(a=a, b=b))), number(float(ds["z"].sel(a=a, b=b))),
                     "ok"] for a in (1.0, 2.0) for b in (10.0, 20.0, 30.0)]
    assert body == expected


def test_the_readme_examples_are_what_the_commands_print(tmp_path, capsys):
    """README.md's summary and compare examples (text blocks) are the output of the commands the
    README names, run here (the wall time and the folder aside): the page cannot go stale."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```text\n(.*?)^```", readme, re.M | re.S)
    summary = next(b for b in blocks if b.startswith("wrote results/4k_stall.nc"))
    compare = next(b for b in blocks if b.startswith("$ cryocosim compare"))
    stall = ROOT / "scenarios" / "4k_stall.toml"
    a, b = tmp_path / "4k_stall.nc", tmp_path / "4k_stall_2atm.nc"
    assert cli.main(["run", str(stall), "-o", str(a)]) == 0
    printed = capsys.readouterr().out.replace(str(a), "results/4k_stall.nc")
    wall = re.compile(r"in \d+\.\d s$")
    assert [wall.sub("", line) for line in printed.splitlines()] == \
           [wall.sub("", line) for line in summary.splitlines()]
    assert cli.main(["run", str(stall), "-o", str(b), "--set", "jt.p_exhaust=2 atm", "-q"]) == 0
    capsys.readouterr()
    command = compare.splitlines()[0].split()[1:]  # cryocosim compare ...
    argv = [x.replace("results/4k_stall_2atm.nc", str(b)).replace("results/4k_stall.nc", str(a)) for x in command[1:]]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out.replace(str(b), "results/4k_stall_2atm.nc").replace(str(a), "results/4k_stall.nc")
    assert printed.splitlines() == compare.splitlines()[1:]
