"""Writes docs/hybrid_validation.md and docs/figures/hybrid_*.png: the monolithic reference model
of the hybrid Stirling / reverse-Brayton cryocooler (fmus/reference/hybrid.py) beside Nellis & Maddocks,
Cryogenics 43 (2003) 31-43 (seed 001): verification, Figs. 5-12 and the design rules.

Every number on the page is computed here.  The seed is the paper's text with its figure
captions; the figures' curves themselves are not in it, so the paper's side of each comparison
is what its text and captions state.

Usage: .venv/bin/python docs/scripts/hybrid_validation.py      (a few minutes on 2 cores)
"""
from __future__ import annotations

import math
import platform
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import brentq, minimize  # noqa: E402

from cryocosim.fmus.reference.hybrid import (CyclicSteadyStateError, HybridSI,  # noqa: E402
                                             cyclic_steady_state, schmidt_limit, stable_steps)
from pages import ROOT, fmt, save_figure, table  # noqa: E402

OUT = ROOT / "docs/hybrid_validation.md"
FIG = ROOT / "docs/figures"
WORKERS = 2

# the captions' common set (Figs. 5-10): beta = 3, kappa = 2, S = 0.5, alpha = 1 rad,
# gamma = 5/3, chi = 3, A_t = 0.25, R_cv,b -> inf
BASE = dict(beta=3.0, kappa=2.0, S=0.5, alpha=1.0, gamma=5.0 / 3.0, chi=3.0)
AT = 0.25
FIG5 = dict(BASE, A_t=AT, lam=1.25, R_cv_f=0.2)               # R_cv,f A_t = 0.05, lam/A_t = 5
SMALL_RA = 1e-3                                              # stands for R_cv,f A_t -> 0
FIG6 = dict(BASE, A_t=AT, lam=math.inf, R_cv_f=SMALL_RA / AT)
FIG7 = dict(BASE, A_t=AT, lam=5.0 * AT, R_cv_f=SMALL_RA / AT)
FIG9 = dict(BASE, A_t=AT, lam=math.inf, R_cv_f=0.05 / AT)
# Figs. 11-12: lam/A_t = 5, R_cv,f A_t = 0.02, beta = 3, S = 0.5, gamma = 5/3, chi = 3
OPT = dict(beta=3.0, S=0.5, gamma=5.0 / 3.0, chi=3.0)
OPT_LA, OPT_RA = 5.0, 0.02

SCHMIDT_N = (10, 16, 20, 25, 32, 50, 100, 200)
MASS_N = (25, 50, 100, 200, 400)
FIG8_RA = (0.001, 0.01, 0.05, 0.2, 1.0)
FIG8_LA = tuple(sorted({float(x) for x in np.round(np.logspace(-1, 2, 13), 4)} | {5.0}))
FIG10_LA = (0.5, 1.0, 5.0, 20.0, math.inf)
FIG10_RA = tuple(float(x) for x in np.round(np.logspace(-3, 2, 16), 6))
FIG11_K = tuple(float(x) for x in np.logspace(0, math.log10(60.0), 22))
FIG11_A = tuple(float(x) for x in np.linspace(0.3, 1.5, 25))
FIG12_RHO = (0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 12.0, 14.0, 17.0, 20.0, 50.0, 100.0, 1000.0)
FIG12_K = tuple(float(x) for x in np.logspace(math.log10(0.05), math.log10(500.0), 21))
FIG12_A = tuple(float(x) for x in np.linspace(0.2, 1.6, 15))
TIMING_RUNS = 10
KAPPA_MIN = 0.01     # lower bound of the optimiser's search in kappa


def la_str(la: float) -> str:
    return "∞" if math.isinf(la) else fmt(la)


# --------------------------------------------------------------------------------------------
# Figs. 11-12: A_t such that Q_E/Q_L = rho, then the metric Q_L/(Q_rg + Q_rec)
# --------------------------------------------------------------------------------------------
def at_ratio(kappa: float, alpha: float, rho: float) -> dict | None:
    """Cyclic steady state at (kappa, alpha) with lam = 5 A_t, R_cv,f = 0.02/A_t and A_t
    chosen so that Q_E/Q_L = rho (A_t -> 0 gives the closed Stirling cycle, Q_E/Q_L -> inf)."""
    cache = {}

    def f(x):
        a = math.exp(x)
        r = cyclic_steady_state(**OPT, kappa=kappa, alpha=alpha, A_t=a, lam=OPT_LA * a,
                                R_cv_f=OPT_RA / a)
        cache[x] = r
        return r["Q_E"] - rho * r["Q_L"]

    try:
        lo, hi = math.log(1e-3), math.log(0.05)
        for _ in range(12):         # down to A_t ~ 6e-11
            if f(lo) > 0:
                break
            hi, lo = lo, lo - math.log(8.0)
        else:
            return None
        for _ in range(8):          # up to A_t ~ 800
            if f(hi) < 0:
                break
            lo, hi = hi, hi + math.log(4.0)
        else:
            return None
        x = brentq(f, lo, hi, xtol=1e-10, rtol=1e-12)
        r = cache[x] if x in cache else (f(x), cache[x])[1]
    except (CyclicSteadyStateError, ValueError, RuntimeError):
        return None
    return {"A_t": math.exp(x), "Q_E": r["Q_E"], "Q_L": r["Q_L"], "Q_rg": r["Q_rg"],
            "Q_rec": r["Q_rec"], "W_C": r["W_C"], "eta": r["eta_carnot"],
            "metric": r["Q_L"] / (r["Q_rg"] + r["Q_rec"])}


def job(kind, *args):
    warnings.simplefilter("ignore", RuntimeWarning)
    if kind == "grid":
        kappa, alpha, rho = args
        return kind, args, at_ratio(kappa, alpha, rho)
    if kind == "optimum":
        rho, starts = args
        found = []
        for k0, a0 in starts:
            def neg(x):
                k, a = math.exp(x[0]), x[1]
                if not (KAPPA_MIN < k < 5000.0 and 0.02 < a < 3.0):
                    return 1.0
                r = at_ratio(k, a, rho)
                return 1.0 if r is None else -r["metric"]
            res = minimize(neg, [math.log(k0), a0], method="Nelder-Mead",
                           options={"xatol": 1e-4, "fatol": 1e-9, "maxiter": 400})
            k, a = math.exp(res.x[0]), res.x[1]
            r = at_ratio(k, a, rho)
            found.append({"start": (k0, a0), "kappa": k, "alpha": a,
                          "at_bound": k < 1.01 * KAPPA_MIN, **(r or {"metric": math.nan})})
        return kind, rho, found
    if kind == "solve":
        label, kw = args
        try:
            r = cyclic_steady_state(**kw)
        except CyclicSteadyStateError as exc:
            return kind, label, {"failed": str(exc)}
        return kind, label, {k: v for k, v in r.items() if isinstance(v, (int, float, str))}
    raise ValueError(kind)


# --------------------------------------------------------------------------------------------
# serial pieces
# --------------------------------------------------------------------------------------------
def timing() -> dict:
    out = {}
    for name, kw in (("Fig. 5 set", FIG5), ("Fig. 7 set (stiff)", FIG7)):
        runs = []
        for _ in range(TIMING_RUNS):
            t0 = time.perf_counter()
            r = cyclic_steady_state(**kw)
            runs.append(time.perf_counter() - t0)
        out[name] = (min(runs) * 1e3, statistics.median(runs) * 1e3, r["steps_per_cycle"], r["cycles"])
    return out


def schmidt_table():
    rows = []
    sets = [("paper's set (Fig. 5 stage)", 3.0, 2.0, 0.5, 1.0), ("kappa = 15, alpha = 0.8", 3.0, 15.0, 0.5, 0.8)]
    for label, b, k, S, a in sets:
        s = schmidt_limit(b, k, S, a)
        for n in SCHMIDT_N:
            r = cyclic_steady_state(beta=b, kappa=k, S=S, alpha=a, lam=1.0, gamma=5 / 3, chi=3.0,
                                    A_t=AT, R_cv_f=math.inf, R_cv_b=math.inf, steps_per_cycle=n,
                                    return_waves=True)
            w = r["waves"]
            rows.append((label, s["delta"], n, r["W_C"] / s["W_C"] - 1, r["Q_E"] / s["Q_E"] - 1,
                         float(np.max(np.abs(w["Pi"] / s["Pi"](w["phi"]) - 1)))))
    return rows


