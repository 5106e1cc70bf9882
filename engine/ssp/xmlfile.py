"""One XML file of an SSP (an SSD or an ``.ssv``) parsed by lxml, and the one-line messages that
name its file, line and element (``"bad.ssp: SystemStructure.ssd: line 94: <Component
name='valve'>: ..."``), with the readers of attributes that raise them.

The line of an element is the line its start tag begins on.  lxml's ``sourceline`` is the line the
start tag ends on (libxml2 notes it after reading the attributes); the two differ for a start tag
written over several lines, and :func:`_start_lines` finds the beginning in the file's bytes.
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from ..errors import ConfigurationError, one_line
from .common import local

if TYPE_CHECKING:
    from lxml.etree import _Element

#: libxml2's own words where they are long; the rest are its messages as they are
_SYNTAX = {76: "mismatched tag"}  # XML_ERR_TAG_NAME_MISMATCH


class XmlFile:
    """An XML file: its label for messages (``"pkg.ssp: resources/a.ssv"``), its root element and
    its text.  The lines of the elements are lxml's (``element.sourceline``)."""

    def __init__(self, data: bytes, label: str):
        from lxml import etree

        self.label = label
        self.data = data
        self.text = data.decode("utf-8", "replace")
        self._lines: dict | None = None  # element -> the line its start tag begins on
        # no entities expanded, nothing fetched, comments and processing instructions left out
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                 remove_comments=True, remove_pis=True)
        try:
            self.root: _Element = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            line, column = exc.position
            why = _SYNTAX.get(exc.code) or re.sub(r",\s*line \d+, column \d+\s*$", "", one_line(exc.msg))
            raise ConfigurationError(f"{label}: malformed XML: {why} (line {line}, column {column})") from None

    def at(self, el: _Element, what: str = "") -> str:
        """``"file: line N: <Element name='x'>"`` (or ``what`` in place of the element)."""
        if not what:
            name = el.get("name")
            what = f"<{local(el.tag)}{f' name={name!r}' if name is not None else ''}>"
        if self._lines is None:
            self._lines = _start_lines(self.data, self.root)
        line = self._lines.get(el) or el.sourceline
        return f"{self.label}: line {line}: {what}" if line else f"{self.label}: {what}"

    def error(self, el: _Element, message: str, what: str = "") -> ConfigurationError:
        return ConfigurationError(f"{self.at(el, what)}: {message}")

    # -- attributes ------------------------------------------------------------------------------
    def attr(self, el: _Element, key: str, what: str = "") -> str:
        value = el.get(key)
        if value is None:
            raise self.error(el, f"missing attribute '{key}'", what)
        return value

    def float_attr(self, el: _Element, key: str, default: float | None = None, what: str = "") -> float | None:
        text = el.get(key)
        if text is None:
            return default
        try:
            return float(text)
        except ValueError:
            raise self.error(el, f"attribute {key}={text!r} is not a number", what) from None

    def finite_attr(self, el: _Element, key: str, default: float, what: str = "") -> float:
        x = self.float_attr(el, key, default, what)
        if not math.isfinite(x):
            raise self.error(el, f"<{local(el.tag)}> {key}={el.get(key)!r} is not a finite number", what)
        return x


def kids(el: _Element | None, name: str) -> list[_Element]:
    """The child elements of ``el`` named ``name`` (any namespace); none for no ``el``."""
    if el is None:
        return []
    return [c for c in el if isinstance(c.tag, str) and local(c.tag) == name]


def kid(el: _Element | None, name: str) -> _Element | None:
    """The first child element of ``el`` named ``name`` (any namespace), or None."""
    found = kids(el, name)
    return found[0] if found else None


def elements(el: _Element | None) -> list[_Element]:
    """The child elements of ``el`` (entity references aside)."""
    return [c for c in el if isinstance(c.tag, str)] if el is not None else []


_SPACE = b" \t\r\n"


def _start_lines(data: bytes, root: _Element) -> dict:
    """element -> the line its start tag begins on, found by reading the start tags of ``data`` in
    document order (comments, processing instructions, CDATA and end tags skipped; ``>`` inside
    quoted attribute values allowed).  Empty (lxml's lines serve) where the bytes do not match
    the tree: a DOCTYPE with an internal subset (entities), an encoding that is not ASCII-based."""
    starts: dict = {}
    pos, line, counted = 0, 1, 0
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = (f"{el.prefix}:{local(el.tag)}" if el.prefix else local(el.tag)).encode()
        i = _next_start_tag(data, pos)
        after = data[i + 1 + len(name):i + 2 + len(name)]
        if i < 0 or data[i + 1:i + 1 + len(name)] != name or (after not in (b">", b"/") and after not in _SPACE):
            return {}
        line += data.count(b"\n", counted, i)
        counted = i
        starts[el] = line
        # the start tag ends at the first '>' outside quotes
        j, quote = i + 1 + len(name), None
        while j < len(data):
            c = data[j:j + 1]
            if quote:
                quote = None if c == quote else quote
            elif c in (b'"', b"'"):
                quote = c
            elif c == b">":
                break
            j += 1
        pos = j + 1
    return starts


_SKIPS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"), (b"</", b">"))


def _next_start_tag(data: bytes, pos: int) -> int:
    """Where the next start tag from ``pos`` begins; -1 for none (or a DOCTYPE with entities)."""
    while True:
        i = data.find(b"<", pos)
        if i < 0:
            return -1
        end = next((data.find(close, i + len(open_)) for open_, close in _SKIPS if data.startswith(open_, i)), None)
        if end is None and data.startswith(b"<!", i):  # a DOCTYPE
            end = data.find(b">", i)
            if data.find(b"[", i, end) >= 0:
                return -1  # an internal subset: its entities may hold elements
        if end is None:
            return i
        if end < 0:
            return -1
        pos = end + 1
