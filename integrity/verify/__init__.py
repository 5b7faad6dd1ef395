"""Verify published days, single files, digests, proofs and ranges against manifests and the chain.

Library first: every function returns a ``VerificationResult`` made of four checks
(integrity, inclusion, anchor, publisher), each OK / FAIL / SKIPPED with message keys and
parameters from the catalogue (``messages.verify``); ``integrity.cli_verificar`` only renders
them. Nothing here imports web3 at module level (the chain client is loaded only when a chain
is actually queried). Every input is bounded (``Limits``): plain names only, regular files
only, reads capped by the manifest's byte counts, HTTP downloads with a deadline.

Exit codes (``VerificationResult.exit_code``): 0 verified (integrity, inclusion, anchor and
publisher all checked), 1 altered or not published, 2 could not check, 3 intact but the
anchor was not checked (``--offline``).

    from integrity.verify import DatasetsRoot, VerifyOptions, verify_path
    result = verify_path("datasets/perucompras-ocam/2025/03/04", VerifyOptions(offline=True))
    result.exit_code, result.checks["anchor"].status, result.to_json("en")

The trust-pin format (``perucompras-trust-pin/1``) is read and written by
``integrity.verify.trust``.
"""

from __future__ import annotations

from integrity.verify._chain import (
    ANVIL_CHAIN_ID,
    AnchorReader,
    ChainAccess,
    DayEntries,
    JsonRpcChainAccess,
    StoredEntry,
    Web3ChainAccess,
)
from integrity.verify._datasets import DatasetsRoot, IndexEntry, IndexProblem
from integrity.verify._day import verify_day, verify_day_files, verify_day_folder
from integrity.verify._files import verify_digest, verify_file
from integrity.verify._limits import Limits
from integrity.verify._nodes import AgreeingAccess
from integrity.verify._options import VerifyOptions
from integrity.verify._path import verify_path
from integrity.verify._pins import PinChoice, PinSource, TrustPin, choose_pin, load_trust_file
from integrity.verify._proof import (
    ProofError,
    build_all_proofs,
    build_proof,
    load_proofs,
    verify_proof,
    verify_proof_file,
    verify_proofs,
    write_proofs,
)
from integrity.verify._range import verify_range
from integrity.verify._results import (
    CHECKS,
    EXIT_FAILED,
    EXIT_NOT_ANCHORED,
    EXIT_UNAVAILABLE,
    EXIT_VERIFIED,
    ChainUnavailable,
    CheckResult,
    ManualCall,
    Note,
    NoteError,
    SkipReason,
    SourceUnavailable,
    Status,
    VerificationResult,
    check_label,
)
from integrity.verify._source import Hashed, Source

__all__ = [
    "ANVIL_CHAIN_ID",
    "CHECKS",
    "EXIT_FAILED",
    "EXIT_NOT_ANCHORED",
    "EXIT_UNAVAILABLE",
    "EXIT_VERIFIED",
    "AgreeingAccess",
    "AnchorReader",
    "ChainAccess",
    "ChainUnavailable",
    "CheckResult",
    "DatasetsRoot",
    "DayEntries",
    "Hashed",
    "IndexEntry",
    "IndexProblem",
    "JsonRpcChainAccess",
    "Limits",
    "ManualCall",
    "Note",
    "NoteError",
    "PinChoice",
    "PinSource",
    "ProofError",
    "SkipReason",
    "Source",
    "SourceUnavailable",
    "Status",
    "StoredEntry",
    "TrustPin",
    "VerificationResult",
    "VerifyOptions",
    "Web3ChainAccess",
    "build_all_proofs",
    "build_proof",
    "check_label",
    "choose_pin",
    "load_proofs",
    "load_trust_file",
    "verify_day",
    "verify_day_files",
    "verify_day_folder",
    "verify_digest",
    "verify_file",
    "verify_path",
    "verify_proof",
    "verify_proof_file",
    "verify_proofs",
    "verify_range",
    "write_proofs",
]
