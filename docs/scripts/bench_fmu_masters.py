"""The screw-Brayton cool-down's real FMUs in three masters, measured in one run: time per
simulated communication step in the engine, in libcosim and in ``fmpy.simulate_fmu``, and where
it goes; writes docs/fmu_masters.md (every number on that page comes from this script).

The FMUs are the ten actors of ``scenarios/screw_brayton_cooldown.toml`` (motor, shaft,
compressor, expander, hp, lp, aftercooler, recuperator, load_hx, load), exported by the
project's own machinery (:func:`cryocosim.fmi.export.fmu_cache`, pythonfmu) once per script run
into a temporary folder; the SSP package is :func:`cryocosim.ssp.export_system` of the same
system over the same FMUs.

1. **the whole system**, coupled, fixed explicit Jacobi steps (the scenario's own steps), from
   t = 0 (the scenario as it is, the motor's soft start included) to ``--stop`` (default 60 s):
   the engine with every actor as its FMU (``system.run(stop, fmu=True, tolerance=None,
   iterate=False, ordering="jacobi")``), the engine with the native actors (the floor: the
   models' own cost plus the engine's), and libcosim running the exported SSP
   (``CosimExecution.from_ssp_file``) with and without a last-value observer and with all its
   threads pinned to one core;
2. **each FMU alone**, its inputs held at the values they had in the coupled native run at
   ``--inputs-at`` (default: the stop time), its parameters those of the scenario, the same number
   of steps at its own step: the engine with the FMU and with the native actor,
   ``fmpy.simulate_fmu`` (which runs one FMU: inputs as start values), libcosim with and without
   an observer, and, interleaved in blocks of 100 steps so that a disturbance hits them alike, the
   building blocks: the model alone (a plain loop calling the native actor's ``do_step``: the
   floor), a raw ``fmpy.fmi2.FMU2Slave`` loop, a loop on fmpy's raw ctypes functions with
   preallocated arrays (the engine's call path without a master), one ``fmi2SetReal`` of all
   inputs and one ``fmi2GetReal`` of all outputs alone, and the same three FMI calls in a C loop
   (compiled here with the machine's C compiler) in this thread and in a new native thread (a
   thread the interpreter does not know, as libcosim's workers);
3. **accuracy**: the engine's FMU run against its native run (bit for bit) and libcosim's against
   the engine's (within rounding), and the final outputs of each FMU alone in every master;
4. **profile**: cProfile of the engine's FMU run and native run, the stepping loop only (a run to
   ``--stop`` less a run of one step), own time per function with the C functions' time given to
   their callers, grouped: model code, pythonfmu, the FMU actor (ctypes), the engine's master.

Every case runs once per round, ``--runs`` interleaved rounds (default 5) after one untimed
warm-up; every table gives the minimum and the median over the rounds.  Helpers (rounds,
statistics, machine description) are imported from ``bench_masters.py``.

Usage: ``.venv/bin/python docs/scripts/bench_fmu_masters.py [--runs 5] [--stop 60] [--quick]``
(``--quick``: 1 round, 5 s simulated; for trying the script, not for the page).
"""
from __future__ import annotations

import argparse
import contextlib
import math
import cProfile
import ctypes
import os
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# bench_masters imports the engine first: it must be imported before any FMU is instantiated
from bench_masters import Unavailable, libcosim, measure, pinned_to_one_core, stat  # noqa: E402
from pages import ROOT, cores, host, pair, python, table, versions  # noqa: E402

from cryocosim import Causality, System, scenario, ssp  # noqa: E402
from cryocosim.errors import CryocosimWarning  # noqa: E402
from cryocosim.fmi.export import fmu_cache  # noqa: E402
from cryocosim.master import RESOLUTION  # noqa: E402

SCENARIO = ROOT / "scenarios/screw_brayton_cooldown.toml"
RUN = dict(tolerance=None, iterate=False, ordering="jacobi")  # fixed explicit steps, as libcosim
RECORD = 1.0        # s: the coupled runs are compared every second
TPS = round(1.0 / RESOLUTION)  # the engine's ticks per second
CATEGORIES = [  # profile groups, in the page's order
    "model code (the actor classes, CoolProp, numpy)",
    "our FMU wrapper's Python (getters, setters, do_step forwarding)",
    "pythonfmu's Python (get_real/set_real loops, do_step dispatch)",
    "FMU actor (fmu_actor.py; own time includes the ctypes calls and pythonfmu's C++)",
    "fmpy (Python)",
    "engine master (master, bus, recorder)",
    "engine master: simpy",
    "other",
]


# --------------------------------------------------------------------------------------------
# the system, its FMUs and the actors alone
# --------------------------------------------------------------------------------------------
class Unit:
    """One actor of the system run alone: its class, FMU, parameters and fixed inputs."""

    def __init__(self, name: str, system: System, fmu_dir: Path, unzip_root: Path, stop: float):
        import fmpy

        self.name = name
        self.cls = system.models[name]
        self.h = system.steps[name]
        self.h_ticks = round(self.h * TPS)
        self.n = round(stop / self.h)
        self.fmu = fmu_cache(self.cls, fmu_dir)
        self.md = fmpy.read_model_description(str(self.fmu), validate=True)
        unzip = unzip_root / self.cls.__name__
        self.unzip = str(unzip) if unzip.is_dir() else fmpy.extract(str(self.fmu), unzipdir=str(unzip))
        self.vars = {v.name: v for v in self.md.modelVariables}
        actor = system.bus.actors[name]
        # parameters as the scenario gives them, as values in the variables' own units
        self.params = {k: getattr(actor, k) for k in system.params[name]}
        self.ins = [v.name for v in self.cls.variables if v.causality == Causality.input]
        self.outs = [v.name for v in self.cls.variables if v.causality in (Causality.output, Causality.local)]
        self.inputs: dict = {}
        kinds = {self.vars[n].type for n in self.ins + self.outs}
        self.reals_only = kinds == {"Real"}
        self.counts = {}
        for v in self.md.modelVariables:
            self.counts[v.type] = self.counts.get(v.type, 0) + 1
        self.connected_in = sum(1 for l in system.bus.links if l.dst == name)
        self.connected_out = len({l.src_var for l in system.bus.links if l.src == name})

    def vr(self, names) -> list[int]:
        return [self.vars[n].valueReference for n in names]

    def start(self) -> dict:
        return {**self.params, **self.inputs}


class Bench:
    def __init__(self, tmp: Path, stop: float, inputs_at: float):
        self.tmp = tmp
        self.stop = stop
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CryocosimWarning)
            self.system, self.settings = scenario.load(SCENARIO)
            self.fmu_dir = tmp / "build/fmus"  # where run(fmu=True) looks, relative to the cwd
            self.ssp = ssp.export_system(self.system, tmp / "cooldown.ssp", self.settings, stop_time=stop,
                                         fmu_dir=self.fmu_dir)
        self.export_warnings = [str(w.message) for w in caught]
        self.c_loop, self.c_loop_missing = build_c_loop(tmp)
        self.h = min(self.system.steps.values())
        self.n = round(stop / self.h)  # system communication steps
        self.h_ns = round(self.h * 1e9)
        self.record_steps = round(RECORD / self.h)
        # the motor's soft start: the first seconds, compared per step with the whole run
        ramp = getattr(self.system.bus.actors.get("motor"), "start_ramp", None) or 20.0
        self.ramp = float(ramp)
        self.start_window = min(max(RECORD, math.ceil(self.ramp / RECORD) * RECORD), stop)
        self.units = {name: Unit(name, self.system, self.fmu_dir, tmp / "unzipped", stop)
                      for name in self.system.bus.actors}
        # representative inputs: the values each actor's inputs had in the coupled native run
        self.inputs_at = inputs_at
        self.system.run(inputs_at, output_interval=inputs_at, dataset=False, **RUN)
        for name, u in self.units.items():
            actor = self.system.bus.actors[name]
            u.inputs = {k: getattr(actor, k) for k in u.ins}
        self.system.release()
        self.real_outputs = {name: [v.name for v in a.variables if v.causality == Causality.output and v.type is float]
                             for name, a in self.system.bus.actors.items()}


def _rows(rec) -> dict:
    """time -> {column: value} of a Recorder."""
    names = [c[0] for c in rec.columns]
    return {round(t, 9): dict(zip(names, row)) for t, row in zip(rec.times, rec.rows)}


