"""Running a sweep: :func:`run_sweep` takes the points ``<output>.parts/`` holds, runs the missing
ones as tasks on an executor, keeps each finished task's points in the cache as they come, and
assembles one Dataset of the grid (an output per variable, each point's status, error, warning and
times; the counts and timings as attributes), written to NetCDF atomically; :func:`failures`
lists its failed points.  xarray is imported only when a Dataset is made."""
from __future__ import annotations

import datetime
import json
import math
import os
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..checks import check_output_path
from ..errors import describe
from ..errors import exception_line
from .cache import PartsCache, os_error_text, remove_file
from .executors import CONNECT_TIMEOUT, DaskExecutor, SynchronousExecutor, make_batches
from .limits import SweepError, SweepWriteError, check_workers
from .spec import SweepSpec, load_spec

if TYPE_CHECKING:
    import xarray as xr


def _utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def run_sweep(spec: str | Path | SweepSpec | dict, output: str | Path | None = None,
              scheduler: Any = None, workers: int | None = None, progress: bool = True,
              retry_failed: bool = False, batch_size: int | None = None,
              connect_timeout: float = CONNECT_TIMEOUT) -> "xr.Dataset":
    """Run the sweep ``spec`` (a spec file, a :class:`SweepSpec`, or a parsed dict) and return
    its Dataset; with ``output`` (a NetCDF path), also write it there and keep the finished
    points in ``<output>.parts/``, from which a rerun takes them (it computes only what is
    missing; ``retry_failed`` recomputes the points that failed).

    ``scheduler``: ``None`` (a new local cluster of ``workers`` processes, default the usable
    cores, one thread each), an address (``"tcp://host:8786"``), a ``distributed.Client``, or
    ``"synchronous"`` (in this process, no Dask).  ``batch_size``: points per task (default:
    the spec's, else at least 4 tasks per worker and at most 64 points per task).
    ``progress``: a progress bar (points) on stderr.

    The Dataset's attributes count ``points_total``, ``points_done`` (succeeded),
    ``points_failed``, ``points_missing`` (not computed: an interrupted sweep), ``points_cached``
    (taken from ``<output>.parts/``) and ``points_computed`` (by this call), and time it
    (``wall_time_s``; ``cluster_start_s``; ``sweep_time_s``, from the first task submitted to the
    last result; ``compute_time_s`` and ``compute_cpu_time_s``, summed over points).  Ctrl-C (or
    SIGTERM) writes what is finished (``status`` "interrupted ...") and raises
    KeyboardInterrupt.

    A script that starts a local cluster must call this under ``if __name__ == "__main__":``
    (the worker processes are spawned and import the script's main module, as with
    ``multiprocessing``).
    """
    t_start = time.perf_counter()
    if isinstance(spec, SweepSpec):
        sp = spec
    elif isinstance(spec, dict):
        sp = load_spec(data=spec, import_function=False)
    else:
        sp = load_spec(spec, import_function=False)
    if workers is not None:
        check_workers(workers)
    if workers is not None and scheduler not in (None, "local", "synchronous"):
        raise SweepError("workers sets the size of a new local cluster; it cannot be used with an "
                         "existing scheduler")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise SweepError(f"batch_size must be a whole number >= 1, got {describe(batch_size)}")
    out_path = None
    lock = None
    if output is not None:
        out_path = check_output_path(output, "output")
    sp.load_function()   # (after the output path is checked: a bad one runs none of its code)
    points = sp.points()
    keys = [sp.key(p) for p in points]
    parts = out_path.with_name(out_path.name + ".parts") if out_path else None
    cache = PartsCache(parts)
    try:
        if out_path is not None:
            from ..results import OutputLock

            try:
                out_path.parent.mkdir(parents=True, exist_ok=True)
                lock = OutputLock(out_path)
                lock.acquire(out_path)
            except OSError as exc:
                lock = None
                raise SweepWriteError(f"cannot write sweep result '{out_path}': {os_error_text(exc)}") from None
        records = cache.load()
        known = {k: records[k] for k in keys if k in records
                 and (records[k].get("status") == "ok" or not retry_failed)}
        todo = [(k, p) for k, p in zip(keys, points) if k not in known]
        n_cached = len(known)
        computed: dict[str, dict] = {}
        executor = None
        interrupted = False
        t_sweep = 0.0
        n_tasks = 0
        bs = batch_size or sp.batch_size
        from ..system import sigterm_as_interrupt

        bar = None
        try:
            with sigterm_as_interrupt():
                if todo:
                    if scheduler == "synchronous":
                        executor = SynchronousExecutor()
                    else:
                        executor = DaskExecutor(scheduler, workers, connect_timeout)
                    batches = make_batches(todo, executor.workers, bs)
                    n_tasks = len(batches)
                    bs = max(len(b) for b in batches)
                    if progress:
                        from tqdm import tqdm

                        bar = tqdm(total=len(set(keys)), initial=n_cached, unit="pt", desc=sp.name,
                                   file=sys.stderr, mininterval=0.5, dynamic_ncols=True)
                    t0 = time.perf_counter()
                    failed_now = 0
                    definition = {**sp.definition, "run": uuid.uuid4().hex}
                    for i, recs, error in executor.run(definition, batches):
                        if recs is None:   # the whole task failed: its points record why
                            now = _utc()
                            recs = [{"key": k, "point": p, "outputs": {}, "status": "failed", "error": error,
                                     "warning": "", "seconds": math.nan, "evaluations": 0, "finished": now}
                                    for k, p in batches[i]]
                        spec_error = next((r["spec_error"] for r in recs if "spec_error" in r), None)
                        recs = [r for r in recs if "spec_error" not in r]
                        cache.write(recs)
                        if spec_error is not None:   # every point would fail the same way
                            raise SweepError(spec_error)
                        for r in recs:
                            computed[r["key"]] = r
                            failed_now += r["status"] != "ok"
                        if bar is not None:
                            bar.update(len(recs))
                            if failed_now:
                                bar.set_postfix_str(f"{failed_now} failed", refresh=False)
                    t_sweep = time.perf_counter() - t0
        except BaseException as exc:   # Ctrl-C, a full disk, an error of the spec: the tasks stop
            interrupted = isinstance(exc, KeyboardInterrupt)
            if isinstance(executor, DaskExecutor):
                executor.cancel()
            raise
        finally:
            if bar is not None:
                bar.close()
            if executor is not None:
                executor.close()
            if interrupted:
                # what is finished is in the cache; write it as the (partial) result
                ds = _assemble(sp, keys, known, computed)
                _attrs(ds, sp, executor, n_tasks, bs, time.perf_counter() - t_start, t_sweep,
                       status_override="interrupted")
                if out_path is not None:
                    _write(ds, out_path, parts)
        all_records = {**records, **computed}
        ds = _assemble(sp, keys, known, computed)
        _attrs(ds, sp, executor, n_tasks, bs, time.perf_counter() - t_start, t_sweep)
        if out_path is not None:
            _write(ds, out_path, parts)
            cache.compact(all_records)
        return ds
    finally:
        if lock is not None:
            lock.release()


