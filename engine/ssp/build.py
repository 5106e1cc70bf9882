"""SSP import, second half: a :class:`~cryocosim.ssp.read.Description` made a System.  Each
component's FMU is loaded (its actor class), its connectors checked against the FMU's variables,
the parameter values bound (converted to the variables' units), the connections made with their
unit conversions and transformations; and :func:`load`, the importer: read, check against the
SSP 1.0 schemas, build.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checks import check_run_length, describe
from ..errors import ConfigurationError, CryocosimError, CryocosimWarning, one_line
from ..units import BASE, Unit, parse_unit
from ..variables import Causality
from . import conversion, schema
from .archive import fmu_size, package
from .read import KINDS, Component, Connection, Description, read

if TYPE_CHECKING:
    from ..scenario import RunSettings
    from ..system import System

#: the range of an FMI 2.0 Integer (fmi2Integer is a C int: 32 bits)
FMI_INTEGER = (-2**31, 2**31 - 1)
#: (FMU actor class, ((variable, unit), ...)) -> its subclass with those units (see _with_units)
_UNIT_CLASSES: dict[tuple, type] = {}


def load(path: str | Path, overrides: dict[str, Any] | None = None, override_label: str = "override", *,
         default_step: float | None = None) -> tuple["System", "RunSettings"]:
    """Read an SSP (``.ssp`` package, unpacked folder or ``.ssd`` file); return the System of its
    FMUs and the run settings (``stop_time`` is None when the SSD gives no ``stopTime``).

    ``overrides``: ``{"component.variable": value}`` applied over the parameter bindings (the
    command line's ``--set``, labelled ``override_label``); ``default_step``: the step of
    components without an ``osp:StepSizeHint`` (s).  The SSD and the parameter sets must be valid
    against the SSP 1.0 schemas; where a file breaks them and the reader also has a message of its
    own about it (more to the point: a transformation's factor that is NaN, an Integer beyond 32
    bits, ...), its own message is the error.
    """
    path = Path(path)
    description = read(path, str(path))
    broken = schema.first_error(description.documents)
    if broken is None:
        return build(description, overrides, override_label, default_step)
    with warnings.catch_warnings():  # what building a refused file would note is beside the point
        warnings.simplefilter("ignore", CryocosimWarning)
        build(description, overrides, override_label, default_step)
    raise ConfigurationError(broken)


@dataclass
class _Loaded:
    """A component with its FMU loaded."""
    name: str
    cls: type
    spec: Component
    md_vars: dict                  # name -> fmpy ScalarVariable
    fmu_units: dict[str, Unit]     # the FMU's own UnitDefinitions
    connector_units: dict[str, Unit] = field(default_factory=dict)
    fmu_units_by_var: dict = field(default_factory=dict)  # unitless FMU variables given a unit by the SSD

    def unit_of(self, var) -> Unit:
        if var.name in self.fmu_units_by_var:
            return self.fmu_units_by_var[var.name]
        u = self.fmu_units.get(var.unit)
        return u if u is not None else parse_unit(var.unit)


def build(desc: Description, overrides: dict[str, Any] | None = None, override_label: str = "override",
          default_step: float | None = None) -> tuple["System", "RunSettings"]:
    """The System and run settings of ``desc``."""
    from ..scenario import RunSettings
    from ..system import System

    system = System(desc.name, desc.text, str(desc.path))
    system.parameter_origins = {}
    comps: dict[str, _Loaded] = {}
    extracted: dict[Path, int] = {}  # FMU -> what it takes extracted (fmpy extracts each whole)
    for spec in desc.components:
        if spec.fmu not in extracted:
            extracted[spec.fmu] = fmu_size(spec.fmu, f"{spec.where}: source {spec.source!r}",
                                           package().MAX_EXTRACTED_BYTES - sum(extracted.values()))
        comps[spec.name] = _load(spec)

    # -- parameter values: components' bindings, then the system's (which take precedence)
    values: dict[str, dict[str, tuple[Any, str]]] = {n: {} for n in comps}
    for comp in comps.values():
        for p in comp.spec.parameters:
            _bind(comp, p.name, p.value, p.where, values)
    for p in desc.parameters:
        cname, dot, var = p.name.partition(".")
        if not dot or cname not in comps:
            warnings.warn(f"{p.where}: parameter {p.name!r} names no component.variable of the system: ignored",
                          CryocosimWarning, stacklevel=4)
            continue
        _bind(comps[cname], var, p.value, p.where, values)
    for ref, value in (overrides or {}).items():
        cname, _, var = ref.partition(".")
        label = f"{override_label} {describe(ref)}"
        if cname not in comps:
            raise ConfigurationError(f"{label}: names no component of the system (components: {', '.join(comps)})")
        values[cname][var] = (value, label)

    for comp in comps.values():
        step = comp.spec.step
        if step is None:  # None again: the FMU's DefaultExperiment stepSize (FMUActor.default_step)
            step = default_step if default_step is not None else desc.base_step
        _add_actor(system, comp, step, values[comp.name], desc.label)

    for c in desc.connections:
        _connect(system, comps, c)
    # a connected input takes its connection's values, not a value bound to it; inputs nobody
    # feeds hold their bound values, or their start values, as in any FMI master (the bus
    # notes those: a warning each)
    for link in system.bus.links:
        system.bus.fixed_inputs.discard((link.dst, link.dst_var))
    try:
        system.bus.check()
    except CryocosimError as exc:
        raise ConfigurationError(f"{desc.label}: {one_line(exc)}") from None
    # the DefaultExperiment's stop time against the steps, once, here (System.run takes it as checked)
    stop = None if desc.stop_time is None else check_run_length(desc.stop_time, system.steps,
                                                                 f"{desc.label}: stop time")
    return system, RunSettings(stop, desc.ordering, desc.output_interval)


def _load(spec: Component) -> _Loaded:
    """The component's FMU loaded, its connectors checked against the FMU's variables."""
    from ..fmi.fmu_actor import load_fmu_actor_class

    try:
        cls = load_fmu_actor_class(spec.fmu)
    except CryocosimError as exc:
        raise ConfigurationError(f"{spec.where}: source {spec.source!r}: {one_line(exc)}") from None
    md = cls.model_description
    md_vars = {sv.name: sv for sv in md.modelVariables}
    fmu_units = {}
    for u in getattr(md, "unitDefinitions", None) or []:
        b = u.baseUnit
        if b is not None:
            fmu_units[u.name] = Unit(float(b.factor), tuple(int(getattr(b, k)) for k in BASE), float(b.offset), u.name)
    comp = _Loaded(spec.name, cls, spec, md_vars, fmu_units)
    declared = cls.variable_map()
    for c in spec.connectors:
        sv, v = md_vars.get(c.name), declared.get(c.name)
        if sv is None or v is None:
            known = ", ".join(x.name for x in cls.variables if x.causality != Causality.local)
            raise ConfigurationError(f"{c.where}: FMU {spec.rel!r} has no variable {c.name!r} (its inputs, outputs "
                                     f"and parameters: {known})")
        if c.kind in KINDS and sv.causality not in KINDS[c.kind]:
            raise ConfigurationError(f"{c.where}: kind {c.kind!r} but FMU variable {c.name!r} has causality "
                                     f"{sv.causality!r}")
        # an Integer connector on an Enumeration: the same FMI 2.0 values (what an export writes,
        # and what masters without enumeration types write)
        if c.type is not None and c.type != sv.type and not (c.type == "Integer" and sv.type == "Enumeration"):
            raise ConfigurationError(f"{c.where}: type {c.type} but FMU variable {c.name!r} is {sv.type}")
        if c.unit is not None:
            cu, fu = c.unit, comp.unit_of(v)
            if conversion.unitless(fu) and not conversion.unitless(cu):
                comp.fmu_units_by_var[c.name] = cu  # a variable without a unit: the SSD gives it
                fu = cu
            if cu.dims != fu.dims:
                raise ConfigurationError(f"{c.where}: unit {cu.text!r} [{cu.dimension_text()}] and the FMU variable's "
                                         f"unit {v.unit!r} [{fu.dimension_text()}] have different dimensions")
            comp.connector_units[c.name] = cu
    if comp.fmu_units_by_var:
        comp.cls = _with_units(comp)
    return comp


def _with_units(comp: _Loaded) -> type:
    """The component's actor class with the units its connectors give its Reals that have none
    (a subclass of the FMU's class, shared by components given the same units): they are
    recorded in those units, and connections and conditions check them."""
    units = {}
    for name, unit in comp.fmu_units_by_var.items():
        text = conversion.unit_string(unit)
        if text is None:
            warnings.warn(f"{comp.spec.where}: connector {name!r} has the unit {unit.text!r}, which cryocosim "
                          f"cannot write as a unit string: {comp.name}.{name} is recorded without a unit",
                          CryocosimWarning, stacklevel=5)
        else:
            units[name] = text
    base = comp.cls
    key = (base, tuple(sorted(units.items())))
    cls = _UNIT_CLASSES.get(key)
    if cls is None:
        variables = tuple(replace(v, unit=units[v.name]) if v.name in units else v for v in base.variables)
        cls = _UNIT_CLASSES[key] = type(base.__name__, (base,), {
            "variables": variables, "__module__": base.__module__, "__doc__": base.__doc__})
    return cls


def _bind(comp: _Loaded, var: str, value, where: str, values: dict) -> None:
    """Value ``value`` of an SSP parameter set for ``comp.var``, converted to what the FMU variable
    takes, into ``values``."""
    v = comp.cls.variable_map().get(var)
    if v is None:
        warnings.warn(f"{where}: FMU {comp.spec.rel!r} of component {comp.name!r} has no variable {var!r}: "
                      "ignored (SSP ignores names that match no variable)", CryocosimWarning, stacklevel=4)
        return
    if v.causality not in (Causality.parameter, Causality.input):
        raise ConfigurationError(f"{where}: {comp.name}.{var} is an {v.causality.value}, not a parameter or input")
    kind = v.type.__name__
    if isinstance(value, tuple):  # a Real: (number, unit or None)
        x, unit = value
        if v.type is not float:
            if v.type is int and unit is None and x == int(x):
                value = int(x)
            else:
                raise ConfigurationError(f"{where}: {comp.name}.{var} is {kind}, the value is ssv:Real")
        elif unit is not None:
            target = comp.unit_of(v)
            if conversion.unitless(target) and not conversion.unitless(unit):
                warnings.warn(f"{where}: {comp.name}.{var} has no unit: the value in '{unit.text}' is taken "
                              "as it is", CryocosimWarning, stacklevel=4)
                target = unit
            if unit.dims != target.dims:
                raise ConfigurationError(f"{where}: unit {unit.text!r} [{unit.dimension_text()}] does not convert to "
                                         f"{comp.name}.{var}'s unit {v.unit!r} [{target.dimension_text()}]")
            value = conversion.convert(x, unit, target)
            if value is None:
                raise ConfigurationError(f"{where}: {x!r} {unit.text} is beyond the range of a double in "
                                         f"{comp.name}.{var}'s unit {v.unit!r}")
        else:
            value = x
    elif isinstance(value, bool):
        if v.type is not bool:
            raise ConfigurationError(f"{where}: {comp.name}.{var} is {kind}, the value is ssv:Boolean")
    elif isinstance(value, int):
        if v.type not in (int, float):
            raise ConfigurationError(f"{where}: {comp.name}.{var} is {kind}, the value is ssv:Integer")
    elif isinstance(value, str) and v.type is not str:
        raise ConfigurationError(f"{where}: {comp.name}.{var} is {kind}, the value is ssv:String")
    values[comp.name][var] = (value, where)


def _add_actor(system: "System", comp: _Loaded, step: float | None, values: dict[str, tuple[Any, str]],
               label: str) -> None:
    """The component as an actor of ``system``, with its parameter values set."""
    where = comp.spec.where
    try:
        actor = system.add(comp.name, comp.cls, step, where=where, step_where=f"{where}: step")
    except CryocosimError as exc:
        msg = one_line(exc)
        raise ConfigurationError(msg if msg.startswith(label) else f"{where}: {msg}") from None
    system.origins[comp.name] = where
    declared = actor.variable_map()
    params: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for var, (value, origin) in values.items():
        v = declared.get(var)
        if v is None or v.causality not in (Causality.parameter, Causality.input):
            raise ConfigurationError(f"{origin}: {var!r} is not a parameter or input of component {comp.name!r}")
        if v.type is int:  # its own message, before the actor's
            try:
                number = value if isinstance(value, int) else int(str(value).strip())
            except ValueError:
                number = None  # not a whole number: the actor says so
            if number is not None:
                _check_integer(comp, v, number, origin)
        try:
            actor.set_parameter(var, value)
        except CryocosimError as exc:   # a ParameterError says what is wrong in its detail
            detail = getattr(exc, "detail", None)
            msg = one_line(exc if detail is None else detail)
            if msg.startswith(f"actor '{comp.name}': "):
                msg = msg[len(f"actor '{comp.name}': "):]
            raise ConfigurationError(f"{origin}: {comp.name}.{var}: {msg.lstrip(' =:')}") from None
        if v.type is int:
            _check_integer(comp, v, getattr(actor, var), origin)
        if v.causality == Causality.input:
            system.bus.fix_input(comp.name, var)
        params[var], origins[var] = value, origin
    system.params[comp.name] = params
    system.parameter_origins[comp.name] = origins


def _check_integer(comp: _Loaded, v, value: int, origin: str) -> None:
    """An Integer or Enumeration value within what FMU variable ``v`` takes: 32 bits, its declared
    ``min``/``max`` and, for an Enumeration, one of its items (a C FMU would wrap the value around
    or read a value it does not know)."""
    where = f"{origin}: {comp.name}.{v.name} = {value}"
    lo, hi = FMI_INTEGER
    if not lo <= value <= hi:
        raise ConfigurationError(f"{where} is outside the range of an FMI Integer ({lo} to {hi})")
    sv = comp.md_vars.get(v.name)
    for bound, below in ((getattr(sv, "min", None), True), (getattr(sv, "max", None), False)):
        try:
            bound = float(bound)
        except (TypeError, ValueError):
            continue  # none declared
        if (value < bound) if below else (value > bound):
            raise ConfigurationError(f"{where} is {'below' if below else 'above'} the FMU's declared "
                                     f"{'minimum' if below else 'maximum'} {bound:g}")
    if v.items and value not in [k for _, k in v.items]:
        raise ConfigurationError(f"{where} is not one of its items ({', '.join(f'{k} ({n})' for n, k in v.items)})")


def _connect(system: "System", comps: dict[str, _Loaded], c: Connection) -> None:
    """Connection ``c`` made in ``system``: its direction from the variables' causalities, its
    conversion from the connector units and its transformation."""
    where = c.where
    ends = []
    for side, (ename, cname) in (("start", c.start), ("end", c.end)):
        comp = comps.get(ename)
        if comp is None:
            raise ConfigurationError(f"{where}: {side}Element {ename!r} is not a component (components: "
                                     f"{', '.join(comps)})")
        v = comp.cls.variable_map().get(cname)
        if v is None:
            known = ", ".join(x.name for x in comp.cls.variables if x.causality in (Causality.input, Causality.output))
            raise ConfigurationError(f"{where}: {side}Connector {cname!r}: FMU {comp.spec.rel!r} of component "
                                     f"{ename!r} has no variable {cname!r} (inputs/outputs: {known})")
        ends.append((comp, v))
    (ca, va), (cb, vb) = ends
    # start and end do not tell the direction: the variables' causalities do
    if va.causality == Causality.input and vb.causality == Causality.output:
        (ca, va), (cb, vb) = (cb, vb), (ca, va)
    if va.causality != Causality.output or vb.causality != Causality.input:
        raise ConfigurationError(f"{where}: connects {ca.name}.{va.name} ({va.causality.value}) and {cb.name}."
                                 f"{vb.name} ({vb.causality.value}): a connection needs an output and an input")
    if va.type is not vb.type:
        raise ConfigurationError(f"{where}: type mismatch: {va.type.__name__} -> {vb.type.__name__}")
    if c.other_transformation:
        raise ConfigurationError(f"{where}: <ssc:{c.other_transformation}> is not supported")
    for link in system.bus.links:
        if (link.dst, link.dst_var) == (cb.name, vb.name):
            raise ConfigurationError(f"{where}: input {cb.name}.{vb.name} is already fed by {link.src}.{link.src_var}")
    scale = offset = None  # None: the bus's own conversion between the FMU variables' units
    if va.type is float:
        scale, offset = _conversion(ca, va, cb, vb, c)
    elif c.transformation is not None:
        raise ConfigurationError(f"{c.transformation_where}: a linear transformation needs Real connectors")
    # the conversion computed here (the SSP's connector units and transformation), or the
    # bus's own where it is exactly that
    system.connect(f"{ca.name}.{va.name}", f"{cb.name}.{vb.name}", where,
                   transform=None if scale is None else (scale, offset))


def _conversion(ca: _Loaded, va, cb: _Loaded, vb, c: Connection) -> tuple[Fraction | None, Fraction | None]:
    """(scale, offset) of a Real connection from ``ca.va`` to ``cb.vb``; (None, None) where it is
    exactly what the bus computes from the FMU variables' units."""
    ua, ub = ca.unit_of(va), cb.unit_of(vb)
    a, b = c.transformation or (Fraction(1), Fraction(0))
    if c.suppress_unit_conversion:
        scale, offset = a, b
    else:
        sa = ca.connector_units.get(va.name, ua)
        sb = cb.connector_units.get(vb.name, ub)
        as_is = sa.dims != sb.dims and (conversion.unitless(sa) or conversion.unitless(sb))
        if as_is:
            # a Real without a unit (unknown, in most tools' FMUs) and one with: as is
            warnings.warn(f"{c.where}: a Real without a unit feeds one in "
                          f"'{(sb if conversion.unitless(sa) else sa).text}': the value passes unchanged",
                          CryocosimWarning, stacklevel=5)
        elif sa.dims != sb.dims:
            raise ConfigurationError(
                f"{c.where}: units {sa.text or va.unit!r} [{sa.dimension_text()}] and {sb.text or vb.unit!r} "
                f"[{sb.dimension_text()}] have different dimensions (set suppressUnitConversion=\"true\" with an "
                "<ssc:LinearTransformation> to connect them anyway)")
        scale, offset = conversion.chain(ua, sb, ub, a, b, convert_units=not as_is)
    if conversion.to_float(scale) is None or conversion.to_float(offset) is None:
        raise ConfigurationError(f"{c.where}: the conversion (the transformation and the connector units) is "
                                 "beyond the range of a double")
    plain = (not c.suppress_unit_conversion and c.transformation is None
             and conversion.same(ca.connector_units.get(va.name, ua), ua)
             and conversion.same(cb.connector_units.get(vb.name, ub), ub) and conversion.bus_units(va.unit, vb.unit))
    if plain and conversion.same(ua, parse_unit(va.unit)) and conversion.same(ub, parse_unit(vb.unit)):
        return None, None  # exactly what the bus computes
    return scale, offset
