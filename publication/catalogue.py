"""Harvesting catalogues of the published files: DCAT-US 1.1, DCAT-AP and a CKAN answer.

One catalogue dataset per kind of file (OCDS packages, flat table, quarantine, quality,
manifests and anchors, and the bulk dataset's kinds when they exist), never one dataset per
day and never one dataset that grows by a distribution per file forever:

- ``data.json`` (DCAT-US 1.1, what DKAN and the national portal's ``/data.json`` read),
- ``catalog.jsonld`` (DCAT-AP in JSON-LD, what ckanext-dcat's RDF harvester reads),
- ``catalog.json`` (a CKAN ``package_search`` answer with CKAN licence ids).

Why bounded windows: ckanext-dcat matches datasets by URI/``dct:identifier`` and deletes what
a catalogue no longer lists, matches resources by distribution URI, and refuses catalogues
over 50 MB; CKAN keeps every resource of a dataset in one package document. So each dataset
keeps a stable identifier forever (a dataset never vanishes: identifiers of an earlier
catalogue are carried over) and lists the files of its latest ``WINDOW_DAYS`` days (and
``WINDOW_MONTHS`` months of monthly files, every yearly/full/latest file); every older file
stays at its URL, listed in ``index.json``, the change feed and the portal's month pages.
Everything is built in memory from the resource list and written only when all three
catalogues are complete (a partial catalogue would delete datasets downstream).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from messages import has, text
from publication import mediatypes
from publication.atomic import write_atomic
from publication.listing import (
    KIND_BULK,
    KIND_DICTIONARY,
    KIND_INDICATORS,
    KIND_OCDS,
    KIND_QUALITY,
    KIND_QUARANTINE,
    KIND_TABLE,
    KIND_VERIFICATION,
    OCDS_SCHEMA,
    ListingError,
    Resource,
    day_resources,
    published_days,
)
from settings import EXAMPLE_CONTACT_EMAIL, Identity

DATA_JSON = "data.json"
CATALOGUE_JSONLD = "catalog.jsonld"
CATALOGUE_CKAN = "catalog.json"
CATALOGUE_FILES = (DATA_JSON, CATALOGUE_JSONLD, CATALOGUE_CKAN)
WINDOW_DAYS = 31
WINDOW_MONTHS = 24
KIND_ORDER = (
    KIND_OCDS,
    KIND_TABLE,
    KIND_BULK,
    KIND_QUARANTINE,
    KIND_QUALITY,
    KIND_VERIFICATION,
    KIND_DICTIONARY,
    KIND_INDICATORS,
)
KIND_CONFORMS_TO = {KIND_OCDS: f"{OCDS_SCHEMA}/release-package-schema.json"}
LANG = "es"  # published catalogues are Spanish (a published file never mixes languages)

POD_CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
POD_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
POD_DESCRIBED_BY = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
EU_AUTHORITY = "http://publications.europa.eu/resource/authority"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types"
SHA256_ALGORITHM = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"

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
    "dct:conformsTo": {"@type": "@id"},
    "dct:language": {"@type": "@id"},
    "dct:accrualPeriodicity": {"@type": "@id"},
    "dcat:theme": {"@type": "@id"},
    "dct:format": {"@type": "@id"},
    "spdx:algorithm": {"@type": "@id"},
    "spdx:checksumValue": {"@type": "xsd:hexBinary"},
}


@dataclass(frozen=True)
class CkanLicence:
    """A licence as CKAN's default register names it."""

    id: str
    title: str
    register_url: str


_OPENDEFINITION = "http://www.opendefinition.org/licenses"
# Licence URL prefix -> CKAN default register entry (ckan/model/license.py).
CKAN_LICENCES = (
    (
        "https://creativecommons.org/licenses/by/",
        CkanLicence("cc-by", "Creative Commons Attribution", f"{_OPENDEFINITION}/cc-by"),
    ),
    (
        "https://creativecommons.org/licenses/by-sa/",
        CkanLicence(
            "cc-by-sa", "Creative Commons Attribution Share-Alike", f"{_OPENDEFINITION}/cc-by-sa"
        ),
    ),
    (
        "https://creativecommons.org/publicdomain/zero/",
        CkanLicence("cc-zero", "Creative Commons CCZero", f"{_OPENDEFINITION}/cc-zero"),
    ),
    (
        "https://opendatacommons.org/licenses/by/",
        CkanLicence("odc-by", "Open Data Commons Attribution License", f"{_OPENDEFINITION}/odc-by"),
    ),
    (
        "https://opendatacommons.org/licenses/odbl/",
        CkanLicence(
            "odc-odbl",
            "Open Data Commons Open Database License (ODbL)",
            f"{_OPENDEFINITION}/odc-odbl",
        ),
    ),
    (
        "https://opendatacommons.org/licenses/pddl/",
        CkanLicence(
            "odc-pddl",
            "Open Data Commons Public Domain Dedication and License (PDDL)",
            f"{_OPENDEFINITION}/odc-pddl",
        ),
    ),
)
NOT_SPECIFIED = CkanLicence("notspecified", "License not specified", "")


