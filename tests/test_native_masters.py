"""Our FMUs and SSPs in native FMI masters: a C master and the ecos C++ engine (issue 20).

1. A plain C master (``tests/c_masters/fmi2_master.c``, compiled here with gcc against fmpy's FMI
   headers) runs every registered model's FMU in a subprocess with an **empty environment**:
   instantiate, set up, set inputs in initialisation mode, initialise, step, read every Real
   output, terminate.  The FMU's native launcher loads the Python recorded at export; the numbers
   equal fmpy's on the same FMU bit for bit (the same Python code in the same interpreter
   version with the same packages).
2. The same master with the Python made unreachable (no such interpreter, a missing library, a
   Python too old, a Python without the model's packages) gets one fatal message through the
   FMI logger and a NULL instance: exit status 5, no crash, no unresolved symbol.
3. ``ecos`` (ecospy's binary, run as a plain subprocess, no preload) runs an exported FMU and the
   exported screw-Brayton and 4 K SSPs; its CSV equals the engine's fixed-step explicit Jacobi
   run at the same steps, to the 6 decimals ecos prints.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from importlib.metadata import entry_points
from pathlib import Path
from xml.etree import ElementTree as ET

import fmpy
import pytest
from fmpy.fmi2 import FMU2Slave

from cryocosim import Causality, System, scenario, ssp
from cryocosim.errors import CryocosimWarning
from cryocosim.fmi.export import fmu_cache
from cryocosim.fmi.native import ENV_PYTHON, INNER_SUFFIX
from test_libcosim import INPUTS  # non-trivial inputs per model (flows, speeds, loads)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="native masters: linux64 only")

ROOT = Path(__file__).resolve().parents[1]
MASTER_SOURCE = Path(__file__).parent / "c_masters" / "fmi2_master.c"
STEPS = 5
_MODELS = sorted(entry_points(group="cryocosim.models"), key=lambda ep: ep.name)

def real_outputs(cls) -> list[str]:
    return [v.name for v in cls.variables if v.causality == Causality.output and v.type is float]

@pytest.fixture(scope="module")
def fmu_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fmus")

@pytest.fixture(scope="module")
def c_master(tmp_path_factory) -> Path:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("needs a C compiler")
    exe = tmp_path_factory.mktemp("c_master") / "fmi2_master"
    include = Path(fmpy.__file__).parent / "c-code"
    subprocess.run([gcc, "-O1", "-Wall", f"-I{include}", "-o", str(exe), str(MASTER_SOURCE), "-ldl"],
                   check=True, capture_output=True, timeout=60)
    return exe

class Extracted:
    """An FMU unpacked as a master unpacks it, with what the C master needs to run it."""

    def __init__(self, path: Path, where: Path):
        self.md = fmpy.read_model_description(str(path))
        self.dir = Path(fmpy.extract(str(path), unzipdir=str(where)))
        self.vr = {v.name: v.valueReference for v in self.md.modelVariables}
        self.types = {v.name: v.type for v in self.md.modelVariables}
        self.model = self.md.coSimulation.modelIdentifier
        self.binary = self.dir / "binaries" / "linux64" / f"{self.model}.so"
        self.resources = self.dir / "resources"

    def master_args(self, inputs: dict, outputs: list[str], steps: int, h: float) -> list[str]:
        prefix = {"Real": "r", "Integer": "i", "Boolean": "b", "String": "s"}
        sets = [f"{prefix[self.types[n]]}{self.vr[n]}={v!r}" for n, v in inputs.items()]
        return ([str(self.binary), self.md.guid, self.resources.as_uri(), repr(h), str(steps)] + sets
                + ["--"] + [str(self.vr[n]) for n in outputs])

def run_c_master(exe: Path, fmu: Extracted, inputs: dict, outputs: list[str], steps: int, h: float,
                 env: dict | None = None):
    """(completed process, rows of [t, outputs...]) of the C master in an empty environment (plus ``env``)."""
    out = subprocess.run([str(exe)] + fmu.master_args(inputs, outputs, steps, h), env=dict(env or {}),
                         capture_output=True, text=True, timeout=300)
    rows = [[float(x) for x in line.split()[1:]] for line in out.stdout.splitlines() if line.startswith("OUT ")]
    return out, rows

def run_fmpy(fmu: Extracted, inputs: dict, outputs: list[str], steps: int, h: float) -> list[list[float]]:
    """The same call sequence in fmpy (this Python process)."""
    slave = FMU2Slave(guid=fmu.md.guid, unzipDirectory=str(fmu.dir), modelIdentifier=fmu.model,
                      instanceName="fmpy")
    slave.instantiate()
    slave.setupExperiment(startTime=0.0)
    slave.enterInitializationMode()
    for name, value in inputs.items():
        setter = {"Real": slave.setReal, "Integer": slave.setInteger, "Boolean": slave.setBoolean}[fmu.types[name]]
        setter([fmu.vr[name]], [value])
    slave.exitInitializationMode()
    refs, rows, t = [fmu.vr[n] for n in outputs], [], 0.0
    for k in range(steps + 1):
        if k:
            slave.doStep(t, h)
            t = k * h
        rows.append([t] + slave.getReal(refs))
    slave.terminate()
    slave.freeInstance()
    return rows

# ==============================================================================================
# 1. every model in a C master with an empty environment
# ==============================================================================================
@pytest.mark.parametrize("ep", _MODELS, ids=[ep.name for ep in _MODELS])
def test_c_master_runs_every_model_like_fmpy(ep, c_master, fmu_dir, tmp_path):
    cls = ep.load()
    fmu = Extracted(fmu_cache(cls, fmu_dir), tmp_path)
    outputs, h, inputs = real_outputs(cls), float(cls.default_step), INPUTS.get(ep.name, {})
    out, rows = run_c_master(c_master, fmu, inputs, outputs, STEPS, h)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    expected = run_fmpy(fmu, inputs, outputs, STEPS, h)
    assert len(rows) == STEPS + 1
    # bit for bit: the same Python code, interpreter and packages; only the host differs
    assert rows == expected

def test_launcher_needs_no_python_symbols(fmu_dir, tmp_path):
    """The FMU's model binary is the launcher: it resolves no Python symbol at load time (the
    pythonfmu binary beside it does, once the launcher has loaded libpython)."""
    cls = next(ep for ep in _MODELS if ep.name == "motor").load()
    fmu = Extracted(fmu_cache(cls, fmu_dir), tmp_path)
    undefined = subprocess.run(["nm", "-D", "--undefined-only", str(fmu.binary)], capture_output=True,
                               text=True, check=True).stdout
    assert not re.search(r"\bPy\w*|_Py\w*", undefined), undefined
    inner = fmu.binary.with_name(fmu.model + INNER_SUFFIX)
    assert "_Py_NoneStruct" in subprocess.run(["nm", "-D", "--undefined-only", str(inner)],
                                              capture_output=True, text=True, check=True).stdout
    cfg = (fmu.resources / "python.cfg").read_text()
    assert f"executable = {sys.executable}" in cfg and "library = " in cfg
    assert (fmu.resources / "python_check.py").is_file()

# ==============================================================================================
# 2. no usable Python: one message through the logger, a NULL instance
# ==============================================================================================
def _fails_with_one_message(out, *fragments: str) -> str:
    assert out.returncode == 5, f"exit {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    logs = [line for line in out.stdout.splitlines() if line.startswith("LOG ")]
    assert len(logs) == 1 and logs[0].startswith("LOG 4 logStatusFatal FMU 'GasVolume' cannot run: "), out.stdout
    message = logs[0]
    for fragment in fragments:
        assert fragment in message, message
    assert f"{ENV_PYTHON}=/path/to/bin/python" in message  # how to point the FMU at a Python
    assert "undefined symbol" not in out.stdout + out.stderr and "Traceback" not in out.stdout + out.stderr
    return message

@pytest.fixture(scope="module")
def gas_volume(fmu_dir):
    return fmu_cache(next(ep for ep in _MODELS if ep.name == "gas_volume").load(), fmu_dir)

def test_no_such_python(c_master, gas_volume, tmp_path):
    fmu = Extracted(gas_volume, tmp_path)
    out, _ = run_c_master(c_master, fmu, {}, ["p"], 1, 0.05, env={ENV_PYTHON: str(tmp_path / "no" / "python")})
    _fails_with_one_message(out, f"{ENV_PYTHON} names '{tmp_path / 'no' / 'python'}', which does not exist")

def test_recorded_python_library_gone(c_master, gas_volume, tmp_path):
    """The FMU taken to a machine where the recorded interpreter is not (its python.cfg names a
    library that does not exist)."""
    fmu = Extracted(gas_volume, tmp_path)
    cfg = fmu.resources / "python.cfg"
    gone = "/opt/elsewhere/lib/libpython3.11.so.1.0"
    cfg.write_text(re.sub(r"(?m)^library = .*$", f"library = {gone}", cfg.read_text()))
    out, _ = run_c_master(c_master, fmu, {}, ["p"], 1, 0.05)
    _fails_with_one_message(out, f"its Python library '{gone}'", "does not exist", str(cfg))

def _other_pythons() -> list[Path]:
    """CPython interpreters on this machine other than this one's version (pyenv's, the system's)."""
    found = []
    for pattern in ("~/.pyenv/versions/3.*/bin/python3", "/usr/bin/python3.*", "/usr/local/bin/python3.*"):
        found += sorted(Path(p) for p in __import__("glob").glob(os.path.expanduser(pattern))
                        if re.fullmatch(r"python3(\.\d+)?", Path(p).name))
    return found

