"""Master overheads in one run: the engine against a plain loop, simpy, fmpy, libcosim and mosaik;
writes docs/masters.md (every number on that page comes from this script).

All masters are measured in the same process, in interleaved rounds (``--runs`` rounds, default
3: every case once per round), after one untimed warm-up of each; every table gives the minimum
and the median over the rounds.

1. **native path**: trivial actors (``tests/engine_actors.py:Oscillator``, ``x += k*u*h``) in a
   ring of 2 and of 10, Jacobi and Gauss-Seidel, against the floor (a plain Python loop calling
   the same actors' ``do_step``), a plain loop that also copies the coupled values, a bare simpy
   process loop (``env.timeout``) and mosaik with two in-process simulators wrapping the actor;
2. **one FMU**: the Oscillator exported by the project's own machinery
   (:func:`cryocosim.fmi.export.export_fmu`, pythonfmu), run by a raw ``fmpy.fmi2.FMU2Slave`` loop,
   a loop on fmpy's raw ctypes functions with preallocated arrays, ``fmpy.simulate_fmu``, the
   engine (``System`` with the ``.fmu`` as model), libcosim (libcosimpy) and mosaik;
3. **two connected FMUs** (``a.x -> b.u``, ``b.x -> a.u``): engine, fmpy loop, libcosim, mosaik;
4. **profile**: where the engine's time per actor step goes (cProfile).

libcosimpy and mosaik are optional (``pip install libcosimpy mosaik``): a missing one gives a
"not installed" row.

Usage: ``.venv/bin/python docs/scripts/bench_masters.py [--runs 3] [--steps 20000] [--quick]``
(``--quick``: 1 round of 2,000 steps; for trying the script, not for the page).
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import ctypes
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from pages import NOT_INSTALLED, ROOT, cores, host, min_median, pair, python, table, version, versions

sys.path.insert(0, str(ROOT / "tests"))

# The engine must be imported before any FMU is instantiated: a pythonfmu FMU running in this
# process imports `cryocosim` from its own resources/ unless the package is already imported.
from cryocosim import System  # noqa: E402
from cryocosim.fmi.export import export_fmu  # noqa: E402
import engine_actors  # noqa: E402
from engine_actors import Oscillator  # noqa: E402

H = 0.01            # communication step [s]
TARGET_NATIVE = 2.0  # µs of engine overhead per actor step
TARGET_FMU = 1.15    # engine / raw fmpy loop, same FMU


class Unavailable(Exception):
    """A master that cannot be measured here (package missing, or it failed)."""


# --------------------------------------------------------------------------------------------
# native path
# --------------------------------------------------------------------------------------------
def ring_actors(n: int) -> list:
    """The ring of bench_engine_overhead.py: a0 (k=1, x=1), then k alternating -1, +1."""
    actors = [Oscillator(name="a0", k=1.0, x_start=1.0)]
    actors += [Oscillator(name=f"a{i}", k=-1.0 if i % 2 else 1.0) for i in range(1, n)]
    for a in actors:
        a.setup()
    return actors


def plain_floor(n: int, steps: int) -> dict:
    """A plain Python loop calling do_step of every actor (no coupling): the floor."""
    actors = ring_actors(n)
    steppers = [a.do_step for a in actors]
    t0 = time.perf_counter()
    for k in range(steps):
        t = k * H
        for step in steppers:
            step(t, H)
    wall = time.perf_counter() - t0
    return {"us": wall / (n * steps) * 1e6}


def plain_coupled(n: int, steps: int) -> dict:
    """A plain loop that also copies the coupled value before each do_step (Gauss-Seidel)."""
    actors = ring_actors(n)
    pairs = [(a, actors[i - 1]) for i, a in enumerate(actors)]
    t0 = time.perf_counter()
    for k in range(steps):
        t = k * H
        for a, src in pairs:
            a.u = src.x
            a.do_step(t, H)
    wall = time.perf_counter() - t0
    return {"us": wall / (n * steps) * 1e6, "x": actors[0].x}


def bare_simpy(n: int, steps: int) -> dict:
    """n simpy processes that only wait (env.timeout) at each step: simpy's own cost."""
    import simpy

    env = simpy.Environment()
    ticks = 10_000_000

    def proc(env):
        timeout = env.timeout
        for _ in range(steps):
            yield timeout(ticks)

    for _ in range(n):
        env.process(proc(env))
    t0 = time.perf_counter()
    env.run()
    wall = time.perf_counter() - t0
    return {"us": wall / (n * steps) * 1e6}


def engine_ring(n: int, steps: int, ordering: str) -> dict:
    s = System("bench")
    s.add("a0", Oscillator, step=H, k=1.0, x_start=1.0)
    for i in range(1, n):
        s.add(f"a{i}", Oscillator, step=H, k=-1.0 if i % 2 else 1.0)
        s.connect(f"a{i - 1}.x", f"a{i}.u")
    s.connect(f"a{n - 1}.x", "a0.u")
    return engine_run(s, n, steps, ordering, "a0.x")


def engine_run(s: System, n: int, steps: int, ordering: str, x: str) -> dict:
    """Run ``s`` (``n`` actors) for ``steps`` steps of H: µs per actor step of its stepping loop and of
    the whole call, and the output ``x`` at the end."""
    t0 = time.perf_counter()
    ds = s.run(steps * H, ordering=ordering, output_interval=steps * H)
    whole = time.perf_counter() - t0
    assert s.master.steps_taken == n * steps, s.master.steps_taken
    return {"us": s.master.wall_time / (n * steps) * 1e6, "whole": whole / (n * steps) * 1e6,
            "x": float(ds[x].values[-1])}


