"""Which code a run executes, and scenario files that are not files (issue 21, parts 3 and 5).

The rule (cryocosim.trust, README "Which code a run executes"):

* ``cryocosim validate`` executes no code outside the registered models: a scenario naming a
  module outside them (``model = "pkg.mod:Class"``) is refused in one line, exit 2, without
  importing the module or its parent packages (files here write a marker when imported, and the
  test asserts the marker is absent); ``--trust`` imports it and checks it as before; an FMU is
  only read (its modelDescription);
* ``cryocosim run`` and ``export-system`` name, in one line and before importing any of it, the
  external modules and the FMUs (native code, Python payload) they execute;
* a scenario path must be a regular file of at most 4 MiB: ``/dev/zero``, a named pipe, a folder
  or an ``extends`` that names one is a one-line error, at once.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cryocosim.scenario import MAX_SCENARIO_BYTES
from cryocosim.fmi.export import fmu_cache
from cryocosim.fmus.motor import Motor
from cli_output import NOTICE

TESTS = Path(__file__).parent

MODULE = '''
import pathlib, sys
pathlib.Path(__file__).with_name("IMPORTED_" + __name__).write_text("imported")
print("IMPORTING " + __name__, file=sys.stderr, flush=True)
from cryocosim import Actor, Output


class Source(Actor):
    """y = 1 (a test model outside the registered ones)."""

    variables = (Output("y", "W", 1.0, "a constant"),)
    default_step = 1.0

    def do_step(self, t, h):
        pass
'''


def scenario_text(model: str) -> str:
    return f'[run]\nstop_time = 2.0\n\n[[actor]]\nname = "src"\nmodel = "{model}"\n'


#: a registered model, its one input set
MOTOR = scenario_text("motor") + 'step = 0.05\n[actor.parameters]\nspeed = "1000 rpm"\n'


def cli(*args, cwd: Path, extra_path: Path | None = None, timeout: float = 120):
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return subprocess.run([sys.executable, "-m", "cryocosim", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def external(tmp_path):
    """A module beside the scenario (``evilmod``) and one inside a package whose ``__init__`` is
    code too (``pkg.models``), each writing a marker file when imported."""
    (tmp_path / "evilmod.py").write_text(MODULE)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(MODULE.split("from cryocosim")[0])
    (tmp_path / "pkg" / "models.py").write_text(MODULE)
    return tmp_path


def markers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("IMPORTED_*"))


@pytest.mark.parametrize("model, module, origin", [
    ("evilmod:Source", "evilmod", "evilmod.py"),
    ("pkg.models:Source", "pkg.models", "pkg/models.py"),
])
def test_validate_runs_no_external_code_unless_trusted(external, model, module, origin):
    (external / "s.toml").write_text(scenario_text(model))
    out = cli("validate", "s.toml", cwd=external, extra_path=external)
    assert out.returncode == 2 and out.stdout == "", out.stderr
    assert out.stderr == (f"cryocosim: error: s.toml: actor 'src': model module '{module}' ({external / origin}) is "
                          "code outside cryocosim's registered models: validate does not import it; give --trust "
                          "to import it and check its declarations\n")
    assert markers(external) == []  # neither the module nor its package's __init__ ran
    out = cli("validate", "--trust", "s.toml", cwd=external, extra_path=external)
    assert out.returncode == 0 and out.stdout == "s.toml: valid (1 actor, 0 connections, 0 events)\n", out.stderr
    assert f"IMPORTED_{module}" in markers(external)


def test_validate_runs_no_standard_library_module(tmp_path):
    """``this`` prints the Zen of Python when imported: validate must not import it."""
    (tmp_path / "s.toml").write_text(scenario_text("this:Zen"))
    out = cli("validate", "s.toml", cwd=tmp_path)
    assert out.returncode == 2 and "Beautiful is better than ugly" not in out.stdout + out.stderr
    assert "model module 'this' (" in out.stderr and "give --trust" in out.stderr


def test_run_names_the_external_code_before_executing_it(external):
    (external / "s.toml").write_text(scenario_text("evilmod:Source") + '\n[[actor]]\nname = "two"\n'
                                     'model = "evilmod:Source"\n\n[[actor]]\nname = "three"\nmodel = "pkg.models:Source"\n')
    out = cli("run", "s.toml", "-q", "-o", "r.nc", cwd=external, extra_path=external)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert lines[0] == ("cryocosim: run s.toml executes code outside cryocosim's registered models: module "
                        f"'evilmod' ({external / 'evilmod.py'}; actors 'src', 'two'); module 'pkg.models' "
                        f"({external / 'pkg' / 'models.py'}; actor 'three')")
    assert lines[1:] == ["IMPORTING evilmod", "IMPORTING pkg", "IMPORTING pkg.models"]  # after the notice


def test_registered_models_need_no_notice_and_no_trust(tmp_path):
    (tmp_path / "s.toml").write_text(MOTOR)
    for args in (["validate", "s.toml"], ["run", "s.toml", "-q", "-o", "r.nc"]):
        out = cli(*args, cwd=tmp_path)
        assert out.returncode == 0 and NOTICE not in out.stderr, out.stderr


def test_fmus_are_read_by_validate_and_named_by_run(tmp_path):
    """An FMU's code runs only in run: validate reads its modelDescription and says nothing; run
    names it, with its Python payload (our FMUs are Python code behind a native binary)."""
    fmu = fmu_cache(Motor, tmp_path / "fmus")
    (tmp_path / "s.toml").write_text(scenario_text("fmus/Motor.fmu") + 'step = 0.05\n')
    out = cli("validate", "s.toml", cwd=tmp_path)
    assert out.returncode == 0 and NOTICE not in out.stderr, out.stderr
    out = cli("run", "s.toml", "-q", "-o", "r.nc", "--stop-time", "0.1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines()[0] == (
        f"cryocosim: run s.toml executes code outside cryocosim's registered models: FMU '{fmu}' "
        "(native code and a Python payload; actor 'src')")


def test_ssp_run_names_its_fmus(tmp_path):
    (tmp_path / "s.toml").write_text(MOTOR)
    out = cli("export-system", "s.toml", "-o", "s.ssp", "--fmu-dir", "fmus", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    out = cli("run", "s.ssp", "-q", "-o", "r.nc", "--stop-time", "0.1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (line,) = [x for x in out.stderr.splitlines() if NOTICE in x]
    assert line.startswith("cryocosim: run s.ssp executes code outside cryocosim's registered models: FMU '")
    assert "Motor.fmu' (native code and a Python payload; actor 'src')" in line


# ==============================================================================================
# scenario paths that are not scenario files
# ==============================================================================================
def test_devices_pipes_folders_and_huge_files_are_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "pipe.toml")
    (tmp_path / "folder.toml").mkdir()
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as fh:
        fh.truncate(MAX_SCENARIO_BYTES + 1)  # sparse: no disk used
    (tmp_path / "ext.toml").write_text('extends = "/dev/zero"\n')
    (tmp_path / "ext_pipe.toml").write_text('extends = "pipe.toml"\n')
    cases = {
        "/dev/zero": "cryocosim: error: /dev/zero: cannot read scenario: not a regular file",
        "pipe.toml": "cryocosim: error: pipe.toml: cannot read scenario: not a regular file",
        "folder.toml": "cryocosim: error: folder.toml: cannot read scenario: a folder",
        "huge.toml": f"cryocosim: error: huge.toml: cannot read scenario: {MAX_SCENARIO_BYTES + 1:,} bytes, "
                     "more than the 4 MiB it may have",
        "ext.toml": "cryocosim: error: ext.toml: key 'extends': '/dev/zero': cannot read scenario: not a regular file",
        "ext_pipe.toml": "cryocosim: error: ext_pipe.toml: key 'extends': 'pipe.toml': cannot read scenario: "
                         "not a regular file",
    }
    for path, message in cases.items():
        for command in ("validate", "run"):
            out = cli(command, path, cwd=tmp_path, timeout=60)  # a hang is a failure, not a wait
            if command == "validate" and path == "folder.toml":  # validate scenarios/* skips folders
                assert out.returncode == 0 and "skipped (a folder" in out.stdout, out.stdout + out.stderr
                continue
            assert out.returncode == 2 and out.stderr == message + "\n", (command, path, out.stderr)
