"""The settings object: one typed definition of every value the pipeline can be configured with.

Three groups (``identity``, ``source``, ``chain``) plus the storage and run settings at the top.
Defaults are the ``dev`` profile: an example ocid prefix, an ``example.org`` base URL and the
embedded dev chain, so that ``make run`` works on a fresh clone. The ``production`` profile
refuses those placeholders (``production_problems``). Relative paths are resolved against the
working directory when the settings are loaded.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "PERUCOMPRAS_"
NESTED_DELIMITER = "__"
EXAMPLE_OCID_PREFIX = "ocds-213czf"
# Where `publicar serve` serves the datasets root by default: dev URLs resolve on this machine.
DEV_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_OCID_PATTERN = "{prefix}-{order_id}"
OCID_PATTERN_FIELDS = frozenset({"prefix", "order_id", "order_number"})
EXAMPLE_CONTACT_EMAIL = "datos-abiertos@example.org"
# The dev profile's publisher: a placeholder nobody could take for a real organisation (`XX` is
# no country code, so no org-id register issues the scheme); the production profile refuses it.
DEV_PUBLISHER_NAME = "Publicador de desarrollo (no oficial)"
DEV_PUBLISHER_SCHEME = "XX-DEV"
DEV_PUBLISHER_UID = "no-oficial"
SOURCE_FIRST_DAY = dt.date(2022, 1, 1)
# About a month of days per run of a Dagster UI backfill (the assets' backfill policy).
DEFAULT_BACKFILL_DAYS_PER_RUN = 31
DEFAULT_DATASETS_ROOT = Path("datasets")
DEFAULT_DATASET = "perucompras-ocam"
# The status store keeps what its queries touch in DuckDB's cache: a full-history backfill ran
# as fast with 256 MB as with 512 MB (417.6 vs 421.0 s), and its processes need the memory.
DEFAULT_STATE_MEMORY_LIMIT = "256MB"
# The bulk build fills whatever limit it has: rebuilding 16 months of quotations (year and full
# files included) took 202.3 s with 256 MB and 202.4 s with 512 MB, and peaked 215 MiB lower.
DEFAULT_BULK_MEMORY_LIMIT = "256MB"
MEMORY_LIMIT_PATTERN = r"^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|KiB|MiB|GiB)$"
# Public test mnemonic of anvil/hardhat: every account derived from it is a known key.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 10
OCID_PREFIX_PATTERN = re.compile(r"^ocds-[a-z0-9]{6}$")
DATASET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ADDRESS_PATTERN = re.compile(r"^0x[0-9a-fA-F]{40}$")
PRIVATE_KEY_PATTERN = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
EMAIL_PATTERN = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
S3_URI_PATTERN = re.compile(
    r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?P<prefix>(/[^/]+)*)/?$"
)

Profile = Literal["dev", "production"]
Lang = Literal["es", "en"]
Origin = Literal["default", "file", "environment", "argument"]

# The TOML file of the load in progress (set by ``load_settings`` around the construction).
CONFIG_FILE_IN_USE: ContextVar[Path | None] = ContextVar("perucompras_config", default=None)


def _http_url(value: str | None) -> str | None:
    """An absolute http(s) URL, kept as written (it is published as is)."""
    if value is None:
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    return value


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Identity(_Group):
    """Who publishes, under which identifiers and licence, at which public address."""

    ocid_prefix: str = Field(
        EXAMPLE_OCID_PREFIX,
        description="OCDS ocid prefix registered for the publisher (`ocds-` + 6 characters); "
        "the default is the example prefix of the OCDS documentation",
    )
    ocid_pattern: str = Field(
        DEFAULT_OCID_PATTERN,
        description="ocid of a purchase order (call-off): `{prefix}` followed by `-` and text "
        "with `{order_id}` (ORDEN_ELECTRÓNICA without its `-n`) or `{order_number}` (with it); "
        "set it to match an existing OCDS publication of the same orders",
    )
    base_url: str = Field(
        DEV_BASE_URL,
        description="public URL the datasets root is served at (package uris, release URLs, "
        "extensions, catalogue links); the default is where `publicar serve` serves it",
    )
    publisher_name: str = Field(
        DEV_PUBLISHER_NAME,
        description="package `publisher.name`; the default is a dev placeholder (production "
        "refuses it)",
    )
    publisher_scheme: str = Field(
        DEV_PUBLISHER_SCHEME,
        description="package `publisher.scheme` (org-id scheme, e.g. `PE-RUC`); the default "
        "is a dev placeholder",
    )
    publisher_uid: str = Field(
        DEV_PUBLISHER_UID,
        description="package `publisher.uid` (with `PE-RUC`, the publisher's RUC); the default "
        "is a dev placeholder",
    )
    publisher_uri: str | None = Field(
        None, description="package `publisher.uri` and the catalogue's publisher IRI (optional)"
    )
    license: str = Field(
        "https://creativecommons.org/licenses/by/4.0/",
        description="licence URL of the data (packages and catalogue)",
    )
    policy_url: str | None = Field(
        None,
        description="`publicationPolicy` URL; unset: the policy served at "
        "`{base_url}/publication-policy.md`",
    )
    contact_email: str | None = Field(
        None,
        description="publisher's contact address, written in the publication policy and the "
        "local extensions' `contactPoint`",
    )
    contact_url: str | None = Field(
        None, description="publisher's contact page (e.g. an issue tracker), in the policy"
    )

    @field_validator("ocid_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        unknown = names - OCID_PATTERN_FIELDS
        if unknown:
            raise ValueError(
                f"{value!r} names {', '.join(sorted(unknown))}; use {{prefix}}, {{order_id}} "
                "or {order_number}"
            )
        if not value.startswith("{prefix}-") or not names & {"order_id", "order_number"}:
            raise ValueError(
                f"{value!r}: an ocid starts with `{{prefix}}-` and names the order "
                "({order_id} or {order_number})"
            )
        if value.startswith("{prefix}-AM-"):
            raise ValueError(f"{value!r}: `{{prefix}}-AM-` is the framework agreements' ocids")
        return value

    @field_validator("ocid_prefix")
    @classmethod
    def _prefix_format(cls, value: str) -> str:
        if not OCID_PREFIX_PATTERN.match(value):
            raise ValueError(f"{value!r} is not an ocid prefix: `ocds-` followed by 6 characters")
        return value

    @field_validator("publisher_uri", "license", "policy_url", "contact_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return _http_url(value)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return str(_http_url(value)).rstrip("/")  # the writers join it with "/"

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("mailto:")
        if not EMAIL_PATTERN.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("publisher_name", "publisher_scheme", "publisher_uid")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    def placeholder_publisher_fields(self) -> list[str]:
        """The ``publisher_*`` settings still at the dev placeholder (none for a real one)."""
        placeholders = {
            "publisher_name": DEV_PUBLISHER_NAME,
            "publisher_scheme": DEV_PUBLISHER_SCHEME,
            "publisher_uid": DEV_PUBLISHER_UID,
        }
        return [name for name, value in placeholders.items() if getattr(self, name) == value]


class Source(_Group):
    """Where the monthly files (and their companion files) come from."""

    kind: Literal["synthetic", "directory", "portal"] = Field(
        "synthetic",
        description="`synthetic` (seeded files in the real format), `directory` (real files "
        "already on disk) or `portal` (download from the national open data portal)",
    )
    directory: Path | None = Field(
        None,
        description="folder of the monthly files; unset: `.cache/source/synthetic` or "
        "`.cache/source/portal` (required for `directory`)",
    )
    portal_url: str = Field(
        "https://www.datosabiertos.gob.pe", description="CKAN API base of the open data portal"
    )
    portal_dataset: str = Field(
        "", description="CKAN dataset id of the monthly files (required for `portal`)"
    )
    seed: int = Field(2026, description="seed of the synthetic generator")
    orders_per_month: int = Field(10_000, gt=0, description="synthetic orders per month")
    quotations: bool = Field(True, description="generate synthetic quotations files")

    @field_validator("portal_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return str(_http_url(value))

    @model_validator(mode="after")
    def _portal_dataset(self) -> Source:
        if self.kind == "portal" and not self.portal_dataset.strip():
            raise ValueError("source.kind = portal needs source.portal_dataset (the CKAN id)")
        return self


class Chain(_Group):
    """The EVM chain the daily manifests are anchored on, the key that signs, and how."""

    mode: Literal["devchain", "rpc"] = Field(
        "devchain",
        description="`devchain` (embedded anvil, proves the code path only) or `rpc` "
        "(any EVM node)",
    )
    network: str | None = Field(
        None, description="network name written in the trust pin by `publicar deploy`"
    )
    chain_id: int | None = Field(
        None,
        gt=0,
        description="chain id of the network (required in `rpc` mode: development keys are "
        "refused on any chain id but 31337 before any network call; anchoring stops if the "
        "node reports another)",
    )
    rpc_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="JSON-RPC endpoints (http(s) URL or IPC path), comma-separated or a JSON "
        "list; every request goes to the first one that answers (failover in order)",
    )
    contract: str | None = Field(
        None, description="registry (PublicationLog) address, `rpc` mode; from `publicar deploy`"
    )
    pin: Path | None = Field(
        None,
        description="trust pin of the registry (`rpc` mode), written by `publicar deploy`; "
        "unset: the pin installed with the verifier that names `chain.contract`",
    )
    finality_tag: Literal["finalized", "safe", "latest"] | None = Field(
        None,
        description="block tag at which an anchor counts as final; unset: `latest` on anvil "
        "(31337), `finalized` elsewhere, unless `chain.confirmations` is set",
    )
    confirmations: int = Field(
        0,
        ge=0,
        description="when no `chain.finality_tag` is set and this is above 0: an anchor is "
        "final after this many blocks (for chains without a `finalized` tag)",
    )
    private_key: SecretStr | None = Field(
        None, description="publisher key (hex); environment only, never in the file"
    )
    keystore: Path | None = Field(
        None, description="encrypted JSON keystore (eth-account) of the publisher key"
    )
    keystore_passphrase: SecretStr | None = Field(
        None, description="passphrase of the keystore; environment only"
    )
    forwarder: str | None = Field(
        None,
        description="relay hub trusted by the registry (LACChain only), given to `publicar "
        "deploy`; unset elsewhere",
    )
    native_unit: str = Field(
        "ETH", description="name of the chain's native currency, for fees (e.g. POL on Polygon)"
    )
    max_batch: int = Field(
        128,
        ge=1,
        le=128,
        description="days per transaction when several are anchored at once (the registry "
        "takes at most 128; lower it where gas per block is rationed, e.g. LACChain)",
    )
    tx_timeout: float = Field(
        180.0,
        gt=0,
        description="seconds before a transaction that is not mined is replaced (same nonce, "
        "higher fees)",
    )
    fee_bump_percent: int = Field(
        25, ge=10, description="how much each replacement raises the fees, in percent"
    )
    finality_timeout: float = Field(
        900.0,
        ge=0,
        description="seconds a run waits for its anchors to become final (unfinished ones are "
        "followed up by `publicar anchor --pending`)",
    )
    poll_interval: float = Field(
        1.0, gt=0, description="seconds between two looks at the chain while waiting"
    )
    rpc_timeout: float = Field(30.0, gt=0, description="seconds before an RPC request gives up")
    devchain_dir: Path | None = Field(
        None,
        description="state folder of the embedded chain (and its trust pin); unset: "
        "`.devchain` for the default datasets root, else `.NAME-devchain` beside it",
    )
    anvil_bin: Path | None = Field(
        None, description="anvil binary; unset: the pinned npm package in `node_modules`"
    )

    @field_validator("rpc_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("rpc_urls")
    @classmethod
    def _rpc_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if url.startswith(("ws://", "wss://")):
                raise ValueError(f"{url!r}: websocket URLs are not supported; use http(s) or IPC")
        return urls

    @field_validator("contract", "forwarder")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not ADDRESS_PATTERN.match(value.strip()):
            raise ValueError(f"{value!r} is not an Ethereum address (0x + 40 hex digits)")
        return value.strip() if value else value

    @field_validator("private_key")
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not PRIVATE_KEY_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError("not a 32-byte hex private key")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Chain:
        if self.private_key is not None and self.keystore is not None:
            raise ValueError("give chain.private_key or chain.keystore, not both")
        if self.keystore is not None and self.keystore_passphrase is None:
            raise ValueError("chain.keystore needs chain.keystore_passphrase")
        if self.mode == "rpc":
            if not self.rpc_urls:
                raise ValueError("chain.mode = rpc needs chain.rpc_urls (at least one endpoint)")
            if self.chain_id is None:
                raise ValueError(
                    "chain.mode = rpc needs chain.chain_id (the network's chain id, checked "
                    "before any key is used)"
                )
            if self.private_key is None and self.keystore is None:
                raise ValueError(
                    "chain.mode = rpc needs a signing key: chain.private_key or chain.keystore"
                )
        return self

    def finality(self) -> tuple[str | None, int | None]:
        """(tag, confirmations) of the finality policy; (None, None) = the chain's default."""
        if self.finality_tag is not None:
            return self.finality_tag, None
        if self.confirmations > 0:
            return None, self.confirmations
        return None, None


