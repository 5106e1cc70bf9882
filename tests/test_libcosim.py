"""Every registered model's FMU runs alone in libcosim and gives the native actor's numbers.

Users run our FMUs in FMI masters other than the engine.  This module takes every model of the
``cryocosim.models`` entry points, exports it (:func:`cryocosim.fmi.export.fmu_cache`) and runs it
for a few steps at its ``default_step``, inputs held, in three ways:

* the native actor (inputs set, ``setup()``, ``initialize_outputs(0)``, ``do_step``);
* the FMU in fmpy (``FMU2Slave``: inputs set in initialisation mode, ``doStep``, ``getReal``);
* the FMU alone in libcosim (libcosimpy: fixed-step execution, inputs as initial values, a
  last-value observer reading the outputs after each step).

It compares every Real output after each step.  The FMU runs the very same Python code as the
native actor, in this interpreter (see tests/test_fmi.py), so native and fmpy must agree bit for
bit.  libcosim's step size is not quite ``default_step``: it counts time in integer nanoseconds
and passes ``stepSize = t(k+1) - t(k)``, both converted to double seconds (e.g. 0.15 - 0.1 =
0.04999999999999999 for a 0.05 s step).  So libcosim is checked twice: exactly, against the
native actor stepped with that same step sequence, and to rounding, against the nominal step.
"""
from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points

import fmpy
import pytest
from fmpy.fmi2 import FMU2Slave

from cryocosim import Causality
from cryocosim.fmi.export import fmu_cache

from libcosimpy.CosimExecution import CosimExecution  # the `test` extra
from libcosimpy.CosimLogging import CosimLogLevel, log_output_level
from libcosimpy.CosimObserver import CosimObserver
from libcosimpy.CosimSlave import CosimLocalSlave

STEPS = 5

# Inputs set instead of their start values, where the start values give a trivial run (no flow,
# no speed, no heat load, equal pressures).  Enthalpies are nitrogen's (CoolProp) at the given
# temperature and pressure, rounded.  Models not listed run at their declared start values.
INPUTS = {
    "aftercooler": {"mdot": 0.002, "T_in": 384.25, "h_in": 399002.0},  # a compressor's discharge
    "buffer_volume": {"mdot_in": 1e-4, "mdot_out": 2e-5},
    "buffer_volume_station": {"mdot_in": 1e-4, "mdot_out": 2e-5, "T_station": 250.0},
    "check_valve": {"p_up": 1.2e5},  # open: 0.2 bar forward
    "gas_volume": {"mdot_in": 0.002, "h_in": 399002.0, "mdot_out": 0.001},
    "hybrid_cooler": {"T_E": 180.0, "T_L": 40.0},   # the cool-down's stations (hybrid_cooldown.toml)
    "hybrid_exchangers": {"mdot": 1e-4, "T_turbine_out": 25.0},
    "hybrid_exchangers_station": {"mdot": 1e-4, "T_turbine_out": 25.0, "T_warm": 90.0, "T_load": 30.0},
    "jt_stage": {"heat_load": 0.5},
    "load_exchanger": {"mdot": 0.002, "T_in": 150.0, "h_in": 155130.65, "T_load": 160.0},
    "motor": {"speed": 1000.0},
    "recuperator": {"mdot_hot": 0.002, "h_hot_in": 311193.45,
                    "mdot_cold": 0.002, "T_cold_in": 150.0, "h_cold_in": 155130.65},
    "screw_compressor": {"speed": 1000.0},
    "screw_expander": {"speed": 500.0},
    "shaft": {"motor_torque": 2.0, "compressor_torque": 0.5, "expander_torque": 0.2},
    "stirling_stage_station": {"T_station": 250.0, "mdot_out": 1e-4},
    "thermal_load": {"heat_removed": 5.0},
    "thermal_station": {"heat_in": 2.0, "heat_out": 0.5},
    "turbine": {"p_out": 1e6},
}

# libcosim against the native actor at the nominal step: the step sizes differ by one ulp (a
# relative 2e-16); cancellation in small differences of large numbers amplifies that (the
# recuperator's heat_transfer = mdot * (h_in - h_out), 670 J/kg out of 311,000: measured 2.1e-11
# relative after 5 steps; the shaft's friction power 2.4e-14).  The exact check beside it shows
# that the step sequence is the whole difference.
RTOL_NOMINAL_STEP = 1e-9

_MODELS = sorted(entry_points(group="cryocosim.models"), key=lambda ep: ep.name)


@pytest.fixture(scope="module")
def fmu_dir(tmp_path_factory):
    log_output_level(CosimLogLevel.ERROR)  # libcosim logs at debug level by default
    return tmp_path_factory.mktemp("fmus")


def real_outputs(cls) -> list[str]:
    return [v.name for v in cls.variables if v.causality == Causality.output and v.type is float]


