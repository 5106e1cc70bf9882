"""The master: runs the actors of a bus from t = 0 to a stop time — the coordinator of a run.

Time is kept in integer ticks (default 1 ns) so actors with different communication steps meet
exactly at common times.  The master holds what a run is about (the bus, the actors' order and
steps, the clock time ``t``, the events, the recorder, the event log, how the run ended) and
hands each job to a module of its own:

* :mod:`~cryocosim.startup` — set every actor up, iterate the connected values to a
  consistent start (:meth:`Master.initialize`);
* :mod:`~cryocosim.coupling` — an actor's inputs set before its ``do_step`` (the one place),
  its outputs checked finite after it;
* :mod:`~cryocosim.clock` — fixed steps: actors, time events and the monitor as simpy processes
  (with Jacobi ordering an actor reads values as of ``t``; with Gauss–Seidel it also sees values
  published at ``t + h`` by actors stepped before it);
* :mod:`~cryocosim.macro` (with :mod:`~cryocosim.iteration`) — adaptive steps and iterated
  coupling by macro steps with rollback;
* :mod:`~cryocosim.events` — event types, condition parsing and watching.  Condition events are
  located in time by linear interpolation between the two ticks that bracket the crossing (error
  O(h²) for smooth signals; for a conjunction ``a and b``, of the clause that turned true last) in
  fixed steps, by bisection in macro steps; they are logged in the results.

The run advances in chunks; between chunks the whole system state (actors via
``get_state``/``set_state``, bus slots, clock) can be saved and restored — a rollback
(:meth:`Master.snapshot`, :meth:`Master.restore`).

An actor that ends the simulation itself (an FMU returning fmi2Discard with ``fmi2Terminated``,
raised as :class:`~cryocosim.errors.ActorTerminated`) ends the run cleanly at the start of the
step it refused: the event log gets an entry of kind ``terminated`` and ``terminated_by`` names it.
Its state at the time it reached (``fmi2LastSuccessfulTime``), when its outputs could be read
there, is the run's last record, on the output grid or not, as fmpy records it.
"""
from __future__ import annotations

import operator
import time as _time
from typing import Callable

import numpy as np

from .bus import Bus
from .checks import RESOLUTION
from .clock import FixedClock
from .coupling import Coupling
from .errors import ActorTerminated, ConfigurationError
from .events import (Action, Clause, ConditionEvent, Conditions, StopRun, TimeEvent,  # noqa: F401 - re-exported
                     logged_values)
from .macro import MacroStepper
from .results import Recorder
from .startup import initialize_outputs, setup_actors
from .stepcontrol import StepControl

__all__ = ["Master", "Action", "TimeEvent", "Clause", "ConditionEvent", "RESOLUTION"]


