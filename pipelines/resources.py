"""Resources: every side effect (source files, published storage, chain) sits behind one."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

from dagster import ConfigurableResource

from integrity.chain import AnchorRegistryClient, ChainConfig, ChainConfigError
from integrity.devchain import DevChain
from integrity.layout import DEFAULT_DATASET
from perucompras.reader import month_of_file, read_source_dir
from publication.portal import DEFAULT_BASE_URL

REPO_ROOT = Path(__file__).resolve().parents[1]


class SourceResource(ConfigurableResource):
    """Where the monthly `ReportePCBienesYYYYMM.csv` files come from.

    ``synthetic`` (the embedded default) generates seeded files in exactly the real format
    into ``directory`` and reads them back through the same reader as real files;
    ``directory`` reads real files already on disk; ``portal`` downloads them first.
    """

    kind: str = "synthetic"
    directory: str = str(REPO_ROOT / ".cache" / "source" / "synthetic")
    seed: int = 2026
    orders_per_month: int = 10_000
    quotations: bool = True
    portal_url: str = "https://www.datosabiertos.gob.pe"  # CKAN API base of the national portal

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
            from perucompras.synthetic import generate_month

            _reset_if_generator_changed(folder, f"seed={self.seed};orders={self.orders_per_month}")
            monthly = generate_month(
                day.year, day.month, folder, seed=self.seed, orders=self.orders_per_month
            )
            self._generate_companions(day, monthly)
        elif self.kind == "portal":
            from perucompras.portal import PortalSettings, download_month_files

            folder.mkdir(parents=True, exist_ok=True)
            download_month_files(PortalSettings(base_url=self.portal_url), folder)
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
    import hashlib
    import shutil

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
    """The published output root (local filesystem) and the OCDS settings of the dataset."""

    root: str = str(REPO_ROOT / "datasets")
    dataset: str = DEFAULT_DATASET
    ocid_prefix: str = "ocds-213czf"
    base_url: str = DEFAULT_BASE_URL

    @property
    def path(self) -> Path:
        return Path(self.root)


class ChainResource(ConfigurableResource):
    """The EVM chain anchors go to.

    ``devchain`` (default) runs the embedded anvil with persistent state under
    ``state_dir``, started for the step and stopped by PID afterwards; ``rpc`` uses
    PERUCOMPRAS_RPC_URL / _PRIVATE_KEY / _CONTRACT from the environment (any EVM chain).
    """

    mode: str = "devchain"
    state_dir: str = str(REPO_ROOT / ".devchain")

    @property
    def is_dev_chain(self) -> bool:
        return self.mode == "devchain"

    @contextlib.contextmanager
    def client(self) -> Iterator[AnchorRegistryClient]:
        """A registry client that signs with the publisher key, for the duration of a step."""
        if self.mode == "rpc":
            yield _chain_config_from_environment().client()
            return
        if self.mode != "devchain":
            raise ValueError(f"unknown chain mode {self.mode!r}: use devchain or rpc")
        with DevChain(Path(self.state_dir), die_with_parent=True) as chain:
            yield chain.client()


def _chain_config_from_environment() -> ChainConfig:
    """PERUCOMPRAS_RPC_URL, _PRIVATE_KEY, _CONTRACT and _CONFIRMATIONS (integrity reads no
    environment; this bridge goes when the settings object builds the ChainConfig)."""
    confirmations = os.environ.get("PERUCOMPRAS_CONFIRMATIONS", "0").strip() or "0"
    if not confirmations.isdigit():
        raise ChainConfigError(
            f"PERUCOMPRAS_CONFIRMATIONS={confirmations!r} must be a non-negative integer"
        )
    return ChainConfig(
        rpc_url=os.environ.get("PERUCOMPRAS_RPC_URL", "").strip(),
        private_key=os.environ.get("PERUCOMPRAS_PRIVATE_KEY", "").strip() or None,
        contract_address=os.environ.get("PERUCOMPRAS_CONTRACT", "").strip() or None,  # type: ignore[arg-type]
        confirmations=int(confirmations),
    )
