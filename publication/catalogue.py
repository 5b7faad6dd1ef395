"""Portal catalogue entries for the published days: DCAT-AP JSON-LD and a CKAN package.

``catalog.jsonld`` (DCAT-AP 3 in JSON-LD: one ``dcat:Catalog`` holding one ``dcat:Dataset``
with a ``dcat:Distribution`` per published day and format) is what DCAT harvesters read;
``catalog.json`` mirrors a CKAN ``package_show`` answer (resources with ``hash`` and
``hash_algorithm`` as ckanext-dcat names them) for CKAN portals such as datosabiertos.gob.pe.
Both are built only from ``index.json`` and the day manifests, so the same published days
always give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from integrity.manifest import Manifest, ManifestError, load_manifest
from ocds_mappings.packaging import licence_of
from publication.atomic import write_atomic
from settings import Identity

CATALOGUE_JSONLD = "catalog.jsonld"
CATALOGUE_CKAN = "catalog.json"

DCAT_CONTEXT: dict[str, Any] = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcat:accessURL": {"@type": "@id"},
    "dcat:downloadURL": {"@type": "@id"},
    "dcat:landingPage": {"@type": "@id"},
    "dcat:byteSize": {"@type": "xsd:nonNegativeInteger"},
    "dcat:startDate": {"@type": "xsd:date"},
    "dcat:endDate": {"@type": "xsd:date"},
    "dct:issued": {"@type": "xsd:dateTime"},
    "dct:modified": {"@type": "xsd:dateTime"},
    "dct:license": {"@type": "@id"},
    "dct:conformsTo": {"@type": "@id"},
    "dct:language": {"@type": "@id"},
    "dct:accrualPeriodicity": {"@type": "@id"},
    "dcat:theme": {"@type": "@id"},
    "dct:format": {"@type": "@id"},
    "spdx:algorithm": {"@type": "@id"},
    "spdx:checksumValue": {"@type": "xsd:hexBinary"},
}

EU_AUTHORITY = "http://publications.europa.eu/resource/authority"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types"
OCDS_SCHEMA = "https://standard.open-contracting.org/schema/1__1__5"
SHA256_ALGORITHM = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"

TITLE = "Órdenes de compra de los Catálogos Electrónicos de Acuerdos Marco (PERÚ COMPRAS)"
DESCRIPTION = (
    "Órdenes de compra electrónicas (OCAM) emitidas a través de los Catálogos Electrónicos "
    "de Acuerdos Marco de PERÚ COMPRAS, publicadas por día (America/Lima) como entregas "
    "OCDS 1.1.5 (paquete JSON y JSON Lines), y como tabla plana en Parquet y CSV con montos "
    "exactos. Cada día incluye un manifiesto con el SHA-256 de cada archivo y la raíz Merkle "
    "de sus entregas, anclada en una cadena de bloques; cualquiera puede comprobarlo con el "
    "comando verificar. Las filas que no superan las reglas de calidad se publican aparte, "
    "en cuarentena, con el motivo."
)
KEYWORDS = (
    "acuerdos marco",
    "catálogos electrónicos",
    "compras públicas",
    "contrataciones públicas",
    "datos abiertos",
    "OCDS",
    "órdenes de compra",
    "PERÚ COMPRAS",
)


@dataclass(frozen=True)
class DistributionKind:
    """One published format of a day that becomes a catalogue distribution."""

    kind: str
    label: str
    ckan_format: str
    eu_file_type: str | None
    iana_registered: bool
    conforms_to: str | None


DISTRIBUTION_KINDS = (
    DistributionKind(
        layout.RELEASE_PACKAGE,
        "paquete de entregas OCDS (JSON)",
        "JSON",
        "JSON",
        True,
        f"{OCDS_SCHEMA}/release-package-schema.json",
    ),
    DistributionKind(
        layout.RELEASES_JSONL,
        "entregas OCDS, una por línea (JSON Lines; hojas del árbol Merkle)",
        "JSONL",
        None,
        False,
        f"{OCDS_SCHEMA}/release-schema.json",
    ),
    DistributionKind(
        layout.ORDERS_PARQUET,
        "órdenes de compra (Parquet, montos en céntimos)",
        "Parquet",
        "PARQUET",
        True,
        None,
    ),
    DistributionKind(layout.ORDERS_CSV, "órdenes de compra (CSV)", "CSV", "CSV", True, None),
)


class CatalogueError(ValueError):
    """The published days cannot be described (missing or inconsistent index or manifest)."""


@dataclass(frozen=True)
class PublishedFile:
    """One distribution: a day's file as listed in its manifest."""

    day: str
    issued: str
    folder: str
    spec: DistributionKind
    name: str
    sha256: str
    size: int
    media_type: str

    def download_url(self, base_url: str) -> str:
        """Where the portal's users download the file."""
        return f"{base_url}/{self.folder}/{self.name}"


