"""Steady state of the screw-Brayton cool-down beside the patent's cycle points 1-6 (seed 000, Fig. 7).

Runs scenarios/screw_brayton_cooldown.toml (or reads an existing result with --result), takes the
final record as the steady state, and writes
  docs/figures/screw_brayton_ts.png      the cycle on a T-s diagram (like the patent's Fig. 7)
  docs/figures/screw_brayton_cooldown.png the cool-down transient
  docs/screw_brayton_points.md           the table of state points, ours beside the patent's
Usage: python docs/scripts/patent_comparison.py [--result results/screw_brayton_cooldown.nc]
"""
import argparse
import json
from pathlib import Path

import CoolProp.CoolProp as CP
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from cryocosim import scenario  # noqa: E402
from cryocosim.plot import plot_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ATM = 101325.0
# The patent's calculated cycle (description of Figs. 6 and 7).  The OCR of the seed reads point 1
# as "1990 E" at "1 2 atmosphere": read as 299 K at 1/2 atm (the recuperator's warm end, 1 K below
# point 3); point 2 has no temperature in the text.
PATENT = {
    1: ("compressor suction", 0.5 * ATM, 299.0),
    2: ("compressor discharge", 1.0 * ATM, None),
    3: ("aftercooler outlet", 1.0 * ATM, 300.0),
    4: ("expander inlet", 1.0 * ATM, 185.0),
    5: ("expander outlet", 0.5 * ATM, 177.0),
    6: ("load exchanger outlet", 0.5 * ATM, 184.0),
}
# where each point sits in our actors (pressure, temperature)
OURS = {
    1: ("lp.p", "lp.T"),
    2: ("hp.p", "compressor.T_out"),
    3: ("hp.p", "hp.T"),
    4: ("hp.p", "recuperator.T_hot_out"),
    5: ("lp.p", "expander.T_out"),
    6: ("lp.p", "load_hx.T_out"),
}


def entropy(p, T, fluid="Nitrogen"):
    return CP.PropsSI("S", "P", p, "T", T, fluid)  # a plotting script, not a stepping loop


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--result", help="existing result file of the default cool-down")
    args = ap.parse_args()
    if args.result:
        ds = xr.open_dataset(args.result)
    else:
        system, settings = scenario.load(ROOT / "scenarios/screw_brayton_cooldown.toml")
        ds = system.run(settings.stop_time, ordering=settings.ordering, output_interval=settings.output_interval,
                        output=ROOT / "results/screw_brayton_cooldown.nc")
    last = ds.isel(time=-1)
    rows, ours = [], {}
    for k, (label, p_pat, T_pat) in PATENT.items():
        pv, Tv = OURS[k]
        p, T = float(last[pv]), float(last[Tv])
        ours[k] = (p, T)
        rows.append(f"| {k} | {label} | {p_pat / ATM:.2f} | {'' if T_pat is None else f'{T_pat:.0f}'} | "
                    f"{p / ATM:.3f} | {T:.1f} | {'' if T_pat is None else f'{T - T_pat:+.1f}'} |")
    extra = {
        "mass flow [g/s]": 1e3 * float(last["expander.mdot"]),
        "shaft speed [rpm]": float(last["shaft.speed"]) * 60 / (2 * np.pi),
        "load temperature [K]": float(last["load.T"]),
        "refrigeration (load exchanger) [W]": float(last["load_hx.heat_load"]),
        "compressor shaft power [W]": float(last["compressor.power"]),
        "expander shaft power [W]": float(last["expander.power"]),
        "motor electrical power [W]": float(last["motor.power"]),
        "recuperator effectiveness [-]": float(last["recuperator.effectiveness"]),
        "compressor volumetric efficiency [-]": float(last["compressor.eta_vol"]),
    }
    table = ["| point | where | patent p [atm] | patent T [K] | model p [atm] | model T [K] | ΔT [K] |",
             "| --- | --- | --- | --- | --- | --- | --- |"] + rows
    table += ["", "| quantity at the end of the run | model |", "| --- | --- |"]
    table += [f"| {k} | {v:.4g} |" for k, v in extra.items()]
    (ROOT / "docs/screw_brayton_points.md").write_text(
        "<!-- written by docs/scripts/patent_comparison.py; do not edit -->\n"
        f"State at t = {float(last.time) / 3600:.2f} h of `scenarios/screw_brayton_cooldown.toml`.\n\n"
        + "\n".join(table) + "\n")

    # T-s diagram
    fig, ax = plt.subplots(figsize=(7, 5))
    Ts = np.linspace(120, 400, 200)
    for p in (0.5 * ATM, 1.0 * ATM):
        ax.plot([entropy(p, T) / 1e3 for T in Ts], Ts, color="0.8", lw=0.8)
        ax.annotate(f"{p / ATM:g} atm", (entropy(p, 390) / 1e3, 390), fontsize=7, color="0.5")
    order = [1, 2, 3, 4, 5, 6, 1]
    s_ours = [entropy(*ours[k]) / 1e3 for k in order]
    ax.plot(s_ours, [ours[k][1] for k in order], "o-", color="C0", label="cryocosim steady state")
    for k in ours:
        ax.annotate(str(k), (entropy(*ours[k]) / 1e3, ours[k][1]), textcoords="offset points", xytext=(5, 4), color="C0")
    pts = [k for k in PATENT if PATENT[k][2] is not None]
    ax.plot([entropy(PATENT[k][1], PATENT[k][2]) / 1e3 for k in pts], [PATENT[k][2] for k in pts], "s",
            mfc="none", color="C3", label="patent (Fig. 7, calculated)")
    for k in pts:
        ax.annotate(str(k), (entropy(PATENT[k][1], PATENT[k][2]) / 1e3, PATENT[k][2]), textcoords="offset points",
                    xytext=(-10, -10), color="C3")
    ax.set_xlabel("specific entropy s [kJ/(kg K)]")
    ax.set_ylabel("temperature T [K]")
    ax.set_title("Screw compressor-expander reverse-Brayton cycle, nitrogen")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(ROOT / "docs/figures/screw_brayton_ts.png", dpi=110)
    plot_result(ds, ROOT / "docs/figures/screw_brayton_cooldown.png",
                json.loads(json.dumps(scenario.load(ROOT / "scenarios/screw_brayton_cooldown.toml")[1].extra["plot"]["panels"])),
                title="screw_brayton_cooldown")
    print((ROOT / "docs/screw_brayton_points.md").read_text())


if __name__ == "__main__":
    main()
