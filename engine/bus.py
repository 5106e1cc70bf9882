"""The coupling bus: typed, unit-checked connections between actor outputs and inputs.

Each output has a :class:`Slot` holding the value it published last, the time from which that
value is valid, and the value before it.  A consumer that reads at time ``t`` with read limit
``lim`` gets the newest value valid at or before ``lim`` — ``lim = t`` is Jacobi (values as of the
start of the step), ``lim = t + h`` Gauss–Seidel (values already advanced by actors stepped
earlier in the same round).  Between producer updates the value is held (zero-order hold).

Connections are checked when made: both ends exist, the source is an output, the target an
input, the units have the same dimension (a ``(scale, offset)`` conversion is precomputed), and
no input is fed twice.  :meth:`Bus.check` then requires every input to be connected or set,
except one whose start value is a declared default (every FMU input with a start, as FMI 2.0
masters do; a native input declared ``start_is_default``): that one runs at its start value,
noted once with a warning and listed in :attr:`Bus.unconnected`.

Values of every FMI type travel on the bus: Real, Integer, Enumeration, Boolean and String.  The
types of the two ends must agree (an Enumeration may feed an Integer and back), except where the
connection asks for a conversion (``convert=True``: Real, Integer, Enumeration and Boolean into
one another; a Real becomes the nearest integer, a number a Boolean when it is not zero).  A Real
without a unit (``"1"``) may feed one with a unit and back: the value passes unchanged, with a
warning naming the connection unless ``convert=True`` says it is meant.  Links between Reals read
``value * scale + offset`` as always; a link of another type carries a :class:`_Convert` as its
scale and :data:`_KEEP` as its offset, so the same expression applies its conversion and the
Real path costs nothing more.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

from .actor import Actor
from .errors import ConnectionError_, CryocosimWarning, ModelError
from .units import UnitError, conversion
from .variables import Causality, Variable

_NUMERIC = ("Real", "Integer", "Enumeration", "Boolean")
_RECORDED_TYPES = (float, int, bool, str)
_INT32 = 2**31


class _Convert:
    """The ``scale`` of a link that is not Real to Real: ``value * conv`` is ``conv.fn(value)``
    (Python tries ``conv.__rmul__`` once ``value``'s own multiplication declines)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __rmul__(self, value):
        return self.fn(value)


class _Keep:
    """The ``offset`` of such a link: ``value + _KEEP`` is ``value`` of any type."""

    __slots__ = ()

    def __radd__(self, value):
        return value


_KEEP = _Keep()


def _same(value):
    return value


def _to_integer(where: str):
    def fn(value):
        if isinstance(value, float):
            if not math.isfinite(value) or abs(value) >= _INT32:
                raise ModelError(f"{where}: {value!r} cannot be converted to an Integer (32 bits)")
            return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)
        return int(value)
    return fn


def _converter(va: Variable, vb: Variable, where: str) -> _Convert:
    """The conversion of a link from ``va`` to ``vb`` (not both Real)."""
    a, b = va.type_name, vb.type_name
    if a == b or {a, b} == {"Integer", "Enumeration"}:
        return _Convert(_same)
    if b == "Real":
        return _Convert(float)
    if b == "Boolean":
        return _Convert(lambda value: value != 0)
    return _Convert(_to_integer(where))


class Slot:
    """The published value of one output (time in integer ticks): ``value`` valid from
    ``t_valid``, the one before it, ``prev``, valid from ``prev_t`` (-1: none), and with
    ``history`` on (coupling orders above 0) ``older``, the two before those as ``(tick, value)``
    pairs, newest first (:meth:`points`)."""

    __slots__ = ("value", "t_valid", "prev", "prev_t", "older", "history")

    def __init__(self, value: float):
        self.value = value
        self.t_valid = 0
        self.prev = value
        self.prev_t = -1
        self.older: tuple = ()
        self.history = False

    def publish(self, value: float, t_valid: int) -> None:
        if self.history and self.prev_t >= 0:
            self.older = ((self.prev_t, self.prev),) + self.older[:1]
        self.prev = self.value
        self.prev_t = self.t_valid
        self.value = value
        self.t_valid = t_valid

    def points(self, limit: int, n: int) -> list[tuple[int, float]]:
        """Up to ``n`` published ``(tick, value)`` pairs valid at or before ``limit``, newest first."""
        pts = []
        last = None
        for p in ((self.t_valid, self.value), (self.prev_t, self.prev), *self.older):
            # a value published again at the same tick (the start-up's iteration) replaces it
            if 0 <= p[0] <= limit and p[0] != last:
                pts.append(p)
                last = p[0]
        return pts[:n]