# --------------------------------------------------------------------------------------------
# mosaik (in-process simulators: "python": "module:Class")
# --------------------------------------------------------------------------------------------
MOSAIK_META = {"api_version": "3.0", "type": "time-based",
               "models": {"Osc": {"public": True, "params": ["k", "x_start"], "attrs": ["u", "x"]}}}

try:
    import mosaik_api_v3 as _mosaik_api

    _SimBase = _mosaik_api.Simulator
except ImportError:  # mosaik not installed: the classes below are never used
    _SimBase = object


class MosaikOscillator(_SimBase):
    """A mosaik simulator holding one Oscillator actor; mosaik time in steps of H."""

    def __init__(self):
        super().__init__(MOSAIK_META)

    def init(self, sid, time_resolution=1.0, h=H):
        self.h = h
        return self.meta

    def create(self, num, model, **params):
        self.actor = Oscillator(name="osc", **params)
        self.actor.setup()
        return [{"eid": "osc", "type": model}]

    def step(self, time, inputs, max_advance):
        for value in inputs.get("osc", {}).get("u", {}).values():
            self.actor.u = value
        self.actor.do_step(time * self.h, self.h)
        return time + 1

    def get_data(self, outputs):
        return {"osc": {"x": self.actor.x}}


class MosaikFMU(MosaikOscillator):
    """A mosaik simulator holding one instance of the FMU (setReal + doStep + getReal a step)."""

    fmu = None  # the bench's Fmu (set before the world starts)

    def create(self, num, model, **params):
        self.slave = self.fmu.instance(f"mosaik{id(self)}", params)
        self.x = self.slave.getReal([self.fmu.vr["x"]])[0]
        return [{"eid": "osc", "type": model}]

    def step(self, time, inputs, max_advance):
        slave, vr = self.slave, self.fmu.vr
        for value in inputs.get("osc", {}).get("u", {}).values():
            slave.setReal([vr["u"]], [value])
        slave.doStep(time * self.h, self.h)
        self.x = slave.getReal([vr["x"]])[0]
        return time + 1

    def get_data(self, outputs):
        return {"osc": {"x": self.x}}

    def finalize(self):
        self.slave.terminate()
        self.slave.freeInstance()


def mosaik_pair(steps: int, sim: str) -> dict:
    """Two connected simulators (a.x -> b.u, b.x -> a.u time-shifted): a Gauss-Seidel ring of 2."""
    try:
        import mosaik
    except ImportError:
        raise Unavailable(NOT_INSTALLED) from None
    t0 = time.perf_counter()
    world = mosaik.World({"S": {"python": f"{__name__}:{sim}"}}, skip_greetings=True,
                         configure_logging=False)
    sa, sb = world.start("S", h=H), world.start("S", h=H)
    a, b = sa.Osc(k=1.0, x_start=1.0), sb.Osc(k=-1.0, x_start=0.0)
    world.connect(a, b, ("x", "u"))
    world.connect(b, a, ("x", "u"), time_shifted=True, initial_data={"x": 0.0})
    t1 = time.perf_counter()
    world.run(until=steps, print_progress=False)
    t2 = time.perf_counter()
    return {"us": (t2 - t1) / (2 * steps) * 1e6, "whole": (t2 - t0) / (2 * steps) * 1e6}


# --------------------------------------------------------------------------------------------
# the FMU
# --------------------------------------------------------------------------------------------
class Fmu:
    """The exported Oscillator FMU, extracted once, with its value references."""

    def __init__(self, out_dir: Path):
        import fmpy

        self.path = export_fmu(Oscillator, out_dir)
        self.md = fmpy.read_model_description(str(self.path), validate=True)
        self.unzip = fmpy.extract(str(self.path), unzipdir=str(out_dir / "unzipped"))
        self.vr = {v.name: v.valueReference for v in self.md.modelVariables}

    def instance(self, name: str, params: dict | None = None):
        """An FMU2Slave instantiated and initialised (parameters set in initialisation mode)."""
        from fmpy.fmi2 import FMU2Slave

        saved = list(sys.path)
        fmu = FMU2Slave(guid=self.md.guid, unzipDirectory=self.unzip,
                        modelIdentifier=self.md.coSimulation.modelIdentifier, instanceName=name)
        try:
            fmu.instantiate()
        finally:  # pythonfmu prepends its resources folder to sys.path on every instantiation
            sys.path[:] = saved
        fmu.setupExperiment(startTime=0.0)
        fmu.enterInitializationMode()
        if params:
            names = list(params)
            fmu.setReal([self.vr[k] for k in names], [float(params[k]) for k in names])
        fmu.exitInitializationMode()
        return fmu


def fmpy_loop(fmu: Fmu, steps: int) -> dict:
    """(a) raw fmpy: FMU2Slave.setReal + doStep + getReal per step (u held at 1)."""
    t0 = time.perf_counter()
    slave = fmu.instance("raw")
    vu, vx = fmu.vr["u"], fmu.vr["x"]
    t1 = time.perf_counter()
    t = 0.0
    for _ in range(steps):
        slave.setReal([vu], [1.0])
        slave.doStep(t, H)
        x = slave.getReal([vx])[0]
        t += H
    t2 = time.perf_counter()
    slave.terminate()
    slave.freeInstance()
    t3 = time.perf_counter()
    return {"us": (t2 - t1) / steps * 1e6, "whole": (t3 - t0) / steps * 1e6, "x": x}