class Bulk(_Group):
    """The bulk dataset (month, year and full-history files built from the published days)."""

    max_part_bytes: int = Field(
        1_000_000_000,
        gt=0,
        description="largest uncompressed JSON Lines part of a bulk file; bigger ones are split "
        "(OCDS hosting guidance: about 1 GB)",
    )
    max_part_releases: int = Field(
        250_000,
        gt=0,
        description="most releases in one JSON Lines part (OCDS hosting guidance: 250,000 "
        "contracts per file)",
    )
    memory_limit: str = Field(
        DEFAULT_BULK_MEMORY_LIMIT,
        pattern=MEMORY_LIMIT_PATTERN,
        description="DuckDB memory limit while building the bulk files, for each of its "
        "connections (the month tables, the indicators); it spills to disk beyond it",
    )
    ahead_memory_limit: str = Field(
        "256MB",
        pattern=MEMORY_LIMIT_PATTERN,
        description="DuckDB memory limit of the months a backfill builds ahead in its "
        "background process, beside the main process (a month that cannot be built there is "
        "built with the others at the end)",
    )


class Indicators(_Group):
    """Parameters of the red-flag indicators (published with every result)."""

    gran_compra_threshold: Decimal = Field(
        Decimal("100000"),
        gt=0,
        description="soles (IGV included) above which an order goes through a Gran Compra; "
        "possible splitting = orders each below it that add up to it",
    )
    splitting_windows: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [7, 30],
        description="windows in calendar days for possible splitting, comma-separated",
    )
    splitting_min_orders: int = Field(
        2, ge=2, description="fewest orders in a possible-splitting group"
    )
    concentration_min_orders: int = Field(
        20,
        ge=1,
        description="fewest orders of an entity and agreement (or an agreement) in a month for "
        "its supplier concentration to be reported",
    )
    concentration_hhi_flag: int = Field(
        2500,
        ge=0,
        le=10000,
        description="HHI (0-10,000) from which a concentration is flagged as high",
    )
    price_min_entities: int = Field(
        3,
        ge=2,
        description="fewest distinct entities buying a product in a month for its price "
        "dispersion to be reported",
    )
    resolved_within_days: int = Field(
        30,
        ge=0,
        description="an order RESUELTA within this many days of its formalisation is a status "
        "anomaly",
    )

    @field_validator("splitting_windows", mode="before")
    @classmethod
    def _split_windows(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [int(part) for part in text.split(",") if part.strip()]
        return value

    @field_validator("splitting_windows")
    @classmethod
    def _windows(cls, windows: list[int]) -> list[int]:
        if not windows or any(days < 1 for days in windows):
            raise ValueError("give at least one window of 1 day or more")
        return sorted(set(windows))


class Storage(_Group):
    """Object storage for an ``s3://bucket/prefix`` datasets root (S3 or any S3-compatible server)."""

    endpoint_url: str | None = Field(
        None, description="S3 endpoint (http(s) URL) of an S3-compatible server; unset: AWS S3"
    )
    region: str = Field("us-east-1", description="S3 region")
    addressing_style: Literal["auto", "path", "virtual"] = Field(
        "path",
        description="`path` (bucket in the URL path: MinIO, Ceph, most S3-compatible servers), "
        "`virtual` (bucket in the host name) or `auto`",
    )
    access_key_id: str | None = Field(
        None, description="S3 access key id; unset: the AWS SDK's own lookup"
    )
    secret_access_key: SecretStr | None = Field(
        None, description="S3 secret access key; environment only, never in the file"
    )
    local_dir: Path | None = Field(
        None,
        description="local working copy of an `s3://` datasets root (days are written there, "
        "then uploaded); unset: `.cache/storage/BUCKET/PREFIX`",
    )

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        url = _http_url(value)
        return url.rstrip("/") if url else url


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, prefix without slashes) of ``s3://bucket/prefix``; ValueError if malformed."""
    match = S3_URI_PATTERN.match(uri.strip())
    if not match:
        raise ValueError(
            f"{uri!r} is not an S3 URI: use s3://bucket or s3://bucket/prefix (lowercase bucket)"
        )
    return match["bucket"], match["prefix"].strip("/")


