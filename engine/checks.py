"""Small validation helpers shared by the scenario reader, the command line and :class:`System`.

Each raises :class:`~cryocosim.errors.ConfigurationError` (exit status 2) with a one-line message
that starts with ``where`` (a file and table, a command-line option, an actor).
"""
from __future__ import annotations

import errno
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigurationError, CryocosimError, ParameterError, describe, one_line  # describe: re-exported
from .schema import kind_of  # noqa: F401  (re-exported)
from .units import UnitError, parse_quantity

#: the master's clock tick (s): every communication step is a whole number of ticks
RESOLUTION = 1e-9
#: a run longer than this many steps of its fastest actor is refused (it would never end)
MAX_STEPS = 1e9
#: no time in a scenario (stop time, step, output interval, event time) may exceed this (s),
#: about 30 million years: beyond it the master's integer clock is meaningless
MAX_TIME = 1e15
#: no parameter may exceed this in magnitude (SI): beyond it a square or a fourth power overflows
MAX_MAGNITUDE = 1e100


def prefix(where: str, message: str) -> str:
    """``"where: message"`` (``message`` alone when ``where`` is empty)."""
    return f"{where}: {message}" if where else message


def check_time(value: Any, where: str, *, positive: bool = True) -> float:
    """A time in s (a number or ``"2 h"``): finite, at most :data:`MAX_TIME`, and positive
    (``positive=True``) or at least zero."""
    try:
        t = parse_quantity(value, "s")
    except UnitError as exc:
        raise ConfigurationError(prefix(where, str(exc))) from None
    if positive and not t > 0:
        raise ConfigurationError(prefix(where, f"must be positive, got {describe(value)}"))
    if not t >= 0:
        raise ConfigurationError(prefix(where, f"must not be negative, got {describe(value)}"))
    if t > MAX_TIME:
        raise ConfigurationError(prefix(where, f"{t:g} s is absurdly long (more than {MAX_TIME:g} s)"))
    return t


def check_step(value: Any, where: str) -> float:
    """A communication step in s: positive, finite and a whole number of master ticks."""
    h = check_time(value, where)
    k = round(h / RESOLUTION)
    if k < 1 or abs(k * RESOLUTION - h) > 1e-9 * h:
        raise ConfigurationError(prefix(where, f"step {h:g} s must be a positive multiple of {RESOLUTION:g} s"))
    return h


class RunLength(float):
    """A stop time in s already checked against the actors' steps (:func:`check_run_length`, at
    the edge it came in by: a scenario's ``[run]``, ``--stop-time``, an SSP's DefaultExperiment):
    ``System.run`` takes it without checking it again."""

    __slots__ = ()


def check_run_length(stop_time: Any, steps: Mapping[str, float], where: str = "stop time") -> RunLength:
    """Check a run from 0 to ``stop_time`` (s, or a quantity such as ``"2 h"``) with
    communication ``steps`` (actor -> s); ``where`` names the stop time in messages (a scenario
    key, ``--stop-time``).

    ``stop_time`` must be finite and positive and the run at most :data:`MAX_STEPS` steps of the
    fastest actor (``stop_time = 1e12`` with a 50 ms step would run for ever while the memory
    grows).  Returns ``stop_time`` in s as a :class:`RunLength`.
    """
    stop = check_time(stop_time, where)
    if steps:  # checked by System.add (check_step): positive and finite
        fastest = min(steps, key=lambda name: steps[name])
        h = steps[fastest]
        n = stop / h
        if n > MAX_STEPS:
            raise ConfigurationError(prefix(where, (
                f"stop time {stop:g} s would take {n:.3g} steps of actor '{fastest}' (step {h:g} s); "
                f"the limit is {MAX_STEPS:.0e}: shorten the run or lengthen the step")))
    return RunLength(stop)


def parameter_message(where: str, rest: str) -> str:
    """``where`` (the place a parameter's value came from) joined to what an actor said about
    it, the actor's ``"actor 'x': parameter 'p'"`` head already removed: ``" = 2 K is ..."``,
    ``": unit mismatch ..."`` -> ``"<where>: 2 K is ..."``, ``"<where>: unit mismatch ..."``."""
    return f"{where}: {rest.lstrip(' =:')}"


