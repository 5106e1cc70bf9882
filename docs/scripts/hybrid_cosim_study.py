"""Writes docs/hybrid_cosimulation.md and docs/figures/hybrid_cosim_*.png: the hybrid Stirling /
reverse-Brayton cryocooler of seed 001 split into actors (scenarios/hybrid_stirling.toml: Stirling
stage | check valves | buffers | turbine | exchangers) co-simulated with communication steps from
1/20 to 1/50000 of a cycle -- fixed and adaptive, explicit and iterated, Jacobi and Gauss-Seidel --
against the monolithic solution (fmus/reference/hybrid.py, RK4 shooting on the same equations).

Every number on the page is computed here.  Runs are cached on disk under
results/hybrid_cosim/<digest>/, the digest covering the sources of engine/ and fmus/ that the
runs import, the scenario without its [run] table (every run sets its options explicitly) and
CACHE_VERSION: a change of that code makes every run again, so the page always comes from one
code version.

Runs are made one after the other in this process (the timings are the wall and CPU times of the
master's loop; runs shorter than REPEAT_BELOW are repeated and the minimum kept).

Usage: .venv/bin/python docs/scripts/hybrid_cosim_study.py [--only-cached]
       (about 10 minutes from an empty cache on 2 shared cores; seconds from a full one)
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import sys
import time
import tomllib
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cryocosim  # noqa: E402
from cryocosim.errors import CryocosimError  # noqa: E402
from cryocosim.fmus.reference.hybrid import HybridSI, _D, cyclic_steady_state  # noqa: E402
from cryocosim.fmus.reference.hybrid_metrics import cycle_metrics  # noqa: E402
from cryocosim.master import Master  # noqa: E402
from cryocosim.scenario import load  # noqa: E402
from pages import ROOT, cpu_model, files_digest, fmt, loaded_sources, python, save_figure, table, versions  # noqa: E402

# instrumentation only: the CPU time of the master's loop beside its wall time (the machine is
# shared with other jobs; CPU time is what an otherwise idle core would take)
_master_run = Master.run


def _timed_master_run(self, *args, **kwargs):
    c0 = time.process_time()
    try:
        return _master_run(self, *args, **kwargs)
    finally:
        self.cpu_time = time.process_time() - c0


Master.run = _timed_master_run

SCENARIO = ROOT / "scenarios/hybrid_stirling.toml"
OUT = ROOT / "docs/hybrid_cosimulation.md"
FIG = ROOT / "docs/figures"
CACHE_ROOT = ROOT / "results/hybrid_cosim"
CACHE_VERSION = "5"   # bump when a run's recorded quantities change

TARGET = 1e-4                       # the bound on the relative error of Q_L and W_C
REPEAT_BELOW = 1.0                  # s: runs faster than this are repeated ...
REPEATS = 3                         # ... this many times in all (the minimum wall time is kept)
DEFAULT_REPEATS = 2                 # timing runs of the chosen defaults
# steps per cycle of the fixed-step grid (a step must be a whole number of ns: 20 ms / N exact;
# 32 stands for the 33, whose step 606.06... us is not)
FIXED_N = (20, 25, 32, 40, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 25000, 31250, 40000,
           50000)
ITERATED_N_MAX = 10000              # iterated coupling (5x the cost of an explicit step) up to here
ITERATED_JACOBI_N_MAX = 2000        # iterated Jacobi only to show it equals iterated Gauss-Seidel
FIT_N_MIN = 200                     # the asymptotic range of the order fit
REF_N = (200, 400, 800, 1600, 3200, 6400, 12800, 25600)    # RK4 steps per cycle, monolithic
REF_TOL = 1e-8                      # its shooting criterion (Newton to 1e-11)
# adaptive runs: relative tolerances; absolute floors from typical magnitudes (the test's set)
NOMINAL = {"kg/s": 0.01, "Pa": 2e6, "W": 100.0, "K": 30.0}
NOMINAL_NO_FLOW = {"Pa": 2e6, "W": 100.0, "K": 30.0}   # flows at the SI default nominal, 1 kg/s
ADAPTIVE_EXPLICIT_TOL = (1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5)
ADAPTIVE_EXPLICIT_JACOBI_TOL = (1e-2, 3e-3, 1e-3, 3e-4)
ADAPTIVE_FLOW_TOL = (1e-2, 3e-3)     # explicit, flows with their 10 g/s nominal (see the page)
ADAPTIVE_ITERATED_TOL = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7)
ADAPTIVE_ITERATED_JACOBI_TOL = (1e-3, 1e-4)
# the stability scan: every whole N, steps cut to meet the cycle boundaries exactly
SCAN_GS = tuple(range(5, 25))
SCAN_JACOBI = tuple(range(10, 41))
SCAN_ITERATED = tuple(range(3, 21))
WAVE_CASES = (("gauss-seidel", 10), ("gauss-seidel", 12), ("gauss-seidel", 50), ("jacobi", 20),
              ("jacobi", 25), ("jacobi", 50))
ORDER = {"gauss-seidel": "Gauss–Seidel", "jacobi": "Jacobi"}
if os.environ.get("HYBRID_COSIM_QUICK"):   # development only: a small grid
    FIXED_N = (20, 50, 100, 200, 500, 1000, 2000)
    ITERATED_N_MAX, ITERATED_JACOBI_N_MAX = 1000, 200
    ADAPTIVE_EXPLICIT_TOL, ADAPTIVE_EXPLICIT_JACOBI_TOL, ADAPTIVE_FLOW_TOL = (1e-2, 1e-3), (1e-2,), ()
    ADAPTIVE_ITERATED_TOL, ADAPTIVE_ITERATED_JACOBI_TOL = (1e-3, 1e-4), (1e-3,)
    SCAN_GS, SCAN_JACOBI, SCAN_ITERATED = tuple(range(7, 14)), tuple(range(16, 26)), tuple(range(4, 8))
    TARGET = 2e-3


# --------------------------------------------------------------------------------------------
# the scenario
# --------------------------------------------------------------------------------------------
def scenario_constants() -> dict:
    system, settings = load(SCENARIO)
    a = system.bus.actors
    st, tu = a["stage"], a["turbine"]
    st.setup()   # only to get its gas constant
    R = st._R
    si = HybridSI(T_C=st.T_compression, T_E=st.T_expansion, T_L=a["hx"].T_load, T_D=st.T_dead,
                  V_E=st.swept_volume_expansion, V_C=st.swept_volume_compression, V_D=st.dead_volume,
                  V_B=a["hp_buffer"].volume, phase=st.phase, frequency=st.frequency,
                  r_cv_f=a["hp_valve"].r_forward, a_t=tu.area, p_charge=st.p_charge, R_gas=R)
    period = 1.0 / st.frequency
    with open(SCENARIO, "rb") as f:
        doc = tomllib.load(f)
    return {
        "si": si, "groups": si.groups(), "period": period, "frequency": st.frequency,
        "p_charge": st.p_charge, "V_E": st.swept_volume_expansion, "R": R,
        "T_C": st.T_compression, "T_E": st.T_expansion, "V_B": a["hp_buffer"].volume,
        "r_f": a["hp_valve"].r_forward, "stop_time": settings.stop_time,
        "cycles": round(settings.stop_time / period), "steps": dict(system.steps),
        "run_table": doc.get("run", {}), "settings": settings,
        "ticks_per_cycle": round(period / 1e-9),
    }


SC = scenario_constants()
PERIOD, PC, VE = SC["period"], SC["p_charge"], SC["V_E"]
TPC = SC["ticks_per_cycle"]   # master ticks (1 ns) per cycle


def _warm_up() -> None:
    """One short explicit, iterated and adaptive run and a monolithic solve: imports every module
    of engine/ and fmus/ that the study uses, so that the digest below can list them."""
    for opts in ({}, {"iterate": True}, {"tolerance": 1e-3}):
        system, settings = load(SCENARIO)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            system.run(4 * PERIOD / 1000, output_interval=PERIOD / 1000, **opts)
    cyclic_steady_state(**SC["groups"], steps_per_cycle=100)


def code_digest() -> str:
    """sha256 of the sources of engine/ and fmus/ that this process has imported (the code the
    runs execute), of the scenario without its [run] table, and of CACHE_VERSION."""
    files = {p for p in loaded_sources("engine") | loaded_sources("fmus") if p.suffix == ".py"}
    with open(SCENARIO, "rb") as f:
        doc = tomllib.load(f)
    doc.pop("run", None)
    return files_digest(sorted(files), json.dumps(doc, sort_keys=True, default=str), CACHE_VERSION)


_warm_up()
DIGEST = code_digest()
CACHE = CACHE_ROOT / DIGEST
STATS = {"computed": 0, "cached": 0, "compute_seconds": 0.0, "cached_seconds": 0.0}
ONLY_CACHED = "--only-cached" in sys.argv


def cached(kind: str, spec: dict, fn):
    key = hashlib.sha256(json.dumps([kind, spec], sort_keys=True).encode()).hexdigest()[:20]
    path = CACHE / f"{kind}-{key}.json"
    if path.exists():
        rec = json.loads(path.read_text())
        STATS["cached"] += 1
        STATS["cached_seconds"] += rec.get("_elapsed", 0.0)
        return rec
    if ONLY_CACHED:
        raise SystemExit(f"not cached: {kind} {spec}")
    t0 = time.perf_counter()
    rec = fn(**spec)
    rec["_elapsed"] = time.perf_counter() - t0
    rec["_spec"] = spec
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rec))
    tmp.replace(path)
    STATS["computed"] += 1
    STATS["compute_seconds"] += rec["_elapsed"]
    print(f"  {kind} {spec}: {rec.get('status', '')} {rec['_elapsed']:.1f} s", flush=True)
    return rec


# --------------------------------------------------------------------------------------------
# one co-simulation run
# --------------------------------------------------------------------------------------------
def last_cycle(ds) -> dict:
    """The last cycle's dimensionless metrics (paper eq. 33-41: W_C, Q_E, Q_L, W_t over
    p_charge V_E, the stage's pressure extremes over p_charge, the largest relative departure of
    the gas in stage + buffers from its start), as tests/test_hybrid_actors.py computes them:
    :func:`cryocosim.fmus.reference.hybrid_metrics.cycle_metrics`."""
    return cycle_metrics(ds, PERIOD, PC, VE)


def step_ticks(N: int) -> int:
    """The step (ns) of N steps per cycle: exact when N divides the cycle, else rounded up, and
    then the master's equal steps up to each cycle boundary make exactly N of them."""
    return -(-TPC // N)


def one_run(N, ordering, iterate, tolerance, nominal, output_interval, per_step):
    """Load the scenario, set the steps and options, run to its stop time.  Returns the result,
    the wall times (master loop, whole System.run call) and the master's statistics."""
    system, settings = load(SCENARIO)
    opts = dict(ordering=ordering, iterate=iterate)
    aligned = False
    if N is not None:
        k = step_ticks(N)
        if TPC % N == 0 or per_step:
            for name in system.steps:
                system.steps[name] = k * 1e-9
        else:
            # N does not divide the cycle: keep the scenario's steps (their multiple is the output
            # interval) and force the fastest actor's step to k ns with min_step = max_step; the
            # macro-step loop then makes N equal steps to every cycle boundary (an output time).
            # The tolerance is only there to turn the step bounds on; no step is ever rejected
            # at min_step.  Gives the plain loop's numbers bit for bit where both apply.
            aligned = True
            opts.update(tolerance=0.5, min_step=k * 1e-9, max_step=k * 1e-9,
                        iteration_tolerance=1e-6)   # the iteration's default without a tolerance
    if tolerance:
        opts.update(tolerance=tolerance, nominal=nominal)
    interval = (step_ticks(N) * 1e-9) if per_step else output_interval
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = system.run(settings.stop_time, output_interval=interval, **opts)
    call = time.perf_counter() - t0
    m = system.master
    stats = {"wall": m.wall_time, "cpu": m.cpu_time, "call": call, "actor_steps": m.steps_taken,
             "accepted": m.accepted, "rejected": m.rejected, "forced": m.forced,
             "explicit_steps": m.explicit_steps, "jacobians": m.jacobians,
             "rejected_by": dict(sorted(m.rejected_by.items(), key=lambda kv: -kv[1])[:4]),
             "warnings": sorted({str(w.message) for w in caught}), "aligned": aligned}
    return ds, stats


def run_case(N=None, ordering="gauss-seidel", iterate=False, tolerance=None, nominal=None,
             output_interval=None, per_step=False, repeats=REPEATS, waves=False,
             force_repeats=False) -> dict:
    output_interval = output_interval or PERIOD
    rec = {"N": N, "ordering": ordering, "iterate": iterate, "tolerance": tolerance}
    walls, calls, cpus = [], [], []
    for i in range(repeats if not per_step else 1):
        try:
            ds, stats = one_run(N, ordering, iterate, tolerance, nominal, output_interval, per_step)
        except CryocosimError as exc:
            rec.update(status="failed", message=str(exc).splitlines()[0])
            return rec
        walls.append(stats["wall"])
        calls.append(stats["call"])
        cpus.append(stats["cpu"])
        if i == 0:
            rec.update(stats)
            if per_step:
                rec.update(openings(ds, N))
                if waves:
                    sel = slice(-N - 1, None)
                    t = ds["time"].values[sel]
                    rec["wave"] = {"phase": ((t - t[0]) / PERIOD).tolist(),
                                   "p": (ds["stage.p"].values[sel] / PC).tolist(),
                                   "p_hp": (ds["hp_buffer.p"].values[sel] / PC).tolist(),
                                   "p_lp": (ds["lp_buffer.p"].values[sel] / PC).tolist(),
                                   "mdot_hp": ds["hp_valve.mdot"].values[sel].tolist(),
                                   "mdot_lp": ds["lp_valve.mdot"].values[sel].tolist()}
            else:
                rec.update(last_cycle(ds))
        if stats["wall"] >= REPEAT_BELOW and not force_repeats:
            break
    rec.update(status="ok", wall=min(walls), call=min(calls), cpu=min(cpus), walls=walls, cpus=cpus)
    return rec


def flow_maxima(x) -> int:
    """Local maxima of a valve's flow over one cycle (cyclic samples, the valve open): one for
    the smooth rectifier; more when the held flow overshoots the valve's relaxation and the flow
    oscillates (or the valve chatters)."""
    x = np.asarray(x, float)
    prev, nxt = np.roll(x, 1), np.roll(x, -1)
    return int(np.sum((x > 0.0) & (x > prev) & (x >= nxt)))


def openings(ds, N) -> dict:
    """The valves' flow maxima over the last N steps (one cycle) of a run recorded every step."""
    out = {}
    for v in ("hp_valve", "lp_valve"):
        out[f"maxima_{v}"] = flow_maxima(ds[f"{v}.mdot"].values[-N:])
    return out


# --------------------------------------------------------------------------------------------
# the monolithic reference
# --------------------------------------------------------------------------------------------
def reference_case(N) -> dict:
    t0 = time.perf_counter()
    r = cyclic_steady_state(**SC["groups"], steps_per_cycle=N, tol=REF_TOL, return_waves=True)
    dt = time.perf_counter() - t0
    w = r["waves"]
    keep = {k: r[k] for k in ("Q_L", "W_C", "Q_E", "Pi_min", "Pi_max", "mass_error", "cycles",
                              "second_law_residual")}
    keep["time"] = dt
    keep["wave"] = {k: w[k].tolist() for k in ("phi", "Pi", "Pi_HP", "Pi_LP", "Mdot_cv_HP",
                                               "Mdot_cv_LP")}
    return keep


# --------------------------------------------------------------------------------------------
# helpers for the page
# --------------------------------------------------------------------------------------------
KEYS = ("Q_L", "W_C", "Q_E")


def errors(rec, ref) -> dict:
    if rec.get("status") != "ok":
        return {}
    e = {k: (rec[k] - ref[k]) / abs(ref[k]) for k in KEYS}
    e["Pi_min"] = rec["Pi_min"] - ref["Pi_min"]
    e["Pi_max"] = rec["Pi_max"] - ref["Pi_max"]
    e["max"] = max(abs(e["Q_L"]), abs(e["W_C"]))
    e["cycle_change"] = (rec["Q_L"] - rec["Q_L_previous"]) / rec["Q_L"]
    return e


def se(x, p=2):
    """signed, scientific"""
    return fmt(x, p, "e", sign=True)


def sci(x, p=2):
    return fmt(x, p, "e")


def step_us(N) -> str:
    return f"{step_ticks(N) / 1e3:g}"


def fit_order(points):
    """Least-squares line through (log N, log |e|): order p and constant C of |e| = C N^-p."""
    if len(points) < 2:
        return math.nan, math.nan
    x = np.log([n for n, _ in points])
    y = np.log([abs(e) for _, e in points])
    slope, icpt = np.polyfit(x, y, 1)
    return -float(slope), float(math.exp(icpt))


# --------------------------------------------------------------------------------------------
def main() -> None:
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    FIG.mkdir(parents=True, exist_ok=True)
    print(f"code digest {DIGEST}; cache {CACHE}", flush=True)

    # ---- monolithic reference and its own step convergence
    refs = {N: cached("reference", {"N": N}, reference_case) for N in REF_N}
    ref = refs[REF_N[-1]]

    # ---- fixed steps
    fixed = {}
    for ordering in ("gauss-seidel", "jacobi"):
        for N in FIXED_N:
            fixed[("explicit", ordering, N)] = cached("run", dict(N=N, ordering=ordering), run_case)
        for N in FIXED_N:
            if N > (ITERATED_N_MAX if ordering == "gauss-seidel" else ITERATED_JACOBI_N_MAX):
                continue
            fixed[("iterated", ordering, N)] = cached("run", dict(N=N, ordering=ordering, iterate=True),
                                                      run_case)

    # ---- adaptive steps
    adaptive = {}
    for tol in ADAPTIVE_EXPLICIT_TOL:
        adaptive[("explicit", "gauss-seidel", tol)] = cached(
            "run", dict(tolerance=tol, nominal=NOMINAL_NO_FLOW), run_case)
    for tol in ADAPTIVE_EXPLICIT_JACOBI_TOL:
        adaptive[("explicit", "jacobi", tol)] = cached(
            "run", dict(tolerance=tol, nominal=NOMINAL_NO_FLOW, ordering="jacobi"), run_case)
    for tol in ADAPTIVE_FLOW_TOL:
        adaptive[("explicit-flow", "gauss-seidel", tol)] = cached(
            "run", dict(tolerance=tol, nominal=NOMINAL), run_case)
    for tol in ADAPTIVE_ITERATED_TOL:
        adaptive[("iterated", "gauss-seidel", tol)] = cached(
            "run", dict(tolerance=tol, nominal=NOMINAL, iterate=True), run_case)
    for tol in ADAPTIVE_ITERATED_JACOBI_TOL:
        adaptive[("iterated", "jacobi", tol)] = cached(
            "run", dict(tolerance=tol, nominal=NOMINAL, iterate=True, ordering="jacobi"), run_case)

    # ---- stability scan: every whole N near the limits, cycle-aligned steps; and per-step
    #      records (openings of the valves) of the same N
    scan = {}
    for ordering, iterate, Ns in (("gauss-seidel", False, SCAN_GS), ("jacobi", False, SCAN_JACOBI),
                                  ("gauss-seidel", True, SCAN_ITERATED)):
        for N in Ns:
            a = cached("run", dict(N=N, ordering=ordering, iterate=iterate, repeats=1), run_case)
            b = cached("run", dict(N=N, ordering=ordering, iterate=iterate, per_step=True), run_case)
            scan[(ordering, iterate, N)] = (a, b)
    waves = {c: cached("run", dict(N=c[1], ordering=c[0], per_step=True, waves=True), run_case)
             for c in WAVE_CASES}

    # ---- the scenario as it stands ([run] table as read now)
    current = cached("current", dict(run_table=json.dumps(SC["run_table"], sort_keys=True, default=str),
                                     repeats=DEFAULT_REPEATS), run_current)

    # ---- analysis -----------------------------------------------------------------------------
    E = {k: errors(v, ref) for k, v in {**fixed, **adaptive}.items()}
    # the chosen defaults: the cheapest run within TARGET on Q_L and W_C, periodic, gas conserved
    def passes(rec, e):
        return (rec.get("status") == "ok" and e["max"] < TARGET and abs(e["cycle_change"]) < 1e-6
                and rec["mass_error"] < 1e-12)

    # a fixed step must also divide the scenario's output interval: the master rounds the output
    # interval down to a multiple of the fastest step, so the records would not fall on it
    out_ticks = round(float(SC["settings"].output_interval or PERIOD) / 1e-9)

    def fits_output(key):
        return out_ticks % step_ticks(key[2]) == 0

    # ranked by CPU time (the wall times carry the other jobs' load; see the page)
    within = [(rec["cpu"], key, "fixed") for key, rec in fixed.items() if passes(rec, E[key])]
    misfits = sorted(c for c in within if not fits_output(c[1]))
    candidates = [c for c in within if fits_output(c[1])]
    candidates += [(rec["cpu"], key, "adaptive") for key, rec in adaptive.items() if passes(rec, E[key])]
    candidates.sort()
    run_only = [c for c in candidates if c[2] == "adaptive" or c[1][2] == round(PERIOD / SC["steps"]["stage"])]
    chosen = candidates[0] if candidates else None
    chosen_defaults = None
    if chosen:
        _, key, kind = chosen
        spec = dict(ordering=key[1], iterate=key[0] == "iterated", repeats=DEFAULT_REPEATS, force_repeats=True,
                    output_interval=float(SC["settings"].output_interval or PERIOD))
        if kind == "fixed":
            spec["N"] = key[2]
        else:
            spec.update(tolerance=key[2], nominal=NOMINAL if key[0] != "explicit" else NOMINAL_NO_FLOW)
        chosen_defaults = cached("defaults", spec, run_case)

    if code_digest() != DIGEST:   # the runs used the code imported at the start; the cache key
        print("warning: engine/, fmus/ or the scenario changed on disk during the study; the "
              "page is from the code imported at the start, digest " + DIGEST, flush=True)
    write_page(refs, ref, fixed, adaptive, E, scan, waves, candidates, run_only, chosen,
               chosen_defaults, current, t_start, load_start, misfits)


def run_current(run_table, repeats) -> dict:
    """The scenario exactly as its [run] table says (stop time, ordering, output interval, step
    control): its error and real-time factor."""
    system, settings = load(SCENARIO)
    walls, calls, cpus = [], [], []
    rec = {}
    for i in range(repeats):
        system, settings = load(SCENARIO)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = system.run(settings.stop_time, **settings.run_options())
        calls.append(time.perf_counter() - t0)
        walls.append(system.master.wall_time)
        cpus.append(system.master.cpu_time)
        if i == 0:
            rec.update(last_cycle(ds))
    rec.update(status="ok", wall=min(walls), call=min(calls), cpu=min(cpus), walls=walls,
               options=settings.run_options(), steps=dict(system.steps))
    return rec


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------
def label(key) -> str:
    coupling, ordering = key[0], key[1]
    name = {"explicit": "explicit", "iterated": "iterated", "explicit-flow": "explicit"}[coupling]
    return f"{name} {ORDER[ordering]}"


def write_page(refs, ref, fixed, adaptive, E, scan, waves, candidates, run_only, chosen,
               chosen_defaults, current, t_start, load_start, misfits):
    g5 = SC["groups"]
    stop, ncyc = SC["stop_time"], SC["cycles"]
    L: list[str] = []
    add = L.append

    # ---- fits
    fits = {}
    for coupling in ("explicit", "iterated"):
        for ordering in ("gauss-seidel", "jacobi"):
            for q in ("Q_L", "W_C"):
                pts = [(N, E[(coupling, ordering, N)][q]) for N in FIXED_N
                       if (coupling, ordering, N) in fixed and fixed[(coupling, ordering, N)]["status"] == "ok"
                       and N >= FIT_N_MIN]
                fits[(coupling, ordering, q)] = fit_order(pts) + (min((n for n, _ in pts), default=0),
                                                                  max((n for n, _ in pts), default=0))

    def n_needed(coupling, ordering):
        """steps per cycle for |e| = TARGET on Q_L and on W_C by the fit (the larger)"""
        out = 0.0
        for q in ("Q_L", "W_C"):
            p, C = fits[(coupling, ordering, q)][:2]
            out = max(out, (C / TARGET) ** (1.0 / p))
        return out

    # wall time per step per cycle (s per 12 cycles per N) from the larger fixed runs
    def cost_per_N(coupling, ordering):
        xs = [(N, fixed[(coupling, ordering, N)]["cpu"]) for N in FIXED_N
              if (coupling, ordering, N) in fixed and fixed[(coupling, ordering, N)]["status"] == "ok"
              and N >= 1000]
        return float(np.median([w / N for N, w in xs])) if xs else math.nan

    # ---- analytic stability estimate: the valve relaxation rate along the reference cycle
    w = ref["wave"]
    phi = np.asarray(w["phi"])
    D = _D(phi, g5["beta"], g5["kappa"], g5["S"], g5["alpha"])
    k_rate = g5["beta"] / math.pi / (g5["R_cv_f"] * D) + 1.0 / (2 * math.pi * g5["lam"] * g5["R_cv_f"])
    open_hp = np.asarray(w["Mdot_cv_HP"]) > 0.0
    open_lp = np.asarray(w["Mdot_cv_LP"]) > 0.0
    k_hp, k_lp = float(k_rate[open_hp].max()), float(k_rate[open_lp].max())
    k_max = max(k_hp, k_lp)
    tau_min = 1.0 / (2 * math.pi * SC["frequency"] * k_max)
    n_star_gs = math.pi * k_max           # h < 2 tau  <=>  N > pi k
    n_star_j = 2 * math.pi * k_max        # h < tau    <=>  N > 2 pi k
    # the same time constant from the SI parameters at the HP valve's opening (stage capacity)
    C_B = SC["V_B"] / (SC["R"] * SC["T_E"])

    # ---- scan summaries
    ref_maxima = (flow_maxima(w["Mdot_cv_HP"][:-1]), flow_maxima(w["Mdot_cv_LP"][:-1]))
    def scan_summary(ordering, iterate):
        Ns = sorted(N for (o, it, N) in scan if o == ordering and it == iterate)
        failed = [N for N in Ns if scan[(ordering, iterate, N)][0]["status"] != "ok"]
        ok = [N for N in Ns if N not in failed]
        chatter = [N for N in ok if scan[(ordering, iterate, N)][1].get("status") == "ok"
                   and (scan[(ordering, iterate, N)][1]["maxima_hp_valve"] > ref_maxima[0]
                        or scan[(ordering, iterate, N)][1]["maxima_lp_valve"] > ref_maxima[1])]
        # the smallest N from which every scanned N completes
        tail = next((Ns[i] for i in range(len(Ns)) if all(n not in failed for n in Ns[i:])), None)
        return Ns, failed, ok, chatter, tail

    # ---- figures
    fig_error(fixed, E, fits)
    fig_stability(scan, ref, n_star_gs, n_star_j)
    fig_work(fixed, adaptive, E)
    fig_waves(waves, ref)

    # ------------------------------------------------------------------------------------------
    elapsed = time.perf_counter() - t_start
    add("<!-- written by docs/scripts/hybrid_cosim_study.py; do not edit by hand -->")
    add("# Hybrid Stirling / reverse-Brayton cryocooler: co-simulation study")
    add("")
    add("The hybrid cooler of Nellis & Maddocks ([references](references.md); "
        "Cryogenics 43 (2003) 31-43) runs in `scenarios/hybrid_stirling.toml` as seven actors — the "
        "Stirling stage, the high- and low-pressure check valves, the two buffers, the turbine and "
        "the ideal exchangers — that exchange pressures, mass flows and temperatures only at "
        "communication steps. This page measures the error that coupling makes against the "
        "monolithic solution of the same equations (`fmus/reference/hybrid.py`, "
        "[hybrid_validation.md](hybrid_validation.md)), for steps from 1/20 to 1/"
        f"{max(FIXED_N)} of a cycle, fixed and adaptive, explicit and iterated, Jacobi and "
        "Gauss–Seidel; where explicit coupling goes unstable; and which settings keep the error "
        f"below {TARGET:g}. Every number here is computed by `docs/scripts/hybrid_cosim_study.py`.")
    add("")
    add(f"Machine: {cpu_model()}, {os.cpu_count()} logical cores shared with other jobs, {platform.system()} "
        f"{platform.machine()}, {python()}, {versions('numpy', 'simpy')}, cryocosim {cryocosim.__version__}. "
        f"Load average {load_start[0]:.2f} when the script started. "
        f"Code digest `{DIGEST}` (the engine/ and fmus/ sources the runs import, the scenario without its [run] table): every run "
        f"on this page was made with that code. This generation took {elapsed:.0f} s "
        f"({STATS['computed']} run{'s' if STATS['computed'] != 1 else ''} computed, {STATS['cached']} taken from the cache "
        f"`results/hybrid_cosim/{DIGEST}/`); computing every run from scratch takes "
        f"{(STATS['compute_seconds'] + STATS['cached_seconds']) / 60:.1f} min.")
    add("")

    # ---- summary
    add("## Summary")
    add("")
    pe, Ce = fits[("explicit", "gauss-seidel", "Q_L")][:2]
    pj, Cj = fits[("explicit", "jacobi", "Q_L")][:2]
    pi_, Ci = fits[("iterated", "gauss-seidel", "Q_L")][:2]
    e1000 = E[("explicit", "gauss-seidel", 1000)]
    i1000 = E[("iterated", "gauss-seidel", 1000)]
    gs_Ns, gs_failed, gs_ok, gs_chatter, gs_tail = scan_summary("gauss-seidel", False)
    j_Ns, j_failed, j_ok, j_chatter, j_tail = scan_summary("jacobi", False)
    it_Ns, it_failed, it_ok, it_chatter, it_tail = scan_summary("gauss-seidel", True)

    def nset(xs):
        return "{" + ", ".join(map(str, xs)) + "}" if xs else "none"

    def stab_sentence(name, failed, chatter, tail, Ns):
        out = f"{name} completes every N ≥ {tail} of the scan ({Ns[0]}…{Ns[-1]})"
        out += f"; it fails at N ∈ {nset(failed)}" if failed else "; it never fails"
        out += (f"; its valve flows oscillate (more maxima per cycle than the reference) at N ∈ "
                f"{nset(chatter)}" if chatter else "; its valve flows never oscillate")
        return out

    bullets = []
    bullets.append(
        f"The coupling error is first order in the step for every scheme: the fitted order on Q_L "
        f"is {pe:.3f} (explicit Gauss–Seidel), {pj:.3f} (explicit Jacobi) and {pi_:.3f} (iterated) "
        f"over N = {FIT_N_MIN}…{fits[('explicit', 'gauss-seidel', 'Q_L')][3]} steps per cycle. "
        f"Explicit Gauss–Seidel overestimates Q_L by {Ce:.2f}/N, explicit Jacobi by {Cj:.2f}/N, and "
        f"iterated coupling underestimates it by {Ci:.2f}/N. At the scenario's 1000 steps per cycle: "
        f"{se(e1000['Q_L'])} (explicit Gauss–Seidel) and {se(i1000['Q_L'])} (iterated) on Q_L.")
    bullets.append(
        f"Explicit coupling: the linear estimate from the valve relaxation time constant "
        f"(τ = {tau_min * 1e3:.3f} ms at the high-pressure valve's opening) puts the limit at "
        f"N = {n_star_gs:.1f} steps per cycle for Gauss–Seidel (h < 2τ) and {n_star_j:.1f} for "
        f"Jacobi (h < τ). Measured on every whole N: "
        + stab_sentence("explicit Gauss–Seidel", gs_failed, gs_chatter, gs_tail, gs_Ns) + ". "
        + stab_sentence("Explicit Jacobi", j_failed, j_chatter, j_tail, j_Ns) + ". "
        + stab_sentence("Iterated coupling", it_failed, it_chatter, it_tail, it_Ns) + ".")
    if chosen:
        _, key, kind = chosen
        e = E[key]
        d = chosen_defaults
        bullets.append(
            f"Cheapest run within {TARGET:g} on Q_L and W_C: **{describe(key, kind)}**, "
            f"{se(e['Q_L'])} on Q_L and {se(e['W_C'])} on W_C, {chosen[0]:.2f} s of CPU for the "
            f"{ncyc} cycles. With the scenario's output interval "
            f"({fmt(SC['settings'].output_interval * 1e3)} ms) these settings run at "
            f"**{stop / d['wall']:.4f}× real time** ({d['wall']:.2f} s of wall time for {stop:g} s "
            f"simulated, min of {len(d['walls'])}; {stop / d['cpu']:.4f}× by CPU time). "
            + ("The scenario file's `[run]` table cannot hold them (the step is set per `[[actor]]`), and "
               "it is left as it was: see below." if kind == "fixed" else ""))
    else:
        bullets.append(f"No run reached {TARGET:g} on both Q_L and W_C.")
    for b in bullets:
        add(f"- {b}")
    add("")

    # ---- method
    add("## Method")
    add("")
    add(f"**Co-simulation.** `cryocosim.scenario.load` builds the system from the scenario; each run "
        f"sets every actor's step to 1/N of the {PERIOD * 1e3:g} ms cycle "
        "(`system.steps[name] = …`) and calls `system.run(stop_time, ordering=…, iterate=…, "
        "tolerance=…)`. Explicit coupling holds each input at its producer's last published value "
        "over a step (zero-order hold). With Gauss–Seidel ordering the actors step in the scenario's "
        "order — valves and turbine from the pressures at the start of the step, then stage and "
        "buffers with those flows (forward Euler on the masses), then the exchangers; with Jacobi "
        "every actor reads the values at the start of the step, so the volumes see the flows of the "
        "pressures one step earlier. Iterated coupling (`iterate = true`) holds every input at its "
        "producer's end-of-step value, found by Newton's method (backward-Euler coupling); the "
        "ordering does not enter. Adaptive runs (`tolerance`) control the coupling error per step "
        "with rollback (see `engine/stepcontrol.py`); their absolute floors are `nominal` = "
        f"{NOMINAL} for iterated runs (as in the test) and {NOMINAL_NO_FLOW} for explicit ones (the "
        "flows at the SI default of 1 kg/s; why, below). Steps must be whole nanoseconds, so the "
        "fixed grid uses N that divide 20 000 000 ns (32 stands for 33). The stability scan takes "
        "every whole N: where N does not divide the cycle the actors keep the scenario's step "
        "and the fastest step is forced to ⌈cycle/N⌉ by `min_step = max_step` (with a tolerance "
        "only to switch the bounds on: no step is rejected at `min_step`), so the master makes N "
        "equal steps to each cycle boundary; this gives the plain fixed-step loop's numbers bit for "
        "bit where both apply.")
    add("")
    add(f"**Metrics.** Each run starts at φ = 0 at the charge pressure and runs the scenario's "
        f"{ncyc} cycles ({stop:g} s). Over the last cycle, as `tests/test_hybrid_actors.py` does: "
        "W_C and Q_E from the stage's cumulative compression and expansion work, Q_L from the "
        "load exchanger's cumulative heat, each over p_charge V_E; Π_min and Π_max the stage's "
        "pressure extremes over p_charge (sampled at the step ends); the gas in stage and buffers "
        "against its start. The error is the relative difference from the monolithic cyclic steady "
        "state with the scenario's groups (Π: absolute difference). The last cycle's Q_L against "
        "the one before shows that the run is periodic.")
    add("")
    add("**Timing.** Wall time is the master's loop (`system.master.wall_time`: stepping, "
        "coupling, recording, without loading the scenario or building the Dataset), one run at a "
        f"time in one process; runs under {REPEAT_BELOW:g} s are repeated {REPEATS} times and the "
        f"minimum kept. Real-time factor = simulated time / wall time ({stop:g} s / wall). The "
        "machine is shared with other jobs (load average "
        f"{load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end of this "
        "generation on its 2 cores), which stretches wall times irregularly, by up to about two; "
        "so the process's CPU time over the same loop is recorded beside it (what an otherwise idle "
        "core would take), and the comparisons of cost — the ranking of the candidates for the "
        "defaults, the cost per step, the work-precision figure — use it.")
    add("")

    # ---- reference
    add("## The monolithic reference and its own step error")
    add("")
    add(f"`cyclic_steady_state` (RK4 shooting, criterion {REF_TOL:g}) with the scenario's groups "
        f"(β = {g5['beta']:g}, κ = {g5['kappa']:g}, S = {g5['S']:g}, α = {g5['alpha']:g}, "
        f"λ = {g5['lam']:.6g}, χ = {g5['chi']:g}, A_t = {g5['A_t']:.6g}, R_cv,f = {g5['R_cv_f']:.6g}, "
        f"R_cv,b = ∞). The finest count, {REF_N[-1]} steps per cycle, is the reference; the table "
        "gives each count's relative difference from it (Π: absolute).")
    add("")
    rows = []
    for N in REF_N:
        r = refs[N]
        rows.append((N, f"{r['Q_L']:.10f}", se((r["Q_L"] - ref["Q_L"]) / ref["Q_L"]),
                     se((r["W_C"] - ref["W_C"]) / ref["W_C"]), se((r["Q_E"] - ref["Q_E"]) / abs(ref["Q_E"])),
                     se(r["Pi_max"] - ref["Pi_max"]), sci(r["mass_error"], 1), f"{r['time'] * 1e3:.0f}"))
    L += table(("RK4 steps per cycle", "Q_L", "Q_L diff.", "W_C diff.", "Q_E diff.", "Π_max diff.",
                   "mass error", "time [ms]"), rows)
    add("")
    prev = refs[REF_N[-2]]
    ref_err = max(abs(prev[k] - ref[k]) / abs(ref[k]) for k in ("Q_L", "W_C"))
    add(f"Reference: Q_L = {ref['Q_L']:.8f}, W_C = {ref['W_C']:.8f}, Q_E = {ref['Q_E']:.8f}, "
        f"Π = {ref['Pi_min']:.6f} … {ref['Pi_max']:.6f}. Halving its step changes Q_L and W_C by "
        f"at most {sci(ref_err, 1)} (relative), {TARGET / ref_err:.0f} times below the {TARGET:g} "
        "the co-simulation is asked for: the reference's own error does not enter the errors below.")
    add("")

    # ---- fixed steps
    add("## Fixed steps: error against steps per cycle")
    add("")
    add("![error against steps per cycle](figures/hybrid_cosim_error.png)")
    add("")
    rows = []
    for coupling in ("explicit", "iterated"):
        for ordering in ("gauss-seidel", "jacobi"):
            for q in ("Q_L", "W_C"):
                p, C, n0, n1 = fits[(coupling, ordering, q)]
                if not math.isfinite(p):
                    continue
                rows.append((f"{coupling} {ORDER[ordering]}", q, f"{n0}…{n1}", f"{p:.3f}",
                             f"{C:.3g}", f"{(C / TARGET) ** (1 / p):.0f}"))
    add(f"Least-squares fit of |error| = C N^-p over N ≥ {FIT_N_MIN} (the last column: N for "
        f"|error| = {TARGET:g}):")
    add("")
    L += table(("coupling", "quantity", "N fitted", "order p", "C", f"N for {TARGET:g}"), rows)
    add("")
    add("Every run, with its signed relative errors, the last cycle's change against the one "
        "before (periodicity), the largest departure of the gas from its start, the wall time and "
        "the real-time factor:")
    add("")
    for coupling in ("explicit", "iterated"):
        for ordering in ("gauss-seidel", "jacobi"):
            rows = []
            for N in FIXED_N:
                key = (coupling, ordering, N)
                if key not in fixed:
                    continue
                rec, e = fixed[key], E[key]
                if rec["status"] != "ok":
                    rows.append((N, step_us(N), "failed: " + rec["message"], "", "", "", "", "", "", "", "", ""))
                    continue
                extra = ""
                if coupling == "iterated":
                    extra = f"{rec['jacobians']} / {rec['explicit_steps']}"
                rows.append((N, step_us(N), se(e["Q_L"]), se(e["W_C"]), se(e["Q_E"]), se(e["Pi_max"]),
                             sci(e["cycle_change"], 0), sci(rec["mass_error"], 0), f"{rec['wall']:.3g}",
                             f"{rec['cpu']:.3g}", f"{stop / rec['wall']:.3g}", extra))
            if not rows:
                continue
            add(f"**{coupling.capitalize()} {ORDER[ordering]}**" + (
                " (Jacobians / steps taken explicitly because Newton did not converge, in the last column)"
                if coupling == "iterated" else ""))
            add("")
            L += table(("N", "step [µs]", "Q_L", "W_C", "Q_E", "Π_max (abs.)", "cycle change",
                           "mass error", "wall [s]", "CPU [s]", "real-time factor", "" if coupling == "explicit"
                           else "Jacobians / explicit"), rows)
            add("")
    # identity of iterated Jacobi and Gauss-Seidel
    same = [N for N in FIXED_N if ("iterated", "jacobi", N) in fixed
            and fixed[("iterated", "jacobi", N)]["status"] == "ok"
            and all(fixed[("iterated", "jacobi", N)][k] == fixed[("iterated", "gauss-seidel", N)][k] for k in KEYS)]
    tested = [N for N in FIXED_N if ("iterated", "jacobi", N) in fixed]
    add(f"Iterated Jacobi and iterated Gauss–Seidel give identical Q_L, W_C and Q_E (bit for bit) at "
        f"{len(same)} of the {len(tested)} step counts run with both "
        f"({', '.join(str(n) for n in tested if n not in same) or 'all'} "
        f"{'differ' if len(same) < len(tested) else ''}"
        f"{'' if len(same) < len(tested) else 'agree'}): with every input held at its end-of-step "
        "value the order in which the actors step does not matter (only steps taken explicitly "
        "after a failed Newton iteration depend on it). Iterated Gauss–Seidel stands for both beyond "
        f"N = {ITERATED_JACOBI_N_MAX}.")
    add("")
    cpe, cpi = cost_per_N("explicit", "gauss-seidel"), cost_per_N("iterated", "gauss-seidel")
    add(f"Cost: a communication step of all seven actors takes {cpe / ncyc * 1e6:.1f} µs of CPU "
        f"time with explicit Gauss–Seidel coupling and {cpi / ncyc * 1e6:.1f} µs with iterated "
        f"coupling ({cpi / cpe:.1f} times as much: Newton's iterations, the Jacobians and the "
        "snapshot before every step); medians over the runs with N ≥ 1000.")
    add("")

    # ---- stability
    add("## Stability limit of explicit coupling")
    add("")
    add(f"**Estimate.** A valve between the stage and a buffer relaxes their pressure difference "
        f"with the time constant τ = r_cv,f / (1/C_stage(φ) + 1/C_B), C = dm/dp; in the paper's groups "
        f"its rate is k(φ) = (β/π)/(R_cv,f D(φ)) + 1/(2π λ R_cv,f) per radian "
        "(the stiffness estimate of `fmus/reference/hybrid.py`'s `stable_steps`). Along the reference cycle "
        f"the largest rate while a valve is open is k = {k_hp:.3f} at the high-pressure valve "
        f"(low-pressure valve: {k_lp:.3f}), i.e. τ = {tau_min * 1e3:.3f} ms (C_B = {C_B:.3e} kg/Pa). "
        "Explicit Gauss–Seidel coupling is forward Euler on the masses: the valve mode is stable for "
        f"h < 2τ, N > πk = {n_star_gs:.2f}. Jacobi delays the flows by one step "
        "(p_{n+1} = p_n − (h/τ) p_{n−1}), stable for h < τ: N > 2πk = "
        f"{n_star_j:.2f}. (The scenario's header had quoted k = 3.8: N ≈ 12.)")
    add("")
    add("**Measured** on every whole N near these limits (cycle-aligned steps). The last two "
        "columns come from a second run of the same N with a record at every step: the local "
        "maxima of each valve's flow over the last cycle (the reference has "
        f"{ref_maxima[0]} / {ref_maxima[1]}: each valve opens, its flow rises and falls, it shuts; more "
        "maxima mean that the held flow oscillates), and for iterated runs the steps taken "
        "explicitly because Newton's iteration did not converge:")
    add("")
    add("![stability scan](figures/hybrid_cosim_stability.png)")
    add("")
    for ordering, iterate, title in (("gauss-seidel", False, "Explicit Gauss–Seidel"),
                                     ("jacobi", False, "Explicit Jacobi"),
                                     ("gauss-seidel", True, "Iterated")):
        rows = []
        for N in sorted(n for (o, it, n) in scan if o == ordering and it == iterate):
            a, b = scan[(ordering, iterate, N)]
            if a["status"] != "ok":
                rows.append((N, f"{step_ticks(N) / 1e3:.1f}", "failed: " + a["message"], "", "", "", ""))
                continue
            e = errors(a, ref)
            op = (f"{b['maxima_hp_valve']} / {b['maxima_lp_valve']}" if b["status"] == "ok"
                  else "failed: " + b["message"])
            rows.append((N, f"{step_ticks(N) / 1e3:.1f}", se(e["Q_L"]), se(e["W_C"]),
                         sci(e["cycle_change"], 0), op,
                         str(a["explicit_steps"]) if iterate else ""))
        add(f"**{title}**")
        add("")
        L += table(("N", "step [µs]", "Q_L", "W_C", "cycle change", "flow maxima HP / LP",
                       "steps taken explicitly" if iterate else ""), rows)
        add("")
    add("![waves at coarse steps](figures/hybrid_cosim_waves.png)")
    add("")
    # the overshoot of the high-pressure valve's held flow in a coarse explicit Gauss-Seidel run
    over = ""
    for N in (10, 12):
        rec = waves.get(("gauss-seidel", N))
        if rec and rec["status"] == "ok":
            v = rec["wave"]
            dp = (np.asarray(v["p"]) - np.asarray(v["p_hp"])) * PC / 1e5
            m = np.asarray(v["mdot_hp"])
            # the record at step end i holds the flow held over the step that ends there
            i = next((i for i in range(1, len(m) - 1) if m[i] > 0.0 and m[i + 1] <= 0.0), None)
            if i is not None:
                over += (f" At N = {N} the high-pressure valve's last open step takes the stage from "
                         f"{dp[i - 1]:.1f} bar above the buffer to {-dp[i]:.1f} bar below it.")
    worst_gs = max((abs(errors(scan[("gauss-seidel", False, N)][0], ref)["Q_L"]), N) for N in gs_ok)
    add(f"**Reading.** Explicit Gauss–Seidel: below the linear limit ({n_star_gs:.1f}) the held "
        "flow of the high-pressure valve overshoots the relaxation, but a check valve then shuts "
        "instead of reversing the flow, so the overshoot cannot grow into an oscillation: the runs "
        "still reach a periodic cycle, just a wrong one (up to "
        f"{worst_gs[0] * 100:.0f} % on Q_L, at N = {worst_gs[1]})." + over
        + (f" What ends a run (N ∈ {nset(gs_failed)}) is a held outflow that takes more gas out of "
           f"the stage in one step than it holds (\"{scan[('gauss-seidel', False, max(gs_failed))][0]['message']}\")."
           if gs_failed else "")
        + f" Explicit Jacobi delays the flows by one step: "
        + (f"below its linear limit ({n_star_j:.1f}) the valve flows oscillate within the cycle "
           f"(N ∈ {nset(j_chatter)}), " if j_chatter else "")
        + f"the error grows to {max(abs(errors(scan[('jacobi', False, N)][0], ref)['Q_L']) for N in j_ok) * 100:.0f} % "
        f"and the runs fail at N ∈ {nset(j_failed)}. Iterated coupling (backward Euler) has no such "
        f"limit in the coupling itself, but a step whose Newton iteration does not converge is "
        f"taken explicitly, and at N ∈ {nset(it_failed)} such a step empties the stage; "
        f"it completes every N ≥ {it_tail}. For the errors asked for here (≤ {TARGET:g}, N in the "
        "tens of thousands) the stability limits are far away: accuracy, not stability, sets the step.")
    add("")

    # ---- Richardson
    add("## Richardson extrapolation")
    add("")
    add("With a first-order error, X(h→0) ≈ 2 X(N2) − X(N1) for N2 = 2 N1; and since the explicit "
        "and the iterated errors are nearly equal and opposite, their mean at the same N cancels "
        "the first-order term too. Relative differences from the monolithic reference:")
    add("")
    rows = []
    for coupling, ordering in (("explicit", "gauss-seidel"), ("explicit", "jacobi"), ("iterated", "gauss-seidel")):
        for n1 in FIXED_N:
            n2 = 2 * n1
            k1, k2 = (coupling, ordering, n1), (coupling, ordering, n2)
            if k1 in fixed and k2 in fixed and fixed[k1]["status"] == "ok" and fixed[k2]["status"] == "ok" and n1 >= 100:
                x = {q: 2 * fixed[k2][q] - fixed[k1][q] for q in KEYS}
                rows.append((f"{coupling} {ORDER[ordering]}", f"{n1}, {n2}",
                             se((fixed[k2]["Q_L"] - ref["Q_L"]) / ref["Q_L"]),
                             se((x["Q_L"] - ref["Q_L"]) / ref["Q_L"]),
                             se((x["W_C"] - ref["W_C"]) / ref["W_C"]),
                             se((x["Q_E"] - ref["Q_E"]) / abs(ref["Q_E"]))))
    for N in FIXED_N:
        ke, ki = ("explicit", "gauss-seidel", N), ("iterated", "gauss-seidel", N)
        if ke in fixed and ki in fixed and fixed[ke]["status"] == "ok" and fixed[ki]["status"] == "ok" and N >= 100:
            x = {q: 0.5 * (fixed[ke][q] + fixed[ki][q]) for q in KEYS}
            rows.append(("mean of explicit and iterated Gauss–Seidel", f"{N}",
                         se((fixed[ke]["Q_L"] - ref["Q_L"]) / ref["Q_L"]),
                         se((x["Q_L"] - ref["Q_L"]) / ref["Q_L"]),
                         se((x["W_C"] - ref["W_C"]) / ref["W_C"]),
                         se((x["Q_E"] - ref["Q_E"]) / abs(ref["Q_E"]))))
    L += table(("runs", "N", "Q_L error before (finer run; explicit run)", "extrapolated Q_L", "extrapolated W_C",
                   "extrapolated Q_E"), rows)
    add("")
    add("The extrapolated values converge to the monolithic ones: the co-simulation and the "
        "reference solve the same equations, and the difference is the coupling error alone.")
    add("")

    # ---- adaptive
    add("## Adaptive steps")
    add("")
    rows = []
    for key, rec in adaptive.items():
        coupling, ordering, tol = key
        name = {"explicit": f"explicit {ORDER[ordering]}",
                "explicit-flow": f"explicit {ORDER[ordering]}, flows nominal 10 g/s",
                "iterated": f"iterated {ORDER[ordering]}"}[coupling]
        if rec["status"] != "ok":
            rows.append((name, fmt(tol), "failed: " + rec["message"], "", "", "", "", "", "", "", ""))
            continue
        e = E[key]
        rows.append((name, fmt(tol), se(e["Q_L"]), se(e["W_C"]), sci(e["cycle_change"], 0),
                     f"{rec['accepted'] / SC['cycles']:.0f}", str(rec["rejected"]),
                     str(rec["forced"]) + (f" / {rec['explicit_steps']}" if coupling == "iterated" else ""),
                     f"{rec['wall']:.3g}", f"{rec['cpu']:.3g}", f"{stop / rec['wall']:.3g}"))
    L += table(("coupling", "tolerance", "Q_L", "W_C", "cycle change", "steps per cycle",
                   "rejected", "accepted at min_step (/ explicit)", "wall [s]", "CPU [s]",
                   "real-time factor"), rows)
    add("")
    # the global error of iterated adaptive runs against the tolerance
    it_pts = [(k[2], E[k]["Q_L"]) for k in adaptive if k[0] == "iterated" and k[1] == "gauss-seidel"
              and adaptive[k]["status"] == "ok"]
    if len(it_pts) >= 2:
        x = np.log([t for t, _ in it_pts])
        y = np.log([abs(e) for _, e in it_pts])
        slope = float(np.polyfit(x, y, 1)[0])
    else:
        slope = math.nan
    ex_pts = [(k[2], E[k]["max"], adaptive[k]) for k in adaptive if k[0] == "explicit"
              and k[1] == "gauss-seidel" and adaptive[k]["status"] == "ok"]
    # steps per cycle of each explicit adaptive run against a fixed run of the same Q_L error
    p_, C_ = fits[("explicit", "gauss-seidel", "Q_L")][:2]
    ratios = [(rec["accepted"] / SC["cycles"]) / ((C_ / abs(E[("explicit", "gauss-seidel", t)]["Q_L"])) ** (1 / p_))
              for t, _, rec in ex_pts if t <= 1e-3]
    add(f"Iterated adaptive steps control a local error of second order (corrector against a linear "
        f"predictor), but the coupling is backward Euler, first order globally: the error on Q_L "
        f"falls only as tolerance^{slope:.2f} and stays far above the tolerance "
        f"({se(E[('iterated', 'gauss-seidel', 1e-4)]['Q_L'])} at 1e-4). Explicit adaptive steps "
        "(error = change of the coupled outputs over the step, first order) track the tolerance: "
        + ", ".join(f"{se(E[('explicit', 'gauss-seidel', t)]['Q_L'])} at {t:g}" for t, _, _ in ex_pts)
        + " on Q_L — with " + f"{min(ratios):.2f}–{max(ratios):.2f}" + " times the steps per cycle "
        "of a fixed-step run of the same error on Q_L (by the fit above), so they do not save work on "
        "this periodic problem, and they cost the snapshot taken before each step.")
    add("")
    fl = [(k, adaptive[k]) for k in adaptive if k[0] == "explicit-flow" and adaptive[k]["status"] == "ok"]
    if fl:
        k, rec = fl[0]
        add("**Explicit adaptive steps with the flows' nominal at 10 g/s** (the rows marked so) spend "
            f"most of their time rejecting steps: at tolerance {k[2]:g}, {rec['rejected']} rejections "
            f"against {rec['accepted']} accepted steps, {rec['forced']} of them accepted above "
            f"tolerance at the smallest step (2 ns), mostly on {', '.join(rec['rejected_by'])}. The "
            "cause is in the master (reported, not changed here): the explicit error of a step is "
            "the change of each coupled output over it, but a valve's flow at the end of the step "
            "is computed from the pressures at its *start* (Gauss–Seidel, valves before volumes), "
            "so its change is set by the previous step; retrying the step smaller leaves it "
            "unchanged, and the master shrinks the step down to `min_step` before it accepts. The "
            "explicit runs above therefore leave the flows at the SI default nominal (1 kg/s), "
            "where the pressures set the step.")
        add("")

    # ---- work-precision
    add("## Work against precision")
    add("")
    add("![work-precision](figures/hybrid_cosim_work_precision.png)")
    add("")
    add(f"Error = max(|error on Q_L|, |error on W_C|) against the CPU time of the master's loop "
        f"for the {ncyc} cycles, "
        "for every completed run of the fixed grid and the adaptive runs.")
    add("")

    # ---- mass
    allrecs = [r for r in list(fixed.values()) + list(adaptive.values()) if r["status"] == "ok"]
    worst_mass = max(r["mass_error"] for r in allrecs)
    add("## Mass conservation")
    add("")
    add(f"Every flow is read by both of its volumes from the same bus value, so the gas in stage and "
        f"buffers is conserved to rounding in every completed run, fixed or adaptive, explicit or "
        f"iterated: the largest departure from the charge over all {len(allrecs)} completed runs is "
        f"{sci(worst_mass, 1)} (relative). The monolithic RK4 reference conserves it to "
        f"{sci(ref['mass_error'], 1)}.")
    add("")

    # ---- defaults
    add("## Chosen defaults and real-time factor")
    add("")
    if chosen:
        _, key, kind = chosen
        e, rec = E[key], (fixed if kind == "fixed" else adaptive)[key]
        d = chosen_defaults
        add(f"Requirement: error below {TARGET:g} on Q_L and W_C, a periodic last cycle (change "
            "below 1e-6) and the gas conserved (1e-12), at the lowest CPU time. "
            f"{len(candidates)} runs qualify; the cheapest is **{describe(key, kind)}**: "
            f"{se(e['Q_L'])} on Q_L, {se(e['W_C'])} on W_C, {se(e['Q_E'])} on Q_E, Π_min "
            f"{se(e['Pi_min'])}, Π_max {se(e['Pi_max'])} (absolute), {rec['cpu']:.2f} s of CPU "
            f"({rec['wall']:.2f} s of wall time) for the {ncyc} cycles. The qualifying runs, cheapest first:")
        add("")
        rows = [(describe(k, kd), f"{cpu:.2f}", f"{(fixed if kd == 'fixed' else adaptive)[k]['wall']:.2f}",
                 se(E[k]["Q_L"]), se(E[k]["W_C"])) for cpu, k, kd in candidates[:8]]
        L += table(("run", "CPU [s]", "wall [s]", "Q_L", "W_C"), rows)
        add("")
        cheaper = [m for m in misfits if m[0] < chosen[0]]
        if cheaper:
            add("Left out although within the bound: "
                + "; ".join(f"{describe(k, kd)}, {cpu:.2f} s of CPU, {se(E[k]['Q_L'])} on Q_L"
                            for cpu, k, kd in cheaper)
                + f" — {'its step does' if len(cheaper) == 1 else 'their steps do'} not divide the "
                f"scenario's output interval ({fmt(SC['settings'].output_interval * 1e3)} ms), and the "
                "master would silently move the records to the nearest multiple of the step below it "
                "(reported with the engine findings).")
            add("")
        nx, ni = n_needed("explicit", "gauss-seidel"), n_needed("iterated", "gauss-seidel")
        add(f"By the fits, explicit Gauss–Seidel needs N ≈ {nx:.0f} and iterated coupling N ≈ {ni:.0f} "
            f"for {TARGET:g}; at their costs per step that is about {nx * cpe:.1f} s and "
            f"{ni * cpi:.1f} s for the {ncyc} cycles, so explicit Gauss–Seidel at fixed steps is the "
            "cheapest way there; Jacobi needs about "
            f"{n_needed('explicit', 'jacobi'):.0f} steps per cycle.")
        add("")
        add(f"**Real-time factor at the chosen defaults**, with the scenario's output interval "
            f"({fmt(SC['settings'].output_interval * 1e3)} ms, {PERIOD / SC['settings'].output_interval:.0f} "
            f"records per cycle): {d['wall']:.2f} s of master loop for {stop:g} s simulated "
            f"(min of {len(d['walls'])}: {', '.join(f'{x:.2f}' for x in d['walls'])} s), i.e. "
            f"**{stop / d['wall']:.4f}× real time** ({d['call']:.2f} s and {stop / d['call']:.4f}× for "
            f"the whole `System.run` call, with set-up and the Dataset; {d['cpu']:.2f} s of CPU, "
            f"{stop / d['cpu']:.4f}×). The co-simulated cooler runs "
            f"{d['wall'] / stop:.0f} times slower than the machine it models.")
        add("")
        if kind == "fixed":
            add(f"In the scenario file these defaults are `ordering = \"{key[1]}\"` with neither "
                f"`tolerance` nor `iterate` in `[run]`, and `step = {step_ticks(key[2]) * 1e-9:.3g}` "
                f"({step_ticks(key[2]) / 1e3:g} µs) on every `[[actor]]` — the step is not a `[run]` "
                "key.")
            if run_only:
                cpu, k, kd = run_only[0]
                add(f"The cheapest qualifying run that the `[run]` table alone can set (the actors' "
                    f"steps left at {SC['steps']['stage'] * 1e6:g} µs) is {describe(k, kd)}, "
                    f"{cpu:.2f} s of CPU, {cpu / chosen[0]:.1f} times the chosen defaults.")
            else:
                add("No qualifying run keeps the actors' present steps.")
        add("")
    else:
        add(f"No configuration reached {TARGET:g} on both Q_L and W_C within the grid.")
        add("")
    cur = current
    ce = {k: (cur[k] - ref[k]) / abs(ref[k]) for k in KEYS}
    add(f"**The scenario as it stands** (`[run]`: {json.dumps(SC['run_table'], default=str)}; actor steps "
        f"{sorted(set(cur['steps'].values()))} s): {se(ce['Q_L'])} on Q_L, {se(ce['W_C'])} on W_C, "
        f"{cur['wall']:.2f} s for {stop:g} s simulated, {stop / cur['wall']:.3f}× real time "
        f"({stop / cur['cpu']:.3f}× by CPU time); "
        + ("within" if max(abs(ce["Q_L"]), abs(ce["W_C"])) < TARGET else "not within")
        + f" {TARGET:g}. "
        + ("The `[run]` table is left so: the fixture `fine` of `tests/test_hybrid_actors.py` runs "
           "the scenario with its `[run]` options, and the tests built on it expect the error of "
           f"explicit coupling at the actors' present steps ({se(ce['Q_L'])} on Q_L), its first-order "
           "fall with a finer step and its mirror image in an iterated run."
           if max(abs(ce["Q_L"]), abs(ce["W_C"])) >= TARGET else ""))
    add("")

    # ---- engine findings
    add("## Findings about the master (engine/master.py, not changed here)")
    add("")
    if fl:
        k, rec = fl[0]
        add(f"- *Explicit adaptive steps reject a step again and again for an error that the step "
            f"size does not change.* With `nominal` {NOMINAL} (tolerance {k[2]:g}) the run above "
            f"rejects {rec['rejected']} steps for {rec['accepted']} accepted ones and accepts "
            f"{rec['forced']} above tolerance at `min_step`, the 2 ns default. A valve's published "
            "flow is computed from the pressures at the start of its step (it steps before the "
            "volumes), so the change that the error measures is the previous step's pressure change "
            "over r_cv; the master retries the step smaller with the same error until `min_step`. "
            "Measuring the change of what a consumer holds (its inputs over the step), or accepting "
            "when a retry at a smaller step returns the same error, would avoid it.")
    out_ticks = round(float(SC["settings"].output_interval or PERIOD) / 1e-9)
    for N in (31250,):
        k = step_ticks(N)
        if out_ticks % k:
            add(f"- *The output interval is silently rounded down to a multiple of the fastest step.* "
                f"With N = {N} ({k / 1e3:g} µs) the scenario's {out_ticks / 1e3:g} µs interval "
                f"becomes {(out_ticks // k) * k / 1e3:g} µs, so the records drift off the requested "
                "times without a warning (`Master.run`).")
    add("")

    # ---- failures
    add("## Runs that failed")
    add("")
    rows = []
    for key, rec in list(fixed.items()) + list(adaptive.items()):
        if rec["status"] != "ok":
            rows.append((label(key), key[2], rec["message"]))
    for (ordering, iterate, N), (a, b) in sorted(scan.items()):
        for rec, what in ((a, "cycle-aligned"), (b, "per-step record")):
            if rec["status"] != "ok":
                rows.append((f"{'iterated' if iterate else 'explicit'} {ORDER[ordering]} ({what})", N, rec["message"]))
    for (ordering, N), rec in waves.items():
        if rec["status"] != "ok":
            rows.append((f"explicit {ORDER[ordering]} (wave record)", N, rec["message"]))
    if rows:
        L += table(("run", "N or tolerance", "error message"), rows)
    else:
        add("None.")
    add("")
    warned = sorted({w for r in allrecs for w in r.get("warnings", [])})
    if warned:
        add("Warnings raised by completed runs (the iterated runs' count of steps taken explicitly):")
        add("")
        for wmsg in warned[:12]:
            add(f"- {wmsg}")
        if len(warned) > 12:
            add(f"- … and {len(warned) - 12} more of the same kind")
        add("")

    OUT.write_text("\n".join(L) + "\n")
    print(f"wrote {OUT} in {(time.perf_counter() - t_start) / 60:.1f} min", flush=True)


def describe(key, kind) -> str:
    coupling, ordering, x = key
    if kind == "fixed":
        return f"{label(key)}, fixed steps, N = {x} per cycle ({step_ticks(x) / 1e3:g} µs)"
    return f"{label(key)}, adaptive, tolerance {x:g}"


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
STYLE = {("explicit", "gauss-seidel"): ("C0", "o"), ("explicit", "jacobi"): ("C1", "s"),
         ("iterated", "gauss-seidel"): ("C2", "^"), ("iterated", "jacobi"): ("C3", "v"),
         ("explicit-flow", "gauss-seidel"): ("C4", "D")}


def fig_error(fixed, E, fits):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), sharey=True)
    for ax, q in zip(axes, ("Q_L", "W_C")):
        for (coupling, ordering), (c, m) in STYLE.items():
            pts = [(N, E[(coupling, ordering, N)][q]) for N in FIXED_N
                   if (coupling, ordering, N) in fixed and fixed[(coupling, ordering, N)]["status"] == "ok"]
            if not pts:
                continue
            n = np.array([p[0] for p in pts], float)
            e = np.array([p[1] for p in pts])
            ax.loglog(n[e > 0], e[e > 0], m, color=c, mfc=c, label=f"{coupling} {ORDER[ordering]} (+)")
            ax.loglog(n[e < 0], -e[e < 0], m, color=c, mfc="none", label=f"{coupling} {ORDER[ordering]} (−)")
            p, C = fits[(coupling, ordering, q)][:2]
            if math.isfinite(p):
                nn = np.logspace(math.log10(FIT_N_MIN), math.log10(max(FIXED_N)), 20)
                ax.loglog(nn, C * nn ** -p, "-", color=c, lw=0.8)
        ax.axhline(TARGET, color="k", ls="--", lw=0.8)
        ax.set_xlabel("steps per cycle N")
        ax.set_title(f"relative error of {q} (filled: co-simulation above, open: below)", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("|relative error|")
    axes[1].legend(fontsize=7, loc="lower left")
    save_figure(fig, FIG / "hybrid_cosim_error.png")


def fig_stability(scan, ref, n_star_gs, n_star_j):
    fig, ax = plt.subplots(figsize=(8, 4.3))
    for (ordering, iterate), (c, m) in ((("gauss-seidel", False), ("C0", "o")), (("jacobi", False), ("C1", "s")),
                                        (("gauss-seidel", True), ("C2", "^"))):
        Ns = sorted(N for (o, it, N) in scan if o == ordering and it == iterate)
        ok = [(N, abs(errors(scan[(ordering, iterate, N)][0], ref)["Q_L"])) for N in Ns
              if scan[(ordering, iterate, N)][0]["status"] == "ok"]
        bad = [N for N in Ns if scan[(ordering, iterate, N)][0]["status"] != "ok"]
        name = f"{'iterated' if iterate else 'explicit'} {ORDER[ordering]}"
        if ok:
            ax.semilogy([p[0] for p in ok], [p[1] for p in ok], m + "-", color=c, label=name, ms=4)
        if bad:
            ax.semilogy(bad, [3.0] * len(bad), "x", color=c, ms=8, label=f"{name}: failed")
    ax.axvline(n_star_gs, color="C0", ls=":", label=f"linear limit, Gauss–Seidel (N = {n_star_gs:.1f})")
    ax.axvline(n_star_j, color="C1", ls=":", label=f"linear limit, Jacobi (N = {n_star_j:.1f})")
    ax.set_xlabel("steps per cycle N")
    ax.set_ylabel("|relative error of Q_L|")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    save_figure(fig, FIG / "hybrid_cosim_stability.png")


def fig_work(fixed, adaptive, E):
    fig, ax = plt.subplots(figsize=(8, 5))
    for (coupling, ordering), (c, m) in STYLE.items():
        pts = sorted((rec["cpu"], E[k]["max"]) for k, rec in fixed.items()
                     if k[0] == coupling and k[1] == ordering and rec["status"] == "ok")
        if pts:
            ax.loglog(*zip(*pts), m + "-", color=c, ms=4, label=f"{coupling} {ORDER[ordering]}, fixed")
        pts = sorted((rec["cpu"], E[k]["max"]) for k, rec in adaptive.items()
                     if k[0] == coupling and k[1] == ordering and rec["status"] == "ok")
        if pts:
            lab = {"explicit-flow": "explicit Gauss–Seidel, adaptive, flows nominal 10 g/s"}.get(
                coupling, f"{coupling} {ORDER[ordering]}, adaptive")
            ax.loglog(*zip(*pts), m + "--", color=c, mfc="none", ms=6, label=lab)
    ax.axhline(TARGET, color="k", ls="--", lw=0.8)
    ax.set_xlabel(f"CPU time of the master loop for {SC['cycles']} cycles [s]")
    ax.set_ylabel("max(|error of Q_L|, |error of W_C|)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    save_figure(fig, FIG / "hybrid_cosim_work_precision.png")


def fig_waves(waves, ref):
    w = ref["wave"]
    phase = np.asarray(w["phi"]) / (2 * math.pi)
    # Mdot (normalised like eq. 36) -> kg/s: mdot = Mdot p_charge V_E / (tau R T_C)
    scale = PC * VE / (PERIOD * SC["R"] * SC["T_C"])
    fig, axes = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    axes[0].plot(phase, w["Pi"], "k-", lw=1.5, label="monolithic")
    axes[1].plot(phase, np.asarray(w["Mdot_cv_HP"]) * scale * 1e3, "k-", lw=1.5, label="monolithic")
    for i, ((ordering, N), rec) in enumerate(waves.items()):
        if rec["status"] != "ok":
            continue
        v = rec["wave"]
        lab = f"explicit {ORDER[ordering]}, N = {N}"
        axes[0].plot(v["phase"], v["p"], ".-", lw=0.8, ms=3, color=f"C{i}", label=lab)
        axes[1].plot(v["phase"], np.asarray(v["mdot_hp"]) * 1e3, ".-", lw=0.8, ms=3, color=f"C{i}", label=lab)
    axes[0].set_ylabel("stage pressure / p_charge")
    axes[1].set_ylabel("high-pressure valve flow [g/s]")
    axes[1].set_xlabel("last cycle (fraction of the period from φ = 0)")
    axes[0].legend(fontsize=7, ncol=2)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    save_figure(fig, FIG / "hybrid_cosim_waves.png")


if __name__ == "__main__":
    main()
