"""Result types: four checks (integrity, inclusion, anchor, publisher), notes and verdicts.

Every observation is a ``Note``: a key of the message catalogue (``messages.verify``) and its
parameters, so results stay machine-readable and are rendered in any language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from messages import DEFAULT_LANG, text

if TYPE_CHECKING:
    from integrity.verify._pins import TrustPin

CHECKS = ("integrity", "inclusion", "anchor", "publisher")
EXIT_VERIFIED = 0
EXIT_FAILED = 1
EXIT_UNAVAILABLE = 2
EXIT_NOT_ANCHORED = 3


def check_label(name: str, lang: str = DEFAULT_LANG) -> str:
    """Localised name of a check (integridad, inclusión, anclaje, publicador)."""
    return text(f"check.{name}", lang)


class Status(StrEnum):
    """Outcome of one check."""

    OK = "ok"
    FAIL = "fail"
    SKIPPED = "skipped"

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """Localised status word (OK / FALLA / OMITIDA)."""
        return text(f"status.{self.value}", lang)


class SkipReason(StrEnum):
    """Why a check was skipped: ``UNAVAILABLE`` makes the verification inconclusive (exit 2);
    ``OFFLINE`` leaves the anchor and publisher unchecked (exit 3)."""

    OFFLINE = "offline"
    NOT_APPLICABLE = "not_applicable"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Note:
    """One message (a key of the message catalogue) with its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    failed: bool = False

    def text(self, lang: str = DEFAULT_LANG) -> str:
        """Render the message (check names in verdicts are localised too)."""
        params = self.params
        if "checks" in params and self.key.startswith("verdict."):
            names = [check_label(name, lang) for name in str(params["checks"]).split(", ")]
            params = {**params, "checks": ", ".join(names)}
        return text(self.key, lang, **params)


class NoteError(Exception):
    """An error carrying a localisable note."""

    def __init__(self, note: Note) -> None:
        """Keep the note; the exception text is its English rendering."""
        super().__init__(note.text("en"))
        self.note = note


class ChainUnavailable(NoteError):
    """The chain could not be queried (no RPC, unreachable node, wrong chain)."""


class SourceUnavailable(NoteError):
    """A file or URL could not be read for a reason other than not existing."""


@dataclass
class CheckResult:
    """One of the four checks."""

    name: str
    status: Status = Status.OK
    notes: list[Note] = field(default_factory=list)
    skip_reason: SkipReason | None = None

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """Localised name of this check."""
        return check_label(self.name, lang)

    def ok(self, key: str, /, **params: Any) -> None:
        """Record a passing observation."""
        self.notes.append(Note(key, params))

    def fail(self, key: str, /, **params: Any) -> None:
        """Record a failure; the check fails."""
        self.notes.append(Note(key, params, failed=True))
        self.status = Status.FAIL

    def skip(self, reason: SkipReason, key: str, /, **params: Any) -> None:
        """Record why the check could not run (a failure still wins)."""
        self.notes.append(Note(key, params))
        if self.status is not Status.FAIL:
            self.status = Status.SKIPPED
            if self.skip_reason is not SkipReason.UNAVAILABLE:
                self.skip_reason = reason

    def to_json(self, lang: str) -> dict[str, Any]:
        """Machine-readable form."""
        return {
            "check": self.name,
            "status": self.status.value,
            "skipReason": self.skip_reason.value if self.skip_reason else None,
            "messages": [
                {"key": n.key, "failed": n.failed, "params": n.params, "text": n.text(lang)}
                for n in self.notes
            ],
        }


@dataclass(frozen=True)
class ManualCall:
    """The ``eth_call`` anyone can make to read the registry entry of a day: ``data`` is the
    call data of ``latest_entry(dataset id, day)``; the answer's fifth word is the digest."""

    chain_id: int
    to: str
    data: str
    digest: str

    def note(self) -> Note:
        """The manual-check hint."""
        return Note(
            "manual.call",
            {"chain_id": self.chain_id, "to": self.to, "data": self.data, "digest": self.digest},
        )


