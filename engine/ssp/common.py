"""The SSP 1.0 vocabulary that export and import share: namespaces, file and type names, the
parameter set's name, tag helpers, and which paths are SSPs."""
from __future__ import annotations

from pathlib import Path

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
ORDERINGS = ("gauss-seidel", "jacobi")


def q(tag: str) -> str:
    """``"ssd:System"`` -> ``"{http://ssp-standard.org/SSP1/SystemStructureDescription}System"``."""
    prefix, _, local = tag.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rpartition("}")[2]


def prefixed(text: str) -> str:
    """``{uri}Name`` in ``text`` written ``prefix:Name`` for the namespaces of :data:`NS`."""
    for prefix, uri in NS.items():
        text = text.replace(f"{{{uri}}}", f"{prefix}:")
    return text


def is_ssp(path: str | Path) -> bool:
    """True for an ``.ssp`` package, an ``.ssd`` file or a folder holding ``SystemStructure.ssd``."""
    p = Path(path)
    return p.suffix.lower() in (".ssp", ".ssd") or (p.is_dir() and (p / SSD_NAME).is_file())
