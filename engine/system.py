"""A system: actors, connections, events and a run — the Python scenario API.

>>> from cryocosim import System
>>> s = System("demo")
>>> s.add("lag", "mypkg.models:Lag", step=0.1, tau=2.0)
>>> s.connect("source.y", "lag.u")
>>> s.at(10.0, set={"lag.tau": 1.0})
>>> s.when("lag.y > 0.9", name="settled", stop=True)
>>> ds = s.run(stop_time=60.0, output="lag.nc")

Models are named by a registered short name (entry-point group ``cryocosim.models``), by
``"package.module:Class"``, by an ``.fmu`` path, or given as an :class:`Actor` subclass.

After a run that completed, was stopped by an event or was ended by an FMU itself, the actors stay
initialised (FMUs instantiated): :meth:`System.snapshot` and :meth:`System.restore` (the master's)
work on the final state, and ``system.master.run(later)`` continues from it.  They are released
(``terminate``, FMUs freed) by :meth:`System.release` (or leaving ``with System(...)``), by the
next :meth:`System.run`, when the System is garbage collected, and at interpreter exit.  A run
that fails or is interrupted releases them at once.
"""
from __future__ import annotations

import atexit
import contextlib
import math
import importlib
import signal
import sys
import threading
import warnings
import weakref
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # xarray (about 0.6 s with its first Dataset) only when a Dataset is asked for
    import xarray as xr

from . import __version__
from .actor import Actor
from .bus import Bus
from .checks import RunLength, check_run_length, check_step, check_time, describe, locate_setup_error
from .derived import Derived, Evaluator, define
from .errors import ConfigurationError, CryocosimError, CryocosimWarning, SetupError, SimulationError
from .stepcontrol import StepControl
from .events import Action, ConditionEvent, TimeEvent, parse_condition
from .master import Master
from .results import Recorder, ResultWriteError, column_kind
from .units import DisplayChoices, UnitError, parse_quantity, parse_unit
from .variables import Causality


def registered_models() -> dict[str, str]:
    """Short model names -> ``module:Class`` from the ``cryocosim.models`` entry points."""
    return {ep.name: ep.value for ep in entry_points(group="cryocosim.models")}


def resolve_model(model: Any, where: str = "") -> type[Actor]:
    """Find the actor class for ``model`` (class, short name, ``module:Class`` or ``.fmu`` path)."""
    where = f"{where}: " if where else ""
    if isinstance(model, type) and issubclass(model, Actor):
        return model
    if not isinstance(model, str):
        raise ConfigurationError(f"{where}model must be a name, 'module:Class' or an .fmu path, not {model!r}")
    if model.lower().endswith(".fmu"):
        from .fmi.fmu_actor import load_fmu_actor_class

        return load_fmu_actor_class(model)
    target = registered_models().get(model, model)
    if ":" not in target:
        names = ", ".join(sorted(registered_models()))
        raise ConfigurationError(f"{where}unknown model '{model}' (known models: {names}; or 'module:Class' or a .fmu file)")
    module_name, _, cls_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, cls_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"{where}cannot load model '{model}': {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Actor)):
        raise ConfigurationError(f"{where}model '{model}' is not an Actor subclass")
    return cls


#: systems whose actors are initialised after a run: released at interpreter exit
_LIVE: "weakref.WeakSet[System]" = weakref.WeakSet()
_AT_EXIT = []


def _release_live() -> None:
    for system in list(_LIVE):
        try:
            system.release()
        except Exception:  # noqa: BLE001 - exit must not fail
            pass


def _keep_live(system: "System") -> None:
    if not _AT_EXIT:  # registered late: runs before the FMU module's removal of extracted FMUs
        atexit.register(_release_live)
        _AT_EXIT.append(True)
    _LIVE.add(system)


