"""A small XML reader that refuses DTD entity declarations (no billion laughs, no external entities).

Used for OPML and news sitemaps; feeds themselves go through feedparser, which drops such declarations.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.parsers import expat


class UnsafeXmlError(ValueError):
    """The document declares entities; we never expand them."""


def _forbid_entities(*_args) -> None:
    raise UnsafeXmlError("XML entity declarations are not allowed")


def _refuse_external(*_args) -> int:
    raise UnsafeXmlError("external XML entities are not allowed")


def parse_xml_safely(data: bytes) -> ET.Element:
    """The document's root element (tags as "{namespace}local"); ValueError when not well formed or unsafe."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _forbid_entities
    parser.ExternalEntityRefHandler = _refuse_external
    parser.StartElementHandler = lambda tag, attrs: builder.start(_qualify(tag), {_qualify(k): v for k, v in attrs.items()})
    parser.EndElementHandler = lambda tag: builder.end(_qualify(tag))
    parser.CharacterDataHandler = builder.data
    parser.ordered_attributes = False
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from exc
    root = builder.close()
    return root


def _qualify(name: str) -> str:
    return "{" + name if "}" in name else name


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