# --------------------------------------------------------------------------------------------
# the whole system
# --------------------------------------------------------------------------------------------
def engine_system(b: Bench, fmu: bool, stop: float | None = None) -> dict:
    """The coupled system in the engine: every actor as its FMU, or the native actors."""
    stop = b.stop if stop is None else stop
    n = round(stop / b.h)
    t0 = time.perf_counter()
    rec = b.system.run(stop, fmu=fmu, output_interval=RECORD, dataset=False, **RUN)
    whole = time.perf_counter() - t0
    b.system.release()
    if rec.attrs.get("actor_steps") != n * len(b.units):
        raise RuntimeError(f"the engine took {rec.attrs.get('actor_steps')} actor steps")
    rows = _rows(rec)
    return {"us": rec.attrs["wall_time_s"] / n * 1e6, "whole": whole / n * 1e6, "rows": rows,
            "x": rows[round(stop, 9)]["load.T"]}


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def libcosim_system(b: Bench, observer: bool = True, pinned: bool = False) -> dict:
    """libcosim running the exported SSP (its fixed-step algorithm and step hints: 0.05 s).

    ``observer``: a last-value observer (which makes libcosim read every variable of every FMU
    after each step) and the Real outputs read every second for the comparison; without it
    libcosim reads only the connected outputs.  The first step (initialisation) is not timed."""
    if pinned and not hasattr(os, "sched_setaffinity"):
        raise Unavailable("no os.sched_setaffinity on this platform")
    CosimExecution, _, CosimObserver, _ = libcosim()
    with pinned_to_one_core(pinned):
        t0 = time.perf_counter()
        before = _threads()
        ex = CosimExecution.from_ssp_file(str(b.ssp))
        index = {s.name.decode(): s.index for s in ex.slave_infos()}
        obs, refs, rows = None, {}, {}
        if observer:
            obs = CosimObserver.create_last_value()
            ex.add_observer(obs)
            for name, i in index.items():
                vr = {v.name.decode(): v.reference for v in ex.slave_variables(i)}
                refs[name] = (i, b.real_outputs[name], [vr[n] for n in b.real_outputs[name]])
        if not ex.step(1):
            raise RuntimeError("libcosim failed to initialise or take its first step")
        created = _threads() - before  # libcosim's worker threads
        k, loop = 1, 0.0
        while k < b.n:
            m = min(b.record_steps - k % b.record_steps, b.n - k)
            t1 = time.perf_counter()
            ok = ex.step(m)
            loop += time.perf_counter() - t1
            if not ok:
                raise RuntimeError(f"libcosim failed at step {k}")
            k += m
            if obs is not None and k % b.record_steps == 0:
                row = {}
                for name, (i, names, vrs) in refs.items():
                    row.update({f"{name}.{n}": x for n, x in zip(names, obs.last_real_values(i, vrs))})
                rows[round(k * b.h, 9)] = row
        if ex.status().current_time != b.n * b.h_ns:
            raise RuntimeError("libcosim stopped early")
        del obs, ex
        whole = time.perf_counter() - t0
    out = {"us": loop / (b.n - 1) * 1e6, "whole": whole / b.n * 1e6, "threads": created}
    if rows:
        out["rows"] = rows
        out["x"] = rows[round(b.stop, 9)]["load.T"]
    return out


# --------------------------------------------------------------------------------------------
# one FMU alone
# --------------------------------------------------------------------------------------------
def _time(u: Unit, k: int) -> float:
    return k * u.h_ticks / TPS  # the engine's time stamps: integer ticks, divided once


def engine_alone(u: Unit, fmu: bool) -> dict:
    """The engine running the actor alone (the FMU, or the native actor), inputs fixed."""
    s = System(f"alone_{u.name}")
    s.add(u.name, str(u.fmu) if fmu else u.cls, u.h, **u.start())
    stop = u.n * u.h
    t0 = time.perf_counter()
    rec = s.run(stop, output_interval=stop, dataset=False, **RUN)
    whole = time.perf_counter() - t0
    last = dict(zip([c[0] for c in rec.columns], rec.rows[-1]))
    s.release()
    return {"us": rec.attrs["wall_time_s"] / u.n * 1e6, "whole": whole / u.n * 1e6,
            "final": {n: last[f"{u.name}.{n}"] for n in u.outs}}


def _instance(u: Unit, label: str):
    """An FMU2Slave instantiated and initialised with the parameters and the fixed inputs."""
    from fmpy.fmi2 import FMU2Slave

    fmu = FMU2Slave(guid=u.md.guid, unzipDirectory=u.unzip, modelIdentifier=u.md.coSimulation.modelIdentifier,
                    instanceName=f"{label}_{u.name}")
    saved = list(sys.path)
    try:
        fmu.instantiate()
    finally:  # pythonfmu prepends its resources folder to sys.path on every instantiation
        sys.path[:] = saved
    fmu.setupExperiment(startTime=0.0)
    fmu.enterInitializationMode()
    for name, value in u.start().items():
        kind, vr = u.vars[name].type, [u.vars[name].valueReference]
        if kind == "Real":
            fmu.setReal(vr, [float(value)])
        elif kind in ("Integer", "Enumeration"):
            fmu.setInteger(vr, [int(value)])
        elif kind == "Boolean":
            fmu.setBoolean(vr, [bool(value)])
        else:
            fmu.setString(vr, [str(value)])
    fmu.exitInitializationMode()
    return fmu


# a C loop over the three FMI calls of a step, run in the calling thread or in a new native thread
# (as libcosim's workers are: threads the Python interpreter does not know)
C_LOOP = r"""
#include <pthread.h>
#include <stddef.h>
#include <time.h>
typedef int (*set_t)(void*, const unsigned*, size_t, const double*);
typedef int (*step_t)(void*, double, double, int);
typedef int (*get_t)(void*, const unsigned*, size_t, double*);
/* from the running Python (its symbols are global, as pythonfmu's binary needs them too) */
typedef int PyGILState_STATE;
extern PyGILState_STATE PyGILState_Ensure(void);
extern void PyGILState_Release(PyGILState_STATE);
extern void* PyEval_SaveThread(void);
extern void PyEval_RestoreThread(void*);
struct job {
    void* comp; set_t set; step_t step; get_t get;
    const unsigned* in_vr; size_t ni; const double* in_val;
    const unsigned* out_vr; size_t no; double* out_val;
    long k0; long k1; long h_ticks; double tps; double elapsed; int status;
};
static void* run(void* arg) {
    struct job* j = arg;
    struct timespec a, b;
    double h = (double)j->h_ticks / j->tps;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long k = j->k0; k < j->k1; k++) {
        double t = (double)(k * j->h_ticks) / j->tps;  /* the engine's time stamps */
        if (j->set(j->comp, j->in_vr, j->ni, j->in_val) > 1 || j->step(j->comp, t, h, 0) > 1
                || j->get(j->comp, j->out_vr, j->no, j->out_val) > 1) {
            j->status = 1;
            break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    j->elapsed = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    return NULL;
}
static void* run_keeping_state(void* arg) {
    PyGILState_STATE g = PyGILState_Ensure();  /* a Python thread state for this thread ... */
    void* ts = PyEval_SaveThread();             /* ... kept while the lock is released */
    run(arg);
    PyEval_RestoreThread(ts);
    PyGILState_Release(g);
    return NULL;
}
int run_here(struct job* j) { run(j); return j->status; }
int run_in_thread(struct job* j, int keep_state) {
    pthread_t th;
    if (pthread_create(&th, NULL, keep_state ? run_keeping_state : run, j)) return -1;
    pthread_join(th, NULL);
    return j->status;
}
"""


class _Job(ctypes.Structure):
    _fields_ = [("comp", ctypes.c_void_p), ("set", ctypes.c_void_p), ("step", ctypes.c_void_p),
                ("get", ctypes.c_void_p), ("in_vr", ctypes.c_void_p), ("ni", ctypes.c_size_t),
                ("in_val", ctypes.c_void_p), ("out_vr", ctypes.c_void_p), ("no", ctypes.c_size_t),
                ("out_val", ctypes.c_void_p), ("k0", ctypes.c_long), ("k1", ctypes.c_long),
                ("h_ticks", ctypes.c_long), ("tps", ctypes.c_double), ("elapsed", ctypes.c_double),
                ("status", ctypes.c_int)]


def build_c_loop(tmp: Path):
    """Compile C_LOOP with the machine's C compiler; the library, or the reason it is missing."""
    import shutil
    import subprocess

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None, "no C compiler"
    src, lib = tmp / "c_loop.c", tmp / "libc_loop.so"
    src.write_text(C_LOOP)
    done = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", str(lib), str(src), "-lpthread"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return None, f"C compiler failed: {' '.join(done.stderr.split())[:100]}"
    return ctypes.CDLL(str(lib)), None


