"""Runs never crash or hang on bad numbers.

* A NaN or infinite output of an actor stops the run with one line naming the actor, the output
  and the time; the results up to then stay in the file (fixed steps, adaptive, iterated), as after
  a model failure.  At the initialisation it is a set-up error.  Locals are not checked (and one
  that stays NaN no longer keeps the initialisation from converging).
  (An FMU's non-finite output: tests/test_ssp_safety.py, the screw-Brayton SSP.)
* An actor whose step is far longer than the others' (50000 s beside 0.05 s) in an adaptive run:
  the run ends, and correctly (it used to retry a macro step that could not get shorter, with
  the fast actors at the minimum step: the screw-Brayton cool-down sat at "step 0 s").
* An iterated run of a system without connections (nothing to iterate) is the explicit run.
"""
import math
import os
import subprocess
import sys
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from cryocosim import Actor, SimulationError, System
from cryocosim.errors import SetupError
from cryocosim.variables import Causality, Output, Parameter, Variable

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).parent


class Spoiler(Actor):
    """Outputs 1 W until its step from ``at``, then ``bad`` (nan, inf or -inf); a local that is
    NaN from the start (nothing reads it)."""

    variables = (Parameter("at", "s", 1.0, "time of the first bad step"),
                 Parameter("bad", "1", "nan", "the bad value", choices=("nan", "inf", "-inf")),
                 Output("y", "W", 1.0, "the output"),
                 Variable("ratio", Causality.local, "1", math.nan, "undefined: 0/0"))

    def setup(self):
        self.y = float(self.bad) if self.at <= 0 else 1.0
        self.ratio = math.nan

    def do_step(self, t, h):
        self.y = float(self.bad) if t >= self.at else 1.0


def spoiled(**params) -> System:
    s = System("spoiled")
    s.add("src", Spoiler, 0.1, **params)
    s.add("int", "engine_actors:Integrator", 0.1)
    s.connect("src.y", "int.u")
    return s


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_a_non_finite_output_stops_a_fixed_step_run_and_the_results_stay(tmp_path, bad):
    out = tmp_path / "spoiled.nc"
    with pytest.raises(SimulationError) as err:
        spoiled(bad=bad).run(3.0, output=out, output_interval=0.1)
    assert str(err.value) == (f"actor 'src': output 'y' is {bad} after its step from t=1 s to t=1.1 s (a non-finite "
                              f"output stops the run); results up to t=1 s written to {out}")
    assert err.value.time == 1.0
    with netCDF4.Dataset(out) as ds:
        assert ds.status.startswith(f"failed at t=1 s: actor 'src': output 'y' is {bad}")
        times = ds["time"][:]
        assert times[0] == 0.0 and 0.5 <= times[-1] <= 1.0
        assert np.all(np.isfinite(ds["src.y"][:])) and np.all(np.isfinite(ds["int.x"][:]))
        np.testing.assert_allclose(ds["int.x"][:], times, rtol=1e-12, atol=1e-12)  # 1 W integrated


@pytest.mark.parametrize("iterate", [False, True])
def test_adaptive_and_iterated_runs_stop_too(tmp_path, iterate):
    """Retried at smaller steps first, like a model failure, then stopped at the same time."""
    out = tmp_path / "spoiled.nc"
    with pytest.raises(SimulationError) as err:
        spoiled().run(3.0, output=out, output_interval=0.1, tolerance=1e-3, iterate=iterate)
    msg = str(err.value)
    assert msg.startswith("actor 'src': output 'y' is nan after its step from t=1 s to t=1.0") and "\n" not in msg
    assert msg.endswith(f"(a non-finite output stops the run); results up to t=1 s written to {out}")
    with netCDF4.Dataset(out) as ds:
        assert ds["time"][-1] == 1.0 and np.all(np.isfinite(ds["int.x"][:]))
        assert ds.status.startswith("failed at t=1 s: actor 'src': output 'y' is nan")


def test_a_non_finite_output_at_the_start_is_a_setup_error(tmp_path):
    out = tmp_path / "spoiled.nc"
    with pytest.raises(SetupError, match=r"^actor 'src': output 'y' is -inf after the initialisation \(t=0 s\)$"):
        spoiled(at=0.0, bad="-inf").run(1.0, output=out)
    assert not out.exists()  # nothing to keep


def test_locals_are_not_checked(tmp_path):
    """A local nothing reads may be undefined (a ratio at a standstill): recorded as it is."""
    ds = spoiled(at=10.0).run(1.0, output_interval=0.5)
    assert ds.attrs["status"] == "completed" and np.all(np.isnan(ds["src.ratio"].values))


