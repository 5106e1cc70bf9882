"""Writes docs/hybrid_coupling_orders.md and docs/figures/hybrid_coupling_orders.png: the resolved
hybrid Stirling / reverse-Brayton cooler (scenarios/hybrid_stirling.toml, seed 001) at coupling
orders 0, 1 and 2 (cryocosim.extrapolation) against its monolithic cyclic steady state
(fmus/reference/hybrid.py): the cycle-mean refrigeration's and compression power's errors at
6 .. 2000 fixed steps a cycle, the fitted orders, where each scheme stops working (its stability
limit), and the wall time of the stepping loop (minimum and median of REPEATS runs).

Every number on the page is computed here, in one process, one run after the other.

Usage: .venv/bin/python docs/scripts/hybrid_coupling_orders.py     (about 5 minutes on 2 cores)
"""
from __future__ import annotations

import datetime
import math
import sys
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from pages import ROOT, fmt, machine, min_median, save_figure, table  # noqa: E402

from cryocosim.errors import CryocosimError  # noqa: E402
from cryocosim.fmus.reference.hybrid import HybridSI, cyclic_steady_state  # noqa: E402
from cryocosim.scenario import load  # noqa: E402

SCENARIO = ROOT / "scenarios/hybrid_stirling.toml"
PAGE = ROOT / "docs/hybrid_coupling_orders.md"
FIGURE = ROOT / "docs/figures/hybrid_coupling_orders.png"
STEPS = (6, 8, 10, 14, 20, 40, 100, 200, 400, 1000, 2000)   # fixed steps per cycle
SCHEMES = {"explicit Gauss–Seidel": dict(ordering="gauss-seidel", iterate=False),
           "explicit Jacobi": dict(ordering="jacobi", iterate=False),
           "iterated": dict(ordering="gauss-seidel", iterate=True)}
ORDERS = (0, 1, 2)
REPEATS = 3
TARGET = 1e-4            # issue 24: the cycle-mean refrigeration within 1e-4 ...
ORDER0_AT_TARGET = 40000  # ... which order 0 (explicit Gauss-Seidel) needs this many steps for
FIT = (100, 400)          # fitted orders over these N (below, the valves' opening and closing inside
                          # a step dominate; above, the errors of order 2 reach their floor of ~2e-6)


def setup():
    system, settings = load(SCENARIO)
    a = system.bus.actors
    st, tu = a["stage"], a["turbine"]
    si = HybridSI(T_C=st.T_compression, T_E=st.T_expansion, T_L=a["hx"].T_load, T_D=st.T_dead,
                  V_E=st.swept_volume_expansion, V_C=st.swept_volume_compression, V_D=st.dead_volume,
                  V_B=a["hp_buffer"].volume, phase=st.phase, frequency=st.frequency,
                  r_cv_f=a["hp_valve"].r_forward, a_t=tu.area, p_charge=st.p_charge,
                  R_gas=8.314462618 / 0.004002602)
    return si, settings


def reference(si) -> dict:
    r = cyclic_steady_state(**si.groups(), steps_per_cycle=8000)
    scale = si.p_charge * si.V_E * si.frequency   # J per cycle / (p V_E) -> W
    return {"Q_L": r["Q_L"] * scale, "W_C": r["W_C"] * scale}


def one_run(N: int, order: int, scheme: dict, period: float) -> dict:
    system, settings = load(SCENARIO)
    for name in system.steps:
        system.steps[name] = period / N
    opts = {**settings.run_options(), **scheme, "coupling_order": order, "tolerance": None,
            "output_interval": period}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = system.run(settings.stop_time, **opts)
    return {"Q_L": float(ds["hx.heat_load_cycle"][-1]), "W_C": float(ds["stage.power_compression_cycle"][-1]),
            "wall": system.master.wall_time, "stop": settings.stop_time}


