"""Results are never lost: write errors (a file-size limit, a full disk), a second writer through
another name, output paths that must not be written, two signals in quick succession."""
import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from cryocosim import ConfigurationError
from cryocosim.cli import main
from cryocosim.results import Recorder
from test_results import SLOW  # a run of 10 ms steps that takes long enough to be signalled

HERE = Path(__file__).parent
SCENARIOS = HERE.parent / "scenarios"


#: the one line of a run stopped by a write error
WRITE_ERROR = re.compile(r"cannot write result file '(?P<path>[^']+)' at t=(?P<t>\S+) s: (?P<cause>[^;]+); "
                         r"the file holds the records up to t=(?P<kept>\S+) s \(its last sync\)$")


def start(args, limit=None):
    """``cryocosim ARGS`` (``run``: quiet) in a child process; ``limit``: its file-size limit (bytes), with
    SIGXFSZ ignored so that a write past it fails (EFBIG) instead of killing the child."""
    def child():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(HERE))
    quiet = ["-q"] if args[0] == "run" else []
    return subprocess.Popen([sys.executable, "-m", "cryocosim", *map(str, args), *quiet], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=child if limit is not None else None)


def one_error(stderr: str) -> str:
    """The one error line of a command's stderr (other lines: notices, warnings), no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("cryocosim: error: ")]
    assert len(lines) == 1, stderr
    return lines[0][len("cryocosim: error: "):]


def wait_for(path: Path, timeout=60.0):
    t0 = time.monotonic()
    while not path.exists():
        assert time.monotonic() - t0 < timeout, f"{path} did not appear"
        time.sleep(0.02)


# -- 1. write errors -----------------------------------------------------------------------------

def check_kept(out: Path, stderr: str, cause: str, interval: float) -> int:
    """A run stopped by a write error: its one line, and a readable file holding every record up
    to the last sync it names, with a status that says what happened.  Returns the records."""
    m = WRITE_ERROR.fullmatch(one_error(stderr))
    assert m, stderr
    assert m["path"] == str(out) and m["cause"].startswith(cause), stderr
    t, kept = float(m["t"]), float(m["kept"])
    assert 0 < kept < t
    with xr.open_dataset(out) as ds:
        ds.load()
    assert ds.attrs["status"] == (f"failed at t={m['t']} s: cannot write the result file: {m['cause']}; "
                                  f"it holds the records up to t={m['kept']} s (its last sync)")
    # every record from the start to the last sync, none missing, none made up
    np.testing.assert_array_equal(ds.time.values, np.arange(round(kept / interval) + 1) * interval)
    for name, var in ds.data_vars.items():
        if var.dtype.kind == "f":
            assert np.isfinite(var.values).all(), name
    assert "last_sync" in ds.attrs
    assert not out.with_name(out.name + ".lock").exists()
    return ds.sizes["time"]


def test_file_size_limit_stops_the_run_and_keeps_the_synced_records(tmp_path):
    # records of 66 (screw-Brayton) and 45 (4 K) variables grow the file by a chunk of 512 records
    # at a time: the limits let the first chunk in and stop the second, after a sync of records
    # (syncs come once a second of wall time: the first one holds the start-up's)
    brayton = tmp_path / "screw_brayton.toml"
    brayton.write_text((SCENARIOS / "screw_brayton_cooldown.toml").read_text()
                       .replace("\noutput_interval = 5.0\n", "\noutput_interval = 0.5\n"))
    runs = {"brayton": (brayton, "10 min", 600_000, 0.5), "4k": (SCENARIOS / "4k_cooldown.toml", "24 h", 450_000, 60.0)}
    procs = {name: start(["run", scenario, "-o", tmp_path / f"{name}.nc", "--stop-time", stop], limit=limit)
             for name, (scenario, stop, limit, _) in runs.items()}
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 1, err  # a run that failed: the CLI's status for run failures
        out = tmp_path / f"{name}.nc"
        check_kept(out, err, "File too large (the file-size limit, ulimit -f)", runs[name][3])
        assert out.stat().st_size <= runs[name][2]


def test_full_disk_stops_the_run_and_keeps_the_synced_records(tmp_path):
    disk = tmp_path / "small"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=450k", "tmpfs", str(disk)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        out = disk / "4k.nc"
        proc = start(["run", SCENARIOS / "4k_cooldown.toml", "-o", out, "--stop-time", "24 h"])
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 1, err
        check_kept(out, err, "No space left on device", 60.0)
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def _fill(path: Path, limit: int, sync_seconds: float, n: int = 5000) -> str:
    """In a child process under a file-size limit: a recorder of 40 columns writing ``n`` records
    (synced every ``sync_seconds``), then closed; prints what it raised."""
    code = f"""
