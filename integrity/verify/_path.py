"""What ``verificar PATH`` means: a digest, a day folder (or the bulk folder), a published file
(a bulk file included), a proof file, or a renamed published file found by its digest. The path itself must be a folder or a regular
file (a FIFO or a device such as ``/dev/zero`` is refused before anything is read)."""

from __future__ import annotations

import re
from pathlib import Path

from integrity.verify._bulk import locate_bulk_file
from integrity.verify._day import verify_day_folder
from integrity.verify._files import published_name, verify_digest, verify_file, verify_renamed
from integrity.verify._io import InputRefused, check_target
from integrity.verify._options import VerifyOptions
from integrity.verify._proof import looks_like_proofs, verify_proof_file
from integrity.verify._results import Note, VerificationResult, cannot_locate

_DIGEST = re.compile(r"^sha256:([0-9a-fA-F]{64})$")


def verify_path(target: str | Path, options: VerifyOptions | None = None) -> VerificationResult:
    """Verify a day folder, a published file, a proof file, or a ``sha256:<hex>`` digest."""
    options = options or VerifyOptions()
    text = str(target)
    match = _DIGEST.match(text)
    if match:
        return verify_digest(match[1].lower(), options)
    path = Path(text)
    refused = check_target(path)
    if refused is not None:
        return _not_located(text, refused.note)
    if not path.exists():
        return _not_located(text, Note("locate.not_found", {"path": text}))
    if path.is_dir():
        return verify_day_folder(path, options)
    try:
        return _verify_regular_file(path, text, options)
    except InputRefused as error:
        return _not_located(text, error.note, failed=error.tampering)


def _verify_regular_file(path: Path, text: str, options: VerifyOptions) -> VerificationResult:
    parsed = published_name(path.name)
    if isinstance(parsed, Note):
        return _not_located(text, parsed, failed=True)
    proofs = looks_like_proofs(path, options.limits)
    if parsed is not None and not proofs:
        return verify_file(path, options)
    if proofs:
        return verify_proof_file(path, options, text)
    bulk = locate_bulk_file(path, options) if parsed is None else None
    if bulk is not None:
        return verify_file(path, options, bulk=bulk)
    found = verify_renamed(path, options)
    if found is not None:
        return found
    if options.datasets is None:
        return _not_located(text, Note("locate.unknown_file_no_root", {"path": text}))
    return _not_located(text, Note("locate.unknown_file", {"path": text}), failed=True)


def _not_located(target: str, note: Note, *, failed: bool = False) -> VerificationResult:
    result = VerificationResult(target=target, header=Note("header.target", {"target": target}))
    cannot_locate(result, note, failed=failed or note.failed)
    return result
