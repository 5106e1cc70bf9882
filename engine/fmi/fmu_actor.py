"""Run any FMI 2.0 co-simulation FMU as an engine actor, through fmpy.

:func:`load_fmu_actor_class` reads and validates the FMU's modelDescription, extracts the FMU
once and returns a subclass of :class:`FMUActor` whose ``variables`` mirror the FMU's scalar
variables (Real, Integer/Enumeration, Boolean, String), so the bus, the recorder and the scenario
treat it like a native actor::

    Lag = load_fmu_actor_class("build/fmus/FirstOrderLag.fmu")
    lag = Lag(name="lag", tau="10 s")

The FMU is instantiated in :meth:`FMUActor.setup` and left in FMI initialisation mode, where the
master's fixed-point iteration sets its inputs and reads its calculated outputs
(:meth:`FMUActor.initialize_outputs`); :meth:`FMUActor.end_initialization` leaves that mode (the
first ``do_step`` does it when no master did).  Each :meth:`FMUActor.do_step` sets the inputs,
calls ``fmi2DoStep`` and reads outputs and locals back into the attributes (value-reference
arrays are built once).  Tunable parameters changed with :meth:`FMUActor.set_parameter` during a
run reach the FMU at once.  :meth:`FMUActor.get_state` holds an ``fmi2FMUstate`` (freed with
``fmi2FreeFMUstate`` when the snapshot is garbage collected), :meth:`FMUActor.set_state` restores it.
Every FMU failure is a :class:`~cryocosim.errors.ModelError` of one line naming the FMU file, the
actor, the FMI function and the time.  An FMU that ends the simulation itself (``fmi2DoStep``
returns fmi2Discard and ``fmi2GetBooleanStatus(fmi2Terminated)`` is true) raises
:class:`~cryocosim.errors.ActorTerminated` with the time it reached (``fmi2LastSuccessfulTime``),
its outputs read there: the master ends the run cleanly and records that last sample.

Reals go through preallocated ctypes arrays and the raw ``fmi2SetReal``/``fmi2DoStep``/
``fmi2GetReal``; an FMU with Integer, Enumeration, Boolean or String inputs or outputs also gets
such arrays per type (built once; an FMU with Reals only pays nothing for them).  An Enumeration
is an ``int`` whose :class:`~cryocosim.variables.Variable` lists its items.

A pythonfmu FMU loaded here runs inside this same Python process (its binary finds the running
interpreter), which is fine and fast.
"""
from __future__ import annotations

import atexit
import ctypes
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import fmpy
from fmpy.fmi2 import (FMU2Slave, defaultCallbacks, fmi2CallbackFunctions, fmi2CallbackLoggerTYPE,
                        fmi2LastSuccessfulTime, fmi2Terminated)

from ..actor import Actor
from ..errors import ActorTerminated, ModelError, ParameterError, one_line
from ..units import UnitError, parse_unit
from ..variables import Causality, Variable

__all__ = ["FMUActor", "load_fmu_actor_class"]

_TYPES = {"Real": float, "Integer": int, "Enumeration": int, "Boolean": bool, "String": str}
_CAUSALITY = {"parameter": Causality.parameter, "structuralParameter": Causality.parameter,
              "calculatedParameter": Causality.local, "input": Causality.input,
              "output": Causality.output, "local": Causality.local}
_OK_MAX = 1  # fmi2Warning: a status above it is a failure
_DISCARD = 2
_BASE = {"Integer": "Integer", "Enumeration": "Integer", "Boolean": "Boolean", "String": "String"}
_CTYPE = {"Integer": ctypes.c_int, "Boolean": ctypes.c_int, "String": ctypes.c_char_p}
_EXTRACTED: list[str] = []
#: the most an FMU may take extracted (bytes), and the most members it may hold: fmpy extracts an
#: FMU whole, so a zip bomb (a gigabyte of zeros in a megabyte) is refused from its headers first
MAX_FMU_BYTES = 512 * 2**20
MAX_FMU_MEMBERS = 10_000
#: the values of an FMI 2.0 Integer (a C int)
FMI_INTEGER = (-2**31, 2**31 - 1)
_CLASSES: dict[tuple, type] = {}  # (resolved path, mtime, size) -> class: read and extract once


