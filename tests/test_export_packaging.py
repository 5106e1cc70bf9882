"""What an exported FMU ships, where it may be written, and what it states it needs.

1. Only Python sources: of the cryocosim package (engine, fmus, fmi) and of an actor's own
   package; no result file, earlier FMU, ``__pycache__``, C source or ``wrapper.py.tmpl`` lying
   in those folders, and ``fmu_digest`` covers exactly what is shipped.
2. An output folder inside a shipped folder (symlinks resolved) is refused in one line, by
   ``export_fmu``, ``fmu_cache`` and the ``export`` / ``export-system --fmu-dir`` commands.
3. A failed export (a file-size limit, a broken archive) leaves no partial FMU and no temporary
   file, and keeps the FMU that was there.
4. requirements.txt: the bounds cryocosim declares, a bare name for a package it does not.

Every test runs the exporter for real on the small Motor model or a tiny actor, and reads the zip.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tomllib
import warnings
import zipfile
from pathlib import Path

import fmpy
import pytest

import cryocosim
from cryocosim import cli
from cryocosim.errors import ConfigurationError
from cryocosim.fmi import export
from cli_output import errors_only
from cryocosim.fmi.export import export_fmu, fmu_cache, fmu_digest, requirements, source_hash
from cryocosim.fmus.motor import Motor

ENGINE = Path(cryocosim.__file__).resolve().parent
FMUS = Path(cryocosim.fmus.__file__).resolve().parent


# pythonfmu prepends the FMU's resources/ folder to sys.path at every instantiation: every test
# here restores it (conftest.keep_sys_path)
pytestmark = pytest.mark.usefixtures("keep_sys_path")


def members(path: Path, top: str) -> tuple[set[str], str]:
    """The files of the FMU under ``resources/<top>_<digest>/``, relative to that folder, and
    the digest's 12 digits."""
    pattern = re.compile(rf"resources/{top}_([0-9a-f]{{12}})/(.+)")
    with zipfile.ZipFile(path) as zf:
        found = [m for n in zf.namelist() if (m := pattern.fullmatch(n))]
    assert len({m.group(1) for m in found}) == 1, "one shipped copy"
    return {m.group(2) for m in found}, found[0].group(1)


def python_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.py") if "__pycache__" not in p.parts}


def add_junk(folder: Path) -> None:
    """What lies around in a working folder and is no part of the package."""
    (folder / "result.nc").write_bytes(b"CDF\x01" + bytes(1000))
    (folder / "Old.fmu").write_bytes(b"PK\x03\x04" + bytes(1000))
    (folder / "notes.txt").write_text("not code\n")
    (folder / "native.c").write_text("int main(void) { return 0; }\n")
    (folder / "__pycache__").mkdir(exist_ok=True)
    (folder / "__pycache__" / "stale.cpython-311.pyc").write_bytes(bytes(100))
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "scratch-checkpoint.py").write_text("x = 1\n")
    (folder / "build-2").mkdir()
    (folder / "build-2" / "copy.py").write_text("x = 1\n")


# ==============================================================================================
# 1. only the package's code
# ==============================================================================================
def test_the_package_ships_its_python_sources_only(tmp_path, monkeypatch):
    """A copy of the package with junk in its folders: the FMU ships the Python sources (and the
    package data listed as read at run time, here a table), nothing else; the digest changes with
    a shipped file, not with the junk."""
    engine, fmus = tmp_path / "engine", tmp_path / "fmus"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ENGINE, engine, ignore=ignore)
    shutil.copytree(FMUS, fmus, ignore=ignore)
    sources = python_files(engine) | {f"fmus/{p}" for p in python_files(fmus)}
    monkeypatch.setattr(export, "_package_dirs",
                        lambda: [("", engine), ("fmus", fmus), ("fmi", engine / "fmi")])
    monkeypatch.setattr(export, "_RUNTIME_DATA", ("fmus/*.csv",))
    before = fmu_digest(Motor)
    for folder in (engine, engine / "fmi", fmus):
        add_junk(folder)
    assert fmu_digest(Motor) == before  # the junk is not shipped
    (fmus / "table.csv").write_text("T,cp\n4.2,5193\n")
    with_table = fmu_digest(Motor)
    assert with_table != before  # run-time package data is
    path = export_fmu(Motor, tmp_path / "out")
    shipped, digest = members(path, "cryocosim")
    assert digest == with_table[:12]
    # the package __init__ is kept as _package_init.py beside a generated __init__.py
    assert shipped == sources | {"_package_init.py", "fmus/table.csv"}
    assert "fmi/wrapper.py.tmpl" not in shipped and (engine / "fmi" / "wrapper.py.tmpl").is_file()
    with zipfile.ZipFile(path) as zf:
        resources = [n for n in zf.namelist() if n.startswith("resources/")]
    assert not [n for n in resources if not n.endswith((".py", ".txt", ".csv", ".cfg"))], resources
    # the native launcher's record of the Python to start (tests/test_native_masters.py)
    assert [n for n in resources if n.endswith(".cfg")] == ["resources/python.cfg"]
    assert sorted(n for n in resources if n.endswith(".txt")) == ["resources/requirements.txt",
                                                                  "resources/slavemodule.txt"]
    with (fmus / "motor.py").open("a") as fh:
        fh.write("# an edit\n")
    assert fmu_digest(Motor) != with_table  # a shipped source is covered


