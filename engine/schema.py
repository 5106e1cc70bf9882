"""Declarative checks of a parsed TOML document's structure and types.

A document (a scenario, a sweep spec) is described once as a tree of nodes — :class:`Table`,
:class:`Tables` (an array of tables), :class:`Map` (free keys, one kind of value) and leaves
(:class:`Str`, :class:`Quantity`, :class:`Number`, :class:`Bool`, :class:`Strings`, :class:`Check`)
— and :meth:`Table.check` walks the data against it.  Every key is described in one place; a
problem is one line naming the file, the table and the key::

    s.toml: [run]: key 'stop_time' must be a number or a string with a unit ("2 h"), not a boolean (true)
    s.toml: [[actor]] #2 'hp': missing key 'model'
    s.toml: [scenario]: unknown key 'nmae' (allowed: description, name)

Only the shape is checked here (tables, keys, types, non-empty strings); values are checked
where they are turned into typed values (a time in s, a unit, an actor's parameter).  The
module imports nothing heavy: ``cryocosim validate`` pays for it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConfigurationError, describe


def kind_of(value: Any) -> str:
    """What a TOML value is, for a message: 'a number', 'a string', 'a table'..."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


class Node:
    """A value's description: :meth:`check` raises ``ctx.error`` with a one-line message.  A bare
    ``Node()`` takes any value (a key whose value is read later, where it becomes typed)."""

    #: what the value must be, after "must be" in a message
    wanted = "a value"

    def accepts(self, value: Any) -> bool:
        return True

    def check(self, value: Any, where: str, key: str, ctx: "Context") -> None:
        if not self.accepts(value):
            raise ctx.error(bad_type(where, key, self.wanted, value))


def bad_type(where: str, key: str, wanted: str, value: Any) -> str:
    return f"{where}: key '{key}' must be {wanted}, not {kind_of(value)} ({describe(value)})"


@dataclass
class Context:
    """What a walk through a document carries: the error type to raise and whether the document
    must be complete (one file of an ``extends`` chain need not hold the required keys)."""
    error: Callable[[str], Exception] = ConfigurationError
    complete: bool = True


class Str(Node):
    """A string; ``empty=False``: not empty or blank."""

    wanted = "a string"

    def __init__(self, empty: bool = False):
        self.empty = empty

    def accepts(self, value):
        return isinstance(value, str)

    def check(self, value, where, key, ctx):
        super().check(value, where, key, ctx)
        if not self.empty and not value.strip():
            raise ctx.error(f"{where}: key '{key}' must not be empty")


class Quantity(Node):
    """A number, or a string with a unit (``"2 h"``), read later by :mod:`cryocosim.units`."""

    def __init__(self, wanted: str = 'a number or a string with a unit ("2 h")'):
        self.wanted = wanted

    def accepts(self, value):
        return not isinstance(value, bool) and isinstance(value, (int, float, str))


class Number(Node):
    """A number (not a boolean)."""

    wanted = "a number"

    def accepts(self, value):
        return not isinstance(value, bool) and isinstance(value, (int, float))


class Bool(Node):
    wanted = "true or false"

    def accepts(self, value):
        return isinstance(value, bool)


class Scalar(Node):
    """A number, a string or true/false (a parameter's value)."""

    wanted = "a number, a string or true/false"

    def accepts(self, value):
        return isinstance(value, (str, int, float, bool))


class Strings(Node):
    """An array of strings (``nonempty``: at least one); or, with ``or_string``, one string."""

    def __init__(self, wanted: str, nonempty: bool = False, or_string: bool = False):
        self.wanted, self.nonempty, self.or_string = wanted, nonempty, or_string

    def accepts(self, value):
        if self.or_string and isinstance(value, str):
            return True
        return (isinstance(value, list) and (bool(value) or not self.nonempty)
                and all(isinstance(v, str) for v in value))


