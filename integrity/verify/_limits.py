"""How much the verifier reads and how long it waits: every input is bounded."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Caps on what one verification reads (bytes, proofs) and waits for (HTTP)."""

    # Manifest, index.json, trust.json, anchor receipt, trust pin, SHA256SUMS.
    small_file: int = 16 * MIB
    # A file of proofs (one JSON proof, a JSON array or JSON Lines), read line by line.
    proof_file: int = 64 * MIB
    proofs: int = 10_000
    # A file is compared line by line / row by row with the published one up to this size.
    explain_bytes: int = 64 * MIB
    # Every HTTP download must finish within ``http_timeout`` seconds and may not pause for
    # more than ``http_idle`` seconds (a server that drips one byte at a time still ends).
    http_timeout: float = 120.0
    http_idle: float = 30.0
    # The small files (manifest, index.json, receipt, trust.json, SHA256SUMS) are kilobytes:
    # a mirror that drips them is given up on sooner than a listed data file.
    small_http_timeout: float = 10.0

    def with_timeout(self, seconds: float) -> Limits:
        """The same limits with another HTTP deadline for every download, small files included
        (the idle limit never exceeds it)."""
        return Limits(
            small_file=self.small_file,
            proof_file=self.proof_file,
            proofs=self.proofs,
            explain_bytes=self.explain_bytes,
            http_timeout=seconds,
            http_idle=min(self.http_idle, seconds),
            small_http_timeout=seconds,
        )


DEFAULT_LIMITS = Limits()


def megabytes(size: int) -> str:
    """A byte count for messages (``16 MB``)."""
    return f"{size / MIB:.0f} MB" if size >= MIB else f"{size} bytes"