@dataclass
class VerificationResult:
    """Result of verifying a day, a file, a digest, a proof or a range of days."""

    target: str
    dataset: str | None = None
    day: dt.date | None = None
    header: Note | None = None
    checks: dict[str, CheckResult] = field(
        default_factory=lambda: {name: CheckResult(name) for name in CHECKS}
    )
    dev_chain: bool = False
    synthetic: bool = False
    manual_call: ManualCall | None = None
    items: list[VerificationResult] = field(default_factory=list)
    pin: TrustPin | None = None

    def pins_used(self) -> list[TrustPin]:
        """The distinct pins this result and its items were checked against."""
        found: list[TrustPin] = []
        for result in (self, *self.items):
            if result.pin is not None and result.pin not in found:
                found.append(result.pin)
        return found

    def pin_notes(self) -> list[Note]:
        """Which pin decided the verdict and where it came from (``pin.none`` if none)."""
        pins = self.pins_used()
        if pins:
            return [pin.note() for pin in pins]
        reached = any(c.name == "publisher" and c.notes for c in self.all_checks())
        return [Note("pin.none")] if reached else []

    @property
    def label(self) -> str:
        """Short label as an item of a range or proof list: the date, else the target."""
        return self.day.isoformat() if self.day else self.target

    def all_checks(self) -> Iterator[CheckResult]:
        """This result's checks followed by those of every item."""
        yield from self.checks.values()
        for item in self.items:
            yield from item.all_checks()

    @property
    def failed_checks(self) -> list[str]:
        """Names of failing checks (deduplicated, in check order)."""
        names = {c.name for c in self.all_checks() if c.status is Status.FAIL}
        return [name for name in CHECKS if name in names]

    @property
    def unavailable_checks(self) -> list[str]:
        """Names of checks that could not run."""
        names = {
            c.name
            for c in self.all_checks()
            if c.status is Status.SKIPPED and c.skip_reason is SkipReason.UNAVAILABLE
        }
        return [name for name in CHECKS if name in names]

    @property
    def anchor_skipped_offline(self) -> bool:
        """Whether any anchor check was skipped because offline mode was requested."""
        return any(
            c.name == "anchor" and c.skip_reason is SkipReason.OFFLINE for c in self.all_checks()
        )

    @property
    def fully_checked(self) -> bool:
        """Whether integrity, anchor and publisher were all checked and passed (inclusion
        passed or does not apply to the file), in this result and every item."""
        for check in self.all_checks():
            if check.status is Status.OK:
                continue
            if (
                check.name in ("integrity", "inclusion")
                and check.status is Status.SKIPPED
                and check.skip_reason is SkipReason.NOT_APPLICABLE
                and check.notes
            ):
                continue
            return False
        return True

    @property
    def exit_code(self) -> int:
        """1 altered or not published, 2 could not check, 3 intact but the anchor was not
        checked (``--offline``), 0 only when integrity, inclusion, anchor and publisher were
        all checked and passed."""
        if self.failed_checks:
            return EXIT_FAILED
        if self.unavailable_checks:
            return EXIT_UNAVAILABLE
        if not self.fully_checked:
            return EXIT_NOT_ANCHORED
        return EXIT_VERIFIED

    @property
    def verdict(self) -> Note:
        """One-line verdict."""
        code = self.exit_code
        if code == EXIT_FAILED:
            return Note("verdict.failed", {"checks": ", ".join(self.failed_checks)})
        if code == EXIT_UNAVAILABLE:
            return Note("verdict.incomplete", {"checks": ", ".join(self.unavailable_checks)})
        if code == EXIT_NOT_ANCHORED:
            return Note("verdict.verified_offline")
        return Note("verdict.verified")

    def explanations(self) -> list[Note]:
        """Notes that say in plain words what differs (``explain.*``), in check order."""
        return [n for c in self.checks.values() for n in c.notes if n.key.startswith("explain.")]

    def problems(self, lang: str = DEFAULT_LANG) -> list[str]:
        """Texts of every failing note and of why each unavailable check could not run."""
        texts: list[str] = []
        for check in self.checks.values():
            if check.status is Status.FAIL:
                texts += [note.text(lang) for note in check.notes if note.failed]
            elif check.skip_reason is SkipReason.UNAVAILABLE and check.notes:
                texts.append(check.notes[-1].text(lang))
        return texts

    def to_json(self, lang: str = DEFAULT_LANG) -> dict[str, Any]:
        """Machine-readable result (also used by ``verificar --json``)."""
        verdict = self.verdict
        return {
            "target": self.target,
            "dataset": self.dataset,
            "date": self.day.isoformat() if self.day else None,
            "exitCode": self.exit_code,
            "verdict": {"key": verdict.key, "params": verdict.params, "text": verdict.text(lang)},
            "devChain": self.dev_chain,
            "synthetic": self.synthetic,
            "pin": [pin.to_json() for pin in self.pins_used()],
            "pinMessages": [
                {"key": n.key, "params": n.params, "text": n.text(lang)} for n in self.pin_notes()
            ],
            "checks": {
                name: check.to_json(lang) | {"label": check.label(lang)}
                for name, check in self.checks.items()
            },
            "statusLabels": {s.value: s.label(lang) for s in Status},
            "manualCall": (
                {
                    "chainId": self.manual_call.chain_id,
                    "to": self.manual_call.to,
                    "data": self.manual_call.data,
                    "expectedDigest": self.manual_call.digest,
                }
                if self.manual_call
                else None
            ),
            "items": [item.to_json(lang) for item in self.items],
        }


