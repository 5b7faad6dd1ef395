"""What the anchoring code anchors: one manifest, where it lives and where its receipt goes.

A published day (``{dataset}/YYYY/MM/DD``, listed in ``index.json``) and the bulk folder
(``{dataset}-bulk/``, dataset ``{dataset}-bulk``, day = the newest day it covers) are both
``AnchorTarget``s; ``publication.anchoring`` takes them through the same journal. Kept apart
from the anchoring code so that the producers of targets (``publication.bulk``) need not
import it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from integrity import layout
from integrity.keys import anchor_key
from integrity.manifest import load_manifest


@dataclass(frozen=True)
class AnchorTarget:
    """One manifest to anchor under ``(dataset, day)`` in the registry.

    ``indexed``: the target is a day listed in ``index.json`` (its receipt refreshes the
    index). ``supersedes``: a new manifest for a day whose entry holds another digest is
    anchored as a correction (kind 3, the old entry stays readable) instead of stopping with
    an alarm; true for the bulk dataset, whose folder is rebuilt on purpose, never for days
    (a day's correction is asked for explicitly: ``publicar anchor --correct``).
    """

    dataset: str
    day: dt.date
    folder: Path
    manifest: Path
    receipt: Path
    indexed: bool = False
    supersedes: bool = False

    @classmethod
    def of_day(cls, root: Path, dataset: str, day: dt.date) -> AnchorTarget:
        """A published day of the day layout."""
        place = layout.DayLayout(root, dataset, day)
        return cls(dataset, day, place.folder, place.manifest, place.anchor, indexed=True)

    @property
    def label(self) -> str:
        """How messages name the target: the date for a day, else dataset and date."""
        return self.day.isoformat() if self.indexed else f"{self.dataset} {self.day.isoformat()}"

    @property
    def manifest_sha256(self) -> str:
        """SHA-256 of the manifest file as it is now."""
        return load_manifest(self.manifest).sha256

    @property
    def anchor_key_hex(self) -> str:
        """``anchor_key(dataset, day)``: the key the manifest records."""
        return anchor_key(self.dataset, self.day).hex()
