"""Writes docs/hybrid_cooldown.md and docs/figures/hybrid_cooldown*.png: the hybrid Stirling /
reverse-Brayton cryocooler of Nellis & Maddocks (Cryogenics 43 (2003) 31-43, seed 001) averaged
over its cycles (fmus/hybrid_cooler.py) cooling its two stations from 300 K
(scenarios/hybrid_cooldown.toml), a turbine stall after it (hybrid_cooldown_stall.toml), the end
state against the monolithic model (fmus/reference/hybrid.py) solved here, and the averaging
against the resolved co-simulation of the same cool-down with small stations
(hybrid_cooldown_resolved.toml against hybrid_cooldown_averaged.toml).

Every number on the page is computed here; the page is not to be edited by hand.

Usage: .venv/bin/python docs/scripts/hybrid_cooldown.py   (about 7 min on 2 shared cores, 2 min
with the resolved runs cached in results/hybrid_cooldown/<digest>/)
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pages import ROOT, files_digest, machine, mm, package_stamps, save_figure, table, timed_process  # noqa: E402

from cryocosim.fmus.hybrid_cooler import HybridCooler, charge_capacity, dead_temperature  # noqa: E402
from cryocosim.fmus.reference.hybrid import HybridSI, cyclic_steady_state  # noqa: E402
from cryocosim.fmus.reference.hybrid_metrics import cycle_metrics  # noqa: E402
from cryocosim.results import events_of  # noqa: E402
from cryocosim.scenario import load  # noqa: E402

SCEN = ROOT / "scenarios"
COOL, STALL = SCEN / "hybrid_cooldown.toml", SCEN / "hybrid_cooldown_stall.toml"
RESOLVED, AVERAGED = SCEN / "hybrid_cooldown_resolved.toml", SCEN / "hybrid_cooldown_averaged.toml"
FIXED = SCEN / "hybrid_stirling.toml"
OUT = ROOT / "docs/hybrid_cooldown.md"
FIG = ROOT / "docs/figures"
CLI = str(Path(sys.executable).with_name("cryocosim"))
HOUR = 3600.0
BOUND_CYCLES, BOUND_K = 5, 1.0  # the test's bound on averaged - resolved: 5 cycles of the fall + 1 K
STEPS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)     # s: the step study (0.5 s: the reference)
RESOLVED_N = (500, 1000, 2000)                          # resolved steps per cycle
LAG_CYCLES = 4          # the resolved cooler's settling (hybrid_valve_leak.toml: "within 4 cycles")
TIMED_RUNS = 3
FIXED_CYCLES = 20       # cycles of the fixed-temperature resolved runs (the last one is measured)
CACHE_ROOT = ROOT / "results/hybrid_cooldown"
CACHED = []   # the resolved runs taken from the cache


def resolved_run(N: int, period: float, overrides=None, stop=None):
    """The resolved cool-down at N steps per cycle: (Dataset, loop wall time), cached in
    results/hybrid_cooldown/<digest>/ (the digest covers engine/, fmus/, the scenario and the
    overrides: a change to any of them computes it again)."""
    import xarray as xr

    sources = sorted(p for folder in ("engine", "fmus") for p in (ROOT / folder).rglob("*.py"))
    digest = files_digest(sources + [RESOLVED], *package_stamps("numpy", "scipy"), repr(overrides), repr(stop))
    path = CACHE_ROOT / digest / f"resolved_{N}.nc"
    if path.exists():
        with xr.open_dataset(path) as cached:
            ds = cached.load()
        CACHED.append(N)
        return ds, float(ds.attrs["loop_wall_time"])
    ds, system = run(RESOLVED, overrides, stop=stop, steps=period / N)
    wall = system.master.wall_time
    path.parent.mkdir(parents=True, exist_ok=True)
    out = ds.copy()
    out.attrs["loop_wall_time"] = wall
    out.to_netcdf(path)
    return ds, wall


def run(path, overrides=None, stop=None, steps=None, events=(), **options):
    """A scenario through the Python API: (Dataset, System); ``steps``: every actor's step."""
    system, settings = load(path, overrides)
    if steps is not None:
        for name in system.steps:
            system.steps[name] = steps
    for at, values in events:
        system.at(at, set=values)
    opts = {**settings.run_options(), **options}
    ds = system.run(stop or settings.stop_time, **opts)
    return ds, system


def f(x, d=3):
    return f"{x:.{d}g}"


def hms(t):
    t = int(round(t))
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}"


def at_boundaries(ds, period):
    t = ds["time"].values
    n = int(round(t[-1] / period))
    idx = np.searchsorted(t, np.arange(n + 1) * period - 1e-12)
    assert np.allclose(t[idx], np.arange(n + 1) * period, rtol=0, atol=1e-12)
    return idx