def ckan_licence(url: str) -> CkanLicence:
    """The CKAN register entry of a licence URL (``notspecified`` when unknown)."""
    normalised = url.replace("http://", "https://", 1)
    for prefix, licence in CKAN_LICENCES:
        if normalised.startswith(prefix):
            return licence
    return NOT_SPECIFIED


class CatalogueError(ValueError):
    """The published days cannot be described (missing or inconsistent index or manifest)."""


@dataclass(frozen=True)
class CatalogueDataset:
    """One catalogue dataset: every resource of one kind, and the window it lists."""

    identifier: str
    kind: str
    resources: tuple[Resource, ...]
    listed: tuple[Resource, ...]

    def text(self, part: str, lang: str = LANG) -> str:
        """Its ``name``, ``title`` (publication: name) or ``description`` in ``lang``."""
        if part == "title":
            return text(
                "kind.title",
                lang,
                publication=text("kind.publication", lang),
                name=self.text("name", lang),
            )
        known = f"kind.{self.kind}.{part}"
        if has(known):
            return text(known, lang)
        return text(f"kind.other.{part}", lang, kind=self.kind)

    @property
    def modified(self) -> str | None:
        """Latest publication time of any of its files."""
        return max((r.issued for r in self.resources if r.issued), default=None)

    @property
    def issued(self) -> str | None:
        """Earliest publication time of any of its files."""
        return min((r.issued for r in self.resources if r.issued), default=None)

    @property
    def coverage(self) -> tuple[str, str] | None:
        """First and last calendar day its files cover."""
        bounds = [b for r in self.resources if (b := _period_bounds(r.period)) is not None]
        if not bounds:
            return None
        return min(b[0] for b in bounds), max(b[1] for b in bounds)

    def landing_page(self, base_url: str) -> str:
        """The portal section that describes it (also its URI)."""
        return f"{base_url}/#{self.identifier}"


def _period_bounds(period: str) -> tuple[str, str] | None:
    parts = period.split("-")
    if not all(p.isdigit() for p in parts):
        return None
    if len(parts) == 3:
        return period, period
    if len(parts) == 2:
        year, month = int(parts[0]), int(parts[1])
        return f"{period}-01", f"{period}-{calendar.monthrange(year, month)[1]:02d}"
    if len(parts) == 1 and len(period) == 4:
        return f"{period}-01-01", f"{period}-12-31"
    return None


def _window(resources: Sequence[Resource]) -> tuple[Resource, ...]:
    """The latest WINDOW_DAYS days and WINDOW_MONTHS months, and every other period."""
    by_granularity: dict[str, set[str]] = defaultdict(set)
    for resource in resources:
        by_granularity[resource.granularity].add(resource.period)
    keep: set[str] = set()
    for granularity, periods in by_granularity.items():
        limit = {"day": WINDOW_DAYS, "month": WINDOW_MONTHS}.get(granularity)
        ordered = sorted(periods)
        keep.update(ordered[-limit:] if limit else ordered)
    listed = [r for r in resources if r.period in keep]
    return tuple(sorted(listed, key=lambda r: (r.period, r.path), reverse=True))


def catalogue_datasets(dataset: str, resources: Iterable[Resource]) -> list[CatalogueDataset]:
    """Group the resources into one catalogue dataset per kind, in a fixed order."""
    by_kind: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        by_kind[resource.kind].append(resource)
    order = {kind: position for position, kind in enumerate(KIND_ORDER)}
    kinds = sorted(by_kind, key=lambda kind: (order.get(kind, len(order)), kind))
    return [
        CatalogueDataset(
            identifier=f"{dataset}-{kind}",
            kind=kind,
            resources=tuple(by_kind[kind]),
            listed=_window(by_kind[kind]),
        )
        for kind in kinds
    ]