def _version_of(python: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run([str(python), "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
        return tuple(map(int, out.stdout.split())) if out.returncode == 0 else None
    except OSError:
        return None

def test_python_too_old(c_master, gas_volume, tmp_path):
    old = next((p for p in _other_pythons() if (_version_of(p) or (99,))[:2] < (3, 11)
                and (_version_of(p) or (0,))[0] == 3), None)
    if old is None:
        pytest.skip("no CPython 3 older than 3.11 on this machine")
    fmu = Extracted(gas_volume, tmp_path)
    out, _ = run_c_master(c_master, fmu, {}, ["p"], 1, 0.05, env={ENV_PYTHON: str(old)})
    major, minor = _version_of(old)
    _fails_with_one_message(out, f"is Python {major}.{minor}", "the FMU needs CPython 3.11 or newer")

def test_python_without_the_packages(c_master, gas_volume, tmp_path):
    """A fresh virtual environment of this very interpreter: the right Python, no CoolProp."""
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    fmu = Extracted(gas_volume, tmp_path / "fmu")
    out, _ = run_c_master(c_master, fmu, {}, ["p"], 1, 0.05, env={ENV_PYTHON: str(venv / "bin" / "python")})
    _fails_with_one_message(out, f"at {venv / 'bin' / 'python'} lacks CoolProp>=", "(not installed)")

def test_python_named_by_the_environment_runs_the_model(c_master, gas_volume, tmp_path):
    """CRYOCOSIM_PYTHON naming this interpreter (its facts asked at load time) or a python.cfg
    written by python_check.py --describe: the same numbers as the recorded one."""
    fmu = Extracted(gas_volume, tmp_path)
    inputs, outputs = INPUTS["gas_volume"], ["p", "T", "mass"]
    _, recorded = run_c_master(c_master, fmu, inputs, outputs, 3, 0.05)
    out, named = run_c_master(c_master, fmu, inputs, outputs, 3, 0.05, env={ENV_PYTHON: sys.executable})
    assert out.returncode == 0, out.stdout + out.stderr
    cfg = tmp_path / "here.cfg"
    cfg.write_text(subprocess.run([sys.executable, str(fmu.resources / "python_check.py"), "--describe"],
                                  capture_output=True, text=True, check=True).stdout)
    (fmu.resources / "python.cfg").unlink()  # the FMU's own record is not needed then
    out, from_file = run_c_master(c_master, fmu, inputs, outputs, 3, 0.05, env={ENV_PYTHON: str(cfg)})
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(recorded) == 4 and recorded == named == from_file


# ==============================================================================================
# 3. ecos, a C++ co-simulation engine, as a plain subprocess
# ==============================================================================================
# ecos prints every Real with 6 decimals (std::to_string): a value equals the engine's when the two
# differ by at most half a unit of the 6th decimal (the printing) plus 1e-9 of the value (the
# coupling: ecos passes the accumulated time t + h where the engine passes k * h, and the motor's
# soft start reads the time; measured differences are ~1e-13 relative, far below both terms)
PRINTED = 0.5e-6
RTOL_ECOS = 1e-9


def _tbb_folder() -> Path:
    """The folder holding libtbb.so.12, which ecos' binary needs (PyPI's tbb wheel puts it in the
    environment's lib/)."""
    from importlib.metadata import PackageNotFoundError, files

    try:
        for f in files("tbb") or []:
            if f.name == "libtbb.so.12":
                return Path(f.locate()).resolve().parent
    except PackageNotFoundError:
        pass
    return Path(sys.prefix) / "lib"


@pytest.fixture(scope="module")
def ecos(tmp_path_factory):
    """(the ecos executable, its environment): ecospy's binary with its run bit (the wheel installs
    it without), in an environment that holds only the folder of libtbb.so.12."""
    import importlib.util

    spec = importlib.util.find_spec("ecospy")  # not imported: its module loads libecosc.so at once
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("needs ecospy (the test extra)")
    source = Path(list(spec.submodule_search_locations)[0]) / "binaries" / "ecos"
    exe = tmp_path_factory.mktemp("ecos") / "ecos"
    shutil.copy2(source, exe)
    exe.chmod(0o755)
    return exe, {"LD_LIBRARY_PATH": str(_tbb_folder())}


def run_ecos(ecos, path: Path, stop: float, h: float, cwd: Path, parameter_set: str | None = None) -> list[dict]:
    """``ecos simulate`` of an FMU or SSP; the rows of the CSV it writes (``instance.variable`` ->
    float for Reals and Integers, str for Strings), one per step from t = 0."""
    exe, env = ecos
    # ecos steps while its accumulated time + h <= stopTime: half a step more, so that rounding in
    # the sum (39 x 0.05 + 0.05 = 2.0000000000000004) does not drop the last step
    cmd = [str(exe), "simulate", "--path", str(path), "--stopTime", repr(stop + h / 2), "--stepSize", repr(h)]
    if parameter_set:
        cmd += ["--parameterSet", parameter_set]
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"ecos exited {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    with (cwd / f"{path.stem}.csv").open() as fh:
        header = [c.strip() for c in fh.readline().split(",")]
        rows = []
        for line in fh:
            cells = [c.strip() for c in line.rstrip("\n").split(",")]
            row = {"step": int(cells[0])}
            for name, cell in zip(header[2:], cells[2:]):
                m = re.fullmatch(r"(.+)::(.+)\[(REAL|INT|BOOL|STR)\]", name)
                instance, variable, kind = m.groups()
                row[f"{instance}.{variable}"] = cell if kind == "STR" else float(cell)
            rows.append(row)
    assert [r["step"] for r in rows] == list(range(len(rows)))
    return rows


def mismatches(ecos_rows: list[dict], rec, names=None) -> list[tuple]:
    """(t, variable, ecos, engine) where ecos' CSV and the engine's record (one row per step from
    t = 0) differ by more than the printing and RTOL_ECOS."""
    columns = [c[0] for c in rec.columns]
    bad = []
    assert len(ecos_rows) == len(rec.rows), (len(ecos_rows), len(rec.rows))
    for row, t, values in zip(ecos_rows, rec.times, rec.rows):
        for name, value in zip(columns, values):
            if name not in row or (names and name not in names) or isinstance(value, str):
                continue
            if not abs(row[name] - value) <= PRINTED + RTOL_ECOS * abs(value):
                bad.append((t, name, row[name], value))
    return bad


def test_ecos_runs_an_exported_fmu_like_the_engine(ecos, fmu_dir, tmp_path):
    """The J-T stage's FMU alone (its inputs at their start values: the 4 K station cools from
    300 K through its switch), 20 steps of 1 s, against the engine running the native actor."""
    cls = next(ep for ep in _MODELS if ep.name == "jt_stage").load()
    path = fmu_cache(cls, fmu_dir)
    h, steps = float(cls.default_step), 20
    rows = run_ecos(ecos, path, steps * h, h, tmp_path)
    system = System("the J-T stage alone")
    starts = {v.name: v.start for v in cls.variables if v.causality == Causality.input}
    system.add("instance", cls, step=h, **starts)  # ecos names an FMU's instance 'instance'
    rec = system.run(steps * h, tolerance=None, iterate=False, ordering="jacobi", output_interval=h,
                     dataset=False)
    assert rows[-1]["instance.T"] < rows[0]["instance.T"] - 1e-3  # it moved: a real comparison
    assert mismatches(rows, rec) == []


SYSTEMS = {  # scenario, simulated time compared (s), the step of every actor (s)
    "screw_brayton": (ROOT / "scenarios/screw_brayton_cooldown.toml", 2.0, 0.05),
    "4k": (ROOT / "scenarios/4k_cooldown.toml", 60.0, 1.0),
}


@pytest.fixture(scope="module", params=sorted(SYSTEMS))
def exported(request, tmp_path_factory, fmu_dir):
    """(name, the scenario's system, its SSP, the engine's fixed explicit Jacobi run recorded every
    step): the same comparison as ``cryocosim run SCENARIO --tolerance 0 --no-iterate``."""
    path, stop, h = SYSTEMS[request.param]
    tmp = tmp_path_factory.mktemp(request.param)
    system, settings = scenario.load(path)
    assert set(system.steps.values()) == {h}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)  # events and adaptive steps are not carried
        package = ssp.export_system(system, tmp / f"{request.param}.ssp", settings, stop_time=stop,
                                    fmu_dir=fmu_dir)
    rec = system.run(stop, tolerance=None, iterate=False, ordering="jacobi", output_interval=h, dataset=False)
    return request.param, system, package, rec, stop, h


def parameters(system) -> dict:
    """``actor.parameter`` -> value of every parameter the scenario sets (the values an SSP carries)."""
    return {f"{actor}.{name}": getattr(system.bus.actors[actor], name)
            for actor, params in system.params.items() for name in params}


def test_ecos_runs_the_exported_ssp_like_the_engine(exported, ecos, tmp_path):
    name, system, package, rec, stop, h = exported
    rows = run_ecos(ecos, package, stop, h, tmp_path, parameter_set=ssp.PARAMETER_SET)
    # the parameter values reached every FMU (t = 0): numbers to the printed digits, strings exactly
    carried = parameters(system)
    assert carried and all(k in rows[0] for k in carried)
    wrong = {k: (rows[0][k], v) for k, v in carried.items()
             if not (rows[0][k] == v if isinstance(v, str) else abs(rows[0][k] - v) <= PRINTED + RTOL_ECOS * abs(v))}
    assert wrong == {}
    assert mismatches(rows, rec) == []


# ==============================================================================================
# 4. the exported SSPs' parameter values, applied by every master (ecos: above)
# ==============================================================================================
def test_every_master_applies_the_ssp_parameter_values(exported):
    """libcosim (its default parameter set: each component's first) and this engine's reader
    start from the scenario's parameter values; every set carries the one name ecos is given."""
    from libcosimpy.CosimExecution import CosimExecution
    from libcosimpy.CosimLogging import CosimLogLevel, log_output_level
    from libcosimpy.CosimObserver import CosimObserver

    name, system, package, rec, stop, h = exported
    carried = parameters(system)
    with zipfile.ZipFile(package) as zf:
        sets = {ET.fromstring(zf.read(n)).get("name") for n in zf.namelist() if n.endswith(".ssv")}
    assert sets == {ssp.PARAMETER_SET}

    twin, _ = ssp.load(package)
    assert {k: getattr(twin.bus.actors[k.split(".")[0]], k.split(".")[1]) for k in carried} == carried

    log_output_level(CosimLogLevel.ERROR)
    execution = CosimExecution.from_ssp_file(str(package))
    observer = CosimObserver.create_last_value()
    execution.add_observer(observer)
    assert execution.step(1)
    index = {info.name.decode(): info.index for info in execution.slave_infos()}
    # libcosim keeps running both systems: its first step is the engine's to the bit (the same
    # step size, 0 -> h, from the same consistent start; later steps are differences of integer
    # nanoseconds, tests/test_ssp.py)
    first = dict(zip([c[0] for c in rec.columns], rec.rows[1]))
    got = {}
    for actor, i in index.items():
        names = [v.name for v in system.bus.actors[actor].variables
                 if v.causality == Causality.output and v.type is float]
        vr = {v.name.decode(): v.reference for v in execution.slave_variables(i)}
        got.update(zip([f"{actor}.{n}" for n in names], observer.last_real_values(i, [vr[n] for n in names])))
    assert got and {k: (x, first[k]) for k, x in got.items() if x != first[k]} == {}
    seen = {}
    for key, value in carried.items():
        actor, variable = key.split(".")
        i = index[actor]
        vr = {v.name.decode(): v.reference for v in execution.slave_variables(i)}[variable]
        read = {float: observer.last_real_values, int: observer.last_integer_values,
                bool: observer.last_boolean_values, str: observer.last_string_values}[type(value)]
        got = read(i, [vr])[0]
        seen[key] = got.decode() if isinstance(got, bytes) else got
    del observer, execution
    assert seen == carried  # exactly: the .ssv holds every double to the last bit


# ==============================================================================================
# 5. docs/fmi.md: the native masters' commands run as written
# ==============================================================================================
def test_docs_native_master_commands_run(tmp_path):
    """The sh blocks of docs/fmi.md's "Running FMUs in a native master" run in order with bash
    (but the pip install, done by the test extra), from a folder that holds the repository's
    tests/ and scenarios/; the C master prints the output the page shows, ecos writes its CSVs."""
    text = (ROOT / "docs" / "fmi.md").read_text()
    section = text.split("## Running FMUs in a native master", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.M | re.S)
    shown = re.findall(r"^```text\n(.*?)^```", section, re.M | re.S)[0]
    assert len(blocks) == 3
    for name in ("tests", "scenarios"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    outputs = []
    for block in blocks:
        script = "\n".join(line for line in block.splitlines() if not line.startswith("python -m pip install"))
        out = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=600)
        assert out.returncode == 0, f"{script}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        outputs.append(out.stdout)
    assert [line for line in outputs[1].splitlines() if line.startswith("OUT ")] == shown.splitlines()
    for csv_name, steps in (("JTStage.csv", 20), ("cooldown.csv", 100)):
        lines = (tmp_path / csv_name).read_text().splitlines()
        assert lines[0].startswith("iterations, time") and len(lines) == 1 + steps + 1, (csv_name, len(lines))