def skip_rest(result: VerificationResult, done: str) -> None:
    """Mark every other check as skipped because an earlier step could not proceed."""
    for name, check in result.checks.items():
        if name != done and check.status is Status.OK and not check.notes:
            check.status = Status.SKIPPED
            check.skip_reason = SkipReason.NOT_APPLICABLE


def cannot_locate(result: VerificationResult, note: Note, *, failed: bool = False) -> None:
    """The target could not be located or read: integrity fails or is unavailable, rest skipped."""
    integrity = result.checks["integrity"]
    if failed:
        integrity.fail(note.key, **note.params)
    else:
        integrity.skip(SkipReason.UNAVAILABLE, note.key, **note.params)
    skip_rest(result, "integrity")


def summary_check(name: str, items: list[VerificationResult]) -> CheckResult:
    """Combine one check over several items: the worst status wins; failing notes are kept."""
    summary = CheckResult(name)
    statuses = [item.checks[name] for item in items]
    for item, check in zip(items, statuses, strict=True):
        if check.status is Status.FAIL:
            summary.status = Status.FAIL
            summary.notes.extend(_labelled(n, item.label) for n in check.notes if n.failed)
    if summary.status is not Status.FAIL:
        unavailable = [c for c in statuses if c.skip_reason is SkipReason.UNAVAILABLE]
        if unavailable:
            summary.status, summary.skip_reason = Status.SKIPPED, SkipReason.UNAVAILABLE
            summary.notes.append(unavailable[0].notes[-1])
        elif statuses and all(c.status is Status.SKIPPED for c in statuses):
            summary.status, summary.skip_reason = Status.SKIPPED, statuses[0].skip_reason
            summary.notes.append(
                statuses[0].notes[-1] if statuses[0].notes else Note("anchor.offline")
            )
    return summary


def _labelled(note: Note, label: str) -> Note:
    """A failing note whose ``file`` parameter is prefixed with the item's label."""
    if "file" not in note.params:
        return note
    return Note(note.key, {**note.params, "file": f"{label} {note.params['file']}".strip()}, True)
