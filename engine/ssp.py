"""SSP 1.0 system structure packages: a :class:`~cryocosim.system.System` out, an SSP in.

An SSP (System Structure and Parameterization, Modelica Association, version 1.0) is a zip file
holding a system description, ``SystemStructure.ssd``, and the resources it refers to.

**Export** (:func:`export_system`; ``cryocosim export-system SCENARIO -o system.ssp``) writes

* ``SystemStructure.ssd``: an ``ssd:SystemStructureDescription`` whose ``ssd:System`` has one
  ``ssd:Component`` per actor (``source="resources/<Model>.fmu"``, type
  ``application/x-fmu-sharedlibrary``) with its ``ssd:Connectors`` (kind input/output/parameter,
  type ``ssc:Real`` with its unit, ``ssc:Integer``, ``ssc:Boolean``, ``ssc:String``), an
  ``ssd:ParameterBinding`` with the parameter values the scenario gives (a separate
  ``resources/<actor>.ssv`` ``ssv:ParameterSet``, or inline with ``inline_parameters=True``; every
  set named ``initialValues``, :data:`PARAMETER_SET`, so that libcosim, ecos and this reader all
  apply them) and
  the actor's communication step as the Open Simulation Platform annotation that libcosim reads,
  ``<ssc:Annotation type="com.opensimulationplatform"><osp:StepSizeHint value="0.05"/>``;
  the ``ssd:Connections`` (a connection between different units of one dimension carries the
  engine's conversion as ``ssc:LinearTransformation`` with ``suppressUnitConversion="true"``, so
  a master that does not convert units, libcosim among them, gets the same numbers as one that
  does); the ``ssd:Units`` (``ssc:Unit``/``ssc:BaseUnit`` exponents of :mod:`cryocosim.units`);
  and the ``ssd:DefaultExperiment`` (start and stop time, libcosim's fixed-step algorithm with a
  base step that divides every actor's step, and a ``org.cryocosim`` annotation with the
  engine's ordering and output interval);
* ``resources/<Model>.fmu``: each model's FMU (:func:`cryocosim.fmi.export.fmu_cache`; an actor
  that already is an FMU ships its own file);
* ``resources/<actor>.ssv``: the parameter sets (unless inline).

Step sizes are written so that libcosim's conversion to integer nanoseconds (it truncates
``value * 1e9``) gives the engine's step exactly.  Events, adaptive step control and iterated
coupling have no SSP equivalent: they are left out with a warning.

**Import** (:func:`load`; ``cryocosim run system.ssp``, also an unpacked folder holding
``SystemStructure.ssd`` or the ``.ssd`` file itself) builds a System whose actors are the
components' FMUs (:func:`cryocosim.fmi.fmu_actor.load_fmu_actor_class`, actor names = component
names), with

* connections from ``ssd:Connections`` (direction from the FMU variables' causalities); unit
  conversion from the start connector's unit to the end connector's (a connector without a unit
  has its FMU variable's), then ``ssc:LinearTransformation`` (``target = factor * source +
  offset`` in the end connector's unit), or the transformation alone with
  ``suppressUnitConversion="true"``; a Real without a unit (common in other tools' FMUs) takes the
  unit its connector declares, connected or not (it is recorded in that unit, and connections,
  conditions and parameter values use it), else passes its value unchanged to or from one with a
  unit (a warning says so);
* parameter values from ``ssd:ParameterBindings`` of the components and of the system (names
  ``component.variable`` there; system bindings take precedence), inline ``ssv:ParameterSet`` or
  a ``.ssv`` file named by ``source``, with the ``prefix`` prepended; an ``ssv:Real`` whose
  ``unit`` differs from the FMU variable's is converted (the unit is looked up in the parameter
  set's ``ssv:Units``, then the SSD's ``ssd:Units``, then read as a unit string); names that
  match no variable are ignored, as the standard says, with a warning;
* each component's step from ``osp:StepSizeHint``, else ``default_step`` (the command line's
  ``--step``), else the base step of an ``osp:FixedStepAlgorithm``, else the FMU's
  ``DefaultExperiment`` ``stepSize``;
* the stop time from ``ssd:DefaultExperiment`` ``stopTime``; the ordering and output interval
  from the ``org.cryocosim`` annotation, else Jacobi (what libcosim's fixed-step algorithm does);
* inputs left unconnected hold the values bound to them, else their start values, as in any FMI
  master (a warning names each input left at its start value; the result lists them in its
  ``unconnected_inputs`` attribute).

Not supported (a one-line :class:`ConfigurationError` naming the file, line and element):
nested systems, signal dictionaries, connections to the system's own connectors, parameter
mappings (``ssd:ParameterMapping``), enumeration and binary values, a start time other than 0,
sources outside the package.  Every error of a bad SSP (a missing file, an unknown component, a
connector the FMU does not have, malformed XML) names the file, the line and the element; so do
numbers that are not finite (a transformation's factor or offset, an ``ssv:Real``, or either once
converted) and integers the FMU variable cannot take (32 bits, its declared min/max, an
Enumeration's items).  A package may take :data:`MAX_EXTRACTED_BYTES` extracted, its FMUs as much
together, and hold :data:`MAX_MEMBERS` members (zip bombs): checked from the zip's headers, and
while extracting.
"""
from __future__ import annotations

import atexit
import math
import shutil
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse
from xml.etree import ElementTree as ET
from xml.parsers import expat

from .checks import RESOLUTION, check_step, check_time, describe
from .errors import ConfigurationError, CryocosimError, CryocosimWarning
from .units import BASE, Unit, UnitError, parse_unit
from .variables import Causality

if TYPE_CHECKING:
    from .scenario import RunSettings
    from .system import System

__all__ = ["export_system", "load", "is_ssp", "SSD_NAME", "NS"]

