"""Results: recorded values as an xarray Dataset, written to NetCDF incrementally.

Variables are named ``actor.variable`` with ``units`` and ``long_name`` attributes, and every Real
variable a ``display_units`` attribute (the unit to show it in; the values stay in ``units``);
a scenario's derived quantities are the variables ``derived.NAME`` (also with ``expression``),
computed from each recorded row as it is recorded (:attr:`Recorder.derive`); global
attributes carry the scenario text, the package version, the run status, the event log, the
run's warnings and the inputs left at their start values (``unconnected_inputs``; lists as JSON).
Records are appended to an unlimited ``time`` dimension and the file is synced at least every
``sync_seconds`` of wall time (and at the end), so a run that fails midway, is interrupted or is
killed leaves a readable file holding everything up to the failure, or up to the last sync.
While the run goes on, ``status`` reads ``running`` and ``last_sync`` holds the UTC time of the
last sync: a reader can tell a killed run (``last_sync`` stays old) from a live one.

Reals are ``f8`` variables.  Other FMI types keep their type (``fmi_type`` attribute): Integers
are ``int64``; Enumerations ``int64`` with the item values and names in ``flag_values`` and
``flag_meanings`` (CF) and ``items`` (JSON, the names as declared); Booleans ``int8`` in the file
with ``dtype = "bool"`` (xarray reads them back as ``bool``, as the in-memory Dataset has them)
and ``flag_values``/``flag_meanings`` ``false true``; Strings variable-length ``str``.

Only one run writes a given file at a time: from before it opens the file until it is closed,
the recorder holds an exclusive lock on ``<file>.lock`` beside the name it was given (``fcntl.flock``;
it holds the writer's pid; the ``filelock`` package's lock where there is no ``fcntl``) and one on the file itself, whatever name leads to it — a symlink, a
hard link, another spelling (:class:`ResultFileLock`).  A second run aimed at the file stops at
once with a one-line error instead of emptying the first run's file.  After closing, the file is
read back; a file that cannot be read is an error, never a reported success.

A write that fails (a full disk, the file-size limit, an I/O error) stops the run with a one-line
:class:`ResultWriteError` naming the cause and the simulated time.  HDF5 leaves a file whose write
failed unreadable, even what was synced before, so the recorder rewrites it from memory: the records
up to the last successful sync and a ``status`` saying what happened (``failed at t=… s: cannot
write the result file: No space left on device; it holds the records up to t=… s (its last
sync)``).  The broken file's space is freed first (truncated), so the rewrite fits where it did.
"""
from __future__ import annotations

import ctypes
import datetime
import errno
import functools
try:
    import fcntl
except ImportError:  # Windows: the lock on <file>.lock is filelock's, the file's own is the OS's
    fcntl = None
import json
import os
import shutil
import stat
import struct
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .checks import file_kind
from .errors import ConfigurationError, CryocosimError, SimulationError, one_line


#: numpy dtype of the recorded values per kind (None: Real, float64)
_DTYPES = {"int64": np.int64, "bool": np.bool_, "str": object}
_NC_TYPES = {"int64": "i8", "bool": "i1", "str": str}


def column_kind(var) -> dict | None:
    """How a recorded variable (:class:`~cryocosim.variables.Variable`) is stored: None for a
    Real, else ``{"dtype": "int64" | "bool" | "str", "attrs": {...}}``."""
    if var.type is float:
        return None
    name = var.type_name
    if var.type is bool:
        return {"dtype": "bool", "attrs": {"fmi_type": name, "flag_values": [0, 1], "flag_meanings": "false true"}}
    if var.type is str:
        return {"dtype": "str", "attrs": {"fmi_type": name}}
    attrs = {"fmi_type": name}
    if var.items:
        attrs["flag_values"] = [int(v) for _, v in var.items]
        attrs["flag_meanings"] = " ".join("_".join(str(n).split()) or "_" for n, _ in var.items)
        attrs["items"] = json.dumps({str(n): int(v) for n, v in var.items})
    return {"dtype": "int64", "attrs": attrs}


def _utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


