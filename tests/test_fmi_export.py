"""Exported FMUs that any FMI 2.0 master can trust (issue 13, part 1).

1. Initialisation: every output is ``initial="calculated"`` (no start value), listed in
   ModelStructure/InitialUnknowns, and the FMU computes it in initialisation mode: what fmpy
   reads in initialisation mode and after it is what the native actor has after ``setup()`` and
   ``initialize_outputs()``, for every registered model; a connected pair run in libcosim
   gives the engine's numbers from the first step on.
2. Isolation: each FMU ships its package under a build-unique module name, so two FMUs of
   different code run side by side in one process, and an FMU runs its own code even where the
   installed ``cryocosim`` is imported.
3. Requirements: ``resources/requirements.txt`` names what the model imports (checked against
   what it imports when it runs); a missing package is named in the FMI log (fmpy, the engine's
   FMU actor; a C master: tests/test_native_masters.py).
4. modelDescription: generationTool, author, version, license; Integer parameters; the allowed
   values of choice parameters; display units.
5. docs/fmi.md: its examples run as written.
"""
from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import math
import os
import re
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from importlib.metadata import entry_points
from pathlib import Path
from xml.etree import ElementTree

import fmpy
import pytest
from fmpy.fmi2 import FMU2Slave
from fmpy.validation import validate_fmu

import cryocosim
from cryocosim import Causality, System
from cryocosim.fmi.export import export_fmu, fmu_cache, requirements, rewrite_imports
from cryocosim.fmi.fmu_actor import load_fmu_actor_class
from cryocosim.fmi.slave import AUTHOR
from cryocosim.units import parse_quantity
from test_libcosim import INPUTS  # non-trivial inputs per model (flows, speeds, loads)

ROOT = Path(__file__).resolve().parents[1]
PURELIB = sysconfig.get_paths()["purelib"]
_MODELS = sorted(entry_points(group="cryocosim.models"), key=lambda ep: ep.name)
_IDS = [ep.name for ep in _MODELS]
_SHIPPED = re.compile(r"resources/(cryocosim_[0-9a-f]{12})/__init__\.py")


@pytest.fixture(scope="module")
def fmu_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fmus")


# pythonfmu prepends the FMU's resources/ folder to sys.path at every instantiation: every test
# here restores it (conftest.keep_sys_path)
pytestmark = pytest.mark.usefixtures("keep_sys_path")


def model(name: str) -> type:
    return next(ep for ep in _MODELS if ep.name == name).load()


def description(path) -> ElementTree.Element:
    with zipfile.ZipFile(path) as zf:
        return ElementTree.fromstring(zf.read("modelDescription.xml"))


def shipped_package(path) -> str:
    with zipfile.ZipFile(path) as zf:
        return next(m.group(1) for n in zf.namelist() if (m := _SHIPPED.fullmatch(n)))


