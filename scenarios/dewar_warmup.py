"""Python scenario script: how fast does the copper load warm up when the refrigerator stops?

Builds a one-actor system with the Python API (no TOML), runs it, and prints the warm-up times.
Run: .venv/bin/python scenarios/dewar_warmup.py
"""
from cryocosim import System, events_of

s = System("dewar warm-up")
s.add("load", "thermal_load", step="10 s", mass="2 kg", T_start="180 K",
      heat_applied="0 W", heat_removed=0.0,            # refrigeration lost: only parasitics remain
      emissivity_load=0.05, gas_pressure="1e-5 torr")
s.at("2 h", name="vacuum leak", set={"load.gas_pressure": "1e-3 torr"})
s.when("load.T > 200 K", name="load above 200 K")
s.when("load.T > 250 K", name="load above 250 K", stop=True)
ds = s.run("24 h", output="results/dewar_warmup.nc", output_interval="1 min")

for ev in events_of(ds):
    print(f"{ev['time'] / 3600:6.2f} h  {ev['name']}")
print(f"parasitic load at the end: {float(ds['load.heat_parasitic'][-1]):.2f} W")
