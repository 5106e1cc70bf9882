"""Where a sweep's tasks run: one after the other in this process (``scheduler="synchronous"``),
or on Dask distributed (a new local cluster, an existing scheduler's address, or the caller's
Client), with the grid's missing points split into batches, one task each.  Dask is imported
only here, when a sweep starts a task on it.

A task that raises on its worker (outside its points: a point that raises is recorded as failed,
never raised) is run again up to :data:`TASK_RETRIES` times; a task whose worker dies is
rescheduled by the scheduler itself (``distributed.scheduler.allowed-failures``).  A task that
still fails yields its error, and the sweep records each of its points as failed with it."""
from __future__ import annotations

import inspect
import math
import time
import uuid

from ..errors import one_line
from ..errors import exception_line
from .limits import SweepError, default_workers
from .worker import run_batch

#: seconds to wait for an existing scheduler (``scheduler=ADDRESS``) to answer
CONNECT_TIMEOUT = 10.0
#: how many more times Dask runs a task that raised on its worker (``Client.submit(retries=)``).
#: Only what a task does outside its points can raise (loading the function on that worker,
#: rebuilding the spec's expressions): a point's own error is caught and recorded, never retried.
#: A failure there that need not recur (a file that could not be read at that moment) is gone by
#: the next attempt; a lasting one (the function's module missing on a remote worker) costs two
#: more attempts at loading it, then the task's points are recorded as failed with the error.
#: A worker that dies is not a task's error: the scheduler runs its tasks on another worker and
#: fails a task (``KilledWorker``) when more than ``distributed.scheduler.allowed-failures`` (3)
#: workers died running it.
TASK_RETRIES = 2


class SynchronousExecutor:
    """Tasks run one after the other in this process (``scheduler="synchronous"``)."""

    workers = 1
    address = "synchronous"
    start_time = 0.0

    def run(self, definition, batches):
        for i, batch in enumerate(batches):
            try:
                yield i, run_batch(definition, batch), None
            except Exception as exc:  # noqa: BLE001
                yield i, None, exception_line(exc)

    def close(self):
        pass


class DaskExecutor:
    """A Dask client: a new local cluster, an existing scheduler's address, or a given Client."""

    def __init__(self, scheduler, workers: int | None, connect_timeout: float):
        import logging

        t0 = time.perf_counter()
        from dask.distributed import Client, LocalCluster

        self._own_client = self._cluster = None
        if scheduler is None or scheduler == "local":
            n = workers or default_workers()
            # (CRITICAL: a worker's heartbeat racing the shutdown logs an ERROR with a traceback;
            # real failures reach the points' records as the tasks' errors)
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.CRITICAL)
            self.client = self._own_client = Client(self._cluster)
        elif isinstance(scheduler, str):
            try:
                self.client = self._own_client = Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SweepError(f"scheduler {scheduler!r}: cannot connect "
                                 f"({one_line(exc)})") from None
        else:
            self.client = scheduler     # a distributed.Client of the caller's: not closed here
        try:
            self.client.wait_for_workers(1, timeout=max(connect_timeout, 30.0))
        except (TimeoutError, OSError) as exc:
            self.close()
            raise SweepError(f"scheduler {self.client.scheduler.address!r} has no workers "
                             f"({one_line(exc)})") from None
        info = self.client.scheduler_info(n_workers=-1) if _accepts(self.client.scheduler_info, "n_workers") \
            else self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        self.address = self.client.scheduler.address
        self.start_time = time.perf_counter() - t0
        self._futures = []

    def run(self, definition, batches):
        from dask.distributed import as_completed

        futures = {}
        for i, batch in enumerate(batches):
            fut = self.client.submit(run_batch, definition, batch, pure=False, retries=TASK_RETRIES,
                                     key=f"sweep-batch-{i}-{uuid.uuid4().hex[:8]}")
            futures[fut] = i
        self._futures = list(futures)
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                yield i, fut.result(), None
            except Exception as exc:  # noqa: BLE001 - a lost worker, a task that could not run
                yield i, None, f"task failed: {exception_line(exc)}"
            fut.release()

    def cancel(self):
        if self._futures:
            try:
                self.client.cancel(self._futures)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass

    def close(self):
        for closer in (self._own_client, self._cluster):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # noqa: BLE001
                    pass
        self._own_client = self._cluster = None


def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def make_batches(items: list, workers: int, batch_size: int | None) -> list[list]:
    """Split ``items`` into tasks: ``batch_size`` each, or by default at least 4 tasks per worker
    and at most 64 points per task; points are dealt out in turn so that each task gets a spread
    of the grid (points of similar cost sit together in the grid)."""
    n = len(items)
    if n == 0:
        return []
    if batch_size is None:
        tasks = min(n, max(4 * workers, math.ceil(n / 64)))
    else:
        tasks = math.ceil(n / batch_size)
    return [items[i::tasks] for i in range(tasks)]
