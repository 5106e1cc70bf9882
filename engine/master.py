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
crossing (error O(h²) for smooth signals; for a conjunction ``a and b``, of the clause that turned
true last); they are logged in the results.

The run advances in chunks; between chunks the whole system state (actors via
``get_state``/``set_state``, bus slots, clock) can be saved and restored — a rollback.

An actor that ends the simulation itself (an FMU returning fmi2Discard with ``fmi2Terminated``,
raised as :class:`~cryocosim.errors.ActorTerminated`) ends the run cleanly at the start of the
step it refused: the event log gets an entry of kind ``terminated`` and ``terminated_by`` names it.
Its state at the time it reached (``fmi2LastSuccessfulTime``), when its outputs could be read
there, is the run's last record, on the output grid or not, as fmpy records it.
"""
from __future__ import annotations

import math
import operator
import time as _time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import simpy
from simpy.events import Event

from .bus import _KEEP, Bus
from .checks import RESOLUTION
from .errors import ActorTerminated, ConfigurationError, CryocosimError, ModelError, SetupError
from .results import Recorder
from .stepcontrol import StepControl, weighted_change
from .variables import Causality

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_VALUE = operator.attrgetter("value")


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
class Clause:
    """One comparison ``left <op> threshold`` of a condition: the left side is ``actor.var``, or,
    with ``terms``, ``[abs](sum of coefficient * actor.var)`` (``hp.p - lp.p``, ``abs(a.x - b.x)``)."""

    actor: str
    var: str
    op: str
    threshold: float
    terms: tuple = ()          # ((actor, var, coefficient), ...)
    absolute: bool = False     # abs() of the sum


@dataclass
class ConditionEvent:
    """Fires when ``actor.var <op> threshold`` becomes true (edge-triggered, after ``arm_time``).

    ``terms`` generalises the left side to ``sign * [abs](sum of coefficient * actor.var)``
    (``hp.p - lp.p``, ``abs(a.x - b.x)``); empty: ``actor.var`` alone.  ``also`` holds further
    clauses (:class:`Clause`) joined to this first one by ``and``: the event fires when all of
    them become true together."""

    actor: str
    var: str
    op: str
    threshold: float
    name: str
    action: Action
    arm_time: float = 0.0
    once: bool = True
    expression: str = ""
    terms: tuple = ()          # ((actor, var, coefficient), ...)
    absolute: bool = False     # abs() of the sum
    also: tuple = ()           # (Clause, ...): further clauses joined by 'and'

    @property
    def clauses(self) -> tuple:
        """All the clauses of the conjunction, this event's own first (it has a clause's fields)."""
        return (self,) + tuple(self.also)


class _StopRun(Exception):
    pass


class _Reject(Exception):
    """A macro step whose coupling error is above tolerance (or whose models failed): roll back."""

    # simpy re-raises a process's exception rebuilt from its args: keep everything in them
    def __init__(self, err: float, cause: BaseException | None = None, key: str | None = None):
        super().__init__(err, cause, key)

    err = property(lambda self: self.args[0])
    cause = property(lambda self: self.args[1])
    key = property(lambda self: self.args[2])


def _all_finite(slots: tuple) -> bool:
    """Whether the values of ``slots`` are all finite, cheaply (a check on every step): their sum
    is, NaN and infinities propagate.  False may also be a sum that overflowed, or a value that is
    not a number: :meth:`Master._check_finite` looks at each."""
    try:
        return math.isfinite(sum(map(_VALUE, slots)))
    except TypeError:
        return False


def _step_error(name: str, t: float, exc: BaseException) -> ModelError:
    """The one-line error of actor ``name`` failing in a step at ``t`` (s)."""
    if isinstance(exc, CryocosimError):
        msg = str(exc)
        if f"'{name}'" not in msg:
            msg = f"actor '{name}': {msg}"
        return ModelError(f"{msg} (at t={t:g} s)")
    return ModelError(f"actor '{name}' failed at t={t:g} s: {type(exc).__name__}: {exc}")


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
        self._cond_prev: dict[int, tuple] = {}  # i -> (t, clause values, all true, clause truths)
        self._fired: set[int] = set()
        self.recorder: Recorder | None = None
        self.columns: list[tuple[str, str]] = []
        self.output_ticks = 0
        self.stopped_by: str | None = None
        #: (actor, FMU file name, time in s) of an actor that ended the simulation itself
        self.terminated_by: tuple[str, str | None, float] | None = None
        self.wall_time = 0.0
        self.steps_taken = 0
        self.warnings: list[str] = []
        self.control = StepControl()  # fixed steps until configure() says otherwise
        self.macro = False
        # macro-step runs (adaptive steps / iterated coupling): statistics
        self.accepted = 0
        self.rejected = 0
        self.forced = 0
        self.last_step = 0
        self.last_iterations = 0
        self.rejected_by: dict[str, int] = {}
        self.jacobians = 0
        self.explicit_steps = 0

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
        # the published slots of each actor's Real outputs, checked finite after every step
        self._real_outputs = {
            name: [(var, slot) for var, slot in self.bus.out_slots[name]
                   if self.bus.actors[name].variable_map()[var].causality == Causality.output
                   and self.bus.actors[name].variable_map()[var].type is float]
            for name in self.order}
        self._real_slots = {name: tuple(slot for _, slot in outs) for name, outs in self._real_outputs.items()}
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
                bad = self._non_finite(name)
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
        if any(c.op not in _OPS for c in ev.clauses):
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
        reals = self._real_slots[name]
        t = self.next[name]
        yield self._wait(env, t - env.now, priority)
        while t < until:
            h = min(h_full, final - t)  # the last step is cut to end exactly at the stop time
            bus.read_inputs(name, t + h if gs else t)
            try:
                actor.do_step(t / tps, h / tps)
            except ActorTerminated as exc:
                self._actor_terminated(name, exc, t, t + h)
                raise _StopRun() from None
            except Exception as exc:
                raise _step_error(name, t / tps, exc) from exc
            bus.publish(name, t + h)
            if not _all_finite(reals):
                self._check_finite(name, t, t + h)
            self.steps_taken += 1
            t += h
            self.next[name] = t
            yield self._wait(env, h, priority)

    def _non_finite(self, name: str) -> tuple[str, str] | None:
        """(output, its value as text) of the first Real output of actor ``name`` whose published
        value is NaN or infinite; None if all are finite."""
        for var, slot in self._real_outputs[name]:
            try:
                finite = math.isfinite(slot.value)
            except (TypeError, ValueError):
                continue  # not a number at all: the recorder says so
            if not finite:
                return var, repr(float(slot.value))
        return None

    def _check_finite(self, name: str, t0: int, t1: int) -> None:
        """A NaN or infinite Real output of actor ``name`` after its step from tick ``t0`` to
        ``t1`` stops the run (:class:`ModelError`, one line naming the actor, the output and the
        time): every actor reading it would compute garbage, and the results would hold it.  In an
        adaptive run the step is retried smaller first, like a model failure.  Locals are not
        checked: nothing reads them (a ratio undefined at a standstill may be NaN)."""
        bad = self._non_finite(name)
        if bad is None:
            return  # finite values whose plain sum overflowed
        tps = self.ticks_per_second
        err = ModelError(f"actor '{name}': output '{bad[0]}' is {bad[1]} after its step from t={t0 / tps:g} s "
                         f"to t={t1 / tps:g} s (a non-finite output stops the run)")
        if self.macro and self._reject_above:
            raise _Reject(math.inf, err)  # retried at a smaller step; raised if it fails there too
        raise err

    def _actor_terminated(self, name: str, exc: ActorTerminated, t: int, t_end: int) -> None:
        """Actor ``name`` ended the simulation in its step from tick ``t`` to ``t_end``: log it;
        the run ends at ``t``, the last time every actor has reached (the caller stops the run).
        The time the actor reached, when after ``t`` and its outputs were read there
        (``exc.final``), gets a last record (:meth:`_record_end`): its outputs published valid
        from then, the other actors' held at the newest values valid at that time."""
        tps = self.ticks_per_second
        when = exc.time if exc.time is not None else t / tps
        label = f"{name} terminated"
        self.stopped_by = label
        self.terminated_by = (name, exc.fmu, when)
        self._log(label, when, "terminated", Action(stop=True), actor=name, fmu=exc.fmu,
                  run_end=t / tps, message=str(exc))
        if exc.final and exc.time is not None and name in self.bus.actors:
            k = round(exc.time * tps)
            if t < k <= t_end:
                self.bus.publish(name, k)
                self._final_tick = k

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
            clauses = c.clauses
            values = [self._clause_value(k, t) for k in clauses]
            truths = [_OPS[k.op](v, k.threshold) for k, v in zip(clauses, values)]
            now = all(truths)
            prev = self._cond_prev.get(i)
            self._cond_prev[i] = (t, values, now, truths)
            if prev is None or not now or prev[2] or t * res < c.arm_time:
                continue
            t0, values0, _, truths0 = prev
            # the conjunction turned true when the last of the clauses that turned true in this
            # step did: interpolate each linearly, take the latest
            frac = 0.0
            for k, v0, v, was in zip(clauses, values0, values, truths0):
                if not was:
                    f = (k.threshold - v0) / (v - v0) if v != v0 else 1.0
                    frac = max(frac, min(max(f, 0.0), 1.0))
            when = (t0 + frac * (t - t0)) * res
            self._fired.add(i)
            self._log(c.name, when, "condition", c.action, condition=c.expression,
                      **self._logged_values(c, values), located_within=(t - t0) * res)
            self._apply(c.action, when, c.name)

    @staticmethod
    def _logged_values(c: ConditionEvent, values: list[float]) -> dict:
        """The event log's ``value``: the left side (of the first clause); a conjunction also
        logs ``values``, the left sides of all its clauses."""
        if not c.also:
            return {"value": values[0]}
        return {"value": values[0], "values": list(values)}

    def _record(self, t: int) -> None:
        if self.recorder is not None:
            value = self.bus.value
            row = [value(a, v, t) for a, v in self.columns]
            if self.macro:
                row += [self.last_step / self.ticks_per_second, float(self.rejected), float(self.last_iterations)]
            self.recorder.record(t / self.ticks_per_second, row)

    def _record_end(self, stop: int) -> None:
        """The last records of a run that completed or was stopped at ``self.t``: that time, and
        the time an actor that ended the simulation reached after it (its last sample, as fmpy
        records it).  With such a sample, ``self.t`` is recorded only on the output grid."""
        rec = self.recorder
        if rec is None:
            return
        half = 0.5 * self.resolution
        final = self._final_tick
        if (not rec.times or rec.times[-1] < self.t * self.resolution - half) \
                and (self.stopped_by is not None or self.t >= stop) \
                and (final is None or self.t % self.output_ticks == 0):
            self._record(self.t)
        if final is not None and (not rec.times or rec.times[-1] < final * self.resolution - half):
            self._record(final)

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

    def configure(self, control: StepControl | None) -> StepControl:
        """Adopt the step control for the coming run; an actor that cannot save its state makes
        rollback impossible, so the run falls back to fixed steps with one warning naming them."""
        control = control or StepControl()
        self.control = control
        self.macro = control.active
        if control.active:
            stuck = [n for n in self.order if not self.bus.actors[n].supports_rollback()]
            if stuck:
                self.warnings.append(
                    f"{', '.join(repr(n) for n in stuck)} cannot save and restore {'its' if len(stuck) == 1 else 'their'} "
                    "state (canGetAndSetFMUstate is false): adaptive steps and iterated coupling are off, "
                    "the run uses the scenario's fixed steps")
                self.macro = False
        return control

    def extra_columns(self) -> list[tuple[str, str, str]]:
        """Columns the master records besides the actors' variables (macro-step runs only)."""
        if not self.macro:
            return []
        return [("master.step_size", "s", "communication step of the fastest actor (last accepted)"),
                ("master.rejected_steps", "1", "rejected (rolled-back) steps so far"),
                ("master.iterations", "1", "coupling iterations of the last accepted step")]

    def run(self, stop_time: float, recorder: Recorder | None = None, output_interval: float | None = None,
            progress: Callable[..., None] | None = None, chunks: int = 200) -> None:
        """Run to ``stop_time`` (s), recording every ``output_interval`` s."""
        res = self.resolution
        self.recorder = recorder
        self.events: list[dict] = []
        self._final_tick: int | None = None  # the last sample of an actor that ended the run
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
        if self.macro:
            try:
                self._run_macro(stop, progress, t_wall)
            finally:
                self.wall_time = _time.perf_counter() - t_wall
            return
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
            self._record_end(stop)

    # -- macro steps: adaptive step size, iterated coupling, events located by rollback ------------
    #
    # The system advances by macro steps from one synchronisation time to the next: every actor
    # steps from t0 to t1 at its own step (its ratio to the fastest actor's step hf is the
    # scenario's), the last step of each cut to end at t1.  Before a macro step the whole state is
    # saved (snapshot); after it the coupling error decides: accept, or restore and retry smaller.
    # t1 never passes an output time, a time event or the stop time, so records and events fall on
    # their exact times.

    def _prepare_macro(self, stop: int) -> None:
        control = self.control
        res, tps = self.resolution, self.ticks_per_second
        fast = min(self.ticks.values())
        # an actor's step in fastest steps, at most a macro step's longest span (the output
        # interval or what is left of the run): no macro step passes an output time, so a longer
        # step would always be cut there anyway, and a step control that shrinks the steps in
        # proportion needs the ratio to reach the slow actor (a 50000 s step beside 0.05 s ones,
        # run to 2 s: at its nominal ratio of a million every retry only shrank the fast actors,
        # to 400,000 steps each of a 2 s macro step that never got shorter)
        span = max(1, min(self.output_ticks, stop - self.t))
        cap = max(1, -(-span // fast))
        self._ratio = {n: min(cap, max(1, round(self.ticks[n] / fast))) for n in self.order}
        self._K = max(self._ratio.values())
        nominal = fast * res
        self._h_min = max(1, round((control.min_step or nominal * 1e-4) * tps))
        self._h_nominal = fast
        self._h_max = max(self._h_min, round((control.max_step or nominal * 1e3) * tps))
        self._hf = min(max(fast, self._h_min), self._h_max) if control.adaptive else fast
        rtol = control.rtol()
        self._rtol = rtol
        self._it_rtol = control.iteration_rtol()
        # coupled outputs: the error of the hold is measured on them; iteration works on them
        real = [l for l in self.bus.links if self.bus.is_real(l)]
        coupled = {(l.src, l.src_var) for l in real}
        self._coupled = sorted(coupled, key=lambda k: (self.order.index(k[0]), k[1]))
        self._checked: dict[str, list] = {n: [] for n in self.order}
        self._atol: dict[tuple[str, str], float] = {}
        for key in self._coupled:
            a, v = key
            var = self.bus.actors[a].variable_map()[v]
            atol = control.atol(f"{a}.{v}", var.unit, var.nominal or 1.0, rtol)
            self._atol[key] = atol
            self._checked[a].append((self.bus.slots[key], atol, f"{a}.{v}"))
        self._atol_it = np.array([self._atol[k] * self._it_rtol / rtol for k in self._coupled])
        index = {k: j for j, k in enumerate(self._coupled)}
        self._inputs_of = {n: [] for n in self.order}
        self._outputs_of = {n: [] for n in self.order}
        for l in real:
            self._inputs_of[l.dst].append((l.dst_var, index[(l.src, l.src_var)], l.scale, l.offset))
        # links of other types (Integer, Boolean, String...) are not iterated: an actor run from
        # the saved state holds them at their values at the start of the step (on the bus then)
        self._held_of = {n: [x for x in self.bus.in_links[n] if x[3] is _KEEP]
                         for n in self.order} if len(real) < len(self.bus.links) else {}
        for j, (a, v) in enumerate(self._coupled):
            self._outputs_of[a].append((j, v))
        self._sources_of = {n: sorted({j for _, j, _, _ in self._inputs_of[n]}) for n in self.order}
        # difference steps of the Jacobian: well above the models' own solver noise
        self._fd_step = np.array([1e-7 * (self._atol[k] / rtol) for k in self._coupled])
        self._newton = None
        self._restart_history()
        self._pending_events = sorted(((round(ev.time / res), i) for i, ev in enumerate(self.time_events)
                                       if round(ev.time / res) >= self.t))

    def _restart_history(self) -> None:
        """Forget the past synchronisations (after a start or an event the outputs may jump, so
        the next step's prediction is constant and its secant pairs are not reused)."""
        self._hist: deque = deque([(self.t, self._coupled_values())], maxlen=3)
        self._newton = None

    def _run_macro(self, stop: int, progress, t_wall: float) -> None:
        control = self.control
        self._prepare_macro(stop)
        out = self.output_ticks
        if self.t % out == 0 and (self.recorder is None or not self.recorder.times):
            self._record(self.t)
        self._update_condition_values(self.t)
        last_progress = 0.0
        try:
            while self.t < stop and self.stopped_by is None:
                self._apply_due_time_events()
                if self.stopped_by is not None:
                    break
                t0, hf = self.t, self._hf
                barrier = min((t0 // out + 1) * out, stop)
                if self._pending_events and self._pending_events[0][0] > t0:
                    barrier = min(barrier, self._pending_events[0][0])
                # equal steps up to the next output time, event or stop: no sliver of a step
                # before it (a tiny step spoils the extrapolation of the next one)
                n = -(-(barrier - t0) // (self._K * hf))
                t1 = t0 + -(-(barrier - t0) // n)
                cut = t1 < t0 + self._K * hf
                h_used = max(1, -(-(t1 - t0) // self._K)) if cut else hf
                snap = self.snapshot()
                try:
                    err = self._macro_step(t0, t1, hf, snap, reject_above=control.adaptive and hf > self._h_min)
                except _Reject as r:
                    self.restore(snap)
                    self.rejected += 1
                    why = r.key or (f"failure: {r.cause}" if r.cause is not None else "coupling error")
                    self.rejected_by[why] = self.rejected_by.get(why, 0) + 1
                    if r.cause is not None and hf <= self._h_min:
                        raise r.cause
                    self._hf = max(self._h_min, min(hf, int(h_used * control.next_factor(r.err, self._err_order))))
                    continue
                if control.adaptive and err > 1.0:
                    self.forced += 1  # already at the smallest step: accepted above tolerance
                self.accepted += 1
                self.last_step = h_used
                self.t = t1
                self._hist.append((t1, self._coupled_values()))
                self._locate_conditions(t0, t1, hf, snap)
                if self.t % out == 0:
                    self._record(self.t)
                if control.adaptive:
                    grown = int(h_used * control.next_factor(err, self._err_order))
                    self._hf = min(self._h_max, max(self._h_min, max(hf, grown) if cut else grown))
                if progress:
                    now = _time.perf_counter()
                    if now - last_progress > 0.2:
                        last_progress = now
                        progress(self.t * self.resolution, now - t_wall, step=self.last_step * self.resolution)
        except _StopRun:
            pass
        except ActorTerminated as exc:
            # an actor ended the simulation in the macro step from snap's time: the run ends there
            self.bus.restore(snap["bus"])
            self.t = snap["t"]
            self._actor_terminated(exc.actor or "?", exc, self.t, t1)
        finally:
            self._record_end(stop)
            if progress:
                progress(self.t * self.resolution, _time.perf_counter() - t_wall, step=self.last_step * self.resolution)

    def _apply_due_time_events(self) -> None:
        while self._pending_events and self._pending_events[0][0] <= self.t:
            k, i = self._pending_events.pop(0)
            ev = self.time_events[i]
            self._log(ev.name, ev.time, "time", ev.action)
            self._apply(ev.action, ev.time, ev.name)
            self._restart_history()

    def _macro_step(self, t0: int, t1: int, hf: int, snap: dict, reject_above: bool) -> float:
        """Advance every actor from t0 to t1; return the weighted coupling error (1 = tolerance).

        Explicit: inputs from the bus (zero-order hold); the error is the change of the coupled
        outputs over the step.  Iterated: :meth:`_iterate_step`.
        """
        self._err = 0.0
        self._reject_above = reject_above
        self._abort_on_change = reject_above
        self.last_iterations = 1
        self._err_order = 1
        if not self.control.iterate or not self._coupled:  # nothing coupled: nothing to iterate
            self._advance_actors(t0, t1, hf)
            return self._err
        return self._iterate_step(t0, t1, hf, snap, reject_above)

    def _coupled_values(self) -> np.ndarray:
        slots = self.bus.slots
        return np.array([slots[k].value for k in self._coupled])

    def _predict(self, t0: int, t1: int) -> tuple[np.ndarray, bool]:
        """The coupled outputs at t1 extrapolated linearly from the last two accepted
        synchronisations (constant after a start or an event); True if linear."""
        hist = self._hist
        x0 = self._coupled_values()
        self._base = None
        if len(hist) >= 2 and hist[-1][0] == t0:
            # the base: the latest earlier point at least half the new step back (noise in the
            # outputs is amplified by (t1 - t0) / (tb - ta))
            for ta, xa in reversed(list(hist)[:-1]):
                if t0 - ta >= (t1 - t0) // 2:
                    break
            tb, xb = hist[-1]
            self._base = tb - ta
            return xb + (t1 - t0) / (tb - ta) * (xb - xa), True
        return x0, False

    def _iterate_step(self, t0: int, t1: int, hf: int, snap: dict, reject_above: bool) -> float:
        """One macro step with iterated coupling: every actor holds its inputs over the step at
        its producers' values at the *end* of the step, found by Newton's method on the coupled
        outputs ``x``: ``F(x)`` is what the actors, each run from the saved state with inputs held
        at ``x``, put out at ``t1``; Newton solves ``F(x) = x``, starting from a linear
        extrapolation of the last steps.  With held inputs the actors are independent over the
        step, so the Jacobian ``dF/dx`` is found by differences one actor at a time — as many
        actor steps as there are connections, not a whole-system step per variable — and kept
        for later steps of similar length.  The error is the corrector's distance from the
        predictor (a local error of order 2).
        """
        control = self.control
        start = self._coupled_values()
        x, linear = self._predict(t0, t1)
        x_pred = x
        # residuals in units of each variable's iteration tolerance (Pa and kg/s side by side)
        w = self._atol_it + self._it_rtol * np.abs(start)
        h = t1 - t0
        newton = self._newton
        if newton is not None and not 0.5 <= h / newton[0] <= 2.0:
            newton = self._newton = None
        converged = False
        states = snap["actors"]
        x_prev = r_prev = None
        worst_prev = math.inf
        fresh = False  # the Jacobian was computed at this step
        it = 0
        while it < control.max_iterations:
            it += 1
            self.last_iterations = it
            try:
                if newton is None:
                    self.jacobians += 1
                    fx, jac = self._jacobian(x, t0, t1, hf, states)
                    newton = self._newton = [h, jac, np.linalg.inv(np.eye(len(x)) - jac)]
                    fresh = True
                else:
                    fx = self._evaluate(x, t0, t1, hf, states)
                r = fx - x
                worst = float(np.max(np.abs(r) / w))
            except (_Reject, ModelError) as exc:
                worst, failure = math.inf, exc
            else:
                failure = None
            if worst <= 1.0:
                converged = True
                break
            if x_prev is None and failure is not None and linear and x is x_pred:
                # the extrapolation left the models' range (a speed run below zero as the shaft
                # stops): start again from the values at the start of the step
                x = start
                continue
            if not math.isfinite(worst) or worst > worst_prev:
                # the update overshot (a model failed, or the residual grew): back off halfway
                if x_prev is None or it >= control.max_iterations:
                    if failure is not None and reject_above:
                        raise failure  # retried at a smaller step
                    break  # not converged: taken explicitly below (or retried smaller)
                x = x_prev + 0.5 * (x - x_prev)
                if not fresh:
                    newton = None  # and recompute the Jacobian there
                continue
            if x_prev is not None:
                # Broyden's update of the Jacobian along the last step, in tolerance units, keeps
                # it valid as the state and the step length drift between recomputations
                dx, df = (x - x_prev) / w, ((r + x) - (r_prev + x_prev)) / w
                jac_w = newton[1] / w[:, None] * w[None, :]
                jac_w += np.outer(df - jac_w @ dx, dx) / float(dx @ dx)
                newton[1] = jac_w * w[:, None] / w[None, :]
                newton[2] = np.linalg.inv(np.eye(len(x)) - newton[1])
                if worst > 0.25 * worst_prev and not fresh:
                    newton = None  # slow convergence: a fresh Jacobian at the present iterate
            x_prev, r_prev, worst_prev = x, r, worst
            dx = self._newton[2] @ r
            if newton is not None and float(np.max(np.abs(dx) / w)) <= 1.0:
                # the held inputs are within tolerance of the fixed point (Newton's correction is):
                # on a stiff link the residual F(x) - x is the correction amplified by I - J
                converged = True
                break
            x = x + control.relaxation * dx
        if not converged:
            self._newton = None
            if reject_above and h > self._h_nominal:
                # retried at a smaller step, like an ODE solver's failed Newton iteration
                raise _Reject(math.inf, key="coupling iteration")
            # at or below the scenario's own step, an explicit step is stable: take it (flows
            # through zero at a standstill switch the upwind sides and can keep Newton from
            # converging at any step)
            self.restore(snap)
            self._abort_on_change = False
            self._advance_actors(t0, t1, hf)
            self.explicit_steps += 1
            return 0.0
        # the actors are at the state of the last evaluation: publish their outputs at t1
        self.bus.restore(snap["bus"])
        for name in self.order:
            self.bus.publish(name, t1)
            self._check_finite(name, t0, t1)
        x_tilde = self._coupled_values()
        # local error: the corrector against the predictor; of order 2 after a linear prediction
        # (x_{n+1} - x_pred = h (h + h_prev) u''/2, backward Euler's error h^2 u''/2 of it)
        err, key = 0.0, None
        ratio = (t1 - t0) / ((t1 - t0) + self._base) if linear else 1.0
        reference = x_pred if linear else start
        for i, k in enumerate(self._coupled):
            e = weighted_change(x_tilde[i], reference[i], self._atol[k], self._rtol) * ratio
            if e > err:
                err, key = e, f"{k[0]}.{k[1]}"
        self._err_order = 2 if linear else 1
        self._err_key = key
        if reject_above and err > 1.0:
            raise _Reject(err, key=key)
        return err

    def _run_actor(self, name: str, u: np.ndarray, t0: int, t1: int, hf: int, state) -> list[float]:
        """Actor ``name`` from ``state`` at t0 to t1 at its own step with its inputs held at the
        coupled values ``u``; its coupled outputs at t1."""
        actor = self.bus.actors[name]
        actor.set_state(state)
        for var, j, scale, offset in self._inputs_of[name]:
            setattr(actor, var, u[j] * scale + offset)
        if self._held_of:
            for slot, var, conv, keep in self._held_of[name]:
                setattr(actor, var, slot.value * conv + keep)
        tps = self.ticks_per_second
        step = self._ratio[name] * hf
        t = t0
        while t < t1:
            h = min(step, t1 - t)
            self._do_step(name, actor, t / tps, h / tps)
            self.steps_taken += 1
            t += h
        return [getattr(actor, var) for _, var in self._outputs_of[name]]

    def _do_step(self, name: str, actor, t: float, h: float) -> None:
        """``actor.do_step(t, h)`` [s]; a failure becomes a one-line error naming the actor and
        the time, or a rejection of the step where a smaller one may succeed."""
        try:
            actor.do_step(t, h)
        except ActorTerminated:
            raise  # ends the run (_run_macro)
        except Exception as exc:
            err = _step_error(name, t, exc)
            if self._reject_above:  # retried at a smaller step; raised if it fails there too
                raise _Reject(math.inf, err) from exc
            raise err from exc

    def _evaluate(self, x: np.ndarray, t0: int, t1: int, hf: int, states: dict) -> np.ndarray:
        """F(x): every actor from the saved state with inputs held at ``x``."""
        fx = np.empty_like(x)
        for name in self.order:
            values = self._run_actor(name, x, t0, t1, hf, states[name])
            for (j, _), v in zip(self._outputs_of[name], values):
                fx[j] = v
        return fx

    def _jacobian(self, x: np.ndarray, t0: int, t1: int, hf: int, states: dict) -> tuple[np.ndarray, np.ndarray]:
        """F(x) and dF/dx by forward differences, one actor and one of its sources at a time;
        every actor is left at its unperturbed run."""
        n = len(x)
        fx = np.empty(n)
        jac = np.zeros((n, n))
        for name in self.order:
            rows = [j for j, _ in self._outputs_of[name]]
            perturbed = []
            for j in self._sources_of[name]:
                d = self._fd_step[j] + 1e-7 * abs(x[j])
                xp = x.copy()
                xp[j] += d
                perturbed.append((j, d, self._run_actor(name, xp, t0, t1, hf, states[name])))
            base = self._run_actor(name, x, t0, t1, hf, states[name])
            for j, d, values in perturbed:
                for row, v, b in zip(rows, values, base):
                    jac[row, j] = (v - b) / d
            for row, b in zip(rows, base):
                fx[row] = b
        return fx, jac

    def _advance_actors(self, t0: int, t1: int, hf: int) -> None:
        env = simpy.Environment(initial_time=t0)
        for rank, name in enumerate(self.order):
            env.process(self._macro_process(env, name, 2 + rank, t0, t1, self._ratio[name] * hf))
        env.run()

    def _macro_process(self, env, name: str, priority: int, t0: int, t1: int, h_full: int):
        bus, actor = self.bus, self.bus.actors[name]
        tps = self.ticks_per_second
        gs = self.ordering == "gauss-seidel"
        checked = self._checked[name] if self.control.adaptive else ()
        rtol = self._rtol
        reals = self._real_slots[name]
        t = t0
        while t < t1:
            h = min(h_full, t1 - t)
            bus.read_inputs(name, t + h if gs else t)
            self._do_step(name, actor, t / tps, h / tps)
            bus.publish(name, t + h)
            if not _all_finite(reals):
                self._check_finite(name, t, t + h)
            self.steps_taken += 1
            for slot, atol, key in checked:
                e = weighted_change(slot.value, slot.prev, atol, rtol)
                if e > self._err:
                    self._err, self._err_key = e, key
                    if e > 1.0 and self._abort_on_change:
                        raise _Reject(e, key=key)
            t += h
            if t < t1:
                yield self._wait(env, h, priority)

    # -- condition events by rollback -----------------------------------------------------------------
    def _clause_value(self, c: Clause | ConditionEvent, t: int) -> float:
        """The left side of clause ``c`` at tick ``t``."""
        if not c.terms:
            return self.bus.value(c.actor, c.var, t)
        v = sum(k * self.bus.value(a, x, t) for a, x, k in c.terms)
        return abs(v) if c.absolute else v

    def _cond_values(self, c: ConditionEvent, t: int) -> list[float]:
        """The left sides of all the clauses of condition ``c`` at tick ``t``."""
        return [self._clause_value(k, t) for k in c.clauses]

    def _condition_now(self, i: int, t: int) -> bool:
        """Whether condition ``i`` (all its clauses) holds at tick ``t``."""
        return all(_OPS[k.op](self._clause_value(k, t), k.threshold) for k in self.conditions[i].clauses)

    def _update_condition_values(self, t: int) -> None:
        for i, c in enumerate(self.conditions):
            values = self._cond_values(c, t)
            truths = [_OPS[k.op](v, k.threshold) for k, v in zip(c.clauses, values)]
            self._cond_prev[i] = (t, values, all(truths), truths)

    def _crossings(self, t: int) -> list[int]:
        """Conditions that turned true since the last synchronisation (edge-triggered, armed)."""
        res = self.resolution
        out = []
        for i, c in enumerate(self.conditions):
            if (i in self._fired and c.once) or t * res < c.arm_time:
                continue
            prev = self._cond_prev.get(i)
            if prev is not None and not prev[2] and self._condition_now(i, t):
                out.append(i)
        return out

    def _locate_conditions(self, t0: int, t1: int, hf: int, snap: dict) -> None:
        """After an accepted macro step [t0, t1]: if a condition turned true, find when by
        bisection — roll back to the last time known before the crossing, advance half the bracket,
        look — until the bracket is within ``event_tolerance``; then fire it at the bracket's end."""
        if not self.conditions:
            return
        crossed = self._crossings(t1)
        if not crossed:
            self._update_condition_values(t1)
            return
        tol = max(1, round(self.control.event_tolerance / self.resolution))
        lo, hi, snap_lo = t0, t1, snap
        at = t1  # the time the system state is at now
        while hi - lo > tol:
            mid = (lo + hi) // 2
            self.restore(snap_lo)
            self._macro_step(lo, mid, min(hf, max(1, -(-(mid - lo) // self._K))), snap_lo, reject_above=False)
            self.t = at = mid
            now = self._crossings(mid)
            if now:
                hi, crossed = mid, now
            else:
                lo = mid
                snap_lo = self.snapshot()
        if at != hi:
            self.restore(snap_lo)
            self._macro_step(lo, hi, min(hf, max(1, -(-(hi - lo) // self._K))), snap_lo, reject_above=False)
        self.t = hi
        res = self.resolution
        fired = []
        for i in crossed:
            c = self.conditions[i]
            self._fired.add(i)
            self._log(c.name, hi * res, "condition", c.action, condition=c.expression,
                      **self._logged_values(c, self._cond_values(c, hi)), located_within=(hi - lo) * res)
            fired.append(c)
        self._update_condition_values(hi)
        for c in fired:
            self._apply(c.action, hi * res, c.name)
        self._restart_history()
