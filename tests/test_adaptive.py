"""Adaptive communication steps with rollback, iterated coupling, events located by rollback."""
import math
import shutil
import warnings
import zipfile

import numpy as np
import pytest

from cryocosim import System, events_of
from cryocosim.errors import CryocosimWarning


def tanks(step, p1=2e5, p2=1e5, C=1.0, G=1.0):
    """Two tanks joined by a valve.  Exact solution: p1 - p2 = d0 exp(-2 G t / C).  With the
    explicit hold each step multiplies the difference by (1 - 2 G h / C): unstable for h > C/G."""
    s = System("tanks")
    s.add("a", "engine_actors:Tank", step=step, C=C, p_start=p1, q_in=0.0)
    s.add("b", "engine_actors:Tank", step=step, C=C, p_start=p2, q_out=0.0)
    s.add("v", "engine_actors:Valve", step=step, G=G)
    s.connect("a.p", "v.p1")
    s.connect("b.p", "v.p2")
    s.connect("v.q", "a.q_out")
    s.connect("v.q", "b.q_in")
    return s


def test_explicit_coupling_diverges_where_iterated_coupling_converges():
    h = 1.5  # 2 G h / C = 3: the explicit hold multiplies the difference by -2 each step
    explicit = tanks(h).run(15.0, output_interval=h, ordering="jacobi")
    d = (explicit["a.p"] - explicit["b.p"]).values
    assert abs(d[-1]) > 100 * abs(d[0])  # diverged (by 2**10 in exact arithmetic)
    iterated = tanks(h).run(15.0, output_interval=h, ordering="jacobi", iterate=True, iteration_tolerance=1e-10)
    d = (iterated["a.p"] - iterated["b.p"]).values
    # converged iterations give implicit Euler: each step divides the difference by 1 + 2 G h / C = 4
    np.testing.assert_allclose(d, 1e5 / 4.0 ** np.arange(len(d)), rtol=1e-8, atol=1e-3)
    # the total (mass) is conserved exactly by the coupling: what leaves a enters b
    total = (iterated["a.p"] + iterated["b.p"]).values
    np.testing.assert_allclose(total, 3e5, rtol=1e-12)
    assert int(iterated["master.iterations"].max()) <= 20


def test_newton_on_a_linear_coupling_converges_at_once():
    """The tanks and valve are linear: with the Jacobian from the actors' differences (exact to
    the difference step's rounding, ~1e-8 relative) Newton lands on the fixed point in one update,
    so every step takes two evaluations — a third at most when the 1e-10 iteration tolerance
    catches the difference quotient's rounding."""
    ds = tanks(1.5).run(15.0, output_interval=1.5, ordering="jacobi", iterate=True, iteration_tolerance=1e-10)
    assert int(ds["master.iterations"].max()) <= 3
    assert ds.attrs["jacobians"] == 1  # one Jacobian for the whole run: same step, linear models


def test_jacobian_from_one_actor_at_a_time_is_the_analytic_one():
    """dF/dx of a held-input step of length h for the tanks and valve: the valve's flow answers
    its pressures directly (G, -G), each tank's end pressure answers the flow by -h/C and +h/C;
    nothing else is coupled."""
    h, C, G = 0.5, 2.0, 3.0
    s = tanks(h, C=C, G=G)
    s.run(h, output_interval=h, iterate=True, iteration_tolerance=1e-10)
    m = s.master
    snap = m.snapshot()
    x = m._coupled_values()
    ticks = round(h / m.resolution)
    _, jac = m._jacobian(x, m.t, m.t + ticks, ticks, snap["actors"])
    index = {f"{a}.{v}": j for j, (a, v) in enumerate(m._coupled)}
    expected = np.zeros_like(jac)
    expected[index["v.q"], index["a.p"]] = G
    expected[index["v.q"], index["b.p"]] = -G
    expected[index["a.p"], index["v.q"]] = -h / C
    expected[index["b.p"], index["v.q"]] = h / C
    # forward differences of linear maps: exact but for the rounding of (F(x + d) - F(x)) / d
    np.testing.assert_allclose(jac, expected, rtol=1e-6, atol=1e-9)


