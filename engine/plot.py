"""Plots of a result Dataset: one panel per group of variables, time on the x axis."""
from __future__ import annotations

import textwrap
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


def event_marks(events: list[dict], span: float, gap: float = 0.015) -> list[tuple[float, str]]:
    """Where the plot numbers the events, and the numbers: events are numbered 1, 2, ... in the
    order logged; those within ``gap`` of the time axis' ``span`` [s] of the first of a group
    share one mark ("2,3"), so close events do not print over each other."""
    marks: list[tuple[float, list[int]]] = []
    for number, ev in enumerate(events, 1):
        if marks and ev["time"] - marks[-1][0] <= gap * span:
            marks[-1][1].append(number)
        else:
            marks.append((ev["time"], [number]))
    return [(t, ",".join(map(str, numbers))) for t, numbers in marks]


def event_legend(events: list[dict], width: int = 165) -> list[str]:
    """The lines under the plot that name the numbered events: "1 name (t = 8434.5 s)"."""
    items = [f"{n} {ev['name']} (t = {ev['time']:.6g} s)" for n, ev in enumerate(events, 1)]
    return textwrap.wrap("events: " + ";  ".join(items), width) if items else []


def plot_result(ds: xr.Dataset, path: str | Path, panels: list[list[str]] | None = None,
                title: str | None = None) -> Path:
    """Write a PNG of ``panels`` (lists of variable names) against time; mark logged events."""
    panels = panels or default_panels(ds)
    t = ds["time"].values
    scale, tunit = (3600.0, "h") if t[-1] > 4 * 3600 else (60.0, "min") if t[-1] > 600 else (1.0, "s")
    events = events_of(ds)
    legend = event_legend(events)
    below = 0.16 * len(legend)             # inches of event names under the panels
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.4 * len(panels) + 0.6 + below), sharex=True,
                             squeeze=False)
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
    # numbers above the top panel, the names under the panels: names of any length, and close
    # events, stay readable
    for t_mark, numbers in event_marks(events, float(t[-1] - t[0]) if len(t) else 0.0):
        axes[0, 0].annotate(numbers, (t_mark / scale, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(0, 2), textcoords="offset points", fontsize=7, ha="center", va="bottom")
    axes[-1, 0].set_xlabel(f"time [{tunit}]")
    fig.suptitle(title or ds.attrs.get("title", ""), fontsize=10)
    height = fig.get_figheight()
    if legend:
        fig.text(0.01, 0.005, "\n".join(legend), fontsize=7, va="bottom", ha="left")
    fig.tight_layout(rect=(0.0, (below + 0.1) / height if legend else 0.0, 1.0, 1.0))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