def _assemble(sp: SweepSpec, keys: list[str], known: dict, computed: dict) -> "xr.Dataset":
    """The Dataset of the grid ``keys`` from the cached (``known``) and new (``computed``) records."""
    import xarray as xr

    shape = sp.shape
    n = len(keys)
    data = {name: np.full(n, np.nan) for name in sp.outputs}
    status = np.full(n, "missing", dtype=object)
    error = np.full(n, "", dtype=object)
    warn = np.full(n, "", dtype=object)
    seconds = np.full(n, np.nan)
    cpu = np.full(n, np.nan)
    evaluations = np.zeros(n, dtype=np.int32)
    for i, k in enumerate(keys):
        rec = computed.get(k) or known.get(k)
        if rec is None:
            continue
        status[i] = rec.get("status", "failed")
        error[i] = rec.get("error", "") or ""
        warn[i] = rec.get("warning", "") or ""
        seconds[i] = rec.get("seconds", np.nan)
        cpu[i] = rec.get("cpu_seconds", np.nan)
        evaluations[i] = rec.get("evaluations", 0)
        for name, value in (rec.get("outputs") or {}).items():
            if name in data:
                data[name][i] = np.nan if value is None else value
    dims = [p.name for p in sp.parameters]
    coords = {}
    for p in sp.parameters:
        vals = p.values if p.coords is None else p.coords
        if all(isinstance(v, bool) for v in vals):
            arr = np.array(["true" if v else "false" for v in vals], dtype=object)
        elif all(isinstance(v, str) for v in vals):
            arr = np.array(vals, dtype=object)
        else:
            arr = np.array([float(v) for v in vals])
        attrs = {"long_name": p.long_name or p.name}
        if p.unit:
            attrs["units"] = p.unit
        coords[p.name] = (p.name, arr, attrs)
    ds = xr.Dataset(coords=coords)
    for name, values in data.items():
        attrs = {"long_name": sp.outputs[name].text, **sp.output_attrs.get(name, {})}
        ds[name] = (dims, values.reshape(shape), attrs)
    ds["status"] = (dims, status.reshape(shape), {"long_name": "ok, failed or missing (not computed)"})
    ds["error"] = (dims, error.reshape(shape), {"long_name": "why the point failed"})
    ds["warning"] = (dims, warn.reshape(shape), {"long_name": "warnings while computing the point"})
    ds["point_time"] = (dims, seconds.reshape(shape), {"units": "s", "long_name": "wall time of the point"})
    ds["point_cpu_time"] = (dims, cpu.reshape(shape), {"units": "s", "long_name": "CPU time of the point "
                                                        "(its worker process's)"})
    ds["evaluations"] = (dims, evaluations.reshape(shape),
                         {"long_name": "calls of the function or runs of the scenario"})
    ds.attrs["_counts"] = json.dumps({
        "total": n, "done": int((status == "ok").sum()), "failed": int((status == "failed").sum()),
        "missing": int((status == "missing").sum()),
        "cached": sum(1 for k in set(keys) if k in known), "computed": len(computed)})
    return ds