def test_the_installed_package_ships_no_data_or_template(tmp_path):
    """The real package: every shipped file is one of its Python sources."""
    path = export_fmu(Motor, tmp_path)
    shipped, _ = members(path, "cryocosim")
    assert shipped == python_files(ENGINE) | {f"fmus/{p}" for p in python_files(FMUS)} | {"_package_init.py"}
    with zipfile.ZipFile(path) as zf:
        assert not [n for n in zf.namelist() if n.endswith((".fmu", ".nc", ".tmpl", ".c", ".pyc"))]


_GADGET = '''
"""A tiny actor package: y = SCALE * u, SCALE from a sub-module."""
from cryocosim import Actor, Input, Output
from .sub.helper import SCALE


class Gadget(Actor):
    variables = (Input("u", "1", 2.0, "input"), Output("y", "1", 0.0, "output"))
    default_step = 1.0

    def initialize_outputs(self, t):
        self.y = SCALE * self.u

    def setup(self):
        self.initialize_outputs(0.0)

    def do_step(self, t, h):
        self.y = SCALE * self.u
'''


@pytest.fixture
def gadget(tmp_path):
    """An actor package outside cryocosim (``gadget``, with a sub-package), imported."""
    src = tmp_path / "src"
    pkg = src / "gadget"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text(_GADGET)
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "helper.py").write_text("SCALE = 3.0\n")
    sys.path.insert(0, str(src))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module("gadget").Gadget
    finally:
        sys.path.remove(str(src))
        for name in [m for m in sys.modules if m == "gadget" or m.startswith("gadget.")]:
            del sys.modules[name]


def test_an_actor_package_ships_its_python_sources_only(gadget, tmp_path):
    """The actor's own package with junk in it: only its Python sources are shipped, the FMU
    runs on them (fmpy), and the digest follows them, not the junk."""
    pkg = Path(sys.modules["gadget"].__file__).parent
    before = fmu_digest(gadget)
    add_junk(pkg)
    add_junk(pkg / "sub")
    assert fmu_digest(gadget) == before
    path = export_fmu(gadget, tmp_path / "out")
    shipped, digest = members(path, "gadget")
    assert shipped == {"__init__.py", "sub/__init__.py", "sub/helper.py"}
    assert digest == before[:12]
    result = fmpy.simulate_fmu(str(path), stop_time=2.0, output_interval=1.0, output=["y"])
    assert list(result["y"]) == [6.0, 6.0, 6.0]  # SCALE from the shipped sub-module
    (pkg / "sub" / "helper.py").write_text("SCALE = 4.0\n")
    assert fmu_digest(gadget) != before


def test_the_wrapper_template_is_in_source_hash_not_in_the_digest(tmp_path, monkeypatch):
    """The template is not shipped, but the wrapper script is made from it: an edit re-exports
    a cached FMU (source_hash) without renaming the shipped modules (fmu_digest)."""
    template = tmp_path / "wrapper.py.tmpl"
    template.write_text(export._TEMPLATE.read_text() + "# an edit\n")
    digest, stamp = fmu_digest(Motor), source_hash(Motor)
    monkeypatch.setattr(export, "_BUILD_FILES", (template,))
    assert fmu_digest(Motor) == digest and source_hash(Motor) != stamp