import resource, signal
from cryocosim.results import Recorder, ResultWriteError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
rec = Recorder([(f"a.x{{j}}", "K", "x") for j in range(40)], {str(path)!r}, {{"status": "running"}},
               sync_seconds={sync_seconds})
first = None
try:
    for i in range({n}):
        rec.record(float(i), [float(i)] * 40)
except ResultWriteError as exc:
    first = exc
try:
    rec.close(status="completed")
except ResultWriteError as exc:
    print(type(first or exc).__name__, (first or exc).time, "|", exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout.strip()


def test_recorder_write_error_keeps_exactly_the_synced_records(tmp_path):
    out = tmp_path / "r.nc"
    # synced at every record: the first record of a new chunk fails, all before it are kept
    said = _fill(out, 500_000, 0.0)
    name, t, message = re.fullmatch(r"(\w+) (\S+) \| (.*)", said).groups()
    assert name == "ResultWriteError"
    n = int(float(t))  # records 0..n-1 were synced, record n failed
    assert n >= 512 and message == (f"cannot write result file '{out}' at t={n} s: File too large (the file-size "
                                    f"limit, ulimit -f); the file holds the records up to t={n - 1} s (its last sync)")
    with xr.open_dataset(out) as ds:
        np.testing.assert_array_equal(ds.time.values, np.arange(n, dtype=float))
        np.testing.assert_array_equal(ds["a.x39"].values, np.arange(n, dtype=float))
        assert ds.attrs["status"].startswith(f"failed at t={n} s: cannot write the result file: File too large")
    # never synced before the close: the close fails, the file holds no records but says so
    said = _fill(out, 300_000, 1e9)
    assert said.endswith(f"cannot write result file '{out}' at t=4999 s: File too large (the file-size limit, "
                         "ulimit -f); the file holds no records"), said
    with xr.open_dataset(out) as ds:
        assert ds.sizes["time"] == 0 and ds.attrs["status"].endswith("it holds no records")


def test_a_limit_below_the_empty_file_is_refused_before_the_run(tmp_path):
    out = tmp_path / "r.nc"
    proc = start(["run", SCENARIOS / "4k_cooldown.toml", "-o", out, "--stop-time", "1 h"], limit=16_000)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert one_error(err) == f"cannot write result file '{out}': File too large (the file-size limit, ulimit -f)"
    assert not out.exists() and not Path(f"{out}.lock").exists()  # no unreadable file left


# -- 2. one writer per file, whatever its name ---------------------------------------------------

def test_a_second_writer_through_a_symlink_or_a_hard_link_is_refused(tmp_path):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW.format(stop=40.0))  # 400 steps of 10 ms: about 4 s of running
    out = tmp_path / "out.nc"
    out.write_bytes(b"")  # a hard link needs the file: the run writes it in place
    os.link(out, tmp_path / "hard.nc")
    os.symlink("out.nc", tmp_path / "link.nc")
    first = start(["run", scenario, "-o", out])
    wait_for(tmp_path / "out.nc.lock")
    others = {name: start(["run", scenario, "-o", tmp_path / name]) for name in ("link.nc", "hard.nc")}
    for name, proc in others.items():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, err
        assert one_error(err) == (f"output '{tmp_path / name}' is being written by another run (pid {first.pid}); "
                                  "wait for it or choose another output file")
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    for name in ("out.nc", "link.nc", "hard.nc"):  # one file, whole, under its three names
        with xr.open_dataset(tmp_path / name) as ds:
            assert ds.attrs["status"] == "completed" and ds.sizes["time"] == 401
    assert os.path.samefile(out, tmp_path / "hard.nc")


