"""A generic pythonfmu adapter: any :class:`cryocosim.Actor` class as an FMI 2.0 co-simulation slave.

:func:`make_slave_class` builds an :class:`pythonfmu.Fmi2Slave` subclass, named after the actor
class, that owns one actor instance and registers each declared variable as an FMI scalar
variable whose getter and setter read and write the actor's attribute:

=========== ============================ ===========================================
causality   FMI causality / variability  notes
=========== ============================ ===========================================
parameter   parameter / tunable or fixed ``tunable`` from the declaration; set through
                                         :meth:`Actor.set_parameter` (bounds checked)
input       input / continuous           discrete for Integer, Boolean and String
output      output / continuous          ``initial="calculated"`` (no start value),
                                         listed in ``ModelStructure/InitialUnknowns``
local       local / continuous           ``initial="calculated"`` (no start value)
=========== ============================ ===========================================

Every output is *calculated*: its value at the start is what the actor computes in
:meth:`Actor.setup` and :meth:`Actor.initialize_outputs` from the parameters and inputs, not its
declared start (a gas volume's pressure follows from its start temperature and density, a
compressor's flow from its inlet state), so a master must read it from the FMU in initialisation
mode instead of passing a declared start value on to the connected inputs.  The InitialUnknowns
carry no ``dependencies`` attribute: each output may depend on every input and parameter.

In initialisation mode the outputs are calculated on demand: reading one sets the actor up
(:meth:`Actor.setup`, again after a parameter change) and recomputes its outputs from the inputs set
so far (:meth:`Actor.initialize_outputs`), so a master iterating the connected values in
initialisation mode reaches the same consistent start as the engine; ``exit_initialization_mode``
does the same once more.  ``do_step`` forwards to
:meth:`Actor.do_step` (an exception is logged with status error and the step fails), and the
FMU state is the actor's complete :meth:`Actor.get_state` snapshot (pythonfmu's default would
hold only the registered variables and silently lose internal state on a rollback).

The modelDescription gets FMI 2.0 ``<UnitDefinitions>`` built from :func:`cryocosim.units.parse_unit`,
a ``unit`` on each ``<Real>`` (and declared ``min``/``max``), the actor's summary as description, a
``<DefaultExperiment>`` whose ``stepSize`` is the actor's ``default_step``, ``generationTool``
naming cryocosim and its version, ``author``/``version``/``license`` from the package's metadata,
the allowed values of a choice parameter in its description, and display units (``rpm`` for
rad/s, ``bar`` and ``atm`` for Pa, ``L`` for m3, ``g/s`` for kg/s: :data:`cryocosim.units.DISPLAY_UNITS`,
the first of each the ``displayUnit``, as a result's ``display_units`` attribute takes it; an actor
class may choose others per variable with a ``display_units = {"p": "atm"}`` class attribute).
"""
from __future__ import annotations

import ctypes
import sys
from typing import Any, Dict
from xml.etree.ElementTree import Element, SubElement

from pythonfmu import Fmi2Slave
from pythonfmu.default_experiment import DefaultExperiment
from pythonfmu.enums import Fmi2Causality, Fmi2Initial, Fmi2Status, Fmi2Variability
from pythonfmu.variables import Boolean, Integer, Real, String

from ..units import BASE, DISPLAY_UNITS, UnitError, parse_unit  # DISPLAY_UNITS: re-exported
from ..variables import Causality, Variable

__all__ = ["make_slave_class", "ActorSlave", "actor_description", "unit_definitions",
           "model_metadata", "DISPLAY_UNITS", "AUTHOR"]

#: the FMU's ``author`` attribute
AUTHOR = "cryocosim developers"

_SCALAR = {float: Real, int: Integer, bool: Boolean, str: String}
#: canInterpolateInputs: the derivative of order k of the Real input at value reference vr is the
#: hidden variable at vr + (k << INPUT_DERIVATIVE_SHIFT) (launcher.c maps fmi2SetRealInputDerivatives
#: onto fmi2SetReal there: keep the two in step)
INPUT_DERIVATIVE_SHIFT = 24
HIDDEN_PREFIX = "__cryocosim_input_derivative"
_DIMENSIONLESS = ("", "1")


