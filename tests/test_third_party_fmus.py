"""Third-party FMUs of every type: small C-coded FMI 2.0 co-simulation FMUs, compiled here.

tests/c_fmus/cfmu.c is compiled per model with gcc against fmpy's FMI 2.0 headers and zipped
with a modelDescription.xml written below (``MODELS``): every variable type as inputs and outputs
(a lag in Real, a counter, a toggle, a mode Enumeration, a status String), FMUs that end the
simulation themselves (after a step, or in it as the Reference FMU Stair does), one without state
support, one that fails mid-run and one whose inputs declare start values nothing sets (as the
Reference FMU Feedthrough's).  The engine runs them with fmpy's numbers (the Reals bit for bit),
records them with their types, connects them by type, runs unconnected FMU inputs at their
declared starts (noted), records a self-terminating FMU's last sample, and keeps them
instantiated after a run for snapshots.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path

import fmpy
from fmpy.validation import validate_fmu
import netCDF4
import numpy as np
import pytest
import xarray as xr

from cryocosim import Actor, Input, Output, Parameter, System, scenario
from cryocosim.errors import (ActorTerminated, ConfigurationError, CryocosimWarning, ModelError,
                              SimulationError)
from cryocosim.errors import ConnectionError_
from cryocosim.fmi.fmu_actor import load_fmu_actor_class
from cryocosim.results import events_of
from cli_output import NOTICE, errors_only

SOURCE = Path(__file__).parent / "c_fmus" / "cfmu.c"
H = 0.25  # binary-exact steps: fmpy's time grid (n * h) and the engine's give the same step sizes
MODES = ("off", "heating", "cooling")

# name, FMI type, value reference, causality, start, unit, description
REALS = [
    ("u", "Real", 0, "input", "0", "K", "lag input"),
    ("x", "Real", 1, "output", "0", "K", "lag output"),
    ("tau", "Real", 2, "parameter", "1", "s", "lag time constant"),
]
OTHERS = [
    ("level", "Real", 3, "output", "0", None, "half the counter (a Real without a unit)"),
    ("n_in", "Integer", 0, "input", "0", None, "added to the counter each step"),
    ("counter", "Integer", 1, "output", "0", None, "a counter"),
    ("mode_in", "Enumeration", 2, "input", "1", None, "offset of the mode"),
    ("mode", "Enumeration", 3, "output", "1", None, "the mode"),
    ("b_in", "Boolean", 0, "input", "false", None, "inverts the toggle"),
    ("toggle", "Boolean", 1, "output", "false", None, "a toggle"),
    ("s_in", "String", 0, "input", "", None, "a prefix of the status"),
    ("status", "String", 1, "output", "off:0", None, "the status"),
]
T_STOP = ("t_stop", "Real", 4, "parameter", "2", "s", "the FMU ends the simulation here")
T_FAIL = ("t_fail", "Real", 5, "parameter", "0.5", "s", "the FMU fails in the step from here")
# Feedthrough-like: inputs whose declared starts (here not the engine's defaults) nothing sets
FEED_STARTS = {"u": "300.5", "n_in": "1", "mode_in": "2", "b_in": "true", "s_in": "feed"}
FEED = [v[:4] + (FEED_STARTS.get(v[0], v[4]),) + v[5:] for v in REALS + OTHERS]
MODELS = {
    "CTypes": ([], True, REALS + OTHERS),
    "CStop": (["-DT_STOP=2.0"], True, REALS + OTHERS + [T_STOP]),
    "CNoState": (["-DNO_STATE"], False, REALS),
    "CFail": (["-DT_FAIL=0.5"], True, REALS + [T_FAIL]),
    "CFeed": (["-DU_START=300.5", "-DN_IN_START=1", "-DMODE_IN_START=2", "-DB_IN_START=fmi2True",
               '-DS_IN_START="feed"'], True, FEED),
    # Stair-like: the step that reaches t_stop ends the simulation (discard + terminated) at once
    "CStair": (["-DT_STOP=2.0", "-DSTOP_IN_STEP"], True, REALS + OTHERS + [T_STOP]),
    # canInterpolateInputs: x integrates u's polynomial over the step (fmi2SetRealInputDerivatives)
    "CInterp": (["-DINTERPOLATE"], True, REALS),
}


def _model_description(name: str, guid: str, can_state: bool, variables, interpolate: bool = False) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<fmiModelDescription fmiVersion="2.0" modelName="{name}" guid="{guid}" '
           'generationTool="cryocosim tests (C)" variableNamingConvention="flat" numberOfEventIndicators="0">',
           f'  <CoSimulation modelIdentifier="{name}" canHandleVariableCommunicationStepSize="true" '
           + ('canInterpolateInputs="true" ' if interpolate else '') +
           f'canGetAndSetFMUstate="{str(can_state).lower()}" canNotUseMemoryManagementFunctions="true"/>',
           '  <UnitDefinitions><Unit name="K"><BaseUnit K="1"/></Unit><Unit name="s"><BaseUnit s="1"/></Unit>'
           '</UnitDefinitions>',
           '  <TypeDefinitions><SimpleType name="Mode"><Enumeration><Item name="off" value="1"/>'
           '<Item name="heating" value="2"/><Item name="cooling" value="3"/></Enumeration></SimpleType>'
           '</TypeDefinitions>',
           f'  <DefaultExperiment startTime="0" stopTime="3" stepSize="{H}"/>',
           '  <ModelVariables>']
    outputs = []
    for index, (vname, kind, vr, causality, start, unit, text) in enumerate(variables, 1):
        if causality == "parameter":
            variability = "fixed"
        else:
            variability = "continuous" if kind == "Real" else "discrete"
        initial = ' initial="exact"' if causality == "output" else ""
        attrs = f' start="{start}"' + (f' unit="{unit}"' if unit else "")
        if kind == "Enumeration":
            attrs = ' declaredType="Mode"' + attrs
        out.append(f'    <ScalarVariable name="{vname}" valueReference="{vr}" causality="{causality}" '
                   f'variability="{variability}"{initial} description="{text}"><{kind}{attrs}/></ScalarVariable>')
        if causality == "output":
            outputs.append(index)
    out += ['  </ModelVariables>', '  <ModelStructure>', '    <Outputs>']
    out += [f'      <Unknown index="{i}"/>' for i in outputs]
    out += ['    </Outputs>', '  </ModelStructure>', '</fmiModelDescription>', '']
    return "\n".join(out)


def build_c_fmus(root: Path, names=None) -> dict[str, Path]:
    """Compile and package the models ``names`` of ``MODELS`` (all by default) in ``root``:
    name -> .fmu path (skips the test without gcc)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not on this machine")
    headers = os.path.join(os.path.dirname(fmpy.__file__), "c-code")
    paths = {}
    for name in names or MODELS:
        defines, can_state, variables = MODELS[name]
        guid = f"{{cryocosim-test-{name}}}"
        lib = root / f"{name}.so"
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-ffp-contract=off", "-std=c99", "-Wall",
                        "-I", headers, f'-DMODEL_GUID="{guid}"', *defines, "-o", str(lib), str(SOURCE), "-lm"],
                       check=True, capture_output=True, text=True)
        path = root / f"{name}.fmu"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("modelDescription.xml", _model_description(name, guid, can_state, variables,
                                                                   "-DINTERPOLATE" in defines))
            zf.write(lib, f"binaries/linux64/{name}.so")
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def fmus(tmp_path_factory) -> dict[str, Path]:
    """Every model of ``MODELS`` compiled and packaged: name -> .fmu path."""
    return build_c_fmus(tmp_path_factory.mktemp("c_fmus"))


