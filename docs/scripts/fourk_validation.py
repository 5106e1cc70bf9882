"""Writes docs/4k_validation.md and docs/figures/4k_*.png: the whole 4 K refrigerator of NRAO EDTN
203 (J. R. Fisher 1979, seed 002) as the coupled system of scenarios/4k_cooldown.toml,
4k_stall.toml and 4k_boiloff.toml -- validation against CoolProp called directly, hand
calculations and the note, and the speed benchmark of the 24 h cool-down.

Every number on the page is computed here; the page says so and is not to be edited by hand.
The note's own figures are constants below (``NOTE``), quoted from its text.

Runs:

* **analysis runs** (Python API, ``cryocosim.scenario.load`` + ``System.run``, the scenarios'
  own settings; some add events that only locate a time, e.g. "pot full"): the cool-down, the
  stall and the boil-off scenarios, a scan of the 4 K load, the load 100 mW above the start-up
  capacity with switch variants, the exhaust-pressure cool-downs, and fixed explicit 0.25 s /
  0.5 s references over the first 4 h.  They are deterministic and cached in
  results/fourk_validation/<digest>/ (the digest covers engine/, the fmus/ modules the scenarios
  import, the three scenario files, the CoolProp/numpy/scipy versions and CACHE_VERSION), two at
  a time in worker processes;
* **timed runs**, measured afresh on every invocation, one at a time after the analysis runs:
  ``cryocosim run scenarios/4k_cooldown.toml -q -o ...`` as a whole process in three
  configurations (the scenario's adaptive iterated steps; fixed explicit 1 s steps,
  ``--tolerance 0 --no-iterate``; fixed iterated 1 s steps, ``--tolerance 0``), ``--runs`` rounds
  interleaved after one untimed warm-up, and the start-up costs as processes;
* **profile** (in this process, afresh): per-actor time in ``do_step``, CoolProp calls counted
  during set-up and during the steps, cProfile of ``System.run``.

Usage: .venv/bin/python docs/scripts/fourk_validation.py [--runs 3] [--fresh]
(about 10 min from an empty cache on 2 shared cores, 7-8 min with the cache: the timed runs
are always made.)
"""
from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import datetime
import hashlib
import inspect
import json
import math
import multiprocessing
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pages import (ROOT, files_digest, loaded_sources, machine, mm, package_stamps, save_figure, table,  # noqa: E402
                   timed_process)

SCEN = ROOT / "scenarios"
COOL, STALL, BOIL = SCEN / "4k_cooldown.toml", SCEN / "4k_stall.toml", SCEN / "4k_boiloff.toml"
OUT = ROOT / "docs/4k_validation.md"
FIG = ROOT / "docs/figures"
CACHE_ROOT = ROOT / "results/fourk_validation"
CACHE_VERSION = "1"     # bump when a run's specification or recorded quantities change
CLI = str(Path(sys.executable).with_name("cryocosim"))
ATM = 101325.0
HOUR = 3600.0

# -- what the script runs --------------------------------------------------------------------------
SCAN_LOADS = (1.3, 1.4, 1.5, 1.6, 1.75, 2.0, 2.5, 3.0, 3.5)   # W, jt.heat_applied from the start
SCAN_STOP = 12 * HOUR
EXCESS = 0.100                                                # W above the start-up capacity
VARIANT_STOP = 24 * HOUR
SWITCH_G = (0.1, 0.05, 0.02)                                  # W/K, at the +100 mW load
SWITCH_T_OFF = (25.0, 30.0)                                   # K, at the +100 mW load
P_EXHAUST = (0.1, 0.5, 1.0, 1.5, 2.0)                         # atm
P_FLAT = 1.5                                                  # atm: up to here the capacity holds up
BOIL_WARM = 19.0                                              # K: "4 K station warm" after the boil-off
PEX_STOP = 12 * HOUR
REF_STOP = 4 * HOUR
REF_STEPS = (0.25, 0.5)                                       # s, fixed explicit references
CONFIGS = {"adaptive": ("scenario: adaptive, iterated (tolerance 1e-4)", []),
           "explicit": ("fixed {h}, explicit (`--tolerance 0 --no-iterate`)", ["--tolerance", "0", "--no-iterate"]),
           "iterated": ("fixed {h}, iterated (`--tolerance 0`)", ["--tolerance", "0"])}
TARGET_S, AIM_S = 60.0, 10.0
SETTLE = (0.1, 0.01)          # K: "settled" = within this of the final temperature (shield, stage)

# -- the note (NRAO EDTN 203), as its text gives it ---------------------------------------------
NOTE = {
    "T77": 77.0, "T15": 15.0, "T4": 4.2,              # design station temperatures [K]
    "dewar_77": 1.405, "dewar_4": 0.213,              # Table 8 loads [W]
    "jt77_first": 15.4, "jt77_second": 11.3,          # J-T heat on the 77 K station [W]
    "jt15_first": 9.9, "jt15_second": 9.1,            # ... on the 15 K station [W]
    "cap_4": 3.65,                                    # loop capacity, E3 = 0.96 (eq. 37) [W]
    "start_up": 1.8,                                  # 0.32 g/s, E3 = 0.92 machine [W]
    "stall_T": 26.8, "stall_excess": 0.100,           # "100 mW higher ... stalled at 26.8 K"
    "stall_startup": 0.600, "stall_mdot": 0.052e-3,   # its 1 W machine: ~600 mW, 0.052 g/s
    "overload": 3.0, "warm_T": 15.0,                  # "If the 3 W load is ever exceeded ... 15 K"
    "sat_lo": (0.1, 2.5), "sat_hi": (2.2, 5.2),       # (atm, K): "about 2.5 K ... to 5.2 K"
    "sigma_note": 5.46e-13 * 1e4,                     # its radiation constant [W/(m2 K4)]
    "rad_77": 0.941,                                  # its radiation on the 77 K shield, H1+H2+H3 [W]
}


# ==================================================================================================
# runs through the Python API (cached)
# ==================================================================================================
def simulate(spec: dict) -> dict:
    """Run one analysis configuration in a worker process and write its result file atomically
    (``spec['out']``); returns the master's statistics."""
    import warnings

    from cryocosim import scenario

    system, settings = scenario.load(ROOT / spec["scenario"], spec.get("overrides") or None)
    opts = settings.run_options()
    for ev in spec.get("when", ()):
        system.when(ev["condition"], name=ev["name"], after=ev.get("after", 0.0))
    for ev in spec.get("at", ()):
        system.at(ev["time"], name=ev["name"], set=ev.get("set"))
    if spec.get("fixed"):
        for name in system.steps:
            system.steps[name] = spec["fixed"]
        opts.update(tolerance=None, iterate=False)
    out = Path(spec["out"])
    part = out.with_name(out.stem + ".part.nc")
    if part.exists():
        part.unlink()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec = system.run(spec["stop"], output=part, dataset=False, **opts)
    os.replace(part, out)
    return {"wall": system.master.wall_time, "call": time.perf_counter() - t0,
            "status": rec.attrs["status"], "warnings": [str(w.message) for w in caught]}


class Cache:
    def __init__(self, digest: str, fresh: bool):
        self.dir = CACHE_ROOT / digest
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fresh = fresh
        self.made: list[str] = []
        self.reused: list[str] = []

    def path(self, name: str, spec: dict) -> Path:
        key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
        return self.dir / f"{name}-{key}.nc"

    def run_all(self, specs: dict[str, dict]) -> dict[str, Path]:
        """Make the runs not in the cache (two worker processes), return name -> result file."""
        paths, todo = {}, {}
        for name, spec in specs.items():
            p = self.path(name, spec)
            paths[name] = p
            if p.exists() and not self.fresh:
                self.reused.append(name)
            else:
                todo[name] = dict(spec, out=str(p))
        if todo:
            print(f"  {len(todo)} runs: {', '.join(todo)}", flush=True)
            ctx = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
                futs = {pool.submit(simulate, s): n for n, s in todo.items()}
                for f in concurrent.futures.as_completed(futs):
                    n = futs[f]
                    res = f.result()
                    (self.dir / f"{paths[n].stem}.json").write_text(json.dumps(res))
                    print(f"    {n}: loop {res['wall']:.1f} s, {res['status']}", flush=True)
                    self.made.append(n)
        return paths


def open_ds(path: Path):
    import xarray as xr

    with xr.open_dataset(path) as ds:
        return ds.load()


def events(ds) -> list[dict]:
    from cryocosim.results import events_of

    return events_of(ds)


def event(ds, prefix: str):
    for e in events(ds):
        if e["name"].startswith(prefix):
            return e
    return None


def at(ds, t: float):
    """The last record at or before t."""
    return ds.sel(time=t, method="pad")


def v(row, name: str) -> float:
    return float(row[name])


# ==================================================================================================
# helpers
# ==================================================================================================
def source_digest() -> str:
    from cryocosim import scenario

    for path in (COOL, STALL, BOIL):
        scenario.validate(path)           # set-up imports what the actors import lazily
    system, settings = scenario.load(COOL)
    system.run(1.0, dataset=False, **settings.run_options())       # and what a run imports

    engine = loaded_sources("engine") | {(ROOT / "engine/cli.py").resolve()}
    return files_digest(sorted(engine | loaded_sources("fmus")) + [COOL, STALL, BOIL],
                  *package_stamps("CoolProp", "numpy", "scipy"), CACHE_VERSION)


def dstr(x: float, unit: str = "") -> str:
    """A difference: 0 exactly, or with its sign."""
    return "0 (identical)" if x == 0.0 else f"{x:+.1e}{unit}"


def hms(t: float) -> str:
    return f"{t:.0f} s ({t / HOUR:.3f} h)"


def fmt_int(n) -> str:
    return f"{int(n):,}"


def sat_coolprop(p: float) -> dict:
    """Saturated helium at p [Pa], CoolProp's PropsSI called directly."""
    import CoolProp.CoolProp as CP

    return {"T": CP.PropsSI("T", "P", p, "Q", 0, "Helium"),
            "rho_l": CP.PropsSI("D", "P", p, "Q", 0, "Helium"),
            "rho_v": CP.PropsSI("D", "P", p, "Q", 1, "Helium"),
            "h_fg": CP.PropsSI("H", "P", p, "Q", 1, "Helium") - CP.PropsSI("H", "P", p, "Q", 0, "Helium")}


def switch_heat(T: float, T15: float, G: float, T_off: float) -> float:
    """The hydrogen switch as fmus/jt_stage.py documents it: G w(T) (T - T_15), w rising linearly
    from 0 at T_off - 1 K to 1 at T_off."""
    w = min(max(T - (T_off - 1.0), 0.0), 1.0)
    return G * w * (T - T15)


# ==================================================================================================
# profile (in this process)
# ==================================================================================================
class _Counted:
    """Proxy of a CoolProp AbstractState counting each method call by phase."""

    def __init__(self, target, counts, phase):
        self._t, self._c, self._p = target, counts, phase

    def __getattr__(self, name):
        fn = getattr(self._t, name)
        counts, phase = self._c, self._p

        def call(*args, **kwargs):
            counts[phase[0]][name] += 1
            return fn(*args, **kwargs)
        return call


def profile_runs(stop: float) -> dict:
    import CoolProp.CoolProp as CPm

    from cryocosim import scenario
    from cryocosim.fmus import dewar as dewar_module
    from cryocosim.fmus.physics import jt_physics as jt

    # 1. per-actor time in do_step, and CoolProp calls counted in set-up and in the steps: the
    # J-T tables are dropped first so that this run's set-up builds them again
    jt._ISOBARS.clear()
    jt._CHOKED.clear()
    jt._LOOPS.clear()
    counts = {"set-up": Counter(), "steps": Counter()}
    phase = ["set-up"]
    real_as = jt._he()
    jt._AS = _Counted(real_as, counts, phase)
    orig_props, orig_factory = CPm.PropsSI, CPm.AbstractState

    def props(*a, **k):
        counts[phase[0]]["PropsSI"] += 1
        return orig_props(*a, **k)

    def factory(*a, **k):
        counts[phase[0]]["AbstractState()"] += 1
        return _Counted(orig_factory(*a, **k), counts, phase)

    CPm.PropsSI, CPm.AbstractState = props, factory
    spent, calls = Counter(), Counter()
    clock = time.perf_counter
    try:
        system, settings = scenario.load(COOL)
        dewar_inputs = []                      # what the dewar was given, replayed in 3. below
        for name, actor in system.bus.actors.items():
            inner = actor.do_step

            def timed(t, h, _inner=inner, _name=name, _actor=actor):
                if isinstance(_actor, dewar_module.Dewar):
                    dewar_inputs.append((_actor.T_shield, _actor.T_stage, _actor.T_station))
                phase[0] = "steps"
                t0 = clock()
                try:
                    _inner(t, h)
                finally:
                    spent[_name] += clock() - t0
                    calls[_name] += 1
                    phase[0] = "set-up"
            actor.do_step = timed
        t0 = clock()
        system.run(stop, dataset=False, **settings.run_options())
        call_wall = clock() - t0
        loop = system.master.wall_time
        actors = {n: {"model": type(a).__name__, "calls": calls[n], "s": spent[n]}
                  for n, a in system.bus.actors.items()}
    finally:
        jt._AS = real_as
        CPm.PropsSI, CPm.AbstractState = orig_props, orig_factory
    timer = clock()
    for _ in range(100000):
        a0 = clock()
        _ = clock() - a0
    timer_cost = (clock() - timer) / 100000 / 2   # about one clock() pair per wrapped step

    # 2. cProfile of System.run (tables built, CoolProp imported)
    system, settings = scenario.load(COOL)
    pr = cProfile.Profile()
    t0 = clock()
    pr.enable()
    system.run(stop, dataset=False, **settings.run_options())
    pr.disable()
    prof_wall = clock() - t0
    st = pstats.Stats(pr)
    _, station_line = inspect.getsourcelines(dewar_module.ThermalStation)

    def group(path: str, line: int, func: str) -> str | None:
        p = path.replace("\\", "/")
        if p.endswith("/fmus/dewar.py"):
            return "stations" if line >= station_line else "dewar"
        if "/fmus/physics/dewar_heat.py" in p or "/fmus/properties/conductivity.py" in p:
            return "dewar"
        if "/fmus/jt_stage.py" in p or "/fmus/physics/jt_physics.py" in p:
            return "jt"
        if "/fmus/properties/materials.py" in p:
            return "stations"
        if "/fmus/gm_cryostat.py" in p:
            return "gm"
        if "/engine/results.py" in p:
            return "recorder"
        if "/engine/" in p:
            return "master"
        if "numpy" in p or "scipy" in p:
            return "numpy"
        if p == "~" or p.startswith("<"):
            return None                        # built-ins: charged to their callers below
        return "other"

    own = Counter()
    rows = []
    for (path, line, func), (cc, nc, tt, ct, callers) in st.stats.items():
        g = group(path, line, func)
        if g is None:
            for (cp, cl, cf), (_, _, ctt, _) in callers.items():
                own[group(cp, cl, cf) or "other"] += ctt
        else:
            own[g] += tt
        rows.append((tt, ct, nc, f"{Path(path).name}:{line}({func})" if line else func))
    rows.sort(reverse=True)
    # what one helium flash costs (the J-T stage's isobars instead): PT flashes on the 20 atm isobar
    import CoolProp.CoolProp as CP2

    a = CP2.AbstractState("HEOS", "Helium")
    Ts = np.geomspace(4.5, 300.0, 2000)
    t0 = clock()
    hs = []
    for T in Ts:
        a.update(CP2.PT_INPUTS, 20 * ATM, float(T))
        hs.append(a.hmass())
    flash_us = (clock() - t0) / len(Ts) * 1e6
    t0 = clock()
    for h in hs:
        a.update(CP2.HmassP_INPUTS, h, 20 * ATM)
        a.T()
    flash_hp_us = (clock() - t0) / len(hs) * 1e6
    Tn = np.geomspace(5.0, 30.0, 20)
    t0 = clock()
    for T in Tn:
        jt.isentropic_nozzle(20 * ATM, float(T), ATM)
    nozzle_ms = (clock() - t0) / len(Tn) * 1e3
    # 3. the dewar's loads on the inputs the run gave it, in order: each solve started from the
    # last one's solution (as its do_step does) and each from a cold start (as at initialisation)
    dewar_us = {}
    for warm in (True, False, True, False):
        d = dewar_module.Dewar("dewar")
        d.setup()
        t0 = clock()
        for d.T_shield, d.T_stage, d.T_station in dewar_inputs:
            d._compute(warm=warm)
        us = (clock() - t0) / len(dewar_inputs) * 1e6
        dewar_us[warm] = min(us, dewar_us.get(warm, math.inf))
    return {"dewar_warm_us": dewar_us[True], "dewar_cold_us": dewar_us[False], "flash_us": flash_us, "flash_hp_us": flash_hp_us, "nozzle_ms": nozzle_ms, "loop": loop, "call": call_wall, "actors": actors, "timer_cost": timer_cost,
            "coolprop": {k: dict(c) for k, c in counts.items()},
            "prof_wall": prof_wall, "prof_loop": system.master.wall_time, "groups": dict(own),
            "top": [{"f": f, "own": tt, "cum": ct, "n": nc} for tt, ct, nc, f in rows[:12]]}


