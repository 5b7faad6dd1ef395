"""The site at the datasets root, refreshed once by the publish step with the settings.

Browser verifier, OCDS extensions and publication policy, cumulative quality page, DCAT/CKAN
catalogue and the landing page: everything a visitor or a harvester reads besides the days.
"""

from __future__ import annotations

from pathlib import Path

from integrity.verify.trust import Pin
from publication.catalogue import write_catalogue
from publication.portal import publish_ocds_documents, write_index_page, write_quality_page
from publication.web import install_web_verifier
from publication.writer import read_index
from settings import Identity, Lang


def refresh_site(
    root: Path, dataset: str, identity: Identity, *, lang: Lang = "es", pin: Pin | None = None
) -> None:
    """Rewrite every page and catalogue at the datasets root from the published days.

    The verifier page is rebuilt with ``pin`` embedded; without a pin an existing page is left
    as it is (the anchoring step installs it with the pin the days are anchored under), so a
    publish without the chain never replaces a pinned page by one that cannot verify.
    """
    days = read_index(root, dataset)
    if pin is not None or not (root / "verificar.html").is_file():
        install_web_verifier(root, pin)
    publish_ocds_documents(root, dataset, identity)
    write_quality_page(root, dataset, days, lang=lang)
    if days:
        write_catalogue(root, dataset, identity=identity)
    write_index_page(root, dataset, days)
