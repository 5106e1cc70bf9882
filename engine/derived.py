"""Derived quantities: named expressions of a run's variables, recorded beside them.

A derived quantity (a scenario's ``[derived]`` table, :meth:`cryocosim.System.derive`) is an
expression of :mod:`cryocosim.expr` over

* recorded variables ``actor.output`` (outputs and locals; Integers and Booleans as numbers),
* Real parameters ``actor.parameter``, at their value when the record is taken (an event that
  changes a tunable parameter is seen from then on),
* the derived quantities defined before it, by name (``cop``) or as ``derived.cop``,

with quantities such as ``300 K``.  Its dimension is checked when it is defined; it is recorded
at every output time as the Real variable ``derived.NAME`` in its unit: the SI unit of the
expression (``W``, ``K``, ``1``...), or the unit the author states (of the same dimension; the
values converted to it).  The values of the variables are converted to SI before the
arithmetic (a temperature in degC to kelvin).  Where the arithmetic has no value (0/0, a log of
zero) the record holds NaN or an infinity, as IEEE arithmetic gives it; the run goes on.

:class:`Evaluator` computes the derived values of one recorded row: the recorder calls it for
each record, so the result file holds them as the run goes (a run that fails or is interrupted
keeps them up to then).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .checks import describe
from .errors import ConfigurationError
from .expr import CONSTANTS, Expr
from .units import UnitError, parse_unit, plain_dims, si_unit
from .variables import Causality

__all__ = ["PREFIX", "Derived", "define", "Evaluator"]

#: the "actor" name of the derived quantities' variables: ``derived.cop``
PREFIX = "derived."
_NAME = re.compile(r"[A-Za-z_]\w*")
_RECORDED = (float, int, bool)


@dataclass
class Derived:
    """One derived quantity: recorded as ``derived.<name>`` in ``unit``."""

    name: str
    expr: Expr
    unit: str
    description: str = ""
    where: str = ""
    #: expression name -> ("column", "actor.var", unit) | ("parameter", "actor.var", unit) |
    #: ("derived", name, unit)
    sources: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: recorded value = SI value * scale + offset
    scale: float = 1.0
    offset: float = 0.0

    @property
    def column(self) -> str:
        return PREFIX + self.name

    @property
    def long_name(self) -> str:
        return self.description or self.expr.text.strip()


def _error(where: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{where}: {message}" if where else message)


def _resolve(ref: str, actors: Mapping[str, Any], earlier: Mapping[str, Derived], e: Expr) -> tuple[str, str, str]:
    """Where the value of the name ``ref`` of expression ``e`` comes from."""
    bad = e._bad
    hint = ("a recorded variable or Real parameter 'actor.variable', or a derived quantity defined above"
            + (f" ({', '.join(earlier)})" if earlier else ""))
    if ref in earlier:
        return ("derived", ref, earlier[ref].unit)
    head, dot, tail = ref.partition(".")
    if dot and head == PREFIX[:-1] and head not in actors:
        if tail in earlier:
            return ("derived", tail, earlier[tail].unit)
        raise bad(f"derived quantity '{tail}' is not defined above (a derived quantity may use those "
                  f"defined before it)")
    if not dot:
        raise bad(f"unknown name '{ref}' ({hint})")
    actor = actors.get(head)
    if actor is None:
        raise bad(f"unknown actor '{head}' in '{ref}' (actors: {', '.join(actors)})")
    var = actor.variable_map().get(tail)
    if var is None:
        names = [v.name for v in actor.variables if v.causality in (Causality.output, Causality.local)]
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise bad(f"actor '{head}' has no variable '{tail}' (its recorded variables: {shown})")
    if var.causality in (Causality.output, Causality.local):
        if var.type not in _RECORDED or var.items:
            raise bad(f"'{ref}' is {'an Enumeration' if var.items else 'a ' + var.type_name}, not a number")
        return ("column", ref, var.unit or "1")
    if var.causality == Causality.parameter:
        if var.type is not float:
            raise bad(f"'{ref}' is a {var.type_name} parameter; only Real parameters can be used")
        return ("parameter", ref, var.unit or "1")
    raise bad(f"'{ref}' is an input of actor '{head}': name the output connected to it")


def define(name: Any, expression: Any, unit: Any = None, description: Any = "", *, where: str = "",
           actors: Mapping[str, Any], earlier: Mapping[str, Derived]) -> Derived:
    """Check and compile the derived quantity ``name = expression`` of a system with ``actors``
    (name -> actor) after the quantities ``earlier``; ``unit`` (optional) must be of the
    expression's dimension.  A :class:`ConfigurationError` names ``where`` in one line."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise _error(where, f"the name of a derived quantity is a word (letters, digits, _), not {describe(name)}")
    if name in earlier:
        raise _error(where, f"derived quantity '{name}' is defined twice")
    if name in CONSTANTS:
        raise _error(where, f"'{name}' is a constant of the expressions: choose another name")
    if PREFIX[:-1] in actors:
        raise _error(where, f"an actor is named '{PREFIX[:-1]}', the prefix of the derived quantities' "
                            f"variables: rename it to define derived quantities")
    if not isinstance(expression, str) or not expression.strip():
        raise _error(where, f"the expression must be a non-empty string such as \"a.x / b.y\", not {describe(expression)}")
    e = Expr(expression, where, reductions=False)
    sources = {ref: _resolve(ref, actors, earlier, e) for ref in sorted(e.names)
               if not (ref in CONSTANTS and "." not in ref)}
    dims = e.dimension({ref: u for ref, (_, _, u) in sources.items()})
    natural = si_unit(dims)
    scale, offset = 1.0, 0.0
    if unit is None or unit == "":
        unit = natural
    else:
        if not isinstance(unit, str):
            raise _error(where, f"'unit' must be a string such as \"W\", not {describe(unit)}")
        try:
            u = parse_unit(unit)
        except UnitError as exc:
            raise _error(where, f"'unit': {exc}") from None
        if plain_dims(u.dims) != plain_dims(dims):
            raise _error(where, f"'unit': '{unit}' is not of the dimension of {describe(expression.strip())}, "
                                f"which is in {natural}")
        scale, offset = 1.0 / u.factor, -u.offset / u.factor
    if not isinstance(description, str):
        raise _error(where, f"'description' must be a string, not {describe(description)}")
    return Derived(name, e, unit, description.strip(), where, sources, scale, offset)