class System:
    """Actors, connections and events; :meth:`run` co-simulates them and returns a Dataset."""

    def __init__(self, name: str = "system", scenario_text: str = "", source: str = "<script>"):
        self.name = name
        self.scenario_text = scenario_text
        self.source = source
        self.bus = Bus()
        self.models: dict[str, type[Actor]] = {}
        self.params: dict[str, dict[str, Any]] = {}
        self.steps: dict[str, float] = {}
        self.time_events: list[TimeEvent] = []
        self.conditions: list[ConditionEvent] = []
        self.master: Master | None = None
        #: actor name -> where it was defined (a scenario file's table), for error messages
        self.origins: dict[str, str] = {}
        #: actor name -> parameter -> where its value came from (a scenario's key, a --set)
        self.parameter_origins: dict[str, dict[str, str]] = {}
        #: the actors are set up (FMUs instantiated) and not yet released
        self.initialised = False
        self._twin: System | None = None  # the run(fmu=True) system kept for snapshots
        #: derived quantities (:meth:`derive`), recorded as ``derived.NAME`` in this order
        self.derived: dict[str, Derived] = {}
        #: display units chosen by :meth:`display` (the scenario's [units], the command line)
        self.display_choices = DisplayChoices()
        #: actor name -> the class whose ``display_units`` apply (the native class of an FMU twin)
        self._display_models: dict[str, type] = {}

    # -- building -----------------------------------------------------------------------
    def add(self, name: str, model: Any, step: float | None = None, where: str = "", step_where: str = "",
            **parameters) -> Actor:
        """Add an actor ``name`` of ``model`` with communication step ``step`` (s, or ``"50 ms"``;
        default: the model's ``default_step``) and parameters.  ``where`` names the actor's
        model in messages, ``step_where`` where its step was given (a scenario's table).  The
        step is checked here, once (:func:`~cryocosim.checks.check_step`: positive, finite, a whole
        number of master ticks); the master takes it as checked."""
        cls = resolve_model(model, where or f"actor '{name}'")
        actor = cls(name=name)
        for key, value in parameters.items():
            actor.set_parameter(key, value)
            if actor.variable_map()[key].causality == Causality.input:
                self.bus.fix_input(name, key)
        self.bus.add(actor)
        self.models[name] = cls
        self.params[name] = dict(parameters)
        if step is None:
            h = check_step(cls.default_step, f"{where or f'actor {name!r}'}: default step of model "
                                             f"{describe(model if isinstance(model, str) else cls.__name__)}")
        else:
            h = check_step(step, step_where or f"actor '{name}': step")
        self.steps[name] = h
        return actor

    def connect(self, src: str, dst: str, where: str = "", convert: bool = False,
                transform: tuple[float, float] | None = None):
        """Connect ``"a.output" -> "b.input"`` (or two ports ``"a.port" -> "b.port"``).

        The two ends must be of one type (Real, Integer, Boolean, String; an Enumeration and an
        Integer go together): ``convert=True`` converts Real, Integer, Enumeration and Boolean
        into one another (a Real to the nearest integer) and accepts a Real without a unit on
        one end and with a unit on the other without a warning.  ``transform=(scale, offset)``
        replaces the unit conversion by ``input = scale * output + offset`` (Reals)."""
        return self.bus.connect(src, dst, where, convert=convert, transform=transform)

    def derive(self, name: str, expression: str, unit: str | None = None, description: str = "",
               where: str = "") -> Derived:
        """Record ``derived.<name>`` = ``expression`` at every output time (:mod:`cryocosim.derived`):
        an expression of recorded variables (``"load_hx.heat_load / motor.power"``), Real
        parameters, quantities (``"300 K"``) and the derived quantities defined before (by name).
        Its unit is the expression's SI unit, or ``unit`` (checked for dimension; the values are
        converted to it); ``description`` is its ``long_name``.  Errors name ``where``."""
        d = define(name, expression, unit, description, where=where or f"derived quantity {describe(name)}",
                   actors=self.bus.actors, earlier=self.derived)
        self.derived[d.name] = d
        return d

    def recorded_units(self) -> dict[str, str]:
        """Every variable a run records but the master's own: ``actor.variable`` (outputs and
        locals) and ``derived.NAME``, with its unit."""
        out = {f"{a}.{v}": self.bus.actors[a].variable_map()[v].unit for a, v in self.bus.recorded()}
        out.update({d.column: d.unit for d in self.derived.values()})
        return out

    def display(self, key: str, display: str | None = None, *, where: str = "", override: bool = False) -> None:
        """Show a variable, or every variable of a dimension, in a display unit (the result's
        ``display_units`` attribute; the values stay in their unit).

        ``display("hp.p", "atm")``: that variable (an output, local or derived quantity);
        ``display("Pa", "bar")``: every variable of the dimension of Pa; ``display("bar")``:
        every variable of bar's dimension.  ``override=True`` (the command line's ``--units``)
        takes precedence over the others (a scenario's ``[units]``).  A display unit of another
        dimension than its variable or key is a :class:`ConfigurationError` naming ``where``."""
        where = where or f"display unit {describe(key)}"
        level = 1 if override else 0
        if display is None:
            key, display = None, key
        if not isinstance(display, str) or not display.strip():
            raise ConfigurationError(f"{where}: the display unit must be a unit such as \"bar\", not {describe(display)}")
        display = display.strip()
        try:
            shown = parse_unit(display)
        except UnitError as exc:
            raise ConfigurationError(f"{where}: {exc}") from None
        if key is None:
            unit, kind = display, "dimension"
        else:
            if not isinstance(key, str) or not key.strip():
                raise ConfigurationError(f"{where}: the key must be a unit ('Pa') or a variable ('hp.p'), "
                                         f"not {describe(key)}")
            key = key.strip()
            recorded = self.recorded_units()
            head, dot, tail = key.partition(".")
            if key in recorded:
                if not self._is_real(key):
                    raise ConfigurationError(f"{where}: '{key}' is not a Real variable")
                unit, kind = recorded[key] or "1", "variable"
            elif dot and head in self.bus.actors:
                raise ConfigurationError(f"{where}: actor '{head}' has no recorded variable '{tail}'")
            elif dot and head == "derived":
                raise ConfigurationError(f"{where}: no derived quantity '{tail}' "
                                         f"(defined: {', '.join(self.derived) or 'none'})")
            else:
                unit, kind = key, "dimension"
        try:
            of = parse_unit(unit)
        except UnitError as exc:
            raise ConfigurationError(f"{where}: {exc} (keys are units, 'Pa', or recorded variables, 'hp.p')") from None
        if of.dims != shown.dims:
            what = f"'{key}' (in {unit})" if kind == "variable" else f"'{unit}'"
            raise ConfigurationError(f"{where}: display unit '{display}' is not of the dimension of {what}: "
                                     f"{shown.dimension_text()} against {of.dimension_text()}")
        try:
            if kind == "variable":
                self.display_choices.by_variable(key, display, level)
            else:
                self.display_choices.by_dimension(key or display, display, level)
        except UnitError as exc:
            raise ConfigurationError(f"{where}: {exc}") from None

    def display_units(self, columns: list[tuple[str, str, str]] | None = None,
                      kinds: list | None = None) -> dict[str, str]:
        """The display unit of every Real variable of ``columns`` ((name, unit, long_name); default:
        the recorded variables): :meth:`display`'s choices, else the actor class's
        ``display_units``, else :data:`cryocosim.units.DISPLAY_UNITS`, else the variable's unit.
        An actor class's choice of the wrong dimension is a :class:`ConfigurationError`."""
        if columns is None:
            columns = [(name, unit, "") for name, unit in self.recorded_units().items() if self._is_real(name)]
            kinds = None
        out = {}
        for i, (name, unit, _) in enumerate(columns):
            if kinds is not None and kinds[i] is not None:
                continue
            out[name] = self.display_choices.choose(name, unit, self._declared_display(name, unit))
        return out

    def _is_real(self, name: str) -> bool:
        head, _, tail = name.partition(".")
        actor = self.bus.actors.get(head)
        if actor is None:
            return True   # derived quantities and the master's columns are Reals
        var = actor.variable_map().get(tail)
        return var is not None and var.type is float

    def _declared_display(self, name: str, unit: str) -> str | None:
        """The display unit the class of ``name``'s actor declares for it (``display_units``;
        an FMU's ``displayUnit``), checked against ``unit``."""
        head, _, var = name.partition(".")
        cls = self._display_models.get(head) or self.models.get(head)
        if cls is None:
            return None
        chosen = getattr(cls, "display_units", None)
        if chosen:
            display = chosen.get(var)
            if display is None:
                return None
            try:
                ok = parse_unit(display).dims == parse_unit(unit or "1").dims
            except UnitError:
                ok = False
            if not ok:
                raise ConfigurationError(f"model {cls.__module__}.{cls.__name__} (actor '{head}'): display_units"
                                         f"['{var}'] = {describe(display)} is not a unit of the dimension of "
                                         f"its unit {unit or '1'}")
            return display
        md = getattr(cls, "model_description", None)   # a third-party FMU: its displayUnit, if readable
        if md is None:
            return None
        for sv in getattr(md, "modelVariables", ()):
            if sv.name == var:
                display = getattr(sv, "displayUnit", None)
                try:
                    if display and parse_unit(display).dims == parse_unit(unit or "1").dims:
                        return display
                except UnitError:
                    pass
                return None
        return None

    def _action(self, set: dict | None, stop: bool, where: str) -> Action:
        values = {}
        for ref, value in (set or {}).items():
            actor_name, _, var = ref.partition(".")
            actor = self.bus.actors.get(actor_name)
            if actor is None:
                raise ConfigurationError(f"{where}: unknown actor '{actor_name}' in '{ref}'")
            v = actor.variable_map().get(var)
            settable = v is not None and (
                (v.causality == Causality.parameter and v.tunable)
                or (v.causality == Causality.input and (actor_name, var) in self.bus.fixed_inputs))
            if not settable:
                raise ConfigurationError(
                    f"{where}: '{ref}' cannot be changed during a run (only tunable parameters and unconnected inputs can)")
            values[(actor_name, var)] = actor.coerce(v, value)
        return Action(values, bool(stop))

    def at(self, time: float, name: str | None = None, set: dict | None = None, stop: bool = False,
           where: str = "") -> None:
        """At ``time`` (s): set tunable parameters / unconnected inputs, and/or stop."""
        where = where or f"event at t={time}"
        t = parse_quantity(time, "s")
        self.time_events.append(TimeEvent(t, name or f"t={t:g} s", self._action(set, stop, where)))

    def when(self, condition: str, name: str | None = None, set: dict | None = None, stop: bool = False,
             after: float = 0.0, where: str = "") -> None:
        """When ``"actor.var < value [unit]"`` becomes true: log it, set values, and/or stop.

        The left side may also be a sum or difference of variables of one unit, or its absolute
        value: ``"hp_buffer.p - lp_buffer.p < 0.1 bar"``, ``"abs(a.T - b.T) < 1 mK"``.  Clauses of
        that form joined by ``and`` make a conjunction, each with its own unit and threshold
        (``"station.T_rate > -1 K/h and station.T > 10 K"``): it fires when all hold together
        (parsed by :func:`cryocosim.events.parse_condition`)."""
        where = where or f"event '{name or condition}'"

        def unit_of(actor_name: str, var: str, what: str) -> str:
            """The unit of ``actor_name.var`` named in clause ``what``: an actor's output or local."""
            actor = self.bus.actors.get(actor_name)
            if actor is None and actor_name == "derived" and var in self.derived:
                raise ConfigurationError(f"{where}: {what} names the derived quantity '{actor_name}.{var}': "
                                         f"conditions name variables of the actors (a derived quantity is "
                                         f"computed when a record is taken, after the conditions are checked)")
            if actor is None:
                raise ConfigurationError(f"{where}: unknown actor '{actor_name}' in {what}")
            v = actor.variable_map().get(var)
            if v is None or v.causality not in (Causality.output, Causality.local):
                raise ConfigurationError(f"{where}: '{actor_name}.{var}' is not an output or local variable")
            return v.unit

        first, *also = parse_condition(condition, unit_of, where)
        self.conditions.append(ConditionEvent(first.actor, first.var, first.op, first.threshold, name or condition,
                                              self._action(set, stop, where), parse_quantity(after, "s"),
                                              True, condition, first.terms, first.absolute, tuple(also)))

    # -- running ------------------------------------------------------------------------
    def _fmu_variant(self) -> "System":
        """The same system with every native actor replaced by its exported FMU (fmpy)."""
        from .fmi.export import fmu_cache
        from .fmi.fmu_actor import FMUActor, load_fmu_actor_class

        twin = System(self.name, self.scenario_text, self.source)
        for name, cls in self.models.items():
            if not issubclass(cls, FMUActor):
                cls = load_fmu_actor_class(fmu_cache(cls))
            twin.add(name, cls, self.steps[name], **self.params[name])
        twin.bus.links = list(self.bus.links)
        twin.bus.fixed_inputs = set(self.bus.fixed_inputs)
        twin.time_events, twin.conditions = self.time_events, self.conditions
        twin.origins = dict(self.origins)
        twin.parameter_origins = dict(self.parameter_origins)
        twin.derived = dict(self.derived)   # compiled against variables the FMUs declare alike
        twin.display_choices = self.display_choices
        twin._display_models = {name: self._display_models.get(name, cls) for name, cls in self.models.items()}
        return twin

    def _terminate_actors(self) -> None:
        self.initialised = False
        _LIVE.discard(self)
        for actor in self.bus.actors.values():
            try:
                actor.terminate()
            except Exception:  # noqa: BLE001 - termination must not hide the run's outcome
                pass

    def release(self) -> None:
        """Terminate the actors (FMUs: ``fmi2Terminate``, then freed) kept initialised after a
        run; snapshots taken before cannot be restored afterwards.  Harmless when not initialised."""
        twin, self._twin = self._twin, None
        if twin is not None:
            twin.release()
        if self.initialised:
            self._terminate_actors()

    close = release

    def __enter__(self) -> "System":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self):
        try:
            if getattr(self, "initialised", False) or getattr(self, "_twin", None) is not None:
                self.release()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    def _live_master(self, what: str) -> Master:
        if self._twin is not None:
            return self._twin._live_master(what)
        if not self.initialised or self.master is None:
            raise ConfigurationError(f"system '{self.name}': {what} needs an initialised system (run it, or "
                                     "call initialize, first; a failed run and release() end the initialisation)")
        return self.master

    def snapshot(self) -> dict:
        """The whole state of the initialised system (after :meth:`run`): actors, bus, clock."""
        return self._live_master("snapshot").snapshot()

    def restore(self, snap: dict) -> None:
        """Restore a :meth:`snapshot` taken since the system was last initialised."""
        self._live_master("restore").restore(snap)

    def initialize(self, master: Master) -> None:
        """Set the actors up and iterate them to a consistent start; a failure is a
        :class:`ConfigurationError` (exit status 2) prefixed with where the actor was defined."""
        if self.initialised:  # a previous run's actors: released before they are set up again
            self.release()
        try:
            master.initialize()
        except SetupError as exc:
            msg = locate_setup_error(exc, exc.actor, self.origins, self.parameter_origins)
            raise SetupError(msg, exc.actor) from exc
        self.master = master
        self.initialised = True
        _keep_live(self)

    def run(self, stop_time: float, output: str | Path | None = None, ordering: str = "gauss-seidel",
            output_interval: float | None = None, progress: bool = False, fmu: bool = False,
            order: list[str] | None = None, tolerance: float | None = None, iterate: bool = False,
            dataset: bool = True, **step_options) -> xr.Dataset | Recorder:
        """Co-simulate to ``stop_time`` (s); return the results (also written to ``output``).

        ``tolerance`` (relative) turns on adaptive communication steps with rollback, ``iterate``
        iterates every step to convergence; ``step_options`` are the other fields of
        :class:`~cryocosim.stepcontrol.StepControl` (``min_step``, ``max_step``,
        ``abs_tolerance``, ``event_tolerance``, ``max_iterations``, ``relaxation``...).
        Without them the run uses the fixed steps of the actors.  ``dataset=False`` returns the
        :class:`~cryocosim.results.Recorder` (``attrs``, ``events``, ``times``; its ``dataset()``
        builds the Dataset) and spares the xarray import, for a caller that only wants the file.

        If a model fails midway, the results up to the failure are kept in ``output`` and a
        :class:`SimulationError` says where and when.
        """
        self.release()  # a previous run's actors
        if fmu:
            twin = self._fmu_variant()
            result = twin.run(stop_time, output, ordering, output_interval, progress, False, order,
                              tolerance, iterate, dataset, **step_options)
            if twin.initialised:
                self._twin = twin
            return result
        if not isinstance(stop_time, RunLength):  # not checked at the edge it came from (a scenario, --stop-time)
            stop_time = check_run_length(stop_time, self.steps)
        if output_interval is not None:
            output_interval = check_time(output_interval, "output_interval")
        try:
            control = StepControl(tolerance=tolerance or None, iterate=bool(iterate), **step_options).check("run")
        except TypeError as exc:
            raise ConfigurationError(f"run: {exc}") from None
        self.bus.check()  # before the attributes: they list the inputs that run at their start value
        master = Master(self.bus, self.steps, ordering, order)
        master.configure(control)
        for message in master.warnings:
            warnings.warn(message, CryocosimWarning, stacklevel=2)
        self.master = master
        for ev in self.time_events:
            master.add_time_event(ev)
        for c in self.conditions:
            master.add_condition(c)
        columns, kinds = [], []
        for a, v in self.bus.recorded():
            var = self.bus.actors[a].variable_map()[v]
            columns.append((f"{a}.{v}", var.unit, var.description or v))
            kinds.append(column_kind(var))
        extra = master.extra_columns()
        columns += extra
        kinds += [None] * len(extra)
        # derived quantities: computed by the recorder from each row, recorded after the others
        derive = Evaluator(list(self.derived.values()), [c[0] for c in columns], self.bus.actors) \
            if self.derived else None
        column_attrs: dict[str, dict] = {d.column: {"expression": d.expr.text.strip()} for d in self.derived.values()}
        columns += [(d.column, d.unit, d.long_name) for d in self.derived.values()]
        kinds += [None] * len(self.derived)
        for name, display in self.display_units(columns, kinds).items():
            column_attrs.setdefault(name, {})["display_units"] = display
        attrs = {
            "title": f"cryocosim run of {self.name}", "source": self.source, "scenario": self.scenario_text,
            "cryocosim_version": __version__, "ordering": ordering, "stop_time": stop_time,
            "steps": {n: h for n, h in self.steps.items()}, "status": "running",
            "step_control": ("adaptive" if master.macro and control.adaptive else "fixed")
                            + (", iterated" if master.macro and control.iterate else ""),
            "tolerance": control.tolerance or 0.0,
            "warnings": list(self.bus.warnings) + self.bus.unconnected_warnings() + list(master.warnings),
            # inputs nothing connects or sets, at their declared start values ("actor.input = value unit")
            "unconnected_inputs": list(self.bus.unconnected.values()),
            "Conventions": "CF-1.8",
        }
        # SIGINT and SIGTERM: the first stops the run (KeyboardInterrupt, Terminated); none cuts
        # short the closing of the result file that follows, whatever comes after it
        interrupts = _Interrupts()
        bar = None
        finished = False
        with interrupts:
            interrupts.armed = True
            # set up and initialise first: a parameter the models reject leaves no empty result
            # file; then open (and lock) the output, releasing the actors if that fails
            try:
                self.initialize(master)
                recorder = Recorder(columns, output, attrs, kinds=kinds, column_attrs=column_attrs, derive=derive)
            except BaseException:
                interrupts.armed = False
                self._terminate_actors()
                raise
            try:
                callback = None
                if progress:
                    bar, callback = _progress_bar(self.name, stop_time)
                try:
                    master.run(stop_time, recorder, output_interval, callback)
                finally:
                    interrupts.armed = False  # from here on, a signal is noted, not raised
                finished = True
            except ResultWriteError:
                recorder.close()  # rewrites the file up to its last sync; raises what it holds
                raise
            except CryocosimError as exc:
                t_fail = master.t / master.ticks_per_second
                recorder.close(status=f"failed at t={t_fail:g} s: {exc}")
                where = f"; results up to t={t_fail:g} s written to {output}" if output else ""
                raise SimulationError(f"{exc}{where}", t_fail, output) from exc
            except KeyboardInterrupt as exc:
                t_fail = master.t / master.ticks_per_second
                how = " (SIGTERM)" if isinstance(exc, Terminated) else ""
                recorder.close(status=f"interrupted at t={t_fail:g} s{how}")
                raise
            finally:
                if bar is not None:
                    bar.close()
                if not finished:  # a failed or interrupted run releases its actors; else they stay
                    self._terminate_actors()  # initialised for snapshots until release()
            self._close_completed(master, control, recorder)
        interrupts.raise_deferred()  # a signal that came while the completed run's file was closed
        return recorder.dataset() if dataset else recorder

    def _close_completed(self, master: Master, control: StepControl, recorder: Recorder) -> None:
        """Close the result of a run that completed (or was stopped by an event or an actor)
        with its status and statistics."""
        if master.terminated_by is not None:
            actor, fmu_name, when = master.terminated_by
            by = f"actor '{actor}'" + (f" (FMU '{fmu_name}')" if fmu_name else "")
            status = f"terminated by {by} at t={when:g} s"
        elif master.stopped_by:
            status = f"stopped by event '{master.stopped_by}'"
        else:
            status = "completed"
        stats = dict(wall_time_s=master.wall_time, actor_steps=master.steps_taken)
        if master.macro:
            stats.update(accepted_steps=master.accepted, rejected_steps=master.rejected,
                         steps_above_tolerance_at_min_step=master.forced,
                         explicit_steps=master.explicit_steps, jacobians=master.jacobians,
                         rejected_by=dict(sorted(master.rejected_by.items(), key=lambda kv: -kv[1])[:10]))
            if master.explicit_steps:
                message = (f"{master.explicit_steps} of {master.accepted} steps did not converge in "
                           f"{control.max_iterations} coupling iterations and were taken explicitly "
                           f"(inputs held at the start values)")
                master.warnings.append(message)
                warnings.warn(message, CryocosimWarning, stacklevel=3)
            stats["warnings"] = list(self.bus.warnings) + self.bus.unconnected_warnings() + list(master.warnings)
        recorder.close(status=status, **stats)


