"""Scenario files (TOML): read, validate completely, and build a :class:`System`.

Layout::

    [scenario]  name, description
    [run]       stop_time, ordering ("gauss-seidel" | "jacobi"), output_interval, output
    [defaults]  parameters given to every actor that declares them (e.g. fluid = "argon")
    [[actor]]   name, model, step, [actor.parameters]
    [[connect]] from = "a.out", to = "b.in" | ["b.in", "c.in"]
    [[event]]   name, at = time | when = "actor.var < value [unit]", after, set = {...}, stop
    extends = "base.toml"   take the base scenario, then merge this file into it: tables are
                            updated key by key, [[actor]]/[[connect]]/[[event]] are appended
    [set]       "actor.parameter" = value, applied over the actors' parameters

Numbers may carry units as strings ("0.5 atm", "10000 rpm", "2 h").  Every error names the file,
the table and the key and is raised as a :class:`ConfigurationError` (exit status 2).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigurationError, CryocosimError
from .system import System
from .units import UnitError, parse_quantity

_TOP = {"scenario", "run", "defaults", "actor", "connect", "event", "plot", "extends", "set"}
_RUN = {"stop_time", "ordering", "output_interval", "output", "order"}
_ACTOR = {"name", "model", "step", "parameters"}
_CONNECT = {"from", "to"}
_EVENT = {"name", "at", "when", "after", "set", "stop"}


@dataclass
class RunSettings:
    stop_time: float
    ordering: str = "gauss-seidel"
    output_interval: float | None = None
    output: str | None = None
    order: list[str] | None = None
    extra: dict = field(default_factory=dict)


def _require(table: dict, key: str, where: str):
    if key not in table:
        raise ConfigurationError(f"{where}: missing key '{key}'")
    return table[key]


def _unknown(table: dict, allowed: set, where: str):
    for key in table:
        if key not in allowed:
            raise ConfigurationError(f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> tuple[System, RunSettings]:
    """Read and validate a scenario file; return the built system and its run settings."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read scenario: {exc.strerror}") from None
    data = _read_toml(path, text)
    return build(data, str(path), text, overrides)


def _read_toml(path: Path, text: str, seen: tuple = ()) -> dict:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: TOML syntax error: {exc}") from None
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    base_path = (path.parent / base_name).resolve()
    if base_path in seen:
        raise ConfigurationError(f"{path}: key 'extends': '{base_name}' extends itself")
    try:
        base_text = base_path.read_text()
    except OSError as exc:
        raise ConfigurationError(f"{path}: key 'extends': cannot read '{base_name}': {exc.strerror}") from None
    base = _read_toml(base_path, base_text, seen + (base_path,))
    for key, value in data.items():
        if isinstance(value, list) and isinstance(base.get(key), list):
            base[key] = base[key] + value
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def build(data: dict, source: str = "<scenario>", text: str = "",
          overrides: dict[str, Any] | None = None) -> tuple[System, RunSettings]:
    """Build a system from parsed TOML ``data`` (``overrides``: ``{"actor.param": value}``)."""
    _unknown(data, _TOP, source)
    meta = data.get("scenario", {})
    system = System(meta.get("name", Path(source).stem), text, source)

    # [run]
    run = _require(data, "run", source)
    where = f"{source}: [run]"
    _unknown(run, _RUN, where)
    try:
        stop_time = parse_quantity(_require(run, "stop_time", where), "s")
        interval = run.get("output_interval")
        interval = parse_quantity(interval, "s") if interval is not None else None
    except UnitError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    if not stop_time > 0:
        raise ConfigurationError(f"{where}: key 'stop_time' must be positive")
    ordering = run.get("ordering", "gauss-seidel")
    if ordering not in ("gauss-seidel", "jacobi"):
        raise ConfigurationError(f"{where}: key 'ordering' must be 'gauss-seidel' or 'jacobi', not '{ordering}'")
    settings = RunSettings(stop_time, ordering, interval, run.get("output"), run.get("order"))
    settings.extra["plot"] = data.get("plot", {})

    defaults = data.get("defaults", {})
    overrides = {**data.get("set", {}), **(overrides or {})}

    # [[actor]]
    actors = _require(data, "actor", source)
    if not isinstance(actors, list):
        raise ConfigurationError(f"{source}: 'actor' must be an array of tables ([[actor]])")
    for i, table in enumerate(actors, 1):
        name = table.get("name", f"#{i}")
        where = f"{source}: [[actor]] #{i} '{name}'"
        _unknown(table, _ACTOR, where)
        name = _require(table, "name", where)
        model = _require(table, "model", where)
        params = dict(table.get("parameters", {}))
        try:
            actor = system.add(name, model, table.get("step"), where=f"{where}: key 'model'")
        except ConfigurationError as exc:
            msg = str(exc)
            raise ConfigurationError(msg if msg.startswith(source) else f"{where}: {msg}") from None
        declared = actor.variable_map()
        for key, value in defaults.items():
            if key in declared and key not in params:
                params[key] = value
        for ref, value in list(overrides.items()):
            a, _, key = ref.partition(".")
            if a == name:
                params[key] = value
                overrides.pop(ref)
        for key, value in params.items():
            try:
                actor.set_parameter(key, value)
            except CryocosimError as exc:
                raise ConfigurationError(f"{where}: parameters.{key}: {_strip(exc, name)}") from None
            if declared[key].causality.value == "input":
                system.bus.fix_input(name, key)
        system.params[name] = params
    if overrides:
        raise ConfigurationError(f"{source}: override '{next(iter(overrides))}' names no actor of the scenario")

    # [[connect]]
    for i, table in enumerate(data.get("connect", []), 1):
        where = f"{source}: [[connect]] #{i}"
        _unknown(table, _CONNECT, where)
        src = _require(table, "from", where)
        dsts = _require(table, "to", where)
        for dst in [dsts] if isinstance(dsts, str) else dsts:
            try:
                system.connect(src, dst)
            except CryocosimError as exc:
                raise ConfigurationError(f"{where}: {exc}") from None

    # [[event]]
    for i, table in enumerate(data.get("event", []), 1):
        name = table.get("name", f"#{i}")
        where = f"{source}: [[event]] #{i} '{name}'"
        _unknown(table, _EVENT, where)
        if ("at" in table) == ("when" in table):
            raise ConfigurationError(f"{where}: give exactly one of the keys 'at' (a time) or 'when' (a condition)")
        try:
            if "at" in table:
                system.at(table["at"], name, table.get("set"), table.get("stop", False), where=where)
            else:
                system.when(table["when"], name, table.get("set"), table.get("stop", False),
                            table.get("after", 0.0), where=where)
        except UnitError as exc:
            raise ConfigurationError(f"{where}: {exc}") from None

    try:
        system.bus.check()
    except CryocosimError as exc:
        raise ConfigurationError(f"{source}: {exc}") from None
    if settings.order:
        missing = set(system.bus.actors) ^ set(settings.order)
        if missing:
            raise ConfigurationError(f"{source}: [run]: key 'order' must list every actor once (check {', '.join(sorted(missing))})")
    return system, settings


def _strip(exc: Exception, name: str) -> str:
    msg = str(exc)
    prefix = f"actor '{name}': "
    return msg[len(prefix):] if msg.startswith(prefix) else msg