def test_step_without_a_fixed_point_is_taken_explicitly_with_a_warning():
    """x' = -sign(x) through a relay: once |x| < h the held-input step has no fixed point and
    Newton cannot converge; the master takes such steps explicitly (stable at the scenario's
    step), says so once, and the run completes with x chattering about 0 (the relay reads x a
    step late under the explicit hold, so the swing is within two steps' change, 2 h = 0.2)."""
    s = System("relay")
    s.add("r", "engine_actors:Relay", step=0.1)
    s.add("i", "engine_actors:Integrator", step=0.1, x_start=0.55)
    s.connect("i.x", "r.u")
    s.connect("r.y", "i.u")
    with pytest.warns(CryocosimWarning, match=r"did not converge .* taken explicitly"):
        ds = s.run(3.0, output_interval=0.1, ordering="jacobi", iterate=True)
    assert ds.attrs["explicit_steps"] > 0
    x = ds["i.x"].values
    assert x[0] == 0.55 and x[5] == pytest.approx(0.05, abs=1e-9)  # five converged steps down
    assert np.all(np.abs(x[6:]) <= 0.2 + 1e-9) and np.abs(x[6:]).max() > 0.0


def test_adaptive_run_follows_the_exact_solution_within_tolerance():
    ds = tanks(0.01).run(4.0, output_interval=0.5, tolerance=1e-3)
    d = (ds["a.p"] - ds["b.p"]).values
    exact = 1e5 * np.exp(-2.0 * ds.time.values)
    # the hold's global error is of the order of the tolerance times the number of time
    # constants covered (here 8): a few per mille of the initial difference
    assert np.max(np.abs(d - exact)) < 1e-2 * 1e5
    steps = ds["master.step_size"].values
    assert steps.max() > 5 * 0.01  # it grew from the nominal 0.01 s
    # and a tighter tolerance is more accurate
    tight = tanks(0.01).run(4.0, output_interval=0.5, tolerance=1e-5)
    d_tight = (tight["a.p"] - tight["b.p"]).values
    assert np.max(np.abs(d_tight - exact)) < 0.2 * np.max(np.abs(d - exact))


def test_adaptive_run_is_deterministic():
    a = tanks(0.05).run(3.0, output_interval=0.25, tolerance=1e-4)
    b = tanks(0.05).run(3.0, output_interval=0.25, tolerance=1e-4)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_rejected_steps_leave_no_trace():
    # the tanks start far from equilibrium with a large nominal step: the first steps are rejected
    s = tanks(0.5)
    s.add("count", "engine_actors:Counter", step=0.5)
    ds = s.run(5.0, output_interval=0.5, tolerance=1e-4)
    assert int(ds["master.rejected_steps"].values[-1]) > 0
    # the counter's steps sum to the elapsed time: no rejected step's length survived in its state
    np.testing.assert_allclose(ds["count.elapsed"].values, ds.time.values, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ds.time.values, np.arange(0, 11) * 0.5)  # records on the grid, once


def test_event_is_located_by_rollback():
    # the difference falls through 1e4 Pa at t* = ln(10)/2 (exact solution; the adaptive
    # run's own error shifts it by far less than the tolerance below)
    s = tanks(0.01)
    s.when("v.q < 1e4 W", name="equalising")
    ds = s.run(3.0, output_interval=0.5, tolerance=1e-5, event_tolerance=1e-4)
    ev = [e for e in events_of(ds) if e["name"] == "equalising"][0]
    assert ev["located_within"] <= 1e-4
    assert ev["time"] == pytest.approx(math.log(10.0) / 2.0, abs=2e-3)


def test_condition_on_a_difference_of_two_variables():
    # the same crossing written on the tanks' pressures: p_a - p_b = 1e5 exp(-2t) falls through
    # 1e4 Pa at ln(10)/2 (exact); abs() of the reversed difference crosses at the same time, and
    # the explicit fixed-step loop interpolates it within a step of it
    s = tanks(0.01)
    s.when("a.p - b.p < 1e4 Pa", name="difference")
    s.when("abs(b.p - a.p) < 0.1 bar", name="absolute")
    ds = s.run(3.0, output_interval=0.5, tolerance=1e-5, event_tolerance=1e-4)
    ev = {e["name"]: e for e in events_of(ds)}
    for name in ("difference", "absolute"):
        assert ev[name]["time"] == pytest.approx(math.log(10.0) / 2.0, abs=2e-3)
        assert ev[name]["value"] == pytest.approx(1e4, rel=1e-2)
    fixed = tanks(0.01)
    fixed.when("a.p - b.p < 1e4 Pa", name="difference")
    ev = {e["name"]: e for e in events_of(fixed.run(3.0, output_interval=0.5))}
    # explicit hold: the difference falls by (1 - 0.02) per step, exp(-0.0202) exactly; the
    # crossing time differs from the exact one by about 1 % of t*
    assert ev["difference"]["time"] == pytest.approx(math.log(10.0) / 2.0, rel=2e-2)


@pytest.mark.parametrize("condition, match", [
    ("a.p - v.q < 1 Pa", "terms need one unit"),
    ("a.p * b.p < 1 Pa", "must read"),
    ("a.p - c.p < 1 Pa", "unknown actor 'c'"),
])
def test_bad_difference_condition_is_one_line(condition, match):
    from cryocosim.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=match):
        tanks(0.01).when(condition)


