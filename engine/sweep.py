"""Parameter sweeps on Dask distributed: a grid of points, one xarray Dataset, resumable.

A sweep spec is a TOML file::

    name = "fig11"                       # optional; also description = "..."
    function = "cryocosim.fmus.hybrid:cyclic_steady_state"   # or: scenario = "../cooldown.toml"
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
"""
from __future__ import annotations

import ast
import copy
import datetime
import hashlib
import importlib
import importlib.util
import inspect
import json
import math
import os
import sys
import time
import tomllib
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import __version__, expr
from .checks import RESOLUTION, check_output_path, check_run_length, check_time, describe, read_text_file
from .checks import kind_of
from .errors import ConfigurationError, CryocosimError
from .expr import CONSTANTS, TIME, PointError, UnknownName, dotted, one_line as _one_line, scalar
from .units import UnitError, parse_quantity, parse_unit

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["run_sweep", "load_spec", "validate_spec", "is_spec", "SweepSpec", "FunctionSource", "SweepError",
           "SweepFailures", "SweepWriteError", "default_workers", "check_workers"]

_TOP = {"name", "description", "function", "scenario", "stop_time", "output_interval", "batch_size", "output",
        "parameters", "constants", "derived", "solve", "outputs"}
#: top-level keys only a sweep spec has (a scenario file's [scenario] is a table, a spec's a string;
#: both may have [derived], a spec always with [parameters])
_SPEC_ONLY = {"function", "parameters", "constants", "solve", "outputs", "batch_size"}
_RESERVED = {"status", "error", "warning", "point_time", "point_cpu_time", "evaluations"}
_SOLVE_KEYS = {"residual", "bracket", "scale", "expand", "factor", "xtol", "rtol", "maxiter"}
#: seconds to wait for an existing scheduler (``scheduler=ADDRESS``) to answer
CONNECT_TIMEOUT = 10.0

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
#: the group of entry points that register sweep functions (``function = "NAME"``)
ENTRY_POINT_GROUP = "cryocosim.sweep_functions"


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


# ================================================================================================
# expressions: cryocosim.expr, the language a scenario's derived quantities share
# ================================================================================================
_PointError, _UnknownName = PointError, UnknownName
_CONSTANTS, _TIME, _dotted, _scalar = CONSTANTS, TIME, dotted, scalar


class Expr(expr.Expr):
    """An expression of a sweep spec (:class:`cryocosim.expr.Expr`, errors as :class:`SweepError`):
    arithmetic over the point's values, and for scenario sweeps the reductions of recorded
    series (``min(load.T)``, ``mean(motor.power, last = '10 min')``, ``at(load.T, '5 min')``; a
    series left unreduced counts by its final value).  Quantities with units (``300 K``) are
    numbers in SI."""

    error = SweepError


# ================================================================================================
# the spec
# ================================================================================================
@dataclass
class SweptParameter:
    """One swept parameter: a dimension of the result."""

    name: str
    values: list            # what the points get (SI numbers for scenario parameters)
    unit: str = ""          # the coordinate's units attribute
    long_name: str = ""
    coords: list | None = None   # the coordinate's values, if not ``values`` (in ``unit``)


@dataclass
class Solve:
    """Per point, find ``name`` (in ``bracket``, widened if needed) with ``residual`` = 0."""

    name: str
    residual: Expr
    bracket: tuple[float, float]
    log: bool = False
    expand: int = 12
    factor: float = 4.0
    xtol: float = 1e-10
    rtol: float = 1e-12
    maxiter: int = 100

    def describe(self) -> dict:
        return {"name": self.name, "residual": self.residual.text, "bracket": list(self.bracket),
                "log": self.log, "expand": self.expand, "factor": self.factor, "xtol": self.xtol,
                "rtol": self.rtol, "maxiter": self.maxiter}


