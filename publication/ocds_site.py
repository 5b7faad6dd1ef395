"""The OCDS documents at the datasets root that every package points to: the publication
policy and the project's own extensions, rendered for the configured publisher and base URL."""

from __future__ import annotations

from pathlib import Path

from integrity.layout import EXTENSIONS_FOLDER, POLICY_FILE
from publication.atomic import write_atomic
from settings import Identity, Profile


def local_extensions_url(identity: Identity) -> str:
    """Base URL of the local extensions packages name (``{base_url}/extensions/``)."""
    from ocds_mappings.extensions import local_extensions_base

    return local_extensions_base(identity.base_url)


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        write_atomic(path, data)


def write_ocds_documents(
    root: Path, dataset: str, identity: Identity, *, profile: Profile, synthetic: bool
) -> None:
    """Write the local extensions (extension.json, schema, codelists, README) and the policy."""
    from ocds_mappings.docs import policy_markdown
    from ocds_mappings.extensions import DECLARED_EXTENSIONS, render_local_extension

    for extension in DECLARED_EXTENSIONS:
        if not extension.local:
            continue
        for name, data in render_local_extension(extension, identity).items():
            _write_if_changed(root / EXTENSIONS_FOLDER / extension.folder / name, data)
    policy = policy_markdown(identity, dataset, profile=profile, synthetic=synthetic)
    _write_if_changed(root / POLICY_FILE, policy.encode("utf-8"))
