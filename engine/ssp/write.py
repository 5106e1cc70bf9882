"""SSP export: a :class:`~cryocosim.system.System` written as an SSP 1.0 package
(:func:`export_system`; ``cryocosim export-system``): the SSD, the parameter sets and the FMUs.

What the package holds is described in :mod:`cryocosim.ssp` and docs/ssp.md; what it writes is
valid against the SSP 1.0 schemas (tests/test_ssp.py checks the shipped scenarios' packages).
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from ..checks import RESOLUTION, describe
from ..errors import ConfigurationError, CryocosimWarning
from ..units import BASE, Unit, parse_unit
from ..variables import Causality
from .archive import write_package
from .common import CC_ANNOTATION, FMU_TYPE, NS, ORDERINGS, OSP_ANNOTATION, PARAMETER_SET, SSD_NAME, SSV_TYPE, q

if TYPE_CHECKING:
    from ..scenario import RunSettings
    from ..system import System

_CONNECTOR_TYPE = {float: "ssc:Real", int: "ssc:Integer", bool: "ssc:Boolean", str: "ssc:String"}
_VALUE_TYPE = {float: "ssv:Real", int: "ssv:Integer", bool: "ssv:Boolean", str: "ssv:String"}


def _ns_of(h: float) -> int:
    """A step in s as the engine's integer ticks (ns)."""
    return round(h / RESOLUTION)


def _seconds(ns: int) -> str:
    """The shortest decimal whose double libcosim turns into exactly ``ns`` nanoseconds
    (``std::chrono::duration_cast`` truncates ``value * 1e9``)."""
    x = ns / 1e9
    while int(x * 1e9) < ns:
        x = math.nextafter(x, math.inf)
    while int(x * 1e9) > ns:
        x = math.nextafter(x, -math.inf)
    return repr(x)


def _xml_number(x: float) -> str:
    return repr(float(x))


def _unit_xml(parent: ET.Element, tag: str, name: str, unit: Unit) -> None:
    u = ET.SubElement(parent, q(tag), {"name": name})
    attrib = {b: str(e) for b, e in zip(BASE, unit.dims) if e}
    if unit.factor != 1.0:
        attrib["factor"] = _xml_number(unit.factor)
    if unit.offset != 0.0:
        attrib["offset"] = _xml_number(unit.offset)
    ET.SubElement(u, q("ssc:BaseUnit"), attrib)


def _dimensionless(unit: str) -> bool:
    return unit in ("", "1")


def _value_text(value: Any, kind: type) -> str:
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(int(value))
    if kind is float:
        return _xml_number(value)
    return str(value)


def _parameter_set(name: str, values: list[tuple[Any, Any]], units: dict[str, Unit],
                   standalone: bool) -> ET.Element:
    """``ssv:ParameterSet`` of (Variable, value) pairs; a standalone one (a .ssv file) carries
    its own ``ssv:Units``."""
    ps = ET.Element(q("ssv:ParameterSet"), {"version": "1.0", "name": name})
    params = ET.SubElement(ps, q("ssv:Parameters"))
    used: list[str] = []
    for var, value in values:
        p = ET.SubElement(params, q("ssv:Parameter"), {"name": var.name})
        attrib = {"value": _value_text(value, var.type)}
        if var.type is float and not _dimensionless(var.unit):
            attrib["unit"] = var.unit
            if var.unit not in used:
                used.append(var.unit)
        ET.SubElement(p, q(_VALUE_TYPE[var.type]), attrib)
    if standalone and used:
        u = ET.SubElement(ps, q("ssv:Units"))
        for name_ in used:
            _unit_xml(u, "ssc:Unit", name_, units[name_])
    return ps


def _xml_bytes(root: ET.Element) -> bytes:
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _fmu_files(system: "System", fmu_dir: Path) -> dict[str, tuple[str, Path]]:
    """actor -> (file name in resources/, FMU path): one FMU per model class."""
    from ..fmi.export import fmu_cache
    from ..fmi.fmu_actor import FMUActor

    by_class: dict[Any, tuple[str, Path]] = {}
    taken: set[str] = set()
    out: dict[str, tuple[str, Path]] = {}
    for name, cls in system.models.items():
        fmu = issubclass(cls, FMUActor)
        key = Path(cls.fmu_path) if fmu else cls  # an FMU's classes (an SSP's units on them) share it
        if key not in by_class:
            if fmu:
                path = key
                stem = path.stem
            else:
                stem = cls.__name__
                n = sum(1 for c in by_class if isinstance(c, type) and c.__name__ == cls.__name__)
                # two different classes of one name would overwrite each other in the cache
                path = fmu_cache(cls, fmu_dir if n == 0 else fmu_dir / f"{cls.__module__}")
            file, k = f"{stem}.fmu", 1
            while file in taken:
                k += 1
                file = f"{stem}_{k}.fmu"
            taken.add(file)
            by_class[key] = (file, path)
        out[name] = by_class[key]
    return out