class Check(Node):
    """A node whose check is a function ``fn(value, where, key, ctx)`` (the irregular keys)."""

    def __init__(self, fn: Callable[[Any, str, str, Context], None]):
        self.fn = fn

    def check(self, value, where, key, ctx):
        self.fn(value, where, key, ctx)


@dataclass
class Table(Node):
    """A table of known keys.  ``fields``: key -> node; ``required``: keys that must be there (in
    a complete document); ``label(where, key)``: how the table is named inside ``where``
    (``"s.toml: [run]"``); ``rules``: further checks ``fn(table, where, ctx)`` of the whole table
    (``exactly one of 'at' and 'when'``); ``wanted``: the text of a type error."""
    fields: dict[str, Node]
    required: tuple[str, ...] = ()
    label: Callable[[str, str], str] = lambda where, key: f"{where}: [{key}]"
    rules: tuple[Callable[[dict, str, Context], None], ...] = ()
    wanted: str = ""

    def accepts(self, value):
        return isinstance(value, dict)

    def check(self, value, where, key, ctx):
        if not isinstance(value, dict):
            raise ctx.error(bad_type(where, key, self.wanted or f"a table ([{key}])", value))
        self.check_keys(value, self.label(where, key), ctx)

    def check_keys(self, table: dict, where: str, ctx: Context) -> None:
        """Check a table already named ``where``: unknown keys, then the table's rules, then each
        key in the order of ``fields`` (a required key missing is reported at its turn)."""
        for k in table:
            if k not in self.fields:
                raise ctx.error(f"{where}: unknown key {describe(k)} (allowed: {', '.join(sorted(self.fields))})")
        for rule in self.rules:
            rule(table, where, ctx)
        for k, node in self.fields.items():
            if k in table:
                node.check(table[k], where, k, ctx)
            elif ctx.complete and k in self.required:
                raise ctx.error(f"{where}: missing key '{k}'")


@dataclass
class Tables(Node):
    """An array of tables (``[[actor]]``), each checked by ``item`` and named
    ``"<where>: [[key]] #i"`` and, if it has a string ``name``, ``" 'name'"``;
    ``nonempty``: a complete document lists at least one."""
    item: Table
    nonempty: str = ""  # the message if a complete document lists none

    def check(self, value, where, key, ctx):
        if not isinstance(value, list):
            raise ctx.error(bad_type(where, key, f"an array of tables ([[{key}]])", value))
        for i, table in enumerate(value, 1):
            if not isinstance(table, dict):
                raise ctx.error(f"{where}: [[{key}]] #{i} must be a table, not {kind_of(table)} ({describe(table)})")
        if ctx.complete and self.nonempty and not value:
            raise ctx.error(f"{where}: {self.nonempty}")
        for i, table in enumerate(value, 1):
            name = table.get("name")
            self.item.check_keys(table, f"{where}: [[{key}]] #{i}" + (f" '{name}'" if isinstance(name, str) else ""),
                                 ctx)


@dataclass
class Map(Node):
    """A table of free keys whose values are all checked by ``value`` (named
    ``"<where>: [key]"``, or ``label(where, key)``)."""
    value: Node
    label: Callable[[str, str], str] = lambda where, key: f"{where}: [{key}]"
    wanted: str = ""

    def check(self, value, where, key, ctx):
        if not isinstance(value, dict):
            raise ctx.error(bad_type(where, key, self.wanted or f"a table ([{key}])", value))
        at = self.label(where, key)
        for k, v in value.items():
            self.value.check(v, at, k, ctx)


def document(schema: Table, data: Any, source: str, what: str, ctx: Context) -> None:
    """Check a parsed document ``data`` read from ``source`` against ``schema``; ``what`` names
    the kind of document in the message when it is not a table (``"a scenario"``)."""
    if not isinstance(data, dict):
        raise ctx.error(f"{source}: {what} must be a TOML table, not {kind_of(data)}")
    schema.check_keys(data, source, ctx)