# ==================================================================================================
# the page
# ==================================================================================================
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="timed rounds of the three configurations (default 3)")
    ap.add_argument("--fresh", action="store_true", help="ignore the cache of analysis runs")
    ap.add_argument("--profile-worker", metavar="JSON", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.profile_worker:                 # the profile, in a fresh interpreter of its own
        from cryocosim import scenario as _sc

        Path(args.profile_worker).write_text(json.dumps(profile_runs(_sc.load(COOL)[1].stop_time)))
        return
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    FIG.mkdir(parents=True, exist_ok=True)

    import xarray as xr  # noqa: F401  (the result files)
    from scipy.optimize import brentq, fsolve

    from cryocosim import scenario
    from cryocosim.fmus import gm_cryostat as gm
    from cryocosim.fmus.physics import jt_physics as jt
    from cryocosim.fmus.physics.dewar_heat import SIGMA

    print("digest ...", flush=True)
    digest = source_digest()
    cache = Cache(digest, args.fresh)
    print(f"cache: {cache.dir}", flush=True)

    # -- the system as the scenarios define it ----------------------------------------------------
    sysC, setC = scenario.load(COOL)
    sysS, setS = scenario.load(STALL)
    sysB, setB = scenario.load(BOIL)
    A = sysC.bus.actors
    a_gm, a_sh, a_st, a_jt, a_dw = A["gm"], A["shield"], A["stage"], A["jt"], A["dewar"]
    loop = jt.jt_loop_model(a_jt.p_supply, a_jt.p_exhaust)
    THROAT, E3, EFF = a_jt.throat_area, a_jt.E3, a_jt.effectiveness
    sat1 = sat_coolprop(a_jt.p_exhaust)
    m_pot = sat1["rho_l"] * a_jt.pot_volume
    G0, TOFF0 = a_jt.switch_conductance, a_jt.switch_T_off
    STOP_H = f"{setC.stop_time / HOUR:g} h"
    HFIX_V = sysC.steps["gm"]
    HFIX = f"{HFIX_V:g} s"

    def label(k):
        return CONFIGS[k][0].format(h=HFIX)
    cap15 = loop.capacity(15.0, THROAT, T_15=15.0, E3=E3, definition=EFF)[0]     # start-up capacity
    stall_cond = next(c for c in sysS.conditions if c.name.startswith("stall"))
    stall_applied = float(sysS.bus.actors["jt"].heat_applied)
    stall_after = float(stall_cond.action.set[("jt", "heat_applied")])
    boil_ev = next(e for e in sysB.time_events)
    boil_load = float(boil_ev.action.set[("jt", "heat_applied")])
    t_boil_on = boil_ev.time

    def full_event(p=a_jt.p_exhaust):
        m = sat_coolprop(p)["rho_l"] * a_jt.pot_volume * (1.0 - 1e-6)
        return {"condition": f"jt.liquid_mass > {m:.10g} kg", "name": "pot full"}

    stall_event = {"condition": stall_cond.expression, "name": "stall", "after": stall_cond.arm_time}
    rel = lambda p: str(p.relative_to(ROOT))  # noqa: E731

    # -- analysis runs, phase A ----------------------------------------------------------------------
    print("analysis runs ...", flush=True)
    specs = {
        "cool": {"scenario": rel(COOL), "stop": setC.stop_time, "when": [full_event()]},
        "stall": {"scenario": rel(STALL), "stop": setS.stop_time, "when": [full_event()]},
        "boiloff": {"scenario": rel(BOIL), "stop": setB.stop_time,
                    "when": [full_event(), {"condition": f"jt.T > {BOIL_WARM:g} K", "name": "4 K station warm",
                                            "after": t_boil_on}]},
    }
    for p in P_EXHAUST:
        specs[f"pex_{p:g}"] = {"scenario": rel(COOL), "stop": PEX_STOP,
                               "overrides": {"jt.p_exhaust": f"{p:g} atm"}, "when": [full_event(p * ATM)]}
    for q in SCAN_LOADS:
        specs[f"scan_{q:g}"] = {"scenario": rel(COOL), "stop": SCAN_STOP,
                                "overrides": {"jt.heat_applied": f"{q:g} W"}, "when": [stall_event]}
    for h in REF_STEPS:
        specs[f"ref_{h:g}"] = {"scenario": rel(COOL), "stop": REF_STOP, "fixed": h}
    paths = cache.run_all(specs)
    D = {n: open_ds(p) for n, p in paths.items()}

    # phase B, C: the load 100 mW above the start-up capacity, the dewar's parasitic load taken at
    # the stall (first from the scenario's stall, then from this case's own)
    def stall_info(ds, applied, G=G0, T_off=TOFF0):
        e = event(ds, "stall")
        liq = event(ds, "liquid helium")
        last = ds.isel(time=-1)
        e20 = event(ds, "4 K station below 20 K")
        out = {"applied": applied, "G": G, "T_off": T_off, "stalled": e is not None,
               "t20": e20["time"] if e20 else None,
               "t_liq": liq["time"] if liq else None, "T_last": v(last, "jt.T"),
               "liq_last": v(last, "jt.liquid_mass"), "t_last": float(last.time),
               "rate_last": v(last, "jt.T_rate") * HOUR, "stage_last": v(last, "stage.T")}
        T_, tt_ = ds["jt.T"].values, ds["time"].values
        in_ramp = (T_ >= T_off - 1.0) & (T_ <= T_off)
        out["ramp_h"] = float(np.diff(tt_, prepend=tt_[0])[in_ramp].sum()) / HOUR
        if e20 is not None:
            r20 = ds.sel(time=e20["time"], method="backfill")
            out["T15_20"] = v(r20, "stage.T")
            out["cap_off_20"] = loop.capacity(T_off - 1.0, THROAT, T_15=out["T15_20"], E3=E3, definition=EFF)[0]
            out["load_20"] = applied + v(r20, "dewar.heat_station")
        if e is None:
            return out
        # the record next to the event: the one before it if the event changes the load (4k_stall),
        # else the one after it (the station may arrive at its stall quickly)
        r = at(ds, e["time"]) if e.get("set") else ds.sel(time=e["time"], method="backfill")
        T15 = v(r, "stage.T")
        Lq = applied + v(r, "dewar.heat_station")
        out.update(t=e["time"], T=e["values"][1], rate=e["values"][0] * HOUR, T15=T15, t_rec=float(r.time),
                   q_par=v(r, "dewar.heat_station"), load=Lq, cap=v(r, "jt.capacity"), sw=v(r, "jt.heat_switch"),
                   mdot=v(r, "jt.mdot"), shield=v(r, "shield.T"), T_rec=v(r, "jt.T"),
                   cap_off=loop.capacity(T_off - 1.0, THROAT, T_15=T15, E3=E3, definition=EFF)[0])

        def f(T):
            return loop.capacity(T, THROAT, T_15=T15, E3=E3, definition=EFF)[0] + switch_heat(T, T15, G, T_off) - Lq
        lo = T_off - 1.0 + 1e-9
        out["T_hand"] = brentq(f, lo, T_off + Lq / G, xtol=1e-10) if f(lo) < 0 else float("nan")
        if out["t_liq"] is not None and out["t_liq"] > e["time"]:
            r2 = at(ds, out["t_liq"] - 60.0)
            out["T15_release"] = v(r2, "stage.T")
            out["cap_off_release"] = loop.capacity(T_off - 1.0, THROAT, T_15=out["T15_release"], E3=E3,
                                                   definition=EFF)[0]
            out["load_release"] = applied + v(r2, "dewar.heat_station")
        return out

    def stall_parasitic(ds):
        info = stall_info(ds, 0.0)
        if not info["stalled"]:
            raise SystemExit("the +100 mW case did not stall: see the scan table")
        return info["q_par"]

    q_par0 = stall_parasitic(D["stall"])
    plus = []
    for it in range(2):
        q_par = q_par0 if it == 0 else stall_parasitic(D[f"plus_{it - 1}"])
        ha = round(cap15 + EXCESS - q_par, 6)
        plus.append(ha)
        sp = {f"plus_{it}": {"scenario": rel(COOL), "stop": VARIANT_STOP,
                             "overrides": {"jt.heat_applied": f"{ha} W"}, "when": [stall_event, full_event()]}}
        if it == 1:
            for G in SWITCH_G:
                sp[f"plus_G{G:g}"] = {"scenario": rel(COOL), "stop": VARIANT_STOP,
                                      "overrides": {"jt.heat_applied": f"{ha} W", "jt.switch_conductance": f"{G:g} W/K"},
                                      "when": [stall_event, full_event()]}
            for To in SWITCH_T_OFF:
                sp[f"plus_T{To:g}"] = {"scenario": rel(COOL), "stop": VARIANT_STOP,
                                       "overrides": {"jt.heat_applied": f"{ha} W", "jt.switch_T_off": f"{To:g} K"},
                                       "when": [stall_event, full_event()]}
        for n, p in cache.run_all(sp).items():
            D[n] = open_ds(p)
            paths[n] = p
    ha_plus = plus[-1]
    t_analysis = time.perf_counter() - t_start

    # -- timed runs (fresh) ---------------------------------------------------------------------------
    print("timed runs ...", flush=True)
    tdir = CACHE_ROOT / "timed"
    tdir.mkdir(parents=True, exist_ok=True)
    timed = {k: {"process": [], "cpu": [], "loop": [], "attrs": None, "stderr": ""} for k in CONFIGS}

    def argv(k):
        return [CLI, "run", rel(COOL), "-q", "-o", str(tdir / f"{k}.nc"), *CONFIGS[k][1]]

    waited = 0.0                                       # let this script's own analysis runs' load decay
    while os.getloadavg()[0] > 1.0 and waited < 60.0:
        time.sleep(5.0)
        waited += 5.0
    load_timed = os.getloadavg()
    timed_process(argv("adaptive"))                    # warm-up (file cache), untimed
    same = True
    first_T = {}
    for r in range(args.runs):
        for k in CONFIGS:
            out = tdir / f"{k}.nc"
            if out.exists():
                out.unlink()
            wall, cpu, err = timed_process(argv(k))
            ds = open_ds(out)
            if ds.attrs["status"] != "completed":
                raise SystemExit(f"timed run {k}: {ds.attrs['status']}")
            timed[k]["process"].append(wall)
            timed[k]["cpu"].append(cpu)
            timed[k]["loop"].append(float(ds.attrs["wall_time_s"]))
            timed[k]["attrs"] = dict(ds.attrs)
            timed[k]["stderr"] = err
            timed[k]["ds"] = ds
            if r == 0:
                first_T[k] = ds["jt.T"].values.copy()
            elif not np.array_equal(first_T[k], ds["jt.T"].values):
                same = False
            print(f"  {k} round {r + 1}: process {wall:.1f} s, loop {ds.attrs['wall_time_s']:.1f} s", flush=True)
    startup = {"python -c pass": [], 'python -c "import CoolProp.CoolProp"': [],
               f"cryocosim validate {rel(COOL)}": []}
    cmds = {"python -c pass": [sys.executable, "-c", "pass"],
            'python -c "import CoolProp.CoolProp"': [sys.executable, "-c", "import CoolProp.CoolProp"],
            f"cryocosim validate {rel(COOL)}": [CLI, "validate", rel(COOL)]}
    for _ in range(args.runs):
        for k, c in cmds.items():
            startup[k].append(timed_process(c)[0])

    # -- profile ---------------------------------------------------------------------------------------
    print("profile ...", flush=True)
    pjson = tdir / "profile.json"
    proc = subprocess.run([sys.executable, __file__, "--profile-worker", str(pjson)], capture_output=True,
                          text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"profile failed: {proc.stderr.strip()[-2000:]}")
    prof = json.loads(pjson.read_text())

    # ==============================================================================================
    # analysis
    # ==============================================================================================
    print("analysis ...", flush=True)
    C = D["cool"]
    tC = C["time"].values
    ev_C = {e["name"]: e for e in events(C)}
    t20 = ev_C["4 K station below 20 K"]["time"]
    thr20 = next(c.threshold for c in sysC.conditions if c.name == "4 K station below 20 K")
    t_liq = ev_C["liquid helium in the 4 K station"]["time"]
    t_full = ev_C["pot full"]["time"]
    end = C.isel(time=-1)
    hour_before = at(C, float(end.time) - HOUR)
    T_end = {s: v(end, f"{s}.T") for s in ("shield", "stage", "jt")}

    def settle_time(ds, var, tol):
        x = ds[var].values
        bad = np.flatnonzero(np.abs(x - x[-1]) > tol)
        return float(ds["time"].values[bad[-1] + 1]) if bad.size else 0.0

    t_settle_sh = settle_time(C, "shield.T", SETTLE[0])
    t_settle_st = settle_time(C, "stage.T", SETTLE[1])

    # -- figure: the cool-down --------------------------------------------------------------------
    ev_lines = [(t20, "4 K station below 20 K", "C3", "--"), (t_liq, "liquid appears", "C2", ":"),
                (t_full, "pot full", "C4", "-.")]
    zoom = (t20 - 20 * 60.0, t_full + 20 * 60.0)
    fig, axs = plt.subplots(5, 2, figsize=(12, 13), sharex="col", gridspec_kw={"width_ratios": [2, 1]})
    for col, (lo, hi) in enumerate(((0.0, float(tC[-1])), zoom)):
        sl = C.sel(time=slice(lo, hi))
        th = sl["time"].values / HOUR
        ax = axs[0, col]
        for var, lab in (("shield.T", "77 K shield"), ("stage.T", "15 K stage"), ("jt.T", "4 K station"),
                         ("jt.T_jt_in", "J-T inlet (point 5)")):
            ax.plot(th, sl[var], label=lab)
        ax.set_yscale("log")
        ax.set_ylabel("T [K]")
        axs[1, col].plot(th, sl["jt.mdot"] * 1e3, color="C0")
        axs[1, col].set_ylabel("J-T flow [g/s]")
        axs[2, col].plot(th, sl["jt.liquid_mass"] * 1e3, color="C0")
        axs[2, col].set_ylabel("liquid [g]")
        ax = axs[3, col]
        ax.plot(th, sl["jt.capacity"], label="J-T capacity at the station")
        ax.plot(th, sl["dewar.heat_station"] + a_jt.heat_applied, label="load (dewar)")
        ax.plot(th[1:] if col == 0 else th, (sl["jt.heat_removed"][1:] if col == 0 else sl["jt.heat_removed"]),
                label="taken by the J-T stream")
        ax.set_ylabel("4 K station [W]")
        ax = axs[4, col]
        for var, lab in (("gm.capacity_1", "GM stage 1 capacity"), ("gm.capacity_2", "GM stage 2 capacity"),
                         ("dewar.heat_shield", "dewar on the shield"), ("jt.heat_77", "J-T supply on the shield"),
                         ("jt.heat_15", "J-T supply + switch on the stage"), ("jt.heat_switch", "switch")):
            ax.plot(th, sl[var], label=lab)
        ax.set_ylabel("heat [W]")
        axs[4, col].set_xlabel("time [h]")
        for ax in axs[:, col]:
            ax.grid(alpha=0.3)
            for t, lab, c, ls in ev_lines:
                if lo <= t <= hi:
                    ax.axvline(t / HOUR, color=c, ls=ls, lw=1, label=f"event: {lab}" if ax is axs[0, col] else None)
    axs[0, 0].legend(fontsize=7, ncol=2)
    axs[3, 0].legend(fontsize=7)
    axs[4, 0].legend(fontsize=7, ncol=2)
    axs[0, 1].set_title("zoom: the 4 K station through 20 K to a full pot", fontsize=9)
    save_figure(fig, FIG / "4k_cooldown.png", f"scenarios/4k_cooldown.toml: {tC[-1] / HOUR:.0f} h from {a_sh.T_start:g} K (adaptive, iterated)")

    # -- steady state by hand: the stations' balances solved with the models' functions ---------------
    dew = A["dewar"]
    dew.setup()
    gm_kw = dict(V1=a_gm.V1, V2=a_gm.V2, frequency=a_gm.frequency, p_supply=a_gm.p_supply, dp=a_gm.dp,
                 eps_warm=a_gm.eps_warm, T_regenerator=a_gm.T_regenerator,
                 regenerator_exponent=a_gm.regenerator_exponent, T_ambient=a_gm.T_ambient)
    loop_kw = dict(throat_area=THROAT, T_supply=a_jt.T_supply, E1=a_jt.E1, E2=a_jt.E2, E3=E3, definition=EFF)
    sat = loop.sat

    def dewar_loads(T1, T2, T4, k_rad=1.0):
        dew.T_shield, dew.T_stage, dew.T_station = T1, T2, T4
        dew.do_step(0.0, 1.0)
        r77, r4 = dew.radiation_shield, dew.radiation_station
        return {"shield": dew.heat_shield - (1.0 - k_rad) * (r77 - r4), "stage": dew.heat_stage,
                "station": dew.heat_station - (1.0 - k_rad) * r4, "rad77": r77 * k_rad, "rad4": r4 * k_rad,
                "gas77": dew.gas_shield, "cond77": dew.conduction_shield,
                "gas4": dew.gas_station, "cond4": dew.conduction_station}

    def wet_loop(T1, T2, q4):
        s = loop.solve(T_77=T1, T_15=T2, **loop_kw)
        for _ in range(6):                     # overflowing pot: h7 = h5 + q / mdot
            s = loop.solve(T_77=T1, T_15=T2, h_load_out=s.h[5] + q4 / s.mdot, **loop_kw)
        return s

    def balance(x, k_rad=1.0, dewar_fixed=None):
        T1, T2 = x
        dl = dewar_loads(T1, T2, sat.T, k_rad)
        q_sh = dl["shield"] if dewar_fixed is None else dewar_fixed
        s = wet_loop(T1, T2, dl["station"] + a_jt.heat_applied)
        r = gm.stage_loads(T1, T2, **gm_kw)
        return [r["Q1"] - q_sh - s.heat_77, r["Q2"] - dl["stage"] - s.heat_15]

    T_hand = fsolve(balance, [T_end["shield"], T_end["stage"]], xtol=1e-13)
    sigma_ratio = SIGMA / NOTE["sigma_note"]
    T_note_rad = fsolve(lambda x: balance(x, 1.0 / sigma_ratio), [77.0, 14.5], xtol=1e-13)
    T_tab8 = fsolve(lambda x: balance(x, dewar_fixed=NOTE["dewar_77"]), [75.0, 14.5], xtol=1e-13)
    dl_end = dewar_loads(T_end["shield"], T_end["stage"], T_end["jt"])
    s_end = wet_loop(T_end["shield"], T_end["stage"], dl_end["station"] + a_jt.heat_applied)
    dl_note = dewar_loads(T_note_rad[0], T_note_rad[1], sat.T, 1.0 / sigma_ratio)
    # at 77 K (stage as it is): what the first GM stage has against what it carries
    g77 = gm.stage_loads(77.0, T_end["stage"], **gm_kw)
    dl77 = dewar_loads(77.0, T_end["stage"], sat.T)
    s77 = wet_loop(77.0, T_end["stage"], dl77["station"])
    g_end = gm.stage_loads(T_end["shield"], T_end["stage"], **gm_kw)
    excess77 = dl77["shield"] + s77.heat_77 - g77["Q1"]
    gm_cal = gm.stage_loads(gm.CALIBRATION[0], gm.CALIBRATION[1], **gm_kw)
    # slopes at the steady state (per kelvin of the shield, stage held)
    dT = 0.5
    g_p = gm.stage_loads(T_end["shield"] + dT, T_end["stage"], **gm_kw)["Q1"]
    g_m = gm.stage_loads(T_end["shield"] - dT, T_end["stage"], **gm_kw)["Q1"]
    dQ1 = (g_p - g_m) / (2 * dT)
    dl_p = dewar_loads(T_end["shield"] + dT, T_end["stage"], sat.T)["shield"]
    dl_m = dewar_loads(T_end["shield"] - dT, T_end["stage"], sat.T)["shield"]
    ddew = (dl_p - dl_m) / (2 * dT)
    q4_end = dl_end["station"] + a_jt.heat_applied
    djt = (wet_loop(T_end["shield"] + dT, T_end["stage"], q4_end).heat_77
           - wet_loop(T_end["shield"] - dT, T_end["stage"], q4_end).heat_77) / (2 * dT)
    dT_lin = excess77 / (dQ1 - ddew - djt)

    # energy balances at the end of the cool-down
    bal = {}
    for st_, k, jtk in (("shield", "1", "77"), ("stage", "2", "15")):
        out_ = v(end, f"gm.capacity_{k}")
        in_ = v(end, f"dewar.heat_{st_}") + v(end, f"jt.heat_{jtk}")
        mc = v(end, f"{st_}.heat_capacity")
        dTdt = (v(end, f"{st_}.T") - v(hour_before, f"{st_}.T")) / HOUR
        dE = (v(end, f"{st_}.energy") - v(hour_before, f"{st_}.energy")) / HOUR
        bal[st_] = {"out": out_, "in": in_, "res": in_ - out_, "mc_dTdt": mc * dTdt, "dE": dE}
    q4 = v(end, "dewar.heat_station") + a_jt.heat_applied
    cap_end = v(end, "jt.capacity")
    overflow = (cap_end - q4) / sat1["h_fg"]
    he_bal = (v(end, "jt.mass_in") - v(end, "jt.mass_out")
              - (1 - sat1["rho_v"] / sat1["rho_l"]) * v(end, "jt.liquid_mass"))

    # -- stall ----------------------------------------------------------------------------------------
    S = D["stall"]
    st_s = stall_info(S, stall_applied)
    cap_min_s = min(loop.capacity(T, THROAT, T_15=st_s["T15"], E3=E3, definition=EFF)[0]
                    for T in np.linspace(sat.T, TOFF0 - 1.0, 300))
    ev_S = {e["name"]: e for e in events(S)}
    t_s_liq = event(S, "liquid helium")["time"]
    t_s_full = ev_S["pot full"]["time"]
    scan = {q: stall_info(D[f"scan_{q:g}"], q) for q in SCAN_LOADS}
    st_p = stall_info(D["plus_1"], ha_plus)
    st_p0 = stall_info(D["plus_0"], plus[0])
    var_G = {G: stall_info(D[f"plus_G{G:g}"], ha_plus, G=G) for G in SWITCH_G}
    var_T = {To: stall_info(D[f"plus_T{To:g}"], ha_plus, T_off=To) for To in SWITCH_T_OFF}
    # the note's 26.8 K in our model: the conductance that would hold the +100 mW load at 26.8 K
    # (J-T capacity there plus the switch = load, switch fully on), stage as at our stall
    cap_268 = loop.capacity(NOTE["stall_T"], THROAT, T_15=st_p["T15"], E3=E3, definition=EFF)[0]
    G_268 = (st_p["load"] - cap_268) / (NOTE["stall_T"] - st_p["T15"])
    cap_268_15 = loop.capacity(NOTE["stall_T"], THROAT, T_15=15.0, E3=E3, definition=EFF)[0]
    ratio_268 = cap_268_15 / cap15
    # the note's 1 W machine: its start-up 600 mW scaled by our capacity ratio at 26.8 K / 15 K,
    # the switch it would need (its stage at 15 K)
    G_note_machine = (NOTE["stall_startup"] + NOTE["stall_excess"] - NOTE["stall_startup"] * ratio_268) / (
        NOTE["stall_T"] - NOTE["T15"])
    # the slope the switch must beat for a stable stall above T_off
    dcap = (loop.capacity(NOTE["stall_T"] + 0.5, THROAT, T_15=st_p["T15"], E3=E3, definition=EFF)[0]
            - loop.capacity(NOTE["stall_T"] - 0.5, THROAT, T_15=st_p["T15"], E3=E3, definition=EFF)[0])

    # stall figure
    fig, axs = plt.subplots(1, 2, figsize=(12, 4.6))
    ax = axs[0]
    for i, q in enumerate(SCAN_LOADS):
        ds = D[f"scan_{q:g}"]
        ax.plot(ds["time"] / HOUR, ds["jt.T"], lw=1, label=f"{q:g} W applied")
    ax.plot(D["plus_1"]["time"] / HOUR, D["plus_1"]["jt.T"], "k--", lw=1.2,
            label=f"{ha_plus:.3f} W (start-up + {EXCESS * 1e3:.0f} mW)")
    ax.set_xlim(2.0, 8.0)
    ax.set_ylim(0, 35)
    ax.axhspan(TOFF0 - 1.0, TOFF0, color="0.85", label="switch ramp (scenario)")
    ax.set_xlabel("time [h]")
    ax.set_ylabel("4 K station T [K]")
    ax.set_title("4k_cooldown with a load on the 4 K station from the start", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    ax = axs[1]
    TT = np.linspace(sat.T + 0.05, 40.0, 400)
    T15s = st_s["T15"]
    capc = np.array([loop.capacity(T, THROAT, T_15=T15s, E3=E3, definition=EFF)[0] for T in TT])
    ax.plot(TT, capc, label=f"J-T capacity (stage at {T15s:.2f} K)")
    ax.plot(TT, capc + [switch_heat(T, T15s, G0, TOFF0) for T in TT],
            label=f"capacity + switch ({G0:g} W/K from {TOFF0:g} K)")
    for To in SWITCH_T_OFF:
        ax.plot(TT, capc + [switch_heat(T, T15s, G0, To) for T in TT], ":", lw=1,
                label=f"capacity + switch from {To:g} K")
    ax.axhline(st_s["load"], color="C3", lw=1, label=f"load of 4k_stall: {st_s['load']:.3f} W")
    ax.axhline(st_p["load"], color="k", ls="--", lw=1, label=f"start-up + {EXCESS * 1e3:.0f} mW: {st_p['load']:.3f} W")
    ax.plot([st_s["T"]], [st_s["load"]], "o", color="C3")
    ax.plot([st_p["T"]], [st_p["load"]], "ko")
    for To in SWITCH_T_OFF:
        if var_T[To]["stalled"]:
            ax.plot([var_T[To]["T"]], [var_T[To]["load"]], "ks", ms=4)
    ax.plot([NOTE["stall_T"]], [st_p["load"]], "r*", ms=9, label=f"the note's stall, {NOTE['stall_T']:g} K")
    ax.set_ylim(0, 4)
    ax.set_xlabel("4 K station T [K]")
    ax.set_ylabel("W")
    ax.set_title("where the station stalls: heat carried = load (markers: simulated stalls)", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save_figure(fig, FIG / "4k_stall.png")

    # -- boil-off ---------------------------------------------------------------------------------------
    B = D["boiloff"]
    ev_B = {e["name"]: e for e in events(B)}
    t_on = ev_B[boil_ev.name]["time"]
    t_empty = ev_B["pot empty"]["time"]
    t_10 = ev_B["4 K station above 10 K"]["time"]
    t_19 = ev_B["4 K station warm"]["time"]
    before = at(B, t_on - 60.0)
    m0 = v(before, "jt.liquid_mass")
    during = B.sel(time=slice(t_on + 1.0, t_empty - 1.0))
    Q_boil = boil_load + float(during["dewar.heat_station"].mean())
    cap_during = float(during["jt.capacity"].mean())
    cap_before = v(before, "jt.capacity")
    t_hand = m0 * sat1["h_fg"] / (Q_boil - cap_during)
    t_hand_before = m0 * sat1["h_fg"] / (boil_load + v(before, "dewar.heat_station") - cap_before)
    Bend = B.isel(time=-1)
    Bh = at(B, float(Bend.time) - HOUR)
    T15b = v(Bend, "stage.T")
    Lb = boil_load + v(Bend, "dewar.heat_station")
    Tb_hand = brentq(lambda T: loop.capacity(T, THROAT, T_15=T15b, E3=E3, definition=EFF)[0]
                     + switch_heat(T, T15b, G0, TOFF0) - Lb, TOFF0 - 1.0 + 1e-9, TOFF0 + Lb / G0, xtol=1e-10)
    cap_15_b = loop.capacity(NOTE["warm_T"], THROAT, T_15=T15b, E3=E3, definition=EFF)[0]
    sw_needed_15 = Lb - cap_15_b
    stage_stall_b = T15b
    fig, axs = plt.subplots(3, 1, figsize=(7.5, 8), sharex=True)
    sl = B.sel(time=slice(t_on - 0.5 * HOUR, None))
    th = sl["time"] / HOUR
    axs[0].plot(th, sl["jt.T"], label="4 K station")
    axs[0].plot(th, sl["stage.T"], label="15 K stage")
    axs[0].axhspan(TOFF0 - 1.0, TOFF0, color="0.85", label="switch ramp")
    axs[0].set_ylabel("T [K]")
    axs[1].plot(th, sl["jt.liquid_mass"] * 1e3)
    axs[1].set_ylabel("liquid [g]")
    axs[2].plot(th, sl["jt.capacity"], label="J-T capacity")
    axs[2].plot(th, sl["jt.heat_switch"], label="switch")
    axs[2].plot(th, sl["dewar.heat_station"].values + np.where(sl["time"].values >= t_on, boil_load, 0.0),
                label="load (applied + dewar)")
    axs[2].set_ylabel("W")
    axs[2].set_xlabel("time [h]")
    for ax in axs:
        for t, lab, c in ((t_on, "overload on", "C3"), (t_empty, "pot empty", "C4"), (t_19, f"above {BOIL_WARM:g} K", "C2")):
            ax.axvline(t / HOUR, color=c, ls="--", lw=1, label=lab if ax is axs[1] else None)
        ax.grid(alpha=0.3)
    axs[0].legend(fontsize=8)
    axs[1].legend(fontsize=8)
    axs[2].legend(fontsize=8)
    save_figure(fig, FIG / "4k_boiloff.png", f"scenarios/4k_boiloff.toml: {boil_load:g} W on the 4 K station at {t_on / HOUR:g} h")

    # -- exhaust pressure ----------------------------------------------------------------------------------
    pex = {}
    for p in P_EXHAUST:
        ds = D[f"pex_{p:g}"]
        e_ = ds.isel(time=-1)
        h_ = at(ds, float(e_.time) - HOUR)
        sp = sat_coolprop(p * ATM)
        Lp = jt.jt_loop_model(a_jt.p_supply, p * ATM)
        T15p = v(e_, "stage.T")
        full = event(ds, "pot full")
        pex[p] = {"T": v(e_, "jt.T"), "T_sat": sp["T"], "liq": v(e_, "jt.liquid_mass"),
                  "m_pot": sp["rho_l"] * a_jt.pot_volume, "t_full": full["time"] if full else None,
                  "cap": v(e_, "jt.capacity"), "mdot": v(e_, "jt.mdot"), "shield": v(e_, "shield.T"),
                  "stage": T15p, "load": v(e_, "dewar.heat_station") + a_jt.heat_applied,
                  "cap_hand": Lp.capacity(Lp.sat.T, THROAT, T_15=T15p, E3=E3, definition=EFF)[0],
                  "cap_7715": Lp.capacity(Lp.sat.T, THROAT, T_15=15.0, E3=E3, definition=EFF)[0],
                  "drift": max(abs(v(e_, f"{s}.T") - v(h_, f"{s}.T")) for s in ("shield", "stage", "jt")),
                  "h_fg": sp["h_fg"]}
    sat_hi = sat_coolprop(NOTE["sat_hi"][0] * ATM)["T"]
    sat_lo = sat_coolprop(NOTE["sat_lo"][0] * ATM)["T"]
    # the 1 atm run of 12 h against the 24 h cool-down
    d_12_24 = max(abs(pex[1.0][k] - T_end[s]) for k, s in (("shield", "shield"), ("stage", "stage"), ("T", "jt")))
    fig, axs = plt.subplots(1, 3, figsize=(13, 4))
    pp = np.linspace(0.1, 2.2, 80)
    P = np.array(P_EXHAUST)
    axs[0].plot(pp, [sat_coolprop(x * ATM)["T"] for x in pp], label="T_sat (CoolProp)")
    axs[0].plot(P, [pex[p]["T"] for p in P_EXHAUST], "o", label="4 K station, coupled run")
    axs[0].plot([NOTE["sat_lo"][0], NOTE["sat_hi"][0]], [NOTE["sat_lo"][1], NOTE["sat_hi"][1]], "r*", ms=9,
                label="the note: 2.5 K / 5.2 K")
    axs[0].set_ylabel("T [K]")
    axs[1].plot(P, [pex[p]["cap"] for p in P_EXHAUST], "o-", label="coupled run (stations where they settle)")
    axs[1].plot(P, [pex[p]["cap_7715"] for p in P_EXHAUST], "s--", label="stage held at 15 K (jt_validation)")
    axs[1].plot(P, [pex[p]["load"] for p in P_EXHAUST], "k:", label="load (dewar)")
    axs[1].set_ylabel("capacity at the 4 K station [W]")
    axs[2].plot(P, [pex[p]["shield"] for p in P_EXHAUST], "o-", label="77 K shield")
    ax2 = axs[2].twinx()
    ax2.plot(P, [pex[p]["stage"] for p in P_EXHAUST], "s-", color="C1", label="15 K stage")
    axs[2].set_ylabel("shield T [K]")
    ax2.set_ylabel("stage T [K]")
    axs[2].legend(loc="upper left", fontsize=8)
    ax2.legend(loc="upper right", fontsize=8)
    for ax in axs:
        ax.set_xlabel("exhaust pressure [atm]")
        ax.grid(alpha=0.3)
    axs[0].legend(fontsize=8)
    axs[1].legend(fontsize=8)
    save_figure(fig, FIG / "4k_exhaust.png", f"whole-system cool-downs at five exhaust pressures (state at {PEX_STOP / HOUR:g} h)")

    # -- accuracy of the timed configurations against the reference --------------------------------------
    R = {h: D[f"ref_{h:g}"] for h in REF_STEPS}
    h_ref, h_chk = min(REF_STEPS), max(REF_STEPS)
    TV = ("shield.T", "stage.T", "jt.T")
    ev_names = ("4 K station below 20 K", "liquid helium in the 4 K station")

    def ev_time(ds, name):
        e = event(ds, name)
        return e["time"] if e else float("nan")

    ref_ev = {n: ev_time(R[h_ref], n) for n in ev_names}
    chk_ev = {n: ev_time(R[h_chk], n) for n in ev_names}
    extrap_ev = {n: 2 * ref_ev[n] - chk_ev[n] for n in ev_names}

    def compare(ds, ref):
        tr = ref["time"].values
        sub = ds.sel(time=slice(0.0, float(tr[-1])))
        if not np.array_equal(sub["time"].values, tr):
            raise SystemExit("output times differ from the reference's")
        out = {}
        for var in TV:
            d = np.abs(sub[var].values - ref[var].values)
            k = int(np.argmax(d))
            out[var] = (float(d[k]), float(tr[k]))
        return out

    richardson = compare(R[h_chk], R[h_ref])
    acc = {k: compare(timed[k]["ds"], R[h_ref]) for k in CONFIGS}
    acc_ev = {k: {n: ev_time(timed[k]["ds"], n) - ref_ev[n] for n in ev_names} for k in CONFIGS}
    final = {k: {var: float(timed[k]["ds"][var].values[-1]) for var in TV} for k in CONFIGS}
    stepinfo = {}
    for k in CONFIGS:
        ds = timed[k]["ds"]
        a = timed[k]["attrs"]
        info = {"actor_steps": int(a["actor_steps"])}
        if "master.step_size" in ds:
            hs = ds["master.step_size"].values[1:]
            it = ds["master.iterations"].values[1:]
            info.update(h_min=float(hs.min()), h_med=float(np.median(hs)), h_max=float(hs.max()),
                        it_mean=float(it.mean()), it_max=float(it.max()), accepted=int(a["accepted_steps"]),
                        rejected=int(a["rejected_steps"]), jacobians=int(a["jacobians"]),
                        explicit=int(a["explicit_steps"]), forced=int(a["steps_above_tolerance_at_min_step"]),
                        rejected_by=json.loads(a.get("rejected_by", "{}")))
        info["warnings"] = json.loads(a.get("warnings", "[]"))
        stepinfo[k] = info
    # speed figure
    fig, axs = plt.subplots(2, 1, figsize=(8, 6.5))
    ad = timed["adaptive"]["ds"]
    axs[0].semilogy(ad["time"] / HOUR, ad["master.step_size"], lw=1)
    axs[0].set_ylabel("communication step [s]\n(last accepted before each record)")
    axs[0].set_title("adaptive iterated run of the scenario", fontsize=9)
    tr = R[h_ref]["time"].values
    for k in CONFIGS:
        sub = timed[k]["ds"].sel(time=slice(0.0, float(tr[-1])))
        axs[1].semilogy(tr / HOUR, np.abs(sub["jt.T"].values - R[h_ref]["jt.T"].values) + 1e-9, lw=1, label=label(k))
    axs[1].semilogy(tr / HOUR, np.abs(R[h_chk]["jt.T"].values - R[h_ref]["jt.T"].values) + 1e-9, "k:", lw=1,
                    label=f"fixed {h_chk:g} s explicit (Richardson estimate of the reference's error)")
    axs[1].set_ylim(1e-6, 100)
    axs[1].set_ylabel(f"|4 K station T - fixed {h_ref:g} s| [K]")
    axs[1].set_xlabel("time [h]")
    axs[0].set_xlabel("time [h]")
    axs[1].set_xlim(0.0, REF_STOP / HOUR)
    axs[1].set_title(f"error against the fixed {h_ref:g} s explicit reference, first {REF_STOP / HOUR:g} h", fontsize=9)
    axs[1].legend(fontsize=7)
    for ax in axs:
        ax.grid(alpha=0.3)
    save_figure(fig, FIG / "4k_speed.png")

    # profile summary
    pa = prof["actors"]
    models_s = sum(a["s"] for a in pa.values())
    steps_total = sum(a["calls"] for a in pa.values())
    wrap_cost = steps_total * prof["timer_cost"]
    cp_setup = sum(prof["coolprop"]["set-up"].values())
    cp_steps = sum(prof["coolprop"]["steps"].values())
    groups = prof["groups"]
    g_total = sum(groups.values())
    gad = stepinfo["adaptive"]
    proc_ad = timed["adaptive"]["process"]
    loop_ad = timed["adaptive"]["loop"]
    st_cp = startup['python -c "import CoolProp.CoolProp"']
    st_val = startup[f"cryocosim validate {rel(COOL)}"]

    # ==============================================================================================
    # the page
    # ==============================================================================================
    md: list[str] = []
    w = md.append
    f2 = lambda x: f"{x:.2f}"  # noqa: E731
    w("<!-- written by docs/scripts/fourk_validation.py; do not edit: run the script -->")
    w("# The 4 K refrigerator as a coupled system: validation and benchmark")
    w("")
    w("*Written by `docs/scripts/fourk_validation.py`; every number on this page is computed by that script "
      "(the note's own figures are quoted from its text). Do not edit this page by hand: run the script.*")
    w("")
    w("The system: the two-stage Gifford–McMahon cryostat, its 77 K shield and 15 K stage, the Joule–Thomson "
      "stage with its 4 K station and liquid pot, and the maser dewar of J. R. Fisher, *Typical heat loads in a "
      "cryogenic receiver dewar and a discussion of the refrigerator principles of operation*, NRAO Electronics "
      "Division Technical Note 203 (1979; seed 002), coupled as `scenarios/4k_cooldown.toml`, `4k_stall.toml` "
      "and `4k_boiloff.toml` couple them. The models have their own pages (`docs/jt_validation.md`, "
      "`docs/dewar_validation.md`); this one checks the coupled system against CoolProp called directly, hand "
      "calculations and the note, and measures its speed.")
    w("")

    # ---- summary
    w("## Summary")
    w("")
    w(f"* **Cool-down** ({STOP_H} from {a_sh.T_start:g} K): the 4 K station passes {thr20:g} K at {t20 / HOUR:.2f} h, holds liquid "
      f"{t_liq - t20:.0f} s later and the {a_jt.pot_volume * 1e3:g} L pot is full at {t_full / HOUR:.2f} h. "
      f"Steady state: shield {T_end['shield']:.2f} K, stage {T_end['stage']:.2f} K, 4 K station "
      f"{T_end['jt']:.4f} K (CoolProp's T_sat at the exhaust: {sat1['T']:.4f} K), "
      f"{cap_end:.2f} W of J-T capacity against a {q4:.3f} W load. The shield sits "
      f"{T_end['shield'] - NOTE['T77']:.1f} K above 77 K because the dewar puts {dl_end['shield']:.2f} W on it, "
      f"not the note's {NOTE['dewar_77']:g} W (its radiation constant is {sigma_ratio:.2f}× too small); with the "
      f"note's constant the same system would settle at {T_note_rad[0]:.1f} K.")
    w(f"* **Stall** (`4k_stall.toml`): {stall_applied:g} W applied ({st_s['load']:.3f} W with the dewar) stalls "
      f"the station at {st_s['T']:.2f} K ({st_s['t'] / HOUR:.2f} h), inside the hydrogen switch's "
      f"{TOFF0 - 1:g}–{TOFF0:g} K turn-on ramp; with the load cut to {stall_after:g} W the pot holds liquid "
      f"{t_s_liq - st_s['t']:.0f} s later and is full {(t_s_full - st_s['t']) / 60:.0f} min later. A load "
      f"{EXCESS * 1e3:.0f} mW above the start-up capacity ({cap15:.3f} W at 15 K) stalls at {st_p['T']:.2f} K, "
      f"not the note's {NOTE['stall_T']:g} K: our switch pins the station just above its off temperature "
      + (f"(and the station runs away to liquid {(st_p['t_liq'] - st_p['t']) / HOUR:.1f} h later as the GM stage "
         f"cools)." if st_p["t_liq"] is not None else "(it stays there).") )
    w(f"* **Boil-off** (`4k_boiloff.toml`): the pot empties {t_empty - t_on:.1f} s after the {boil_load:g} W "
      f"load (by hand, m·h_fg/(Q − capacity): {t_hand:.1f} s); the station then settles at "
      f"{v(Bend, 'jt.T'):.2f} K, not at the note's {NOTE['warm_T']:g} K, again on the switch's ramp.")
    w(f"* **Exhaust pressure** {P_EXHAUST[0]:g}–{P_EXHAUST[-1]:g} atm: the station holds liquid at CoolProp's "
      f"T_sat, from {pex[P_EXHAUST[0]]['T']:.3f} to {pex[P_EXHAUST[-1]]['T']:.3f} K (largest difference: "
      f"{dstr(max(abs(x['T'] - x['T_sat']) for x in pex.values()), ' K')}); the capacity is "
      f"{min(pex[p]['cap'] for p in P_EXHAUST[:-1]):.2f}–{max(pex[p]['cap'] for p in P_EXHAUST[:-1]):.2f} W up to "
      f"{P_EXHAUST[-2]:g} atm and falls to {pex[P_EXHAUST[-1]]['cap']:.2f} W at {P_EXHAUST[-1]:g} atm.")
    verdict60 = "met" if min(proc_ad) < TARGET_S and statistics.median(proc_ad) < TARGET_S else "not met"
    verdict10 = "met" if statistics.median(proc_ad) < AIM_S else ("met (minimum only)" if min(proc_ad) < AIM_S else "not met")
    w(f"* **Speed**: the {STOP_H} cool-down as a whole `cryocosim run` process takes {mm(proc_ad)} s (minimum / "
      f"median of {args.runs}) — target < {TARGET_S:g} s **{verdict60}**, aim {AIM_S:g} s **{verdict10}**. The "
      f"stepping loop is {mm(loop_ad)} s of it; {models_s / prof['loop']:.0%} of the loop is the models' "
      f"`do_step`, {pa['dewar']['s'] / prof['loop']:.0%} the dewar's waveguide conduction alone; "
      f"no CoolProp call is made during the steps ({cp_steps} counted; {cp_setup:,} at set-up).")
    w("")

    # ---- 1. the system
    w("## 1. The system")
    w("")
    w(f"{len(A)} actors, {len(sysC.bus.links)} connections, every actor at a nominal step of "
      f"{sysC.steps['gm']:g} s; `[run]`: {setC.stop_time / HOUR:g} h, {setC.ordering} ordering, output "
      f"every {setC.output_interval:g} s, adaptive communication steps with iterated coupling (tolerance "
      f"{setC.step['tolerance']:g}, nominal magnitudes "
      + ", ".join(f"{x:g} {u}" for u, x in setC.step["nominal"].items())
      + f", steps up to {setC.step['max_step']:g} s).")
    w("")
    rows = [["gm", f"`{type(a_gm).__name__}`", "two-stage GM cryostat: Q1(T1, T2), Q2(T1, T2)",
             f"f·V1 = {a_gm.frequency * a_gm.V1 * 1e6:.2f} cm³/s, f·V2 = {a_gm.frequency * a_gm.V2 * 1e6:.2f} cm³/s, "
             f"Δp = {a_gm.dp / 6894.757:.0f} psi",
             f"calibrated on the note: Q1 = {gm.CALIBRATION[2]:.3f} W, Q2 = {gm.CALIBRATION[3]:g} W at "
             f"{gm.CALIBRATION[0]:g} K / {gm.CALIBRATION[1]:g} K (model: {gm_cal['Q1']:.3f} W, {gm_cal['Q2']:.3f} W)"]]
    for a_, role in ((a_sh, "77 K shield (first GM stage)"), (a_st, "15 K stage (second GM stage)")):
        rows.append([a_.name, f"`{type(a_).__name__}`", role, f"{a_.mass:g} kg {a_.material}, from {a_.T_start:g} K",
                     "**assumed** (not in the note)"])
    rows.append(["jt", f"`{type(a_jt).__name__}`", "J-T loop (X1–X3, valve) and the 4 K station with its pot",
                 f"{a_jt.p_supply / ATM:g} atm / {a_jt.p_exhaust / ATM:g} atm, E1 = E2 = E3 = {E3:g} ({EFF}), throat "
                 f"{THROAT * 1e6:.5f} mm² ({THROAT / jt.throat_area_for(jt.MDOT_NOTE) * jt.MDOT_NOTE * 1e3:.3f} g/s at "
                 f"4.2 K); station {a_jt.station_mass:g} kg copper, pot {a_jt.pot_volume * 1e3:g} L; switch "
                 f"{G0:g} W/K above {TOFF0:g} K; heat_applied {a_jt.heat_applied:g} W",
                 "pressures, E, valve and the switch's \"about 20 K\" from the note; station mass, pot and the "
                 "switch's conductance **assumed**"])
    rows.append(["dewar", f"`{type(a_dw).__name__}`", "radiation, gas and waveguide loads on the three stations",
                 "the note's maser dewar (defaults)", f"the note's Table 8 geometry, σ = {SIGMA:.4g} W/(m² K⁴)"])
    md += table(["actor", "model", "role", "parameters (from the scenario)", "source"], rows)
    w("")
    links: dict[str, list[str]] = {}
    for l_ in sysC.bus.links:
        links.setdefault(f"{l_.src}.{l_.src_var}", []).append(f"{l_.dst}.{l_.dst_var}")
    w("Connections: " + "; ".join(f"`{s}` → " + ", ".join(f"`{d}`" for d in ds_) for s, ds_ in links.items())
      + ". Events of the scenario: " + "; ".join(f"\"{c.name}\" (`{c.expression}`)" for c in sysC.conditions)
      + ". The analysis runs below add events that only locate a time (\"pot full\": `"
      + full_event()["condition"] + f"`, {m_pot * 1e-6 * 1e6:.3f} mg below the pot's ρ_l·V); the scenario "
      "files are not changed.")
    w("")
    w("![cool-down](figures/4k_cooldown.png)")
    w("")
    w(f"Left: the {setC.stop_time / HOUR:g} h run; right: {(zoom[1] - zoom[0]) / 60:.0f} min around the 4 K "
      "station's drop through 20 K. Events are dashed. The 4 K station follows the 15 K stage through the "
      f"switch until the switch turns off below {TOFF0:g} K; the J-T flow, tiny while the J-T inlet is warm, "
      f"grows as it cools; below {TOFF0 - 1:g} K nothing but the J-T stream cools the station, whose copper holds "
      f"little heat, and it falls from {thr20:g} K to the boiling point in {t_liq - t20:.0f} s.")
    w("")

    # ---- 2. cool-down results
    T77_0 = sysC.models["jt"].variable_map()["T_77"].start
    T15_0 = sysC.models["jt"].variable_map()["T_15"].start
    cap0_hand, mdot0_hand, _ = loop.capacity(a_jt.T_start, THROAT, T_15=T15_0, E3=E3, definition=EFF)
    hr0, cap0 = float(C['jt.heat_removed'][0]), float(C['jt.capacity'][0])
    if abs(hr0 - cap0) > 1e-12 * max(1.0, abs(cap0)):
        w(f"**A finding (t = 0 only).** The first record of `jt.heat_removed` is {float(C['jt.heat_removed'][0]):.4f} W "
          f"while `jt.capacity` is {float(C['jt.capacity'][0]):.4f} W, and `jt.mdot_return` "
          f"{float(C['jt.mdot_return'][0]) * 1e3:.6f} g/s against `jt.mdot` {float(C['jt.mdot'][0]) * 1e3:.6f} g/s. "
          "`JTStage.setup()` sets these two step-mean locals from an evaluation at the inputs' start values "
          f"(T_77 = {T77_0:g} K, T_15 = {T15_0:g} K: `JTLoop.capacity({a_jt.T_start:g} K)` with the stage at "
          f"{T15_0:g} K gives {cap0_hand:.4f} W and {mdot0_hand * 1e3:.6f} g/s), and `initialize_outputs()` "
          f"refreshes the outputs with the connected inputs ({float(C['stage.T'][0]):g} K) but not them. "
          "From the first step on they are consistent; no state depends on them (the figure's 4 K panel starts "
          "its \"taken by the J-T stream\" curve at the second record).")
    else:
        w(f"At t = 0 the J-T stage's step means are those of the connected inputs: `jt.heat_removed` = "
          f"`jt.capacity` = {cap0:.4f} W, `jt.mdot_return` = `jt.mdot` = {float(C['jt.mdot'][0]) * 1e3:.6f} g/s "
          "(the initialisation computes them from the inputs, not from their declared start values).")
    w("")
    w("## 2. Cool-down")
    w("")
    md += table(["event", "time"], [
        ["4 K station below 20 K", hms(t20)],
        [f"liquid helium in the 4 K station (`{ev_C['liquid helium in the 4 K station']['condition']}`)", hms(t_liq)],
        [f"pot full ({m_pot * 1e3:.2f} g)", hms(t_full)],
        [f"shield within {SETTLE[0] * 1e3:g} mK of its final temperature", hms(t_settle_sh)],
        [f"stage within {SETTLE[1] * 1e3:g} mK of its final temperature", hms(t_settle_st)]])
    w("")
    cli = timed["adaptive"]["ds"]
    d_cli_ev = max(abs(ev_time(cli, n) - ev_C[n]["time"]) for n in ev_names)
    d_cli_T = max(float(np.abs(cli[var].values - C[var].values).max()) for var in TV)
    w(f"This analysis run adds the \"pot full\" event to the scenario; the plain `cryocosim run` of the scenario "
      f"(section 6) has the same two scenario events "
      + ("at identical times" if d_cli_ev == 0 else f"within {d_cli_ev:.2g} s")
      + f" and every station temperature within "
      f"{d_cli_T:.2g} K of it at every record (the located event changes the step sequence slightly).")
    w("")
    w(f"Steady state at {float(end.time) / HOUR:g} h against the note's design (its Table 8 for the dewar, its "
      "Table 12 / eq. 35–38 for the J-T loop; first approximation = the cold outlets set at the station "
      "temperatures, the load the GM stages were calibrated on; second = the exchangers solved):")
    w("")
    md += table(["station", "T ours [K]", "T note [K]", "dewar load ours [W]", "note (Table 8)",
                 "J-T supply load ours [W]", "note: first / second approx.", "refrigeration ours [W]"], [
        ["77 K shield", f"{T_end['shield']:.3f}", f"{NOTE['T77']:g}", f"{v(end, 'dewar.heat_shield'):.3f}",
         f"{NOTE['dewar_77']:g}", f"{v(end, 'jt.heat_77'):.3f}", f"{NOTE['jt77_first']:g} / {NOTE['jt77_second']:g}",
         f"{v(end, 'gm.capacity_1'):.3f} (GM stage 1)"],
        ["15 K stage", f"{T_end['stage']:.3f}", f"{NOTE['T15']:g}", f"{v(end, 'dewar.heat_stage'):.3f}", "0",
         f"{v(end, 'jt.heat_15'):.3f}", f"{NOTE['jt15_first']:g} / {NOTE['jt15_second']:g}",
         f"{v(end, 'gm.capacity_2'):.3f} (GM stage 2)"],
        ["4 K station", f"{T_end['jt']:.4f}", f"{NOTE['T4']:g}", f"{v(end, 'dewar.heat_station'):.4f}",
         f"{NOTE['dewar_4']:g}", "—", "—", f"{cap_end:.3f} (J-T capacity; note {NOTE['cap_4']:g} at E3 = 0.96)"]])
    w("")
    w(f"**The shield, {T_end['shield'] - NOTE['T77']:.2f} K above 77 K.** The dewar's load on it is "
      f"{dl_end['shield']:.2f} W ({dl_end['rad77']:.2f} W of it radiation from the {dew.T_ambient:g} K wall, "
      f"{dl_end['gas77'] * 1e3:.1f} mW gas, {dl_end['cond77']:.3f} W waveguides net, less "
      f"{dl_end['rad4'] * 1e3:.1f} + {dl_end['gas4'] * 1e3:.1f} mW passed on to the 4 K shield), "
      f"{dl_end['shield'] / NOTE['dewar_77']:.1f}× the note's Table 8 {NOTE['dewar_77']:g} W; the radiation alone "
      f"is {dl_end['rad77'] / NOTE['rad_77']:.1f}× the note's {NOTE['rad_77']:g} W (its H1 + H2 + H3): the note "
      f"computed radiation with {NOTE['sigma_note'] * 1e-4:.3g} W/(cm² K⁴), {sigma_ratio:.2f}× below the Stefan–Boltzmann constant "
      "(`docs/dewar_validation.md`). The first GM stage was calibrated to carry the note's "
      f"{gm.CALIBRATION[2]:.3f} W at 77 K. At 77 K (stage at {T_end['stage']:.2f} K) it gives "
      f"{g77['Q1']:.2f} W against {dl77['shield']:.2f} W (dewar) + {s77.heat_77:.2f} W (J-T supply) = "
      f"{dl77['shield'] + s77.heat_77:.2f} W, {excess77:.2f} W short. As the shield warms its capacity rises by "
      f"{dQ1:.3f} W/K, the dewar's load falls by {-ddew:.3f} W/K and the J-T supply's by {-djt:.3f} W/K: "
      f"{excess77:.2f} W / {dQ1 - ddew - djt:.3f} W/K = {dT_lin:.1f} K linearly, and it balances "
      f"{T_end['shield'] - NOTE['T77']:.2f} K higher ({g_end['Q1']:.2f} W at {T_end['shield']:.2f} K). The J-T "
      f"supply rejects {v(end, 'jt.heat_77'):.2f} W there, less than the {NOTE['jt77_first']:g} W of the "
      f"calibration point (the note's first approximation; its second gives {NOTE['jt77_second']:g} W) — which "
      "alone would put the shield below 77 K. Solving the two GM stations' balances by hand with the models' "
      "functions (`gm_cryostat.stage_loads`, the `Dewar` actor's loads, `JTLoop.solve` with the overflowing "
      f"pot's wet return) gives {T_hand[0]:.4f} K / {T_hand[1]:.4f} K, the simulation "
      f"{T_end['shield']:.4f} K / {T_end['stage']:.4f} K. The same balance with the dewar's radiation computed "
      f"with the note's constant: {T_note_rad[0]:.2f} K / {T_note_rad[1]:.2f} K (dewar load "
      f"{dl_note['shield']:.2f} W); with Table 8's {NOTE['dewar_77']:g} W on the shield: {T_tab8[0]:.2f} K / "
      f"{T_tab8[1]:.2f} K (`docs/jt_validation.md`'s operating point). Inputs were not adjusted.")
    w("")
    w(f"**The 15 K stage** settles at {T_end['stage']:.2f} K: the J-T supply and the overflowing return reject "
      f"{v(end, 'jt.heat_15'):.2f} W on it (the note: {NOTE['jt15_second']:g} W in its second approximation, "
      f"{NOTE['jt15_first']:g} W at the calibration), and the warmer shield costs the second stage capacity "
      f"(a larger swing across its regenerator: Q2 at 77 K would be "
      f"{gm.stage_loads(77.0, T_end['stage'], **gm_kw)['Q2']:.2f} W, at {T_end['shield']:.2f} K it is "
      f"{g_end['Q2']:.2f} W). **The 4 K station's capacity**, {cap_end:.2f} W, is the pinch-limited X3 of "
      f"`docs/jt_validation.md` (the note's {NOTE['cap_4']:g} W needs an exchanger that cools the supply below "
      f"the returning gas) at the {v(end, 'jt.mdot') * 1e3:.3f} g/s the valve passes.")
    w("")
    w(f"**Against CoolProp called directly** (`PropsSI` at the exhaust pressure {a_jt.p_exhaust:g} Pa):")
    w("")
    w(f"* 4 K station {T_end['jt']:.10f} K, T_sat {sat1['T']:.10f} K: difference "
      f"{dstr(T_end['jt'] - sat1['T'], ' K')}.")
    w(f"* pot {v(end, 'jt.liquid_mass') * 1e3:.6f} g, ρ_l·V = {sat1['rho_l']:.4f} kg/m³ × "
      f"{a_jt.pot_volume * 1e3:g} L = {m_pot * 1e3:.6f} g: relative difference "
      f"{dstr(v(end, 'jt.liquid_mass') / m_pot - 1)}.")
    w("")
    w("(The model reads its saturation state from CoolProp's HEOS at set-up, so agreement to rounding is the "
      "expected result: it checks that the coupled station really sits at its boiling point and that the "
      "pot holds ρ_l·V when full, not the property data.)")
    w("")
    w(f"**Energy balance of each station at {float(end.time) / HOUR:g} h** (heat in − heat out; the stations' "
      "energy change over the last hour beside it):")
    w("")
    rows = []
    for st_, lab, parts in (("shield", "77 K shield", "dewar + J-T supply"), ("stage", "15 K stage", "dewar + J-T supply")):
        b = bal[st_]
        rows.append([lab, f"{b['in']:.4f} ({parts})", f"{b['out']:.4f} (GM)", f"{b['res']:+.1e}", f"{b['dE']:+.1e}"])
    rows.append(["4 K station", f"{q4:.4f} (dewar + applied)", f"{v(end, 'jt.heat_removed'):.4f} (J-T stream)",
                 f"{q4 - v(end, 'jt.heat_removed'):+.1e}", "0 (at T_sat, pot full)"])
    md += table(["station", "heat in [W]", "taken out [W]", "in − out [W]", "dE/dt over the last hour [W]"], rows)
    w("")
    w(f"The J-T capacity exceeds the 4 K load by {cap_end - q4:.3f} W: the full pot overflows, the surplus "
      f"leaving as liquid in the return stream, {overflow * 1e3:.4f} g/s ((capacity − load)/h_fg with CoolProp's "
      f"h_fg = {sat1['h_fg'] / 1e3:.3f} J/g) of the {v(end, 'jt.mdot') * 1e3:.4f} g/s. The station's helium "
      f"balance over the run, in − out − (1 − ρ_v/ρ_l)·liquid = {he_bal:+.1e} kg of "
      f"{v(end, 'jt.mass_in'):.1f} kg through it.")
    w("")

    # ---- 3. stall
    w("## 3. Stall")
    w("")
    w(f"`4k_stall.toml`: the cool-down with {stall_applied:g} W applied on the 4 K station from the start; "
      f"the event `{stall_cond.expression}` (armed after {stall_cond.arm_time / 60:g} min) cuts it to "
      f"{stall_after:g} W.")
    w("")
    md += table([None, "value"], [
        ["stall located at", f"{hms(st_s['t'])}, station {st_s['T']:.3f} K falling at {-st_s['rate']:.3f} K/h "
                             f"(the values below: the record at {st_s['t_rec']:.0f} s, station {st_s['T_rec']:.3f} K)"],
        ["15 K stage / shield at the stall", f"{st_s['T15']:.3f} K / {st_s['shield']:.2f} K"],
        ["load: applied + dewar", f"{stall_applied:g} + {st_s['q_par']:.4f} = {st_s['load']:.4f} W"],
        ["J-T capacity at the station", f"{st_s['cap']:.4f} W (J-T flow {st_s['mdot'] * 1e3:.4f} g/s)"],
        ["switch heat to the stage", f"{st_s['sw']:.4f} W"],
        ["capacity + switch − load", f"{st_s['cap'] + st_s['sw'] - st_s['load']:+.4f} W (the copper's m·c·dT/dt)"],
        ["stall temperature by hand: capacity(T) + G·w(T)·(T − T_15) = load", f"{st_s['T_hand']:.3f} K"],
        ["recovery, after the load is cut: liquid", f"{t_s_liq - st_s['t']:.1f} s later"],
        ["recovery: pot full", f"{t_s_full - st_s['t']:.0f} s ({(t_s_full - st_s['t']) / 60:.1f} min) later"]])
    w("")
    w(f"The station stalls because the load exceeds what the J-T stream takes at the switch's off temperature: "
      f"the capacity at {TOFF0 - 1:g} K with the stage at {st_s['T15']:.2f} K is {st_s['cap_off']:.3f} W. It "
      f"sits where the capacity and the partly conducting switch (w = "
      f"{st_s['T'] - (TOFF0 - 1):.3f} of its {G0:g} W/K) carry the load together. The recovery is quick: with "
      f"{stall_after:g} W ({stall_after + st_s['q_par']:.3f} W with the dewar) the load is below the capacity at "
      f"every temperature from there down (its least value between T_sat and {TOFF0 - 1:g} K, stage at "
      f"{st_s['T15']:.2f} K: {cap_min_s:.3f} W), the station's copper holds little heat below 20 K, and the pot "
      "fills at (capacity − load)/h_fg.")
    w("")
    w(f"**The note's stall.** \"With a load on the 4 K station which is 100 mW higher than the maximum start-up "
      f"capacity (~600 mW) the system stalled at {NOTE['stall_T']:g} K.\" Our start-up capacity, "
      f"`JTLoop.capacity(15 K)` with the stage at 15 K (as `docs/jt_validation.md`): **{cap15:.3f} W**. The "
      f"case {EXCESS * 1e3:.0f} mW above it: {ha_plus:.4f} W applied, so that with the dewar's "
      f"{st_p['q_par']:.4f} W at the stall the load is {st_p['load']:.4f} W (excess "
      f"{(st_p['load'] - cap15) * 1e3:.1f} mW; the applied load was set from the dewar's load at the stall of "
      f"a first run, {plus[0]:.4f} W, which stalled at {st_p0['T']:.3f} K). It stalls at **{st_p['T']:.3f} K** "
      f"at {st_p['t'] / HOUR:.2f} h (by hand {st_p['T_hand']:.3f} K), with {st_p['cap']:.3f} W of J-T capacity "
      f"and {st_p['sw']:.3f} W through the switch, at a J-T flow of {st_p['mdot'] * 1e3:.3f} g/s (the note's "
      f"machine: {NOTE['stall_mdot'] * 1e3:g} g/s at a ~{NOTE['stall_startup'] * 1e3:.0f} mW start-up). "
      + (f"It does not stay there: as the GM stage cools from {st_p['T15']:.2f} to {st_p['T15_release']:.2f} K "
         f"the capacity at {TOFF0 - 1:g} K rises from {st_p['cap_off']:.3f} to {st_p['cap_off_release']:.3f} W, "
         f"above the load ({st_p['load_release']:.3f} W by then), and the station runs away to the boiling point: "
         f"liquid at {st_p['t_liq'] / HOUR:.2f} h, {(st_p['t_liq'] - st_p['t']) / HOUR:.2f} h after the stall."
         if st_p["t_liq"] is not None and st_p["t_liq"] > st_p["t"] else
         f"It stays there: at {st_p['t_last'] / HOUR:g} h the station is at {st_p['T_last']:.3f} K."))
    w("")
    w("**The role of the hydrogen switch.** Below `switch_T_off` − 1 K the switch does not conduct and only the "
      "J-T stream cools the station; its capacity rises as the station cools (`docs/jt_validation.md`, Fig. 13), "
      "so once the station is below the switch a load under the capacity there runs away to the boiling point "
      "and a load above it cannot get there. Above, the switch adds G·w(T)·(T − T_15), which grows by "
      f"G·(T − T_15) ≈ {G0 * (TOFF0 - st_s['T15']):.1f} W across the 1 K ramp with the scenario's "
      f"G = {G0:g} W/K: any deficit up to that is carried within the ramp, so the stall temperature is "
      f"T_off − 1 K + deficit/(G·(T − T_15)) — between {TOFF0 - 1:g} and {TOFF0:g} K for any deficit below "
      f"that, set by `switch_T_off`, not by the load (larger deficits sit above {TOFF0:g} K, at "
      f"T_15 + deficit/G). The note's {NOTE['stall_T']:g} K needs a switch still conducting there and "
      f"weak: with the J-T capacity at {NOTE['stall_T']:g} K ({cap_268:.3f} W with our stage at {st_p['T15']:.2f} K), holding "
      f"{st_p['load']:.3f} W at {NOTE['stall_T']:g} K takes G = {G_268 * 1e3:.0f} mW/K, "
      f"{G0 / G_268:.0f}× below ours (the capacity falls by {-dcap * 1e3:.0f} mW/K there, so such a switch "
      f"still gives a stable stall). For the note's own 1 W machine, scaling its ~{NOTE['stall_startup'] * 1e3:.0f} "
      f"mW start-up by our capacity ratio {NOTE['stall_T']:g} K / 15 K ({ratio_268:.3f}), the same balance gives "
      f"G ≈ {G_note_machine * 1e3:.0f} mW/K with its stage at 15 K — the note's \"not enough heat carried away "
      "by the helium ... and by the hydrogen vapour switch\". Runs with the switch changed (the "
      f"{st_p['load']:.3f} W load, {VARIANT_STOP / HOUR:g} h):")
    w("")
    def stall_row(lab, s_):
        if s_["stalled"]:
            cells = [f"{s_['t'] / HOUR:.2f} h", f"{s_['T']:.3f}", f"{s_['T_hand']:.3f}", f"{s_['sw']:.3f}"]
        else:
            cells = ["none", "—", "—", "—"]
        liq = f"{s_['t_liq'] / HOUR:.2f} h" if s_["t_liq"] is not None else "never"
        state = (f"{s_['T_last']:.3f} K, {s_['liq_last'] * 1e3:.1f} g liquid" if s_["liq_last"] > 0 else
                 f"{s_['T_last']:.3f} K, dry ({s_['rate_last']:+.1e} K/h)")
        pre = ([f"{s_['t20'] / HOUR:.2f} h", f"{s_['T15_20']:.2f}", f"{s_['cap_off_20']:.3f} / {s_['load_20']:.3f}"]
               if s_["t20"] is not None else ["never", "—", "—"])
        return [lab] + pre + [f"{s_['ramp_h']:.2f}"] + cells + [liq, state]

    md += table(["switch", "below 20 K at", "stage then [K]", f"capacity at {TOFF0 - 1:g} K then / load [W]",
                 "time in the switch's ramp [h]", "stall", "stall T [K]", "by hand [K]", "switch heat at the stall [W]",
                 "liquid at", "state at the end"],
                [stall_row(f"{G0:g} W/K from {TOFF0:g} K (scenario)", st_p)]
                + [stall_row(f"{G:g} W/K from {TOFF0:g} K", var_G[G]) for G in SWITCH_G]
                + [stall_row(f"{G0:g} W/K from {To:g} K", var_T[To]) for To in SWITCH_T_OFF])
    w("")
    weak = []
    for G in SWITCH_G:
        s_ = var_G[G]
        if s_["t20"] is None:
            weak.append(f"at {G:g} W/K the station never reaches 20 K")
        elif s_["cap_off_20"] < s_["load_20"]:
            weak.append(f"at {G:g} W/K it reaches the ramp at {s_['t20'] / HOUR:.2f} h with the capacity at "
                        f"{TOFF0 - 1:g} K still below the load and stays in it {s_['ramp_h']:.2f} h, drifting down "
                        "faster than the stall criterion as the stage cools")
        else:
            weak.append(f"at {G:g} W/K it reaches it at {s_['t20'] / HOUR:.2f} h with the stage at "
                        f"{s_['T15_20']:.2f} K and the capacity above the load, and passes through "
                        + (f"({s_['ramp_h'] * 60:.0f} min in the ramp)" if s_["ramp_h"] * HOUR >= setC.output_interval
                           else f"(within one {setC.output_interval:g} s record interval)"))
    w("A later off temperature moves the stall with it (to about `switch_T_off` − 1 K). A weaker switch "
      f"brings the station down from {a_jt.T_start:g} K later (while the switch conducts, the station follows the stage "
      "with a time constant m·c/G), when the GM stage is colder and the J-T capacity at the switch's off "
      "temperature higher: " + "; ".join(weak) + ". None of these stalls above 20 K. The note's machine "
      "stalled with its stage at its working temperature; ours reaches 20 K with the stage still cooling, so "
      "whether a load stalls, and for how long, depends on when the station gets there.")
    w("")
    w(f"**Stall temperature against the load** ({SCAN_STOP / HOUR:g} h runs of `4k_cooldown.toml` with "
      f"`--set jt.heat_applied=...`, the stall event of `4k_stall.toml` only logged; excess = load at the "
      f"stall − {cap15:.3f} W):")
    w("")
    rows = []
    for q in SCAN_LOADS:
        s_ = scan[q]
        liq = f"{s_['t_liq'] / HOUR:.2f} h" if s_["t_liq"] is not None else "never"
        state = f"{s_['T_last']:.3f} K" + (f", {s_['liq_last'] * 1e3:.1f} g" if s_["liq_last"] > 0 else ", dry")
        if s_["stalled"]:
            rows.append([f"{q:g}", f"{s_['load']:.3f}", f"{(s_['load'] - cap15) * 1e3:+.0f}", f"{s_['t'] / HOUR:.2f} h",
                         f"{s_['T']:.3f}", f"{s_['T_hand']:.3f}", f"{s_['cap_off']:.3f}", f"{s_['sw']:.3f}", liq, state])
        else:
            rows.append([f"{q:g}", "—", "—", "none", "—", "—", "—", "—", liq, state])
    md += table(["applied [W]", "load at the stall [W]", "excess [mW]", "stall", "stall T [K]", "by hand [K]",
                 f"capacity at {TOFF0 - 1:g} K [W]", "switch [W]", "liquid at", f"at {SCAN_STOP / HOUR:g} h"], rows)
    w("")
    stalled_lo = [q for q in SCAN_LOADS if scan[q]["stalled"] and scan[q]["load"] < cap15]
    w("Loads below the 15 K start-up capacity stall too" + (
        f" (from {min(stalled_lo):g} W applied)" if stalled_lo else "") +
      f": the switch quits at {TOFF0 - 1:g}–{TOFF0:g} K, where the capacity is lower than at 15 K, so the "
      "threshold in this model is the capacity at the switch's off temperature with the stage where it is at "
      "the time, not the note's 15 K figure; such stalls end when the GM stage has cooled enough. Every stall "
      "temperature lies in the switch's ramp; the hand balance (the documented switch law with "
      "`JTLoop.capacity` at the stage temperature of the stall) agrees with each.")
    w("")
    w("![stall](figures/4k_stall.png)")
    w("")

    # ---- 4. boil-off
    w("## 4. Boil-off")
    w("")
    w(f"`4k_boiloff.toml`: the cool-down, then {boil_load:g} W on the 4 K station at {t_on / HOUR:g} h "
      f"({boil_load + v(before, 'dewar.heat_station'):.3f} W with the dewar), above the J-T capacity.")
    w("")
    md += table([None, "value"], [
        ["liquid when the load comes on", f"{m0 * 1e3:.4f} g (ρ_l·V by CoolProp: {m_pot * 1e3:.4f} g)"],
        ["pot empty", f"{hms(t_empty)}: **{t_empty - t_on:.2f} s** after the overload"],
        ["by hand: m·h_fg/(Q − capacity during the boil-off)",
         f"{m0 * 1e3:.4f} g × {sat1['h_fg'] / 1e3:.4f} J/g / ({Q_boil:.4f} − {cap_during:.4f}) W = "
         f"**{t_hand:.2f} s** ({(t_empty - t_on) / t_hand - 1:+.2%})"],
        [f"the same with the capacity before the overload ({cap_before:.4f} W)",
         f"{t_hand_before:.2f} s ({(t_empty - t_on) / t_hand_before - 1:+.2%})"],
        [f"station above 10 K / above {BOIL_WARM:g} K",
         f"{t_10 - t_empty:.2f} s / {t_19 - t_empty:.2f} s after the pot is empty"],
        [f"at {float(Bend.time) / HOUR:g} h",
         f"station {v(Bend, 'jt.T'):.3f} K (changed {v(Bend, 'jt.T') - v(Bh, 'jt.T'):+.4f} K in the last hour), "
         f"stage {T15b:.3f} K, shield {v(Bend, 'shield.T'):.2f} K"],
        ["carried at the end: J-T capacity + switch",
         f"{v(Bend, 'jt.capacity'):.3f} + {v(Bend, 'jt.heat_switch'):.3f} W against a {Lb:.3f} W load"],
        ["settling temperature by hand (switch law + `JTLoop.capacity`)", f"{Tb_hand:.3f} K"]])
    w("")
    w(f"The capacity during the boil-off is {cap_before - cap_during:.3f} W below the value before it: while "
      "the full pot overflowed, liquid left with the return stream and cooled the 15 K stage; boiling, the "
      f"return is saturated vapour and the stage warms (from {v(before, 'stage.T'):.3f} to "
      f"{float(during['stage.T'].mean()):.3f} K on average), which lowers the capacity. The hand calculation "
      "with the boil-off's own capacity matches the run; with the earlier one it is off by the percentage "
      "above. The note: \"If the 3 W load is ever exceeded the refrigerator will quickly warm up to 15 K.\" "
      f"Quickly, yes: {t_19 - t_empty:.1f} s from the empty pot to {BOIL_WARM:g} K (the copper's heat capacity below 20 K "
      f"is small). But it settles at {v(Bend, 'jt.T'):.2f} K, not {NOTE['warm_T']:g} K: the load exceeds the "
      f"J-T capacity by {Lb - v(Bend, 'jt.capacity'):.2f} W, and only the switch can carry that, which it does "
      f"on its ramp ({TOFF0 - 1:g}–{TOFF0:g} K). To hold the station at {NOTE['warm_T']:g} K the switch would "
      f"have to carry {sw_needed_15:.2f} W across {NOTE['warm_T'] - stage_stall_b:.2f} K to a stage at "
      f"{stage_stall_b:.2f} K ({sw_needed_15 / (NOTE['warm_T'] - stage_stall_b):.1f} W/K), while conducting at "
      f"{NOTE['warm_T']:g} K — a switch the note's \"opens up when the 4 K station reaches about 20 K\" rules "
      "out; the note's 15 K is the temperature the station was assumed to stall at (\"We have assumed a stall "
      "temperature of 15 K\"), the GM stage's.")
    w("")
    w("![boil-off](figures/4k_boiloff.png)")
    w("")

    # ---- 5. exhaust
    w("## 5. Exhaust pressure")
    w("")
    w(f"Whole-system cool-downs (`4k_cooldown.toml --set jt.p_exhaust=...`, {PEX_STOP / HOUR:g} h; the "
      f"pot is full by {max(x['t_full'] for x in pex.values()) / HOUR:.2f} h in every run and no station "
      f"temperature moves by more than {max(x['drift'] for x in pex.values()) * 1e3:.2f} mK in the last hour; "
      f"at 1 atm the {PEX_STOP / HOUR:g} h state is within {d_12_24 * 1e3:.2f} mK of the {STOP_H} run's). T_sat, "
      "ρ_l and h_fg by CoolProp's PropsSI directly.")
    w("")
    rows = []
    for p in P_EXHAUST:
        x = pex[p]
        rows.append([f"{p:g}", f"{x['T_sat']:.4f}", f"{x['T']:.4f}", dstr(x['T'] - x['T_sat']), f"{x['liq'] * 1e3:.3f}",
                     f"{x['m_pot'] * 1e3:.3f}", f"{x['t_full'] / HOUR:.2f} h", f"{x['cap']:.3f}", f"{x['cap_hand']:.3f}",
                     f"{x['cap_7715']:.3f}", f"{x['mdot'] * 1e3:.4f}", f"{x['shield']:.2f}", f"{x['stage']:.3f}"])
    md += table(["p_exhaust [atm]", "T_sat [K]", "4 K station [K]", "station − T_sat [K]", "pot [g]", "ρ_l·V [g]",
                 "pot full at", "capacity [W]", "by hand at the stage's T [W]", "stage at 15 K [W]", "J-T flow [g/s]",
                 "shield [K]", "stage [K]"], rows)
    w("")
    cap_lo = min(pex[p]["cap"] for p in P_EXHAUST if p <= P_FLAT)
    cap_hi = max(pex[p]["cap"] for p in P_EXHAUST if p <= P_FLAT)
    w(f"The note: \"the boiling point of helium varies from about {NOTE['sat_lo'][1]:g} K at "
      f"{NOTE['sat_lo'][0]:g} atmospheres ... to {NOTE['sat_hi'][1]:g} K at {NOTE['sat_hi'][0]:g} atmospheres\": "
      f"CoolProp {sat_lo:.3f} K and {sat_hi:.3f} K, and the coupled station sits at T_sat at every pressure run. "
      f"\"... without affecting the refrigeration capacity very much\": from {P_EXHAUST[0]:g} to {P_FLAT:g} atm the "
      f"capacity stays within {cap_lo:.2f}–{cap_hi:.2f} W, but at {P_EXHAUST[-1]:g} atm it is "
      f"{pex[P_EXHAUST[-1]]['cap']:.2f} W: near the critical pressure ({jt.critical_pressure() / ATM:.3f} atm) "
      f"the latent heat ({pex[P_EXHAUST[-1]]['h_fg'] / 1e3:.2f} J/g at {P_EXHAUST[-1]:g} atm against "
      f"{pex[1.0]['h_fg'] / 1e3:.2f} at 1 atm) and the isothermal J-T effect vanish (`docs/jt_validation.md`). "
      "The coupled capacities are above the stage-at-15 K ones because the GM stage settles below 15 K; the "
      "hand evaluation at the stage's own temperature reproduces them. The GM stations hardly notice the "
      f"pressure (shield {min(x['shield'] for x in pex.values()):.2f}–{max(x['shield'] for x in pex.values()):.2f} K, "
      f"stage {min(x['stage'] for x in pex.values()):.2f}–{max(x['stage'] for x in pex.values()):.2f} K): the "
      "J-T flow, which sets what the supply rejects on them, changes by "
      f"{(max(x['mdot'] for x in pex.values()) / min(x['mdot'] for x in pex.values()) - 1) * 100:.0f} %.")
    w("")
    w("![exhaust](figures/4k_exhaust.png)")
    w("")

    # ---- 6. speed
    w("## 6. Speed")
    w("")
    w(f"Measured on {machine()}. **A shared machine** (load average {load_start[0]:.2f} / {load_start[1]:.2f} / "
      f"{load_start[2]:.2f} when the script started; {load_timed[0]:.2f} / {load_timed[1]:.2f} / "
      f"{load_timed[2]:.2f} when the timed runs began, after this script's own analysis runs"
      + (f" and {waited:.0f} s of waiting for their load to decay" if waited else "")
      + "): every time is the minimum / median of "
      f"{args.runs} runs after one untimed warm-up, the three configurations interleaved; the minimum is the better "
      "estimate of the undisturbed cost. The runs use one core each (the engine is single-threaded); CPU time "
      "(user + system of the process) is given beside the wall time. "
      + ("The timed runs' results were identical from round to round." if same else
         "**The timed runs' results differed between rounds.**"))
    w("")
    w(f"`cryocosim run scenarios/4k_cooldown.toml -q -o ...` ({STOP_H} simulated), timed from before the "
      "interpreter starts to after it exits; *loop*: the stepping loop alone, the result file's attribute "
      "`wall_time_s`; the step statistics from the result file (`master.*` columns: the last accepted step "
      "before each record and its coupling iterations).")
    w("")
    rows = [["process wall [s]"] + [mm(timed[k]["process"]) for k in CONFIGS],
            ["process CPU [s]"] + [mm(timed[k]["cpu"]) for k in CONFIGS],
            ["real-time factor, process (minimum)"] + [f"{setC.stop_time / min(timed[k]['process']):,.0f}×"
                                                        for k in CONFIGS],
            ["loop wall [s]"] + [mm(timed[k]["loop"]) for k in CONFIGS],
            ["process − loop [s] (minimum)"] + [f"{min(p - l for p, l in zip(timed[k]['process'], timed[k]['loop'])):.2f}"
                                                 for k in CONFIGS],
            ["actor steps"] + [fmt_int(stepinfo[k]["actor_steps"]) for k in CONFIGS],
            ["µs of loop per actor step (minimum)"] + [f"{min(timed[k]['loop']) / stepinfo[k]['actor_steps'] * 1e6:.0f}"
                                                        for k in CONFIGS],
            ["accepted / rejected steps"] + [
                f"{fmt_int(stepinfo[k]['accepted'])} / {fmt_int(stepinfo[k]['rejected'])}" if "accepted" in stepinfo[k]
                else f"{fmt_int(setC.stop_time / sysC.steps['gm'])} (fixed)" for k in CONFIGS],
            ["Jacobians / explicit fallback steps"] + [
                f"{stepinfo[k]['jacobians']} / {stepinfo[k]['explicit']}" if "jacobians" in stepinfo[k] else "—"
                for k in CONFIGS],
            ["step size min / median / max [s]"] + [
                f"{stepinfo[k]['h_min']:.3g} / {stepinfo[k]['h_med']:.3g} / {stepinfo[k]['h_max']:.3g}"
                if "h_min" in stepinfo[k] else f"{sysC.steps['gm']:g}" for k in CONFIGS],
            ["coupling iterations per step, mean / max"] + [
                f"{stepinfo[k]['it_mean']:.2f} / {stepinfo[k]['it_max']:.0f}" if "it_mean" in stepinfo[k] else "—"
                for k in CONFIGS]]
    for var, lab in (("shield.T", "shield"), ("stage.T", "stage"), ("jt.T", "4 K station")):
        rows.append([f"max \\|Δ{lab} T\\| vs fixed {h_ref:g} s, 0–{REF_STOP / HOUR:g} h [K] (at t)"]
                    + [f"{acc[k][var][0]:.3g} ({acc[k][var][1] / HOUR:.2f} h)" for k in CONFIGS])
    for n in ev_names:
        rows.append([f"\"{n}\" minus the reference's [s]"] + [f"{acc_ev[k][n]:+.2f}" for k in CONFIGS])
    rows.append([f"shield / stage T at {STOP_H} [K]"] + [f"{final[k]['shield.T']:.4f} / {final[k]['stage.T']:.4f}"
                                                         for k in CONFIGS])
    md += table([None] + [label(k) for k in CONFIGS], rows)
    w("")
    warn = [f"{label(k)}: \"{m}\"" for k in CONFIGS for m in stepinfo[k]["warnings"]]
    if warn:
        w("Warnings of the runs: " + "; ".join(warn) + ".")
        w("")
    rb = stepinfo["adaptive"].get("rejected_by", {})
    if rb:
        w("Rejected adaptive steps by the output that set the error: " + ", ".join(f"{k} {n}" for k, n in rb.items()) + ".")
        w("")
    w(f"**The reference.** Fixed explicit {h_ref:g} s steps over the first {REF_STOP / HOUR:g} h (where "
      f"everything happens: the 4 K station reaches liquid at {t_liq / HOUR:.2f} h), against the same at "
      f"{h_chk:g} s. The explicit hold is first order in the step, so the {h_ref:g} s run is about as far from "
      f"the converged solution as it is from the {h_chk:g} s run (first-order Richardson): max |ΔT| "
      + ", ".join(f"{lab} {richardson[var][0]:.3g} K (at {richardson[var][1] / HOUR:.2f} h)"
                  for var, lab in (("shield.T", "shield"), ("stage.T", "stage"), ("jt.T", "4 K station")))
      + "; event times "
      + ", ".join(f"\"{n}\" {ref_ev[n]:.2f} s ({h_chk:g} s: {chk_ev[n]:.2f} s; extrapolated {extrap_ev[n]:.2f} s)"
                  for n in ev_names) + ".")
    w("")
    w(f"The largest temperature differences fall on the 4 K station's drop from {thr20:g} K to the boiling point, "
      f"{(thr20 - sat.T) / (t_liq - t20):.2f} K/s on average: a small shift in time is a large ΔT there, so the "
      f"event times are the better measure of that part. Against the reference the adaptive run locates the events within "
      f"{max(abs(acc_ev['adaptive'][n]) for n in ev_names):.1f} s and the fixed {HFIX} explicit run within "
      f"{max(abs(acc_ev['explicit'][n]) for n in ev_names):.1f} s; the reference's own error is about "
      f"{max(abs(ref_ev[n] - chk_ev[n]) for n in ev_names):.2f} s. First order holds on the GM stations' "
      f"temperatures: the fixed {HFIX} explicit run's largest error against the {h_ref:g} s reference is "
      + ", ".join(f"{acc['explicit'][var][0] / richardson[var][0]:.2f}× ({lab})"
                  for var, lab in (("shield.T", "shield"), ("stage.T", "stage")))
      + f" the {h_chk:g} s − {h_ref:g} s difference, where first order predicts ({HFIX_V:g} − {h_ref:g})/({h_chk:g} − "
      f"{h_ref:g}) = {(HFIX_V - h_ref) / (h_chk - h_ref):.0f}×. The adaptive run's errors are those its tolerance "
      f"allows ({setC.step['tolerance']:g} relative, floors {setC.step['tolerance']:g} × the nominal magnitudes) "
      f"accumulated over its {fmt_int(gad['accepted'])} steps: larger than the fixed {HFIX} run's, at "
      f"{min(timed['explicit']['loop']) / min(loop_ad):.0f}× less loop time.")
    w("")
    w("![speed](figures/4k_speed.png)")
    w("")
    w("Start-up as processes (minimum / median):")
    w("")
    md += table(["command", "wall [s]"], [[f"`{k}`", mm(x)] for k, x in startup.items()])
    w("")
    w(f"Of the adaptive process's {min(proc_ad):.2f} s (minimum), the loop is {min(loop_ad):.2f} s; the rest, "
      f"{min(p - l for p, l in zip(proc_ad, loop_ad)):.2f} s, is start-up ({min(st_cp):.2f} s of it importing "
      f"CoolProp; `validate`, which also sets the actors up — the J-T stage builds its helium tables — takes "
      f"{min(st_val):.2f} s), the initialisation and the result file.")
    w("")
    w(f"**Profile of the adaptive run** (a fresh interpreter, {setC.stop_time / HOUR:g} h). Each actor's `do_step` "
      f"wrapped with a timer (≈ {prof['timer_cost'] * 1e9:.0f} ns a call, {wrap_cost:.3f} s in all): loop "
      f"{prof['loop']:.2f} s.")
    w("")
    rest = prof["loop"] - models_s
    md += table(["actor", "model", "do_step calls", "µs per call", "seconds", "share of the loop"],
                [[n, f"`{a['model']}`", fmt_int(a["calls"]), f"{a['s'] / a['calls'] * 1e6:.1f}", f"{a['s']:.3f}",
                  f"{a['s'] / prof['loop']:.1%}"] for n, a in sorted(pa.items(), key=lambda kv: -kv[1]["s"])]
                + [["master, bus, state save/restore, recorder", None, None, None, f"{rest:.3f}",
                    f"{rest / prof['loop']:.1%}"]])
    w("")
    labels = {"dewar": "dewar: `Dewar` in fmus/dewar.py, physics/dewar_heat.py, properties/conductivity.py",
              "jt": "J-T stage: fmus/jt_stage.py, physics/jt_physics.py", "stations": "`ThermalStation`, fmus/properties/materials.py",
              "gm": "fmus/gm_cryostat.py", "master": "engine/ (master, step control, bus, actor state)",
              "recorder": "engine/results.py (recorder)", "numpy": "numpy / scipy (the Newton steps' linear algebra)",
              "other": "other"}
    w(f"cProfile of `System.run` (tables already built; {prof['prof_wall']:.2f} s profiled against "
      f"{prof['loop']:.2f} s unprofiled — cProfile inflates many small calls, so the shares are indicative); own "
      "time, built-ins charged to the code calling them:")
    w("")
    md += table(["where", "own time [s]", "share"],
                [[labels.get(g, g), f"{t:.2f}", f"{t / g_total:.0%}"]
                 for g, t in sorted(groups.items(), key=lambda kv: -kv[1])])
    w("")
    md += table(["function", "own [s]", "cumulative [s]", "calls"],
                [[f"`{r['f']}`", f"{r['own']:.3f}", f"{r['cum']:.3f}", fmt_int(r["n"])] for r in prof["top"]])
    w("")
    cps = prof["coolprop"]["set-up"]
    w(f"**CoolProp calls**, counted by wrapping the J-T physics' helium `AbstractState` and CoolProp's `PropsSI` "
      f"and `AbstractState` (the J-T caches emptied first): {cp_setup:,} during set-up and initialisation ("
      + ", ".join(f"{k} {n:,}" for k, n in sorted(cps.items(), key=lambda kv: -kv[1])[:6])
      + f"), **{cp_steps} during the {fmt_int(steps_total)} actor steps**. The J-T stage reads its isobar and valve "
        "tables in the steps, as documented.")
    w("")
    w("**Where the time goes, and what was done about it.** *Helium property calls*: none in the steps — the J-T "
      "stage tabulates h(T) on both isobars and the valve's mass flux at set-up, and keeps its last X3 result; "
      f"the whole J-T `do_step` costs {pa['jt']['s'] / pa['jt']['calls'] * 1e6:.0f} µs, where without the tables "
      f"one valve flow alone (an isentropic-nozzle solution, `jt_physics.isentropic_nozzle`) costs "
      f"{prof['nozzle_ms']:.1f} ms and each T(h) a helium HP flash of {prof['flash_hp_us']:.0f} µs (a PT flash: "
      f"{prof['flash_us']:.0f} µs; measured here on the 20 atm isobar). "
      f"*Integration (the models)*: {models_s / prof['loop']:.0%} of the loop, dominated by the dewar, "
      f"{pa['dewar']['s'] / pa['dewar']['calls'] * 1e6:.0f} µs a step: every step solves the three waveguides' "
      "heat flows and joint temperatures by Newton iteration on the conductivity integrals (`dewar_heat`, "
      "`conductivity._theta_k1` leads the profile). What was done: the dewar is memoryless but its inputs, "
      "three temperatures, change little from step to step, so each step's solves start from the last step's "
      "solution (kept in the dewar's snapshot, so a step taken again repeats itself exactly), each Newton march's "
      "inversions start from the previous march's temperatures, and a solve returns the temperatures of its last "
      "march instead of marching again; on the inputs this run gave it, replayed in order, the dewar's loads "
      f"cost {prof['dewar_warm_us']:.0f} µs a step against {prof['dewar_cold_us']:.0f} µs from a cold start "
      "(the same roots to the solver's tolerance, 1e-12 relative). *The master*: "
      f"{rest / prof['loop']:.0%} of the loop — state saves and restores, the coupling iterations "
      f"(mean {gad['it_mean']:.2f} a step), {gad['jacobians']} Jacobians. What makes the target: the adaptive "
      f"iterated steps take {fmt_int(gad['actor_steps'])} actor steps for the {STOP_H}, "
      f"{stepinfo['explicit']['actor_steps'] / gad['actor_steps']:.0f}× fewer than fixed {HFIX} steps, and the loop "
      f"{min(timed['explicit']['loop']) / min(loop_ad):.0f}× shorter. What the profile implies: with the steps few, "
      f"{min(p - l for p, l in zip(proc_ad, loop_ad)) / min(proc_ad):.0%} of the process is start-up (the "
      "CoolProp import and the J-T tables); inside the loop the dewar's conductivity integrals remain the "
      "largest single cost; helium properties are not the cost.")
    w("")
    rows = [[f"{STOP_H} cool-down, whole process, < {TARGET_S:g} s wall on 2 cores", f"{mm(proc_ad)} s",
             f"**{verdict60}**"],
            [f"aim: < {AIM_S:g} s", f"{mm(proc_ad)} s", f"**{verdict10}**"]]
    for k in ("explicit", "iterated"):
        ok = "met" if statistics.median(timed[k]["process"]) < TARGET_S else (
            "met (minimum only)" if min(timed[k]["process"]) < TARGET_S else "not met")
        rows.append([f"(for comparison) {label(k)}, < {TARGET_S:g} s", f"{mm(timed[k]['process'])} s", ok])
    md += table(["target", "measured (minimum / median)", "verdict"], rows)
    w("")

    # ---- 7. differences
    w("## 7. Where our numbers differ from the note, and why")
    w("")
    md += table(["quantity", "note", "ours", "why"], [
        ["77 K shield", f"{NOTE['T77']:g} K", f"{T_end['shield']:.2f} K",
         f"dewar load {dl_end['shield']:.2f} W, not {NOTE['dewar_77']:g} W: the note's radiation constant is "
         f"{sigma_ratio:.2f}× too small; with it, {T_note_rad[0]:.2f} K"],
        ["15 K stage", f"{NOTE['T15']:g} K", f"{T_end['stage']:.2f} K",
         f"J-T supply load {v(end, 'jt.heat_15'):.2f} W (second approximation, pinch X3), below the "
         f"{NOTE['jt15_first']:g} W the stage was calibrated on"],
        ["4 K station", f"{NOTE['T4']:g} K", f"{T_end['jt']:.4f} K", "T_sat(1 atm) of CoolProp"],
        ["4 K capacity", f"{NOTE['cap_4']:g} W", f"{cap_end:.2f} W",
         "CoolProp's isothermal J-T effect at 15 K, and a counterflow X3 (pinch) — `docs/jt_validation.md`"],
        ["start-up capacity", f"{NOTE['start_up']:g} W (E3 = 0.92)", f"{cap15:.2f} W (E3 = {E3:g}, stage at 15 K)",
         "E3 drops out at 15 K; the flow ratio of Fig. 12 (`docs/jt_validation.md`)"],
        [f"stall, {EXCESS * 1e3:.0f} mW above start-up", f"{NOTE['stall_T']:g} K",
         f"{st_p['T']:.2f} K" + (f" (then liquid at {st_p['t_liq'] / HOUR:.1f} h)" if st_p["t_liq"] is not None else ""),
         f"the switch ({G0:g} W/K from {TOFF0:g} K) carries the deficit on its 1 K ramp; {NOTE['stall_T']:g} K needs "
         f"a switch conducting there and ~{G_268 * 1e3:.0f} mW/K"],
        ["after an overload", f"\"warm up to {NOTE['warm_T']:g} K\"", f"{v(Bend, 'jt.T'):.2f} K",
         f"the switch carries {v(Bend, 'jt.heat_switch'):.2f} W on its ramp; it is off below {TOFF0 - 1:g} K"],
        [f"T_sat at {NOTE['sat_lo'][0]:g} / {NOTE['sat_hi'][0]:g} atm", f"{NOTE['sat_lo'][1]:g} / {NOTE['sat_hi'][1]:g} K",
         f"{sat_lo:.3f} / {sat_hi:.3f} K", "— (CoolProp)"],
        ["capacity vs exhaust pressure", "\"not ... very much\"",
         f"{pex[P_EXHAUST[0]]['cap']:.2f} W at {P_EXHAUST[0]:g} atm, {pex[P_EXHAUST[-1]]['cap']:.2f} W at "
         f"{P_EXHAUST[-1]:g} atm",
         "the latent heat and the isothermal J-T effect vanish toward the critical pressure"]])
    w("")
    runtime = time.perf_counter() - t_start
    digest_end = source_digest()
    w(f"*Source digest `{digest}`" + ("" if digest == digest_end else
      f" (**the sources changed while the script ran**: `{digest_end}` at the end; rerun it)")
      + f"; analysis runs cached in `results/fourk_validation/{digest}/` ({len(cache.made)} made now, "
      f"{len(cache.reused)} from the cache; {t_analysis:.0f} s to have them all); the timed runs and the profile "
      f"were made now. Generated on {datetime.date.today().isoformat()} in {runtime / 60:.1f} min.*")
    OUT.write_text("\n".join(md) + "\n")
    print(f"wrote {OUT} in {runtime:.0f} s", flush=True)


if __name__ == "__main__":
    main()