def _published_days(root: Path, dataset: str) -> list[tuple[dict[str, Any], Manifest]]:
    """Index entries of ``dataset`` with their manifests, oldest first, cross-checked."""
    index_path = root / layout.INDEX_FILE
    try:
        index = orjson.loads(index_path.read_bytes())
    except FileNotFoundError:
        raise CatalogueError(
            f"{index_path}: missing; publish at least one day (publication.writer.write_day) first"
        ) from None
    except orjson.JSONDecodeError as error:
        raise CatalogueError(f"{index_path}: not valid JSON ({error})") from error
    if index.get("dataset") != dataset:
        raise CatalogueError(
            f"{index_path}: lists dataset {index.get('dataset')!r}, not {dataset!r}; "
            "pass the dataset this datasets root publishes"
        )
    days: list[tuple[dict[str, Any], Manifest]] = []
    for entry in sorted(index.get("days", []), key=lambda e: e["date"]):
        manifest_path = root / entry["folder"] / entry["manifest"]
        try:
            manifest = load_manifest(manifest_path)
        except ManifestError as error:
            raise CatalogueError(str(error)) from error
        if manifest.sha256 != entry["manifestSha256"]:
            raise CatalogueError(
                f"{manifest_path}: SHA-256 {manifest.sha256} differs from {layout.INDEX_FILE} "
                f"({entry['manifestSha256']}); rebuild the index (publication.writer.update_index)"
            )
        days.append((entry, manifest))
    return days


def _files(entry: dict[str, Any], manifest: Manifest) -> Iterator[PublishedFile]:
    listed = manifest.files
    for spec in DISTRIBUTION_KINDS:
        name = layout.DayLayout(Path("."), manifest.dataset, manifest.day).name(spec.kind)
        if name not in listed:
            raise CatalogueError(
                f"{entry['folder']}/{entry['manifest']}: does not list {name}; "
                "republish the day with every format"
            )
        file = listed[name]
        yield PublishedFile(
            day=manifest.data["date"],
            issued=str(manifest.data["cutoff"]),
            folder=entry["folder"],
            spec=spec,
            name=name,
            sha256=str(file["sha256"]),
            size=int(file["bytes"]),
            media_type=str(file["mediaType"]),
        )


def _es(text: str) -> dict[str, str]:
    return {"@language": "es", "@value": text}


# Who issues the identifiers of a publisher scheme (only the ones this project meets).
SCHEME_AUTHORITIES = {"PE-RUC": "SUNAT (RUC)"}


def _publisher(identity: Identity) -> dict[str, Any]:
    identifier: dict[str, Any] = {
        "@type": "adms:Identifier",
        "skos:notation": identity.publisher_uid,
    }
    if identity.publisher_scheme in SCHEME_AUTHORITIES:
        identifier["dct:creator"] = SCHEME_AUTHORITIES[identity.publisher_scheme]
    publisher: dict[str, Any] = {
        "@type": "foaf:Organization",
        "foaf:name": identity.publisher_name,
        "dct:identifier": f"{identity.publisher_scheme}-{identity.publisher_uid}",
        "adms:identifier": identifier,
    }
    if identity.publisher_uri:
        publisher["@id"] = identity.publisher_uri
    return publisher


def _contact(identity: Identity) -> dict[str, Any]:
    contact: dict[str, Any] = {"@type": "vcard:Organization", "vcard:fn": identity.publisher_name}
    if identity.publisher_uri:
        contact["vcard:hasURL"] = {"@id": identity.publisher_uri}
    return contact


def _distribution(file: PublishedFile, base_url: str, licence: str) -> dict[str, Any]:
    spec = file.spec
    url = file.download_url(base_url)
    distribution: dict[str, Any] = {
        "@id": f"{url}#distribucion",
        "@type": "dcat:Distribution",
        "dct:title": _es(f"{file.day}: {spec.label}"),
        "dcat:accessURL": f"{base_url}/{file.folder}/",
        "dcat:downloadURL": url,
        "dcat:byteSize": str(file.size),
        "dct:issued": file.issued,
        "dct:license": licence,
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": SHA256_ALGORITHM,
            "spdx:checksumValue": file.sha256,
        },
    }
    if spec.iana_registered:
        distribution["dcat:mediaType"] = {"@id": f"{IANA_MEDIA_TYPES}/{file.media_type}"}
    else:
        # Not (yet) registered with IANA: kept as a literal rather than a made-up IANA IRI.
        distribution["dcat:mediaType"] = file.media_type
    if spec.eu_file_type:
        distribution["dct:format"] = f"{EU_AUTHORITY}/file-type/{spec.eu_file_type}"
    if spec.conforms_to:
        distribution["dct:conformsTo"] = spec.conforms_to
    return distribution


def _temporal(days: list[str]) -> dict[str, Any]:
    return {"@type": "dct:PeriodOfTime", "dcat:startDate": days[0], "dcat:endDate": days[-1]}


@dataclass(frozen=True)
class Snapshot:
    """The published days of a dataset and their catalogued files, oldest first."""

    dataset: str
    days: list[str]
    files: list[PublishedFile]