def fmpy_ctypes_loop(fmu: Fmu, steps: int) -> dict:
    """fmpy's raw ctypes functions with preallocated arrays (the engine's own call path)."""
    slave = fmu.instance("ctypes")
    f = slave._functions
    set_real, do_step, get_real = f["fmi2SetReal"], f["fmi2DoStep"], f["fmi2GetReal"]
    comp = slave.component
    vu = (ctypes.c_uint * 1)(fmu.vr["u"])
    vx = (ctypes.c_uint * 1)(fmu.vr["x"])
    val_u = (ctypes.c_double * 1)(1.0)
    val_x = (ctypes.c_double * 1)()
    t1 = time.perf_counter()
    t = 0.0
    for _ in range(steps):
        val_u[0] = 1.0
        if set_real(comp, vu, 1, val_u) > 1 or do_step(comp, t, H, 0) > 1 or get_real(comp, vx, 1, val_x) > 1:
            raise RuntimeError("FMI call failed")
        x = val_x[0]
        t += H
    t2 = time.perf_counter()
    slave.terminate()
    slave.freeInstance()
    return {"us": (t2 - t1) / steps * 1e6, "x": x}


def fmpy_simulate(fmu: Fmu, steps: int) -> dict:
    """(b) fmpy.simulate_fmu on the extracted FMU, output every step."""
    import fmpy

    saved = list(sys.path)
    t0 = time.perf_counter()
    try:
        res = fmpy.simulate_fmu(fmu.unzip, model_description=fmu.md, stop_time=steps * H, step_size=H,
                                output_interval=H, start_values={"u": 1.0}, output=["x"])
    finally:
        sys.path[:] = saved
    wall = time.perf_counter() - t0
    assert len(res) == steps + 1, len(res)
    return {"whole": wall / steps * 1e6, "x": float(res["x"][-1])}


def engine_fmu(fmu: Fmu, steps: int, n: int = 1, ordering: str = "gauss-seidel") -> dict:
    """(c) the engine: System with the .fmu as model (one with u=1, or two connected)."""
    s = System("bench_fmu")
    model = str(fmu.path)
    if n == 1:
        s.add("a", model, step=H, u=1.0)
    else:
        s.add("a", model, step=H, x_start=1.0)
        s.add("b", model, step=H, k=-1.0)
        s.connect("a.x", "b.u")
        s.connect("b.x", "a.u")
    return engine_run(s, n, steps, ordering, "a.x")


def fmpy_pair(fmu: Fmu, steps: int) -> dict:
    """Two FMU2Slave instances, Gauss-Seidel: a reads b's x, steps; b reads a's new x, steps."""
    t0 = time.perf_counter()
    a = fmu.instance("a", {"x_start": 1.0})
    b = fmu.instance("b", {"k": -1.0})
    vu, vx = fmu.vr["u"], fmu.vr["x"]
    xa, xb = a.getReal([vx])[0], b.getReal([vx])[0]
    t1 = time.perf_counter()
    t = 0.0
    for _ in range(steps):
        a.setReal([vu], [xb])
        a.doStep(t, H)
        xa = a.getReal([vx])[0]
        b.setReal([vu], [xa])
        b.doStep(t, H)
        xb = b.getReal([vx])[0]
        t += H
    t2 = time.perf_counter()
    for s in (a, b):
        s.terminate()
        s.freeInstance()
    t3 = time.perf_counter()
    return {"us": (t2 - t1) / (2 * steps) * 1e6, "whole": (t3 - t0) / (2 * steps) * 1e6, "x": xa}


_LIBCOSIM_QUIET = []


def libcosim():
    """libcosimpy's CosimExecution, CosimManipulator, CosimObserver and CosimLocalSlave, its
    logging set to errors (once); Unavailable where it is not installed."""
    try:
        from libcosimpy.CosimExecution import CosimExecution
        from libcosimpy.CosimLogging import CosimLogLevel, log_output_level
        from libcosimpy.CosimManipulator import CosimManipulator
        from libcosimpy.CosimObserver import CosimObserver
        from libcosimpy.CosimSlave import CosimLocalSlave
    except ImportError:
        raise Unavailable(NOT_INSTALLED) from None
    if not _LIBCOSIM_QUIET:
        log_output_level(CosimLogLevel.ERROR)  # it logs at debug level by default
        _LIBCOSIM_QUIET.append(True)
    return CosimExecution, CosimManipulator, CosimObserver, CosimLocalSlave


@contextlib.contextmanager
def pinned_to_one_core(on: bool):
    """This thread (and the threads it creates meanwhile) on one core if ``on``; sys.path restored
    after (pythonfmu prepends its resources folder at every instantiation)."""
    saved_path = list(sys.path)
    saved_cpus = os.sched_getaffinity(0) if on else None
    try:
        if on:
            os.sched_setaffinity(0, {min(saved_cpus)})
        yield
    finally:
        sys.path[:] = saved_path
        if on:
            os.sched_setaffinity(0, saved_cpus)