def case(N, order, scheme, period, ref, repeats=REPEATS) -> dict:
    walls = []
    rec = {}
    for _ in range(repeats):
        try:
            r = one_run(N, order, scheme, period)
        except CryocosimError as exc:
            return {"status": "failed", "message": str(exc).splitlines()[0][:120]}
        walls.append(r["wall"])
        rec = r
        if r["wall"] > 20.0:
            break   # a long run's time is not disturbed much: once is enough
    e = {k: (rec[k] - ref[k]) / abs(ref[k]) for k in ("Q_L", "W_C")}
    bounded = all(math.isfinite(v) and abs(v) < 0.5 for v in e.values())
    wmin, wmed = min_median(walls)
    return {"status": "ok" if bounded else "diverged", "e_Q": e["Q_L"], "e_W": e["W_C"],
            "wall_min": wmin, "wall_med": wmed, "rt": rec["stop"] / wmin, "runs": len(walls)}


def fitted(results, scheme, order) -> float | None:
    runs = [(N, r["e_Q"]) for (s, o, N), r in results.items()
            if s == scheme and o == order and FIT[0] <= N <= FIT[1] and r["status"] == "ok"]
    if len(runs) < 2 or len({math.copysign(1.0, e) for _, e in runs}) > 1 or any(e == 0.0 for _, e in runs):
        return None   # no order to fit to an error that changes sign
    pts = [(N, abs(e)) for N, e in runs]
    import numpy as np

    x = np.log([p[0] for p in pts])
    y = np.log([p[1] for p in pts])
    return float(-np.polyfit(x, y, 1)[0])


def main() -> None:
    t_start = time.perf_counter()
    si, settings = setup()
    period = 1.0 / si.frequency
    ref = reference(si)
    results = {}
    for scheme_name, scheme in SCHEMES.items():
        for order in ORDERS:
            for N in STEPS:
                results[(scheme_name, order, N)] = r = case(N, order, scheme, period, ref)
                print(scheme_name, order, N, r.get("status"), fmt(r.get("e_Q")), fmt(r.get("rt")), flush=True)
    base = case(ORDER0_AT_TARGET, 0, SCHEMES["explicit Gauss–Seidel"], period, ref)
    write(results, base, ref, settings, time.perf_counter() - t_start)


