"""Wall time of the default cool-down, HEOS against CoolProp's bicubic table, and where the time
goes; writes docs/performance.md (every number on that page comes from this script).

* **cool-down**: ``cryocosim run scenarios/screw_brayton_cooldown.toml`` (90 min simulated,
  fixed steps) as a whole process, ``--runs`` times per backend (default 3): the process's wall
  time (interpreter start, imports, set-up, run, result file) and the run's own stepping loop
  (the result file's ``wall_time_s``); minimum and median;
* **backends**: the load temperature of the two backends at every output time;
* **start-up**: ``cryocosim --help`` and ``cryocosim validate`` as processes (5 runs each);
* **profile**: ``docs/scripts/profile_cooldown.py`` over the first ``--profile-stop`` seconds
  (default 300) with each backend;
* **engine overhead**: a trivial actor (first-order lag), 20,000 steps.

Usage: ``.venv/bin/python docs/scripts/bench_cooldown.py [--runs 3] [--stop 5400] [--quick]``
(``--quick``: 10 min simulated, 1 run, 60 s profiled; for trying the script, not for the page).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import ROOT, mm, table, timed_process  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))

SCENARIO = ROOT / "scenarios/screw_brayton_cooldown.toml"
CLI = str(Path(sys.executable).with_name("cryocosim"))
BACKENDS = ("HEOS", "BICUBIC&HEOS")
FLUID_ACTORS = ("compressor", "expander", "hp", "lp", "aftercooler", "recuperator", "load_hx")


def cooldown_runs(backend: str, stop: float, runs: int, out: Path) -> dict:
    import xarray as xr

    sets = [] if backend == "HEOS" else [a for name in FLUID_ACTORS
                                          for a in ("--set", f"{name}.property_backend={backend}")]
    proc, loop, steps = [], [], 0
    path = out / f"cooldown_{backend.replace('&', '_')}.nc"
    for _ in range(runs):
        if path.exists():
            path.unlink()
        proc.append(timed_process([CLI, "run", str(SCENARIO), "--stop-time", str(stop), "-q",
                                   "-o", str(path), "--tolerance", "0", "--no-iterate", *sets])[0])
        with xr.open_dataset(path) as ds:
            loop.append(float(ds.attrs["wall_time_s"]))
            steps = int(ds.attrs["actor_steps"])
            assert ds.attrs["status"] == "completed", ds.attrs["status"]
    return {"process": proc, "loop": loop, "steps": steps, "path": path}


def startup(runs: int = 5) -> dict:
    return {"cryocosim --help": [timed_process([CLI, "--help"])[0] for _ in range(runs)],
            "cryocosim validate scenarios/screw_brayton_cooldown.toml":
                [timed_process([CLI, "validate", str(SCENARIO)])[0] for _ in range(runs)]}


def import_times(runs: int = 5) -> dict:
    """Wall time [s] of importing a package in a fresh interpreter, less the bare interpreter's."""
    bare = min(timed_process([sys.executable, "-c", "pass"])[0] for _ in range(runs))
    return {m: min(timed_process([sys.executable, "-c", f"import {m}"])[0] for _ in range(runs)) - bare
            for m in ("CoolProp.CoolProp", "matplotlib.pyplot", "xarray")}


def trivial_overhead(n_steps: int = 20000) -> float:
    from cryocosim import System

    s = System("trivial")
    s.add("lag", "fmi_fixture_actor:FirstOrderLag", step=0.01, u=1.0)
    t0 = time.perf_counter()
    s.run(n_steps * 0.01, output_interval=n_steps * 0.01)
    return (time.perf_counter() - t0) / n_steps * 1e6