INPUTS = {"u": 0.0, "n_in": 0, "b_in": False, "mode_in": 1, "s_in": ""}


def inputs(*connected: str, **given):
    """Values for the CTypes inputs that are not ``connected`` (the engine wants each one set)."""
    return {**{k: v for k, v in INPUTS.items() if k not in connected}, **given}


def reference(n: int, h: float = H, u=0.0, tau=1.0, n_in=0, b_in=False, mode_in=1, s_in="", inputs=None):
    """The C model in Python: its outputs after each of ``n`` steps (``inputs(k)``: the inputs
    of step k as a dict, else the fixed ones)."""
    x, counter, toggle = 0.0, 0, False
    rows = [dict(x=0.0, level=0.0, counter=0, mode=1, toggle=False, status="off:0")]
    for k in range(n):
        if inputs is not None:
            d = inputs(k)
            u, n_in, b_in, mode_in, s_in = d["u"], d["n_in"], d["b_in"], d["mode_in"], d["s_in"]
        x += h * (u - x) / tau
        counter += 1 + n_in
        toggle = (not toggle) != b_in
        m = (counter + mode_in) % 3
        status = (f"{s_in[:20]}|" if s_in else "") + f"{MODES[m]}:{counter}"
        rows.append(dict(x=x, level=0.5 * counter, counter=counter, mode=m + 1, toggle=toggle, status=status))
    return rows


def test_c_fmus_validate_and_load_with_their_types(fmus):
    for path in fmus.values():
        assert validate_fmu(str(path)) == []
    T = load_fmu_actor_class(fmus["CTypes"])
    v = T.variable_map()
    kinds = {n: v[n].type_name for n in ("x", "level", "counter", "mode", "toggle", "status", "mode_in")}
    assert kinds == {"x": "Real", "level": "Real", "counter": "Integer", "mode": "Enumeration",
                     "toggle": "Boolean", "status": "String", "mode_in": "Enumeration"}
    assert v["mode"].items == (("off", 1), ("heating", 2), ("cooling", 3))
    assert v["x"].unit == "K" and v["level"].unit == "1"


def test_every_type_recorded_with_its_type_in_dataset_and_file(fmus, tmp_path):
    s = System("types")
    s.add("a", str(fmus["CTypes"]), step=H, tau=2.0, **inputs(u=300.0, n_in=1, b_in=True, mode_in=2, s_in="go"))
    out = tmp_path / "types.nc"
    ds = s.run(2.0, output=out)
    ref = reference(8, u=300.0, tau=2.0, n_in=1, b_in=True, mode_in=2, s_in="go")
    for name in ("x", "level", "counter", "mode", "toggle", "status"):
        assert list(ds[f"a.{name}"].values) == [r[name] for r in ref], name
    assert ds["a.x"].dtype == np.float64 and ds["a.counter"].dtype == np.int64
    assert ds["a.mode"].dtype == np.int64 and ds["a.toggle"].dtype == np.bool_
    assert ds["a.status"].dtype.kind == "U" and ds["a.status"].values[-1] == ref[-1]["status"] == "go|off:16"
    assert ds["a.mode"].attrs["flag_meanings"] == "off heating cooling"
    assert list(ds["a.mode"].attrs["flag_values"]) == [1, 2, 3]
    assert json.loads(ds["a.mode"].attrs["items"]) == {"off": 1, "heating": 2, "cooling": 3}
    assert ds["a.toggle"].attrs["fmi_type"] == "Boolean" and ds["a.status"].attrs["fmi_type"] == "String"
    with xr.open_dataset(out) as f:
        for name in ("x", "level", "counter", "mode", "toggle", "status"):
            key = f"a.{name}"
            assert f[key].dtype == ds[key].dtype, name
            assert list(f[key].values) == list(ds[key].values), name
            assert {k: (list(v) if isinstance(v, np.ndarray) else v) for k, v in f[key].attrs.items()} == \
                   {k: (list(v) if isinstance(v, np.ndarray) else v) for k, v in ds[key].attrs.items()}, name
    with netCDF4.Dataset(out) as nc:  # in the file: int64, int8 with dtype="bool", variable-length str
        assert nc["a.counter"].dtype == np.int64 and nc["a.toggle"].dtype == np.int8
        assert nc["a.toggle"].getncattr("dtype") == "bool" and nc["a.status"].dtype is str