class _Arrays:
    """Preallocated value-reference and value arrays of one FMU2Slave instance."""

    def __init__(self, u: Unit, slave):
        self.slave = slave
        f = slave._functions
        self.set, self.step, self.get = f["fmi2SetReal"], f["fmi2DoStep"], f["fmi2GetReal"]
        self.comp = slave.component
        self.ni, self.no = len(u.ins), len(u.outs)
        self.in_vr = (ctypes.c_uint * self.ni)(*u.vr(u.ins))
        self.in_val = (ctypes.c_double * self.ni)(*[u.inputs[n] for n in u.ins])
        self.out_vr = (ctypes.c_uint * self.no)(*u.vr(u.outs))
        self.out_val = (ctypes.c_double * self.no)()

    def job(self, u: Unit) -> _Job:
        addr = lambda fn: ctypes.cast(fn, ctypes.c_void_p).value  # noqa: E731
        return _Job(self.comp, addr(self.set), addr(self.step), addr(self.get), ctypes.addressof(self.in_vr),
                    self.ni, ctypes.addressof(self.in_val), ctypes.addressof(self.out_vr), self.no,
                    ctypes.addressof(self.out_val), 0, 0, u.h_ticks, float(TPS), 0.0, 0)

    def final(self, u: Unit) -> dict:
        return dict(zip(u.outs, self.out_val))

    def free(self) -> None:
        self.slave.terminate()
        self.slave.freeInstance()


BLOCK = 100  # steps per block of the interleaved building blocks


def blocks_alone(u: Unit, b: "Bench") -> dict:
    """The building blocks of an FMU step, interleaved in blocks of BLOCK steps: each variant steps
    its own instance (all follow the same trajectory, bit for bit) through the same block before
    the next block starts, so a disturbance of the machine hits them alike.

    Variants: ``model`` (the native actor's do_step in a plain loop: the floor), ``ctypes`` (fmpy's
    raw ctypes functions with preallocated arrays: fmi2SetReal of all inputs + fmi2DoStep +
    fmi2GetReal of all outputs and locals, the engine's call path without a master), ``set`` and
    ``get`` (one fmi2SetReal / fmi2GetReal alone, as many calls as steps), ``c-here``,
    ``c-thread`` and ``c-keep`` (the three calls in a C loop: in this thread; in a new native
    thread; in a new native thread that holds a Python thread state throughout), ``fmpy``
    (FMU2Slave.setReal + doStep + getReal).  Returns µs per step of each variant (the round's
    mean) and the per-block values."""
    if not u.reals_only:
        raise Unavailable("inputs or outputs that are not Real")
    c_lib = b.c_loop
    h = u.h_ticks / TPS
    actor = u.cls(name=u.name, **u.start())
    actor.setup()
    actor.initialize_outputs(0.0)
    actor.end_initialization()
    raw = _Arrays(u, _instance(u, "ctypes"))
    cs = {key: _Arrays(u, _instance(u, key.replace("-", ""))) for key in ("c-here", "c-thread", "c-keep")} \
        if c_lib is not None else {}
    jobs = {k: a.job(u) for k, a in cs.items()}
    api = _instance(u, "fmpy")
    in_vr, in_val, out_vr = u.vr(u.ins), [u.inputs[n] for n in u.ins], u.vr(u.outs)
    step = actor.do_step
    values = None

    def v_model(k0, k1):
        for k in range(k0, k1):
            step(_time(u, k), h)

    def v_ctypes(k0, k1):
        set_real, do_step, get_real, comp = raw.set, raw.step, raw.get, raw.comp
        ni, no, ivr, ival, ovr, oval = raw.ni, raw.no, raw.in_vr, raw.in_val, raw.out_vr, raw.out_val
        for k in range(k0, k1):
            if set_real(comp, ivr, ni, ival) > 1 or do_step(comp, _time(u, k), h, 0) > 1 \
                    or get_real(comp, ovr, no, oval) > 1:
                raise RuntimeError(f"FMI call failed at step {k}")

    def v_set(k0, k1):
        set_real, comp, ni, ivr, ival = raw.set, raw.comp, raw.ni, raw.in_vr, raw.in_val
        for _ in range(k0, k1):
            set_real(comp, ivr, ni, ival)

    def v_get(k0, k1):
        get_real, comp, no, ovr, oval = raw.get, raw.comp, raw.no, raw.out_vr, raw.out_val
        for _ in range(k0, k1):
            get_real(comp, ovr, no, oval)

    def v_fmpy(k0, k1):
        nonlocal values
        for k in range(k0, k1):
            api.setReal(in_vr, in_val)
            api.doStep(_time(u, k), h)
            values = api.getReal(out_vr)

    def v_c(key, k0, k1):
        job = jobs[key]
        job.k0, job.k1 = k0, k1
        if key == "c-here":
            status = c_lib.run_here(ctypes.byref(job))
        else:
            status = c_lib.run_in_thread(ctypes.byref(job), 1 if key == "c-keep" else 0)
        if status != 0:
            raise RuntimeError(f"an FMI call failed in the C loop (status {status})")
        return job.elapsed

    variants = {"model": v_model, "ctypes": v_ctypes, "set": v_set, "get": v_get, "fmpy": v_fmpy}
    for key in cs:
        variants[key] = (lambda k0, k1, key=key: v_c(key, k0, k1))
    blocks = {key: [] for key in variants}
    order = list(variants)
    try:
        for j, k0 in enumerate(range(0, u.n, BLOCK)):
            k1 = min(k0 + BLOCK, u.n)
            for key in order[j % len(order):] + order[:j % len(order)]:  # rotate the order
                t0 = time.perf_counter()
                inside = variants[key](k0, k1)
                wall = time.perf_counter() - t0
                blocks[key].append((inside if inside is not None else wall) / (k1 - k0) * 1e6)
        out = {key: sum(v) / len(v) for key, v in blocks.items()}
        out["blocks"] = blocks
        out["final"] = {"model": {n: getattr(actor, n) for n in u.outs}, "ctypes": raw.final(u),
                        "fmpy": dict(zip(u.outs, values))}
        out["final"].update({k: a.final(u) for k, a in cs.items()})
    finally:
        actor.terminate()
        raw.free()
        for a in cs.values():
            a.free()
        api.terminate()
        api.freeInstance()
    return out


def simulate_alone(u: Unit) -> dict:
    """fmpy.simulate_fmu on the extracted FMU: inputs and parameters as start values, outputs and
    locals recorded every step; the loop is timed between the first and the last step_finished."""
    import fmpy

    stamps = []

    def finished(t, recorder):
        stamps.append(time.perf_counter())
        return True

    saved = list(sys.path)
    t0 = time.perf_counter()
    try:
        res = fmpy.simulate_fmu(u.unzip, model_description=u.md, stop_time=u.n * u.h, step_size=u.h,
                                output_interval=u.h, start_values=u.start(), output=u.outs,
                                step_finished=finished)
    finally:
        sys.path[:] = saved
    whole = time.perf_counter() - t0
    if len(res) != u.n + 1 or len(stamps) != u.n:
        raise RuntimeError(f"simulate_fmu took {len(res) - 1} steps")
    return {"us": (stamps[-1] - stamps[0]) / (u.n - 1) * 1e6, "whole": whole / u.n * 1e6,
            "final": {n: float(res[n][-1]) for n in u.outs}}


def libcosim_alone(u: Unit, observer: bool = True) -> dict:
    """libcosim's fixed-step algorithm on the FMU alone: parameters and inputs as initial values,
    the inputs also set before every step (override manipulator); with a last-value observer
    (every variable read after each step) or without (nothing read)."""
    CosimExecution, CosimManipulator, CosimObserver, CosimLocalSlave = libcosim()
    h_ns = round(u.h * 1e9)
    with pinned_to_one_core(False):
        t0 = time.perf_counter()
        ex = CosimExecution.from_step_size(h_ns)
        i = ex.add_local_slave(CosimLocalSlave(str(u.fmu), u.name))
        vr = {v.name.decode(): v.reference for v in ex.slave_variables(i)}
        for name, value in u.start().items():
            kind = u.vars[name].type
            if kind == "Real":
                ex.real_initial_value(i, vr[name], float(value))
            elif kind in ("Integer", "Enumeration"):
                ex.integer_initial_value(i, vr[name], int(value))
            elif kind == "Boolean":
                ex.boolean_initial_value(i, vr[name], bool(value))
            else:
                ex.string_initial_value(i, vr[name], str(value))
        manipulator = CosimManipulator.create_override()
        ex.add_manipulator(manipulator)
        manipulator.slave_real_values(i, [vr[n] for n in u.ins], [float(u.inputs[n]) for n in u.ins])
        obs = None
        if observer:
            obs = CosimObserver.create_last_value()
            ex.add_observer(obs)
        if not ex.step(1):
            raise RuntimeError("libcosim failed to initialise or step the FMU")
        t1 = time.perf_counter()
        ok = ex.step(u.n - 1)
        t2 = time.perf_counter()
        if not ok or ex.status().current_time != u.n * h_ns:
            raise RuntimeError("libcosim stopped early")
        final = dict(zip(u.outs, obs.last_real_values(i, [vr[n] for n in u.outs]))) if obs else None
        del obs, manipulator, ex
        t3 = time.perf_counter()
    out = {"us": (t2 - t1) / (u.n - 1) * 1e6, "whole": (t3 - t0) / u.n * 1e6}
    if final is not None:
        out["final"] = final
    return out


