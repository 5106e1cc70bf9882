"""The check of an SSP's files against the SSP 1.0 XML schemas that fmpy ships
(``fmpy/ssp/schema``): the SSD against ``SystemStructureDescription.xsd``, each parameter set (a
``.ssv`` file, or inline in the SSD) against ``SystemStructureParameterValues.xsd``; the first
breach as one line naming the file, the line and the element.

The schemas are loaded once, at the first SSP read (a scenario never pays for them).  They are the
normative XML Schema 1.0 files of SSP 1.0 (lxml validates XML Schema 1.0 only; fmpy's
``SystemStructureDescription11.xsd`` is the same format in XML Schema 1.1).  Their ``version``
pattern takes any ``1.x``; a file of version ``2.x`` (SSP 2.0 keeps the namespaces) is read as
before, unchecked, with a warning: there is no SSP 2.0 schema to check it against.
"""
from __future__ import annotations

import re
import threading
import warnings
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, CryocosimWarning, one_line
from .common import local, prefixed
from .xmlfile import XmlFile

FILES = {"ssd": "SystemStructureDescription.xsd", "ssv": "SystemStructureParameterValues.xsd"}
_SCHEMAS: dict[str, Any] = {}
_LOCK = threading.Lock()  # loading once; a schema's error log is one per schema
_ELEMENT = re.compile(r"^Element '(?:\{[^}]*\})?([^']*)'(?:, (attribute '[^']*'))?: (.*)$", re.S)


def schema_dir() -> Path:
    """fmpy's folder of SSP schemas."""
    from importlib.resources import files

    return Path(str(files("fmpy").joinpath("ssp", "schema")))


def _schema(kind: str):
    """The XMLSchema of ``kind`` ("ssd" or "ssv"), loaded at its first use."""
    from lxml import etree

    if kind not in _SCHEMAS:
        path = schema_dir() / FILES[kind]
        try:
            _SCHEMAS[kind] = etree.XMLSchema(etree.parse(str(path)))
        except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
            raise ConfigurationError(f"cannot check SSP files against the SSP 1.0 schemas: {path}: "
                                     f"{one_line(exc)} (fmpy installs them)") from None
    return _SCHEMAS[kind]


def first_error(documents: list[tuple[XmlFile, Any, str]]) -> str | None:
    """The first breach of the SSP 1.0 schemas in ``documents`` ((file, element, "ssd" or "ssv"),
    the element validated with everything in it) as one line, or None."""
    for doc, el, kind in documents:
        version = el.get("version") or ""
        if version.startswith("2."):
            warnings.warn(f"{doc.at(el)}: version {version!r}: not checked against a schema (cryocosim has the "
                          "SSP 1.0 schemas; the file is read as SSP 1.0)", CryocosimWarning, stacklevel=3)
            continue
        with _LOCK:
            schema = _schema(kind)
            if schema.validate(el):
                continue
            entry = schema.error_log[0]
            line, message = entry.line, entry.message
        return _message(doc, el, line, message, FILES[kind])
    return None


def _message(doc: XmlFile, top, line: int, message: str, xsd: str) -> str:
    """``"file: line N: <Element name='x'>: not valid SSP 1.0 (xsd): why"``."""
    why = one_line(message)
    name, where = None, None
    m = _ELEMENT.match(why)
    if m:
        name, attribute, why = m.group(1), m.group(2), m.group(3)
        if attribute and attribute.split("'")[1] not in why:  # "The attribute 'x' is not allowed." says it
            why = f"{attribute}: {why}"
        found = next((e for e in top.iter() if isinstance(e.tag, str) and e.sourceline == line
                      and local(e.tag) == name), None)
        where = doc.at(found) if found is not None else f"{doc.label}: line {line}: <{name}>"
    if where is None:
        where = f"{doc.label}: line {line}" if line else doc.label
    return f"{where}: not valid SSP 1.0 ({xsd}): {prefixed(why)}"