def main() -> None:
    t_script = time.perf_counter()
    load_start = os.getloadavg()
    lines: list[str] = []
    w = lines.append

    # ---- the model: T_D, the groups, the charge ---------------------------------------------------
    system, _ = load(COOL)
    proto = system.bus.actors["cooler"]
    proto.setup()
    par = proto.parameters()
    T_C, V_E, V_D = par["T_compression"], par["swept_volume_expansion"], par["dead_volume"]
    loads = {name: system.bus.actors[name].heat_applied for name in ("expansion", "load")}
    T0 = system.bus.actors["load"].T_start
    assert system.bus.actors["expansion"].T_start == T0
    masses = {name: system.bus.actors[name].mass for name in ("expansion", "load")}
    gas = proto.gas_mass
    cp_gas = proto._gamma / (proto._gamma - 1.0) * proto._R

    rs = load(RESOLVED)[0]
    for name in ("stage", "hp_buffer", "lp_buffer"):
        rs.bus.actors[name].setup()
    gas_resolved = sum(rs.bus.actors[name].mass for name in ("stage", "hp_buffer", "lp_buffer"))
    small_mass = {name: rs.bus.actors[name].mass for name in ("expansion", "load")}
    # the Fig. 5 point: T_C = 270 K, T_E = 90 K, T_L = 30 K with 20 bar of charge there
    fill5 = 2e6 * charge_capacity(proto._R, 270.0, 90.0, V_E, par["swept_volume_compression"], V_D,
                                  par["buffer_volume"], par["phase"]) / charge_capacity(
        proto._R, 270.0, par["T_fill"], V_E, par["swept_volume_compression"], V_D, par["buffer_volume"], par["phase"])
    fig5 = HybridCooler(name="f5", **{**par, "T_compression": 270.0, "p_fill": fill5})
    fig5.setup()
    fig5.T_E, fig5.T_L = 90.0, 30.0
    fig5.initialize_outputs(0.0)

    def rules(Tc, Te):
        return {"harmonic": dead_temperature(Tc, Te), "arithmetic": 0.5 * (Tc + Te),
                "log-mean": Tc if Tc == Te else (Tc - Te) / math.log(Tc / Te)}

    # ---- the cool-down, analysis run (records every step) ----------------------------------------
    ds, sysc = run(COOL)
    step = sysc.steps["cooler"]
    ds, sysc = run(COOL, output_interval=step)     # a record at every step
    t = ds["time"].values
    i_min = int(np.argmin(abs(t - (t[-1] - 60.0))))
    ev = events_of(ds)
    T_Ef, T_Lf = float(ds["expansion.T"][-1]), float(ds["load.T"][-1])
    cooler_f = {k: float(ds[f"cooler.{k}"][-1]) for k in
                ("heat_expansion", "heat_load", "power_compression", "mdot_turbine", "p_charge", "p_max",
                 "p_min", "p_high", "p_low", "beta", "chi", "S", "A_t", "R_cv_f", "T_dead", "solves")}
    cooler_0 = {k: float(ds[f"cooler.{k}"][0]) for k in ("beta", "chi", "S", "A_t", "R_cv_f", "T_dead",
                                                         "p_charge", "heat_expansion", "heat_load",
                                                         "power_compression", "mdot_turbine")}
    iE_min = int(np.argmin(ds["expansion.T"].values))
    T_E_min, t_E_min = float(ds["expansion.T"][iE_min]), float(t[iE_min])
    iQE = int(np.argmin(ds["cooler.heat_expansion"].values))
    t_QE0 = float(t[np.argmax(ds["cooler.heat_expansion"].values < 0.0)])
    n_steps = len(t) - 1
    solves = cooler_f["solves"]
    C_f = {name: float(ds[f"{name}.heat_capacity"][-1]) for name in ("expansion", "load")}
    residual = {name: float(ds[f"{name}.energy"][-1] - ds[f"{name}.energy"][i_min]) / (t[-1] - t[i_min])
                for name in ("expansion", "load")}   # net heat over the last minute

    # per-solve cost along the run's own path: warm-started steps against solves from the charge
    path_T = list(zip(ds["expansion.T"].values[:600], ds["load.T"].values[:600]))
    warm = HybridCooler(name="w", **par)
    warm.setup()
    t0 = time.perf_counter()
    for k, (Te, Tl) in enumerate(path_T):
        warm.T_E, warm.T_L = Te, Tl
        warm.do_step(step * k, step)
    t_warm = (time.perf_counter() - t0) / len(path_T)
    cold = HybridCooler(name="c", **par)
    cold.setup()
    t0 = time.perf_counter()
    for Te, Tl in path_T:
        cold.T_E, cold.T_L = Te, Tl
        cold.initialize_outputs(0.0)
        cold._cache.clear()
    t_cold = (time.perf_counter() - t0) / len(path_T)

    # whole `cryocosim run` processes
    with tempfile.TemporaryDirectory() as tmp:
        walls = []
        for k in range(TIMED_RUNS):
            wall, _, _ = timed_process([CLI, "run", str(COOL), "-q", "-o", str(Path(tmp) / f"c{k}.nc")])
            walls.append(wall)
        walls_stall = []
        for k in range(TIMED_RUNS):
            wall, _, _ = timed_process([CLI, "run", str(STALL), "-q", "-o", str(Path(tmp) / f"s{k}.nc")])
            walls_stall.append(wall)
    sim_h = t[-1] / HOUR

    # ---- the step study ------------------------------------------------------------------------
    study = {}
    for h in STEPS:
        try:
            d, s = run(COOL, steps=h, output_interval=60.0)
            study[h] = (d, s.master.wall_time, None)
        except Exception as exc:  # a step too long for the explicit coupling: say so
            study[h] = (None, None, f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}")
    ref = study[STEPS[0]][0]
    step_rows, step_err = [], {}
    for h in STEPS:
        d, wall, err = study[h]
        if d is None:
            step_rows.append([f"{h:g}", f"{50.0 * h:g}", "failed", err, "", "", ""])
            continue
        row = [f"{h:g}", f"{50.0 * h:g}"]
        step_err[h] = []
        for v in ("expansion.T", "load.T"):
            diff = d[v].values - ref[v].values
            i = int(np.argmax(np.abs(diff)))
            step_err[h].append(float(diff[i]))
            row.append(f"{diff[i]:+.3f} at {hms(d['time'].values[i])}" if h != STEPS[0] else "(reference)")
        row.append(f"{d['load.T'].values[-1] - ref['load.T'].values[-1]:+.1e} / "
                   f"{d['expansion.T'].values[-1] - ref['expansion.T'].values[-1]:+.1e}"
                   if h != STEPS[0] else "")
        row.append(f"{int(float(d['cooler.solves'][-1]))}")
        row.append(f"{wall:.2f}")
        step_rows.append(row)

    # ---- the end state against the monolithic model solved here ------------------------------------
    def mono(Te, Tl, **kw):
        p = gas / charge_capacity(proto._R, T_C, Te, V_E, par["swept_volume_compression"], V_D,
                                  par["buffer_volume"], par["phase"])
        si = HybridSI(T_C=T_C, T_E=Te, T_L=Tl, T_D=dead_temperature(T_C, Te), V_E=V_E,
                      V_C=par["swept_volume_compression"], V_D=V_D, V_B=par["buffer_volume"],
                      phase=par["phase"], frequency=par["frequency"], r_cv_f=par["r_forward"],
                      a_t=par["turbine_area"], p_charge=p, R_gas=proto._R, gamma=proto._gamma, **kw)
        return si.solve(), si

    end, si_end = mono(T_Ef, T_Lf)
    dT = 0.5
    jac = np.array([[(mono(T_Ef + dT, T_Lf)[0][k] - mono(T_Ef - dT, T_Lf)[0][k]) / (2 * dT),
                     (mono(T_Ef, T_Lf + dT)[0][k] - mono(T_Ef, T_Lf - dT)[0][k]) / (2 * dT)]
                    for k in ("q_E_W", "q_L_W")])
    # dT/dt = (load - q(T)) / C: linearised, A = -diag(1/C) jac; its time constants
    A = -np.diag([1.0 / C_f["expansion"], 1.0 / C_f["load"]]) @ jac
    taus = sorted(-1.0 / np.linalg.eigvals(A).real)
    Z = None
    try:
        import CoolProp.CoolProp as CP
        Z = {(T, p): p / (CP.PropsSI("D", "T", T, "P", p, "helium") * proto._R * T)
             for T, p in ((T_Lf, cooler_f["p_high"]), (T_Lf, cooler_f["p_max"]), (T_Ef, cooler_f["p_max"]))}
    except Exception:  # CoolProp is a dependency; a failure here only drops a remark
        Z = None

    # ---- faults: the stall scenario, the same without the interlock, leaking valves ---------------
    dst, _ = run(STALL)
    evs = {e["name"]: e["time"] for e in events_of(dst)}
    t_seize, t_stop = evs["turbine seizes"], evs["load back above 40 K: drive stopped"]
    ts = dst["time"].values
    i4 = int(np.argmin(abs(ts - t_seize)))
    T_L4, T_E4 = float(dst["load.T"][i4]), float(dst["expansion.T"][i4])
    rate_L = float(dst["load.T"][i4 + 1] - dst["load.T"][i4]) / (ts[i4 + 1] - ts[i4]) * HOUR
    q_E_seized = float(dst["cooler.heat_expansion"][i4 + 1])
    dsn, _ = run(COOL, stop=6 * HOUR, events=[(4 * HOUR, {"cooler.turbine_seized": True})])
    r_leak = 10.0 * par["r_forward"]
    dsl, _ = run(COOL, stop=8 * HOUR, events=[(4 * HOUR, {"cooler.r_back": r_leak})])
    leak_end, _ = mono(float(dsl["expansion.T"][-1]), float(dsl["load.T"][-1]), r_cv_b=r_leak)
    R_cv_b = r_leak * V_E / (proto._R * float(dsl["expansion.T"][-1]) / par["frequency"])

    # ---- the averaging against the resolved co-simulation -----------------------------------------
    period = 1.0 / par["frequency"]
    avg, avg_sys = run(AVERAGED)
    avg5, _ = run(AVERAGED, steps=0.005)
    res = {N: resolved_run(N, period) for N in RESOLVED_N}
    ia = at_boundaries(avg, period)
    ia5 = at_boundaries(avg5, period)
    tb = avg["time"].values[ia]
    cmp_rows, diffs, bound_ok = [], {}, {}
    for N in RESOLVED_N:
        d, wall_N = res[N]
        ir = at_boundaries(d, period)
        row = [f"resolved, {N} steps per cycle", f"{wall_N:.1f}"]
        for other, io, label in ((avg, ia, "1 cycle"), (avg5, ia5, "1/4 cycle")):
            for station in ("expansion", "load"):
                Tr = d[f"{station}.T"].values[ir]
                Ta = other[f"{station}.T"].values[io]
                diff = Tr - Ta
                k = int(np.argmax(np.abs(diff)))
                if label == "1 cycle":
                    diffs[(N, station)] = diff
                    rate = np.abs(np.gradient(Ta, period))
                    window = np.array([rate[max(0, j - BOUND_CYCLES):j + BOUND_CYCLES + 1].max()
                                       for j in range(len(Ta))])
                    bound = BOUND_CYCLES * period * window + BOUND_K
                    bound_ok[(N, station)] = (bool(np.all(np.abs(diff) <= bound)),
                                              float(np.max(np.abs(diff) / bound)))
                row.append(f"{diff[k]:+.2f} at {tb[k]:.2f} s; end {diff[-1]:+.2f}")
        cmp_rows.append(row)
    # the end difference extrapolated to the exact resolved co-simulation (first order in the step)
    extrap = {st: 2.0 * diffs[(RESOLVED_N[2], st)][-1] - diffs[(RESOLVED_N[1], st)][-1] for st in ("expansion", "load")}
    # the same cool-down with stations twice as heavy, twice as long: what comes from the rate of
    # cooling (the lag of the resolved cooler) halves
    big = {"expansion.mass": 2 * small_mass["expansion"], "load.mass": 2 * small_mass["load"]}
    stop_big = 2 * float(avg["time"][-1])
    res_big, wall_big = resolved_run(1000, period, big, stop_big)
    avg_big, _ = run(AVERAGED, big, stop=stop_big)
    skip = 10   # cycles: past the machine's own start from rest
    scale_rows, largest = [], []
    for label, dr, da in (("base", res[1000][0], avg), ("twice as heavy", res_big, avg_big)):
        i_r, i_a = at_boundaries(dr, period), at_boundaries(da, period)
        row = [label, f"{len(i_a) - 1}"]
        for st in ("expansion", "load"):
            dd = dr[f"{st}.T"].values[i_r] - da[f"{st}.T"].values[i_a]
            k = skip + int(np.argmax(np.abs(dd[skip:])))
            row.append(f"{dd[k]:+.2f} at {k}")
            largest.append(abs(dd[k]))
        for st in ("expansion", "load"):
            dd = dr[f"{st}.T"].values[i_r] - da[f"{st}.T"].values[i_a]
            row.append(f"{dd[-1]:+.3f}")
        scale_rows.append(row)
    scale_ratio = (largest[2] / largest[0], largest[3] / largest[1])
    d1000 = res[1000][0]
    ir = at_boundaries(d1000, period)
    T_Er, T_Lr = float(d1000["expansion.T"][-1]), float(d1000["load.T"][-1])
    end_rate_E = float(d1000["expansion.T"].values[ir][-1] - d1000["expansion.T"].values[ir][-2]) / period
    t40_r = next(e["time"] for e in events_of(d1000) if e["name"] == "load below 40 K")
    t40_a = next(e["time"] for e in events_of(avg) if e["name"] == "load below 40 K")
    # the resolved coupling error at the end's temperatures, temperatures held (the fixed actors)
    c_end = HybridCooler(name="e", **par)
    c_end.setup()
    si_r = c_end.machine(T_Er, T_Lr)
    ref_r = si_r.solve()
    fixed_rows = []
    pw = si_r.p_charge * V_E * par["frequency"]
    for N in RESOLVED_N:
        dd, _ = run(FIXED, {**si_r.actor_parameters(), "hx.cycle_period": period}, stop=FIXED_CYCLES * period,
                    steps=period / N, output_interval=period)
        m = cycle_metrics(dd, period, si_r.p_charge, V_E)
        fixed_rows.append([f"{N}", f"{m['Q_E'] * pw:.2f}", f"{(m['Q_E'] / ref_r['Q_E'] - 1) * 100:+.2f} %",
                           f"{m['Q_L'] * pw:.3f}", f"{(m['Q_L'] / ref_r['Q_L'] - 1) * 100:+.3f} %",
                           f"{m['W_C'] * pw:.1f}", f"{(m['W_C'] / ref_r['W_C'] - 1) * 100:+.3f} %"])
        if N == 1000:
            dq1000 = np.array([m["Q_E"] * pw - ref_r["q_E_W"], m["Q_L"] * pw - ref_r["q_L_W"]])
    jac_r = np.array([[(c_end.machine(T_Er + dT, T_Lr).solve()[k] - c_end.machine(T_Er - dT, T_Lr).solve()[k]) / (2 * dT),
                       (c_end.machine(T_Er, T_Lr + dT).solve()[k] - c_end.machine(T_Er, T_Lr - dT).solve()[k]) / (2 * dT)]
                      for k in ("q_E_W", "q_L_W")])
    shift = np.linalg.solve(jac_r, -dq1000)   # the steady temperatures move so that q + dq = load
    C_small = {name: float(d1000[f"{name}.heat_capacity"][-1]) for name in ("expansion", "load")}

    # ---- figures --------------------------------------------------------------------------------
    FIG.mkdir(exist_ok=True)
    th = t / HOUR
    fig, ax = plt.subplots(4, 1, figsize=(9, 11), sharex=True)
    ax[0].plot(th, ds["expansion.T"], label="expansion station T_E")
    ax[0].plot(th, ds["load.T"], label="load station T_L")
    ax[0].set_ylabel("K")
    ax[1].plot(th, ds["cooler.heat_expansion"], label="heat lifted at T_E (Q_E)")
    ax[1].plot(th, ds["cooler.heat_load"], label="refrigeration at T_L (Q_L)")
    for name, ls in (("expansion", ":"), ("load", "--")):
        ax[1].axhline(loads[name], color="grey", ls=ls, lw=0.8, label=f"applied at the {name} station")
    ax[1].set_yscale("symlog", linthresh=50.0)
    ax[1].set_ylabel("W")
    ax[2].plot(th, ds["cooler.power_compression"], label="compression power (W_C)")
    ax[2].set_ylabel("W")
    for k, lab in (("p_max", "stage max"), ("p_high", "HP buffer (mean)"), ("p_charge", "charge pressure"),
                   ("p_low", "LP buffer (mean)"), ("p_min", "stage min")):
        ax[3].plot(th, ds[f"cooler.{k}"] / 1e5, label=lab)
    ax[3].set_ylabel("bar")
    ax[3].set_xlabel("time [h]")
    for a in ax:
        for e in ev:
            a.axvline(e["time"] / HOUR, color="k", lw=0.6, ls="--")
        a.grid(alpha=0.3)
        a.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    save_figure(fig, FIG / "hybrid_cooldown.png", f"scenarios/hybrid_cooldown.toml: {sim_h:g} h from {T0:g} K (events dashed)")

    fig, ax = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    for station, col in (("expansion", "C0"), ("load", "C1")):
        ax[0].plot(d1000["time"].values[ir], d1000[f"{station}.T"].values[ir], col, label=f"{station}: resolved (1000 steps/cycle)")
        ax[0].plot(tb, avg[f"{station}.T"].values[ia], col, ls="--", label=f"{station}: averaged (1 step/cycle)")
        ax[1].plot(tb, diffs[(1000, station)], col, label=f"{station}: resolved - averaged")
        Ta = avg[f"{station}.T"].values[ia]
        rate = np.abs(np.gradient(Ta, period))
        window = np.array([rate[max(0, j - BOUND_CYCLES):j + BOUND_CYCLES + 1].max() for j in range(len(Ta))])
        ax[1].plot(tb, BOUND_CYCLES * period * window + BOUND_K, col, ls=":", lw=0.8, label=f"{station}: bound of the test")
        ax[1].plot(tb, -(BOUND_CYCLES * period * window + BOUND_K), col, ls=":", lw=0.8)
    ax[2].plot(d1000["time"].values[ir][1:], np.diff(d1000["hx.energy_load"].values[ir]) / period, "C1",
               label="refrigeration, resolved (cycle mean)")
    ax[2].plot(tb, avg["cooler.heat_load"].values[ia], "C1", ls="--", label="refrigeration, averaged")
    ax[2].set_yscale("log")
    ax[0].set_ylabel("K")
    ax[1].set_ylabel("K")
    ax[2].set_ylabel("W")
    ax[2].set_xlabel("time [s]")
    for a in ax:
        a.grid(alpha=0.3)
        a.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    save_figure(fig, FIG / "hybrid_cooldown_resolved.png", "small stations: averaged against resolved, at the cycle boundaries")

    fig, ax = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for d, lab, ls in ((dst, "stall, interlock stops the drive (hybrid_cooldown_stall.toml)", "-"),
                       (dsn, "stall, no interlock", "--"), (dsl, "both check valves leak (R_cv,b, 4 h)", ":")):
        sel = d["time"].values >= 3.5 * HOUR
        tt = d["time"].values[sel] / HOUR
        ax[0].plot(tt, d["load.T"].values[sel], "C1", ls=ls, label=f"T_L: {lab}")
        ax[0].plot(tt, d["expansion.T"].values[sel], "C0", ls=ls, label=f"T_E: {lab}")
        ax[1].plot(tt, d["cooler.heat_load"].values[sel], "C1", ls=ls, label=f"Q_L: {lab}")
        ax[1].plot(tt, d["cooler.heat_expansion"].values[sel], "C0", ls=ls, label=f"Q_E: {lab}")
    ax[0].set_ylabel("K")
    ax[1].set_ylabel("W")
    ax[1].set_xlabel("time [h]")
    ax[0].set_xlim(3.5, 8.0)
    for a in ax:
        a.grid(alpha=0.3)
        a.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7)
    save_figure(fig, FIG / "hybrid_cooldown_stall.png", "faults after the cool-down (4 h)")

    # ---- the page -------------------------------------------------------------------------------
    e_names = {e["name"]: e["time"] for e in ev}
    t40, t200 = e_names["load below 40 K"], e_names["expansion station below 200 K"]
    w("<!-- written by docs/scripts/hybrid_cooldown.py; do not edit by hand: run the script -->")
    w("# The hybrid cooler averaged over its cycles: cool-down, faults and the check against the resolved co-simulation")
    w("")
    w("*Every number on this page is computed by `docs/scripts/hybrid_cooldown.py`.*")
    w("")
    w("The hybrid 2-piston Stirling / reverse-Brayton cryocooler of G.F. Nellis and J.R. Maddocks, "
      "*An isothermal model of a hybrid Stirling/reverse-Brayton cryocooler*, Cryogenics 43 (2003) 31-43 "
      "([references](references.md)), as one actor that represents the whole machine over many cycles "
      "(`hybrid_cooler`, `fmus/hybrid_cooler.py`), cooling two copper stations from room temperature "
      "(`scenarios/hybrid_cooldown.toml`), with a turbine stall after it (`hybrid_cooldown_stall.toml`). "
      "The resolved co-simulation of the same machine (`hybrid_stirling.toml`, "
      "[hybrid_cosimulation.md](hybrid_cosimulation.md)) runs the same cool-down cycle by cycle with small "
      "stations (`hybrid_cooldown_resolved.toml`) as the check of the averaging. "
      f"Machine: {machine('numpy', 'scipy')}; load average {load_start[0]:.2f} at the start "
      "(a shared machine: wall times vary by up to about two). The script took {SCRIPT_MIN}.")
    w("")
    w("## Summary")
    w("")
    w(f"- **Cool-down** ({sim_h:g} h, stations of {masses['expansion']:g} kg and {masses['load']:g} kg of copper "
      f"under {loads['expansion']:g} W and {loads['load']:g} W): the load station passes 40 K at {hms(t40)} and "
      f"settles at {T_Lf:.2f} K; the expansion station passes 200 K at {hms(t200)}, overshoots to "
      f"{T_E_min:.1f} K at {hms(t_E_min)} and settles at {T_Ef:.1f} K. "
      f"A `cryocosim run` of it takes {mm(walls)} s (minimum / median of {TIMED_RUNS}) for {sim_h:g} h: "
      f"{t[-1] / min(walls):,.0f}× real time; {int(solves)} cyclic steady states solved for {n_steps} steps of "
      f"{step:g} s ({step * par['frequency']:g} cycles each).")
    w(f"- **End state against the monolithic model** solved here at the final temperatures: "
      f"Q_E = {end['q_E_W']:.3f} W against {loads['expansion']:g} W applied, Q_L = {end['q_L_W']:.4f} W against "
      f"{loads['load']:g} W; the stations' remaining net heat over the last minute is {residual['expansion']:+.1e} W "
      f"and {residual['load']:+.1e} W.")
    worst = {st: max(abs(diffs[(1000, st)])) for st in ("expansion", "load")}
    w(f"- **Averaged against resolved** (small stations, {len(tb) - 1} cycles): the temperatures agree within "
      f"{worst['expansion']:.2f} K (expansion) and {worst['load']:.2f} K (load) at every cycle boundary, "
      f"{abs(diffs[(1000, 'expansion')][-1]):.2f} K and {abs(diffs[(1000, 'load')][-1]):.2f} K at the end; the largest "
      f"come in the machine's first cycles (the resolved machine starts from rest) and where the load station "
      f"falls fastest (the resolved cooler lags by the few cycles it takes to settle). The load passes 40 K at "
      f"{t40_r:.3f} s resolved, {t40_a:.3f} s averaged. "
      f"The resolved run takes {res[1000][1]:.0f} s of wall time, the averaged "
      f"{avg_sys.master.wall_time:.2f} s.")
    w(f"- **Turbine stall** at {hms(t_seize)}: the load station warms at once ({rate_L:.0f} K/h at first), passes "
      f"40 K at {hms(t_stop)}, where the interlock stops the drive; then both stations warm under their loads "
      f"({float(dst['load.T'][-1]):.1f} K and {float(dst['expansion.T'][-1]):.1f} K at {ts[-1] / HOUR:g} h).")
    w("")

    w("## The model")
    w("")
    w("Inputs: the temperatures of the two cold stations, T_E (`cooler.T_E`: the expansion space, the check "
      "valves, the buffers and the recuperator's warm end) and T_L (`cooler.T_L`: the turbine inlet and the load "
      "exchanger). Parameter: T_C, the compression space's heat sink (`T_compression`). At each evaluation the "
      "actor builds the paper's groups from the SI machine and these temperatures — β = T_C/T_E (eq. 6), "
      "χ = T_E/T_L (eq. 29), S = V_D T_C/(V_E T_D) (eq. 5), R_cv = r_cv V_E/(R T_E τ) (eq. 26), "
      "A_t = a_t τ √(γ R T_L)/V_E (eq. 27); κ, α, λ and γ do not change — and solves eq. 30-32 for the cyclic "
      "steady state that holds the gas charge (`cyclic_steady_state`, shooting). Outputs, each the mean over the "
      "cycle times p_charge V_E f: `heat_expansion` = Q_E (eq. 33-34), `heat_load` = Q_L = W_t (eq. 40-41), "
      "`power_compression` = W_C (eq. 35), `mdot_turbine` = M_t (eq. 37), and the pressures (the stage's "
      "extremes, the buffers' means, the charge pressure). **The turbine's speed is not given**: the paper's "
      "turbine is a nozzle characteristic (eq. 21) without a rotor, so the monolithic model gives its flow and "
      "power (= Q_L), not a speed (the resolved `turbine` has a rotor model; `hybrid_startup.toml`).")
    w("")
    w(f"| group | at the start ({T0:g} K, {T0:g} K) | at the end |")
    w("| --- | --- | --- |")
    for k, lab in (("beta", "β = T_C/T_E"), ("chi", "χ = T_E/T_L"), ("S", "S"), ("A_t", "A_t"), ("R_cv_f", "R_cv,f"),
                   ("T_dead", "T_D [K]"), ("p_charge", "p_charge [bar]")):
        sc = 1e-5 if k == "p_charge" else 1.0
        w(f"| {lab} | {cooler_0[k] * sc:.4g} | {cooler_f[k] * sc:.4g} |")
    w("")
    w("**Step and cost.** The outputs follow from the inputs alone (direct feed-through); each step takes "
      "the cyclic steady state at the temperatures at its start, warm-started from the last step's (the "
      "guess is part of the actor's state, and a cache keyed by the temperatures, the tunable parameters "
      "and the guess returns what a new solve would, so a step repeated from a snapshot repeats its "
      "numbers; the outputs before the first step are solved from the charge state, so every FMI master "
      f"sees the same numbers). Along this cool-down a warm-started step costs {t_warm * 1e3:.2f} ms, a solve from "
      f"the charge state {t_cold * 1e3:.2f} ms (mean over its first {len(path_T)} steps of {step:g} s).")
    w("")
    w("### Assumptions")
    w("")
    r270, r300, rend = rules(270.0, 90.0), rules(T_C, T_C), rules(T_C, T_Ef)
    w(f"- **The dead volume's temperature**: T_D = 2 T_C T_E/(T_C + T_E). The paper gives only the group "
      f"S = V_D T_C/(V_E T_D) (eq. 5), never T_D. This rule gives the Fig. 5 set's T_D = {r270['harmonic']:g} K at "
      f"T_C = 270 K, T_E = 90 K (`hybrid_stirling.toml`: V_D = 5 cm³ at 135 K, S = 0.5); the arithmetic mean "
      f"({r270['arithmetic']:g} K, `HybridSI.from_groups`' default) and the log-mean of a linear profile "
      f"({r270['log-mean']:.1f} K) do not. It is the gas content of a void half at T_C and half at T_E "
      "(V_D/T_D = (V_D/2)/T_C + (V_D/2)/T_E). With V_D fixed, S follows the temperatures:")
    w("")
    w("| T_C, T_E [K] | harmonic (used) | arithmetic | log-mean | S (used) |")
    w("| --- | --- | --- | --- | --- |")
    for (tc, te), r in (((270.0, 90.0), r270), ((T_C, T_C), r300), ((T_C, T_Ef), rend)):
        w(f"| {tc:g}, {te:.4g} | {r['harmonic']:.1f} | {r['arithmetic']:.1f} | {r['log-mean']:.1f} | "
          f"{V_D * tc / (V_E * r['harmonic']):.4f} |")
    w("")
    w(f"- **The gas charge is fixed**: filled at {par['p_fill'] / 1e5:g} bar with everything at "
      f"{par['T_fill']:g} K, the stage at crank angle 0 (the paper's charge state: one pressure throughout), "
      f"the compression space at T_C = {T_C:g} K; {gas * 1e3:.4f} g of helium. It stays in the stage (expansion "
      "space at T_E, compression space at T_C, dead volume at T_D) and the two buffers (at T_E); the "
      "recuperator, turbine and load exchanger hold none (the paper's model has no volume there). At other "
      "temperatures the same gas gives the charge pressure p_charge = m_gas/C_0(T_E) that normalises the "
      f"paper's pressures (eq. 25): {cooler_0['p_charge'] / 1e5:.2f} bar at the start, "
      f"{cooler_f['p_charge'] / 1e5:.2f} bar at the end, the stage swinging between {cooler_f['p_min'] / 1e5:.2f} and "
      f"{cooler_f['p_max'] / 1e5:.2f} bar. The resolved actors charged at the same state "
      f"(`hybrid_cooldown_resolved.toml`) hold {gas_resolved * 1e3:.4f} g (relative difference "
      f"{gas_resolved / gas - 1:.1e}).")
    w(f"- **T_C = {T_C:g} K**: the room. The Fig. 5 set's 270 K is its operating point (β = 3 at T_E = 90 K): with "
      f"T_C = 270 K and the gas that gives 20 bar at T_E = 90 K (filled at {fill5 / 1e5:.2f} bar at {par['T_fill']:g} K) "
      f"the actor at T_E = 90 K, T_L = 30 K has the Fig. 5 groups (β = {fig5.beta:g}, χ = {fig5.chi:g}, "
      f"S = {fig5.S:.4f}, A_t = {fig5.A_t:.6f}, R_cv,f = {fig5.R_cv_f:.6f}) and gives "
      f"{fig5.heat_load:.2f} W of refrigeration, {fig5.power_compression:.0f} W of compression power and "
      f"{fig5.mdot_turbine * 1e3:.2f} g/s, the numbers of `hybrid_stirling.toml`'s header.")
    w(f"- **The stations** (assumed, not in the paper): {masses['expansion']:g} kg and {masses['load']:g} kg of copper "
      f"(`thermal_station`, NIST copper), under {loads['expansion']:g} W and {loads['load']:g} W, no other "
      "parasitics.")
    w(f"- **The gas's own heat capacity is left out**, as the paper's isothermal spaces leave it out: "
      f"{gas * 1e3:.3f} g × c_p = {gas * cp_gas:.2f} J/K, against {C_f['expansion']:.0f} J/K and {C_f['load']:.0f} J/K "
      f"of the stations at the end (small stations of the check: {C_small['expansion']:.2f} J/K and "
      f"{C_small['load']:.3f} J/K).")
    if Z is not None:
        zs = ", ".join(f"{z:.3f} at {T:.1f} K and {p / 1e5:.1f} bar" for (T, p), z in Z.items())
        w(f"- **A perfect gas**, as in the paper. Real helium's compressibility at the end state (CoolProp): Z = {zs}.")
    tl_c = [tau * par["frequency"] for tau in taus]
    w(f"- **Quasi-steady**: each step is the cyclic steady state at the step's temperatures, so the stations "
      f"must change little over the few cycles the cooler needs to settle ({LAG_CYCLES}: `hybrid_valve_leak.toml`, "
      f"`hybrid_startup.toml`). At the end state the linearised stations' time constants are {taus[0]:.0f} s "
      f"and {taus[1]:.0f} s ({tl_c[0]:,.0f} and {tl_c[1]:,.0f} cycles).")
    w("")

    w("## The cool-down")
    w("")
    w("![cool-down](figures/hybrid_cooldown.png)")
    w("")
    w(f"The load station cools from {T0:g} K to {T_Lf:.2f} K; the refrigeration falls from {cooler_0['heat_load']:.0f} W "
      f"(at {T0:g} K, {cooler_0['p_charge'] / 1e5:g} bar) to the applied {loads['load']:g} W. The expansion station lifts "
      f"{cooler_0['heat_expansion']:.0f} W at the start; while the load station is warm it is over-cooled, to "
      f"{T_E_min:.1f} K at {hms(t_E_min)}; from {hms(t_QE0)} its heat is negative (the expansion space rejects heat, "
      f"as at the paper's Fig. 5 point, [hybrid_validation.md](hybrid_validation.md): the rectified wave peaks "
      f"early in the expansion stroke and the turbine takes over the refrigeration), down to {float(ds['cooler.heat_expansion'][iQE]):.1f} W at "
      f"{hms(float(t[iQE]))}, and the station warms back to {T_Ef:.1f} K, where it lifts its {loads['expansion']:g} W. "
      f"The compression power falls from {cooler_0['power_compression']:.0f} W to {cooler_f['power_compression']:.0f} W "
      f"with the charge pressure; the turbine passes {cooler_f['mdot_turbine'] * 1e3:.3f} g/s at the end.")
    w("")
    w("| event | time |")
    w("| --- | --- |")
    for e in ev:
        w(f"| {e['name']} | {hms(e['time'])} ({e['time']:.1f} s) |")
    w("")
    w(f"**Speed.** `cryocosim run scenarios/hybrid_cooldown.toml` (a whole process): {mm(walls)} s for {sim_h:g} h; "
      f"`hybrid_cooldown_stall.toml`: {mm(walls_stall)} s for {float(ts[-1]) / HOUR:g} h (after the drive stops an "
      f"evaluation costs nothing). The step is {step:g} s = {step * par['frequency']:g} cycles: the step study "
      f"below puts its temperatures within {max(abs(step_err[step][0]), abs(step_err[step][1])):.2f} K of the {STEPS[0]:g} s "
      f"run's during the cool-down, at {study[step][1] / study[2.0][1]:.2f} of the 2 s run's cost.")
    w("")
    w(f"**The step.** The same run with every actor at other steps, against {STEPS[0]:g} s (explicit Gauss–Seidel "
      "coupling, the cooler first from the stations' temperatures at the start of the step; the end state of "
      "an explicit loop is the exact balance whatever the step, as long as the loop is stable):")
    w("")
    w("\n".join(table(["step [s]", "cycles per step", "largest T_E difference [K]", "largest T_L difference [K]",
                       "at the end, T_L / T_E [K]", "solves", "loop wall time [s]"], step_rows)))
    w("")
    failed = [h for h in STEPS if study[h][0] is None]
    if failed:
        w(f"Failed at {', '.join(f'{h:g} s' for h in failed)}: the explicit coupling of the load station's small heat "
          "capacity at low temperature is unstable at that step.")
    else:
        w(f"Every step up to {STEPS[-1]:g} s is stable: the end state's time constants ({taus[0]:.0f} s and "
          f"{taus[1]:.0f} s, above) are longer than half of it; the error during the cool-down grows in proportion "
          "to the step (first order).")
    w("")

    w("## The end state against the monolithic capacity")
    w("")
    w(f"The monolithic model (`HybridSI(...).solve()`, from the charge state, not warm-started) at the final "
      f"temperatures T_E = {T_Ef:.4f} K, T_L = {T_Lf:.4f} K with the charge pressure {si_end.p_charge / 1e5:.4f} bar:")
    w("")
    w("| station | applied [W] | lifted by the monolithic model [W] | net heat into the station over the last minute [W] |")
    w("| --- | --- | --- | --- |")
    w(f"| expansion (T_E) | {loads['expansion']:g} | {end['q_E_W']:.4f} | {residual['expansion']:+.2e} |")
    w(f"| load (T_L) | {loads['load']:g} | {end['q_L_W']:.4f} | {residual['load']:+.2e} |")
    w("")
    w(f"Compression power {end['w_C_W']:.1f} W, turbine flow {end['mdot_t_kg_s'] * 1e3:.4f} g/s, η_Carnot (eq. 42) "
      f"{end['eta_carnot']:.4f}. Local sensitivities (central differences of ±{dT:g} K): "
      f"∂Q_E/∂T_E = {jac[0, 0]:.2f}, ∂Q_E/∂T_L = {jac[0, 1]:.2f}, ∂Q_L/∂T_E = {jac[1, 0]:.3f}, "
      f"∂Q_L/∂T_L = {jac[1, 1]:.2f} W/K: the balance is stable (both time constants positive) and the expansion "
      f"station's heat depends on the load station's temperature {jac[0, 1] / jac[0, 0]:.2f} times as much as on its "
      "own (the cause of its overshoot during the cool-down).")
    w("")

    w("## Averaged against resolved")
    w("")
    w(f"Small stations ({small_mass['expansion'] * 1e3:g} g and {small_mass['load'] * 1e3:g} g of copper; "
      "`hybrid_cooldown_resolved.toml` and `hybrid_cooldown_averaged.toml`, otherwise the cool-down above) so "
      f"that the resolved co-simulation covers the cool-down in {len(tb) - 1} cycles. The resolved run is the seven "
      "actors of `hybrid_stirling.toml` in their station variants (`fmus/hybrid_stations.py`: the stage's "
      "expansion space and dead volume, the buffers and the exchangers follow the stations' temperatures, and "
      "put their heats on them: the expansion space's −V_e dp/dt and the buffers' R T (ṁ_in − ṁ_out) on the "
      "expansion station, the load exchanger's refrigeration on the load station). The averaged run steps once "
      "per cycle; a run at a quarter cycle separates its own step error. Differences resolved − averaged at "
      "every cycle boundary:")
    w("")
    w("\n".join(table(["resolved run", "wall [s]", "T_E − averaged (1 cycle) [K]", "T_L − averaged (1 cycle) [K]",
                       "T_E − averaged (1/4 cycle) [K]", "T_L − averaged (1/4 cycle) [K]"], cmp_rows)))
    w("")
    w("![averaged against resolved](figures/hybrid_cooldown_resolved.png)")
    w("")
    fr = {st: bound_ok[(1000, st)][1] for st in ("expansion", "load")}
    w(f"What separates them: the resolved cooler needs about {LAG_CYCLES} cycles to settle to a new cyclic "
      "steady state, so its temperatures lag those of the quasi-steady model where they fall fast (the largest "
      "differences come at the start-up, when the machine itself starts from rest at the charge pressure, and "
      "where the load station falls fastest); the averaged model's explicit step of one cycle adds up to "
      "another; and the resolved co-simulation has its own coupling error. The test "
      f"(`tests/test_hybrid_cooldown.py`) bounds the difference at each cycle boundary by {BOUND_CYCLES} cycles of "
      f"the fastest fall within {BOUND_CYCLES} cycles plus {BOUND_K:g} K; the 1000-step run uses "
      f"{fr['expansion'] * 100:.0f} % (expansion) and {fr['load'] * 100:.0f} % (load) of that bound at its worst.")
    w("")
    w(f"**The resolved coupling error at the end's temperatures** (T_E = {T_Er:.2f} K, T_L = {T_Lr:.2f} K, held; "
      f"the fixed-temperature actors of `hybrid_stirling.toml` set up by `HybridSI.actor_parameters()`, {FIXED_CYCLES} cycles, "
      f"the last one against the monolithic model: Q_E = {ref_r['q_E_W']:.2f} W, Q_L = {ref_r['q_L_W']:.3f} W, "
      f"W_C = {ref_r['w_C_W']:.1f} W):")
    w("")
    w("\n".join(table(["steps per cycle", "Q_E [W]", "Q_E error", "Q_L [W]", "Q_L error", "W_C [W]", "W_C error"],
                      fixed_rows)))
    w("")
    w(f"At 1000 steps per cycle these errors alone would move a steady state at that point by {shift[0]:+.2f} K "
      f"(T_E) and {shift[1]:+.3f} K (T_L) (through the sensitivities there); they halve with the resolved step. "
      f"Extrapolated to the exact resolved co-simulation (first order: 2 d({RESOLVED_N[2]}) − d({RESOLVED_N[1]})), the end differences "
      f"are {extrap['expansion']:+.2f} K (T_E) and {extrap['load']:+.3f} K (T_L): not the coupling, a difference "
      f"of the two models themselves, at a time when the expansion station still falls by "
      f"{abs(end_rate_E) * period:.3f} K per cycle.")
    w("")
    w("**With stations twice as heavy** (the same cool-down, twice as slow: "
      f"{2 * small_mass['expansion'] * 1e3:g} g and {2 * small_mass['load'] * 1e3:g} g for {stop_big:g} s, resolved at 1000 "
      f"steps per cycle, {wall_big:.0f} s of wall time): a difference that comes from the resolved cooler's own "
      f"transients, which last a fixed number of cycles, halves. "
      f"Largest differences resolved − averaged after the first {skip} cycles (at the cycle given) and at the end, in K:")
    w("")
    w("\n".join(table(["stations", "cycles", "T_E, largest", "T_L, largest", "T_E at the end", "T_L at the end"],
                      scale_rows)))
    w("")
    w(f"The largest differences fall to {scale_ratio[0]:.2f} (expansion) and {scale_ratio[1]:.2f} (load) of the base "
      "run's, about in proportion to the stations' heat capacity: they come from the resolved cooler's own "
      "transients (its start from rest in the first cycles, for the expansion station; its lag of a few cycles "
      "where the load station falls fastest), not from a difference of the cycle-mean heats. The end "
      "differences, a few tenths of a kelvin, mix the resolved coupling error with what is left of them.")
    w("")

    w("## Faults")
    w("")
    w("![faults](figures/hybrid_cooldown_stall.png)")
    w("")
    w(f"**Turbine stall** (`hybrid_cooldown_stall.toml`). At {hms(t_seize)} the rotor seizes: the stopped wheel passes "
      "its nozzle flow throttled (the resolved `turbine`'s `seized` with `leak_fraction = 1`), so the pressure "
      f"waves, Q_E, W_C and the flow are the running machine's and Q_L is zero. The load station, at {T_L4:.2f} K "
      f"with {C_f['load']:.0f} J/K, warms at {rate_L:.0f} K/h over the first {(ts[i4 + 1] - ts[i4]) / 60:g} min; the "
      f"expansion station, at {T_E4:.2f} K, is then cooled by {q_E_seized:.1f} W (Q_E grows as T_L rises). At {hms(t_stop)} the load passes 40 K and the "
      "interlock stops the drive: nothing is lifted and both stations warm under their loads "
      f"({float(dst['load.T'][-1]):.1f} K and {float(dst['expansion.T'][-1]):.1f} K at {ts[-1] / HOUR:g} h).")
    w("")
    w(f"Without the interlock (the same stall, the drive running) the load station warms the same way (Q_L is "
      f"zero either way: {float(dsn['load.T'][-1]):.1f} K at {float(dsn['time'][-1]) / HOUR:g} h, still warming, "
      f"nothing balances its load), while the expansion station, cooled the more the warmer the load station, "
      f"falls to {float(dsn['expansion.T'][-1]):.1f} K.")
    w("")
    w(f"**Leaking check valves** (at 4 h both valves' back-leak resistance falls from infinity to "
      f"r_cv,b = {r_leak:.4g} Pa s/kg, ten times the forward one, R_cv,b = {R_cv_b:.3f} at the end: the monolithic "
      "model's one R_cv,b for both valves): the rectification weakens, both stations drift up to a new balance, "
      f"T_E = {float(dsl['expansion.T'][-1]):.2f} K and T_L = {float(dsl['load.T'][-1]):.3f} K at "
      f"{float(dsl['time'][-1]) / HOUR:g} h, where the monolithic model with the leak lifts {leak_end['q_E_W']:.3f} W "
      f"and {leak_end['q_L_W']:.3f} W.")
    w("")
    text = "\n".join(lines) + "\n"
    took = f"{(time.perf_counter() - t_script) / 60:.1f} min"
    if CACHED:
        took += (f" ({len(CACHED)} of its {len(RESOLVED_N) + 1} resolved runs taken from the cache "
                 "`results/hybrid_cooldown/`, where the runs of the same code are kept; their wall times are "
                 "those measured when they ran)")
    OUT.write_text(text.replace("{SCRIPT_MIN}", took))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
