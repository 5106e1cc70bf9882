"""The macro stepper: adaptive steps and iterated coupling, with rollback, events located by bisection.

The system advances by macro steps from one synchronisation time to the next: every actor steps
from t0 to t1 at its own step (its ratio to the fastest actor's step hf is the scenario's), the
last step of each cut to end at t1.  Before a macro step the whole state is saved (snapshot);
after it the coupling error decides: accept, or restore and retry smaller.  t1 never passes an
output time, a time event or the stop time, so records and events fall on their exact times.

A macro step is explicit (inputs from the bus, a zero-order hold; the error is the change of the
coupled outputs over the step) or iterated (:mod:`cryocosim.iteration`).  A condition that turned
true in an accepted step is located by bisection: roll back to the last time known before the
crossing, advance half the bracket, look, until the bracket is within ``event_tolerance``.
:class:`MacroStepper` owns the state of step control (step sizes, tolerances, the error of the
step being taken) and its statistics.
"""
from __future__ import annotations

import math
import time as _time
from typing import TYPE_CHECKING

from .clock import Timeline
from .coupling import all_finite, step_error
from .errors import ActorTerminated
from .events import StopRun
from .extrapolation import value_at
from .iteration import IteratedCoupling
from .stepcontrol import Reject, weighted_change

if TYPE_CHECKING:
    from .master import Master