class Evaluator:
    """The derived values of a recorded row: ``evaluator(row)`` is the list of the values of
    ``derived`` (in order, each in its unit) for ``row``, the values of ``columns``; parameters
    are read from ``actors`` when it is called."""

    def __init__(self, derived: list[Derived], columns: list[str], actors: Mapping[str, Any]):
        index = {name: i for i, name in enumerate(columns)}
        self.derived = list(derived)
        self._plan = []
        for d in self.derived:
            inputs = []
            for ref, (kind, what, unit) in d.sources.items():
                u = parse_unit(unit)
                if kind == "column":
                    source: Any = index[what]
                elif kind == "parameter":
                    a, _, v = what.partition(".")
                    source = (actors[a], v)
                else:
                    source = what
                inputs.append((ref, kind, source, u.factor, u.offset))
            self._plan.append((d, inputs))

    def __call__(self, row: list) -> list[float]:
        si: dict[str, float] = {}
        out = []
        with np.errstate(all="ignore"):
            for d, inputs in self._plan:
                ns = {}
                for ref, kind, source, factor, offset in inputs:
                    if kind == "derived":
                        ns[ref] = si[source]
                        continue
                    x = np.float64(row[source] if kind == "column" else getattr(*source))
                    ns[ref] = x if factor == 1.0 and offset == 0.0 else x * factor + offset
                try:
                    value = float(d.expr(ns))
                except (ArithmeticError, ValueError, TypeError):
                    value = math.nan
                si[d.name] = np.float64(value)
                out.append(value if d.scale == 1.0 and d.offset == 0.0 else value * d.scale + d.offset)
        return out
