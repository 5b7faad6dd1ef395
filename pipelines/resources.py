"""Resources: every side effect (source files, published storage, chain) sits behind one.

Each is a thin Dagster wrapper over a plain service of ``pipelines.services`` (which the
``publicar`` commands outside Dagster use directly): its fields are the service's fields as
Dagster config, with the settings' dev defaults, and its methods build the service and call
it. ``build_resources(settings)`` is how the code location and ``publicar`` make them: secrets
set in the environment go in as ``EnvVar``, so Dagster resolves them when a run starts and
never shows them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from dagster import ConfigurableResource, EnvVar, Failure
from pydantic import Field

from integrity.chain import ChainConfig, RegistryDeployment
from integrity.verify.trust import Finality, Pin
from pipelines.services import ChainService, DatasetsService, SourceService, plain_secret
from publication.anchoring import ChainSession
from publication.batch import DayJob
from publication.storage import ObjectStore, PublishReport
from settings import (
    DEFAULT_STATE_MEMORY_LIMIT,
    SOURCE_FIRST_DAY,
    Bulk,
    Chain,
    Identity,
    Indicators,
    Lang,
    Profile,
    Settings,
    Source,
    Storage,
    default_devchain_dir,
    default_source_dir,
    env_name,
)
from settings.model import DEFAULT_DATASET, DEFAULT_DATASETS_ROOT

_IDENTITY = Identity()
_SOURCE = Source()
_CHAIN = Chain()
_BULK = Bulk()
_INDICATORS = Indicators()
_STORAGE = Storage()

Service = TypeVar("Service")


def _service(resource: ConfigurableResource, kind: type[Service]) -> Service:
    """The plain service a resource's (resolved) config describes."""
    fields = dataclasses.fields(kind)  # type: ignore[arg-type]
    return kind(**{field.name: getattr(resource, field.name) for field in fields})


def _secret(settings: Settings, path: str, *, as_env_var: bool = True) -> str:
    """A secret for a resource: as ``EnvVar`` when it came from the environment (Dagster
    resolves it when a run starts), unless ``as_env_var`` is False (used outside Dagster)."""
    if as_env_var and settings.origin(path) == "environment":
        group, _, name = path.partition(".")
        if getattr(getattr(settings, group), name) is not None:
            return EnvVar(env_name(path))
    return plain_secret(settings, path)


class SourceResource(ConfigurableResource):
    """Where the monthly `ReportePCBienesYYYYMM.csv` files come from (``SourceService``).

    ``synthetic`` (the embedded default) generates seeded files in exactly the real format
    into ``directory`` and reads them back through the same reader as real files;
    ``directory`` reads real files already on disk; ``portal`` downloads them first.
    """

    kind: str = _SOURCE.kind
    directory: str = str(default_source_dir(_SOURCE.kind))
    seed: int = _SOURCE.seed
    orders_per_month: int = _SOURCE.orders_per_month
    quotations: bool = _SOURCE.quotations
    portal_url: str = _SOURCE.portal_url
    portal_dataset: str = _SOURCE.portal_dataset

    @classmethod
    def from_settings(cls, settings: Settings) -> SourceResource:
        """The source the settings describe."""
        return cls(**dataclasses.asdict(SourceService.from_settings(settings)))

    def service(self) -> SourceService:
        """The plain source this config describes."""
        return _service(self, SourceService)

    @property
    def synthetic(self) -> bool:
        """Whether the files are synthetic (``SourceService.synthetic``)."""
        return self.service().synthetic

    def available_files(self, day: dt.date) -> list[Path]:
        """Every monthly snapshot on disk, after making sure ``day``'s month is there."""
        return self.service().available_files(day)

    def companion_files(self, day: dt.date) -> dict[str, Path]:
        """The month's detailed export and quotations files, when the source has them."""
        return self.service().companion_files(day)

    def monthly_files(self, day: dt.date) -> list[Path]:
        """Monthly files that can hold orders formalised on ``day`` (generated if synthetic)."""
        return self.service().monthly_files(day)