class Huge(Actor):
    """Two finite outputs whose sum overflows to infinity."""

    variables = (Output("a", "W", 0.0, "huge"), Output("b", "W", 0.0, "huge too"))

    def setup(self):
        self.a = self.b = 1.7e308

    def do_step(self, t, h):
        pass


def test_outputs_whose_sum_overflows_are_finite():
    """The check adds an actor's outputs up (cheap) and looks at each only when the sum is not
    finite: two huge finite outputs are not taken for an infinity."""
    s = System("huge")
    s.add("h", Huge, 0.1)
    ds = s.run(0.3, output_interval=0.1)
    assert ds.attrs["status"] == "completed" and list(ds["h.a"].values) == [1.7e308] * 4


# -- a step far longer than the others in an adaptive run ------------------------------------------------
def tanks(valve_step: float) -> System:
    """Two tanks (steps 0.01 s) joined by a valve whose step is ``valve_step``."""
    s = System("tanks")
    s.add("a", "engine_actors:Tank", step=0.01, C=1.0, p_start=2e5, q_in=0.0)
    s.add("b", "engine_actors:Tank", step=0.01, C=1.0, p_start=1e5, q_out=0.0)
    s.add("v", "engine_actors:Valve", step=valve_step, G=1.0)
    s.connect("a.p", "v.p1")
    s.connect("b.p", "v.p2")
    s.connect("v.q", "a.q_out")
    s.connect("v.q", "b.q_in")
    return s


def test_an_actor_step_beyond_the_output_interval_in_an_adaptive_run():
    """The valve's step, 50000 s, is cut to the macro step (at most the 0.5 s output interval):
    the step control shrinks it with the others when the error asks for it.  It used to keep
    the valve's nominal ratio (5 million fast steps): every retry only shrank the tanks' steps,
    to the minimum, 4 million actor steps for a wrong answer (the valve's flow held 0.5 s)."""
    ref = tanks(0.01).run(2.0, output_interval=0.5, tolerance=1e-3)
    ds = tanks(50000.0).run(2.0, output_interval=0.5, tolerance=1e-3)
    assert ds.attrs["status"] == "completed"
    assert ds.attrs["actor_steps"] < 300_000  # measured 121,608
    exact = 1e5 * np.exp(-2.0 * ds.time.values)  # p_a - p_b
    for run in (ds, ref):
        d = (run["a.p"] - run["b.p"]).values
        assert np.max(np.abs(d - exact)) < 1e-2 * 1e5


def test_cooldown_with_a_50000_s_motor_step_ends_in_an_adaptive_run(tmp_path):
    """The screw-Brayton cool-down with the motor's step 50000 s, run to 2 s with a tolerance,
    by the command line (a subprocess with a timeout: it used to sit at "step 0 s" forever)."""
    text = (ROOT / "scenarios/screw_brayton_cooldown.toml").read_text()
    motor = 'name = "motor"\nmodel = "motor"\nstep = 0.05\n'
    assert motor in text
    path = tmp_path / "slow_motor.toml"
    path.write_text(text.replace(motor, motor.replace("0.05", "50000.0")))
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    cli = [sys.executable, "-m", "cryocosim"]
    r = subprocess.run([*cli, "validate", str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and ": valid (10 actors" in r.stdout, r.stderr
    out = tmp_path / "slow_motor.nc"
    r = subprocess.run([*cli, "run", str(path), "-q", "--stop-time", "2", "--tolerance", "1e-4", "-o", str(out)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and f"wrote {out}: 2 records" in r.stdout and "completed" in r.stdout
    with netCDF4.Dataset(out) as ds:
        assert list(ds["time"][:]) == [0.0, 2.0] and ds.step_control == "adaptive, iterated"
        assert 0.0 < float(ds["shaft.speed"][-1]) < 1100.0  # spinning up (rad/s; 10500 rpm = 1100 rad/s)


def test_iterated_run_of_a_system_without_connections():
    """Nothing coupled, nothing to iterate: the run is the explicit one (it raised 'zero-size
    array to reduction operation maximum', a traceback from the command line)."""
    def one():
        s = System("single")
        s.add("i", "engine_actors:Integrator", 0.5, x_start=1.0, u=2.0)
        return s

    for options in (dict(iterate=True), dict(iterate=True, tolerance=1e-3)):
        ds = one().run(2.0, output_interval=0.5, **options)
        assert ds.attrs["status"] == "completed" and list(ds["i.x"].values) == [1.0, 2.0, 3.0, 4.0, 5.0]
