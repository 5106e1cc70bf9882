"""Sweeps on Dask when something goes wrong on a worker (cryocosim.sweep.executors): a worker
process that dies during a point is replaced and the point computed again; a task that raises on
its worker outside its points is run again (``TASK_RETRIES``); a point that raises is recorded
with its error once, not retried; a point that kills every worker it runs on is reported failed,
not retried for ever.

Each case runs a real ``LocalCluster`` of 2 worker processes (``processes=True``, as
``run_sweep`` starts it); the sweep function is a file beside the spec that leaves marker files
in the test's folder, which tell the worker processes apart and count the calls.
"""
from pathlib import Path

import dask
import numpy as np

from cryocosim.sweep import TASK_RETRIES, run_sweep

SPEC = """
function = "points.py:square"
outputs = ["y", "pid"]
batch_size = 1
[parameters]
x = [1.0, 2.0, 3.0, 4.0]
"""

#: the sweep function's file: every call of a point is a line of calls-<x>.txt (the pid of the
#: process); BEHAVIOUR is what the point x = 2 does, ON_IMPORT what importing the file does
POINTS = """
import os
from pathlib import Path

HERE = Path(__file__).parent
ON_IMPORT


def square(x):
    with open(HERE / f"calls-{x:g}.txt", "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    if x == 2.0:
BEHAVIOUR
    return {"y": x * x, "pid": os.getpid()}
"""


def sweep(tmp_path: Path, behaviour: str, on_import: str = ""):
    (tmp_path / "points.py").write_text(POINTS.replace("BEHAVIOUR", behaviour).replace("ON_IMPORT", on_import))
    (tmp_path / "spec.toml").write_text(SPEC)
    return run_sweep(tmp_path / "spec.toml", workers=2, progress=False)


def calls(tmp_path: Path, x: float) -> list[int]:
    """The worker processes (pids) that called the function at ``x``, in order."""
    path = tmp_path / f"calls-{x:g}.txt"
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_a_worker_that_dies_during_a_point_is_replaced_and_the_point_computed(tmp_path):
    """The first call at x = 2 ends its worker process (os._exit, as a crash in native code or the
    out-of-memory killer would); the scheduler runs the task again on a live worker and the sweep
    completes with that point's correct result."""
    ds = sweep(tmp_path, """        if not (HERE / "died").exists():
            (HERE / "died").write_text(str(os.getpid()))
            os._exit(1)""")
    assert (ds.status == "ok").all(), ds.error.values
    np.testing.assert_array_equal(ds.y.values, [1.0, 4.0, 9.0, 16.0])
    dead = int((tmp_path / "died").read_text())
    first, second = calls(tmp_path, 2.0)                # called twice: the process died the first time
    assert first == dead and second != dead and int(ds.pid.sel(x=2.0)) == second
    assert int(ds.evaluations.sel(x=2.0)) == 1 and ds.attrs["points_failed"] == 0
    assert all(len(calls(tmp_path, x)) == 1 for x in (1.0, 3.0, 4.0))


def test_a_task_that_raises_on_its_worker_is_run_again(tmp_path):
    """Loading the function fails once on a worker (its module raises on import there, the first
    time): Dask runs the task again (``retries=TASK_RETRIES``) and every point is computed."""
    on_import = """

def on_a_worker():
    try:
        from distributed import get_worker
        get_worker()
        return True
    except (ImportError, ValueError):   # not in a task (the sweep's own process checks the file)
        return False


if on_a_worker() and not (HERE / "import-failed").exists():
    (HERE / "import-failed").write_text(str(os.getpid()))
    raise OSError("the function's file cannot be read yet")
"""
    assert TASK_RETRIES >= 1
    ds = sweep(tmp_path, "        pass", on_import)
    assert (tmp_path / "import-failed").exists()       # it did fail once on a worker
    assert (ds.status == "ok").all(), ds.error.values
    np.testing.assert_array_equal(ds.y.values, [1.0, 4.0, 9.0, 16.0])


def test_a_point_that_raises_is_recorded_once_not_retried(tmp_path):
    """A point's own error is caught on the worker and recorded: the task returns, nothing is
    run again (``retry_failed`` on a rerun does that), and the other points complete."""
    ds = sweep(tmp_path, '        raise ValueError("x = 2 is outside the model")')
    assert list(ds.status.values) == ["ok", "failed", "ok", "ok"]
    assert str(ds.error.sel(x=2.0).values) == "ValueError: x = 2 is outside the model"
    assert len(calls(tmp_path, 2.0)) == 1
    assert ds.attrs["points_failed"] == 1 and ds.attrs["status"] == "completed with 1 failed points"


def test_a_point_that_kills_every_worker_is_reported_not_retried_for_ever(tmp_path):
    """Every call at x = 2 ends its worker process: the scheduler gives up on the task after its
    allowed failures (set to 1 here to keep the test short; 3 by default), the point is recorded
    as failed with the reason, and the sweep completes the others.  (One task at a time per
    worker here: a death also counts against the tasks waiting on that worker, which with a
    single allowed failure could fail an innocent point too.)"""
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0}):
        ds = sweep(tmp_path, "        os._exit(1)")
    assert list(ds.status.values) == ["ok", "failed", "ok", "ok"]
    error = str(ds.error.sel(x=2.0).values)
    assert error.startswith("task failed: KilledWorker: ") and "\n" not in error, error
    assert len(calls(tmp_path, 2.0)) == 2               # 1 + allowed-failures, then no more
    np.testing.assert_array_equal(ds.y.values[[0, 2, 3]], [1.0, 9.0, 16.0])
    assert np.isnan(ds.y.values[1]) and ds.attrs["points_failed"] == 1
