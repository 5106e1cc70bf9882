"""No crash at exit (issue 21, part 2).

A run with FMUs used to abort now and then after printing "wrote ..." with `corrupted
double-linked list` (exit 134: 2 of 30 runs of the screw-Brayton cool-down with ``--fmu``), and a
C master running the recuperator's FMU aborted at every exit (`free(): corrupted unsorted
chunks`).  The cause: pythonfmu 0.7's binary keeps a global ``std::shared_ptr`` that a library
destructor resets at process exit after the pointer's own static destructor has run, freeing the
object twice and corrupting the heap, which some later ``free`` at exit trips over.  The FMUs'
native launcher (engine/fmi/launcher.c) releases that object after each ``fmi2Instantiate``.

The case of the issue runs 50 times here, two processes at a time (a run whose heap is corrupted
does not always abort, so one clean run proves little); tests/test_native_masters.py runs every
model in a C master, where the abort was certain.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COOLDOWN = ROOT / "scenarios" / "screw_brayton_cooldown.toml"
RUNS = 50
AT_ONCE = 2


def command(out: Path) -> list[str]:
    # one communication step: the start-up and the exit are the case, not the simulation
    return [sys.executable, "-m", "cryocosim", "run", str(COOLDOWN), "--fmu", "--stop-time", "0.05", "-q",
            "-o", str(out)]


def test_fmu_runs_exit_cleanly_every_time(tmp_path):
    # the first run exports the FMUs into tmp_path/build/fmus; the others find them there
    first = subprocess.run(command(tmp_path / "r0.nc"), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    failed = []
    for start in range(0, RUNS, AT_ONCE):
        procs = [(k, subprocess.Popen(command(tmp_path / f"r{k}.nc"), cwd=tmp_path, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
                 for k in range(start + 1, min(start + AT_ONCE, RUNS) + 1)]
        for k, proc in procs:
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0 or "corrupted" in err or not out.startswith("wrote "):
                failed.append((k, proc.returncode, err[-500:]))
    assert failed == [], f"{len(failed)} of {RUNS} runs did not exit cleanly: {failed[:3]}"
