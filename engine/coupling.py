"""What passes between the actors over a step: inputs set before ``do_step``, outputs checked after.

Every actor step of a run sets the actor's inputs here first, and nowhere else:

* :meth:`Coupling.set_inputs` — from the bus, each input held over the step at its producer's
  newest value valid at the start of the step (Jacobi) or at its end (Gauss–Seidel: values an
  actor stepped before it published at ``t + h``);
* :meth:`Coupling.hold_inputs` — iterated coupling: the Real inputs held at given values of the
  coupled outputs ``u`` (the Newton iterate), the other links at their values on the bus.

After a step the actor's Real outputs are checked finite (:meth:`Coupling.finite_error`).
The coupled outputs — those that feed an input over a Real link — are numbered once
(:meth:`Coupling.prepare_iteration`) for the iterated coupling and the coupling error.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .bus import _KEEP, Bus
from .errors import CryocosimError, ModelError
from .extrapolation import shift, taylor
from .variables import Causality

_VALUE = operator.attrgetter("value")


def all_finite(slots: tuple) -> bool:
    """Whether the values of ``slots`` are all finite, cheaply (a check on every step): their sum
    is, NaN and infinities propagate.  False may also be a sum that overflowed, or a value that is
    not a number: :meth:`Coupling.finite_error` looks at each."""
    try:
        return math.isfinite(sum(map(_VALUE, slots)))
    except TypeError:
        return False


def step_error(name: str, t: float, exc: BaseException) -> ModelError:
    """The one-line error of actor ``name`` failing in a step at ``t`` (s)."""
    if isinstance(exc, CryocosimError):
        msg = str(exc)
        if f"'{name}'" not in msg:
            msg = f"actor '{name}': {msg}"
        return ModelError(f"{msg} (at t={t:g} s)")
    return ModelError(f"actor '{name}' failed at t={t:g} s: {type(exc).__name__}: {exc}")


class Coupling:
    """The actors of ``bus`` in the scenario's ``order``, coupled Jacobi or Gauss–Seidel."""

    def __init__(self, bus: Bus, order: list[str], ordering: str, ticks_per_second: int):
        self.bus = bus
        self.order = order
        self.gauss_seidel = ordering == "gauss-seidel"
        self.ticks_per_second = ticks_per_second
        #: (output, slot) of each actor's Real outputs, and the slots alone (after find_outputs)
        self.real_outputs: dict[str, list] = {}
        self.real_slots: dict[str, tuple] = {}
        #: the coupled outputs (actor, output), in the scenario's order (after prepare_iteration)
        self.coupled: list[tuple[str, str]] = []
        #: per actor: (input, index in coupled, scale, offset) of its Real inputs
        self.inputs_of: dict[str, list] = {}
        #: per actor: (index in coupled, output) of its coupled outputs
        self.outputs_of: dict[str, list] = {}
        #: per actor: the coupled outputs feeding it (indices)
        self.sources_of: dict[str, list[int]] = {}
        #: per actor: its links of other types than Real (empty when there are none at all)
        self.held_of: dict[str, list] = {}
        #: coupling orders (set_orders): per actor that takes its inputs as polynomials, the
        #: degree, and its Real input links; the highest of those degrees (0: every input held)
        self.order_of: dict[str, int] = {}
        self.poly_links: dict[str, list] = {}
        self.highest = 0
        self.slot_order: dict[tuple[str, str], int] = {}

    # -- coupling orders ----------------------------------------------------------------------------
    def set_orders(self, default: int, per_actor: dict[str, int]) -> None:
        """Inputs as polynomials of degree ``per_actor.get(name, default)`` for the actors that
        can integrate them (``Actor.input_order``, capped there); the others hold theirs.  The
        producers' slots then keep their last four values (after ``Bus.build_slots``)."""
        bus = self.bus
        self.order_of = {}
        for name in self.order:
            k = min(per_actor.get(name, default), type(bus.actors[name]).input_order)
            if k > 0:
                self.order_of[name] = k
        self.poly_links = {name: [x for x in bus.in_links[name] if x[3] is not _KEEP] for name in self.order_of}
        for name in self.order_of:
            for slot, *_ in self.poly_links[name]:
                slot.history = True
        self.highest = max(self.order_of.values(), default=0)
        # the order of each coupled output's polynomial: the lowest among the actors it feeds
        # (one that holds it makes the hold's error); the step control measures the error of
        # that polynomial's prediction (its slot keeps its history: it feeds polynomial actors)
        self.slot_order = {}
        for l in bus.links:
            key = (l.src, l.src_var)
            self.slot_order[key] = min(self.slot_order.get(key, 2), self.order_of.get(l.dst, 0))

    # -- before a step ------------------------------------------------------------------------------
    def set_inputs(self, name: str, t: int, h: int) -> None:
        """Set the inputs of actor ``name`` for its step from tick ``t`` to ``t + h`` from the bus:
        each held at its producer's newest value valid at ``t`` (Jacobi) or ``t + h``
        (Gauss–Seidel), or, under a coupling order k >= 1 for an actor that can integrate its
        inputs, as the polynomial through the last k + 1 values valid then: its value at ``t`` and
        its derivatives there (:attr:`Actor.input_derivatives`)."""
        limit = t + h if self.gauss_seidel else t
        self.bus.read_inputs(name, limit)
        k = self.order_of.get(name)
        if k:
            actor, tps = self.bus.actors[name], self.ticks_per_second
            der = actor.input_derivatives
            for slot, var, scale, offset in self.poly_links[name]:
                u, d1, d2 = taylor(slot.points(limit, k + 1), t, tps)
                setattr(actor, var, u * scale + offset)
                der[var] = (d1 * scale, d2 * scale)

    def hold_inputs(self, name: str, actor, u: np.ndarray, history, t0: int, t1: int) -> list | None:
        """Hold the Real inputs of actor ``name`` at the coupled values ``u``; its other links at
        their values on the bus (those of the start of the step: they are not iterated).

        Under a coupling order k >= 1 for an actor that can integrate its inputs, each Real input
        is instead the polynomial through ``(t1, u)`` and the last k accepted synchronisations
        in ``history`` (``(tick, coupled values)``, newest last): returned as ``(input, scale,
        offset, (u, du/dt, d2u/dt2) at t0)`` for :meth:`set_held_polynomials` at each sub-step."""
        for var, j, scale, offset in self.inputs_of[name]:
            setattr(actor, var, u[j] * scale + offset)
        if self.held_of:
            for slot, var, conv, keep in self.held_of[name]:
                setattr(actor, var, slot.value * conv + keep)
        k = self.order_of.get(name)
        if not k:
            return None
        past = [(t, x) for t, x in reversed(history) if t <= t0][:k]
        tps = self.ticks_per_second
        polys = []
        for var, j, scale, offset in self.inputs_of[name]:
            pts = [(t1, u[j])] + [(t, x[j]) for t, x in past]
            polys.append((var, scale, offset, taylor(pts, t0, tps)))
        return polys

    @staticmethod
    def set_held_polynomials(actor, polys: list, dt: float) -> None:
        """Set an actor's polynomial inputs (:meth:`hold_inputs`) for a sub-step starting ``dt``
        s after the step's start."""
        der = actor.input_derivatives
        for var, scale, offset, coeffs in polys:
            u, d1, d2 = shift(coeffs, dt) if dt else coeffs
            setattr(actor, var, u * scale + offset)
            der[var] = (d1 * scale, d2 * scale)

    # -- after a step -------------------------------------------------------------------------------
    def find_outputs(self) -> None:
        """Find each actor's Real outputs (after ``Bus.build_slots``), checked after every step."""
        bus = self.bus
        self.real_outputs = {
            name: [(var, slot) for var, slot in bus.out_slots[name]
                   if bus.actors[name].variable_map()[var].causality == Causality.output
                   and bus.actors[name].variable_map()[var].type is float]
            for name in self.order}
        self.real_slots = {name: tuple(slot for _, slot in outs) for name, outs in self.real_outputs.items()}

    def non_finite(self, name: str) -> tuple[str, str] | None:
        """(output, its value as text) of the first Real output of actor ``name`` whose published
        value is NaN or infinite; None if all are finite."""
        for var, slot in self.real_outputs[name]:
            try:
                finite = math.isfinite(slot.value)
            except (TypeError, ValueError):
                continue  # not a number at all: the recorder says so
            if not finite:
                return var, repr(float(slot.value))
        return None

    def finite_error(self, name: str, t0: int, t1: int) -> ModelError | None:
        """The error that stops the run when a Real output of actor ``name`` is NaN or infinite
        after its step from tick ``t0`` to ``t1`` (one line naming the actor, the output and the
        time): every actor reading it would compute garbage, and the results would hold it.
        None: finite values whose plain sum overflowed.  Locals are not checked: nothing reads
        them (a ratio undefined at a standstill may be NaN)."""
        bad = self.non_finite(name)
        if bad is None:
            return None
        tps = self.ticks_per_second
        return ModelError(f"actor '{name}': output '{bad[0]}' is {bad[1]} after its step from t={t0 / tps:g} s "
                          f"to t={t1 / tps:g} s (a non-finite output stops the run)")

    # -- the coupled outputs ------------------------------------------------------------------------
    def prepare_iteration(self) -> None:
        """Number the coupled outputs and map each actor's Real inputs and coupled outputs to them."""
        bus, order = self.bus, self.order
        real = [l for l in bus.links if bus.is_real(l)]
        coupled = {(l.src, l.src_var) for l in real}
        self.coupled = sorted(coupled, key=lambda k: (order.index(k[0]), k[1]))
        index = {k: j for j, k in enumerate(self.coupled)}
        self.inputs_of = {n: [] for n in order}
        self.outputs_of = {n: [] for n in order}
        for l in real:
            self.inputs_of[l.dst].append((l.dst_var, index[(l.src, l.src_var)], l.scale, l.offset))
        # links of other types (Integer, Boolean, String...) are not iterated: an actor run from
        # the saved state holds them at their values at the start of the step (on the bus then)
        self.held_of = {n: [x for x in bus.in_links[n] if x[3] is _KEEP]
                        for n in order} if len(real) < len(bus.links) else {}
        for j, (a, v) in enumerate(self.coupled):
            self.outputs_of[a].append((j, v))
        self.sources_of = {n: sorted({j for _, j, _, _ in self.inputs_of[n]}) for n in order}

    def values(self) -> np.ndarray:
        """The coupled outputs' values on the bus (the newest published)."""
        slots = self.bus.slots
        return np.array([slots[k].value for k in self.coupled])

    def outputs(self, name: str, actor) -> list[float]:
        """Actor ``name``'s coupled outputs, read from the actor (not the bus)."""
        return [getattr(actor, var) for _, var in self.outputs_of[name]]
