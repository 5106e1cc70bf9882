"""Parameter sweeps (cryocosim.sweep, `cryocosim sweep`): values equal to direct calls and runs,
resume from the cache, failed points recorded, one-line errors, the command line end to end.

Most cases run in this process (``scheduler="synchronous"``); the local-cluster case and the
command line go through a real dask.distributed LocalCluster.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cryocosim import scenario
from cryocosim.fmus.reference.hybrid import cyclic_steady_state
from cryocosim.sweep import Expr, SweepError, load_spec, run_sweep

ROOT = Path(__file__).resolve().parents[1]
COOLDOWN = ROOT / "scenarios" / "screw_brayton_cooldown.toml"

FIG5 = dict(beta=3.0, S=0.5, gamma=5.0 / 3.0, chi=3.0, A_t=0.25, lam=1.25, R_cv_f=0.2)
SMALL = """
name = "small"
function = "cryocosim.fmus.reference.hybrid:cyclic_steady_state"
outputs = ["Q_E", "Q_L", "eta_carnot"]
[parameters]
kappa = KAPPA
alpha = { start = 0.8, stop = 1.2, num = 3, unit = "rad" }
[constants]
beta = 3.0
S = 0.5
gamma = 1.6666666666666667
chi = 3.0
A_t = 0.25
lam = 1.25
R_cv_f = 0.2
"""


def small_spec(tmp_path, kappa="[1.5, 2.0, 3.0]", name="small.toml"):
    path = tmp_path / name
    path.write_text(SMALL.replace("KAPPA", kappa))
    return path


def check_equals_direct(ds, kappas=(1.5, 2.0, 3.0)):
    alphas = np.linspace(0.8, 1.2, 3)
    assert list(ds.kappa.values) == list(kappas) and np.allclose(ds.alpha.values, alphas)
    for i, k in enumerate(kappas):
        for j, a in enumerate(alphas):
            r = cyclic_steady_state(**FIG5, kappa=k, alpha=float(a))
            for name in ("Q_E", "Q_L", "eta_carnot"):
                assert ds[name].values[i, j] == pytest.approx(r[name], rel=1e-12, abs=0), (name, k, a)


def test_function_sweep_equals_direct_calls(tmp_path):
    ds = run_sweep(small_spec(tmp_path), scheduler="synchronous", progress=False)
    assert ds[["Q_E", "Q_L"]].sizes == {"kappa": 3, "alpha": 3}
    assert ds.alpha.attrs["units"] == "rad"
    check_equals_direct(ds)
    assert (ds.status == "ok").all() and (ds.error == "").all() and (ds.evaluations == 1).all()
    a = ds.attrs
    assert (a["points_total"], a["points_done"], a["points_failed"], a["points_computed"]) == (9, 9, 0, 9)
    assert a["status"] == "completed" and "cyclic_steady_state" in a["spec"]


def test_local_cluster_solve_per_point_and_netcdf(tmp_path):
    """A real dask.distributed LocalCluster (2 worker processes); [derived] and [solve]: A_t is
    found per point so that Q_E = 5 Q_L (Fig. 11's condition) and the outputs are those of a
    direct call at that A_t."""
    spec = tmp_path / "fig11.toml"
    spec.write_text("""
function = "cryocosim.fmus.reference.hybrid:cyclic_steady_state"
batch_size = 1
[parameters]
kappa = { start = 5, stop = 20, num = 2, scale = "log" }
alpha = [0.7, 0.9]
[constants]
beta = 3.0
S = 0.5
gamma = 1.6666666666666667
chi = 3.0
[derived]
lam = "5 * A_t"
R_cv_f = "0.02 / A_t"
[solve.A_t]
residual = "Q_E - 5 * Q_L"
bracket = [1e-3, 0.05]
scale = "log"
[outputs]
metric = { expr = "Q_L / (Q_rg + Q_rec)", long_name = "Q_L/(Q_rg + Q_rec)" }
A_t = "A_t"
ratio = "Q_E / Q_L"
""")
    out = tmp_path / "out" / "fig11.nc"
    ds = run_sweep(spec, out, workers=2, progress=False)
    assert ds.attrs["workers"] == 2 and ds.attrs["tasks"] == 4 and ds.attrs["scheduler"].startswith("tcp://")
    assert (ds.status == "ok").all() and (ds.evaluations > 2).all()
    assert np.allclose(ds.ratio, 5.0, rtol=1e-8)
    for i, k in enumerate(ds.kappa.values):
        for j, a in enumerate(ds.alpha.values):
            A = float(ds.A_t[i, j])
            r = cyclic_steady_state(beta=3.0, S=0.5, gamma=5 / 3, chi=3.0, kappa=float(k), alpha=float(a),
                                    A_t=A, lam=5 * A, R_cv_f=0.02 / A)
            assert ds.metric.values[i, j] == pytest.approx(r["Q_L"] / (r["Q_rg"] + r["Q_rec"]), rel=1e-12)
    with xr.open_dataset(out) as back:
        assert back.metric.attrs["long_name"] == "Q_L/(Q_rg + Q_rec)"
        np.testing.assert_array_equal(back.metric.values, ds.metric.values)
        assert back.attrs["points_done"] == 4 and str(back.status.values[0, 0]) == "ok"


def test_scenario_sweep_equals_direct_runs(tmp_path):
    spec = tmp_path / "cool.toml"
    spec.write_text(f"""
scenario = "{COOLDOWN}"
stop_time = "4 s"
output_interval = 0.5
[parameters]
"load.heat_applied" = ["60 W", "0.1 kW"]
[constants]
load.mass = "1 kg"
[outputs]
T_load = "load.T"
p_max = "max(hp.p)"
speed_mean = "mean(shaft.speed, last = '3 s')"
speed_at = "at(shaft.speed, '2.5 s')"
""")
    ds = run_sweep(spec, tmp_path / "cool.nc", scheduler="synchronous", progress=False)
    assert list(ds["load.heat_applied"].values) == [60.0, 100.0]
    assert ds["load.heat_applied"].attrs["units"] == "W" and ds.T_load.attrs["units"] == "K"
    assert ds.p_max.attrs["units"] == "Pa"
    for i, q in enumerate((60.0, 100.0)):
        system, settings = scenario.load(COOLDOWN, {"load.heat_applied": q, "load.mass": "1 kg"})
        d = system.run(4.0, **dict(settings.run_options(), output_interval=0.5))
        t = d.time.values
        keep = t >= 1.0 - 1e-9
        speed = d["shaft.speed"].values
        assert ds.T_load.values[i] == pytest.approx(float(d["load.T"][-1]), rel=1e-12)
        assert ds.p_max.values[i] == pytest.approx(float(d["hp.p"].max()), rel=1e-12)
        assert ds.speed_mean.values[i] == pytest.approx(
            np.trapezoid(speed[keep], t[keep]) / (t[keep][-1] - t[keep][0]), rel=1e-12)
        assert ds.speed_at.values[i] == pytest.approx(np.interp(2.5, t, speed), rel=1e-12)
    assert (ds.status == "ok").all() and ds.attrs["mode"] == "scenario"


def test_resume_computes_only_the_missing_points(tmp_path):
    out = tmp_path / "r.nc"
    parts = tmp_path / "r.nc.parts"
    # an interrupted sweep, simulated: only kappa = 1.5, 2 were computed
    first = run_sweep(small_spec(tmp_path, "[1.5, 2.0]"), out, scheduler="synchronous", progress=False)
    assert first.attrs["points_computed"] == 6
    full = small_spec(tmp_path)
    ds = run_sweep(full, out, scheduler="synchronous", progress=False)
    assert (ds.attrs["points_cached"], ds.attrs["points_computed"], ds.attrs["points_done"]) == (6, 3, 9)
    check_equals_direct(ds)
    # lose two finished points from the cache (a task that was running at Ctrl-C)
    files = list(parts.glob("*.jsonl"))
    assert len(files) == 1   # compacted after a complete sweep
    lines = files[0].read_text().splitlines()
    keep = [ln for ln in lines if json.loads(ln)["point"]["kappa"] != 3.0 or
            json.loads(ln)["point"]["alpha"] == 0.8]
    assert len(keep) == len(lines) - 2
    files[0].write_text("\n".join(keep) + "\n")
    again = run_sweep(full, out, scheduler="synchronous", progress=False)
    assert (again.attrs["points_cached"], again.attrs["points_computed"]) == (7, 2)
    check_equals_direct(again)
    # nothing left to do: no scheduler is started
    last = run_sweep(full, out, scheduler="tcp://127.0.0.1:9", progress=False)
    assert (last.attrs["points_cached"], last.attrs["points_computed"], last.attrs["tasks"]) == (9, 0, 0)
    # a changed definition (a constant) is a new sweep: nothing is reused
    changed = tmp_path / "changed.toml"
    changed.write_text(full.read_text().replace("chi = 3.0", "chi = 2.5"))
    ds2 = run_sweep(changed, out, scheduler="synchronous", progress=False)
    assert (ds2.attrs["points_cached"], ds2.attrs["points_computed"]) == (0, 9)


def test_a_failed_point_is_recorded_and_the_others_complete(tmp_path):
    out = tmp_path / "f.nc"
    spec = small_spec(tmp_path, "[-1.0, 2.0]")   # kappa < 0: the model raises ValueError
    ds = run_sweep(spec, out, scheduler="synchronous", progress=False)
    assert list(ds.status.values[0]) == ["failed"] * 3 and list(ds.status.values[1]) == ["ok"] * 3
    assert all(e.startswith("ValueError: need beta > 0, kappa >= 0") for e in ds.error.values[0])
    assert np.isnan(ds.Q_E.values[0]).all() and np.isfinite(ds.Q_E.values[1]).all()
    assert ds.attrs["points_failed"] == 3 and ds.attrs["status"] == "completed with 3 failed points"
    with xr.open_dataset(out) as back:
        assert str(back.error.values[0, 1]).startswith("ValueError")
    kept = run_sweep(spec, out, scheduler="synchronous", progress=False)
    assert (kept.attrs["points_computed"], kept.attrs["points_failed"]) == (0, 3)
    retried = run_sweep(spec, out, scheduler="synchronous", progress=False, retry_failed=True)
    assert (retried.attrs["points_computed"], retried.attrs["points_cached"]) == (3, 3)


def test_bad_specs_are_one_line_errors_naming_file_and_key(tmp_path):
    base = SMALL.replace("KAPPA", "[1.0, 2.0]")
    cases = {  # what is replaced -> what the message must hold
        ("kappa = [1.0, 2.0]", "kapa = [1.0, 2.0]"): "[parameters]: key 'kapa': cryocosim.fmus.reference.hybrid:cyclic_steady_state has no argument 'kapa'",
        ("cyclic_steady_state\"", "no_such_function\""): "key 'function': cannot load",
        ("outputs = [", "outputz = ["): "unknown key 'outputz'",
        ("num = 3", "num = 0"): "[parameters]: key 'alpha': 'num' must be a whole number >= 1",
        ("unit = \"rad\"", "unit = \"furlong\""): "[parameters]: key 'alpha': 'unit': unknown unit 'furlong'",
        ("chi = 3.0", ""): "argument 'chi' of cryocosim.fmus.reference.hybrid:cyclic_steady_state is given no value",
        ("outputs = [\"Q_E\",", "outputs = [\"Q_E +\","): "must be a key of the function's result",
        ("kappa = [1.0, 2.0]", "kappa = [1.0, 1.0]"): "[parameters]: key 'kappa': a value appears twice",
        ("R_cv_f = 0.2", "[derived]\nR_cv_f = \"0.05 / A_tt\""): "[derived]: key 'R_cv_f': unknown name 'A_tt'",
        ("name = \"small\"", "name = \"small\"\nscenario = \"x.toml\""): "give exactly one of the keys 'function'",
        ("[constants]", "[constants"): "TOML syntax error",
    }
    for (old, new), expected in cases.items():
        assert old in base, old
        path = tmp_path / "bad.toml"
        path.write_text(base.replace(old, new))
        with pytest.raises(SweepError) as err:
            load_spec(path)
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith(str(path)) and expected in msg, (new, msg)
    # scenario sweeps: names checked against the scenario's actors, values against their bounds
    scen = f'scenario = "{COOLDOWN}"\nstop_time = "2 s"\noutputs = ["load.T"]\n[parameters]\n'
    for params, expected in {
        '"load.heat_aplied" = [1, 2]': "[parameters]: key 'load.heat_aplied': actor 'load' has no parameter 'heat_aplied'",
        '"lood.heat_applied" = [1, 2]': "[parameters]: key 'lood.heat_applied': names no actor",
        '"load.mass" = ["1 kg", "2 K"]': "[parameters]: key 'load.mass': value #2 ('2 K'): unit mismatch",
    }.items():
        path = tmp_path / "bad_scenario.toml"
        path.write_text(scen + params + "\n")
        with pytest.raises(SweepError) as err:
            load_spec(path)
        assert "\n" not in str(err.value) and expected in str(err.value), str(err.value)
    path.write_text(scen.replace('["load.T"]', '["load.Tx"]') + '"load.mass" = ["1 kg", "2 kg"]\n')
    with pytest.raises(SweepError, match="'load.Tx' is not a recorded variable"):
        load_spec(path)


def test_unreachable_scheduler_is_an_error(tmp_path):
    with pytest.raises(SweepError, match=r"scheduler 'tcp://127.0.0.1:9': cannot connect"):
        run_sweep(small_spec(tmp_path), scheduler="tcp://127.0.0.1:9", progress=False, connect_timeout=1)


def test_expressions_and_reductions():
    t = np.array([0.0, 1.0, 2.0, 4.0])
    x = np.array([1.0, 3.0, 2.0, 6.0])
    ns = {"load.T": x, "__time__": t, "k": 2.0}
    assert Expr("load.T", "w")(ns)[-1] == 6.0
    assert Expr("min(load.T) + max(load.T)", "w")(ns) == 7.0
    assert Expr("mean(load.T, last = '3 s')", "w")(ns) == pytest.approx((2.5 + 8) / 3)
    assert Expr("mean(load.T, last = '2.5 s')", "w")(ns) == pytest.approx((0.5 * 4.5 / 2 + 8) / 2.5)
    assert Expr("min(load.T, last = '2.5 s')", "w")(ns) == 2.0
    assert Expr("max(load.T, last = '10 min')", "w")(ns) == 6.0
    assert Expr("at(load.T, '3 s') * k", "w")(ns) == 8.0
    assert Expr("initial(load.T) - final(load.T)", "w")(ns) == -5.0
    assert Expr("sqrt(k) ** 2 + min(k, 1) - pi", "w")(ns) == pytest.approx(3.0 - math.pi)
    for bad, msg in (("k +", "cannot read expression"), ("os.system('x')", "unknown function"),
                     ("k if k else 1", "only arithmetic"), ("mean(load.T, lost = 1)", "no keyword 'lost'"),
                     ("'a'", "is not a number")):
        with pytest.raises(SweepError, match=msg):
            Expr(bad, "w")


def _cli(*args, cwd=None):
    return subprocess.Popen([sys.executable, "-m", "cryocosim", "sweep", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env=dict(os.environ))


def test_cli_end_to_end(tmp_path):
    good = small_spec(tmp_path)
    failing = small_spec(tmp_path, "[-1.0, 2.0]", "failing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace("KAPPA", "[1.0]").replace("beta = 3.0", "betta = 3.0"))
    runs = {
        "good": _cli(good, "-o", tmp_path / "good.nc", "--workers", "2", "-q"),
        "failing": _cli(failing, "-o", tmp_path / "failing.nc", "--scheduler", "synchronous", "-q"),
        "bad": _cli(bad, "-o", tmp_path / "bad.nc"),
        "workers": _cli(good, "-o", tmp_path / "w.nc", "--workers", "0"),
    }
    res = {name: (p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for name, p in runs.items()}
    status, out, err = res["good"]
    assert status == 0, err
    assert out.startswith(f"wrote {tmp_path / 'good.nc'} (9 points: 9 done, 0 failed; 9 computed") and "2 workers" in out
    with xr.open_dataset(tmp_path / "good.nc") as ds:
        check_equals_direct(ds)
        assert ds.attrs["points_done"] == 9 and ds.attrs["scheduler"].startswith("tcp://")
    status, out, err = res["failing"]
    assert status == 1 and "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("cryocosim: error: 3 of 6 points failed (first: kappa=-1, alpha=0.8: ValueError")
    assert (tmp_path / "failing.nc").exists()
    for name, expected in (("bad", "[constants]: key 'betta'"), ("workers", "--workers must be a whole number >= 1")):
        status, out, err = res[name]
        assert status == 2 and err.count("\n") == 1 and err.startswith("cryocosim: error: ") and expected in err, (name, err)
    assert not (tmp_path / "bad.nc").exists()


def test_the_shipped_specs_load():
    fig11 = load_spec(ROOT / "scenarios/sweeps/hybrid_fig11.toml")
    assert fig11.shape == (40, 40) and fig11.solve.name == "A_t" and "metric" in fig11.outputs
    cool = load_spec(ROOT / "scenarios/sweeps/cooldown_load.toml")
    assert cool.shape == (3, 2) and cool.mode == "scenario" and cool.stop_time == 600.0
    speed = cool.parameters[1]
    assert speed.coords == [9000, 10500] and speed.unit == "rpm"
    assert speed.values == pytest.approx([9000 * math.pi / 30, 10500 * math.pi / 30])


def test_the_exhaust_pressure_spec_puts_the_station_at_coolprops_boiling_point():
    """scenarios/sweeps/4k_exhaust.toml as shipped (five pressures, 12 h), and two of its points
    run here, shortened to 4 h (the pot is full by about 2.5 h in every run,
    docs/4k_validation.md section 5): the coupled 4 K station sits at the saturation temperature
    CoolProp gives for the exhaust pressure, with liquid in the pot.  1e-6 K: the station is held
    at T_sat(p) by the J-T stage's own saturation call, the same CoolProp line."""
    import tomllib

    from CoolProp.CoolProp import PropsSI

    path = ROOT / "scenarios/sweeps/4k_exhaust.toml"
    spec = load_spec(path)
    assert spec.shape == (5,) and spec.mode == "scenario" and spec.stop_time == 12 * 3600.0
    assert spec.parameters[0].coords == [0.1, 0.5, 1.0, 1.5, 2.0] and spec.parameters[0].unit == "atm"
    data = tomllib.loads(path.read_text())
    data["stop_time"] = "4 h"
    data["parameters"]["jt.p_exhaust"]["values"] = [0.5, 2.0]
    ds = run_sweep(load_spec(data=data, base_dir=path.parent), scheduler="synchronous", progress=False)
    assert list(ds["status"].values) == ["ok", "ok"]
    for p_atm in (0.5, 2.0):
        point = ds.sel({"jt.p_exhaust": p_atm})
        T_sat = PropsSI("T", "P", p_atm * 101325.0, "Q", 0.0, "Helium")
        assert float(point["T_station"]) == pytest.approx(T_sat, abs=1e-6)
        assert float(point["liquid"]) > 0.0 and float(point["capacity"]) > 0.0
