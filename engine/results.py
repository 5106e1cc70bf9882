"""Results: recorded values as an xarray Dataset, written to NetCDF incrementally.

Variables are named ``actor.variable`` with ``units`` and ``long_name`` attributes; global
attributes carry the scenario text, the package version, the run status and the event log (JSON).
Records are appended to an unlimited ``time`` dimension and the file is synced every
``flush_every`` records, so a run that fails midway leaves a readable file holding everything
up to the failure.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from .errors import CryocosimError


class Recorder:
    """Collects rows of values at output times and mirrors them into a NetCDF file."""

    def __init__(self, columns: list[tuple[str, str, str]], path: str | Path | None = None,
                 attrs: dict | None = None, flush_every: int = 50):
        self.columns = columns  # (name, unit, long_name)
        self.path = Path(path) if path else None
        self.attrs = dict(attrs or {})
        self.times: list[float] = []
        self.rows: list[list[float]] = []
        self.events: list[dict] = []
        self.flush_every = flush_every
        self._written = 0
        self._nc = None
        if self.path:
            self._open()

    def _open(self):
        import netCDF4

        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            nc = netCDF4.Dataset(self.path, "w", format="NETCDF4")
        except OSError as exc:
            raise CryocosimError(f"cannot write result file '{self.path}': {exc}") from None
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
        if self._nc is not None and len(self.times) - self._written >= self.flush_every:
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
        self._write_attrs()
        self._nc.sync()

    def close(self, **attrs) -> None:
        self.attrs.update(attrs)
        if self._nc is not None:
            self.flush()
            self._nc.close()
            self._nc = None

    def dataset(self) -> xr.Dataset:
        """The recorded values as a Dataset (built from memory, identical to the file)."""
        data = np.asarray(self.rows, dtype=float).reshape(len(self.times), len(self.columns))
        ds = xr.Dataset(coords={"time": ("time", np.asarray(self.times, dtype=float),
                                         {"units": "s", "long_name": "simulated time"})})
        for j, (name, unit, long_name) in enumerate(self.columns):
            ds[name] = ("time", data[:, j], {"units": unit, "long_name": long_name})
        attrs = {k: (v if isinstance(v, (str, int, float)) else json.dumps(v)) for k, v in self.attrs.items()}
        attrs["events"] = json.dumps(self.events)
        ds.attrs.update(attrs)
        return ds


def events_of(ds: xr.Dataset) -> list[dict]:
    """The event log stored in a result Dataset."""
    return json.loads(ds.attrs.get("events", "[]"))