SSD_NAME = "SystemStructure.ssd"
NS = {
    "ssd": "http://ssp-standard.org/SSP1/SystemStructureDescription",
    "ssc": "http://ssp-standard.org/SSP1/SystemStructureCommon",
    "ssv": "http://ssp-standard.org/SSP1/SystemStructureParameterValues",
    # libcosim matches these prefixes literally (boost property trees know no namespaces)
    "osp": "http://opensimulationplatform.com/SSP/OSPAnnotations",
    "cc": "urn:x-cryocosim:ssp-annotations:1",
}
OSP_ANNOTATION = "com.opensimulationplatform"
CC_ANNOTATION = "org.cryocosim"
FMU_TYPE = "application/x-fmu-sharedlibrary"
SSV_TYPE = "application/x-ssp-parameter-set"
#: the one name of every parameter set an export writes.  SSP masters treat differently named sets
#: as alternatives: libcosim applies each component's first set, ecos only the set named on its
#: command line (``ecos simulate ... --parameterSet initialValues``), this reader every set
PARAMETER_SET = "initialValues"
_ORDERINGS = ("gauss-seidel", "jacobi")


def _q(tag: str) -> str:
    prefix, _, local = tag.partition(":")
    return f"{{{NS[prefix]}}}{local}"


# =============================================================================================
# export
# =============================================================================================
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


def _number(x: float) -> str:
    return repr(float(x))


def _unit_xml(parent: ET.Element, tag: str, name: str, unit: Unit) -> None:
    u = ET.SubElement(parent, _q(tag), {"name": name})
    attrib = {b: str(e) for b, e in zip(BASE, unit.dims) if e}
    if unit.factor != 1.0:
        attrib["factor"] = _number(unit.factor)
    if unit.offset != 0.0:
        attrib["offset"] = _number(unit.offset)
    ET.SubElement(u, _q("ssc:BaseUnit"), attrib)


def _dimensionless(unit: str) -> bool:
    return unit in ("", "1")


_CONNECTOR_TYPE = {float: "ssc:Real", int: "ssc:Integer", bool: "ssc:Boolean", str: "ssc:String"}
_VALUE_TYPE = {float: "ssv:Real", int: "ssv:Integer", bool: "ssv:Boolean", str: "ssv:String"}


def _value_text(value: Any, kind: type) -> str:
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(int(value))
    if kind is float:
        return _number(value)
    return str(value)


def _parameter_set(name: str, values: list[tuple[Any, Any]], units: dict[str, Unit],
                   standalone: bool) -> ET.Element:
    """``ssv:ParameterSet`` of (Variable, value) pairs; a standalone one (a .ssv file) carries
    its own ``ssv:Units``."""
    ps = ET.Element(_q("ssv:ParameterSet"), {"version": "1.0", "name": name})
    params = ET.SubElement(ps, _q("ssv:Parameters"))
    used: list[str] = []
    for var, value in values:
        p = ET.SubElement(params, _q("ssv:Parameter"), {"name": var.name})
        attrib = {"value": _value_text(value, var.type)}
        if var.type is float and not _dimensionless(var.unit):
            attrib["unit"] = var.unit
            if var.unit not in used:
                used.append(var.unit)
        ET.SubElement(p, _q(_VALUE_TYPE[var.type]), attrib)
    if standalone and used:
        u = ET.SubElement(ps, _q("ssv:Units"))
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
    from .fmi.export import fmu_cache
    from .fmi.fmu_actor import FMUActor

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
    from . import __version__
    from .checks import check_output_path, check_run_length

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
    stop = check_run_length(stop, system.steps, "stop time")
    ordering = ordering or (settings.ordering if settings else None)
    if ordering is not None and ordering not in _ORDERINGS:
        raise ConfigurationError(f"export-system: ordering must be 'gauss-seidel' or 'jacobi', not {describe(ordering)}")
    interval = settings.output_interval if settings else None
    _warn_not_carried(system, settings, ordering)

    units: dict[str, Unit] = {}

    def use_unit(text: str) -> None:
        if not _dimensionless(text) and text not in units:
            units[text] = parse_unit(text)

    fmus = _fmu_files(system, Path(fmu_dir))
    root = ET.Element(_q("ssd:SystemStructureDescription"),
                      {"version": "1.0", "name": system.name, "generationTool": f"cryocosim {__version__}"})
    sysel = ET.SubElement(root, _q("ssd:System"), {"name": system.name})
    elements = ET.SubElement(sysel, _q("ssd:Elements"))
    files: dict[str, bytes] = {}
    steps_ns = {name: _ns_of(system.steps[name]) for name in system.bus.actors}
    for name, actor in system.bus.actors.items():
        file, _ = fmus[name]
        comp = ET.SubElement(elements, _q("ssd:Component"), {
            "name": name, "type": FMU_TYPE, "source": f"resources/{file}", "implementation": "CoSimulation"})
        conns = ET.SubElement(comp, _q("ssd:Connectors"))
        for v in actor.variables:
            if v.causality == Causality.local:
                continue
            c = ET.SubElement(conns, _q("ssd:Connector"), {"name": v.name, "kind": v.causality.value})
            attrib = {}
            if v.type is float and not _dimensionless(v.unit):
                attrib["unit"] = v.unit
                use_unit(v.unit)
            ET.SubElement(c, _q(_CONNECTOR_TYPE[v.type]), attrib)
        declared = actor.variable_map()
        values = [(declared[k], getattr(actor, k)) for k in system.params.get(name, {})]
        if values:
            bindings = ET.SubElement(comp, _q("ssd:ParameterBindings"))
            if inline_parameters:
                b = ET.SubElement(bindings, _q("ssd:ParameterBinding"), {"type": SSV_TYPE})
                pv = ET.SubElement(b, _q("ssd:ParameterValues"))
                pv.append(_parameter_set(PARAMETER_SET, values, units, standalone=False))
            else:
                ET.SubElement(bindings, _q("ssd:ParameterBinding"),
                              {"type": SSV_TYPE, "source": f"resources/{name}.ssv"})
                files[f"resources/{name}.ssv"] = _xml_bytes(_parameter_set(PARAMETER_SET, values, units, standalone=True))
            for var, _ in values:
                if var.type is float:
                    use_unit(var.unit)
        ann = ET.SubElement(ET.SubElement(comp, _q("ssd:Annotations")), _q("ssc:Annotation"), {"type": OSP_ANNOTATION})
        ET.SubElement(ann, _q("osp:StepSizeHint"), {"value": _seconds(steps_ns[name])})

    if system.bus.links:
        connections = ET.SubElement(sysel, _q("ssd:Connections"))
        for link in system.bus.links:
            attrib = {"startElement": link.src, "startConnector": link.src_var,
                      "endElement": link.dst, "endConnector": link.dst_var}
            numeric = system.bus.is_real(link)
            if link.convert and not numeric:  # between FMI types: SSP connects variables of one type
                warnings.warn(f"export-system: connection {link.src}.{link.src_var} -> {link.dst}.{link.dst_var} "
                              "converts between types: written as a plain connection, which SSP masters may "
                              "refuse", CryocosimWarning, stacklevel=2)
            converts = numeric and (link.scale != 1.0 or link.offset != 0.0)
            if converts:
                # the engine's conversion, explicit: right in masters that convert units and in
                # those that do not (libcosim applies the transformation only)
                attrib["suppressUnitConversion"] = "true"
            c = ET.SubElement(connections, _q("ssd:Connection"), attrib)
            if converts:
                lt = {"factor": _number(link.scale)}
                if link.offset != 0.0:
                    lt["offset"] = _number(link.offset)
                ET.SubElement(c, _q("ssc:LinearTransformation"), lt)

    if units:
        u = ET.SubElement(root, _q("ssd:Units"))
        for name_, unit in units.items():
            _unit_xml(u, "ssc:Unit", name_, unit)
    de = ET.SubElement(root, _q("ssd:DefaultExperiment"), {"startTime": "0.0", "stopTime": _number(stop)})
    anns = ET.SubElement(de, _q("ssd:Annotations"))
    base = 0
    for ns in steps_ns.values():
        base = math.gcd(base, ns)
    osp = ET.SubElement(ET.SubElement(anns, _q("ssc:Annotation"), {"type": OSP_ANNOTATION}), _q("osp:Algorithm"))
    ET.SubElement(osp, _q("osp:FixedStepAlgorithm"), {"baseStepSize": _seconds(base or 1)})
    run = {}
    if ordering:
        run["ordering"] = ordering
    if interval:
        run["outputInterval"] = _number(interval)
    if run:  # for cryocosim's reader; other masters ignore it
        ET.SubElement(ET.SubElement(anns, _q("ssc:Annotation"), {"type": CC_ANNOTATION}), _q("cc:Run"), run)
    files[SSD_NAME] = _xml_bytes(root)
    _write_package(path, files, {f"resources/{file}": src for file, src in set(fmus.values())})
    return path


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