def test_fmpy_simulate_fmu_gives_the_same_numbers(fmus):
    start = {"u": 300.0, "tau": 2.0, "n_in": 1, "b_in": True, "mode_in": 3, "s_in": "go"}
    res = fmpy.simulate_fmu(str(fmus["CTypes"]), stop_time=3.0, output_interval=H, start_values=start,
                            output=["x", "level", "counter", "mode", "toggle"])
    s = System("same")
    s.add("a", str(fmus["CTypes"]), step=H, **start)
    ds = s.run(3.0)
    assert list(res["time"]) == list(ds["time"].values)
    for name in ("x", "level", "counter", "mode", "toggle"):
        assert list(res[name]) == list(ds[f"a.{name}"].values), name  # Reals bit for bit
    # fmpy does not record Strings (FMI 2): the status against the model itself
    assert list(ds["a.status"].values) == [r["status"] for r in reference(12, **start)]

    # a Real-only FMU (no state support): the same, bit for bit
    res = fmpy.simulate_fmu(str(fmus["CNoState"]), stop_time=3.0, output_interval=H,
                            start_values={"u": 77.0, "tau": 0.75}, output=["x"])
    s = System("reals")
    s.add("a", str(fmus["CNoState"]), step=H, u=77.0, tau=0.75)
    assert list(s.run(3.0)["a.x"].values) == list(res["x"])

    # one that ends the simulation itself at t = 2 s: fmpy stops there too
    res = fmpy.simulate_fmu(str(fmus["CStop"]), stop_time=3.0, output_interval=H, start_values={"u": 5.0},
                            output=["x", "counter"])
    s = System("stop")
    s.add("a", str(fmus["CStop"]), step=H, **inputs(u=5.0))
    ds = s.run(3.0)
    times = list(dict.fromkeys(res["time"]))  # fmpy samples the last time twice
    assert times == list(ds["time"].values) and times[-1] == 2.0
    assert res["x"][-1] == ds["a.x"].values[-1] and res["counter"][-1] == ds["a.counter"].values[-1]


def test_connections_of_every_type(fmus):
    s = System("chain")
    s.add("a", str(fmus["CTypes"]), step=H, **inputs(u=300.0, n_in=1, mode_in=2, s_in="a"))
    s.add("b", str(fmus["CTypes"]), step=H, tau=0.5)
    for src, dst in (("x", "u"), ("counter", "n_in"), ("toggle", "b_in"), ("mode", "mode_in"), ("status", "s_in")):
        s.connect(f"a.{src}", f"b.{dst}")
    ds = s.run(2.0)  # Gauss-Seidel: b reads a's outputs of the same step
    a = reference(8, u=300.0, n_in=1, mode_in=2, s_in="a")
    b = reference(8, tau=0.5, inputs=lambda k: dict(u=a[k + 1]["x"], n_in=a[k + 1]["counter"], b_in=a[k + 1]["toggle"],
                                                    mode_in=a[k + 1]["mode"], s_in=a[k + 1]["status"]))
    for name in ("x", "level", "counter", "mode", "toggle", "status"):
        assert list(ds[f"b.{name}"].values) == [r[name] for r in b], name
    assert ds["b.status"].values[-1] == b[-1]["status"] == "a|off:16|off:80"

    # an Enumeration feeds an Integer and back; iterated coupling holds the discrete links
    s = System("enum")
    s.add("a", str(fmus["CTypes"]), step=H, **inputs(n_in=1))
    s.add("b", str(fmus["CTypes"]), step=H, **inputs("n_in", "mode_in", "u"))
    s.connect("a.mode", "b.n_in")
    s.connect("a.counter", "b.mode_in")
    s.connect("a.x", "b.u")
    ds = s.run(2.0, order=["b", "a"], ordering="jacobi")
    a = reference(8, n_in=1)
    b = reference(8, inputs=lambda k: dict(u=a[k]["x"], n_in=a[k]["mode"], b_in=False, mode_in=a[k]["counter"], s_in=""))
    assert list(ds["b.counter"].values) == [r["counter"] for r in b]
    it = s.run(2.0, order=["b", "a"], iterate=True)
    assert list(it["b.counter"].values) == [r["counter"] for r in b]  # held at the start of each step