def export_system(system: "System", path: str | Path, settings: "RunSettings | None" = None, *,
                  stop_time: float | None = None, ordering: str | None = None,
                  fmu_dir: str | Path = "build/fmus", inline_parameters: bool = False) -> Path:
    """Write ``system`` as an SSP 1.0 package ``path`` (a ``.ssp`` zip; any other name: an unpacked
    folder with ``SystemStructure.ssd`` and ``resources/``); return the path.

    ``settings`` (a scenario's :class:`~cryocosim.scenario.RunSettings`) gives the stop time,
    ordering and output interval; ``stop_time`` and ``ordering`` override them.  The actors' FMUs are exported into
    (or reused from) ``fmu_dir``.  What SSP cannot carry (events, adaptive step control,
    iterated coupling) is left out with a :class:`CryocosimWarning`.
    """
    from .. import __version__
    from ..checks import RunLength, check_output_path, check_run_length

    path = Path(path)
    # the output first: a bad path is one line now, not after exporting the FMUs
    if path.suffix.lower() == ".ssp":
        check_output_path(path, "", "SSP package")
    else:
        if path.exists() and not path.is_dir():
            raise ConfigurationError(f"cannot write SSP folder '{path}': it is a file (name the output *.ssp "
                                     "for a package)")
        check_output_path(path / SSD_NAME, "", "SSP folder")
    stop = stop_time if stop_time is not None else (settings.stop_time if settings else None)
    if stop is None:
        raise ConfigurationError("export-system: no stop time (give the scenario's [run] stop_time or --stop-time)")
    if not isinstance(stop, RunLength):  # a value from a Python caller, not yet checked
        stop = check_run_length(stop, system.steps, "stop time")
    ordering = ordering or (settings.ordering if settings else None)
    if ordering is not None and ordering not in ORDERINGS:
        raise ConfigurationError(f"export-system: ordering must be 'gauss-seidel' or 'jacobi', not {describe(ordering)}")
    interval = settings.output_interval if settings else None
    _warn_not_carried(system, settings, ordering)

    units: dict[str, Unit] = {}

    def use_unit(text: str) -> None:
        if not _dimensionless(text) and text not in units:
            units[text] = parse_unit(text)

    fmus = _fmu_files(system, Path(fmu_dir))
    root = ET.Element(q("ssd:SystemStructureDescription"),
                      {"version": "1.0", "name": system.name, "generationTool": f"cryocosim {__version__}"})
    sysel = ET.SubElement(root, q("ssd:System"), {"name": system.name})
    elements = ET.SubElement(sysel, q("ssd:Elements"))
    files: dict[str, bytes] = {}
    steps_ns = {name: _ns_of(system.steps[name]) for name in system.bus.actors}
    for name, actor in system.bus.actors.items():
        file, _ = fmus[name]
        comp = ET.SubElement(elements, q("ssd:Component"), {
            "name": name, "type": FMU_TYPE, "source": f"resources/{file}", "implementation": "CoSimulation"})
        conns = ET.SubElement(comp, q("ssd:Connectors"))
        for v in actor.variables:
            if v.causality == Causality.local:
                continue
            c = ET.SubElement(conns, q("ssd:Connector"), {"name": v.name, "kind": v.causality.value})
            attrib = {}
            if v.type is float and not _dimensionless(v.unit):
                attrib["unit"] = v.unit
                use_unit(v.unit)
            ET.SubElement(c, q(_CONNECTOR_TYPE[v.type]), attrib)
        declared = actor.variable_map()
        values = [(declared[k], getattr(actor, k)) for k in system.params.get(name, {})]
        if values:
            bindings = ET.SubElement(comp, q("ssd:ParameterBindings"))
            if inline_parameters:
                b = ET.SubElement(bindings, q("ssd:ParameterBinding"), {"type": SSV_TYPE})
                pv = ET.SubElement(b, q("ssd:ParameterValues"))
                pv.append(_parameter_set(PARAMETER_SET, values, units, standalone=False))
            else:
                ET.SubElement(bindings, q("ssd:ParameterBinding"),
                              {"type": SSV_TYPE, "source": f"resources/{name}.ssv"})
                files[f"resources/{name}.ssv"] = _xml_bytes(_parameter_set(PARAMETER_SET, values, units, standalone=True))
            for var, _ in values:
                if var.type is float:
                    use_unit(var.unit)
        ann = ET.SubElement(ET.SubElement(comp, q("ssd:Annotations")), q("ssc:Annotation"), {"type": OSP_ANNOTATION})
        ET.SubElement(ann, q("osp:StepSizeHint"), {"value": _seconds(steps_ns[name])})

    if system.bus.links:
        _connections(system, sysel)
    if units:
        u = ET.SubElement(root, q("ssd:Units"))
        for name_, unit in units.items():
            _unit_xml(u, "ssc:Unit", name_, unit)
    de = ET.SubElement(root, q("ssd:DefaultExperiment"), {"startTime": "0.0", "stopTime": _xml_number(stop)})
    anns = ET.SubElement(de, q("ssd:Annotations"))
    base = 0
    for ns in steps_ns.values():
        base = math.gcd(base, ns)
    osp = ET.SubElement(ET.SubElement(anns, q("ssc:Annotation"), {"type": OSP_ANNOTATION}), q("osp:Algorithm"))
    ET.SubElement(osp, q("osp:FixedStepAlgorithm"), {"baseStepSize": _seconds(base or 1)})
    run = {}
    if ordering:
        run["ordering"] = ordering
    if interval:
        run["outputInterval"] = _xml_number(interval)
    if run:  # for cryocosim's reader; other masters ignore it
        ET.SubElement(ET.SubElement(anns, q("ssc:Annotation"), {"type": CC_ANNOTATION}), q("cc:Run"), run)
    files[SSD_NAME] = _xml_bytes(root)
    write_package(path, files, {f"resources/{file}": src for file, src in set(fmus.values())})
    return path


