"""Results: recorded values as an xarray Dataset, written to NetCDF incrementally.

Variables are named ``actor.variable`` with ``units`` and ``long_name`` attributes; global
attributes carry the scenario text, the package version, the run status, the event log, the
run's warnings and the inputs left at their start values (``unconnected_inputs``; lists as JSON).
Records are appended to an unlimited ``time`` dimension and the file is synced at least every
``sync_seconds`` of wall time (and at the end), so a run that fails midway, is interrupted or is
killed leaves a readable file holding everything up to the failure, or up to the last sync.
While the run goes on, ``status`` reads ``running`` and ``last_sync`` holds the UTC time of the
last sync: a reader can tell a killed run (``last_sync`` stays old) from a live one.

Reals are ``f8`` variables.  Other FMI types keep their type (``fmi_type`` attribute): Integers
are ``int64``; Enumerations ``int64`` with the item values and names in ``flag_values`` and
``flag_meanings`` (CF) and ``items`` (JSON, the names as declared); Booleans ``int8`` in the file
with ``dtype = "bool"`` (xarray reads them back as ``bool``, as the in-memory Dataset has them)
and ``flag_values``/``flag_meanings`` ``false true``; Strings variable-length ``str``.

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


#: numpy dtype of the recorded values per kind (None: Real, float64)
_DTYPES = {"int64": np.int64, "bool": np.bool_, "str": object}
_NC_TYPES = {"int64": "i8", "bool": "i1", "str": str}


def column_kind(var) -> dict | None:
    """How a recorded variable (:class:`~cryocosim.variables.Variable`) is stored: None for a
    Real, else ``{"dtype": "int64" | "bool" | "str", "attrs": {...}}``."""
    if var.type is float:
        return None
    name = var.type_name
    if var.type is bool:
        return {"dtype": "bool", "attrs": {"fmi_type": name, "flag_values": [0, 1], "flag_meanings": "false true"}}
    if var.type is str:
        return {"dtype": "str", "attrs": {"fmi_type": name}}
    attrs = {"fmi_type": name}
    if var.items:
        attrs["flag_values"] = [int(v) for _, v in var.items]
        attrs["flag_meanings"] = " ".join("_".join(str(n).split()) or "_" for n, _ in var.items)
        attrs["items"] = json.dumps({str(n): int(v) for n, v in var.items})
    return {"dtype": "int64", "attrs": attrs}


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
                 attrs: dict | None = None, sync_seconds: float = 1.0, kinds: list | None = None):
        self.columns = columns  # (name, unit, long_name)
        #: per column: None (Real) or :func:`column_kind`'s dict; ``typed``: any is not None
        self.kinds = list(kinds) if kinds is not None else [None] * len(columns)
        self.typed = any(k is not None for k in self.kinds)
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
        for (name, unit, long_name), kind in zip(self.columns, self.kinds):
            if kind is None:
                v = nc.createVariable(name, "f8", ("time",))
                v.units = unit
            else:
                v = nc.createVariable(name, _NC_TYPES[kind["dtype"]], ("time",))
                if kind["dtype"] == "int64" and "items" not in kind["attrs"]:
                    v.units = unit
            v.long_name = long_name
            if kind is not None:
                for k, value in kind["attrs"].items():
                    v.setncattr(k, np.asarray(value, dtype=np.int8 if kind["dtype"] == "bool" else np.int64)
                                if k == "flag_values" else value)
                if kind["dtype"] == "bool":
                    v.setncattr("dtype", "bool")  # xarray decodes the int8 values to bool
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
            if self.typed:
                for v, values in zip(self._vars, self._arrays(self.rows[n0:n1])):
                    v[n0:n1] = values.astype(np.int8) if values.dtype == np.bool_ else values
            else:
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

    def _arrays(self, rows: list) -> list[np.ndarray]:
        """One array per column of ``rows``, each of its column's type."""
        if not self.typed:
            data = np.asarray(rows, dtype=float).reshape(len(rows), len(self.columns))
            return [data[:, j] for j in range(len(self.columns))]
        out = []
        for j, kind in enumerate(self.kinds):
            dtype = float if kind is None else _DTYPES[kind["dtype"]]
            values = np.empty(len(rows), dtype=dtype)
            values[:] = [r[j] for r in rows]
            out.append(values)
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """The recorded values: column name -> array over the records (of the column's type:
        float64, int64, bool, or objects for strings)."""
        return {name: a for (name, _, _), a in zip(self.columns, self._arrays(self.rows))}

    def dataset(self) -> "xr.Dataset":
        """The recorded values as a Dataset (built from memory, identical to the file)."""
        import xarray as xr

        ds = xr.Dataset(coords={"time": ("time", np.asarray(self.times, dtype=float),
                                         {"units": "s", "long_name": "simulated time"})})
        for (name, unit, long_name), kind, values in zip(self.columns, self.kinds, self._arrays(self.rows)):
            if kind is None:
                attrs = {"units": unit, "long_name": long_name}
            else:
                attrs = {"long_name": long_name}
                if kind["dtype"] == "int64" and "items" not in kind["attrs"]:
                    attrs["units"] = unit
                attrs.update(kind["attrs"])
                if "flag_values" in attrs:
                    attrs["flag_values"] = np.asarray(attrs["flag_values"], dtype=np.int8 if kind["dtype"] == "bool"
                                                      else np.int64)
                if kind["dtype"] == "str":
                    values = values.astype(str)  # as xarray reads the file's strings back
            ds[name] = ("time", values, attrs)
        attrs = {k: (v if isinstance(v, (str, int, float)) else json.dumps(v)) for k, v in self.attrs.items()}
        attrs["events"] = json.dumps(self.events)
        ds.attrs.update(attrs)
        return ds


def events_of(ds) -> list[dict]:
    """The event log stored in a result Dataset (or a :class:`Recorder`)."""
    if isinstance(ds, Recorder):
        return list(ds.events)
    return json.loads(ds.attrs.get("events", "[]"))