def _writable_dir(path: Path, what: str, where: str) -> None:
    """The folder a file will be written into: an existing writable directory, or creatable."""
    parent = path.parent
    probe = parent
    while not probe.exists():
        if probe.is_symlink():  # a dangling link: mkdir would fail
            raise ConfigurationError(prefix(where, f"cannot write {what} '{path}': '{probe}' is a broken link"))
        if probe == probe.parent:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ConfigurationError(prefix(where, f"cannot write {what} '{path}': '{probe}' is not a directory"))
    reason = None if os.access(probe, os.W_OK | os.X_OK) else "not writable"
    if reason is None:
        try:  # what the run will do (catches read-only file systems, ACLs, full disks)
            fd, name = tempfile.mkstemp(dir=probe, prefix=".cryocosim-write-check-")
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            reason = f"not writable ({exc.strerror or exc})"
    if reason:
        raise ConfigurationError(prefix(where, f"cannot write {what} '{path}': directory '{probe}' is {reason}"))


def _short(path: str | Path, limit: int = 80) -> str:
    """A path for a one-line message: an over-long one with its middle cut out."""
    text = str(path)
    return text if len(text) <= limit else f"{text[:limit // 2 - 2]}...{text[-(limit // 2 - 1):]}"


def _check_length(p: Path, what: str, where: str, suffix: str) -> None:
    """Refuse a path the system cannot open: a component longer than NAME_MAX bytes (the file's
    own name with ``suffix`` added: the lock file beside a result), the whole longer than PATH_MAX."""
    probe = p.absolute().parent
    while not os.path.isdir(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        name_max = os.pathconf(probe, "PC_NAME_MAX")
        path_max = os.pathconf(probe, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    parts = p.parts
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        limit = name_max - len(suffix) if last else name_max
        n = len(os.fsencode(part))
        if n > limit:
            why = f"at most {limit}" + (f": '{suffix}' is added for a file beside it" if limit < name_max else "")
            raise ConfigurationError(prefix(where, f"cannot write {what} '{_short(p)}': the name "
                                                   f"'{_short(part, 40)}' is too long ({n} bytes; {why})"))
    n = len(os.fsencode(str(p))) + len(suffix)
    if n >= path_max:
        raise ConfigurationError(prefix(where, f"cannot write {what} '{_short(p)}': the path is too long "
                                               f"({n} bytes; at most {path_max - 1})"))


def check_output_path(path: str | Path, where: str = "", what: str = "result file", suffix: str = "") -> Path:
    """Check, before a run, that the result file ``path`` can be written: its name is not too
    long (with ``suffix`` added: a file written beside it, such as a result's ``.lock``), it is
    a regular file or does not exist yet (not a folder, not a device such as ``/dev/null``), and
    its folder exists or can be created, and is writable."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ConfigurationError(prefix(where, f"{what} must be a file name, got {describe(path)}"))
    p = Path(path)
    _check_length(p, what, where, suffix)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a component that is a file, a loop of links, no permission
        if exc.errno == errno.ENOTDIR:
            st = None  # _writable_dir names the component
        else:
            raise ConfigurationError(prefix(where, f"cannot write {what} '{_short(p)}': {exc.strerror or exc}")) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise ConfigurationError(prefix(where, f"cannot write {what} '{p}': it is a directory"))
        if not stat.S_ISREG(st.st_mode):
            raise ConfigurationError(prefix(where, f"cannot write {what} '{p}': it is {file_kind(st.st_mode)}, "
                                                   "not a regular file"))
        if not os.access(p, os.W_OK):
            raise ConfigurationError(prefix(where, f"cannot write {what} '{p}': the file is read-only"))
    _writable_dir(p, what, where)
    return p


def file_kind(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, for messages: ``"a character device"``..."""
    for test, name in ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def read_text_file(path: str | Path, where: str, what: str, limit: int,
                   error: type[ConfigurationError] = ConfigurationError) -> str:
    """The UTF-8 text of ``path``, a regular file of at most ``limit`` bytes: a folder, a device
    (``/dev/zero``) or a named pipe is refused in one line (``error``, naming ``where`` and
    ``what``), not read for ever; opening a pipe does not wait for a writer."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise error(f"{where}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise error(f"{where}: cannot read {what}: {kind}")
        mib = f"{limit / 2**20:g} MiB"
        if st.st_size > limit:
            raise error(f"{where}: cannot read {what}: {st.st_size:,} bytes, more than the {mib} it may have")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{where}: cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > limit:  # it grew while read
        raise error(f"{where}: cannot read {what}: more than the {mib} it may have")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{where}: {what} is not a UTF-8 text file (byte {exc.start})") from None


def same_file(a: str | Path, b: str | Path) -> bool:
    """``a`` and ``b`` are one file, under whatever names (symlinks, hard links, spellings)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): the same only if spelled so
        try:
            return Path(a).resolve() == Path(b).resolve()
        except (OSError, RuntimeError):
            return False


def check_not_input(path: str | Path, source: str | Path, where: str = "", what: str = "result file",
                    source_what: str = "the scenario file") -> None:
    """Refuse to write ``path`` when it is ``source`` (a file the run reads), by any name."""
    if same_file(path, source):
        also = "" if str(path) == str(source) else f" '{source}'"
        raise ConfigurationError(prefix(where, f"cannot write {what} '{path}': it is {source_what}{also}"))


_PLOT_FORMATS: tuple[str, ...] | None = None


def plot_formats() -> tuple[str, ...]:
    """File suffixes matplotlib can write (png, pdf, svg, ...)."""
    global _PLOT_FORMATS
    if _PLOT_FORMATS is None:
        from matplotlib.backend_bases import FigureCanvasBase

        _PLOT_FORMATS = tuple(sorted(FigureCanvasBase.get_supported_filetypes()))
    return _PLOT_FORMATS


def check_plot_path(path: str | Path, where: str = "") -> Path:
    """Check, before a run, that a plot can be written to ``path`` in the format of its suffix."""
    p = check_output_path(path, where, "plot")
    suffix = p.suffix.lower().lstrip(".")
    if suffix not in plot_formats():
        got = f"'.{suffix}'" if suffix else "no suffix"
        raise ConfigurationError(prefix(where, f"plot '{p}': unknown plot format ({got}); "
                                               f"use one of {', '.join(plot_formats())}"))
    return p


def _parameter_error(exc: BaseException | None) -> ParameterError | None:
    """The :class:`ParameterError` ``exc`` is or was raised from (a setup error wraps it)."""
    while exc is not None and not isinstance(exc, ParameterError):
        exc = exc.__cause__
    return exc


def locate_setup_error(exc: BaseException, actor: str, origins: Mapping[str, str] | None = None,
                       parameter_origins: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The one-line message of an error raised by ``actor``'s ``setup()``, prefixed with where
    the actor (and, for a :class:`ParameterError` naming its parameter, the parameter) was defined.

    ``origins``: actor -> ``"<file>: [[actor]] #i 'x'"`` (``System.origins``);
    ``parameter_origins``: actor -> parameter -> where its value came from
    (``System.parameter_origins``, e.g. ``"<file>: [set]: key 'x.p'"``).
    """
    msg = one_line(exc)
    if not isinstance(exc, CryocosimError):  # a model's own bug or a library's error
        msg = f"setup failed: {type(exc).__name__}: {msg}" if msg else f"setup failed: {type(exc).__name__}"
    origin = (origins or {}).get(actor, "")
    param = _parameter_error(exc)
    if param is not None and param.actor == actor and param.parameter is not None:
        key, rest = param.parameter, one_line(param.detail)
        where = ((parameter_origins or {}).get(actor) or {}).get(key)
        if where is None:
            base = origin or f"actor '{actor}'"
            where = f"{base}: parameters.{key} (start value)"
        return parameter_message(where, rest)
    if msg.startswith(f"actor '{actor}': "):
        msg = msg[len(f"actor '{actor}': "):]
    return prefix(origin or f"actor '{actor}'", msg)


def parse_toml(text: str, source: str, error: type[Exception] = ConfigurationError) -> dict:
    """A TOML document's text parsed, or ``error`` with one line naming ``source``: the syntax
    error with its line and column, or values nested too deeply for the parser."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: TOML syntax error: {one_line(exc)}") from None
    except RecursionError:
        raise error(f"{source}: TOML syntax error: values nested too deeply") from None
