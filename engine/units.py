"""Physical units: parsing, dimension checks and conversion to SI.

A unit string such as ``"kg/s"``, ``"J/(kg.K)"``, ``"W/(m2.K)"``, ``"rpm"`` or ``"atm"`` is
parsed into a :class:`Unit`: a factor and offset to SI and the exponents of the eight FMI 2.0
base units (kg, m, s, A, K, mol, cd, rad).  The representation is the one of FMI 2.0's
``<BaseUnit>`` element (FMI 2.0 standard, section 2.2.2), so exported FMUs carry their units
without translation.

Grammar: factors joined by ``.``, ``*`` or ``/``; parentheses; an exponent written as trailing
digits (``m2``, ``s-1``) or with ``^``/``**``.  ``"1"`` or ``""`` is dimensionless.
Conversions inside the engine are precomputed ``(scale, offset)`` pairs: ``si = x*scale+offset``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

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
            raise UnitError(f"expected {example}, got {_short(value)}")
        x, unit = float(m.group(1)), m.group(2)
        if unit:
            scale, offset = conversion(unit, to_unit)
            x = x * scale + offset
    else:
        raise UnitError(f"expected a number in {to_unit}, got {_short(value)}")
    if not math.isfinite(x):
        raise UnitError(f"expected a finite number in {to_unit}, got {_short(value)}")
    return x


def _short(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (error messages stay one short line)."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
