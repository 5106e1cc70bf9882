"""Fuzzing the command line's flags: every command line either works (exit 0) or is refused
(exit 2: a one-line ``cryocosim: error:``, or argparse's usage message) — never a traceback,
never a hang (issue 21, part 4).

The mutants come from a fixed seed: each picks a command (run, validate, describe, export,
export-system) and draws its arguments and flags from pools of ordinary and odd values — numbers
with and without units, NaN, infinities, huge and negative values, empty strings, paths that do
not exist, are folders, devices, named pipes, over-long names, the scenario itself — repeated,
missing their value, unknown flags, stray positionals. Sweeps are fuzzed with their specs in
tests/test_sweep_safety.py. Every mutant runs in this process through ``cryocosim.cli.main``,
with an alarm as its time limit.
"""
from __future__ import annotations

import contextlib
import io
import os
import random
import signal
import warnings
from pathlib import Path

import pytest

from cryocosim import cli

SEED = 20261208
N_MUTANTS = 320
LIMIT_S = 20  # a mutant's wall time limit; the slowest legitimate one (an FMU export) takes ~1 s

SCENARIO = """
[run]
stop_time = "2 s"
output_interval = 0.5

[[actor]]
name = "load"
model = "thermal_load"
step = 0.5
[actor.parameters]
heat_removed = "1 W"
"""

NUMBERS = ["1", "0.5", "2 s", "0.25 min", "0", "-5", "nan", "inf", "-inf", "1e12", "1e400", "1e-12",
           "2 furlongs", "", " ", "abc", "0x10", "1_000", "10 K", "3 W", "9" * 400]


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli_fuzz")
    (d / "s.toml").write_text(SCENARIO)
    (d / "folder").mkdir()
    os.mkfifo(d / "pipe")
    (d / "text.txt").write_text("not a scenario\n")
    return d


def paths(d: Path) -> list[str]:
    return [str(d / "s.toml"), str(d / "r.nc"), str(d / "out" / "deeper" / "r.nc"), str(d / "folder"),
            str(d / "pipe"), "/dev/null", "/dev/zero", str(d / "text.txt"), str(d / ("x" * 300 + ".nc")),
            str(d / "none.toml"), "", str(d / "r.png"), str(d / "r.xyz"), str(d / "s.ssp"), str(d / "fmus")]


def mutant(rng: random.Random, d: Path) -> list[str]:
    p = paths(d)
    scen = str(d / "s.toml")
    command = rng.choice(["run", "run", "run", "validate", "validate", "describe", "export", "export-system"])
    args: list[str] = [command]
    flags = {
        "run": [("-o", p), ("--output", p), ("--plot", p), ("--stop-time", NUMBERS), ("--set", None),
                ("--tolerance", NUMBERS), ("--step", NUMBERS), ("--iterate", []), ("--no-iterate", []),
                ("-q", []), ("--fmu", [])],
        "validate": [("--trust", [])],
        "describe": [],
        "export": [("-o", p), ("--all", [])],
        "export-system": [("-o", p), ("--stop-time", NUMBERS), ("--set", None), ("--fmu-dir", p),
                          ("--inline-parameters", [])],
    }[command]
    if command in ("run", "validate", "export-system"):
        args.append(scen if rng.random() < 0.7 else rng.choice(p))
    elif command in ("describe", "export") and rng.random() < 0.8:
        args.append(rng.choice(["thermal_load", "motor", "warp_drive", "os:system", "", "x" * 300,
                                "cryocosim.fmus.motor:Motor", scen]))
    for _ in range(rng.randint(0, 4)):
        if not flags:
            break
        flag, pool = rng.choice(flags)
        if command == "run" and flag == "--fmu":
            continue  # exporting every FMU: seconds each; the FMU path has its own tests
        args.append(flag)
        if pool is None:  # --set
            args.append(rng.choice(["load.heat_removed=2 W", "load.heat_removed=nan", "load.T_start=1e9",
                                    "load=1", "=", "ghost.x=1", "load.heat_removed", "load.material=unobtainium"]))
        elif pool and rng.random() < 0.95:
            args.append(rng.choice(pool))
    r = rng.random()
    if r < 0.08:
        args.append(rng.choice(["--bogus", "-z", "--", "extra", "--stop-time"]))
    elif r < 0.12 and len(args) > 1:
        del args[rng.randrange(1, len(args))]
    if command == "run" and not any(a in ("-o", "--output") for a in args):
        args += ["-o", str(d / "default.nc")]  # never results/ in the working folder
    if command == "run" and "--stop-time" not in args:
        args += ["--stop-time", "1"]
    if command == "export" and "-o" not in args:
        args += ["-o", str(d / "fmus")]
    if command == "export-system" and "--fmu-dir" not in args:
        args += ["--fmu-dir", str(d / "fmus")]
    if "--all" in args:
        args.remove("--all")  # every model: tens of seconds
    return args


def run_main(argv: list[str]) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT_S)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("default")
            try:
                status = cli.main(argv)
            except SystemExit as exc:  # argparse: usage, exit 2
                status = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return status, err.getvalue()


def test_command_line_mutants_exit_0_or_2_without_traceback(place, monkeypatch):
    monkeypatch.chdir(place)
    rng = random.Random(SEED)
    bad = []
    seen = {0: 0, 2: 0}
    for _ in range(N_MUTANTS):
        argv = mutant(rng, place)
        try:
            status, err = run_main(argv)
        except Timeout:
            bad.append((argv, "timeout"))
            continue
        except BaseException as exc:  # noqa: BLE001 - the point is that nothing escapes
            bad.append((argv, f"{type(exc).__name__}: {exc}"))
            continue
        if status not in (0, 2) or "Traceback" in err:
            bad.append((argv, status, err[-500:]))
            continue
        if status == 2 and not err.startswith("usage:"):
            errors = [line for line in err.splitlines() if line.startswith("cryocosim: error:")]
            if len(errors) != 1:
                bad.append((argv, status, err[-500:]))
        seen[status] += 1
    assert bad == [], f"{len(bad)} of {N_MUTANTS} mutants misbehaved; first: {bad[:3]}"
    # the pools reach both outcomes in quantity (a fuzz that only ever fails tests little)
    assert seen[0] >= N_MUTANTS // 10 and seen[2] >= N_MUTANTS // 4, seen
