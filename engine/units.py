"""Physical units: parsing, dimension checks and conversion to SI.

A unit string such as ``"kg/s"``, ``"J/(kg.K)"``, ``"W/(m2.K)"``, ``"rpm"`` or ``"atm"`` is
parsed into a :class:`Unit`: a factor and offset to SI and the exponents of the eight FMI 2.0
base units (kg, m, s, A, K, mol, cd, rad).  The representation is the one of FMI 2.0's
``<BaseUnit>`` element (FMI 2.0 standard, section 2.2.2), so exported FMUs carry their units
without translation.

Grammar: factors joined by ``.``, ``*`` or ``/``; parentheses; an exponent written as trailing
digits (``m2``, ``s-1``) or with ``^``/``**``.  ``"1"`` or ``""`` is dimensionless.
Conversions inside the engine are precomputed ``(scale, offset)`` pairs: ``si = x*scale+offset``.

Also here: :func:`si_unit` (the SI name of a dimension, for an expression's result), and display
units — :data:`DISPLAY_UNITS` (the defaults: rpm for rad/s, bar for Pa, L for m3, g/s for kg/s),
:class:`DisplayChoices` (a run's choices), :func:`to_display` and :func:`display_values` (a
result variable in its ``display_units``, for tables and plots).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import describe

BASE = ("kg", "m", "s", "A", "K", "mol", "cd", "rad")


class UnitError(ValueError):
    """A unit string that cannot be parsed, or two units of different dimension."""


@dataclass(frozen=True)
class Unit:
    """A unit as ``value_SI = value * factor + offset`` with base-unit exponents ``dims``."""

    factor: float
    dims: tuple[int, ...]
    offset: float = 0.0
    text: str = ""

    def __mul__(self, other: "Unit") -> "Unit":
        return Unit(self.factor * other.factor, tuple(a + b for a, b in zip(self.dims, other.dims)))

    def __pow__(self, n: int) -> "Unit":
        return Unit(self.factor**n, tuple(a * n for a in self.dims))

    def same_dimension(self, other: "Unit") -> bool:
        return self.dims == other.dims

    def dimension_text(self) -> str:
        parts = [f"{b}{'' if e == 1 else e}" for b, e in zip(BASE, self.dims) if e]
        return ".".join(parts) or "1"


def _u(factor, offset=0.0, **dims) -> Unit:
    return Unit(float(factor), tuple(int(dims.get(b, 0)) for b in BASE), float(offset))


_ATM = 101325.0
# Named units: SI base and derived units and the non-SI units cryogenic engineers write.
_NAMED: dict[str, Unit] = {
    "1": _u(1), "-": _u(1), "%": _u(0.01),
    "kg": _u(1, kg=1), "g": _u(1e-3, kg=1),
    "m": _u(1, m=1), "s": _u(1, s=1), "A": _u(1, A=1), "K": _u(1, K=1),
    "mol": _u(1, mol=1), "cd": _u(1, cd=1), "rad": _u(1, rad=1),
    "min": _u(60, s=1), "h": _u(3600, s=1),
    "Hz": _u(1, s=-1), "N": _u(1, kg=1, m=1, s=-2), "Pa": _u(1, kg=1, m=-1, s=-2),
    "J": _u(1, kg=1, m=2, s=-2), "W": _u(1, kg=1, m=2, s=-3), "V": _u(1, kg=1, m=2, s=-3, A=-1),
    "L": _u(1e-3, m=3), "l": _u(1e-3, m=3),
    "bar": _u(1e5, kg=1, m=-1, s=-2), "atm": _u(_ATM, kg=1, m=-1, s=-2),
    "torr": _u(_ATM / 760, kg=1, m=-1, s=-2), "Torr": _u(_ATM / 760, kg=1, m=-1, s=-2),
    "psi": _u(6894.757293168, kg=1, m=-1, s=-2),
    "rpm": _u(2 * math.pi / 60, rad=1, s=-1),
    "deg": _u(math.pi / 180, rad=1),
    "degC": _u(1, 273.15, K=1),
}
_PREFIX = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "u": 1e-6, "µ": 1e-6, "n": 1e-9, "c": 1e-2}
_TOKEN = re.compile(r"\s*(\(|\)|/|\*\*|\*|\.|\^|[A-Za-z%µ_\-]+[0-9]*|-?[0-9]+)")


def _atom(word: str) -> Unit:
    m = re.fullmatch(r"([A-Za-z%µ_]+|-)(-?[0-9]+)?", word)
    if not m:
        if re.fullmatch(r"[0-9]+", word) and word == "1":
            return _NAMED["1"]
        raise UnitError(f"cannot read unit {word!r}")
    name, exp = m.group(1), int(m.group(2) or 1)
    if name in _NAMED:
        base = _NAMED[name]
    elif len(name) > 1 and name[0] in _PREFIX and name[1:] in _NAMED and _NAMED[name[1:]].offset == 0:
        b = _NAMED[name[1:]]
        base = Unit(b.factor * _PREFIX[name[0]], b.dims)
    else:
        raise UnitError(f"unknown unit {name!r}")
    if base.offset and exp != 1:
        raise UnitError(f"unit {name!r} has an offset and cannot take an exponent")
    return Unit(base.factor**exp, tuple(d * exp for d in base.dims), base.offset)


@lru_cache(maxsize=None)
def parse_unit(text: str) -> Unit:
    """Parse a unit string into a :class:`Unit` (cached)."""
    src = (text or "1").strip() or "1"
    tokens = _TOKEN.findall(src)
    if "".join(tokens).replace(" ", "") != src.replace(" ", ""):
        raise UnitError(f"cannot read unit {text!r}")
    pos = 0

    def expr() -> Unit:
        nonlocal pos
        u = factor()
        while pos < len(tokens) and tokens[pos] in (".", "*", "/"):
            op = tokens[pos]
            pos += 1
            f = factor()
            u = u * (f if op != "/" else f**-1)
        return u

    def factor() -> Unit:
        nonlocal pos
        if pos >= len(tokens):
            raise UnitError(f"unit {text!r} ends too early")
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            u = expr()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise UnitError(f"unbalanced parenthesis in unit {text!r}")
            pos += 1
        else:
            u = _atom(tok)
        if pos < len(tokens) and tokens[pos] in ("^", "**"):
            pos += 1
            try:
                n = int(tokens[pos])
            except (IndexError, ValueError):
                raise UnitError(f"bad exponent in unit {text!r}") from None
            pos += 1
            u = u**n
        return u

    try:
        if len(tokens) == 1:
            u = _atom(tokens[0])
        else:
            u = expr()
            if pos != len(tokens):
                raise UnitError(f"cannot read unit {text!r}")
    except OverflowError:
        u = None
    if u is None or not (0.0 < u.factor < math.inf):
        raise UnitError(f"unit {text!r} is out of range (its factor to SI over- or underflows)")
    return Unit(u.factor, u.dims, u.offset, src)


def conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    """Return ``(scale, offset)`` with ``value_to = value_from*scale + offset``.

    Raises :class:`UnitError` when the two units have different dimensions.
    """
    a, b = parse_unit(from_unit), parse_unit(to_unit)
    if not a.same_dimension(b):
        raise UnitError(
            f"unit mismatch: {from_unit or '1'} [{a.dimension_text()}] vs {to_unit or '1'} [{b.dimension_text()}]"
        )
    scale = a.factor / b.factor
    offset = (a.offset - b.offset) / b.factor
    return scale, offset


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_quantity(value, to_unit: str) -> float:
    """Convert a number or a string such as ``"0.5 atm"`` or ``"10000 rpm"`` to ``to_unit``.

    A bare number is taken to be in ``to_unit`` already.  NaN and infinities (also those of an
    overflowing conversion such as ``"1e308 km"``) raise :class:`UnitError`.
    """
    if isinstance(value, bool):
        raise UnitError(f"expected a number in {to_unit}, got {value!r}")
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:  # an int too large for a float
            x = math.inf if value > 0 else -math.inf
    elif isinstance(value, str):
        m = _QUANTITY.match(value)
        if not m:
            example = "a number" if to_unit in ("", "1") else f"a number with a unit, e.g. '1 {to_unit}'"
            raise UnitError(f"expected {example}, got {describe(value)}")
        x, unit = float(m.group(1)), m.group(2)
        if unit:
            scale, offset = conversion(unit, to_unit)
            x = x * scale + offset
    else:
        raise UnitError(f"expected a number in {to_unit}, got {describe(value)}")
    if not math.isfinite(x):
        raise UnitError(f"expected a finite number in {to_unit}, got {describe(value)}")
    return x


# -- SI names of dimensions ------------------------------------------------------------------------
#: the unit an expression's result is named by, per dimension (first match wins); a dimension
#: not listed is written as a product of base units (``kg.m-2.s-1``)
_SI_NAMES = ("1", "K", "W", "J", "Pa", "kg/s", "kg", "m", "s", "m2", "m3", "N", "V", "A", "mol", "rad",
             "rad/s", "1/s", "K/s", "m/s", "m3/s", "mol/s", "kg/m3", "m3/kg", "J/kg", "J/(kg.K)", "J/K",
             "W/K", "K/W", "W/m2", "W/(m2.K)", "W/(m.K)", "kg.m2", "Pa.s", "J/mol", "J/(mol.K)")
_RAD = BASE.index("rad")


def plain_dims(dims: tuple[int, ...]) -> tuple[int, ...]:
    """``dims`` without the radian: radians count as dimensionless in arithmetic (as in SI), so
    a torque times an angular speed is a power."""
    return dims[:_RAD] + (0,) + dims[_RAD + 1:]


@lru_cache(maxsize=None)
def si_unit(dims: tuple[int, ...]) -> str:
    """The SI unit of a dimension (base-unit exponents in :data:`BASE` order), by its name where
    it has a known one (``W``, ``K``, ``Pa``, ``kg/s``, ``J/(kg.K)``, ``1``...), else as a product
    of base units (``kg.m-2.s-1``).  A dimension that differs from a named one only by radians
    takes that name (``kg.m2.s-3.rad`` is ``W``); :func:`parse_unit` reads every result back."""
    dims = tuple(int(d) for d in dims)
    for exact in (True, False):
        for name in _SI_NAMES:
            d = parse_unit(name).dims
            if d == dims if exact else plain_dims(d) == plain_dims(dims):
                return name
    return ".".join(f"{b}{'' if e == 1 else e}" for b, e in zip(BASE, dims) if e)


# -- display units -----------------------------------------------------------------------------------
#: display units offered per unit: the first is a variable's display unit when nothing else chose
#: one (the FMUs' ``displayUnit``; a result's ``display_units`` attribute)
DISPLAY_UNITS: dict[str, tuple[str, ...]] = {
    "rad/s": ("rpm",),
    "Pa": ("bar", "atm"),
    "m3": ("L",),
    "kg/s": ("g/s",),
}


def default_display_unit(unit: str) -> str | None:
    """The first of :data:`DISPLAY_UNITS` for ``unit`` (as declared, e.g. ``"Pa"``), or None."""
    offered = DISPLAY_UNITS.get(unit or "1")
    return offered[0] if offered else None


def to_display(values, unit: str, display: str | None):
    """``values`` recorded in ``unit`` (a number or a numpy array) expressed in ``display``.

    Contract: ``display`` None, empty or equal to ``unit`` returns ``values`` unchanged (the same
    object); otherwise ``values * scale + offset`` with the factors of :func:`conversion`
    (offsets included: ``to_display(300.0, "K", "degC")`` is 26.85), a new number or array.
    Raises :class:`UnitError` if either unit cannot be read or the two differ in dimension.
    """
    if not display or display == unit:
        return values
    scale, offset = conversion(unit or "1", display)
    if offset == 0.0:
        return values * scale
    return values * scale + offset


def display_values(var, display: str | None = None):
    """``(values, unit)``: a result variable in its display unit, for a console table or a plot.

    ``var`` is a result variable (an :class:`xarray.DataArray` or anything with ``.values`` and
    ``.attrs``); ``display`` overrides its ``display_units`` attribute.  A Real variable comes
    back converted to ``display`` or its ``display_units`` (a numpy float array, the file's SI
    values untouched), with that unit's name; a variable without ``display_units`` (another type,
    or a result written before display units) comes back as recorded with its ``units``.  The
    unit is ``""`` for a dimensionless quantity (``"1"``, ``"-"``) so that a label shows none.
    Raises :class:`UnitError` if ``display`` is not of the variable's dimension.
    """
    import numpy as np

    attrs = getattr(var, "attrs", {}) or {}
    unit = str(attrs.get("units", "") or "")
    values = np.asarray(var.values)
    target = display or attrs.get("display_units") or None
    if target and values.dtype.kind in "fiu" and "flag_values" not in attrs:
        values = to_display(values.astype(float), unit, str(target))
        unit = str(target)
    return values, ("" if unit in ("1", "-") else unit)


class DisplayChoices:
    """Display units chosen for a run's variables, per variable (``"hp.p"``) or per dimension
    (every pressure), at two levels: the scenario's ``[units]`` table (level 0) and the command
    line's ``--units`` (level 1, which wins).

    :meth:`choose` gives a variable's display unit, in this order: level 1 per variable, level 1
    per dimension, level 0 per variable, level 0 per dimension, the unit the actor's class
    declares (``display_units = {"p": "atm"}``), the first of :data:`DISPLAY_UNITS` for the unit,
    else the unit itself.  The choices are checked where they are made (the same dimension as the
    variable or key); this class only stores and applies them.
    """

    def __init__(self):
        self.variables: tuple[dict[str, str], dict[str, str]] = ({}, {})
        #: per level: dimension -> (the key that chose it, display unit)
        self.dimensions: tuple[dict[tuple, tuple[str, str]], dict[tuple, tuple[str, str]]] = ({}, {})

    def __bool__(self) -> bool:
        return any(self.variables) or any(self.dimensions)

    def by_variable(self, name: str, display: str, level: int = 0) -> None:
        self.variables[level][name] = display

    def by_dimension(self, key: str, display: str, level: int = 0) -> None:
        """Every variable of ``display``'s dimension in ``display``; a :class:`UnitError` if
        another key of the same level chose a unit for that dimension already."""
        dims = parse_unit(display).dims
        chosen = self.dimensions[level].get(dims)
        if chosen is not None and chosen[0] != key:
            raise UnitError(f"'{chosen[0]}' chose a display unit of this dimension ({parse_unit(display).dimension_text()}) "
                            f"already ('{chosen[1]}')")
        self.dimensions[level][dims] = (key, display)

    def choose(self, name: str, unit: str, declared: str | None = None) -> str:
        """The display unit of variable ``name`` recorded in ``unit`` (``declared``: its actor
        class's choice)."""
        try:
            dims = parse_unit(unit or "1").dims
        except UnitError:   # a unit of a third-party FMU this engine cannot read: shown as it is
            return unit
        for level in (1, 0):
            if name in self.variables[level]:
                return self.variables[level][name]
            if dims in self.dimensions[level]:
                return self.dimensions[level][dims][1]
        return declared or default_display_unit(unit) or unit or "1"
