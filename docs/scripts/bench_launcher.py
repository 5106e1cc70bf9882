"""What the FMUs' native launcher costs per FMI call, against today's FMU binary, in one run.

An exported FMU's ``binaries/linux64/<Model>.so`` is the native launcher (engine/fmi/launcher.c):
it forwards every FMI call to pythonfmu's binary beside it, ``<Model>.pythonfmu.so`` — which is
exactly the binary every FMU had before the launcher.  Both are loaded here from the same
exported FMU and timed on the same call sequence, interleaved, so that the ratio is the
launcher's cost alone:

1. **in a Python host** (this process; fmpy's raw ctypes functions with preallocated arrays, the
   engine's call path): per step one ``fmi2SetReal`` of all inputs, one ``fmi2DoStep``, one
   ``fmi2GetReal`` of all outputs; and one ``fmi2GetReal`` of one output alone (the cheapest call);
2. **in a native host** (a C program compiled here, one process per round): the same step, the
   launcher with an empty environment against pythonfmu's binary with libpython preloaded and
   PYTHONHOME / PYTHONPATH set by hand (the only way it ran in a native host before), and the
   start-up: the first ``fmi2Instantiate`` to the end of ``fmi2ExitInitializationMode`` (starting
   Python, importing the model, its packages as the model first needs them).

Every case runs ``--runs`` rounds (default 5) after a warm-up; the tables give the minimum and the
median over the rounds.  Writes the block between the markers in docs/fmi.md (every number in
that block comes from here).

Usage: ``.venv/bin/python docs/scripts/bench_launcher.py [--runs 5] [--steps 2000]``
"""
from __future__ import annotations

import argparse
import ctypes
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import ROOT, host, min_median, pair, python, table  # noqa: E402

import fmpy  # noqa: E402
from fmpy.fmi2 import FMU2Slave  # noqa: E402

from cryocosim.fmi.export import fmu_cache  # noqa: E402
from cryocosim.fmi.native import INNER_SUFFIX  # noqa: E402
from cryocosim.fmus.gas_volume import GasVolume  # noqa: E402
from cryocosim.fmus.motor import Motor  # noqa: E402
from cryocosim.fmus.screw_compressor import ScrewCompressor  # noqa: E402

PAGE = ROOT / "docs/fmi.md"
BEGIN, END = "<!-- bench_launcher.py: begin -->", "<!-- bench_launcher.py: end -->"
# the models: the cheapest (the FMI layer is most of a step), a gas volume, a compressor
MODELS = [(Motor, {"speed": 1000.0}), (GasVolume, {"mdot_in": 0.002, "h_in": 399002.0, "mdot_out": 0.001}),
          (ScrewCompressor, {"speed": 1000.0})]


class Loaded:
    """One instance of an FMU through one of its two binaries, with preallocated ctypes arrays."""

    def __init__(self, unzipped: Path, md, binary: str, inputs: dict):
        self.slave = FMU2Slave(guid=md.guid, unzipDirectory=str(unzipped), modelIdentifier=binary,
                               instanceName=binary)
        self.slave.instantiate()
        self.slave.setupExperiment(startTime=0.0)
        self.slave.enterInitializationMode()
        vr = {v.name: v.valueReference for v in md.modelVariables}
        outs = [v.name for v in md.modelVariables if v.causality == "output" and v.type == "Real"]
        self.slave.setReal([vr[n] for n in inputs], list(inputs.values()))
        self.slave.exitInitializationMode()
        f = self.slave._functions
        self.set, self.step, self.get = f["fmi2SetReal"], f["fmi2DoStep"], f["fmi2GetReal"]
        self.c = self.slave.component
        self.ni, self.no = len(inputs), len(outs)
        self.in_vr = (ctypes.c_uint * self.ni)(*[vr[n] for n in inputs])
        self.in_val = (ctypes.c_double * self.ni)(*inputs.values())
        self.out_vr = (ctypes.c_uint * self.no)(*[vr[n] for n in outs])
        self.out_val = (ctypes.c_double * self.no)()
        self.t, self.h = 0.0, float(md.defaultExperiment.stepSize)

    def steps(self, n: int) -> float:
        """µs per step of set + doStep + get."""
        s, st, g, c = self.set, self.step, self.get, self.c
        t0 = time.perf_counter()
        for _ in range(n):
            s(c, self.in_vr, self.ni, self.in_val)
            st(c, self.t, self.h, 1)
            g(c, self.out_vr, self.no, self.out_val)
            self.t += self.h
        return (time.perf_counter() - t0) / n * 1e6

    def gets(self, n: int) -> float:
        """µs per fmi2GetReal of one output."""
        g, c, vr, out = self.get, self.c, self.out_vr, self.out_val
        t0 = time.perf_counter()
        for _ in range(n):
            g(c, vr, 1, out)
        return (time.perf_counter() - t0) / n * 1e6

    def free(self):
        self.slave.terminate()
        self.slave.freeInstance()