def _datasets_location(value: Any) -> Any:
    """Keep an ``s3://`` URI as text (a Path would fold its ``//``); anything else is a path."""
    if isinstance(value, str) and value.strip().lower().startswith("s3://"):
        parse_s3_uri(value)
        return value.strip().rstrip("/")
    return Path(value) if isinstance(value, str) else value


def default_state_dir(datasets_root: Path) -> Path:
    """The status-store folder of a datasets root: beside it, never published."""
    return datasets_root.parent / f".{datasets_root.name}-state"


def default_devchain_dir(datasets_root: Path) -> Path:
    """The embedded chain of a datasets root: ``.devchain`` for the default root, else
    ``.NAME-devchain`` beside it, so that two roots never share a chain."""
    if datasets_root.resolve() == DEFAULT_DATASETS_ROOT.resolve():
        return Path(".devchain").resolve()
    return datasets_root.parent / f".{datasets_root.name}-devchain"


def default_source_dir(kind: str) -> Path:
    """Where a generated or downloaded source lives when no directory is set."""
    return Path(".cache") / "source" / kind


def default_storage_dir(uri: str) -> Path:
    """The local working copy of an ``s3://bucket/prefix`` datasets root."""
    bucket, prefix = parse_s3_uri(uri)
    return Path(".cache") / "storage" / bucket / (prefix or "_root")