# ==============================================================================================
# 2. no output folder inside the package
# ==============================================================================================
def test_an_output_folder_inside_a_shipped_folder_is_refused(gadget, tmp_path):
    """export_fmu and fmu_cache refuse, in one line naming the folder, an output folder inside
    the package's folders or the actor package's, also through a symlink; nothing is created."""
    link = tmp_path / "link"
    link.symlink_to(FMUS, target_is_directory=True)
    gadget_dir = Path(sys.modules["gadget"].__file__).parent
    cases = [(Motor, ENGINE / "fmu_out", ENGINE), (Motor, FMUS, FMUS),
             (Motor, ENGINE / "fmi" / "a" / "b", ENGINE), (Motor, link / "out", FMUS),
             (gadget, gadget_dir / "out", gadget_dir), (gadget, ENGINE, ENGINE)]
    # what a refusal that failed would write into the package (none of it there before)
    strays = [ENGINE / "fmu_out", ENGINE / "fmi" / "a", FMUS / "out", FMUS / "Motor.fmu",
              FMUS / "Motor.fmu.sha256", ENGINE / "Gadget.fmu", ENGINE / "Gadget.fmu.sha256"]
    assert not any(p.exists() for p in strays)
    try:
        for cls, out, folder in cases:
            for call in (export_fmu, fmu_cache):
                with pytest.raises(ConfigurationError) as info:
                    call(cls, out)
                assert str(info.value) == (
                    f"cannot export FMUs into '{out}': it is inside '{folder}', whose sources the "
                    "FMUs ship; choose a folder outside it (e.g. build/fmus)")
        assert not any(p.exists() for p in strays) and not (gadget_dir / "out").exists()
    finally:  # should the refusal fail, leave the package as it was
        for stray in strays:
            if stray.is_dir():
                shutil.rmtree(stray)
            else:
                stray.unlink(missing_ok=True)


def test_the_commands_refuse_an_output_folder_inside_the_package(tmp_path, capsys, monkeypatch):
    """cryocosim export -o and export-system --fmu-dir: one line, exit status 2, no traceback."""
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # main() replaces it
    from test_scenario import GOOD  # a Constant into an Integrator (tests/engine_actors.py)

    scenario = tmp_path / "small.toml"
    scenario.write_text(GOOD)
    runs = [(["export", "motor", "-o", str(FMUS / "build")], FMUS / "build", FMUS),
            (["export-system", str(scenario), "-o", str(tmp_path / "s.ssp"), "--fmu-dir",
              str(ENGINE / "fmi" / "cache")], ENGINE / "fmi" / "cache", ENGINE)]
    assert not any(out.exists() for _, out, _ in runs)
    try:
        for argv, out, folder in runs:
            assert cli.main(argv) == 2
            err = [line for line in errors_only(capsys.readouterr().err).splitlines()
                   if not line.startswith("cryocosim: warning:")]
            assert err == [f"cryocosim: error: cannot export FMUs into '{out}': it is inside '{folder}', "
                           "whose sources the FMUs ship; choose a folder outside it (e.g. build/fmus)"]
            assert not out.exists()
        assert not (tmp_path / "s.ssp").exists()
    finally:
        for _, out, _ in runs:
            shutil.rmtree(out, ignore_errors=True)


# ==============================================================================================
# 3. a failed export leaves nothing behind
# ==============================================================================================
_LIMIT = 512 * 1024  # bytes: above every staged source file, below an FMU (its binaries: 0.6 MB)