C_LOOP = r'''
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fmi2Functions.h"
static void logger(fmi2ComponentEnvironment e, fmi2String i, fmi2Status s, fmi2String c, fmi2String m, ...) {
    fprintf(stderr, "LOG %d %s\n", (int)s, m);
}
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }
#define LOAD(f) f##TYPE *f = (f##TYPE *)dlsym(lib, #f); if (!f) return 3;
int main(int argc, char **argv) {  /* binary guid resources h steps nin vr... val... nout vr... */
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 4; }
    LOAD(fmi2Instantiate) LOAD(fmi2SetupExperiment) LOAD(fmi2EnterInitializationMode)
    LOAD(fmi2ExitInitializationMode) LOAD(fmi2DoStep) LOAD(fmi2GetReal) LOAD(fmi2SetReal)
    double h = atof(argv[4]); int steps = atoi(argv[5]), k = 6;
    int ni = atoi(argv[k++]); fmi2ValueReference ivr[64]; fmi2Real ival[64];
    for (int i = 0; i < ni; i++) ivr[i] = atoi(argv[k++]);
    for (int i = 0; i < ni; i++) ival[i] = atof(argv[k++]);
    int no = atoi(argv[k++]); fmi2ValueReference ovr[64]; fmi2Real oval[64];
    for (int i = 0; i < no; i++) ovr[i] = atoi(argv[k++]);
    fmi2CallbackFunctions cb = {logger, calloc, free, NULL, NULL};
    double t0 = now();
    fmi2Component c = fmi2Instantiate("bench", fmi2CoSimulation, argv[2], argv[3], &cb, fmi2False, fmi2False);
    if (!c) return 5;
    fmi2SetupExperiment(c, fmi2False, 0, 0, fmi2False, 0);
    fmi2EnterInitializationMode(c);
    fmi2SetReal(c, ivr, ni, ival);
    fmi2ExitInitializationMode(c);
    double t_inst = now() - t0;
    double t = 0.0;
    for (int pass = 0; pass < 2; pass++) {  /* pass 0: warm-up */
        t0 = now();
        for (int s = 0; s < steps; s++) {
            fmi2SetReal(c, ivr, ni, ival);
            if (fmi2DoStep(c, t, h, fmi2True) > fmi2Warning) return 9;
            fmi2GetReal(c, ovr, no, oval);
            t += h;
        }
        if (pass) printf("startup_s %.6f step_us %.4f\n", t_inst, (now() - t0) / steps * 1e6);
    }
    fflush(stdout);
    _exit(0);  /* the numbers are out: no teardown in the timing process */
}
'''


def build_c_loop(tmp: Path) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    src, exe = tmp / "loop.c", tmp / "loop"
    src.write_text(C_LOOP)
    subprocess.run([cc, "-O2", f"-I{Path(fmpy.__file__).parent / 'c-code'}", "-o", str(exe), str(src), "-ldl"],
                   check=True, capture_output=True)
    return exe


def native_args(unzipped: Path, md, binary: str, inputs: dict, steps: int) -> list[str]:
    vr = {v.name: v.valueReference for v in md.modelVariables}
    outs = [v.name for v in md.modelVariables if v.causality == "output" and v.type == "Real"]
    return ([str(unzipped / "binaries/linux64" / f"{binary}.so"), md.guid, (unzipped / "resources").as_uri(),
             repr(float(md.defaultExperiment.stepSize)), str(steps), str(len(inputs))]
            + [str(vr[n]) for n in inputs] + [repr(v) for v in inputs.values()]
            + [str(len(outs))] + [str(vr[n]) for n in outs])


def run_native(exe: Path, args: list[str], env: dict) -> tuple[float, float]:
    out = subprocess.run([str(exe)] + args, env=env, capture_output=True, text=True, timeout=600)
    m = re.search(r"startup_s (\S+) step_us (\S+)", out.stdout)
    if out.returncode != 0 or not m:
        raise RuntimeError(f"native loop failed ({out.returncode}): {out.stdout} {out.stderr[-2000:]}")
    return float(m.group(1)), float(m.group(2))