@atexit.register
def _remove_extracted() -> None:
    for d in _EXTRACTED:
        shutil.rmtree(d, ignore_errors=True)


class _FMICallFailed(Exception):
    def __init__(self, function: str, status: int):
        label = {2: "discard", 3: "error", 4: "fatal"}.get(status, f"status {status}")
        super().__init__(f"{function} returned {label}")
        self.function = function


class _Instance:
    """One instantiated FMU; ``alive`` turns False when it is freed (states then leak, harmlessly)."""

    __slots__ = ("fmu", "alive")

    def __init__(self, fmu: FMU2Slave):
        self.fmu = fmu
        self.alive = True


class _FMUState:
    """An ``fmi2FMUstate`` freed with ``fmi2FreeFMUstate`` once no snapshot refers to it."""

    __slots__ = ("instance", "state")

    def __init__(self, instance: _Instance, state):
        self.instance = instance
        self.state = state

    def free(self) -> None:
        state, self.state = self.state, None
        if state is not None and self.instance.alive:
            self.instance.fmu.freeFMUstate(state)

    def __del__(self):
        try:
            self.free()
        except Exception:  # never raise from a finaliser
            pass

    # a snapshot may be deep-copied: the handle must stay unique or it would be freed twice
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return "<fmi2FMUstate>"


