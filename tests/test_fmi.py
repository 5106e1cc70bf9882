"""FMI 2.0: export actors as FMUs (pythonfmu), validate them (fmpy), run them back as actors.

The exported FMU of an actor runs the very same Python code as the native actor (pythonfmu's
binary calls into this interpreter, whose ``cryocosim`` and fixture modules are already
imported); only IEEE doubles cross the FMI boundary, unchanged.  So the FMU and the native actor
perform the same floating-point operations in the same order and their trajectories must agree
exactly — the 1e-12 relative tolerance is only a safety margin.
"""
import importlib
import math
import re
import time
import zipfile
from importlib.metadata import entry_points
from xml.etree import ElementTree

import fmpy
import numpy as np
import pytest
from fmpy.validation import validate_fmu

from cryocosim import ModelError, ParameterError, System
from cryocosim.fmi.export import export_fmu, fmu_cache
from cryocosim.fmi.fmu_actor import FMUActor, load_fmu_actor_class
from fmi_fixture_actor import FirstOrderLag

H = 0.5


@pytest.fixture(scope="module")
def lag_fmu(tmp_path_factory):
    t0 = time.perf_counter()
    path = export_fmu(FirstOrderLag, tmp_path_factory.mktemp("fmus"))
    print(f"export took {time.perf_counter() - t0:.3f} s")
    return path


@pytest.fixture(scope="module")
def Lag(lag_fmu):
    return load_fmu_actor_class(lag_fmu)


def u_of(k):
    return 300.0 + 40.0 * math.sin(0.07 * k)


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


# -- export -----------------------------------------------------------------------------------
def test_export_validates(lag_fmu):
    assert lag_fmu.name == "FirstOrderLag.fmu"
    assert validate_fmu(str(lag_fmu)) == []


def test_model_description_has_units_state_and_experiment(lag_fmu):
    with zipfile.ZipFile(lag_fmu) as zf:
        root = ElementTree.fromstring(zf.read("modelDescription.xml"))
        names = zf.namelist()
    assert root.get("description") == "First-order lag y' = (gain*u - y)/tau, exact for a held input."
    order = [child.tag for child in root]
    assert order.index("CoSimulation") + 1 == order.index("UnitDefinitions")
    assert root.find("CoSimulation").get("canGetAndSetFMUstate") == "true"
    assert float(root.find("DefaultExperiment").get("stepSize")) == FirstOrderLag.default_step
    units = {u.get("name"): u.find("BaseUnit").attrib for u in root.find("UnitDefinitions")}
    assert units == {"s": {"s": "1"}, "K": {"K": "1"}, "K/s": {"K": "1", "s": "-1"}}
    sv = {v.get("name"): v for v in root.find("ModelVariables")}
    assert sv["tau"].find("Real").get("unit") == "s"
    assert sv["tau"].get("variability") == "tunable" and sv["gain"].get("variability") == "fixed"
    assert "unit" not in sv["gain"].find("Real").attrib  # dimensionless
    assert sv["label"].find("String").get("start") == "lag"
    # outputs are calculated in initialisation mode: no start value (FMI 2.0)
    assert sv["y"].get("initial") == "calculated" and sv["y"].find("Real").get("start") is None
    assert sv["dydt"].get("causality") == "local"
    # the package and the fixture module travel inside the FMU, under build-unique names
    shipped = {re.sub(r"_[0-9a-f]{12}(?=[./])", "", n, count=1) for n in names}
    assert {"resources/FirstOrderLag.py", "resources/fmi_fixture_actor.py",
            "resources/cryocosim/actor.py", "resources/cryocosim/fmi/slave.py",
            "resources/cryocosim/fmus/__init__.py"} <= shipped
    assert not any("__pycache__" in n for n in names)


