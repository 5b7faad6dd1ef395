"""The DCAT-US 1.1 (Project Open Data) JSON Schema, in one document, for the catalogue tests.

Copied from project-open-data/project-open-data.github.io ``v1.1/schema/{catalog,dataset,
distribution,organization,vcard}.json`` (draft 4) with the ``$ref``s made local. One change:
``bureauCode`` and ``programCode`` are dropped from the dataset's ``required`` list, as the
schema's own text allows for non-federal publishers ("these fields should not be seen as
required"); ``FEDERAL_REQUIRED`` keeps them for the test that says so. The long ISO 8601
alternatives of ``modified``/``issued``/``temporal`` are kept as the patterns this project uses
(date-time with offset, and a date interval).
"""

from __future__ import annotations

from typing import Any

FEDERAL_REQUIRED = ("bureauCode", "programCode")
_ISO_DATE_TIME = (
    r"^([\+-]?\d{4}(?!\d{2}\b))((-?)((0[1-9]|1[0-2])(\3([12]\d|0[1-9]|3[01]))?|W([0-4]\d|5[0-2])"
    r"(-?[1-7])?|(00[1-9]|0[1-9]\d|[12]\d{2}|3([0-5]\d|6[1-6])))([T\s]((([01]\d|2[0-3])((:?)[0-5]\d)?"
    r"|24\:?00)([\.,]\d+(?!:))?)?(\17[0-5]\d([\.,]\d+)?)?([zZ]|([\+-])([01]\d|2[0-3]):?([0-5]\d)?)?)?)?$"
)
_DATE_INTERVAL = r"^\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}$"
_MEDIA_TYPE = r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$"
_LANGUAGE = r"^[A-Za-z]{2,3}(-[A-Za-z]{2}|-[0-9]{3})?$"
_URI_OR_NULL: dict[str, Any] = {"anyOf": [{"type": "string", "format": "uri"}, {"type": "null"}]}
_TEXT_OR_NULL: dict[str, Any] = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}]}

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "Project Open Data Catalog",
    "type": "object",
    "dependencies": {"@type": ["@context"]},
    "required": ["conformsTo", "dataset"],
    "properties": {
        "@context": {"type": "string", "format": "uri"},
        "@id": {"type": "string", "format": "uri"},
        "@type": {"enum": ["dcat:Catalog"]},
        "conformsTo": {"enum": ["https://project-open-data.cio.gov/v1.1/schema"]},
        "describedBy": {"type": "string", "format": "uri"},
        "dataset": {
            "type": "array",
            "items": {"$ref": "#/definitions/dataset", "minItems": 1, "uniqueItems": True},
        },
    },
    "definitions": {
        "dataset": {
            "type": "object",
            "required": [
                "title",
                "description",
                "keyword",
                "modified",
                "publisher",
                "contactPoint",
                "identifier",
                "accessLevel",
            ],
            "properties": {
                "@type": {"enum": ["dcat:Dataset"]},
                "accessLevel": {"enum": ["public", "restricted public", "non-public"]},
                "rights": {
                    "anyOf": [
                        {"type": "string", "minLength": 1, "maxLength": 255},
                        {"type": "null"},
                    ]
                },
                "accrualPeriodicity": {
                    "anyOf": [
                        {"enum": ["irregular"]},
                        {
                            "type": "string",
                            "pattern": r"^R\d*\/P(?=\w*\d)(?:\d+Y|Y)?(?:\d+M|M)?(?:\d+W|W)?"
                            r"(?:\d+D|D)?(?:T(?:\d+H|H)?(?:\d+M|M)?(?:\d+(?:\.\d{1,2})?S|S)?)?$",
                        },
                        {"type": "null"},
                    ]
                },
                "bureauCode": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "[0-9]{3}:[0-9]{2}"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "programCode": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "[0-9]{3}:[0-9]{3}"},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "contactPoint": {"$ref": "#/definitions/vcard"},
                "describedBy": _URI_OR_NULL,
                "describedByType": {
                    "anyOf": [{"type": "string", "pattern": _MEDIA_TYPE}, {"type": "null"}]
                },
                "conformsTo": _URI_OR_NULL,
                "dataQuality": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
                "description": {"type": "string", "minLength": 1},
                "distribution": {
                    "anyOf": [
                        {
                            "type": "array",
                            "items": {
                                "$ref": "#/definitions/distribution",
                                "minItems": 1,
                                "uniqueItems": True,
                            },
                        },
                        {"type": "null"},
                    ]
                },
                "identifier": {"type": "string", "minLength": 1},
                "issued": {
                    "anyOf": [{"type": "string", "pattern": _ISO_DATE_TIME}, {"type": "null"}]
                },
                "keyword": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "minItems": 1,
                },
                "landingPage": _URI_OR_NULL,
                "language": {
                    "anyOf": [
                        {"type": "array", "items": {"type": "string", "pattern": _LANGUAGE}},
                        {"type": "null"},
                    ]
                },
                "license": _URI_OR_NULL,
                "modified": {"type": "string", "pattern": _ISO_DATE_TIME},
                "publisher": {"$ref": "#/definitions/organization"},
                "references": {
                    "anyOf": [
                        {
                            "type": "array",
                            "items": {"type": "string", "format": "uri"},
                            "minItems": 1,
                            "uniqueItems": True,
                        },
                        {"type": "null"},
                    ]
                },
                "spatial": _TEXT_OR_NULL,
                "temporal": {
                    "anyOf": [{"type": "string", "pattern": _DATE_INTERVAL}, {"type": "null"}]
                },
                "isPartOf": {"type": "string", "minLength": 1},
                "theme": {
                    "anyOf": [
                        {
                            "type": "array",
                            "items": {"type": "string", "minLength": 1},
                            "minItems": 1,
                            "uniqueItems": True,
                        },
                        {"type": "null"},
                    ]
                },
                "title": {"type": "string", "minLength": 1},
            },
        },
        "distribution": {
            "type": "object",
            "dependencies": {
                "downloadURL": {
                    "properties": {"mediaType": {"type": "string", "pattern": _MEDIA_TYPE}},
                    "required": ["mediaType"],
                }
            },
            "properties": {
                "@type": {"enum": ["dcat:Distribution"]},
                "downloadURL": {"type": "string", "format": "uri"},
                "mediaType": {
                    "anyOf": [{"type": "string", "pattern": _MEDIA_TYPE}, {"type": "null"}]
                },
                "format": _TEXT_OR_NULL,
                "accessURL": _URI_OR_NULL,
                "description": _TEXT_OR_NULL,
                "title": _TEXT_OR_NULL,
                "conformsTo": _URI_OR_NULL,
                "describedBy": _URI_OR_NULL,
                "describedByType": {
                    "anyOf": [{"type": "string", "pattern": _MEDIA_TYPE}, {"type": "null"}]
                },
            },
        },
        "organization": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "@type": {"enum": ["org:Organization"]},
                "name": {"type": "string", "minLength": 1},
                "subOrganizationOf": {"$ref": "#/definitions/organization"},
            },
        },
        "vcard": {
            "type": "object",
            "required": ["fn", "hasEmail"],
            "properties": {
                "@type": {"enum": ["vcard:Contact"]},
                "fn": {"type": "string", "minLength": 1},
                "hasEmail": {"type": "string", "pattern": r"^mailto:([\w.-]+@[\w.-]+\.[\w.-]+)?$"},
            },
        },
    },
}
