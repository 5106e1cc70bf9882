"""The page machinery shared by the documentation scripts beside this file (each imports it by
name: a script run as ``python docs/scripts/X.py`` has this folder on ``sys.path``).

* **the machine line**: :func:`machine` (the benchmark pages' usual line) and its pieces,
  :func:`host`, :func:`cores`, :func:`python`, :func:`versions`, for the pages that word it
  their own way;
* **timed processes**: :func:`timed_process`;
* **digests of the sources** a cached run depends on: :func:`loaded_sources`, :func:`files_digest`,
  :func:`package_stamps`;
* **numbers**: :func:`min_median`, :func:`pair`, :func:`mm`, :func:`fmt`;
* **tables and figures**: :func:`table` (and :func:`row`, one row alone), :func:`save_figure`.

Nothing here imports the engine, numpy or matplotlib: importing this module costs nothing a
benchmark would see.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_INSTALLED = "not installed"


# -- the machine line -------------------------------------------------------------------------------
def cpu_model() -> str:
    """The processor's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), else all of them."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def host() -> str:
    """``Linux x86_64 (<CPU model>)``."""
    return f"{platform.system()} {platform.machine()} ({cpu_model()})"


def cores(usable: int | None = None, label: str = "usable") -> str:
    """``2 cores (2 usable)``: all the machine's cores, and ``usable`` (default: this process's)."""
    return f"{os.cpu_count()} cores ({usable_cores() if usable is None else usable} {label})"


def python() -> str:
    """``Python 3.11.7``."""
    return f"Python {platform.python_version()}"


def version(dist: str) -> str:
    """The installed version of a distribution, or ``not installed``."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def versions(*dists: str) -> str:
    """``numpy 2.4.6, scipy 1.16.3``."""
    return ", ".join(f"{d} {version(d)}" for d in dists)


def machine(*dists: str) -> str:
    """The benchmark pages' machine line: host, cores, Python and the versions of ``dists``
    (default CoolProp and numpy)."""
    return f"{host()}, {cores()}, {python()}, {versions(*(dists or ('CoolProp', 'numpy')))}"


# -- timed processes --------------------------------------------------------------------------------
def timed_process(argv: list[str], cwd: Path = ROOT) -> tuple[float, float, str]:
    """Run ``argv`` in ``cwd``: (wall time, the child's CPU time (user + system), its stderr); a
    failing command ends the script with the tail of its stderr."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.strip()[-2000:]}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, proc.stderr


# -- digests of the sources -------------------------------------------------------------------------
def loaded_sources(folder: str) -> set[Path]:
    """The files, below ``ROOT / folder``, of the modules this process has imported."""
    return {Path(m.__file__).resolve() for m in list(sys.modules.values())
            if getattr(m, "__file__", None) and Path(m.__file__).resolve().is_relative_to(ROOT / folder)}


def package_stamps(*dists: str) -> list[str]:
    """``numpy=2.4.6`` for each installed distribution of ``dists`` (a missing one is left out)."""
    return [f"{d}={importlib.metadata.version(d)}" for d in dists if version(d) != NOT_INSTALLED]


def files_digest(files: Iterable[Path], *extra: str) -> str:
    """16 hex digits of a sha256 over each file's path (from ROOT) and bytes, in the order given,
    then the strings ``extra``."""
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(p.read_bytes())
    for x in extra:
        h.update(x.encode())
    return h.hexdigest()[:16]


# -- numbers ----------------------------------------------------------------------------------------
def min_median(values: Iterable[float]) -> tuple[float, float]:
    """(minimum, median): a shared machine's best estimate of a time and its disturbance."""
    values = list(values)
    return min(values), statistics.median(values)


def pair(s: tuple[float, float] | None, digits: int, grouped: bool = False) -> str:
    """``1.23 / 1.45`` (``1,234 / 1,456`` grouped); ``—`` for None."""
    if s is None:
        return "—"
    spec = f"{',' if grouped else ''}.{digits}f"
    return f"{format(s[0], spec)} / {format(s[1], spec)}"


def mm(values: Iterable[float], digits: int = 2) -> str:
    """``minimum / median`` of ``values``."""
    return pair(min_median(values), digits)


def fmt(x: float | None, digits: int = 3, kind: str = "g", sign: bool = False) -> str:
    """``x`` to ``digits`` (significant figures for kind ``g``, decimals of the mantissa for
    ``e``), with its sign if ``sign``; ``–`` for None or a value that is not finite."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return format(x, f"{'+' if sign else ''}.{digits}{kind}")


# -- tables and figures -----------------------------------------------------------------------------
_RULE = {"-": "---", "l": ":---", "c": ":---:", "r": "---:"}


def row(cells: Sequence) -> str:
    """One Markdown table row: each cell as ``str`` with a space either side (so ``""`` gives
    ``|  |``); a cell None is left blank (``| |``)."""
    return "|" + "|".join(" " if c is None else f" {c} " for c in cells) + "|"


def table(header: Sequence, rows: Iterable[Sequence], align: str | None = None,
          tight: bool = False) -> list[str]:
    """A Markdown table as lines: the header, the rule, the rows (cells as :func:`row`).
    ``align``: a letter a column, ``l``, ``c``, ``r`` or ``-`` (the default: none);
    ``tight``: the rule without spaces (``|---|---|``)."""
    rule = [_RULE[a] for a in (align or "-" * len(header))]
    return [row(header), "|" + "|".join(rule) + "|" if tight else row(rule)] + [row(r) for r in rows]


def save_figure(fig, path: Path, title: str | None = None, dpi: int = 110) -> None:
    """Write a matplotlib figure to ``path``, with an overall title, laid out, and close it."""
    import matplotlib.pyplot as plt

    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