MASTERS_ALONE = [  # (key, label, function(unit, bench)): one case each
    ("engine-fmu", "**engine**, FMU", lambda u, b: engine_alone(u, True)),
    ("libcosim", "**libcosim**, observer", lambda u, b: libcosim_alone(u)),
    ("libcosim-noobs", "libcosim, no observer", lambda u, b: libcosim_alone(u, observer=False)),
    ("simulate_fmu", "**`fmpy.simulate_fmu`**", lambda u, b: simulate_alone(u)),
    ("engine-native", "engine, native actor", lambda u, b: engine_alone(u, False)),
]
BLOCKS = [  # (key, label): the variants of blocks_alone (one case per FMU)
    ("fmpy", "raw fmpy `FMU2Slave` loop"),
    ("model", "model alone (plain `do_step` loop: **the floor**)"),
    ("ctypes", "fmpy ctypes loop (the engine's call path, no master)"),
    ("c-here", "C loop, this thread"),
    ("c-thread", "C loop, a new native thread"),
    ("c-keep", "C loop, a new native thread keeping a Python thread state"),
    ("set", "`fmi2SetReal` of all inputs, alone"),
    ("get", "`fmi2GetReal` of all outputs and locals, alone"),
]
BLOCK_KEYS = {k for k, _ in BLOCKS}


def where(n: str, key: str) -> tuple[str, str]:
    """(case name, result key) of quantity ``key`` of FMU ``n``."""
    return (f"{n}:blocks", key) if key in BLOCK_KEYS else (f"{n}:{key}", "us")


SYSTEM = [  # (key, label)
    ("sys-fmu", "**engine, every actor its FMU** (`system.run(stop, fmu=True, ...)`)"),
    ("sys-native", "engine, native actors (**the floor**: the models' own cost + the engine's)"),
    ("sys-libcosim", "**libcosim**, the exported SSP, last-value observer (every variable read every step)"),
    ("sys-libcosim-noobs", "libcosim, the exported SSP, no observer (only the connected outputs read)"),
    ("sys-libcosim-pinned", "libcosim, the exported SSP, last-value observer, all threads pinned to one core"),
]


def cases(b: Bench) -> dict:
    c = {"sys-fmu": (lambda: engine_system(b, True), "system"),
         "sys-native": (lambda: engine_system(b, False), "system"),
         "sys-native-start": (lambda: engine_system(b, False, b.start_window), "system"),
         "sys-libcosim": (lambda: libcosim_system(b), "system"),
         "sys-libcosim-noobs": (lambda: libcosim_system(b, observer=False), "system"),
         "sys-libcosim-pinned": (lambda: libcosim_system(b, pinned=True), "system")}
    for name, u in b.units.items():
        for key, _, fn in MASTERS_ALONE:
            c[f"{name}:{key}"] = (lambda fn=fn, u=u: fn(u, b), "alone")
        c[f"{name}:blocks"] = (lambda u=u: blocks_alone(u, b), "alone")
    return c


# --------------------------------------------------------------------------------------------
# profile: the stepping loop only, own times grouped
# --------------------------------------------------------------------------------------------
def _category(func: tuple) -> str | None:
    """The group of a profiled function; None for a C function or a library that is charged to
    its callers (a CoolProp call to the model that makes it, a getattr to the wrapper...)."""
    path = func[0].replace("\\", "/")
    if path == "~" or path.startswith("<"):
        return None
    if "/simpy/" in path:
        return CATEGORIES[6]
    if path.startswith(str(ROOT / "engine/fmi")):
        return CATEGORIES[3]
    if path.startswith(str(ROOT / "engine")):
        return CATEGORIES[5]
    if "/pythonfmu/" in path:
        return CATEGORIES[2]
    if "/resources/" in path:  # inside an extracted FMU: the shipped engine copy and the models
        inner = path.split("/resources/", 1)[1]
        if "/fmi/" in inner or "/" not in inner:  # cryocosim_<digest>/fmi/slave.py, the wrapper script
            return CATEGORIES[1]
        return CATEGORIES[0]
    if path.startswith(str(ROOT / "fmus")):
        return CATEGORIES[0]
    if "/fmpy/" in path:
        return CATEGORIES[4]
    if "site-packages" in path or "/lib/python" in path:
        return None
    return CATEGORIES[7]


def _loop_stats(long: dict, short: dict) -> dict:
    """func -> (own seconds, calls, {caller: own seconds when called from it}): the profile of
    the long run less the profile of the short one."""
    out = {}
    for func, (cc, nc, tt, ct, callers) in long.items():
        s = short.get(func)
        tt0, nc0, callers0 = (s[2], s[1], s[4]) if s else (0.0, 0, {})
        if nc - nc0 <= 0:  # not called in the loop: what is left is the set-up's run-to-run noise
            continue
        own_callers = {}
        for c, v in callers.items():
            v0 = callers0.get(c, (0, 0, 0.0, 0.0))
            if v[0] - v0[0] > 0:
                own_callers[c] = max(v[2] - v0[2], 0.0)
        out[func] = (max(tt - tt0, 0.0), nc - nc0, own_callers)
    return out


def _group(stats: dict) -> dict:
    """category -> own seconds; C functions and libraries charged to their callers' groups."""
    memo: dict = {}

    def shares(func, depth=0) -> dict:
        cat = _category(func)
        if cat is not None:
            return {cat: 1.0}
        if func in memo:
            return memo[func]
        callers = stats.get(func, (0, 0, {}))[2]
        total = sum(callers.values())
        if depth > 8 or total <= 0.0:
            return {CATEGORIES[7]: 1.0}
        memo[func] = {CATEGORIES[7]: 1.0}  # a cycle ends here
        out: dict = {}
        for c, t in callers.items():
            for k, v in shares(c, depth + 1).items():
                out[k] = out.get(k, 0.0) + v * t / total
        memo[func] = out
        return out

    groups = {c: 0.0 for c in CATEGORIES}
    for func, (own, _, _) in stats.items():
        for k, v in shares(func).items():
            groups[k] += own * v
    return groups


def _short_name(func: tuple) -> str:
    path, line, name = func
    p = path.replace("\\", "/")
    if "/resources/" in p:
        p = "<FMU>/" + p.split("/resources/", 1)[1].split("/", 1)[-1]
    else:
        p = "/".join(p.split("/")[-2:]) if "/" in p else p
    return f"{p}:{line}({name})" if p != "~" else name


def profile_loop(build, b: Bench, top: int = 12) -> dict:
    """cProfile of ``build()``'s ``System.run`` to the stop time less that of a run of one step
    (set-up, initialisation and release common to both): the stepping loop's own time per
    function (profiler-inflated: read the shares) and per group."""
    def one(stop: float):
        s = build()
        pr = cProfile.Profile()
        pr.enable()
        s.run(stop, output_interval=RECORD if stop >= RECORD else stop, dataset=False, **RUN)
        pr.disable()
        wall = s.master.wall_time
        s.release()
        return pstats.Stats(pr).stats, wall

    long, wall = one(b.stop)
    short, _ = one(b.h)
    st = _loop_stats(long, short)
    total = sum(v[0] for v in st.values())
    merged: dict = {}  # the FMUs' copies of one function (one copy per FMU) as one row
    for f, v in st.items():
        r = merged.setdefault(_short_name(f), {"function": _short_name(f), "own": 0.0, "calls": 0})
        r["own"] += v[0]
        r["calls"] += v[1]
    rows = sorted(merged.values(), key=lambda r: -r["own"])
    return {"total": total, "groups": _group(st), "top": rows[:top], "wall_loop": wall, "n": b.n}


def profiles(b: Bench, runs: int) -> dict:
    def fmu_system():
        return b.system._fmu_variant()  # what run(fmu=True) runs: the FMUs of build/fmus (cwd)

    def native_system():
        return b.system

    def best(build):
        p = min((profile_loop(build, b) for _ in range(runs)), key=lambda p: p["wall_loop"])
        p["of"] = runs
        return p

    return {"fmu": best(fmu_system), "native": best(native_system)}