def _progress_bar(name: str, stop_time: float):
    """A tqdm progress bar of a run on stderr and the master's callback that moves it."""
    from tqdm import tqdm

    # decimals enough to show a short run's progress (a 0.4 s run is not "0/0 s")
    nd = max(0, min(6, 2 - math.floor(math.log10(stop_time)))) if stop_time < 100 else 0
    bar = tqdm(total=stop_time, unit="s", desc=name, file=sys.stderr, mininterval=0.5,
               bar_format=("{desc}: {percentage:3.0f}%|{bar}| {n:.Nf}/{total:.Nf} s simulated "
                           "[{elapsed}<{remaining}{postfix}]").replace("N", str(nd)))

    def callback(t_sim, t_wall, step=None):
        bar.n = min(t_sim, stop_time)
        now = f", step {step:.3g} s" if step is not None else ""
        rtf = t_sim / max(t_wall, 1e-9)
        bar.set_postfix_str(f"{rtf:.0f}x real time{now}" if rtf >= 10 else f"{rtf:.2g}x real time{now}", refresh=True)

    return bar, callback


class Terminated(KeyboardInterrupt):
    """SIGTERM received during a run: handled like Ctrl-C (the results so far are kept)."""


class _Interrupts:
    """SIGINT and SIGTERM while a run goes on in the main thread.

    While :attr:`armed`, the first signal raises :class:`KeyboardInterrupt` (SIGINT) or
    :class:`Terminated` (SIGTERM) and disarms; any other signal — a second one a millisecond
    later, one while the result file is closed — is only noted, so that nothing cuts short the
    clean close of the file (its status written).  After a completed run, :meth:`raise_deferred`
    raises for a signal noted meanwhile.  SIGINT is taken over only from Python's default handler
    (a program's own handler, or SIG_IGN, stays); elsewhere than in the main thread nothing
    changes."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.armed = False
        self.received: list[int] = []
        self._previous: dict[int, Any] = {}

    def _handler(self, signum, frame):
        self.received.append(signum)
        if self.armed:
            self.armed = False
            raise Terminated("SIGTERM") if signum == signal.SIGTERM else KeyboardInterrupt()

    def __enter__(self) -> "_Interrupts":
        if threading.current_thread() is threading.main_thread():
            for sig in self._SIGNALS:
                if sig == signal.SIGINT and signal.getsignal(sig) is not signal.default_int_handler:
                    continue
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        self.armed = False
        if not self._previous:
            return
        sigs = set(self._previous)
        # blocked while the old handlers come back: a signal that is pending now is noted here,
        # not delivered to SIG_DFL (which would kill the process) nor reported as "ignored due
        # to race condition" by Python; pthread_sigmask also runs the Python handlers pending
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
        try:
            while hasattr(signal, "sigtimedwait") and (info := signal.sigtimedwait(sigs, 0)) is not None:
                self.received.append(info.si_signo)
            for sig, previous in self._previous.items():
                signal.signal(sig, previous)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        self._previous.clear()

    def raise_deferred(self) -> None:
        """Raise for a signal that was noted and not raised."""
        if self.received:
            raise Terminated("SIGTERM") if signal.SIGTERM in self.received else KeyboardInterrupt()


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While a run goes on in the main thread, SIGTERM raises :class:`Terminated`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated("SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
