"""SSP import, first half: the SSD and its parameter sets read into a plain :class:`Description`
(components, connectors, parameter values, connections, the default experiment), each item with
the place it comes from (file, line, element) for messages.  Nothing here loads an FMU: what the
files alone tell wrong (a missing attribute, a number that is none, a unit nobody defines, a file
the package does not hold, an element the reader does not support) is refused here, in one line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from ..checks import check_step, check_time
from ..errors import ConfigurationError
from ..units import BASE, Unit
from . import conversion
from .archive import open_ssp
from .common import CC_ANNOTATION, FMU_TYPE, ORDERINGS, OSP_ANNOTATION, SSD_NAME, SSV_TYPE, local
from .xmlfile import XmlFile, elements, kid, kids

#: the SSP connector kinds -> the FMU causalities each stands for (the others: any causality)
KINDS = {"input": ("input",), "output": ("output",), "parameter": ("parameter", "structuralParameter"),
         "structuralParameter": ("structuralParameter",), "calculatedParameter": ("calculatedParameter",),
         "local": ("local",)}
_ANY_KIND = ("inout", "unspecified", "constant")


@dataclass
class Parameter:
    """One ``ssv:Parameter``: ``name`` with its binding's prefix; ``value`` as the engine takes it
    (an ``ssv:Real``: (number, its Unit or None); an Integer: int; a Boolean: bool; a String: str)."""
    name: str
    value: Any
    where: str


@dataclass
class Connector:
    name: str
    kind: str | None
    type: str | None        # Real, Integer, Boolean, String, Enumeration, Binary; None: not written
    unit: Unit | None       # a Real connector's unit; None: none written
    where: str


@dataclass
class Component:
    name: str
    source: str             # the ``source`` attribute as written
    fmu: Path               # that file
    rel: str                # its path in the package, for messages
    connectors: list[Connector]
    parameters: list[Parameter]   # its parameter bindings' values, in order
    step: float | None      # its ``osp:StepSizeHint``
    where: str


@dataclass
class Connection:
    number: int             # 1, 2, ... in the order of the SSD
    start: tuple[str, str]  # (element, connector)
    end: tuple[str, str]
    suppress_unit_conversion: bool
    transformation: tuple[Fraction, Fraction] | None  # a LinearTransformation's (factor, offset)
    where: str
    transformation_where: str | None
    other_transformation: str | None = None  # the tag of a mapping transformation (not supported)


@dataclass
class Description:
    """An SSP as read from its files: what :mod:`cryocosim.ssp.build` makes a System of."""
    path: Path
    label: str
    name: str
    text: str                         # the SSD's text (the System keeps it)
    components: list[Component]
    parameters: list[Parameter]       # the system's parameter bindings (names component.variable)
    connections: list[Connection]
    stop_time: float | None
    ordering: str
    output_interval: float | None
    base_step: float | None           # of an ``osp:FixedStepAlgorithm``
    units: dict[str, Unit]            # the SSD's ``ssd:Units``
    #: what the schema check reads: (file, element, "ssd" or "ssv"), every file and inline set once
    documents: list[tuple[XmlFile, Any, str]] = field(default_factory=list)


def read(path: Path, label: str) -> Description:
    """Read the SSP at ``path`` (a package, a folder or an ``.ssd``) into a Description."""
    return _Reader(path, label).read()


class _Reader:
    def __init__(self, path: Path, label: str):
        self.path = path
        self.label = label
        self.base_dir, ssd = open_ssp(path, label)
        try:
            data = ssd.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"{label}: cannot read {ssd.name}: {exc.strerror or exc}") from None
        self.ssd = XmlFile(data, label if path.suffix.lower() == ".ssd" else f"{label}: {SSD_NAME}")
        self.documents = [(self.ssd, self.ssd.root, "ssd")]
        self.ssv_files: dict[Path, XmlFile] = {}

    def read(self) -> Description:
        doc, root = self.ssd, self.ssd.root
        if local(root.tag) != "SystemStructureDescription":
            raise doc.error(root, "the root element must be <ssd:SystemStructureDescription>")
        version = root.get("version")
        if version is not None and not version.startswith(("1.", "2.")):
            raise doc.error(root, f"version {version!r}: only SSP 1.0 system structures are read")
        sysel = kid(root, "System")
        if sysel is None:
            raise doc.error(root, "has no <ssd:System>")
        self.units = self.units_table(doc, kid(root, "Units"))
        stop, ordering, interval, base_step = self.experiment(kid(root, "DefaultExperiment"))
        components: dict[str, Component] = {}
        for el in elements(kid(sysel, "Elements")):
            kind = local(el.tag)
            if kind == "System":
                raise doc.error(el, "nested systems are not supported (flatten the system first)")
            if kind != "Component":
                raise doc.error(el, f"<{kind}> elements are not supported (only FMU components)")
            comp = self.component(el)
            if comp.name in components:
                raise doc.error(el, f"a second component named {comp.name!r}")
            components[comp.name] = comp
        if not components:
            raise doc.error(sysel, "has no components")
        system_values = [p for b in kids(kid(sysel, "ParameterBindings"), "ParameterBinding") for p in self.binding(b)]
        connections = [self.connection(c, i) for i, c in enumerate(kids(kid(sysel, "Connections"), "Connection"), 1)]
        return Description(
            self.path, self.label, sysel.get("name") or root.get("name") or self.path.stem, doc.text,
            list(components.values()), system_values, connections, stop, ordering, interval, base_step, self.units,
            self.documents)

    # -- files ------------------------------------------------------------------------------------
    def file(self, doc: XmlFile, el, uri: str, key: str, what: str = "") -> tuple[Path, str]:
        """A relative URI of the package -> (path, its name for messages)."""
        parsed = urlparse(uri)
        rel = unquote(parsed.path)
        inside = PurePosixPath(rel)
        if parsed.scheme or parsed.netloc or not rel or inside.is_absolute() or ".." in inside.parts:
            raise doc.error(el, f"{key} {uri!r}: only relative paths inside the package are supported", what)
        p = self.base_dir / rel
        if not p.is_file():
            where = "the package" if self.path.suffix.lower() == ".ssp" else str(self.base_dir)
            raise doc.error(el, f"{key} {uri!r}: no such file in {where}", what)
        return p, rel

    # -- the parts of the SSD ----------------------------------------------------------------------
    def experiment(self, de):
        """(stop time, ordering, output interval, base step) of ``ssd:DefaultExperiment``."""
        doc = self.ssd
        stop = interval = base = None
        ordering = "jacobi"
        if de is None:
            return None, ordering, None, None
        start = doc.float_attr(de, "startTime", 0.0)
        if start != 0.0:
            raise doc.error(de, f"startTime {start:g} s: only runs that start at 0 are supported")
        stop = doc.float_attr(de, "stopTime")
        if stop is not None:
            stop = check_time(stop, f"{doc.at(de)}: stopTime")
        for ann in kids(kid(de, "Annotations"), "Annotation"):
            if ann.get("type") == OSP_ANNOTATION:
                fixed = kid(kid(ann, "Algorithm"), "FixedStepAlgorithm")
                if fixed is not None:
                    base = check_step(doc.float_attr(fixed, "baseStepSize"), f"{doc.at(fixed)}: baseStepSize")
            elif ann.get("type") == CC_ANNOTATION:
                run = kid(ann, "Run")
                if run is not None:
                    ordering = run.get("ordering", ordering)
                    if ordering not in ORDERINGS:
                        raise doc.error(run, f"ordering {ordering!r} must be 'gauss-seidel' or 'jacobi'")
                    iv = doc.float_attr(run, "outputInterval")
                    interval = check_time(iv, f"{doc.at(run)}: outputInterval") if iv is not None else None
        return stop, ordering, interval, base

    def component(self, el) -> Component:
        doc = self.ssd
        name = doc.attr(el, "name", "<Component>")
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
        fmu, rel = self.file(doc, el, source, "source")
        connectors = []
        for c in kids(kid(el, "Connectors"), "Connector"):
            cname = doc.attr(c, "name", f"<Connector> of component {name!r}")
            what = f"<Connector name={cname!r}> of component {name!r}"
            kind = c.get("kind")
            if kind not in KINDS and kind not in _ANY_KIND:
                raise doc.error(c, f"kind {kind!r} is not an SSP connector kind", what)
            typ = next((x for x in elements(c) if local(x.tag) in ("Real", "Integer", "Boolean", "String",
                                                                     "Enumeration", "Binary")), None)
            unit = None
            if typ is not None and local(typ.tag) == "Real" and typ.get("unit") is not None:
                unit = self.unit(doc, typ, typ.get("unit"), [self.units], what)
            type_ = local(typ.tag) if typ is not None else None
            connectors.append(Connector(cname, kind, type_, unit, doc.at(c, what)))
        step = None  # the OSP annotation libcosim reads
        for ann in kids(kid(el, "Annotations"), "Annotation"):
            hint = kid(ann, "StepSizeHint") if ann.get("type") == OSP_ANNOTATION else None
            if hint is not None:
                step = check_step(doc.float_attr(hint, "value"), f"{doc.at(hint)}: value")
        values = [p for b in kids(kid(el, "ParameterBindings"), "ParameterBinding") for p in self.binding(b)]
        return Component(name, source, fmu, rel, connectors, values, step, doc.at(el))

    def connection(self, c, number: int) -> Connection:
        doc = self.ssd
        label = f"<Connection> #{number} ({c.get('startElement', '')}.{c.get('startConnector', '')} -> " \
                f"{c.get('endElement', '')}.{c.get('endConnector', '')})"
        ends = []
        for side in ("start", "end"):
            ename, cname = c.get(f"{side}Element"), c.get(f"{side}Connector")
            if cname is None:
                raise doc.error(c, f"missing attribute '{side}Connector'", label)
            if ename is None:
                raise doc.error(c, f"{side}Connector {cname!r} is a connector of the system itself: "
                                   "connections to system connectors are not supported", label)
            ends.append((ename, cname))
        lt = kid(c, "LinearTransformation")
        transformation = None
        if lt is not None:
            transformation = (Fraction(doc.finite_attr(lt, "factor", 1.0, label)),
                              Fraction(doc.finite_attr(lt, "offset", 0.0, label)))
        other = next((t for t in ("BooleanMappingTransformation", "IntegerMappingTransformation",
                                  "EnumerationMappingTransformation") if kid(c, t) is not None), None)
        suppress = c.get("suppressUnitConversion", "false").strip() in ("true", "1")
        return Connection(number, ends[0], ends[1], suppress, transformation, doc.at(c, label),
                          doc.at(lt, label) if lt is not None else None, other)

    # -- units -------------------------------------------------------------------------------------
    def units_table(self, doc: XmlFile, parent) -> dict[str, Unit]:
        """``ssc:Unit`` definitions under ``parent`` (an ``ssd:Units``/``ssv:Units`` element)."""
        table: dict[str, Unit] = {}
        for u in kids(parent, "Unit"):
            name = doc.attr(u, "name")
            b = kid(u, "BaseUnit")
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
            factor = doc.float_attr(b, "factor", 1.0)
            offset = doc.float_attr(b, "offset", 0.0)
            if not (math.isfinite(factor) and factor > 0 and math.isfinite(offset)):
                raise doc.error(b, "factor must be positive and finite, offset finite", f"<BaseUnit> of unit {name!r}")
            table[name] = Unit(factor, tuple(dims), offset, name)
        return table

    @staticmethod
    def unit(doc: XmlFile, el, name: str, tables: list[dict[str, Unit]], what: str = "") -> Unit:
        unit = conversion.resolve(name, tables)
        if unit is None:
            raise doc.error(el, f"unit {name!r} is not defined (no <ssc:Unit name={name!r}> in the Units "
                                "of the file, and not a unit string cryocosim reads)", what)
        return unit

    # -- parameter values --------------------------------------------------------------------------
    def binding(self, binding) -> list[Parameter]:
        """The values of one ``ssd:ParameterBinding`` (inline, or a ``.ssv`` file)."""
        doc = self.ssd
        btype = binding.get("type", SSV_TYPE)
        if btype != SSV_TYPE:
            raise doc.error(binding, f"type {btype!r}: only SSP parameter sets ({SSV_TYPE}) are supported")
        if kid(binding, "ParameterMapping") is not None:
            raise doc.error(binding, "parameter mappings (<ssd:ParameterMapping>) are not supported")
        prefix = binding.get("prefix", "")
        source = binding.get("source")
        if source is not None:
            if binding.get("sourceBase", "SSD") != "SSD":
                raise doc.error(binding, "sourceBase other than 'SSD' is not supported")
            path, rel = self.file(doc, binding, source, "source")
            pdoc = self.ssv_files.get(path)
            if pdoc is None:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise doc.error(binding, f"source {source!r}: cannot read it: {exc.strerror or exc}") from None
                pdoc = self.ssv_files[path] = XmlFile(data, f"{self.label}: {rel}")
                self.documents.append((pdoc, pdoc.root, "ssv"))
            pset = pdoc.root
            if local(pset.tag) != "ParameterSet":
                raise pdoc.error(pset, "the root element must be <ssv:ParameterSet>")
        else:
            pset = kid(kid(binding, "ParameterValues"), "ParameterSet")
            if pset is None:
                raise doc.error(binding, "has neither a source nor inline <ssd:ParameterValues><ssv:ParameterSet>")
            pdoc = doc
            self.documents.append((doc, pset, "ssv"))
        units = self.units_table(pdoc, kid(pset, "Units"))
        return [self.parameter(pdoc, p, prefix, units) for p in kids(kid(pset, "Parameters"), "Parameter")]

    def parameter(self, pdoc: XmlFile, p, prefix: str, units: dict[str, Unit]) -> Parameter:
        pname = pdoc.attr(p, "name", "<Parameter>")
        what = f"<Parameter name={pname!r}>"
        typ = next((x for x in elements(p) if local(x.tag) not in ("Annotations", "MetaData")), None)
        if typ is None:
            raise pdoc.error(p, "has no value (<ssv:Real>, <ssv:Integer>, <ssv:Boolean> or <ssv:String>)", what)
        t = local(typ.tag)
        text = pdoc.attr(typ, "value", what)
        if t == "Real":
            try:
                x = float(text)
            except ValueError:
                raise pdoc.error(typ, f"value {text!r} is not a number", what) from None
            if not math.isfinite(x):
                raise pdoc.error(typ, f"value {text!r} is not a finite number", what)
            unit = typ.get("unit")
            value = (x, self.unit(pdoc, typ, unit, [units, self.units], what) if unit else None)
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
        return Parameter(prefix + pname, value, pdoc.at(p, what))
