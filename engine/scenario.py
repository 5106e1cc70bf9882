"""Scenario files (TOML): read, validate completely, and build a :class:`System`.

Layout::

    [scenario]  name, description
    [run]       stop_time, ordering ("gauss-seidel" | "jacobi"), output_interval, output, order;
                step control: tolerance (relative; adaptive steps), abs_tolerance = {unit or
                "actor.var" = floor}, nominal = {unit or "actor.var" = typical magnitude},
                min_step, max_step, event_tolerance, iterate (true: iterate each step to
                convergence), iteration_tolerance, max_iterations, relaxation; coupling_order
                (0 | 1 | 2: inputs as polynomials over a step, cryocosim.extrapolation)
    [defaults]  parameters given to every actor that declares them (e.g. fluid = "argon")
    [[actor]]   name, model, step, coupling_order, [actor.parameters]
    [[connect]] from = "a.out", to = "b.in" | ["b.in", "c.in"], convert = true|false (between
                Real, Integer, Boolean and Enumeration, or from a unitless Real to one with a unit)
    [[event]]   name, at = time | when = "actor.var < value [unit]", after, set = {...}, stop
    [derived]   NAME = "expression" | { expr = "...", unit = "W", description = "..." }: recorded
                as derived.NAME (cryocosim.derived; expressions of cryocosim.expr, with units)
    [units]     display units: "Pa" = "bar" (every variable of that dimension) or "hp.p" = "atm"
                (one variable): the result's display_units attributes
    [plot]      panels = [["a.x", "b.y", "derived.NAME"], ...]; a panel may be a table
                { vars = ["a.x"], from = "2.5 h", to = "3 h", title = "the stall", log = false }
    extends = "base.toml"   take the base scenario, then merge this file into it: tables are
                            updated key by key, [[actor]]/[[connect]]/[[event]] are appended
    [set]       "actor.parameter" = value, applied over the actors' parameters

Numbers may carry units as strings ("0.5 atm", "10000 rpm", "2 h").  The whole document's
structure and types are checked before anything is built (:func:`check_document`); then every
value (finite, in its bounds, of the right unit), every connection and event, and the length of
the run.  Every error names the file, the table and the key and is raised as a
:class:`ConfigurationError` (exit status 2).  :func:`validate` also sets the native actors up
(an FMU actor's modelDescription is read, its code is not run) and names the parameter behind a
failure.  A relative ``.fmu`` model path is taken relative to the scenario file's folder.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schema
from . import trust as trust_rules
from .checks import (RESOLUTION, kind_of, parse_toml, check_run_length, check_time, describe, locate_setup_error,
                     parameter_message, read_text_file)
from .errors import ConfigurationError, ConnectionError_, CryocosimError, one_line
from .stepcontrol import StepControl
from .system import System
from .units import UnitError, parse_quantity, parse_unit
from .variables import Causality

_ORDERINGS = ("gauss-seidel", "jacobi")


@dataclass
class RunSettings:
    stop_time: float
    ordering: str = "gauss-seidel"
    output_interval: float | None = None
    output: str | None = None
    order: list[str] | None = None
    extra: dict = field(default_factory=dict)
    #: step control: tolerance, min_step, max_step, iterate, ... (:class:`StepControl` fields)
    step: dict = field(default_factory=dict)

    def run_options(self) -> dict:
        """Keyword arguments of :meth:`System.run` for these settings (all but stop time and output)."""
        return dict(ordering=self.ordering, output_interval=self.output_interval, order=self.order, **self.step)


# -- structure and types of the document (cryocosim.schema) --------------------------------------
def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _flat_set(table: dict, where: str) -> dict[str, Any]:
    """``{"a.b" = 1}`` or ``{a = {b = 1}}`` (TOML dotted keys) -> ``{"a.b": 1}``; checks the form."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                flat[f"{key}.{sub}"] = v
        else:
            flat[key] = value
    for ref, value in flat.items():
        actor, dot, var = ref.partition(".")
        if not (actor and dot and var):
            raise ConfigurationError(f"{where}: key {describe(ref)} must read 'actor.variable'")
        if not _scalar(value):
            raise ConfigurationError(f"{where}: key '{ref}' must be a number, a string or true/false, "
                                     f"not {kind_of(value)} ({describe(value)})")
    return flat


