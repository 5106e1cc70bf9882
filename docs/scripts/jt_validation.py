"""Writes docs/jt_validation.md and docs/figures/jt_*.png: the J-T stage and the two-stage GM
cryostat of the 4 K refrigerator (fmus/physics/jt_physics.py, fmus/jt_stage.py,
fmus/gm_cryostat.py) beside J. R. Fisher, NRAO Electronics Division Technical Note 203 (1979),
section 4 (seed 002).

Every number on the page is computed here.  The seed is the note's text: its Table 12 and the
numbers in its prose are there, the curves of its Figs. 12 and 13 are not, so the note's side of
those comparisons is what its text states.

Usage: .venv/bin/python docs/scripts/jt_validation.py      (about half a minute)
"""
from __future__ import annotations

import math
import platform
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import brentq, fsolve  # noqa: E402

from cryocosim.fmus import gm_cryostat as gm  # noqa: E402
from cryocosim.fmus.physics import jt_physics as jt  # noqa: E402
from cryocosim.fmus.gm_cryostat import GMCryostat  # noqa: E402
from cryocosim.fmus.jt_stage import JTStage  # noqa: E402
from pages import ROOT, save_figure, table  # noqa: E402

OUT = ROOT / "docs/jt_validation.md"
FIG = ROOT / "docs/figures"
ATM = jt.ATM
MDOT = 0.32e-3
MOLAR = 4.002602        # g/mol
POT = 2e-4              # m3, the actor run's pot (the actor's default)
OVERLOAD = 4.0          # W, the actor run's overload, from 1500 s to T_OFF
T_OFF = 2400.0
RECOVERY = 0.5          # W, the load after T_OFF
T_RUN = 6000.0

# Table 12 of the note: point -> (T first, H first, T second, H second); H in W at 0.32 g/s
TABLE12 = {0: (300, 505.3, 300, 505.3), 1: (88.1, 149.4, 83.8, 145.3), 2: (77, 134.0, 77, 134.0),
           3: (20.0, 34.76, 19.5, 33.97), 4: (15, 24.88, 15, 24.88), 5: (4.2, 6.99, 4.2, 6.99),
           6: (4.2, 6.99, 4.2, 6.99), 7: (4.2, 9.64, 4.2, 9.64), 8: (15, 29.32, 14.5, 28.53),
           9: (77, 132.7, 74.5, 128.6), 10: (300, 503.4, 291.1, 488.6)}


def f(x, d=2):
    return f"{x:.{d}f}"


