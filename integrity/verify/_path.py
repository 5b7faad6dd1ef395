"""What ``verificar PATH`` means: a digest, a day folder, a published file or a proof file."""

from __future__ import annotations

import re
from pathlib import Path

from integrity.verify._day import verify_day_folder
from integrity.verify._files import is_published_file_name, verify_digest, verify_file
from integrity.verify._options import VerifyOptions
from integrity.verify._proof import load_proofs, verify_proofs
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
    if not path.exists():
        return _not_located(text, "locate.not_found")
    if path.is_dir():
        return verify_day_folder(path, options)
    if is_published_file_name(path.name):
        return verify_file(path, options)
    proofs = load_proofs(path)
    if proofs is None:
        return _not_located(text, "locate.unknown_file")
    return verify_proofs(proofs, options, text)


def _not_located(target: str, key: str) -> VerificationResult:
    result = VerificationResult(target=target, header=Note("header.target", {"target": target}))
    cannot_locate(result, Note(key, {"path": target}), failed=True)
    return result
