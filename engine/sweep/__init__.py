"""Parameter sweeps on Dask distributed: a grid of points, one xarray Dataset, resumable.

A sweep spec is a TOML file::

    name = "fig11"                       # optional; also description = "..."
    function = "cryocosim.fmus.reference.hybrid:cyclic_steady_state"   # or: scenario = "../cooldown.toml"
    # stop_time = "10 min"               # scenario sweeps: overrides [run] stop_time (and
    # output_interval = "10 s"           #   output_interval: the samples min/max/mean see)
    # batch_size = 50                    # points per Dask task (default: a few tasks per worker)
    # output = "results/fig11.nc"        # default output of `cryocosim sweep`

    [parameters]                         # one dimension each, in this order
    kappa = { start = 1, stop = 60, num = 40, scale = "log" }     # linspace / geomspace
    alpha = { start = 0.3, stop = 1.5, num = 40, unit = "rad" }
    # beta = [2.0, 3.0]                  # or a list; or { values = [...], unit = "..." }
    # "load.heat_applied" = ["60 W", "100 W"]   # scenario sweeps: actor.parameter, with units

    [constants]                          # the same for every point
    beta = 3.0

    [derived]                            # per point, in this order: arithmetic of the above
    lam = "5 * A_t"

    [solve.A_t]                          # optional, one variable: per point, find A_t so that
    residual = "Q_E - 5 * Q_L"           #   residual = 0 (names: inputs and the result's keys)
    bracket = [1e-3, 0.05]               #   start bracket, widened outwards until it holds a
    scale = "log"                        #   sign change; then Brent's method

    [outputs]                            # name = expression (or outputs = ["Q_L", "Q_E"])
    metric = "Q_L / (Q_rg + Q_rec)"
    # scenario sweeps reduce recorded variables to numbers:
    # T_end = "load.T"                   # a bare variable: its value at the end of the run
    # T_min = "min(load.T)"              # final, initial, min, max, mean (time-weighted),
    # P_avg = "mean(motor.power, last = '10 min')"   #   optionally over the last part of the run
    #                                    #   (samples at the output interval, linear between)
    # T_10 = "at(load.T, '10 min')"      # the value at a time (linear interpolation)

A **function** sweep calls the function with keyword arguments (parameters, constants, derived
values and the solved variable); its outputs are keys of the dict it returns (a number is the
output ``value``) or arithmetic over them.  The function is one of (never a callable of the
standard library): an entry point of the group ``cryocosim.sweep_functions`` (``function =
"NAME"``), a function of a module on the path outside the standard library
(``"package.module:function"``), or of a Python file in the spec's folder or below
(``"file.py:function"``).  It is found without running any of its code (a module through the
import system's finders, not by importing its parent packages); ``cryocosim validate`` runs none
of it, and ``cryocosim sweep`` names code from outside cryocosim in one line before importing it
(after checking the output path).  A **scenario** sweep runs the scenario (as
``cryocosim run --set actor.parameter=value``) for each point, without a result file, and
reduces its recorded variables (the scenario's derived quantities, ``derived.NAME``, among
them).  Expressions are :mod:`cryocosim.expr`'s, the language of a scenario's ``[derived]``:
arithmetic (``+ - * / ** %``), numbers, quantities with units (``300 K``, in SI), names, ``pi``,
``inf`` and ``sqrt exp log log10 sin cos tan asin acos atan atan2 hypot abs min max``.

:func:`run_sweep` runs the missing points as Dask tasks, batched (a point may take a
millisecond: one task per point would be the scheduler's overhead), on a local cluster sized to
the machine (``n_workers`` = usable cores, one thread each), or on an existing scheduler
(``scheduler="tcp://host:8786"``), or in this process (``scheduler="synchronous"``).  It returns
one Dataset with a dimension per swept parameter (coordinates with ``units``), a variable per
output (NaN where a point failed), ``status`` ("ok", "failed", "missing"), ``error``,
``warning``, ``point_time`` and ``point_cpu_time`` (s) and ``evaluations`` (function calls or
runs) per point; the attributes
hold the spec text, counts and timings.  It is written to NetCDF when ``output`` is given.

Resume: each finished task's points go at once to ``<output>.parts/`` (JSON lines, written
atomically), keyed by a hash of the point and of everything that defines its result (function or
scenario text, the source of the function's module or of the scenario's models, constants,
derived, solve, outputs, stop time), so an interruption loses only the running tasks and a rerun
computes only what is missing (a grid that is refined reuses the points it shares).  Failed
points are kept with their error; ``retry_failed=True`` computes them again.

Bad input is a :class:`SweepError` (a :class:`ConfigurationError`, exit status 2) with a
one-line message naming the spec file, the table and the key, found before any point runs: the
scenario's variables, its run length and output interval (as ``cryocosim run`` checks them), the
times of ``at()``; and bounds far beyond any real sweep: :data:`MAX_POINTS` points,
:data:`MAX_WORKERS_PER_CORE` local workers per usable core, expressions of at most
:data:`MAX_EXPR_CHARS` characters and :data:`MAX_EXPR_DEPTH` deep, numbers within a double's range
(``10**10**10`` is refused, not computed), :data:`MAX_POINT_VALUES` recorded values per scenario
point.  An output a function's first result does not hold stops the sweep there (exit 2).  A
write error (a full disk) stops the sweep with one line naming the file and the cause
(:class:`SweepWriteError`, exit 1): no temporary file is left, the finished points stay in
``<output>.parts/`` for the rerun, and the result file is written whole or not at all.  Dask is
imported only when a sweep runs.

On Dask, a point that raises is recorded as failed, never run again by the sweep
(``retry_failed`` on a rerun computes it again).  A task that raises on its worker outside its
points (loading the function there) is run again up to :data:`TASK_RETRIES` times; a task whose
worker dies (killed, out of memory, a crash in native code) is run again on another worker by the
scheduler, which fails it when more than ``distributed.scheduler.allowed-failures`` (3) workers
died running it.  A task that still fails has its points recorded as failed with its error
(``"task failed: ..."``): a point that crashes every worker is reported, not retried for ever.

The package, one job per module: :mod:`.limits` (exceptions and bounds), :mod:`.expressions`
(the language), :mod:`.spec` (reading and checking a spec, with :mod:`.tables` for its tables,
:mod:`.functions` for the code a function sweep runs and :mod:`.scenario_check` for a scenario
sweep's scenario), :mod:`.worker` (computing points), :mod:`.cache` (``<output>.parts/``),
:mod:`.executors` (this process or Dask) and :mod:`.run` (:func:`run_sweep` and its Dataset).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .expressions import Expr
from .functions import ENTRY_POINT_GROUP, FunctionSource
from .limits import (MAX_EXPAND, MAX_EXPR_CHARS, MAX_EXPR_DEPTH, MAX_ITER, MAX_POINT_VALUES, MAX_POINTS,
                     MAX_SPEC_BYTES, MAX_WORKERS_PER_CORE, SweepError, SweepFailures, SweepWriteError,
                     check_workers, default_workers)
from .spec import SweepSpec, is_spec, load_spec, validate_spec
from .tables import Solve, SweptParameter

if TYPE_CHECKING:
    from .executors import CONNECT_TIMEOUT, TASK_RETRIES
    from .run import failures, run_sweep

#: names of the running side, imported when first used (reading and checking a spec, as
#: ``cryocosim validate`` does, needs none of the worker, the cache or the executors)
_RUNNING = {"run_sweep": ".run", "failures": ".run", "CONNECT_TIMEOUT": ".executors", "TASK_RETRIES": ".executors"}


def __getattr__(name: str):
    module = _RUNNING.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_RUNNING))

__all__ = ["run_sweep", "load_spec", "validate_spec", "is_spec", "SweepSpec", "FunctionSource", "SweepError",
           "SweepFailures", "SweepWriteError", "default_workers", "check_workers",
           # also what the command line, the tests and docs/scripts use
           "failures", "Expr", "SweptParameter", "Solve", "CONNECT_TIMEOUT", "TASK_RETRIES", "ENTRY_POINT_GROUP",
           "MAX_POINTS", "MAX_WORKERS_PER_CORE", "MAX_EXPR_CHARS", "MAX_EXPR_DEPTH", "MAX_POINT_VALUES",
           "MAX_EXPAND", "MAX_ITER", "MAX_SPEC_BYTES"]