def test_state_less_fmu_falls_back_to_fixed_steps_with_a_warning(tmp_path, lag_fmu_no_state):
    s = System("lag")
    s.add("lag", str(lag_fmu_no_state), step=0.5, u=310.0)
    with pytest.warns(CryocosimWarning, match=r"'lag' cannot save and restore its state.*fixed steps"):
        ds = s.run(5.0, output_interval=0.5, tolerance=1e-4)
    assert ds.attrs["step_control"] == "fixed"
    assert "master.step_size" not in ds


@pytest.fixture(scope="module")
def lag_fmu_no_state(tmp_path_factory):
    """The test lag FMU with canGetAndSetFMUstate="false" in its modelDescription."""
    from cryocosim.fmi.export import export_fmu
    from fmi_fixture_actor import FirstOrderLag

    d = tmp_path_factory.mktemp("nostate")
    src = export_fmu(FirstOrderLag, d)
    dst = d / "NoState.fmu"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "modelDescription.xml":
                data = data.replace(b'canGetAndSetFMUstate="true"', b'canGetAndSetFMUstate="false"')
            zout.writestr(item, data)
    return dst


TANKS_TOML = """
[run]
stop_time = "2 s"
output_interval = 0.5
ordering = "jacobi"
tolerance = 1e-3
abs_tolerance = {{ "Pa" = 10.0, "v.q" = "5 W" }}
{extra}

[[actor]]
name = "a"
model = "engine_actors:Tank"
step = 0.01
parameters = {{ p_start = "2 bar", q_in = 0.0 }}

[[actor]]
name = "b"
model = "engine_actors:Tank"
step = 0.01
parameters = {{ p_start = "1 bar", q_out = 0.0 }}

[[actor]]
name = "v"
model = "engine_actors:Valve"
step = 0.01

[[connect]]
from = "a.p"
to = "v.p1"
[[connect]]
from = "b.p"
to = "v.p2"
[[connect]]
from = "v.q"
to = ["a.q_out", "b.q_in"]
"""


def test_scenario_step_control_keys(tmp_path):
    from cryocosim import scenario

    path = tmp_path / "tanks.toml"
    path.write_text(TANKS_TOML.format(extra="iterate = true\nmax_iterations = 30"))
    system, settings = scenario.load(path)
    assert settings.step["abs_tolerance"] == {"Pa": 10.0, "v.q": 5.0}
    ds = system.run(settings.stop_time, **settings.run_options())
    assert ds.attrs["step_control"] == "adaptive, iterated" and ds.attrs["tolerance"] == 1e-3
    assert ds.attrs["rejected_by"] is not None and "master.step_size" in ds


@pytest.mark.parametrize("extra, match", [
    ("min_step = -1", r"\[run\]: key 'min_step': must be positive"),
    ("max_iterations = 2.5", r"\[run\]: key 'max_iterations' must be a whole number"),
    ("iterate = 1", r"\[run\]: key 'iterate'"),
    ("relaxation = 3", r"\[run\]: key 'relaxation' must be in \(0, 1\]"),
])
def test_bad_step_control_is_one_line(tmp_path, extra, match):
    from cryocosim import ConfigurationError, scenario

    path = tmp_path / "tanks.toml"
    path.write_text(TANKS_TOML.format(extra=extra))
    with pytest.raises(ConfigurationError, match=match) as exc:
        scenario.load(path)
    assert "\n" not in str(exc.value)


def test_bad_abs_tolerance_key(tmp_path):
    from cryocosim import ConfigurationError, scenario

    path = tmp_path / "tanks.toml"
    path.write_text(TANKS_TOML.format(extra="").replace('"v.q" = "5 W"', '"v.x" = 1'))
    with pytest.raises(ConfigurationError, match=r"abs_tolerance: key 'v.x': actor 'v' has no Real variable 'x'"):
        scenario.load(path)


def test_cli_tolerance_and_iterate(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import xarray as xr

    path = tmp_path / "tanks.toml"
    path.write_text(TANKS_TOML.format(extra="").replace("tolerance = 1e-3\n", ""))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    run = lambda *a: subprocess.run([sys.executable, "-m", "cryocosim", "run", str(path), "-q", *a],  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=300)
    r = run("-o", str(tmp_path / "a.nc"), "--tolerance", "1e-4", "--iterate")
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(tmp_path / "a.nc") as ds:
        assert ds.attrs["step_control"] == "adaptive, iterated"
    r = run("-o", str(tmp_path / "b.nc"), "--tolerance", "nan")
    assert r.returncode == 2 and "--tolerance must be a finite number" in r.stderr and "Traceback" not in r.stderr