def _statistic(name: str, doc: str) -> property:
    """A statistic of macro-step runs, kept by the macro stepper."""
    return property(operator.attrgetter(f"stepper.{name}"), doc=doc)


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
        for name in self.order:  # steps checked by System.add (checks.check_step): whole numbers of ticks
            self.ticks[name] = round(steps[name] / resolution)
        self.t = 0
        self.time_events: list[TimeEvent] = []
        self.conditions: list[ConditionEvent] = []
        self.watch = Conditions(self.conditions, bus.value, resolution)
        self.recorder: Recorder | None = None
        self.columns: list[tuple[str, str]] = []
        self.output_ticks = 0
        #: the event log of the last run
        self.events: list[dict] = []
        self.stopped_by: str | None = None
        #: (actor, FMU file name, time in s) of an actor that ended the simulation itself
        self.terminated_by: tuple[str, str | None, float] | None = None
        #: the last sample of an actor that ended the run (tick), when after the run's end
        self.final_tick: int | None = None
        self.wall_time = 0.0
        self.steps_taken = 0
        self.warnings: list[str] = []
        self.control = StepControl()  # fixed steps until configure() says otherwise
        self.macro = False
        self.coupling = Coupling(bus, self.order, ordering, self.ticks_per_second)
        self.clock = FixedClock(self)
        self.stepper = MacroStepper(self)

    # macro-step runs (adaptive steps / iterated coupling): statistics
    accepted = _statistic("accepted", "accepted macro steps")
    rejected = _statistic("rejected", "rejected (rolled-back) macro steps")
    forced = _statistic("forced", "steps accepted above tolerance at the smallest step")
    last_step = _statistic("last_step", "the fastest actor's step in the last accepted macro step (ticks)")
    last_iterations = _statistic("last_iterations", "coupling iterations of the last macro step")
    rejected_by = _statistic("rejected_by", "rejected steps by what was above tolerance")
    jacobians = _statistic("jacobians", "Jacobians computed by differences")
    explicit_steps = _statistic("explicit_steps", "iterated steps that did not converge, taken explicitly")

    # -- set-up ---------------------------------------------------------------------------
    def initialize(self) -> None:
        """Check the bus, set up every actor, then iterate the connected values to a consistent
        start and create the output slots (:mod:`cryocosim.startup`).

        An actor whose ``setup()`` fails raises :class:`SetupError` naming it (exit status 2: the
        cause is a parameter or start value, found before the run starts)."""
        self.bus.check()
        setup_actors(self.bus, self.order)
        self.bus.build_slots()
        self.coupling.find_outputs()
        initialize_outputs(self.bus, self.order, self.t, self.ticks_per_second, self.init_tolerance,
                           self.init_max_iterations, self.coupling.non_finite)
        self.columns = [(a, v) for (a, v) in self.bus.slots]

    def add_time_event(self, ev: TimeEvent) -> None:
        self.time_events.append(ev)

    def add_condition(self, ev: ConditionEvent) -> None:
        self.watch.add(ev)

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

    # -- state ----------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The whole system state at the current synchronisation time (for rollback)."""
        prev, fired = self.watch.state()
        return {
            "t": self.t, "next": dict(self.clock.next),
            "actors": {n: a.get_state() for n, a in self.bus.actors.items()},
            "bus": self.bus.snapshot(),
            "cond_prev": prev, "fired": fired,
            "monitor_next": self.clock.monitor_next,
        }

    def restore(self, snap: dict) -> None:
        self.t = snap["t"]
        self.clock.next = dict(snap["next"])
        for n, s in snap["actors"].items():
            self.bus.actors[n].set_state(s)
        self.bus.restore(snap["bus"])
        self.watch.set_state(snap["cond_prev"], snap["fired"])
        self.clock.monitor_next = snap["monitor_next"]

    # -- running --------------------------------------------------------------------------------
    def advance(self, until: int) -> None:
        """Advance the clock from ``self.t`` to ``until`` ticks (fixed steps)."""
        self.clock.advance(until)

    def run(self, stop_time: float, recorder: Recorder | None = None, output_interval: float | None = None,
            progress: Callable[..., None] | None = None, chunks: int = 200) -> None:
        """Run to ``stop_time`` (s), recording every ``output_interval`` s."""
        res = self.resolution
        self.recorder = recorder
        self.events = []
        self.final_tick = None
        stop = round(stop_time / res)
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
        self.coupling.set_orders(self.control.coupling_order, self.control.coupling_orders)
        self.clock.start(stop, fastest if self.conditions else self.output_ticks)
        chunk = max(self.output_ticks, -(-stop // chunks // self.output_ticks) * self.output_ticks)
        t_wall = _time.perf_counter()
        if self.macro:
            try:
                self.stepper.run(stop, progress, t_wall)
            finally:
                self.wall_time = _time.perf_counter() - t_wall
            return
        try:
            while self.t < stop and self.stopped_by is None:
                target = min(self.t + chunk, stop)
                try:
                    self.clock.advance(target)
                except StopRun:
                    break
                if progress:
                    progress(self.t * res, _time.perf_counter() - t_wall)
        finally:
            self.wall_time = _time.perf_counter() - t_wall
            self.record_end(stop)

    # -- what the clock and the stepper report: records, events, the end ---------------------------
    def record(self, t: int) -> None:
        if self.recorder is not None:
            value = self.bus.value
            row = [value(a, v, t) for a, v in self.columns]
            if self.macro:
                row += [self.last_step / self.ticks_per_second, float(self.rejected), float(self.last_iterations)]
            self.recorder.record(t / self.ticks_per_second, row)

    def record_end(self, stop: int) -> None:
        """The last records of a run that completed or was stopped at ``self.t``: that time, and
        the time an actor that ended the simulation reached after it (its last sample, as fmpy
        records it).  With such a sample, ``self.t`` is recorded only on the output grid."""
        rec = self.recorder
        if rec is None:
            return
        half = 0.5 * self.resolution
        final = self.final_tick
        if (not rec.times or rec.times[-1] < self.t * self.resolution - half) \
                and (self.stopped_by is not None or self.t >= stop) \
                and (final is None or self.t % self.output_ticks == 0):
            self.record(self.t)
        if final is not None and (not rec.times or rec.times[-1] < final * self.resolution - half):
            self.record(final)

    def log(self, name, when, kind, action, **extra) -> None:
        """An entry of the event log (and of the recorder's)."""
        entry = {"time": when, "name": name, "kind": kind,
                 "set": {f"{a}.{v}": val for (a, v), val in action.set.items()}, "stop": action.stop}
        entry.update(extra)
        if self.recorder is not None:
            self.recorder.log_event(entry)
        self.events.append(entry)

    def log_condition(self, c: ConditionEvent, when: float, values: list[float], within: float) -> None:
        """Condition event ``c`` fired at ``when`` (s), its left sides ``values`` then, located
        within ``within`` (s)."""
        self.log(c.name, when, "condition", c.action, condition=c.expression,
                 **logged_values(c, values), located_within=within)

    def apply(self, action: Action, when: float, name: str) -> None:
        """Do what event ``name`` does; a stop ends the run (:class:`StopRun`)."""
        for (actor_name, var), value in action.set.items():
            actor = self.bus.actors[actor_name]
            actor.set_parameter(var, value)
        if action.stop:
            self.stopped_by = name
            raise StopRun()

    def actor_terminated(self, name: str, exc: ActorTerminated, t: int, t_end: int) -> None:
        """Actor ``name`` ended the simulation in its step from tick ``t`` to ``t_end``: log it;
        the run ends at ``t``, the last time every actor has reached (the caller stops the run).
        The time the actor reached, when after ``t`` and its outputs were read there
        (``exc.final``), gets a last record (:meth:`record_end`): its outputs published valid
        from then, the other actors' held at the newest values valid at that time."""
        tps = self.ticks_per_second
        when = exc.time if exc.time is not None else t / tps
        label = f"{name} terminated"
        self.stopped_by = label
        self.terminated_by = (name, exc.fmu, when)
        self.log(label, when, "terminated", Action(stop=True), actor=name, fmu=exc.fmu,
                 run_end=t / tps, message=str(exc))
        if exc.final and exc.time is not None and name in self.bus.actors:
            k = round(exc.time * tps)
            if t < k <= t_end:
                self.bus.publish(name, k)
                self.final_tick = k

    # -- the iterated coupling's pieces, as tests look at them ------------------------------------
    @property
    def _coupled(self) -> list[tuple[str, str]]:
        return self.coupling.coupled

    def _coupled_values(self) -> np.ndarray:
        return self.coupling.values()

    def _jacobian(self, x: np.ndarray, t0: int, t1: int, hf: int, states: dict) -> tuple[np.ndarray, np.ndarray]:
        return self.stepper.iteration.jacobian(x, t0, t1, hf, states)
