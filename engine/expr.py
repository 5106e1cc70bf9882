"""Expressions over named values, with units: the one language of sweep outputs and of a
scenario's derived quantities.

Syntax: Python's arithmetic on numbers and names — ``+ - * / ** % //``, parentheses, unary
``-``/``+`` — and calls of ``sqrt exp log log10 sin cos tan asin acos atan atan2 hypot abs`` and
of ``min``/``max`` with two values or more (elementwise); the constants ``pi``, ``e`` and
``inf``.  A name is plain (``kappa``, ``cop``) or dotted (``load.T``, ``derived.cop``).  The
sweep's reductions of a recorded series (``final initial min max mean at``, one series each:
``min(load.T)``, ``mean(motor.power, last = '10 min')``, ``at(load.T, '5 min')``) are allowed
only where the caller allows them (``reductions=True``).

**Quantities.**  A number followed by a unit is one value, in SI: ``300 K``, ``1 atm``,
``2 g/s``, ``8.314 J/(mol.K)``, ``20 degC`` (293.15 K: an offset unit is converted to kelvin
before any arithmetic).  The rule, unambiguous: after a number, a word (letters, optionally
after spaces) starts a unit; the unit is written without spaces, its factors joined by ``.`` or
``/``, with exponents as digits (``m2``, ``s-1``, ``m^2``) and parentheses; it ends at the first
space or any other character (``)``, ``*``, ``+``, ``,``...).  So ``2 K / load.T`` is 2 K
divided by a temperature, ``1 / 2 K`` is one over two kelvin, and a name after a number needs
an operator (``2 * x``, never ``2 x``).  ``%`` is the remainder, never a unit; a Python keyword
(``if``, ``and``...) is never a unit.

**Dimensions.**  Given the units of the names (:meth:`Expr.dimension`), an expression is checked
without evaluating it: the terms of ``+ -``, the values of ``min``/``max``/``hypot``/``atan2``
and of ``%``/``//`` share one dimension; exponents, and the arguments of ``exp``, ``log`` and the
trigonometric functions, are dimensionless (radians count as dimensionless, as in SI); a power of
a dimensioned value has a constant exponent.  The result's unit is SI, named where it has a
known name (:func:`cryocosim.units.si_unit`: ``W``, ``K``, ``Pa``, ``kg/s``, ``1``...).  The
values of the names must then be given in SI (the caller converts them).

**Bounds** (a spec or scenario is refused at once, in one line naming the file and key):
:data:`MAX_EXPR_CHARS` characters, :data:`MAX_EXPR_DEPTH` deep, every number and every operation
on numbers within a double's range (``10**10**10`` is refused, not computed; a whole-number power
is computed while it fits :data:`MAX_INT_BITS` bits).  Operations on numbers only are done when
the expression is read (a division by zero there is an error of the file).

Errors are raised as :attr:`Expr.error` (an :class:`ExprError`, a ``ConfigurationError``;
the sweep uses its ``SweepError``) with ``"<where>: expression '<text>': <what>"``.  Evaluation
(:meth:`Expr.__call__`) takes a namespace dict and works on numbers and numpy arrays alike
(elementwise); a name missing from the namespace raises :class:`UnknownName`.
"""
from __future__ import annotations

import ast
import keyword
import math
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from .checks import check_time, describe
from .errors import ConfigurationError, exception_line
from .units import BASE, Unit, UnitError, parse_unit, plain_dims, si_unit

__all__ = ["Expr", "ExprError", "PointError", "UnknownName", "MAX_EXPR_CHARS", "MAX_EXPR_DEPTH",
           "MAX_INT_BITS", "FUNCTIONS", "CONSTANTS", "REDUCTIONS", "TIME", "find_quantities"]

#: characters and nesting depth of an expression (operations and calls: a sum of n terms is n
#: deep)
MAX_EXPR_CHARS = 10_000
MAX_EXPR_DEPTH = 100
#: a whole-number power is computed while its result fits a double: at most this many bits
MAX_INT_BITS = 1024

DIMENSIONLESS: tuple[int, ...] = (0,) * len(BASE)