def fmt(s: tuple[float, float], digits: int = 2) -> str:
    return pair(s, digits, grouped=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()
    started = time.perf_counter()
    load0 = os.getloadavg()
    libpython = Path(sysconfig.get_config_var("LIBDIR") or "") / (sysconfig.get_config_var("INSTSONAME") or "")
    py_rows, c_rows = [], []
    with tempfile.TemporaryDirectory(prefix="bench_launcher_") as tmp:
        tmp = Path(tmp)
        exe = build_c_loop(tmp)
        for cls, inputs in MODELS:
            path = fmu_cache(cls, tmp / "fmus")
            md = fmpy.read_model_description(str(path))
            unzipped = Path(fmpy.extract(str(path), unzipdir=str(tmp / cls.__name__)))
            model = md.coSimulation.modelIdentifier
            binaries = {"today": model + INNER_SUFFIX[:-3], "launcher": model}
            # 1. in this Python process, interleaved
            loaded = {k: Loaded(unzipped, md, b, inputs) for k, b in binaries.items()}
            for lo in loaded.values():
                lo.steps(200)
                lo.gets(200)
            step = {k: [] for k in loaded}
            get = {k: [] for k in loaded}
            for _ in range(args.runs):
                for k, lo in loaded.items():
                    step[k].append(lo.steps(args.steps))
                    get[k].append(lo.gets(args.steps))
            for lo in loaded.values():
                lo.free()
            py_rows.append((cls.__name__, len(inputs), len(loaded["today"].out_vr), min_median(step["today"]),
                            min_median(step["launcher"]), min_median(get["today"]), min_median(get["launcher"])))
            # 2. a native host: one process per round and binary, alternating
            old_env = {"LD_PRELOAD": str(libpython), "PYTHONHOME": sys.base_prefix,
                       "PYTHONPATH": sysconfig.get_paths()["purelib"]}
            native = {"today": [], "launcher": []}
            for _ in range(args.runs):
                native["today"].append(run_native(exe, native_args(unzipped, md, binaries["today"], inputs,
                                                                    args.steps), old_env))
                native["launcher"].append(run_native(exe, native_args(unzipped, md, binaries["launcher"],
                                                                       inputs, args.steps), {}))
            c_rows.append((cls.__name__,
                           min_median(s for _, s in native["today"]), min_median(s for _, s in native["launcher"]),
                           min_median(i for i, _ in native["today"]), min_median(i for i, _ in native["launcher"])))
    wall = time.perf_counter() - started
    write(args, py_rows, c_rows, wall, load0)


def write(args, py_rows, c_rows, wall: float, load0) -> None:
    ratio = lambda a, b: b[0] / a[0]  # noqa: E731 - launcher over today, minima
    worst_py = max(ratio(r[3], r[4]) for r in py_rows)
    worst_c = max(ratio(r[1], r[2]) for r in c_rows)
    lines = [BEGIN,
             f"Measured by `docs/scripts/bench_launcher.py` on {host()}, {os.cpu_count()} cores shared with other "
             f"work (load average {load0[0]:.2f} when it started), {python()}, fmpy {fmpy.__version__}: {args.runs} "
             f"interleaved rounds of {args.steps:,} steps after a warm-up, **minimum / median** over the "
             f"rounds ({wall:.0f} s in all). *today*: pythonfmu's binary called directly (the FMU's binary "
             "before the launcher, still in the FMU as `<Model>.pythonfmu.so`); *launcher*: the FMU's "
             "`<Model>.so`, which forwards to it.",
             "",
             "In a Python host (fmpy's ctypes functions, preallocated arrays): µs per step (`fmi2SetReal` of "
             "all inputs, `fmi2DoStep`, `fmi2GetReal` of all outputs) and per `fmi2GetReal` of one output:",
             ""]
    lines += table(["FMU", "inputs / outputs", "step, today", "step, launcher", "ratio", "one get, today",
                    "one get, launcher", "ratio"],
                   [[name, f"{ni} / {no}", fmt(st), fmt(sl), f"{ratio(st, sl):.3f}", fmt(gt), fmt(gl),
                     f"{ratio(gt, gl):.3f}"] for name, ni, no, st, sl, gt, gl in py_rows])
    lines += ["",
              "In a native host (a C program; *today* with libpython preloaded and PYTHONHOME / PYTHONPATH "
              "set by hand, the launcher with an empty environment): µs per step, and the start-up in s "
              "(the first `fmi2Instantiate` to the end of initialisation: starting Python, importing the "
              "model and the packages it needs):",
              ""]
    lines += table(["FMU", "step, today", "step, launcher", "ratio", "start-up, today [s]", "start-up, launcher [s]"],
                   [[name, fmt(st), fmt(sl), f"{ratio(st, sl):.3f}", fmt(it, 3), fmt(il, 3)]
                    for name, st, sl, it, il in c_rows])
    worst_get = max(ratio(r[5], r[6]) for r in py_rows)
    extra_ns = max(r[6][0] - r[5][0] for r in py_rows) * 1e3
    allowed = lambda x: "within" if x <= 1.2 else "**above**"  # noqa: E731
    lines += ["",
              f"In the Python host the launcher adds one indirect call and a test to each FMI call: the "
              f"largest ratio of the minima is {worst_py:.3f} per step and {worst_get:.3f} for a single "
              f"`fmi2GetReal`, the cheapest call ({extra_ns:.0f} ns more at most), {allowed(max(worst_py, worst_get))} "
              f"the 1.2× the launcher is allowed. In the native host the largest ratio is {worst_c:.3f}"
              + (": the launcher is faster than the old recipe. Left to start Python itself, pythonfmu starts "
                 "it in a thread of its own, so every call from the master's thread creates and destroys a "
                 "Python thread state; the launcher starts Python in the thread that first instantiates the "
                 "FMU, which keeps its thread state. A master that calls from threads of its own (libcosim's "
                 "and ecos' workers) pays that cost with either binary (docs/fmu_masters.md)."
                 if worst_c < 1.0 else f", {allowed(worst_c)} the 1.2× allowed."),
              END]
    text = PAGE.read_text()
    if BEGIN not in text:
        raise SystemExit(f"{PAGE} has no '{BEGIN}' marker")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    PAGE.write_text(head + "\n".join(lines) + tail)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