def test_type_mismatch_is_one_line_error_and_convert_converts(fmus):
    s = System("mismatch")
    s.add("a", str(fmus["CTypes"]), step=H, tau=0.25, **inputs(u=2.0))
    s.add("b", str(fmus["CTypes"]), step=H, **inputs("n_in", "mode_in"))
    for src, dst, types in (("a.x", "b.n_in", "(Real) -> 'b.n_in' (Integer)"),
                            ("a.toggle", "b.u", "(Boolean) -> 'b.u' (Real)"),
                            ("a.status", "b.n_in", "(String) -> 'b.n_in' (Integer)"),
                            ("a.counter", "b.s_in", "(Integer) -> 'b.s_in' (String)")):
        with pytest.raises(ConnectionError_) as err:
            s.connect(src, dst)
        msg = str(err.value)
        assert f"'{src}' {types}" in msg and "\n" not in msg, msg
    with pytest.raises(ConnectionError_, match="String connects only to a String"):
        s.connect("a.status", "b.n_in", convert=True)
    s.connect("a.x", "b.n_in", convert=True)  # a Real to the nearest integer
    s.connect("a.toggle", "b.mode_in", convert=True)  # False/True -> 0/1
    ds = s.run(1.0)
    a = reference(4, u=2.0, tau=0.25)
    b = reference(4, inputs=lambda k: dict(u=0.0, n_in=round(a[k + 1]["x"]), b_in=False,
                                           mode_in=int(a[k + 1]["toggle"]), s_in=""))
    assert list(ds["b.counter"].values) == [r["counter"] for r in b]
    assert list(ds["b.mode"].values) == [r["mode"] for r in b]


