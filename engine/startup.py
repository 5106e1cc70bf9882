"""Start-up of a run: set every actor up, then iterate the connected values to a consistent start.

What an FMI master does in initialisation mode: :func:`setup_actors` calls every actor's
``setup()``; :func:`initialize_outputs` then iterates inputs -> outputs over the connections to a
fixed point at the start time and ends every actor's initialisation.  A failure is a
:class:`SetupError` naming the actor (exit status 2: the cause is a parameter or start value,
found before the run starts).
"""
from __future__ import annotations

import math
from typing import Callable

from .bus import Bus
from .errors import CryocosimError, SetupError


def setup_actors(bus: Bus, order: list[str]) -> None:
    """``setup()`` of every actor, in the scenario's order."""
    for name in order:
        actor = bus.actors[name]
        try:
            actor.setup()
        except CryocosimError as exc:
            msg = str(exc)
            raise SetupError(msg if f"'{name}'" in msg else f"actor '{name}': {msg}", name) from exc
        except Exception as exc:  # a model's own bug or library error: one line, named
            raise SetupError(f"actor '{name}': setup failed: {type(exc).__name__}: {exc}", name) from exc


def initialize_outputs(bus: Bus, order: list[str], t: int, ticks_per_second: int, tolerance: float,
                       max_iterations: int, non_finite: Callable[[str], tuple[str, str] | None]) -> None:
    """Iterate inputs -> outputs over the connections to a fixed point at tick ``t``.

    Each sweep, in the scenario's order, reads every actor's inputs from the newest published
    values (Gauss–Seidel) and lets it recompute its outputs from them
    (:meth:`Actor.initialize_outputs`; actors whose outputs follow from their state alone do
    nothing).  Algebraic loops (a compressor between two volumes, a recuperator feeding the
    expander that sets its flow) converge in a few sweeps; the run starts when no output changes
    by more than ``tolerance`` (relative) in a sweep.  ``non_finite(name)``: the first NaN or
    infinite Real output of an actor, an error.
    """
    t0 = t / ticks_per_second
    slots = bus.slots
    worst = None
    for _ in range(max_iterations):
        before = [(key, s.value) for key, s in slots.items()]
        for name in order:
            bus.read_inputs(name, t)
            try:
                bus.actors[name].initialize_outputs(t0)
            except CryocosimError as exc:
                msg = str(exc)
                raise SetupError(f"initialisation: {msg if repr(name) in msg else f'actor {name!r}: {msg}'}",
                                 name) from exc
            except Exception as exc:
                raise SetupError(f"initialisation: actor '{name}' failed: {type(exc).__name__}: {exc}",
                                 name) from exc
            bus.publish(name, t)
            bad = non_finite(name)
            if bad is not None:
                raise SetupError(f"actor '{name}': output '{bad[0]}' is {bad[1]} after the initialisation (t={t0:g} s)",
                                 name)
        worst, worst_change = None, 0.0
        for key, old in before:
            new = slots[key].value
            if new != old and not (new != new and old != old):  # a local that stays NaN is unchanged
                # a String that changes has not converged; numbers by their relative change
                change = math.inf if isinstance(new, str) or isinstance(old, str) \
                    else abs(new - old) / max(abs(new), abs(old))
                if not change <= tolerance and not (change <= worst_change):
                    worst, worst_change = key, change
        if worst is None:
            break
    else:
        a, v = worst
        raise SetupError(f"initialisation did not converge in {max_iterations} sweeps: "
                         f"'{a}.{v}' still changed by {worst_change:.3g} (relative) in the last one "
                         "(an algebraic loop without a state to break it?)", a)
    for s in slots.values():
        s.prev = s.value
    for name in order:
        actor = bus.actors[name]
        try:
            actor.end_initialization()
        except CryocosimError as exc:
            raise SetupError(str(exc), name) from exc
        bus.publish(name, t)
        bus.read_inputs(name, t)
    for s in slots.values():
        s.prev = s.value