# --------------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------------
def compare_rows(a: dict, b: dict, keys=None):
    """Largest relative difference over common times and keys (|a-b| / the variable's largest
    |value| over the run), its key and time; and the largest absolute difference of load.T."""
    times = sorted(set(a) & set(b))
    keys = keys or sorted(set(a[times[0]]) & set(b[times[0]]))
    scale = {k: max(max(abs(a[t][k]), abs(b[t][k])) for t in times) for k in keys}
    worst = (0.0, None, None)
    per_key = {}
    for k in keys:
        for t in times:
            d = abs(a[t][k] - b[t][k]) / scale[k] if scale[k] else 0.0
            if d > per_key.get(k, (-1.0,))[0]:
                per_key[k] = (d, t)
            if d > worst[0]:
                worst = (d, k, t)
    dT = max(abs(a[t]["load.T"] - b[t]["load.T"]) for t in times) if "load.T" in keys else None
    ranked = sorted(per_key.items(), key=lambda kv: -kv[1][0])
    return {"worst": worst, "ranked": ranked, "dT": dT, "n_times": len(times), "n_keys": len(keys)}


def max_rel(a: dict, b: dict) -> float:
    """Largest relative difference between two {name: value} dicts."""
    worst = 0.0
    for k in a:
        x, y = a[k], b[k]
        if x != y:
            worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return worst


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------
def fmt(v, digits: int = 0) -> str:
    return "—" if v is None else f"{v:,.{digits}f}"


def cellx(res: dict, key: str = "us", digits: int = 0) -> str:
    return res["error"] if res["error"] is not None else pair(stat(res, key), digits, grouped=True)


def round_sums(res: dict, names: list[str], key: str = "us"):
    """Per round the sum over ``names`` of that round's value; (min, median) over the rounds."""
    runs = [res[n]["runs"] for n in names]
    if any(res[n]["error"] is not None for n in names) or not runs or any(len(r) != len(runs[0]) for r in runs):
        return None
    sums = [sum(r[i][key] for r in runs) for i in range(len(runs[0]))]
    return min(sums), statistics.median(sums)


