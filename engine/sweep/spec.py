"""The sweep spec: a TOML file (or its parsed table) read and checked whole, before any point
runs, into a :class:`SweepSpec` (the grid, the inputs and outputs, and ``definition``, the plain
data the workers get); :func:`is_spec` tells a spec from a scenario, :func:`validate_spec` is
``cryocosim validate``'s check."""
from __future__ import annotations

import copy
import hashlib
import inspect
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import RESOLUTION, check_time, parse_toml
from ..errors import ConfigurationError, describe, one_line
from ..expr import CONSTANTS
from ..errors import exception_line
from .. import schema
from ..schema import kind_of
from .expressions import Expr
from .functions import FunctionSource, check_arguments, check_function, import_sweep_function
from .limits import MAX_POINTS, SweepError, read_spec_text
from .scenario_check import check_scenario
from .tables import Solve, SweptParameter, flatten_keys, parse_outputs, parse_parameter, parse_solve

def _table_of():
    """A sub-table (``[parameters]``...): its entries are read by :mod:`.tables`."""
    def check(value, where, key, ctx):
        if not isinstance(value, dict):
            raise ctx.error(f"{where}: key '{key}' must be a table ([{key}]), not {kind_of(value)}")
    return schema.Check(check)


def _function_or_scenario(table: dict, where: str, ctx) -> None:
    if ("function" in table) == ("scenario" in table):
        raise ctx.error(f"{where}: give exactly one of the keys 'function' (\"module:function\") "
                        f"and 'scenario' (a scenario file)")


def _batch_size(value, where, key, ctx) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ctx.error(f"{where}: key '{key}' must be a whole number >= 1, got {describe(value)}")


#: a sweep spec's structure, described once (cryocosim.schema; the values of its tables, its
#: times and its outputs (schema.Node(): any value here) are read by .tables and _build_spec,
#: where they become typed values)
SCHEMA = schema.Table({
    "name": schema.Str(empty=True), "description": schema.Str(empty=True), "function": schema.Str(empty=True),
    "scenario": schema.Str(empty=True), "output": schema.Str(empty=True),
    "stop_time": schema.Node(), "output_interval": schema.Node(),
    "batch_size": schema.Check(_batch_size),
    "parameters": _table_of(), "constants": _table_of(), "derived": _table_of(),
    "solve": _table_of(), "outputs": schema.Node(),
}, rules=(_function_or_scenario,))
#: top-level keys only a sweep spec has (a scenario file's [scenario] is a table, a spec's a string;
#: both may have [derived], a spec always with [parameters])
_SPEC_ONLY = {"function", "parameters", "constants", "solve", "outputs", "batch_size"}
#: the names of the result's bookkeeping variables (an output cannot take them)
_RESERVED = {"status", "error", "warning", "point_time", "point_cpu_time", "evaluations"}


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
            fn = import_sweep_function(self.function.ref)
        except (ImportError, AttributeError, ValueError) as exc:
            raise SweepError(f"{where}: cannot load {describe(self.target)}: {exception_line(exc)}") from None
        except Exception as exc:  # noqa: BLE001 - a module that fails on import
            raise SweepError(f"{where}: importing {describe(self.target)} failed: {exception_line(exc)}") from None
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            sig = None
        if sig is not None:
            check_arguments(self, [(n, p.kind, p.default is not p.empty) for n, p in sig.parameters.items()])
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
        text = read_spec_text(Path(path), source, "sweep spec")
        data = parse_toml(text, source, SweepError)
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
        data = tomllib.loads(read_spec_text(Path(path), str(path), "file"))
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
    SCHEMA.check_keys(data, source, schema.Context(SweepError))
    mode = "function" if "function" in data else "scenario"
    scenario = mode == "scenario"
    tables = {key: data.get(key, {}) for key in ("parameters", "constants", "derived", "solve")}
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

    where_p = f"{source}: [parameters]"
    params_raw = flatten_keys(tables["parameters"], where_p, scenario, {"start", "stop", "num", "values", "unit"})
    constants = flatten_keys(tables["constants"], f"{source}: [constants]", scenario)
    derived_raw = flatten_keys(tables["derived"], f"{source}: [derived]", scenario)
    solve_raw = flatten_keys(tables["solve"], f"{source}: [solve]", scenario, {"residual", "bracket"})

    parameters: list[SweptParameter] = []
    for name, spec in params_raw.items():
        parameters.append(parse_parameter(name, spec, f"{where_p}: key '{name}'", scenario))
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
        solve = parse_solve(sname, sdef, f"{source}: [solve.{sname}]")

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
        unknown = sorted(n for n in e.names - known - set(CONSTANTS))
        if unknown:
            raise SweepError(f"{where}: unknown name '{unknown[0]}' (a parameter, constant, the solved "
                             f"variable or a derived value defined above)")
        derived[name] = e
        known.add(name)

    outputs, output_attrs = parse_outputs(data["outputs"], source, scenario)
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
        check_scenario(spec, base, trust, announce)
    else:
        check_function(spec, base)
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