class Settings(BaseSettings):
    """Every setting of the pipeline; load it with ``settings.load_settings``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    profile: Profile = Field(
        "dev", description="`dev` (example identity, embedded chain) or `production`"
    )
    lang: Lang = Field("es", description="language of the published quality pages")
    gx_cross_check: bool = Field(
        True,
        description="run Great Expectations as a cross-check of the quality rules (the blocking "
        "`gx.*agreement` checks); `false` leaves those checks out, the rules alone decide and "
        "each day's quality report lists them as not evaluated, saying why",
    )
    datasets_root: Annotated[Path | str, BeforeValidator(_datasets_location)] = Field(
        DEFAULT_DATASETS_ROOT,
        description="folder the published files are written to, or `s3://bucket/prefix` "
        "(object storage: written to `storage.local_dir`, then uploaded, each day atomically)",
    )
    dataset: str = Field(DEFAULT_DATASET, description="dataset name (folders, file names, keys)")
    state_dir: Path | None = Field(
        None, description="status store (DuckDB) folder; unset: `.NAME-state` beside the root"
    )
    state_memory_limit: str = Field(
        DEFAULT_STATE_MEMORY_LIMIT,
        pattern=MEMORY_LIMIT_PATTERN,
        description="DuckDB memory limit of the status store (beyond it DuckDB drops cached "
        "pages and spills to disk; DuckDB's own default is 80% of the machine's memory)",
    )
    ocds_dir: Path | None = Field(
        None,
        description="offline OCDS 1.1.5 schema, codelists and extensions; unset: `shared/ocds` "
        "beside the repository",
    )
    history_start: dt.date = Field(
        SOURCE_FIRST_DAY, description="first day published (not before the first monthly file)"
    )
    dagster_home: Path = Field(
        Path(".dagster_home"), description="Dagster instance folder used by `publicar`"
    )
    lock_timeout: float = Field(
        10.0,
        ge=0,
        description="seconds a `publicar` command or a Dagster run waits for another one "
        "writing to the same datasets root before it refuses (exit code 2) or fails the step",
    )
    backfill_days_per_run: int = Field(
        DEFAULT_BACKFILL_DAYS_PER_RUN,
        ge=1,
        description="days of `publicar_dia` one run processes in a backfill launched from the "
        "Dagster UI (its backfill policy); each run takes its days through the batch path of "
        "`publicar backfill`, in date order",
    )
    prepare_workers: int = Field(
        1,
        ge=0,
        description="worker processes that prepare later months (parse their detailed export "
        "and quotations into the cache) while `publicar backfill` publishes the current one; "
        "also how many months the `preparar_meses` Dagster job prepares at once; `0`: off "
        "(the Dagster job then prepares one month at a time)",
    )
    identity: Identity = Field(default_factory=Identity)
    source: Source = Field(default_factory=Source)
    chain: Chain = Field(default_factory=Chain)
    bulk: Bulk = Field(default_factory=Bulk)
    indicators: Indicators = Field(default_factory=Indicators)
    storage: Storage = Field(default_factory=Storage)

    _origins: dict[str, Origin] = PrivateAttr(default_factory=dict)
    _config_file: Path | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then environment, then the TOML file, then defaults (no dotenv)."""
        config_file = CONFIG_FILE_IN_USE.get()
        if config_file is None:
            return init_settings, env_settings
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_file)

    @field_validator("dataset")
    @classmethod
    def _dataset_name(cls, value: str) -> str:
        if not DATASET_PATTERN.match(value):
            raise ValueError(f"{value!r}: use lowercase letters, digits and '-'")
        return value

    @field_validator("history_start")
    @classmethod
    def _not_before_source(cls, value: dt.date) -> dt.date:
        if value < SOURCE_FIRST_DAY:
            raise ValueError(f"{value} is before the first monthly file ({SOURCE_FIRST_DAY})")
        return value

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        """Resolve relative paths against the working directory and fill derived defaults."""
        storage = self.storage
        if isinstance(self.datasets_root, str):
            local = storage.local_dir or default_storage_dir(self.datasets_root)
            storage = storage.model_copy(update={"local_dir": local.resolve()})
            root = local.resolve()
        else:
            root = self.datasets_root.resolve()
        source_dir = self.source.directory
        if source_dir is None:
            if self.source.kind == "directory":
                raise ValueError("source.kind = directory needs source.directory")
            source_dir = default_source_dir(self.source.kind)
        chain = self.chain
        resolved = {
            "datasets_root": self.datasets_root if isinstance(self.datasets_root, str) else root,
            "storage": storage,
            "state_dir": (self.state_dir or default_state_dir(root)).resolve(),
            "ocds_dir": self.ocds_dir.resolve() if self.ocds_dir else None,
            "dagster_home": self.dagster_home.resolve(),
            "source": self.source.model_copy(update={"directory": source_dir.resolve()}),
            "chain": chain.model_copy(
                update={
                    "devchain_dir": (chain.devchain_dir or default_devchain_dir(root)).resolve(),
                    "keystore": chain.keystore.resolve() if chain.keystore else None,
                    "pin": chain.pin.resolve() if chain.pin else None,
                    "anvil_bin": chain.anvil_bin.resolve() if chain.anvil_bin else None,
                }
            ),
        }
        for name, value in resolved.items():
            object.__setattr__(self, name, value)  # frozen model: derived values set once here
        if self.profile == "production":
            problems = production_problems(self)
            if problems:
                raise ProductionRefusal(problems)
        return self

    @property
    def config_file(self) -> Path | None:
        """The ``perucompras.toml`` these settings were read from, if any."""
        return self._config_file

    def origin(self, path: str) -> Origin:
        """Where the value of a dotted setting came from."""
        return self._origins.get(path, "default")

    @property
    def local_root(self) -> Path:
        """The local folder days are written to: the datasets root, or the working copy of an
        ``s3://`` root (``storage.local_dir``)."""
        if isinstance(self.datasets_root, str):
            assert self.storage.local_dir is not None
            return self.storage.local_dir
        return self.datasets_root

    @property
    def storage_uri(self) -> str | None:
        """The ``s3://bucket/prefix`` the datasets are published to (None: a local folder)."""
        return self.datasets_root if isinstance(self.datasets_root, str) else None

    @property
    def status_store_dir(self) -> Path:
        """The folder of the status store (always set after loading)."""
        assert self.state_dir is not None
        return self.state_dir

    @property
    def source_dir(self) -> Path:
        """The folder of the source files (always set after loading)."""
        assert self.source.directory is not None
        return self.source.directory

    @property
    def devchain_dir(self) -> Path:
        """The state folder of the embedded chain (always set after loading)."""
        assert self.chain.devchain_dir is not None
        return self.chain.devchain_dir


