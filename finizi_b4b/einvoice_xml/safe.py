"""Safe XML parsing: no document type declarations, no entities, nothing fetched.

Parsing never resolves external entities and refuses any document type
declaration, so entity-expansion bombs and external entity tricks are rejected
outright. :func:`check_well_formed` builds nothing; :func:`parse_xml_safely`
builds elements with the namespaces dropped from their tags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from finizi_b4b.einvoice_xml.problems import InvoiceXMLError, XmlProblem

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = ["check_well_formed", "parse_xml_safely"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _refuse_doctype(*_: Any) -> None:
    raise InvoiceXMLError(XmlProblem.DOCTYPE)


def _refuse_entity(*_: Any) -> None:
    raise InvoiceXMLError(XmlProblem.ENTITY)


def _run_expat(content: bytes, parser: expat.XMLParserType) -> None:
    """Parse with DTDs, entity declarations and external references refused."""
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_entity
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise InvoiceXMLError(
            XmlProblem.NOT_WELL_FORMED, code=exc.code, line=exc.lineno, column=exc.offset + 1
        ) from None


def check_well_formed(content: bytes) -> None:
    """Raise :class:`InvoiceXMLError` unless ``content`` is safe, well-formed XML; builds nothing."""
    _run_expat(content, expat.ParserCreate())


def parse_xml_safely(content: bytes) -> ET.Element:
    """Parse XML into elements (namespaces dropped from tags), refusing DTDs and entities."""
    import xml.etree.ElementTree as ET

    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = lambda tag, attrib: builder.start(_local(tag), attrib)
    parser.EndElementHandler = lambda tag: builder.end(_local(tag))
    parser.CharacterDataHandler = builder.data
    _run_expat(content, parser)
    return builder.close()
