"""Load the StUF-FIN schema set: our built-in ``xsd/`` or an official VNG release folder.

The official release cannot be compiled by libxml2 as published: one namespace
is imported from several files and libxml2 keeps only the first import.  We
load it through a resolver that points every import of a namespace at one
in-memory wrapper document including all files of that namespace.
"""

from __future__ import annotations

import os.path
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from stuf_fin.errors import StufFinError
from stuf_fin.namespaces import FIN, SOAP_ENV, STUF, XS
from stuf_fin.schema.headers import HeaderFacts, read_header, recognise_release

if TYPE_CHECKING:
    from lxml.etree._docloader import _InputDocument  # (the stubs' name for what a Resolver returns)

#: Entry document of an official VNG release, relative to the release folder.
OFFICIAL_ENTRY = "fin0310/fin0310_msg_totaal.xsd"
#: Entry document of our own set, relative to ``xsd/``.
BUILTIN_ENTRY = "fin0310.xsd"
#: The VNG release our own set follows (named in the header of ``xsd/fin0310.xsd``), and its StUF patch level.
BUILTIN_RELEASE = "1.00.04"
BUILTIN_PATCH = 27
#: What a label or a description shows for a release or patch the headers do not state.
UNKNOWN = "unknown"
#: Message elements every usable schema set must declare.
MESSAGE_ELEMENTS = (
    (FIN, "Di01-verstrekVordering"),
    (FIN, "Di01-verstrekVorderingStatusWijziging"),
    (FIN, "Di01-verstrekFinancieleVerantwoording"),
    (FIN, "vrdLv01"),
    (FIN, "vrdLa01"),
    (STUF, "Bv03Bericht"),
    (STUF, "Fo02Bericht"),
    (STUF, "Fo03Bericht"),
)
_WRAPPER = "urn:stuf-fin:namespace-wrapper:"
_XS_INCLUDE = f"{{{XS}}}include"
_XS_IMPORT = f"{{{XS}}}import"
_XS_REDEFINE = f"{{{XS}}}redefine"


class SchemaLoadError(StufFinError):
    """The schema folder is missing, incomplete or does not compile."""


@dataclass(frozen=True)
class SchemaSource:
    """Where the compiled schema came from, and which VNG release it is.

    :meth:`describe` is the one text naming the schema set in use (start-up log, ``stuf-fin config check``,
    ``/ready``, ``stuf-fin validate --json``); :meth:`labels` the same facts for the ``stuf_fin_schema_info``
    metric.
    """

    kind: str  # "builtin" or "official"
    path: Path
    release: str | None = None  # VNG release: the one the built-in set follows, or recognised from the headers
    patch: int | None = None  # StUF patch level (the highest StUF:patch in the headers)
    patch_date: str | None = None  # YYYY-MM-DD

    @classmethod
    def builtin(cls, folder: Path) -> SchemaSource:
        return cls("builtin", folder, BUILTIN_RELEASE, BUILTIN_PATCH)

    @classmethod
    def official(cls, folder: Path, facts: HeaderFacts) -> SchemaSource:
        return cls("official", folder, recognise_release(facts), facts.patch, facts.patch_date)

    @property
    def release_label(self) -> str:
        return self.release or UNKNOWN

    @property
    def patch_label(self) -> str:
        return str(self.patch) if self.patch is not None else UNKNOWN

    def describe(self) -> str:
        """E.g. ``builtin (/app/xsd): follows VNG release 1.00.04 (StUF patch 27)`` or
        ``official (/srv/vng-1.00.03): VNG release 1.00.03, StUF patch 24 of 2016-04-01``."""
        patch = f"StUF patch {self.patch_label}" + (f" of {self.patch_date}" if self.patch_date else "")
        if self.kind == "builtin":
            return f"{self.kind} ({self.path}): follows VNG release {self.release_label} ({patch})"
        if self.kind == "official":
            return f"{self.kind} ({self.path}): VNG release {self.release_label}, {patch}"
        return f"{self.kind} ({self.path})"

    def labels(self) -> dict[str, str]:
        """``kind``, ``path``, ``release`` and ``patch`` ("unknown" when the headers do not say)."""
        return {"kind": self.kind, "path": str(self.path), "release": self.release_label, "patch": self.patch_label}


