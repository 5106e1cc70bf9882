"""The fixed-step clock: actors, time events and the monitor as simpy processes on integer ticks.

Each actor is a process that, at its step times ``t``, sets its inputs
(:meth:`Coupling.set_inputs`), calls ``do_step(t, h)`` and publishes its outputs as valid from
``t + h``.  Processes due at the same tick run in a fixed order of levels:

1. time events (parameter changes at a given time),
2. actors, in the scenario's order (the Gauss–Seidel order),
3. the monitor: condition events and stop conditions, then the recorder.

simpy runs events due at one time in the order they were scheduled; :class:`Timeline` adds the
levels with simpy's public API alone: its simpy time is ``tick * levels + level``, so a process
waiting for level 2 of a tick resumes after every process waiting for level 1 of it, and an
exception a process raises (scheduled by simpy at the time it was raised) ends the run before
anything later in that tick.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Generator

import simpy
from simpy.events import Timeout

from .coupling import all_finite, step_error
from .errors import ActorTerminated
from .events import StopRun, TimeEvent

if TYPE_CHECKING:
    from .master import Master

TIME_EVENTS = 1  # the level of time events; actors follow at 2, 3, ..., the monitor after them


class Timeline:
    """A simpy environment whose time is ``tick * levels + level``: processes waiting for the
    same tick resume in the order of their levels (1 to ``levels - 1``; 0 is where processes
    start), at the same level in the order they began to wait."""

    def __init__(self, start: int, levels: int):
        self.levels = levels
        self.env = simpy.Environment(initial_time=start * levels)

    @property
    def now(self) -> int:
        """The current tick."""
        return self.env.now // self.levels

    def wait(self, delay: int, level: int) -> Timeout:
        """The event a process yields to resume ``delay`` ticks from now at ``level``."""
        env, n = self.env, self.levels
        return env.timeout((env.now // n + delay) * n + level - env.now)

    def process(self, generator: Generator) -> None:
        self.env.process(generator)

    def run(self, until: int | None = None) -> None:
        """Run every tick before ``until``; None: until no process waits."""
        self.env.run(None if until is None else until * self.levels)


class FixedClock:
    """The fixed-step run of a master: advances it in chunks of ticks.

    ``next`` holds each actor's next step time, ``monitor_next`` the monitor's next look (both
    ticks, saved in a snapshot); ``stop`` is the run's stop time, where the last step of each
    actor is cut; ``check`` the monitor's interval."""

    def __init__(self, master: Master):
        self.m = master
        self.next = {name: 0 for name in master.order}
        self.monitor_next = 0
        self.stop = 0
        self.check = 0

    def start(self, stop: int, check: int) -> None:
        """Set up a run to tick ``stop`` with the monitor looking every ``check`` ticks."""
        self.stop, self.check = stop, check
        self.monitor_next = -(-self.m.t // check) * check

    def advance(self, until: int) -> None:
        """Advance the master from its time to tick ``until``."""
        m = self.m
        n = len(m.order)
        line = Timeline(m.t, n + 3)
        for rank, name in enumerate(m.order):
            line.process(self._actor(line, name, TIME_EVENTS + 1 + rank, until))
        for ev in m.time_events:
            k = round(ev.time / m.resolution)
            if m.t < k <= until or (k == m.t == 0):
                line.process(self._time_event(line, ev))
        line.process(self._monitor(line, until, TIME_EVENTS + 1 + n))
        try:
            # run through `until` inclusive for the monitor; actors stop stepping at `until`
            line.run(until + 1)
            m.t = until
        except BaseException:
            m.t = line.now
            raise

    def _actor(self, line: Timeline, name: str, level: int, until: int):
        m = self.m
        bus, actor, h_full = m.bus, m.bus.actors[name], m.ticks[name]
        coupling, final, tps = m.coupling, self.stop, m.ticks_per_second
        reals = coupling.real_slots[name]
        timeout, levels = line.env.timeout, line.levels
        t = self.next[name]
        yield line.wait(t - line.now, level)
        while t < until:
            h = min(h_full, final - t)  # the last step is cut to end exactly at the stop time
            coupling.set_inputs(name, t, h)
            try:
                actor.do_step(t / tps, h / tps)
            except ActorTerminated as exc:
                m.actor_terminated(name, exc, t, t + h)
                raise StopRun() from None
            except Exception as exc:
                raise step_error(name, t / tps, exc) from exc
            bus.publish(name, t + h)
            if not all_finite(reals):
                err = coupling.finite_error(name, t, t + h)
                if err is not None:
                    raise err
            m.steps_taken += 1
            t += h
            self.next[name] = t
            yield timeout(h * levels)  # line.wait(h, level), inlined: h ticks on, at this level

    def _time_event(self, line: Timeline, ev: TimeEvent):
        k = round(ev.time / self.m.resolution)
        if k < line.now:
            return
        yield line.wait(k - line.now, TIME_EVENTS)
        self.m.log(ev.name, ev.time, "time", ev.action)
        self.m.apply(ev.action, ev.time, ev.name)

    def _monitor(self, line: Timeline, until: int, level: int):
        m, check = self.m, self.check
        yield line.wait(self.monitor_next - line.now, level)
        while True:
            t = line.now
            if m.conditions:
                for c, when, values, within in m.watch.check(t):
                    m.log_condition(c, when, values, within)
                    m.apply(c.action, when, c.name)
            if m.output_ticks and t % m.output_ticks == 0:
                m.record(t)
            self.monitor_next = t + check
            if t + check > until:
                break
            yield line.wait(check, level)