def _set_table(wanted: str, label) -> schema.Check:
    """A ``set`` table of ``"actor.variable" = value`` (``[set]``, an event's ``set``)."""
    def check(value, where, key, ctx):
        if not isinstance(value, dict):
            raise ctx.error(schema.bad_type(where, key, wanted, value))
        _flat_set(value, label(where, key))
    return schema.Check(check)


def _parameters(value, where, key, ctx) -> None:
    if not isinstance(value, dict):
        raise ctx.error(schema.bad_type(where, key, f"a table ([{key}])", value))
    for k, v in value.items():
        if not _scalar(v):
            raise ctx.error(f"{where}: parameters.{k} must be a number, a string or true/false, "
                            f"not {kind_of(v)} ({describe(v)})")


def _expr_given(table: dict, where: str, ctx) -> None:
    if "expr" not in table:
        raise ctx.error(f"{where}: missing key 'expr' (a table is {{ expr = \"...\", unit = \"W\", "
                        f"description = \"...\" }})")


_DERIVED_ENTRY = schema.Table({"expr": schema.Str(), "unit": schema.Str(), "description": schema.Str(empty=True)},
                              rules=(_expr_given,))


def _derived(value, where, key, ctx) -> None:
    if isinstance(value, dict):
        _DERIVED_ENTRY.check_keys(value, f"{where}: key '{key}'", ctx)
    elif not isinstance(value, str):
        raise ctx.error(schema.bad_type(where, key, 'an expression string ("a.x / b.y") or a table { expr = "...", '
                                        'unit = "...", description = "..." }', value))


def _display_unit(value, where, key, ctx) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(schema.bad_type(where, key, 'a display unit ("bar")', value))


def _panel_time(key: str) -> schema.Check:
    def check(value, where, k, ctx):
        check_time(value, f"{where}: key '{k}'", positive=key == "to")
    return schema.Check(check)


_PANEL = schema.Table({"vars": schema.Strings('an array of "actor.variable" names'), "from": _panel_time("from"),
                       "to": _panel_time("to"), "title": schema.Str(empty=True), "log": schema.Bool()},
                      required=("vars",))


def _panels(panels, where, key, ctx) -> None:
    names = lambda p: isinstance(p, list) and all(isinstance(n, str) for n in p)  # noqa: E731
    if not (isinstance(panels, list) and all(names(p) or isinstance(p, dict) for p in panels)):
        raise ctx.error(schema.bad_type(where, key, 'an array of panels: arrays of "actor.variable" names or '
                                        'tables { vars = [...], from, to, title, log }', panels))
    for i, panel in enumerate(panels, 1):
        if isinstance(panel, dict):
            at = f"{where}: panels #{i}"
            _PANEL.check_keys(panel, at, ctx)
            if "from" in panel and "to" in panel and \
                    check_time(panel["from"], at, positive=False) >= check_time(panel["to"], at):
                raise ctx.error(f"{at}: key 'from' must come before key 'to'")


def _at_or_when(table: dict, where: str, ctx) -> None:
    if ("at" in table) == ("when" in table):
        raise ctx.error(f"{where}: give exactly one of the keys 'at' (a time) or 'when' (a condition)")


_NUMBER_OR_QUANTITY = schema.Quantity("a number or a quantity such as '0.01 K'")

