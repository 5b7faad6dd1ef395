"""Resources: every side effect (source files, published storage, chain) sits behind one.

Their fields are the settings (``settings.Settings``) as Dagster config, with the settings'
dev defaults. ``build_resources(settings)`` is how the code location and ``publicar`` make
them: secrets set in the environment go in as ``EnvVar``, so Dagster resolves them when a run
starts and never shows them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from dagster import ConfigurableResource, EnvVar, Failure
from pydantic import Field

from integrity.chain import (
    ChainConfig,
    ChainConfigError,
    ChainUnavailable,
    RegistryDeployment,
    deploy_registry,
)
from integrity.devchain import DevChain, DevChainError
from integrity.verify.trust import (
    Finality,
    Pin,
    PinError,
    devchain_pin_path,
    load_pin,
    shipped_pins,
)
from perucompras.reader import month_of_file, read_source_dir
from publication.anchoring import ChainSession
from publication.batch import DayJob
from publication.storage import (
    LocalStore,
    ObjectStore,
    PublishReport,
    S3Settings,
    S3Store,
    publish_root,
    same_place,
)
from settings import (
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
    default_state_dir,
    env_name,
)
from settings.model import DEFAULT_DATASET, DEFAULT_DATASETS_ROOT

_IDENTITY = Identity()
_SOURCE = Source()
_CHAIN = Chain()
_BULK = Bulk()
_INDICATORS = Indicators()
_STORAGE = Storage()


class SourceResource(ConfigurableResource):
    """Where the monthly `ReportePCBienesYYYYMM.csv` files come from.

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
        source = settings.source
        return cls(
            kind=source.kind,
            directory=str(settings.source_dir),
            seed=source.seed,
            orders_per_month=source.orders_per_month,
            quotations=source.quotations,
            portal_url=source.portal_url,
            portal_dataset=source.portal_dataset,
        )

    @property
    def synthetic(self) -> bool:
        """Whether the files are synthetic: the synthetic source, or a folder the generator
        marked (what is published from them is labelled so)."""
        from perucompras.synthetic import is_synthetic_folder

        return self.kind == "synthetic" or is_synthetic_folder(Path(self.directory))

    def available_files(self, day: dt.date) -> list[Path]:
        """Every monthly snapshot on disk, after making sure ``day``'s month is there."""
        self.monthly_files(day)
        return read_source_dir(Path(self.directory))

    def companion_files(self, day: dt.date) -> dict[str, Path]:
        """The month's detailed export and quotations files, when the source has them."""
        from publication.details import companion_files

        return companion_files(Path(self.directory), day)

    def _generate_companions(self, day: dt.date, monthly: Path) -> None:
        """Synthetic detailed export and quotations consistent with the monthly file."""
        from perucompras.synthetic_details import generate_detailed_export, generate_quotations
        from publication.details import DETAIL_PREFIX, QUOTATION_PREFIX

        found = self.companion_files(day)
        folder = Path(self.directory)
        if DETAIL_PREFIX not in found:
            generate_detailed_export(day.year, day.month, folder, orders=monthly, seed=self.seed)
        if QUOTATION_PREFIX not in found and self.quotations:
            generate_quotations(day.year, day.month, folder, orders=monthly, seed=self.seed)

    def monthly_files(self, day: dt.date) -> list[Path]:
        """Monthly files that can hold orders formalised on ``day`` (generated if synthetic)."""
        folder = Path(self.directory)
        if self.kind == "synthetic":
            from perucompras.synthetic import file_name, generate_month

            _reset_if_generator_changed(folder, f"seed={self.seed};orders={self.orders_per_month}")
            # Generated once per month (the stamp above drops stale files; a file only ever
            # appears complete, by rename): rewriting it for every day would change its mtime
            # and make each day read and parse it again.
            monthly = folder / file_name(day.year, day.month)
            if not monthly.is_file():
                monthly = generate_month(
                    day.year, day.month, folder, seed=self.seed, orders=self.orders_per_month
                )
            self._generate_companions(day, monthly)
        elif self.kind == "portal":
            from perucompras.portal import PortalSettings, download_month_files

            folder.mkdir(parents=True, exist_ok=True)
            portal = PortalSettings(base_url=self.portal_url, dataset=self.portal_dataset)
            download_month_files(portal, folder)
        elif self.kind != "directory":
            raise ValueError(
                f"unknown source kind {self.kind!r}: use synthetic, directory or portal"
            )
        if not folder.is_dir():
            raise FileNotFoundError(f"source directory {folder} does not exist")
        return [p for p in read_source_dir(folder) if month_of_file(p) == (day.year, day.month)]