def test_loaded_class_mirrors_declarations(Lag):
    assert issubclass(Lag, FMUActor) and Lag.__name__ == "FirstOrderLag"
    native = {v.name: v for v in FirstOrderLag.variables}
    assert [v.name for v in Lag.variables] == list(native)
    for v in Lag.variables:
        n = native[v.name]
        assert (v.causality, v.unit, v.type, v.tunable) == (n.causality, n.unit, n.type, n.tunable), v.name
        if v.causality.value in ("parameter", "input"):  # outputs are calculated: no start value
            assert v.start == n.start
    assert Lag.default_step == FirstOrderLag.default_step
    assert Lag.variable_map()["tau"].min == 1e-6


# -- running ----------------------------------------------------------------------------------------
def test_fmu_actor_matches_native_actor(Lag):
    fmu, native = Lag(name="lag", tau="12 s", gain=0.9, label="x"), FirstOrderLag(name="lag", tau="12 s", gain=0.9)
    fmu.setup(), native.setup()
    assert fmu.y == native.y == 300.0
    t = 0.0
    for k in range(200):
        if k == 120:  # a tunable parameter changed during the run reaches the FMU
            fmu.set_parameter("tau", 4.0), native.set_parameter("tau", 4.0)
        fmu.u = native.u = u_of(k)
        fmu.do_step(t, H), native.do_step(t, H)
        t += H
        assert rel(fmu.y, native.y) <= 1e-12 and rel(fmu.dydt, native.dydt) <= 1e-12, k
    assert fmu.y == native.y  # in fact bit-identical (see the module docstring)
    fmu.terminate()


def test_fixed_parameter_cannot_change_while_running(Lag):
    a = Lag(name="lag")
    a.set_parameter("gain", 5.0)  # before set-up: fine, passed at initialisation
    a.setup()
    a.set_parameter("gain", 2.0)  # in FMI initialisation mode a fixed parameter may still change
    a.end_initialization()
    with pytest.raises(ParameterError, match="'gain'.*not tunable"):
        a.set_parameter("gain", 3.0)
    assert a.gain == 2.0
    a.u = 1.0
    a.do_step(0.0, 1e3)  # a long step: the lag's output settles at gain * u with the gain set last
    assert a.y == pytest.approx(2.0, rel=1e-6)
    a.terminate()


def test_rollback_through_fmu_state_reproduces_trajectory(Lag):
    a = Lag(name="lag", tau=3.0)
    a.setup()
    t = 0.0
    for k in range(10):
        a.u = u_of(k)
        a.do_step(t, H)
        t += H
    snap = a.get_state()
    assert "fmu_state" in snap

    def run(n0):
        out, tt = [], t
        for k in range(n0, n0 + 25):  # crosses several history-dependent kicks (every 7th step)
            a.u = u_of(k)
            a.do_step(tt, H)
            tt += H
            out.append((a.y, a.dydt))
        return out

    first = run(10)
    a.set_state(snap)
    assert a.u == u_of(9)
    second = run(10)
    a.set_state(snap)  # a snapshot can be restored more than once
    third = run(10)
    assert first == second == third
    del snap  # frees the fmi2FMUstate
    a.terminate()


def test_simulate_fmu_runs_exported_fmu(lag_fmu):
    res = fmpy.simulate_fmu(str(lag_fmu), stop_time=10.0, output_interval=H,
                            start_values={"u": 310.0, "tau": 2.0}, output=["y"])
    y = res["y"]
    assert len(y) == 21 and y[0] == 300.0 and 300.0 < y[-1] < 310.0 + 0.1


def test_system_runs_fmu_with_events(lag_fmu):
    def build(model):
        s = System("fmi")
        s.add("lag", model, step=H, tau="5 s", u=320.0)
        s.at(5.0, set={"lag.tau": 1.0})
        return s

    native = build(FirstOrderLag).run(20.0)
    fmu = build(str(lag_fmu)).run(20.0)
    np.testing.assert_allclose(fmu["lag.y"].values, native["lag.y"].values, rtol=1e-12, atol=0)


# -- failures ---------------------------------------------------------------------------------------
def test_missing_fmu_is_model_error(tmp_path):
    with pytest.raises(ModelError) as err:
        load_fmu_actor_class(tmp_path / "nope.fmu")
    assert "nope.fmu" in str(err.value) and "\n" not in str(err.value)