def test_real_without_unit_connects_to_one_with_a_warning(fmus):
    s = System("units")
    s.add("a", str(fmus["CTypes"]), step=H, **inputs(n_in=1))
    s.add("b", str(fmus["CTypes"]), step=H, tau=0.5, **inputs("u"))
    with pytest.warns(CryocosimWarning) as record:
        s.connect("a.level", "b.u")
    msg = str(record[0].message)
    assert "'a.level' [1] -> 'b.u' [K]" in msg and "without a unit" in msg and "\n" not in msg
    ds = s.run(1.0)
    assert msg in json.loads(ds.attrs["warnings"])
    a = reference(4, n_in=1)
    b = reference(4, tau=0.5, inputs=lambda k: dict(u=a[k + 1]["level"], n_in=0, b_in=False, mode_in=1, s_in=""))
    assert list(ds["b.x"].values) == [r["x"] for r in b]
    # the other way, asked for explicitly: no warning
    s = System("units2")
    s.add("a", str(fmus["CTypes"]), step=H, **inputs())
    s.add("b", str(fmus["CTypes"]), step=H, **inputs("u"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.connect("a.x", "b.u")
        s.add("c", str(fmus["CTypes"]), step=H, **inputs("u"))
        s.connect("b.level", "c.u", convert=True)
    assert s.bus.warnings == []


def test_self_terminating_fmu_ends_the_run_cleanly(fmus, tmp_path):
    out = tmp_path / "stop.nc"
    s = System("stop")
    s.add("src", str(fmus["CTypes"]), step=H, **inputs(u=10.0))
    s.add("s", str(fmus["CStop"]), step=H, **inputs("u"))
    s.connect("src.x", "s.u")
    ds = s.run(5.0, output=out)
    status = "terminated by actor 's' (FMU 'CStop.fmu') at t=2 s"
    assert ds.attrs["status"] == status and ds["time"].values[-1] == 2.0
    (ev,) = events_of(ds)
    assert ev["kind"] == "terminated" and ev["time"] == 2.0 and ev["fmu"] == "CStop.fmu" and ev["actor"] == "s"
    with xr.open_dataset(out) as f:
        assert f.attrs["status"] == status and list(f["time"].values) == list(ds["time"].values)
        assert list(f["s.x"].values) == list(ds["s.x"].values)
    # mid-step: the run ends at the start of the step the FMU cut short (run_end); the event has
    # the time it reached, and so has the last record
    s = System("stop2")
    s.add("s", str(fmus["CStop"]), step=H, t_stop=1.9, **inputs())
    ds = s.run(5.0)
    assert list(ds["time"].values[-2:]) == [1.75, 1.9] and events_of(ds)[0]["time"] == pytest.approx(1.9)
    assert events_of(ds)[0]["run_end"] == 1.75
    assert ds.attrs["status"] == "terminated by actor 's' (FMU 'CStop.fmu') at t=1.9 s"
    # adaptive steps (macro steps with rollback) end the same way
    s = System("stop3")
    s.add("src", str(fmus["CTypes"]), step=H, **inputs(u=10.0))
    s.add("s", str(fmus["CStop"]), step=H, **inputs("u"))
    s.connect("src.x", "s.u")
    for options in ({"tolerance": 1e-3}, {"iterate": True}):
        ds = s.run(5.0, **options)
        assert ds.attrs["status"].startswith("terminated by actor 's'") and ds["time"].values[-1] <= 2.0
        assert [e["kind"] for e in events_of(ds)] == ["terminated"]
    # the FMU actor alone says so too
    a = load_fmu_actor_class(fmus["CStop"])(name="alone")
    a.setup()
    with pytest.raises(ActorTerminated, match=r"'alone'\) ended the simulation at t=2 s"):
        for k in range(20):
            a.do_step(k * H, H)
    a.terminate()


def test_self_terminating_fmu_exits_the_command_line_with_0(fmus, tmp_path, capsys):
    from cryocosim.cli import main

    scenario = tmp_path / "stop.toml"
    scenario.write_text(f'[scenario]\nname = "stop"\n[run]\nstop_time = 5.0\n\n'
                        f'[[actor]]\nname = "s"\nmodel = "{fmus["CStop"]}"\nstep = {H}\n'
                        '[actor.parameters]\nu = 1.0\nn_in = 0\nb_in = false\nmode_in = 1\ns_in = ""\n')
    assert main(["run", str(scenario), "-o", str(tmp_path / "stop.nc")]) == 0
    text = capsys.readouterr().out
    assert "terminated by actor 's' (FMU 'CStop.fmu') at t=2 s" in text and "s terminated" in text  # the event


def test_fmu_without_state_support(fmus):
    NoState = load_fmu_actor_class(fmus["CNoState"])
    a = NoState(name="n")
    assert not a.supports_rollback()
    a.setup()
    with pytest.raises(ModelError, match="'n'.*canGetAndSetFMUstate is false"):
        a.get_state()
    a.terminate()
    s = System("nostate")
    s.add("n", NoState, step=H, u=1.0)
    with pytest.warns(CryocosimWarning, match="'n' cannot save and restore its state"):
        ds = s.run(1.0, tolerance=1e-3)
    assert ds.attrs["step_control"] == "fixed" and len(ds["time"]) == 5
    with pytest.raises(ModelError, match="canGetAndSetFMUstate is false"):
        s.snapshot()


def test_fmi2_error_mid_run_is_one_line_and_results_are_on_disk(fmus, tmp_path):
    out = tmp_path / "fail.nc"
    s = System("fail")
    s.add("src", str(fmus["CTypes"]), step=H, **inputs(u=3.0))
    s.add("f", str(fmus["CFail"]), step=H)
    s.connect("src.x", "f.u")
    with pytest.raises(SimulationError) as err:
        s.run(2.0, output=out)
    msg = str(err.value)
    assert "\n" not in msg and err.value.time == 0.5
    assert msg.startswith("FMU 'CFail.fmu' (actor 'f') failed in doStep at t=0.5 s")
    assert "injected failure in the step from t=0.5 s" in msg and str(out) in msg
    with xr.open_dataset(out) as f:
        times = list(f["time"].values)  # the last record at or before the failure (chunks decide)
        assert times[:2] == [0.0, 0.25] and times[-1] <= 0.5
        assert f.attrs["status"].startswith("failed at t=0.5 s: FMU 'CFail.fmu' (actor 'f')")
        src = reference(2, u=3.0)
        ref = reference(2, inputs=lambda k: dict(INPUTS, u=src[k + 1]["x"]))
        assert list(f["f.x"].values) == [r["x"] for r in ref][:len(times)]
    assert not s.initialised  # a failed run releases its actors
    with pytest.raises(ConfigurationError, match="needs an initialised system"):
        s.snapshot()


def test_snapshot_and_restore_after_run(fmus):
    s = System("rollback")
    s.add("a", str(fmus["CTypes"]), step=H, **inputs(u=300.0, n_in=1, s_in="a"))
    s.add("b", str(fmus["CTypes"]), step=H, tau=0.5)
    for src, dst in (("x", "u"), ("counter", "n_in"), ("toggle", "b_in"), ("mode", "mode_in"), ("status", "s_in")):
        s.connect(f"a.{src}", f"b.{dst}")
    s.run(1.0)
    assert s.initialised  # the FMUs stay instantiated after the run
    b = s.bus.actors["b"]
    snap = s.snapshot()

    def go_on():
        s.master.run(2.0)  # continue to t = 2 s from where the system is
        return [b.x, b.counter, b.mode, b.toggle, b.status]

    first = go_on()
    assert s.master.t == 2 * s.master.ticks_per_second
    s.restore(snap)
    assert s.master.t == 1 * s.master.ticks_per_second
    second = go_on()
    s.restore(snap)
    third = go_on()
    assert first == second == third
    a = reference(8, u=300.0, n_in=1, s_in="a")
    ref = reference(8, tau=0.5, inputs=lambda k: dict(u=a[k + 1]["x"], n_in=a[k + 1]["counter"], b_in=a[k + 1]["toggle"],
                                                      mode_in=a[k + 1]["mode"], s_in=a[k + 1]["status"]))
    assert first == [ref[-1][n] for n in ("x", "counter", "mode", "toggle", "status")]
    s.release()
    assert not s.initialised
    with pytest.raises(ConfigurationError, match="'rollback': snapshot needs an initialised system"):
        s.snapshot()
    with pytest.raises(ModelError, match="'b'.*not instantiated"):
        b.get_state()
    with pytest.raises(ModelError, match="'b'.*not instantiated"):
        b.set_state(snap["actors"]["b"])
    # a new run initialises again
    ds = s.run(1.0)
    assert ds["b.status"].values[-1] == s.bus.actors["b"].status
    with System("ctx") as t:
        t.add("a", str(fmus["CTypes"]), step=H, **inputs())
        t.run(0.5)
        assert t.initialised
    assert not t.initialised


def test_scenario_connect_convert_key(fmus, tmp_path):
    """`convert = true` in a TOML [[connect]] is the System API's convert=True; without it the
    type mismatch is the one-line error naming the file and the table; a non-boolean is refused."""
    from cryocosim.errors import ConfigurationError
    from cryocosim.scenario import load

    def scenario(extra: str) -> Path:
        path = tmp_path / "convert.toml"
        path.write_text(
            '[scenario]\nname = "convert"\n[run]\nstop_time = 1.0\n'
            f'[[actor]]\nname = "a"\nmodel = "{fmus["CTypes"]}"\nstep = {H}\n'
            '[actor.parameters]\ntau = 0.25\nu = 2.0\nn_in = 0\nb_in = false\nmode_in = 1\ns_in = ""\n'
            f'[[actor]]\nname = "b"\nmodel = "{fmus["CTypes"]}"\nstep = {H}\n'
            '[actor.parameters]\nu = 0.0\nb_in = false\nmode_in = 1\ns_in = ""\n'
            f'[[connect]]\nfrom = "a.x"\nto = "b.n_in"\n{extra}')
        return path

    system, settings = load(scenario("convert = true\n"))
    ds = system.run(settings.stop_time, **settings.run_options())
    a = reference(4, u=2.0, tau=0.25)
    b = reference(4, inputs=lambda k: dict(u=0.0, n_in=round(a[k + 1]["x"]), b_in=False,
                                           mode_in=1, s_in=""))
    assert list(ds["b.counter"].values) == [r["counter"] for r in b]
    with pytest.raises(ConfigurationError) as err:
        load(scenario(""))
    assert "[[connect]] #1" in str(err.value) and "(Real) -> 'b.n_in' (Integer)" in str(err.value)
    with pytest.raises(ConfigurationError, match="convert"):
        load(scenario('convert = "yes"\n'))


# =============================================================================================
# as a standard FMI master runs them: unconnected inputs at their declared starts, the last
# sample of a self-terminating FMU
# =============================================================================================
FEED_NOTES = ["a.u = 300.5 K", "a.n_in = 1", "a.mode_in = 2 (heating)", "a.b_in = true", "a.s_in = 'feed'"]


def note(entry: str) -> str:
    """The warning the run gives for an input left at its start value (``entry``: "a.u = 1.0 K")."""
    name, _, value = entry.partition(" = ")
    return (f"input '{name}' is neither connected nor set: it runs at its declared start value {value}; "
            "connect it or give it a value to choose another")


def test_unconnected_fmu_inputs_run_at_their_declared_starts_as_in_fmpy(fmus, tmp_path):
    """Like the Reference FMU Feedthrough: inputs with declared starts (300.5 K, 1, 'heating',
    true, 'feed'; not the engine's type defaults) that nothing connects or sets run at those
    values, with fmpy's numbers; each is noted once: a warning and the unconnected_inputs attribute."""
    Feed = load_fmu_actor_class(fmus["CFeed"])
    v = Feed.variable_map()
    assert [n for n in v if v[n].start_is_default] == ["u", "n_in", "mode_in", "b_in", "s_in"]  # the inputs
    out = tmp_path / "feed.nc"
    s = System("feed")
    s.add("a", str(fmus["CFeed"]), step=H)
    with pytest.warns(CryocosimWarning) as caught:
        ds = s.run(3.0, output=out)
    assert [str(w.message) for w in caught] == [note(e) for e in FEED_NOTES]
    assert all("\n" not in str(w.message) for w in caught)
    names = ["x", "level", "counter", "mode", "toggle"]
    res = fmpy.simulate_fmu(str(fmus["CFeed"]), stop_time=3.0, output_interval=H, output=names)
    assert list(res["time"]) == list(ds["time"].values)
    for name in names:
        assert list(res[name]) == list(ds[f"a.{name}"].values), name  # bit for bit
    ref = reference(12, u=300.5, n_in=1, mode_in=2, b_in=True, s_in="feed")
    assert list(ds["a.status"].values) == [r["status"] for r in ref] and ref[-1]["status"] == "feed|cooling:24"
    assert json.loads(ds.attrs["unconnected_inputs"]) == FEED_NOTES
    assert json.loads(ds.attrs["warnings"]) == [note(e) for e in FEED_NOTES]
    with xr.open_dataset(out) as f:
        assert json.loads(f.attrs["unconnected_inputs"]) == FEED_NOTES
    # a second run of the same system: noted in its results again, warned about once
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = s.run(1.0)
    assert json.loads(again.attrs["unconnected_inputs"]) == FEED_NOTES

    # only what is neither connected nor set is noted; a connected or set input has its value
    s = System("partly")
    s.add("a", str(fmus["CFeed"]), step=H, n_in=0, s_in="")
    s.add("b", str(fmus["CFeed"]), step=H, mode_in=1)
    s.connect("a.x", "b.u")
    s.connect("a.toggle", "b.b_in")
    with pytest.warns(CryocosimWarning) as caught:
        ds = s.run(1.0)
    noted = ["a.u = 300.5 K", "a.mode_in = 2 (heating)", "a.b_in = true", "b.n_in = 1", "b.s_in = 'feed'"]
    assert [str(w.message) for w in caught] == [note(e) for e in noted]
    assert json.loads(ds.attrs["unconnected_inputs"]) == noted
    a = reference(4, u=300.5, n_in=0, mode_in=2, b_in=True)
    b = reference(4, inputs=lambda k: dict(u=a[k + 1]["x"], n_in=1, b_in=a[k + 1]["toggle"], mode_in=1, s_in="feed"))
    for name in ("x", "counter", "mode", "toggle", "status"):
        assert list(ds[f"b.{name}"].values) == [r[name] for r in b], name
    # nothing left alone: nothing noted (the attribute is an empty list)
    s = System("all set")
    s.add("a", str(fmus["CTypes"]), step=H, **inputs())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert json.loads(s.run(0.5).attrs["unconnected_inputs"]) == []


def test_validate_agrees_with_run_on_unconnected_fmu_inputs(fmus, tmp_path):
    """`cryocosim validate` accepts an FMU whose inputs nothing sets (exit 0) and prints the same
    one-line warnings as `cryocosim run`, whose result lists the inputs."""
    import sys

    scenario = tmp_path / "feed.toml"
    scenario.write_text(f'[scenario]\nname = "feed"\n[run]\nstop_time = 1.0\n\n'
                        f'[[actor]]\nname = "a"\nmodel = "{fmus["CFeed"]}"\nstep = {H}\n'
                        '[actor.parameters]\nn_in = 1\n')
    out = tmp_path / "feed.nc"
    noted = [e for e in FEED_NOTES if not e.startswith("a.n_in")]
    warned = [f"cryocosim: warning: {note(e)}" for e in noted]
    for command in (["validate", str(scenario)], ["run", str(scenario), "-q", "-o", str(out)]):
        proc = subprocess.run([sys.executable, "-m", "cryocosim", *command], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert errors_only(proc.stderr).splitlines() == warned, proc.stderr
        # the run names the FMU it executes before it does (validate only reads it)
        assert (NOTICE in proc.stderr) == (command[0] == "run") and (command[0] == "validate" or
                                                                    f"FMU '{fmus['CFeed']}'" in proc.stderr)
    with xr.open_dataset(out) as f:
        assert json.loads(f.attrs["unconnected_inputs"]) == noted
        assert f.attrs["status"] == "completed"


def test_native_inputs_need_a_value_unless_their_start_is_declared_a_default():
    """A native actor's unconnected input without a value stays an error (one line, naming it);
    one declared ``Input(..., start_is_default=True)`` runs at its start, noted like an FMU's."""
    from cryocosim.actor import Actor
    from cryocosim.variables import Input, Output

    class Heated(Actor):
        """T' = (q + q_extra) / C."""

        variables = (Input("q", "W", 0.0, "heat"),
                     Input("q_extra", "W", 2.5, "extra heat (none connected: 2.5 W)", start_is_default=True),
                     Output("T", "K", 4.0, "temperature"))

        def do_step(self, t, h):
            self.T += h * (self.q + self.q_extra) / 10.0

    s = System("native")
    s.add("h", Heated, step=0.5)
    with pytest.raises(ConnectionError_) as err:
        s.run(1.0)
    assert str(err.value) == ("input 'h.q' is not connected and has no value "
                              "(connect it, or set it among the actor's parameters)")
    s = System("native")
    s.add("h", Heated, step=0.5, q=1.5)
    with pytest.warns(CryocosimWarning) as caught:
        ds = s.run(1.0)
    assert [str(w.message) for w in caught] == [note("h.q_extra = 2.5 W")]
    assert json.loads(ds.attrs["unconnected_inputs"]) == ["h.q_extra = 2.5 W"]
    assert list(ds["h.T"].values) == [4.0, 4.2, 4.4]
    s = System("native")
    s.add("h", Heated, step=0.5, q=1.5, q_extra="1 kW")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = s.run(1.0)
    assert json.loads(ds.attrs["unconnected_inputs"]) == [] and ds["h.T"].values[-1] == pytest.approx(104.15)


@pytest.mark.parametrize("model, start, end", [
    ("CStair", {}, 2.0),                  # the step that reaches t_stop ends the simulation (Stair)
    ("CStair", {"t_stop": 1.9}, 1.9),     # ... mid-step: off the output grid
    ("CStop", {"t_stop": 1.9}, 1.9),      # the step crossing t_stop stops there
])
def test_self_terminating_fmu_keeps_its_last_sample_as_in_fmpy(fmus, model, start, end):
    """The state where the FMU ended the simulation (fmi2LastSuccessfulTime) is the last record,
    as fmpy's simulate_fmu records it: the same times, the same numbers."""
    values = dict(u=40.0, n_in=1, tau=0.5, **start)
    names = ["x", "level", "counter", "mode", "toggle"]
    res = fmpy.simulate_fmu(str(fmus[model]), stop_time=3.0, output_interval=H, start_values=values, output=names)
    s = System("stair")
    s.add("a", str(fmus[model]), step=H, **inputs(**values))
    ds = s.run(3.0)
    assert list(ds["time"].values) == list(res["time"]) and ds["time"].values[-1] == end
    assert list(ds["time"].values[-2:]) == [1.75, end]
    for name in names:
        assert list(ds[f"a.{name}"].values) == list(res[name]), name
    assert ds.attrs["status"] == f"terminated by actor 'a' (FMU '{model}.fmu') at t={end:g} s"
    (ev,) = events_of(ds)
    assert (ev["kind"], ev["time"], ev["run_end"]) == ("terminated", end, 1.75)
    # on a coarser output grid: the grid's records, then the last sample
    coarse = s.run(3.0, output_interval=1.0)
    assert list(coarse["time"].values) == [0.0, 1.0, end]
    for name in names:
        assert coarse[f"a.{name}"].values[-1] == res[name][-1], name


def test_stair_like_fmu_ends_at_its_last_event_as_in_fmpy(fmus):
    """The Reference FMU Stair's case: a counter that ends the simulation at t = 9 s in its step
    from 8.8 s (step 0.2 s, its default experiment): fmpy records 9.0 s, so does the engine."""
    values = dict(n_in=0, t_stop=9.0)
    res = fmpy.simulate_fmu(str(fmus["CStair"]), stop_time=10.0, output_interval=0.2, start_values=values,
                            output=["counter", "x"])
    s = System("stair")
    s.add("stair", str(fmus["CStair"]), step=0.2, **inputs(**values))
    ds = s.run(10.0)
    assert ds["time"].values[-2:].tolist() == [8.8, 9.0] and res["time"][-1] == 9.0
    # fmpy's times are n * 0.2 in floating point (0.6000000000000001), the engine's exact decimals
    assert ds["time"].values == pytest.approx(res["time"], rel=1e-15, abs=0)
    assert list(ds["stair.counter"].values) == list(res["counter"]) and res["counter"][-1] == 45
    assert ds.attrs["status"] == "terminated by actor 'stair' (FMU 'CStair.fmu') at t=9 s"


def test_last_sample_of_a_terminating_fmu_among_others(fmus):
    """In a system, the last record is at the time the FMU reached: its own outputs there, the
    others' held at their newest values valid then (the run ended at the start of the step);
    adaptive and iterated runs end the same way."""
    for ordering in ("gauss-seidel", "jacobi"):
        s = System("among")
        s.add("src", str(fmus["CTypes"]), step=H, **inputs(u=10.0))
        s.add("s", str(fmus["CStop"]), step=H, t_stop=1.9, **inputs("u"))
        s.connect("src.x", "s.u")
        ds = s.run(5.0, ordering=ordering)
        assert list(ds["time"].values[-2:]) == [1.75, 1.9]
        src = reference(8, u=10.0)
        assert list(ds["src.x"].values[-2:]) == [src[7]["x"]] * 2  # held from 1.75 s
        # the FMU's last step, 0.15 s of the lag from 1.75 s with its input of that step
        u = src[8]["x"] if ordering == "gauss-seidel" else src[7]["x"]
        x0 = ds["s.x"].values[-2]
        assert ds["s.x"].values[-1] == x0 + (1.9 - 1.75) * (u - x0) / 1.0
        for options in ({"tolerance": 1e-3}, {"iterate": True}):
            ds = s.run(5.0, ordering=ordering, **options)
            (ev,) = events_of(ds)
            assert ds["time"].values[-1] == 1.9 and ev["time"] == 1.9 and ev["run_end"] < 1.9
            assert ds["s.counter"].values[-1] > ds["s.counter"].values[-2]  # its own last step


def test_a_scenario_s_fmu_is_held_to_what_an_fmu_takes(fmus, tmp_path):
    """An FMU named in a TOML scenario (not only in an SSP): an Integer set beyond a C int is a
    one-line error, not a value wrapped around; a zip bomb is refused from its headers, at once."""
    import time

    text = (f'[run]\nstop_time = 1.0\n[[actor]]\nname = "a"\nmodel = "{fmus["CTypes"]}"\nstep = {H}\n'
            '[actor.parameters]\nn_in = {n}\n')
    for n, ok in ((2**31 - 1, True), (2**31, False), (-(2**31) - 1, False)):
        (tmp_path / "s.toml").write_text(text.format(n=n))
        if ok:
            scenario.validate(tmp_path / "s.toml")
            continue
        with pytest.raises(ConfigurationError) as err:
            scenario.validate(tmp_path / "s.toml")
        msg = str(err.value)
        assert "\n" not in msg and "parameters.n_in" in msg and str(n) in msg, msg
    bomb = tmp_path / "Bomb.fmu"
    shutil.copy(fmus["CTypes"], bomb)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("resources/zeros.bin", "w", force_zip64=True) as member:
            for _ in range(520):
                member.write(bytes(2**20))
    assert bomb.stat().st_size < 10 * 2**20
    (tmp_path / "b.toml").write_text(text.replace(str(fmus["CTypes"]), str(bomb)).format(n=1))
    t = time.perf_counter()
    with pytest.raises(ConfigurationError) as err:
        scenario.validate(tmp_path / "b.toml")
    assert time.perf_counter() - t < 5.0
    assert f"FMU '{bomb}': its members would take 520 MiB extracted, above the limit of 512 MiB of an FMU " \
           "(a zip bomb?)" in str(err.value)


class _LagMean(Actor):
    """The CInterp FMU's arithmetic natively: x += h (u + u' h/2 + u'' h^2/6 - x) / tau."""
    variables = (Parameter("tau", "s", 1.0, "time constant"), Input("u", "K", 0.0, "input"),
                 Output("x", "K", 0.0, "lag"))
    input_order = 2

    def do_step(self, t, h):
        d1, d2 = self.input_derivatives.get("u", (0.0, 0.0))
        u_mean = self.u + h * (d1 / 2 + h * d2 / 6)
        self.x += h * (u_mean - self.x) / self.tau


@pytest.mark.parametrize("order", [0, 1, 2])
def test_an_fmu_that_can_interpolate_inputs_gets_their_derivatives(fmus, order):
    """canInterpolateInputs: the engine calls fmi2SetRealInputDerivatives before each fmi2DoStep
    under a coupling order >= 1.  The FMU fed a parabola equals, to rounding, the same arithmetic
    in a native actor given the same polynomial (1e-13: C and Python round alike here, the
    difference is at most a few ulps of a value of order 10); at order 0 it holds u, as
    CTypes does."""
    from cryocosim.fmi.fmu_actor import load_fmu_actor_class

    cls = load_fmu_actor_class(fmus["CInterp"])
    assert cls.input_order == 2 and load_fmu_actor_class(fmus["CTypes"]).input_order == 0
    s = System("interp")
    s.add("src", "engine_actors:Ramp", step=H, a=2.0, b=0.5)
    s.add("fmu", cls, step=H)
    s.add("native", _LagMean, step=H)
    s.connect("src.y", "fmu.u", transform=(1.0, 0.0))
    s.connect("src.y", "native.u", transform=(1.0, 0.0))
    ds = s.run(3.0, coupling_order=order)
    np.testing.assert_allclose(ds["fmu.x"].values, ds["native.x"].values, rtol=1e-13, atol=1e-13)
    held = System("held")
    held.add("src", "engine_actors:Ramp", step=H, a=2.0, b=0.5)
    held.add("fmu", cls, step=H)
    held.connect("src.y", "fmu.u", transform=(1.0, 0.0))
    x0 = held.run(3.0, coupling_order=0)["fmu.x"].values
    if order:
        assert not np.allclose(ds["fmu.x"].values, x0, rtol=1e-6)   # the derivatives were used
    else:
        np.testing.assert_array_equal(ds["fmu.x"].values, x0)
