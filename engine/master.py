"""The master: schedules actors on a simpy clock, multi-rate, Jacobi or Gauss–Seidel.

Time is kept in integer ticks (default 1 ns) so actors with different communication steps meet
exactly at common times.  Each actor is a simpy process that, at its step times ``t``, reads its
inputs from the bus, calls ``do_step(t, h)`` and publishes its outputs as valid from ``t + h``.
Processes due at the same time run in a fixed order set by simpy event priorities:

1. time events (parameter changes at a given time),
2. actors, in the scenario's order (the Gauss–Seidel order),
3. the monitor: condition events and stop conditions, then the recorder.

With Jacobi ordering an actor reads values as of ``t``; with Gauss–Seidel it also sees values
published at ``t + h`` by actors stepped before it.  Condition events are checked at every
monitor tick and located in time by linear interpolation between the two ticks that bracket the
crossing (error O(h²) for smooth signals); they are logged in the results.

The run advances in chunks; between chunks the whole system state (actors via
``get_state``/``set_state``, bus slots, clock) can be saved and restored — a rollback.
"""
from __future__ import annotations

import math
import operator
import time as _time
from dataclasses import dataclass, field
from typing import Any, Callable

import simpy
from simpy.events import Event

from .bus import Bus
from .checks import RESOLUTION
from .errors import ConfigurationError, CryocosimError, ModelError, SetupError
from .results import Recorder

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


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
class ConditionEvent:
    """Fires when ``actor.var <op> threshold`` becomes true (edge-triggered, after ``arm_time``)."""

    actor: str
    var: str
    op: str
    threshold: float
    name: str
    action: Action
    arm_time: float = 0.0
    once: bool = True
    expression: str = ""


class _StopRun(Exception):
    pass