def main() -> None:
    FIG.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    L = jt.jt_loop_model(20 * ATM, ATM)
    hp, lp, sat = L.hp, L.lp, L.sat
    ft = L.flow_table()
    md: list[str] = []
    w = md.append

    # -- reference state ------------------------------------------------------------------------
    off = 505.3 / MDOT - hp.h(300.0)           # J/kg added to CoolProp's h to meet point 0
    diffs_ref = [(TABLE12[i][1] / MDOT - (h + off)) * MDOT for i, h in
                 ((9, lp.h(77.0)), (10, lp.h(300.0)), (2, hp.h(77.0)))]

    # -- Table 12 ---------------------------------------------------------------------------------
    first = L.solve(MDOT, E1=0.96, E2=0.96, E3=0.96, definition="note", approximation=1)
    second = L.solve(MDOT, E1=0.96, E2=0.96, E3=0.96, definition="note", approximation=2)
    pinch2 = L.solve(MDOT, E1=0.96, E2=0.96, E3=0.96, definition="pinch", approximation=2)
    h5_42 = hp.h(4.2)
    rows = []
    for i in range(11):
        n = TABLE12[i]
        cells = []
        for s, (Tn, Hn) in ((first, n[0:2]), (second, n[2:4])):
            T_o, H_o = s.T[i], s.H(i, off)
            if i in (5, 6) and s is first:
                T_o, H_o = 4.2, MDOT * (h5_42 + off)       # the note sets point 5 at 4.2 K
            cells += [f"{Tn:g}", f(T_o), f"{Hn:g}", f(H_o), f"{H_o - Hn:+.2f}"]
        cells += [f(pinch2.T[i]), f(pinch2.H(i, off))]
        rows.append([i] + cells)

    # -- capacities (eq. 37, 50) --------------------------------------------------------------------
    e1 = L.solve(MDOT, E3=1.0, definition="note", approximation=1)
    loss37 = L.solve(MDOT, E3=0.96, definition="note", approximation=1).loss_X3
    D15 = lp.h(15.0) - hp.h(15.0)
    D15_t11 = 53.0 / MOLAR * 1e3          # J/kg, Table 11: 367.5 - 314.5 J/mol
    D15_t12 = 4.44 / MDOT
    cap_note = {E3: L.solve(MDOT, E3=E3, definition="note").capacity for E3 in (1.0, 0.96, 0.92)}
    cap_pinch = {E3: L.solve(MDOT, E3=E3, definition="pinch") for E3 in (1.0, 0.96, 0.92)}
    T5_note_e1 = e1.T[5]
    q_hot_max = MDOT * (hp.h(15.0) - hp.h(sat.T))
    q_cold_need = MDOT * (lp.h(15.0) - sat.h_vapour)
    note_hot = 24.88 - 6.99
    note_cold = 29.32 - 9.64
    # E1 = 1, E2 = 1 (the note's 134.6 J / 0.6 W and 30.6 J / 5.7 W), E2 = 0.95 (its 9.9 W)
    ideal_x = L.solve(MDOT, E1=1.0, E2=1.0, definition="note", approximation=1)
    e2_95 = L.solve(MDOT, E2=0.95, definition="note", approximation=1)

    # -- the valve, Fig. 12 ------------------------------------------------------------------------
    A32 = jt.throat_area_for(0.32e-3)
    A25 = jt.throat_area_for(0.25e-3)
    d32 = math.sqrt(4 * A32 / math.pi) * 1e3
    d25 = math.sqrt(4 * A25 / math.pi) * 1e3
    T_fig = np.geomspace(jt.T_FLOW_MIN + 0.05, 30.0, 160)
    T_switch = brentq(lambda T: (jt.isentropic_nozzle(20 * ATM, T, ATM).p - 1.0001 * ATM), 5.0, 6.5,
                      xtol=1e-3)
    th42 = jt.isentropic_nozzle(20 * ATM, 4.2, 0.0)
    th15 = jt.isentropic_nozzle(20 * ATM, 15.0, ATM)
    r15 = ft(15.0) / ft(4.2)
    r_nrao = ft(5.2) / ft(18.7)
    prop = [jt.choked_mass_flux(p * ATM, 15.0, ATM) / (p * ATM) for p in (15.0, 20.0, 25.0)]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for A, lab in ((A32, "0.32 g/s at 4.2 K"), (A25, "0.25 g/s at 4.2 K")):
        ax.plot(T_fig, [A * ft(T) * 1e3 for T in T_fig], label=f"throat sized for {lab}")
    ax.axvspan(T_fig[0], T_switch, color="0.9", label="throat at the exhaust (not sonic)")
    ax.plot([5.2, 18.7], [0.139, 0.064], "ks", label="NRAO 1 W machine (note), vs station T")
    ax.set_xlabel("J-T inlet temperature T0 [K] (20 atm, exhaust 1 atm)")
    ax.set_ylabel("mass flow [g/s]")
    ax.set_title("J-T valve flow, isentropic nozzle in CoolProp helium (note Fig. 12)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save_figure(fig, FIG / "jt_fig12_mass_flow.png", dpi=120)

    # -- Fig. 13 and the start-up capacity -----------------------------------------------------------
    TL = np.concatenate(([sat.T], np.geomspace(sat.T + 0.01, 20.0, 120)))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    curves = {}
    for E3, ls in ((1.0, "-"), (0.96, "--"), (0.92, ":")):
        for d, c in (("pinch", "C0"), ("note", "C3")):
            q = [L.capacity(T, A32, E3=E3, definition=d)[0] for T in TL]
            curves[(E3, d)] = q
            ax.plot(TL, q, ls, color=c, label=f"E3 = {E3:g}, {d}")
    ax.axvline(15.0, color="0.6", lw=0.8)
    ax.set_xlabel("4 K station temperature T_L [K] (stream leaves the station at T_L)")
    ax.set_ylabel("refrigeration available [W]")
    ax.set_title("J-T capacity, valve sized for 0.32 g/s at 4.2 K (note Fig. 13, eq. 50)")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    save_figure(fig, FIG / "jt_fig13_capacity.png", dpi=120)
    h4, h8 = hp.h(15.0), lp.h(15.0)
    ratio87 = {T: jt.capacity_eq50(1.0, h4, lp.h(T), h8, 0.96) / jt.capacity_eq50(1.0, h4, h8, h8, 0.96)
               for T in (sat.T, 5.0)}
    note_ratio_42 = 1 - 0.04 * (29.32 - 9.64) / 4.44
    start = {}
    for A, m_lab in ((A25, 0.25), (A32, 0.32)):
        q15, m15, _ = L.capacity(15.0, A, E3=0.96)
        cold = {d: L.capacity(sat.T, A, E3=E3, definition=d) for d in ("pinch", "note")
                for E3 in ((0.96,) if m_lab == 0.25 else (0.92,))}
        start[m_lab] = (q15, m15, cold)

    # -- exhaust pressure ----------------------------------------------------------------------------
    p_ex = (0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 2.2)
    ex_rows = []
    ex_cap = {}
    for pa in p_ex:
        Lp = jt.jt_loop_model(20 * ATM, pa * ATM)
        qp, mp, T5p = Lp.capacity(Lp.sat.T, A32, E3=0.96, definition="pinch")
        qn, mn, T5n = Lp.capacity(Lp.sat.T, A32, E3=0.96, definition="note")
        D_sat = Lp.sat.h_vapour - Lp.hp.h(Lp.sat.T)
        ex_cap[pa] = (qp, qn)
        ex_rows.append([f"{pa:g}", f"{Lp.sat.T:.3f}", f"{Lp.sat.latent_heat / 1e3:.2f}", f"{D_sat / 1e3:.2f}",
                        f"{mp * 1e3:.3f}", f"{T5p:.2f}", f"{qp:.2f}", "infeasible" if math.isnan(qn) else f"{qn:.2f}"])
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    pp = np.linspace(0.1, 2.2, 43)
    cp_ = [jt.jt_loop_model(20 * ATM, p * ATM).capacity(jt.saturation_temperature(p * ATM), A32, E3=0.96)[0]
           for p in pp]
    ax.plot(pp, cp_, label="capacity at T_sat, E3 = 0.96 (pinch)")
    ax2 = ax.twinx()
    ax2.plot(pp, [jt.saturation_temperature(p * ATM) for p in pp], "C1--", label="T_sat")
    ax.set_xlabel("exhaust pressure [atm]")
    ax.set_ylabel("capacity [W]")
    ax2.set_ylabel("T_sat [K]")
    ax.set_title("4 K station vs exhaust pressure (valve for 0.32 g/s)")
    ax.grid(alpha=0.3)
    fig.legend(loc="lower left", fontsize=8, bbox_to_anchor=(0.12, 0.15))
    save_figure(fig, FIG / "jt_exhaust_pressure.png", dpi=120)

    # -- the GM cryostat -------------------------------------------------------------------------------
    V1, V2 = gm.calibrate()
    g = lambda T1, T2: gm.stage_loads(T1, T2, V1=V1, V2=V2)  # noqa: E731
    cal = g(77.0, 15.0)
    T2_noload = brentq(lambda T: g(77.0, T)["Q2"], 8.0, 15.0)
    T2_noload_60 = brentq(lambda T: g(60.0, T)["Q2"], 6.0, 15.0)
    fV1, fV2 = 1.2 * V1 * 1e6, 1.2 * V2 * 1e6
    per_watt = 1.0 / (200 * gm.PSI) * 1e6
    gas_ratio_ideal = 77.0 / 15.0
    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    T2s = np.linspace(9.0, 40.0, 100)
    for T1, col in ((50.0, "C0"), (77.0, "C1"), (100.0, "C2")):
        axs[0].plot(T2s, [g(T1, T)["Q2"] for T in T2s], color=col, label=f"Q2, T1 = {T1:g} K")
        axs[0].plot(T2s, [g(T1, T)["Q1"] for T in T2s], "--", color=col, label=f"Q1, T1 = {T1:g} K")
    axs[0].axhline(0, color="k", lw=0.6)
    axs[0].plot([15.0, 15.0], [9.9, 16.805], "ko", label="calibration points")
    axs[0].set_ylim(-20, 60)
    axs[0].set_xlabel("T2 [K]")
    axs[0].set_ylabel("net capacity [W]")
    axs[0].legend(fontsize=7)
    axs[0].grid(alpha=0.3)
    T1s = np.linspace(40.0, 140.0, 100)
    for T2, col in ((12.0, "C0"), (15.0, "C1"), (20.0, "C2")):
        axs[1].plot(T1s, [g(T, T2)["Q1"] for T in T1s], "--", color=col, label=f"Q1, T2 = {T2:g} K")
        axs[1].plot(T1s, [g(T, T2)["Q2"] for T in T1s], color=col, label=f"Q2, T2 = {T2:g} K")
    axs[1].axhline(0, color="k", lw=0.6)
    axs[1].set_xlabel("T1 [K]")
    axs[1].legend(fontsize=7)
    axs[1].grid(alpha=0.3)
    save_figure(fig, FIG / "jt_gm_load_map.png",
                "Two-stage GM cryostat model (calibrated at 77 K / 15 K on the note's figures)", dpi=120)

    # operating point: the GM stations carrying the J-T loop (pinch, E = 0.96, cold 4 K station)
    # plus the dewar's 77 K load of Table 8 (1.405 W); 4 K station holding liquid
    def resid(x):
        T1, T2 = x
        s = L.solve(throat_area=A32, T_77=T1, T_15=T2, definition="pinch")
        r = g(T1, T2)
        return [r["Q1"] - s.heat_77 - 1.405, r["Q2"] - s.heat_15]

    T1_op, T2_op = fsolve(resid, [77.0, 15.0], xtol=1e-10)
    s_op = L.solve(throat_area=A32, T_77=T1_op, T_15=T2_op, definition="pinch")

    # -- the actor: fill, overload, boil-off -------------------------------------------------------------
    a = JTStage("jt", T_start=15.0, pot_volume=POT, station_mass=0.5)
    a.setup()
    t, h = 0.0, 1.0
    hist = []
    for k in range(int(T_RUN)):
        a.heat_load = OVERLOAD if 1500.0 <= t < T_OFF else (RECOVERY if t >= T_OFF else 0.0)
        a.do_step(t, h)
        t += h
        hist.append((t, a.T, a.liquid_mass * 1e3, a.mdot * 1e3, a.capacity, a.heat_load, a.heat_15,
                     a.heat_77))
    hist = np.array(hist)
    pot_g = sat.rho_liquid * POT * 1e3

    def first_time(mask):
        idx = np.flatnonzero(mask)
        assert idx.size, "event not reached in the actor run"
        return hist[idx[0], 0]

    t_fill = first_time(hist[:, 2] > 0)
    t_full = first_time(hist[:, 2] >= pot_g * (1 - 1e-9))
    t_empty = first_time((hist[:, 0] > 1500) & (hist[:, 2] == 0.0))
    t_refill = first_time((hist[:, 0] > T_OFF) & (hist[:, 2] > 0.0))
    cap_cold = hist[1400, 4]
    t_empty_hand = 1500.0 + pot_g * 1e-3 * sat.latent_heat / (OVERLOAD - cap_cold)
    T_peak = hist[(hist[:, 0] > 1500) & (hist[:, 0] <= T_OFF), 1].max()
    i_end = -1
    mass_err = (a.mass_in - a.mass_out) - (1 - sat.rho_vapour / sat.rho_liquid) * a.liquid_mass
    fig, axs = plt.subplots(3, 1, figsize=(6.6, 7.0), sharex=True)
    axs[0].plot(hist[:, 0], hist[:, 1])
    axs[0].set_ylabel("station T [K]")
    axs[1].plot(hist[:, 0], hist[:, 2])
    axs[1].set_ylabel("liquid [g]")
    axs[2].plot(hist[:, 0], hist[:, 4], label="capacity")
    axs[2].plot(hist[:, 0], hist[:, 5], label="heat load")
    axs[2].plot(hist[:, 0], hist[:, 3] * 10, label="mdot x 10 [g/s]")
    axs[2].set_ylabel("W")
    axs[2].set_xlabel("time [s]")
    axs[2].legend(fontsize=8)
    for ax in axs:
        ax.grid(alpha=0.3)
    save_figure(fig, FIG / "jt_actor_run.png",
                f"JTStage: start at 15 K, fill, {OVERLOAD:g} W overload, {RECOVERY:g} W (stations 77 / 15 K)", dpi=120)

    # -- cost per step -----------------------------------------------------------------------------------
    def bench(label, n=3000, vary=True, **kw):
        b = JTStage("b", **kw)
        b.setup()
        for _ in range(3):
            b.do_step(0.0, 1.0)
        t0 = time.perf_counter()
        for k in range(n):
            if vary:
                b.T_15 = 15.0 + 1e-4 * math.sin(k)
                b.T_77 = 77.0 + 1e-3 * math.cos(k)
            b.do_step(0.0, 1.0)
        return label, (time.perf_counter() - t0) / n * 1e6

    timings = [bench("liquid filling (pot never full)", liquid_start=1e-3, pot_volume=1.0),
               bench("dry station cooling from 15 K", T_start=15.0, station_mass=1e5),
               bench("dry station, warm (60 K)", T_start=60.0, station_mass=1e5)]
    b = JTStage("b", liquid_start=2e-4, pot_volume=2e-4)
    b.setup()
    n = 3000
    t0 = time.perf_counter()
    for k in range(n):
        b.T_15 = 15.0 + 1e-4 * math.sin(k)
        b.do_step(0.0, 1.0)
    timings.append(("full pot overflowing", (time.perf_counter() - t0) / n * 1e6))
    c = GMCryostat("gm")
    c.setup()
    t0 = time.perf_counter()
    for k in range(20000):
        c.T2 = 15.0 + 1e-4 * math.sin(k)
        c.do_step(0.0, 1.0)
    timings.append(("GMCryostat", (time.perf_counter() - t0) / 20000 * 1e6))
    t0 = time.perf_counter()
    jt._CHOKED.clear()
    jt.ChokedFlowTable(20 * ATM, ATM)
    t_table = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(20):
        jt.isentropic_nozzle(20 * ATM, 15.0, ATM)
    t_nozzle = (time.perf_counter() - t0) / 20 * 1e3

    # ==================================================================================================
    w("# J-T stage and GM cryostat of the 4 K refrigerator against NRAO EDTN 203")
    w("")
    w("Written by `docs/scripts/jt_validation.py` (every number below comes from it). Models: "
      "`fmus/physics/jt_physics.py` (pure functions), `fmus/jt_stage.py` (actor `JTStage`), "
      "`fmus/gm_cryostat.py` (model and actor `GMCryostat`). Source: J. R. Fisher, *Typical heat "
      "loads in a cryogenic receiver dewar and a discussion of the refrigerator principles of "
      "operation*, NRAO Electronics Division Technical Note 203, 1979 (seed 002; "
      "[references](references.md)), section 4. "
      "Helium from CoolProp's HEOS (Ortiz-Vega 2013 equation of state); the note used McCarty's "
      "1972 tables (NBS TN 631) and Hoare, Jackson and Kurti's Table 11. The note's figures "
      "(curves) are not in the seed: for Figs. 12 and 13 the note's side is what its text says.")
    w("")
    w("## Reference states")
    w("")
    w(f"CoolProp's helium enthalpy is zero for saturated liquid at 1 atm; the note's is zero at 0 K. "
      f"Below, our enthalpies are shifted by one constant, {off / 1e3:.3f} J/g, chosen so that "
      f"point 0 (20 atm, 300 K) reads the note's 505.3 W at 0.32 g/s; the other points then compare "
      f"as differences. With that shift the warm points agree to "
      f"{max(abs(x) for x in diffs_ref):.2f} W (points 2, 9, 10: "
      + ", ".join(f"{x:+.2f}" for x in diffs_ref) + " W, note minus ours).")
    w("")
    w("## Table 12: state points of the J-T loop (0.32 g/s, E1 = E2 = 0.96)")
    w("")
    w("Fig. 10's points: 0 supply (20 atm, 300 K) → X1 → 1 → 77 K station → 2 → X2 → 3 → 15 K "
      "station → 4 → X3 → 5 → J-T valve → 6 → 4 K load → 7 → X3 → 8 → X2 → 9 → X1 → 10. "
      "Computed with the note's definition of effectiveness (eq. 35–38: E times the cold stream's "
      "rise to the warm inlet temperature). *First approximation*: the cold outlets 8, 9, 10 set "
      "at 15, 77, 300 K (the note's underlined entries); *second*: each exchanger with its real "
      "inlets. H in W at 0.32 g/s; Δ = ours − note. The last two columns are the second "
      "approximation with the *pinch* definition (the actor's default; see below).")
    w("")
    md += table(["pt", "T note", "T ours", "H note", "H ours", "Δ", "T note", "T ours", "H note", "H ours", "Δ",
                 "T pinch", "H pinch"],
                [[" ", "*first*", None, None, None, None, "*second*", None, None, None, None, "*second*", None]]
                + rows, tight=True)
    w("")
    w(f"Points 5 and 6 of the first approximation are the note's set value (4.2 K at 20 atm), where "
      f"CoolProp gives H = {MDOT * (h5_42 + off):.2f} W against the note's 6.99 W: the dense fluid at "
      f"20 atm and 4.2 K is {(6.99 / MDOT - h5_42 - off) / 1e3:.2f} J/g lower in CoolProp than in "
      f"the 1972 table — the largest difference between the two property sources in this range. "
      f"(The energy balance of X3 that the note's 4.44 W needs would put point 5 at "
      f"{T5_note_e1:.2f} K; see below.)")
    w("")
    w(f"Station heats: first approximation 77 K {first.heat_77:.2f} W (note 15.4), 15 K "
      f"{first.heat_15:.2f} W (note's table 34.76 − 24.88 = 9.88 W); second approximation 77 K "
      f"{second.heat_77:.2f} W (note 11.3), 15 K {second.heat_15:.2f} W (note 9.1). The 15 K "
      f"difference, {second.heat_15 - 9.1:+.2f} W, is the X2 balance's small difference of ~100 W "
      f"terms: our 20 atm enthalpy drop from 77 to 15 K is "
      f"{(hp.h(77.0) - hp.h(15.0)) / 1e3:.2f} J/g against the note's "
      f"{(134.0 - 24.88) / 0.32:.2f} J/g ({((hp.h(77.0) - hp.h(15.0)) / 1e3) / ((134.0 - 24.88) / 0.32) * 100 - 100:+.2f} %). "
      f"The note's T1 = 88.1 K (first approximation) does not match its own H1: H1 − H2 = 15.4 W is "
      f"{15.4 / 0.32:.1f} J/g above 77 K at 20 atm, which CoolProp puts at {first.T[1]:.2f} K "
      f"(cp = {hp.cp(80.0) / 1e3:.2f} J/(g K)); 88.1 K would need cp = {15.4 / 0.32 / 11.1:.2f}.")
    w("")
    w(f"The note's side remarks: with E1 = 1, H1 = {ideal_x.H(1, off):.2f} W (note 134.6 W), the 77 K "
      f"station sinking {ideal_x.heat_77:.2f} W (note 0.6 W); with E2 = 1, H3 = {ideal_x.H(3, off):.2f} W "
      f"(note 30.6 W) leaving {ideal_x.heat_15:.2f} W (note 5.7 W). With E2 = 0.95 the 15 K load is "
      f"{e2_95.heat_15:.2f} W; the note's \"If E2 = 0.95, H3 − H4 will be 9.9 W\" matches its own "
      f"table's E2 = 0.96 ({34.76 - 24.88:.2f} W) and ours at 0.96 ({first.heat_15:.2f} W), so 0.95 "
      f"there reads as a slip. eq. 38: ΔH(X2) = {second.loss_X2:.2f} W (note 4.1 W).")
    w("")
    w("## Loop capacity: 4.44 W (E3 = 1) and 3.65 W (E3 = 0.96), eq. 37")
    w("")
    md += table([None, "note", "ours, note's definition", "ours, pinch definition"],
                [["E3 = 1: H8 − H4", "4.44 W", f"{e1.capacity:.3f} W", f"{cap_pinch[1.0].capacity:.3f} W"],
                 ["eq. 37 loss (1 − E3)(H8 − H7), E3 = 0.96", "0.79 W", f"{loss37:.3f} W", "—"],
                 ["E3 = 0.96", "3.65 W", f"{cap_note[0.96]:.3f} W", f"{cap_pinch[0.96].capacity:.3f} W"],
                 ["E3 = 0.92", "—", f"{cap_note[0.92]:.3f} W", f"{cap_pinch[0.92].capacity:.3f} W"]], tight=True)
    w("")
    w(f"The loss term of eq. 37 agrees ({loss37:.3f} against 0.79 W). The gap is in H8 − H4, the "
      f"isothermal enthalpy difference between 1 and 20 atm at 15 K: CoolProp "
      f"{D15 / 1e3:.3f} J/g; the note's Table 11 (367.5 − 314.5 J/mol) {D15_t11 / 1e3:.3f} J/g "
      f"({(D15_t11 / D15 - 1) * 100:+.1f} %); its Table 12 (4.44 W / 0.32 g/s) {D15_t12 / 1e3:.3f} J/g "
      f"({(D15_t12 / D15 - 1) * 100:+.1f} %). The note's own two tables differ by "
      f"{(D15_t12 / D15_t11 - 1) * 100:.1f} %; from Table 11 the capacity would be "
      f"{MDOT * D15_t11:.3f} W, {(MDOT * D15_t11 / e1.capacity - 1) * 100:.1f} % above ours. The note "
      f"itself quotes 13.25 J/g (\"the cooling capacity available is 13.25 joules/gm\"), Table 11's "
      f"value. Inputs were not adjusted.")
    w("")
    w(f"**The note's E3 = 1 figure is not reachable by a counterflow exchanger.** With E3 = 1, eq. 35–38 "
      f"make the supply give up what the return stream takes from 4.22 to 15 K, "
      f"{q_cold_need:.3f} W (note {note_cold:.2f} W), but between 15 K and the returning gas's 4.22 K "
      f"the 20 atm stream holds only {q_hot_max:.3f} W (note: H4 − H5 = {note_hot:.2f} W with its "
      f"own H5 at 4.2 K). The supply would leave X3 at {T5_note_e1:.2f} K, below the 4.22 K gas it "
      f"exchanges with. The largest duty a counterflow X3 can have (a pinch at its cold end: the "
      f"*pinch* definition, q = E·q_max, q_max the least over T of the two streams' enthalpy "
      f"changes on either side of a zero-ΔT point) gives {cap_pinch[1.0].capacity:.3f} W with E3 = 1 "
      f"— in the note's own numbers, H7 − H6 = 9.64 − 6.99 = 2.65 W, its Table 12 \"4.2 K capacity\" "
      f"entry, which also differs from its 4.44 W. With E3 = 0.96 the note's definition gives a J-T "
      f"inlet of {second.T[5]:.2f} K (feasible, just) and the pinch definition {pinch2.T[5]:.2f} K. "
      f"The two definitions coincide for X1 and X2, where the return stream limits "
      f"(Table 12 columns). The actor uses *pinch* by default (`effectiveness = \"note\"` "
      f"reproduces eq. 35–38).")
    w("")
    w("## The J-T valve: isentropic nozzle (eq. 39–47) and Fig. 12")
    w("")
    w(f"`isentropic_nozzle(p0, T0, p_out)` marches down the isentrope from the stagnation state with "
      f"CoolProp's pressure–entropy flash and takes the largest mass flux ρv, v = √(2(h0 − h)), with "
      f"scipy's bounded scalar minimiser on the pressure (the throat of eq. 47, where v = c; checked "
      f"against CoolProp's speed of sound and against the ideal-gas formula in the tests). One "
      f"solution costs {t_nozzle:.1f} ms here; the actor reads a table of 120 inlet temperatures "
      f"built in {t_table:.2f} s (interpolation error below 4e-5 above 2.5 K).")
    w("")
    w(f"Design point: the throat that passes 0.32 g/s at 20 atm and 4.2 K into 1 atm has "
      f"A = {A32 * 1e6:.5f} mm² ({d32:.3f} mm diameter; 0.25 g/s: {d25:.3f} mm). At 4.2 K the "
      f"isentrope stays liquid down to {th42.p / ATM:.3f} atm ({th42.T:.2f} K), the bubble point, where "
      f"the homogeneous-equilibrium flux would peak: with a 1 atm exhaust the flow is therefore set by "
      f"the exhaust pressure, not sonic. It becomes sonic above {T_switch:.2f} K inlet — the note's "
      f"\"uncertain about ... input temperatures below about 6 K because the helium can turn to liquid "
      f"in the nozzle\". At 15 K the throat is at {th15.p / ATM:.2f} atm, {th15.T:.2f} K "
      f"(p*/p0 = {th15.p / (20 * ATM):.3f}; ideal gas 0.487).")
    w("")
    w("![Fig. 12](figures/jt_fig12_mass_flow.png)")
    w("")
    w(f"What the note says of Fig. 12, against ours: the flow rises as the inlet cools — "
      f"ṁ(15 K)/ṁ(4.2 K) = {r15:.3f} here. \"The J-T flow is very nearly directly proportional to its "
      f"input pressure\": G/p0 at 15 K is {prop[0] * 1e3:.4f}, {prop[1] * 1e3:.4f}, "
      f"{prop[2] * 1e3:.4f} ms/m (kg/(m² s) per kPa) at 15, 20, 25 atm (within "
      f"{(max(prop) / min(prop) - 1) * 100:.1f} %). The NRAO 1 W machine's measured flow rose "
      f"{0.139 / 0.064:.2f}× from 18.7 K to 5.2 K station temperature, \"a somewhat weaker ṁ vs T "
      f"dependence than shown by the curves in Figure 12\": ours gives {r_nrao:.2f}× between those inlet "
      f"temperatures, consistent with that remark (the note blames heat-exchanger pressure drop and "
      f"friction in the needle, neither modelled).")
    w("")
    w("## Fig. 13: capacity against temperature (eq. 50) and the 15 K start-up capacity")
    w("")
    w("Capacity available at a 4 K station at T_L, with the stream leaving it at T_L, the J-T inlet "
      "from X3 and the valve's flow at that inlet (valve sized for 0.32 g/s at 4.2 K, stations at "
      "77 / 15 K).")
    w("")
    w("![Fig. 13](figures/jt_fig13_capacity.png)")
    w("")
    cp96 = curves[(0.96, "pinch")]
    w(f"As in the note, the capacity rises as the station cools (pinch, E3 = 0.96: {cp96[-1]:.2f} W "
      f"at {TL[-1]:.0f} K, {L.capacity(15.0, A32, E3=0.96)[0]:.2f} W at 15 K, {cp96[0]:.2f} W at "
      f"{TL[0]:.2f} K), so a load below the 15 K value runs away to the boiling point. "
      f"With the pinch definition the curve peaks at {TL[int(np.argmax(cp96))]:.2f} K "
      f"({max(cp96):.2f} W) and drops to the boiling point: within a few tenths of a kelvin of "
      f"T_sat the dense 20 atm supply, not the return gas, limits X3 (the J-T inlet cannot be "
      f"cooled below the station). "
      f"The note: \"For an efficiency of E3 = 0.96, at T_L = 5 K, Q_L will be 87 % of its value at "
      f"T_L = 15 K if the mass flow rate is constant\": eq. 50 with CoolProp gives "
      f"{ratio87[5.0] * 100:.1f} % at 5 K ({ratio87[sat.T] * 100:.1f} % at 4.22 K); the note's own "
      f"Table 12 numbers give {note_ratio_42 * 100:.1f} % at 4.2 K, so its 87 % is not reproduced by "
      f"its own table either.")
    w("")
    q25, m25, c25 = start[0.25]
    q32, m32, c32 = start[0.32]
    md += table(["machine (note)", "start-up at 15 K, note", "ours", "ṁ at 15 K", "cold capacity at 4.22 K, note",
                 "ours pinch", "ours note-def"],
                [["0.25 g/s, E3 = 0.96", "1.6 W", f"{q25:.2f} W", f"{m25 * 1e3:.3f} g/s", "3.0 W",
                  f"{c25['pinch'][0]:.2f} W", f"{c25['note'][0]:.2f} W"],
                 ["0.32 g/s, E3 = 0.92", "1.8 W", f"{q32:.2f} W", f"{m32 * 1e3:.3f} g/s", "3.2 W",
                  f"{c32['pinch'][0]:.2f} W", f"{c32['note'][0]:.2f} W"]], tight=True)
    w("")
    w(f"At 15 K, X3 carries nothing and E3 drops out: start-up capacity = ṁ(15 K)·(h(1 atm, 15 K) − "
      f"h(20 atm, 15 K)). For the 0.32 g/s machine ours is {q32:.2f} W against the note's 1.8 W "
      f"(\"very close to what has been measured on the Green Bank system\"; ours "
      f"{(q32 / 1.8 - 1) * 100:+.1f} %). For the 0.25 g/s machine ours is {q25:.2f} W against 1.6 W "
      f"({(q25 / 1.6 - 1) * 100:+.1f} %). The cause is in the note: its two start-up figures imply flow "
      f"ratios ṁ(15 K)/ṁ(design) of {1.6 / 0.25 / (D15_t11 / 1e3):.2f} and "
      f"{1.8 / 0.32 / (D15_t11 / 1e3):.2f} (with its 13.24 J/g), ours is {r15:.3f} for both — a valve's "
      f"flux does not depend on its throat area, so the two start-up capacities must be in the ratio "
      f"of the design flows, 0.25/0.32 = {0.25 / 0.32:.3f}, where the note's are in the ratio "
      f"{1.6 / 1.8:.3f} ({((1.6 / 1.8) / (0.25 / 0.32) - 1) * 100:.0f} % apart). Scaled by the flows, its "
      f"1.8 W means {1.8 * 0.25 / 0.32:.2f} W for the 0.25 g/s machine; ours is "
      f"{(q25 / (1.8 * 0.25 / 0.32) - 1) * 100:+.1f} % from that (ours: {q25 / q32:.4f} of the 0.32 g/s "
      f"figure). The two figures cannot both come from one Fig. 12 curve shape. The cold capacities: the note's 3.0 and 3.2 W are rounder than its own "
      f"eq. 50 gives (its Table 12: 0.25 × {(4.44 - 0.79) / 0.32:.2f} J/g = "
      f"{0.25 * (4.44 - 0.79) / 0.32:.2f} W; 0.32 g/s with E3 = 0.92: "
      f"{4.44 - 0.08 * (29.32 - 9.64):.2f} W); ours are lower for the reasons of the previous "
      f"section, and lower again with the pinch definition.")
    w("")
    w("## Exhaust pressure: 4 K station temperature and capacity")
    w("")
    w("Valve for 0.32 g/s; station holding liquid at T_sat(p_exhaust); E3 = 0.96. D = h_v(p_ex) − "
      "h(20 atm, T_sat), the most the stream can take up per kilogram when X3 cools the supply to "
      "the station temperature.")
    w("")
    md += table(["p_exhaust [atm]", "T_sat [K]", "h_fg [J/g]", "D [J/g]", "ṁ [g/s]", "T5 [K]", "capacity, pinch [W]",
                 "capacity, note-def [W]"], ex_rows, tight=True)
    w("")
    w(f"The note: \"the boiling point of helium varies from about 2.5 K at 0.1 atmospheres ... to "
      f"5.2 K at 2.2 atmospheres\" — CoolProp {jt.saturation_temperature(0.1 * ATM):.3f} K and "
      f"{jt.saturation_temperature(2.2 * ATM):.3f} K. \"...without affecting the refrigeration capacity "
      f"very much\": from 0.1 to 1.5 atm the capacity moves from {ex_cap[0.1][0]:.2f} to "
      f"{ex_cap[1.5][0]:.2f} W (pinch), but toward the critical pressure (2.253 atm) it collapses — "
      f"{ex_cap[2.0][0]:.2f} W at 2.0 atm, {ex_cap[2.2][0]:.2f} W at 2.2 atm — because saturated "
      f"vapour at 2.2 atm is nearly as dense as the 20 atm supply at the same temperature (D column: "
      f"the isothermal J-T effect vanishes). With the note's definition the X3 balance at 2.2 atm "
      f"would have to cool the supply below 2.2 K (\"infeasible\"). Latent heat at 1 atm "
      f"{sat.latent_heat / 1e3:.2f} J/g (note 20.6); the fraction of the 15 K capacity that could "
      f"liquefy, {D15 / 1e3:.2f}/{sat.latent_heat / 1e3:.2f} = {D15 / sat.latent_heat * 100:.0f} % "
      f"(note 64 %). Table 11's example, 20 atm and 15 K throttled to 1 atm: "
      f"{lp.T(hp.h(15.0)):.2f} K (note ~12.5 K).")
    w("")
    w("![exhaust](figures/jt_exhaust_pressure.png)")
    w("")
    w("## The two-stage GM cryostat (section 4.1)")
    w("")
    w("Model (`fmus/gm_cryostat.py`): per stage the ideal (p − p0)V per cycle times the frequency, "
      "less the regenerator loss (1 − ε)·c_p·(gas through the regenerator)·(T_warm − T_cold), with "
      "1 − ε = (1 − ε_warm)(1 + (T_r/T)³); the first regenerator passes both stages' gas. Ideal "
      "helium; no void-volume or conduction losses (the note names them, without numbers).")
    w("")
    md += table(["used for calibration (from the note)", "value"],
                [["Δp = p − p0 (its worked example of Q = (p − p0)V)", "200 psi"],
                 ["ε_warm (\"98 % or higher are fairly easily achieved\")", "0.98"],
                 ["T_r: ineffectiveness doubled at the \"useful limit ... about 15 K\"", "15 K"],
                 ["Q2(77 K, 15 K): \"9.9 W which is roughly the capacity of the CTI 1020\"", "9.9 W"],
                 ["Q1(77 K, 15 K): J-T first-approximation 77 K load 15.4 W + dewar 77 K load 1.405 W (Table 8)",
                  "16.805 W"],
                 ["assumed, not from the note: supply 20 atm (as the J-T), 1.2 Hz (only f·V matters), exponent 3",
                  None]], tight=True)
    w("")
    w(f"Calibrated: f·V1 = {fV1:.2f} cm³/s, f·V2 = {fV2:.2f} cm³/s (V1 = {V1 * 1e6:.2f} cm³, "
      f"V2 = {V2 * 1e6:.2f} cm³ at 1.2 Hz). At the calibration point the first stage's ideal "
      f"{cal['ideal_1']:.1f} W loses {cal['loss_1']:.1f} W (most of it precooling the second stage's "
      f"gas, {cal['mdot_2'] * 1e3:.2f} g/s, 15 K-dense), the second stage's ideal {cal['ideal_2']:.1f} W "
      f"loses {cal['loss_2']:.1f} W.")
    w("")
    w(f"Predictions: the ideal displaced volume per watt at 200 psi, {per_watt:.3f} cm³/s (note 0.72). "
      f"Gas the compressor must supply per watt at 15 K against 77 K, ideal: {gas_ratio_ideal:.2f} "
      f"(note: \"about five times\") — the ratio of cold-end densities. Second-stage no-load "
      f"temperature {T2_noload:.2f} K with the first stage at 77 K ({T2_noload_60:.2f} K at 60 K): the "
      f"note's \"useful ... about 15 K and above\"; for comparison outside the note, lead-regenerator "
      f"GM machines are usually quoted at about 12 K minimum. Q2 at 20 K: {g(77.0, 20.0)['Q2']:.2f} W.")
    w("")
    w("![GM load map](figures/jt_gm_load_map.png)")
    w("")
    w(f"Operating point with the J-T loop on it (pinch, E = 0.96, valve for 0.32 g/s, 4 K station "
      f"holding liquid, plus the dewar's 1.405 W at 77 K): the stations settle where each stage's "
      f"capacity equals its load, T1 = {T1_op:.2f} K, T2 = {T2_op:.2f} K, with "
      f"{s_op.heat_77 + 1.405:.2f} W and {s_op.heat_15:.2f} W on them, ṁ = {s_op.mdot * 1e3:.3f} g/s "
      f"and {s_op.capacity:.2f} W available at 4.22 K. Colder than the note's 77 / 15 K because our "
      f"second-approximation loads ({second.heat_77:.2f} and {second.heat_15:.2f} W) are below the "
      f"first-approximation ones the stages were calibrated on.")
    w("")
    w("## The actor `JTStage`: fill, overload, boil-off")
    w("")
    w("Inputs `T_77`, `T_15`, `heat_load`; outputs `mdot`, `heat_77`, `heat_15`, `T`, `liquid_mass`, "
      "`capacity`. State: the station temperature and the liquid inventory. With liquid the station "
      "sits at T_sat and dm/dt = (capacity − load)/h_fg (exact for a pot at constant pressure); empty, "
      "C(T) dT/dt = load − capacity(T).")
    w("")
    w("![actor](figures/jt_actor_run.png)")
    w("")
    w(f"Run (1 s steps, stations held at 77 / 15 K, 0.5 kg copper, {POT * 1e3:g} L pot, default "
      f"valve): from 15 K the station reaches 4.22 K and starts to hold liquid at t = {t_fill:.0f} s "
      f"(copper holds little heat below 15 K), the pot is full ({pot_g:.1f} g) at t = {t_full:.0f} s "
      f"and overflows; a {OVERLOAD:g} W load at 1500 s (capacity {cap_cold:.2f} W) boils it off by "
      f"t = {t_empty:.0f} s (by hand, pot x h_fg / (load - capacity): {t_empty_hand:.0f} s), after "
      f"which the station warms to {T_peak:.1f} K by {T_OFF:.0f} s (no gas switch; the capacity falls as "
      f"the station warms, the runaway the note describes); at {RECOVERY:g} W it cools back and holds liquid "
      f"again from t = {t_refill:.0f} s ({hist[i_end, 2]:.1f} g at {hist[i_end, 0]:.0f} s). Helium "
      f"balance over the run: in - out - (1 - rho_v/rho_l) liquid = {mass_err:.1e} kg "
      f"(of {a.mass_in:.2f} kg through the station).")
    w("")
    w("Cost per step (inputs changed every step, so no result is reused; "
      f"{platform.python_implementation()} {platform.python_version()}, shared 2-core machine):")
    w("")
    md += table(["case", "µs per step"], [[lab, f"{us:.1f}"] for lab, us in timings], tight=True)
    w("")
    w("No CoolProp call happens in a step: the isobars (h(T) on the supply and exhaust isobars, "
      "400 nodes, cubic Hermite with the exact cp) and the valve's flow table are built at set-up "
      "(cached per pair of pressures; a helium flash would cost ~100 µs). Changing `p_supply` or "
      "`p_exhaust` by an event costs one table build (under a second) on the next step.")
    w("")
    w("Entry points (for `pyproject.toml`):")
    w("")
    w("```toml")
    w('jt_stage = "cryocosim.fmus.jt_stage:JTStage"')
    w('gm_cryostat = "cryocosim.fmus.gm_cryostat:GMCryostat"')
    w("```")
    w("")
    w(f"*Generated in {time.perf_counter() - t_start:.0f} s.*")
    OUT.write_text("\n".join(md) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
