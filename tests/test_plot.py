"""Plots of results: the event marks (engine/plot.py)."""
import json

import numpy as np
import xarray as xr

from cryocosim.plot import event_legend, event_marks, plot_result


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
    assert legend.startswith("events: 1 4 K station below 20 K (t = 8434.5 s)")
    assert "3 load removed (t = 50000 s)" in legend
    assert event_legend([]) == []
    t = np.linspace(0.0, 86400.0, 50)
    ds = xr.Dataset({"a.T": ("time", 300.0 - t / 400.0, {"units": "K"})}, coords={"time": t})
    ds.attrs["events"] = json.dumps(events)
    path = plot_result(ds, tmp_path / "r.png")
    assert path.stat().st_size > 0