def libcosim_run(fmu: Fmu, steps: int, n: int = 1, pinned: bool = False) -> dict:
    """(d) libcosim's fixed-step algorithm on the same FMU (one with u=1, or two connected).

    ``pinned``: this thread is pinned to one core before the execution (and its worker threads)
    are created, so every thread of the run shares that core."""
    CosimExecution, CosimManipulator, CosimObserver, CosimLocalSlave = libcosim()
    if pinned and not hasattr(os, "sched_setaffinity"):
        raise Unavailable("no os.sched_setaffinity on this platform")
    h_ns = round(H * 1e9)
    with pinned_to_one_core(pinned):
        t0 = time.perf_counter()
        ex = CosimExecution.from_step_size(h_ns)
        a = ex.add_local_slave(CosimLocalSlave(str(fmu.path), "a"))
        vr = {v.name.decode(): v.reference for v in ex.slave_variables(a)}
        observer = CosimObserver.create_last_value()
        ex.add_observer(observer)
        if n == 1:
            manipulator = CosimManipulator.create_override()
            ex.add_manipulator(manipulator)
            manipulator.slave_real_values(a, [vr["u"]], [1.0])  # set before every step
        else:
            b = ex.add_local_slave(CosimLocalSlave(str(fmu.path), "b"))
            ex.real_initial_value(a, vr["x_start"], 1.0)
            ex.real_initial_value(b, vr["k"], -1.0)
            ex.connect_real_variables(a, vr["x"], b, vr["u"])
            ex.connect_real_variables(b, vr["x"], a, vr["u"])
        if not ex.step(1):  # initialisation and the first step, untimed
            raise Unavailable("libcosim failed to initialise or step the FMU")
        t1 = time.perf_counter()
        ok = ex.step(steps - 1)
        t2 = time.perf_counter()
        if not ok or ex.status().current_time != steps * h_ns:
            raise Unavailable("libcosim stopped early")
        x = observer.last_real_values(a, [vr["x"]])[0]
        del observer, ex
        t3 = time.perf_counter()
    return {"us": (t2 - t1) / (n * (steps - 1)) * 1e6, "whole": (t3 - t0) / (n * steps) * 1e6, "x": x}


# --------------------------------------------------------------------------------------------
# running the cases
# --------------------------------------------------------------------------------------------
def cases(fmu: Fmu, steps: int, native_steps: int) -> dict:
    """name -> (callable, group). Groups: native, fmu1, fmu2."""
    c = {}
    for n in (2, 10):
        c[f"plain{n}"] = (lambda n=n: plain_floor(n, native_steps), "native")
        c[f"coupled{n}"] = (lambda n=n: plain_coupled(n, native_steps), "native")
        c[f"simpy{n}"] = (lambda n=n: bare_simpy(n, native_steps), "native")
        for o in ("jacobi", "gauss-seidel"):
            c[f"engine{n}-{o}"] = (lambda n=n, o=o: engine_ring(n, native_steps, o), "native")
    c["mosaik-native"] = (lambda: mosaik_pair(steps, "MosaikOscillator"), "native")
    c["fmpy-loop"] = (lambda: fmpy_loop(fmu, steps), "fmu1")
    c["fmpy-ctypes"] = (lambda: fmpy_ctypes_loop(fmu, steps), "fmu1")
    c["simulate_fmu"] = (lambda: fmpy_simulate(fmu, steps), "fmu1")
    c["engine-fmu"] = (lambda: engine_fmu(fmu, steps), "fmu1")
    c["libcosim"] = (lambda: libcosim_run(fmu, steps), "fmu1")
    c["libcosim-pinned"] = (lambda: libcosim_run(fmu, steps, pinned=True), "fmu1")
    c["engine-fmu2-gauss-seidel"] = (lambda: engine_fmu(fmu, steps, 2, "gauss-seidel"), "fmu2")
    c["engine-fmu2-jacobi"] = (lambda: engine_fmu(fmu, steps, 2, "jacobi"), "fmu2")
    c["fmpy-pair"] = (lambda: fmpy_pair(fmu, steps), "fmu2")
    c["libcosim2"] = (lambda: libcosim_run(fmu, steps, 2), "fmu2")
    c["libcosim2-pinned"] = (lambda: libcosim_run(fmu, steps, 2, pinned=True), "fmu2")
    c["mosaik-fmu"] = (lambda: mosaik_pair(steps, "MosaikFMU"), "fmu2")
    return c