def _attrs(ds, sp: SweepSpec, executor, n_tasks: int, batch_size, wall: float, t_sweep: float,
           status_override: str | None = None) -> None:
    c = json.loads(ds.attrs.pop("_counts"))
    if status_override:
        status = f"{status_override}: {c['done'] + c['failed']} of {c['total']} points finished"
    elif c["missing"]:
        status = f"incomplete: {c['missing']} of {c['total']} points missing"
    elif c["failed"]:
        status = f"completed with {c['failed']} failed points"
    else:
        status = "completed"
    compute = float(np.nansum(ds["point_time"].values)) if c["done"] + c["failed"] else 0.0
    cpu = float(np.nansum(ds["point_cpu_time"].values)) if c["done"] + c["failed"] else 0.0
    ds.attrs.update({
        "title": f"cryocosim sweep {sp.name}", "description": sp.description, "source": sp.source,
        "spec": sp.text, "mode": sp.mode, "target": sp.target, "cryocosim_version": __version__,
        "created": _utc(), "status": status,
        "points_total": c["total"], "points_done": c["done"], "points_failed": c["failed"],
        "points_missing": c["missing"], "points_cached": c["cached"], "points_computed": c["computed"],
        "scheduler": getattr(executor, "address", "none (every point was cached)") or "",
        "workers": int(getattr(executor, "workers", 0)), "tasks": int(n_tasks),
        "batch_size": int(batch_size or 0),
        "wall_time_s": float(wall), "cluster_start_s": float(getattr(executor, "start_time", 0.0)),
        "sweep_time_s": float(t_sweep), "compute_time_s": compute, "compute_cpu_time_s": cpu,
    })


def _write(ds, path: Path, parts: Path | None = None) -> None:
    """Write the NetCDF file atomically: built in memory, written to a temporary file beside
    ``path``, read back, then renamed to ``path``.  On any failure (a full disk) the temporary
    file is removed and ``path`` is left as it was: never a truncated file under its name."""
    import xarray as xr

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    enc = {name: {"dtype": str} for name in ("status", "error", "warning")}
    for name, var in ds.coords.items():
        if var.dtype == object:
            enc[name] = {"dtype": str}
    kept = f"; the finished points are kept in '{parts}' and the same command again writes it" if parts else ""
    try:
        data = ds.to_netcdf(engine="netcdf4", encoding=enc)   # in memory: a disk error is an OSError below
    except Exception as exc:  # noqa: BLE001 - a library failure, one line
        raise SweepWriteError(f"cannot write sweep result '{path}': {exception_line(exc)}{kept}") from None
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        remove_file(tmp)
        raise SweepWriteError(f"cannot write sweep result '{path}': {os_error_text(exc)}{kept}") from None
    try:
        with xr.open_dataset(tmp, engine="netcdf4") as back:
            ok = dict(back.sizes) == dict(ds.sizes) and back.attrs.get("status") == ds.attrs["status"]
    except Exception as exc:  # noqa: BLE001
        ok, why = False, exception_line(exc)
    else:
        why = "it does not hold the sweep (was it changed by another program?)"
    if not ok:
        remove_file(tmp)
        raise SweepWriteError(f"sweep result '{path}' was not written: reading it back failed: {why}{kept}")
    try:
        os.replace(tmp, path)
    except OSError as exc:
        remove_file(tmp)
        raise SweepWriteError(f"cannot write sweep result '{path}': {os_error_text(exc)}{kept}") from None


def failures(ds) -> list[str]:
    """One line per failed point of a sweep Dataset: ``"kappa=2, alpha=0.5: ValueError: ..."``."""
    out = []
    status = ds["status"]
    for idx in zip(*np.nonzero(status.values == "failed")):
        where = ", ".join(f"{d}={ds[d].values[i]:g}" if np.issubdtype(ds[d].dtype, np.number)
                          else f"{d}={ds[d].values[i]}" for d, i in zip(status.dims, idx))
        out.append(f"{where}: {ds['error'].values[idx]}")
    return out
