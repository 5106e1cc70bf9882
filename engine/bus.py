"""The coupling bus: typed, unit-checked connections between actor outputs and inputs.

Each output has a :class:`Slot` holding the value it published last, the time from which that
value is valid, and the value before it.  A consumer that reads at time ``t`` with read limit
``lim`` gets the newest value valid at or before ``lim`` — ``lim = t`` is Jacobi (values as of the
start of the step), ``lim = t + h`` Gauss–Seidel (values already advanced by actors stepped
earlier in the same round).  Between producer updates the value is held (zero-order hold).

Connections are checked when made: both ends exist, the source is an output, the target an
input, the units have the same dimension (a ``(scale, offset)`` conversion is precomputed), and
no input is fed twice.  :meth:`Bus.check` then requires every input to be connected or set.
"""
from __future__ import annotations

from dataclasses import dataclass

from .actor import Actor
from .errors import ConnectionError_
from .units import UnitError, conversion
from .variables import Causality


class Slot:
    """The published value of one output (time in integer ticks)."""

    __slots__ = ("value", "t_valid", "prev")

    def __init__(self, value: float):
        self.value = value
        self.t_valid = 0
        self.prev = value

    def publish(self, value: float, t_valid: int) -> None:
        self.prev = self.value
        self.value = value
        self.t_valid = t_valid


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


class Bus:
    """Actors, their output slots and the connections between them."""

    def __init__(self):
        self.actors: dict[str, Actor] = {}
        self.links: list[Link] = []
        self.fixed_inputs: set[tuple[str, str]] = set()
        self.slots: dict[tuple[str, str], Slot] = {}

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

    def connect(self, src: str, dst: str, where: str = "") -> Link | list[Link]:
        """Connect ``"actor.output"`` to ``"actor.input"`` (or two ports, ``"actor.port"``)."""
        where = f"{where}: " if where else ""
        a, a_var, av = self._resolve(src, where)
        b, b_var, bv = self._resolve(dst, where)
        if av is None or bv is None:
            return self.connect_ports(src, dst, where)
        if av.causality != Causality.output:
            raise ConnectionError_(f"{where}'{src}' is not an output (it is a {av.causality.value})")
        if bv.causality != Causality.input:
            raise ConnectionError_(f"{where}'{dst}' is not an input (it is a {bv.causality.value})")
        if av.type is not bv.type:
            raise ConnectionError_(f"{where}'{src}' -> '{dst}': type mismatch {av.type.__name__} vs {bv.type.__name__}")
        try:
            scale, offset = conversion(av.unit, bv.unit)
        except UnitError as exc:
            raise ConnectionError_(f"{where}'{src}' -> '{dst}': {exc}") from None
        for link in self.links:
            if (link.dst, link.dst_var) == (b.name, b_var):
                raise ConnectionError_(f"{where}input '{dst}' is already fed by '{link.src}.{link.src_var}'")
        link = Link(a.name, a_var, b.name, b_var, scale, offset, where.rstrip(": "))
        self.links.append(link)
        return link

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
        """Every input is connected or was given a value."""
        fed = {(l.dst, l.dst_var) for l in self.links}
        for actor in self.actors.values():
            for v in actor.variables:
                if v.causality == Causality.input and (actor.name, v.name) not in fed \
                        and (actor.name, v.name) not in self.fixed_inputs:
                    raise ConnectionError_(
                        f"input '{actor.name}.{v.name}' is not connected and has no value "
                        f"(connect it, or set it among the actor's parameters)")

    # -- running ------------------------------------------------------------------------
    def recorded(self) -> list[tuple[str, str]]:
        """(actor, variable) of every output and local Real, in the order they are recorded."""
        return [(actor.name, v.name) for actor in self.actors.values() for v in actor.variables
                if v.causality in (Causality.output, Causality.local) and v.type is float]

    def build_slots(self) -> None:
        """Create one slot per output (after actors' setup so start outputs are published)."""
        self.slots = {(a, v): Slot(getattr(self.actors[a], v)) for a, v in self.recorded()}
        self.in_links: dict[str, list] = {name: [] for name in self.actors}
        for l in self.links:
            self.in_links[l.dst].append((self.slots[(l.src, l.src_var)], l.dst_var, l.scale, l.offset))
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
        return {k: (s.value, s.t_valid, s.prev) for k, s in self.slots.items()}

    def restore(self, snap: dict) -> None:
        for k, (value, t_valid, prev) in snap.items():
            s = self.slots[k]
            s.value, s.t_valid, s.prev = value, t_valid, prev