def _keywords(lang: str = LANG) -> list[str]:
    return text("catalogue.keywords", lang).split(";")


def _file_description(resource: Resource) -> str:
    return text(
        "catalogue.file_description",
        LANG,
        title=resource.title(LANG),
        size=resource.size,
        sha256=resource.sha256,
    )


def _description(entry: CatalogueDataset, base_url: str) -> str:
    description = entry.text("description")
    if len(entry.listed) < len(entry.resources):
        window = text(
            "catalogue.window", LANG, days=WINDOW_DAYS, index_url=f"{base_url}/{layout.INDEX_FILE}"
        )
        description = f"{description} {window}"
    return description


# --- DCAT-US 1.1 (data.json) ---------------------------------------------------------------


def _pod_distribution(resource: Resource, base_url: str) -> dict[str, Any]:
    media = mediatypes.of_name(resource.media_type)
    distribution: dict[str, Any] = {
        "@type": "dcat:Distribution",
        "title": resource.title(LANG),
        "description": _file_description(resource),
        "downloadURL": resource.url(base_url),
        "mediaType": media.name,
        "format": media.label,
    }
    if resource.conforms_to:
        distribution["conformsTo"] = resource.conforms_to
    return distribution


def _index_distribution(base_url: str) -> dict[str, Any]:
    return {
        "@type": "dcat:Distribution",
        "title": text("catalogue.index_distribution", LANG),
        "accessURL": f"{base_url}/{layout.INDEX_FILE}",
        "mediaType": "application/json",
        "format": "JSON",
    }


def build_data_json(datasets: Sequence[CatalogueDataset], *, identity: Identity) -> dict[str, Any]:
    """The DCAT-US 1.1 catalogue (Project Open Data ``data.json``).

    ``bureauCode`` and ``programCode`` are US federal codes: the schema text lets non-federal
    publishers leave them out, so they are.
    """
    base_url = identity.base_url
    entries = []
    for entry in datasets:
        item: dict[str, Any] = {
            "@type": "dcat:Dataset",
            "identifier": entry.identifier,
            "title": entry.text("title"),
            "description": _description(entry, base_url),
            "keyword": _keywords(),
            "publisher": {"@type": "org:Organization", "name": identity.publisher_name},
            "contactPoint": {
                "@type": "vcard:Contact",
                "fn": identity.publisher_name,
                "hasEmail": f"mailto:{_contact_email(identity)}",
            },
            "accessLevel": "public",
            "license": identity.license,
            "spatial": text("catalogue.spatial", LANG),
            "accrualPeriodicity": "R/P1D",
            "language": [LANG],
            "landingPage": entry.landing_page(base_url),
            "references": [policy_url(identity)],
            "distribution": [
                *(_pod_distribution(r, base_url) for r in entry.listed),
                _index_distribution(base_url),
            ],
        }
        if entry.modified:
            item["modified"] = entry.modified
        if entry.issued:
            item["issued"] = entry.issued
        coverage = entry.coverage
        if coverage:
            item["temporal"] = f"{coverage[0]}/{coverage[1]}"
        if entry.kind in KIND_CONFORMS_TO:
            item["conformsTo"] = KIND_CONFORMS_TO[entry.kind]
        entries.append(item)
    return {
        "@context": POD_CONTEXT,
        "@id": f"{base_url}/{DATA_JSON}",
        "@type": "dcat:Catalog",
        "conformsTo": POD_CONFORMS_TO,
        "describedBy": POD_DESCRIBED_BY,
        "dataset": entries,
    }


def policy_url(identity: Identity) -> str:
    """The publication policy URL (configured, else the one served at the root)."""
    return identity.policy_url or f"{identity.base_url}/{layout.POLICY_FILE}"


# --- DCAT-AP (catalog.jsonld) --------------------------------------------------------------


def _es(value: str) -> dict[str, str]:
    return {"@language": LANG, "@value": value}


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
    contact: dict[str, Any] = {
        "@type": "vcard:Organization",
        "vcard:fn": identity.publisher_name,
        "vcard:hasEmail": {"@id": f"mailto:{_contact_email(identity)}"},
    }
    if identity.publisher_uri:
        contact["vcard:hasURL"] = {"@id": identity.publisher_uri}
    return contact


def _licence_node(identity: Identity) -> dict[str, Any]:
    """The licence with the CKAN register title, so ckanext-dcat maps it to its licence id."""
    licence = ckan_licence(identity.license)
    node: dict[str, Any] = {"@id": identity.license, "@type": "dct:LicenseDocument"}
    if licence is not NOT_SPECIFIED:
        node["dct:title"] = licence.title
    return node


