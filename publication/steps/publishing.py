"""Step 4, publish: write the day's files atomically, record them, refresh the site once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrity.keys import anchor_key
from integrity.layout import DATAPACKAGE, QUALITY_HTML, RELEASES_JSONL, DayLayout
from messages import text
from publication.anchoring import check_day_files
from publication.datapackage import package_info
from publication.feed import remember_releases
from publication.records import day_record_package, record_package_bytes
from publication.state import StateStore, rules_fingerprint, store_path
from publication.steps.common import StepResult, gc_paused, not_evaluated_reasons
from publication.steps.mapping import Mapped
from publication.writer import DayContent, write_day
from quality.rules import CheckResult
from settings import Identity, Lang, Profile


@dataclass(frozen=True)
class Published(StepResult):
    """Where the day was written, its manifest digest and Merkle root."""

    folder: str = ""
    manifest_sha256: str = ""
    merkle_root: str = ""
    tree_size: int = 0
    quarantined: int = 0
    unchanged: bool = False
    quality: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """Summary shown on the Dagster materialization."""
        return {
            "quality": self.quality,
            "folder": self.folder,
            "manifest_sha256": self.manifest_sha256,
            "merkle_root": self.merkle_root,
            "releases": self.tree_size,
            "quarantined": self.quarantined,
            "unchanged_rerun": self.unchanged,
        }


def publish(
    mapped: Mapped,
    *,
    root: Path,
    dataset: str,
    day: dt.date,
    identity: Identity,
    state_dir: Path | None = None,
    ocds_dir: Path | None = None,
    lang: Lang = "es",
    profile: Profile = "dev",
    synthetic: bool = False,
    refresh: bool = True,
) -> Published:
    """Write the day's files (only from a result whose every blocking check passed).

    ``profile`` and ``synthetic`` label every package (``ocds_mappings.identity``): a ``dev``
    run is not an official publication, synthetic source files are not real orders.
    ``refresh=False`` leaves the site at the root alone (a batch refreshes it once at the end).
    """
    mapped.require_gate()
    with gc_paused():
        return _publish(
            mapped,
            root=root,
            dataset=dataset,
            day=day,
            identity=identity,
            state_dir=state_dir,
            ocds_dir=ocds_dir,
            lang=lang,
            profile=profile,
            synthetic=synthetic,
            refresh=refresh,
        )


def _publish(
    mapped: Mapped,
    *,
    root: Path,
    dataset: str,
    day: dt.date,
    identity: Identity,
    state_dir: Path | None,
    ocds_dir: Path | None,
    lang: Lang,
    profile: Profile,
    synthetic: bool,
    refresh: bool,
) -> Published:
    from ocds_mappings.dates import day_end, publication_time
    from ocds_mappings.extensions import extension_urls
    from ocds_mappings.identity import OcidScheme, package_metadata
    from ocds_mappings.mapping import party_name_variants
    from ocds_mappings.packaging import release_package
    from publication.ocds_site import local_extensions_url
    from publication.site import refresh_site
    from quality.report import build_report, render_html

    checked = mapped.checked
    assert checked is not None and checked.source is not None
    assert mapped.quarantine is not None and mapped.published_orders is not None
    source = checked.source
    synthetic = synthetic or checked.synthetic
    base_url = identity.base_url
    cutoff = source.cutoff or day_end(day)
    metadata = package_metadata(identity, profile=profile, synthetic=synthetic)
    package = release_package(
        [],
        uri=f"{base_url}/{dataset}/{day:%Y/%m/%d}/{dataset}-{day.isoformat()}-releases.json",
        published_date=publication_time(day, source.cutoff),
        metadata=metadata,
        extensions=extension_urls(local_base_url=local_extensions_url(identity)),
    )
    package.pop("releases")
    counts = {
        "sourceRows": source.source_rows,
        "publishedRows": mapped.published_orders.num_rows,
        "quarantinedRows": mapped.quarantine.num_rows,
        "releases": len(mapped.releases),
        "callOffReleases": sum(
            1 for r in mapped.releases if not OcidScheme(mapped.ocid_prefix).is_framework(r["ocid"])
        ),
        **mapped.detail_counts,
    }
    quality = build_report(
        day,
        source.source_rows,
        mapped.published_orders.num_rows,
        mapped.quarantine,
        [*checked.checks, *mapped.checks],
        lang,
        not_evaluated_reasons((*checked.not_evaluated, *mapped.not_evaluated), lang),
    )
    quality["party_name_variants"] = party_name_variants(mapped.published_orders)
    store_file = store_path(root, state_dir)
    with StateStore(store_file) as store:
        records = day_record_package(
            mapped.releases,
            day=day,
            root=root,
            dataset=dataset,
            store=store,
            base_url=base_url,
            package_meta=package,
            ocds_dir=ocds_dir,
        )
    content = DayContent(
        dataset=dataset,
        day=day,
        cutoff=cutoff,
        ocid_prefix=mapped.ocid_prefix,
        publisher=metadata["publisher"],
        package=package,
        release_lines=mapped.release_lines,
        orders=mapped.published_orders,
        quarantine=mapped.quarantine,
        sources=[*source.sources, *mapped.detail_sources],
        counts=counts,
        quality=quality,
        records=records,
        records_bytes=record_package_bytes(records, mapped.releases, mapped.release_lines),
        extra_files={QUALITY_HTML: render_html(quality, lang).encode("utf-8")},
        synthetic=synthetic,
        datapackage=package_info(
            identity,
            name=f"{dataset}-{day.isoformat()}",
            path=DayLayout(Path(), dataset, day).path(DATAPACKAGE).as_posix(),
            title=text("datapackage.day_title", lang, date=day.isoformat()),
            description=text("datapackage.day_description", lang, dataset=dataset),
            created=cutoff,
            lang=lang,
        ),
    )
    result = write_day(root, content, anchor_key_hex=anchor_key(dataset, day).hex())
    if not result.differs_from_sources:
        with StateStore(store_file) as store:
            store.record_day(
                day,
                mapped.releases,
                mapped.first_stage_basis,
                mapped.quarantine,
                rules_fingerprint(),
            )
    leaves = DayLayout(Path(), dataset, day).name(RELEASES_JSONL)
    if leaves in result.hashed:
        remember_releases(result.folder / leaves, result.hashed[leaves], mapped.releases)
    if refresh:
        refresh_site(root, dataset, identity, lang=lang, profile=profile, synthetic=synthetic)
    problems = check_day_files(result.folder, result.manifest, result.hashed)
    checks = [
        CheckResult(
            "files_match_manifest",
            not problems,
            "block",
            text("step.files_match", lang) if not problems else "; ".join(problems),
        ),
        CheckResult(
            "anchored_day_unchanged",
            not result.differs_from_sources,
            "warn",
            text(
                "step.anchored_day_changed"
                if result.differs_from_sources
                else "step.anchored_day_unchanged",
                lang,
            ),
        ),
    ]
    return Published(
        day=day,
        checks=checks,
        upstream_failures=mapped.failures,
        folder=str(result.folder),
        manifest_sha256=result.manifest.sha256,
        merkle_root=result.merkle_root,
        tree_size=result.tree_size,
        quarantined=mapped.quarantine.num_rows,
        unchanged=result.unchanged,
        quality={
            key: quality[key]
            for key in ("status", "rows_in", "published", "quarantined", "quarantined_by_rule")
        },
    )
