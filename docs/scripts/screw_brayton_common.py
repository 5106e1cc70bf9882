"""Shared pieces of the screw-Brayton validation scripts: the patent's cycle points, where each
point sits among our actors, and steady-state runs of a scenario with the load held at a fixed
temperature (seed 000, description of Figs. 6 and 7)."""
from __future__ import annotations

from pathlib import Path

import CoolProp.CoolProp as CP

from cryocosim import scenario

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "scenarios/screw_brayton_cooldown.toml"
PATENT = ROOT / "scenarios/screw_brayton_patent.toml"
ATM = 101325.0

# The patent's calculated cycle.  The OCR of the seed reads point 1 as "1990 E" at "1 2 atmosphere":
# read as 299 K at 1/2 atm (the recuperator's warm end, 1 K below point 3); point 2 has no
# temperature in the text.
POINTS = {
    1: ("compressor suction", 0.5 * ATM, 299.0),
    2: ("compressor discharge", 1.0 * ATM, None),
    3: ("aftercooler outlet", 1.0 * ATM, 300.0),
    4: ("expander inlet", 1.0 * ATM, 185.0),
    5: ("expander outlet", 0.5 * ATM, 177.0),
    6: ("load exchanger outlet", 0.5 * ATM, 184.0),
}
# where each point sits in our actors (pressure, temperature)
OURS = {
    1: ("lp.p", "recuperator.T_cold_out"),
    2: ("hp.p", "compressor.T_out"),
    3: ("hp.p", "aftercooler.T_out"),
    4: ("hp.p", "recuperator.T_hot_out"),
    5: ("lp.p", "expander.T_out"),
    6: ("lp.p", "load_hx.T_out"),
}


def patent_refrigeration_per_kg() -> float:
    """The patent's specific refrigeration h(0.5 atm, 184 K) - h(0.5 atm, 177 K) [J/kg] (CoolProp)."""
    h = lambda T: CP.PropsSI("H", "P", 0.5 * ATM, "T", T, "Nitrogen")  # noqa: E731 (a script)
    return h(184.0) - h(177.0)


def run(path: Path, stop=None, overrides=None, interval=None, output=None):
    system, settings = scenario.load(path, overrides)
    options = settings.run_options()
    if interval:
        options["output_interval"] = interval
    return system.run(stop or settings.stop_time, output=output, **options)


def held_load(T_load: float) -> dict:
    """Overrides that hold the load at ``T_load`` [K]: a copper mass of 1e5 kg (its temperature
    moves by under 0.1 K while it gives up a few hundred W for 1.5 h) with no applied heat."""
    return {"load.mass": "1e5 kg", "load.T_start": T_load, "load.heat_applied": 0.0}


def steady_state(path: Path, T_load: float | None = None, overrides=None, stop: float = 5400.0) -> dict:
    """The last record of a run of ``stop`` s from rest (load held at ``T_load`` if given), with
    the change of the refrigeration over the last 10 minutes as a steadiness check."""
    ov = dict(overrides or {})
    if T_load is not None:
        ov.update(held_load(T_load))
    ds = run(path, stop=stop, overrides=ov, interval=60.0)
    last = ds.isel(time=-1)
    before = ds.sel(time=float(ds.time[-1]) - 600.0)
    out = {name: float(last[name]) for name in ds.data_vars}
    out["drift_heat_load_10min"] = out["load_hx.heat_load"] - float(before["load_hx.heat_load"])
    out["drift_T_hot_out_10min"] = out["recuperator.T_hot_out"] - float(before["recuperator.T_hot_out"])
    return out