def _dcat_distribution(resource: Resource, identity: Identity) -> dict[str, Any]:
    base_url = identity.base_url
    url = resource.url(base_url)
    media = mediatypes.of_name(resource.media_type)
    distribution: dict[str, Any] = {
        "@id": f"{url}#distribucion",
        "@type": "dcat:Distribution",
        "dct:title": _es(resource.title(LANG)),
        "dcat:accessURL": url,  # DCAT: equal to downloadURL when the file is downloaded directly
        "dcat:downloadURL": url,
        "dcat:byteSize": str(resource.size),
        "dct:license": _licence_node(identity),
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": SHA256_ALGORITHM,
            "spdx:checksumValue": resource.sha256,
        },
    }
    if resource.issued:
        distribution["dct:issued"] = resource.issued
    # An IANA IRI only for registered types; the others stay literals, not made-up IRIs.
    distribution["dcat:mediaType"] = (
        {"@id": f"{IANA_MEDIA_TYPES}/{media.name}"} if media.iana else media.name
    )
    if media.eu_file_type:
        distribution["dct:format"] = f"{EU_AUTHORITY}/file-type/{media.eu_file_type}"
    if resource.conforms_to:
        distribution["dct:conformsTo"] = resource.conforms_to
    return distribution


def build_dcat(datasets: Sequence[CatalogueDataset], *, identity: Identity) -> dict[str, Any]:
    """The DCAT-AP catalogue in JSON-LD: one ``dcat:Dataset`` per kind of file."""
    base_url = identity.base_url
    nodes = []
    for entry in datasets:
        node: dict[str, Any] = {
            "@id": entry.landing_page(base_url),
            "@type": "dcat:Dataset",
            "dct:identifier": entry.identifier,
            "dct:title": _es(entry.text("title")),
            "dct:description": _es(_description(entry, base_url)),
            "dct:publisher": _publisher(identity),
            "dct:license": _licence_node(identity),
            "dct:language": f"{EU_AUTHORITY}/language/SPA",
            "dct:accrualPeriodicity": f"{EU_AUTHORITY}/frequency/DAILY",
            "dcat:theme": f"{EU_AUTHORITY}/data-theme/GOVE",
            "dcat:keyword": [_es(keyword) for keyword in _keywords()],
            "dcat:landingPage": entry.landing_page(base_url),
            "dcat:contactPoint": _contact(identity),
            "dcat:distribution": [_dcat_distribution(r, identity) for r in entry.listed],
        }
        coverage = entry.coverage
        if coverage:
            node["dct:temporal"] = {
                "@type": "dct:PeriodOfTime",
                "dcat:startDate": coverage[0],
                "dcat:endDate": coverage[1],
            }
        if entry.modified:
            node["dct:modified"] = entry.modified
        if entry.issued:
            node["dct:issued"] = entry.issued
        if entry.kind in KIND_CONFORMS_TO:
            node["dct:conformsTo"] = KIND_CONFORMS_TO[entry.kind]
        nodes.append(node)
    catalogue: dict[str, Any] = {
        "@context": DCAT_CONTEXT,
        "@id": f"{base_url}/{CATALOGUE_JSONLD}",
        "@type": "dcat:Catalog",
        "dct:title": _es(text("catalogue.title", LANG)),
        "dct:description": _es(text("catalogue.description", LANG)),
        "dct:publisher": _publisher(identity),
        "dct:license": _licence_node(identity),
        "dct:language": f"{EU_AUTHORITY}/language/SPA",
        "foaf:homepage": {"@id": f"{base_url}/"},
        "dcat:dataset": nodes,
    }
    modified = max((e.modified for e in datasets if e.modified), default=None)
    if modified:
        catalogue["dct:modified"] = modified
    return catalogue


# --- CKAN (catalog.json) -------------------------------------------------------------------