def builtin_dir() -> Path:
    """Our own schema folder: ``stuf_fin/xsd`` in a wheel, ``<repo>/xsd`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "xsd", package.parent / "xsd"):
        if (candidate / BUILTIN_ENTRY).is_file():
            return candidate
    raise SchemaLoadError(f"built-in schemas not found (looked for {BUILTIN_ENTRY} in {package / 'xsd'} "
                          f"and {package.parent / 'xsd'})")


#: libxml2 cannot compile two schema sets at the same time (both fail with "not valid XML Schema").
_COMPILING = threading.Lock()


def load(schema_dir: str | Path | None = None, *, envelope: bool = False) -> tuple[etree.XMLSchema, SchemaSource]:
    """Compile the built-in set, or the official release in ``schema_dir`` (one compilation at a time); with
    ``envelope``, plus the SOAP Envelope of :data:`ENVELOPE_SCHEMA` (the same set validates bare messages too)."""
    if schema_dir is None:
        source = SchemaSource.builtin(builtin_dir())
        if envelope:
            return load_envelope(source), source
        with _COMPILING:
            return _compile_builtin(source.path), source
    folder = Path(schema_dir).resolve()
    with _COMPILING:
        release = OfficialRelease(folder)
        return release.compile(envelope=envelope), SchemaSource.official(folder, release.headers)


def _compile_builtin(folder: Path) -> etree.XMLSchema:
    entry = folder / BUILTIN_ENTRY
    try:
        doc = etree.parse(str(entry), _schema_parser())
        return etree.XMLSchema(doc)
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise SchemaLoadError(f"built-in schemas in {folder} do not compile: {exc}") from exc


def _schema_parser(resolver: etree.Resolver | None = None) -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    if resolver is not None:
        parser.resolvers.add(resolver)
    return parser


class OfficialRelease:
    """An official VNG StUF-FIN release folder (the layout of ``vng-1.00.03`` and ``vng-1.00.04``)."""

    def __init__(self, folder: Path):
        self.folder = folder
        if not folder.is_dir():
            raise SchemaLoadError(f"schema folder {folder} does not exist")
        entry = folder / OFFICIAL_ENTRY
        if not entry.is_file():
            raise SchemaLoadError(
                f"{folder} is not a StUF-FIN release folder: {OFFICIAL_ENTRY} is missing"
            )
        roots: list[etree._Element] = []
        self.files = self._closure(entry, roots)  # path -> targetNamespace
        self.headers = read_header(roots)
        self.by_namespace: dict[str, list[Path]] = {}
        for path, namespace in self.files.items():
            self.by_namespace.setdefault(namespace, []).append(path)
        self._check_message_elements()

    def _closure(self, entry: Path, roots: list[etree._Element]) -> dict[Path, str]:
        files: dict[Path, str] = {}
        todo: list[tuple[Path, Path | None]] = [(entry, None)]
        while todo:
            path, referrer = todo.pop()
            path = Path(_normalise(path))
            if path in files:
                continue
            if not path.is_file():
                rel = _rel(path, self.folder)
                by = f" (referenced from {_rel(referrer, self.folder)})" if referrer else ""
                raise SchemaLoadError(f"schema release in {self.folder} is incomplete: {rel} is missing{by}")
            try:
                root = etree.parse(str(path), _schema_parser()).getroot()
            except etree.XMLSyntaxError as exc:
                raise SchemaLoadError(f"{_rel(path, self.folder)} is not well-formed XML: {exc}") from exc
            files[path] = root.get("targetNamespace", "")
            roots.append(root)
            for child in root:
                location = child.get("schemaLocation")
                if child.tag in (_XS_INCLUDE, _XS_IMPORT, _XS_REDEFINE) and location:
                    todo.append((path.parent / location, path))
        return files

    def _check_message_elements(self) -> None:
        declared: set[tuple[str, str | None]] = set()
        for path, namespace in self.files.items():
            if namespace in (FIN, STUF):
                root = etree.parse(str(path), _schema_parser()).getroot()
                declared.update((namespace, el.get("name")) for el in root.iterchildren(f"{{{XS}}}element"))
        missing = [f"{{{ns}}}{name}" for ns, name in MESSAGE_ELEMENTS if (ns, name) not in declared]
        if missing:
            raise SchemaLoadError(f"schema release in {self.folder} does not declare: {', '.join(missing)}")

    def wrapper_url(self, namespace: str) -> str:
        return _WRAPPER + urllib.parse.quote(namespace, safe="")

    def wrapper_document(self, namespace: str) -> str:
        """One schema document that includes every file of ``namespace``."""
        includes = "".join(f'<xs:include schemaLocation="{p.as_uri()}"/>' for p in self.by_namespace[namespace])
        return f'<xs:schema xmlns:xs="{XS}" targetNamespace="{namespace}">{includes}</xs:schema>'

    def rewritten_document(self, path: Path) -> bytes:
        """A release file with every ``xs:import`` pointed at its namespace wrapper."""
        tree = etree.parse(str(path), _schema_parser())
        for imp in tree.getroot().iterchildren(_XS_IMPORT):
            imp.set("schemaLocation", self.wrapper_url(imp.get("namespace", "")))
        return etree.tostring(tree)

    def compile(self, envelope: bool = False) -> etree.XMLSchema:
        """The release's schema set; with ``envelope``, plus the SOAP Envelope of :data:`ENVELOPE_SCHEMA`."""
        release = self

        class Resolver(etree.Resolver):
            def resolve(self, url: str | None, pubid: str | None, context: object) -> _InputDocument | None:
                if url is None:
                    return None
                if url == ENVELOPE_URL:
                    return self.resolve_string(ENVELOPE_SCHEMA, context, base_url=url)
                if url.startswith(_WRAPPER):
                    namespace = urllib.parse.unquote(url[len(_WRAPPER):])
                    if namespace not in release.by_namespace:
                        return None
                    return self.resolve_string(release.wrapper_document(namespace), context, base_url=url)
                path = Path(_normalise(urllib.parse.unquote(url.removeprefix("file://"))))
                if path in release.files:
                    return self.resolve_string(release.rewritten_document(path), context,
                                               base_url=path.as_uri())
                return None

        imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{self.wrapper_url(ns)}"/>'
                          for ns in (FIN, STUF))
        if envelope:
            imports += _ENVELOPE_IMPORT
        top = f'<xs:schema xmlns:xs="{XS}">{imports}</xs:schema>'.encode()
        try:
            doc = etree.fromstring(top, _schema_parser(Resolver()), base_url=(self.folder / "_top.xsd").as_uri())
            return etree.XMLSchema(etree.ElementTree(doc))
        except etree.XMLSchemaParseError as exc:
            raise SchemaLoadError(f"schema release in {self.folder} does not compile: {exc}") from exc