def _file_size_limit():  # in the child, before exec: writes beyond _LIMIT fail with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (_LIMIT, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def _limited(*args: str) -> subprocess.CompletedProcess:
    """Run ``python args...`` in a child process with a file-size limit (this process keeps its own)."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                          preexec_fn=_file_size_limit)


def test_an_export_that_cannot_write_leaves_nothing_behind(tmp_path):
    """Writes limited to 512 kB (RLIMIT_FSIZE, SIGXFSZ ignored) in a child process: the command
    fails in one line naming the FMU (exit 2); the good FMU exported before is untouched and no
    temporary file is left.  fmu_cache likewise: the cached FMU is kept, without a stamp (the next
    call exports again)."""
    out = tmp_path / "out"
    good = export_fmu(Motor, out)
    content = good.read_bytes()
    assert len(content) > _LIMIT
    proc = _limited("-m", "cryocosim", "export", "motor", "-o", str(out))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [f"cryocosim: error: cannot write FMU '{good}': File too large"]
    assert sorted(os.listdir(out)) == ["Motor.fmu"] and good.read_bytes() == content

    cache = tmp_path / "cache"
    cached = fmu_cache(Motor, cache)
    content = cached.read_bytes()
    (cache / "Motor.fmu.sha256").write_text("stale\n")  # sources changed: export again
    code = ("import sys\nfrom cryocosim.fmi.export import fmu_cache\nfrom cryocosim.fmus.motor import Motor\n"
            "from cryocosim.errors import ConfigurationError\n"
            "try:\n    fmu_cache(Motor, sys.argv[1])\nexcept ConfigurationError as exc:\n    print(exc)\n")
    proc = _limited("-c", code, str(cache))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"cannot write FMU '{cached}': File too large"]
    assert sorted(os.listdir(cache)) == ["Motor.fmu"] and cached.read_bytes() == content


def test_a_broken_build_does_not_replace_a_good_fmu(tmp_path, monkeypatch):
    """A build that writes a broken archive (a stand-in for a failing post-processing step):
    the check before the move refuses it; the good FMU stays, no temporary file is left."""
    good = export_fmu(Motor, tmp_path)
    content = good.read_bytes()

    def truncated(actor_class, extra, fmu):
        fmu.write_bytes(content[: len(content) // 2])

    monkeypatch.setattr(export, "_build", truncated)
    with pytest.raises(ConfigurationError, match=rf"^cannot write FMU '{re.escape(str(good))}': "):
        export_fmu(Motor, tmp_path)
    assert os.listdir(tmp_path) == ["Motor.fmu"] and good.read_bytes() == content


# ==============================================================================================
# 4. requirements: the project's bounds
# ==============================================================================================
def declared(distribution: str) -> str:
    """cryocosim's own unconditional requirement of ``distribution`` (its metadata)."""
    return next(r for r in importlib.metadata.requires("cryocosim")
                if ";" not in r and re.match(rf"{re.escape(distribution)}\s*[<>=!~]", r))


_NEEDY = '''
"""An actor importing numpy (cryocosim declares it) and pytest (only a test extra of cryocosim)."""
import numpy
import pytest

from cryocosim import Actor, Output


class Needy(Actor):
    variables = (Output("y", "1", 0.0, "output"),)
    default_step = 1.0

    def do_step(self, t, h):
        self.y = float(numpy.float64(t))
'''

_ABSENT = '''
from cryocosim import Actor


class Absent(Actor):
    def do_step(self, t, h):
        import cryocosim_absent_package  # noqa: F401  (installed nowhere)
'''

_WITHOUT_PYTEST = r'''
import sys
class Blocker:  # pytest is not installed in this Python
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pytest":
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, Blocker())
import fmpy
try:
    fmpy.simulate_fmu(sys.argv[1], stop_time=1.0)
except Exception as exc:
    print(exc)
'''


def _import(folder: Path, module: str, source: str):
    (folder / f"{module}.py").write_text(source)
    sys.path.insert(0, str(folder))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(module)
    finally:
        sys.path.remove(str(folder))


def test_requirements_carry_the_declared_bounds_or_none(tmp_path):
    """numpy with cryocosim's bound (not the installed version); pytest, only a test extra of
    cryocosim, and a package installed nowhere by bare name; requirements.txt's header says so;
    the wrapper names a missing package and every requirement when the FMU is instantiated."""
    try:
        needy = _import(tmp_path, "needy_actor", _NEEDY).Needy
        absent = _import(tmp_path, "absent_actor", _ABSENT).Absent
        assert requirements(absent) == {"cryocosim_absent_package": "cryocosim_absent_package"}
        reqs = requirements(needy)
        path = export_fmu(needy, tmp_path / "out")
    finally:
        for module in ("needy_actor", "absent_actor"):
            sys.modules.pop(module, None)
    assert reqs == {"numpy": declared("numpy"), "pytest": "pytest"}
    assert declared("numpy") != f"numpy>={importlib.metadata.version('numpy')}"
    with zipfile.ZipFile(path) as zf:
        text = zf.read("resources/requirements.txt").decode()
    assert [ln for ln in text.splitlines() if not ln.startswith("#")] == [declared("numpy"), "pytest"]
    assert "with the version bounds cryocosim declares for them" in text
    assert "without a bound is imported by the model's own code" in text

    proc = subprocess.run([sys.executable, "-c", _WITHOUT_PYTEST, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == "Failed to instantiate model", proc.stderr
    assert ("the Python package 'pytest' is not installed" in proc.stderr
            and f"it needs {declared('numpy')}, pytest (resources/requirements.txt in the FMU): "
                "pip install 'pytest'" in proc.stderr), proc.stderr


def test_the_version_has_one_source():
    """pyproject reads the version from cryocosim.__version__: the installed metadata agrees."""
    assert importlib.metadata.version("cryocosim") == cryocosim.__version__
    text = (ENGINE.parent / "pyproject.toml").read_text()
    project = tomllib.loads(text)
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cryocosim.__version__"}
