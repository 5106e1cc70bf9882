"""A result is never lost or misreported: exact time stamps, one writer per file, signals."""
import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

from cryocosim import ConfigurationError, System
from cryocosim.results import Recorder
from cli_output import errors_only

HERE = Path(__file__).parent

SLOW = """
[run]
stop_time = {stop}
output_interval = 0.1

[[actor]]
name = "slow"
model = "engine_actors:Slow"
step = 0.1
[actor.parameters]
pause = 0.01
"""


def test_time_stamps_are_exact_decimals(tmp_path):
    s = System("stamps")
    s.add("src", "engine_actors:Constant", step=0.05, value=1.0)
    s.add("int", "engine_actors:Integrator", step=0.05)
    s.connect("src.y", "int.u")
    ds = s.run(1000.0, output=tmp_path / "r.nc", output_interval=5.0)
    # ticks / ticks_per_second is correctly rounded: every stamp is the float nearest k*5
    np.testing.assert_array_equal(ds.time.values, np.arange(0, 201) * 5.0)
    assert float(ds["int.x"].sel(time=995.0)) == pytest.approx(995.0, rel=1e-12)
    disk = xr.open_dataset(tmp_path / "r.nc")
    np.testing.assert_array_equal(disk.time.values, ds.time.values)
    disk.close()


def test_recorder_refuses_a_path_locked_by_another_writer(tmp_path):
    out = tmp_path / "r.nc"
    first = Recorder([("a.x", "K", "x")], out, {"status": "running"})
    with pytest.raises(ConfigurationError, match=r"being written by another run \(pid \d+\)"):
        Recorder([("a.x", "K", "x")], out, {"status": "running"})
    first.record(0.0, [1.0])
    first.close(status="completed")
    second = Recorder([("a.x", "K", "x")], out, {"status": "running"})  # free again
    second.close(status="completed")
    assert not (tmp_path / "r.nc.lock").exists()


def start(scenario, out, *extra):
    env = dict(os.environ, PYTHONPATH=str(HERE))
    return subprocess.Popen([sys.executable, "-m", "cryocosim", "run", str(scenario), "-o", str(out), "-q", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(path: Path, timeout=60.0):
    t0 = time.monotonic()
    while not path.exists():
        assert time.monotonic() - t0 < timeout, f"{path} did not appear"
        time.sleep(0.05)


def test_two_processes_on_one_output(tmp_path):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW.format(stop=20.0))  # 200 steps of 10 ms: about 2 s of running
    out = tmp_path / "out.nc"
    first = start(scenario, out)
    wait_for(tmp_path / "out.nc.lock")
    second = start(scenario, out)
    _, err2 = second.communicate(timeout=120)
    _, err1 = first.communicate(timeout=120)
    assert second.returncode == 2 and "being written by another run" in err2
    assert "Traceback" not in err2 and errors_only(err2).count("\n") == 1
    assert first.returncode == 0, err1
    with xr.open_dataset(out) as ds:
        assert ds.attrs["status"] == "completed" and ds.sizes["time"] == 201


def test_sigterm_and_sigkill_leave_readable_files(tmp_path):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW.format(stop=1e4))  # far longer than the test waits
    term, kill = tmp_path / "term.nc", tmp_path / "kill.nc"
    p_term, p_kill = start(scenario, term), start(scenario, kill)
    wait_for(tmp_path / "term.nc.lock")
    wait_for(tmp_path / "kill.nc.lock")
    time.sleep(3.5)
    p_term.send_signal(signal.SIGTERM)
    p_kill.send_signal(signal.SIGKILL)
    killed_at = datetime.datetime.now(datetime.timezone.utc)
    _, err = p_term.communicate(timeout=60)
    p_kill.communicate(timeout=60)
    assert p_term.returncode == 130 and "Traceback" not in err
    with xr.open_dataset(term) as ds:
        assert ds.attrs["status"].startswith("interrupted at t=") and "SIGTERM" in ds.attrs["status"]
        assert ds.sizes["time"] > 10
    # SIGKILL: the file holds what was synced; syncs happen at least once a second of wall time,
    # so the last one is at most about 1 s (plus one record and scheduling slack) before the kill
    with netCDF4.Dataset(kill) as nc:
        assert nc.getncattr("status") == "running"
        last_sync = datetime.datetime.fromisoformat(nc.getncattr("last_sync"))
        assert len(nc.dimensions["time"]) > 10
    assert (killed_at - last_sync).total_seconds() < 2.5
    # the dead writer's lock went with its process: the path can be written again
    again = start(tmp_path / "slow.toml", kill, "--stop-time", "1")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err


PORTABLE = r"""
import sys
sys.modules["fcntl"] = None      # as on Windows: no fcntl, no resource
sys.modules["resource"] = None
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from cryocosim import ConfigurationError, System
from cryocosim.results import Recorder, _file_size_limit

out = Path(sys.argv[1])
first = Recorder([("a.x", "K", "x")], out, {"status": "running"})
try:
    Recorder([("a.x", "K", "x")], out, {"status": "running"})
except ConfigurationError as exc:
    print("refused:", exc)
first.record(0.0, [1.0])
first.close(status="completed")
assert not out.with_name(out.name + ".lock").exists()
assert _file_size_limit() is None
s = System("portable")
s.add("src", "engine_actors:Constant", step=0.5, value=2.0)
s.add("int", "engine_actors:Integrator", step=0.5)
s.connect("src.y", "int.u")
ds = s.run(10.0, output=out.with_name("run.nc"))
print("x", float(ds["int.x"][-1]))
"""


def test_results_work_without_fcntl_and_resource(tmp_path):
    """Where Python has no fcntl or resource (Windows), the engine still imports, runs and writes,
    the lock on <file>.lock is filelock's: a second writer is refused in one line (no pid)."""
    r = subprocess.run([sys.executable, "-c", PORTABLE, str(tmp_path / "r.nc"), str(HERE)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"refused: output '{tmp_path / 'r.nc'}' is being written by another run; " in r.stdout
    assert "x 20.0" in r.stdout   # 2 W integrated over 10 s
