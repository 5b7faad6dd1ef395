"""Frictionless Data Packages (v2) for a day folder and for the bulk dataset.

Every resource carries its path (relative to the descriptor), size in bytes, ``sha256:`` hash
and media type; tabular files carry the Table Schema generated from the data dictionary
(``publication.dictionary``). CSV files are ``type: table`` and are validated row by row by
``frictionless validate``; Parquet, JSON, JSON Lines and XLSX files are ``type: file`` (size
and hash checked) because frictionless reads Parquet without counting its bytes, so a
``table`` Parquet resource with ``bytes`` never validates. The Parquet resources still carry
their Table Schema, and the same rows are in the CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from messages import text
from publication.dictionary import Lang, Table
from settings import Identity

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
KEYWORDS = ("OCDS", "compras públicas", "acuerdos marco", "PERÚ COMPRAS", "datos abiertos")


@dataclass(frozen=True)
class PackageInfo:
    """Package-level metadata (from the identity settings)."""

    name: str
    title: str
    description: str
    license_url: str
    license_id: str
    license_title: str
    publisher: str
    homepage: str
    created: str
    path: str  # where the datapackage.json is published, from the base URL (its id is that URL)
    keywords: tuple[str, ...] = KEYWORDS
    lang: Lang = "es"


@dataclass(frozen=True)
class FileResource:
    """One file of a package: where it is, what it is, its size and digest."""

    path: str
    name: str
    title: str
    media_type: str
    format: str
    bytes: int
    sha256: str
    table: Table | None = None
    description: str = ""

    def descriptor(self, lang: Lang = "es") -> dict[str, Any]:
        """The Frictionless resource descriptor."""
        csv = self.format == "csv"
        out: dict[str, Any] = {
            "name": self.name,
            "path": self.path,
            "title": self.title,
            "type": "table" if csv and self.table is not None else "file",
            "format": self.format,
            "mediatype": self.media_type,
            "bytes": self.bytes,
            "hash": f"sha256:{self.sha256}",
        }
        if csv:
            out["encoding"] = "utf-8"
            out["dialect"] = {"header": True, "delimiter": ",", "quoteChar": '"'}
        if self.table is not None:
            out["schema"] = self.table.table_schema(lang, csv=csv)
            if self.format == "parquet":
                out["description"] = text("datapackage.parquet_note", lang)
        if self.description:
            out["description"] = self.description
        return out


def resource_name(path: str) -> str:
    """A lowercase resource name from a file path (valid in Data Package v1 and v2)."""
    name = path.lower().replace("/", "-")
    return "".join(ch if ch.isalnum() or ch in "-._" else "-" for ch in name)


def package_descriptor(info: PackageInfo, resources: Iterable[FileResource]) -> dict[str, Any]:
    """The ``datapackage.json`` object (resources in the given order)."""
    descriptor: dict[str, Any] = {
        "$schema": PROFILE,
        "name": info.name,
        "id": f"{info.homepage}/{info.path}",
        "title": info.title,
        "description": info.description,
        "homepage": info.homepage,
        "created": info.created,
        "licenses": [
            {"name": info.license_id, "path": info.license_url, "title": info.license_title}
        ],
        "contributors": [{"title": info.publisher, "roles": ["publisher"]}],
        "resources": [resource.descriptor(info.lang) for resource in resources],
    }
    if info.keywords:
        descriptor["keywords"] = list(info.keywords)
    return descriptor


def descriptor_bytes(descriptor: dict[str, Any]) -> bytes:
    """The bytes written to disk: indented, keys sorted (deterministic), final newline."""
    return orjson.dumps(descriptor, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def check_unique_names(resources: Sequence[FileResource]) -> None:
    """Resource names must be unique within a package."""
    seen: set[str] = set()
    for resource in resources:
        if resource.name in seen:
            raise ValueError(f"resource name {resource.name!r} appears twice")
        seen.add(resource.name)


def package_info(
    identity: Identity,
    *,
    name: str,
    path: str,
    title: str,
    description: str,
    created: str,
    lang: Lang,
) -> PackageInfo:
    """Package metadata from the identity settings (licence id and title as catalogues name
    them)."""
    from ocds_mappings.packaging import licence_of

    licence = licence_of(identity.license)
    return PackageInfo(
        name=name,
        title=title,
        description=description,
        license_url=licence.url,
        license_id=licence.id,
        license_title=licence.title,
        publisher=identity.publisher_name,
        homepage=identity.base_url,
        created=created,
        path=path,
        lang=lang,
    )