#: the scenario file, described once (see the module docstring for what each key means)
SCHEMA = schema.Table({
    "extends": schema.Str(),
    "scenario": schema.Table({"name": schema.Str(), "description": schema.Str(empty=True)}),
    "run": schema.Table({
        "stop_time": schema.Quantity(), "output_interval": schema.Quantity(), "ordering": schema.Str(),
        "output": schema.Str(), "order": schema.Strings("an array of actor names"),
        "min_step": schema.Quantity(), "max_step": schema.Quantity(), "event_tolerance": schema.Quantity(),
        "tolerance": schema.Number(), "iteration_tolerance": schema.Number(), "relaxation": schema.Number(),
        "max_iterations": schema.Number(), "iterate": schema.Bool(), "coupling_order": schema.Number(),
        "abs_tolerance": schema.Map(_NUMBER_OR_QUANTITY, label=lambda w, k: f"{w}: {k}"),
        "nominal": schema.Map(_NUMBER_OR_QUANTITY, label=lambda w, k: f"{w}: {k}"),
    }, required=("stop_time",)),
    "defaults": schema.Map(schema.Scalar()),
    "set": _set_table("a table ([set])", lambda w, k: f"{w}: [set]"),
    "actor": schema.Tables(schema.Table({"name": schema.Str(), "model": schema.Str(), "step": schema.Quantity(),
                                         "coupling_order": schema.Number(),
                                         "parameters": schema.Check(_parameters)}, required=("name", "model")),
                           nonempty="key 'actor' must list at least one actor ([[actor]])"),
    "connect": schema.Tables(schema.Table({
        "from": schema.Str(), "to": schema.Strings("a string or a non-empty array of strings", nonempty=True,
                                                   or_string=True),
        "convert": schema.Bool()}, required=("from", "to"))),
    "event": schema.Tables(schema.Table({
        "name": schema.Str(), "at": schema.Quantity(), "when": schema.Str(), "after": schema.Quantity(),
        "stop": schema.Bool(), "set": _set_table('a table of "actor.variable" = value', lambda w, k: f"{w}: key 'set'")},
        rules=(_at_or_when,))),
    "derived": schema.Map(schema.Check(_derived)),
    "units": schema.Map(schema.Check(_display_unit)),
    "plot": schema.Table({"panels": schema.Check(_panels)}),
}, required=("run", "actor"))


def check_document(data: Any, source: str, complete: bool = True) -> None:
    """Check the structure and the types of a parsed scenario (tables, arrays of tables, keys,
    strings, numbers) against :data:`SCHEMA` before anything is built.  ``complete=False`` checks
    one file of an ``extends`` chain, where required keys may come from another file."""
    schema.document(SCHEMA, data, source, "a scenario", schema.Context(ConfigurationError, complete))


# -- reading -------------------------------------------------------------------------------------
def load(path: str | Path, overrides: dict[str, Any] | None = None,
         override_label: str = "override", *, trust: bool = True,
         announce: str | None = None) -> tuple[System, RunSettings]:
    """Read and validate a scenario file; return the built system and its run settings.

    ``overrides``: ``{"actor.parameter": value}`` applied last; errors in them are reported as
    ``"<override_label> 'actor.parameter'"`` (the command line passes ``"--set"``).
    ``trust=False``: a model from a module outside the registered models is refused instead of
    imported (:mod:`cryocosim.trust`); ``announce`` (what is done, ``"run s.toml"``): one
    :class:`~cryocosim.trust.ExternalCodeNotice` names the external code (modules, FMUs) before any
    of it is imported.
    """
    path = Path(path)
    text = _read_text(path, str(path))
    data = read_toml(path, text)
    if announce or not trust:
        check_document(data, str(path))
        codes = trust_rules.external_code(data, str(path))
        if not trust:
            trust_rules.refuse_untrusted(codes, str(path))
        if announce:
            trust_rules.announce(codes, announce)
    return build(data, str(path), text, overrides, override_label)


def validate(path: str | Path, overrides: dict[str, Any] | None = None,
             override_label: str = "override", *, trust: bool = True) -> tuple[System, RunSettings]:
    """:func:`load` a scenario, then set its native actors up (:func:`setup_actors`): everything
    short of running it.  ``trust=False`` (``cryocosim validate`` without ``--trust``): a model
    module outside the registered models is refused, not imported."""
    system, settings = load(path, overrides, override_label, trust=trust)
    setup_actors(system)
    return system, settings


#: the largest scenario file read (bytes): a hand-written TOML scenario is a few kilobytes
MAX_SCENARIO_BYTES = 4 * 1024 * 1024


def _read_text(path: Path, where: str) -> str:
    """A scenario file's text: a regular file of at most :data:`MAX_SCENARIO_BYTES`, in UTF-8."""
    return read_text_file(path, where, "scenario", MAX_SCENARIO_BYTES)


