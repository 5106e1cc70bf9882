"""Where the time of the default cool-down goes: per-actor cost, CoolProp calls, cProfile.

Three runs of the same stretch of ``scenarios/screw_brayton_cooldown.toml`` (fixed steps):

1. **per actor**: each actor's ``do_step`` wrapped with a timer (about 0.2 µs added per step):
   µs per step of every actor, and the rest of the loop (master, bus, recorder);
2. **CoolProp**: every ``AbstractState`` of the models' :class:`~cryocosim.fmus.properties.gas.Gas` objects
   (HEOS, and the table with a tabular backend) wrapped in a proxy that counts and times each call (the proxy's own Python cost is not
   counted; the timer's is measured and subtracted): calls per simulated second by kind and
   the time spent inside CoolProp;
3. **cProfile**: the functions with the largest own time (CoolProp's compiled methods are not
   seen by cProfile: their time shows as the own time of the Python function calling them).

Usage::

    .venv/bin/python docs/scripts/profile_cooldown.py [--stop 300] [--backend HEOS] [--top 25]
                                                      [--json out.json]

Only the standard library and the package are needed (cProfile, not pyinstrument).
``profile(stop, backend)`` returns the summary as a dict (``docs/scripts/bench_cooldown.py``
uses it for docs/performance.md).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

from pages import ROOT, table

SCENARIO = ROOT / "scenarios/screw_brayton_cooldown.toml"


def load(backend: str = "HEOS", stop: float | None = None):
    """(system, settings) of the default cool-down with ``property_backend`` set on every actor
    that has it (as ``[defaults] property_backend = ...`` would)."""
    from cryocosim import scenario

    system, _ = scenario.load(SCENARIO)
    overrides = {f"{name}.property_backend": backend for name, actor in system.bus.actors.items()
                 if "property_backend" in actor.variable_map()}
    return scenario.load(SCENARIO, overrides, "--set")


def _run(system, settings, stop):
    t0 = time.perf_counter()
    ds = system.run(stop, ordering=settings.ordering, output_interval=settings.output_interval)
    return time.perf_counter() - t0, ds


def per_actor(stop: float, backend: str = "HEOS") -> dict:
    """µs per step of each actor's do_step, and the whole run's wall time."""
    system, settings = load(backend)
    spent: dict[str, float] = {}
    count: Counter = Counter()
    clock = time.perf_counter
    for name, actor in system.bus.actors.items():
        inner = actor.do_step
        spent[name] = 0.0

        def timed(t, h, _inner=inner, _name=name):
            t0 = clock()
            _inner(t, h)
            spent[_name] += clock() - t0
            count[_name] += 1

        actor.do_step = timed  # an instance attribute: the master calls it instead of the method
    wall, ds = _run(system, settings, stop)
    loop = system.master.wall_time
    steps = int(ds.attrs["actor_steps"])
    actors = {name: {"model": type(a).__name__, "steps": count[name],
                     "us_per_step": spent[name] / max(count[name], 1) * 1e6,
                     "seconds": spent[name]}
              for name, a in system.bus.actors.items()}
    return {"stop": stop, "backend": backend, "wall": wall, "loop": loop, "actor_steps": steps,
            "actors": actors, "models_seconds": sum(spent.values())}


class _Timed:
    """Proxy of a CoolProp AbstractState counting and timing every method call."""

    def __init__(self, target, stats, label=""):
        self._t, self._s, self._label = target, stats, label

    def __getattr__(self, name):
        fn = getattr(self._t, name)
        stats, ns, label = self._s, time.perf_counter_ns, self._label

        def call(*args):
            t0 = ns()
            try:
                return fn(*args)
            finally:
                dt = ns() - t0
                key = label + (name if name != "update" else f"update {_PAIRS.get(args[0], args[0])}")
                c = stats.get(key)
                if c is None:
                    stats[key] = [1, dt]
                else:
                    c[0] += 1
                    c[1] += dt
        return call


_PAIRS: dict = {}


def coolprop_calls(stop: float, backend: str = "HEOS") -> dict:
    """CoolProp calls per simulated second by kind and the time inside them."""
    import CoolProp.CoolProp as CP

    from cryocosim.fmus.properties import gas as gas_module

    for pair in ("DmassT_INPUTS", "PT_INPUTS", "HmassP_INPUTS", "DmassUmass_INPUTS",
                 "DmassSmass_INPUTS", "PSmass_INPUTS"):
        _PAIRS[getattr(CP, pair)] = pair.replace("_INPUTS", "")
    stats: dict[str, list] = {}
    init = gas_module.Gas.__init__

    def wrapped_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        for attr, label in (("_as", ""), ("_tab", "table ")):
            state = getattr(self, attr, None)
            if state is not None and not isinstance(state, _Timed):
                setattr(self, attr, _Timed(state, stats, label))

    # the timer's own cost per call, subtracted below
    ns = time.perf_counter_ns
    n = 200000
    t0 = ns()
    for _ in range(n):
        a = ns()
        b = ns() - a
    overhead = (ns() - t0) / n * 0.5
    # gas.py calls some methods unbound (AbstractState.hmass(state)), which a proxy is not:
    # route those through the instance while profiling
    gas_module._coolprop()

    class _Unbound:
        pass

    for method in ("umass", "cvmass", "hmass", "cpmass", "smass"):
        setattr(_Unbound, method, staticmethod(lambda state, m=method: getattr(state, m)()))
    real_as = gas_module._AS
    gas_module.Gas.__init__ = wrapped_init
    gas_module._AS = _Unbound
    try:
        system, settings = load(backend)
        wall, ds = _run(system, settings, stop)
    finally:
        gas_module.Gas.__init__ = init
        gas_module._AS = real_as
    total_calls = sum(c for c, _ in stats.values())
    inside = sum(t for _, t in stats.values()) * 1e-9 - total_calls * overhead * 1e-9
    kinds = {k: {"per_sim_second": c / stop, "us_per_call": max(t / c - overhead, 0.0) * 1e-3}
             for k, (c, t) in sorted(stats.items(), key=lambda kv: -kv[1][1])}
    return {"calls_per_sim_second": total_calls / stop, "seconds_inside": inside,
            "kinds": kinds, "timer_overhead_us": overhead * 1e-3}


def cprofile(stop: float, backend: str = "HEOS", top: int = 25) -> dict:
    """Own time of the costliest functions, and own time grouped by where the code lives."""
    system, settings = load(backend)
    pr = cProfile.Profile()
    pr.enable()
    wall, ds = _run(system, settings, stop)
    pr.disable()
    st = pstats.Stats(pr)
    rows, groups = [], Counter()
    for (path, line, func), (cc, nc, tt, ct, callers) in st.stats.items():
        p = path.replace("\\", "/")
        if "/fmus/properties/gas.py" in p:
            group = "property layer (fmus/properties/gas.py, CoolProp inside)"
        elif "/fmus/" in p:
            group = "models (fmus/, other)"
        elif "/engine/results.py" in p:
            group = "recorder (engine/results.py)"
        elif "/engine/" in p:
            group = "master and bus (engine/)"
        elif "/simpy/" in p:
            group = "simpy"
        elif "numpy" in p or "scipy" in p or "numpy" in func or "lapack" in func:
            group = "numpy/scipy"
        else:
            group = "other (xarray, netCDF, built-ins)"
        groups[group] += tt
        rows.append((tt, ct, nc, f"{Path(path).name}:{line}({func})" if line else func))
    rows.sort(reverse=True)
    total = sum(groups.values())
    return {"wall_profiled": wall, "total_own": total,
            "groups": {g: t for g, t in groups.most_common()},
            "top": [{"function": f, "own_s": tt, "cum_s": ct, "calls": nc} for tt, ct, nc, f in rows[:top]]}


def profile(stop: float = 300.0, backend: str = "HEOS", top: int = 25) -> dict:
    return {"per_actor": per_actor(stop, backend), "coolprop": coolprop_calls(stop, backend),
            "cprofile": cprofile(stop, backend, top)}


def report(res: dict) -> str:
    pa, cpc, prof = res["per_actor"], res["coolprop"], res["cprofile"]
    stop = pa["stop"]
    lines = [f"## {pa['backend']}: {stop:g} s simulated, {pa['actor_steps']} actor steps", "",
             f"wall time {pa['wall']:.2f} s (stepping loop {pa['loop']:.2f} s): "
             f"{pa['loop'] / pa['actor_steps'] * 1e6:.1f} µs per actor step; models' do_step "
             f"{pa['models_seconds']:.2f} s ({pa['models_seconds'] / pa['loop']:.0%} of the loop)", ""]
    rest = pa["loop"] - pa["models_seconds"]
    lines += table(["actor", "model", "steps", "µs per step", "share of the loop"],
                   [[name, a["model"], a["steps"], f"{a['us_per_step']:.1f}", f"{a['seconds'] / pa['loop']:.1%}"]
                    for name, a in sorted(pa["actors"].items(), key=lambda kv: -kv[1]["seconds"])]
                   + [["(master, bus, recorder)", None, None, f"{rest / pa['actor_steps'] * 1e6:.1f}",
                       f"{rest / pa['loop']:.1%}"]])
    lines += ["", f"CoolProp: {cpc['calls_per_sim_second']:.0f} calls per simulated second, "
              f"{cpc['seconds_inside']:.2f} s inside CoolProp ({cpc['seconds_inside'] / pa['loop']:.0%} of the "
              f"uninstrumented loop; timer overhead {cpc['timer_overhead_us'] * 1e3:.0f} ns a call subtracted)", ""]
    lines += table(["call", "per simulated second", "µs per call"],
                   [[k, f"{v['per_sim_second']:.0f}", f"{v['us_per_call']:.2f}"] for k, v in cpc["kinds"].items()])
    lines += ["", f"cProfile (own time, {prof['total_own']:.2f} s profiled):", ""]
    lines += table(["where", "own time [s]", "share"],
                   [[g, f"{t:.2f}", f"{t / prof['total_own']:.0%}"] for g, t in prof["groups"].items()])
    lines += [""]
    lines += table(["function", "own [s]", "cumulative [s]", "calls"],
                   [[f"`{r['function']}`", f"{r['own_s']:.3f}", f"{r['cum_s']:.3f}", r["calls"]] for r in prof["top"]])
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stop", type=float, default=300.0, help="simulated seconds (default 300)")
    ap.add_argument("--backend", default="HEOS", help="property_backend of every actor (default HEOS)")
    ap.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    ap.add_argument("--json", help="also write the summary as JSON")
    args = ap.parse_args()
    res = profile(args.stop, args.backend, args.top)
    print(report(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    sys.exit(main())
