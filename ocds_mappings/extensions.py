"""The OCDS extensions this project declares: official URLs for packages, local folders for validation.

Official extensions are named by their official URLs (their files are read offline from the
``ocds_dir`` setting). The project's own extensions live in ``ocds_mappings/extensions/<name>/``;
the site refresh writes them, rendered for the publisher (``render_local_extension``), under
``{base_url}/extensions/<name>/`` and packages name them by that URL, so they resolve wherever
the datasets root is served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from integrity.layout import EXTENSIONS_FOLDER
from settings import DEV_BASE_URL, Identity

LOCAL_EXTENSIONS_DIR = Path(__file__).resolve().parent / "extensions"

# The local extensions' base URL of the dev base URL (packages use the configured one).
DEFAULT_LOCAL_EXTENSIONS_BASE_URL = f"{DEV_BASE_URL}/{EXTENSIONS_FOLDER}/"


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


def local_extensions_base(base_url: str) -> str:
    """Where the site serves the local extensions for a datasets base URL (ends with ``/``)."""
    return f"{base_url.rstrip('/')}/{EXTENSIONS_FOLDER}/"


def render_local_extension(extension: Extension, identity: Identity) -> dict[str, bytes]:
    """The files of a local extension as served: relative path -> bytes.

    ``extension.json`` gets its ``documentationUrl`` (the README served beside it) and, when
    the publisher has a contact address, its ``contactPoint``; the other files are copied.
    """
    if not extension.local:
        raise ValueError(f"{extension.name} is an official extension: it is not served here")
    source = LOCAL_EXTENSIONS_DIR / extension.folder
    files = {
        path.relative_to(source).as_posix(): path.read_bytes()
        for path in sorted(source.rglob("*"))
        if path.is_file()
    }
    metadata = json.loads(files["extension.json"])
    served = f"{local_extensions_base(identity.base_url)}{extension.folder}/"
    metadata["documentationUrl"] = {"en": f"{served}README.md"}
    if identity.contact_email:
        metadata["contactPoint"] = {
            "name": identity.publisher_name,
            "email": identity.contact_email,
        }
    text = json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
    files["extension.json"] = text.encode("utf-8")
    return files
