"""Python scenario script: the default screw-Brayton cool-down with each of the patent's gases
for the first 20 minutes (nitrogen, argon; neon and helium need other machine sizes).

Run: .venv/bin/python scenarios/compare_gases.py
"""
from cryocosim import scenario

for gas in ("nitrogen", "argon"):
    overrides = {f"{a}.fluid": gas for a in
                 ("compressor", "expander", "hp", "lp", "aftercooler", "recuperator", "load_hx")}
    system, settings = scenario.load("scenarios/screw_brayton_cooldown.toml", overrides)
    ds = system.run("20 min", output=f"results/compare_{gas}.nc", output_interval=settings.output_interval)
    last = ds.isel(time=-1)
    print(f"{gas:9s} load {float(last['load.T']):6.1f} K  mass flow {1e3 * float(last['expander.mdot']):5.1f} g/s  "
          f"high/low pressure {float(last['hp.p']) / 1e3:5.1f}/{float(last['lp.p']) / 1e3:5.1f} kPa")
