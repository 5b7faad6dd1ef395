"""The datasets root: ``index.json``, ``trust.json`` and the day folders (local or URL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import orjson

from integrity import layout
from integrity.verify._source import Source
from integrity.verify._values import first_field, hex32
from integrity.verify.trust import FORMAT, Pin


@dataclass(frozen=True)
class TrustPin:
    """The pinned chain id, registry contract and publisher address (``trust.json``), with the
    pin's RPC endpoints and finality rule when it is a ``perucompras-trust-pin/1`` pin."""

    chain_id: int
    contract: str
    publisher: str
    dataset: str | None
    origin: str
    rpc: tuple[str, ...] = ()
    finality_tag: str | None = None
    confirmations: int | None = None

    @classmethod
    def from_json(cls, raw: bytes, origin: str) -> TrustPin:
        """Parse a trust pin (``perucompras-trust-pin/1``) or the older flat ``trust.json``
        (camelCase or snake_case keys); ValueError if malformed."""
        data = orjson.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        if data.get("format") == FORMAT:
            pin = Pin.from_json(data, origin)
            return cls(
                pin.network.chain_id,
                pin.registry.address,
                pin.publisher,
                pin.dataset,
                origin,
                rpc=pin.network.rpc,
                finality_tag=pin.network.finality.tag,
                confirmations=pin.network.finality.confirmations,
            )
        chain_id = first_field(data, "chainId", "chain_id")
        contract = first_field(data, "contract", "contractAddress")
        publisher = first_field(data, "publisher", "publisherAddress")
        if chain_id is None or not contract or not publisher:
            raise ValueError("chainId, contract and publisher are required")
        dataset = data.get("dataset")
        return cls(
            int(chain_id),
            str(contract),
            str(publisher),
            str(dataset) if dataset is not None else None,
            origin,
        )

    @property
    def label(self) -> str:
        """Where the pin came from, for messages: the file name, or the whole URL."""
        return self.origin if self.origin.startswith("http") else Path(self.origin).name


@dataclass(frozen=True)
class IndexEntry:
    """One published day listed in ``index.json``."""

    date: dt.date
    folder: str
    manifest: str
    manifest_sha256: str


@dataclass
class DatasetsRoot:
    """The datasets root: ``index.json``, ``trust.json`` and day folders (local or URL)."""

    source: Source
    dataset: str | None = None
    _index: dict[dt.date, IndexEntry] | None = None

    @classmethod
    def at(cls, location: str | Path) -> DatasetsRoot:
        """Open a root by path or URL."""
        return cls(Source(location))

    def index(self) -> dict[dt.date, IndexEntry]:
        """Published days by date (empty if there is no index)."""
        if self._index is None:
            raw = self.source.read(layout.INDEX_FILE)
            self._index = {}
            if raw is not None:
                data = orjson.loads(raw)
                days = data.get("days", []) if isinstance(data, dict) else data
                self.dataset = data.get("dataset") if isinstance(data, dict) else None
                for entry in days:
                    day = dt.date.fromisoformat(entry["date"])
                    self._index[day] = IndexEntry(
                        day,
                        entry["folder"],
                        entry.get("manifest")
                        or f"{self.dataset}-{day.isoformat()}-{layout.MANIFEST}",
                        hex32(first_field(entry, "manifestSha256", "manifest_sha256")) or "",
                    )
        return self._index

    def has_index(self) -> bool:
        """Whether an index could be read."""
        return bool(self.index()) or self.source.read(layout.INDEX_FILE) is not None

    def trust(self) -> TrustPin | None:
        """The pinned trust file, if present (ValueError if malformed)."""
        raw = self.source.read(layout.TRUST_FILE)
        if raw is None:
            return None
        return TrustPin.from_json(raw, self.source.describe(layout.TRUST_FILE))

    def day_source(self, dataset: str, day: dt.date) -> Source:
        """Folder of a day: from the index when listed, else the standard layout."""
        entry = self.index().get(day)
        if entry is not None:
            return self.source.child(entry.folder)
        return self.source.child(f"{dataset}/{day:%Y}/{day:%m}/{day:%d}")


def detect_root(folder: Path) -> DatasetsRoot | None:
    """The datasets root above a standard day folder, if it holds an index or trust file."""
    folder = folder.resolve()
    if len(folder.parents) < 4:
        return None
    candidate = folder.parents[3]
    if (candidate / layout.INDEX_FILE).is_file() or (candidate / layout.TRUST_FILE).is_file():
        return DatasetsRoot.at(candidate)
    return None