def read_toml(path: Path, text: str, seen: tuple = ()) -> dict:
    data = parse_toml(text, str(path))
    check_document(data, str(path), complete=False)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    base_path = (path.parent / base_name).resolve()
    if base_path in seen or base_path == path.resolve():
        raise ConfigurationError(f"{path}: key 'extends': '{base_name}' extends itself")
    base_text = _read_text(base_path, f"{path}: key 'extends': '{base_name}'")
    base = read_toml(base_path, base_text, seen + (path.resolve(), base_path))
    for key, value in data.items():
        if isinstance(value, list) and isinstance(base.get(key), list):
            base[key] = base[key] + value
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


# -- building ------------------------------------------------------------------------------------
def _param_message(exc: Exception, actor: str, key: str, where: str) -> str:
    """``"actor 'x': parameter 'k' = 3 is ..."`` -> ``"<where>: 3 is ..."`` (one line)."""
    msg = one_line(exc)
    for head in (f"actor '{actor}': ", f"parameter '{key}'"):
        if msg.startswith(head):
            msg = msg[len(head):]
    return parameter_message(where, msg)


def build(data: dict, source: str = "<scenario>", text: str = "",
          overrides: dict[str, Any] | None = None,
          override_label: str = "override") -> tuple[System, RunSettings]:
    """Build a system from parsed TOML ``data`` (``overrides``: ``{"actor.param": value}``).

    The system records where each actor was defined (``system.origins[name]``) and where each
    parameter value came from (``system.parameter_origins[name][key]``), for error messages.
    """
    check_document(data, source)
    meta = data.get("scenario", {})
    system = System(meta.get("name", Path(source).stem), text, source)
    origins = system.origins
    param_origins = system.parameter_origins

    # [run]
    run = data["run"]
    where = f"{source}: [run]"
    stop_time = check_time(run["stop_time"], f"{where}: key 'stop_time'")
    interval = run.get("output_interval")
    if interval is not None:
        interval = check_time(interval, f"{where}: key 'output_interval'")
        if interval < RESOLUTION:
            raise ConfigurationError(f"{where}: key 'output_interval' must be at least {RESOLUTION:g} s")
    ordering = run.get("ordering", "gauss-seidel")
    if ordering not in _ORDERINGS:
        raise ConfigurationError(f"{where}: key 'ordering' must be 'gauss-seidel' or 'jacobi', not {describe(ordering)}")
    settings = RunSettings(stop_time, ordering, interval, run.get("output"), run.get("order"))
    settings.extra["plot"] = data.get("plot", {})
    step: dict[str, Any] = {}
    for key in ("min_step", "max_step", "event_tolerance"):
        if key in run:
            step[key] = check_time(run[key], f"{where}: key '{key}'")
    for key in ("tolerance", "iteration_tolerance", "relaxation", "max_iterations", "iterate", "coupling_order"):
        if key in run:
            step[key] = run[key]
    if "max_iterations" in step and step["max_iterations"] != int(step["max_iterations"]):
        raise ConfigurationError(f"{where}: key 'max_iterations' must be a whole number")
    if "max_iterations" in step:
        step["max_iterations"] = int(step["max_iterations"])
    orders = {t["name"]: t["coupling_order"] for t in data["actor"] if "coupling_order" in t}
    if orders:
        step["coupling_orders"] = orders
    StepControl(**step).check(where)
    settings.step = step

    defaults = data.get("defaults", {})
    # every override with the place its value came from
    pending: dict[str, tuple[Any, str]] = {
        ref: (value, f"{source}: [set]: key '{ref}'") for ref, value in _flat_set(data.get("set", {}), source).items()}
    for ref, value in (overrides or {}).items():
        label = f"{override_label} {describe(ref)}"
        if not isinstance(ref, str) or not all(ref.partition(".")[::2]) or "." not in ref:
            raise ConfigurationError(f"{label}: must read actor.parameter=value")
        pending[ref] = (value, label)

    # [[actor]]
    for i, table in enumerate(data["actor"], 1):
        name = table["name"]
        where = f"{source}: [[actor]] #{i} '{name}'"
        model = table["model"]
        if model.lower().endswith(".fmu"):
            model = str(Path(source).parent / model)  # relative to the scenario's folder
        try:
            actor = system.add(name, model, table.get("step"), where=f"{where}: key 'model'",
                               step_where=f"{where}: key 'step'")
        except CryocosimError as exc:
            msg = one_line(exc)
            key = "name" if isinstance(exc, ConnectionError_) else "model"  # a duplicate or bad name
            raise ConfigurationError(msg if msg.startswith(source) else f"{where}: key '{key}': {msg}") from None
        except Exception as exc:  # a model class whose constructor fails
            raise ConfigurationError(f"{where}: key 'model': cannot create actor of model {describe(model)}: "
                                     f"{type(exc).__name__}: {' '.join(str(exc).split())}") from None
        origins[name] = where
        declared = actor.variable_map()
        params: dict[str, Any] = {}
        came_from: dict[str, str] = {}
        for key, value in defaults.items():
            if key in declared and declared[key].causality in (Causality.parameter, Causality.input):
                params[key], came_from[key] = value, f"{source}: [defaults]: key '{key}' (for actor '{name}')"
        for key, value in table.get("parameters", {}).items():
            params[key], came_from[key] = value, f"{where}: parameters.{key}"
        for ref, (value, label) in list(pending.items()):
            a, _, key = ref.partition(".")
            if a == name:
                params[key], came_from[key] = value, label
                del pending[ref]
        for key, value in params.items():
            try:
                actor.set_parameter(key, value)
            except CryocosimError as exc:
                raise ConfigurationError(_param_message(exc, name, key, came_from[key])) from None
            if declared[key].causality == Causality.input:
                system.bus.fix_input(name, key)
        system.params[name] = params
        param_origins[name] = came_from
    if pending:
        ref, (_, label) = next(iter(pending.items()))
        known = ", ".join(system.bus.actors)
        raise ConfigurationError(f"{label}: names no actor of the scenario (actors: {known})")
    for table in ("abs_tolerance", "nominal"):
        if table in run:
            settings.step[table] = _abs_tolerance(system, run[table], f"{source}: [run]: {table}")
    settings.stop_time = check_run_length(stop_time, system.steps, f"{source}: [run]: key 'stop_time'")

    # [[connect]]
    for i, table in enumerate(data.get("connect", []), 1):
        where = f"{source}: [[connect]] #{i}"
        src, dsts = table["from"], table["to"]
        for dst in [dsts] if isinstance(dsts, str) else dsts:
            try:
                system.connect(src, dst, convert=table.get("convert", False))
            except CryocosimError as exc:
                raise ConfigurationError(f"{where}: {' '.join(str(exc).split())}") from None

    # [derived], then [units] (which may name the derived quantities)
    for key, value in data.get("derived", {}).items():
        where = f"{source}: [derived]: key '{key}'"
        if isinstance(value, str):
            value = {"expr": value}
        try:
            system.derive(key, value["expr"], value.get("unit"), value.get("description", ""), where=where)
        except CryocosimError as exc:
            msg = one_line(exc)
            raise ConfigurationError(msg if msg.startswith(source) else f"{where}: {msg}") from None
    for key, value in data.get("units", {}).items():
        system.display(key, value, where=f"{source}: [units]: key '{key}'")

    # [[event]]
    for i, table in enumerate(data.get("event", []), 1):
        name = table.get("name")
        where = f"{source}: [[event]] #{i}" + (f" '{name}'" if name is not None else "")
        values = _flat_set(table.get("set", {}), f"{where}: key 'set'")
        stop = table.get("stop", False)
        try:
            if "at" in table:
                t = check_time(table["at"], f"{where}: key 'at'", positive=False)
                system.at(t, name, values, stop, where=where)
            else:
                after = check_time(table.get("after", 0.0), f"{where}: key 'after'", positive=False)
                system.when(table["when"], name, values, stop, after, where=where)
        except CryocosimError as exc:
            msg = one_line(exc)
            raise ConfigurationError(msg if msg.startswith(source) else f"{where}: {msg}") from None
        except ValueError as exc:  # UnitError
            raise ConfigurationError(f"{where}: {' '.join(str(exc).split())}") from None

    try:
        system.bus.check()
    except CryocosimError as exc:
        raise ConfigurationError(f"{source}: {' '.join(str(exc).split())}") from None
    if settings.order:
        order = settings.order
        missing = set(system.bus.actors) ^ set(order)
        twice = sorted({n for n in order if order.count(n) > 1})
        if missing or twice:
            raise ConfigurationError(f"{source}: [run]: key 'order' must list every actor once "
                                     f"(check {', '.join(sorted(missing) + twice)})")
    _check_panels(system, settings.extra["plot"].get("panels") or [], f"{source}: [plot]: key 'panels'")
    try:
        system.display_units()   # the models' own display_units, checked as a run will
    except ConfigurationError as exc:
        raise ConfigurationError(f"{source}: {' '.join(str(exc).split())}") from None
    return system, settings