def env_name(path: str) -> str:
    """The environment variable of a dotted setting name (``chain.rpc_urls``)."""
    return ENV_PREFIX + NESTED_DELIMITER.join(path.split(".")).upper()


def how_to_set(path: str) -> str:
    """Where an operator sets a setting: its variable, or its key in ``perucompras.toml``."""
    group, _, key = path.rpartition(".")
    where = f"`{key}` under [{group}]" if group else f"`{key}`"
    return f"set {env_name(path)} or {where} in perucompras.toml"


class ProductionRefusal(ValueError):
    """The production profile refuses some settings (one line per setting)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_PLACEHOLDER_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def is_placeholder_url(url: str) -> bool:
    """True for an ``example.org``/``*.example``/localhost URL (documentation or dev address)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return (
        host in _PLACEHOLDER_HOSTS
        or host.endswith(".localhost")
        or host == "example"
        or host.endswith(".example")
        or any(host == name or host.endswith("." + name) for name in ("example.org", "example.com"))
    )


@cache
def dev_addresses() -> frozenset[str]:
    """Addresses of the well-known dev accounts (lowercase); derived on first use."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return frozenset(
        Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").address.lower()
        for i in range(DEV_ACCOUNTS)
    )


def _is_dev_key(key: SecretStr) -> bool:
    from eth_account import Account

    return str(Account.from_key(key.get_secret_value().strip()).address).lower() in dev_addresses()


def production_problems(settings: Settings) -> list[str]:
    """Why ``settings`` cannot publish for real: one line per refused setting, naming it."""
    identity, chain = settings.identity, settings.chain
    problems: list[str] = []

    def refuse(path: str, why: str) -> None:
        problems.append(f"{path}: {why}; {how_to_set(path)}")

    if identity.ocid_prefix == EXAMPLE_OCID_PREFIX:
        refuse(
            "identity.ocid_prefix",
            f"{EXAMPLE_OCID_PREFIX} is the example prefix of the OCDS documentation, "
            "register the publisher's own prefix",
        )
    urls: list[tuple[str, str | None]] = [
        ("identity.base_url", identity.base_url),
        ("identity.publisher_uri", identity.publisher_uri),
        ("identity.license", identity.license),
        ("identity.policy_url", identity.policy_url),
        ("identity.contact_url", identity.contact_url),
        ("source.portal_url", settings.source.portal_url),
        ("storage.endpoint_url", settings.storage.endpoint_url),
        *(("chain.rpc_urls", url) for url in chain.rpc_urls),
    ]
    for path, url in urls:
        if url and is_placeholder_url(url):
            refuse(path, f"{url} is a documentation or local address, give the public one")
    for name in identity.placeholder_publisher_fields():
        refuse(
            f"identity.{name}",
            f"{getattr(identity, name)!r} is the development placeholder publisher (the "
            "default), name the organisation that publishes",
        )
    if identity.contact_email is None and identity.contact_url is None:
        refuse(
            "identity.contact_email",
            "a publication policy names a contact (OCDS), give an address or identity.contact_url",
        )
    elif identity.contact_email:
        domain = identity.contact_email.rsplit("@", 1)[1]
        if is_placeholder_url(f"https://{domain}"):
            refuse("identity.contact_email", "a documentation address, give the publisher's own")
    if chain.mode == "devchain":
        refuse(
            "chain.mode",
            "the embedded dev chain is not tamper evidence, anchor on a real network "
            "(rpc, with chain.rpc_urls, chain.chain_id, chain.contract and a key)",
        )

    if chain.private_key is not None and _is_dev_key(chain.private_key):
        refuse(
            "chain.private_key",
            f"a well-known dev key (derived from {DEV_MNEMONIC!r}) that anyone can sign with, "
            "use the publisher's own key",
        )
    if settings.source.kind == "synthetic":
        refuse("source.kind", "synthetic data must never be published, use directory or portal")
    return problems
