"""Tests that need ../shared skip without it, and fail instead with PERUCOMPRAS_REQUIRE_SHARED=1."""

from __future__ import annotations

from pathlib import Path

import pytest
import support.shared as shared
from support.shared import REQUIRE_SHARED, check_shared


def test_a_missing_part_skips_and_fails_when_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    check_shared("samples", "schema")  # both beside this clone: nothing happens
    monkeypatch.setattr(shared, "SAMPLES", tmp_path)
    monkeypatch.setattr(shared, "RELEASE_SCHEMA", tmp_path / "release-schema.json")
    monkeypatch.delenv(REQUIRE_SHARED, raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"real sample files not found in .*; OCDS schema files"
    ):
        check_shared("samples", "schema")
    monkeypatch.setenv(REQUIRE_SHARED, "0")
    with pytest.raises(pytest.skip.Exception):
        check_shared("schema")
    monkeypatch.setenv(REQUIRE_SHARED, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_SHARED}=1"):
        check_shared("samples")
    with pytest.raises(KeyError):
        check_shared("sample")  # a misspelt part is an error, not a silent pass