@dataclass
class Link:
    """One connection ``src.out -> dst.in`` with its unit conversion."""

    src: str
    src_var: str
    dst: str
    dst_var: str
    scale: float = 1.0
    offset: float = 0.0
    where: str = ""
    #: the user asked for a type conversion (or accepts a unitless end) on this link
    convert: bool = False


class Bus:
    """Actors, their output slots and the connections between them."""

    def __init__(self):
        self.actors: dict[str, Actor] = {}
        self.links: list[Link] = []
        self.fixed_inputs: set[tuple[str, str]] = set()
        self.slots: dict[tuple[str, str], Slot] = {}
        #: one-line warnings about connections (a Real without a unit fed to one with a unit...)
        self.warnings: list[str] = []
        #: inputs nothing connects or sets, at their start value: (actor, input) -> "actor.input = value unit"
        self.unconnected: dict[tuple[str, str], str] = {}
        self._noted: set[tuple[str, str]] = set()  # those warned about already

    # -- building -----------------------------------------------------------------------
    def add(self, actor: Actor) -> Actor:
        if actor.name in self.actors:
            raise ConnectionError_(f"actor '{actor.name}' is defined twice")
        if not actor.name.isidentifier():
            raise ConnectionError_(f"actor name '{actor.name}' must be a plain identifier (letters, digits, _)")
        self.actors[actor.name] = actor
        return actor

    def _resolve(self, ref: str, where: str):
        actor_name, _, var_name = ref.partition(".")
        if not var_name:
            raise ConnectionError_(f"{where}'{ref}' must be written actor.variable")
        actor = self.actors.get(actor_name)
        if actor is None:
            raise ConnectionError_(f"{where}unknown actor '{actor_name}' in '{ref}' (actors: {', '.join(self.actors)})")
        var = actor.variable_map().get(var_name)
        if var is None and var_name not in type(actor).ports:
            names = ", ".join(v.name for v in actor.variables if v.causality in (Causality.input, Causality.output))
            raise ConnectionError_(f"{where}actor '{actor_name}' has no variable '{var_name}' (inputs/outputs: {names})")
        return actor, var_name, var

    def connect(self, src: str, dst: str, where: str = "", convert: bool = False,
                transform: tuple[float, float] | None = None) -> Link | list[Link]:
        """Connect ``"actor.output"`` to ``"actor.input"`` (or two ports, ``"actor.port"``).

        ``convert=True`` allows a conversion between Real, Integer, Enumeration and Boolean, and
        accepts a Real without a unit on one end and with a unit on the other without a warning.
        ``transform=(scale, offset)``: the input gets ``scale * output + offset`` (both in their
        variables' own units) instead of the unit conversion, whatever the units (Reals only; an
        SSP connection's explicit linear transformation)."""
        where = f"{where}: " if where else ""
        a, a_var, av = self._resolve(src, where)
        b, b_var, bv = self._resolve(dst, where)
        if av is None or bv is None:
            return self.connect_ports(src, dst, where)
        if av.causality != Causality.output:
            raise ConnectionError_(f"{where}'{src}' is not an output (it is a {av.causality.value})")
        if bv.causality != Causality.input:
            raise ConnectionError_(f"{where}'{dst}' is not an input (it is a {bv.causality.value})")
        ta, tb = av.type_name, bv.type_name
        scale, offset = 1.0, 0.0
        if transform is not None:
            if not (av.type is float and bv.type is float):
                raise ConnectionError_(f"{where}'{src}' ({ta}) -> '{dst}' ({tb}): a linear transformation "
                                       "needs two Reals")
            scale, offset = (float(x) for x in transform)
        elif av.type is float and bv.type is float:
            try:
                scale, offset = conversion(av.unit, bv.unit)
            except UnitError as exc:
                unitless = [u for u in (av.unit, bv.unit) if u in ("", "1")]
                if len(unitless) != 1:
                    raise ConnectionError_(f"{where}'{src}' -> '{dst}': {exc}") from None
                if not convert:
                    self._warn(f"{where}'{src}' [{av.unit}] -> '{dst}' [{bv.unit}]: a Real without a unit is "
                               f"connected to one in '{av.unit if bv.unit in ('', '1') else bv.unit}'; the value "
                               "passes unchanged (convert = true on the connection accepts it without this warning)")
        elif not (ta == tb or {ta, tb} == {"Integer", "Enumeration"}):
            if not (convert and ta in _NUMERIC and tb in _NUMERIC):
                how = ("pass convert=True (convert = true in a [[connect]] table) to convert it"
                       if ta in _NUMERIC and tb in _NUMERIC else "a String connects only to a String")
                raise ConnectionError_(f"{where}'{src}' ({ta}) -> '{dst}' ({tb}): the types differ; {how}")
        elif ta == tb == "Enumeration" and set(av.items) != set(bv.items):
            self._warn(f"{where}'{src}' -> '{dst}': the two Enumerations have different items "
                       f"({_items(av)} vs {_items(bv)}); the values pass as integers")
        for link in self.links:
            if (link.dst, link.dst_var) == (b.name, b_var):
                raise ConnectionError_(f"{where}input '{dst}' is already fed by '{link.src}.{link.src_var}'")
        link = Link(a.name, a_var, b.name, b_var, scale, offset, where.rstrip(": "), bool(convert))
        self.links.append(link)
        return link

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        warnings.warn(message, CryocosimWarning, stacklevel=4)

    def connect_ports(self, src: str, dst: str, where: str = "") -> list[Link]:
        """Connect two physical ports: each role present in both is connected from the side
        where it is an output to the side where it is an input (Modelica-style connectors)."""
        a_name, _, a_port = src.partition(".")
        b_name, _, b_port = dst.partition(".")
        a, b = self.actors[a_name], self.actors[b_name]
        pa, pb = type(a).ports.get(a_port), type(b).ports.get(b_port)
        if pa is None or pb is None:
            bad = src if pa is None else dst
            raise ConnectionError_(f"{where}'{bad}' is neither a variable nor a port")
        links = []
        for role in pa.keys() & pb.keys():
            va, vb = a.variable_map()[pa[role]], b.variable_map()[pb[role]]
            if va.causality == Causality.output and vb.causality == Causality.input:
                links.append(self.connect(f"{a_name}.{va.name}", f"{b_name}.{vb.name}", where.rstrip(": ")))
            elif vb.causality == Causality.output and va.causality == Causality.input:
                links.append(self.connect(f"{b_name}.{vb.name}", f"{a_name}.{va.name}", where.rstrip(": ")))
            else:
                raise ConnectionError_(f"{where}ports '{src}' and '{dst}': role '{role}' needs one output and one input")
        if not links:
            raise ConnectionError_(f"{where}ports '{src}' and '{dst}' share no role")
        return links

    def fix_input(self, actor: str, var: str) -> None:
        """Mark an input as deliberately left unconnected at its set value."""
        self.fixed_inputs.add((actor, var))

    def check(self) -> None:
        """Every input is connected or was given a value, or runs at its declared start value
        (:attr:`Variable.start_is_default`: an FMU input with a start, a native input declared
        so).  Those are listed in :attr:`unconnected` and each is noted once with a warning."""
        fed = {(l.dst, l.dst_var) for l in self.links}
        unconnected = {}
        for actor in self.actors.values():
            for v in actor.variables:
                key = (actor.name, v.name)
                if v.causality != Causality.input or key in fed or key in self.fixed_inputs:
                    continue
                if not v.start_is_default:
                    raise ConnectionError_(
                        f"input '{actor.name}.{v.name}' is not connected and has no value "
                        f"(connect it, or set it among the actor's parameters)")
                unconnected[key] = f"{actor.name}.{v.name} = {_value_text(v, getattr(actor, v.name))}"
        self.unconnected = unconnected
        for key, entry in unconnected.items():
            if key not in self._noted:
                self._noted.add(key)
                warnings.warn(_unconnected_message(entry), CryocosimWarning, stacklevel=3)

    def unconnected_warnings(self) -> list[str]:
        """The warnings of the inputs that run at their start value (as of the last :meth:`check`)."""
        return [_unconnected_message(entry) for entry in self.unconnected.values()]

    # -- running ------------------------------------------------------------------------
    def recorded(self) -> list[tuple[str, str]]:
        """(actor, variable) of every output and local (Real, Integer, Enumeration, Boolean,
        String), in the order they are recorded."""
        return [(actor.name, v.name) for actor in self.actors.values() for v in actor.variables
                if v.causality in (Causality.output, Causality.local) and v.type in _RECORDED_TYPES]

    def is_real(self, link: Link) -> bool:
        """Whether both ends of ``link`` are Reals."""
        return (self.actors[link.src].variable_map()[link.src_var].type is float
                and self.actors[link.dst].variable_map()[link.dst_var].type is float)

    def build_slots(self) -> None:
        """Create one slot per output (after actors' setup so start outputs are published)."""
        self.slots = {(a, v): Slot(getattr(self.actors[a], v)) for a, v in self.recorded()}
        self.in_links: dict[str, list] = {name: [] for name in self.actors}
        for l in self.links:
            slot = self.slots[(l.src, l.src_var)]
            if self.is_real(l):
                self.in_links[l.dst].append((slot, l.dst_var, l.scale, l.offset))
            else:
                va = self.actors[l.src].variable_map()[l.src_var]
                vb = self.actors[l.dst].variable_map()[l.dst_var]
                conv = _converter(va, vb, f"connection '{l.src}.{l.src_var}' -> '{l.dst}.{l.dst_var}'")
                self.in_links[l.dst].append((slot, l.dst_var, conv, _KEEP))
        self.out_slots: dict[str, list] = {name: [] for name in self.actors}
        for (name, var), slot in self.slots.items():
            self.out_slots[name].append((var, slot))

    def read_inputs(self, name: str, limit: int) -> None:
        """Set the inputs of actor ``name`` from the newest values valid at or before ``limit``."""
        actor = self.actors[name]
        for slot, var, scale, offset in self.in_links[name]:
            v = slot.value if slot.t_valid <= limit else slot.prev
            setattr(actor, var, v * scale + offset)

    def publish(self, name: str, t_valid: int) -> None:
        actor = self.actors[name]
        for var, slot in self.out_slots[name]:
            slot.publish(getattr(actor, var), t_valid)

    def value(self, actor: str, var: str, limit: int) -> float:
        slot = self.slots[(actor, var)]
        return slot.value if slot.t_valid <= limit else slot.prev

    def snapshot(self) -> dict:
        return {k: (s.value, s.t_valid, s.prev, s.prev_t, s.older) for k, s in self.slots.items()}

    def restore(self, snap: dict) -> None:
        for k, (value, t_valid, prev, prev_t, older) in snap.items():
            s = self.slots[k]
            s.value, s.t_valid, s.prev, s.prev_t, s.older = value, t_valid, prev, prev_t, older


def _value_text(var: Variable, value) -> str:
    """``value`` of ``var`` as the notes write it: ``300.0 K``, ``2``, ``3 (cooling)``, ``true``, ``'go'``."""
    if var.type is bool:
        return "true" if value else "false"
    if var.type is str:
        return repr(value)
    if var.type is int:
        name = next((n for n, x in var.items if x == value), None)
        return f"{int(value)}" + (f" ({name})" if name is not None else "")
    return repr(float(value)) + ("" if var.unit in ("", "1") else f" {var.unit}")


def _unconnected_message(entry: str) -> str:
    name, _, value = entry.partition(" = ")
    return (f"input '{name}' is neither connected nor set: it runs at its declared start value {value}; "
            "connect it or give it a value to choose another")


def _items(var: Variable) -> str:
    return ", ".join(f"{name}={value}" for name, value in var.items)
