"""Plots of result Datasets: panels of variables against time, in display units, events marked.

A *panel* is a list of variable names (``["load.T", "recuperator.T_cold_out"]``) or a table
(:class:`Panel`) that also chooses a time window (a zoom: ``from``/``to``), a title and a
logarithmic axis.  :func:`plot_results` draws one or more results on the same panels (``cryocosim
compare``), :func:`plot_result` one (``cryocosim run --plot``, ``cryocosim plot``).

What keeps a plot readable: each variable in its display unit (the result's ``display_units``,
rpm rather than rad/s, bar rather than Pa); the legend outside the axes (it never covers a curve);
event marks numbered above the top panel on as many rows as they need (close events never print
over each other), their names under the panels; a zoom panel for what happens in a sliver of a
long run.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from .results import events_of  # noqa: E402
from .summary import CLOCK_FROM, moment  # noqa: E402
from .units import display_values  # noqa: E402

__all__ = ["Panel", "panels_of", "default_panels", "event_marks", "event_legend", "plot_result",
           "plot_results", "scenario_panels"]

#: the width of a character of the event marks (7 pt) in points, for placing them
_CHAR_PT = 4.3


@dataclass
class Panel:
    """One panel: its variables, an optional time window (s), a title and a log axis."""

    names: list[str]
    start: float | None = None
    stop: float | None = None
    title: str = ""
    log: bool | None = None  # None: log when positive over more than a decade

    @property
    def zoom(self) -> bool:
        return self.start is not None or self.stop is not None


def panels_of(spec: Sequence[Any] | None) -> list[Panel]:
    """``[plot] panels`` entries (lists of names, or tables ``{vars, from, to, title, log}`` with
    times as numbers in s or strings with a unit) as :class:`Panel` objects."""
    from .checks import check_time

    panels = []
    for i, entry in enumerate(spec or [], 1):
        if isinstance(entry, Panel):
            panels.append(entry)
        elif isinstance(entry, dict):
            where = f"[plot] panels #{i}"
            start = check_time(entry["from"], f"{where}: key 'from'", positive=False) if "from" in entry else None
            stop = check_time(entry["to"], f"{where}: key 'to'") if "to" in entry else None
            panels.append(Panel(list(entry.get("vars", [])), start, stop, str(entry.get("title", "")),
                                entry.get("log")))
        else:
            panels.append(Panel(list(entry)))
    return panels


def _plottable(var: xr.DataArray) -> bool:
    """Numbers and booleans are drawn against time; strings are not."""
    return var.dtype.kind in "biuf"


def default_panels(ds: xr.Dataset, max_panels: int = 6, names: Sequence[str] | None = None) -> list[Panel]:
    """Group the numeric variables (or ``names``) by unit, most populated units first."""
    groups: dict[str, list[str]] = {}
    for name in names if names is not None else ds.data_vars:
        if name in ds and _plottable(ds[name]):
            groups.setdefault(ds[name].attrs.get("units", "1"), []).append(name)
    ordered = sorted(groups.values(), key=len, reverse=True)
    return [Panel(g[:8]) for g in ordered[:max_panels]]


def scenario_panels(ds: xr.Dataset) -> list[Panel] | None:
    """The ``[plot] panels`` of the scenario a result was run from (its ``scenario`` text), or None."""
    import tomllib

    text = ds.attrs.get("scenario", "")
    try:
        spec = tomllib.loads(text).get("plot", {}).get("panels") if text else None
    except tomllib.TOMLDecodeError:
        return None
    return panels_of(spec) if spec else None


def event_marks(events: list[dict], span: float, gap: float = 0.015) -> list[tuple[float, str]]:
    """Where the plot numbers the events, and the numbers: events are numbered 1, 2, ... in the
    order logged; those within ``gap`` of the time axis' ``span`` [s] of the first of a group
    share one mark ("2,3")."""
    marks: list[tuple[float, list[int]]] = []
    for number, ev in enumerate(events, 1):
        if marks and ev["time"] - marks[-1][0] <= gap * span:
            marks[-1][1].append(number)
        else:
            marks.append((ev["time"], [number]))
    return [(t, ",".join(map(str, numbers))) for t, numbers in marks]


def mark_rows(marks: list[tuple[float, str]], t0: float, span: float, width_pt: float) -> list[int]:
    """The row (0 nearest the axes) of each mark so that no two on a row overlap: a mark's width
    is estimated from its characters on an axis ``width_pt`` points wide."""
    ends: list[float] = []  # per row, where its last mark ends (axes fraction)
    rows = []
    for t, label in marks:
        x = (t - t0) / span if span > 0 else 0.0
        half = (len(label) + 1) * _CHAR_PT / width_pt / 2
        for row, end in enumerate(ends):
            if x - half > end:
                ends[row] = x + half
                rows.append(row)
                break
        else:
            ends.append(x + half)
            rows.append(len(ends) - 1)
    return rows


def event_legend(events: list[dict], width: int = 165, span: float = CLOCK_FROM) -> list[str]:
    """The lines under the plot that name the numbered events: "1 name (t = 2:20:34.5)" (in
    seconds for a run shorter than 10 minutes: :func:`cryocosim.summary.moment`)."""
    items = [f"{n} {ev['name']} (t = {moment(ev['time'], span)})" for n, ev in enumerate(events, 1)]
    return textwrap.wrap("events: " + ";  ".join(items), width) if items else []


def _display(var: xr.DataArray) -> tuple[np.ndarray, str]:
    """A variable in its display unit (:func:`cryocosim.units.display_values`), as floats."""
    values, unit = display_values(var)
    return np.asarray(values, dtype=float), unit


def _time_axis(t_end: float) -> tuple[float, str]:
    return (3600.0, "h") if t_end > 4 * 3600 else (60.0, "min") if t_end > 600 else (1.0, "s")


def plot_result(ds: xr.Dataset, path: str | Path, panels: Sequence[Any] | None = None,
                title: str | None = None) -> Path:
    """Write a PNG of ``panels`` (lists of variable names or :class:`Panel`) of one result."""
    return plot_results([("", ds)], path, panels, title)


def plot_results(results: list[tuple[str, xr.Dataset]], path: str | Path, panels: Sequence[Any] | None = None,
                 title: str | None = None) -> Path:
    """Write a PNG of ``panels`` with every ``(label, Dataset)`` of ``results`` drawn on them (one
    line style per result); the events of the first result are marked."""
    first = results[0][1]
    panels = panels_of(panels) if panels else (scenario_panels(first) or default_panels(first))
    t_end = max(float(ds["time"].values[-1]) for _, ds in results if ds.sizes.get("time"))
    t_start = min(float(ds["time"].values[0]) for _, ds in results if ds.sizes.get("time"))
    scale, tunit = _time_axis(t_end)
    events = events_of(first)
    legend = event_legend(events, span=t_end - t_start)
    below = 0.16 * len(legend)             # inches of event names under the panels
    width_in, axes_frac = 10.5, 0.70        # the legends go right of the axes
    fig, axes = plt.subplots(len(panels), 1, figsize=(width_in, 2.4 * len(panels) + 0.8 + below), squeeze=False)
    styles = ["-", "--", ":", "-."]
    shared = None
    for ax, panel in zip(axes[:, 0], panels):
        if not panel.zoom:
            if shared is None:
                shared = ax
            else:
                ax.sharex(shared)
        lo, hi, units = np.inf, -np.inf, []
        for k, (label, ds) in enumerate(results):
            t = ds["time"].values
            window = np.ones(t.shape, bool)
            if panel.start is not None:
                window &= t >= panel.start
            if panel.stop is not None:
                window &= t <= panel.stop
            for j, name in enumerate(n for n in panel.names if n in ds and _plottable(ds[n])):
                values, unit = _display(ds[name])
                if unit not in units:
                    units.append(unit)
                shown = values[window]
                # one legend entry per variable (its colour); the results' line styles in the title
                ax.plot(t[window] / scale, shown, ls=styles[k % len(styles)], color=f"C{j % 10}",
                        label=name if k == 0 else None)
                finite = shown[np.isfinite(shown)]
                if finite.size:
                    lo, hi = min(lo, finite.min()), max(hi, finite.max())
        ax.set_ylabel(", ".join(u for u in units if u not in ("", "1")) or "—")
        log = panel.log if panel.log is not None else (lo > 0.0 and hi > 20.0 * lo)
        if log and lo > 0.0:
            ax.set_yscale("log")
        if panel.title or panel.zoom:
            window = f"{moment(panel.start or t_start, t_end)} to {moment(panel.stop or t_end, t_end)}"
            ax.set_title(panel.title or f"zoom: {window}", fontsize=8, loc="left")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        for ev in events:
            if (panel.start is None or ev["time"] >= panel.start) and (panel.stop is None or ev["time"] <= panel.stop):
                ax.axvline(ev["time"] / scale, color="k", lw=0.6, ls=":")
        ax.set_xlabel(f"time [{tunit}]" if panel.zoom or ax is axes[-1, 0] else "")
    top = axes[0, 0]
    span = float(t_end - t_start)
    rows = []
    if span > 0 and not panels[0].zoom:
        marks = event_marks(events, span)
        rows = mark_rows(marks, t_start, span, width_in * axes_frac * 72.0)
        for (t_mark, numbers), row in zip(marks, rows):
            top.annotate(numbers, (t_mark / scale, 1.0), xycoords=("data", "axes fraction"),
                         xytext=(0, 2 + 9 * row), textcoords="offset points", fontsize=7, ha="center",
                         va="bottom")
    heading = title or first.attrs.get("title", "")
    if len(results) > 1:  # which line style is which result
        key = "   ".join(f"{ {'-': '——', '--': '– –', ':': '·····', '-.': '–·–'}[styles[k % len(styles)]]} {label}"
                         for k, (label, _) in enumerate(results))
        heading = f"{heading}\n{key}" if heading else key
    height = fig.get_figheight()
    # the title above the rows of event marks, never on them: inches kept free at the top (the
    # marks themselves are in the axes' bounding box, which the layout keeps clear)
    above = 0.2 * (heading.count("\n") + 1)
    fig.suptitle(heading, fontsize=10, y=1.0 - 0.05 / height, va="top")
    if legend:
        fig.text(0.01, 0.005, "\n".join(legend), fontsize=7, va="bottom", ha="left")
    fig.tight_layout(rect=(0.0, (below + 0.1) / height if legend else 0.0, 1.0, 1.0 - above / height))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
