"""SSP 1.0 systems (cryocosim.ssp): export a scenario as an SSP, run it in libcosim, run SSPs here.

* The screw-Brayton cool-down exported as an SSP: the package's content; libcosim loads it
  (``CosimExecution.from_ssp_file``) and its fixed-step run agrees with the engine's fixed explicit
  Jacobi run; the package read back here reproduces the scenario's run bit for bit.
* A multi-rate system (steps 0.1/0.2/0.3/0.5 s, a bar -> Pa connection, Integer/Boolean/String
  parameters) exported and run in libcosim: the per-component steps are honoured.
* A hand-written SSD (parameter bindings inline, in a .ssv file and at system level with a
  prefix; units on parameter values and connectors; linear transformations, with and without
  suppressUnitConversion; a connection written from input to output) over FMUs of the test
  actors gives the same system, and the same run, as the system built by hand with the System API.
* Bad SSPs: one-line ConfigurationErrors naming the file, the line and the element; the command
  line prints one line and exits 2.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from cryocosim import Causality, ConfigurationError, System
from cryocosim import scenario, ssp
from cryocosim.bus import Link
from cryocosim.errors import CryocosimWarning
from cryocosim.fmi.export import fmu_cache
from engine_actors import Constant, Counter, Integrator, Oscillator, Valve
from fmi_fixture_actor import FirstOrderLag, Mixed

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).parent
COOLDOWN = ROOT / "scenarios/screw_brayton_cooldown.toml"
H = 0.05          # every actor's step in the screw-Brayton scenario
STOP = 3.0        # simulated seconds compared with libcosim (60 steps; libcosim takes ~60 ms a step)
NSD = ssp.NS["ssd"]

# libcosim against the engine, per variable: |libcosim - engine| / (largest |value| of that
# variable over the run).  Both run the same Python models from the same start with Jacobi
# coupling at the same steps (the first step, 0 -> 0.05 s, is bit for bit the same: a consistent
# initialisation); afterwards libcosim's step size is a difference of two integer-nanosecond times
# converted to double (0.15 - 0.1 = 0.04999999999999999 s for 0.05 s), ~1e-16 relative per step,
# which the start-up (flow from rest) amplifies: measured 2.1e-11 at most over 3 s (load_hx.heat_load,
# the recuperator's effectiveness and duty: small differences of large enthalpies).  1e-9 leaves a
# margin of 50 and is still 7 orders below a modelling difference (one actor's step changed to
# 0.1 s gives 1.0, a 1.5 % start error 1e-2).
RTOL_LIBCOSIM = 1e-9
# ... except where the model itself cancels: the expander's bearing heat is proportional to
# T_oil - T_in, two temperatures within millikelvin of 300 K during the start-up, which magnifies
# the 1e-13 relative differences of T_in a million times: measured 2.0e-8 (at 2.65 s).
RTOL_ILL_CONDITIONED = {"expander.heat_bearing": 1e-6}
# the multi-rate system has no such amplification (linear, exact for held inputs)
RTOL_MULTIRATE = 1e-12
# the hand-written SSD against the same system built by hand: the same Python code (FMUs and native
# actors agree bit for bit, tests/test_fmi.py); only a unit-converted parameter or link factor may
# come out one ulp apart (the SSP reader converts exactly, then rounds once)
RTOL_SAME = 1e-12


# pythonfmu prepends the FMU's resources/ folder to sys.path at every instantiation: every test
# here restores it (conftest.keep_sys_path)
pytestmark = pytest.mark.usefixtures("keep_sys_path")


@pytest.fixture(scope="module")
def libcosim():
    lc = pytest.importorskip("libcosimpy.CosimExecution")
    from libcosimpy.CosimLogging import CosimLogLevel, log_output_level

    log_output_level(CosimLogLevel.ERROR)  # libcosim logs at debug level by default
    return lc.CosimExecution


def real_outputs(actor) -> list[str]:
    return [v.name for v in actor.variables if v.causality == Causality.output and v.type is float]


def run_libcosim(CosimExecution, path: Path, system: System, steps: int) -> tuple[list[dict], int]:
    """Step libcosim's execution of the SSP ``steps`` base steps; after each, every Real output of
    every component by name (last-value observer).  Returns the rows and the base step (ns)."""
    from libcosimpy.CosimObserver import CosimObserver

    execution = CosimExecution.from_ssp_file(str(path))
    index = {info.name.decode(): info.index for info in execution.slave_infos()}
    assert sorted(index) == sorted(system.bus.actors)
    observer = CosimObserver.create_last_value()
    execution.add_observer(observer)
    refs = {}
    for name, i in index.items():
        vr = {v.name.decode(): v.reference for v in execution.slave_variables(i)}
        names = real_outputs(system.bus.actors[name])
        refs[name] = (i, names, [vr[n] for n in names])
    rows = []
    for k in range(steps):
        assert execution.step(1), f"libcosim failed at step {k}"
        row = {}
        for name, (i, names, vrs) in refs.items():
            row.update({f"{name}.{n}": x for n, x in zip(names, observer.last_real_values(i, vrs))})
        rows.append(row)
    base = execution.status().current_time // steps
    del observer, execution
    return rows, base


def by_name(rec) -> list[dict]:
    names = [c[0] for c in rec.columns]
    return [dict(zip(names, row)) for row in rec.rows]


# =============================================================================================
# the screw-Brayton cool-down as an SSP
# =============================================================================================
@pytest.fixture(scope="module")
def cooldown(tmp_path_factory):
    """(system, settings, ssp path, the engine's fixed explicit Jacobi run to STOP recorded every step)."""
    tmp = tmp_path_factory.mktemp("cooldown")
    system, settings = scenario.load(COOLDOWN)
    with pytest.warns(CryocosimWarning) as caught:
        path = ssp.export_system(system, tmp / "cooldown.ssp", settings, stop_time=STOP, fmu_dir=tmp / "fmus")
    messages = [str(w.message) for w in caught]
    assert settings.ordering == "jacobi"
    rec = system.run(STOP, tolerance=None, iterate=False, ordering=settings.ordering, output_interval=H, dataset=False)
    return system, settings, path, rec, messages


def test_export_writes_an_ssp_1_0_package(cooldown):
    system, settings, path, _, messages = cooldown
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        root = ET.fromstring(zf.read(ssp.SSD_NAME))
        motor_ssv = ET.fromstring(zf.read("resources/motor.ssv"))
    # one FMU per model (hp and lp share GasVolume.fmu), one parameter set per actor with parameters
    fmus = {n for n in names if n.endswith(".fmu")}
    assert fmus == {f"resources/{cls.__name__}.fmu" for cls in system.models.values()} and len(fmus) == 9
    assert {f"resources/{a}.ssv" for a in system.bus.actors if system.params[a]} <= names
    q = lambda tag: tag.replace("ssd:", f"{{{NSD}}}").replace("ssc:", f"{{{ssp.NS['ssc']}}}") \
        .replace("ssv:", f"{{{ssp.NS['ssv']}}}").replace("osp:", f"{{{ssp.NS['osp']}}}")  # noqa: E731
    assert root.tag == q("ssd:SystemStructureDescription") and root.get("version") == "1.0"
    comps = {c.get("name"): c for c in root.find(q("ssd:System")).find(q("ssd:Elements"))}
    assert list(comps) == list(system.bus.actors)
    hp = comps["hp"]
    assert hp.get("source") == "resources/GasVolume.fmu" and hp.get("type") == "application/x-fmu-sharedlibrary"
    kinds = {c.get("name"): (c.get("kind"), c[0].tag, c[0].get("unit")) for c in hp.find(q("ssd:Connectors"))}
    assert kinds["p"] == ("output", q("ssc:Real"), "Pa") and kinds["mdot_in"] == ("input", q("ssc:Real"), "kg/s")
    assert kinds["volume"] == ("parameter", q("ssc:Real"), "m3") and kinds["fluid"][:2] == ("parameter", q("ssc:String"))
    # every actor's step as the OSP annotation libcosim reads; exact in its integer nanoseconds
    for c in comps.values():
        hint = c.find(f"{q('ssd:Annotations')}/{q('ssc:Annotation')}/{q('osp:StepSizeHint')}")
        assert int(float(hint.get("value")) * 1e9) == 50_000_000
    connections = root.find(q("ssd:System")).find(q("ssd:Connections"))
    assert len(connections) == len(system.bus.links) == 40
    assert {(c.get("startElement"), c.get("startConnector"), c.get("endElement"), c.get("endConnector"))
            for c in connections} == {(l.src, l.src_var, l.dst, l.dst_var) for l in system.bus.links}
    units = {u.get("name"): u.find(q("ssc:BaseUnit")).attrib for u in root.find(q("ssd:Units"))}
    assert units["rad/s"] == {"s": "-1", "rad": "1"} and units["J/kg"] == {"m": "2", "s": "-2"}
    assert units["N.m.s/rad"] == {"kg": "1", "m": "2", "s": "-1", "rad": "-1"}
    de = root.find(q("ssd:DefaultExperiment"))
    assert float(de.get("startTime")) == 0.0 and float(de.get("stopTime")) == STOP
    algo = de.find(f"{q('ssd:Annotations')}/{q('ssc:Annotation')}/{q('osp:Algorithm')}/{q('osp:FixedStepAlgorithm')}")
    assert int(float(algo.get("baseStepSize")) * 1e9) == 50_000_000
    # parameter values in the FMU variables' units: 10500 rpm as rad/s
    values = {p.get("name"): p[0].attrib for p in motor_ssv.find(q("ssv:Parameters"))}
    assert float(values["sync_speed"]["value"]) == system.bus.actors["motor"].sync_speed
    assert values["sync_speed"]["unit"] == "rad/s" and abs(float(values["sync_speed"]["value"]) - 1099.557) < 1e-3
    # what SSP cannot carry is said
    assert any("1 event not carried" in m and "load below 200 K" in m for m in messages)
    assert any("adaptive step control and iterated coupling not carried" in m for m in messages)


def test_exported_ssp_read_back_reproduces_the_scenario_bit_for_bit(cooldown):
    """The package's FMUs run the very Python code of the native actors: same numbers."""
    system, settings, path, rec, _ = cooldown
    twin, twin_settings = ssp.load(path)
    assert twin.steps == system.steps and twin_settings.stop_time == STOP
    assert twin_settings.ordering == "jacobi" and twin_settings.output_interval == settings.output_interval
    assert {(l.src, l.src_var, l.dst, l.dst_var, l.scale, l.offset) for l in twin.bus.links} == \
        {(l.src, l.src_var, l.dst, l.dst_var, l.scale, l.offset) for l in system.bus.links}
    for name, params in system.params.items():
        actor, fmu = system.bus.actors[name], twin.bus.actors[name]
        assert {k: getattr(fmu, k) for k in params} == {k: getattr(actor, k) for k in params}, name
    out = twin.run(STOP, ordering=twin_settings.ordering, output_interval=H, dataset=False)
    # the scenario's [derived] quantities are the engine's own (not in an SSP): its last columns
    n = len(rec.columns) - len(system.derived)
    assert [c[0] for c in out.columns] == [c[0] for c in rec.columns[:n]]
    assert out.times == rec.times and out.rows == [row[:n] for row in rec.rows]


def test_libcosim_runs_the_exported_cooldown_like_the_engine(cooldown, libcosim):
    system, _, path, rec, _ = cooldown
    n = round(STOP / H)
    lc, base = run_libcosim(libcosim, path, system, n)
    assert base == 50_000_000  # the SSP's fixed-step algorithm and step hints: 0.05 s
    engine = by_name(rec)[1:]  # records at 0.05, 0.10, ... (row 0 is the start)
    assert len(engine) == n and rec.times[-1] == STOP
    # the parameter values of the .ssv files reached the FMUs: the motor's torque follows them
    assert lc[0]["motor.torque"] == engine[0]["motor.torque"] != 0.0
    # the same start: the first step (0 -> 0.05 s, the same step size in both) agrees to the bit
    assert {k: x for k, x in lc[0].items() if x != engine[0][k]} == {}
    scale = {k: max(max(abs(r[k]), abs(e[k])) for r, e in zip(lc, engine)) for k in lc[0]}
    bad = [(k, (i + 1) * H, r[k], e[k], abs(r[k] - e[k]) / scale[k])
           for i, (r, e) in enumerate(zip(lc, engine)) for k in r
           if abs(r[k] - e[k]) > RTOL_ILL_CONDITIONED.get(k, RTOL_LIBCOSIM) * scale[k]]
    assert bad == [], f"libcosim and the engine differ ({len(bad)} values; first: {bad[0]})"


# =============================================================================================
# a multi-rate system: libcosim honours the per-component steps
# =============================================================================================
def multirate_system() -> System:
    s = System("multirate")
    s.add("a", Oscillator, 0.1, k=1.0, x_start=1.0)
    s.add("b", Oscillator, 0.2, k=-1.0, x_start=0.0)
    s.add("counter", Counter, 0.3)
    s.add("mix", Mixed, 0.5, n=2, enabled=True, fluid="nitrogen", on=True)
    s.add("valve", Valve, 0.1, G="1 L/s", p2="1 bar")
    s.connect("b.x", "a.u")
    s.connect("a.x", "b.u")
    s.connect("mix.p", "valve.p1")  # bar -> Pa
    return s


def test_libcosim_honours_per_component_steps(tmp_path, libcosim):
    system = multirate_system()
    path = ssp.export_system(system, tmp_path / "multirate.ssp", stop_time=3.0, fmu_dir=tmp_path / "fmus",
                             inline_parameters=True)
    with zipfile.ZipFile(path) as zf:
        assert not any(n.endswith(".ssv") for n in zf.namelist())  # inline this time
        root = ET.fromstring(zf.read(ssp.SSD_NAME))
    lt = [c for c in root.iter(f"{{{NSD}}}Connection") if c.get("endConnector") == "p1"][0]
    assert lt.get("suppressUnitConversion") == "true" and float(lt[0].get("factor")) == 1e5
    rec = system.run(3.0, ordering="jacobi", output_interval=0.1, dataset=False)
    engine = by_name(rec)[1:]
    lc, base = run_libcosim(libcosim, path, system, 30)
    assert base == 100_000_000  # the greatest common divisor of the steps
    bad = []
    for i, (r, e) in enumerate(zip(lc, engine)):
        t_ns = (i + 1) * base
        for key in r:
            actor = key.partition(".")[0]
            if t_ns % round(system.steps[actor] * 1e9):
                continue  # mid-step: libcosim already shows the step's end, the engine its start
            if abs(r[key] - e[key]) > RTOL_MULTIRATE * max(abs(r[key]), abs(e[key])):
                bad.append((t_ns / 1e9, key, r[key], e[key]))
    assert bad == []
    last = lc[-1]
    assert last["counter.n"] == 10.0 and last["counter.elapsed"] == pytest.approx(3.0, rel=1e-14)  # 10 steps of 0.3 s
    assert last["mix.p"] == pytest.approx(1.0 + 0.1 * 2 * 6)  # 6 steps of 0.5 s, n = 2 (an ssv:Integer)
    # the valve's last step (from 2.9 s) saw mix.p as of 2.5 s, 2.0 bar, converted to Pa
    assert last["valve.q"] == pytest.approx(1e-3 * ((1.0 + 0.1 * 2 * 5) * 1e5 - 1e5))


# =============================================================================================
# a hand-written SSD
# =============================================================================================
HAND_SSD = """<?xml version="1.0" encoding="UTF-8"?>
<ssd:SystemStructureDescription version="1.0" name="handmade"
    xmlns:ssd="http://ssp-standard.org/SSP1/SystemStructureDescription"
    xmlns:ssc="http://ssp-standard.org/SSP1/SystemStructureCommon"
    xmlns:ssv="http://ssp-standard.org/SSP1/SystemStructureParameterValues"
    xmlns:osp="http://opensimulationplatform.com/SSP/OSPAnnotations">
  <ssd:System name="demo">
    <ssd:ParameterBindings>
      <!-- a system-level binding for one element through a prefix: beats the component's own -->
      <ssd:ParameterBinding prefix="integ.">
        <ssd:ParameterValues>
          <ssv:ParameterSet version="1.0" name="system">
            <ssv:Parameters>
              <ssv:Parameter name="x_start"><ssv:Real value="1" unit="kJ"/></ssv:Parameter>
            </ssv:Parameters>
          </ssv:ParameterSet>
        </ssd:ParameterValues>
      </ssd:ParameterBinding>
    </ssd:ParameterBindings>
    <ssd:Elements>
      <ssd:Component name="lag" type="application/x-fmu-sharedlibrary" source="resources/FirstOrderLag.fmu">
        <ssd:Connectors>
          <ssd:Connector name="u" kind="input"><ssc:Real unit="K"/></ssd:Connector>
          <ssd:Connector name="y" kind="output"><ssc:Real unit="K"/></ssd:Connector>
        </ssd:Connectors>
        <ssd:ParameterBindings>
          <ssd:ParameterBinding>
            <ssd:ParameterValues>
              <ssv:ParameterSet version="1.0" name="lag">
                <ssv:Parameters>
                  <ssv:Parameter name="tau"><ssv:Real value="0.1" unit="min"/></ssv:Parameter>
                  <ssv:Parameter name="y0"><ssv:Real value="20" unit="degC"/></ssv:Parameter>
                  <ssv:Parameter name="gain"><ssv:Real value="0.9"/></ssv:Parameter>
                  <ssv:Parameter name="label"><ssv:String value="ssp"/></ssv:Parameter>
                  <ssv:Parameter name="colour"><ssv:String value="red"/></ssv:Parameter>
                </ssv:Parameters>
              </ssv:ParameterSet>
            </ssd:ParameterValues>
          </ssd:ParameterBinding>
        </ssd:ParameterBindings>
        <ssd:Annotations>
          <ssc:Annotation type="com.opensimulationplatform"><osp:StepSizeHint value="0.5"/></ssc:Annotation>
        </ssd:Annotations>
      </ssd:Component>
      <ssd:Component name="mix" source="resources/Mixed.fmu">
        <ssd:Connectors>
          <ssd:Connector name="T" kind="output"><ssc:Real unit="degC"/></ssd:Connector>
          <ssd:Connector name="p" kind="output"><ssc:Real/></ssd:Connector>
        </ssd:Connectors>
        <ssd:ParameterBindings>
          <ssd:ParameterBinding>
            <ssd:ParameterValues>
              <ssv:ParameterSet version="1.0" name="mix">
                <ssv:Parameters>
                  <ssv:Parameter name="n"><ssv:Integer value="2"/></ssv:Parameter>
                  <ssv:Parameter name="enabled"><ssv:Boolean value="true"/></ssv:Parameter>
                  <ssv:Parameter name="fluid"><ssv:String value="nitrogen"/></ssv:Parameter>
                  <ssv:Parameter name="on"><ssv:Boolean value="true"/></ssv:Parameter>
                </ssv:Parameters>
              </ssv:ParameterSet>
            </ssd:ParameterValues>
          </ssd:ParameterBinding>
        </ssd:ParameterBindings>
        <ssd:Annotations>
          <ssc:Annotation type="com.opensimulationplatform"><osp:StepSizeHint value="1.0"/></ssc:Annotation>
        </ssd:Annotations>
      </ssd:Component>
      <ssd:Component name="src" source="resources/Constant.fmu">
        <ssd:Connectors>
          <ssd:Connector name="y" kind="output"><ssc:Real unit="W"/></ssd:Connector>
        </ssd:Connectors>
        <ssd:ParameterBindings>
          <ssd:ParameterBinding source="parameters/src.ssv"/>
        </ssd:ParameterBindings>
      </ssd:Component>
      <ssd:Component name="integ" source="resources/Integrator.fmu">
        <ssd:ParameterBindings>
          <ssd:ParameterBinding>
            <ssd:ParameterValues>
              <ssv:ParameterSet version="1.0" name="integ">
                <ssv:Parameters>
                  <ssv:Parameter name="x_start"><ssv:Real value="5" unit="J"/></ssv:Parameter>
                </ssv:Parameters>
              </ssv:ParameterSet>
            </ssd:ParameterValues>
          </ssd:ParameterBinding>
        </ssd:ParameterBindings>
      </ssd:Component>
      <ssd:Component name="integ2" source="resources/Integrator.fmu">
        <ssd:Connectors>
          <ssd:Connector name="u" kind="input"><ssc:Real unit="kW"/></ssd:Connector>
        </ssd:Connectors>
      </ssd:Component>
      <ssd:Component name="valve" source="resources/Valve.fmu">
        <ssd:ParameterBindings>
          <ssd:ParameterBinding>
            <ssd:ParameterValues>
              <ssv:ParameterSet version="1.0" name="valve">
                <ssv:Parameters>
                  <ssv:Parameter name="G"><ssv:Real value="1" unit="L/s"/></ssv:Parameter>
                  <ssv:Parameter name="p2"><ssv:Real value="1" unit="bar"/></ssv:Parameter>
                </ssv:Parameters>
              </ssv:ParameterSet>
            </ssd:ParameterValues>
          </ssd:ParameterBinding>
        </ssd:ParameterBindings>
      </ssd:Component>
    </ssd:Elements>
    <ssd:Connections>
      <!-- degC -> K: converted through the connectors' units -->
      <ssd:Connection startElement="mix" startConnector="T" endElement="lag" endConnector="u"/>
      <!-- K -> W: no unit conversion, the transformation alone -->
      <ssd:Connection startElement="lag" startConnector="y" endElement="integ" endConnector="u"
                      suppressUnitConversion="true">
        <ssc:LinearTransformation factor="0.5" offset="-100"/>
      </ssd:Connection>
      <!-- W -> kW (the end connector's unit), then 2 x + 1 kW there -->
      <ssd:Connection startElement="src" startConnector="y" endElement="integ2" endConnector="u">
        <ssc:LinearTransformation factor="2" offset="1"/>
      </ssd:Connection>
      <!-- written from the input to the output; bar -> Pa from the FMUs' own units -->
      <ssd:Connection startElement="valve" startConnector="p1" endElement="mix" endConnector="p"/>
    </ssd:Connections>
  </ssd:System>
  <ssd:Units>
    <ssc:Unit name="K"><ssc:BaseUnit K="1"/></ssc:Unit>
    <ssc:Unit name="degC"><ssc:BaseUnit K="1" offset="273.15"/></ssc:Unit>
    <ssc:Unit name="W"><ssc:BaseUnit kg="1" m="2" s="-3"/></ssc:Unit>
    <ssc:Unit name="kW"><ssc:BaseUnit kg="1" m="2" s="-3" factor="1000"/></ssc:Unit>
    <ssc:Unit name="J"><ssc:BaseUnit kg="1" m="2" s="-2"/></ssc:Unit>
    <ssc:Unit name="kJ"><ssc:BaseUnit kg="1" m="2" s="-2" factor="1000"/></ssc:Unit>
    <ssc:Unit name="min"><ssc:BaseUnit s="1" factor="60"/></ssc:Unit>
    <ssc:Unit name="bar"><ssc:BaseUnit kg="1" m="-1" s="-2" factor="100000"/></ssc:Unit>
  </ssd:Units>
  <ssd:DefaultExperiment startTime="0" stopTime="10"/>
</ssd:SystemStructureDescription>
"""

SRC_SSV = """<?xml version="1.0" encoding="UTF-8"?>
<ssv:ParameterSet version="1.0" name="source"
    xmlns:ssv="http://ssp-standard.org/SSP1/SystemStructureParameterValues"
    xmlns:ssc="http://ssp-standard.org/SSP1/SystemStructureCommon">
  <ssv:Parameters>
    <ssv:Parameter name="value"><ssv:Real value="0.25" unit="kW"/></ssv:Parameter>
  </ssv:Parameters>
  <ssv:Units>
    <ssc:Unit name="kW"><ssc:BaseUnit kg="1" m="2" s="-3" factor="1000"/></ssc:Unit>
  </ssv:Units>
</ssv:ParameterSet>
"""
DEFAULT_STEP = 0.25  # the components without a StepSizeHint: src, integ, integ2, valve


@pytest.fixture(scope="module")
def hand_fmus(tmp_path_factory):
    d = tmp_path_factory.mktemp("hand_fmus")
    return {cls.__name__: fmu_cache(cls, d) for cls in (FirstOrderLag, Mixed, Constant, Integrator, Valve, Oscillator)}


def write_folder(folder: Path, fmus: dict, ssd: str = HAND_SSD, ssv: str | None = SRC_SSV) -> Path:
    (folder / "resources").mkdir(parents=True, exist_ok=True)
    (folder / "parameters").mkdir(exist_ok=True)
    for name, path in fmus.items():
        shutil.copy2(path, folder / "resources" / f"{name}.fmu")
    (folder / ssp.SSD_NAME).write_text(ssd)
    if ssv is not None:
        (folder / "parameters/src.ssv").write_text(ssv)
    return folder


def write_package(path: Path, fmus: dict, ssd: str = HAND_SSD, ssv: str | None = SRC_SSV) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(ssp.SSD_NAME, ssd)
        if ssv is not None:
            zf.writestr("parameters/src.ssv", ssv)
        for name, fmu in fmus.items():
            zf.write(fmu, f"resources/{name}.fmu")
    return path


def hand_built() -> System:
    """The system of HAND_SSD, built with the System API from the native actors."""
    s = System("demo")
    s.add("lag", FirstOrderLag, 0.5, tau=0.1 * 60, y0=20 + 273.15, gain=0.9, label="ssp")
    s.add("mix", Mixed, 1.0, n=2, enabled=True, fluid="nitrogen", on=True)
    s.add("src", Constant, DEFAULT_STEP, value=0.25 * 1000)
    s.add("integ", Integrator, DEFAULT_STEP, x_start=1 * 1000.0)
    s.add("integ2", Integrator, DEFAULT_STEP)
    s.add("valve", Valve, DEFAULT_STEP, G=1e-3, p2=1e5)
    s.connect("mix.T", "lag.u")                          # degC -> K by the bus
    s.bus.links.append(Link("lag", "y", "integ", "u", 0.5, -100.0))  # K -> W, no unit check
    link = s.connect("src.y", "integ2.u")
    link.scale, link.offset = 2.0, 1000.0                # 2 * (y/1000 kW) + 1 kW, in W
    s.connect("mix.p", "valve.p1")                       # bar -> Pa by the bus
    return s


def structure(s: System) -> dict:
    return {
        "steps": s.steps,
        "links": sorted((l.src, l.src_var, l.dst, l.dst_var, l.scale, l.offset) for l in s.bus.links),
        "fixed": sorted(s.bus.fixed_inputs),
        "parameters": {n: {v.name: getattr(a, v.name) for v in a.variables if v.causality == Causality.parameter}
                       for n, a in s.bus.actors.items()},
    }


def test_hand_written_ssd_matches_the_system_built_by_hand(tmp_path, hand_fmus):
    folder = write_folder(tmp_path / "unpacked", hand_fmus)
    package = write_package(tmp_path / "handmade.ssp", hand_fmus)
    ref = hand_built()
    want = structure(ref)
    for source in (folder, package, folder / ssp.SSD_NAME):
        assert ssp.is_ssp(source)
        with pytest.warns(CryocosimWarning, match="has no variable 'colour': ignored"):
            system, settings = ssp.load(source, default_step=DEFAULT_STEP)
        got = structure(system)
        assert got["steps"] == want["steps"] and got["fixed"] == want["fixed"] == [
            ("mix", "on"), ("valve", "p2")]
        assert got["parameters"] == want["parameters"], source
        for a, b in zip(got["links"], want["links"]):
            assert a[:4] == b[:4] and a[4:] == pytest.approx(b[4:], rel=RTOL_SAME), (a, b)
        assert settings.stop_time == 10.0 and settings.ordering == "jacobi"  # no cryocosim annotation
    assert system.bus.actors["lag"].tau == 6.0 and system.bus.actors["integ"].x_start == 1000.0
    assert system.bus.actors["lag"].y0 == pytest.approx(293.15, rel=1e-15)
    out = system.run(10.0, ordering="jacobi", output_interval=0.5, dataset=False)
    expect = ref.run(10.0, ordering="jacobi", output_interval=0.5, dataset=False)
    assert [c[0] for c in out.columns] == [c[0] for c in expect.columns] and out.times == expect.times
    for row, row_ref in zip(by_name(out), by_name(expect)):
        assert row == pytest.approx(row_ref, rel=RTOL_SAME)
    final = by_name(out)[-1]
    assert final["integ2.x"] == pytest.approx(1500.0 * 10.0)   # u = 2 * 250 W + 1 kW, held
    assert final["lag.y"] < 293.15 and final["valve.q"] > 0    # the lag relaxes toward 0.9 * 294.15 K


UNITLESS_SSD = """<?xml version="1.0" encoding="UTF-8"?>
<ssd:SystemStructureDescription version="1.0" name="unitless"
    xmlns:ssd="http://ssp-standard.org/SSP1/SystemStructureDescription"
    xmlns:ssc="http://ssp-standard.org/SSP1/SystemStructureCommon">
  <ssd:System name="unitless">
    <ssd:Elements>
      <ssd:Component name="src" source="resources/Constant.fmu"/>
      <ssd:Component name="osc" source="resources/Oscillator.fmu">
        <ssd:Connectors>
          <ssd:Connector name="u" kind="input"><ssc:Real CONNECTOR_UNIT/></ssd:Connector>
        </ssd:Connectors>
      </ssd:Component>
    </ssd:Elements>
    <ssd:Connections>
      <ssd:Connection startElement="src" startConnector="y" endElement="osc" endConnector="u"/>
    </ssd:Connections>
  </ssd:System>
  <ssd:Units><ssc:Unit name="kW"><ssc:BaseUnit kg="1" m="2" s="-3" factor="1000"/></ssc:Unit></ssd:Units>
  <ssd:DefaultExperiment stopTime="1"/>
</ssd:SystemStructureDescription>
"""


def test_a_real_without_a_unit_takes_the_value_as_it_is_or_the_unit_the_ssd_gives(tmp_path, hand_fmus):
    """FMUs of other tools often leave units out: Constant.y (W) into Oscillator.u (no unit)."""
    fmus = {k: hand_fmus[k] for k in ("Constant", "Oscillator")}
    bare = write_package(tmp_path / "bare.ssp", fmus, UNITLESS_SSD.replace("CONNECTOR_UNIT", ""), None)
    with pytest.warns(CryocosimWarning, match="a Real without a unit feeds one in 'W': the value passes unchanged"):
        system, _ = ssp.load(bare)
    assert [(l.scale, l.offset) for l in system.bus.links] == [(1.0, 0.0)]
    given = write_package(tmp_path / "given.ssp", fmus, UNITLESS_SSD.replace("CONNECTOR_UNIT", 'unit="kW"'), None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CryocosimWarning)
        system, _ = ssp.load(given)  # the SSD says osc.u is in kW: W -> kW, no warning
    assert [(l.scale, l.offset) for l in system.bus.links] == [(1e-3, 0.0)]


# three components of the C-coded FMU (tests/c_fmus/cfmu.c), whose output 'level' has no unit:
# the SSD gives it K in a (connected to b.u, in K) and kW in b (not connected); c keeps none
CFMU_SSD = """<?xml version="1.0" encoding="UTF-8"?>
<ssd:SystemStructureDescription version="1.0" name="levels"
    xmlns:ssd="http://ssp-standard.org/SSP1/SystemStructureDescription"
    xmlns:ssc="http://ssp-standard.org/SSP1/SystemStructureCommon"
    xmlns:ssv="http://ssp-standard.org/SSP1/SystemStructureParameterValues">
  <ssd:System name="levels">
    <ssd:Elements>
      <ssd:Component name="a" source="resources/CTypes.fmu">
        <ssd:Connectors>
          <ssd:Connector name="level" kind="output"><ssc:Real unit="kelvin"/></ssd:Connector>
          <ssd:Connector name="n_in" kind="input"><ssc:Integer/></ssd:Connector>
        </ssd:Connectors>
        <ssd:ParameterBindings>
          <ssd:ParameterBinding>
            <ssd:ParameterValues>
              <ssv:ParameterSet version="1.0" name="a">
                <ssv:Parameters><ssv:Parameter name="n_in"><ssv:Integer value="1"/></ssv:Parameter></ssv:Parameters>
              </ssv:ParameterSet>
            </ssd:ParameterValues>
          </ssd:ParameterBinding>
        </ssd:ParameterBindings>
      </ssd:Component>
      <ssd:Component name="b" source="resources/CTypes.fmu">
        <ssd:Connectors>
          <ssd:Connector name="u" kind="input"><ssc:Real unit="K"/></ssd:Connector>
          <ssd:Connector name="level" kind="output"><ssc:Real unit="kW"/></ssd:Connector>
        </ssd:Connectors>
      </ssd:Component>
      <ssd:Component name="c" source="resources/CTypes.fmu"/>
    </ssd:Elements>
    <ssd:Connections>
      <ssd:Connection startElement="a" startConnector="level" endElement="b" endConnector="u"/>
    </ssd:Connections>
  </ssd:System>
  <ssd:Units>
    <ssc:Unit name="kelvin"><ssc:BaseUnit K="1"/></ssc:Unit>
  </ssd:Units>
  <ssd:DefaultExperiment startTime="0.0" stopTime="1.0"/>
</ssd:SystemStructureDescription>
"""


def test_ssd_connector_unit_applies_to_a_unitless_fmu_variable(tmp_path):
    """A connector's unit on an FMU Real without one is that variable's unit, connected or not:
    recorded with it, connected without a warning, checked in conditions; its FMU's own class
    (and a component without such connectors) keep no unit.  An unconnected input left at its
    start value is noted as in any run."""
    from test_third_party_fmus import build_c_fmus, note, reference
    from cryocosim.fmi.fmu_actor import load_fmu_actor_class

    import json

    fmus = build_c_fmus(tmp_path, ["CTypes"])
    path = write_package(tmp_path / "levels.ssp", fmus, CFMU_SSD, None)
    with pytest.warns(CryocosimWarning) as caught:
        system, settings = ssp.load(path)
    noted = ["a.u = 0.0 K", "a.mode_in = 1 (off)", "a.b_in = false", "a.s_in = ''",
             "b.n_in = 0", "b.mode_in = 1 (off)", "b.b_in = false", "b.s_in = ''",
             "c.u = 0.0 K", "c.n_in = 0", "c.mode_in = 1 (off)", "c.b_in = false", "c.s_in = ''"]
    assert [str(w.message) for w in caught] == [note(e) for e in noted]  # no unit warning
    units = {n: a.variable_map()["level"].unit for n, a in system.bus.actors.items()}
    assert units == {"a": "K", "b": "kW", "c": "1"}  # 'kelvin' (ssd:Units) is K to the engine
    assert load_fmu_actor_class(fmus["CTypes"]).variable_map()["level"].unit == "1"
    assert [(l.scale, l.offset) for l in system.bus.links] == [(1.0, 0.0)]
    # conditions check the unit: b.level in kW compares with watts, a.level (K) refuses them
    system.when("b.level > 1500 W", name="over 1.5 kW")
    with pytest.raises(ConfigurationError) as err:
        system.when("a.level > 2 W")
    assert "'a.level > 2 W'" in str(err.value) and "\n" not in str(err.value)
    ds = system.run(settings.stop_time, ordering=settings.ordering)
    assert (ds["a.level"].attrs["units"], ds["b.level"].attrs["units"], ds["c.level"].attrs["units"]) == ("K", "kW", "1")
    a = reference(4, n_in=1)
    b = reference(4, inputs=lambda k: dict(u=a[k]["level"], n_in=0, b_in=False, mode_in=1, s_in=""))  # Jacobi
    assert list(ds["a.level"].values) == [r["level"] for r in a]
    assert list(ds["b.x"].values) == [r["x"] for r in b] and ds["b.x"].attrs["units"] == "K"
    (ev,) = [e for e in json.loads(ds.attrs["events"])]
    assert ev["name"] == "over 1.5 kW" and ev["value"] == 2.0  # b.level: 0.5 per step, 2 kW at 1 s
    assert json.loads(ds.attrs["unconnected_inputs"]) == noted
    assert json.loads(ds.attrs["warnings"]) == [note(e) for e in noted]
    # exported again: the three components share one FMU file; the connectors keep the units
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        again = ssp.export_system(system, tmp_path / "again.ssp", settings, fmu_dir=tmp_path / "fmus")
    with zipfile.ZipFile(again) as zf:
        assert [n for n in zf.namelist() if n.endswith(".fmu")] == ["resources/CTypes.fmu"]
        root = ET.fromstring(zf.read(ssp.SSD_NAME))
    written = {c.get("name"): c.find(f"{{{NSD}}}Connectors/{{{NSD}}}Connector[@name='level']")[0].get("unit")
               for c in root.iter(f"{{{NSD}}}Component")}
    assert written == {"a": "K", "b": "kW", "c": None}
    # and read back (its Enumeration connectors, mode_in, are written as ssc:Integer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        twin, _ = ssp.load(again)
    assert {n: a.variable_map()["level"].unit for n, a in twin.bus.actors.items()} == units
    assert {n: a.variable_map()["mode_in"].type for n, a in twin.bus.actors.items()} == {"a": int, "b": int, "c": int}
    # a unit the engine cannot write as a unit string (0.5 K named 'halfK'): said, and left out
    odd = CFMU_SSD.replace('unit="kW"', 'unit="halfK"').replace(
        "</ssd:Units>", '  <ssc:Unit name="halfK"><ssc:BaseUnit K="1" factor="0.5"/></ssc:Unit>\n  </ssd:Units>')
    with pytest.warns(CryocosimWarning) as caught:
        system, _ = ssp.load(write_package(tmp_path / "odd.ssp", fmus, odd, None))
    (msg,) = [str(w.message) for w in caught if "halfK" in str(w.message)]
    assert msg.endswith("<Component name='b'>: connector 'level' has the unit 'halfK', which cryocosim cannot "
                        "write as a unit string: b.level is recorded without a unit")
    assert system.bus.actors["b"].variable_map()["level"].unit == "1"


# =============================================================================================
# bad SSPs
# =============================================================================================
BAD = {  # name: (edit of the SSD text, ssv text, what the one-line error must name)
    "missing FMU": (("resources/Valve.fmu", "resources/Valves.fmu"), SRC_SSV,
                    ["SystemStructure.ssd: line", "<Component name='valve'>", "'resources/Valves.fmu'", "no such file"]),
    "unknown component": (('endElement="integ2"', 'endElement="integ3"'), SRC_SSV,
                          ["SystemStructure.ssd: line", "<Connection> #3", "endElement 'integ3' is not a component"]),
    "connector not in the FMU": (('<ssd:Connector name="y" kind="output"><ssc:Real unit="K"/>',
                                  '<ssd:Connector name="yy" kind="output"><ssc:Real unit="K"/>'), SRC_SSV,
                                 ["SystemStructure.ssd: line", "<Connector name='yy'> of component 'lag'",
                                  "has no variable 'yy'"]),
    "connection to no variable": (('startConnector="T"', 'startConnector="Temp"'), SRC_SSV,
                                  ["<Connection> #1", "startConnector 'Temp'", "no variable 'Temp'"]),
    "malformed XML": (("</ssd:Elements>", "</ssd:Element>"), SRC_SSV,
                      ["SystemStructure.ssd: malformed XML: mismatched tag (line"]),
    "missing ssv": (("parameters/src.ssv", "parameters/source.ssv"), SRC_SSV,
                    ["<ParameterBinding>", "source 'parameters/source.ssv': no such file"]),
    "malformed ssv": ((None, None), SRC_SSV.replace("</ssv:Parameters>", ""),
                      ["parameters/src.ssv: malformed XML"]),
    "unit of another dimension": (('<ssv:Real value="1" unit="kJ"/>', '<ssv:Real value="1" unit="kW"/>'), SRC_SSV,
                                  ["<Parameter name='x_start'>", "unit 'kW'", "does not convert to integ.x_start's unit 'J'"]),
}


def bad_ssd(edit) -> str:
    old, new = edit
    if old is None:
        return HAND_SSD
    assert old in HAND_SSD, old
    return HAND_SSD.replace(old, new, 1)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_ssp_is_a_one_line_error_naming_file_and_element(case, tmp_path, hand_fmus):
    edit, ssv, needles = BAD[case]
    package = write_package(tmp_path / "bad.ssp", hand_fmus, bad_ssd(edit), ssv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryocosimWarning)
        with pytest.raises(ConfigurationError) as info:
            ssp.load(package, default_step=DEFAULT_STEP)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(package)), msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_not_an_ssp(tmp_path):
    junk = tmp_path / "junk.ssp"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ConfigurationError, match=r"junk.ssp: not a readable SSP \(zip archive\)"):
        ssp.load(junk)
    empty = tmp_path / "empty.ssp"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("resources/readme.txt", "nothing")
    with pytest.raises(ConfigurationError, match="empty.ssp: the package holds no SystemStructure.ssd"):
        ssp.load(empty)
    with pytest.raises(ConfigurationError, match="nowhere.ssp: no such file"):
        ssp.load(tmp_path / "nowhere.ssp")