def mass_table():
    rows = []
    for n in MASS_N:
        row = [n]
        for method in ("march", "shooting"):
            try:
                r = cyclic_steady_state(**FIG5, steps_per_cycle=n, method=method)
                row += [r["mass_error"], r["cycles"], r.get("mass_drift_per_cycle", math.nan),
                        r["second_law_residual"] / r["W_C"]]
            except CyclicSteadyStateError as exc:
                row += [math.nan, str(exc).split(":")[0], math.nan, math.nan]
        rows.append(row)
    return rows


def march_vs_shooting():
    cases = [("Fig. 5 (lam/A_t 5, R_cv,f A_t 0.05)", FIG5),
             ("Fig. 7 (lam/A_t 5, R_cv,f A_t 0.001)", FIG7),
             ("lam/A_t 100, R_cv,f A_t 0.05", dict(FIG5, lam=100 * AT)),
             ("lam/A_t 5, R_cv,f A_t 10", dict(FIG5, R_cv_f=10 / AT)),
             ("lam/A_t 5, R_cv,f A_t 2500 (valves almost shut)", dict(FIG5, R_cv_f=1e4))]
    rows = []
    for label, kw in cases:
        t0 = time.perf_counter()
        s = cyclic_steady_state(**kw)
        ts = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            m = cyclic_steady_state(**kw, method="march", max_cycles=100000)
        except CyclicSteadyStateError as exc:
            m = {"failed": str(exc)}
        tm = time.perf_counter() - t0
        rows.append((label, s, ts, m, tm))
    return rows


def waves(kw, n=None):
    return cyclic_steady_state(**kw, steps_per_cycle=n, return_waves=True)