def measure(all_cases: dict, runs: int) -> dict:
    """name -> {"runs": [result dicts], "error": str|None}; one warm-up, then interleaved rounds."""
    out = {name: {"runs": [], "error": None} for name in all_cases}
    for rnd in range(runs + 1):
        label = "warm-up" if rnd == 0 else f"round {rnd}/{runs}"
        print(f"{label} ...", flush=True)
        for name, (fn, _) in all_cases.items():
            if out[name]["error"] is not None:
                continue
            try:
                r = fn()
            except Unavailable as exc:
                out[name]["error"] = str(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - a broken master is a row, not a crash
                out[name]["error"] = f"failed: {type(exc).__name__}: {' '.join(str(exc).split())[:120]}"
                continue
            if rnd > 0:
                out[name]["runs"].append(r)
    return out


# --------------------------------------------------------------------------------------------
# profile
# --------------------------------------------------------------------------------------------
def profile_engine(build, steps: int, n_actor_steps: int, top: int = 10) -> dict:
    """cProfile of System.run: own time per function, in µs per actor step (profiler-inflated)."""
    s, kwargs = build()
    pr = cProfile.Profile()
    pr.enable()
    s.run(steps * H, output_interval=steps * H, **kwargs)
    pr.disable()
    st = pstats.Stats(pr)
    rows = []
    total = 0.0
    for (path, line, func), (cc, nc, tt, ct, callers) in st.stats.items():
        total += tt
        p = path.replace("\\", "/")
        short = "/".join(p.split("/")[-2:]) if "/" in p else p
        rows.append({"function": f"{short}:{line}({func})", "own": tt, "calls": nc})
    rows.sort(key=lambda r: -r["own"])
    loop_rows = [r for r in rows if r["calls"] >= n_actor_steps // 2]
    per_step = sum(r["own"] for r in loop_rows) / n_actor_steps * 1e6
    return {"total": total, "top": rows[:top], "n": n_actor_steps, "per_step_loop_functions": per_step,
            "wall_loop": s.master.wall_time}


def profiles(fmu: Fmu, steps: int, runs: int) -> dict:
    """The least disturbed of ``runs`` profiles (smallest stepping-loop time) of each system."""
    def native():
        s = System("prof")
        s.add("a0", Oscillator, step=H, k=1.0, x_start=1.0)
        s.add("a1", Oscillator, step=H, k=-1.0)
        s.connect("a0.x", "a1.u")
        s.connect("a1.x", "a0.u")
        return s, {"ordering": "gauss-seidel"}

    def one_fmu():
        s = System("prof_fmu")
        s.add("a", str(fmu.path), step=H, u=1.0)
        return s, {}

    def best(build, n):
        return min((profile_engine(build, steps, n) for _ in range(runs)), key=lambda p: p["wall_loop"])

    return {"native": best(native, 2 * steps), "fmu": best(one_fmu, steps), "fmu_md": fmu.md}


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------
def stat(res: dict, key: str = "us"):
    """(minimum, median) of ``key`` over a case's rounds; None if no round has it."""
    vals = [r[key] for r in res["runs"] if key in r]
    return min_median(vals) if vals else None


def cell(res: dict, key: str = "us", digits: int = 2) -> str:
    return res["error"] if res["error"] is not None else pair(stat(res, key), digits)


def final(res: dict) -> str:
    if res["error"] is not None or not res["runs"] or "x" not in res["runs"][-1]:
        return "—"
    return f"{res['runs'][-1]['x']:.12g}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def write_page(path: Path, args, res: dict, prof: dict, wall: float) -> None:
    steps, nsteps = args.steps, args.native_steps
    m = lambda name, key="us": stat(res[name], key)  # noqa: E731

    # ---- target 1: engine overhead on the native path
    rows1 = []
    worst_total = worst_over = worst_total_med = worst_over_med = None
    for n in (2, 10):
        floor = m(f"plain{n}")
        for o in ("jacobi", "gauss-seidel"):
            e = m(f"engine{n}-{o}")
            if e is None or floor is None:
                continue
            over = (e[0] - floor[0], e[1] - floor[1])
            rows1.append((n, o, e, over))
            worst_total = max(worst_total or 0.0, e[0])
            worst_total_med = max(worst_total_med or 0.0, e[1])
            worst_over = max(worst_over or 0.0, over[0])
            worst_over_med = max(worst_over_med or 0.0, over[1])
    t1_ok = None if worst_over is None else worst_over <= TARGET_NATIVE
    t1_ok_med = None if worst_over_med is None else worst_over_med <= TARGET_NATIVE

    # ---- target 2: engine / raw fmpy loop
    raw, eng = m("fmpy-loop"), m("engine-fmu")
    raw_w, eng_w = m("fmpy-loop", "whole"), m("engine-fmu", "whole")
    ratio = (eng[0] / raw[0], eng[1] / raw[1]) if raw and eng else None
    ratio_w = (eng_w[0] / raw_w[0], eng_w[1] / raw_w[1]) if raw_w and eng_w else None
    t2_ok = None if ratio is None else ratio[0] <= TARGET_FMU
    t2_ok_med = None if ratio is None else ratio[1] <= TARGET_FMU
    t2_ok_w = None if ratio_w is None else ratio_w[0] <= TARGET_FMU

    ct = m("fmpy-ctypes")
    fmu_over = (eng[0] - ct[0], eng[1] - ct[1]) if eng and ct else None

    # ---- optional: two connected FMUs
    raw2, eng2 = m("fmpy-pair"), m("engine-fmu2-gauss-seidel")
    ratio2 = (eng2[0] / raw2[0], eng2[1] / raw2[1]) if raw2 and eng2 else None

    import inspect

    from cryocosim.master import Master

    chunks = inspect.signature(Master.run).parameters["chunks"].default
    n_real = sum(1 for v in prof["fmu_md"].modelVariables if v.type == "Real")
    L = ["<!-- written by docs/scripts/bench_masters.py; do not edit: run the script -->",
         "# Master overheads: the engine against a plain loop, simpy, fmpy, libcosim and mosaik", "",
         f"Measured by `docs/scripts/bench_masters.py` on {host()}, {cores(label='usable by this process')}, "
         f"{python()}; {versions('simpy', 'fmpy', 'pythonfmu', 'libcosimpy', 'mosaik', 'numpy')}. "
         "**A shared machine with other work running**: every master "
         f"was measured in this one run of the script ({wall:.0f} s), in {args.runs} interleaved "
         "rounds (each case once per round) after one untimed warm-up of each, and every time is "
         f"the **minimum / median of the {args.runs} rounds**: the minimum is the better estimate "
         "of the undisturbed cost, the median shows the disturbance. Steps of "
         f"{H} s; {nsteps:,} steps per actor on the native path, {steps:,} on the FMU paths.", "",
         "## Targets", ""]
    targets = []
    if worst_over is not None:
        targets.append([f"fixed-step engine overhead ≤ {TARGET_NATIVE:g} µs per actor step (native, trivial actors, "
                        "rings of 2 and 10, Jacobi and Gauss–Seidel)",
                        f"worst case {worst_over:.2f} / {worst_over_med:.2f} µs over the floor ({worst_total:.2f} / "
                        f"{worst_total_med:.2f} µs in all)",
                        verdict(t1_ok) + ("" if t1_ok == t1_ok_med else f" (median: {verdict(t1_ok_med)})")])
    if ratio is not None:
        targets.append([f"FMU path ≤ {TARGET_FMU:g}× a raw fmpy loop on the same FMU",
                        f"engine {pair(eng, 2)} µs against {pair(raw, 2)} µs per step: {ratio[0]:.2f}× / "
                        f"{ratio[1]:.2f}× (stepping loops); whole runs {ratio_w[0]:.2f}× / {ratio_w[1]:.2f}×",
                        verdict(t2_ok) + ("" if t2_ok == t2_ok_med and t2_ok == t2_ok_w else
                                          f" (median: {verdict(t2_ok_med)}; whole run: {verdict(t2_ok_w)})")])
    if fmu_over is not None:
        targets.append(["(no target) the engine's FMU path against the fastest fmpy loop (raw ctypes functions, "
                        "preallocated arrays)",
                        f"{eng[0] / ct[0]:.2f}× / {eng[1] / ct[1]:.2f}×: the engine adds {pair(fmu_over, 2)} µs per "
                        "FMU step", "—"])
    if ratio2 is not None:
        targets.append(["(no target) two connected FMUs, engine against an fmpy loop",
                        f"{ratio2[0]:.2f}× / {ratio2[1]:.2f}×", "—"])
    L += table(["target", "measured (minimum / median)", "verdict"], targets)
    L += ["", "Overhead = the engine's time per actor step less the floor's (a plain Python loop "
          "calling the same actors' `do_step`), both from the same round's minimum (or median). "
          "FMU ratio = the engine's stepping loop against the raw fmpy loop's, both per FMU step.", ""]

    # ---- table 1
    L += ["## 1. Native path: trivial actors", "",
          "`tests/engine_actors.py:Oscillator` (`x += k*u*h`, one input, one output) in a ring: "
          "`a0.x -> a1.u -> ... -> a(n-1).x -> a0.u`, the ring of "
          "`docs/scripts/bench_engine_overhead.py`. µs per actor step (per process step for simpy, "
          "per simulator step for mosaik), minimum / median. *Loop*: the stepping loop alone (the "
          "engine's `master.wall_time`); *whole run*: the whole `System.run()` call (set-up, "
          "initialisation, result dataset) divided by the same steps.", ""]

    def over_floor(s, fl):
        return f"{s[0] - fl[0]:.2f} / {s[1] - fl[1]:.2f}" if s and fl else "—"

    rows = []
    for n in (2, 10):
        fl = m(f"plain{n}")
        rows += [["plain loop, `do_step` only (**the floor**)", n, cell(res[f"plain{n}"]), "—", "0"],
                 ["plain loop, copy `u = x` + `do_step`", n, cell(res[f"coupled{n}"]), "—",
                  over_floor(m(f"coupled{n}"), fl)],
                 ["bare simpy processes (`yield env.timeout`), no model", n, cell(res[f"simpy{n}"]), "—", "—"]]
        for o in ("jacobi", "gauss-seidel"):
            e = res[f"engine{n}-{o}"]
            rows.append([f"**engine**, {o}", n, cell(e), cell(e, "whole"), over_floor(m(f"engine{n}-{o}"), fl)])
    rows.append(["mosaik, two in-process simulators wrapping the actor", 2, cell(res["mosaik-native"]),
                 cell(res["mosaik-native"], "whole"), "—"])
    L += table(["master", "actors", "loop [µs]", "whole run [µs]", "overhead over the floor [µs]"], rows)
    L += ["", f"Final `a0.x` of the ring of 2: engine Gauss–Seidel {final(res['engine2-gauss-seidel'])}, "
          f"plain coupled loop (Gauss–Seidel) {final(res['coupled2'])}: the engine's loop computes the "
          "same thing as the hand-written loop.", ""]

    # ---- table 2
    fmu_rows = [("(a) raw fmpy loop: `FMU2Slave.setReal` + `doStep` + `getReal` (**the reference**)", "fmpy-loop"),
                ("raw fmpy ctypes functions, preallocated arrays (the engine's call path, no master)", "fmpy-ctypes"),
                ("(b) `fmpy.simulate_fmu` (output every step; no `setReal` per step)", "simulate_fmu"),
                ("(c) **engine**, `System` with the `.fmu` as model", "engine-fmu"),
                ("(d) libcosim (libcosimpy), fixed-step, worker threads free", "libcosim"),
                ("(d) libcosim, all threads pinned to one core", "libcosim-pinned")]
    L += ["## 2. One FMU", "",
          "`Oscillator` exported by the project's own machinery (`cryocosim.fmi.export.export_fmu`, "
          f"pythonfmu {version('pythonfmu')}: the model runs in this same Python process), input `u` held at 1, "
          f"{steps:,} steps of {H} s. µs per FMU step, minimum / median. *Loop*: the stepping loop "
          "alone; *whole run*: instantiation and initialisation of the FMU, the steps and the "
          "termination (export and extraction excluded: done once before all rounds).", ""]
    rows = []
    for label, name in fmu_rows:
        s = m(name) or m(name, "whole")
        rows.append([label, cell(res[name]), cell(res[name], "whole"), f"{s[0] / raw[0]:.2f}×" if s and raw else "—",
                     final(res[name])])
    mo = m("mosaik-fmu")
    rows.append(["(e) mosaik: two connected in-process simulators, one FMU instance each (per simulator step; the "
                 "system of section 3)", cell(res["mosaik-fmu"]), cell(res["mosaik-fmu"], "whole"),
                 f"{mo[0] / raw[0]:.2f}×" if mo and raw else "—", "—"])
    L += table(["master", "loop [µs]", "whole run [µs]", "÷ raw fmpy loop (minimum)", "x at the end"], rows)
    L.append("")
    if ratio is not None:
        L += [f"Engine ÷ raw fmpy loop: **{ratio[0]:.2f}×** (minimum) / {ratio[1]:.2f}× (median) for the "
              f"stepping loops, {ratio_w[0]:.2f}× / {ratio_w[1]:.2f}× for whole runs; target ≤ "
              f"{TARGET_FMU:g}×: {verdict(t2_ok)}. The engine beats fmpy's `FMU2Slave` loop because "
              "it calls fmpy's raw ctypes functions with preallocated arrays, where `FMU2Slave.setReal` "
              "and `getReal` build the arrays from lists at every call (the ctypes row: "
              + (f"{ct[0]:.2f} µs, {raw[0] - ct[0]:.2f} µs less than the `FMU2Slave` loop). Against that "
                 f"ctypes loop the engine adds {fmu_over[0]:.2f} / {fmu_over[1]:.2f} µs per FMU step, "
                 "its master overhead (section 1) plus the FMU actor's copies between attributes and "
                 "ctypes arrays." if fmu_over else "not measured)."), ""]

    # ---- table 3
    L += ["## 3. Two connected FMUs", "",
          "Two instances of the same FMU, `a.x -> b.u` and `b.x -> a.u` (a: `x_start = 1`, b: "
          f"`k = -1`: a harmonic oscillator split in two), {steps:,} steps. µs per FMU step (the "
          "system's step costs twice that). The final `a.x` shows that each master computes the "
          "same coupling: the Gauss–Seidel masters agree with each other, libcosim (Jacobi: every "
          "FMU steps on the values of the step before) with the engine's Jacobi.", ""]
    two_rows = [("fmpy loop: two `FMU2Slave`, set + doStep + get each (**the reference**)", "Gauss–Seidel", "fmpy-pair"),
                ("**engine**", "Gauss–Seidel", "engine-fmu2-gauss-seidel"),
                ("**engine**", "Jacobi", "engine-fmu2-jacobi"),
                ("libcosim, worker threads free", "Jacobi", "libcosim2"),
                ("libcosim, all threads pinned to one core", "Jacobi", "libcosim2-pinned"),
                ("mosaik, two in-process simulators (b → a time-shifted)", "Gauss–Seidel", "mosaik-fmu")]
    L += table(["master", "ordering", "loop [µs]", "whole run [µs]", "÷ fmpy loop (minimum)", "a.x at the end"],
               [[label, order, cell(res[name]), cell(res[name], "whole"),
                 f"{m(name)[0] / raw2[0]:.2f}×" if m(name) and raw2 else "—", final(res[name])]
                for label, order, name in two_rows])
    L.append("")

    # ---- per step
    L += ["## What each master does per step", "",
          "- **Plain loop (floor)**: `for actor: actor.do_step(t, h)` — the model's own cost plus a "
          "Python call. *With coupling*: also `a.u = src.x` before each call.",
          "- **Bare simpy**: one generator per process resumed by simpy's event loop "
          "(`env.timeout` creates and schedules one event per step); no model, no data.",
          "- **Engine, native** (`FixedClock._actor` in `engine/clock.py`): per actor step one simpy "
          "event (a `Timeout` whose simpy time orders it within the tick, `Timeline.wait`, resumed by "
          "`simpy.Environment.step`), `Bus.read_inputs` (each connected input from its producer's "
          "slot, the slot's valid time compared with the read limit, unit scale and offset applied), "
          "`do_step`, `Bus.publish` (every output and local Real into its slot), a step counter; "
          "the monitor process wakes only at output times (here the end) and the run goes in "
          f"{chunks} chunks (a fresh `simpy.Environment` each).",
          "- **Engine, FMU** (`cryocosim.fmi.fmu_actor.FMUActor.do_step`): the same master, and the "
          "actor's `do_step` copies the inputs into a preallocated ctypes array and calls fmpy's "
          "bound `fmi2SetReal`, `fmi2DoStep` and `fmi2GetReal` directly (one call each for all Reals), "
          "then copies outputs and locals back into attributes.",
          "- **Raw fmpy loop**: `FMU2Slave.setReal([vr], [u])`, `doStep(t, h)`, `getReal([vr])`: fmpy "
          "builds ctypes arrays from the lists on every call and checks the status.",
          "- **`fmpy.simulate_fmu`**: its co-simulation loop, per step `doStep` and a recorder sample "
          "(`getReal` of the output); `u` is a start value, not set at each step (no input signal), "
          "so it does less per step than the others.",
          "- **libcosim** (fixed-step algorithm, C++): per step the main thread submits each FMU's "
          "step to its worker thread pool and waits; the worker sets the "
          "inputs exposed for setting (here `u`, by the override manipulator or the connection), "
          "calls `fmi2DoStep` and reads every variable exposed for getting (the last-value observer "
          f"exposes all {n_real} Reals of the FMU); then the main thread transfers connected values and "
          "notifies the observer. The FMU's Python code runs on the worker thread, which must take "
          "the interpreter lock. When the threads land on separate cores each hand-over wakes a "
          "sleeping thread on the other core; pinned to one core it is a context switch on the same "
          "core. Which is cheaper depends on what else the machine runs (compare the free and "
          "pinned rows). Times are integer nanoseconds; the first step (initialisation) is not in "
          "the loop time, and its whole run also includes libcosim loading (unpacking) the FMU, "
          "which the other masters do once before all rounds.",
          "- **mosaik 3** (asyncio, in-process simulators): per simulator step the scheduler "
          "coroutine collects the simulator's inputs from the data-flow graph, awaits "
          "`step(time, inputs, max_advance)` and `get_data` for the connected outputs through its "
          "proxy objects, and updates its time bookkeeping; the simulator then calls the actor's "
          "`do_step` (native) or `setReal` + `doStep` + `getReal` (FMU).", "",
          "All FMU masters run the same pythonfmu FMU in this process, so every FMU step includes "
          "pythonfmu's own cost: a C++ → Python call for `doStep` and Python getter/setter calls "
          "for each value (the ctypes loop above shows that cost with no master around it).", ""]

    # ---- profile
    pn, pf = prof["native"], prof["fmu"]
    L += ["## Where the engine's time per actor step goes", "",
          f"cProfile of `System.run`, ring of 2 Oscillators (Gauss–Seidel), {steps:,} steps each "
          f"({pn['n']:,} actor steps), the least disturbed of {args.runs} profiled runs: own time per "
          "function in µs per actor step. cProfile adds "
          "its own cost to every call (here the stepping loop took "
          f"{pn['wall_loop'] / pn['n'] * 1e6:.2f} µs per actor step under the profiler), so read the "
          "shares, not the absolute values.", ""]
    L += table(["function", "calls", "own [µs per actor step]", "share of profiled time"],
               [[f"`{r['function']}`", f"{r['calls']:,}", f"{r['own'] / pn['n'] * 1e6:.2f}", f"{r['own'] / pn['total']:.0%}"]
                for r in pn["top"]])
    L += ["", f"The same for one FMU actor ({pf['n']:,} steps). The FMU's own Python (pythonfmu's "
          "slave, getters, setters and the actor) runs in this thread and is profiled too; the "
          "ctypes calls are not seen by cProfile, so the time inside the FMU binary (fmpy's ctypes, "
          "pythonfmu's C++ and its calls into Python, less the Python functions listed) shows as "
          "the own time of `FMUActor.do_step`:", ""]
    L += table(["function", "calls", "own [µs per step]", "share of profiled time"],
               [[f"`{r['function']}`", f"{r['calls']:,}", f"{r['own'] / pf['n'] * 1e6:.2f}", f"{r['own'] / pf['total']:.0%}"]
                for r in pf["top"]])
    L.append("")

    # ---- budget by measurement (no profiler)
    fl2, sp2, en2 = m("plain2"), m("simpy2"), m("engine2-gauss-seidel")
    if fl2 and sp2 and en2:
        rest = en2[0] - fl2[0] - sp2[0]
        L += ["Without a profiler, from the minima of section 1 (ring of 2, Gauss–Seidel): of "
              f"{en2[0]:.2f} µs per actor step, {fl2[0]:.2f} µs is the floor (the model and a call), "
              f"about {sp2[0]:.2f} µs the cost of one simpy process step, and {rest:.2f} µs the rest "
              "(bus reads and publishes, the engine's own event scheduling, the time conversion and "
              "step bookkeeping of `FixedClock._actor`).", ""]
    L += ["## Notes", "",
          "- Every master here runs in one process and one Python interpreter; the FMU is the same "
          "file for all of them (exported once per script run into a temporary folder).",
          "- libcosim's loop time depends on where the operating system places its worker thread "
          "and on the load of the other cores, so it can differ much more than the other rows "
          "from one run of this script to the next.",
          "- mosaik and libcosimpy are optional (`pip install libcosimpy mosaik`); without them their "
          "rows read *not installed*.",
          f"- Command: `.venv/bin/python docs/scripts/bench_masters.py --runs {args.runs} --steps {steps}`.", ""]
    path.write_text("\n".join(L))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--steps", type=int, default=20000, help="steps on the FMU paths and mosaik (default 20000)")
    ap.add_argument("--native-steps", type=int, default=None,
                    help="steps per actor on the native path (default: --steps)")
    ap.add_argument("--quick", action="store_true", help="1 round of 2,000 steps (not for the page)")
    ap.add_argument("--output", default=str(ROOT / "docs/masters.md"))
    args = ap.parse_args()
    if args.quick:
        args.runs, args.steps = 1, 2000
    if args.native_steps is None:
        args.native_steps = args.steps
    if args.runs < 1 or args.steps < 10:
        ap.error("--runs must be at least 1 and --steps at least 10")

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_masters_") as tmp:
        fmu = Fmu(Path(tmp))
        MosaikFMU.fmu = fmu
        res = measure(cases(fmu, args.steps, args.native_steps), args.runs)
        print("profiles ...", flush=True)
        prof = profiles(fmu, args.steps, args.runs)
    wall = time.perf_counter() - t0
    write_page(Path(args.output), args, res, prof, wall)
    print(f"wrote {args.output} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