def compare(paths: dict) -> dict:
    import numpy as np
    import xarray as xr

    ref = xr.open_dataset(paths["HEOS"])
    tab = xr.open_dataset(paths["BICUBIC&HEOS"])
    t = ref["time"].values
    dT = tab["load.T"].values - ref["load.T"].values
    k = int(np.argmax(np.abs(dT)))
    others = {}
    for name in ("expander.T_out", "recuperator.T_hot_out", "compressor.T_out", "hp.p", "lp.p",
                 "shaft.speed", "load_hx.heat_load", "motor.power"):
        d = np.abs(tab[name].values - ref[name].values)
        others[name] = (float(d.max()), float(np.abs(ref[name].values).max()), ref[name].attrs.get("units", ""))
    rows = []
    for minute in range(0, int(t[-1] // 60) + 1, 10):
        i = int(np.argmin(np.abs(t - 60.0 * minute)))
        rows.append((t[i], float(ref["load.T"].values[i]), float(tab["load.T"].values[i]), float(dT[i])))
    out = {"n": len(t), "max": float(abs(dT[k])), "t_max": float(t[k]), "rms": float(np.sqrt(np.mean(dT ** 2))),
           "final": (float(ref["load.T"].values[-1]), float(tab["load.T"].values[-1])), "rows": rows,
           "others": others}
    ref.close()
    tab.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--stop", type=float, default=5400.0, help="simulated seconds (default 5400 = 90 min)")
    ap.add_argument("--profile-stop", type=float, default=300.0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--output", default=str(ROOT / "docs/performance.md"))
    args = ap.parse_args()
    if args.quick:
        args.runs, args.stop, args.profile_stop = 1, 600.0, 60.0

    from profile_cooldown import profile

    out = Path(tempfile.mkdtemp(prefix="bench_cooldown_"))
    results = {}
    for backend in BACKENDS:
        print(f"cool-down, {backend} ...", flush=True)
        results[backend] = cooldown_runs(backend, args.stop, args.runs, out)
    cmp = compare({b: r["path"] for b, r in results.items()})
    print("start-up ...", flush=True)
    starts = startup()
    imports = import_times()
    print("profiles ...", flush=True)
    profs = {b: profile(args.profile_stop, b, top=12) for b in BACKENDS}
    trivial = trivial_overhead()
    write_page(Path(args.output), args, results, cmp, starts, imports, profs, trivial)
    print(f"wrote {args.output}")


def write_page(path, args, results, cmp, starts, imports, profs, trivial) -> None:
    from cryocosim.fmus.recuperator import Recuperator

    n_cells = int(next(v.start for v in Recuperator.variables if v.name == "n_cells"))
    h, b = results["HEOS"], results["BICUBIC&HEOS"]
    steps = h["steps"]
    us = {k: min(r["loop"]) / r["steps"] * 1e6 for k, r in results.items()}
    speed_loop = min(h["loop"]) / min(b["loop"])
    speed_proc = min(h["process"]) / min(b["process"])
    over = {k: min(p - l for p, l in zip(r["process"], r["loop"])) for k, r in results.items()}
    stop_min = args.stop / 60.0
    ph, pb = profs["HEOS"], profs["BICUBIC&HEOS"]

    def share(pr, key):
        pa = pr["per_actor"]
        return pa["actors"][key]["seconds"] / pa["loop"]

    def cp_share(pr):
        return pr["coolprop"]["seconds_inside"] / pr["per_actor"]["loop"]

    def model_python(pr):
        pa = pr["per_actor"]
        return (pa["models_seconds"] - pr["coolprop"]["seconds_inside"]) / pa["loop"]

    def master_share(pr):
        pa = pr["per_actor"]
        return (pa["loop"] - pa["models_seconds"]) / pa["loop"]

    nproc = os.cpu_count()
    L = ["<!-- written by docs/scripts/bench_cooldown.py; do not edit: run the script -->",
         "# Where the time goes", "",
         f"Measured by `docs/scripts/bench_cooldown.py` on {platform.machine()}, Python "
         f"{platform.python_version()}, {nproc} cores, **a shared machine with other work running**: "
         f"every time is the minimum / median of {args.runs} runs (start-up: of 5); the minimum is the "
         "better estimate of the undisturbed cost, the median shows the disturbance. Fixed "
         "communication steps, explicit coupling (`--tolerance 0 --no-iterate`: every actor at its 0.05 s), to measure the cost of an "
         "actor step; the scenario's own adaptive, iterated run is measured in `docs/adaptive_steps.md`.", "",
         f"## The default cool-down, {stop_min:.0f} min simulated", "",
         f"`cryocosim run scenarios/screw_brayton_cooldown.toml --tolerance 0 --no-iterate` ({steps} actor steps). *Process*: the "
         "whole command (interpreter start, imports, set-up, run, result file); *run*: the stepping "
         "loop alone (the result file's `wall_time_s`).", ""]
    L += table(["property backend", "process [s]", "run [s]", "µs per actor step", "real-time factor (run)"],
               [[k, mm(r["process"], 1), mm(r["loop"], 1), f"{us[k]:.1f}", f"{args.stop / min(r['loop']):.0f}×"]
                for k, r in results.items()])
    L += ["", f"With `property_backend = \"BICUBIC&HEOS\"` in the scenario's `[defaults]` the run is "
          f"{speed_loop:.2f}× faster ({speed_proc:.2f}× for the whole process, which also carries "
          f"{over['HEOS']:.1f} s of start-up and result handling). The load temperature of the two "
          f"runs differs by at most {cmp['max']:.1e} K over the {cmp['n']} output times "
          f"(at t = {cmp['t_max'] / 60:.1f} min; RMS {cmp['rms']:.1e} K); after {stop_min:.0f} min "
          f"the load is at {cmp['final'][0]:.4f} K (HEOS) and {cmp['final'][1]:.4f} K (bicubic).", ""]
    L += table(["time [min]", "load T, HEOS [K]", "load T, BICUBIC&HEOS [K]", "difference [K]"],
               [[f"{t / 60:.0f}", f"{a:.4f}", f"{c:.4f}", f"{d:+.1e}"] for t, a, c, d in cmp["rows"]])
    L += ["", "Largest differences of other outputs over the whole run (bicubic against HEOS):", ""]
    L += table(["output", "largest difference", "largest value"],
               [[name, f"{d:.2g} {unit}", f"{ref:.4g} {unit}"] for name, (d, ref, unit) in cmp["others"].items()])
    L += ["", "The table is used only for pressure-temperature inputs (density, enthalpy, cp, and the "
          "Newton loop of T from (p, h)) inside the domain where its accuracy was measured, clear of "
          "saturation and the critical point (`cryocosim.fmus.properties.gas`; accuracy bounds in "
          "`tests/test_gas_backend.py`); density-temperature evaluations stay on HEOS.", "",
          "## Start-up", ""]
    L += table(["command", "wall time [s]"], [[f"`{k}`", mm(v)] for k, v in starts.items()])
    L += ["", f"Importing CoolProp costs {imports['CoolProp.CoolProp']:.2f} s, matplotlib's pyplot "
          f"{imports['matplotlib.pyplot']:.2f} s, xarray {imports['xarray']:.2f} s (fresh interpreter, "
          "minimum of 5). `cryocosim --help` imports none of them, nor numpy; `validate` and `run` "
          "import CoolProp because the models' set-up evaluates gas properties, and xarray (the "
          "engine's results); matplotlib only for `run --plot` (`tests/test_startup.py` checks the "
          "imported modules).", "",
          f"## Where the time goes ({args.profile_stop:.0f} s simulated, `docs/scripts/profile_cooldown.py`)", "",
          "Share of the stepping loop: CoolProp's own time (measured per call through a counting "
          "proxy), the models' Python (their `do_step` time less CoolProp's) and the master with the "
          "bus and the recorder (the rest).", ""]
    L += table([None, "HEOS", "BICUBIC&HEOS"],
               [["µs per actor step"] + [f"{p['per_actor']['loop'] / p['per_actor']['actor_steps'] * 1e6:.1f}"
                                          for p in (ph, pb)],
                ["CoolProp calls per simulated second"] + [f"{p['coolprop']['calls_per_sim_second']:.0f}"
                                                            for p in (ph, pb)],
                ["in CoolProp"] + [f"{cp_share(p):.0%}" for p in (ph, pb)],
                ["models' Python"] + [f"{model_python(p):.0%}" for p in (ph, pb)],
                ["master, bus, recorder"] + [f"{master_share(p):.0%}" for p in (ph, pb)]])
    L += ["", "Per actor (µs per step; share of the loop):", ""]
    rows = []
    for name in sorted(ph["per_actor"]["actors"], key=lambda n: -ph["per_actor"]["actors"][n]["seconds"]):
        a, c = ph["per_actor"]["actors"][name], pb["per_actor"]["actors"][name]
        rows.append([f"{name} ({a['model']})", f"{a['us_per_step']:.1f} ({share(ph, name):.0%})",
                     f"{c['us_per_step']:.1f} ({share(pb, name):.0%})"])
    L += table(["actor", "HEOS", "BICUBIC&HEOS"], rows)
    for p, title in ((ph, "CoolProp calls per simulated second (µs per call), HEOS run:"),
                     (pb, "The same, BICUBIC&HEOS run (`table ...`: calls on the table):")):
        L += ["", title, ""]
        L += table(["call", "per simulated second", "µs per call"],
                   [[k, f"{v['per_sim_second']:.0f}", f"{v['us_per_call']:.2f}"]
                    for k, v in p["coolprop"]["kinds"].items() if v["per_sim_second"] >= 1])
    top = ph["cprofile"]["top"][:8]
    L += ["", "Largest own times under cProfile, HEOS run (CoolProp's time shows as the own time of "
          "the property-layer function calling it):", ""]
    L += table(["function", "own [s]", "calls"], [[f"`{r['function']}`", f"{r['own_s']:.3f}", r["calls"]] for r in top])
    rec_h, rec_b = ph["per_actor"]["actors"]["recuperator"], pb["per_actor"]["actors"]["recuperator"]
    L += ["", "## What was done, and what is left", "",
          "- **Property layer** (`cryocosim.fmus.properties.gas`): no `PropsSI` in a stepping loop; one HEOS "
          "`AbstractState` per actor; Newton on the cheap density-temperature update with CoolProp's "
          "flashes only as fall-backs; a density-temperature update whose inputs the state already "
          "holds is skipped (the compressor's suction state, the isentropic end state, the gas "
          "volumes' new state, and every enthalpy or cp after a density Newton were evaluated "
          "twice); exchangers read only cp where they need cp. HEOS results are bit for bit those of "
          "before (`tests/test_gas.py` pins them).",
          "- **Tabular backend**: `property_backend = \"BICUBIC&HEOS\"` (or the coarser `\"TTSE&HEOS\"`) "
          "in `[defaults]`; it replaces the two most expensive HEOS evaluations, the "
          "pressure-temperature flash of T(p, h) and the density Newton of rho(p, T).",
          "- **Recuperator**: numpy's compiled `interp` without its argument checks and a method "
          "`max` instead of `np.max` (same results); its step is the implicit banded solve on "
          f"arrays of {3 * (n_cells + 1)} unknowns, {rec_h['us_per_step']:.0f} µs with HEOS and "
          f"{rec_b['us_per_step']:.0f} µs with the table, where it is the largest single cost.",
          "- **Start-up**: matplotlib only with `--plot`; CoolProp imported by the first gas "
          "property evaluation; scipy's constants written out and LAPACK imported by the "
          "recuperator's set-up, not with the module; `cryocosim.System` imported on first use.",
          "- **Left**: with HEOS the loop is mostly CoolProp's own time, and the remaining HEOS calls "
          "can only shrink by changing results within the Newton tolerances (a density-temperature "
          "Newton for T(p, h) instead of pressure-temperature flashes, densities started from the "
          "previous step's), which this page's bit-for-bit rule excludes; the master and bus cost "
          "per actor step is the engine's (`docs/scripts/bench_engine_overhead.py`).", "",
          "## Engine overhead with a trivial actor", "",
          f"First-order lag, 20,000 steps of 0.01 s, native: {trivial:.1f} µs per step (the engine's "
          "simpy event, bus reads and publishes, the trivial model).", ""]
    path.write_text("\n".join(L))


if __name__ == "__main__":
    main()
