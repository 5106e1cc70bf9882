"""Results: recorded values as an xarray Dataset, written to NetCDF incrementally.

Variables are named ``actor.variable`` with ``units`` and ``long_name`` attributes; global
attributes carry the scenario text, the package version, the run status and the event log (JSON).
Records are appended to an unlimited ``time`` dimension and the file is synced at least every
``sync_seconds`` of wall time (and at the end), so a run that fails midway, is interrupted or is
killed leaves a readable file holding everything up to the failure, or up to the last sync.
While the run goes on, ``status`` reads ``running`` and ``last_sync`` holds the UTC time of the
last sync: a reader can tell a killed run (``last_sync`` stays old) from a live one.

Only one run writes a given file at a time: the recorder holds an exclusive lock
(``fcntl.flock`` on ``<file>.lock`` beside it) from before it opens the file until it is closed,
so a second run aimed at the same path stops at once with a one-line error instead of emptying the
first run's file.  After closing, the file is read back; a file that cannot be read is an error,
never a reported success.
"""
from __future__ import annotations

import datetime
import fcntl
import json
import os
import time
from pathlib import Path

import numpy as np

from .errors import ConfigurationError, CryocosimError


def _utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


class OutputLock:
    """An exclusive, non-blocking lock on ``<path>.lock``; the lock file is removed on release."""

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + ".lock")
        self._fd: int | None = None

    def acquire(self, target: Path) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    pid = os.read(fd, 32).decode(errors="replace").strip() or "?"
                finally:
                    os.close(fd)
                raise ConfigurationError(f"output '{target}' is being written by another run (pid {pid}); "
                                         "wait for it or choose another output file") from None
            # the holder before us may have removed the file between our open and our lock
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self._fd = fd
                return
            os.close(fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(fd)


class Recorder:
    """Collects rows of values at output times and mirrors them into a NetCDF file."""

    def __init__(self, columns: list[tuple[str, str, str]], path: str | Path | None = None,
                 attrs: dict | None = None, sync_seconds: float = 1.0):
        self.columns = columns  # (name, unit, long_name)
        self.path = Path(path) if path else None
        self.attrs = dict(attrs or {})
        self.times: list[float] = []
        self.rows: list[list[float]] = []
        self.events: list[dict] = []
        self.sync_seconds = sync_seconds
        self._written = 0
        self._nc = None
        self._lock: OutputLock | None = None
        self._last_sync = time.monotonic()
        if self.path:
            self._open()

    def _open(self):
        import netCDF4

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = OutputLock(self.path)
            self._lock.acquire(self.path)
        except OSError as exc:
            raise ConfigurationError(f"cannot write result file '{self.path}': {exc.strerror or exc}") from None
        try:
            nc = netCDF4.Dataset(self.path, "w", format="NETCDF4")
        except OSError as exc:
            self._lock.release()
            raise ConfigurationError(f"cannot write result file '{self.path}': {exc}") from None
        nc.createDimension("time", None)
        t = nc.createVariable("time", "f8", ("time",))
        t.units = "s"
        t.long_name = "simulated time"
        t.standard_name = "time"
        self._vars = []
        for name, unit, long_name in self.columns:
            v = nc.createVariable(name, "f8", ("time",))
            v.units = unit
            v.long_name = long_name
            self._vars.append(v)
        self._nc = nc
        self._write_attrs()
        nc.sync()

    def _write_attrs(self):
        for k, v in self.attrs.items():
            self._nc.setncattr(k, v if isinstance(v, (str, int, float)) else json.dumps(v))
        self._nc.setncattr("events", json.dumps(self.events))

    def record(self, t: float, values: list[float]) -> None:
        self.times.append(t)
        self.rows.append(values)
        if self._nc is not None and time.monotonic() - self._last_sync >= self.sync_seconds:
            self.flush()

    def log_event(self, event: dict) -> None:
        self.events.append(event)

    def flush(self) -> None:
        if self._nc is None:
            return
        n0, n1 = self._written, len(self.times)
        if n1 > n0:
            self._nc["time"][n0:n1] = np.asarray(self.times[n0:n1])
            block = np.asarray(self.rows[n0:n1], dtype=float)
            for j, v in enumerate(self._vars):
                v[n0:n1] = block[:, j]
            self._written = n1
        self._nc.setncattr("last_sync", _utc_now())
        self._write_attrs()
        self._nc.sync()
        self._last_sync = time.monotonic()

    def close(self, **attrs) -> None:
        """Write the last records and ``attrs`` (the final status), close the file and read it
        back; raise :class:`CryocosimError` if it is not a readable result of all the records."""
        self.attrs.update(attrs)
        if self._nc is None:
            return
        try:
            self.flush()
            self._nc.close()
        finally:
            self._nc = None
            if self._lock is not None:
                self._lock.release()
        self.verify()

    def verify(self) -> None:
        """Read the written file back: every record must be there."""
        import netCDF4

        try:
            with netCDF4.Dataset(self.path, "r") as nc:
                n = len(nc.dimensions["time"])
                status = nc.getncattr("status") if "status" in nc.ncattrs() else None
        except Exception as exc:  # noqa: BLE001 - any failure to read back is the error to report
            raise CryocosimError(f"result file '{self.path}' is not readable after writing: "
                                 f"{type(exc).__name__}: {exc}") from None
        if n != len(self.times) or status != self.attrs.get("status"):
            raise CryocosimError(f"result file '{self.path}' holds {n} of {len(self.times)} records "
                                 "after writing (was it changed by another program?)")

    def dataset(self) -> "xr.Dataset":
        """The recorded values as a Dataset (built from memory, identical to the file)."""
        import xarray as xr

        data = np.asarray(self.rows, dtype=float).reshape(len(self.times), len(self.columns))
        ds = xr.Dataset(coords={"time": ("time", np.asarray(self.times, dtype=float),
                                         {"units": "s", "long_name": "simulated time"})})
        for j, (name, unit, long_name) in enumerate(self.columns):
            ds[name] = ("time", data[:, j], {"units": unit, "long_name": long_name})
        attrs = {k: (v if isinstance(v, (str, int, float)) else json.dumps(v)) for k, v in self.attrs.items()}
        attrs["events"] = json.dumps(self.events)
        ds.attrs.update(attrs)
        return ds


def events_of(ds) -> list[dict]:
    """The event log stored in a result Dataset (or a :class:`Recorder`)."""
    if isinstance(ds, Recorder):
        return list(ds.events)
    return json.loads(ds.attrs.get("events", "[]"))
