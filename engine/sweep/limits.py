"""What a sweep refuses, and how it says so: the sweep's exceptions and the bounds on what a spec
or an option may ask (points, workers, expressions, a solve, a scenario point's records, a spec
file's size), with the size of a local cluster and the reading of a spec file within them."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .. import expr
from ..checks import read_text_file
from ..errors import ConfigurationError, CryocosimError, describe

# Bounds on what a spec or an option may ask, far beyond any real sweep; beyond them a spec is
# refused before anything runs (the bound is in the message).
#: points of a sweep (the Fig. 11 map has 1600; its points, kept and assembled in this process,
#: take memory in proportion)
MAX_POINTS = 1_000_000
#: local cluster processes per usable core (more only take turns on the cores, each holding an
#: interpreter of its own)
MAX_WORKERS_PER_CORE = 16
#: characters and nesting depth of an expression (:mod:`cryocosim.expr`'s, shared with the
#: derived quantities of a scenario)
MAX_EXPR_CHARS, MAX_EXPR_DEPTH = expr.MAX_EXPR_CHARS, expr.MAX_EXPR_DEPTH
#: recorded values (samples x variables) of one scenario point, held in memory by its worker
MAX_POINT_VALUES = 10_000_000
#: [solve]: widenings of the bracket and iterations of Brent's method
MAX_EXPAND = 100
MAX_ITER = 10_000
#: the largest spec (or scenario of a spec) read, in bytes
MAX_SPEC_BYTES = 16 * 1024 * 1024


class SweepError(ConfigurationError):
    """A sweep spec, option or scheduler that is wrong before the sweep starts (exit status 2)."""


class SweepFailures(CryocosimError):
    """Raised by the command line after writing a result in which some points failed (exit 1)."""


class SweepWriteError(CryocosimError):
    """A file of the sweep could not be written (a full disk): the sweep stopped (exit 1); the
    points finished before are in ``<output>.parts/`` and a rerun computes only the others."""


def default_workers() -> int:
    """Usable cores of this process (its CPU affinity), the local cluster's default size."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_workers(workers: Any, where: str = "workers") -> int:
    """The size of a new local cluster: a whole number from 1 to :data:`MAX_WORKERS_PER_CORE`
    times the usable cores."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SweepError(f"{where} must be a whole number >= 1, got {describe(workers)}")
    cores = default_workers()
    limit = MAX_WORKERS_PER_CORE * cores
    if workers > limit:
        raise SweepError(f"{where} {workers}: a local cluster here has at most {limit} worker processes "
                         f"({MAX_WORKERS_PER_CORE} per usable core, {cores} cores: more only take turns on "
                         f"the cores); use --scheduler for a larger cluster")
    return workers


def read_spec_text(path: Path, where: str, what: str) -> str:
    """The UTF-8 text of a regular file of at most :data:`MAX_SPEC_BYTES`."""
    return read_text_file(path, where, what, MAX_SPEC_BYTES, SweepError)
