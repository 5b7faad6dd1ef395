"""Media types of published files: one table for the server, object storage and catalogues."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaType:
    """A media type as served (charset for text) and as catalogues name it."""

    name: str  # IANA form without parameters, e.g. text/csv
    label: str  # short format name for catalogues (CKAN ``format``, DCAT-US ``format``)
    text: bool = False  # served with charset=utf-8 and gzip-compressible
    eu_file_type: str | None = None  # EU file-type authority code (DCAT-AP dct:format)
    iana: bool = True  # registered with IANA (else a literal, not an IANA IRI)

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value."""
        return f"{self.name}; charset=utf-8" if self.text else self.name


OCTET_STREAM = MediaType("application/octet-stream", "Binario")
_TYPES = (
    MediaType("application/json", "JSON", True, "JSON"),
    MediaType("application/ld+json", "JSON-LD", True, "JSON_LD"),
    MediaType("application/jsonl", "JSON Lines", True, None, iana=False),
    MediaType("application/feed+json", "JSON Feed", True, None, iana=False),
    MediaType("application/atom+xml", "Atom", True, "ATOM"),
    MediaType("application/vnd.apache.parquet", "Parquet", False, "PARQUET"),
    MediaType("text/csv", "CSV", True, "CSV"),
    MediaType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX", False, "XLSX"
    ),
    MediaType("application/gzip", "GZIP", False, "GZIP"),
    MediaType("application/zip", "ZIP", False, "ZIP"),
    MediaType("application/zstd", "Zstandard", False, None),
    MediaType("text/html", "HTML", True, "HTML"),
    MediaType("text/markdown", "Markdown", True, None),
    MediaType("text/plain", "Texto", True, "TXT"),
    MediaType("text/javascript", "JavaScript", True, None),
    MediaType("text/css", "CSS", True, None),
    MediaType("image/svg+xml", "SVG", True, "SVG"),
    MediaType("image/png", "PNG", False, "PNG"),
    MediaType("application/xml", "XML", True, "XML"),
    OCTET_STREAM,
)
BY_NAME = {media.name: media for media in _TYPES}
_EXTENSIONS = {
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".jsonl": "application/jsonl",
    ".atom": "application/atom+xml",
    ".parquet": "application/vnd.apache.parquet",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".gz": "application/gzip",
    ".zip": "application/zip",
    ".zst": "application/zstd",
    ".html": "text/html",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".xml": "application/xml",
}
_FILE_NAMES = {"SHA256SUMS": "text/plain", "feed.json": "application/feed+json"}


def of_name(media_type: str) -> MediaType:
    """The entry of a media type name (parameters ignored); unknown ones get their subtype."""
    name = media_type.split(";", 1)[0].strip().lower()
    known = BY_NAME.get(name)
    if known is not None:
        return known
    return MediaType(name, name.rsplit("/", 1)[-1].upper(), name.startswith("text/"))


def of_path(path: str) -> MediaType:
    """The media type of a published file, from its name (``.csv``, ``SHA256SUMS``, ...)."""
    name = path.rsplit("/", 1)[-1]
    for suffix, media_type in _FILE_NAMES.items():
        if name == suffix or name.endswith(f"-{suffix}"):
            return BY_NAME[media_type]
    dot = name.rfind(".")
    if dot <= 0:
        return OCTET_STREAM
    suffix = name[dot:].lower()
    return BY_NAME[_EXTENSIONS[suffix]] if suffix in _EXTENSIONS else OCTET_STREAM