def _reset_if_generator_changed(folder: Path, parameters: str) -> None:
    """Synthetic files are cached by month name: drop them when the generator code or its
    parameters change, so a month's three files always come from one generation."""
    from perucompras import synthetic, synthetic_details

    digest = hashlib.sha256(parameters.encode())
    for module in (synthetic, synthetic_details):
        digest.update(Path(str(module.__file__)).read_bytes())
    stamp = folder / "GENERATOR"
    if folder.is_dir() and (not stamp.exists() or stamp.read_text() != digest.hexdigest()):
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest.hexdigest())


class DatasetsResource(ConfigurableResource):
    """The published output root, its status store and the publisher's identity (the
    ``identity`` settings, one field each).

    Days are always written to the local folder ``root``. Where they are published is the
    storage: by default that same folder (``LocalStore``, nothing to upload); with
    ``storage_uri`` = ``s3://bucket/prefix``, an S3-compatible store that
    ``publish_to_storage`` brings up to date after each step (whole days, index last).
    """

    root: str = str(DEFAULT_DATASETS_ROOT)
    dataset: str = DEFAULT_DATASET
    state_dir: str = ""  # empty: beside the root
    ocds_dir: str = ""  # empty: shared/ocds beside the repository
    history_start: str = SOURCE_FIRST_DAY.isoformat()
    lang: str = "es"
    profile: str = "dev"
    gx_cross_check: bool = True
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
        storage = settings.storage
        return cls(
            root=str(settings.local_root),
            dataset=settings.dataset,
            state_dir=str(settings.status_store_dir),
            ocds_dir=str(settings.ocds_dir or ""),
            history_start=settings.history_start.isoformat(),
            lang=settings.lang,
            profile=settings.profile,
            gx_cross_check=settings.gx_cross_check,
            storage_uri=settings.storage_uri or "",
            storage_endpoint_url=storage.endpoint_url or "",
            storage_region=storage.region,
            storage_addressing_style=storage.addressing_style,
            storage_access_key_id=storage.access_key_id or "",
            storage_secret_access_key=_secret(settings, "storage.secret_access_key"),
            lock_timeout=settings.lock_timeout,
            **settings.identity.model_dump(),
        )

    def object_store(self) -> ObjectStore:
        """Where the datasets are published: the local root, or the ``s3://`` store."""
        if not self.storage_uri:
            return LocalStore(self.path)
        return S3Store(
            self.storage_uri,
            S3Settings(
                endpoint_url=self.storage_endpoint_url or None,
                region=self.storage_region,
                addressing_style=self.storage_addressing_style,
                access_key_id=self.storage_access_key_id or None,
                secret_access_key=self.storage_secret_access_key or None,
            ),
        )

    def publish_to_storage(self) -> PublishReport | None:
        """Upload what changed under the local root (None: the root is the storage)."""
        store = self.object_store()
        if same_place(store, self.path):
            return None
        return publish_root(store, self.path)

    @property
    def path(self) -> Path:
        """The datasets root."""
        return Path(self.root)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the datasets root's writer lock (``publication.lock``; already held when
        ``publicar`` runs the assets in-process); another writer makes the step wait up to
        ``lock_timeout`` seconds, then fail with the lock's message."""
        from publication.lock import RootBusy, root_lock

        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(
                    root_lock(
                        self.state_path or default_state_dir(self.path),
                        timeout=self.lock_timeout,
                        root=self.root,
                        lang=self.language,
                    )
                )
            except RootBusy as busy:
                raise Failure(description=str(busy)) from None
            yield

    @property
    def state_path(self) -> Path | None:
        """The status-store folder (``None``: beside the root)."""
        return Path(self.state_dir) if self.state_dir else None

    @property
    def ocds_path(self) -> Path | None:
        """The offline OCDS files (``None``: the default folder)."""
        return Path(self.ocds_dir) if self.ocds_dir else None

    @property
    def profile_name(self) -> Profile:
        """The settings profile (``dev`` packages say they are not an official publication)."""
        if self.profile not in ("dev", "production"):
            raise ValueError(f"profile {self.profile!r}: use dev or production")
        return cast(Profile, self.profile)

    @property
    def language(self) -> Lang:
        """The language of the published pages."""
        if self.lang not in ("es", "en"):
            raise ValueError(f"lang {self.lang!r}: use es or en")
        return cast(Lang, self.lang)

    def identity(self) -> Identity:
        """The publisher's identity settings, validated."""
        return Identity(**{name: getattr(self, name) for name in Identity.model_fields})

    def day_job(self) -> DayJob:
        """The day steps bound to this root, status store and identity (assets and backfills)."""
        return DayJob(
            root=self.path,
            dataset=self.dataset,
            identity=self.identity(),
            state_dir=self.state_path,
            ocds_dir=self.ocds_path,
            lang=self.language,
            profile=self.profile_name,
            run_gx=self.gx_cross_check,
        )