class DatasetsResource(ConfigurableResource):
    """The published output root, its status store, storage and the publisher's identity
    (``DatasetsService``; the ``identity`` settings, one field each)."""

    root: str = str(DEFAULT_DATASETS_ROOT)
    dataset: str = DEFAULT_DATASET
    state_dir: str = ""  # empty: beside the root
    ocds_dir: str = ""  # empty: shared/ocds beside the repository
    history_start: str = SOURCE_FIRST_DAY.isoformat()
    lang: str = "es"
    profile: str = "dev"
    gx_cross_check: bool = True
    state_memory_limit: str = DEFAULT_STATE_MEMORY_LIMIT
    ocid_prefix: str = _IDENTITY.ocid_prefix
    ocid_pattern: str = _IDENTITY.ocid_pattern
    base_url: str = _IDENTITY.base_url
    publisher_name: str = _IDENTITY.publisher_name
    publisher_scheme: str = _IDENTITY.publisher_scheme
    publisher_uid: str = _IDENTITY.publisher_uid
    publisher_uri: str | None = _IDENTITY.publisher_uri
    license: str = _IDENTITY.license
    policy_url: str | None = _IDENTITY.policy_url
    contact_email: str | None = _IDENTITY.contact_email
    contact_url: str | None = _IDENTITY.contact_url
    storage_uri: str = ""  # empty: the datasets root is the local folder itself
    storage_endpoint_url: str = ""
    storage_region: str = _STORAGE.region
    storage_addressing_style: str = _STORAGE.addressing_style
    storage_access_key_id: str = ""
    storage_secret_access_key: str = ""
    lock_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DatasetsResource:
        """The datasets root, storage and identity the settings describe."""
        fields = dataclasses.asdict(DatasetsService.from_settings(settings))
        fields["storage_secret_access_key"] = _secret(settings, "storage.secret_access_key")
        return cls(**fields)

    def service(self) -> DatasetsService:
        """The plain datasets root this config describes."""
        return _service(self, DatasetsService)

    def object_store(self) -> ObjectStore:
        """Where the datasets are published: the local root, or the ``s3://`` store."""
        return self.service().object_store()

    def publish_to_storage(self) -> PublishReport | None:
        """Upload what changed under the local root (None: the root is the storage)."""
        return self.service().publish_to_storage()

    @property
    def path(self) -> Path:
        """The datasets root."""
        return Path(self.root)

    def lock_held(self) -> bool:
        """Whether this process holds the datasets root's writer lock (``publicar`` does)."""
        return self.service().lock_held()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the datasets root's writer lock (already held when ``publicar`` runs the
        assets in-process); another writer makes the step wait up to ``lock_timeout``
        seconds, then fail with the lock's message."""
        from publication.lock import RootBusy

        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self.service().writing())
            except RootBusy as busy:
                raise Failure(description=str(busy)) from None
            yield

    @property
    def state_path(self) -> Path | None:
        """The status-store folder (``None``: beside the root)."""
        return self.service().state_path

    @property
    def ocds_path(self) -> Path | None:
        """The offline OCDS files (``None``: the default folder)."""
        return self.service().ocds_path

    @property
    def profile_name(self) -> Profile:
        """The settings profile (``dev`` packages say they are not an official publication)."""
        return self.service().profile_name

    @property
    def language(self) -> Lang:
        """The language of the published pages."""
        return self.service().language

    def identity(self) -> Identity:
        """The publisher's identity settings, validated."""
        return self.service().identity()

    def day_job(self) -> DayJob:
        """The day steps bound to this root, status store and identity (assets and backfills)."""
        return self.service().day_job()


