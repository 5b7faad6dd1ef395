"""The site at the datasets root, refreshed once by the publish step with the settings.

Browser verifier, OCDS extensions and publication policy, cumulative quality page, DCAT/CKAN
catalogue and the landing page: everything a visitor or a harvester reads besides the days.
"""

from __future__ import annotations

from pathlib import Path

from publication.catalogue import write_catalogue
from publication.ocds_site import write_ocds_documents
from publication.portal import write_index_page, write_quality_page
from publication.web import install_web_verifier
from publication.writer import read_index
from settings import Identity, Lang, Profile


def refresh_site(
    root: Path,
    dataset: str,
    identity: Identity,
    *,
    lang: Lang = "es",
    profile: Profile = "dev",
    synthetic: bool = False,
) -> None:
    """Rewrite every page and catalogue at the datasets root from the published days."""
    days = read_index(root, dataset)
    install_web_verifier(root)
    write_ocds_documents(root, dataset, identity, profile=profile, synthetic=synthetic)
    write_quality_page(root, dataset, days, lang=lang)
    if days:
        write_catalogue(root, dataset, identity=identity)
    write_index_page(root, dataset, days)