class OutputLock:
    """An exclusive, non-blocking lock on ``<path>.lock``; the lock file is removed on release.
    POSIX: ``flock`` on the file, which holds the writer's pid (named in the refusal); where there
    is no ``fcntl`` (Windows) the ``filelock`` package's lock, whose refusal names no pid."""

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + ".lock")
        self._fd: int | None = None
        self._portable = None  # filelock.FileLock where there is no fcntl

    def acquire(self, target: Path) -> None:
        if fcntl is None:
            self._acquire_portable(target)
            return
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    pid = os.read(fd, 32).decode(errors="replace").strip() or "?"
                finally:
                    os.close(fd)
                raise ConfigurationError(f"output '{target}' is being written by another run (pid {pid}); "
                                         "wait for it or choose another output file") from None
            # the holder before us may have removed the file between our open and our lock
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self._fd = fd
                return
            os.close(fd)

    def _acquire_portable(self, target: Path) -> None:
        import filelock

        lock = filelock.FileLock(str(self.path), timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise ConfigurationError(f"output '{target}' is being written by another run; "
                                     "wait for it or choose another output file") from None
        self._portable = lock

    def release(self) -> None:
        lock, self._portable = self._portable, None
        if lock is not None:
            lock.release()
            try:
                os.unlink(self.path)
            except OSError:  # Windows: another process has it open
                pass
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(fd)


def _lock_holder(st: os.stat_result) -> tuple[str, bool]:
    """``(pid, writing)`` of a process holding a lock on the file ``st``, from ``/proc/locks``
    (HDF5 flocks a file it has open: exclusively to write, shared to read); ``("?", True)`` where
    that cannot be told."""
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    holders = []
    try:
        with open("/proc/locks") as f:
            for line in f:
                fields = line.split()
                if key in fields and "->" not in fields:  # not a waiter
                    i = fields.index(key)
                    if fields[i - 1].isdigit():  # open-file-description locks show -1
                        holders.append((fields[i - 1], fields[i - 2] == "WRITE"))
    except OSError:
        pass
    holders.sort(key=lambda h: not h[1])  # a writer first
    return holders[0] if holders else ("?", True)


def _flock_struct(kind: int) -> bytes:
    """A ``struct flock`` for ``F_OFD_SETLK`` over the whole file: l_type ``kind``, l_whence,
    l_start 0, l_len 0 (to the end), l_pid 0."""
    return struct.pack("hhqqi", kind, os.SEEK_SET, 0, 0, 0)


class ResultFileLock:
    """The locks of a result file while a recorder writes it: :class:`OutputLock` on
    ``<path>.lock`` (the writer's pid; the same path) and a lock on the file itself, held on an
    open descriptor of it, which every name of the file (a symlink, a hard link, another spelling)
    leads to.

    The file lock is an open-file-description lock (``F_OFD_SETLK``, Linux), which does not
    conflict with the ``flock`` HDF5 takes on its own descriptor when it opens the file — HDF5
    takes it only after it has truncated the file, too late to protect another run's results.
    Before it, a probe of HDF5's lock refuses a file that another program holds open (another
    run's HDF5 writing it, a reader such as xarray) instead of truncating it under that program.
    Where the two kinds of lock conflict (NFS emulates ``flock`` with byte-range locks),
    :meth:`yield_to_hdf5` leaves the guarding to HDF5's lock."""

    def __init__(self, path: Path):
        self.target = path
        self.path_lock = OutputLock(path)
        #: an open descriptor of the result file (O_RDWR); None when released
        self.fd: int | None = None
        #: the file did not exist before: :meth:`discard` removes it
        self.created = False
        self._ofd = False

    def acquire(self) -> None:
        """Take both locks, creating the file (empty) if needed; a :class:`ConfigurationError` if
        another run writes it, another program has it open, or it is not a regular file."""
        try:  # refused before anything is created beside it (no /dev/null.lock)
            self._check_regular(os.stat(self.target))
        except FileNotFoundError:
            pass
        self.path_lock.acquire(self.target)
        try:
            self._lock_file()
        except BaseException:
            self.release()
            raise

    def _lock_file(self) -> None:
        flags = os.O_RDWR | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            self.fd = os.open(self.target, flags)
        except FileNotFoundError:
            self.fd = os.open(self.target, flags | os.O_CREAT, 0o644)
            self.created = True
        st = os.fstat(self.fd)
        self._check_regular(st)
        if fcntl is None:  # no POSIX locks: the OS's own sharing rules guard the open file
            return
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # HDF5's lock: is it held?
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            ofd = getattr(fcntl, "F_OFD_SETLK", None)
            if ofd is not None:
                fcntl.fcntl(self.fd, ofd, _flock_struct(fcntl.F_WRLCK))
                self._ofd = True
        except (BlockingIOError, PermissionError):  # EAGAIN, EACCES: held by another
            pid, writing = _lock_holder(st)
            if writing:
                raise ConfigurationError(f"output '{self.target}' is being written by another run (pid {pid}); "
                                         "wait for it or choose another output file") from None
            who = "this process (a Dataset not closed?)" if pid == str(os.getpid()) else f"another program (pid {pid})"
            raise ConfigurationError(f"output '{self.target}' is open in {who}; "
                                     "close it there or choose another output file") from None

    def _check_regular(self, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            raise ConfigurationError(f"cannot write result file '{self.target}': it is {file_kind(st.st_mode)}, "
                                     "not a regular file")

    def yield_to_hdf5(self) -> bool:
        """Drop the file lock where it keeps HDF5 from taking its own (HDF5's then guards the
        file); False if there was none to drop."""
        if not self._ofd:
            return False
        fcntl.fcntl(self.fd, fcntl.F_OFD_SETLK, _flock_struct(fcntl.F_UNLCK))
        self._ofd = False
        return True

    def discard(self) -> None:
        """Release, and remove the file if it was created for this run (a failed start)."""
        if self.created:
            try:
                os.unlink(os.path.realpath(self.target))
            except OSError:
                pass
        self.release()

    def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)
        self.path_lock.release()


#: what a failed write tells in errno (others are taken as not about the write)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


@functools.lru_cache(maxsize=1)
def _c_errno():
    """The C library's ``errno`` of the calling thread (a function returning a pointer to it),
    or None where it cannot be reached."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    for name in ("__errno_location", "__error"):  # glibc and musl; macOS and the BSDs
        f = getattr(libc, name, None)
        if f is not None:
            f.restype = ctypes.POINTER(ctypes.c_int)
            f.argtypes = []
            return f
    return None


def _set_errno(value: int) -> None:
    f = _c_errno()
    if f is not None:
        f()[0] = value


def _write_cause(exc: BaseException, path: Path) -> str:
    """Why a NetCDF write failed, in words (``No space left on device``...).

    netCDF4 reports any HDF5 failure as ``NetCDF: HDF error``; the failed system call's errno is
    still in C's ``errno`` (cleared before each write).  Without it, the free space and the
    file-size limit are looked at."""
    f = _c_errno()
    code = f()[0] if f is not None else 0
    if code not in _WRITE_ERRNOS:  # not the write's: the exception's own, if a system error
        code = exc.errno if isinstance(exc, OSError) and (exc.errno or 0) > 0 else 0
    if not code:
        try:
            free = _free_bytes(path.parent)
            size = os.path.getsize(path)
        except OSError:
            free, size = None, 0
        soft = _file_size_limit()
        if soft is not None and size >= soft - (1 << 20):
            code = errno.EFBIG
        elif free is not None and free < (1 << 20):
            code = errno.ENOSPC
    if code == errno.EFBIG:
        return f"{os.strerror(code)} (the file-size limit, ulimit -f)"
    if code:
        return os.strerror(code)
    return one_line(exc) or type(exc).__name__


def _free_bytes(folder: Path) -> int:
    """Bytes this process may still write in ``folder``'s file system (root: the reserved blocks
    too); ``shutil.disk_usage`` where there is no ``statvfs``."""
    if not hasattr(os, "statvfs"):
        return shutil.disk_usage(folder).free
    fs = os.statvfs(folder)
    return (fs.f_bfree if os.geteuid() == 0 else fs.f_bavail) * fs.f_frsize


def _file_size_limit() -> int | None:
    """The process's soft file-size limit (bytes, ``ulimit -f``), None if unlimited or unknown
    (no ``resource`` module on Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def _descriptors_of(st: os.stat_result, exclude: int | None) -> list[int]:
    """This process's open descriptors of the file ``st``, but ``exclude``."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        fds = []
        for name in names:
            fd = int(name)
            if fd == exclude:
                continue
            try:
                s = os.fstat(fd)
            except OSError:
                continue
            if (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino):
                fds.append(fd)
        return fds
    return []


class ResultWriteError(SimulationError):
    """The result file could not be written during a run (a full disk, the file-size limit, an
    I/O error); exit status 1.  ``time``: the simulated time of the records being written;
    ``result_path``: the file.  The message says what the file holds."""

    # simpy re-raises a process's exception rebuilt from its args: keep everything in them
    def __init__(self, message, time=None, result_path=None):
        CryocosimError.__init__(self, message, time, result_path)

    time = property(lambda self: self.args[1])
    result_path = property(lambda self: self.args[2])

    def __str__(self) -> str:
        return str(self.args[0])


class Recorder:
    """Collects rows of values at output times and mirrors them into a NetCDF file."""

    def __init__(self, columns: list[tuple[str, str, str]], path: str | Path | None = None,
                 attrs: dict | None = None, sync_seconds: float = 1.0, kinds: list | None = None,
                 column_attrs: dict[str, dict] | None = None, derive: Callable[[list], list] | None = None):
        self.columns = columns  # (name, unit, long_name)
        #: per column: None (Real) or :func:`column_kind`'s dict; ``typed``: any is not None
        self.kinds = list(kinds) if kinds is not None else [None] * len(columns)
        self.typed = any(k is not None for k in self.kinds)
        #: further attributes per column name (``display_units``, a derived quantity's ``expression``)
        self.column_attrs = {name: dict(a) for name, a in (column_attrs or {}).items()}
        #: the last columns' values computed from each recorded row (the derived quantities):
        #: ``derive(row)`` is appended to the row given to :meth:`record`
        self.derive = derive
        self.path = Path(path) if path else None
        self.attrs = dict(attrs or {})
        self.times: list[float] = []
        self.rows: list[list[float]] = []
        self.events: list[dict] = []
        self.sync_seconds = sync_seconds
        #: records in the file as of its last successful sync
        self._written = 0
        self._nc = None
        self._lock: ResultFileLock | None = None
        #: after a write error: (simulated time, cause); the file is rewritten on close
        self._failure: tuple[float, str] | None = None
        self._last_sync = time.monotonic()
        if self.path:
            self._open()

    def _open(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = ResultFileLock(self.path)
            lock.acquire()
        except OSError as exc:
            raise ConfigurationError(f"cannot write result file '{self.path}': {exc.strerror or exc}") from None
        self._lock = lock
        try:
            _set_errno(0)
            self._create()
            self._nc.sync()
        except (RuntimeError, OSError) as exc:
            cause = _write_cause(exc, self.path)
            self._detach()
            lock.discard()
            self._lock = None
            raise ConfigurationError(f"cannot write result file '{self.path}': {cause}") from None
        except BaseException:
            self._detach()
            lock.discard()
            self._lock = None
            raise

    def _create(self) -> None:
        """Create the file: its variables and attributes, no records (``self._nc``, ``self._vars``)."""
        import netCDF4

        try:
            self._nc = nc = netCDF4.Dataset(self.path, "w", format="NETCDF4")
        except PermissionError:
            if not self._lock.yield_to_hdf5():  # HDF5 could not lock the file: on NFS, our lock
                raise
            self._nc = nc = netCDF4.Dataset(self.path, "w", format="NETCDF4")
        nc.createDimension("time", None)
        t = nc.createVariable("time", "f8", ("time",))
        t.units = "s"
        t.long_name = "simulated time"
        t.standard_name = "time"
        self._vars = []
        for (name, unit, long_name), kind in zip(self.columns, self.kinds):
            if kind is None:
                v = nc.createVariable(name, "f8", ("time",))
                v.units = unit
            else:
                v = nc.createVariable(name, _NC_TYPES[kind["dtype"]], ("time",))
                if kind["dtype"] == "int64" and "items" not in kind["attrs"]:
                    v.units = unit
            v.long_name = long_name
            for k, value in self.column_attrs.get(name, {}).items():
                v.setncattr(k, value)
            if kind is not None:
                for k, value in kind["attrs"].items():
                    v.setncattr(k, np.asarray(value, dtype=np.int8 if kind["dtype"] == "bool" else np.int64)
                                if k == "flag_values" else value)
                if kind["dtype"] == "bool":
                    v.setncattr("dtype", "bool")  # xarray decodes the int8 values to bool
            self._vars.append(v)
        self._write_attrs()

    def _write_attrs(self):
        for k, v in self.attrs.items():
            self._nc.setncattr(k, v if isinstance(v, (str, int, float)) else json.dumps(v))
        self._nc.setncattr("events", json.dumps(self.events))

    def _write_records(self, n0: int, n1: int) -> None:
        """Records ``n0:n1`` into the open file."""
        self._nc["time"][n0:n1] = np.asarray(self.times[n0:n1])
        if self.typed:
            for v, values in zip(self._vars, self._arrays(self.rows[n0:n1])):
                v[n0:n1] = values.astype(np.int8) if values.dtype == np.bool_ else values
        else:
            block = np.asarray(self.rows[n0:n1], dtype=float)
            for j, v in enumerate(self._vars):
                v[n0:n1] = block[:, j]

    def record(self, t: float, values: list[float]) -> None:
        """Record ``values`` (the columns', but the derived ones: :attr:`derive` computes those
        from them) at time ``t``."""
        if self.derive is not None:
            values = list(values) + self.derive(values)
        self.times.append(t)
        self.rows.append(values)
        if self._nc is not None and time.monotonic() - self._last_sync >= self.sync_seconds:
            self.flush()

    def log_event(self, event: dict) -> None:
        self.events.append(event)

    def flush(self) -> None:
        """Write the new records and the attributes and sync the file; a write error raises
        :class:`ResultWriteError` (the file is rewritten from memory by :meth:`close`)."""
        if self._nc is None:
            return
        n0, n1 = self._written, len(self.times)
        _set_errno(0)
        try:
            if n1 > n0:
                self._write_records(n0, n1)
            self._nc.setncattr("last_sync", _utc_now())
            self._write_attrs()
            self._nc.sync()
        except (RuntimeError, OSError) as exc:
            raise self._write_failed(exc) from None
        self._written = n1
        self._last_sync = time.monotonic()

    def _write_failed(self, exc: BaseException) -> ResultWriteError:
        """Note a write error (``exc``, just caught) and let go of the file."""
        cause = _write_cause(exc, self.path)  # first: errno is still the failed write's
        t = self.times[-1] if self.times else 0.0
        self._failure = (t, cause)
        self._detach()
        return ResultWriteError(f"cannot write result file '{self.path}' at t={t:g} s: {cause}", t, str(self.path))

    def _detach(self) -> None:
        """Close the NetCDF handle, whatever state a failed write left it in.

        HDF5 keeps a file it could not flush open (and flock-ed) even through a failed close, and
        would refuse to create it again; its descriptors of the file are first pointed at
        /dev/null, so that the close succeeds (into /dev/null) and HDF5 forgets the file.  The
        first close after a failed write may still fail on HDF5's own state: it is tried again
        (measured: the second one succeeds)."""
        nc, self._nc = self._nc, None
        if nc is None:
            return
        if self._lock is not None and self._lock.fd is not None:
            null = os.open(os.devnull, os.O_RDWR)
            try:
                for fd in _descriptors_of(os.fstat(self._lock.fd), self._lock.fd):
                    os.dup2(null, fd)
            finally:
                os.close(null)
        for _ in range(3):
            try:
                nc.close()
                return
            except Exception:  # noqa: BLE001 - the handle is given up either way
                if not nc.isopen():
                    return

    def _rewrite(self) -> tuple[str, bool]:
        """After a write error: write the file again from memory — the records up to the last
        successful sync, the status saying what happened.  Returns the one-line message and
        whether the file was rewritten."""
        t, cause = self._failure
        n = self._written
        kept = f"the records up to t={self.times[n - 1]:g} s (its last sync)" if n else "no records"
        self.attrs["status"] = f"failed at t={t:g} s: cannot write the result file: {cause}; it holds {kept}"
        head = f"cannot write result file '{self.path}' at t={t:g} s: {cause}"
        _set_errno(0)
        try:
            os.ftruncate(self._lock.fd, 0)  # the broken file's space first: on a full disk it is all there is
            self._create()
            if n:
                self._write_records(0, n)
            self._nc.setncattr("last_sync", _utc_now())
            self._nc.close()
            self._nc = None
        except (RuntimeError, OSError) as exc:
            again = _write_cause(exc, self.path)
            self._detach()
            return f"{head}; writing {kept} again failed too ({again}): the file is not readable", False
        return f"{head}; the file holds {kept}", True

    def close(self, **attrs) -> None:
        """Write the last records and ``attrs`` (the final status), close the file and read it
        back; raise :class:`CryocosimError` if it is not a readable result of all the records.

        After a write error (:class:`ResultWriteError` from :meth:`record` or here) the file is
        rewritten with the records up to the last sync and a ``failed at t=…`` status, and a
        :class:`ResultWriteError` says so (``attrs`` are ignored)."""
        if self._failure is None:
            self.attrs.update(attrs)
        if self._lock is None:  # no file, or closed already
            return
        message = None
        try:
            if self._failure is None:
                try:
                    self.flush()
                    _set_errno(0)
                    try:
                        self._nc.close()
                    except (RuntimeError, OSError) as exc:
                        raise self._write_failed(exc) from None
                    self._nc = None
                except ResultWriteError:
                    pass  # self._failure: rewritten below
            if self._failure is not None:
                message, rewritten = self._rewrite()
        finally:
            if self._nc is not None:  # cut short (an exception of Python's): the handle goes
                nc, self._nc = self._nc, None
                try:
                    nc.close()
                except Exception:  # noqa: BLE001
                    pass
            self._lock.release()
            self._lock = None
        if message is None:
            self.verify()
            return
        if rewritten:
            self.verify(self._written)
        raise ResultWriteError(message, self._failure[0], str(self.path))

    def verify(self, records: int | None = None) -> None:
        """Read the written file back: every record (or the first ``records``) must be there."""
        import netCDF4

        expected = len(self.times) if records is None else records
        try:
            with netCDF4.Dataset(self.path, "r") as nc:
                n = len(nc.dimensions["time"])
                status = nc.getncattr("status") if "status" in nc.ncattrs() else None
        except Exception as exc:  # noqa: BLE001 - any failure to read back is the error to report
            raise CryocosimError(f"result file '{self.path}' is not readable after writing: "
                                 f"{type(exc).__name__}: {exc}") from None
        if n != expected or status != self.attrs.get("status"):
            raise CryocosimError(f"result file '{self.path}' holds {n} of {expected} records "
                                 "after writing (was it changed by another program?)")

    def _arrays(self, rows: list) -> list[np.ndarray]:
        """One array per column of ``rows``, each of its column's type."""
        if not self.typed:
            data = np.asarray(rows, dtype=float).reshape(len(rows), len(self.columns))
            return [data[:, j] for j in range(len(self.columns))]
        out = []
        for j, kind in enumerate(self.kinds):
            dtype = float if kind is None else _DTYPES[kind["dtype"]]
            values = np.empty(len(rows), dtype=dtype)
            values[:] = [r[j] for r in rows]
            out.append(values)
        return out

    @property
    def display_units(self) -> dict[str, str]:
        """The display unit of every Real column that has one (its ``display_units`` attribute):
        column name -> unit (:func:`cryocosim.units.to_display` converts the values)."""
        return {name: a["display_units"] for name, a in self.column_attrs.items() if "display_units" in a}

    def arrays(self) -> dict[str, np.ndarray]:
        """The recorded values: column name -> array over the records (of the column's type:
        float64, int64, bool, or objects for strings)."""
        return {name: a for (name, _, _), a in zip(self.columns, self._arrays(self.rows))}

    def dataset(self) -> "xr.Dataset":
        """The recorded values as a Dataset (built from memory, identical to the file)."""
        import xarray as xr

        ds = xr.Dataset(coords={"time": ("time", np.asarray(self.times, dtype=float),
                                         {"units": "s", "long_name": "simulated time"})})
        for (name, unit, long_name), kind, values in zip(self.columns, self.kinds, self._arrays(self.rows)):
            if kind is None:
                attrs = {"units": unit, "long_name": long_name, **self.column_attrs.get(name, {})}
            else:
                attrs = {"long_name": long_name}
                if kind["dtype"] == "int64" and "items" not in kind["attrs"]:
                    attrs["units"] = unit
                attrs.update(kind["attrs"])
                if "flag_values" in attrs:
                    attrs["flag_values"] = np.asarray(attrs["flag_values"], dtype=np.int8 if kind["dtype"] == "bool"
                                                      else np.int64)
                if kind["dtype"] == "str":
                    values = values.astype(str)  # as xarray reads the file's strings back
            ds[name] = ("time", values, attrs)
        attrs = {k: (v if isinstance(v, (str, int, float)) else json.dumps(v)) for k, v in self.attrs.items()}
        attrs["events"] = json.dumps(self.events)
        ds.attrs.update(attrs)
        return ds


def events_of(ds) -> list[dict]:
    """The event log stored in a result Dataset (or a :class:`Recorder`)."""
    if isinstance(ds, Recorder):
        return list(ds.events)
    return json.loads(ds.attrs.get("events", "[]"))