class ChainResource(ConfigurableResource):
    """The EVM chain anchors go to (``ChainService``; the ``chain`` settings, one field each).

    ``devchain`` (default) runs the embedded anvil with persistent state under
    ``state_dir``, started for the step and stopped by PID afterwards, and anchors under its
    dev pin; ``rpc`` signs with the configured key (raw key or keystore) through
    ``rpc_urls`` (failover in order) and anchors under the pin of ``contract``.
    """

    mode: str = _CHAIN.mode
    state_dir: str = str(default_devchain_dir(DEFAULT_DATASETS_ROOT))
    anvil_bin: str = ""  # empty: the pinned npm package
    network: str | None = None
    chain_id: int | None = None
    rpc_urls: list[str] = Field(default_factory=list)
    contract: str = ""
    pin: str = ""  # empty: the installed pin that names the contract
    finality_tag: str = ""  # empty: the chain's default unless confirmations > 0
    confirmations: int = _CHAIN.confirmations
    private_key: str = ""
    keystore: str = ""
    keystore_passphrase: str = ""
    forwarder: str = ""
    native_unit: str = _CHAIN.native_unit
    max_batch: int = _CHAIN.max_batch
    tx_timeout: float = _CHAIN.tx_timeout
    fee_bump_percent: int = _CHAIN.fee_bump_percent
    finality_timeout: float = _CHAIN.finality_timeout
    poll_interval: float = _CHAIN.poll_interval
    rpc_timeout: float = _CHAIN.rpc_timeout

    @classmethod
    def from_settings(cls, settings: Settings, *, for_dagster: bool = True) -> ChainResource:
        """The chain the settings describe; for Dagster, secrets set in the environment are
        deferred to run time (``EnvVar``); otherwise they are the values themselves (outside
        Dagster, use ``ChainService.from_settings``)."""
        fields = dataclasses.asdict(ChainService.from_settings(settings))
        for name in ("private_key", "keystore_passphrase"):
            fields[name] = _secret(settings, f"chain.{name}", as_env_var=for_dagster)
        return cls(**fields)

    def service(self) -> ChainService:
        """The plain chain this config describes."""
        return _service(self, ChainService)

    @property
    def is_dev_chain(self) -> bool:
        """True on the embedded anvil (proves the code path, not tamper evidence)."""
        return self.mode == "devchain"

    def finality(self) -> Finality | None:
        """The configured finality policy (None: the chain's default)."""
        return self.service().finality()

    def policy(self) -> dict[str, Any]:
        """How the registry client sends and waits (``PublicationLogClient`` arguments)."""
        return self.service().policy()

    def config(self) -> ChainConfig:
        """The ``rpc`` chain as a ``ChainConfig`` (secrets included, never shown)."""
        return self.service().config()

    def known_pin(self) -> Pin | None:
        """The pin anchors are made under, if it can be read without the chain."""
        return self.service().known_pin()

    def rpc_pin(self) -> Pin:
        """The registry's trust pin in ``rpc`` mode."""
        return self.service().rpc_pin()

    def session(self, dataset: str) -> contextlib.AbstractContextManager[ChainSession]:
        """An open registry client signing as the publisher, with its pin, for one step
        (``ChainService.session``)."""
        return self.service().session(dataset)

    def launched(
        self, dataset: str
    ) -> contextlib.AbstractContextManager[
        Callable[[], contextlib.AbstractContextManager[ChainSession]]
    ]:
        """The factory of ``session`` for one step, the embedded chain launched now
        (``ChainService.launched``)."""
        return self.service().launched(dataset)

    def reachable(self) -> bool:
        """Whether the chain answers now (the embedded chain is started on demand: always)."""
        return self.service().reachable()

    def deploy(self, forwarder: str | None = None) -> RegistryDeployment:
        """Deploy the registry on the ``rpc`` chain, signed by the configured key."""
        return self.service().deploy(forwarder)


class BulkResource(ConfigurableResource):
    """The ``bulk`` and ``indicators`` settings as Dagster config."""

    max_part_bytes: int = _BULK.max_part_bytes
    max_part_releases: int = _BULK.max_part_releases
    memory_limit: str = _BULK.memory_limit
    gran_compra_threshold: str = str(_INDICATORS.gran_compra_threshold)
    splitting_windows: list[int] = Field(
        default_factory=lambda: list(_INDICATORS.splitting_windows)
    )
    splitting_min_orders: int = _INDICATORS.splitting_min_orders
    concentration_min_orders: int = _INDICATORS.concentration_min_orders
    concentration_hhi_flag: int = _INDICATORS.concentration_hhi_flag
    price_min_entities: int = _INDICATORS.price_min_entities
    resolved_within_days: int = _INDICATORS.resolved_within_days

    @classmethod
    def from_settings(cls, settings: Settings) -> BulkResource:
        """The bulk and indicator settings."""
        indicators = settings.indicators.model_dump()
        indicators["gran_compra_threshold"] = str(indicators["gran_compra_threshold"])
        return cls(**settings.bulk.model_dump(), **indicators)

    def bulk_settings(self) -> Bulk:
        """The ``bulk`` settings group, validated."""
        return Bulk(
            max_part_bytes=self.max_part_bytes,
            max_part_releases=self.max_part_releases,
            memory_limit=self.memory_limit,
        )

    def indicator_settings(self) -> Indicators:
        """The ``indicators`` settings group, validated."""
        return Indicators(
            gran_compra_threshold=Decimal(self.gran_compra_threshold),
            splitting_windows=list(self.splitting_windows),
            splitting_min_orders=self.splitting_min_orders,
            concentration_min_orders=self.concentration_min_orders,
            concentration_hhi_flag=self.concentration_hhi_flag,
            price_min_entities=self.price_min_entities,
            resolved_within_days=self.resolved_within_days,
        )


def build_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    """The resources of the code location, from one settings object."""
    return {
        "source": SourceResource.from_settings(settings),
        "datasets": DatasetsResource.from_settings(settings),
        "chain": ChainResource.from_settings(settings),
        "bulk": BulkResource.from_settings(settings),
    }
