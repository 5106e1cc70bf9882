"""Results side by side: where two runs differ most (``cryocosim compare``).

Each compared variable of a result is set against the first result (the reference) at the
reference's output times — directly where both runs recorded the same times, else the other run
interpolated linearly onto them within the time both cover — in the variable's display unit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .summary import CLOCK_FROM, moment, number, to_unit

__all__ = ["Difference", "differences", "difference_lines"]


@dataclass
class Difference:
    """The largest ``|other - reference|`` of one variable: its size, when, both values."""

    name: str
    unit: str
    largest: float
    time: float
    reference: float
    other: float


def _values(ds: xr.Dataset, name: str, display: str | None) -> tuple[np.ndarray, str]:
    var = ds[name]
    return to_unit(var.values.astype(float), var.attrs.get("units", ""), display)


def differences(reference: xr.Dataset, other: xr.Dataset, names: list[str]) -> tuple[list[Difference], int]:
    """The largest difference of each of ``names`` present in both results (numbers only), and
    the number of reference times compared."""
    t_ref, t_other = reference["time"].values, other["time"].values
    same_times = t_ref.shape == t_other.shape and np.array_equal(t_ref, t_other)
    inside = (t_ref >= t_other[0]) & (t_ref <= t_other[-1]) if t_other.size else np.zeros(t_ref.shape, bool)
    out = []
    for name in names:
        if name not in reference or name not in other or reference[name].dtype.kind not in "biuf" \
                or other[name].dtype.kind not in "biuf":
            continue
        display = reference[name].attrs.get("display_units")
        a, unit = _values(reference, name, display)
        b, _ = _values(other, name, display if other[name].attrs.get("units") == reference[name].attrs.get("units")
                       else None)
        if same_times:
            t, a_at, b_at = t_ref, a, b
        else:
            t, a_at = t_ref[inside], a[inside]
            b_at = np.interp(t, t_other, b)
        if t.size == 0:
            continue
        gap = np.abs(b_at - a_at)
        gap = np.where(np.isnan(gap), -np.inf, gap)
        k = int(np.argmax(gap))
        out.append(Difference(name, "" if unit in ("1", "") else unit, float(abs(b_at[k] - a_at[k])), float(t[k]),
                              float(a_at[k]), float(b_at[k])))
    return out, int(t_ref.size if same_times else inside.sum())


def difference_lines(reference_label: str, other_label: str, found: list[Difference], common: int,
                     span: float = CLOCK_FROM) -> list[str]:
    """The table ``cryocosim compare`` prints for one pair of results (times as
    :func:`cryocosim.summary.moment` gives them for a run ``span`` seconds long)."""
    lines = [f"{other_label} against {reference_label} (the reference) at {common:,} times:"]
    if not found:
        return lines + ["  no variable in common"]
    rows = [(d.name, d.unit, number(d.largest), moment(d.time, span), number(d.reference), number(d.other))
            for d in found]
    heads = ("", "", "largest |diff|", "at", "reference", "other")
    widths = [max(len(str(r[i])) for r in rows + [heads]) for i in range(6)]
    fmt = "  {:<%d}  {:<%d}  {:>%d}  {:>%d}  {:>%d}  {:>%d}" % tuple(widths)
    return lines + [fmt.format(*heads).rstrip()] + [fmt.format(*r) for r in rows]