@dataclass
class SweepSpec:
    """A parsed, checked sweep spec (:func:`load_spec`)."""

    source: str
    text: str
    name: str
    description: str
    mode: str                                     # "function" or "scenario"
    target: str                                   # the function reference or the scenario path
    parameters: list[SweptParameter]
    constants: dict[str, Any]
    derived: dict[str, Expr]
    solve: Solve | None
    outputs: dict[str, Expr]
    output_attrs: dict[str, dict] = field(default_factory=dict)
    stop_time: float | None = None
    batch_size: int | None = None
    output: str | None = None
    output_interval: float | None = None
    #: what the workers need: plain data, no objects (sent with every task)
    definition: dict = field(default_factory=dict)
    digest: str = ""
    #: a function sweep's function: where it is (found without running it), and whether it
    #: was imported (:meth:`load_function`)
    function: FunctionSource | None = None
    function_loaded: bool = False

    def load_function(self) -> None:
        """Import a function sweep's function (this runs its module's code) and check that it
        takes the spec's arguments.  Nothing for a scenario sweep, or if done."""
        if self.function is None or self.function_loaded:
            return
        where = f"{self.source}: key 'function'"
        try:
            fn = _import_function(self.function.ref)
        except (ImportError, AttributeError, ValueError) as exc:
            raise SweepError(f"{where}: cannot load {describe(self.target)}: {_one_line(exc)}") from None
        except Exception as exc:  # noqa: BLE001 - a module that fails on import
            raise SweepError(f"{where}: importing {describe(self.target)} failed: {_one_line(exc)}") from None
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            sig = None
        if sig is not None:
            _check_arguments(self, [(n, p.kind, p.default is not p.empty) for n, p in sig.parameters.items()])
        self.function_loaded = True

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(p.values) for p in self.parameters)

    def points(self) -> list[dict]:
        """Every point of the grid, in C order of the dimensions: ``{parameter: value}``."""
        names = [p.name for p in self.parameters]
        return [dict(zip(names, (p.values[i] for p, i in zip(self.parameters, idx))))
                for idx in np.ndindex(*self.shape)]

    def key(self, point: dict) -> str:
        """The cache key of a point: its values and everything that defines its result."""
        text = json.dumps([self.digest, [[k, point[k]] for k in sorted(point)]], sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _number(value: Any, where: str, unit: str | None = None) -> float:
    """A finite number; a string with a unit is converted to ``unit`` (given)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SweepError(f"{where} must be a number, not {kind_of(value)} ({describe(value)})")
    if isinstance(value, str) and unit is None:
        try:
            return float(value.strip())
        except ValueError:
            raise SweepError(f"{where} must be a number (give the parameter a 'unit' to write "
                             f"quantities such as '80 W'), got {describe(value)}") from None
    try:
        return parse_quantity(value, unit or "1")
    except UnitError as exc:
        raise SweepError(f"{where}: {exc}") from None


def _flatten(table: dict, where: str, scenario: bool, leaf_table_keys: set | None = None) -> dict:
    """Scenario specs: TOML dotted keys (``load.heat_applied = ...`` is a nested table) ->
    ``{"load.heat_applied": ...}``; a table holding any of ``leaf_table_keys`` is a value."""
    if not scenario:
        return dict(table)
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if "." in key:
            flat[key] = value
        elif isinstance(value, dict) and not (leaf_table_keys and leaf_table_keys & set(value)):
            for sub, v in value.items():
                flat[f"{key}.{sub}"] = v
        else:
            raise SweepError(f"{where}: key {describe(key)} must read 'actor.parameter'")
    for key in flat:
        actor, dot, param = key.partition(".")
        if not (actor and param) or "." in param:
            raise SweepError(f"{where}: key {describe(key)} must read 'actor.parameter'")
    return flat


def _read_text(path: Path, where: str, what: str) -> str:
    """The UTF-8 text of a regular file of at most :data:`MAX_SPEC_BYTES`."""
    return read_text_file(path, where, what, MAX_SPEC_BYTES, SweepError)


def _sha_file(path: str | None) -> str:
    if not path:
        return ""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


# -- which code a sweep runs ------------------------------------------------------------------
_FUNCTION_RULE = (f"a sweep function is an entry point of group '{ENTRY_POINT_GROUP}' (function = \"NAME\"), "
                  "a function of a module on the path outside the standard library "
                  "(\"package.module:function\") or of a Python file in the spec's folder (\"file.py:function\")")


@dataclass
class FunctionSource:
    """Where a sweep function comes from, found without running any of its code."""

    kind: str                 # "entry point", "module" or "file"
    module: str               # the module's name, or the file's absolute path
    attr: str                 # the function's name in it (dotted: a class's attribute)
    origin: str | None        # its source file
    entry_point: str = ""     # "NAME = module:attr" of an entry point

    @property
    def ref(self) -> str:
        """What the workers import: ``module:attr`` or ``/abs/file.py:attr``."""
        return f"{self.module}:{self.attr}"

    @property
    def external(self) -> bool:
        """Code from outside cryocosim."""
        return self.kind == "file" or not (self.module == "cryocosim" or self.module.startswith("cryocosim."))

    def describe(self) -> str:
        if self.kind == "file":
            return f"function '{self.attr}' of the file {self.module}"
        where = f"module '{self.module}'" + (f" ({self.origin})" if self.origin else "")
        head = f"entry point {self.entry_point}: " if self.kind == "entry point" else ""
        return f"{head}function '{self.attr}' of {where}"


def _stdlib_name(module: str) -> bool:
    top = module.partition(".")[0]
    return top in sys.stdlib_module_names or top in sys.builtin_module_names or top == "__main__"


def _in_stdlib(path: str | Path) -> bool:
    import sysconfig

    p = Path(path).resolve()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    return p.is_relative_to(stdlib) and not {"site-packages", "dist-packages"} & set(p.parts)


def _find_module(name: str):
    """The module spec of ``name`` without importing anything (``importlib.util.find_spec`` of a
    submodule imports its parent packages, running their code): each level is asked of the
    import system's finders with the parent's search locations."""
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])   # a top-level name: found, not imported
        for i in range(1, len(parts)):
            if spec is None or not spec.submodule_search_locations:
                return None
            full = ".".join(parts[: i + 1])
            loaded = sys.modules.get(full)
            if loaded is not None:
                spec = loaded.__spec__
                continue
            locations, spec = list(spec.submodule_search_locations), None
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                spec = find(full, locations) if find is not None else None
                if spec is not None:
                    break
    except (ImportError, ValueError, AttributeError, TypeError):
        return None
    return spec


def _locate_function(ref: str, base: Path, where: str) -> FunctionSource:
    """Find the function ``ref`` names (``"NAME"``: an entry point; ``"package.module:function"``;
    ``"file.py:function"`` in ``base``, the spec's folder) by the rule :data:`_FUNCTION_RULE`,
    without importing or running anything."""
    ref = ref.strip()
    if ":" not in ref:
        return _locate_entry_point(ref, base, where)
    mod, _, attr = ref.rpartition(":")
    if not (mod and attr and all(part.isidentifier() for part in attr.split("."))):
        raise SweepError(f"{where}: {describe(ref)} must read \"package.module:function\", \"file.py:function\" "
                         f"or the name of a registered sweep function")
    if mod.endswith(".py") or "/" in mod or os.sep in mod:
        path = Path(mod)
        path = (path if path.is_absolute() else base / path).resolve()
        if not path.is_relative_to(base.resolve()):
            raise SweepError(f"{where}: '{mod}' is not in the spec's folder '{base}'; {_FUNCTION_RULE}")
        if path.suffix != ".py" or not path.is_file():
            raise SweepError(f"{where}: no Python file '{path}'")
        if _in_stdlib(path):
            raise SweepError(f"{where}: '{path}' is part of the standard library; {_FUNCTION_RULE}")
        return FunctionSource("file", str(path), attr, str(path))
    return _locate_module(mod, attr, where)


def _locate_module(mod: str, attr: str, where: str) -> FunctionSource:
    if not all(part.isidentifier() for part in mod.split(".")):
        raise SweepError(f"{where}: {describe(mod)} is not a module name")
    if _stdlib_name(mod):
        raise SweepError(f"{where}: '{mod}' is a module of the standard library; {_FUNCTION_RULE}")
    spec = _find_module(mod)
    if spec is None:
        raise SweepError(f"{where}: no module '{mod}' on the path (sys.path)")
    origin = spec.origin if spec.has_location else None
    if origin and _in_stdlib(origin):
        raise SweepError(f"{where}: '{mod}' ({origin}) is part of the standard library; {_FUNCTION_RULE}")
    return FunctionSource("module", mod, attr, origin)


def _locate_entry_point(name: str, base: Path, where: str) -> FunctionSource:
    from importlib.metadata import entry_points

    found = list(entry_points(group=ENTRY_POINT_GROUP, name=name)) if name else []
    if not found:
        known = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
        raise SweepError(f"{where}: {describe(name)} is not a registered sweep function (entry points of group "
                         f"'{ENTRY_POINT_GROUP}': {', '.join(known) or 'none'}); write \"package.module:function\" "
                         f"or \"file.py:function\"")
    ep = found[0]
    mod, _, attr = ep.value.partition(":")
    attr = attr.strip()
    here = f"{where}: entry point '{name}' = '{ep.value}'"
    if not (attr and all(part.isidentifier() for part in attr.split("."))):
        raise SweepError(f"{here} must read \"package.module:function\"")
    src = _locate_module(mod.strip(), attr, here)
    src.kind, src.entry_point = "entry point", f"'{name}' = '{ep.value}'"
    return src


_FILE_MODULES: dict[str, Any] = {}


def _load_file_module(path: str):
    module = _FILE_MODULES.get(path)
    if module is None:
        if not os.path.isfile(path):
            raise ImportError(f"no file '{path}'")
        name = "_cryocosim_sweep_" + hashlib.sha256(path.encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        _FILE_MODULES[path] = module
    return module


def _import_function(ref: str):
    """Import ``module:attr`` or ``/abs/file.py:attr`` (located by :func:`_locate_function`: this
    runs the module's code) and return the function; a callable of the standard library (such as
    a module's ``from os import system``) is refused."""
    mod, _, attr = ref.rpartition(":")
    module = _load_file_module(mod) if mod.endswith(".py") else importlib.import_module(mod)
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
        if inspect.ismodule(obj):
            raise ValueError(f"'{part}' is a module: name it before the ':'")
    if not callable(obj):
        raise ValueError(f"'{attr}' of '{mod}' is not callable")
    owner = getattr(obj, "__module__", None) or mod
    if not isinstance(owner, str) or _stdlib_name(owner):
        raise ValueError(f"'{attr}' of '{mod}' is {owner}.{getattr(obj, '__name__', attr)} of the "
                         f"standard library; {_FUNCTION_RULE}")
    return obj


_ABSENT = object()


def _static_parameters(origin: str | None, attr: str):
    """The arguments of ``def attr(...)`` read from the source file without running it:
    [(name, inspect.Parameter kind, has a default)]; :data:`_ABSENT` if the file surely does not
    define ``attr``; None when it cannot be told (``attr`` bound otherwise than once by an
    undecorated ``def`` at the top level: a decorator may change the arguments)."""
    if not origin or not origin.endswith(".py"):
        return None
    top = attr.partition(".")[0]
    try:
        tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    bindings, dynamic = [], False
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in (top, "__getattr__"):
            bindings.append(node)
        elif isinstance(node, ast.Name) and node.id == top and isinstance(node.ctx, ast.Store):
            bindings.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                a.name == "*" or (a.asname or a.name.partition(".")[0]) == top for a in node.names):
            bindings.append(node)
        elif isinstance(node, ast.Name) and node.id in ("globals", "vars", "setattr", "exec", "eval", "__dict__"):
            dynamic = True
        elif isinstance(node, ast.Attribute) and node.attr in ("__dict__", "__getattr__"):
            dynamic = True
    if not bindings:
        return None if dynamic or Path(origin).name == "__init__.py" else _ABSENT
    fn = bindings[0]
    if len(bindings) != 1 or "." in attr or fn not in tree.body \
            or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.decorator_list:
        return None
    P = inspect.Parameter
    a = fn.args
    positional = [(x.arg, P.POSITIONAL_ONLY) for x in a.posonlyargs] + [(x.arg, P.POSITIONAL_OR_KEYWORD) for x in a.args]
    first_default = len(positional) - len(a.defaults)
    out = [(n, k, i >= first_default) for i, (n, k) in enumerate(positional)]
    if a.vararg:
        out.append((a.vararg.arg, P.VAR_POSITIONAL, True))
    out += [(x.arg, P.KEYWORD_ONLY, d is not None) for x, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        out.append((a.kwarg.arg, P.VAR_KEYWORD, True))
    return out


def load_spec(path: str | Path | None = None, *, data: dict | None = None,
              base_dir: str | Path | None = None, import_function: bool = True, trust: bool = True,
              announce: str | None = None) -> SweepSpec:
    """Read and check a sweep spec (a TOML file, or ``data``: the parsed table, with relative
    paths taken from ``base_dir``, default the working directory).  Raises :class:`SweepError`
    naming the file, the table and the key of the first problem.

    ``import_function=False``: a function sweep's function is only located (an entry point, a
    module found on the path, a file; its arguments read from its source where it is a plain
    ``def``): none of its code runs.  :meth:`SweepSpec.load_function` imports it later.
    A scenario sweep's scenario is built once; as :func:`cryocosim.scenario.load` does,
    ``trust=False`` refuses a model module outside the registered models instead of importing
    it, and ``announce`` (``"sweep SPEC"``) names such code in one line before importing it."""
    if data is None:
        if path is None:
            raise SweepError("load_spec needs a path or data")
        source = str(path)
        text = _read_text(Path(path), source, "sweep spec")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SweepError(f"{source}: TOML syntax error: {' '.join(str(exc).split())}") from None
        except RecursionError:
            raise SweepError(f"{source}: TOML syntax error: values nested too deeply") from None
        base = Path(path).resolve().parent
    else:
        source = str(path) if path is not None else "<sweep spec>"
        text = json.dumps(data, default=str, indent=1)
        base = Path(base_dir or ".").resolve()
        data = copy.deepcopy(data)
    spec = _build_spec(data, source, text, base, trust, announce)
    if import_function:
        spec.load_function()
    return spec


def is_spec(path: str | Path) -> bool:
    """True for a TOML file that is a sweep spec rather than a scenario: it has at its top a
    string ``scenario`` (a scenario's ``[scenario]`` is a table) or a key only a spec has
    (``function``, ``[parameters]``, ``outputs``, ...).  Nothing else is read."""
    try:
        data = tomllib.loads(_read_text(Path(path), str(path), "file"))
    except (SweepError, ValueError, RecursionError):
        return False
    return isinstance(data.get("scenario"), str) or bool(_SPEC_ONLY & set(data))


def validate_spec(path: str | Path, trust: bool = False) -> str:
    """Check a sweep spec completely without computing a point or running its function's code
    (``cryocosim validate``; a scenario's model modules outside the registered models only with
    ``trust``); return a one-line summary.  Raises :class:`SweepError`."""
    spec = load_spec(path, import_function=False, trust=trust)
    n = math.prod(spec.shape)
    what = spec.function.describe() if spec.function is not None else f"scenario {spec.target}"
    return (f"valid sweep spec ({n} point{'s' if n != 1 else ''} over {len(spec.parameters)} "
            f"parameter{'s' if len(spec.parameters) != 1 else ''}, {len(spec.outputs)} "
            f"output{'s' if len(spec.outputs) != 1 else ''}; {what})")


def _build_spec(data: dict, source: str, text: str, base: Path, trust: bool = True,
                announce: str | None = None) -> SweepSpec:
    if not isinstance(data, dict):
        raise SweepError(f"{source}: a sweep spec must be a TOML table")
    for key in data:
        if key not in _TOP:
            raise SweepError(f"{source}: unknown key {describe(key)} (allowed: {', '.join(sorted(_TOP))})")
    for key in ("name", "description", "function", "scenario", "output"):
        if key in data and not isinstance(data[key], str):
            raise SweepError(f"{source}: key '{key}' must be a string, not {kind_of(data[key])} ({describe(data[key])})")
    if ("function" in data) == ("scenario" in data):
        raise SweepError(f"{source}: give exactly one of the keys 'function' (\"module:function\") "
                         f"and 'scenario' (a scenario file)")
    mode = "function" if "function" in data else "scenario"
    scenario = mode == "scenario"
    tables = {}
    for key in ("parameters", "constants", "derived", "solve"):
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise SweepError(f"{source}: key '{key}' must be a table ([{key}]), not {kind_of(value)}")
        tables[key] = value
    if not tables["parameters"]:
        raise SweepError(f"{source}: [parameters] must give at least one swept parameter")
    if "outputs" not in data:
        raise SweepError(f"{source}: missing key 'outputs' (a list of result names, or an [outputs] table)")

    run = {}
    for key in ("stop_time", "output_interval"):
        if key in data:
            if not scenario:
                raise SweepError(f"{source}: key '{key}' is for scenario sweeps")
            try:
                run[key] = check_time(data[key], f"{source}: key '{key}'")
            except ConfigurationError as exc:
                raise SweepError(str(exc)) from None
    if run.get("output_interval", RESOLUTION) < RESOLUTION:   # as a scenario's [run] output_interval
        raise SweepError(f"{source}: key 'output_interval' must be at least {RESOLUTION:g} s, "
                         f"got {describe(data['output_interval'])}")
    stop_time = run.get("stop_time")
    batch_size = data.get("batch_size")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise SweepError(f"{source}: key 'batch_size' must be a whole number >= 1, got {describe(batch_size)}")

    where_p = f"{source}: [parameters]"
    params_raw = _flatten(tables["parameters"], where_p, scenario, {"start", "stop", "num", "values", "unit"})
    constants = _flatten(tables["constants"], f"{source}: [constants]", scenario)
    derived_raw = _flatten(tables["derived"], f"{source}: [derived]", scenario)
    solve_raw = _flatten(tables["solve"], f"{source}: [solve]", scenario, {"residual", "bracket"})

    parameters: list[SweptParameter] = []
    for name, spec in params_raw.items():
        parameters.append(_parameter(name, spec, f"{where_p}: key '{name}'", scenario))
    n_points = math.prod(len(p.values) for p in parameters)
    if n_points > MAX_POINTS:
        raise SweepError(f"{where_p}: {' x '.join(f'{len(p.values)} ({p.name})' for p in parameters)} = "
                         f"{n_points} points; a sweep has at most {MAX_POINTS} (coarsen the grid or split it "
                         f"into several sweeps)")

    # [solve]: one variable
    solve = None
    if solve_raw:
        if len(solve_raw) != 1:
            raise SweepError(f"{source}: [solve] must hold exactly one variable ([solve.NAME])")
        (sname, sdef), = solve_raw.items()
        solve = _solve(sname, sdef, f"{source}: [solve.{sname}]")

    # every input name once
    seen: dict[str, str] = {}
    for table, names in (("parameters", [p.name for p in parameters]), ("constants", constants),
                         ("derived", derived_raw), ("solve", [solve.name] if solve else [])):
        for n in names:
            if n in seen:
                raise SweepError(f"{source}: [{table}]: key '{n}' is also in [{seen[n]}]")
            seen[n] = table
    for n in seen:
        if not scenario and not n.isidentifier():
            raise SweepError(f"{source}: [{seen[n]}]: key {describe(n)} is not a valid argument name")

    known = {p.name for p in parameters} | set(constants) | ({solve.name} if solve else set())
    derived: dict[str, Expr] = {}
    for name, text in derived_raw.items():
        where = f"{source}: [derived]: key '{name}'"
        if not isinstance(text, str):
            raise SweepError(f"{where} must be an expression string such as \"5 * A_t\", not {kind_of(text)}")
        e = Expr(text, where)
        unknown = sorted(n for n in e.names - known - set(_CONSTANTS))
        if unknown:
            raise SweepError(f"{where}: unknown name '{unknown[0]}' (a parameter, constant, the solved "
                             f"variable or a derived value defined above)")
        derived[name] = e
        known.add(name)

    outputs, output_attrs = _outputs(data["outputs"], source, scenario)
    for name in outputs:   # (an output may carry the name of a constant, derived or solved value)
        if name in params_raw or name in _RESERVED:
            raise SweepError(f"{source}: outputs: name '{name}' is "
                             + ("a swept parameter's (a coordinate)" if name in params_raw else
                                f"reserved ({', '.join(sorted(_RESERVED))})"))

    spec = SweepSpec(source=source, text=text, name=data.get("name") or Path(source).stem,
                     description=data.get("description", ""), mode=mode,
                     target=data.get("function") or data.get("scenario"), parameters=parameters,
                     constants=constants, derived=derived, solve=solve, outputs=outputs,
                     output_attrs=output_attrs, stop_time=stop_time, batch_size=batch_size,
                     output=data.get("output"), output_interval=run.get("output_interval"))
    if scenario:
        _check_scenario(spec, base, trust, announce)
    else:
        _check_function(spec, base)
    spec.definition.update(
        mode=mode, constants=constants, derived={k: e.text for k, e in derived.items()},
        derived_where={k: e.where for k, e in derived.items()},
        solve=solve.describe() if solve else None, solve_where=solve.residual.where if solve else "",
        outputs={k: e.text for k, e in outputs.items()},
        outputs_where={k: e.where for k, e in outputs.items()}, stop_time=stop_time,
        output_interval=run.get("output_interval"))
    # what defines a point's result (not where things were written, nor a scenario's comments)
    material = {k: v for k, v in spec.definition.items()
                if k not in ("derived_where", "solve_where", "outputs_where", "scenario_source", "scenario_text")}
    spec.digest = hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()
    spec.definition["digest"] = spec.digest
    return spec


def _parameter(name: str, spec: Any, where: str, scenario: bool) -> SweptParameter:
    unit = None
    long_name = name
    if isinstance(spec, list):
        raw, scale_kind = spec, None
    elif isinstance(spec, dict):
        allowed = {"values", "start", "stop", "num", "scale", "unit", "long_name"}
        for k in spec:
            if k not in allowed:
                raise SweepError(f"{where}: unknown key {describe(k)} (allowed: {', '.join(sorted(allowed))})")
        if "unit" in spec:
            unit = spec["unit"]
            if not isinstance(unit, str):
                raise SweepError(f"{where}: 'unit' must be a string such as \"W\"")
            try:
                parse_unit(unit)
            except UnitError as exc:
                raise SweepError(f"{where}: 'unit': {exc}") from None
        if "long_name" in spec:
            long_name = str(spec["long_name"])
        if "values" in spec:
            if {"start", "stop", "num", "scale"} & set(spec):
                raise SweepError(f"{where}: give either 'values' or 'start', 'stop', 'num'")
            raw, scale_kind = spec["values"], None
            if not isinstance(raw, list):
                raise SweepError(f"{where}: 'values' must be an array")
        else:
            for k in ("start", "stop", "num"):
                if k not in spec:
                    raise SweepError(f"{where}: missing '{k}' (a range is start, stop, num [, scale])")
            num = spec["num"]
            if isinstance(num, bool) or not isinstance(num, int) or num < 1:
                raise SweepError(f"{where}: 'num' must be a whole number >= 1, got {describe(num)}")
            if num > MAX_POINTS:
                raise SweepError(f"{where}: 'num' = {num}: a sweep has at most {MAX_POINTS} points")
            scale_kind = spec.get("scale", "linear")
            if scale_kind not in ("linear", "log"):
                raise SweepError(f"{where}: 'scale' must be \"linear\" or \"log\", got {describe(scale_kind)}")
            lo = _number(spec["start"], f"{where}: 'start'", unit)
            hi = _number(spec["stop"], f"{where}: 'stop'", unit)
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise SweepError(f"{where}: 'start' and 'stop' must be finite")
            if scale_kind == "log" and not (lo > 0 and hi > 0):
                raise SweepError(f"{where}: a log range needs positive 'start' and 'stop'")
            grid = np.geomspace(lo, hi, num) if scale_kind == "log" else np.linspace(lo, hi, num)
            raw = [float(x) for x in grid]
    else:
        raise SweepError(f"{where} must be an array of values or a table {{start, stop, num}} or "
                         f"{{values}}, not {kind_of(spec)} ({describe(spec)})")
    if not raw:
        raise SweepError(f"{where}: no values")
    values = []
    for i, v in enumerate(raw):
        if isinstance(v, (dict, list)):
            raise SweepError(f"{where}: value #{i + 1} must be a number, a string or true/false, not {kind_of(v)}")
        if isinstance(v, str) and unit is not None:
            v = _number(v, f"{where}: value #{i + 1}", unit)
        if isinstance(v, float) and math.isnan(v):
            raise SweepError(f"{where}: value #{i + 1} is NaN")
        values.append(v)
    if len({json.dumps(v) for v in values}) != len(values):
        raise SweepError(f"{where}: a value appears twice")
    if len({type(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else float for v in values}) > 1:
        raise SweepError(f"{where}: the values must all be numbers, all strings or all true/false")
    return SweptParameter(name, values, unit or "", long_name)


def _solve(name: str, sdef: Any, where: str) -> Solve:
    if not isinstance(sdef, dict):
        raise SweepError(f"{where} must be a table with 'residual' and 'bracket'")
    for k in sdef:
        if k not in _SOLVE_KEYS:
            raise SweepError(f"{where}: unknown key {describe(k)} (allowed: {', '.join(sorted(_SOLVE_KEYS))})")
    for k in ("residual", "bracket"):
        if k not in sdef:
            raise SweepError(f"{where}: missing key '{k}'")
    if not isinstance(sdef["residual"], str):
        raise SweepError(f"{where}: 'residual' must be an expression string such as \"Q_E - 5 * Q_L\"")
    residual = Expr(sdef["residual"], f"{where}: key 'residual'")
    br = sdef["bracket"]
    if not (isinstance(br, list) and len(br) == 2):
        raise SweepError(f"{where}: 'bracket' must be [low, high]")
    lo = _number(br[0], f"{where}: 'bracket'")
    hi = _number(br[1], f"{where}: 'bracket'")
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise SweepError(f"{where}: 'bracket' must be two finite numbers, low < high")
    scale = sdef.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise SweepError(f"{where}: 'scale' must be \"linear\" or \"log\"")
    if scale == "log" and lo <= 0:
        raise SweepError(f"{where}: a log bracket must be positive")
    out = Solve(name, residual, (lo, hi), scale == "log")
    for k, lo_ok, hi_ok in (("expand", 0, MAX_EXPAND), ("maxiter", 1, MAX_ITER)):
        if k in sdef:
            v = sdef[k]
            if isinstance(v, bool) or not isinstance(v, int) or not lo_ok <= v <= hi_ok:
                raise SweepError(f"{where}: '{k}' must be a whole number from {lo_ok} to {hi_ok}, "
                                 f"got {describe(v)}")
            setattr(out, k, v)
    for k in ("factor", "xtol", "rtol"):
        if k in sdef:
            v = _number(sdef[k], f"{where}: '{k}'")
            if not (v > 0 and math.isfinite(v)) or (k == "factor" and v <= 1):
                raise SweepError(f"{where}: '{k}' must be positive" + (" and above 1" if k == "factor" else ""))
            setattr(out, k, v)
    return out


def _outputs(raw: Any, source: str, scenario: bool) -> tuple[dict[str, Expr], dict[str, dict]]:
    outputs: dict[str, Expr] = {}
    attrs: dict[str, dict] = {}
    if isinstance(raw, list):
        if not raw:
            raise SweepError(f"{source}: key 'outputs' must name at least one output")
        for i, item in enumerate(raw, 1):
            where = f"{source}: key 'outputs' #{i}"
            if not isinstance(item, str):
                raise SweepError(f"{where} must be a string, not {kind_of(item)}")
            name = item.strip()
            plain = _dotted(ast.parse(name, mode="eval").body) if _is_expr(name) else None
            if plain != name or (scenario and "." not in name) or (not scenario and "." in name):
                what = "'actor.variable'" if scenario else "a key of the function's result"
                raise SweepError(f"{where}: {describe(item)} must be {what}; write expressions in an "
                                 f"[outputs] table (name = \"expression\")")
            if name in outputs:
                raise SweepError(f"{where}: {describe(item)} is listed twice")
            outputs[name] = Expr(name, where)
            attrs[name] = {}
    elif isinstance(raw, dict):
        if not raw:
            raise SweepError(f"{source}: [outputs] must name at least one output")
        flat = {}
        for name, value in raw.items():  # a TOML dotted key: {"load": {"T": ...}} -> "load.T"
            if isinstance(value, dict) and not ({"expr", "unit", "long_name"} & set(value)):
                for sub, v in value.items():
                    flat[f"{name}.{sub}"] = v
            else:
                flat[name] = value
        for name, value in flat.items():
            where = f"{source}: [outputs]: key '{name}'"
            extra: dict = {}
            if isinstance(value, dict):
                for k in value:
                    if k not in ("expr", "unit", "long_name"):
                        raise SweepError(f"{where}: unknown key {describe(k)} (allowed: expr, unit, long_name)")
                if "expr" not in value:
                    raise SweepError(f"{where}: missing key 'expr'")
                if "unit" in value:
                    try:
                        parse_unit(str(value["unit"]))
                    except UnitError as exc:
                        raise SweepError(f"{where}: 'unit': {exc}") from None
                    extra["units"] = str(value["unit"])
                if "long_name" in value:
                    extra["long_name"] = str(value["long_name"])
                value = value["expr"]
            if not isinstance(value, str):
                raise SweepError(f"{where} must be an expression string, not {kind_of(value)} ({describe(value)})")
            if not name.strip() or "/" in name:
                raise SweepError(f"{where}: not a valid variable name")
            outputs[name] = Expr(value, where)
            attrs[name] = extra
    else:
        raise SweepError(f"{source}: key 'outputs' must be an array of names or a table, not {kind_of(raw)}")
    return outputs, attrs


def _is_expr(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
        return True
    except SyntaxError:
        return False


def _check_function(spec: SweepSpec, base: Path) -> None:
    """Locate the function (nothing of it runs) and, where its source has it as a plain
    ``def``, check its arguments against the spec's inputs."""
    src = _locate_function(spec.target, base, f"{spec.source}: key 'function'")
    spec.function = src
    params = _static_parameters(src.origin, src.attr)
    if params is _ABSENT:
        raise SweepError(f"{spec.source}: key 'function': cannot load {describe(spec.target)}: {src.origin} "
                         f"defines no '{src.attr.partition('.')[0]}'")
    if params is not None:
        _check_arguments(spec, params)
    spec.definition.update(function=src.ref, function_source=_sha_file(src.origin))


def _check_arguments(spec: SweepSpec, params: list[tuple[str, Any, bool]]) -> None:
    """The function's arguments [(name, inspect.Parameter kind, has a default)] against the
    spec's parameters, constants, derived values and solved variable (passed by keyword)."""
    P = inspect.Parameter
    given = {p.name: "parameters" for p in spec.parameters}
    given.update({k: "constants" for k in spec.constants})
    given.update({k: "derived" for k in spec.derived})
    if spec.solve:
        given[spec.solve.name] = "solve"
    names = [n for n, _, _ in params]
    accepted = {n for n, kind, _ in params if kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)}
    if not any(kind is P.VAR_KEYWORD for _, kind, _ in params):
        for n, table in given.items():
            if n not in accepted:
                raise SweepError(f"{spec.source}: [{table}]: key '{n}': {spec.target} has no argument "
                                 f"'{n}' (arguments: {', '.join(names)})")
    for n, kind, has_default in params:
        if kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY) and not has_default and n not in given:
            raise SweepError(f"{spec.source}: argument '{n}' of {spec.target} is given no value "
                             f"(add it to [parameters], [constants] or [derived])")


def _check_scenario(spec: SweepSpec, base: Path, trust: bool = True, announce: str | None = None) -> None:
    """Read the scenario, build it once with the constants, check the swept parameters and their
    values against the actors' declarations (converted to the declared units), and the outputs
    against the recorded variables."""
    from . import scenario as sc
    from . import trust as trust_rules
    from .ssp import is_ssp
    from .variables import Causality

    path = Path(spec.target)
    if not path.is_absolute():
        path = base / path
    where = f"{spec.source}: key 'scenario'"
    if is_ssp(path):
        raise SweepError(f"{where}: '{spec.target}' is an SSP system; a sweep runs a TOML scenario "
                         f"(cryocosim run takes the SSP, one point at a time with --set)")
    text = _read_text(path, where, f"scenario '{spec.target}'")
    try:
        data = sc.read_toml(path, text)
        sc.check_document(data, str(path))
        codes = trust_rules.external_code(data, str(path))   # the scenario's model code, not imported
        if not trust:
            trust_rules.refuse_untrusted(codes, str(path))
        if announce:
            trust_rules.announce(codes, announce)
        system, settings = sc.build(copy.deepcopy(data), str(path), text, dict(spec.constants),
                                    f"{spec.source}: [constants]: key")
    except ConfigurationError as exc:
        msg = " ".join(str(exc).split())
        raise SweepError(msg if msg.startswith(spec.source) else f"{where}: {msg}") from None
    actors = system.bus.actors
    linked = {(l.dst, l.dst_var) for l in system.bus.links}
    for p in spec.parameters:
        pwhere = f"{spec.source}: [parameters]: key '{p.name}'"
        a, _, v = p.name.partition(".")
        actor = actors.get(a)
        if actor is None:
            raise SweepError(f"{pwhere}: names no actor of {spec.target} (actors: {', '.join(actors)})")
        var = actor.variable_map().get(v)
        if var is None or var.causality not in (Causality.parameter, Causality.input):
            known = ", ".join(x.name for x in actor.variables if x.causality == Causality.parameter)
            raise SweepError(f"{pwhere}: actor '{a}' has no parameter '{v}' (parameters: {known})")
        if var.causality == Causality.input and (a, v) in linked:
            raise SweepError(f"{pwhere}: '{p.name}' is a connected input")
        converted = []
        for i, value in enumerate(p.values):
            given = f"{value} {p.unit}" if p.unit and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and var.type is float else value
            try:
                converted.append(actor.coerce(var, given))
            except CryocosimError as exc:
                msg = " ".join(str(exc).split()).replace(f"actor '{a}': parameter '{v}'", "").lstrip(" :=")
                raise SweepError(f"{pwhere}: value #{i + 1} ({describe(value)}): {msg}") from None
        if len({json.dumps(c) for c in converted}) != len(converted):
            raise SweepError(f"{pwhere}: two values are the same in {var.unit}")
        if not (p.unit and var.type is float):   # coordinates in the spec's unit if it gives one
            p.unit = var.unit if var.type is float else ""
            p.coords = None
        else:
            p.coords = list(p.values)
        p.values = converted
        if p.long_name == p.name:
            p.long_name = var.description or p.name
    for table, names in (("derived", list(spec.derived)), ("solve", [spec.solve.name] if spec.solve else [])):
        for name in names:
            a, _, v = name.partition(".")
            var = actors[a].variable_map().get(v) if a in actors else None
            if var is None or var.causality not in (Causality.parameter, Causality.input) or var.type is not float:
                raise SweepError(f"{spec.source}: [{table}]: key '{name}' is not a Real parameter of the scenario")
    # the run: its length and samples, checked as `cryocosim run` checks them
    stop = spec.stop_time if spec.stop_time is not None else settings.stop_time
    stop_where = f"{spec.source}: key 'stop_time'" if spec.stop_time is not None else \
        f"{where}: [run]: key 'stop_time'"
    try:
        check_run_length(stop, system.steps, stop_where)
    except ConfigurationError as exc:
        raise SweepError(str(exc)) from None
    interval = spec.output_interval or settings.output_interval
    fastest = min(system.steps.values()) if system.steps else stop
    samples = stop / max(interval or fastest, fastest) + 1
    recorded = {f"{a}.{v}": actors[a].variable_map()[v] for a, v in system.bus.recorded()}
    recorded.update({d.column: d for d in system.derived.values()})   # derived.NAME, with its unit
    if samples * len(recorded) > MAX_POINT_VALUES:
        key = "key 'output_interval'" if spec.output_interval else "[run] output_interval of the scenario"
        raise SweepError(f"{spec.source}: {key}: each point would record {samples:.3g} samples of {len(recorded)} "
                         f"variables, held in memory to reduce them; a point records at most "
                         f"{MAX_POINT_VALUES:.0e} values: give the spec a longer output_interval")
    inputs = {p.name for p in spec.parameters} | set(spec.constants) | set(spec.derived)
    if spec.solve:
        inputs.add(spec.solve.name)
    checked = list(spec.outputs.items()) + ([("", spec.solve.residual)] if spec.solve else [])
    for name, e in checked:
        for n in sorted(e.names):
            if n in recorded or n in inputs or n in _CONSTANTS or n.startswith("master."):
                continue
            raise SweepError(f"{e.where}: '{n}' is not a recorded variable of {spec.target} "
                             f"(outputs and locals of its actors, e.g. {', '.join(list(recorded)[:4])}, ...)")
        for t in e.times:
            if t > stop * (1 + 1e-12):
                raise SweepError(f"{e.where}: at(): t = {t:g} s is after the end of the run ({stop:g} s)")
        if not name:
            continue
        if e.single in recorded:
            spec.output_attrs[name].setdefault("units", recorded[e.single].unit)
        spec.output_attrs[name].setdefault("long_name", e.text)
    # what changes a point's result: the scenario (merged 'extends' chain) and the models' code
    model_files = sorted({inspect.getsourcefile(type(a)) or "" for a in actors.values()})
    spec.definition.update(
        scenario_source=str(path), scenario_data=data, scenario_text=text,
        models_source=hashlib.sha256("".join(_sha_file(f) for f in model_files).encode()).hexdigest(),
        cryocosim_version=__version__)


# ================================================================================================
# computing points (runs on the workers)
# ================================================================================================
_RUNNERS: dict[tuple, "_Runner"] = {}


class _Runner:
    """Computes points of one sweep definition (kept per worker process)."""

    def __init__(self, d: dict):
        self.d = d
        self.mode = d["mode"]
        self.constants = d["constants"]
        self.derived = {k: Expr(t, d["derived_where"][k]) for k, t in d["derived"].items()}
        self.outputs = {k: Expr(t, d["outputs_where"][k]) for k, t in d["outputs"].items()}
        s = d["solve"]
        self.solve = None
        if s:
            self.solve = Solve(s["name"], Expr(s["residual"], d["solve_where"]), tuple(s["bracket"]),
                               s["log"], s["expand"], s["factor"], s["xtol"], s["rtol"], s["maxiter"])
        if self.mode == "function":
            self.fn = _import_function(d["function"])
        #: the names a result of the function held so far (an output naming another is an
        #: error of the spec if the first result lacks it)
        self.seen: set[str] = set()
        self.result_keys: set[str] = set()

    # -- one evaluation: inputs -> result namespace ------------------------------------------
    def _inputs(self, point: dict, extra: dict | None = None) -> dict:
        ns = {**self.constants, **point, **(extra or {})}
        for name, e in self.derived.items():
            ns[name] = _py(e(ns))
        return ns

    def _evaluate(self, inputs: dict) -> dict:
        if self.mode == "function":
            result = self.fn(**inputs)
            if not isinstance(result, dict):
                result = {"value": result}
            self.result_keys.update(k for k in result if isinstance(k, str))
            ns = {**inputs, **result}
            self.seen.update(k for k in ns if isinstance(k, str))
            return ns
        return self._run_scenario(inputs)

    def _run_scenario(self, inputs: dict) -> dict:
        from . import scenario as sc

        d = self.d
        system, settings = sc.build(copy.deepcopy(d["scenario_data"]), d["scenario_source"],
                                    d["scenario_text"], inputs, "sweep point")
        stop = d["stop_time"] if d["stop_time"] is not None else settings.stop_time
        options = settings.run_options()
        if d["output_interval"] is not None:
            options["output_interval"] = d["output_interval"]
        rec = system.run(stop, output=None, progress=False, dataset=False, **options)
        ns = dict(inputs)
        ns.update(rec.arrays())          # each column in its own type (Real, Integer, Boolean, String)
        ns[_TIME] = np.asarray(rec.times, dtype=float)
        ns["__status__"] = rec.attrs.get("status", "")
        return ns

    # -- one point ------------------------------------------------------------------------------
    def run_point(self, key: str, point: dict) -> dict:
        t0, c0 = time.perf_counter(), time.process_time()
        calls = [0]
        rec = {"key": key, "point": point, "outputs": {}, "status": "ok", "error": "", "warning": ""}
        seen_before = bool(self.seen)   # a result of the function was seen at an earlier point
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if self.solve is None:
                    calls[0] += 1
                    ns = self._evaluate(self._inputs(point))
                else:
                    ns = self._solve(point, calls)
                for name, e in self.outputs.items():
                    value = _scalar(e(ns))
                    try:
                        value = float(value)
                    except (TypeError, ValueError):
                        raise _PointError(f"output '{name}' = {describe(value)} is not a number") from None
                    rec["outputs"][name] = value
                if self.mode == "scenario" and ns.get("__status__", "completed") != "completed":
                    rec["warning"] = f"run {ns['__status__']}"
            except _UnknownName as exc:
                rec["status"], rec["error"] = "failed", _one_line(exc)
                rec["outputs"] = {}
                if self.mode == "function" and not seen_before and self.seen and exc.name not in self.seen:
                    # the function's first result lacks a name the spec uses: every point would fail
                    keys = ", ".join(sorted(self.result_keys))
                    keys = keys if len(keys) <= 200 else keys[:197] + "..."
                    rec["spec_error"] = (f"{exc.where}: '{exc.name}' is neither an input nor a key of the "
                                         f"result of {self.d['function']} (its keys: {keys or 'none'})")
            except Exception as exc:  # noqa: BLE001 - a failed point is recorded, the others go on
                rec["status"], rec["error"] = "failed", _one_line(exc)
                rec["outputs"] = {}
        msgs = list(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))
        if msgs:
            rec["warning"] = "; ".join(filter(None, [rec["warning"], *msgs[:3]]))
        rec["seconds"] = time.perf_counter() - t0
        rec["cpu_seconds"] = time.process_time() - c0
        rec["evaluations"] = calls[0]
        rec["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        return rec

    def _solve(self, point: dict, calls: list) -> dict:
        """Brent's method on the residual (in log of the variable for a log scale), after
        widening the bracket outwards (on the side where the residual is smaller) until the
        residual changes sign; returns the namespace of the evaluation at the root."""
        from scipy.optimize import brentq

        s = self.solve
        fwd = math.log if s.log else (lambda x: x)
        inv = math.exp if s.log else (lambda x: x)
        cache: dict[float, tuple[float, dict]] = {}

        def f(u: float) -> float:
            if u not in cache:
                calls[0] += 1
                ns = self._evaluate(self._inputs(point, {s.name: _py(inv(u))}))
                r = float(_scalar(s.residual(ns)))
                if math.isnan(r):
                    raise _PointError(f"solve {s.name}: residual {s.residual.text!r} is NaN at "
                                      f"{s.name} = {inv(u):.6g}")
                cache[u] = (r, ns)
            return cache[u][0]

        a, b = fwd(s.bracket[0]), fwd(s.bracket[1])
        step = math.log(s.factor) if s.log else (b - a)
        fa, fb = f(a), f(b)
        for _ in range(s.expand):
            if fa * fb <= 0:
                break
            if abs(fa) < abs(fb):      # the root is more likely beyond a
                a, b, fb = a - step, a, fa
                fa = f(a)
            else:
                a, b, fa = b, b + step, fb
                fb = f(b)
        if fa * fb > 0:
            raise _PointError(f"solve {s.name}: residual {s.residual.text!r} does not change sign "
                              f"between {s.name} = {inv(a):.6g} and {inv(b):.6g} "
                              f"(residual {fa:.4g} and {fb:.4g}) after {s.expand} widenings")
        if fa == 0:
            u = a
        elif fb == 0:
            u = b
        else:
            u = brentq(f, a, b, xtol=s.xtol, rtol=s.rtol, maxiter=s.maxiter)
        f(u)
        return cache[u][1]


def _py(x):
    """numpy scalars -> Python numbers (what a function or a scenario override expects)."""
    if isinstance(x, np.generic):
        return x.item()
    return x


def _run_batch(definition: dict, points: list[tuple[str, dict]]) -> list[dict]:
    """One Dask task: compute ``points`` ([(key, point)]) of the sweep ``definition``."""
    run = (definition["digest"], definition.get("run"))
    runner = _RUNNERS.get(run)
    if runner is None:   # a new sweep (a runner remembers what its sweep's results held)
        _RUNNERS.clear()
        runner = _RUNNERS[run] = _Runner(definition)
    out = []
    for key, point in points:
        out.append(runner.run_point(key, point))
        if "spec_error" in out[-1]:   # the sweep stops: no more points of this task
            break
    return out


# ================================================================================================
# the cache of finished points
# ================================================================================================
class _Cache:
    """Finished points in ``<output>.parts/``: JSON-lines files, each written atomically."""

    def __init__(self, directory: Path | None):
        self.dir = directory
        self.files: list[Path] = []

    def load(self) -> dict[str, dict]:
        records: dict[str, dict] = {}
        if self.dir is None or not self.dir.is_dir():
            return records
        for tmp in self.dir.glob(".*.tmp"):   # a write cut short by a killed run (we hold the lock)
            try:
                tmp.unlink()
            except OSError:
                pass
        self.files = sorted(self.dir.glob("*.jsonl"))
        for path in self.files:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                continue
            for line in lines:
                try:
                    rec = json.loads(line)
                    key = rec["key"]
                except (ValueError, KeyError, TypeError):
                    continue   # a damaged line: that point is computed again
                old = records.get(key)
                if old is None or rec.get("status") == "ok" or old.get("status") != "ok":
                    records[key] = rec
        return records

    def write(self, records: list[dict], prefix: str = "batch") -> None:
        """Write ``records`` to a new file, atomically: on a write error (a full disk) nothing
        is left of it and :class:`SweepWriteError` names the file and the cause."""
        if self.dir is None or not records:
            return
        name = f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.jsonl"
        tmp = self.dir / f".{name}.tmp"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as fh:
                for rec in records:
                    fh.write(json.dumps(rec, default=str) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.dir / name)
        except OSError as exc:
            _remove(tmp)
            raise SweepWriteError(f"cannot write finished points to '{self.dir / name}': {_os_error(exc)}; "
                                  f"the points finished before are kept in '{self.dir}' and the same command "
                                  f"again computes only the others") from None

    def compact(self, records: dict[str, dict]) -> None:
        """Rewrite every known record into one file and remove the files read or written; if
        that file cannot be written (a full disk), the files stay as they are (a warning)."""
        if self.dir is None or not self.dir.is_dir():
            return
        old = sorted(self.dir.glob("*.jsonl"))
        if len(old) <= 1:
            return
        try:
            self.write(list(records.values()), prefix="points")
        except SweepWriteError as exc:
            from .errors import CryocosimWarning

            warnings.warn(f"{exc} (the result is complete; the finished points stay in {len(old)} files)",
                          CryocosimWarning, stacklevel=3)
            return
        for path in old:
            _remove(path)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _os_error(exc: OSError) -> str:
    """``"No space left on device (errno 28)"``."""
    if exc.errno is not None and exc.strerror:
        return f"{exc.strerror} (errno {exc.errno})"
    return _one_line(exc)


# ================================================================================================
# running
# ================================================================================================
class _Synchronous:
    """Tasks run one after the other in this process (``scheduler="synchronous"``)."""

    workers = 1
    address = "synchronous"
    start_time = 0.0

    def run(self, definition, batches):
        for i, batch in enumerate(batches):
            try:
                yield i, _run_batch(definition, batch), None
            except Exception as exc:  # noqa: BLE001
                yield i, None, _one_line(exc)

    def close(self):
        pass


class _Dask:
    """A Dask client: a new local cluster, an existing scheduler's address, or a given Client."""

    def __init__(self, scheduler, workers: int | None, connect_timeout: float):
        import logging

        t0 = time.perf_counter()
        from dask.distributed import Client, LocalCluster

        self._own_client = self._cluster = None
        if scheduler is None or scheduler == "local":
            n = workers or default_workers()
            # (CRITICAL: a worker's heartbeat racing the shutdown logs an ERROR with a traceback;
            # real failures reach the points' records as the tasks' errors)
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.CRITICAL)
            self.client = self._own_client = Client(self._cluster)
        elif isinstance(scheduler, str):
            try:
                self.client = self._own_client = Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SweepError(f"scheduler {scheduler!r}: cannot connect "
                                 f"({' '.join(str(exc).split())})") from None
        else:
            self.client = scheduler     # a distributed.Client of the caller's: not closed here
        try:
            self.client.wait_for_workers(1, timeout=max(connect_timeout, 30.0))
        except (TimeoutError, OSError) as exc:
            self.close()
            raise SweepError(f"scheduler {self.client.scheduler.address!r} has no workers "
                             f"({' '.join(str(exc).split())})") from None
        info = self.client.scheduler_info(n_workers=-1) if _accepts(self.client.scheduler_info, "n_workers") \
            else self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        self.address = self.client.scheduler.address
        self.start_time = time.perf_counter() - t0
        self._futures = []

    def run(self, definition, batches):
        from dask.distributed import as_completed

        futures = {}
        for i, batch in enumerate(batches):
            fut = self.client.submit(_run_batch, definition, batch, pure=False,
                                     key=f"sweep-batch-{i}-{uuid.uuid4().hex[:8]}")
            futures[fut] = i
        self._futures = list(futures)
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                yield i, fut.result(), None
            except Exception as exc:  # noqa: BLE001 - a lost worker, a task that could not run
                yield i, None, f"task failed: {_one_line(exc)}"
            fut.release()

    def cancel(self):
        if self._futures:
            try:
                self.client.cancel(self._futures)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass

    def close(self):
        for closer in (self._own_client, self._cluster):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # noqa: BLE001
                    pass
        self._own_client = self._cluster = None


def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _batches(items: list, workers: int, batch_size: int | None) -> list[list]:
    """Split ``items`` into tasks: ``batch_size`` each, or by default at least 4 tasks per worker
    and at most 64 points per task; points are dealt out in turn so that each task gets a spread
    of the grid (points of similar cost sit together in the grid)."""
    n = len(items)
    if n == 0:
        return []
    if batch_size is None:
        tasks = min(n, max(4 * workers, math.ceil(n / 64)))
    else:
        tasks = math.ceil(n / batch_size)
    return [items[i::tasks] for i in range(tasks)]


def _utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def run_sweep(spec: str | Path | SweepSpec | dict, output: str | Path | None = None,
              scheduler: Any = None, workers: int | None = None, progress: bool = True,
              retry_failed: bool = False, batch_size: int | None = None,
              connect_timeout: float = CONNECT_TIMEOUT) -> "xr.Dataset":
    """Run the sweep ``spec`` (a spec file, a :class:`SweepSpec`, or a parsed dict) and return
    its Dataset; with ``output`` (a NetCDF path), also write it there and keep the finished
    points in ``<output>.parts/``, from which a rerun takes them (it computes only what is
    missing; ``retry_failed`` recomputes the points that failed).

    ``scheduler``: ``None`` (a new local cluster of ``workers`` processes, default the usable
    cores, one thread each), an address (``"tcp://host:8786"``), a ``distributed.Client``, or
    ``"synchronous"`` (in this process, no Dask).  ``batch_size``: points per task (default:
    the spec's, else at least 4 tasks per worker and at most 64 points per task).
    ``progress``: a progress bar (points) on stderr.

    The Dataset's attributes count ``points_total``, ``points_done`` (succeeded),
    ``points_failed``, ``points_missing`` (not computed: an interrupted sweep), ``points_cached``
    (taken from ``<output>.parts/``) and ``points_computed`` (by this call), and time it
    (``wall_time_s``; ``cluster_start_s``; ``sweep_time_s``, from the first task submitted to the
    last result; ``compute_time_s`` and ``compute_cpu_time_s``, summed over points).  Ctrl-C (or
    SIGTERM) writes what is finished (``status`` "interrupted ...") and raises
    KeyboardInterrupt.

    A script that starts a local cluster must call this under ``if __name__ == "__main__":``
    (the worker processes are spawned and import the script's main module, as with
    ``multiprocessing``).
    """
    t_start = time.perf_counter()
    if isinstance(spec, SweepSpec):
        sp = spec
    elif isinstance(spec, dict):
        sp = load_spec(data=spec, import_function=False)
    else:
        sp = load_spec(spec, import_function=False)
    if workers is not None:
        check_workers(workers)
    if workers is not None and scheduler not in (None, "local", "synchronous"):
        raise SweepError("workers sets the size of a new local cluster; it cannot be used with an "
                         "existing scheduler")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise SweepError(f"batch_size must be a whole number >= 1, got {describe(batch_size)}")
    out_path = None
    lock = None
    if output is not None:
        out_path = check_output_path(output, "output")
    sp.load_function()   # (after the output path is checked: a bad one runs none of its code)
    points = sp.points()
    keys = [sp.key(p) for p in points]
    parts = out_path.with_name(out_path.name + ".parts") if out_path else None
    cache = _Cache(parts)
    try:
        if out_path is not None:
            from .results import OutputLock

            try:
                out_path.parent.mkdir(parents=True, exist_ok=True)
                lock = OutputLock(out_path)
                lock.acquire(out_path)
            except OSError as exc:
                lock = None
                raise SweepWriteError(f"cannot write sweep result '{out_path}': {_os_error(exc)}") from None
        records = cache.load()
        known = {k: records[k] for k in keys if k in records
                 and (records[k].get("status") == "ok" or not retry_failed)}
        todo = [(k, p) for k, p in zip(keys, points) if k not in known]
        n_cached = len(known)
        computed: dict[str, dict] = {}
        executor = None
        interrupted = False
        t_sweep = 0.0
        n_tasks = 0
        bs = batch_size or sp.batch_size
        from .system import sigterm_as_interrupt

        bar = None
        try:
            with sigterm_as_interrupt():
                if todo:
                    if scheduler == "synchronous":
                        executor = _Synchronous()
                    else:
                        executor = _Dask(scheduler, workers, connect_timeout)
                    batches = _batches(todo, executor.workers, bs)
                    n_tasks = len(batches)
                    bs = max(len(b) for b in batches)
                    if progress:
                        from tqdm import tqdm

                        bar = tqdm(total=len(set(keys)), initial=n_cached, unit="pt", desc=sp.name,
                                   file=sys.stderr, mininterval=0.5, dynamic_ncols=True)
                    t0 = time.perf_counter()
                    failed_now = 0
                    definition = {**sp.definition, "run": uuid.uuid4().hex}
                    for i, recs, error in executor.run(definition, batches):
                        if recs is None:   # the whole task failed: its points record why
                            now = _utc()
                            recs = [{"key": k, "point": p, "outputs": {}, "status": "failed", "error": error,
                                     "warning": "", "seconds": math.nan, "evaluations": 0, "finished": now}
                                    for k, p in batches[i]]
                        spec_error = next((r["spec_error"] for r in recs if "spec_error" in r), None)
                        recs = [r for r in recs if "spec_error" not in r]
                        cache.write(recs)
                        if spec_error is not None:   # every point would fail the same way
                            raise SweepError(spec_error)
                        for r in recs:
                            computed[r["key"]] = r
                            failed_now += r["status"] != "ok"
                        if bar is not None:
                            bar.update(len(recs))
                            if failed_now:
                                bar.set_postfix_str(f"{failed_now} failed", refresh=False)
                    t_sweep = time.perf_counter() - t0
        except BaseException as exc:   # Ctrl-C, a full disk, an error of the spec: the tasks stop
            interrupted = isinstance(exc, KeyboardInterrupt)
            if isinstance(executor, _Dask):
                executor.cancel()
            raise
        finally:
            if bar is not None:
                bar.close()
            if executor is not None:
                executor.close()
            if interrupted:
                # what is finished is in the cache; write it as the (partial) result
                ds = _assemble(sp, keys, known, computed)
                _attrs(ds, sp, executor, n_tasks, bs, time.perf_counter() - t_start, t_sweep,
                       status_override="interrupted")
                if out_path is not None:
                    _write(ds, out_path, parts)
        all_records = {**records, **computed}
        ds = _assemble(sp, keys, known, computed)
        _attrs(ds, sp, executor, n_tasks, bs, time.perf_counter() - t_start, t_sweep)
        if out_path is not None:
            _write(ds, out_path, parts)
            cache.compact(all_records)
        return ds
    finally:
        if lock is not None:
            lock.release()


def _assemble(sp: SweepSpec, keys: list[str], known: dict, computed: dict) -> "xr.Dataset":
    """The Dataset of the grid ``keys`` from the cached (``known``) and new (``computed``) records."""
    import xarray as xr

    shape = sp.shape
    n = len(keys)
    data = {name: np.full(n, np.nan) for name in sp.outputs}
    status = np.full(n, "missing", dtype=object)
    error = np.full(n, "", dtype=object)
    warn = np.full(n, "", dtype=object)
    seconds = np.full(n, np.nan)
    cpu = np.full(n, np.nan)
    evaluations = np.zeros(n, dtype=np.int32)
    for i, k in enumerate(keys):
        rec = computed.get(k) or known.get(k)
        if rec is None:
            continue
        status[i] = rec.get("status", "failed")
        error[i] = rec.get("error", "") or ""
        warn[i] = rec.get("warning", "") or ""
        seconds[i] = rec.get("seconds", np.nan)
        cpu[i] = rec.get("cpu_seconds", np.nan)
        evaluations[i] = rec.get("evaluations", 0)
        for name, value in (rec.get("outputs") or {}).items():
            if name in data:
                data[name][i] = np.nan if value is None else value
    dims = [p.name for p in sp.parameters]
    coords = {}
    for p in sp.parameters:
        vals = p.values if p.coords is None else p.coords
        if all(isinstance(v, bool) for v in vals):
            arr = np.array(["true" if v else "false" for v in vals], dtype=object)
        elif all(isinstance(v, str) for v in vals):
            arr = np.array(vals, dtype=object)
        else:
            arr = np.array([float(v) for v in vals])
        attrs = {"long_name": p.long_name or p.name}
        if p.unit:
            attrs["units"] = p.unit
        coords[p.name] = (p.name, arr, attrs)
    ds = xr.Dataset(coords=coords)
    for name, values in data.items():
        attrs = {"long_name": sp.outputs[name].text, **sp.output_attrs.get(name, {})}
        ds[name] = (dims, values.reshape(shape), attrs)
    ds["status"] = (dims, status.reshape(shape), {"long_name": "ok, failed or missing (not computed)"})
    ds["error"] = (dims, error.reshape(shape), {"long_name": "why the point failed"})
    ds["warning"] = (dims, warn.reshape(shape), {"long_name": "warnings while computing the point"})
    ds["point_time"] = (dims, seconds.reshape(shape), {"units": "s", "long_name": "wall time of the point"})
    ds["point_cpu_time"] = (dims, cpu.reshape(shape), {"units": "s", "long_name": "CPU time of the point "
                                                        "(its worker process's)"})
    ds["evaluations"] = (dims, evaluations.reshape(shape),
                         {"long_name": "calls of the function or runs of the scenario"})
    ds.attrs["_counts"] = json.dumps({
        "total": n, "done": int((status == "ok").sum()), "failed": int((status == "failed").sum()),
        "missing": int((status == "missing").sum()),
        "cached": sum(1 for k in set(keys) if k in known), "computed": len(computed)})
    return ds


def _attrs(ds, sp: SweepSpec, executor, n_tasks: int, batch_size, wall: float, t_sweep: float,
           status_override: str | None = None) -> None:
    c = json.loads(ds.attrs.pop("_counts"))
    if status_override:
        status = f"{status_override}: {c['done'] + c['failed']} of {c['total']} points finished"
    elif c["missing"]:
        status = f"incomplete: {c['missing']} of {c['total']} points missing"
    elif c["failed"]:
        status = f"completed with {c['failed']} failed points"
    else:
        status = "completed"
    compute = float(np.nansum(ds["point_time"].values)) if c["done"] + c["failed"] else 0.0
    cpu = float(np.nansum(ds["point_cpu_time"].values)) if c["done"] + c["failed"] else 0.0
    ds.attrs.update({
        "title": f"cryocosim sweep {sp.name}", "description": sp.description, "source": sp.source,
        "spec": sp.text, "mode": sp.mode, "target": sp.target, "cryocosim_version": __version__,
        "created": _utc(), "status": status,
        "points_total": c["total"], "points_done": c["done"], "points_failed": c["failed"],
        "points_missing": c["missing"], "points_cached": c["cached"], "points_computed": c["computed"],
        "scheduler": getattr(executor, "address", "none (every point was cached)") or "",
        "workers": int(getattr(executor, "workers", 0)), "tasks": int(n_tasks),
        "batch_size": int(batch_size or 0),
        "wall_time_s": float(wall), "cluster_start_s": float(getattr(executor, "start_time", 0.0)),
        "sweep_time_s": float(t_sweep), "compute_time_s": compute, "compute_cpu_time_s": cpu,
    })


def _write(ds, path: Path, parts: Path | None = None) -> None:
    """Write the NetCDF file atomically: built in memory, written to a temporary file beside
    ``path``, read back, then renamed to ``path``.  On any failure (a full disk) the temporary
    file is removed and ``path`` is left as it was: never a truncated file under its name."""
    import xarray as xr

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    enc = {name: {"dtype": str} for name in ("status", "error", "warning")}
    for name, var in ds.coords.items():
        if var.dtype == object:
            enc[name] = {"dtype": str}
    kept = f"; the finished points are kept in '{parts}' and the same command again writes it" if parts else ""
    try:
        data = ds.to_netcdf(engine="netcdf4", encoding=enc)   # in memory: a disk error is an OSError below
    except Exception as exc:  # noqa: BLE001 - a library failure, one line
        raise SweepWriteError(f"cannot write sweep result '{path}': {_one_line(exc)}{kept}") from None
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        _remove(tmp)
        raise SweepWriteError(f"cannot write sweep result '{path}': {_os_error(exc)}{kept}") from None
    try:
        with xr.open_dataset(tmp, engine="netcdf4") as back:
            ok = dict(back.sizes) == dict(ds.sizes) and back.attrs.get("status") == ds.attrs["status"]
    except Exception as exc:  # noqa: BLE001
        ok, why = False, _one_line(exc)
    else:
        why = "it does not hold the sweep (was it changed by another program?)"
    if not ok:
        _remove(tmp)
        raise SweepWriteError(f"sweep result '{path}' was not written: reading it back failed: {why}{kept}")
    try:
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise SweepWriteError(f"cannot write sweep result '{path}': {_os_error(exc)}{kept}") from None


def failures(ds) -> list[str]:
    """One line per failed point of a sweep Dataset: ``"kappa=2, alpha=0.5: ValueError: ..."``."""
    out = []
    status = ds["status"]
    for idx in zip(*np.nonzero(status.values == "failed")):
        where = ", ".join(f"{d}={ds[d].values[i]:g}" if np.issubdtype(ds[d].dtype, np.number)
                          else f"{d}={ds[d].values[i]}" for d, i in zip(status.dims, idx))
        out.append(f"{where}: {ds['error'].values[idx]}")
    return out
