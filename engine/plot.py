"""Plots of a result Dataset: one panel per group of variables, time on the x axis."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import xarray as xr  # noqa: E402

from .results import events_of  # noqa: E402


def _plottable(var: xr.DataArray) -> bool:
    """Numbers and booleans are drawn against time; strings are not."""
    return var.dtype.kind in "biuf"


def default_panels(ds: xr.Dataset, max_panels: int = 6) -> list[list[str]]:
    """Group the numeric variables by unit (most populated units first)."""
    groups: dict[str, list[str]] = {}
    for name, var in ds.data_vars.items():
        if not _plottable(var):
            continue
        groups.setdefault(var.attrs.get("units", "1"), []).append(name)
    ordered = sorted(groups.values(), key=len, reverse=True)
    return [g[:8] for g in ordered[:max_panels]]


def plot_result(ds: xr.Dataset, path: str | Path, panels: list[list[str]] | None = None,
                title: str | None = None) -> Path:
    """Write a PNG of ``panels`` (lists of variable names) against time; mark logged events."""
    panels = panels or default_panels(ds)
    t = ds["time"].values
    scale, tunit = (3600.0, "h") if t[-1] > 4 * 3600 else (60.0, "min") if t[-1] > 600 else (1.0, "s")
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.4 * len(panels) + 0.6), sharex=True, squeeze=False)
    events = events_of(ds)
    for ax, names in zip(axes[:, 0], panels):
        names = [n for n in names if n in ds and _plottable(ds[n])]
        for name in names:
            ax.plot(t / scale, ds[name].values, label=f"{name}")
        units = {ds[n].attrs.get("units", "") for n in names}
        ax.set_ylabel(", ".join(sorted(units)))
        values = [ds[n].values.astype(float) for n in names]
        lo = min((v.min() for v in values), default=0.0)
        hi = max((v.max() for v in values), default=0.0)
        if lo > 0.0 and hi > 20.0 * lo:       # positive over more than a decade: log axis
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        for ev in events:
            ax.axvline(ev["time"] / scale, color="k", lw=0.6, ls=":")
    for ev in events:
        axes[0, 0].annotate(ev["name"], (ev["time"] / scale, 1.0), xycoords=("data", "axes fraction"),
                            fontsize=7, rotation=90, va="top", ha="right")
    axes[-1, 0].set_xlabel(f"time [{tunit}]")
    fig.suptitle(title or ds.attrs.get("title", ""), fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
