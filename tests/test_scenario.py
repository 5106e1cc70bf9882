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
    (lambda t: t.replace('step = 0.5', 'step = -0.5'), r"'int'.*step must be positive"),
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
    r = run_cli("validate", str(path))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "unknown model 'warp_drive'" in r.stderr


def test_cli_run_writes_result(tmp_path):
    path = write(tmp_path, GOOD)
    out = tmp_path / "r.nc"
    r = run_cli("run", str(path), "-o", str(out), "--plot", str(tmp_path / "r.png"), "-q")
    assert r.returncode == 0, r.stderr
    assert out.exists() and (tmp_path / "r.png").exists()
    assert "event at t=5.000 s: half" in r.stdout
