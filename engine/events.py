"""Events of a run: what they do, when they happen, and how a condition is watched.

An event's :class:`Action` sets values and/or stops the run.  A :class:`TimeEvent` happens at a
given time; a :class:`ConditionEvent` when its condition becomes true: one or more
:class:`Clause`\\ s ``left <op> threshold`` joined by ``and``, parsed from the text a scenario or
``System.when`` gives (:func:`parse_condition`).

:class:`Conditions` watches the condition events during a run: the clause values and truths at
the last time it looked, and which events have fired.  An event fires on the edge: false at the
last look, true at this one, armed (at or after its ``arm_time``).  The fixed-step clock looks at
every tick of the fastest actor and locates the edge by linear interpolation between the two
looks (:meth:`Conditions.check`); the macro stepper looks after every accepted step and locates
it by bisection (:meth:`Conditions.crossings`, then :meth:`Conditions.update`).
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .errors import ConfigurationError
from .units import UnitError, parse_quantity

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class StopRun(Exception):
    """An event's action (or an actor that ended the simulation) stops the run here."""


@dataclass
class Action:
    """What an event does: set values (tunable parameters or unconnected inputs) and/or stop."""

    set: dict[tuple[str, str], Any] = field(default_factory=dict)
    stop: bool = False


@dataclass
class TimeEvent:
    time: float
    name: str
    action: Action


@dataclass
class Clause:
    """One comparison ``left <op> threshold`` of a condition: the left side is ``actor.var``, or,
    with ``terms``, ``[abs](sum of coefficient * actor.var)`` (``hp.p - lp.p``, ``abs(a.x - b.x)``)."""

    actor: str
    var: str
    op: str
    threshold: float
    terms: tuple = ()          # ((actor, var, coefficient), ...)
    absolute: bool = False     # abs() of the sum


@dataclass
class ConditionEvent:
    """Fires when ``actor.var <op> threshold`` becomes true (edge-triggered, after ``arm_time``).

    ``terms`` generalises the left side to ``sign * [abs](sum of coefficient * actor.var)``
    (``hp.p - lp.p``, ``abs(a.x - b.x)``); empty: ``actor.var`` alone.  ``also`` holds further
    clauses (:class:`Clause`) joined to this first one by ``and``: the event fires when all of
    them become true together."""

    actor: str
    var: str
    op: str
    threshold: float
    name: str
    action: Action
    arm_time: float = 0.0
    once: bool = True
    expression: str = ""
    terms: tuple = ()          # ((actor, var, coefficient), ...)
    absolute: bool = False     # abs() of the sum
    also: tuple = ()           # (Clause, ...): further clauses joined by 'and'

    @property
    def clauses(self) -> tuple:
        """All the clauses of the conjunction, this event's own first (it has a clause's fields)."""
        return (self,) + tuple(self.also)


# -- the text of a condition --------------------------------------------------------------------
_COND = re.compile(r"^\s*(.+?)\s*(<=|>=|<|>)\s*(.+?)\s*$")
_REF = r"[A-Za-z_]\w*\.[A-Za-z_]\w*"
_SUM = re.compile(rf"^\s*([+-]?)\s*({_REF})((?:\s*[+-]\s*{_REF})*)\s*$")
_TERM = re.compile(rf"([+-])\s*({_REF})")
_ABS = re.compile(r"abs\s*\((.*)\)")
# ' and ' joins the clauses of a conjunction; 'or' (or '|', '||') is refused with its own message
_AND = re.compile(r"(?:^|\s+)and(?:\s+|$)", re.IGNORECASE)
_OR = re.compile(r"(?:^|\s)(?:or|\|\|?)(?:\s|$)", re.IGNORECASE)

#: ``unit_of(actor, variable, what)``: the unit of a variable a clause names, or a
#: :class:`ConfigurationError` (``what`` names the clause in the message)
UnitOf = Callable[[str, str, str], str]


def parse_condition(condition: str, unit_of: UnitOf, where: str) -> list[Clause]:
    """The clauses of ``condition``, ``"left <op> value [unit]"`` or several such joined by
    ``and``; ``where`` starts every error message."""
    text = condition or ""
    if _OR.search(text):
        raise ConfigurationError(f"{where}: condition '{condition}' uses 'or': only 'and' joins clauses "
                                 "(for alternatives, give one event per clause)")
    parts = _AND.split(text)
    if len(parts) == 1:
        return [_clause(condition, unit_of, where)]
    return [_clause(part, unit_of, where, condition) for part in parts]