def start(*args):
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    return subprocess.Popen([sys.executable, "-m", "cryocosim", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_command_line_runs_an_ssp_and_reports_a_bad_one_in_one_line(tmp_path, hand_fmus):
    """run/validate of SSPs, export-system, and one-line errors (exit 2) for bad ones."""
    import netCDF4
    from test_scenario import GOOD

    toml = tmp_path / "small.toml"
    toml.write_text(GOOD)  # a Constant (2 W) into an Integrator, an event
    exported = tmp_path / "small.ssp"
    good = write_package(tmp_path / "good.ssp", hand_fmus)
    missing = write_package(tmp_path / "missing.ssp", hand_fmus, bad_ssd(BAD["missing FMU"][0]))
    malformed = write_package(tmp_path / "malformed.ssp", hand_fmus, bad_ssd(BAD["malformed XML"][0]))
    out = tmp_path / "good.nc"
    procs = {
        "run": start("run", good, "-q", "--step", DEFAULT_STEP, "-o", out, "--stop-time", 2),
        "validate": start("validate", good),
        "missing": start("run", missing, "-q", "-o", tmp_path / "m.nc"),
        "malformed": start("validate", malformed),
        "no step for a scenario": start("run", COOLDOWN, "--step", "1", "-o", tmp_path / "x.nc"),
        "export": start("export-system", toml, "-o", exported, "--fmu-dir", tmp_path / "fmus"),
    }
    results = {name: p.communicate(timeout=300) + (p.returncode,) for name, p in procs.items()}
    stdout, stderr, status = results["export"]
    assert status == 0 and f"wrote {exported} (2 components, 1 connection;" in stdout, (stdout, stderr)
    assert "cryocosim: warning: export-system: 1 event not carried (SSP has no events): 'half'" in stderr
    assert "Traceback" not in stderr
    rerun = start("run", exported, "-q", "-o", tmp_path / "small.nc")
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    with netCDF4.Dataset(tmp_path / "small.nc") as ds:
        assert float(ds["int.x"][-1]) == pytest.approx(20.0, rel=1e-12) and ds.stop_time == 10.0  # 2 W for 10 s
    stdout, stderr, status = results["run"]
    assert status == 0, stderr
    assert f"wrote {out}" in stdout and "completed" in stdout and out.is_file()
    stdout, stderr, status = results["validate"]
    assert status == 0 and f"{good}: valid (6 actors, 4 connections, 0 events)" in stdout, (stdout, stderr)
    for name, needle in (("missing", "<Component name='valve'>: source 'resources/Valves.fmu': no such file"),
                         ("malformed", "SystemStructure.ssd: malformed XML: mismatched tag"),
                         ("no step for a scenario", "--step applies to SSP systems only")):
        stdout, stderr, status = results[name]
        lines = [line for line in stderr.splitlines() if not line.startswith("cryocosim: warning:")]
        assert status == 2, (name, stderr)
        assert "Traceback" not in stderr and len(lines) == 1 and lines[0].startswith("cryocosim: error: "), (name, stderr)
        assert needle in lines[0], (name, lines[0])
    assert not (tmp_path / "m.nc").exists()