def _write_package(path: Path, files: dict[str, bytes], copies: dict[str, Path]) -> None:
    """Write the package atomically: a zip for ``.ssp``, else a folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".ssp":
            if path.is_dir():
                raise ConfigurationError(f"-o/--output '{path}' is a directory")
            tmp = path.with_name(f".{path.name}.tmp")
            try:
                with zipfile.ZipFile(tmp, "w") as zf:
                    for name, data in files.items():
                        zf.writestr(name, data, zipfile.ZIP_DEFLATED)
                    for name, src in sorted(copies.items()):
                        zf.write(src, name, zipfile.ZIP_STORED)  # an FMU is a zip already
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            if path.exists() and not path.is_dir():
                raise ConfigurationError(f"-o/--output '{path}' is a file (an unpacked SSP is a folder; "
                                         "name the output *.ssp for a package)")
            for name, data in files.items():
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                (path / name).write_bytes(data)
            for name, src in copies.items():
                shutil.copy2(src, path / name)
    except OSError as exc:
        raise ConfigurationError(f"cannot write SSP '{path}': {exc.strerror or exc}") from None


# =============================================================================================
# import
# =============================================================================================
_EXTRACTED: list[str] = []

#: the most a package may take extracted (bytes), and the FMUs in it together (fmpy extracts each),
#: and the most members a zip may hold: a zip bomb (a gigabyte of zeros in a megabyte) is refused
#: from the zip's headers before anything is written, and while extracting in case they lie.  An
#: SSP holds an SSD, parameter sets and FMUs: tens of megabytes, a few hundred at the most
MAX_EXTRACTED_BYTES = 512 * 2**20
MAX_MEMBERS = 10_000
#: what a damaged or hostile zip raises in zipfile
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError)


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n} bytes"


def _check_sizes(zf: zipfile.ZipFile, label: str, budget: int, whose: str = "an SSP package") -> int:
    """The bytes the members of ``zf`` declare in its headers; an error if there are more than
    MAX_MEMBERS members or more than ``budget`` bytes."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ConfigurationError(f"{label}: {len(infos)} members in the zip, above the limit of {MAX_MEMBERS}")
    declared = sum(info.file_size for info in infos)
    if declared > budget:
        raise ConfigurationError(f"{label}: its members would take {_mib(declared)} extracted, above the limit "
                                 f"of {_mib(MAX_EXTRACTED_BYTES)} of {whose} (a zip bomb?)")
    return declared


def _extract(zf: zipfile.ZipFile, dest: Path, label: str) -> None:
    """Extract ``zf`` into ``dest`` (member names checked before), counting the bytes written:
    an error beyond MAX_EXTRACTED_BYTES, whatever the headers said."""
    total = 0
    for info in zf.infolist():
        target = dest / info.filename
        try:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_EXTRACTED_BYTES:
                        raise ConfigurationError(f"{label}: its members take more than {_mib(MAX_EXTRACTED_BYTES)} "
                                                 "extracted, more than its headers declare (a zip bomb?)")
                    out.write(chunk)
        except _ZIP_ERRORS as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else _oneline(exc)
            raise ConfigurationError(f"{label}: cannot extract {info.filename!r} from the package: {why}") from None


@atexit.register
def _remove_extracted() -> None:
    for d in _EXTRACTED:
        shutil.rmtree(d, ignore_errors=True)


