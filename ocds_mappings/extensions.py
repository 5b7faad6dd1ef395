"""The OCDS extensions this project declares: official URLs for packages, local folders for validation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOCAL_EXTENSIONS_DIR = Path(__file__).resolve().parent / "extensions"

# Where the publication site serves ocds_mappings/extensions/<name>/ (set by the publication layer).
DEFAULT_LOCAL_EXTENSIONS_BASE_URL = "https://datos.perucompras-abierto.example/ocds/extensions/"


@dataclass(frozen=True)
class Extension:
    """One declared extension: its registry identifier, extension.json URL and files on disk."""

    name: str
    url: str
    folder: str
    local: bool = False

    def directory(self, ocds_dir: Path) -> Path:
        """Folder holding this extension's extension.json, release-schema.json and codelists/."""
        if self.local:
            return LOCAL_EXTENSIONS_DIR / self.folder
        return ocds_dir / "extensions" / self.folder


_GITHUB_RAW = "https://raw.githubusercontent.com/open-contracting-extensions"

DECLARED_EXTENSIONS: tuple[Extension, ...] = (
    Extension("bids", f"{_GITHUB_RAW}/ocds_bid_extension/v1.1.5/extension.json", "bids-v1.1.5"),
    Extension(
        "techniques",
        f"{_GITHUB_RAW}/ocds_techniques_extension/master/extension.json",
        "techniques-master",
    ),
    Extension(
        "location",
        f"{_GITHUB_RAW}/ocds_location_extension/v1.1.5/extension.json",
        "location-v1.1.5",
    ),
    Extension(
        "net_amount",
        f"{DEFAULT_LOCAL_EXTENSIONS_BASE_URL}net_amount/extension.json",
        "net_amount",
        local=True,
    ),
    Extension(
        "status_details",
        f"{DEFAULT_LOCAL_EXTENSIONS_BASE_URL}status_details/extension.json",
        "status_details",
        local=True,
    ),
)


def declared_extensions(local_base_url: str | None = None) -> tuple[Extension, ...]:
    """Declared extensions, with the local ones re-based on `local_base_url` when given."""
    if local_base_url is None:
        return DECLARED_EXTENSIONS
    base = local_base_url if local_base_url.endswith("/") else local_base_url + "/"
    return tuple(
        Extension(ext.name, f"{base}{ext.folder}/extension.json", ext.folder, local=True)
        if ext.local
        else ext
        for ext in DECLARED_EXTENSIONS
    )


def extension_urls(local_base_url: str | None = None) -> list[str]:
    """The `extensions` array of a release or record package."""
    return [ext.url for ext in declared_extensions(local_base_url)]