def _normalise(path: Path | str) -> str:
    return os.path.normpath(str(path))


def _rel(path: Path | None, folder: Path) -> str:
    try:
        return str(Path(path).relative_to(folder)) if path else "?"
    except ValueError:
        return str(path)


# -- the whole request at once (streaming validation) ------------------------------------------------------

ENVELOPE_URL = "urn:stuf-fin:soap-envelope"
#: A SOAP 1.1 Envelope whose Body holds exactly one globally declared message element, validated strictly;
#: the Header's content and namespace-qualified elements after the Body (SOAP 1.1 §4) are not validated.
#: Compiled with the message schemas, it validates a whole request
#: while it is parsed (``etree.iterparse(..., schema=...)``), without a tree of the whole message.
ENVELOPE_SCHEMA = f"""<xs:schema xmlns:xs="{XS}" targetNamespace="{SOAP_ENV}" elementFormDefault="qualified">
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element name="Header" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:any namespace="##any" processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:anyAttribute namespace="##any" processContents="skip"/></xs:complexType></xs:element>
    <xs:element name="Body"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict"/></xs:sequence>
      <xs:anyAttribute namespace="##any" processContents="skip"/></xs:complexType></xs:element>
    <xs:any namespace="##other" processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence><xs:anyAttribute namespace="##any" processContents="skip"/></xs:complexType></xs:element>
</xs:schema>"""
_ENVELOPE_IMPORT = f'<xs:import namespace="{SOAP_ENV}" schemaLocation="{ENVELOPE_URL}"/>'


def load_envelope(source: SchemaSource) -> etree.XMLSchema:
    """The schema set of ``source`` plus :data:`ENVELOPE_SCHEMA` (compiled once per process by the caller)."""
    with _COMPILING:
        if source.kind == "official":
            return OfficialRelease(source.path).compile(envelope=True)

        class Resolver(etree.Resolver):
            def resolve(self, url: str | None, pubid: str | None, context: object) -> _InputDocument | None:
                return self.resolve_string(ENVELOPE_SCHEMA, context, base_url=url) if url == ENVELOPE_URL else None

        entry = (source.path / BUILTIN_ENTRY).as_uri()
        top = f'<xs:schema xmlns:xs="{XS}"><xs:import namespace="{FIN}" schemaLocation="{entry}"/>' \
              f'{_ENVELOPE_IMPORT}</xs:schema>'
        try:
            doc = etree.fromstring(top.encode(), _schema_parser(Resolver()),
                                   base_url=(source.path / "_envelope.xsd").as_uri())
            return etree.XMLSchema(etree.ElementTree(doc))
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            raise SchemaLoadError(f"schemas in {source.path} do not compile with a SOAP envelope: {exc}") from exc