def is_ssp(path: str | Path) -> bool:
    """True for an ``.ssp`` package, an ``.ssd`` file or a folder holding ``SystemStructure.ssd``."""
    p = Path(path)
    return p.suffix.lower() in (".ssp", ".ssd") or (p.is_dir() and (p / SSD_NAME).is_file())


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _kids(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _kid(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


class _Doc:
    """One parsed XML file of the package: its label for messages and the line of each element."""

    def __init__(self, data: bytes, label: str):
        self.label = label
        self.lines: dict[int, int] = {}
        builder = ET.TreeBuilder()
        parser = expat.ParserCreate(namespace_separator="}")

        def name(raw: str) -> str:
            return "{" + raw if "}" in raw else raw

        def start(tag, attrs):
            el = builder.start(name(tag), {name(k): v for k, v in attrs.items()})
            self.lines[id(el)] = parser.CurrentLineNumber

        parser.StartElementHandler = start
        parser.EndElementHandler = lambda tag: builder.end(name(tag))
        parser.CharacterDataHandler = builder.data
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise ConfigurationError(f"{label}: malformed XML: {expat.ErrorString(exc.code)} "
                                     f"(line {exc.lineno}, column {exc.offset + 1})") from None
        self.root = builder.close()

    def at(self, el: ET.Element, what: str = "") -> str:
        """``"file: line N: <Element name='x'>"`` (or ``what`` in place of the element)."""
        if not what:
            name = el.get("name")
            what = f"<{_local(el.tag)}{f' name={name!r}' if name is not None else ''}>"
        line = self.lines.get(id(el))
        return f"{self.label}: line {line}: {what}" if line else f"{self.label}: {what}"

    def error(self, el: ET.Element, message: str, what: str = "") -> ConfigurationError:
        return ConfigurationError(f"{self.at(el, what)}: {message}")


def _attr(doc: _Doc, el: ET.Element, key: str, what: str = "") -> str:
    value = el.get(key)
    if value is None:
        raise doc.error(el, f"missing attribute '{key}'", what)
    return value


def _float_attr(doc: _Doc, el: ET.Element, key: str, default: float | None = None, what: str = "") -> float | None:
    text = el.get(key)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise doc.error(el, f"attribute {key}={text!r} is not a number", what) from None


def _finite_attr(doc: _Doc, el: ET.Element, key: str, default: float, what: str = "") -> float:
    x = _float_attr(doc, el, key, default, what)
    if not math.isfinite(x):
        raise doc.error(el, f"<{_local(el.tag)}> {key}={el.get(key)!r} is not a finite number", what)
    return x


def _units_table(doc: _Doc, parent: ET.Element | None) -> dict[str, Unit]:
    """``ssc:Unit`` definitions under ``parent`` (an ``ssd:Units``/``ssv:Units`` element)."""
    table: dict[str, Unit] = {}
    if parent is None:
        return table
    for u in _kids(parent, "Unit"):
        name = _attr(doc, u, "name")
        b = _kid(u, "BaseUnit")
        if b is None:
            raise doc.error(u, "has no <BaseUnit>")
        dims = []
        for base in BASE:
            text = b.get(base, "0")
            try:
                dims.append(int(text))
            except ValueError:
                raise doc.error(b, f"exponent {base}={text!r} is not a whole number",
                                f"<BaseUnit> of unit {name!r}") from None
        factor = _float_attr(doc, b, "factor", 1.0)
        offset = _float_attr(doc, b, "offset", 0.0)
        if not (math.isfinite(factor) and factor > 0 and math.isfinite(offset)):
            raise doc.error(b, "factor must be positive and finite, offset finite", f"<BaseUnit> of unit {name!r}")
        table[name] = Unit(factor, tuple(dims), offset, name)
    return table


def _resolve_unit(doc: _Doc, el: ET.Element, name: str, tables: list[dict[str, Unit]], what: str = "") -> Unit:
    for table in tables:
        if name in table:
            return table[name]
    try:
        return parse_unit(name)
    except UnitError:
        raise doc.error(el, f"unit {name!r} is not defined (no <ssc:Unit name={name!r}> in the Units "
                            "of the file, and not a unit string cryocosim reads)", what) from None


def _unitless(u: Unit) -> bool:
    return not any(u.dims) and u.factor == 1.0 and u.offset == 0.0


def _same(a: Unit, b: Unit) -> bool:
    return a.dims == b.dims and a.factor == b.factor and a.offset == b.offset


def _affine(a: Unit, b: Unit) -> tuple[Fraction, Fraction]:
    """Exact (scale, offset) with value_b = value_a*scale + offset."""
    fb = Fraction(b.factor)
    return Fraction(a.factor) / fb, (Fraction(a.offset) - Fraction(b.offset)) / fb


def _to_float(x: Fraction) -> float | None:
    """``x`` as a finite double; None beyond the range of doubles."""
    try:
        f = float(x)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def _unit_string(unit: Unit) -> str | None:
    """A unit string cryocosim reads as exactly ``unit``: its name, else its SI dimensions
    (``kg.m2.s-3``) for a coherent SI unit; None if neither."""
    coherent = unit.factor == 1.0 and unit.offset == 0.0
    for text in (unit.text, unit.dimension_text() if coherent else None):
        if text:
            try:
                if _same(parse_unit(text), unit):
                    return text
            except UnitError:
                pass
    return None


#: (FMU actor class, ((variable, unit), ...)) -> its subclass with those units (see _Reader._with_units)
_UNIT_CLASSES: dict[tuple, type] = {}


@dataclass
class _Component:
    name: str
    cls: type
    el: ET.Element
    md_vars: dict                  # name -> fmpy ScalarVariable
    fmu_units: dict[str, Unit]     # the FMU's own UnitDefinitions
    connector_units: dict[str, Unit]
    source: str
    step: float | None = None
    fmu_units_by_var: dict = field(default_factory=dict)  # unitless FMU variables given a unit by the SSD

    def unit_of(self, var) -> Unit:
        if var.name in self.fmu_units_by_var:
            return self.fmu_units_by_var[var.name]
        u = self.fmu_units.get(var.unit)
        return u if u is not None else parse_unit(var.unit)


class _Reader:
    def __init__(self, path: Path, label: str, default_step: float | None):
        self.path = path
        self.label = label
        self.default_step = default_step
        self.fmu_bytes = 0  # what the FMUs read so far take extracted (fmpy extracts each)
        self.fmus_checked: set[Path] = set()
        self.base_dir, ssd = self._open(path)
        try:
            data = ssd.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"{label}: cannot read {ssd.name}: {exc.strerror or exc}") from None
        self.ssd = _Doc(data, label if path.suffix.lower() == ".ssd" else f"{label}: {SSD_NAME}")
        self.text = data.decode("utf-8", "replace")

    # -- files ------------------------------------------------------------------------------------
    def _open(self, path: Path) -> tuple[Path, Path]:
        if not path.exists():
            raise ConfigurationError(f"{self.label}: no such file or folder")
        if path.is_dir():
            ssd = path / SSD_NAME
            if not ssd.is_file():
                raise ConfigurationError(f"{self.label}: the folder holds no {SSD_NAME}")
            return path, ssd
        if path.suffix.lower() == ".ssd":
            return path.parent, path
        try:
            zf = zipfile.ZipFile(path)
        except _ZIP_ERRORS as exc:
            raise ConfigurationError(f"{self.label}: not a readable SSP (zip archive): {_oneline(exc)}") from None
        with zf:
            names = zf.namelist()
            if SSD_NAME not in names:
                raise ConfigurationError(f"{self.label}: the package holds no {SSD_NAME} at its top level")
            for n in names:
                p = PurePosixPath(n)
                if not p.parts or p.is_absolute() or ".." in p.parts or ":" in p.parts[0]:
                    raise ConfigurationError(f"{self.label}: unsafe member name {n!r} in the package")
            _check_sizes(zf, self.label, MAX_EXTRACTED_BYTES)
            tmp = tempfile.mkdtemp(prefix="cryocosim_ssp_")
            _EXTRACTED.append(tmp)
            _extract(zf, Path(tmp), self.label)
        return Path(tmp), Path(tmp) / SSD_NAME

    def _file(self, doc: _Doc, el: ET.Element, uri: str, key: str, what: str = "") -> tuple[Path, str]:
        """A relative URI of the package -> (path, its name for messages)."""
        parsed = urlparse(uri)
        rel = unquote(parsed.path)
        if parsed.scheme or parsed.netloc or not rel or PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            raise doc.error(el, f"{key} {uri!r}: only relative paths inside the package are supported", what)
        p = self.base_dir / rel
        if not p.is_file():
            raise doc.error(el, f"{key} {uri!r}: no such file in {'the package' if self.path.suffix.lower() == '.ssp' else str(self.base_dir)}", what)
        return p, rel

    # -- reading ------------------------------------------------------------------------------------
    def read(self, overrides: dict[str, Any] | None, override_label: str) -> tuple["System", "RunSettings"]:
        from .scenario import RunSettings
        from .system import System

        doc, root = self.ssd, self.ssd.root
        if _local(root.tag) != "SystemStructureDescription":
            raise doc.error(root, "the root element must be <ssd:SystemStructureDescription>")
        version = root.get("version")
        if version is not None and not version.startswith(("1.", "2.")):
            raise doc.error(root, f"version {version!r}: only SSP 1.0 system structures are read")
        sysel = _kid(root, "System")
        if sysel is None:
            raise doc.error(root, "has no <ssd:System>")
        self.units = _units_table(doc, _kid(root, "Units"))
        stop, ordering, interval, base_step = self._experiment(_kid(root, "DefaultExperiment"))
        name = sysel.get("name") or root.get("name") or self.path.stem
        system = System(name, self.text, str(self.path))
        system.parameter_origins = {}

        # -- components
        elements = _kid(sysel, "Elements")
        comps: dict[str, _Component] = {}
        for el in (list(elements) if elements is not None else []):
            kind = _local(el.tag)
            if kind == "System":
                raise doc.error(el, "nested systems are not supported (flatten the system first)")
            if kind != "Component":
                raise doc.error(el, f"<{kind}> elements are not supported (only FMU components)")
            comp = self._component(el, base_step)
            if comp.name in comps:
                raise doc.error(el, f"a second component named {comp.name!r}")
            comps[comp.name] = comp
        if not comps:
            raise doc.error(sysel, "has no components")

        # -- parameter values: components' bindings, then the system's (which take precedence)
        values: dict[str, dict[str, tuple[Any, str]]] = {n: {} for n in comps}
        for comp in comps.values():
            for binding in self._bindings(comp.el):
                for pname, value, where in self._binding_values(binding):
                    self._bind(comp, pname, value, where, values)
        for binding in self._bindings(sysel):
            for pname, value, where in self._binding_values(binding):
                cname, dot, var = pname.partition(".")
                if not dot or cname not in comps:
                    warnings.warn(f"{where}: parameter {pname!r} names no component.variable of the system: ignored",
                                  CryocosimWarning, stacklevel=4)
                    continue
                self._bind(comps[cname], var, value, where, values)
        for ref, value in (overrides or {}).items():
            cname, _, var = ref.partition(".")
            label = f"{override_label} {describe(ref)}"
            if cname not in comps:
                raise ConfigurationError(f"{label}: names no component of the system (components: {', '.join(comps)})")
            values[cname][var] = (value, label)

        # -- actors
        for comp in comps.values():
            where = doc.at(comp.el)
            step = comp.step
            try:
                actor = system.add(comp.name, comp.cls, step, where=where)
            except CryocosimError as exc:
                raise ConfigurationError(_oneline(exc) if _oneline(exc).startswith(self.label) else f"{where}: {_oneline(exc)}") from None
            system.origins[comp.name] = where
            declared = actor.variable_map()
            params: dict[str, Any] = {}
            origins: dict[str, str] = {}
            for var, (value, origin) in values[comp.name].items():
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
                except CryocosimError as exc:
                    msg = _oneline(exc)
                    for head in (f"actor '{comp.name}': ", f"parameter '{var}'"):
                        if msg.startswith(head):
                            msg = msg[len(head):]
                    raise ConfigurationError(f"{origin}: {comp.name}.{var}: {msg.lstrip(' =:')}") from None
                if v.type is int:
                    _check_integer(comp, v, getattr(actor, var), origin)
                if v.causality == Causality.input:
                    system.bus.fix_input(comp.name, var)
                params[var], origins[var] = value, origin
            system.params[comp.name] = params
            system.parameter_origins[comp.name] = origins
            check_step(system.steps[comp.name], f"{where}: step")

        # -- connections
        conns = _kid(sysel, "Connections")
        for i, c in enumerate(_kids(conns, "Connection") if conns is not None else [], 1):
            self._connection(system, comps, c, i)

        # a connected input takes its connection's values, not a value bound to it; inputs nobody
        # feeds hold their bound values, or their start values, as in any FMI master (the bus
        # notes those: a warning each)
        for link in system.bus.links:
            system.bus.fixed_inputs.discard((link.dst, link.dst_var))
        try:
            system.bus.check()
        except CryocosimError as exc:
            raise ConfigurationError(f"{self.label}: {_oneline(exc)}") from None
        settings = RunSettings(stop, ordering, interval)
        return system, settings

    def _experiment(self, de: ET.Element | None):
        doc = self.ssd
        stop = interval = base = None
        ordering = "jacobi"
        if de is None:
            return None, ordering, None, None
        start = _float_attr(doc, de, "startTime", 0.0)
        if start != 0.0:
            raise doc.error(de, f"startTime {start:g} s: only runs that start at 0 are supported")
        stop = _float_attr(doc, de, "stopTime")
        if stop is not None:
            stop = check_time(stop, f"{doc.at(de)}: stopTime")
        anns = _kid(de, "Annotations")
        for ann in (_kids(anns, "Annotation") if anns is not None else []):
            if ann.get("type") == OSP_ANNOTATION:
                alg = _kid(ann, "Algorithm")
                fixed = _kid(alg, "FixedStepAlgorithm") if alg is not None else None
                if fixed is not None:
                    base = check_step(_float_attr(doc, fixed, "baseStepSize"), f"{doc.at(fixed)}: baseStepSize")
            elif ann.get("type") == CC_ANNOTATION:
                run = _kid(ann, "Run")
                if run is not None:
                    ordering = run.get("ordering", ordering)
                    if ordering not in _ORDERINGS:
                        raise doc.error(run, f"ordering {ordering!r} must be 'gauss-seidel' or 'jacobi'")
                    iv = _float_attr(doc, run, "outputInterval")
                    interval = check_time(iv, f"{doc.at(run)}: outputInterval") if iv is not None else None
        return stop, ordering, interval, base

    def _component(self, el: ET.Element, base_step: float | None) -> _Component:
        from .fmi.fmu_actor import load_fmu_actor_class

        doc = self.ssd
        name = _attr(doc, el, "name", "<Component>")
        if not name.isidentifier():
            raise doc.error(el, "the engine needs component names that are plain identifiers (letters, digits, _)")
        ctype = el.get("type", FMU_TYPE)
        if ctype != FMU_TYPE:
            raise doc.error(el, f"type {ctype!r}: only FMU components ({FMU_TYPE}) are supported")
        if el.get("implementation", "any") not in ("any", "CoSimulation"):
            raise doc.error(el, f"implementation {el.get('implementation')!r}: only co-simulation FMUs are supported")
        source = el.get("source")
        if source is None:
            raise doc.error(el, "has no source (an FMU is needed to run it)")
        fmu, rel = self._file(doc, el, source, "source")
        if fmu not in self.fmus_checked:  # fmpy extracts it whole: its size counts
            self.fmus_checked.add(fmu)
            label = doc.at(el, f"<Component name={name!r}>: source {source!r}")
            try:
                with zipfile.ZipFile(fmu) as zf:
                    self.fmu_bytes += _check_sizes(zf, label, MAX_EXTRACTED_BYTES - self.fmu_bytes,
                                                   "the FMUs of an SSP together")
            except _ZIP_ERRORS:
                pass  # not a zip: the FMU reader says so
        try:
            cls = load_fmu_actor_class(fmu)
        except CryocosimError as exc:
            raise doc.error(el, f"source {source!r}: {_oneline(exc)}") from None
        md = cls.model_description
        md_vars = {sv.name: sv for sv in md.modelVariables}
        fmu_units = {}
        for u in getattr(md, "unitDefinitions", None) or []:
            b = u.baseUnit
            if b is not None:
                fmu_units[u.name] = Unit(float(b.factor), tuple(int(getattr(b, k)) for k in BASE), float(b.offset), u.name)
        comp = _Component(name, cls, el, md_vars, fmu_units, {}, rel)
        declared = cls.variable_map()
        conns = _kid(el, "Connectors")
        for c in (_kids(conns, "Connector") if conns is not None else []):
            cname = _attr(doc, c, "name", f"<Connector> of component {name!r}")
            what = f"<Connector name={cname!r}> of component {name!r}"
            sv, v = md_vars.get(cname), declared.get(cname)
            if sv is None or v is None:
                known = ", ".join(x.name for x in cls.variables if x.causality != Causality.local)
                raise doc.error(c, f"FMU {rel!r} has no variable {cname!r} (its inputs, outputs and parameters: {known})", what)
            kind = c.get("kind")
            want = {"input": ("input",), "output": ("output",), "parameter": ("parameter", "structuralParameter"),
                    "structuralParameter": ("structuralParameter",),
                    "calculatedParameter": ("calculatedParameter",), "local": ("local",)}
            if kind not in want and kind not in ("inout", "unspecified", "constant"):
                raise doc.error(c, f"kind {kind!r} is not an SSP connector kind", what)
            if kind in want and sv.causality not in want[kind]:
                raise doc.error(c, f"kind {kind!r} but FMU variable {cname!r} has causality {sv.causality!r}", what)
            typ = next((x for x in c if _local(x.tag) in ("Real", "Integer", "Boolean", "String", "Enumeration", "Binary")), None)
            if typ is not None:
                t = _local(typ.tag)
                # an Integer connector on an Enumeration: the same FMI 2.0 values (what an export
                # writes, and what masters without enumeration types write)
                if t != sv.type and not (t == "Integer" and sv.type == "Enumeration"):
                    raise doc.error(c, f"type {t} but FMU variable {cname!r} is {sv.type}", what)
                if t == "Real" and typ.get("unit") is not None:
                    cu = _resolve_unit(doc, typ, typ.get("unit"), [self.units], what)
                    fu = comp.unit_of(v)
                    if _unitless(fu) and not _unitless(cu):
                        comp.fmu_units_by_var[cname] = cu  # a variable without a unit: the SSD gives it
                        fu = cu
                    if cu.dims != fu.dims:
                        raise doc.error(c, f"unit {cu.text!r} [{cu.dimension_text()}] and the FMU variable's unit "
                                           f"{v.unit!r} [{fu.dimension_text()}] have different dimensions", what)
                    comp.connector_units[cname] = cu
        if comp.fmu_units_by_var:
            comp.cls = self._with_units(comp, el)
        # the step: the OSP annotation libcosim reads, else the defaults
        step = None
        anns = _kid(el, "Annotations")
        for ann in (_kids(anns, "Annotation") if anns is not None else []):
            hint = _kid(ann, "StepSizeHint") if ann.get("type") == OSP_ANNOTATION else None
            if hint is not None:
                step = check_step(_float_attr(doc, hint, "value"), f"{doc.at(hint)}: value")
        if step is None:
            step = self.default_step if self.default_step is not None else base_step
        comp.step = step  # None: the FMU's DefaultExperiment stepSize (FMUActor.default_step)
        return comp

    def _with_units(self, comp: _Component, el: ET.Element) -> type:
        """The component's actor class with the units its connectors give its Reals that have none
        (a subclass of the FMU's class, shared by components given the same units): they are
        recorded in those units, and connections and conditions check them."""
        units = {}
        for name, unit in comp.fmu_units_by_var.items():
            text = _unit_string(unit)
            if text is None:
                warnings.warn(f"{self.ssd.at(el)}: connector {name!r} has the unit {unit.text!r}, which cryocosim "
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

    # -- parameters -------------------------------------------------------------------------------
    def _bindings(self, el: ET.Element) -> list[ET.Element]:
        b = _kid(el, "ParameterBindings")
        return _kids(b, "ParameterBinding") if b is not None else []

    def _binding_values(self, binding: ET.Element):
        """(name with prefix, value as the engine takes it, where) of one ``ssd:ParameterBinding``."""
        doc = self.ssd
        btype = binding.get("type", SSV_TYPE)
        if btype != SSV_TYPE:
            raise doc.error(binding, f"type {btype!r}: only SSP parameter sets ({SSV_TYPE}) are supported")
        if _kid(binding, "ParameterMapping") is not None:
            raise doc.error(binding, "parameter mappings (<ssd:ParameterMapping>) are not supported")
        prefix = binding.get("prefix", "")
        source = binding.get("source")
        if source is not None:
            if binding.get("sourceBase", "SSD") != "SSD":
                raise doc.error(binding, "sourceBase other than 'SSD' is not supported")
            path, rel = self._file(doc, binding, source, "source")
            pdoc = _Doc(path.read_bytes(), f"{self.label}: {rel}")
            pset = pdoc.root
            if _local(pset.tag) != "ParameterSet":
                raise pdoc.error(pset, "the root element must be <ssv:ParameterSet>")
        else:
            pv = _kid(binding, "ParameterValues")
            pset = _kid(pv, "ParameterSet") if pv is not None else None
            if pset is None:
                raise doc.error(binding, "has neither a source nor inline <ssd:ParameterValues><ssv:ParameterSet>")
            pdoc = doc
        units = _units_table(pdoc, _kid(pset, "Units"))
        params = _kid(pset, "Parameters")
        for p in (_kids(params, "Parameter") if params is not None else []):
            pname = _attr(pdoc, p, "name", "<Parameter>")
            what = f"<Parameter name={pname!r}>"
            typ = next((x for x in p if _local(x.tag) not in ("Annotations", "MetaData")), None)
            if typ is None:
                raise pdoc.error(p, "has no value (<ssv:Real>, <ssv:Integer>, <ssv:Boolean> or <ssv:String>)", what)
            t = _local(typ.tag)
            text = _attr(pdoc, typ, "value", what)
            where = pdoc.at(p, what)
            if t == "Real":
                try:
                    x = float(text)
                except ValueError:
                    raise pdoc.error(typ, f"value {text!r} is not a number", what) from None
                if not math.isfinite(x):
                    raise pdoc.error(typ, f"value {text!r} is not a finite number", what)
                unit = typ.get("unit")
                value = (x, _resolve_unit(pdoc, typ, unit, [units, self.units], what) if unit else None)
            elif t == "Integer":
                try:
                    value = int(text)
                except ValueError:
                    raise pdoc.error(typ, f"value {text!r} is not a whole number", what) from None
            elif t == "Boolean":
                if text.strip() not in ("true", "false", "1", "0"):
                    raise pdoc.error(typ, f"value {text!r} is not true or false", what)
                value = text.strip() in ("true", "1")
            elif t == "String":
                value = text
            else:
                raise pdoc.error(typ, f"<ssv:{t}> values are not supported", what)
            yield prefix + pname, value, where

    def _bind(self, comp: _Component, var: str, value, where: str, values: dict) -> None:
        v = comp.cls.variable_map().get(var)
        if v is None:
            warnings.warn(f"{where}: FMU {comp.source!r} of component {comp.name!r} has no variable {var!r}: "
                          "ignored (SSP ignores names that match no variable)", CryocosimWarning, stacklevel=4)
            return
        if v.causality not in (Causality.parameter, Causality.input):
            raise ConfigurationError(f"{where}: {comp.name}.{var} is an {v.causality.value}, not a parameter or input")
        if isinstance(value, tuple):  # a Real: (number, unit or None)
            x, unit = value
            if v.type is not float:
                if v.type is int and unit is None and x == int(x):
                    value = int(x)
                else:
                    raise ConfigurationError(f"{where}: {comp.name}.{var} is {v.type.__name__}, the value is ssv:Real")
            elif unit is not None:
                target = comp.unit_of(v)
                if _unitless(target) and not _unitless(unit):
                    warnings.warn(f"{where}: {comp.name}.{var} has no unit: the value in '{unit.text}' is taken "
                                  "as it is", CryocosimWarning, stacklevel=4)
                    target = unit
                if unit.dims != target.dims:
                    raise ConfigurationError(f"{where}: unit {unit.text!r} [{unit.dimension_text()}] does not convert to "
                                             f"{comp.name}.{var}'s unit {v.unit!r} [{target.dimension_text()}]")
                if _same(unit, target):
                    value = x
                else:
                    s, o = _affine(unit, target)
                    value = _to_float(Fraction(x) * s + o)
                    if value is None:
                        raise ConfigurationError(f"{where}: {x!r} {unit.text} is beyond the range of a double in "
                                                 f"{comp.name}.{var}'s unit {v.unit!r}")
            else:
                value = x
        elif isinstance(value, bool):
            if v.type is not bool:
                raise ConfigurationError(f"{where}: {comp.name}.{var} is {v.type.__name__}, the value is ssv:Boolean")
        elif isinstance(value, int):
            if v.type not in (int, float):
                raise ConfigurationError(f"{where}: {comp.name}.{var} is {v.type.__name__}, the value is ssv:Integer")
        elif isinstance(value, str) and v.type is not str:
            raise ConfigurationError(f"{where}: {comp.name}.{var} is {v.type.__name__}, the value is ssv:String")
        values[comp.name][var] = (value, where)

    # -- connections ------------------------------------------------------------------------------------
    def _connection(self, system, comps: dict[str, _Component], c: ET.Element, i: int) -> None:
        doc = self.ssd
        ends = []
        for side in ("start", "end"):
            ename, cname = c.get(f"{side}Element"), c.get(f"{side}Connector")
            label = f"<Connection> #{i} ({c.get('startElement', '')}.{c.get('startConnector', '')} -> " \
                    f"{c.get('endElement', '')}.{c.get('endConnector', '')})"
            if cname is None:
                raise doc.error(c, f"missing attribute '{side}Connector'", label)
            if ename is None:
                raise doc.error(c, f"{side}Connector {cname!r} is a connector of the system itself: "
                                   "connections to system connectors are not supported", label)
            comp = comps.get(ename)
            if comp is None:
                raise doc.error(c, f"{side}Element {ename!r} is not a component (components: {', '.join(comps)})", label)
            v = comp.cls.variable_map().get(cname)
            if v is None:
                known = ", ".join(x.name for x in comp.cls.variables if x.causality in (Causality.input, Causality.output))
                raise doc.error(c, f"{side}Connector {cname!r}: FMU {comp.source!r} of component {ename!r} has no "
                                   f"variable {cname!r} (inputs/outputs: {known})", label)
            ends.append((comp, v))
        (ca, va), (cb, vb) = ends
        # start and end do not tell the direction: the variables' causalities do
        if va.causality == Causality.input and vb.causality == Causality.output:
            (ca, va), (cb, vb) = (cb, vb), (ca, va)
        if va.causality != Causality.output or vb.causality != Causality.input:
            raise doc.error(c, f"connects {ca.name}.{va.name} ({va.causality.value}) and {cb.name}.{vb.name} "
                               f"({vb.causality.value}): a connection needs an output and an input", label)
        if va.type is not vb.type:
            raise doc.error(c, f"type mismatch: {va.type.__name__} -> {vb.type.__name__}", label)
        lt = _kid(c, "LinearTransformation")
        for other in ("BooleanMappingTransformation", "IntegerMappingTransformation", "EnumerationMappingTransformation"):
            if _kid(c, other) is not None:
                raise doc.error(c, f"<ssc:{other}> is not supported", label)
        suppress = c.get("suppressUnitConversion", "false").strip() in ("true", "1")
        for link in system.bus.links:
            if (link.dst, link.dst_var) == (cb.name, vb.name):
                raise doc.error(c, f"input {cb.name}.{vb.name} is already fed by {link.src}.{link.src_var}", label)
        scale = offset = None  # None: the bus's own conversion between the FMU variables' units
        if va.type is float:
            ua, ub = ca.unit_of(va), cb.unit_of(vb)
            a = Fraction(_finite_attr(doc, lt, "factor", 1.0, label)) if lt is not None else Fraction(1)
            b = Fraction(_finite_attr(doc, lt, "offset", 0.0, label)) if lt is not None else Fraction(0)
            if suppress:
                scale, offset = a, b
            else:
                sa = ca.connector_units.get(va.name, ua)
                sb = cb.connector_units.get(vb.name, ub)
                s1, o1 = (Fraction(1), Fraction(0))
                if sa.dims != sb.dims and (_unitless(sa) or _unitless(sb)):
                    # a Real without a unit (unknown, in most tools' FMUs) and one with: as is
                    warnings.warn(f"{doc.at(c, label)}: a Real without a unit feeds one in "
                                  f"'{(sb if _unitless(sa) else sa).text}': the value passes unchanged",
                                  CryocosimWarning, stacklevel=4)
                elif sa.dims != sb.dims:
                    raise doc.error(c, f"units {sa.text or va.unit!r} [{sa.dimension_text()}] and {sb.text or vb.unit!r} "
                                       f"[{sb.dimension_text()}] have different dimensions (set suppressUnitConversion="
                                       "\"true\" with an <ssc:LinearTransformation> to connect them anyway)", label)
                else:
                    s1, o1 = _affine(ua, sb)  # the source's unit -> the end connector's
                s2, o2 = _affine(sb, ub)      # the end connector's unit -> the FMU variable's
                # the transformation applies in the end connector's unit
                scale, offset = s2 * a * s1, s2 * (a * o1 + b) + o2
            if _to_float(scale) is None or _to_float(offset) is None:
                raise doc.error(c, "the conversion (the transformation and the connector units) is beyond the range "
                                   "of a double", label)
            plain = (not suppress and lt is None and _same(ca.connector_units.get(va.name, ua), ua)
                     and _same(cb.connector_units.get(vb.name, ub), ub) and _bus_units(va.unit, vb.unit))
            if plain and _same(ua, parse_unit(va.unit)) and _same(ub, parse_unit(vb.unit)):
                scale = offset = None  # exactly what the bus computes
        elif lt is not None:
            raise doc.error(lt, "a linear transformation needs Real connectors", label)
        # the conversion computed here (the SSP's connector units and transformation), or the
        # bus's own where it is exactly that
        system.connect(f"{ca.name}.{va.name}", f"{cb.name}.{vb.name}", doc.at(c, label),
                       transform=None if scale is None else (scale, offset))


def _bus_units(a: str, b: str) -> bool:
    """The bus connects these FMU unit names (same dimension by :func:`parse_unit`)."""
    try:
        return parse_unit(a).dims == parse_unit(b).dims
    except UnitError:
        return False


#: the range of an FMI 2.0 Integer (fmi2Integer is a C int: 32 bits)
FMI_INTEGER = (-2**31, 2**31 - 1)


def _check_integer(comp: _Component, v, value: int, origin: str) -> None:
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


def _oneline(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def load(path: str | Path, overrides: dict[str, Any] | None = None, override_label: str = "override", *,
         default_step: float | None = None) -> tuple["System", "RunSettings"]:
    """Read an SSP (``.ssp`` package, unpacked folder or ``.ssd`` file); return the System of its
    FMUs and the run settings (``stop_time`` is None when the SSD gives no ``stopTime``).

    ``overrides``: ``{"component.variable": value}`` applied over the parameter bindings (the
    command line's ``--set``, labelled ``override_label``); ``default_step``: the step of
    components without an ``osp:StepSizeHint`` (s).
    """
    path = Path(path)
    return _Reader(path, str(path), default_step).read(overrides, override_label)
