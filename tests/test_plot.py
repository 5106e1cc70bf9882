"""Plots of results: the event marks (engine/plot.py)."""
import json

import numpy as np
import xarray as xr

from cryocosim.plot import Panel, event_legend, event_marks, mark_rows, panels_of, plot_result


def test_close_events_share_one_numbered_mark_and_are_named_under_the_plot(tmp_path):
    # a 24 h run whose two events fall 32 s apart (the 4 K cool-down's "below 20 K" and
    # "liquid"), and a third far from them: on a 24 h axis the first two share a mark
    events = [{"time": 8434.5, "name": "4 K station below 20 K"},
              {"time": 8466.6, "name": "liquid helium in the 4 K station"},
              {"time": 50000.0, "name": "load removed"}]
    assert event_marks(events, 86400.0) == [(8434.5, "1,2"), (50000.0, "3")]
    # on a 100 s axis they are far apart: one mark each
    assert [m for _, m in event_marks(events[:2], 100.0)] == ["1", "2"]
    legend = " ".join(event_legend(events))
    assert legend.startswith("events: 1 4 K station below 20 K (t = 2:20:34.5)")  # h:mm:ss
    assert "3 load removed (t = 13:53:20)" in legend
    assert event_legend([]) == []
    t = np.linspace(0.0, 86400.0, 50)
    ds = xr.Dataset({"a.T": ("time", 300.0 - t / 400.0, {"units": "K"})}, coords={"time": t})
    ds.attrs["events"] = json.dumps(events)
    path = plot_result(ds, tmp_path / "r.png")
    assert path.stat().st_size > 0


def test_marks_that_would_touch_go_on_another_row():
    """4k_boiloff.png read "34,5" where mark 3 and the group "4,5" touched: marks closer than
    their own widths are stacked on rows; marks far apart share the first row."""
    width_pt = 500.0  # an axis 500 pt wide: a character of a mark is ~4.3 pt, 0.9 % of it
    marks = [(0.0, "1"), (50.0, "2"), (96.0, "3"), (97.7, "4,5"), (99.0, "6")]
    rows = mark_rows(marks, 0.0, 100.0, width_pt)
    assert rows == [0, 0, 0, 1, 0]  # "4,5" would touch "3"; "6" clears "3" on the first row
    # on each row no two marks overlap (centre distance more than half their widths together)
    for row in set(rows):
        placed = [(t / 100.0, len(label)) for (t, label), r in zip(marks, rows) if r == row]
        for (x1, n1), (x2, n2) in zip(placed, placed[1:]):
            assert x2 - x1 > ((n1 + 1) + (n2 + 1)) * 4.3 / width_pt / 2


def test_panels_may_be_tables_with_a_zoom_and_their_own_title(tmp_path):
    panels = panels_of([["a.T"], {"vars": ["a.T"], "from": "20 h", "to": "24 h", "title": "the stall"}])
    assert panels[0] == Panel(["a.T"]) and not panels[0].zoom
    assert panels[1].zoom and (panels[1].start, panels[1].stop, panels[1].title) == (72000.0, 86400.0, "the stall")
    t = np.linspace(0.0, 86400.0, 97)
    ds = xr.Dataset({"a.T": ("time", 300.0 - t / 400.0, {"units": "K"})}, coords={"time": t})
    ds.attrs["events"] = json.dumps([{"time": 80000.0, "name": "stall"}])
    assert plot_result(ds, tmp_path / "z.png", panels).stat().st_size > 10_000


def test_plots_use_the_display_units():
    """A pressure recorded in Pa with display unit bar is drawn in bar."""
    from cryocosim.plot import _display

    var = xr.DataArray(np.array([1e5, 2e5]), dims="time", attrs={"units": "Pa", "display_units": "bar"})
    values, unit = _display(var)
    assert unit == "bar" and np.allclose(values, [1.0, 2.0])
