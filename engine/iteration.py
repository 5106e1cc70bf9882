"""Iterated coupling: one macro step with every input held at its producer's value at the step's end.

Those end values ``x`` of the coupled outputs are the fixed point of ``F(x)``: what the actors,
each run from the saved state with inputs held at ``x``, put out at ``t1``; Newton's method
solves ``F(x) = x`` from a linear extrapolation of the last synchronisations (the history kept
here).  The arithmetic and its settings are described in :mod:`cryocosim.stepcontrol`.
"""
from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from .errors import ModelError
from .stepcontrol import Reject, weighted_change

if TYPE_CHECKING:
    from .macro import MacroStepper


class IteratedCoupling:
    """Newton's method on the coupled outputs of a macro step, for :class:`MacroStepper` ``s``.

    ``hist``: the last synchronisations ``(tick, coupled values)``; ``newton``: ``[step length,
    Jacobian, (I - J)^-1]`` kept for later steps of similar length; ``base``: the time span of the
    last linear extrapolation."""

    def __init__(self, stepper: MacroStepper):
        self.s = stepper
        self.m = stepper.m
        self.coupling = stepper.m.coupling
        self.hist: deque = deque(maxlen=3)
        self.newton: list | None = None
        self.base: int | None = None
        self.quadratic = False   # the last prediction was quadratic (coupling order >= 1)
        self.atol_it = np.empty(0)   # absolute iteration tolerance of each coupled output
        self.fd_step = np.empty(0)   # difference step of each coupled output for the Jacobian

    def prepare(self) -> None:
        s = self.s
        coupled, rtol = self.coupling.coupled, s.rtol
        self.atol_it = np.array([s.atol[k] * s.it_rtol / rtol for k in coupled])
        # difference steps of the Jacobian: well above the models' own solver noise
        self.fd_step = np.array([1e-7 * (s.atol[k] / rtol) for k in coupled])
        self.newton = None

    def restart(self) -> None:
        """Forget the past synchronisations (after a start or an event the outputs may jump, so
        the next step's prediction is constant and its secant pairs are not reused)."""
        self.hist = deque([(self.m.t, self.coupling.values())], maxlen=3)
        self.newton = None

    def remember(self, t: int) -> None:
        """An accepted synchronisation at tick ``t``."""
        self.hist.append((t, self.coupling.values()))

    def predict(self, t0: int, t1: int) -> tuple[np.ndarray, bool]:
        """The coupled outputs at t1 extrapolated linearly from the last two accepted
        synchronisations (constant after a start or an event); True if linear."""
        hist = self.hist
        x0 = self.coupling.values()
        self.base = None
        self.quadratic = False
        if self.coupling.highest >= 1 and len(hist) >= 3 and hist[-1][0] == t0:
            # inputs as polynomials (a coupling order >= 1): the coupling error is of order 3 or
            # more, so the predictor is quadratic through the last three synchronisations (its
            # distance from the corrector, of order 3, is the error estimate)
            (ta, xa), (tb, xb), (tc, xc) = hist[-3], hist[-2], hist[-1]
            wa = (t1 - tb) * (t1 - tc) / ((ta - tb) * (ta - tc))
            wb = (t1 - ta) * (t1 - tc) / ((tb - ta) * (tb - tc))
            wc = (t1 - ta) * (t1 - tb) / ((tc - ta) * (tc - tb))
            self.quadratic = True
            return wa * xa + wb * xb + wc * xc, True
        if len(hist) >= 2 and hist[-1][0] == t0:
            # the base: the latest earlier point at least half the new step back (noise in the
            # outputs is amplified by (t1 - t0) / (tb - ta))
            for ta, xa in reversed(list(hist)[:-1]):
                if t0 - ta >= (t1 - t0) // 2:
                    break
            tb, xb = hist[-1]
            self.base = tb - ta
            return xb + (t1 - t0) / (tb - ta) * (xb - xa), True
        return x0, False

    def step(self, t0: int, t1: int, hf: int, snap: dict, reject_above: bool) -> float:
        """One macro step with iterated coupling; the weighted error (1 = tolerance).

        Every actor holds its inputs over the step at its producers' values at the *end* of the
        step, found by Newton's method on the coupled outputs ``x`` starting from a linear
        extrapolation of the last steps.  With held inputs the actors are independent over the
        step, so the Jacobian ``dF/dx`` is found by differences one actor at a time — as many
        actor steps as there are connections, not a whole-system step per variable — and kept
        for later steps of similar length.  The error is the corrector's distance from the
        predictor (a local error of order 2).
        """
        s, control = self.s, self.m.control
        start = self.coupling.values()
        x, linear = self.predict(t0, t1)
        x_pred = x
        # residuals in units of each variable's iteration tolerance (Pa and kg/s side by side)
        w = self.atol_it + s.it_rtol * np.abs(start)
        h = t1 - t0
        newton = self.newton
        if newton is not None and not 0.5 <= h / newton[0] <= 2.0:
            newton = self.newton = None
        converged = False
        states = snap["actors"]
        x_prev = r_prev = None
        worst_prev = math.inf
        fresh = False  # the Jacobian was computed at this step
        it = 0
        while it < control.max_iterations:
            it += 1
            s.last_iterations = it
            try:
                if newton is None:
                    s.jacobians += 1
                    fx, jac = self.jacobian(x, t0, t1, hf, states)
                    newton = self.newton = [h, jac, np.linalg.inv(np.eye(len(x)) - jac)]
                    fresh = True
                else:
                    fx = self.evaluate(x, t0, t1, hf, states)
                r = fx - x
                worst = float(np.max(np.abs(r) / w))
            except (Reject, ModelError) as exc:
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
            dx = self.newton[2] @ r
            if newton is not None and float(np.max(np.abs(dx) / w)) <= 1.0:
                # the held inputs are within tolerance of the fixed point (Newton's correction is):
                # on a stiff link the residual F(x) - x is the correction amplified by I - J
                converged = True
                break
            x = x + control.relaxation * dx
        if not converged:
            self.newton = None
            if reject_above and h > s.h_nominal:
                # retried at a smaller step, like an ODE solver's failed Newton iteration
                raise Reject(math.inf, key="coupling iteration")
            # at or below the scenario's own step, an explicit step is stable: take it (flows
            # through zero at a standstill switch the upwind sides and can keep Newton from
            # converging at any step)
            self.m.restore(snap)
            s.abort_on_change = False
            s.advance_actors(t0, t1, hf)
            s.explicit_steps += 1
            return 0.0
        # the actors are at the state of the last evaluation: publish their outputs at t1
        bus = self.m.bus
        bus.restore(snap["bus"])
        for name in self.m.order:
            bus.publish(name, t1)
            s.check_finite(name, t0, t1)
        x_tilde = self.coupling.values()
        # local error: the corrector against the predictor; of order 2 after a linear prediction
        # (x_{n+1} - x_pred = h (h + h_prev) u''/2, backward Euler's error h^2 u''/2 of it)
        err, key = 0.0, None
        ratio = (t1 - t0) / ((t1 - t0) + self.base) if linear and not self.quadratic else 1.0
        reference = x_pred if linear else start
        for i, k in enumerate(self.coupling.coupled):
            e = weighted_change(x_tilde[i], reference[i], s.atol[k], s.rtol) * ratio
            if e > err:
                err, key = e, f"{k[0]}.{k[1]}"
        s.err_order = (3 if self.quadratic else 2) if linear else 1
        s.err_key = key
        if reject_above and err > 1.0:
            raise Reject(err, key=key)
        return err

    def run_actor(self, name: str, u: np.ndarray, t0: int, t1: int, hf: int, state) -> list[float]:
        """Actor ``name`` from ``state`` at t0 to t1 at its own step with its inputs held at the
        coupled values ``u``; its coupled outputs at t1."""
        actor = self.m.bus.actors[name]
        actor.set_state(state)
        polys = self.coupling.hold_inputs(name, actor, u, self.hist, t0, t1)
        tps = self.m.ticks_per_second
        step = self.s.ratio[name] * hf
        t = t0
        while t < t1:
            h = min(step, t1 - t)
            if polys:  # inputs interpolated through the end values u (a coupling order >= 1)
                self.coupling.set_held_polynomials(actor, polys, (t - t0) / tps)
            self.s.do_step(name, actor, t / tps, h / tps)
            self.m.steps_taken += 1
            t += h
        return self.coupling.outputs(name, actor)

    def evaluate(self, x: np.ndarray, t0: int, t1: int, hf: int, states: dict) -> np.ndarray:
        """F(x): every actor from the saved state with inputs held at ``x``."""
        fx = np.empty_like(x)
        for name in self.m.order:
            values = self.run_actor(name, x, t0, t1, hf, states[name])
            for (j, _), v in zip(self.coupling.outputs_of[name], values):
                fx[j] = v
        return fx

    def jacobian(self, x: np.ndarray, t0: int, t1: int, hf: int, states: dict) -> tuple[np.ndarray, np.ndarray]:
        """F(x) and dF/dx by forward differences, one actor and one of its sources at a time;
        every actor is left at its unperturbed run."""
        n = len(x)
        fx = np.empty(n)
        jac = np.zeros((n, n))
        for name in self.m.order:
            rows = [j for j, _ in self.coupling.outputs_of[name]]
            perturbed = []
            for j in self.coupling.sources_of[name]:
                d = self.fd_step[j] + 1e-7 * abs(x[j])
                xp = x.copy()
                xp[j] += d
                perturbed.append((j, d, self.run_actor(name, xp, t0, t1, hf, states[name])))
            base = self.run_actor(name, x, t0, t1, hf, states[name])
            for j, d, values in perturbed:
                for row, v, b in zip(rows, values, base):
                    jac[row, j] = (v - b) / d
            for row, b in zip(rows, base):
                fx[row] = b
        return fx, jac
