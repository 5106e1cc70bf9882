"""What a run tells at its end: its headline outputs, its events, its status, in units an
engineer reads.

``cryocosim run`` prints (unless ``-q``)::

    wrote results/4k_cooldown.nc: 1,441 records of 35 variables, completed; 24 h simulated in 5.4 s
                                    final         min         max
      stage.T            K          14.96       14.96       300.0
      jt.liquid_mass     g          12.31           0       12.31
      ...
    events
      1  6:12:33   4 K station below 20 K
      2  6:13:05   J-T valve flow established

The variables are each actor's *headline* outputs (the model declares them: ``Actor.headline``;
an actor that declares none shows its first Real outputs) and every derived quantity
(``derived.*``); each in its display unit (the result's ``display_units``, else the recorded
unit). Times read as h:mm:ss (:func:`clock`) — seconds are unreadable on a 24 h run.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np

from .units import UnitError, to_display

__all__ = ["clock", "moment", "duration", "number", "headline_names", "summary_lines", "to_unit"]

#: the outputs shown for an actor that declares no headline
UNDECLARED = 3


def clock(seconds: float) -> str:
    """``9753.5`` -> ``"2:42:33.5"``: hours:minutes:seconds, a tenth of a second where there is
    one (a negative time keeps its sign)."""
    sign = "-" if seconds < 0 else ""
    tenths = round(abs(seconds) * 10)
    h, rest = divmod(tenths, 36000)
    m, rest = divmod(rest, 600)
    s, tenth = divmod(rest, 10)
    return f"{sign}{h}:{m:02d}:{s:02d}" + (f".{tenth}" if tenth else "")


#: runs shorter than this (s) give their times in seconds: a 0.4 s run's events at 0:00:00.2 and
#: 0:00:00.2 would read alike
CLOCK_FROM = 600.0


def moment(seconds: float, span: float) -> str:
    """A time of a run ``span`` seconds long: h:mm:ss (:func:`clock`) for runs of 10 minutes or
    more, else seconds to 6 significant digits (``"0.2343 s"``)."""
    return clock(seconds) if span >= CLOCK_FROM else f"{seconds:.6g} s"


def duration(seconds: float) -> str:
    """A span in the unit that reads best: ``"24 h"``, ``"90 min"``, ``"12.5 s"``."""
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if abs(seconds) >= 2 * size:
            return f"{seconds / size:.4g} {unit}"
    return f"{seconds:.4g} s"


def number(x: float) -> str:
    """Four significant digits, without an exponent from 0.001 to a million (``10500``,
    ``4.224``, ``0.01138``), with one outside."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if -3 <= magnitude < 6:
        return f"{x:.{max(0, 3 - magnitude)}f}"
    return f"{x:.3e}"


def to_unit(values: np.ndarray, unit: str, display: str | None) -> tuple[np.ndarray, str]:
    """``values`` recorded in ``unit`` in ``display`` (:func:`cryocosim.units.to_display`), with
    the unit's name; as recorded where there is no display unit or it does not fit."""
    try:
        return to_display(values, unit, display), (display or unit)
    except UnitError:
        return values, unit


def headline_names(actors: Mapping[str, object], recorded: Iterable[str]) -> list[str]:
    """The recorded variables a summary shows: each actor's declared headline outputs (in the
    actors' order), else its first :data:`UNDECLARED` Real outputs, then every ``derived.*``."""
    from .variables import Causality

    recorded = list(recorded)
    have = set(recorded)
    names: list[str] = []
    for actor_name, actor in actors.items():
        declared = tuple(getattr(type(actor), "headline", ()) or ())
        if not declared:
            declared = tuple(v.name for v in actor.variables
                             if v.causality == Causality.output and v.type is float)[:UNDECLARED]
        names += [f"{actor_name}.{n}" for n in declared if f"{actor_name}.{n}" in have]
    names += [n for n in recorded if n.startswith("derived.")]
    return names


def summary_lines(arrays: Mapping[str, np.ndarray], units: Mapping[str, str], names: list[str],
                  display: Mapping[str, str] | None = None) -> list[str]:
    """The table of ``names``: final value, minimum and maximum over the run, in the display
    unit (``display[name]``) where there is one."""
    rows = []
    for name in names:
        values = np.asarray(arrays[name])
        if values.size == 0 or values.dtype.kind not in "biuf":
            continue
        values, unit = to_unit(values.astype(float), units.get(name, ""), (display or {}).get(name))
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            continue
        rows.append((name, "" if unit in ("1", "") else unit, number(values[-1]), number(finite.min()),
                     number(finite.max())))
    if not rows:
        return []
    w_name = max(len(r[0]) for r in rows)
    w_unit = max(max(len(r[1]) for r in rows), 4)
    w_num = max(11, *(len(x) for r in rows for x in r[2:]))
    head = f"  {'':{w_name}}  {'':{w_unit}}  {'final':>{w_num}}  {'min':>{w_num}}  {'max':>{w_num}}"
    return [head.rstrip()] + [f"  {n:{w_name}}  {u:{w_unit}}  {a:>{w_num}}  {b:>{w_num}}  {c:>{w_num}}"
                              for n, u, a, b, c in rows]


def event_lines(events: list[dict], span: float = CLOCK_FROM) -> list[str]:
    """``events`` (the run's log), numbered as the plots number them, their times as
    :func:`moment` gives them for a run ``span`` seconds long."""
    if not events:
        return []
    times = [moment(ev["time"], span) for ev in events]
    width = max(len(t) for t in times)
    return ["events"] + [f"  {k:>2}  {t:>{width}}   {ev['name']}" for k, (t, ev) in enumerate(zip(times, events), 1)]


#: the bookkeeping variables of a sweep's result, not shown in its table
_SWEEP_BOOKKEEPING = {"error", "evaluations", "point_cpu_time", "point_time", "status", "warning"}


def sweep_table_lines(ds, max_rows: int = 30) -> list[str]:
    """A sweep's result as a table: one row per point, the swept parameters, then the outputs
    (their units under the names), then the point's status; at most ``max_rows`` rows (the
    others are in the file: said in a last line)."""
    dims = list(ds.dims)
    outputs = [n for n in ds.data_vars if n not in _SWEEP_BOOKKEEPING and ds[n].dtype.kind in "biuf"]
    flat = ds.stack(point=dims) if dims else ds.expand_dims("point")
    columns = dims + outputs
    heads = [c for c in columns] + ["status"]
    units = [ds[c].attrs.get("units", "") if c in ds.variables else "" for c in columns] + [""]
    n = flat.sizes["point"]
    rows = []
    for k in range(min(n, max_rows)):
        row = [number(float(flat[c].values[k])) for c in columns]
        row.append(str(flat["status"].values[k]) if "status" in flat else "")
        rows.append(row)
    widths = [max(len(str(x)) for x in col) for col in zip(heads, [u if u not in ("1",) else "" for u in units], *rows)]
    fmt = "  " + "  ".join(f"{{:>{w}}}" for w in widths)
    lines = [fmt.format(*heads), fmt.format(*[u if u != "1" else "" for u in units])]
    lines += [fmt.format(*row) for row in rows]
    if n > max_rows:
        lines.append(f"  ... {n - max_rows:,} more points in the file")
    return [line.rstrip() for line in lines]