def test_corrupt_fmu_is_model_error(tmp_path, lag_fmu):
    bad = tmp_path / "Broken.fmu"
    bad.write_bytes(lag_fmu.read_bytes()[:2000])  # a truncated zip archive
    with pytest.raises(ModelError) as err:
        load_fmu_actor_class(bad)
    assert "Broken.fmu" in str(err.value) and "\n" not in str(err.value)
    junk = tmp_path / "Junk.fmu"
    junk.write_text("not a zip")
    with pytest.raises(ModelError, match="Junk.fmu") as err:
        load_fmu_actor_class(junk)
    assert "\n" not in str(err.value)


def test_invalid_model_description_is_model_error(tmp_path, lag_fmu):
    bad = tmp_path / "Invalid.fmu"
    with zipfile.ZipFile(lag_fmu) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "modelDescription.xml":
                data = data.replace(b'initial="calculated"', b'initial="exact"')  # no start
            dst.writestr(item, data)
    with pytest.raises(ModelError, match="Invalid.fmu.*invalid modelDescription") as err:
        load_fmu_actor_class(bad)
    assert "\n" not in str(err.value)


def test_exception_in_do_step_names_fmu_actor_and_time(Lag):
    a = Lag(name="hp", fail_at=2.5)
    a.setup()
    with pytest.raises(ModelError) as err:
        for k in range(10):
            a.do_step(k * H, H)
    msg = str(err.value)
    assert msg.startswith("FMU 'FirstOrderLag.fmu' (actor 'hp') failed in doStep at t=2.5 s")
    assert "RuntimeError: lag 'lag' broke on purpose" in msg and "\n" not in msg
    a.terminate()


def test_fmu_cache_reexports_only_on_change(tmp_path):
    first = fmu_cache(FirstOrderLag, tmp_path)
    mtime = first.stat().st_mtime_ns
    assert fmu_cache(FirstOrderLag, tmp_path) == first and first.stat().st_mtime_ns == mtime
    (tmp_path / "FirstOrderLag.fmu.sha256").write_text("stale\n")
    assert fmu_cache(FirstOrderLag, tmp_path).stat().st_mtime_ns != mtime


