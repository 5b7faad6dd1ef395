"""The pipeline's side effects as plain objects: source files, published storage, chain.

No Dagster here (``publicar backfill``, ``anchor`` and ``deploy`` use these directly, and a
test keeps it so). The Dagster resources of ``pipelines.resources`` are thin wrappers: their
fields are these services' fields as Dagster config, and each builds its service on use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from integrity.chain import ChainConfig, ChainConfigError, ChainUnavailable, RegistryDeployment
from integrity.verify.trust import (
    Finality,
    Pin,
    PinError,
    devchain_pin_path,
    load_pin,
    shipped_pins,
)
from perucompras.reader import month_of_file, read_source_dir
from publication.batch import DayJob
from publication.state import StateStore
from publication.storage import (
    LocalStore,
    ObjectStore,
    PublishReport,
    S3Settings,
    S3Store,
    publish_root,
    same_place,
)
from settings import Identity, Lang, Profile, Settings, default_state_dir, env_name

if TYPE_CHECKING:
    import datetime as dt

    from integrity.devchain import DevChain
    from publication.anchoring import ChainSession


def plain_secret(settings: Settings, path: str) -> str:
    """A secret setting's value ("" when unset), e.g. ``chain.private_key``."""
    group, _, name = path.partition(".")
    value = getattr(getattr(settings, group), name)
    return "" if value is None else str(value.get_secret_value())


@dataclass(frozen=True)
class SourceService:
    """Where the monthly `ReportePCBienesYYYYMM.csv` files come from.

    ``synthetic`` generates seeded files in exactly the real format into ``directory`` and
    reads them back through the same reader as real files; ``directory`` reads real files
    already on disk; ``portal`` downloads them first.
    """

    kind: str
    directory: str
    seed: int
    orders_per_month: int
    quotations: bool
    portal_url: str
    portal_dataset: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SourceService:
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
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return
    if folder.is_dir():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # By rename: a concurrent reader never sees a truncated stamp (and wipes the folder).
    partial = folder / f".GENERATOR.{os.getpid()}"
    partial.write_text(digest.hexdigest())
    os.replace(partial, stamp)


@dataclass(frozen=True)
class DatasetsService:
    """The published output root, its status store and the publisher's identity (the
    ``identity`` settings, one field each).

    Days are always written to the local folder ``root``. Where they are published is the
    storage: by default that same folder (``LocalStore``, nothing to upload); with
    ``storage_uri`` = ``s3://bucket/prefix``, an S3-compatible store that
    ``publish_to_storage`` brings up to date after each step (whole days, index last).
    """

    root: str
    dataset: str
    state_dir: str  # empty: beside the root
    ocds_dir: str  # empty: shared/ocds beside the repository
    history_start: str
    lang: str
    profile: str
    gx_cross_check: bool
    state_memory_limit: str
    ocid_prefix: str
    ocid_pattern: str
    base_url: str
    publisher_name: str
    publisher_scheme: str
    publisher_uid: str
    publisher_uri: str | None
    license: str
    policy_url: str | None
    contact_email: str | None
    contact_url: str | None
    storage_uri: str  # empty: the datasets root is the local folder itself
    storage_endpoint_url: str
    storage_region: str
    storage_addressing_style: str
    storage_access_key_id: str
    storage_secret_access_key: str
    lock_timeout: float

    def __post_init__(self) -> None:
        StateStore.use_memory_limit(self.state_memory_limit)

    @classmethod
    def from_settings(cls, settings: Settings) -> DatasetsService:
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
            state_memory_limit=settings.state_memory_limit,
            storage_uri=settings.storage_uri or "",
            storage_endpoint_url=storage.endpoint_url or "",
            storage_region=storage.region,
            storage_addressing_style=storage.addressing_style,
            storage_access_key_id=storage.access_key_id or "",
            storage_secret_access_key=plain_secret(settings, "storage.secret_access_key"),
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

    def writing(self) -> AbstractContextManager[Path]:
        """The datasets root's writer lock (``publication.lock``; re-entrant in a process):
        entering it waits up to ``lock_timeout`` seconds for another writer, then raises
        ``RootBusy`` with the lock's message."""
        from publication.lock import root_lock

        return root_lock(
            self.state_path or default_state_dir(self.path),
            timeout=self.lock_timeout,
            root=self.root,
            lang=self.language,
        )

    def lock_held(self) -> bool:
        """Whether this process holds the root's writer lock (``writing``)."""
        from publication.lock import held

        return held(self.state_path or default_state_dir(self.path))

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
            state_memory_limit=self.state_memory_limit,
        )


@dataclass(frozen=True)
class ChainService:
    """The EVM chain anchors go to (the ``chain`` settings, one field each).

    ``devchain`` runs the embedded anvil with persistent state under ``state_dir``, started
    for the step and stopped by PID afterwards, and anchors under its dev pin; ``rpc`` signs
    with the configured key (raw key or keystore) through ``rpc_urls`` (failover in order) and
    anchors under the pin of ``contract``.
    """

    mode: str
    state_dir: str
    anvil_bin: str  # empty: the pinned npm package
    network: str | None
    chain_id: int | None
    rpc_urls: list[str]
    contract: str
    pin: str  # empty: the installed pin that names the contract
    finality_tag: str  # empty: the chain's default unless confirmations > 0
    confirmations: int
    private_key: str
    keystore: str
    keystore_passphrase: str
    forwarder: str
    native_unit: str
    max_batch: int
    tx_timeout: float
    fee_bump_percent: int
    finality_timeout: float
    poll_interval: float
    rpc_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainService:
        """The chain the settings describe, secrets included (never shown)."""
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
            private_key=plain_secret(settings, "chain.private_key"),
            keystore=str(chain.keystore or ""),
            keystore_passphrase=plain_secret(settings, "chain.keystore_passphrase"),
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
        from publication.anchoring import ChainSession

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
        with self._dev_session(self._devchain(dataset)) as session:
            yield session

    def _devchain(self, dataset: str) -> DevChain:
        from integrity.devchain import DevChain

        anvil = Path(self.anvil_bin) if self.anvil_bin else None
        return DevChain(
            Path(self.state_dir), anvil_bin=anvil, dataset=dataset, die_with_parent=True
        )

    @contextlib.contextmanager
    def _dev_session(self, devchain: DevChain) -> Iterator[ChainSession]:
        """A session on the embedded chain, started now (or waited for, if launched)."""
        from integrity.devchain import DevChainError
        from publication.anchoring import ChainSession

        try:
            devchain.start()
        except DevChainError as error:
            raise ChainUnavailable(f"the embedded dev chain did not start: {error}") from error
        try:
            client = devchain.client(finality=self.finality(), **self.policy())
            yield ChainSession(client, load_pin(devchain.pin_file), dev_chain=True)
        finally:
            devchain.stop()

    @contextlib.contextmanager
    def launched(
        self, dataset: str
    ) -> Iterator[Callable[[], contextlib.AbstractContextManager[ChainSession]]]:
        """The factory of ``session`` for one step, with the embedded chain launched now: anvil
        boots while the step works on, and the session waits for it. Stopped at the end of the
        block if no session was opened; an ``rpc`` chain, or an anvil that cannot be launched
        now, is left to ``session``."""
        from integrity.devchain import DevChainError

        if self.mode != "devchain":
            yield lambda: self.session(dataset)
            return
        devchain = self._devchain(dataset)
        try:
            devchain.launch()
        except (DevChainError, OSError):
            yield lambda: self.session(dataset)
            return
        try:
            yield lambda: self._dev_session(devchain)
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
        from integrity.chain import deploy_registry

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