def times(h_ns: int) -> list[float]:
    """Communication points in s as libcosim computes them from its integer nanoseconds."""
    return [k * h_ns / 1e9 for k in range(STEPS + 1)]


def run_native(cls, inputs: dict, steps: list[tuple[float, float]]) -> list[list[float]]:
    """The actor driven as the FMU wrapper drives it (cryocosim.fmi.slave): inputs set in
    initialisation mode, then setup() and initialize_outputs(start time) when it ends."""
    actor = cls(name="native")
    for name, value in inputs.items():
        setattr(actor, name, value)
    actor.setup()
    actor.initialize_outputs(0.0)
    outputs, rows = real_outputs(cls), []
    for t, h in steps:
        actor.do_step(t, h)
        rows.append([getattr(actor, name) for name in outputs])
    actor.terminate()
    return rows


def run_fmpy(path, cls, inputs: dict, steps: list[tuple[float, float]], unzip_dir) -> list[list[float]]:
    md = fmpy.read_model_description(str(path))
    vr = {v.name: v.valueReference for v in md.modelVariables}
    slave = FMU2Slave(guid=md.guid, unzipDirectory=fmpy.extract(str(path), unzipdir=str(unzip_dir)),
                      modelIdentifier=md.coSimulation.modelIdentifier, instanceName="fmpy")
    slave.instantiate()
    slave.setupExperiment(startTime=0.0)
    slave.enterInitializationMode()
    if inputs:
        slave.setReal([vr[name] for name in inputs], list(inputs.values()))
    slave.exitInitializationMode()
    refs, rows = [vr[name] for name in real_outputs(cls)], []
    for t, h in steps:
        slave.doStep(t, h)
        rows.append(slave.getReal(refs))
    slave.terminate()
    slave.freeInstance()
    return rows


def run_libcosim(path, cls, inputs: dict, h_ns: int) -> list[list[float]]:
    execution = CosimExecution.from_step_size(h_ns)
    index = execution.add_local_slave(CosimLocalSlave(str(path), "libcosim"))
    vr = {v.name.decode(): v.reference for v in execution.slave_variables(index)}
    observer = CosimObserver.create_last_value()
    execution.add_observer(observer)
    for name, value in inputs.items():  # set in initialisation mode, as fmpy does above
        execution.real_initial_value(index, vr[name], value)
    refs, rows = [vr[name] for name in real_outputs(cls)], []
    for k in range(STEPS):
        assert execution.step(1), f"libcosim failed at step {k}"
        rows.append(observer.last_real_values(index, refs))
    assert execution.status().current_time == STEPS * h_ns
    del observer, execution
    return rows


def mismatches(a, b, outputs, exact=True, rtol=0.0):
    """(step, output, a, b) where the two runs differ (beyond rtol unless exact)."""
    bad = []
    for k, (ra, rb) in enumerate(zip(a, b)):
        for name, x, y in zip(outputs, ra, rb):
            if x == y:
                continue
            if exact or not abs(x - y) <= rtol * max(abs(x), abs(y)):
                bad.append((k, name, x, y))
    return bad


@pytest.mark.parametrize("ep", _MODELS, ids=[ep.name for ep in _MODELS])
def test_fmu_alone_in_libcosim_matches_fmpy_and_native(ep, fmu_dir, tmp_path, keep_sys_path):
    cls = ep.load()
    inputs = INPUTS.get(ep.name, {})
    declared = cls.variable_map()
    for name in inputs:
        assert name in declared and declared[name].causality == Causality.input, f"{name} is not an input"
    h = float(cls.default_step)
    h_ns = round(h * 1e9)
    assert h_ns / 1e9 == h, "default_step is not a whole number of nanoseconds"
    t = times(h_ns)
    nominal = [(t[k], h) for k in range(STEPS)]
    as_libcosim = [(t[k], t[k + 1] - t[k]) for k in range(STEPS)]  # libcosim's stepSize per step
    outputs = real_outputs(cls)
    path = fmu_cache(cls, fmu_dir)

    native = run_native(cls, inputs, nominal)
    starts = [declared[name].start for name in outputs]
    assert any(row != starts for row in native), "a trivial run: every output stays at its start value"

    fmu = run_fmpy(path, cls, inputs, nominal, tmp_path / "unzipped")
    assert mismatches(native, fmu, outputs) == [], "fmpy and the native actor differ"

    lc = run_libcosim(path, cls, inputs, h_ns)
    assert mismatches(run_native(cls, inputs, as_libcosim), lc, outputs) == [], \
        "libcosim differs from the native actor stepped with libcosim's own step sizes"
    assert mismatches(native, lc, outputs, exact=False, rtol=RTOL_NOMINAL_STEP) == [], \
        "libcosim differs from the native actor at the nominal step beyond rounding"