class MacroStepper:
    """Runs master ``m`` by macro steps (``m.macro``: adaptive steps and/or iterated coupling)."""

    def __init__(self, master: Master):
        self.m = master
        self.iteration = IteratedCoupling(self)
        # steps in ticks: each actor's in fastest steps (ratio, K the largest), the fastest
        # actor's next step hf, its bounds and the scenario's own step
        self.ratio: dict[str, int] = {}
        self.K = 1
        self.hf = 0
        self.h_min = self.h_nominal = self.h_max = 0
        # tolerances: relative (error, iteration); absolute of each coupled output; per actor the
        # (slot, atol, name) of its coupled outputs, whose change is an explicit step's error
        self.rtol = self.it_rtol = 0.0
        self.atol: dict[tuple[str, str], float] = {}
        self.checked: dict[str, list] = {}
        self.pending_events: list[tuple[int, int]] = []  # (tick, index) of the time events to come
        # the step being taken: its error so far and where, the error's order in h, whether an
        # error above tolerance or a failure rejects it, and at once (explicit steps)
        self.err = 0.0
        self.err_key: str | None = None
        self.err_order = 1
        self.explicit_order = 1
        self.reject_above = False
        self.abort_on_change = False
        # statistics
        self.accepted = 0
        self.rejected = 0
        self.forced = 0
        self.last_step = 0
        self.last_iterations = 0
        self.rejected_by: dict[str, int] = {}
        self.jacobians = 0
        self.explicit_steps = 0

    def prepare(self, stop: int) -> None:
        m, control = self.m, self.m.control
        res, tps = m.resolution, m.ticks_per_second
        fast = min(m.ticks.values())
        # an actor's step in fastest steps, at most a macro step's longest span (the output
        # interval or what is left of the run): no macro step passes an output time, so a longer
        # step would always be cut there anyway, and a step control that shrinks the steps in
        # proportion needs the ratio to reach the slow actor (a 50000 s step beside 0.05 s ones,
        # run to 2 s: at its nominal ratio of a million every retry only shrank the fast actors,
        # to 400,000 steps each of a 2 s macro step that never got shorter)
        span = max(1, min(m.output_ticks, stop - m.t))
        cap = max(1, -(-span // fast))
        self.ratio = {n: min(cap, max(1, round(m.ticks[n] / fast))) for n in m.order}
        self.K = max(self.ratio.values())
        nominal = fast * res
        self.h_min = max(1, round((control.min_step or nominal * 1e-4) * tps))
        self.h_nominal = fast
        self.h_max = max(self.h_min, round((control.max_step or nominal * 1e3) * tps))
        self.hf = min(max(fast, self.h_min), self.h_max) if control.adaptive else fast
        rtol = self.rtol = control.rtol()
        self.it_rtol = control.iteration_rtol()
        # coupled outputs: the error of the hold is measured on them; iteration works on them
        m.coupling.prepare_iteration()
        self.checked = {n: [] for n in m.order}
        self.atol = {}
        for key in m.coupling.coupled:
            a, v = key
            var = m.bus.actors[a].variable_map()[v]
            atol = control.atol(f"{a}.{v}", var.unit, var.nominal or 1.0, rtol)
            self.atol[key] = atol
            self.checked[a].append((m.bus.slots[key], atol, f"{a}.{v}", m.coupling.slot_order.get(key, 0)))
        # the error's order in h: a hold's is 1, a polynomial of degree k's k + 1 (the lowest)
        self.explicit_order = 1 + min((k for c in self.checked.values() for *_, k in c), default=0)
        self.iteration.prepare()
        self.iteration.restart()
        self.pending_events = sorted(((round(ev.time / res), i) for i, ev in enumerate(m.time_events)
                                      if round(ev.time / res) >= m.t))

    def run(self, stop: int, progress, t_wall: float) -> None:
        """Run the master to tick ``stop``, recording at its output times."""
        m, control = self.m, self.m.control
        self.prepare(stop)
        out = m.output_ticks
        if m.t % out == 0 and (m.recorder is None or not m.recorder.times):
            m.record(m.t)
        m.watch.update(m.t)
        last_progress = 0.0
        try:
            while m.t < stop and m.stopped_by is None:
                self.apply_due_time_events()
                if m.stopped_by is not None:
                    break
                t0, hf = m.t, self.hf
                barrier = min((t0 // out + 1) * out, stop)
                if self.pending_events and self.pending_events[0][0] > t0:
                    barrier = min(barrier, self.pending_events[0][0])
                # equal steps up to the next output time, event or stop: no sliver of a step
                # before it (a tiny step spoils the extrapolation of the next one)
                n = -(-(barrier - t0) // (self.K * hf))
                t1 = t0 + -(-(barrier - t0) // n)
                cut = t1 < t0 + self.K * hf
                h_used = max(1, -(-(t1 - t0) // self.K)) if cut else hf
                snap = m.snapshot()
                try:
                    err = self.step(t0, t1, hf, snap, reject_above=control.adaptive and hf > self.h_min)
                except Reject as r:
                    m.restore(snap)
                    self.rejected += 1
                    why = r.key or (f"failure: {r.cause}" if r.cause is not None else "coupling error")
                    self.rejected_by[why] = self.rejected_by.get(why, 0) + 1
                    if r.cause is not None and hf <= self.h_min:
                        raise r.cause
                    self.hf = max(self.h_min, min(hf, int(h_used * control.next_factor(r.err, self.err_order))))
                    continue
                if control.adaptive and err > 1.0:
                    self.forced += 1  # already at the smallest step: accepted above tolerance
                self.accepted += 1
                self.last_step = h_used
                m.t = t1
                self.iteration.remember(t1)
                self.locate_conditions(t0, t1, hf, snap)
                if m.t % out == 0:
                    m.record(m.t)
                if control.adaptive:
                    grown = int(h_used * control.next_factor(err, self.err_order))
                    self.hf = min(self.h_max, max(self.h_min, max(hf, grown) if cut else grown))
                if progress:
                    now = _time.perf_counter()
                    if now - last_progress > 0.2:
                        last_progress = now
                        progress(m.t * m.resolution, now - t_wall, step=self.last_step * m.resolution)
        except StopRun:
            pass
        except ActorTerminated as exc:
            # an actor ended the simulation in the macro step from snap's time: the run ends there
            m.bus.restore(snap["bus"])
            m.t = snap["t"]
            m.actor_terminated(exc.actor or "?", exc, m.t, t1)
        finally:
            m.record_end(stop)
            if progress:
                progress(m.t * m.resolution, _time.perf_counter() - t_wall, step=self.last_step * m.resolution)

    def apply_due_time_events(self) -> None:
        m = self.m
        while self.pending_events and self.pending_events[0][0] <= m.t:
            k, i = self.pending_events.pop(0)
            ev = m.time_events[i]
            m.log(ev.name, ev.time, "time", ev.action)
            m.apply(ev.action, ev.time, ev.name)
            self.iteration.restart()

    def step(self, t0: int, t1: int, hf: int, snap: dict, reject_above: bool) -> float:
        """Advance every actor from t0 to t1; return the weighted coupling error (1 = tolerance).

        Explicit: inputs from the bus (zero-order hold); the error is the change of the coupled
        outputs over the step.  Iterated: :meth:`IteratedCoupling.step`.
        """
        self.err = 0.0
        self.reject_above = reject_above
        self.abort_on_change = reject_above
        self.last_iterations = 1
        self.err_order = self.explicit_order
        if not self.m.control.iterate or not self.m.coupling.coupled:  # nothing coupled: nothing to iterate
            self.advance_actors(t0, t1, hf)
            return self.err
        return self.iteration.step(t0, t1, hf, snap, reject_above)

    def advance_actors(self, t0: int, t1: int, hf: int) -> None:
        """Every actor from t0 to t1 at its own step, inputs from the bus (explicit)."""
        m = self.m
        line = Timeline(t0, len(m.order) + 2)
        for rank, name in enumerate(m.order):
            line.process(self._actor(line, name, 2 + rank, t0, t1, self.ratio[name] * hf))
        line.run()

    def _actor(self, line: Timeline, name: str, level: int, t0: int, t1: int, h_full: int):
        m = self.m
        bus, actor, coupling = m.bus, m.bus.actors[name], m.coupling
        tps = m.ticks_per_second
        checked = self.checked[name] if m.control.adaptive else ()
        rtol = self.rtol
        reals = coupling.real_slots[name]
        wait = line.wait
        t = t0
        while t < t1:
            h = min(h_full, t1 - t)
            coupling.set_inputs(name, t, h)
            self.do_step(name, actor, t / tps, h / tps)
            bus.publish(name, t + h)
            if not all_finite(reals):
                self.check_finite(name, t, t + h)
            m.steps_taken += 1
            for slot, atol, key, k in checked:
                # the change over the step (a hold's error), or the value's distance from the
                # polynomial of degree k through the k + 1 values before it (its prediction)
                ref = slot.prev if not k else value_at(slot.points(slot.prev_t, k + 1), slot.t_valid)
                e = weighted_change(slot.value, ref, atol, rtol)
                if e > self.err:
                    self.err, self.err_key = e, key
                    if e > 1.0 and self.abort_on_change:
                        raise Reject(e, key=key)
            t += h
            if t < t1:
                yield wait(h, level)

    def do_step(self, name: str, actor, t: float, h: float) -> None:
        """``actor.do_step(t, h)`` [s]; a failure becomes a one-line error naming the actor and
        the time, or a rejection of the step where a smaller one may succeed."""
        try:
            actor.do_step(t, h)
        except ActorTerminated:
            raise  # ends the run (run)
        except Exception as exc:
            err = step_error(name, t, exc)
            if self.reject_above:  # retried at a smaller step; raised if it fails there too
                raise Reject(math.inf, err) from exc
            raise err from exc

    def check_finite(self, name: str, t0: int, t1: int) -> None:
        """A NaN or infinite Real output of actor ``name`` after its step from tick ``t0`` to
        ``t1`` stops the run, or is retried at a smaller step first, like a model failure."""
        err = self.m.coupling.finite_error(name, t0, t1)
        if err is None:
            return  # finite values whose plain sum overflowed
        if self.reject_above:
            raise Reject(math.inf, err)  # retried at a smaller step; raised if it fails there too
        raise err

    def locate_conditions(self, t0: int, t1: int, hf: int, snap: dict) -> None:
        """After an accepted macro step [t0, t1]: if a condition turned true, find when by
        bisection — roll back to the last time known before the crossing, advance half the bracket,
        look — until the bracket is within ``event_tolerance``; then fire it at the bracket's end."""
        m, watch = self.m, self.m.watch
        if not watch.events:
            return
        crossed = watch.crossings(t1)
        if not crossed:
            watch.update(t1)
            return
        tol = max(1, round(m.control.event_tolerance / m.resolution))
        lo, hi, snap_lo = t0, t1, snap
        at = t1  # the time the system state is at now
        while hi - lo > tol:
            mid = (lo + hi) // 2
            m.restore(snap_lo)
            self.step(lo, mid, min(hf, max(1, -(-(mid - lo) // self.K))), snap_lo, reject_above=False)
            m.t = at = mid
            now = watch.crossings(mid)
            if now:
                hi, crossed = mid, now
            else:
                lo = mid
                snap_lo = m.snapshot()
        if at != hi:
            m.restore(snap_lo)
            self.step(lo, hi, min(hf, max(1, -(-(hi - lo) // self.K))), snap_lo, reject_above=False)
        m.t = hi
        res = m.resolution
        fired = []
        for i in crossed:
            c = watch.events[i]
            watch.fired.add(i)
            m.log_condition(c, hi * res, watch.values(c, hi), (hi - lo) * res)
            fired.append(c)
        watch.update(hi)
        for c in fired:
            m.apply(c.action, hi * res, c.name)
        self.iteration.restart()
