"""The site at the datasets root, refreshed once by the publish step with the settings.

Browser verifier, OCDS extensions and publication policy, cumulative quality page, the
harvesting catalogues (DCAT-US ``data.json``, DCAT-AP, CKAN), the change feed and the portal:
everything a visitor or a harvester reads besides the day folders. Every part is built from
one resource list (``publication.listing``), in an order that makes each link resolve when
the page that holds it is written: catalogues and feed first, the portal pages last.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from integrity.verify.trust import Pin
from publication.atomic import fsync_dir, write_atomic
from publication.catalogue import catalogue_datasets, write_catalogue
from publication.feed import refresh_feed
from publication.listing import (
    KIND_BULK,
    KIND_DICTIONARY,
    KIND_INDICATORS,
    Resource,
    day_resources,
    published_days,
)
from publication.ocds_site import write_ocds_documents
from publication.portal import (
    PortalContext,
    anchor_costs,
    site_links,
    write_portal,
    write_quality_page,
)
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
    extra_resources: Sequence[Resource] = (),
    now: str | None = None,
    pin: Pin | None = None,
) -> None:
    """Rewrite every page, catalogue and feed at the datasets root from the published days.

    ``extra_resources`` are files other producers publish at the root (the bulk dataset's
    files, dictionary, indicators): they join the day files in the catalogues and portal.
    The verifier page is rebuilt with ``pin`` embedded; without a pin an existing page is left
    as it is (the anchoring step installs it with the pin the days are anchored under), so a
    publish without the chain never replaces a pinned page by one that cannot verify.
    """
    if pin is not None or not (root / "verificar.html").is_file():
        install_web_verifier(root, pin)
    write_ocds_documents(root, dataset, identity, profile=profile, synthetic=synthetic)
    write_quality_page(root, dataset, read_index(root, dataset), lang=lang)
    if not (root / "index.json").is_file():
        return
    days = published_days(root, dataset)
    given = {resource.path for resource in extra_resources}
    found = [r for r in root_products(root, dataset) if r.path not in given]
    resources = [*day_resources(days), *found, *extra_resources]
    if resources:
        write_catalogue(root, dataset, identity=identity, resources=resources)
    refresh_feed(
        root,
        dataset,
        days,
        base_url=identity.base_url,
        publisher=identity.publisher_name,
        now=now,
    )
    context = PortalContext(
        dataset=dataset,
        days=days,
        links=site_links(root, resources),
        datasets=catalogue_datasets(dataset, resources),
        licence=identity.license,
        costs=anchor_costs(root, dataset, days),
    )
    write_portal(root, context)


# In the state folder (never published): the site at the root lags behind what is published and
# anchored until the run that wrote this refreshed it and brought the storage up to date.
SITE_PENDING_FILE = "site-refresh-pending.json"


def mark_site_pending(state_dir: Path, *, synthetic: bool) -> None:
    """Record durably, before a step that leaves the site behind (anchoring without the pages),
    that it must be refreshed with ``synthetic``: a run killed before the refresh leaves it for
    the next run, which has no day to publish (``pending_site_refresh``)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"synthetic": synthetic}, sort_keys=True).encode()
    write_atomic(state_dir / SITE_PENDING_FILE, data)
    fsync_dir(state_dir)


def pending_site_refresh(state_dir: Path) -> bool | None:
    """The ``synthetic`` argument of a site refresh a previous run left pending, or None."""
    try:
        data = json.loads((state_dir / SITE_PENDING_FILE).read_bytes())
    except FileNotFoundError:
        return None
    return bool(data.get("synthetic"))


def clear_site_pending(state_dir: Path) -> None:
    """The site and the storage are up to date (after ``refresh_site`` and the upload)."""
    (state_dir / SITE_PENDING_FILE).unlink(missing_ok=True)


def root_products(root: Path, dataset: str) -> list[Resource]:
    """The bulk dataset's files and the dictionary and indicator pages, as site resources
    (read from what is on disk, so every refresh lists the current bulk build)."""
    from publication.resources import bulk_resources, page_resources

    products = []
    for item in [*bulk_resources(root, dataset), *page_resources(root)]:
        if item.kind == "page":
            kind = KIND_INDICATORS if "indica" in item.path else KIND_DICTIONARY
            period = "all"
        elif item.kind == "indicator":
            kind, period = KIND_INDICATORS, "all"
        else:
            kind = KIND_BULK
            period = {"latest-alias": "latest", "metadata": "all"}.get(item.kind, item.period)
            period = "all" if period in ("full", "") else period
        products.append(
            Resource(
                path=item.path,
                kind=kind,
                titles={"es": item.title_es, "en": item.title_en},
                media_type=item.media_type,
                size=item.bytes,
                sha256=item.sha256,
                dataset=item.dataset or dataset,
                period=period,
            )
        )
    return products