def actor_description(actor_class: type) -> str:
    """The actor's ``summary``, else the first line of its docstring, else ``""``."""
    summary = getattr(actor_class, "summary", "") or ""
    if summary.strip():
        return summary.strip()
    doc = actor_class.__doc__ or ""
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _fmt(x: float) -> str:
    return repr(float(x))


def _display_conversion(unit: str, display: str) -> tuple[float, float]:
    """(factor, offset) of FMI 2.0's ``<DisplayUnit>``: value_display = factor * value_unit + offset."""
    u, d = parse_unit(unit), parse_unit(display)
    if not u.same_dimension(d):
        raise UnitError(f"display unit '{display}' is not of the dimension of '{unit}'")
    return u.factor / d.factor, (u.offset - d.offset) / d.factor


def unit_definitions(units, display_units: Dict[str, list] | None = None) -> Element:
    """``<UnitDefinitions>`` with one ``<Unit>``/``<BaseUnit>`` per unit string (in the given order)
    and, per unit, a ``<DisplayUnit>`` for each name in ``display_units[unit]``."""
    node = Element("UnitDefinitions")
    for text in units:
        u = parse_unit(text)
        unit = SubElement(node, "Unit", {"name": text})
        attrib = {b: str(e) for b, e in zip(BASE, u.dims) if e}
        if u.factor != 1.0:
            attrib["factor"] = _fmt(u.factor)
        if u.offset != 0.0:
            attrib["offset"] = _fmt(u.offset)
        SubElement(unit, "BaseUnit", attrib)
        for display in (display_units or {}).get(text, ()):
            factor, offset = _display_conversion(text, display)
            attrib = {"name": display, "factor": _fmt(factor)}
            if offset != 0.0:
                attrib["offset"] = _fmt(offset)
            SubElement(unit, "DisplayUnit", attrib)
    return node


def model_metadata() -> Dict[str, str]:
    """``generationTool``, ``author``, ``version`` and ``license`` of the modelDescription, from the
    installed distribution's metadata (the package's own version when it is not installed, as
    inside an FMU)."""
    from importlib import metadata

    from .. import __version__ as version
    import pythonfmu

    license_ = "MIT"
    try:
        meta = metadata.metadata("cryocosim")
        version = meta.get("Version") or version
        license_ = meta.get("License-Expression") or meta.get("License") or license_
    except metadata.PackageNotFoundError:
        pass
    return {"generationTool": f"cryocosim {version} (pythonfmu {pythonfmu.__version__})",
            "author": AUTHOR, "version": version, "license": license_}


def _described(var: Variable) -> str:
    """The variable's description, with the allowed values of a choice parameter."""
    text = var.description or ""
    if var.choices:
        allowed = ", ".join(str(c) for c in var.choices)
        text = f"{text} (one of: {allowed})" if text else f"one of: {allowed}"
    return text


def _fmi_kind(var: Variable):
    """(causality, variability, initial) of a declared variable."""
    real = var.type is float
    if var.causality == Causality.parameter:
        return (Fmi2Causality.parameter,
                Fmi2Variability.tunable if var.tunable else Fmi2Variability.fixed, None)
    time_varying = Fmi2Variability.continuous if real else Fmi2Variability.discrete
    if var.causality == Causality.input:
        return Fmi2Causality.input, time_varying, None
    if var.causality == Causality.output:
        return Fmi2Causality.output, time_varying, Fmi2Initial.calculated
    return Fmi2Causality.local, time_varying, None


def _pin_module_dict(frame) -> None:
    """Work around a reference-count bug of pythonfmu 0.7.0's binary loader.

    On every ``fmi2Instantiate`` its C++ ``findClass`` imports the wrapper script module, executes
    the script's source once more in that module's ``__dict__`` and then calls ``Py_DECREF`` on the
    ``__dict__``, which ``PyModule_GetDict`` returned as a *borrowed* reference.  Without a fix the
    first instance works, the dict is freed under its module and the next instantiation of the same
    FMU in the process fails ("module has no attribute ...") or crashes.  The wrapper script calls
    :func:`make_slave_class` once per execution, i.e. once before each of those ``Py_DECREF``; taking
    one reference to the calling module's dict here balances them (a loader without the bug merely
    keeps the dict alive, as its module does anyway).
    """
    if frame is not None and frame.f_code.co_name == "<module>":
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(frame.f_globals))