class ExprError(ConfigurationError):
    """An expression that cannot be read, or whose dimensions disagree (exit status 2)."""


class PointError(Exception):
    """A value that cannot be computed (an unknown name, a reduction without a series, ...)."""


class UnknownName(PointError):
    """An expression names a value the namespace does not hold."""

    def __init__(self, name: str, text: str, where: str):
        super().__init__(f"unknown name '{name}' in {text!r}")
        self.name, self.where = name, where


def integral(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def power(a, b):
    """``a ** b``; whole numbers stay whole while the result fits a double, beyond it (``10**10**10``
    would take hours and all memory) the power is an error, as it is for floats."""
    if integral(a) and integral(b):
        a, b = int(a), int(b)
        if b > 0 and abs(a) > 1 and b * math.log2(abs(a)) > MAX_INT_BITS:
            raise OverflowError(f"{a} ** {b} is beyond the range of a double (about 1.8e308)")
    return operator.pow(a, b)


def finite(x) -> bool:
    if integral(x):
        return int(x).bit_length() <= MAX_INT_BITS
    try:
        return bool(np.all(np.isfinite(x)))
    except TypeError:
        return False


def depth(tree: ast.AST) -> int:
    """Nesting depth of an expression: the most values (names, numbers, operations, calls) on a
    path from the top to a leaf (``a + b + c`` is 3 deep); without recursion, as the tree may be
    deep."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, d = stack.pop()
        d += isinstance(node, ast.expr)
        deepest = max(deepest, d)
        stack.extend((child, d) for child in ast.iter_child_nodes(node))
    return deepest


def dotted(node: ast.AST) -> str | None:
    """``x`` or ``a.b`` of a name node, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def scalar(x):
    """A series' final value; numbers unchanged."""
    return x[-1] if np.ndim(x) else x


BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Pow: power, ast.Mod: operator.mod,
          ast.FloorDiv: operator.floordiv}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
FUNCTIONS = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log10": np.log10, "sin": np.sin,
             "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
             "atan2": np.arctan2, "hypot": np.hypot, "abs": np.abs}
CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf}
REDUCTIONS = ("final", "initial", "min", "max", "mean", "at")
#: the namespace key of a run's time stamps (the reductions' time axis)
TIME = "__time__"

_ARITY = {"atan2": 2, "hypot": 2}


# -- quantities: a number followed by a unit ---------------------------------------------------------
@dataclass(frozen=True)
class Quantity:
    """A number with a unit written in an expression: its text, value in SI and unit."""

    text: str
    value: float
    unit: Unit


_NUMBER = re.compile(r"0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+"
                     r"|(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][-+]?\d(?:_?\d)*)?")
_IDENT = re.compile(r"[^\W\d]\w*")
_UNIT_ATOM = re.compile(r"[^\W\d_]+(?:\^?-?\d+)?")   # letters, an optional exponent: m2, s-1, m^2
_EXPONENT = re.compile(r"\^?-?\d+")
_BLANK = re.compile(r"[ \t]*")


def _unit_end(text: str, i: int) -> int | None:
    """The end of the unit written from ``text[i]`` on (factors joined by ``.`` or ``/``, groups
    in parentheses), or None."""
    n = len(text)

    def factor(j: int) -> int | None:
        if j < n and text[j] == "(":
            k = sequence(j + 1)
            if k is None or k >= n or text[k] != ")":
                return None
            m = _EXPONENT.match(text, k + 1)
            return m.end() if m else k + 1
        m = _UNIT_ATOM.match(text, j)
        return m.end() if m else None

    def sequence(j: int) -> int | None:
        k = factor(j)
        if k is None:
            return None
        while k < n and text[k] in "./":
            nxt = factor(k + 1)
            if nxt is None:
                break
            k = nxt
        return k

    return sequence(i)