def _clause(text: str, unit_of: UnitOf, where: str, conjunction: str | None = None) -> Clause:
    """One clause ``"left <op> value [unit]"`` of a condition (``conjunction``: the whole
    condition, when the clause is one of several joined by ``and``)."""
    what = f"condition '{text}'" if conjunction is None else f"clause '{text}' of condition '{conjunction}'"
    form = ("must read 'actor.variable < value [unit]' (or 'a.x - b.y < value', "
            "'abs(a.x - b.y) < value')")
    m = _COND.match(text or "")
    if not m:
        raise ConfigurationError(f"{where}: {what} {form}")
    lhs, op, rhs = m.groups()
    absolute = False
    inner = _ABS.fullmatch(lhs.strip())
    if inner:
        lhs, absolute = inner.group(1), True
    m = _SUM.match(lhs)
    if not m:
        raise ConfigurationError(f"{where}: {what} {form}")
    terms = [(-1.0 if m.group(1) == "-" else 1.0, m.group(2))]
    terms += [(-1.0 if sign == "-" else 1.0, ref) for sign, ref in _TERM.findall(m.group(3))]
    parsed, unit = [], None
    for k, ref in terms:
        actor_name, var = ref.split(".")
        var_unit = unit_of(actor_name, var, what)
        if unit is not None and var_unit != unit:
            raise ConfigurationError(f"{where}: {what} adds '{ref}' in {var_unit} to "
                                     f"'{parsed[0][0]}.{parsed[0][1]}' in {unit}: the terms need one unit")
        unit = var_unit
        parsed.append((actor_name, var, k))
    try:
        threshold = parse_quantity(rhs, unit)
    except UnitError as exc:
        raise ConfigurationError(f"{where}: {exc}" if conjunction is None else f"{where}: {what}: {exc}") from None
    simple = len(parsed) == 1 and parsed[0][2] == 1.0 and not absolute
    return Clause(parsed[0][0], parsed[0][1], op, threshold, () if simple else tuple(parsed), absolute)


# -- watching the conditions during a run -------------------------------------------------------
class Conditions:
    """The condition events of a run and what is known of them.

    ``value(actor, var, tick)`` reads a variable's value valid at a tick (``Bus.value``).
    ``prev[i]`` is ``(tick, clause values, all true, clause truths)`` of event ``i`` at the last
    look; ``fired`` the events that fired (a once-only event never fires again)."""

    def __init__(self, events: list[ConditionEvent], value: Callable[[str, str, int], float], resolution: float):
        self.events = events
        self.value = value
        self.resolution = resolution
        self.prev: dict[int, tuple] = {}
        self.fired: set[int] = set()

    def add(self, ev: ConditionEvent) -> None:
        if any(c.op not in OPS for c in ev.clauses):
            raise ConfigurationError(f"event '{ev.name}': operator must be one of {', '.join(OPS)}")
        self.events.append(ev)

    def state(self) -> tuple[dict, set]:
        return dict(self.prev), set(self.fired)

    def set_state(self, prev: dict, fired: set) -> None:
        self.prev, self.fired = dict(prev), set(fired)

    def clause_value(self, c: Clause | ConditionEvent, t: int) -> float:
        """The left side of clause ``c`` at tick ``t``."""
        if not c.terms:
            return self.value(c.actor, c.var, t)
        v = sum(k * self.value(a, x, t) for a, x, k in c.terms)
        return abs(v) if c.absolute else v

    def values(self, c: ConditionEvent, t: int) -> list[float]:
        """The left sides of all the clauses of condition ``c`` at tick ``t``."""
        return [self.clause_value(k, t) for k in c.clauses]

    def _look(self, c: ConditionEvent, t: int) -> tuple[list[float], list[bool]]:
        values = self.values(c, t)
        return values, [OPS[k.op](v, k.threshold) for k, v in zip(c.clauses, values)]

    def _waiting(self, i: int, c: ConditionEvent) -> bool:
        """Whether event ``i`` may still fire (a once-only event that fired may not)."""
        return not (i in self.fired and c.once)

    def _edge(self, c: ConditionEvent, prev: tuple | None, now: bool, t: int) -> bool:
        """Whether ``c`` turned true at tick ``t``: false at the last look, true now, armed."""
        return prev is not None and not prev[2] and now and not t * self.resolution < c.arm_time

    def update(self, t: int) -> None:
        """Look at every condition at tick ``t`` (the last look for the next edges)."""
        for i, c in enumerate(self.events):
            values, truths = self._look(c, t)
            self.prev[i] = (t, values, all(truths), truths)

    def crossings(self, t: int) -> list[int]:
        """The events whose condition turned true between the last look and tick ``t`` (the last
        look is kept: a bisection asks this at several times)."""
        return [i for i, c in enumerate(self.events)
                if self._waiting(i, c) and self._edge(c, self.prev.get(i), all(self._look(c, t)[1]), t)]

    def check(self, t: int) -> Iterator[tuple[ConditionEvent, float, list[float], float]]:
        """Look at every waiting condition at tick ``t``; for each that turned true since the last
        look (marked fired), yield ``(event, time [s], values, located_within [s])``: it turned
        true when the last of the clauses that turned true in this interval did, each located by
        linear interpolation between the two looks."""
        res = self.resolution
        for i, c in enumerate(self.events):
            if not self._waiting(i, c):
                continue
            values, truths = self._look(c, t)
            now = all(truths)
            prev = self.prev.get(i)
            self.prev[i] = (t, values, now, truths)
            if not self._edge(c, prev, now, t):
                continue
            t0, values0, _, truths0 = prev
            frac = 0.0
            for k, v0, v, was in zip(c.clauses, values0, values, truths0):
                if not was:
                    f = (k.threshold - v0) / (v - v0) if v != v0 else 1.0
                    frac = max(frac, min(max(f, 0.0), 1.0))
            self.fired.add(i)
            yield c, (t0 + frac * (t - t0)) * res, values, (t - t0) * res


def logged_values(c: ConditionEvent, values: list[float]) -> dict:
    """The event log's ``value``: the left side (of the first clause); a conjunction also
    logs ``values``, the left sides of all its clauses."""
    if not c.also:
        return {"value": values[0]}
    return {"value": values[0], "values": list(values)}