class FMUActor(Actor):
    """An actor that runs an FMI 2.0 co-simulation FMU (use :func:`load_fmu_actor_class`)."""

    #: the FMU file, its extracted folder and its fmpy model description (set per subclass)
    fmu_path: ClassVar[Path]
    unzip_dir: ClassVar[str]
    model_description: ClassVar[Any]
    #: name -> (FMI type, value reference)
    fmi_variables: ClassVar[dict[str, tuple[str, int]]] = {}
    #: passed to fmi2SetupExperiment
    start_time: ClassVar[float] = 0.0

    def __init__(self, name: str = "actor", **parameters: Any):
        self._inst: _Instance | None = None
        self._in_init = False  # the FMU is in FMI initialisation mode
        self._messages: list[str] = []
        self._logged_error = False  # the FMU logged an error or fatal message since last looked at
        self._t = type(self).start_time
        super().__init__(name, **parameters)

    # -- errors ---------------------------------------------------------------------------
    def _error(self, function: str, t: float | None, exc: BaseException) -> ModelError:
        reason = "; ".join(self._messages) if self._messages else ""
        self._messages.clear()
        self._logged_error = False
        if not reason:
            reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, _FMICallFailed) else str(exc)
        when = "" if t is None else f" at t={t:g} s"
        return ModelError(one_line(f"FMU '{self.fmu_path.name}' (actor '{self.name}') failed in "
                                    f"{function}{when}: {reason}"))

    def _log(self, component, instance_name, status, category, message) -> None:
        if status > _OK_MAX:  # discard, error, fatal
            text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
            self._messages.append(one_line(text))
            del self._messages[:-10]
            if status > _DISCARD:
                self._logged_error = True

    # -- value transfer -------------------------------------------------------------------------
    def _set(self, names) -> None:
        """Set the named variables in the FMU from the attributes (public fmpy API, any type)."""
        fmu = self._inst.fmu
        groups: dict[str, tuple[list, list]] = {}
        for n in names:
            kind, vr = self.fmi_variables[n]
            vrs, vals = groups.setdefault(kind, ([], []))
            vrs.append(vr)
            vals.append(getattr(self, n))
        for kind, (vrs, vals) in groups.items():
            if kind == "Real":
                fmu.setReal(vrs, [float(v) for v in vals])
            elif kind in ("Integer", "Enumeration"):
                fmu.setInteger(vrs, [int(v) for v in vals])
            elif kind == "Boolean":
                fmu.setBoolean(vrs, [bool(v) for v in vals])
            else:
                fmu.setString(vrs, [str(v) for v in vals])

    def _get(self, names) -> None:
        fmu = self._inst.fmu
        for n in names:
            kind, vr = self.fmi_variables[n]
            if kind == "Real":
                value = fmu.getReal([vr])[0]
            elif kind in ("Integer", "Enumeration"):
                value = fmu.getInteger([vr])[0]
            elif kind == "Boolean":
                value = bool(fmu.getBoolean([vr])[0])
            else:
                raw = fmu.getString([vr])[0]
                value = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            setattr(self, n, value)

    def _prepare_step(self) -> None:
        """Build the value-reference arrays and bind the raw FMI functions once."""
        cls, fmu = type(self), self._inst.fmu
        ins = [v.name for v in cls.variables if v.causality == Causality.input]
        outs = [v.name for v in cls.variables if v.causality in (Causality.output, Causality.local)]
        self._in_real = [n for n in ins if self.fmi_variables[n][0] == "Real"]
        self._in_other = [n for n in ins if self.fmi_variables[n][0] != "Real"]
        self._out_real = [n for n in outs if self.fmi_variables[n][0] == "Real"]
        self._out_other = [n for n in outs if self.fmi_variables[n][0] != "Real"]
        ni, no = len(self._in_real), len(self._out_real)
        self._in_vr = (ctypes.c_uint * ni)(*[self.fmi_variables[n][1] for n in self._in_real])
        self._in_val = (ctypes.c_double * ni)()
        self._out_vr = (ctypes.c_uint * no)(*[self.fmi_variables[n][1] for n in self._out_real])
        self._out_val = (ctypes.c_double * no)()
        functions = getattr(fmu, "_functions", {})
        raw = [functions.get(f) for f in ("fmi2SetReal", "fmi2DoStep", "fmi2GetReal")]
        self._raw = raw if all(raw) else None
        self._set_groups = self._groups(self._in_other, "Set", functions)
        self._get_groups = self._groups(self._out_other, "Get", functions)

    def _set_input_derivatives(self) -> None:
        """``fmi2SetRealInputDerivatives`` of the Real inputs the master gave as polynomials:
        their first and, where not zero, second time derivatives at the step's start."""
        vrs, orders, values = [], [], []
        for name, (d1, d2) in self.input_derivatives.items():
            vr = self.fmi_variables[name][1]
            vrs.append(vr)
            orders.append(1)
            values.append(d1)
            if d2:
                vrs.append(vr)
                orders.append(2)
                values.append(d2)
        self._inst.fmu.setRealInputDerivatives(vrs, orders, values)

    def _groups(self, names, direction: str, functions) -> list | None:
        """Per base type of ``names`` (not Real): (raw fmi2Set/GetXxx, its name, base type,
        names, value references, values); None without the raw functions (then fmpy's API)."""
        by_base: dict[str, list[str]] = {}
        for n in names:
            by_base.setdefault(_BASE[self.fmi_variables[n][0]], []).append(n)
        groups = []
        for base, group in by_base.items():
            fname = f"fmi2{direction}{base}"
            f = functions.get(fname)
            if f is None:
                return None
            vr = (ctypes.c_uint * len(group))(*[self.fmi_variables[n][1] for n in group])
            groups.append((f, fname, base, tuple(group), vr, (_CTYPE[base] * len(group))()))
        return groups

    def _set_other(self) -> None:
        """Set the inputs that are not Real (raw calls on the preallocated arrays)."""
        groups = self._set_groups
        if groups is None:
            self._set(self._in_other)
            return
        comp = self._inst.fmu.component
        for f, fname, base, names, vr, val in groups:
            if base == "Integer":
                for i, n in enumerate(names):
                    val[i] = int(getattr(self, n))
            elif base == "Boolean":
                for i, n in enumerate(names):
                    val[i] = 1 if getattr(self, n) else 0
            else:
                for i, n in enumerate(names):
                    val[i] = str(getattr(self, n)).encode("utf-8")
            status = f(comp, vr, len(names), val)
            if status > _OK_MAX:
                raise _FMICallFailed(fname, status)

    def _get_other(self) -> None:
        """Read the outputs and locals that are not Real into the attributes."""
        groups = self._get_groups
        if groups is None:
            self._get(self._out_other)
            return
        comp = self._inst.fmu.component
        for f, fname, base, names, vr, val in groups:
            status = f(comp, vr, len(names), val)
            if status > _OK_MAX:
                raise _FMICallFailed(fname, status)
            if base == "Integer":
                for i, n in enumerate(names):
                    setattr(self, n, val[i])
            elif base == "Boolean":
                for i, n in enumerate(names):
                    setattr(self, n, val[i] != 0)
            else:
                for i, n in enumerate(names):
                    raw = val[i]
                    setattr(self, n, raw.decode("utf-8", "replace") if raw is not None else "")

    def _terminated(self, t: float) -> ActorTerminated | None:
        """After fmi2DoStep returned fmi2Discard: the FMU's request to end the simulation
        (``fmi2Terminated``), with the time it reached, or None (then it is a failure).  The
        outputs and locals are read at the time it reached (``final`` when that worked).

        An FMU that logged an error with the discard failed: pythonfmu's wrapper answers every
        ``do_step`` that fails with fmi2Discard and ``fmi2Terminated`` true."""
        if self._logged_error:
            return None
        fmu = self._inst.fmu
        try:
            if not fmu.getBooleanStatus(fmi2Terminated):
                return None
        except Exception:  # no status: an ordinary failure
            return None
        try:
            reached = float(fmu.getRealStatus(fmi2LastSuccessfulTime))
        except Exception:
            reached = t
        try:  # its outputs where it stopped: the master records them at that time, as fmpy does
            self._get(self._out_real + self._out_other)
            final = True
        except Exception:
            final = False
        reason = "; ".join(self._messages)
        self._messages.clear()
        return ActorTerminated(one_line(
            f"FMU '{self.fmu_path.name}' (actor '{self.name}') ended the simulation at t={reached:g} s "
            f"(fmi2DoStep from t={t:g} s returned discard with fmi2Terminated){': ' + reason if reason else ''}"),
            self.name, reached, self.fmu_path.name, final)

    # -- life cycle -----------------------------------------------------------------------------------
    def setup(self) -> None:
        if self._inst is not None:
            self._free()
        cls = type(self)
        md = cls.model_description
        callbacks = fmi2CallbackFunctions()
        callbacks.logger = fmi2CallbackLoggerTYPE(self._log)
        callbacks.allocateMemory = defaultCallbacks.allocateMemory
        callbacks.freeMemory = defaultCallbacks.freeMemory
        try:
            from fmpy.logging import addLoggerProxy
            addLoggerProxy(ctypes.byref(callbacks))
        except Exception:  # pragma: no cover - the proxy only formats variadic arguments
            pass
        self._callbacks = callbacks  # keep the ctypes callbacks alive as long as the instance
        step = "instantiate"
        self._t = cls.start_time
        try:
            fmu = FMU2Slave(guid=md.guid, unzipDirectory=cls.unzip_dir,
                            modelIdentifier=md.coSimulation.modelIdentifier, instanceName=self.name)
            saved_path = list(sys.path)
            try:
                # loggingOn: pythonfmu passes its error messages (our reason text) only then
                fmu.instantiate(callbacks=callbacks, loggingOn=True)
            finally:  # pythonfmu prepends the resources folder on every instantiation
                sys.path[:] = saved_path
            self._inst = _Instance(fmu)
            step = "setupExperiment"
            fmu.setupExperiment(startTime=cls.start_time)
            step = "enterInitializationMode"
            fmu.enterInitializationMode()
            self._in_init = True
            step = "setting parameters and start values"
            self._set([v.name for v in cls.variables
                       if v.causality in (Causality.parameter, Causality.input)])
            step = "reading outputs"
            self._prepare_step()
            self._get(self._out_real + self._out_other)
        except Exception as exc:
            err = self._error(step, cls.start_time, exc)
            self._free()
            raise err from exc

    # -- initialisation mode: the master iterates inputs -> outputs to a fixed point ----------------
    def initialize_outputs(self, t: float) -> None:
        """Set the inputs and read the outputs back while the FMU is in initialisation mode
        (outputs with ``initial="calculated"`` are computed by the FMU from its inputs)."""
        if not self._in_init:
            return
        try:
            self._set(self._in_real + self._in_other)
            self._get(self._out_real + self._out_other)
        except Exception as exc:
            raise self._error("initialisation mode (set inputs, get outputs)", t, exc) from exc

    def end_initialization(self) -> None:
        """Leave FMI initialisation mode with the converged inputs set; read the outputs."""
        if not self._in_init:
            return
        step = "setting inputs"
        try:
            self._set(self._in_real + self._in_other)
            step = "exitInitializationMode"
            self._inst.fmu.exitInitializationMode()
            self._in_init = False
            step = "reading outputs"
            self._get(self._out_real + self._out_other)
        except Exception as exc:
            raise self._error(step, type(self).start_time, exc) from exc

    def do_step(self, t: float, h: float) -> None:
        self._t = t
        if self._in_init:  # used without a master's initialisation
            self.end_initialization()
        try:
            raw = self._raw
            if raw is not None:
                comp = self._inst.fmu.component
                if self._in_real:
                    val = self._in_val
                    for i, n in enumerate(self._in_real):
                        val[i] = getattr(self, n)
                    status = raw[0](comp, self._in_vr, len(val), val)
                    if status > _OK_MAX:
                        raise _FMICallFailed("fmi2SetReal", status)
                if self._in_other:
                    self._set_other()
                if self.input_derivatives:
                    self._set_input_derivatives()
                status = raw[1](comp, t, h, 0)
                if status > _OK_MAX:
                    ended = self._terminated(t) if status == _DISCARD else None
                    if ended is not None:
                        raise ended
                    raise _FMICallFailed("fmi2DoStep", status)
                if self._out_real:
                    val = self._out_val
                    status = raw[2](comp, self._out_vr, len(val), val)
                    if status > _OK_MAX:
                        raise _FMICallFailed("fmi2GetReal", status)
                    for i, n in enumerate(self._out_real):
                        setattr(self, n, val[i])
            else:
                self._set(self._in_real + self._in_other)
                if self.input_derivatives:
                    self._set_input_derivatives()
                try:
                    self._inst.fmu.doStep(t, h, 0)
                except Exception as exc:
                    ended = self._terminated(t) if getattr(exc, "status", None) == _DISCARD else None
                    if ended is not None:
                        raise ended from None
                    raise
                self._get(self._out_real)
            if self._out_other:
                self._get_other()
        except ActorTerminated:
            raise
        except AttributeError as exc:
            if self._inst is None:
                raise self._not_instantiated("do_step") from None
            raise self._error("doStep", t, exc) from exc
        except Exception as exc:
            raise self._error("doStep", t, exc) from exc

    def set_parameter(self, key: str, value: Any) -> None:
        """Set a parameter; once the FMU is instantiated it is passed to it at once (after
        initialisation only a tunable one)."""
        inst = getattr(self, "_inst", None)
        var = self.variable_map().get(key)
        live = inst is not None and var is not None and var.causality == Causality.parameter
        if live and not self._in_init and not var.tunable:
            raise ParameterError.of(self.name, key, f" of FMU '{self.fmu_path.name}' "
                                 "is not tunable and cannot change during a run")
        if var is not None and var.type is int:  # a C int, whatever the FMU declares: never wrapped
            x, (lo, hi) = self.coerce(var, value), FMI_INTEGER
            if not lo <= x <= hi:
                raise ParameterError(f"actor '{self.name}': {key} = {x} is outside the range of an FMI "
                                     f"Integer ({lo} to {hi})")
        super().set_parameter(key, value)
        if live:
            try:
                self._set([key])
            except Exception as exc:
                raise self._error(f"setting parameter '{key}'", self._t, exc) from exc

    def terminate(self) -> None:
        if self._inst is None:
            return
        try:
            self._inst.fmu.terminate()
        except Exception as exc:
            err = self._error("terminate", self._t, exc)
            self._free()
            raise err from exc
        self._free()

    def _not_instantiated(self, what: str) -> ModelError:
        return ModelError(f"FMU '{self.fmu_path.name}' (actor '{self.name}'): {what} while the FMU is not "
                          "instantiated (the system is not initialised: run it or call System.initialize "
                          "first; a failed run or System.release() frees the FMU)")

    def _free(self) -> None:
        inst, self._inst = self._inst, None
        self._in_init = False
        if inst is None:
            return
        inst.alive = False
        try:
            inst.fmu.freeInstance()
        except Exception:
            pass

    # -- state ----------------------------------------------------------------------------------------
    def supports_rollback(self) -> bool:
        return bool(type(self).model_description.coSimulation.canGetAndSetFMUstate)

    def get_state(self) -> dict[str, Any]:
        """The attributes and the FMU's ``fmi2FMUstate`` (the FMU must be instantiated: a
        snapshot without it would restore a wrong state silently)."""
        if not type(self).model_description.coSimulation.canGetAndSetFMUstate:
            raise ModelError(f"FMU '{self.fmu_path.name}' (actor '{self.name}') cannot save its "
                             "state (canGetAndSetFMUstate is false): no rollback possible")
        if self._inst is None:
            raise self._not_instantiated("get_state (a snapshot)")
        snap = super().get_state()
        try:
            snap["fmu_state"] = _FMUState(self._inst, self._inst.fmu.getFMUstate())
        except Exception as exc:
            raise self._error("getFMUstate", self._t, exc) from exc
        return snap

    def set_state(self, state: dict[str, Any]) -> None:
        handle = state.get("fmu_state")
        if handle is not None:
            if self._inst is None:
                raise self._not_instantiated("set_state (a restore)")
            if handle.instance is not self._inst or handle.state is None:
                raise ModelError(f"FMU '{self.fmu_path.name}' (actor '{self.name}'): the state to "
                                 "restore belongs to another (or a freed) FMU instance")
            try:
                self._inst.fmu.setFMUstate(handle.state)
            except Exception as exc:
                raise self._error("setFMUstate", self._t, exc) from exc
        super().set_state({k: v for k, v in state.items() if k != "fmu_state"})

    def __del__(self):
        try:
            self._free()
        except Exception:
            pass