def _connections(system: "System", sysel: ET.Element) -> None:
    """The system's ``ssd:Connections``."""
    connections = ET.SubElement(sysel, q("ssd:Connections"))
    for link in system.bus.links:
        attrib = {"startElement": link.src, "startConnector": link.src_var,
                  "endElement": link.dst, "endConnector": link.dst_var}
        numeric = system.bus.is_real(link)
        if link.convert and not numeric:  # between FMI types: SSP connects variables of one type
            warnings.warn(f"export-system: connection {link.src}.{link.src_var} -> {link.dst}.{link.dst_var} "
                          "converts between types: written as a plain connection, which SSP masters may "
                          "refuse", CryocosimWarning, stacklevel=3)
        converts = numeric and (link.scale != 1.0 or link.offset != 0.0)
        if converts:
            # the engine's conversion, explicit: right in masters that convert units and in
            # those that do not (libcosim applies the transformation only)
            attrib["suppressUnitConversion"] = "true"
        c = ET.SubElement(connections, q("ssd:Connection"), attrib)
        if converts:
            lt = {"factor": _xml_number(link.scale)}
            if link.offset != 0.0:
                lt["offset"] = _xml_number(link.offset)
            ET.SubElement(c, q("ssc:LinearTransformation"), lt)


def _warn_not_carried(system: "System", settings: "RunSettings | None", ordering: str | None) -> None:
    events = [ev.name for ev in system.time_events] + [c.name for c in system.conditions]
    if events:
        warnings.warn(f"export-system: {len(events)} event{'s' if len(events) > 1 else ''} not carried "
                      f"(SSP has no events): {', '.join(repr(e) for e in events)}", CryocosimWarning, stacklevel=3)
    step = settings.step if settings else {}
    lost = [what for key, what in (("tolerance", "adaptive step control"), ("iterate", "iterated coupling"))
            if step.get(key)]
    if lost:
        warnings.warn(f"export-system: the scenario's {' and '.join(lost)} not carried (engine features with no "
                      "SSP equivalent): the SSP holds the actors' fixed steps", CryocosimWarning, stacklevel=3)
    if ordering == "gauss-seidel":
        warnings.warn("export-system: the gauss-seidel ordering is kept only in a cryocosim annotation; "
                      "SSP masters such as libcosim step Jacobi-like (all actors, then transfer)",
                      CryocosimWarning, stacklevel=3)