class Master:
    """Runs the actors of a :class:`Bus` from t = 0 to a stop time."""

    #: fixed-point iteration of the initialisation: relative tolerance and iteration limit
    init_tolerance = 1e-10
    init_max_iterations = 100

    def __init__(self, bus: Bus, steps: dict[str, float], ordering: str = "gauss-seidel",
                 order: list[str] | None = None, resolution: float = RESOLUTION):
        if ordering not in ("jacobi", "gauss-seidel"):
            raise ConfigurationError(f"ordering must be 'jacobi' or 'gauss-seidel', not '{ordering}'")
        self.bus = bus
        self.ordering = ordering
        self.resolution = resolution
        # seconds = ticks / ticks_per_second: the integer division is correctly rounded, so every
        # time stamp on the output grid is the exact decimal it stands for (495.0, not 495.00000000000006)
        self.ticks_per_second = round(1.0 / resolution)
        self.order = list(order or bus.actors)
        self.ticks: dict[str, int] = {}
        for name in self.order:
            h = steps[name]
            k = round(h / resolution)
            if k <= 0 or not math.isfinite(h) or abs(k * resolution - h) > 1e-9 * h:
                raise ConfigurationError(f"actor '{name}': step {h!r} s must be a positive multiple of {resolution} s")
            self.ticks[name] = k
        self.t = 0
        self.next = {name: 0 for name in self.order}
        self.time_events: list[TimeEvent] = []
        self.conditions: list[ConditionEvent] = []
        self._cond_prev: dict[int, tuple[int, float, bool]] = {}
        self._fired: set[int] = set()
        self.recorder: Recorder | None = None
        self.columns: list[tuple[str, str]] = []
        self.output_ticks = 0
        self.stopped_by: str | None = None
        self.wall_time = 0.0
        self.steps_taken = 0

    # -- set-up ---------------------------------------------------------------------------
    def initialize(self) -> None:
        """Check the bus, set up every actor, then iterate the connected values to a consistent
        start (:meth:`_initialize_outputs`) and create the output slots.

        An actor whose ``setup()`` fails raises :class:`SetupError` naming it (exit status 2: the
        cause is a parameter or start value, found before the run starts)."""
        self.bus.check()
        for name in self.order:
            actor = self.bus.actors[name]
            try:
                actor.setup()
            except CryocosimError as exc:
                msg = str(exc)
                raise SetupError(msg if f"'{name}'" in msg else f"actor '{name}': {msg}", name) from exc
            except Exception as exc:  # a model's own bug or library error: one line, named
                raise SetupError(f"actor '{name}': setup failed: {type(exc).__name__}: {exc}", name) from exc
        self.bus.build_slots()
        self._initialize_outputs()
        self.columns = [(a, v) for (a, v) in self.bus.slots]

    def _initialize_outputs(self) -> None:
        """Iterate inputs -> outputs over the connections to a fixed point at t = 0.

        What an FMI master does in initialisation mode: each sweep, in the scenario's order, reads
        every actor's inputs from the newest published values (Gauss–Seidel) and lets it recompute
        its outputs from them (:meth:`Actor.initialize_outputs`; actors whose outputs follow from
        their state alone do nothing).  Algebraic loops (a compressor between two volumes, a
        recuperator feeding the expander that sets its flow) converge in a few sweeps; the run
        starts when no output changes by more than ``init_tolerance`` (relative) in a sweep.
        """
        bus, t0 = self.bus, self.t / self.ticks_per_second
        slots = bus.slots
        tol = self.init_tolerance
        worst = None
        for _ in range(self.init_max_iterations):
            before = [(key, s.value) for key, s in slots.items()]
            for name in self.order:
                bus.read_inputs(name, self.t)
                try:
                    bus.actors[name].initialize_outputs(t0)
                except CryocosimError as exc:
                    msg = str(exc)
                    raise SetupError(f"initialisation: {msg if repr(name) in msg else f'actor {name!r}: {msg}'}",
                                     name) from exc
                except Exception as exc:
                    raise SetupError(f"initialisation: actor '{name}' failed: {type(exc).__name__}: {exc}",
                                     name) from exc
                bus.publish(name, self.t)
            worst, worst_change = None, 0.0
            for key, old in before:
                new = slots[key].value
                if new != old:
                    change = abs(new - old) / max(abs(new), abs(old))
                    if not change <= tol and not (change <= worst_change):
                        worst, worst_change = key, change
            if worst is None:
                break
        else:
            a, v = worst
            raise SetupError(f"initialisation did not converge in {self.init_max_iterations} sweeps: "
                             f"'{a}.{v}' still changed by {worst_change:.3g} (relative) in the last one "
                             "(an algebraic loop without a state to break it?)", a)
        for s in slots.values():
            s.prev = s.value
        for name in self.order:
            actor = bus.actors[name]
            try:
                actor.end_initialization()
            except CryocosimError as exc:
                raise SetupError(str(exc), name) from exc
            bus.publish(name, self.t)
            bus.read_inputs(name, self.t)
        for s in slots.values():
            s.prev = s.value

    def add_time_event(self, ev: TimeEvent) -> None:
        self.time_events.append(ev)

    def add_condition(self, ev: ConditionEvent) -> None:
        if ev.op not in _OPS:
            raise ConfigurationError(f"event '{ev.name}': operator must be one of {', '.join(_OPS)}")
        self.conditions.append(ev)

    # -- state ----------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The whole system state at the current synchronisation time (for rollback)."""
        return {
            "t": self.t, "next": dict(self.next),
            "actors": {n: a.get_state() for n, a in self.bus.actors.items()},
            "bus": self.bus.snapshot(),
            "cond_prev": dict(self._cond_prev), "fired": set(self._fired),
            "monitor_next": getattr(self, "_monitor_next", self.t),
        }

    def restore(self, snap: dict) -> None:
        self.t = snap["t"]
        self.next = dict(snap["next"])
        for n, s in snap["actors"].items():
            self.bus.actors[n].set_state(s)
        self.bus.restore(snap["bus"])
        self._cond_prev = dict(snap["cond_prev"])
        self._fired = set(snap["fired"])
        self._monitor_next = snap["monitor_next"]

    # -- running --------------------------------------------------------------------------------
    def _wait(self, env: simpy.Environment, delay: int, priority: int) -> Event:
        ev = Event(env)
        ev._ok = True
        ev._value = None
        env.schedule(ev, priority, delay)
        return ev

    def _actor_process(self, env, name: str, priority: int, until: int):
        bus, actor, h_full = self.bus, self.bus.actors[name], self.ticks[name]
        final = self._stop_ticks
        tps = self.ticks_per_second
        gs = self.ordering == "gauss-seidel"
        t = self.next[name]
        yield self._wait(env, t - env.now, priority)
        while t < until:
            h = min(h_full, final - t)  # the last step is cut to end exactly at the stop time
            bus.read_inputs(name, t + h if gs else t)
            try:
                actor.do_step(t / tps, h / tps)
            except CryocosimError as exc:
                msg = str(exc)
                if f"'{name}'" not in msg:
                    msg = f"actor '{name}': {msg}"
                raise ModelError(f"{msg} (at t={t / tps:g} s)") from exc
            except Exception as exc:
                raise ModelError(f"actor '{name}' failed at t={t / tps:g} s: {type(exc).__name__}: {exc}") from exc
            bus.publish(name, t + h)
            self.steps_taken += 1
            t += h
            self.next[name] = t
            yield self._wait(env, h, priority)

    def _apply(self, action: Action, when: float, name: str) -> None:
        for (actor_name, var), value in action.set.items():
            actor = self.bus.actors[actor_name]
            actor.set_parameter(var, value)
        if action.stop:
            self.stopped_by = name
            raise _StopRun()

    def _time_event_process(self, env, ev: TimeEvent):
        k = round(ev.time / self.resolution)
        if k < env.now:
            return
        yield self._wait(env, k - env.now, 1)
        self._log(ev.name, ev.time, "time", ev.action)
        self._apply(ev.action, ev.time, ev.name)

    def _log(self, name, when, kind, action, **extra):
        entry = {"time": when, "name": name, "kind": kind,
                 "set": {f"{a}.{v}": val for (a, v), val in action.set.items()}, "stop": action.stop}
        entry.update(extra)
        if self.recorder is not None:
            self.recorder.log_event(entry)
        self.events.append(entry)

    def _check_conditions(self, t: int) -> None:
        res = self.resolution
        for i, c in enumerate(self.conditions):
            if i in self._fired and c.once:
                continue
            v = self.bus.value(c.actor, c.var, t)
            now = _OPS[c.op](v, c.threshold)
            prev = self._cond_prev.get(i)
            self._cond_prev[i] = (t, v, now)
            if prev is None or not now or prev[2] or t * res < c.arm_time:
                continue
            t0, v0, _ = prev
            frac = (c.threshold - v0) / (v - v0) if v != v0 else 1.0
            when = (t0 + min(max(frac, 0.0), 1.0) * (t - t0)) * res
            self._fired.add(i)
            self._log(c.name, when, "condition", c.action, condition=c.expression, value=v,
                      located_within=(t - t0) * res)
            self._apply(c.action, when, c.name)

    def _record(self, t: int) -> None:
        if self.recorder is not None:
            value = self.bus.value
            self.recorder.record(t / self.ticks_per_second, [value(a, v, t) for a, v in self.columns])

    def _monitor_process(self, env, until: int, check: int, priority: int):
        yield self._wait(env, self._monitor_next - env.now, priority)
        while True:
            t = env.now
            if self.conditions:
                self._check_conditions(t)
            if self.output_ticks and t % self.output_ticks == 0:
                self._record(t)
            self._monitor_next = t + check
            if t + check > until:
                break
            yield self._wait(env, check, priority)

    def advance(self, until: int) -> None:
        """Advance the clock from ``self.t`` to ``until`` ticks."""
        env = simpy.Environment(initial_time=self.t)
        n = len(self.order)
        for rank, name in enumerate(self.order):
            env.process(self._actor_process(env, name, 2 + rank, until))
        for ev in self.time_events:
            k = round(ev.time / self.resolution)
            if self.t < k <= until or (k == self.t == 0):
                env.process(self._time_event_process(env, ev))
        check = self._check_ticks
        env.process(self._monitor_process(env, until, check, 3 + n))
        try:
            # run through `until` inclusive for the monitor; actors stop stepping at `until`
            env.run(until=until + 1)
            self.t = until
        except BaseException:
            self.t = env.now
            raise

    def run(self, stop_time: float, recorder: Recorder | None = None, output_interval: float | None = None,
            progress: Callable[[float, float], None] | None = None, chunks: int = 200) -> None:
        """Run to ``stop_time`` (s), recording every ``output_interval`` s."""
        res = self.resolution
        self.recorder = recorder
        self.events: list[dict] = []
        stop = round(stop_time / res)
        self._stop_ticks = stop
        fastest = min(self.ticks.values())
        if output_interval:
            k = round(output_interval / res)
            if not 0 < k < 2**62:
                raise ConfigurationError(f"output_interval {output_interval!r} s must be between "
                                         f"{res:g} s and {2**62 * res:g} s")
            if k % fastest:
                k = max(fastest, (k // fastest) * fastest)
            self.output_ticks = k
        else:
            self.output_ticks = fastest
        # conditions are checked at every tick of the fastest actor; without them the monitor
        # only wakes up to record
        self._check_ticks = fastest if self.conditions else self.output_ticks
        self._monitor_next = -(-self.t // self._check_ticks) * self._check_ticks
        chunk = max(self.output_ticks, -(-stop // chunks // self.output_ticks) * self.output_ticks)
        t_wall = _time.perf_counter()
        try:
            while self.t < stop and self.stopped_by is None:
                target = min(self.t + chunk, stop)
                try:
                    self.advance(target)
                except _StopRun:
                    break
                if progress:
                    progress(self.t * res, _time.perf_counter() - t_wall)
        finally:
            self.wall_time = _time.perf_counter() - t_wall
            if recorder is not None and (not recorder.times or recorder.times[-1] < self.t * res - 0.5 * res):
                if self.stopped_by is not None or self.t >= stop:
                    self._record(self.t)