def _check_panels(system: System, panels: list, where: str) -> None:
    """Every name of every panel is an output, local or derived quantity; a panel's variables
    share one dimension (a W beside a ratio would be read on the W axis)."""
    for i, panel in enumerate(panels, 1):
        units: dict[tuple, str] = {}
        for ref in (panel.get("vars", []) if isinstance(panel, dict) else panel):
            actor_name, _, var = ref.partition(".")
            actor = system.bus.actors.get(actor_name)
            v = actor.variable_map().get(var) if actor is not None else None
            if actor is None and actor_name == "derived" and var in system.derived:
                unit = system.derived[var].unit
            elif v is None or v.causality not in (Causality.output, Causality.local):
                raise ConfigurationError(f"{where}: {describe(ref)} is not an output or local variable of an actor "
                                         f"or a derived quantity")
            else:
                if v.type is not float:
                    continue
                unit = v.unit
            try:
                units.setdefault(parse_unit(unit or "1").dims, f"{ref} [{unit or '1'}]")
            except UnitError:
                continue
        if len(units) > 1:
            first, second = list(units.values())[:2]
            raise ConfigurationError(f"{where}: panel #{i} mixes dimensions ({first}, {second}): give each "
                                     "dimension a panel of its own")


def setup_actors(system: System) -> None:
    """Set up every native actor of ``system`` (as the run would at t = 0) to find parameters
    and start values the models reject; without FMU actors, also iterate the connected values
    to a consistent start as a run does.  FMU actors are not instantiated (their
    modelDescription was read when the system was built; their code is not run).

    A failure is a :class:`ConfigurationError` naming the scenario table and key behind it
    (``system.origins``, ``system.parameter_origins``).
    """
    fmi = sys.modules.get("cryocosim.fmi.fmu_actor")  # not imported: no actor can be an FMU
    if fmi is None or not any(isinstance(a, fmi.FMUActor) for a in system.bus.actors.values()):
        # only native actors: the whole initialisation of a run, fixed-point iteration included
        from .master import Master

        system.initialize(Master(system.bus, system.steps))
        return
    origins = system.origins
    param_origins = system.parameter_origins
    for name, actor in system.bus.actors.items():
        if fmi is not None and isinstance(actor, fmi.FMUActor):
            continue
        try:
            actor.setup()
        except Exception as exc:
            raise ConfigurationError(locate_setup_error(exc, name, origins, param_origins)) from None


def _abs_tolerance(system: System, floors: dict, where: str) -> dict[str, float]:
    """``{"K": 0.01, "load.T": "5 mK"}`` -> positive quantities in SI (per unit, or per variable
    in its declared unit): the absolute floors or nominal values of the step control."""
    out: dict[str, float] = {}
    for key, value in floors.items():
        actor_name, dot, var_name = key.partition(".")
        if dot and actor_name in system.bus.actors:
            var = system.bus.actors[actor_name].variable_map().get(var_name)
            if var is None or var.type is not float:
                raise ConfigurationError(f"{where}: key '{key}': actor '{actor_name}' has no Real variable '{var_name}'")
            unit = var.unit
        else:
            unit = key
        try:
            parse_unit(unit)
            x = parse_quantity(value, unit)
        except UnitError as exc:
            raise ConfigurationError(f"{where}: key '{key}': {exc} (keys are units, 'K', or variables, 'load.T')") from None
        if not (math.isfinite(x) and x > 0):
            raise ConfigurationError(f"{where}: key '{key}' must be positive, got {describe(value)}")
        out[key] = x
    return out
