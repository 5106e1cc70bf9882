"""Computing points, on the workers: :func:`run_batch` is one Dask task (or one batch in this
process); a :class:`PointRunner`, kept per worker process and sweep, turns a sweep's definition
(plain data) back into expressions and the function or scenario, and computes each point into a
record (outputs, status, error, warnings, times).  A point that raises is recorded as failed,
never raised out of the task."""
from __future__ import annotations

import copy
import datetime
import math
import time
import warnings

import numpy as np

from ..errors import describe, one_line
from ..expr import TIME, PointError, UnknownName, scalar
from ..errors import exception_line
from .expressions import Expr
from .functions import import_sweep_function
from .tables import Solve

#: the runner of the sweep this worker process computes points of
_RUNNERS: dict[tuple, "PointRunner"] = {}


class PointRunner:
    """Computes points of one sweep definition (kept per worker process)."""

    def __init__(self, d: dict):
        self.d = d
        self.mode = d["mode"]
        self.constants = d["constants"]
        self.derived = {k: Expr(t, d["derived_where"][k]) for k, t in d["derived"].items()}
        self.outputs = {k: Expr(t, d["outputs_where"][k]) for k, t in d["outputs"].items()}
        s = d["solve"]
        self.solve = None
        if s:
            self.solve = Solve(s["name"], Expr(s["residual"], d["solve_where"]), tuple(s["bracket"]),
                               s["log"], s["expand"], s["factor"], s["xtol"], s["rtol"], s["maxiter"])
        if self.mode == "function":
            self.fn = import_sweep_function(d["function"])
        #: the names a result of the function held so far (an output naming another is an
        #: error of the spec if the first result lacks it)
        self.seen: set[str] = set()
        self.result_keys: set[str] = set()

    # -- one evaluation: inputs -> result namespace ------------------------------------------
    def _inputs(self, point: dict, extra: dict | None = None) -> dict:
        ns = {**self.constants, **point, **(extra or {})}
        for name, e in self.derived.items():
            ns[name] = _py(e(ns))
        return ns

    def _evaluate(self, inputs: dict) -> dict:
        if self.mode == "function":
            result = self.fn(**inputs)
            if not isinstance(result, dict):
                result = {"value": result}
            self.result_keys.update(k for k in result if isinstance(k, str))
            ns = {**inputs, **result}
            self.seen.update(k for k in ns if isinstance(k, str))
            return ns
        return self._run_scenario(inputs)

    def _run_scenario(self, inputs: dict) -> dict:
        from .. import scenario as sc

        d = self.d
        system, settings = sc.build(copy.deepcopy(d["scenario_data"]), d["scenario_source"],
                                    d["scenario_text"], inputs, "sweep point")
        stop = d["stop_time"] if d["stop_time"] is not None else settings.stop_time
        options = settings.run_options()
        if d["output_interval"] is not None:
            options["output_interval"] = d["output_interval"]
        rec = system.run(stop, output=None, progress=False, dataset=False, **options)
        ns = dict(inputs)
        ns.update(rec.arrays())          # each column in its own type (Real, Integer, Boolean, String)
        ns[TIME] = np.asarray(rec.times, dtype=float)
        ns["__status__"] = rec.attrs.get("status", "")
        return ns

    # -- one point ------------------------------------------------------------------------------
    def run_point(self, key: str, point: dict) -> dict:
        t0, c0 = time.perf_counter(), time.process_time()
        calls = [0]
        rec = {"key": key, "point": point, "outputs": {}, "status": "ok", "error": "", "warning": ""}
        seen_before = bool(self.seen)   # a result of the function was seen at an earlier point
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if self.solve is None:
                    calls[0] += 1
                    ns = self._evaluate(self._inputs(point))
                else:
                    ns = self._solve(point, calls)
                for name, e in self.outputs.items():
                    value = scalar(e(ns))
                    try:
                        value = float(value)
                    except (TypeError, ValueError):
                        raise PointError(f"output '{name}' = {describe(value)} is not a number") from None
                    rec["outputs"][name] = value
                if self.mode == "scenario" and ns.get("__status__", "completed") != "completed":
                    rec["warning"] = f"run {ns['__status__']}"
            except UnknownName as exc:
                rec["status"], rec["error"] = "failed", exception_line(exc)
                rec["outputs"] = {}
                if self.mode == "function" and not seen_before and self.seen and exc.name not in self.seen:
                    # the function's first result lacks a name the spec uses: every point would fail
                    keys = ", ".join(sorted(self.result_keys))
                    keys = keys if len(keys) <= 200 else keys[:197] + "..."
                    rec["spec_error"] = (f"{exc.where}: '{exc.name}' is neither an input nor a key of the "
                                         f"result of {self.d['function']} (its keys: {keys or 'none'})")
            except Exception as exc:  # noqa: BLE001 - a failed point is recorded, the others go on
                rec["status"], rec["error"] = "failed", exception_line(exc)
                rec["outputs"] = {}
        msgs = list(dict.fromkeys(one_line(w.message) for w in caught))
        if msgs:
            rec["warning"] = "; ".join(filter(None, [rec["warning"], *msgs[:3]]))
        rec["seconds"] = time.perf_counter() - t0
        rec["cpu_seconds"] = time.process_time() - c0
        rec["evaluations"] = calls[0]
        rec["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        return rec

    def _solve(self, point: dict, calls: list) -> dict:
        """Brent's method on the residual (in log of the variable for a log scale), after
        widening the bracket outwards (on the side where the residual is smaller) until the
        residual changes sign; returns the namespace of the evaluation at the root."""
        from scipy.optimize import brentq

        s = self.solve
        fwd = math.log if s.log else (lambda x: x)
        inv = math.exp if s.log else (lambda x: x)
        cache: dict[float, tuple[float, dict]] = {}

        def f(u: float) -> float:
            if u not in cache:
                calls[0] += 1
                ns = self._evaluate(self._inputs(point, {s.name: _py(inv(u))}))
                r = float(scalar(s.residual(ns)))
                if math.isnan(r):
                    raise PointError(f"solve {s.name}: residual {s.residual.text!r} is NaN at "
                                      f"{s.name} = {inv(u):.6g}")
                cache[u] = (r, ns)
            return cache[u][0]

        a, b = fwd(s.bracket[0]), fwd(s.bracket[1])
        step = math.log(s.factor) if s.log else (b - a)
        fa, fb = f(a), f(b)
        for _ in range(s.expand):
            if fa * fb <= 0:
                break
            if abs(fa) < abs(fb):      # the root is more likely beyond a
                a, b, fb = a - step, a, fa
                fa = f(a)
            else:
                a, b, fa = b, b + step, fb
                fb = f(b)
        if fa * fb > 0:
            raise PointError(f"solve {s.name}: residual {s.residual.text!r} does not change sign "
                              f"between {s.name} = {inv(a):.6g} and {inv(b):.6g} "
                              f"(residual {fa:.4g} and {fb:.4g}) after {s.expand} widenings")
        if fa == 0:
            u = a
        elif fb == 0:
            u = b
        else:
            u = brentq(f, a, b, xtol=s.xtol, rtol=s.rtol, maxiter=s.maxiter)
        f(u)
        return cache[u][1]


def _py(x):
    """numpy scalars -> Python numbers (what a function or a scenario override expects)."""
    if isinstance(x, np.generic):
        return x.item()
    return x


def run_batch(definition: dict, points: list[tuple[str, dict]]) -> list[dict]:
    """One Dask task: compute ``points`` ([(key, point)]) of the sweep ``definition``."""
    run = (definition["digest"], definition.get("run"))
    runner = _RUNNERS.get(run)
    if runner is None:   # a new sweep (a runner remembers what its sweep's results held)
        _RUNNERS.clear()
        runner = _RUNNERS[run] = PointRunner(definition)
    out = []
    for key, point in points:
        out.append(runner.run_point(key, point))
        if "spec_error" in out[-1]:   # the sweep stops: no more points of this task
            break
    return out