def write_page(path: Path, args, b: Bench, res: dict, prof: dict, wall: float, load0: tuple) -> None:
    m = lambda name, key="us": stat(res[name], key)  # noqa: E731
    units = b.units
    names = list(units)
    nf = len(units)
    nproc = os.cpu_count()

    def q(n, key):
        case, field = where(n, key)
        return stat(res[case], field)

    def qcell(n, key, digits=0):
        case, field = where(n, key)
        return cellx(res[case], field, digits)

    def bmin(n, key):
        """Blocks: the mean over the blocks of each block's minimum over the rounds; else the minimum."""
        case, field = where(n, key)
        runs = res[case]["runs"]
        if res[case]["error"] is not None or not runs:
            return None
        if key in BLOCK_KEYS:
            per_block = list(zip(*[r["blocks"][key] for r in runs]))
            return sum(min(v) for v in per_block) / len(per_block)
        return min(r[field] for r in runs)

    def bsum(key):
        vals = [bmin(n, key) for n in names]
        return None if any(v is None for v in vals) else sum(vals)

    all_keys = [k for k, _, _ in MASTERS_ALONE] + [k for k, _ in BLOCKS]
    labels = {k: lab for k, lab, _ in MASTERS_ALONE} | dict(BLOCKS)
    sums = {}
    for key in all_keys:
        cases_ = [where(n, key) for n in names]
        sums[key] = round_sums(res, [c for c, _ in cases_], cases_[0][1])

    steps = sorted(set(b.system.steps.values()))
    step_text = (f"every actor at {steps[0]:g} s" if len(steps) == 1
                 else "steps " + ", ".join(f"{n} {h:g} s" for n, h in b.system.steps.items()))
    fm, nt, lc_sys = m("sys-fmu"), m("sys-native"), m("sys-libcosim")
    lc_noobs, lc_pin = m("sys-libcosim-noobs"), m("sys-libcosim-pinned")
    n_in = sum(len(u.ins) for u in units.values())
    n_out = sum(len(u.outs) for u in units.values())
    n_all = sum(len(u.md.modelVariables) for u in units.values())
    threads = [r.get("threads") for r in res["sys-libcosim"]["runs"]]
    ramp_cost = m("sys-native-start")
    by_class: dict = {}
    for n, u in units.items():
        by_class.setdefault(u.cls.__name__, []).append(n)
    shared = [f"{' and '.join(ns)} share `{c}.fmu`" for c, ns in by_class.items() if len(ns) > 1]
    shared_text = (", " + "; ".join(shared)) if shared else ""

    # the decomposition (µs per FMU step; see section 4)
    dkeys = ("model", "pyfmu", "set", "get", "ctypes", "around", "master", "foreign", "keep", "sched", "obs")
    dec = {}
    for n in names:
        g = lambda k: bmin(n, k)  # noqa: E731
        d = lambda a, c: (a - c) if a is not None and c is not None else None  # noqa: E731
        dec[n] = {"model": g("model"), "pyfmu": d(g("c-here"), g("model")), "set": g("set"), "get": g("get"),
                  "ctypes": d(g("ctypes"), g("c-here")), "around": d(g("engine-fmu"), g("ctypes")),
                  "master": d(g("engine-native"), g("model")), "foreign": d(g("c-thread"), g("c-here")),
                  "keep": d(g("c-keep"), g("c-here")),
                  "sched": d(g("libcosim-noobs"), g("c-thread")), "obs": d(g("libcosim"), g("libcosim-noobs"))}
    T = {k: (None if any(dec[n][k] is None for n in names) else sum(dec[n][k] for n in names)) for k in dkeys}

    L = ["<!-- written by docs/scripts/bench_fmu_masters.py; do not edit: run the script -->",
         "# The screw-Brayton cool-down's FMUs in the engine, in libcosim and in fmpy.simulate_fmu", "",
         f"Measured by `docs/scripts/bench_fmu_masters.py` on {host()}, {cores(label='usable by this process')}, "
         f"load average {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f} (1 / 5 / 15 min) when the script started, "
         f"{python()}; {versions('simpy', 'fmpy', 'pythonfmu', 'libcosimpy', 'CoolProp', 'numpy')}. "
         "**A shared machine with other work "
         f"running**: every master was measured in this one run of the script ({wall:.0f} s), in "
         f"{args.runs} interleaved rounds (each case once per round) after one untimed warm-up of "
         f"each, and every time is the **minimum / median of the {args.runs} rounds**: the minimum "
         "is the better estimate of the undisturbed cost, the median shows the disturbance.", "",
         f"The FMUs: the {nf} actors of `scenarios/screw_brayton_cooldown.toml` "
         f"({', '.join(names)}; {step_text}), each exported by the project's own machinery "
         "(`cryocosim.fmi.export.fmu_cache`, pythonfmu: the model's Python runs in this same "
         f"process) into a temporary folder — {len(by_class)} FMUs{shared_text} — and the SSP package "
         "`cryocosim.ssp.export_system` writes over the same FMUs (the steps as libcosim's step "
         "hints). All runs: fixed explicit steps, Jacobi coupling, from t = 0 to "
         f"{b.stop:g} s: {b.n:,} communication steps of the system ({b.h:g} s, the fastest actor's "
         f"step), {b.n * nf:,} actor steps. The scenario is run as it is, from rest: the "
         f"motor's inverter ramps up over the first {b.ramp:g} s; the cost per step hardly "
         "depends on it — the engine's native run costs "
         f"{pair(ramp_cost, 0, grouped=True)} µs per system step over its first {b.start_window:g} s and "
         f"{pair(nt, 0, grouped=True)} µs over the whole {b.stop:g} s.", ""]

    # ---- in short
    L += ["## In short", ""]
    fit_set = fit_get = None
    if all(dec[n]["set"] is not None and dec[n]["get"] is not None for n in names):
        fit_set = statistics.linear_regression([len(units[n].ins) for n in names], [dec[n]["set"] for n in names])
        fit_get = statistics.linear_regression([len(units[n].outs) for n in names], [dec[n]["get"] for n in names])
    pm = {k: prof[k]["groups"][CATEGORIES[0]] / prof[k]["n"] * 1e6 for k in ("fmu", "native")}

    def fit_text(f) -> str:
        if f.slope > 0:
            return f"about {f.intercept:.1f} µs a call plus {f.slope:.2f} µs a variable"
        return f"about {f.intercept + f.slope:.1f} µs a call (no cost per variable resolved)"

    sched_per = T["sched"] / nf if T["sched"] is not None else None
    one_worker = bool(threads) and threads[0] == 1
    if fm and nt and lc_sys and lc_noobs and all(T[k] is not None for k in dkeys):
        alone_fmi = T["pyfmu"] + T["ctypes"] + T["around"] - T["master"]
        extra = (fm[0] - nt[0]) - alone_fmi
        text = (f"Per simulated communication step of the whole system ({b.h:g} s, {nf} FMUs, "
                f"minimum of the rounds): the engine running the FMUs takes **{fm[0]:,.0f} µs**, the "
                f"engine with the native actors {nt[0]:,.0f} µs, libcosim running the exported SSP "
                f"**{lc_sys[0]:,.0f} µs** with a last-value observer and {lc_noobs[0]:,.0f} µs "
                f"without ({lc_sys[0] / fm[0]:.1f}× and {lc_noobs[0] / fm[0]:.1f}× the engine's FMU "
                "run)")
        if sums["simulate_fmu"]:
            text += (f", and `fmpy.simulate_fmu` — which runs one FMU, so each FMU ran alone with "
                     f"its inputs held — **{sums['simulate_fmu'][0]:,.0f} µs** summed over the ten "
                     f"(the engine, the same ten FMUs alone: {sums['engine-fmu'][0]:,.0f} µs)")
        text += (". **Where the time goes.** *The models*: their own Python (CoolProp included) is "
                 f"most of it in every master, {T['model']:,.0f} µs a system step on the FMUs alone "
                 "— the same code in the same interpreter whichever master calls it. *The engine*: "
                 f"its master (simpy, bus) costs {T['master'] / nf:.1f} µs per actor step, FMU or "
                 f"not; the FMI layer costs {fm[0] - nt[0]:,.0f} µs a system step coupled "
                 f"({(fm[0] - nt[0]) / nf:.1f} µs per FMU step). On the FMUs alone that layer is "
                 f"{alone_fmi:,.0f} µs: pythonfmu's C++ → Python crossings and its getter and "
                 f"setter call per variable ({T['pyfmu']:,.0f} µs for {n_in} inputs set and {n_out} "
                 "outputs and locals read"
                 + (f"; a `fmi2SetReal` costs {fit_text(fit_set)}, a `fmi2GetReal` "
                    f"{fit_text(fit_get)}" if fit_set else "")
                 + f"), fmpy's ctypes calls ({T['ctypes']:,.0f} µs) and the FMU actor's copies "
                 f"({T['around'] - T['master']:,.0f} µs). The other {extra:,.0f} µs appear only "
                 "coupled, and the profile puts them in the models' own code: "
                 f"{pm['fmu']:,.0f} µs a system step in the FMU run against {pm['native']:,.0f} µs "
                 "in the native run (profiled), the same code on the same trajectory — but ten "
                 "separate copies of it, one per FMU (pythonfmu ships and imports the models and "
                 "the engine per FMU), alternating every step; more code and data to keep in the "
                 "caches is the likely cause, not isolated here. *libcosim*: "
                 + (f"its own C++ machinery costs little (alone, without observer, {sched_per:+.1f} µs "
                    "per FMU step against a bare C loop in a native thread, which makes one FMI call "
                    "more), " if sched_per <= 5 else
                    f"alone, without observer, it costs {sched_per:+.0f} µs per FMU step more than a "
                    "bare C loop in a native thread (its scheduling and the hand-over to its worker), ")
                 + "and its worker is a thread Python does not know, so every FMI call into a "
                 "pythonfmu FMU creates and destroys a Python thread state: "
                 f"{T['foreign']:,.0f} µs a system step ({T['foreign'] / nf:.0f} µs per FMU step, "
                 f"about {T['foreign'] / nf / 3:.0f} µs per call) that a native thread keeping its "
                 f"thread state does not pay ({T['keep']:+,.0f} µs). Its last-value observer reads "
                 f"all {n_all} variables after every step, {lc_sys[0] - lc_noobs[0]:,.0f} µs more "
                 "(one call per variable type, each with the same thread-state cost, and a getter "
                 f"per variable). With {threads[0] if threads and threads[0] is not None else 'its'} "
                 f"worker thread on {nproc} cores and the interpreter lock around every FMU's Python "
                 "it steps nothing in parallel; pinning all its threads to one core changes its time by "
                 + (f"{(lc_pin[0] - lc_sys[0]) / nf:+.1f} µs per FMU step." if lc_pin else "— (not measured)."))
        L += [text, ""]

    # ---- whole system
    L += ["## 1. The whole system, coupled", "",
          f"µs per simulated communication step of the system ({b.h:g} s; all {nf} actors "
          "step once), minimum / median. *Loop*: the stepping loop alone (the engine's "
          "`wall_time_s`; libcosim: its `step` calls after the first, which includes the "
          "initialisation); *whole run*: the whole call, set-up and initialisation included "
          "(libcosim: loading the SSP, unpacking and instantiating its FMUs), divided by the same "
          "steps.", ""]
    rows = []
    for key, label in SYSTEM:
        s = m(key)
        x = res[key]["runs"][-1].get("x") if res[key]["runs"] else None
        rows.append([label, cellx(res[key]), cellx(res[key], "whole"), f"{s[0] / nt[0]:.2f}×" if s and nt else "—",
                     "—" if x is None else f"{x:.9f}"])
    L += table(["master", "loop [µs]", "whole run [µs]", "÷ engine native (minimum)", "load.T at the end [K]"], rows)
    L += ["", "The same FMUs each run **alone** with their inputs held fixed (section 3), summed over "
          "the ten: **not coupled**, no values exchanged between FMUs (per round the sum of that "
          "round's ten runs, then minimum / median over the rounds):", ""]
    L += table(["each FMU alone, summed over the ten", "loop [µs]", "÷ engine native, coupled (minimum)"],
               [[labels[key], pair(sums[key], 0, grouped=True),
                 f"{sums[key][0] / nt[0]:.2f}×" if sums[key] and nt else "—"]
                for key in all_keys if key not in ("set", "get")])
    L.append("")
    if threads and threads[0] is not None:
        L += [f"libcosim started {threads[0]} worker thread{'s' if threads[0] != 1 else ''} for the "
              f"execution on this {nproc}-core machine (threads counted in `/proc/self/task` before "
              "loading the SSP and after the first step): its fixed-step algorithm hands the FMUs' "
              "steps to that pool every step and waits for all of them.", ""]

    # ---- accuracy
    L += ["## 2. The masters computed the same thing", ""]
    fr, nr = res["sys-fmu"]["runs"], res["sys-native"]["runs"]
    if fr and nr:
        same = fr[-1]["rows"] == nr[-1]["rows"]
        nvals = sum(len(r) for r in nr[-1]["rows"].values())
        L.append(f"- **Engine, FMUs against native actors**: {'bit for bit the same' if same else '**not the same**'} "
                 f"({nvals:,} recorded values: every output and local of every actor, every "
                 f"{RECORD:g} s from 0 to {b.stop:g} s).")
        if not same:
            c = compare_rows(fr[-1]["rows"], nr[-1]["rows"])
            L.append(f"  Largest relative difference {c['worst'][0]:.2e} ({c['worst'][1]} at {c['worst'][2]:g} s).")
    lr = res["sys-libcosim"]["runs"]
    if lr and nr:
        keys = [f"{a}.{v}" for a, vs in b.real_outputs.items() for v in vs]
        c = compare_rows(lr[-1]["rows"], nr[-1]["rows"], keys)
        top = ", ".join(f"`{k}` {d:.1e} (at {t:g} s)" for k, (d, t) in c["ranked"][:3])
        rest = [d for k, (d, t) in c["ranked"][3:]]
        L.append(f"- **libcosim against the engine** (the SSP run with its observer, the {c['n_keys']} Real "
                 f"outputs every {RECORD:g} s, {c['n_times']} times; difference relative to the "
                 f"variable's largest magnitude over the run): largest {top}; all others at most "
                 f"{max(rest) if rest else 0:.1e}. The load temperature differs by at most "
                 + (f"{c['dT']:.1e} K." if c["dT"] else "nothing (the same doubles).")
                 + " The residual is rounding: libcosim's step sizes are differences "
                 "of integer-nanosecond times converted to double (`0.15 - 0.1 = 0.04999999999999999`), "
                 "which the start-up amplifies (tests/test_ssp.py holds libcosim to 1e-9 of each "
                 "variable's range over 3 s, the expander's bearing heat, a difference of two nearly "
                 "equal temperatures, to 1e-6).")
    worst_by = {}
    for key in all_keys:
        if key in ("engine-native", "set", "get"):
            continue
        w = None
        for n in names:
            case, _ = where(n, key)
            a, r = res[case], res[f"{n}:engine-native"]
            if not (a["runs"] and r["runs"]):
                continue
            fin = a["runs"][-1].get("final")
            fin = fin.get(key) if key in BLOCK_KEYS and fin else fin
            if fin:
                d = max_rel(fin, r["runs"][-1]["final"])
                w = d if w is None else max(w, d)
        if w is not None:
            worst_by[labels[key]] = w
    txt = "; ".join(f"{k}: {'bit for bit' if v == 0 else f'{v:.1e}'}" for k, v in worst_by.items())
    L += [f"- **Each FMU alone** (section 3): the final outputs and locals of each FMU against the "
          f"engine's run of the native actor, largest relative difference over the ten — {txt}. "
          "(`simulate_fmu` computes its communication points as `start + n * step` in floating "
          "point, the others as the engine does, integer ticks divided once, and the motor's soft "
          "start reads the time; libcosim's steps are nanosecond differences as above.)", ""]

    # ---- per FMU
    masters = ("engine-fmu", "libcosim", "libcosim-noobs", "simulate_fmu", "fmpy")
    L += ["## 3. Each FMU alone", "",
          f"Each actor alone, parameters as in the scenario, inputs held at the values they had in "
          f"the coupled native run at t = {b.inputs_at:g} s, {b.n:,} steps of its own step from its "
          "start state. µs per FMU step, stepping loop only, minimum / median. The masters:", ""]
    L += table(["FMU"] + [labels[k] for k in masters],
               [[f"{n} (`{units[n].cls.__name__}`)"] + [qcell(n, k) for k in masters] for n in names]
               + [["**sum**"] + [pair(sums[k], 0, grouped=True) for k in masters]])
    blocks_keys = ("model", "engine-native", "ctypes", "c-here", "c-thread", "c-keep", "set", "get")
    L += ["", "The engine, the `FMU2Slave` loop and the building blocks below set all inputs "
          "(`fmi2SetReal`, one call) and read all outputs and locals (`fmi2GetReal`, one call) at "
          "every step. `simulate_fmu` has no input signal here: its inputs are start values, it "
          "sets nothing per step and reads the outputs and locals through its recorder. libcosim's "
          "override manipulator sets the inputs before each step; with a last-value observer "
          "libcosim reads every variable of the FMU after each step (Reals, Integers and Strings, "
          "parameters included: one `fmi2Get...` call per type), without one it reads nothing.", "",
          "The building blocks, no master: the model alone; the engine with the native actor; the "
          "FMU's three FMI calls of a step made by a Python loop on fmpy's ctypes functions "
          "(preallocated arrays) and by a C loop (compiled here"
          + ("" if b.c_loop is not None else f": {b.c_loop_missing}") + ") in this thread, in a "
          "new native thread, and in a new native thread that holds a Python thread state "
          "throughout; and one `fmi2SetReal` / `fmi2GetReal` called alone as often. The "
          "`FMU2Slave` loop above and every block but the engine's ran **interleaved** in blocks "
          f"of {BLOCK} steps (each variant its own instance, all on the same trajectory, block by "
          "block, the order rotated), so that a disturbance of the machine hits them alike.", ""]
    digits = {k: 1 if k in ("set", "get") else 0 for k in blocks_keys}
    L += table(["FMU"] + [labels[k] for k in blocks_keys],
               [[n] + [qcell(n, k, digits[k]) for k in blocks_keys] for n in names]
               + [["**sum**"] + [pair(sums[k], digits[k], grouped=True) for k in blocks_keys]])
    L.append("")

    # ---- where the time goes
    L += ["## 4. Where the time goes", "",
          "### Per FMU step, by differences of the rows of section 3", "",
          "µs per FMU step. For the interleaved blocks the estimate is the mean over the blocks of "
          "each block's minimum over the rounds (a block's disturbance is dropped); for the rest, "
          "the minimum over the rounds. The differences of a few µs between rows that cost tens of "
          "µs are at the edge of what this machine resolves: read the sum row and the FMUs with "
          "cheap models (motor, shaft, hp, lp, aftercooler) for the layer costs.", "",
          "- *model*: the plain loop;",
          "- *pythonfmu*: C loop (this thread) − model: inside the FMU binary, pythonfmu's C++ "
          "taking the interpreter lock, converting the arrays to Python lists and calling its "
          "Python `set_real` / `do_step` / `get_real`, which call our wrapper's setter / getter "
          "once per variable and the actor's `do_step`; *set* and *get*: the `fmi2SetReal` / "
          "`fmi2GetReal` call alone (from Python, a ctypes call each included; per variable in the "
          "last column);",
          "- *ctypes*: the Python ctypes loop − the C loop: three foreign-function calls from Python "
          "per step (argument conversion, releasing and retaking the interpreter lock);",
          "- *engine around the FMU*: engine FMU − ctypes loop: the engine's master and the FMU "
          "actor's copies between attributes and ctypes arrays; *of which master*: engine native − "
          "model, the same master around the native actor (simpy event, bus read and publish);",
          "- *foreign thread*: the C loop in a new native thread − in this thread: the same calls "
          "from a thread the interpreter does not know. pythonfmu's `PyGILState_Ensure` then "
          "creates a Python thread state at every call and `PyGILState_Release` destroys it; "
          "libcosim's worker threads are such threads; *keeping its state*: the same in a new "
          "native thread that creates its thread state once (`PyGILState_Ensure`, then "
          "`PyEval_SaveThread` to release the lock while keeping the state) before the loop;",
          "- *libcosim's scheduling*: libcosim without observer − the C loop in a new thread (its "
          "step bookkeeping and the hand-over to and from its worker; without an observer it makes "
          "two FMI calls a step here, `fmi2SetReal` and `fmi2DoStep`, one fewer than the C loop); "
          "*observer*: libcosim with − without its last-value observer.", ""]
    rows = []
    for n in names:
        u, v = units[n], dec[n]
        kinds = ", ".join(f"{c} {t}" for t, c in sorted(u.counts.items(), key=lambda kv: -kv[1]))
        per_var = (f"{v['set'] / max(len(u.ins), 1):.2f}, {v['get'] / max(len(u.outs), 1):.2f}"
                   if v["set"] is not None and v["get"] is not None else "—")
        rows.append([n, len(u.ins), len(u.outs), f"{len(u.md.modelVariables)} ({kinds})"]
                    + [fmt(v[k], 1) for k in dkeys] + [per_var])
    per_var_sum = (f"{T['set'] / n_in:.2f}, {T['get'] / n_out:.2f}"
                   if T["set"] is not None and T["get"] is not None else "—")
    rows.append(["**sum** (per system step)", n_in, n_out, n_all] + [fmt(T[k], 0) for k in dkeys] + [per_var_sum])
    L += table(["FMU", "inputs set", "outputs + locals read", "all variables", "model", "pythonfmu", "set", "get",
                "ctypes", "engine around the FMU", "of which master", "foreign thread",
                "foreign thread keeping its state", "libcosim's scheduling", "observer", "µs per variable (set, get)"],
               rows)
    L.append("")
    if all(T[k] is not None for k in dkeys) and fm and nt:
        total = T["model"] + T["pyfmu"] + T["ctypes"] + T["around"]
        L += [f"**The engine's FMU run**, per system step, from the FMUs alone: the models "
              f"{T['model']:,.0f} µs, pythonfmu {T['pyfmu']:,.0f} µs (setting the {n_in} inputs alone "
              f"costs {T['set']:,.0f} µs and reading the {n_out} outputs and locals {T['get']:,.0f} "
              "µs, a ctypes call each included"
              + (f"; fitted over the ten FMUs, `fmi2SetReal` costs {fit_text(fit_set)} and "
                 f"`fmi2GetReal` {fit_text(fit_get)}" if fit_set else "")
              + f"), fmpy's ctypes calls {T['ctypes']:,.0f} µs, and the engine around the FMUs "
              f"{T['around']:,.0f} µs (its master alone, around the native actors: "
              f"{T['master']:,.0f} µs): {total:,.0f} µs in all, against {fm[0]:,.0f} µs coupled. "
              f"The FMI layer, engine FMU − engine native: {fm[0] - nt[0]:,.0f} µs coupled, "
              f"{bsum('engine-fmu') - bsum('engine-native'):,.0f} µs from the FMUs alone. Coupled, "
              f"the native run itself costs {nt[0] - bsum('engine-native'):,.0f} µs more than its "
              "actors alone (other states and inputs: the coupled run sweeps the start-up; ten "
              "models alternating in the caches), and the FMU run more again: the cProfile tables "
              f"below give the models' code {pm['fmu']:,.0f} µs a system step in the FMU run "
              f"against {pm['native']:,.0f} µs in the native run (profiled), the same code on the "
              "same trajectory, but ten separate copies of it in the FMU run, one per FMU, "
              "alternating every step (the likely cause; not isolated here).", ""]
    if all(T[k] is not None for k in dkeys) and lc_sys and lc_noobs and fm:
        L += [f"**libcosim**, per system step: the same FMUs alone cost {bsum('c-here'):,.0f} µs "
              f"stepped by the C loop in this thread and {bsum('c-thread'):,.0f} µs by the same loop "
              f"in a new native thread: calling Python FMUs from a thread Python does not know costs "
              f"{T['foreign']:,.0f} µs ({T['foreign'] / nf:.1f} µs per FMU step, three calls). It is "
              f"the thread state, not the thread: a native thread that keeps one pays "
              f"{T['keep']:+,.0f} µs against this thread. libcosim's workers are such threads, and "
              f"libcosim alone without observer costs {T['sched']:+,.0f} µs ({sched_per:+.1f} µs per "
              "FMU step) against the C loop in a new thread, which makes one FMI call more per step "
              f"(`fmi2GetReal`: one more thread-state churn, about {T['foreign'] / nf / 3:.0f} µs, "
              "and its getters)"
              + (": libcosim's own scheduling and hand-over cost a few µs per FMU step at most, "
                 "little next to the thread-state churn. " if sched_per <= 5 else
                 ": the rest is libcosim's scheduling and the hand-over to its worker. ")
              + "Coupled, the SSP "
              f"run costs {lc_noobs[0]:,.0f} µs without observer, {lc_noobs[0] - fm[0]:+,.0f} µs "
              f"against the engine's FMU run (the churn, {T['foreign']:,.0f} µs, in place of the "
              f"engine's master and FMU actor, {T['around']:,.0f} µs), and {lc_sys[0]:,.0f} µs with "
              f"its observer (reading all {n_all} variables: {lc_sys[0] - lc_noobs[0]:,.0f} µs "
              f"coupled, {T['obs']:,.0f} µs summed alone). With all its threads pinned to one core "
              "(observer included) it takes "
              + (f"{lc_pin[0]:,.0f} µs ({(lc_pin[0] - lc_sys[0]) / nf:+,.1f} µs per FMU step "
                 "against free threads)" + (": with one worker thread there is no parallel "
                                            "stepping to lose." if one_worker else ".")
                 if lc_pin else "— (not measured)."), ""]
    if sums["simulate_fmu"] and sums["fmpy"] and sums["ctypes"]:
        L += [f"**`fmpy.simulate_fmu`**: {sums['simulate_fmu'][0]:,.0f} µs summed over the ten "
              f"FMUs alone, against {sums['fmpy'][0]:,.0f} µs for the raw `FMU2Slave` loop and "
              f"{sums['ctypes'][0]:,.0f} µs for the ctypes loop: it calls fmpy's `FMU2Slave` "
              "methods (`doStep`, and `getReal` through its recorder, which appends a row every "
              "step) and sets no input.", ""]

    # ---- profile
    for key, title in (("fmu", "the engine running the FMUs"), ("native", "the engine running the native actors")):
        p = prof[key]
        per = lambda s: s / p["n"] * 1e6  # noqa: E731
        L += [f"### cProfile of {title}", "",
              f"The stepping loop of `System.run` ({b.n:,} system steps; the profile of a run to "
              f"{b.stop:g} s less that of a run of one step), the least disturbed of {p['of']} "
              f"profiled runs; under the profiler the loop took {per(p['wall_loop']):,.0f} µs per "
              "system step, so read the shares. Own time grouped; C functions (CoolProp, "
              "`getattr`, ...) are charged to the groups of their callers."
              + (" The ctypes calls are not seen by cProfile: their time and pythonfmu's C++ show "
                 "as the FMU actor's own time, the Python they call (pythonfmu's, our wrapper's, "
                 "the model's) in its own group." if key == "fmu" else ""), ""]
        L += table(["group", "own [µs per system step, profiled]", "share"],
                   [[c, f"{per(p['groups'][c]):,.0f}", f"{p['groups'][c] / p['total']:.0%}"]
                    for c in CATEGORIES if p["groups"][c] > 0.0005 * p["total"]])
        L += [""]
        L += table(["function", "calls", "own [µs per system step, profiled]", "share"],
                   [[f"`{r['function']}`", f"{r['calls']:,}", f"{per(r['own']):,.1f}", f"{r['own'] / p['total']:.1%}"]
                    for r in p["top"]])
        L.append("")

    # ---- notes
    L += ["## What each master does per step", "",
          "- **Engine, FMU** (`cryocosim.fmi.fmu_actor.FMUActor.do_step`): per actor step one simpy "
          "event, the bus reads the actor's connected inputs, the actor copies them into a "
          "preallocated ctypes array and calls fmpy's bound `fmi2SetReal`, `fmi2DoStep` and "
          "`fmi2GetReal` (one call each for all Reals), then copies outputs and locals into its "
          "attributes and the bus publishes them. Jacobi: every actor steps on the values of the "
          "step before.",
          "- **Engine, native**: the same master calling the actor's `do_step` directly.",
          "- **pythonfmu** (inside every FMU, every master): `fmi2SetReal` / `fmi2GetReal` enter its "
          "C++, which takes the interpreter lock, builds Python lists and calls `Fmi2Slave.set_real` "
          "/ `get_real`, a Python loop calling one setter / getter per variable (ours, "
          "`cryocosim.fmi.slave`: `setattr` / `getattr` on the actor); `fmi2DoStep` calls "
          "`do_step`, which calls the actor's `do_step`.",
          "- **libcosim** (fixed-step algorithm from the SSP, C++): per step it hands every due FMU's "
          "step to its worker threads and waits; a worker sets the FMU's inputs from its cache, "
          "calls `fmi2DoStep` and reads the variables exposed for getting (the connected outputs; "
          "with a last-value observer every variable of the FMU: `libcosim`'s "
          "`slave_value_provider` exposes them all); then the main thread transfers the connected "
          "values. The FMUs' Python runs on the worker threads, which must take the interpreter "
          "lock in turn.",
          "- **`fmpy.simulate_fmu`**: one FMU; per step `doStep` and its recorder's `getReal` of the "
          "recorded variables (here the outputs and locals); inputs are start values (no input "
          "signal), so it does less per step than the others.", "",
          "## Notes", "",
          "- Every master runs in one process and one Python interpreter, and every FMU's Python "
          "code (pythonfmu) runs in it: no master can step two of these FMUs at the same time.",
          "- libcosim's loop time depends on where the operating system places its worker threads "
          "and on the load of the other core; it varies more than the other rows from run to run "
          "(compare the free and pinned rows, and docs/masters.md for trivial FMUs).",
          "- The FMUs and the SSP are exported once per script run (not timed); `simulate_fmu` runs "
          "on the extracted FMU with its model description read once.",
          "- Export warnings (what SSP cannot carry): " + "; ".join(f"“{w}”" for w in b.export_warnings) + ".",
          f"- Command: `.venv/bin/python docs/scripts/bench_fmu_masters.py --runs {args.runs} "
          f"--stop {b.stop:g} --inputs-at {b.inputs_at:g}`.", ""]
    path.write_text("\n".join(L))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--stop", type=float, default=60.0, help="simulated seconds (default 60)")
    ap.add_argument("--inputs-at", type=float, default=None,
                    help="time of the coupled run whose inputs the FMUs alone get (default: --stop)")
    ap.add_argument("--quick", action="store_true", help="1 round, 5 s simulated (not for the page)")
    ap.add_argument("--output", default=str(ROOT / "docs/fmu_masters.md"))
    args = ap.parse_args()
    if args.quick:
        args.runs, args.stop = 1, 5.0
    if args.inputs_at is None:
        args.inputs_at = args.stop
    if args.runs < 1 or args.stop < 2 * RECORD:
        ap.error(f"--runs must be at least 1 and --stop at least {2 * RECORD:g} s")
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    output = Path(args.output).resolve()
    with tempfile.TemporaryDirectory(prefix="bench_fmu_masters_") as tmp, contextlib.chdir(tmp):
        # run(fmu=True) takes its FMUs from build/fmus under the working directory: this folder
        print("exporting the FMUs and the SSP ...", flush=True)
        b = Bench(Path(tmp), args.stop, args.inputs_at)
        res = measure(cases(b), args.runs)
        print("profiles ...", flush=True)
        prof = profiles(b, min(args.runs, 3))
        wall = time.perf_counter() - t0
        write_page(output, args, b, res, prof, wall, load0)
        b.system.release()
    print(f"wrote {output} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