def write(results, base, ref, settings, elapsed) -> None:
    L = ["# The hybrid cooler at coupling orders 0, 1 and 2", "",
         f"*Written by `docs/scripts/hybrid_coupling_orders.py` on {datetime.date.today()} in "
         f"{elapsed / 60:.1f} min; {machine('numpy', 'simpy')}.*", "",
         "The resolved hybrid cooler (`scenarios/hybrid_stirling.toml`: Stirling stage, check valves, "
         "buffers, turbine, exchangers as actors) run for its 12 cycles at fixed steps, with its inputs "
         "held over a step (order 0), or given as the polynomial of degree 1 or 2 through their "
         "producers' last values (`coupling_order`, `cryocosim.extrapolation`; the actors integrate "
         "them: the stage's mass and work along the polynomial flows, the buffers' exact mean flow, "
         "the valves, the turbine and the exchangers at the step's end). Errors are those of the last "
         "cycle's mean refrigeration `hx.heat_load_cycle` (Q_L) and compression power "
         "`stage.power_compression_cycle` (W_C) against the monolithic cyclic steady state at the same "
         f"groups (RK4 shooting, 8000 steps a cycle; 2000 give the same Q_L to 2e-7): Q_L = {ref['Q_L']:.4f} W, W_C = {ref['W_C']:.2f} W. "
         f"Wall time: the master's stepping loop for {settings.stop_time:g} s simulated, minimum / median "
         f"of {REPEATS} runs (one run above 20 s); real-time factor = simulated / minimum wall time.",
         "", "The method follows Busch (2016) and the polynomial extrapolation of coupling variables "
         "(Arnold; MasterSim's constant/linear/quadratic options): through the end-of-step value where "
         "it is known (Gauss–Seidel for actors stepped after their producer, iterated coupling), "
         "extrapolated otherwise.", ""]
    for scheme in SCHEMES:
        L += [f"## {scheme}", ""]
        rows = []
        for N in STEPS:
            cells = [N]
            for o in ORDERS:
                r = results[(scheme, o, N)]
                if r["status"] == "failed":
                    cells += ["failed", "", ""]
                elif r["status"] == "diverged":
                    cells += [f"diverged ({fmt(r['e_Q'], 2, 'e', sign=True)})", "", ""]
                else:
                    cells += [fmt(r["e_Q"], 2, "e", sign=True), fmt(r["e_W"], 2, "e", sign=True),
                              f"{fmt(r['rt'], 3)}× ({r['wall_min']:.3f} / {r['wall_med']:.3f} s)"]
            rows.append(cells)
        L += table(["steps / cycle"] + [f"{h} (order {o})" for o in ORDERS
                                         for h in ("Q_L error", "W_C error", "real time (wall min / median)")],
                   rows)
        orders = [fitted(results, scheme, o) for o in ORDERS]
        limits = []
        for o in ORDERS:
            ok = [N for N in STEPS if results[(scheme, o, N)]["status"] == "ok"]
            limits.append(min(ok) if ok else None)
        L += ["", f"Fitted order of the Q_L error over N = {FIT[0]} .. {FIT[1]}: " + ", ".join(
            f"order {o}: {fmt(p, 3) if p is not None else '— (the error changes sign)'}"
            for o, p in zip(ORDERS, orders)) + ". Fewest "
              "steps a cycle that run with a bounded error (below 50 %): " + ", ".join(
            f"order {o}: {n if n is not None else 'none'}" for o, n in zip(ORDERS, limits)) + ".", ""]
    # the target
    best = None
    for (scheme, o, N), r in results.items():
        if r["status"] == "ok" and abs(r["e_Q"]) <= TARGET and abs(r["e_W"]) <= TARGET:
            if best is None or r["rt"] > best[3]["rt"]:
                best = (scheme, o, N, r)
    L += ["## The target", ""]
    if base["status"] == "ok":
        L += [f"Order 0 (explicit Gauss–Seidel) at {ORDER0_AT_TARGET:,} steps a cycle: Q_L error "
              f"{fmt(base['e_Q'], 2, 'e', sign=True)}, W_C {fmt(base['e_W'], 2, 'e', sign=True)}, "
              f"{fmt(base['rt'], 3)}× real time ({base['wall_min']:.2f} / {base['wall_med']:.2f} s, "
              f"{base['runs']} run{'s' if base['runs'] != 1 else ''})."]
    if best is not None:
        scheme, o, N, r = best
        L += [f"The fastest run above with both errors within {TARGET:g}: {scheme}, order {o}, {N} steps a "
              f"cycle: Q_L {fmt(r['e_Q'], 2, 'e', sign=True)}, W_C {fmt(r['e_W'], 2, 'e', sign=True)}, "
              f"**{fmt(r['rt'], 3)}× real time** (wall {r['wall_min']:.3f} / {r['wall_med']:.3f} s)"
              + (f", {r['rt'] / base['rt']:.0f} times faster than order 0 at the same accuracy."
                 if base["status"] == "ok" else ".")]
    else:
        L += [f"No run above met {TARGET:g} on both Q_L and W_C."]
    L += ["", "![errors against steps and wall time](figures/hybrid_coupling_orders.png)", ""]
    PAGE.write_text("\n".join(L))
    figure(results)


def figure(results) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {0: "o-", 1: "s-", 2: "^-"}
    for scheme, color in zip(SCHEMES, ("C0", "C1", "C2")):
        for o in ORDERS:
            pts = [(N, abs(r["e_Q"]), r["wall_min"]) for (s, oo, N), r in results.items()
                   if s == scheme and oo == o and r["status"] == "ok" and r["e_Q"] != 0.0]
            if not pts:
                continue
            n, e, w = zip(*pts)
            label = f"{scheme}, order {o}"
            axes[0].loglog(n, e, styles[o], color=color, label=label, ms=4)
            axes[1].loglog(w, e, styles[o], color=color, label=label, ms=4)
    for ax in axes:
        ax.axhline(TARGET, color="grey", lw=0.8, ls="--")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_ylabel("|error| of the cycle-mean refrigeration Q_L")
    axes[0].set_xlabel("fixed steps per cycle")
    axes[1].set_xlabel("wall time of the stepping loop [s] (12 cycles = 0.24 s simulated)")
    axes[1].axvline(0.24, color="grey", lw=0.8, ls=":")
    axes[0].legend(fontsize=7, loc="lower left")
    save_figure(fig, FIGURE, "Hybrid cooler: coupling error against steps and wall time")


if __name__ == "__main__":
    main()