def find_quantities(text: str, prefix: str = "__qty") -> tuple[str, dict[str, tuple[str, str, str]]]:
    """``text`` with every quantity (a number followed by a unit) replaced by a placeholder name,
    and ``{placeholder: (quantity text, number, unit)}``.  String literals are left alone; the
    units are not read here."""
    while prefix in text:
        prefix += "_"
    out: list[str] = []
    found: dict[str, tuple[str, str, str]] = {}
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":                        # a string literal, copied as it is
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
            continue
        m = _IDENT.match(text, i)
        if m:                                 # a name (x2 is a name, not a number)
            out.append(m.group())
            i = m.end()
            continue
        m = _NUMBER.match(text, i) if (c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit())) else None
        if m is None:
            out.append(c)
            i += 1
            continue
        j = _BLANK.match(text, m.end()).end()
        word = _IDENT.match(text, j)
        end = _unit_end(text, j) if word and not keyword.iskeyword(word.group()) else None
        if end is None:
            out.append(m.group())
            i = m.end()
            continue
        if end < n and (text[end].isalnum() or text[end] == "_"):   # 'K2x': the unit as written, refused
            end = re.compile(r"\w*").match(text, end).end()
        name = f"{prefix}{len(found)}__"
        found[name] = (text[i:end], m.group(), text[j:end])
        out.append(name)
        i = end
    return "".join(out), found


class _Const:
    """A compiled constant (numbers and the operations on them, done once when read)."""

    def __init__(self, value):
        self.value = value

    def __call__(self, ns):
        return self.value


