"""The datasets root: ``index.json``, ``trust.json`` and the day folders (local or URL).

``index.json`` comes with the data, so every entry is checked on its own: a malformed entry
is recorded as an ``IndexProblem`` (and reported by whoever uses the index) while the other
entries stay usable. Folder and manifest names must be plain names, never paths that lead
out of the root.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from integrity.verify._days import not_a_date, parse_day
from integrity.verify._io import InputRefused, name_problem, printable
from integrity.verify._limits import DEFAULT_LIMITS, Limits
from integrity.verify._pins import PinSource, TrustPin
from integrity.verify._results import Note, NoteError
from integrity.verify._source import Source
from integrity.verify._values import first_field, hex32

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

__all__ = ["DatasetsRoot", "IndexEntry", "IndexProblem", "TrustPin", "detect_root"]


@dataclass(frozen=True)
class IndexEntry:
    """One published day listed in ``index.json``."""

    date: dt.date
    folder: str
    manifest: str
    manifest_sha256: str


@dataclass(frozen=True)
class IndexProblem:
    """An entry of ``index.json`` that cannot be used; ``note.failed`` when it is evidence of
    tampering (a name leading out of the root, a day that does not exist)."""

    position: int
    date: str | None
    note: Note


@dataclass
class DatasetsRoot:
    """The datasets root: ``index.json``, ``trust.json`` and day folders (local or URL)."""

    source: Source
    dataset: str | None = None
    _index: dict[dt.date, IndexEntry] | None = None
    _problems: list[IndexProblem] = field(default_factory=list)
    _index_error: Note | None = None
    _index_present: bool = False
    _trust: tuple[TrustPin | None] | None = None

    @classmethod
    def at(cls, location: str | Path, limits: Limits = DEFAULT_LIMITS) -> DatasetsRoot:
        """Open a root by path or URL."""
        return cls(Source(location, limits))

    def index(self) -> dict[dt.date, IndexEntry]:
        """Usable published days by date (empty if there is no readable index)."""
        if self._index is None:
            self._index = {}
            try:
                raw = self.source.read(layout.INDEX_FILE)
            except NoteError as error:
                self._index_error = error.note
                return self._index
            if raw is not None:
                self._index_present = True
                self._parse_index(raw)
        return self._index

    @property
    def index_error(self) -> Note | None:
        """Why ``index.json`` as a whole could not be used (None if it could, or is absent)."""
        self.index()
        return self._index_error

    @property
    def index_problems(self) -> list[IndexProblem]:
        """Entries of ``index.json`` that could not be used."""
        self.index()
        return list(self._problems)

    def has_index(self) -> bool:
        """Whether an index could be read."""
        self.index()
        return self._index_present and self._index_error is None

    def _parse_index(self, raw: bytes) -> None:
        assert self._index is not None
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self._index_error = Note("index.not_json", {"file": layout.INDEX_FILE})
            return
        days = data.get("days") if isinstance(data, dict) else data
        if not isinstance(days, list):
            self._index_error = Note("index.no_days", {"file": layout.INDEX_FILE})
            return
        dataset = data.get("dataset") if isinstance(data, dict) else None
        if isinstance(dataset, str) and name_problem(dataset) is None:
            self.dataset = dataset
        for position, entry in enumerate(days, start=1):
            parsed = self._entry(position, entry)
            if isinstance(parsed, IndexProblem):
                self._problems.append(parsed)
            elif parsed.date in self._index:
                self._problems.append(
                    IndexProblem(
                        position,
                        parsed.date.isoformat(),
                        Note("index.duplicate", {"position": position, "date": parsed.date}),
                    )
                )
            else:
                self._index[parsed.date] = parsed

    def _entry(self, position: int, entry: Any) -> IndexEntry | IndexProblem:
        """One validated entry, or why it cannot be used."""

        def problem(key: str, failed: bool = False, **params: Any) -> IndexProblem:
            date = entry.get("date") if isinstance(entry, dict) else None
            shown = printable(date, 40) if date is not None else None
            params = {"position": position, "date": shown or "?", **params}
            return IndexProblem(position, shown, Note(key, params, failed=failed))

        if not isinstance(entry, dict):
            return problem("index.entry_malformed", field="-")
        day = parse_day(entry.get("date"))
        if day is None:
            note = not_a_date(entry.get("date"))
            return IndexProblem(
                position,
                None,
                Note("index.entry_bad_date", {"position": position, **note.params}, failed=True),
            )
        dataset = self.dataset or layout.DEFAULT_DATASET
        folder = entry.get("folder", f"{dataset}/{day:%Y}/{day:%m}/{day:%d}")
        manifest = entry.get("manifest") or f"{dataset}-{day.isoformat()}-{layout.MANIFEST}"
        if not isinstance(folder, str) or not folder.strip("/"):
            return problem("index.entry_malformed", field="folder")
        if not isinstance(manifest, str):
            return problem("index.entry_malformed", field="manifest")
        if any(name_problem(part) for part in folder.strip("/").split("/")):
            return problem("index.entry_unsafe", True, field="folder", value=printable(folder))
        if name_problem(manifest) is not None:
            return problem("index.entry_unsafe", True, field="manifest", value=printable(manifest))
        digest = hex32(first_field(entry, "manifestSha256", "manifest_sha256")) or ""
        if digest and not _SHA256_HEX.match(digest):
            return problem("index.entry_malformed", field="manifestSha256")
        return IndexEntry(day, folder.strip("/"), str(manifest), digest)

    def trust(self) -> TrustPin | None:
        """The ``trust.json`` copy in the data, if present (ValueError if malformed)."""
        if self._trust is None:
            try:
                raw = self.source.read(layout.TRUST_FILE, limit=64 << 10)
            except InputRefused as error:
                raise ValueError(error.note.text("en")) from None
            pin = (
                None
                if raw is None
                else TrustPin.from_json(
                    raw, self.source.describe(layout.TRUST_FILE), PinSource.DATA
                )
            )
            self._trust = (pin,)
        return self._trust[0]

    def day_source(self, dataset: str, day: dt.date) -> Source:
        """Folder of a day: from the index when listed, else the standard layout; the bulk
        folder (``{dataset}-bulk`` at the root, whatever its day) for a bulk dataset."""
        if layout.is_bulk_dataset(dataset):
            return self.source.child(dataset)
        entry = self.index().get(day)
        if entry is not None:
            return self.source.child(entry.folder)
        return self.source.child(f"{dataset}/{day:%Y}/{day:%m}/{day:%d}")


def detect_root(folder: Path, limits: Limits = DEFAULT_LIMITS) -> DatasetsRoot | None:
    """The datasets root above a standard day folder (or above a bulk folder,
    ``{dataset}-bulk``), if it holds an index or trust file."""
    folder = folder.resolve()
    candidates = []
    if layout.is_bulk_dataset(folder.name):
        candidates.append(folder.parent)
    if len(folder.parents) >= 4:
        candidates.append(folder.parents[3])
    for candidate in candidates:
        if (candidate / layout.INDEX_FILE).is_file() or (candidate / layout.TRUST_FILE).is_file():
            return DatasetsRoot.at(candidate, limits)
    return None
