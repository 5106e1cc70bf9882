"""The tables of a sweep spec, each read and checked on its own: ``[parameters]`` (one
:class:`SweptParameter` each), ``[solve.NAME]`` (a :class:`Solve`) and ``outputs`` (expressions),
with the numbers and quantities in them and a scenario spec's dotted keys."""
from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import describe
from ..expr import dotted
from ..schema import kind_of
from ..units import UnitError, parse_quantity, parse_unit
from .expressions import Expr
from .limits import MAX_EXPAND, MAX_ITER, MAX_POINTS, SweepError

_SOLVE_KEYS = {"residual", "bracket", "scale", "expand", "factor", "xtol", "rtol", "maxiter"}


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


def number_in_unit(value: Any, where: str, unit: str | None = None) -> float:
    """``value`` of a spec as a float: a number, or a string of one; with ``unit``, a number is
    taken in ``unit`` and a quantity such as ``"80 W"`` is converted to it (a quantity without
    ``unit`` is refused, naming ``where``)."""
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


def flatten_keys(table: dict, where: str, scenario: bool, leaf_table_keys: set | None = None) -> dict:
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


def parse_parameter(name: str, spec: Any, where: str, scenario: bool) -> SweptParameter:
    """A ``[parameters]`` entry: an array of values, ``{values, unit}`` or a range ``{start,
    stop, num, scale}``; numbers with a ``unit`` are converted to it, values checked distinct
    and of one kind."""
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
            lo = number_in_unit(spec["start"], f"{where}: 'start'", unit)
            hi = number_in_unit(spec["stop"], f"{where}: 'stop'", unit)
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
            v = number_in_unit(v, f"{where}: value #{i + 1}", unit)
        if isinstance(v, float) and math.isnan(v):
            raise SweepError(f"{where}: value #{i + 1} is NaN")
        values.append(v)
    if len({json.dumps(v) for v in values}) != len(values):
        raise SweepError(f"{where}: a value appears twice")
    if len({type(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else float for v in values}) > 1:
        raise SweepError(f"{where}: the values must all be numbers, all strings or all true/false")
    return SweptParameter(name, values, unit or "", long_name)


def parse_solve(name: str, sdef: Any, where: str) -> Solve:
    """The table ``[solve.NAME]``: its residual, bracket, scale and the method's settings,
    within :data:`MAX_EXPAND` and :data:`MAX_ITER`."""
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
    lo = number_in_unit(br[0], f"{where}: 'bracket'")
    hi = number_in_unit(br[1], f"{where}: 'bracket'")
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
            v = number_in_unit(sdef[k], f"{where}: '{k}'")
            if not (v > 0 and math.isfinite(v)) or (k == "factor" and v <= 1):
                raise SweepError(f"{where}: '{k}' must be positive" + (" and above 1" if k == "factor" else ""))
            setattr(out, k, v)
    return out


def parse_outputs(raw: Any, source: str, scenario: bool) -> tuple[dict[str, Expr], dict[str, dict]]:
    """``outputs``: a list of names or an ``[outputs]`` table of expressions (or ``{expr, unit,
    long_name}``); returns the expressions and each output's attributes."""
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
            plain = dotted(ast.parse(name, mode="eval").body) if _is_expr(name) else None
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