class Expr:
    """An arithmetic expression over named values (``"Q_L / (Q_rg + Q_rec)"``, ``"min(load.T)"``,
    ``"load_hx.heat_load / motor.power"``, ``"cop / (load.T / (300 K - load.T))"``).

    ``names`` lists the names used (not the functions, ``pi``/``e``/``inf`` or the quantities);
    ``single`` is the one name the expression is, or reduces, if it is only that; ``times`` the
    times of ``at(...)``.  Call it with a namespace dict (numbers or arrays, in SI for an
    expression with units); :meth:`dimension` checks the dimensions and gives the result's.
    ``reductions=False`` refuses the reductions (a derived quantity is computed per record).
    """

    #: the exception raised for a bad expression (a subclass of ConfigurationError)
    error: type[Exception] = ExprError

    def __init__(self, text: str, where: str, *, reductions: bool = True):
        self.text, self.where = text, where
        self.reductions = reductions
        self.names: set[str] = set()
        self.series: list[str] = []
        self.times: list[float] = []         # the times of at(...)
        self._consts: dict[int, Any] = {}    # id(node) -> the value of a constant sub-expression
        if not isinstance(text, str):
            raise self.error(f"{where}: an expression must be a string, not {describe(text)}")
        if len(text) > MAX_EXPR_CHARS:
            raise self._bad(f"{len(text)} characters; an expression has at most {MAX_EXPR_CHARS}")
        source, found = find_quantities(text.strip())
        self._source = source
        self.quantities: dict[str, Quantity] = {}
        for name, (q_text, number, unit) in found.items():
            self.quantities[name] = self._quantity(q_text, number, unit)
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise self.error(f"{where}: cannot read expression {describe(text)}: {exc.msg}") from None
        except (ValueError, RecursionError, MemoryError) as exc:   # NUL bytes, nesting
            raise self.error(f"{where}: cannot read expression {describe(text)}: "
                             f"{' '.join(str(exc).split()) or type(exc).__name__}") from None
        d = depth(tree.body)
        if d > MAX_EXPR_DEPTH:
            raise self._bad(f"nested {d} deep (operations and calls: a sum of n terms is n deep); an "
                            f"expression is at most {MAX_EXPR_DEPTH} deep")
        self._tree = tree.body
        self._f = self._compile(tree.body)
        top = tree.body
        if isinstance(top, ast.Call) and isinstance(top.func, ast.Name) and top.func.id in REDUCTIONS \
                and top.args:
            top = top.args[0]
        ref = dotted(top)
        self.single = ref if ref is not None and ref not in self.quantities else None

    def __call__(self, ns: dict):
        return self._f(ns)

    # -- reading ------------------------------------------------------------------------------------
    def _bad(self, what: str) -> Exception:
        return self.error(f"{self.where}: expression {describe(self.text)}: {what}")

    def _quantity(self, text: str, number: str, unit_text: str) -> Quantity:
        try:
            x = float(ast.literal_eval(number.replace("_", "")))
            unit = parse_unit(unit_text)
        except UnitError as exc:
            raise self._bad(f"quantity {describe(text)}: {exc} (a number followed by a unit written "
                            f"without spaces, then a space: '2 g/s', '300 K - load.T')") from None
        except (ValueError, SyntaxError, OverflowError):
            raise self._bad(f"quantity {describe(text)}: cannot read the number {describe(number)}") from None
        try:
            value = x * unit.factor + unit.offset
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise self._bad(f"quantity {describe(text)} is beyond the range of a double (about 1.8e308)")
        return Quantity(text, value, unit)

    def _time_arg(self, node: ast.AST, what: str) -> float:
        if isinstance(node, ast.Name) and node.id in self.quantities:
            q = self.quantities[node.id]
            if q.unit.dims != parse_unit("s").dims:
                raise self._bad(f"{what} must be a time such as '10 min', not {describe(q.text)}")
            value: Any = q.value
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)) \
                and not isinstance(node.value, bool):
            value = node.value
        else:
            raise self._bad(f"{what} must be a time such as '10 min'")
        try:
            return check_time(value, what, positive=what == "last")
        except ConfigurationError as exc:
            raise self._bad(str(exc)) from None

    def _compile(self, node: ast.AST) -> Callable[[dict], Any]:
        f = self._compile_node(node)
        if isinstance(f, _Const):
            self._consts[id(node)] = f.value
        return f

    def _compile_node(self, node: ast.AST) -> Callable[[dict], Any]:
        name = dotted(node)
        if name is not None and name in self.quantities:
            return self._const(self.quantities[name].value, node)
        if name is not None:
            self.names.add(name)
            const = CONSTANTS.get(name)
            text, where = self.text, self.where

            def lookup(ns, name=name, const=const, text=text):
                try:
                    return ns[name]
                except KeyError:
                    if const is not None:
                        return const
                    raise UnknownName(name, text, where) from None
            return lookup
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self._bad(f"{describe(node.value)} is not a number")
            return self._const(node.value, node)
        if isinstance(node, ast.BinOp) and type(node.op) in BINOPS:
            op, a, b = BINOPS[type(node.op)], self._compile(node.left), self._compile(node.right)
            if isinstance(a, _Const) and isinstance(b, _Const):
                return self._fold(op, [a, b], node)
            if isinstance(b, _Const) and b.value == 0 and op in (operator.truediv, operator.floordiv, operator.mod):
                raise self._bad(f"{self._src(node)}division by zero")
            return lambda ns: op(a(ns), b(ns))
        if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
            op, a = UNARY[type(node.op)], self._compile(node.operand)
            if isinstance(a, _Const):
                return self._fold(op, [a], node)
            return lambda ns: op(a(ns))
        known = ", ".join(sorted([*FUNCTIONS, *(REDUCTIONS if self.reductions else ("min", "max"))]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in self.quantities:
            fn = node.func.id
            if fn in REDUCTIONS and not (fn in ("min", "max") and len(node.args) > 1):
                if not self.reductions:
                    raise self._bad(f"{fn}() reduces a series over the run (a sweep output); a derived "
                                    f"quantity is computed at each record (min(a, b) and max(a, b) take "
                                    f"two values or more)")
                return self._reduction(fn, node)
            if fn in ("min", "max"):
                if node.keywords:
                    raise self._bad(f"{fn}() of several values takes no keywords")
                args = [self._compile(a) for a in node.args]
                red = np.minimum if fn == "min" else np.maximum

                def fold(ns, args=args, red=red):
                    out = args[0](ns)
                    for g in args[1:]:
                        out = red(out, g(ns))
                    return out
                return fold
            if fn in FUNCTIONS:
                if node.keywords:
                    raise self._bad(f"{fn}() takes no keywords")
                want = _ARITY.get(fn, 1)
                if len(node.args) != want:
                    raise self._bad(f"{fn}() takes {'one value' if want == 1 else f'{want} values'}")
                f, args = FUNCTIONS[fn], [self._compile(a) for a in node.args]
                if all(isinstance(g, _Const) for g in args):
                    return self._fold(f, args, node)
                return lambda ns: f(*[g(ns) for g in args])
            raise self._bad(f"unknown function '{fn}' (known: {known})")
        if isinstance(node, ast.Call):
            fn = dotted(node.func) or type(node.func).__name__
            fn = self.quantities[fn].text if fn in self.quantities else fn
            raise self._bad(f"unknown function '{fn}' (known: {known})")
        raise self._bad(f"only arithmetic, numbers, names and function calls are allowed "
                        f"(found {type(node).__name__})")

    def _src(self, node: ast.AST) -> str:
        """``"'2**x': "`` for a part of the expression, ``""`` for the whole (as written)."""
        seg = ast.get_source_segment(self._source, node) or ""
        if seg == self._source:
            return ""
        for name, q in self.quantities.items():
            seg = seg.replace(name, q.text)
        return f"{describe(seg, 40)}: "

    def _const(self, value, node: ast.AST) -> _Const:
        if not finite(value):
            raise self._bad(f"{self._src(node)}gives {'a number too large' if integral(value) else describe(value)} "
                            f"(beyond the range of a double, about 1.8e308)")
        return _Const(value)

    def _fold(self, op, args: list[_Const], node: ast.AST) -> _Const:
        """An operation on constants, done now: an overflow or a division by zero is an error of
        the file, not of every point or record."""
        try:
            with np.errstate(all="raise"):
                value = op(*[a.value for a in args])
        except (ArithmeticError, ValueError, FloatingPointError, TypeError) as exc:
            raise self._bad(f"{self._src(node)}{exception_line(exc)}") from None
        return self._const(value, node)

    def _reduction(self, fn: str, node: ast.Call):
        want = 2 if fn == "at" else 1
        if len(node.args) != want:
            raise self._bad(f"{fn}() takes {'a variable and a time' if fn == 'at' else 'one variable'}")
        arg = self._compile(node.args[0])
        t_at = self._time_arg(node.args[1], "at(): the time") if fn == "at" else None
        if t_at is not None:
            self.times.append(t_at)
        last = None
        for kw in node.keywords:
            if kw.arg != "last" or fn in ("at", "initial", "final"):
                raise self._bad(f"{fn}() takes no keyword '{kw.arg}'"
                                + ("" if fn in ("at", "initial", "final") else " (only last = '10 min')"))
            last = self._time_arg(kw.value, "last")
        text = self.text

        def reduce(ns):
            x = arg(ns)
            if np.ndim(x) == 0:
                return x
            x = np.asarray(x, dtype=float)
            t = ns.get(TIME)
            if t is None or len(t) != len(x):
                raise PointError(f"{fn}() in {text!r} needs a time series")
            if fn == "final":
                return x[-1]
            if fn == "initial":
                return x[0]
            if fn == "at":
                if not t[0] - 1e-9 <= t_at <= t[-1] + 1e-9:
                    raise PointError(f"at(): t = {t_at:g} s is outside the run (0 to {t[-1]:g} s)")
                return float(np.interp(t_at, t, x))
            if last is not None:   # the last `last` seconds, from a value interpolated at their start
                t0 = t[-1] - last
                keep = t > t0 + 1e-9 * max(1.0, abs(t[-1]))
                if t0 >= t[0]:
                    x = np.concatenate(([np.interp(t0, t, x)], x[keep]))
                    t = np.concatenate(([t0], t[keep]))
            if fn == "min":
                return float(np.min(x))
            if fn == "max":
                return float(np.max(x))
            if len(x) == 1 or t[-1] == t[0]:
                return float(x[-1])
            return float(np.trapezoid(x, t) / (t[-1] - t[0]))
        return reduce

    # -- dimensions ---------------------------------------------------------------------------------
    def dimension(self, units: Mapping[str, str | Unit]) -> tuple[int, ...]:
        """Check the dimensions of the expression, the names having ``units`` (unit strings or
        :class:`Unit`; ``pi``, ``e`` and ``inf`` are numbers unless named there); return the
        result's dimension (base-unit exponents, :data:`cryocosim.units.BASE` order).  A name
        without a unit, or terms of different dimensions, raise :attr:`error` in one line."""
        self._units = units
        try:
            return self._dims(self._tree)
        finally:
            del self._units

    def unit(self, units: Mapping[str, str | Unit]) -> str:
        """The SI unit of the result (:meth:`dimension`, named: ``"W"``, ``"1"``, ``"K"``...)."""
        return si_unit(self.dimension(units))

    def _name_dims(self, name: str, node: ast.AST) -> tuple[int, ...]:
        if name in self.quantities:
            return self.quantities[name].unit.dims
        unit = self._units.get(name)
        if unit is None:
            if name in CONSTANTS:
                return DIMENSIONLESS
            raise self._bad(f"'{name}' has no unit")
        if isinstance(unit, str):
            try:
                unit = parse_unit(unit)
            except UnitError as exc:
                raise self._bad(f"'{name}': {exc}") from None
        return unit.dims

    def _same(self, node: ast.AST, parts: list[ast.AST], verb: str) -> tuple[int, ...]:
        dims = [self._dims(p) for p in parts]
        for d in dims[1:]:
            if plain_dims(d) != plain_dims(dims[0]):
                raise self._bad(f"{self._src(node)}cannot {verb} {si_unit(dims[0])} and {si_unit(d)} "
                                f"(different dimensions)")
        return dims[0]

    def _dimensionless(self, node: ast.AST, what: str) -> None:
        d = self._dims(node)
        if any(plain_dims(d)):
            raise self._bad(f"{self._src(node)}{what} must be dimensionless, not in {si_unit(d)}")

    def _scaled(self, node: ast.AST, dims: tuple[int, ...], p: float) -> tuple[int, ...]:
        out = []
        for d in dims:
            x = d * p
            if abs(x - round(x)) > 1e-9:
                raise self._bad(f"{self._src(node)}a power {p:g} of {si_unit(dims)} has no unit "
                                f"(fractional exponents of base units)")
            out.append(int(round(x)))
        return tuple(out)

    def _dims(self, node: ast.AST) -> tuple[int, ...]:
        name = dotted(node)
        if name is not None:
            return self._name_dims(name, node)
        if isinstance(node, ast.Constant):
            return DIMENSIONLESS
        if isinstance(node, ast.UnaryOp):
            return self._dims(node.operand)
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op in (ast.Add, ast.Sub, ast.Mod, ast.FloorDiv):
                verb = {ast.Add: "add", ast.Sub: "subtract", ast.Mod: "take the remainder of",
                        ast.FloorDiv: "divide (//)"}[op]
                return self._same(node, [node.left, node.right], verb)
            if op in (ast.Mult, ast.Div):
                a, b = self._dims(node.left), self._dims(node.right)
                sign = 1 if op is ast.Mult else -1
                return tuple(x + sign * y for x, y in zip(a, b))
            # a power
            base = self._dims(node.left)
            self._dimensionless(node.right, "an exponent")
            if not any(plain_dims(base)):     # a number (or an angle) to any power
                return DIMENSIONLESS
            p = self._consts.get(id(node.right))
            if p is None:
                raise self._bad(f"{self._src(node)}a power of {si_unit(base)} needs a constant exponent")
            return self._scaled(node, base, p)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            fn = node.func.id
            args = node.args
            if fn in REDUCTIONS and not (fn in ("min", "max") and len(args) > 1):
                return self._dims(args[0])
            if fn in ("min", "max"):
                return self._same(node, args, "compare")
            if fn in ("hypot", "atan2"):
                d = self._same(node, args, "combine")
                return d if fn == "hypot" else parse_unit("rad").dims
            if fn == "abs":
                return self._dims(args[0])
            if fn == "sqrt":
                return self._scaled(node, self._dims(args[0]), 0.5)
            self._dimensionless(args[0], f"the argument of {fn}()")
            return parse_unit("rad").dims if fn in ("asin", "acos", "atan") else DIMENSIONLESS
        raise self._bad("cannot tell the dimension")   # not reached: _compile refused it