def test_recorders_on_one_file_under_two_names_in_one_process(tmp_path):
    out = tmp_path / "r.nc"
    first = Recorder([("a.x", "K", "x")], out, {"status": "running"})
    os.link(out, tmp_path / "hard.nc")
    os.symlink(out, tmp_path / "link.nc")
    for other in ("hard.nc", "link.nc"):
        with pytest.raises(ConfigurationError, match=r"being written by another run \(pid \d+\)"):
            Recorder([("a.x", "K", "x")], tmp_path / other, {"status": "running"})
    first.record(0.0, [1.0])
    first.close(status="completed")
    with xr.open_dataset(tmp_path / "hard.nc") as ds:
        assert ds.attrs["status"] == "completed" and ds.sizes["time"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.nc", "link.nc", "r.nc"]  # no lock left


def test_a_file_open_in_another_program_is_not_truncated(tmp_path):
    out = tmp_path / "r.nc"
    rec = Recorder([("a.x", "K", "x")], out, {"status": "running"})
    rec.record(0.0, [1.0])
    rec.close(status="completed")
    size = out.stat().st_size
    # a reader in another process (HDF5 holds a shared lock while the file is open)
    reader = subprocess.Popen([sys.executable, "-c", f"import netCDF4, sys; nc = netCDF4.Dataset({str(out)!r}); "
                               "print('open', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        with pytest.raises(ConfigurationError, match=rf"output '{re.escape(str(out))}' is open in another program "
                                                      rf"\(pid {reader.pid}\)"):
            Recorder([("a.x", "K", "x")], out, {"status": "running"})
    finally:
        reader.communicate("", timeout=30)
    assert out.stat().st_size == size
    with xr.open_dataset(out) as ds:
        assert ds.attrs["status"] == "completed"


def test_where_hdf5_cannot_lock_under_our_lock_its_own_lock_guards_the_file(tmp_path, monkeypatch):
    # (NFS emulates flock with byte-range locks: there HDF5's flock conflicts with our lock)
    import netCDF4

    real, calls = netCDF4.Dataset, []

    def dataset(path, mode="r", **kw):
        calls.append(mode)
        if mode == "w" and len(calls) == 1:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, mode, **kw)

    monkeypatch.setattr(netCDF4, "Dataset", dataset)
    rec = Recorder([("a.x", "K", "x")], tmp_path / "r.nc", {"status": "running"})
    rec.record(0.0, [2.0])
    rec.close(status="completed")
    assert calls[:2] == ["w", "w"]
    monkeypatch.undo()
    with xr.open_dataset(tmp_path / "r.nc") as ds:
        assert float(ds["a.x"][0]) == 2.0


# -- 3. output paths ----------------------------------------------------------------------------

def run_cli(capsys, *args) -> tuple[int, str]:
    status = main([str(a) for a in args])
    return status, capsys.readouterr().err


def test_the_result_file_is_never_the_scenario(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "s.toml"
    text = (SCENARIOS / "4k_cooldown.toml").read_text()
    scenario.write_text(text)
    os.symlink("s.toml", tmp_path / "link.toml")
    os.link(scenario, tmp_path / "hard.toml")
    for output in ("s.toml", "./s.toml", scenario, "link.toml", "hard.toml"):
        status, err = run_cli(capsys, "run", "s.toml", "-o", output, "--stop-time", "1 min", "-q")
        assert status == 2
        assert one_error(err).startswith(f"-o/--output: cannot write result file '{output}': it is the scenario file")
    for name in ("s.toml", "link.toml", "hard.toml"):  # and the other way round
        status, err = run_cli(capsys, "run", name, "-o", "s.toml", "--stop-time", "1 min", "-q")
        assert status == 2 and "it is the scenario file" in one_error(err)
    assert scenario.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.toml", "link.toml", "s.toml"]
    # a plot onto the result file, under another name, is refused as well
    os.symlink("r.png", tmp_path / "r2.png")
    status, err = run_cli(capsys, "run", "s.toml", "-o", "r.png", "--plot", "r2.png", "-q")
    assert status == 2 and one_error(err) == "--plot: cannot write plot 'r2.png': it is the result file 'r.png'"


def test_outputs_that_are_no_regular_files_or_too_long_are_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(SCENARIOS / "4k_cooldown.toml", "s.toml")
    os.mkfifo("fifo")
    null_lock = Path("/dev/null.lock")
    leftover = null_lock.exists()  # (another program's)
    deep = tmp_path.joinpath(*["d" * 200] * 25, "r.nc")  # longer than PATH_MAX (4096)
    cases = {
        "/dev/null": "cannot write result file '/dev/null': it is a character device, not a regular file",
        "fifo": "cannot write result file 'fifo': it is a named pipe, not a regular file",
        "n" * 300 + ".nc": "is too long (303 bytes; at most 250: '.lock' is added for a file beside it)",
        "n" * 252 + ".nc": "is too long (255 bytes; at most 250: '.lock' is added for a file beside it)",
        str(deep): f"the path is too long ({len(str(deep)) + 5} bytes; at most 4095)",
    }
    for output, message in cases.items():
        status, err = run_cli(capsys, "run", "s.toml", "-o", output, "--stop-time", "1 min", "-q")
        assert status == 2 and message in one_error(err), (output, err)
        assert len(one_error(err)) < 300  # an over-long path is shortened in the message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "s.toml"]
    # the recorder refuses them as well (System.run from Python does not go through the checks)
    for output, kind in (("/dev/null", "a character device"), ("fifo", "a named pipe")):
        with pytest.raises(ConfigurationError, match=f"it is {kind}, not a regular file"):
            Recorder([("a.x", "K", "x")], output, {"status": "running"})
    assert leftover or not null_lock.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "s.toml"]


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` made read-only for root too: a read-only bind mount, else the immutable
    attribute; skips the test where neither can be had.  Yields the error the system gives."""
    if os.geteuid() != 0:
        pytest.skip("needs root: a read-only bind mount or chattr +i (chmod does not stop root)")
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode == 0
    if mounted and subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True).returncode == 0:
        try:
            yield "Read-only file system"
        finally:
            subprocess.run(["umount", str(folder)], check=True)
        return
    if mounted:
        subprocess.run(["umount", str(folder)], check=True)
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        try:
            yield "Operation not permitted"
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    pytest.skip("neither a read-only bind mount nor chattr +i is possible here")


def test_exports_into_a_read_only_folder_are_one_line(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "ThermalLoad.fmu").write_bytes(b"an FMU exported before")
    (ro / "x.ssp").write_bytes(b"a package exported before")
    with read_only(ro) as reason:
        procs = {
            "export": start(["export", "thermal_load", "-o", ro]),
            "package": start(["export-system", SCENARIOS / "4k_cooldown.toml", "-o", ro / "x.ssp",
                              "--fmu-dir", tmp_path / "fmus"]),
            "fmu dir": start(["export-system", SCENARIOS / "4k_cooldown.toml", "-o", tmp_path / "y.ssp",
                              "--fmu-dir", ro]),
        }
        errors = {}
        for name, proc in procs.items():
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 2, (name, err)
            errors[name] = one_error(err)
    assert errors["export"] == f"cannot write FMU '{ro / 'ThermalLoad.fmu'}': {reason}"
    assert errors["package"].startswith(f"cannot write SSP package '{ro / 'x.ssp'}': ")
    # (the FMU cache removes a model's stale stamp first: that is the first write refused)
    assert re.fullmatch(rf"cannot write (FMU )?'{re.escape(str(ro))}/\w+\.fmu(\.sha256)?': {reason}", errors["fmu dir"])
    # nothing overwritten, nothing left
    assert (ro / "ThermalLoad.fmu").read_bytes() == b"an FMU exported before"
    assert (ro / "x.ssp").read_bytes() == b"a package exported before"
    assert sorted(p.name for p in ro.iterdir()) == ["ThermalLoad.fmu", "x.ssp"]
    assert not (tmp_path / "y.ssp").exists() and not (tmp_path / "fmus").exists()


# -- 4. two signals in quick succession ---------------------------------------------------------

def test_two_signals_in_quick_succession_leave_an_interrupted_file(tmp_path):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW.format(stop=1e4))  # far longer than the test waits
    T, I = signal.SIGTERM, signal.SIGINT
    pairs = [(T, I, 0.0), (I, I, 0.0), (T, T, 0.0), (I, T, 0.001), (T, I, 0.003), (I, I, 0.005), (T, T, 0.002)]
    procs = [start(["run", scenario, "-o", tmp_path / f"r{k}.nc"]) for k in range(len(pairs))]
    for k in range(len(pairs)):
        wait_for(tmp_path / f"r{k}.nc.lock")
    time.sleep(1.5)  # every run in its loop, its file synced
    for proc, (first, second, gap) in zip(procs, pairs):
        proc.send_signal(first)
        if gap:
            time.sleep(gap)
        proc.send_signal(second)
    for k, (proc, (first, second, gap)) in enumerate(zip(procs, pairs)):
        _, err = proc.communicate(timeout=60)
        what = (signal.Signals(first).name, signal.Signals(second).name, gap)
        # 130, as for one signal; or ended by the second signal when it came after the file was
        # closed (the run's handlers are gone then; Python's exit restores SIGINT's default too)
        killed = -proc.returncode in (first, second)
        assert (proc.returncode == 130 or killed) and "Traceback" not in err and "ignored" not in err, (what, err)
        with xr.open_dataset(tmp_path / f"r{k}.nc") as ds:
            status = ds.attrs["status"]
            assert status.startswith("interrupted at t="), (what, status)
            # the one handled first names itself (two pending at once are handled in number order:
            # SIGINT before SIGTERM, whichever came first)
            assert ("(SIGTERM)" in status) == (first == T) if first == second else T in (first, second), \
                (what, status)
            assert ds.sizes["time"] > 10 and ds.time.values[-1] <= float(status.split("t=")[1].split()[0])