def build_ckan(datasets: Sequence[CatalogueDataset], *, identity: Identity) -> dict[str, Any]:
    """A CKAN ``package_search`` answer: one package per kind, CKAN licence ids."""
    base_url, licence = identity.base_url, ckan_licence(identity.license)
    name = identity.publisher_name
    packages = []
    for entry in datasets:
        coverage = entry.coverage or ("", "")
        extras = {
            "publisher_name": name,
            "publisher_identifier": f"{identity.publisher_scheme}-{identity.publisher_uid}",
            "publisher_uri": identity.publisher_uri or "",
            "contact_email": _contact_email(identity),
            "language": LANG,
            "frequency": f"{EU_AUTHORITY}/frequency/DAILY",
            "temporal_start": coverage[0],
            "temporal_end": coverage[1],
            "conforms_to": KIND_CONFORMS_TO.get(entry.kind, ""),
            "dcat_catalog": f"{base_url}/{CATALOGUE_JSONLD}",
            "uri": entry.landing_page(base_url),
        }
        keywords = _keywords()
        packages.append(
            {
                "name": entry.identifier,
                "title": entry.text("title"),
                "notes": _description(entry, base_url),
                "url": entry.landing_page(base_url),
                "license_id": licence.id,
                "license_title": licence.title,
                "license_url": identity.license,
                "author": name,
                "author_email": _contact_email(identity),
                "maintainer": name,
                "maintainer_email": _contact_email(identity),
                "organization": {"name": identity.publisher_uid, "title": name},
                "metadata_created": entry.issued or "",
                "metadata_modified": entry.modified or "",
                "num_resources": len(entry.listed),
                "num_tags": len(keywords),
                "tags": [{"name": keyword} for keyword in keywords],
                "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
                "resources": [
                    {
                        "id": resource.name,
                        "name": resource.title(LANG),
                        "url": resource.url(base_url),
                        "format": mediatypes.of_name(resource.media_type).label,
                        "mimetype": mediatypes.of_name(resource.media_type).name,
                        "size": resource.size,
                        "hash": resource.sha256,
                        "hash_algorithm": SHA256_ALGORITHM,
                        "created": resource.issued or "",
                        "license": identity.license,
                    }
                    for resource in entry.listed
                ],
            }
        )
    return {
        "help": "package_search: generated from index.json and the published manifests",
        "success": True,
        "result": {"count": len(packages), "results": packages},
    }


# --- writing -------------------------------------------------------------------------------


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _carry_over(
    previous: Path, new: list[dict[str, Any]], key: str, path: Sequence[str]
) -> list[dict[str, Any]]:
    """``new`` plus every dataset an earlier catalogue listed that ``new`` lacks, so that a
    harvester (ckanext-dcat deletes, DKAN orphans what disappears) never loses one."""
    try:
        document: Any = orjson.loads(previous.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return new
    for part in path:
        document = document.get(part, []) if isinstance(document, dict) else []
    present = {item[key] for item in new}
    kept = [
        item
        for item in document
        if isinstance(item, dict) and item.get(key) and item[key] not in present
    ]
    return [*new, *kept]


def write_catalogue(
    root: Path,
    dataset: str,
    *,
    identity: Identity,
    resources: Sequence[Resource] | None = None,
) -> list[Path]:
    """Write ``data.json``, ``catalog.jsonld`` and ``catalog.json`` at the datasets root.

    ``resources`` defaults to every file of every published day; all three are built first
    and written only then (each atomically), with every URL under ``identity.base_url``.
    """
    root = Path(root)
    if resources is None:
        try:
            resources = day_resources(published_days(root, dataset))
        except ListingError as error:
            raise CatalogueError(str(error)) from error
    datasets = catalogue_datasets(dataset, resources)
    pod = build_data_json(datasets, identity=identity)
    pod["dataset"] = _carry_over(root / DATA_JSON, pod["dataset"], "identifier", ["dataset"])
    dcat = build_dcat(datasets, identity=identity)
    dcat["dcat:dataset"] = _carry_over(
        root / CATALOGUE_JSONLD, dcat["dcat:dataset"], "dct:identifier", ["dcat:dataset"]
    )
    ckan = build_ckan(datasets, identity=identity)
    packages = _carry_over(
        root / CATALOGUE_CKAN, ckan["result"]["results"], "name", ["result", "results"]
    )
    ckan["result"] = {"count": len(packages), "results": packages}
    outputs = {
        root / DATA_JSON: _json_bytes(pod),
        root / CATALOGUE_JSONLD: _json_bytes(dcat),
        root / CATALOGUE_CKAN: _json_bytes(ckan),
    }
    for path, data in outputs.items():
        write_atomic(path, data)
    return list(outputs)


def _contact_email(identity: Identity) -> str:
    """The catalogues' contact address (DCAT-US requires one): a dev placeholder when unset;
    the production profile refuses a missing contact."""
    return identity.contact_email or EXAMPLE_CONTACT_EMAIL