def _start(kind: str, text: str | None):
    t = _TYPES[kind]
    if text is None:
        return t()
    if t is bool:
        return text.strip().lower() in ("true", "1")
    if t is int:
        return int(text)
    if t is float:
        return float(text)
    return text


def _class_name(identifier: str) -> str:
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in identifier) or "FMU"
    return name if not name[0].isdigit() else f"FMU_{name}"


def load_fmu_actor_class(path: str | Path) -> type[FMUActor]:
    """Read, validate and extract an FMI 2.0 co-simulation FMU; return an actor class for it."""
    path = Path(path)
    where = f"FMU '{path}'"
    if not path.is_file():
        raise ModelError(f"{where}: no such file")
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    cls = _CLASSES.get(key)
    if cls is None:
        cls = _CLASSES[key] = _make_class(path, where)
    return cls


def _check_archive(path: Path, where: str) -> None:
    """The FMU's zip headers within MAX_FMU_MEMBERS members and MAX_FMU_BYTES extracted."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: fmpy's reader says so below
    if len(infos) > MAX_FMU_MEMBERS:
        raise ModelError(f"{where}: {len(infos)} members in the zip, above the limit of {MAX_FMU_MEMBERS} of an FMU")
    declared = sum(info.file_size for info in infos)
    if declared > MAX_FMU_BYTES:
        raise ModelError(f"{where}: its members would take {declared / 2**20:.0f} MiB extracted, above the limit "
                         f"of {MAX_FMU_BYTES // 2**20} MiB of an FMU (a zip bomb?)")


def _make_class(path: Path, where: str) -> type[FMUActor]:
    _check_archive(path, where)
    try:
        md = fmpy.read_model_description(str(path), validate=True)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{where} is not a readable FMU (zip archive): {one_line(exc)}") from None
    except Exception as exc:
        problems = getattr(exc, "problems", None)
        if problems:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            reason = f"{one_line(problems[0])}{more}"
        else:
            reason = f"{type(exc).__name__}: {one_line(exc)}"
        raise ModelError(f"{where} has an invalid modelDescription.xml: {reason}") from None
    if md.fmiVersion != "2.0":
        raise ModelError(f"{where} is FMI {md.fmiVersion}; only FMI 2.0 co-simulation FMUs are supported")
    if md.coSimulation is None:
        raise ModelError(f"{where} has no co-simulation interface (model exchange only)")

    variables: list[Variable] = []
    fmi_variables: dict[str, tuple[str, int]] = {}
    for sv in md.modelVariables:
        if sv.type not in _TYPES or sv.causality not in _CAUSALITY:
            continue  # independent variable, clocks, binaries...
        t = _TYPES[sv.type]
        unit = sv.unit or (sv.declaredType.unit if sv.declaredType is not None else None) or "1"
        if t is float:
            try:
                parse_unit(unit)
            except UnitError as exc:
                raise ModelError(f"{where}: variable '{sv.name}': {exc}") from None
        else:
            unit = "1"
        bound = (lambda s: float(s) if s not in (None, "") else None) if t in (float, int) else (lambda s: None)
        causality = _CAUSALITY[sv.causality]
        try:
            start = _start(sv.type, sv.start)
            vmin, vmax = bound(sv.min), bound(sv.max)
        except ValueError as exc:
            raise ModelError(f"{where}: variable '{sv.name}': {exc}") from None
        if causality != Causality.parameter:
            vmin = vmax = None  # an input's declared bounds are the model's business at run time
        try:
            nominal = float(sv.nominal) if t is float and sv.nominal not in (None, "") else None
        except ValueError:
            nominal = None
        items = ()
        if sv.type == "Enumeration" and sv.declaredType is not None:
            try:
                items = tuple((it.name, int(it.value)) for it in sv.declaredType.items)
            except (TypeError, ValueError) as exc:
                raise ModelError(f"{where}: variable '{sv.name}': enumeration items: {exc}") from None
        variables.append(Variable(sv.name, causality, unit, start, sv.description or "", t, vmin, vmax,
                                  sv.variability == "tunable", nominal=nominal, items=items,
                                  # FMI 2.0: an input runs at its start value unless the master sets it
                                  start_is_default=causality == Causality.input and sv.start is not None))
        fmi_variables[sv.name] = (sv.type, sv.valueReference)

    try:
        unzip_dir = fmpy.extract(str(path))
    except Exception as exc:
        raise ModelError(f"{where} cannot be extracted: {one_line(exc)}") from None
    _EXTRACTED.append(str(unzip_dir))

    de = md.defaultExperiment
    ns = {
        "__doc__": md.description or f"FMU {path.name}",
        "__module__": __name__,
        "summary": md.description or f"FMU {path.name}",
        "variables": tuple(variables),
        "fmi_variables": fmi_variables,
        "fmu_path": path.resolve(),
        "unzip_dir": str(unzip_dir),
        "model_description": md,
        "default_step": float(de.stepSize) if de is not None and de.stepSize else Actor.default_step,
        "start_time": float(de.startTime) if de is not None and de.startTime else 0.0,
        # canInterpolateInputs: fmi2SetRealInputDerivatives before each fmi2DoStep under a
        # coupling order >= 1 (first and second derivatives; FMI 2.0 section 4.2.1)
        "input_order": 2 if md.coSimulation.canInterpolateInputs else 0,
    }
    return type(_class_name(md.coSimulation.modelIdentifier), (FMUActor,), ns)
