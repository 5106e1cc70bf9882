"""The native launcher that lets an exported FMU run in masters without Python (C, C++).

pythonfmu's binary (the FMU's model binary as pythonfmu builds it) uses the Python C API but
does not link libpython, so a native master cannot even load it (``undefined symbol:
_Py_NoneStruct``).  :func:`add_launcher` turns a built FMU into one that loads anywhere: it moves
pythonfmu's ``binaries/linux64/<Model>.so`` to ``<Model>.pythonfmu.so`` and puts in its place the
launcher compiled from ``launcher.c`` (kept beside this module; compiled with the machine's C
compiler, once per process), and adds

* ``resources/python.cfg`` — the Python runtime the launcher starts when the process has none:
  the exporting interpreter's shared library, home and site-packages folders, and the Python
  version the FMU needs (``requires_python``, from the package's ``Requires-Python``);
* ``resources/python_check.py`` — :mod:`cryocosim.fmi.python_check`: describes an interpreter
  (for ``CRYOCOSIM_PYTHON`` or a hand-written ``python.cfg``) and checks the FMU's requirements.

Inside a Python process the launcher only forwards the calls: the interpreter already loaded runs
the model, as before.  Why a launcher, and what it costs per call: ``docs/fmi.md``.
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

from ..errors import ConfigurationError, CryocosimWarning
from . import python_check

__all__ = ["add_launcher", "compile_launcher", "python_config", "INNER_SUFFIX", "ENV_PYTHON", "LAUNCHER_SOURCE"]

#: the launcher's C source
LAUNCHER_SOURCE = Path(__file__).with_name("launcher.c")
#: pythonfmu's binary is renamed <Model> + INNER_SUFFIX beside the launcher (launcher.c agrees)
INNER_SUFFIX = ".pythonfmu.so"
#: the environment variable that points an FMU at another Python (launcher.c agrees)
ENV_PYTHON = "CRYOCOSIM_PYTHON"
_PLATFORM = "linux64"


def _compiler() -> str | None:
    cc = os.environ.get("CC")
    if cc and shutil.which(cc):
        return shutil.which(cc)
    return shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def _fmi_headers() -> Path:
    import fmpy  # ships the FMI 2.0 headers (fmi2Functions.h and friends) in c-code/

    return Path(fmpy.__file__).parent / "c-code"


@functools.lru_cache(maxsize=1)
def compile_launcher() -> Path | None:
    """The launcher compiled for this machine (a shared library in a folder removed at exit), or
    None where it cannot be built (not Linux, no C compiler: a warning says so)."""
    if not sys.platform.startswith("linux"):
        return None
    cc = _compiler()
    if cc is None:
        warnings.warn("no C compiler found (cc, gcc or clang; or $CC): exported FMUs get no native launcher "
                      "and run only in masters that are Python processes (fmpy, libcosimpy, cryocosim)",
                      CryocosimWarning, stacklevel=3)
        return None
    folder = Path(tempfile.mkdtemp(prefix="cryocosim_launcher_"))
    atexit.register(shutil.rmtree, folder, True)
    digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes()).hexdigest()[:12]
    out = folder / f"launcher_{digest}.so"
    cmd = [cc, "-shared", "-fPIC", "-O2", "-fvisibility=hidden", f"-I{_fmi_headers()}",
           "-o", str(out), str(LAUNCHER_SOURCE), "-ldl", "-lpthread"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise ConfigurationError(f"cannot compile the FMU launcher {LAUNCHER_SOURCE.name} with {cc}: {detail}")
    return out


def _requires_python() -> str:
    """The oldest Python the shipped package supports (its Requires-Python), as 'major.minor'."""
    from importlib import metadata

    try:
        spec = metadata.metadata("cryocosim").get("Requires-Python") or ""
    except metadata.PackageNotFoundError:
        spec = ""
    for part in spec.split(","):
        part = part.strip()
        if part.startswith(">="):
            return ".".join(part[2:].strip().split(".")[:2])
    return "%d.%d" % sys.version_info[:2]


def python_config(model: str) -> str:
    """``resources/python.cfg`` of an FMU exported from this interpreter."""
    header = [
        f"# The Python runtime that the FMU {model}'s native launcher (binaries/linux64/{model}.so) starts",
        "# when the master that loads it has no Python of its own (a C or C++ program); a Python-hosted",
        "# master (fmpy, libcosimpy, cryocosim) runs the model in its own interpreter and ignores this.",
        f"# Recorded from the interpreter that exported the FMU. For another interpreter set {ENV_PYTHON}",
        "# to its executable (or to a file like this one), or replace the lines below with the output of",
        "#     /path/to/bin/python resources/python_check.py --describe",
        f"requires_python = {_requires_python()}",
    ]
    return "\n".join(header + python_check.describe()) + "\n"


def add_launcher(fmu: str | Path, model: str) -> bool:
    """Rewrite the FMU file ``fmu`` (model identifier ``model``) with the native launcher in
    front of pythonfmu's linux64 binary; False (FMU unchanged) where no launcher can be built."""
    launcher = compile_launcher()
    if launcher is None:
        return False
    fmu = Path(fmu)
    binary = f"binaries/{_PLATFORM}/{model}.so"
    tmp = fmu.with_name(fmu.name + ".launcher.tmp")
    try:
        with zipfile.ZipFile(fmu) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            names = src.namelist()
            if binary not in names:
                raise ConfigurationError(f"cannot add the native launcher to '{fmu}': it has no {binary}")
            for info in src.infolist():
                data = src.read(info)
                if info.filename == binary:
                    info.filename = f"binaries/{_PLATFORM}/{model}{INNER_SUFFIX}"
                dst.writestr(info, data)
            dst.write(launcher, binary)
            dst.writestr("resources/" + python_check.CONFIG_NAME, python_config(model))
            dst.write(python_check.__file__, "resources/python_check.py")
        os.replace(tmp, fmu)
    finally:
        tmp.unlink(missing_ok=True)
    return True