def _secret(settings: Settings, path: str, *, as_env_var: bool = True) -> str:
    """A secret for a resource: as ``EnvVar`` when it came from the environment (Dagster
    resolves it when a run starts), unless ``as_env_var`` is False (used outside Dagster)."""
    group, _, name = path.partition(".")
    value = getattr(getattr(settings, group), name)
    if value is None:
        return ""
    if as_env_var and settings.origin(path) == "environment":
        return EnvVar(env_name(path))
    return str(value.get_secret_value())


class ChainResource(ConfigurableResource):
    """The EVM chain anchors go to (the ``chain`` settings, one field each).

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
        deferred to run time (``EnvVar``); outside Dagster (``publicar deploy``/``anchor``)
        they are the values themselves."""
        chain = settings.chain
        return cls(
            mode=chain.mode,
            state_dir=str(settings.devchain_dir),
            anvil_bin=str(chain.anvil_bin or ""),
            network=chain.network,
            chain_id=chain.chain_id,
            rpc_urls=list(chain.rpc_urls),
            contract=chain.contract or "",
            pin=str(chain.pin or ""),
            finality_tag=chain.finality_tag or "",
            confirmations=chain.confirmations,
            private_key=_secret(settings, "chain.private_key", as_env_var=for_dagster),
            keystore=str(chain.keystore or ""),
            keystore_passphrase=_secret(
                settings, "chain.keystore_passphrase", as_env_var=for_dagster
            ),
            forwarder=chain.forwarder or "",
            native_unit=chain.native_unit,
            max_batch=chain.max_batch,
            tx_timeout=chain.tx_timeout,
            fee_bump_percent=chain.fee_bump_percent,
            finality_timeout=chain.finality_timeout,
            poll_interval=chain.poll_interval,
            rpc_timeout=chain.rpc_timeout,
        )

    @property
    def is_dev_chain(self) -> bool:
        """True on the embedded anvil (proves the code path, not tamper evidence)."""
        return self.mode == "devchain"

    def finality(self) -> Finality | None:
        """The configured finality policy (None: the chain's default)."""
        if self.finality_tag:
            return Finality(tag=self.finality_tag)
        if self.confirmations > 0:
            return Finality(confirmations=self.confirmations)
        return None

    def policy(self) -> dict[str, Any]:
        """How the registry client sends and waits (``PublicationLogClient`` arguments)."""
        return {
            "tx_timeout": self.tx_timeout,
            "finality_timeout": self.finality_timeout,
            "fee_bump_percent": self.fee_bump_percent,
            "max_batch": self.max_batch,
            "poll_interval": self.poll_interval,
            "native_unit": self.native_unit,
        }

    def config(self) -> ChainConfig:
        """The ``rpc`` chain as a ``ChainConfig`` (secrets included, never shown)."""
        if self.mode != "rpc":
            raise ValueError(f"chain mode {self.mode!r} has no RPC configuration")
        return ChainConfig(
            rpc_urls=tuple(self.rpc_urls),
            chain_id=self.chain_id,
            contract=self.contract or None,
            private_key=self.private_key or None,
            keystore=Path(self.keystore) if self.keystore else None,
            keystore_passphrase=self.keystore_passphrase or None,
            finality=self.finality(),
            rpc_timeout=self.rpc_timeout,
            **self.policy(),
        )

    def known_pin(self) -> Pin | None:
        """The pin anchors are made under, if it can be read without the chain."""
        try:
            if self.mode == "devchain":
                return load_pin(devchain_pin_path(self.state_dir))
            return self.rpc_pin()
        except (PinError, ChainConfigError):
            return None

    def rpc_pin(self) -> Pin:
        """The registry's trust pin in ``rpc`` mode: ``pin``, else the installed one that
        names ``contract`` on ``chain_id``."""
        if self.pin:
            return load_pin(self.pin)
        for candidate in shipped_pins():
            if (
                candidate.network.chain_id == self.chain_id
                and candidate.registry.address.lower() == self.contract.lower()
            ):
                return candidate
        raise ChainConfigError(
            f"no trust pin for registry {self.contract or '(unset)'} on chain {self.chain_id}: "
            f"set {env_name('chain.pin')} to the pin `publicar deploy` wrote"
        )

    @contextlib.contextmanager
    def session(self, dataset: str) -> Iterator[ChainSession]:
        """An open registry client signing as the publisher, with its pin, for one step.

        Raises ``ChainUnavailable`` when the chain cannot be reached (the caller marks the
        days pending); configuration problems (a dev key on a public chain, no pin, a pin
        that names another registry) raise ``ChainConfigError``.
        """
        if self.mode == "rpc":
            config = self.config()
            account = config.account()  # the key is checked before any network call
            pin = self.rpc_pin()
            if config.contract is None:
                config = replace(config, contract=pin.registry.address)
            yield ChainSession(config.client(account), pin, dev_chain=False)
            return
        if self.mode != "devchain":
            raise ValueError(f"unknown chain mode {self.mode!r}: use devchain or rpc")
        anvil = Path(self.anvil_bin) if self.anvil_bin else None
        devchain = DevChain(
            Path(self.state_dir), anvil_bin=anvil, dataset=dataset, die_with_parent=True
        )
        try:
            devchain.start()
        except DevChainError as error:
            raise ChainUnavailable(f"the embedded dev chain did not start: {error}") from error
        try:
            client = devchain.client(finality=self.finality(), **self.policy())
            yield ChainSession(client, load_pin(devchain.pin_file), dev_chain=True)
        finally:
            devchain.stop()

    def reachable(self) -> bool:
        """Whether the chain answers now (the embedded chain is started on demand: always)."""
        if self.mode != "rpc":
            return True
        try:
            self.config().connect()
        except (ChainUnavailable, ChainConfigError):
            return False
        return True

    def deploy(self, forwarder: str | None = None) -> RegistryDeployment:
        """Deploy the registry on the ``rpc`` chain, signed by the configured key."""
        config = self.config()
        account = config.account()
        if account is None:
            raise ChainConfigError("deploying needs a signing key (chain.private_key or keystore)")
        return deploy_registry(
            config.connect(),
            account,
            forwarder=forwarder or self.forwarder or None,
            timeout=self.tx_timeout,
            expected_chain_id=self.chain_id,
        )


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