def snapshot(root: Path, dataset: str) -> Snapshot:
    """Read ``index.json`` and every listed manifest once."""
    published = _published_days(root, dataset)
    files = [file for entry, manifest in published for file in _files(entry, manifest)]
    return Snapshot(dataset, [manifest.data["date"] for _, manifest in published], files)


def build_dcat(snap: Snapshot, *, identity: Identity) -> dict[str, Any]:
    """The DCAT-AP JSON-LD catalogue of every published day of a dataset."""
    base_url, licence = identity.base_url, identity.license
    dataset, days, files = snap.dataset, snap.days, snap.files
    modified = max((file.issued for file in files), default=None)
    dataset_node: dict[str, Any] = {
        "@id": f"{base_url}/{dataset}",
        "@type": "dcat:Dataset",
        "dct:identifier": dataset,
        "dct:title": _es(TITLE),
        "dct:description": _es(DESCRIPTION),
        "dct:publisher": _publisher(identity),
        "dct:license": licence,
        "dct:language": f"{EU_AUTHORITY}/language/SPA",
        "dct:accrualPeriodicity": f"{EU_AUTHORITY}/frequency/DAILY",
        "dcat:theme": f"{EU_AUTHORITY}/data-theme/GOVE",
        "dcat:keyword": [_es(keyword) for keyword in KEYWORDS],
        "dcat:landingPage": f"{base_url}/",
        "dcat:contactPoint": _contact(identity),
        "dcat:distribution": [_distribution(file, base_url, licence) for file in files],
    }
    if days:
        dataset_node["dct:temporal"] = _temporal(days)
    if modified:
        dataset_node["dct:modified"] = modified
    catalogue: dict[str, Any] = {
        "@context": DCAT_CONTEXT,
        "@id": f"{base_url}/{CATALOGUE_JSONLD}",
        "@type": "dcat:Catalog",
        "dct:title": _es("Datos abiertos verificables de PERÚ COMPRAS"),
        "dct:description": _es(
            "Catálogo de los conjuntos de datos abiertos publicados a partir de los Catálogos "
            "Electrónicos de Acuerdos Marco de PERÚ COMPRAS."
        ),
        "dct:publisher": _publisher(identity),
        "dct:license": licence,
        "dct:language": f"{EU_AUTHORITY}/language/SPA",
        "foaf:homepage": {"@id": f"{base_url}/"},
        "dcat:dataset": [dataset_node],
    }
    if modified:
        catalogue["dct:modified"] = modified
    return catalogue


def build_ckan(snap: Snapshot, *, identity: Identity) -> dict[str, Any]:
    """A CKAN ``package_show``-shaped answer describing a dataset and its day files."""
    base_url, licence = identity.base_url, licence_of(identity.license)
    name = identity.publisher_name
    dataset, days, files = snap.dataset, snap.days, snap.files
    modified = max((file.issued for file in files), default="")
    extras = {
        "publisher_name": name,
        "publisher_identifier": f"{identity.publisher_scheme}-{identity.publisher_uid}",
        "publisher_uri": identity.publisher_uri or "",
        "language": "es",
        "frequency": f"{EU_AUTHORITY}/frequency/DAILY",
        "temporal_start": days[0] if days else "",
        "temporal_end": days[-1] if days else "",
        "conforms_to": "OCDS 1.1.5",
        "dcat_catalog": f"{base_url}/{CATALOGUE_JSONLD}",
    }
    package = {
        "name": dataset,
        "title": TITLE,
        "notes": DESCRIPTION,
        "url": f"{base_url}/",
        "license_id": licence.id,
        "license_title": licence.title,
        "license_url": licence.url,
        "author": name,
        "maintainer": name,
        "organization": {"name": identity.publisher_uid, "title": name},
        "metadata_modified": modified,
        "num_resources": len(files),
        "num_tags": len(KEYWORDS),
        "tags": [{"name": keyword} for keyword in KEYWORDS],
        "extras": [{"key": key, "value": value} for key, value in sorted(extras.items())],
        "resources": [
            {
                "id": file.name,
                "name": f"{file.day}: {file.spec.label}",
                "url": file.download_url(base_url),
                "format": file.spec.ckan_format,
                "mimetype": file.media_type,
                "size": file.size,
                "hash": file.sha256,
                "hash_algorithm": SHA256_ALGORITHM,
                "created": file.issued,
                "license": licence.url,
            }
            for file in files
        ],
    }
    return {
        "help": "package_show: generated from index.json and the day manifests",
        "success": True,
        "result": package,
    }


def _json_bytes(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def write_catalogue(root: Path, dataset: str, *, identity: Identity) -> list[Path]:
    """Write ``catalog.jsonld`` and ``catalog.json`` at the datasets root (atomically).

    Every URL in them starts with ``identity.base_url``, like the packages' own URLs.
    """
    root = Path(root)
    snap = snapshot(root, dataset)
    outputs = {
        root / CATALOGUE_JSONLD: _json_bytes(build_dcat(snap, identity=identity)),
        root / CATALOGUE_CKAN: _json_bytes(build_ckan(snap, identity=identity)),
    }
    for path, data in outputs.items():
        write_atomic(path, data)
    return list(outputs)
