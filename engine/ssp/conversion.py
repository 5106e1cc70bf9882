"""The unit algebra of SSP import: exact affine conversions between units (connections, parameter
values), the composition of a connection's unit conversions with its linear transformation, and
which units the engine can name.

Units are :class:`cryocosim.units.Unit` (a factor, an offset and the exponents of the base units);
conversions are computed in exact fractions and rounded to a double once, at the end.
"""
from __future__ import annotations

import math
from fractions import Fraction

from ..units import Unit, UnitError, parse_unit


def unitless(u: Unit) -> bool:
    """No dimension, factor 1, offset 0: what an FMU Real without a unit has."""
    return not any(u.dims) and u.factor == 1.0 and u.offset == 0.0


def same(a: Unit, b: Unit) -> bool:
    """The same unit, whatever the names."""
    return a.dims == b.dims and a.factor == b.factor and a.offset == b.offset


def affine(a: Unit, b: Unit) -> tuple[Fraction, Fraction]:
    """Exact (scale, offset) with value_b = value_a*scale + offset."""
    fb = Fraction(b.factor)
    return Fraction(a.factor) / fb, (Fraction(a.offset) - Fraction(b.offset)) / fb


def to_float(x: Fraction) -> float | None:
    """``x`` as a finite double; None beyond the range of doubles."""
    try:
        f = float(x)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def convert(x: float, a: Unit, b: Unit) -> float | None:
    """``x`` in unit ``a`` as a double in unit ``b`` (rounded once); None beyond doubles."""
    if same(a, b):
        return x
    s, o = affine(a, b)
    return to_float(Fraction(x) * s + o)


def chain(source: Unit, end_connector: Unit, target: Unit, factor: Fraction, offset: Fraction, *,
          convert_units: bool) -> tuple[Fraction, Fraction]:
    """A connection's (scale, offset) from the source FMU variable's unit to the target FMU
    variable's: the source's unit converted to the end connector's (unless ``convert_units`` is
    false: a Real without a unit, taken as it is), then ``factor * x + offset`` there (the SSP's
    ``ssc:LinearTransformation`` applies in the end connector's unit), then into the target's."""
    s1, o1 = affine(source, end_connector) if convert_units else (Fraction(1), Fraction(0))
    s2, o2 = affine(end_connector, target)
    return s2 * factor * s1, s2 * (factor * o1 + offset) + o2


def unit_string(unit: Unit) -> str | None:
    """A unit string cryocosim reads as exactly ``unit``: its name, else its SI dimensions
    (``kg.m2.s-3``) for a coherent SI unit; None if neither."""
    coherent = unit.factor == 1.0 and unit.offset == 0.0
    for text in (unit.text, unit.dimension_text() if coherent else None):
        if text:
            try:
                if same(parse_unit(text), unit):
                    return text
            except UnitError:
                pass
    return None


def bus_units(a: str, b: str) -> bool:
    """The bus connects these FMU unit names (same dimension by :func:`parse_unit`)."""
    try:
        return parse_unit(a).dims == parse_unit(b).dims
    except UnitError:
        return False


def resolve(name: str, tables: list[dict[str, Unit]]) -> Unit | None:
    """Unit ``name``: from the first table that defines it (``ssc:Unit`` definitions), else read
    as a unit string; None if neither."""
    for table in tables:
        if name in table:
            return table[name]
    try:
        return parse_unit(name)
    except UnitError:
        return None