def run_python(code: str, *args, site: bool = True, timeout: float = 120, **kwargs):
    """Run ``code`` in a fresh interpreter (``site=False``: without site-packages' .pth files,
    so the editable ``cryocosim`` is not importable; PURELIB is on the path instead)."""
    cmd = [sys.executable] + ([] if site else ["-S"]) + ["-c", code, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


class Slave:
    """An fmpy FMU2Slave of an exported FMU, by variable name."""

    def __init__(self, path, unzip_dir, name="fmpy"):
        self.md = md = fmpy.read_model_description(str(path))
        self.vars = {v.name: v for v in md.modelVariables}
        unzipped = fmpy.extract(str(path), unzipdir=str(unzip_dir))
        self.fmu = FMU2Slave(guid=md.guid, unzipDirectory=unzipped,
                             modelIdentifier=md.coSimulation.modelIdentifier, instanceName=name)
        self.fmu.instantiate()
        self.fmu.setupExperiment(startTime=0.0)

    def set(self, values: dict) -> None:
        for name, value in values.items():
            v = self.vars[name]
            setter = {"Real": self.fmu.setReal, "Integer": self.fmu.setInteger,
                      "Boolean": self.fmu.setBoolean, "String": self.fmu.setString}[v.type]
            setter([v.valueReference], [value.encode() if v.type == "String" else value])

    def get(self, names) -> dict:
        out = {}
        for name in names:
            v = self.vars[name]
            getter = {"Real": self.fmu.getReal, "Integer": self.fmu.getInteger,
                      "Boolean": self.fmu.getBoolean}[v.type]
            value = getter([v.valueReference])[0]
            out[name] = bool(value) if v.type == "Boolean" else value
        return out

    def close(self) -> None:
        self.fmu.terminate()
        self.fmu.freeInstance()


def native_initial(cls, inputs: dict, **parameters) -> object:
    actor = cls(name="native", **parameters)
    for name, value in inputs.items():
        setattr(actor, name, value)
    actor.setup()
    actor.initialize_outputs(0.0)
    return actor


# ==============================================================================================
# 1. initialisation
# ==============================================================================================
@pytest.mark.parametrize("ep", _MODELS, ids=_IDS)
def test_outputs_are_calculated_and_read_in_initialisation_mode(ep, fmu_dir, tmp_path):
    """Every output is declared calculated (no start, in InitialUnknowns without dependencies);
    getReal in initialisation mode and after it returns what the native actor has after
    setup() + initialize_outputs(), with the declared inputs and with non-trivial ones."""
    cls = ep.load()
    path = fmu_cache(cls, fmu_dir)
    assert validate_fmu(str(path)) == []
    root = description(path)
    nodes = list(root.find("ModelVariables"))
    index = {node.get("name"): i for i, node in enumerate(nodes, start=1)}
    outputs = [v.name for v in cls.variables if v.causality == Causality.output]
    unknowns = root.find("ModelStructure/InitialUnknowns")
    assert [int(u.get("index")) for u in unknowns] == [index[n] for n in outputs]
    assert all("dependencies" not in u.attrib for u in unknowns)  # may depend on everything

    declared = cls.variable_map()
    at_rest = {n: getattr(native_initial(cls, {}), n) for n in outputs}
    changed = [n for n in outputs if at_rest[n] != declared[n].start]
    for name in outputs:  # the generic rule; in particular for every output the set-up changes
        node = nodes[index[name] - 1]
        assert node.get("initial") == "calculated", name
        assert node[0].get("start") is None, name
    for case, inputs in (("declared inputs", {}), ("inputs", INPUTS.get(ep.name, {}))):
        expected = {n: getattr(native_initial(cls, inputs), n) for n in outputs}
        slave = Slave(path, tmp_path / case.replace(" ", "_"))
        slave.fmu.enterInitializationMode()
        slave.set(inputs)
        during = slave.get(outputs)
        slave.fmu.exitInitializationMode()
        after = slave.get(outputs)
        slave.close()
        assert during == expected, f"{case}: in initialisation mode"
        assert after == expected, f"{case}: after exitInitializationMode"
    print(f"{ep.name}: outputs changed by the set-up: {changed}")


def test_parameter_set_in_initialisation_mode_recomputes_the_outputs(fmu_dir, tmp_path):
    """A master may read outputs, set a parameter, and read again, all in initialisation mode."""
    GasVolume = model("gas_volume")
    path = fmu_cache(GasVolume, fmu_dir)
    outputs = ["p", "T", "rho", "h", "mass"]
    slave = Slave(path, tmp_path / "u")
    slave.fmu.enterInitializationMode()
    first = slave.get(outputs)
    assert first == {n: getattr(native_initial(GasVolume, {}), n) for n in outputs}
    slave.set({"p_start": 0.667 * 101325.0, "T_start": 250.0, "volume": 0.02})
    expected = {n: getattr(native_initial(GasVolume, {}, p_start=0.667 * 101325.0, T_start=250.0,
                                          volume=0.02), n) for n in outputs}
    assert slave.get(outputs) == expected != first
    slave.fmu.exitInitializationMode()
    assert slave.get(outputs) == expected
    slave.close()


def test_engine_loads_fmu_with_calculated_outputs(fmu_dir):
    """load_fmu_actor_class reads an FMU whose outputs have no start value; the actor reports
    the FMU's calculated outputs after set-up and after initialisation."""
    GasVolume = model("gas_volume")
    path = fmu_cache(GasVolume, fmu_dir)
    md = fmpy.read_model_description(str(path))
    assert all(v.start is None for v in md.modelVariables if v.causality == "output")
    Loaded = load_fmu_actor_class(path)
    outputs = [v.name for v in GasVolume.variables if v.causality == Causality.output]
    assert [v.name for v in Loaded.variables if v.causality == Causality.output] == outputs
    params = {"p_start": "0.5 atm", "T_start": "280 K"}
    fmu, native = Loaded(name="lp", **params), native_initial(GasVolume, {}, **params)
    fmu.setup()
    assert {n: getattr(fmu, n) for n in outputs} == {n: getattr(native, n) for n in outputs}
    fmu.end_initialization()
    assert {n: getattr(fmu, n) for n in outputs} == {n: getattr(native, n) for n in outputs}
    assert fmu.p != GasVolume.variable_map()["p"].start
    fmu.terminate()


H = 0.05
PAIR_PARAMETERS = {"lp": {"p_start": 0.667 * 101325.0, "T_start": 299.0, "mdot_in": 0.0, "h_in": 3.11e5},
                   "comp": {"speed": 1000.0, "p_out": 101325.0, "h_back": 311193.4455}}
PAIR_CONNECTIONS = [("lp.p", "comp.p_in"), ("lp.T", "comp.T_in"), ("lp.rho", "comp.rho_in"),
                    ("comp.mdot", "lp.mdot_out"), ("comp.h_return", "lp.h_return")]
PAIR_OUTPUTS = {"lp": ["p", "T", "rho", "h", "mass"], "comp": ["mdot", "h_out", "T_out", "torque"]}


def _pair_in_engine(lp, comp, steps):
    s = System("gas volume feeding a screw compressor")
    s.add("lp", lp, step=H, **PAIR_PARAMETERS["lp"])
    s.add("comp", comp, step=H, **PAIR_PARAMETERS["comp"])
    for a, b in PAIR_CONNECTIONS:
        s.connect(a, b)
    ds = s.run(steps * H, ordering="jacobi", output_interval=H)
    return {f"{a}.{n}": ds[f"{a}.{n}"].values.tolist() for a, names in PAIR_OUTPUTS.items() for n in names}


def _pair_in_libcosim(paths, steps):
    from libcosimpy.CosimExecution import CosimExecution
    from libcosimpy.CosimLogging import CosimLogLevel, log_output_level
    from libcosimpy.CosimObserver import CosimObserver
    from libcosimpy.CosimSlave import CosimLocalSlave

    log_output_level(CosimLogLevel.ERROR)
    execution = CosimExecution.from_step_size(round(H * 1e9))
    index = {a: execution.add_local_slave(CosimLocalSlave(str(p), a)) for a, p in paths.items()}
    vr = {a: {v.name.decode(): v.reference for v in execution.slave_variables(i)} for a, i in index.items()}
    observer = CosimObserver.create_last_value()
    execution.add_observer(observer)
    for a, values in PAIR_PARAMETERS.items():
        for name, value in values.items():
            execution.real_initial_value(index[a], vr[a][name], value)
    for src, dst in PAIR_CONNECTIONS:
        (sa, sv), (da, dv) = src.split("."), dst.split(".")
        execution.connect_real_variables(index[sa], vr[sa][sv], index[da], vr[da][dv])
    rows = {f"{a}.{n}": [] for a, names in PAIR_OUTPUTS.items() for n in names}
    for k in range(steps):
        assert execution.step(1), f"libcosim failed at step {k}"
        for a, names in PAIR_OUTPUTS.items():
            for n, x in zip(names, observer.last_real_values(index[a], [vr[a][n] for n in names])):
                rows[f"{a}.{n}"].append(x)
    del observer, execution
    return rows


def test_connected_pair_in_libcosim_matches_the_engine_from_the_first_step(fmu_dir):
    """A gas volume (its pressure, temperature and density change at set-up: 67584 Pa, not the
    declared 101325) feeds a screw compressor whose flow (computed from them at initialisation)
    drains the volume.  libcosim (its fixed-step Jacobi algorithm, values exchanged in
    initialisation mode) gives the engine's numbers: native actors and the same FMUs.  The
    steps are 0.05 s exactly here (t = 0, 0.05, 0.1: libcosim's nanosecond differences are exact
    for these), so the agreement is to the bit; 1e-12 is the margin for rounding."""
    lp_cls, comp_cls = model("gas_volume"), model("screw_compressor")
    paths = {"lp": fmu_cache(lp_cls, fmu_dir), "comp": fmu_cache(comp_cls, fmu_dir)}
    steps = 2
    native = _pair_in_engine(lp_cls, comp_cls, steps)
    assert native["lp.p"][0] != lp_cls.variable_map()["p"].start  # the set-up changed it ...
    assert native["comp.mdot"][0] != comp_cls.variable_map()["mdot"].start  # ... and the flow
    assert native["lp.p"][1] < native["lp.p"][0]  # the first step already drained the volume
    as_fmus = _pair_in_engine(str(paths["lp"]), str(paths["comp"]), steps)
    assert as_fmus == native
    lc = _pair_in_libcosim(paths, steps)
    for key, values in lc.items():
        for k, x in enumerate(values):
            ref = native[key][k + 1]  # the engine's record after step k + 1
            assert x == pytest.approx(ref, rel=1e-12, abs=0.0), (key, k, x, ref)


# ==============================================================================================
# 2. isolation
# ==============================================================================================
_ISO_ACTOR = '''"""A test actor exported twice from different code."""
from cryocosim import Actor, Input, Output

GAIN = {gain}


class IsoGain(Actor):
    """y = GAIN * u + t."""

    variables = (Input("u", "1", 1.0, "input"), Output("y", "1", 0.0, "output"))
    default_step = 1.0

    def initialize_outputs(self, t):
        self.y = GAIN * self.u + t

    def setup(self):
        self.initialize_outputs(0.0)

    def do_step(self, t, h):
        self.y = GAIN * self.u + t + h
'''


def _export_module_version(tmp_path, tag: str, source: str, module: str, cls_name: str):
    """Write ``module`` in its own folder, import it, export ``cls_name``; forget the module."""
    src = tmp_path / f"src_{tag}"
    src.mkdir()
    (src / f"{module}.py").write_text(source)
    sys.path.insert(0, str(src))
    try:
        importlib.invalidate_caches()
        cls = getattr(importlib.import_module(module), cls_name)
        return export_fmu(cls, tmp_path / f"out_{tag}")
    finally:
        sys.path.remove(str(src))
        sys.modules.pop(module, None)


def test_two_fmus_of_different_code_run_side_by_side(tmp_path):
    """The same module and class name, two versions of the code: exported one after the other,
    loaded together in this process (fmpy and the engine's FMU actor), each runs its own code."""
    two = _export_module_version(tmp_path, "two", _ISO_ACTOR.format(gain=2.0), "iso_gain", "IsoGain")
    three = _export_module_version(tmp_path, "three", _ISO_ACTOR.format(gain=3.0), "iso_gain", "IsoGain")
    for path in (two, three):
        assert validate_fmu(str(path)) == []
    names = [set(zipfile.ZipFile(p).namelist()) for p in (two, three)]
    modules = [{n for n in ns if re.fullmatch(r"resources/iso_gain_[0-9a-f]{12}\.py", n)} for ns in names]
    assert len(modules[0]) == len(modules[1]) == 1 and modules[0] != modules[1]
    assert shipped_package(two) != shipped_package(three)  # one name per model and code

    a, b = Slave(two, tmp_path / "a", "a"), Slave(three, tmp_path / "b", "b")
    for s in (a, b):
        s.fmu.enterInitializationMode()
        s.set({"u": 5.0})
    assert (a.get(["y"])["y"], b.get(["y"])["y"]) == (10.0, 15.0)
    for s in (a, b):
        s.fmu.exitInitializationMode()
    for k in range(3):
        a.fmu.doStep(float(k), 1.0)
        b.fmu.doStep(float(k), 1.0)
        assert (a.get(["y"])["y"], b.get(["y"])["y"]) == (10.0 + k + 1, 15.0 + k + 1)
    a.close(), b.close()

    actors = [load_fmu_actor_class(p)(name=n) for p, n in ((two, "two"), (three, "three"))]
    for actor in actors:
        actor.u = 4.0
        actor.setup()
    assert [x.y for x in actors] == [8.0, 12.0]
    for actor in actors:
        actor.do_step(0.0, 1.0)
    assert [x.y for x in actors] == [9.0, 13.0]
    for actor in actors:
        actor.terminate()
    res = [fmpy.simulate_fmu(str(p), stop_time=2.0, output_interval=1.0, start_values={"u": 1.0},
                             output=["y"])["y"].tolist() for p in (two, three)]
    assert res == [[2.0, 3.0, 4.0], [3.0, 4.0, 5.0]]


_SHIPPED_CODE_RUNS = r'''
import json, sys
import fmpy
import cryocosim.fmus.motor as installed  # the installed package, imported first
from cryocosim.fmi.fmu_actor import load_fmu_actor_class

FMU = sys.argv[1]
res = fmpy.simulate_fmu(FMU, stop_time=0.1, output_interval=0.05, start_values={"speed": 1000.0},
                        output=["torque"])
Motor = load_fmu_actor_class(FMU)
fmu = Motor(name="m")
fmu.speed = 1000.0
fmu.setup()
fmu.do_step(0.0, 0.05)
native = installed.Motor(name="n")
native.speed = 1000.0
native.setup()
native.do_step(0.0, 0.05)
shipped = {n: m.__file__ for n, m in list(sys.modules.items()) if n.startswith("cryocosim_") and "." not in n}
print(json.dumps({"fmpy": res["torque"].tolist(), "engine": fmu.torque, "native": native.torque,
                  "installed": installed.__file__, "shipped": shipped}))
'''


def test_fmu_runs_its_shipped_code_beside_the_installed_package(fmu_dir, tmp_path):
    """The Motor FMU with its shipped motor.py altered (the torque forced to -1234.5 after each
    step): in a Python where the installed cryocosim is imported first, fmpy and the engine's
    FMU actor run the shipped (altered) code, the installed Motor its own."""
    path = fmu_cache(model("motor"), fmu_dir)
    package = shipped_package(path)
    patched = tmp_path / "Motor.fmu"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == f"resources/{package}/fmus/motor.py":
                data += (b"\n\n_do_step = Motor.do_step\n\n\ndef _forced(self, t, h):\n"
                         b"    _do_step(self, t, h)\n    self.torque = -1234.5\n\n\nMotor.do_step = _forced\n")
            dst.writestr(item, data)
    out = run_python(_SHIPPED_CODE_RUNS, patched)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["fmpy"][1:] == [-1234.5, -1234.5] and result["engine"] == -1234.5
    assert result["native"] != -1234.5 and math.isfinite(result["native"])
    assert result["installed"].startswith(str(ROOT))
    assert list(result["shipped"]) == [package]
    assert result["shipped"][package].endswith(f"resources/{package}/__init__.py")


_AFTER_THE_FOLDER_IS_GONE = r'''
import json, os, sys
import fmpy
motor, shaft = sys.argv[1], sys.argv[2]
first = fmpy.simulate_fmu(motor, stop_time=0.1, start_values={"speed": 1000.0}, output=["torque"])
package = [n for n in sys.modules if n.startswith("cryocosim_") and "." not in n]
gone = not os.path.exists(sys.modules[package[0]].__path__[0])  # fmpy deleted its extracted copy
# a parameter set: Actor.set_parameter imports cryocosim_<digest>.checks (inside a function)
second = fmpy.simulate_fmu(motor, stop_time=0.1, start_values={"speed": 1000.0, "voltage_ratio": 0.9},
                           output=["torque"])
third = fmpy.simulate_fmu(shaft, stop_time=0.1, start_values={"motor_torque": 1.0}, output=["speed"])
print(json.dumps({"packages": package, "gone": gone, "first": first["torque"].tolist(),
                  "second": second["torque"].tolist(), "third": third["speed"].tolist()}))
'''


def test_fmu_runs_again_after_its_extracted_folder_is_deleted(fmu_dir):
    """fmpy's simulate_fmu extracts an FMU to a temporary folder and deletes it afterwards; the
    shipped modules stay imported.  Running the FMU again (with a parameter set, whose check
    imports a module from inside a function) and then another model's FMU still works."""
    motor, shaft = fmu_cache(model("motor"), fmu_dir), fmu_cache(model("shaft"), fmu_dir)
    out = run_python(_AFTER_THE_FOLDER_IS_GONE, motor, shaft, site=False,
                     env={**os.environ, "PYTHONPATH": PURELIB})
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["packages"] == [shipped_package(motor)] and result["gone"]
    assert result["second"][1] != result["first"][1]  # the lower voltage changed the torque
    assert result["third"][-1] > 0.0


def test_rewrite_imports_redirects_absolute_imports_only():
    source = textwrap.dedent('''\
        """import cryocosim in a docstring stays"""
        import cryocosim
        import cryocosim.fmi, os
        import cryocosim.fmus.gas as gas  # noqa
        from cryocosim import Actor  # µ: a multi-byte character before nothing
        from cryocosim.fmus import (motor,
                                    shaft)
        from . import units
        from .cryocosim import x
        import cryocosimx


        def f():
            from cryocosim.units import parse_unit  # °C
            return cryocosim.fmi, "from cryocosim import y"
        ''')
    out = rewrite_imports(source, {"cryocosim": "cryocosim_0123456789ab"})
    assert out.splitlines() == [
        '"""import cryocosim in a docstring stays"""',
        "import cryocosim_0123456789ab as cryocosim",
        "import cryocosim_0123456789ab.fmi, cryocosim_0123456789ab as cryocosim, os",
        "import cryocosim_0123456789ab.fmus.gas as gas  # noqa",
        "from cryocosim_0123456789ab import Actor  # µ: a multi-byte character before nothing",
        "from cryocosim_0123456789ab.fmus import (motor,",
        "                            shaft)",
        "from . import units",
        "from .cryocosim import x",
        "import cryocosimx",
        "",
        "",
        "def f():",
        "    from cryocosim_0123456789ab.units import parse_unit  # °C",
        '    return cryocosim.fmi, "from cryocosim import y"',
    ]
    assert rewrite_imports("import os\n", {"cryocosim": "x"}) == "import os\n"


def test_shipped_sources_import_only_the_shipped_names(fmu_dir):
    """No module inside an FMU imports ``cryocosim`` (or the fixture module) by its own name."""
    from fmi_fixture_actor import FirstOrderLag

    path = fmu_cache(FirstOrderLag, fmu_dir)
    with zipfile.ZipFile(path) as zf:
        sources = {n: zf.read(n).decode() for n in zf.namelist()
                   if n.endswith(".py") and not n.startswith("resources/pythonfmu/")}
    assert any(re.fullmatch(r"resources/fmi_fixture_actor_[0-9a-f]{12}\.py", n) for n in sources)
    tops = set()
    for name, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                tops.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                tops.add(node.module.split(".")[0])
    assert "cryocosim" not in tops and "fmi_fixture_actor" not in tops
    assert shipped_package(path) in tops


# ==============================================================================================
# 3. requirements
# ==============================================================================================
def _declared(path) -> tuple[list[str], dict]:
    with zipfile.ZipFile(path) as zf:
        text = zf.read("resources/requirements.txt").decode()
        script = zf.read("resources/" + zf.read("resources/slavemodule.txt").decode().strip() + ".py").decode()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    tree = ast.parse(script)
    reqs = next(ast.literal_eval(n.value) for n in tree.body
                if isinstance(n, ast.Assign) and n.targets[0].id == "REQUIREMENTS")
    return lines, reqs


def project_requirement(distribution: str) -> str:
    """cryocosim's own unconditional requirement of ``distribution`` (``CoolProp>=6.6``), from
    the installed distribution's metadata (pyproject's ``dependencies``)."""
    return next(r for r in importlib.metadata.requires("cryocosim")
                if ";" not in r and re.match(rf"{re.escape(distribution)}\s*[<>=!~]", r))


@pytest.mark.parametrize("name, expected", [
    ("motor", []), ("thermal_load", ["numpy"]), ("gas_volume", ["CoolProp"]),
    ("recuperator", ["CoolProp", "numpy", "scipy"])])
def test_requirements_txt_names_the_packages_with_lower_bounds(name, expected, fmu_dir):
    """The bounds are the ones cryocosim declares (numpy>=1.26 in pyproject), not the versions
    installed where the FMU was exported (numpy 2.x): installing them forces no upgrade."""
    path = fmu_cache(model(name), fmu_dir)
    lines, reqs = _declared(path)
    assert lines == [project_requirement(d) for d in expected]
    assert reqs == dict(zip(expected, lines)) == requirements(model(name))


_RUNTIME_IMPORTS = r'''
import importlib, json, sys
import cryocosim
module, cls_name, inputs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
before = set(sys.modules)
cls = getattr(importlib.import_module(module), cls_name)
actor = cls(name="x")
for key, value in inputs.items():
    setattr(actor, key, value)
actor.setup()
actor.initialize_outputs(0.0)
for k in range(3):
    actor.do_step(k * cls.default_step, cls.default_step)
new = {m.split(".")[0] for m in set(sys.modules) - before}
print(json.dumps(sorted(n for n in new if getattr(sys.modules.get(n), "__file__", None)  # packages
                        and not n.startswith("_")  # extension internals (_cyutility, _sysconfigdata...)
                        and n not in sys.stdlib_module_names and n != "cryocosim")))
'''


def test_requirements_cover_what_the_models_import_when_they_run():
    """Each model run natively in a fresh interpreter (set-up, initialisation, three steps with
    non-trivial inputs): every third-party package it imports is among its requirements (the
    gas properties import CoolProp lazily, in set-up)."""
    names = ["motor", "gas_volume", "recuperator", "dewar"]
    procs = {}
    for name in names:
        cls = model(name)
        procs[name] = subprocess.Popen(
            [sys.executable, "-c", _RUNTIME_IMPORTS, cls.__module__, cls.__name__,
             json.dumps(INPUTS.get(name, {}))], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        imported = set(json.loads(out.splitlines()[-1]))
        declared = set(requirements(model(name)))
        assert imported <= declared, f"{name} imports {sorted(imported - declared)} undeclared"
        if name == "gas_volume":
            assert "CoolProp" in imported


_MISSING_COOLPROP = r'''
import json, sys
BLOCK = {"CoolProp"}
class Blocker:  # CoolProp is not installed in this Python
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, Blocker())
import fmpy
from cryocosim import ModelError
from cryocosim.fmi.fmu_actor import load_fmu_actor_class
FMU = sys.argv[1]
result = {}
for debug in (True, False):
    messages = []
    def logger(component, instance, status, category, message):
        messages.append((status, message.decode()))
    try:
        fmpy.simulate_fmu(FMU, stop_time=0.1, debug_logging=debug, logger=logger)
        result[str(debug)] = "ran"
    except Exception as exc:
        result[str(debug)] = [str(exc), messages]
try:
    load_fmu_actor_class(FMU)(name="lp").setup()
    result["engine"] = "ran"
except ModelError as exc:
    result["engine"] = str(exc)
print(json.dumps(result))
'''


def test_missing_package_is_named_in_the_fmi_log(fmu_dir):
    """CoolProp missing: fmi2Instantiate fails; with logging on, fmpy's logger callback gets a
    fatal message naming CoolProp and its requirement (without it, pythonfmu's binary passes
    nothing to the logger: standard error carries the message); the engine's FMU actor raises a
    ModelError that names it."""
    path = fmu_cache(model("gas_volume"), fmu_dir)
    out = run_python(_MISSING_COOLPROP, path)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.splitlines()[-1])
    wanted = project_requirement("CoolProp")
    assert wanted.startswith("CoolProp>=")
    error, messages = result["True"]
    assert error == "Failed to instantiate model"
    fatal = [text for status, text in messages if status == 4]
    assert any("the Python package 'CoolProp' is not installed" in t and wanted in t
               and "requirements.txt" in t for t in fatal), messages
    error, messages = result["False"]
    assert error == "Failed to instantiate model" and messages == []
    assert "the Python package 'CoolProp' is not installed" in out.stderr
    assert "failed in instantiate" in result["engine"] and "'CoolProp' is not installed" in result["engine"]


# ==============================================================================================
# 4. modelDescription
# ==============================================================================================
def test_generation_tool_author_version_and_license(fmu_dir):
    path = fmu_cache(model("motor"), fmu_dir)
    md = fmpy.read_model_description(str(path))
    version = importlib.metadata.version("cryocosim")
    assert md.generationTool.startswith(f"cryocosim {version} ")
    assert version == cryocosim.__version__  # one source: pyproject reads it from the package
    assert (md.author, md.version, md.license) == (AUTHOR, version, "MIT")
    assert AUTHOR == "cryocosim developers"


def test_integer_parameters_are_integer_variables(fmu_dir):
    """Parameters declared with type=int (the dewar's waveguide counts) are FMI Integers and
    reach the model as ints through the engine's FMU actor."""
    Dewar = model("dewar")
    ints = [v.name for v in Dewar.variables if v.causality == Causality.parameter and v.type is int]
    assert ints == ["n_pump", "n_output", "n_input"]
    path = fmu_cache(Dewar, fmu_dir)
    md = {v.name: v for v in fmpy.read_model_description(str(path)).modelVariables}
    for name in ints:
        assert (md[name].type, md[name].start, md[name].min) == ("Integer", "1", "0")
    Loaded = load_fmu_actor_class(path)
    assert [v.name for v in Loaded.variables if v.type is int] == ints
    fmu, native = Loaded(name="d", n_pump=3, n_input=2), Dewar(name="d", n_pump=3, n_input=2)
    fmu.setup()
    native.setup()
    native.initialize_outputs(0.0)
    outputs = [v.name for v in Dewar.variables if v.causality == Causality.output]
    assert {n: getattr(fmu, n) for n in outputs} == {n: getattr(native, n) for n in outputs}
    fmu.terminate()


@pytest.mark.parametrize("ep", [ep for ep in _MODELS if any(v.choices for v in ep.load().variables)],
                         ids=lambda ep: ep.name)
def test_choice_parameters_list_their_allowed_values(ep, fmu_dir):
    cls = ep.load()
    md = {v.name: v for v in fmpy.read_model_description(str(fmu_cache(cls, fmu_dir))).modelVariables}
    for var in cls.variables:
        if var.choices:
            assert md[var.name].description.startswith(var.description)
            assert md[var.name].description.endswith(f"(one of: {', '.join(var.choices)})")


def test_display_units(fmu_dir):
    """rad/s is shown in rpm, Pa in bar (atm offered too), m3 in L, kg/s in g/s; fmpy reads the
    factors, and value_display = factor * value is the engine's own unit conversion."""
    for name, variables in (("gas_volume", {"p": "bar", "volume": "L", "mdot_in": "g/s", "T": None}),
                            ("motor", {"speed": "rpm"})):
        path = fmu_cache(model(name), fmu_dir)
        assert validate_fmu(str(path)) == []
        md = fmpy.read_model_description(str(path))
        sv = {v.name: v for v in md.modelVariables}
        displays = {u.name: {d.name: (d.factor, d.offset) for d in u.displayUnits} for u in md.unitDefinitions}
        for var, display in variables.items():
            assert sv[var].displayUnit == display, var
            if display is None:
                continue
            factor, offset = displays[sv[var].unit][display]
            assert offset == 0.0
            assert factor * parse_quantity(f"1 {display}", sv[var].unit) == pytest.approx(1.0, rel=1e-15)
    assert set(displays["rad/s"]) == {"rpm"} and displays["rad/s"]["rpm"][0] == pytest.approx(60 / (2 * math.pi), rel=1e-15)
    md = fmpy.read_model_description(str(fmu_cache(model("gas_volume"), fmu_dir)))
    pa = next(u for u in md.unitDefinitions if u.name == "Pa")
    assert {d.name: d.factor for d in pa.displayUnits} == {"bar": 1e-5, "atm": 1 / 101325.0}


_DISPLAY_ACTOR = '''from cryocosim import Actor, Output


class Gauge(Actor):
    """A pressure shown in atm."""

    variables = (Output("p", "Pa", 0.0, "pressure"), Output("q", "Pa", 0.0, "another pressure"))
    display_units = {"p": "atm"}

    def setup(self):
        self.p = self.q = 101325.0

    def do_step(self, t, h):
        pass
'''


def test_display_unit_chosen_by_the_actor_class(tmp_path):
    path = _export_module_version(tmp_path, "gauge", _DISPLAY_ACTOR, "gauge_actor", "Gauge")
    assert validate_fmu(str(path)) == []
    sv = {v.name: v for v in fmpy.read_model_description(str(path)).modelVariables}
    assert (sv["p"].displayUnit, sv["q"].displayUnit) == ("atm", "bar")


# ==============================================================================================
# 5. docs/fmi.md
# ==============================================================================================
def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


_RUN_BLOCKS = r"""
import json, sys, traceback
for k, code in enumerate(json.loads(sys.argv[1])):
    try:
        exec(compile(code, f"docs/fmi.md python block {k + 1}", "exec"), {"__name__": "__main__"})
    except BaseException:
        traceback.print_exc()
        sys.exit(f"python block {k + 1} failed")
"""


def test_docs_examples_run(tmp_path):
    """The export commands (sh blocks: the lines starting with ``cryocosim export``, but for
    ``--all``) and then every Python block of docs/fmi.md run as written, in order, in one folder
    (the Python blocks one after the other in one interpreter, each in a fresh namespace)."""
    text = (ROOT / "docs" / "fmi.md").read_text()
    commands = [line.split() for block in _blocks(text, "sh") for line in block.splitlines()
                if line.startswith("cryocosim export ") and "--all" not in line]  # --all: 3 s more
    python = _blocks(text, "python")
    assert commands and len(python) >= 3
    cli = Path(sys.executable).parent / "cryocosim"
    for argv in commands:
        out = subprocess.run([str(cli), *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, (argv, out.stderr[-2000:])
    out = run_python(_RUN_BLOCKS, json.dumps(python), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    print(out.stdout)