def test_fmu_cache_filled_by_two_processes_at_once(tmp_path):
    """Two runs sharing one cache (two `run --fmu` in one folder) export at the same time: each
    moves its finished FMU in whole, so the cache ends with one valid FMU, its stamp, no leftovers."""
    import subprocess
    import sys
    code = ("import sys; from cryocosim.fmi.export import fmu_cache; "
            "from cryocosim.fmus.aftercooler import Aftercooler; print(fmu_cache(Aftercooler, sys.argv[1]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    fmu = tmp_path / "Aftercooler.fmu"
    assert {out.strip() for out, _ in outs} == {str(fmu.resolve())}
    assert validate_fmu(str(fmu)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Aftercooler.fmu", "Aftercooler.fmu.sha256"]


# -- the registered models ------------------------------------------------------------------------
_MODELS = sorted(entry_points(group="cryocosim.models"), key=lambda ep: ep.name)


@pytest.mark.parametrize("ep", _MODELS, ids=[ep.name for ep in _MODELS])
def test_registered_model_exports_and_validates(ep, tmp_path_factory):
    module_name = ep.value.partition(":")[0]
    try:
        importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            pytest.skip(f"{module_name} does not exist yet")
        raise
    cls = ep.load()
    path = export_fmu(cls, tmp_path_factory.mktemp(ep.name))
    assert validate_fmu(str(path)) == []
    loaded = load_fmu_actor_class(path)
    def signature(variables):  # units travel for Real variables (FMI has none on the others)
        return [(v.name, v.causality, v.type, v.unit if v.type is float else "1", v.tunable)
                for v in variables]

    assert signature(loaded.variables) == signature(cls.variables)
    # start values of parameters and inputs cross the modelDescription exactly (a master that
    # sets them passes the same doubles; 16 digits once lost the last bit of 1000 rpm in rad/s)
    starts = lambda variables: {v.name: v.start for v in variables  # noqa: E731
                                if v.causality.value in ("parameter", "input")}
    assert starts(loaded.variables) == starts(cls.variables)
    # outputs are calculated (no start value in the modelDescription): what the FMU reports after
    # initialisation is what the native actor has after setup() and initialize_outputs()
    outputs = [v.name for v in cls.variables if v.causality.value == "output"]
    fmu, native = loaded(name="x"), cls(name="x")
    fmu.setup()
    fmu.end_initialization()
    native.setup()
    native.initialize_outputs(0.0)
    assert {n: getattr(fmu, n) for n in outputs} == {n: getattr(native, n) for n in outputs}
    fmu.terminate()


_ISOLATED = r'''
import sys
sys.path.append(PURELIB)  # without site: no .pth files, so the editable cryocosim is not importable
class Blocker:  # an FMI master's Python without the engine's own dependencies
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ImportError(f"{name} is not installed")
sys.meta_path.insert(0, Blocker())
try:
    import cryocosim
    raise SystemExit("cryocosim is importable outside the FMU")
except ImportError:
    pass
import fmpy
res = fmpy.simulate_fmu(FMU, stop_time=2.0, output_interval=0.5, start_values={"u": 310.0}, output=["y"])
# the FMU's own copy of the package, under its build-unique name
assert "cryocosim" not in sys.modules
assert any(n.startswith("cryocosim_") and m.__file__.endswith(f"resources/{n}/__init__.py")
           for n, m in list(sys.modules.items()) if "." not in n)
print(repr(float(res["y"][-1])))
'''


@pytest.mark.parametrize("block", [("xarray", "simpy", "matplotlib", "netCDF4", "tqdm", "dask"), ()],
                         ids=["actor-deps-only", "full-deps"])
def test_fmu_is_self_contained(lag_fmu, block):
    """The FMU runs in a Python where cryocosim is not installed (only numpy & co. and fmpy)."""
    import subprocess
    import sys
    import sysconfig

    code = (f"PURELIB = {sysconfig.get_paths()['purelib']!r}\nBLOCK = {set(block)!r}\n"
            f"FMU = {str(lag_fmu)!r}\n" + _ISOLATED)
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    native = FirstOrderLag(name="n")
    native.setup()
    native.u = 310.0
    for k in range(4):
        native.do_step(k * 0.5, 0.5)
    assert float(out.stdout.split()[-1]) == native.y


def test_all_fmi_types_export_validate_and_run(tmp_path):
    from fmi_fixture_actor import Mixed

    path = export_fmu(Mixed, tmp_path)
    assert validate_fmu(str(path)) == []
    with zipfile.ZipFile(path) as zf:
        root = ElementTree.fromstring(zf.read("modelDescription.xml"))
    units = {u.get("name"): u.find("BaseUnit").attrib for u in root.find("UnitDefinitions")}
    assert units["bar"] == {"kg": "1", "m": "-1", "s": "-2", "factor": "100000.0"}
    assert units["degC"] == {"K": "1", "offset": "273.15"}
    sv = {v.get("name"): v for v in root.find("ModelVariables")}
    assert sv["n"].find("Integer").attrib == {"start": "3", "min": "1", "max": "10"}
    assert sv["on"].get("variability") == "discrete"

    M = load_fmu_actor_class(path)
    fmu, native = M(name="m", n=4, fluid="nitrogen"), Mixed(name="m", n=4, fluid="nitrogen")
    fmu.setup(), native.setup()
    for k in range(6):
        fmu.on = native.on = k % 2 == 0
        if k == 3:
            fmu.set_parameter("n", 2), native.set_parameter("n", 2)
        fmu.do_step(k * 1.0, 1.0), native.do_step(k * 1.0, 1.0)
        for name in ("count", "running", "steps", "p", "T"):
            assert getattr(fmu, name) == getattr(native, name), (k, name)
            assert type(getattr(fmu, name)) is type(getattr(native, name)), (k, name)
    fmu.terminate()
