"""Wall time and real-time factor of the default cool-down, native and FMU path, and the engine's
own overhead beside fmpy.simulate_fmu on the same trivial FMU.

Writes docs/benchmarks.md.  Usage: python docs/scripts/bench_cooldown.py [--quick]
"""
import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import fmpy  # noqa: E402

from cryocosim import System, scenario  # noqa: E402
from cryocosim.fmi.export import export_fmu  # noqa: E402


def cooldown(stop, fmu):
    system, settings = scenario.load(ROOT / "scenarios/screw_brayton_cooldown.toml")
    t0 = time.perf_counter()
    ds = system.run(stop, ordering=settings.ordering, output_interval=settings.output_interval, fmu=fmu)
    wall = time.perf_counter() - t0
    steps = int(ds.attrs["actor_steps"])
    return wall, steps


def trivial_overhead(n_steps=20000):
    """One first-order-lag actor, 20,000 steps: engine native, engine with the FMU, fmpy.simulate_fmu."""
    import fmi_fixture_actor

    out = Path(tempfile.mkdtemp())
    fmu_path = export_fmu(fmi_fixture_actor.FirstOrderLag, out)
    rows = {}
    for label, model in (("engine, native actor", "fmi_fixture_actor:FirstOrderLag"),
                         ("engine, same model as FMU (fmpy)", str(fmu_path))):
        s = System("trivial")
        s.add("lag", model, step=0.01, u=1.0)
        t0 = time.perf_counter()
        s.run(n_steps * 0.01, output_interval=n_steps * 0.01)
        rows[label] = (time.perf_counter() - t0) / n_steps * 1e6
    t0 = time.perf_counter()
    fmpy.simulate_fmu(str(fmu_path), stop_time=n_steps * 0.01, output_interval=0.01, step_size=0.01)
    rows["fmpy.simulate_fmu, same FMU"] = (time.perf_counter() - t0) / n_steps * 1e6
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="simulate 10 min instead of the whole 3 h")
    args = ap.parse_args()
    stop = 600.0 if args.quick else 3 * 3600.0
    lines = ["<!-- written by docs/scripts/bench_cooldown.py; do not edit -->", "# Benchmarks", "",
             f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
             f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores. Single runs.", "",
             "## Default cool-down (`scenarios/screw_brayton_cooldown.toml`)", "",
             "| path | simulated | wall time [s] | real-time factor | actor steps | µs per actor step |",
             "| --- | --- | --- | --- | --- | --- |"]
    for fmu in (False, True):
        wall, steps = cooldown(stop, fmu)
        lines.append(f"| {'FMU (fmpy)' if fmu else 'native'} | {stop / 3600:.2f} h | {wall:.1f} | {stop / wall:.0f} | "
                     f"{steps} | {wall / steps * 1e6:.1f} |")
    lines += ["", "## Engine overhead with a trivial actor (first-order lag, 20,000 steps of 0.01 s)", "",
              "| runner | µs per step |", "| --- | --- |"]
    for label, us in trivial_overhead().items():
        lines.append(f"| {label} | {us:.1f} |")
    (ROOT / "docs/benchmarks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