def step_convergence(kw, label):
    """The stiff case: RK4 at 100 steps, the automatic count and its doublings."""
    auto = cyclic_steady_state(**kw)["steps_per_cycle"]
    rows = []
    for n in (100, auto // 2, auto, 2 * auto, 4 * auto, 8 * auto):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r = cyclic_steady_state(**kw, steps_per_cycle=n)
            rows.append((n, r["eta_carnot"], r["Q_L"], r["Q_E"], r["Pi_max"], r["Pi_min"],
                         r["second_law_residual"] / r["W_C"], None))
        except (CyclicSteadyStateError, ValueError, ZeroDivisionError, OverflowError) as exc:
            rows.append((n, *[math.nan] * 6, type(exc).__name__))
    need = stable_steps(kw["beta"], kw["kappa"], kw["S"], kw["alpha"], kw["lam"], kw["R_cv_f"],
                        hk=2.785)
    return {"label": label, "auto": auto, "rk4_limit": need, "rows": rows}


def si_example():
    s = HybridSI(T_C=300.0, T_E=100.0, T_L=100.0 / 3.0, T_D=150.0, V_E=2e-5, V_C=4e-5,
                 V_D=0.5 * 2e-5 * 150.0 / 300.0, V_B=1.25 * 2e-5, phase=1.0, frequency=30.0,
                 r_cv_f=0.2 * 2077.1 * 100.0 / 30.0 / 2e-5,
                 a_t=0.25 * 2e-5 * 30.0 / math.sqrt(5 / 3 * 2077.1 * 100.0 / 3.0), p_charge=2e6)
    g = s.groups()
    r = s.solve()
    d = cyclic_steady_state(**FIG5)
    return s, g, r, d


# --------------------------------------------------------------------------------------------
def main() -> None:
    t_start = time.perf_counter()
    FIG.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore", RuntimeWarning)

    # ---- parallel sweeps
    tasks = []
    for ra in FIG8_RA:
        for la in FIG8_LA:
            tasks.append(("solve", ("f8", ra, la), dict(BASE, A_t=AT, lam=la * AT, R_cv_f=ra / AT)))
    for la in FIG10_LA:
        for ra in FIG10_RA:
            tasks.append(("solve", ("f10", ra, la), dict(BASE, A_t=AT, lam=la * AT, R_cv_f=ra / AT)))
    for k in FIG11_K:
        for a in FIG11_A:
            tasks.append(("grid", k, a, 5.0))
    for rho in FIG12_RHO:
        for k in FIG12_K:
            for a in FIG12_A:
                tasks.append(("grid", k, a, rho))
    res_solve, res_grid = {}, {}
    tim = timing()   # alone on the machine, before the workers start
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        futs = [pool.submit(job, *t) for t in tasks]
        # serial pieces in this process meanwhile
        sch = schmidt_table()
        mass = mass_table()
        mvs = march_vs_shooting()
        w5, w6, w7, w9 = waves(FIG5, 400), waves(FIG6), waves(FIG7), waves(FIG9)
        s5 = schmidt_limit(3.0, 2.0, 0.5, 1.0)
        conv6 = step_convergence(FIG6, "Fig. 6 (lam = inf, R_cv,f A_t = 0.001)")
        conv7 = step_convergence(FIG7, "Fig. 7 (lam/A_t = 5, R_cv,f A_t = 0.001)")
        limit6 = []
        for ra in (1e-2, 3e-3, 1e-3, 3e-4, 1e-4):
            r = cyclic_steady_state(**dict(FIG6, R_cv_f=ra / AT))
            limit6.append((ra, r["eta_carnot"], r["Q_L"], r["Pi_max"] - r["Pi_HP_max"],
                           r["Pi_LP_min"] - r["Pi_min"], r["steps_per_cycle"],
                           r["LW_valves"], r["LW_load_hx"], r["W_rev"]))
        si = si_example()
        # Fig. 8's "short spurts twice per cycle": turbine power waves at lam/A_t = 1
        spurts = {ra: waves(dict(BASE, A_t=AT, lam=1.0 * AT, R_cv_f=ra / AT)) for ra in (0.01, 0.2, 1.0)}
        # closed-Stirling limit of Fig. 11's metric and a per-unit-mass metric (closed form)
        print(f"serial runs done {time.perf_counter() - t_start:.0f} s", file=sys.stderr)
        kk = np.logspace(math.log10(0.02), math.log10(50.0), 100)
        aa = np.linspace(0.1, 2.0, 96)
        rg = np.full((kk.size, aa.size), np.nan)
        pm = np.full_like(rg, np.nan)
        for i, k in enumerate(kk):
            for j, a in enumerate(aa):
                s = schmidt_limit(3.0, float(k), 0.5, float(a))
                rg[i, j] = s["Q_E"] / s["Q_rg"](5 / 3)
                pm[i, j] = s["Q_E"] / s["M_rg"]
        print(f"closed-form grid done {time.perf_counter() - t_start:.0f} s", file=sys.stderr)
        for i, fut in enumerate(futs):
            if i % 500 == 0:
                print(f"  sweep result {i}/{len(futs)} at {time.perf_counter() - t_start:.0f} s", file=sys.stderr)
            kind, key, val = fut.result()
            if kind == "solve":
                res_solve[key] = val
            else:
                res_grid[key] = val
        print(f"sweeps done {time.perf_counter() - t_start:.0f} s", file=sys.stderr)

        # Fig. 12 optimum: start from the best grid point(s) of each rho
        starts = {}
        for rho in FIG12_RHO:
            G = np.array([[(res_grid[(k, a, rho)] or {}).get("metric", np.nan) for a in FIG12_A]
                          for k in FIG12_K])
            loc = []
            for i in range(G.shape[0]):
                for j in range(G.shape[1]):
                    v = G[i, j]
                    if not np.isfinite(v):
                        continue
                    nb = G[max(i - 1, 0):i + 2, max(j - 1, 0):j + 2]
                    if v >= np.nanmax(nb):
                        loc.append((v, FIG12_K[i], FIG12_A[j]))
            loc.sort(reverse=True)
            # one start per branch: the best grid maximum with kappa >= 1 and with kappa < 1
            big = [(k, a) for _, k, a in loc if k >= 1.0][:1]
            small = [(k, a) for _, k, a in loc if k < 1.0][:1]
            starts[rho] = big + small
        futs = [pool.submit(job, "optimum", rho, starts[rho]) for rho in FIG12_RHO]
        futs.append(pool.submit(job, "optimum", 5.0, [(15.0, 0.8)]))
        opt, branches = {}, {}
        for fut in futs[:-1]:
            _, rho, found = fut.result()
            branches[rho] = found
            opt[rho] = max(found, key=lambda o: o["metric"])
        opt5 = futs[-1].result()[2][0]
        # local maxima on Fig. 12's grid, for the page
        local_max = {rho: [] for rho in FIG12_RHO}
        for rho in FIG12_RHO:
            G = np.array([[(res_grid[(k, a, rho)] or {}).get("metric", np.nan) for a in FIG12_A]
                          for k in FIG12_K])
            for i in range(G.shape[0]):
                for j in range(G.shape[1]):
                    v = G[i, j]
                    if np.isfinite(v) and v >= np.nanmax(G[max(i - 1, 0):i + 2, max(j - 1, 0):j + 2]):
                        local_max[rho].append((v, FIG12_K[i], FIG12_A[j], i in (0, G.shape[0] - 1)))
            local_max[rho].sort(reverse=True)
    runtime = time.perf_counter() - t_start
    print(f"all runs done {runtime:.0f} s", file=sys.stderr)

    # ---- figures
    def pressure_plot(r, name, title, schmidt=None):
        w = r["waves"]
        fig, ax = plt.subplots(figsize=(7, 4.2))
        ax.plot(w["phi"], w["Pi"], label="regenerative stage Π")
        ax.plot(w["phi"], w["Pi_HP"], label="high-pressure buffer Π_B,HP")
        ax.plot(w["phi"], w["Pi_LP"], label="low-pressure buffer Π_B,LP")
        if schmidt is not None:
            ax.plot(w["phi"], schmidt["Pi"](w["phi"]), "k--", lw=1, label="closed Stirling (Schmidt, valves shut)")
        ax.set_xlabel("crank angle φ [rad]")
        ax.set_ylabel("dimensionless pressure Π = p / p_charge")
        ax.set_xlim(0, 2 * math.pi)
        ax.set_title(title, fontsize=8, wrap=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        save_figure(fig, FIG / name)

    pressure_plot(w5, "hybrid_fig5.png", "Fig. 5: R_cv,f = 0.2 (R_cv,f A_t = 0.05), λ = 1.25 (λ/A_t = 5),\n"
                  "β = 3, κ = 2, S = 0.5, α = 1, χ = 3, A_t = 0.25; 400 steps", s5)
    pressure_plot(w6, "hybrid_fig6.png", f"Fig. 6: λ = ∞, R_cv,f A_t = {SMALL_RA:g} (→ 0); {w6['steps_per_cycle']} steps")
    pressure_plot(w7, "hybrid_fig7.png", f"Fig. 7: λ/A_t = 5, R_cv,f A_t = {SMALL_RA:g} (→ 0); {w7['steps_per_cycle']} steps")
    pressure_plot(w9, "hybrid_fig9.png", f"Fig. 9: λ = ∞, R_cv,f A_t = 0.05; {w9['steps_per_cycle']} steps")

    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2))
    for ra in FIG8_RA:
        y = [res_solve[("f8", ra, la)].get("power_fluctuation", np.nan) for la in FIG8_LA]
        axs[0].loglog(FIG8_LA, y, "o-", ms=3, label=f"R_cv,f A_t = {ra:g}")
    axs[0].axvline(5.0, color="k", ls=":", lw=1)
    axs[0].set_xlabel("buffer volume size λ/A_t")
    axs[0].set_ylabel("turbine power fluctuation (max − min)/mean")
    axs[0].grid(alpha=0.3, which="both")
    axs[0].legend(fontsize=8)
    axs[0].set_title("Fig. 8", fontsize=9)
    for ra, r in spurts.items():
        w = r["waves"]
        axs[1].plot(w["phi"], w["Wdot_t"] / r["Q_L"], label=f"R_cv,f A_t = {ra:g}")
    axs[1].set_xlabel("crank angle φ [rad]")
    axs[1].set_ylabel("turbine power / its mean")
    axs[1].set_title("turbine power over a cycle at λ/A_t = 1", fontsize=9)
    axs[1].grid(alpha=0.3)
    axs[1].legend(fontsize=8)
    save_figure(fig, FIG / "hybrid_fig8.png")

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for la in FIG10_LA:
        y = [res_solve[("f10", ra, la)].get("eta_carnot", np.nan) for ra in FIG10_RA]
        ax.semilogx(FIG10_RA, y, "o-", ms=3, label=f"λ/A_t = {la_str(la)}")
    ax.axvline(0.05, color="k", ls=":", lw=1)
    ax.set_xlabel("check valve resistance R_cv,f A_t")
    ax.set_ylabel("Carnot efficiency η_Carnot (eq. 42)")
    ax.set_title("Fig. 10", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    save_figure(fig, FIG / "hybrid_fig10.png")

    G11 = np.array([[(res_grid[(k, a, 5.0)] or {}).get("metric", np.nan) for a in FIG11_A] for k in FIG11_K])
    fig, ax = plt.subplots(figsize=(7, 4.6))
    cs = ax.contour(FIG11_K, FIG11_A, G11.T, levels=14)
    ax.clabel(cs, fontsize=7, fmt="%.4f")
    ax.plot(opt5["kappa"], opt5["alpha"], "r*", ms=12, label=f"optimum κ = {opt5['kappa']:.1f}, α = {opt5['alpha']:.3f}")
    ax.set_xscale("log")
    ax.set_xlabel("swept volume ratio κ")
    ax.set_ylabel("phase angle α [rad]")
    ax.set_title("Fig. 11: Q_L/(Q_rg + Q_rec) at Q_E/Q_L = 5, λ/A_t = 5, R_cv,f A_t = 0.02", fontsize=9)
    ax.legend(fontsize=8)
    save_figure(fig, FIG / "hybrid_fig11.png")

    rhos = np.array(FIG12_RHO)

    def branch(rho, big):
        """The local optimum found on the large-kappa (big) or small-kappa branch, if any."""
        c = [o for o in branches[rho] if (o["start"][0] >= 1.0) == big and np.isfinite(o["metric"])
             and (o["kappa"] >= 1.0) == big]
        return c[0] if c else None

    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2))
    for big, mk, lab in ((True, "o-", "large-κ branch (interior optimum)"),
                         (False, "s--", f"small-κ branch (at the search bound κ = {KAPPA_MIN:g})")):
        pts = [(r, branch(r, big)) for r in FIG12_RHO if branch(r, big) is not None]
        axs[0].loglog([r for r, _ in pts], [o["kappa"] for _, o in pts], mk, mfc="none", label=lab)
        axs[1].semilogx([r for r, _ in pts], [o["alpha"] for _, o in pts], mk, mfc="none", label=lab)
    axs[0].loglog(rhos, [opt[r]["kappa"] for r in FIG12_RHO], "k.", ms=5, label="global optimum")
    axs[1].semilogx(rhos, [opt[r]["alpha"] for r in FIG12_RHO], "k.", ms=5, label="global optimum")
    axs[0].set_xlabel("Q_E / Q_L")
    axs[0].set_ylabel("optimal swept volume ratio κ")
    axs[0].grid(alpha=0.3, which="both")
    axs[0].legend(fontsize=7)
    axs[1].axhspan(0.55, 0.65, color="0.85", label="closed Stirling, Walker (quoted by the paper)")
    axs[1].axhline(0.85, color="r", ls=":", label="hybrid ≈ 0.85 rad (paper, Fig. 11)")
    axs[1].set_xlabel("Q_E / Q_L")
    axs[1].set_ylabel("optimal phase angle α [rad]")
    axs[1].grid(alpha=0.3, which="both")
    axs[1].legend(fontsize=8)
    fig.suptitle("Fig. 12: λ/A_t = 5, R_cv,f A_t = 0.02, β = 3, S = 0.5, γ = 5/3, χ = 3", fontsize=9)
    save_figure(fig, FIG / "hybrid_fig12.png")

    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2))
    ns = sorted({r[2] for r in sch})
    for label in dict.fromkeys(r[0] for r in sch):
        e = [abs(r[3]) for r in sch if r[0] == label]
        axs[0].loglog(ns, e, "o-", label=f"|W_C error|, {label}")
    axs[0].axhline(1e-3, color="k", ls=":", label="paper: 0.1 % beyond 20 steps")
    axs[0].set_xlabel("RK4 steps per cycle")
    axs[0].set_ylabel("relative error against Schmidt")
    axs[0].legend(fontsize=7)
    axs[0].grid(alpha=0.3, which="both")
    axs[1].loglog([r[0] for r in mass], [r[1] for r in mass], "o-", label="march from charge (cumulative)")
    axs[1].loglog([r[0] for r in mass], [r[5] for r in mass], "s-", label="shooting (within the cycle)")
    axs[1].axhline(1e-4, color="k", ls=":", label="paper: 0.01 % beyond 100 steps")
    axs[1].set_xlabel("RK4 steps per cycle")
    axs[1].set_xticks(MASS_N, [str(n) for n in MASS_N])
    axs[1].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axs[1].set_ylabel("max |M/M_charge − 1|")
    axs[1].legend(fontsize=7)
    axs[1].grid(alpha=0.3, which="both")
    save_figure(fig, FIG / "hybrid_verification.png")

    # ---- numbers for the prose
    failed_solve = sorted(k for k, v in res_solve.items() if "failed" in v)
    failed_grid = sorted(k for k, v in res_grid.items() if v is None)
    d5 = w5
    sch_paper = [r for r in sch if r[0].startswith("paper")]
    first_01 = min(r[2] for r in sch_paper if all(abs(q[3]) < 1e-3 for q in sch_paper if q[2] >= r[2]))
    e20 = [r for r in sch_paper if r[2] == 20][0]
    m100 = [r for r in mass if r[0] == 100][0]

    def f8(ra, la):
        return res_solve[("f8", ra, la)].get("power_fluctuation", math.nan)

    def f10(ra, la):
        return res_solve[("f10", ra, la)].get("eta_carnot", math.nan)

    la5 = 5.0
    ra05 = min(FIG10_RA, key=lambda x: abs(math.log(x / 0.05)))
    ra_lo = FIG10_RA[0]

    def peaks(r):
        """(phi, power/mean) of the local maxima of the turbine power above its mean."""
        w = r["waves"]
        y, ph = w["Wdot_t"][:-1], w["phi"][:-1]
        m = r["Q_L"]
        return [(float(ph[i]), float(y[i] / m)) for i in range(len(y))
                if y[i] > y[i - 1] and y[i] >= y[(i + 1) % len(y)] and y[i] > m]

    def on_fraction(r):
        y = r["waves"]["Wdot_t"][:-1]
        return float(np.mean(y > 0.5 * r["Q_L"]))

    kk_i, aa_j = np.unravel_index(np.nanargmax(rg), rg.shape)
    k1 = int(np.argmin(np.abs(kk - 1.0)))
    pm_i, pm_j = np.unravel_index(np.nanargmax(pm), pm.shape)
    lm5 = local_max[5.0]
    # threshold below which eta is within 10 % of its value at the smallest resistance
    def rule_threshold(la):
        ok = [ra for ra in FIG10_RA if all(f10(q, la) >= 0.9 * f10(ra_lo, la) for q in FIG10_RA if q <= ra)]
        return max(ok) if ok else math.nan
    thr = {la: rule_threshold(la) for la in FIG10_LA}
    ra_mid = min(FIG10_RA, key=lambda x: abs(math.log(x / 0.5)))
    eta_mid = [f10(ra_mid, la) for la in FIG10_LA]
    eta_lo = [f10(ra_lo, la) for la in FIG10_LA]
    def mono(v, sign):
        """v non-decreasing (sign = +1) or non-increasing (sign = -1) along the list."""
        return all(sign * (b - a) >= 0 for a, b in zip(v, v[1:]))
    ra_dip = {la: min(FIG10_RA, key=lambda ra: f10(ra, la)) for la in FIG10_LA}
    big_branch = [r for r in FIG12_RHO if not opt[r]["at_bound"]]
    small_branch = [r for r in FIG12_RHO if opt[r]["at_bound"]]
    amp_hyb, amp_st = d5["Pi_max"] / d5["Pi_min"], s5["Pi_max"] / s5["Pi_min"]
    dphi5 = s5["phi_Pi_max"] - d5["phi_Pi_max"]
    lw6 = limit6[-1]
    eta6_novalve = lw6[8] / (lw6[8] + lw6[7])   # W_rev / (W_rev + LW_hx): the valve loss removed

    # ---- the page
    P = []
    add = P.append
    add("<!-- written by docs/scripts/hybrid_validation.py; do not edit by hand -->")
    add("# Hybrid Stirling / reverse-Brayton cryocooler: monolithic reference model beside the paper")
    add("")
    add("Source ([references](references.md)): G.F. Nellis and J.R. Maddocks, *An isothermal "
        "model of a hybrid Stirling/reverse-Brayton cryocooler*, Cryogenics 43 (2003) 31-43. The text supplied to this project holds "
        "the paper's text and figure captions but not the figures' curves, so the paper's side of each "
        "comparison below is what its text and captions state; no value could be read off a figure. "
        "Model: `fmus/reference/hybrid.py` (eq. 1-32 in dimensionless form, metrics eq. 33-48), tests: "
        "`tests/test_hybrid_monolithic.py`. Every number on this page comes from "
        f"`docs/scripts/hybrid_validation.py` ({runtime / 60:.1f} minutes with {WORKERS} worker processes, "
        f"{platform.machine()}, Python {platform.python_version()}).")
    add("")
    add("## Model and reading of the seed")
    add("")
    add("- Two-piston isothermal Schmidt stage (sinusoidal volumes, dead volume, perfect regenerator, uniform "
        "pressure), check valves as linear resistances (forward R_cv,f, back-leak R_cv,b, eq. 17-20), two "
        "buffers of λ V_E each at T_E, a nozzle-like turbine between them fed at T_L (eq. 21). Eq. 30-32 are "
        "integrated with fixed-step classical RK4, as in the paper.")
    add("- The seed's OCR garbles eq. 26-27. We use R_cv = r_cv V_E/(R T_E τ) and A_t = a_t τ √(γ R T_L)/V_E: "
        "these are the definitions for which the printed eq. 31 (terms (Π − Π_B,HP)/(2π R_cv λ) and "
        "A_t Π_B,HP χ/(2π λ)) and eq. 36 (Ṁ_t = β χ A_t Π_B,HP Ψ) follow from the dimensional eq. 21-24. The "
        "valve term of eq. 30 is then (β/π)[(Π_B,LP − Π)/R_cv,LP − (Π − Π_B,HP)/R_cv,HP]. The SI set-up "
        "(`HybridSI`) and the SI form of eq. 22-24 (`si_derivatives`) agree with the dimensionless "
        "equations to rounding, and an SI cyclic steady state marched with an adaptive integrator "
        "matches the dimensionless one (test file).")
    add("- Cyclic steady state: the paper marches cycles from the charge state (all Π = 1 at φ = 0) until no "
        "pressure changes by 1e-4 over a cycle. `cyclic_steady_state` solves directly for the periodic orbit "
        "that holds the same charge gas (Newton-Broyden shooting on Π(0), Π_B,HP(0)). Its answer meets the "
        "paper's criterion; `method=\"march\"` is the paper's procedure. The default step count is "
        "max(100, RK4 stability bound). It doubles while the solution's own error indicators exceed 1e-4: the "
        "second-law identity below, and the integration's mass drift relative to the valve throughput.")
    add("- Turbine power fluctuation (Fig. 8): the seed does not give the figure's ordinate. We plot "
        "(max − min)/mean of the instantaneous turbine power Ẇ_t (eq. 39) over the cycle.")
    add("- Exact identity used as a check: with everything else reversible, "
        "W_C − β Q_E − β χ Q_L = T_C S_gen/(p_charge V_E). S_gen comes from the isothermal throttling in the "
        "valves and the heating of the turbine exhaust in the load exchanger. Both sides are computed "
        "independently (`second_law_residual` is their difference), and η_Carnot ≤ 1 follows from the "
        "identity.")
    add("")
    add("## Speed")
    add("")
    for name, (tmin, tmed, n, cyc) in tim.items():
        add(f"- One cyclic-steady-state solve, {name}: min {tmin:.1f} ms, median {tmed:.1f} ms over "
            f"{TIMING_RUNS} runs, before the sweeps start ({n} steps per cycle; {cyc} cycles integrated, "
            f"counting the Newton Jacobian's and the final recorded one). Target: < 20 ms.")
    add("")
    add("## Verification")
    add("")
    add("![verification](figures/hybrid_verification.png)")
    add("")
    add(f"**Schmidt limit** (valves shut: R_cv,f = R_cv,b = ∞). The closed form (eq. 7-10, integrated exactly) "
        f"is Q_E = π D(0) sin θ (1/√(1−δ²) − 1)/((β+κ+2S) δ), W_C = β Q_E. Paper: the input power W_C "
        f"converges to the Schmidt solution within 0.1 % beyond 20 steps. Ours, on the paper's set "
        f"(β = 3, κ = 2, S = 0.5, α = 1, δ = {sch_paper[0][1]:.3f}): {e20[3]:+.1e} on W_C and {e20[4]:+.1e} "
        f"on Q_E at 20 steps; W_C is within 0.1 % from {first_01} steps on (the counts tried: "
        f"{', '.join(str(n) for n in SCHMIDT_N)}). A stage that swings harder (larger δ) needs more steps for "
        f"the same 0.1 % (second set).")
    add("")
    P += table(["stage", "δ", "steps", "W_C error", "Q_E error", "max wave error"],
               [[label, f"{delta:.3f}", n, f"{ew:+.2e}", f"{eq:+.2e}", f"{ep:.2e}"]
                for label, delta, n, ew, eq, ep in sch])
    add("")
    add(f"**Mass conservation** (Fig. 5 set). The total gas M = Π D(φ)/2 + β λ (Π_B,HP + Π_B,LP) is compared "
        f"with the charge gas; the error is the largest relative departure over the cycle. Paper: below "
        f"0.01 % beyond 100 steps. Ours at 100 steps: {m100[1]:.1e} for the paper's procedure (march from the "
        f"charge state, accumulating the drift of all {m100[2]} cycles) and {m100[5]:.1e} within the shooting "
        f"solution's cycle. RK4 on eq. 30-32 (pressure form) does not conserve M exactly. The last column is "
        f"the second-law residual relative to W_C, for the shooting solution.")
    add("")
    P += table(["steps", "march: mass error", "march: cycles", "shooting: mass error", "shooting: drift per cycle",
                "second-law residual / W_C"],
               [[row[0], fmt(row[1]), row[2], fmt(row[5]), fmt(row[7]), fmt(row[8])] for row in mass])
    add("")
    add("**Shooting against the paper's march.** Both meet the 1e-4 criterion. The criterion bounds the change "
        "per cycle, not the distance to the cyclic steady state, so the march can stop far from the periodic "
        "orbit when a mode decays slowly (large buffers, large valve resistance):")
    add("")
    rows = []
    for label, s, ts, m, tm in mvs:
        if "failed" in m:
            rows.append([label, s["cycles"], f"{ts * 1e3:.0f} ms", f"failed: {m['failed']}"] + [None] * 6)
            continue
        dd = max(abs(a - b) for a, b in zip(s["state0"], m["state0"]))
        rows.append([label, s["cycles"], f"{ts * 1e3:.0f} ms", m["cycles"], f"{tm * 1e3:.0f} ms", f"{dd:.1e}",
                     f"{s['Q_L']:.5g}", f"{m['Q_L']:.5g}", f"{s['W_C']:.5g}", f"{m['W_C']:.5g}"])
    P += table(["case", "shooting: cycles", "time", "march: cycles", "time", "max pressure difference at φ = 0",
                "Q_L (shooting)", "Q_L (march)", "W_C (shooting)", "W_C (march)"], rows)
    shut_row = mvs[-1]
    add("")
    add(f"In the last row the march stops after {shut_row[3].get('cycles')} cycle(s) with W_C = "
        f"{shut_row[3].get('W_C', math.nan):.4g}; the Schmidt value is {s5['W_C']:.4g}. A valve this resistive "
        f"changes nothing within one cycle, and that is how the paper's check against Schmidt with "
        f"R_cv,f, R_cv,b → ∞ works. The actual cyclic steady state is different "
        f"(W_C = {shut_row[1]['W_C']:.4g}): over very many cycles the buffers fill and drain through the "
        f"feeble valves, and the stage's gas is redistributed. So the Schmidt comparison needs the valves "
        f"shut outright, which is how `cyclic_steady_state` treats R_cv,f = R_cv,b = ∞.")
    add("")
    s_obj, g_si, r_si, d_si = si
    add(f"**SI set-up.** Helium, T_C = {s_obj.T_C:g} K, T_E = {s_obj.T_E:g} K, T_L = {s_obj.T_L:.4g} K, "
        f"{s_obj.frequency:g} Hz, V_E = {s_obj.V_E * 1e6:g} cm³, p_charge = {s_obj.p_charge / 1e5:g} bar, "
        f"r_cv,f = {s_obj.r_cv_f:.4g} Pa s/kg, a_t = {s_obj.a_t * 1e6:.4g} mm². These give the groups of Fig. 5 "
        f"(R_cv,f = {g_si['R_cv_f']:.6g}, A_t = {g_si['A_t']:.6g}, λ = {g_si['lam']:.6g}, S = {g_si['S']:.6g}). "
        f"Its solve gives Q_L = {r_si['Q_L']:.8g} against {d_si['Q_L']:.8g} from the dimensionless set-up, that "
        f"is q_L = {r_si['q_L_W']:.4g} W, w_C = {r_si['w_C_W']:.4g} W and q_E = {r_si['q_E_W']:.4g} W, with a mean "
        f"turbine flow of {r_si['mdot_t_kg_s'] * 1e3:.4g} g/s.")
    add("")

    # ---- Figs. 5-7, 9
    add("## Pressure waves (Figs. 5, 6, 7, 9)")
    add("")
    add("![Fig. 5](figures/hybrid_fig5.png)")
    add("")
    add(f"**Fig. 5** (R_cv,f = 0.2, λ = 1.25, A_t = 0.25: R_cv,f A_t = 0.05, λ/A_t = 5). Paper: opening the "
        f"valves reduces the amplitude of the stage's pressure wave, the crank angle of its maximum is "
        f"\"slightly reduced\", and the buffer pressures oscillate more gently. Ours: the stage swings between "
        f"Π = {d5['Pi_min']:.3f} and {d5['Pi_max']:.3f} (ratio {amp_hyb:.2f}). The closed cycle charged at "
        f"φ = 0 swings between {s5['Pi_min']:.3f} and {s5['Pi_max']:.3f} (ratio {amp_st:.2f}), so the amplitude is "
        + ("reduced, as the paper says" if amp_hyb < amp_st else "not reduced, unlike the paper")
        + f". The maximum comes at φ = {d5['phi_Pi_max']:.2f} rad against {s5['phi_Pi_max']:.2f} rad, "
        + (f"{dphi5:.2f} rad earlier" if dphi5 > 0 else f"{-dphi5:.2f} rad later, unlike the paper")
        + f". The buffers swing between {d5['Pi_HP_min']:.3f} and {d5['Pi_HP_max']:.3f} (HP) and between "
        f"{d5['Pi_LP_min']:.3f} and {d5['Pi_LP_max']:.3f} (LP). Metrics: W_C = {d5['W_C']:.4f}, Q_L = {d5['Q_L']:.4f}, "
        f"Q_E = {d5['Q_E']:.4f}, η_Carnot = {d5['eta_carnot']:.3f}, turbine power fluctuation "
        f"{d5['power_fluctuation']:.2f}; the closed cycle has Q_E = {s5['Q_E']:.4f}."
        + (" The paper does not give Q_E for this set. Ours is negative: the rectified wave peaks so early "
           "in the expansion stroke that the expansion space rejects heat at T_E, and all the refrigeration "
           "comes from the turbine." if d5["Q_E"] < 0 else ""))
    add("")
    add("![Fig. 6](figures/hybrid_fig6.png)")
    add("")
    add(f"**Fig. 6** (near-perfect rectifier: R_cv,f A_t → 0, R_cv,b → ∞, λ/A_t → ∞). We take λ = ∞ exactly "
        f"(constant buffer pressures with zero net flow per cycle and Π_B,HP + Π_B,LP = 2, the limit of the "
        f"charge-gas constraint) and R_cv,f A_t = {SMALL_RA:g}. Paper: the stage pressure oscillates between "
        f"the nearly constant buffer pressures, the valves drop little pressure, η_Carnot is high, and the "
        f"turbine power is constant. Ours: buffers at {w6['Pi_HP_mean']:.4f} and {w6['Pi_LP_mean']:.4f}; the "
        f"stage overshoots them by at most {w6['Pi_max'] - w6['Pi_HP_max']:.4f} and "
        f"{w6['Pi_LP_min'] - w6['Pi_min']:.4f}; turbine power fluctuation {w6['power_fluctuation']:.0f}; "
        f"η_Carnot = {w6['eta_carnot']:.4f}. The lost work is {w6['LW_load_hx']:.4f} in the load exchanger and "
        f"{w6['LW_valves']:.4f} in the valves. The valves' share falls in proportion to R_cv,f A_t (table). "
        f"With it removed, η_Carnot = W_rev/(W_rev + lost work in the load exchanger) = {eta6_novalve:.4f} "
        f"(from the R_cv,f A_t = {lw6[0]:g} row): this is the paper's limit set by the refrigeration heat "
        f"exchanger alone. Approach to the limit R_cv,f A_t → 0 (λ = ∞, automatic step count):")
    add("")
    P += table(["R_cv,f A_t", "steps", "η_Carnot", "Q_L", "overshoot above Π_B,HP", "undershoot below Π_B,LP",
                "lost work, valves", "lost work, load HX"],
               [[f"{ra:g}", n, f"{eta:.5f}", f"{ql:.5f}", f"{ov:.2e}", f"{un:.2e}", f"{lwv:.2e}", f"{lwx:.4f}"]
                for ra, eta, ql, ov, un, n, lwv, lwx, _ in limit6])
    add("")
    add("**The stiff case: convergence with the step count.** The valve relaxation rate is about "
        "(β/π)/(R_cv,f D(φ)). For small R_cv,f A_t, RK4 at the paper's 100 steps per cycle falls outside "
        "its stability region, and then the step count decides the answer rather than the physics. Hence "
        "tables rather than single numbers:")
    add("")
    for conv in (conv6, conv7):
        add(f"*{conv['label']}*: RK4 stability needs ≥ {conv['rk4_limit']} steps; automatic count {conv['auto']}.")
        add("")
        P += table(["steps", "η_Carnot", "Q_L", "Q_E", "Π_max", "Π_min", "second-law residual / W_C"],
                   [[n, f"failed ({err}: unstable)"] + [None] * 5 if err else
                    [n, f"{eta:.6f}", f"{ql:.6f}", f"{qe:.6f}", f"{pmax:.5f}", f"{pmin:.5f}", f"{res:.1e}"]
                    for n, eta, ql, qe, pmax, pmin, res, err in conv["rows"]])
        add("")
    add("![Fig. 7](figures/hybrid_fig7.png)")
    add("")
    add(f"**Fig. 7** (R_cv,f A_t → 0, here {SMALL_RA:g}; finite buffers λ/A_t = 5). Paper: the buffer "
        f"pressures are no longer constant, the turbine sees a time-varying driving pressure, and η_Carnot is "
        f"still high. Ours: HP buffer {w7['Pi_HP_min']:.3f}-{w7['Pi_HP_max']:.3f}, LP buffer "
        f"{w7['Pi_LP_min']:.3f}-{w7['Pi_LP_max']:.3f}, turbine power fluctuation {w7['power_fluctuation']:.2f}, "
        f"η_Carnot = {w7['eta_carnot']:.4f} (Fig. 6: {w6['eta_carnot']:.4f}).")
    add("")
    add("![Fig. 9](figures/hybrid_fig9.png)")
    add("")
    add(f"**Fig. 9** (λ/A_t → ∞, R_cv,f A_t = 0.05). Paper: the buffer pressures stay constant, but the stage "
        f"pressure must significantly over- and undershoot them to drive the valves, which costs efficiency. "
        f"Ours: buffers {w9['Pi_HP_mean']:.4f} / {w9['Pi_LP_mean']:.4f}; the stage reaches "
        f"{w9['Pi_max']:.4f} (+{w9['Pi_max'] - w9['Pi_HP_mean']:.3f}) and {w9['Pi_min']:.4f} "
        f"(−{w9['Pi_LP_mean'] - w9['Pi_min']:.3f}). The valves lose {w9['LW_valves']:.4f} of work against "
        f"{w9['LW_load_hx']:.4f} in the load exchanger, so η_Carnot = {w9['eta_carnot']:.4f} against "
        f"{w6['eta_carnot']:.4f} with near-perfect valves (Fig. 6).")
    add("")

    # ---- Fig. 8
    add("## Turbine power fluctuation (Fig. 8)")
    add("")
    add("![Fig. 8](figures/hybrid_fig8.png)")
    add("")
    add("Caption set: R_cv,b → ∞, β = 3, κ = 2, S = 0.5, α = 1, γ = 5/3, χ = 3, A_t = 0.25. The seed does not "
        "list the figure's R_cv,f A_t values; ours are in the table. Ordinate: (max − min)/mean of Ẇ_t; "
        "automatic step count.")
    add("")
    P += table(["λ/A_t"] + [f"R_cv,f A_t = {ra:g}" for ra in FIG8_RA],
               [[f"{la:g}"] + [fmt(f8(ra, la)) for ra in FIG8_RA] for la in FIG8_LA])
    add("")
    pk = {ra: peaks(r) for ra, r in spurts.items()}
    ra_hi = max(spurts)
    phi_max_hi, phi_min_hi = spurts[ra_hi]["phi_Pi_max"], float(spurts[ra_hi]["waves"]["phi"][int(np.argmin(spurts[ra_hi]["waves"]["Pi"]))])
    slope = math.log(f8(FIG8_RA[0], FIG8_LA[-2]) / f8(FIG8_RA[0], FIG8_LA[-1])) / math.log(FIG8_LA[-1] / FIG8_LA[-2])
    add(f"Paper: at large buffer volume the fluctuation is small. As the valve resistance grows, the turbine "
        f"runs \"in very short spurts twice per cycle\", when the stage pressure reaches its maximum and its "
        f"minimum. Ours: at large λ/A_t the fluctuation falls as (λ/A_t)^−{slope:.2f} (between "
        f"λ/A_t = {FIG8_LA[-2]:g} and {FIG8_LA[-1]:g}, R_cv,f A_t = {FIG8_RA[0]:g}). At λ/A_t = 1, the turbine "
        f"power's maxima above its mean (crank angle, power/mean) are: "
        + "; ".join(f"R_cv,f A_t = {ra:g}: " + ", ".join(f"{p:.2f} rad, {h:.2f}×" for p, h in pk[ra])
                    + f" (above half the mean for {100 * on_fraction(spurts[ra]):.0f} % of the cycle)"
                    for ra in spurts)
        + f". At R_cv,f A_t = {ra_hi:g} the stage pressure peaks at {phi_max_hi:.2f} rad and bottoms out at "
          f"{phi_min_hi:.2f} rad. "
        + ("So the power does come in two spurts per cycle at high resistance, as the paper says."
           if len(pk[ra_hi]) == 2 else
           f"So the power does concentrate into short spurts as the resistance grows, but we see "
           f"{len(pk[ra_hi])} spurt(s) per cycle at the highest resistance, not two. The spurt at the "
           f"pressure maximum dominates, and the one at the minimum is weak or absent.")
        + " See the right panel.")
    add("")
    add(f"**Design rule λ/A_t > 5** (paper: \"in excess of 5\", so that the turbine runs near its design point "
        f"at all times). Ours at λ/A_t = {la5:g}: fluctuation "
        + ", ".join(f"{fmt(f8(ra, la5))} (R_cv,f A_t = {ra:g})" for ra in FIG8_RA)
        + f". With good valves the power therefore swings by about {fmt(f8(FIG8_RA[0], la5), 2)}× its mean at the "
          f"rule's threshold, against {fmt(f8(FIG8_RA[0], FIG8_LA[0]))} at λ/A_t = {FIG8_LA[0]:g}. A swing of "
          f"0.1× the mean needs λ/A_t ≈ "
          f"{fmt(float(np.exp(np.interp(math.log(0.1), [math.log(f8(FIG8_RA[0], la)) for la in FIG8_LA[::-1]], [math.log(la) for la in FIG8_LA[::-1]]))), 2)}. "
          f"Without the figure we cannot tell whether the paper's ordinate is scaled differently, or what "
          f"fluctuation the paper regards as acceptable.")
    add("")

    # ---- Fig. 10
    add("## Carnot efficiency against valve resistance (Fig. 10)")
    add("")
    add("![Fig. 10](figures/hybrid_fig10.png)")
    add("")
    add("Caption set as Fig. 8. The seed does not list the figure's λ/A_t values; ours are the columns. "
        f"Resolution: {len(FIG10_RA)} log-spaced values of R_cv,f A_t ({FIG10_RA[0]:g}-{FIG10_RA[-1]:g}) per "
        f"column.")
    add("")
    P += table(["R_cv,f A_t"] + [f"λ/A_t = {la_str(la)}" for la in FIG10_LA],
               [[f"{ra:g}"] + [fmt(f10(ra, la), 4) for la in FIG10_LA] for ra in FIG10_RA])
    add("")
    add(f"Paper: (i) at very low R_cv,f the valves cost nothing, and η_Carnot tends to a value set only by the "
        f"load exchanger; (ii) at very high R_cv,f η_Carnot tends to 1, because no gas passes the valves; "
        f"(iii) in between, larger buffers degrade η more, because their pressures cannot follow the stage. "
        f"Ours: (i) at R_cv,f A_t = {ra_lo:g}, η_Carnot = "
        + ", ".join(f"{fmt(v, 4)} (λ/A_t {la_str(la)})" for v, la in zip(eta_lo, FIG10_LA))
        + f". This is not yet the limit: at λ = ∞ the valves' share of the lost work still falls in "
          f"proportion to R_cv,f A_t, and without it η_Carnot = {eta6_novalve:.4f} (Fig. 6 above). The limit "
          f"depends on the buffer size: "
        + ("smaller buffers give a higher value, since the turbine then sees a smaller mean pressure ratio "
           "and loses less in the load exchanger" if mono(eta_lo, -1) else "it is not monotonic in λ/A_t")
        + f". (ii) At R_cv,f A_t = {FIG10_RA[-1]:g}: "
        + ", ".join(f"{fmt(f10(FIG10_RA[-1], la), 4)}" for la in FIG10_LA)
        + (", tending to 1 as the paper says" if min(f10(FIG10_RA[-1], la) for la in FIG10_LA) > 0.99 else "")
        + f". (iii) In between, η_Carnot has a minimum at R_cv,f A_t ≈ "
        + ", ".join(f"{ra_dip[la]:.2g} ({fmt(f10(ra_dip[la], la), 3)}, λ/A_t {la_str(la)})" for la in FIG10_LA)
        + f". At R_cv,f A_t = {ra_mid:g}, η_Carnot = "
        + ", ".join(f"{fmt(v, 4)}" for v in eta_mid)
        + " for the columns left to right, "
        + ("falling as the buffers grow, as the paper says." if mono(eta_mid, -1) else "not monotonic in the buffer size."))
    add("")
    add(f"**Design rule R_cv,f A_t < 0.05** (paper: below 0.05, so that the rectifier adds no significant "
        f"loss). Ours, η_Carnot at R_cv,f A_t = {ra05:.3g} against {ra_lo:g}: "
        + ", ".join(f"{fmt(f10(ra05, la), 3)} vs {fmt(f10(ra_lo, la), 3)} (λ/A_t {la_str(la)})" for la in FIG10_LA)
        + f". At λ/A_t = 5, the paper's other rule, η_Carnot drops from {fmt(f10(ra_lo, 5.0), 3)} to "
          f"{fmt(f10(ra05, 5.0), 3)}. On this grid, η_Carnot stays within 10 % of its value at "
          f"R_cv,f A_t = {ra_lo:g} only up to R_cv,f A_t ≈ "
        + ", ".join(f"{fmt(thr[la], 2)} (λ/A_t {la_str(la)})" for la in FIG10_LA)
        + f", that is {fmt(0.05 / max(thr.values()), 2)} to {fmt(0.05 / min(thr.values()), 2)} times below "
          f"the paper's 0.05. **For this parameter set our model does not support the rule as stated**: "
          f"at 0.05 the valves cost most of the efficiency. R_cv is pinned down by eq. 31 as printed, and "
          f"mass conservation confirms the valve term of eq. 30. A differently defined R_cv in the paper's "
          f"figure would shift this threshold.")
    add("")

    # ---- Figs. 11-12
    add("## Optimisation: swept volume ratio and phase angle (Figs. 11, 12)")
    add("")
    add("![Fig. 11](figures/hybrid_fig11.png)")
    add("")
    add(f"Metric: refrigeration at the load per heat exchanger load, Q_L/(Q_rg + Q_rec) (eq. 46, 48). At each "
        f"(κ, α), A_t is solved for so that Q_E/Q_L equals the target, with λ = 5 A_t and R_cv,f = 0.02/A_t "
        f"(captions of Figs. 11-12: λ/A_t = 5, R_cv,f A_t = 0.02, R_cv,b → ∞, β = 3, S = 0.5, γ = 5/3, "
        f"χ = 3). Resolution: Fig. 11 uses a grid of {len(FIG11_K)} κ (log-spaced, {FIG11_K[0]:g}-{FIG11_K[-1]:g}) "
        f"× {len(FIG11_A)} α ({FIG11_A[0]:g}-{FIG11_A[-1]:g} rad). Fig. 12 uses a grid of {len(FIG12_K)} κ "
        f"({FIG12_K[0]:g}-{FIG12_K[-1]:g}) × {len(FIG12_A)} α ({FIG12_A[0]:g}-{FIG12_A[-1]:g} rad) per "
        f"Q_E/Q_L. Nelder-Mead then starts from the best grid maximum with κ ≥ 1 and from the best one with "
        f"κ < 1, with κ bounded below by {KAPPA_MIN:g}.")
    add("")
    add(f"**Fig. 11 (Q_E/Q_L = 5).** Paper: the optimal phase angle is \"near 0.85 rad\" for the hybrid, "
        f"against 0.55-0.65 rad for a closed Stirling machine (Walker). The optimal swept volume ratio is "
        f"\"much higher\" than the closed Stirling one (κ ≈ 1 at β = 3, Walker). Ours: optimum "
        f"κ = {opt5['kappa']:.2f}, **α = {opt5['alpha']:.3f} rad**, Q_L/(Q_rg + Q_rec) = {opt5['metric']:.5f} "
        f"(A_t = {opt5['A_t']:.4f}, η_Carnot = {opt5['eta']:.3f}). "
        + (f"α is within {abs(opt5['alpha'] - 0.85):.2f} rad of the paper's value" if abs(opt5["alpha"] - 0.85) < 0.1
           else f"α differs from the paper's by {opt5['alpha'] - 0.85:+.2f} rad")
        + (", and κ is well above 1." if opt5["kappa"] > 3 else ".")
        + f" The map on Fig. 12's wider grid has {len(lm5)} local maxima at this ratio (table below); the "
          f"small-κ one is lower.")
    add("")
    add("![Fig. 12](figures/hybrid_fig12.png)")
    add("")
    rows = []
    for rho in FIG12_RHO:
        o = opt[rho]
        cells = []
        for big in (True, False):
            b = branch(rho, big)
            cells.append("–" if b is None else f"{b['kappa']:.3g}{' (bound)' if b['at_bound'] else ''}, "
                                                f"{b['alpha']:.3f}, {b['metric']:.5f}")
        kap = f"{o['kappa']:.3g}" + (" (bound)" if o["at_bound"] else "")
        rows.append([f"{rho:g}", kap, f"{o['alpha']:.3f}", f"{o['metric']:.5f}", f"{o['A_t']:.4g}", f"{o['eta']:.3f}",
                     *cells])
    P += table(["Q_E/Q_L", "global optimum κ", "α [rad]", "Q_L/(Q_rg+Q_rec)", "A_t", "η_Carnot",
                "large-κ branch: κ, α, metric", "small-κ branch: κ, α, metric"], rows)
    add("")
    rho_hi = FIG12_RHO[-1]
    k_big = [opt[r]["kappa"] for r in big_branch]
    a_big = [opt[r]["alpha"] for r in big_branch]
    add(f"Paper (Fig. 12): as more refrigeration moves to the recuperative stage (Q_E/Q_L falling), the optimal κ "
        f"rises, towards infinity as Q_E/Q_L → 0, and the optimal α rises gradually. At very high Q_E/Q_L the "
        f"optimum approaches the closed Stirling values. Ours, where the optimum is interior "
        f"(Q_E/Q_L ≤ {max(big_branch):g}): κ rises from {k_big[-1]:.3g} to {k_big[0]:.3g} as Q_E/Q_L falls from "
        f"{big_branch[-1]:g} to {big_branch[0]:g}"
        + (", monotonically" if mono(k_big, -1) else "")
        + f", and α goes from {a_big[-1]:.3f} to {a_big[0]:.3f} rad (largest {max(a_big):.3f})."
        + (f" From Q_E/Q_L = {min(small_branch):g} up, the global optimum jumps to a second branch at small κ: "
           f"the metric rises all the way to the search bound κ = {KAPPA_MIN:g}, at α ≈ "
           f"{opt[rho_hi]['alpha']:.3f} rad. That branch exists at every ratio (table). The large-κ branch "
           f"loses its interior maximum beyond Q_E/Q_L ≈ "
           f"{max([r for r in FIG12_RHO if branch(r, True) is not None], default=math.nan):g}. So in our "
           f"model the optimum does not approach κ ≈ 1 at high Q_E/Q_L." if small_branch else "")
        + f" The reason is the closed Stirling limit of the paper's own metric, Q_E/Q_rg (closed form on a "
          f"{kk.size} × {aa.size} grid, κ {kk[0]:g}-{kk[-1]:g}). It has no interior optimum in κ: its maximum over "
          f"α rises slowly as κ falls, {rg[kk_i, aa_j]:.4f} at κ = {kk[kk_i]:.3g}, α = {aa[aa_j]:.3f} rad, against "
          f"{np.nanmax(rg[k1]):.4f} at κ = 1 (α = {aa[int(np.nanargmax(rg[k1]))]:.3f} rad). Walker's figures "
          f"(κ ≈ 1 at β = 3, α 0.55-0.65 rad) are for a different metric, refrigeration per unit mass of gas. "
          f"Taken as Q_E/M_rg from the closed form at S = 0.5, that metric peaks at κ = {kk[pm_i]:.3g}, "
          f"α = {aa[pm_j]:.3f} rad, which does not reproduce Walker's numbers either; his normalisation is not "
          f"in the seed. The closed-Stirling end of Fig. 12 is therefore the part we cannot confirm.")
    add("")
    add("## Summary")
    add("")
    agree = [f"Schmidt limit within 0.1 % from {first_01} steps (paper: beyond 20)" if first_01 <= 20 else None,
             f"mass conservation {m100[1]:.0e} at 100 steps (paper: < 1e-4)" if m100[1] < 1e-4 else None,
             "Fig. 5's smaller, earlier pressure peak" if (amp_hyb < amp_st and dphi5 > 0) else None,
             "Figs. 6, 7, 9 as described (near-constant infinite buffers, moving finite ones, over- and "
             "undershoot with resistive valves and its efficiency cost)"
             if (w9["eta_carnot"] < w6["eta_carnot"] and w9["Pi_max"] - w9["Pi_HP_mean"] > 10 * (w6["Pi_max"] - w6["Pi_HP_max"])) else None,
             "Fig. 8's fall of the fluctuation with buffer size" if f8(FIG8_RA[0], FIG8_LA[-1]) < 0.1 * f8(FIG8_RA[0], FIG8_LA[0]) else None,
             "Fig. 10's limits (η_Carnot → 1 at high resistance) and its ordering by buffer size"
             if (min(f10(FIG10_RA[-1], la) for la in FIG10_LA) > 0.99 and mono(eta_mid, -1) and mono(eta_lo, -1)) else None,
             f"the hybrid optimum α = {opt5['alpha']:.2f} rad at Q_E/Q_L = 5 (paper: ≈ 0.85), with "
             f"κ = {opt5['kappa']:.3g} ≫ 1" if (abs(opt5["alpha"] - 0.85) < 0.1 and opt5["kappa"] > 3) else None,
             "κ_opt growing without bound as Q_E/Q_L → 0" if mono(k_big, -1) else None]
    add("- Agrees with the paper: " + "; ".join(a for a in agree if a) + ".")
    qe_all = [w["Q_E"] for w in (w5, w6, w7, w9)]
    differ = [f"on the set of Figs. 5-10, Q_E < 0 (from {max(qe_all):.3f} to {min(qe_all):.3f} in Figs. 5, 6, 7, 9): "
              f"the expansion space rejects heat, and the paper gives no Q_E there" if max(qe_all) < 0 else None,
              f"with our fluctuation measure, λ/A_t = 5 leaves a turbine power swing of "
              f"{fmt(f8(FIG8_RA[0], la5), 2)}× its mean",
              f"{len(pk[ra_hi])} turbine spurt(s) per cycle at high resistance (paper: two)" if len(pk[ra_hi]) != 2 else None,
              f"R_cv,f A_t = 0.05 lowers η_Carnot from {fmt(f10(ra_lo, 5.0), 3)} to {fmt(f10(ra05, 5.0), 3)} at "
              f"λ/A_t = 5, so the rule's threshold is {fmt(0.05 / max(thr.values()), 2)}-"
              f"{fmt(0.05 / min(thr.values()), 2)}× too high here",
              f"at high Q_E/Q_L (from {min(small_branch):g}), Fig. 12's optimum goes to small κ rather than to a "
              f"closed Stirling optimum near κ = 1" if small_branch else None,
              f"the paper's check against Schmidt with valves almost shut works only because the march stops "
              f"after {shut_row[3].get('cycles')} cycle" if shut_row[3].get("cycles") == 1 else None]
    add("- Differs, or cannot be confirmed: " + "; ".join(d for d in differ if d) + ".")
    add(f"- Sweep points without a solution: {len(failed_solve)} of {len(res_solve)} in Figs. 8/10"
        + (" (" + ", ".join(f"R_cv,f A_t {k[1]:g}, λ/A_t {la_str(k[2])}" for k in failed_solve) + ")" if failed_solve else "")
        + f"; {len(failed_grid)} of {len(res_grid)} (κ, α, Q_E/Q_L) grid points of Figs. 11-12, where no A_t in "
          f"6e-11-800 gives the ratio or a solve failed, listed as κ/α/ratio"
        + (" (" + ", ".join(f"{k:.3g}/{a:.2f}/{r:g}" for k, a, r in failed_grid[:12]) + (", …" if len(failed_grid) > 12 else "") + ")" if failed_grid else "")
        + ". They are left out of the maxima search.")
    OUT.write_text("\n".join(P) + "\n")
    print(f"wrote {OUT} in {time.perf_counter() - t_start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