class ActorSlave(Fmi2Slave):
    """Base of the generated slave classes; ``actor_class`` is set by :func:`make_slave_class`."""

    actor_class: type = None  # type: ignore[assignment]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        actor = self.actor_class(name=self.instance_name)
        self.actor = actor
        self._start_time = 0.0
        self._initializing = False
        self._set_up = False      # actor.setup() has run with the present parameters
        self._outputs_due = True  # inputs changed since the outputs were last computed
        for var in self.actor_class.variables:
            self._register(actor, var)
        if self.actor_class.input_order > 0:
            self._register_input_derivatives(actor)

    def _register_input_derivatives(self, actor) -> None:
        """canInterpolateInputs: fmi2SetRealInputDerivatives reaches the actor through hidden
        Real variables, the input's first and second derivatives at value references
        ``vr + (order << INPUT_DERIVATIVE_SHIFT)`` (the launcher maps the call onto fmi2SetReal
        on them; they are not in the modelDescription).  Each holds for one step (cleared after
        it), as FMI 2.0 says."""
        inputs = [(vr, sv.name) for vr, sv in list(self.vars.items())
                  if self.actor_class.variable_map()[sv.name].causality == Causality.input
                  and self.actor_class.variable_map()[sv.name].type is float]
        for vr, name in inputs:
            for order in (1, 2):
                def getter(name=name, order=order):
                    return actor.input_derivatives.get(name, (0.0, 0.0))[order - 1]

                def setter(value, name=name, order=order):
                    d = list(actor.input_derivatives.get(name, (0.0, 0.0)))
                    d[order - 1] = float(value)
                    actor.input_derivatives[name] = (d[0], d[1])

                hidden = Real(f"{HIDDEN_PREFIX}{order}_{name}", causality=Fmi2Causality.local,
                              variability=Fmi2Variability.continuous, getter=getter, setter=setter)
                key = vr + (order << INPUT_DERIVATIVE_SHIFT)
                hidden.value_reference = key
                self.vars[key] = hidden

    def _register(self, actor, var: Variable) -> None:
        scalar = _SCALAR.get(var.type)
        if scalar is None:
            raise TypeError(f"{self.actor_class.__name__}.{var.name}: type {var.type!r} has no FMI 2.0 equivalent")
        causality, variability, initial = _fmi_kind(var)
        name = var.name
        if var.causality in (Causality.output, Causality.local):
            def getter():
                if self._initializing:
                    self._compute_initial_outputs()
                return getattr(actor, name)
        else:
            getter = lambda: getattr(actor, name)  # noqa: E731
        if var.causality == Causality.parameter:
            def setter(value):
                actor.set_parameter(name, value)  # bounds checked
                if self._initializing:
                    self._set_up = False
        else:
            def setter(value):
                setattr(actor, name, value)
                self._outputs_due = True
        kwargs: Dict[str, Any] = dict(causality=causality, variability=variability,
                                      description=var.description or None, getter=getter, setter=setter)
        if initial is not None:
            kwargs["initial"] = initial
        # calculated (outputs, locals): no start value (FMI 2.0); the master reads it in
        # initialisation mode
        start = var.start if var.causality in (Causality.parameter, Causality.input) else None
        self.register_variable(scalar(name, start=start, **kwargs), nested=False)

    # -- FMI life cycle -------------------------------------------------------------------
    def setup_experiment(self, start_time, stop_time=None, tolerance=None):
        self._start_time = float(start_time or 0.0)

    def enter_initialization_mode(self):
        self._initializing = True
        self._set_up = False

    def _compute_initial_outputs(self) -> None:
        """In initialisation mode the outputs are *calculated* from the parameters and inputs set
        so far: set the actor up (again, after a parameter change) and let it compute its
        outputs from its inputs (:meth:`Actor.initialize_outputs`), as the engine's master does."""
        try:
            if not self._set_up:
                self.actor.setup()
                self._set_up, self._outputs_due = True, True
            if self._outputs_due:
                self.actor.initialize_outputs(self._start_time)
                self._outputs_due = False
        except Exception as exc:
            self.log(f"initialisation failed: {type(exc).__name__}: {exc}", Fmi2Status.error)
            raise

    def exit_initialization_mode(self):
        self._compute_initial_outputs()
        self._initializing = False

    def do_step(self, current_time: float, step_size: float) -> bool:
        try:
            self.actor.do_step(current_time, step_size)
        except Exception as exc:
            self.log(f"{type(exc).__name__}: {exc}", Fmi2Status.error)
            return False
        finally:
            self.actor.input_derivatives.clear()  # given for one step (fmi2SetRealInputDerivatives)
        return True

    def terminate(self):
        self.actor.terminate()

    # -- state: the actor's complete snapshot ---------------------------------------------------
    def _get_fmu_state(self) -> Dict[str, Any]:
        return self.actor.get_state()

    def _set_fmu_state(self, state: Dict[str, Any]):
        self.actor.set_state(state)

    # -- modelDescription ---------------------------------------------------------------------
    def to_xml(self, model_options: Dict[str, str] = dict()) -> Element:
        root = super().to_xml(model_options)
        for key, value in model_metadata().items():
            root.set(key, value)
        variables = root.find("ModelVariables")
        for sv in list(variables):  # the hidden input derivatives (the last ones): not declared
            if sv.get("name", "").startswith(HIDDEN_PREFIX):
                variables.remove(sv)
        if self.actor_class.input_order > 0:
            root.find("CoSimulation").set("canInterpolateInputs", "true")
        declared = self.actor_class.variable_map()
        chosen = dict(getattr(self.actor_class, "display_units", None) or {})
        units: list[str] = []
        displays: Dict[str, list] = {}
        initial_unknowns: list[int] = []
        for index, sv in enumerate(root.find("ModelVariables"), start=1):
            var = declared[sv.get("name")]
            if var.causality == Causality.output:
                initial_unknowns.append(index)
            description = _described(var)
            if description:
                sv.set("description", description)
            number = sv.find("Real")
            if number is None:
                number = sv.find("Integer")
            if number is not None:
                for bound in ("min", "max"):
                    value = getattr(var, bound)
                    if value is not None:
                        number.set(bound, _fmt(value) if var.type is float else str(int(value)))
            real = sv.find("Real")
            if real is None:
                continue
            if var.nominal:
                real.set("nominal", _fmt(var.nominal))
            if real.get("start") is not None:
                # pythonfmu writes 16 significant digits; repr round-trips every double exactly, so
                # a master that sets the declared start values passes the very same numbers
                real.set("start", _fmt(var.start))
            unit = var.unit or "1"
            if unit in _DIMENSIONLESS:
                continue
            real.set("unit", unit)
            if unit not in units:
                units.append(unit)
            display = chosen.get(var.name) or (DISPLAY_UNITS.get(unit) or (None,))[0]
            if display:
                offered = displays.setdefault(unit, list(DISPLAY_UNITS.get(unit, ())))
                if display not in offered:
                    offered.append(display)
                real.set("displayUnit", display)
        if units:
            children = list(root)
            at = children.index(root.find("CoSimulation")) + 1
            root.insert(at, unit_definitions(units, displays))
        if initial_unknowns:
            # every output is calculated in initialisation mode (no dependencies attribute:
            # it may depend on every input and parameter)
            structure = root.find("ModelStructure")
            node = SubElement(structure, "InitialUnknowns")
            for index in initial_unknowns:
                SubElement(node, "Unknown", {"index": str(index)})
        return root


def make_slave_class(actor_class: type) -> type:
    """An :class:`Fmi2Slave` subclass named after ``actor_class`` that runs one instance of it."""
    caller = sys._getframe(1)
    _pin_module_dict(caller)
    ns = {
        "actor_class": actor_class,
        "description": actor_description(actor_class) or None,
        "default_experiment": DefaultExperiment(start_time=0.0, step_size=float(actor_class.default_step)),
        "__doc__": f"FMI 2.0 co-simulation slave wrapping {actor_class.__module__}.{actor_class.__qualname__}.",
        # the wrapper script's module (whose __dict__ the pythonfmu loader mishandles, see above)
        "__module__": caller.f_globals.get("__name__", __name__),
    }
    return type(actor_class.__name__, (ActorSlave,), ns)
