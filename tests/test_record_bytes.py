"""A day's record package bytes spliced from its releases' canonical lines equal the canonical
bytes of the package, whatever the releases hold (nested members that look like the release's
id or tag, ids first, values that take the exact JCS path, several releases per ocid)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.canonical import canonical_bytes
from ocds_mappings.packaging import record_package
from publication.records import _spliced, record_package_bytes

METADATA = {"publisher": {"name": "P"}, "license": "L", "publicationPolicy": "https://p"}


class LatestWins:
    """Stands in for ocdsmerge on histories of several releases (the splice never applies)."""

    def create_compiled_release(self, history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return {**history[-1], "id": "merged", "tag": ["compiled"]}


texts = st.sampled_from(["a", "r1", "r2", "ocds-1", "contract", "\ue000x", "ñ"])
values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from([1.0, 2.5, 1e-7]) | texts,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "tag", "x", "date"]), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def releases(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for number in range(draw(st.integers(0, 5))):
        release: dict[str, Any] = {
            "ocid": draw(st.sampled_from(["ocds-1", "ocds-2", "ocds-3", "ocds-4"])),
            "id": draw(st.sampled_from([f"r{number}", "r1", "a"])),
            "date": draw(st.sampled_from(["2026-01-01T00:00:00-05:00", "2026-01-02"])),
            "tag": draw(st.sampled_from([["contract"], ["tender"], ["a", "contract"]])),
        }
        for key in draw(st.lists(st.sampled_from(["awards", "bids", "tender", "a", "zz"]))):
            release[key] = draw(values)
        found.append(release)
    return found


@settings(max_examples=300, deadline=None)
@given(releases())
def test_spliced_record_package_equals_its_canonical_bytes(day: list[dict[str, Any]]) -> None:
    package = record_package(
        day,
        schema={},
        uri="https://example.org/records.json",
        published_date="2026-01-02T23:59:59-05:00",
        metadata=METADATA,
        extensions=[],
        release_url=lambda release: f"https://example.org/releases.json#{release['id']}",
        merger=LatestWins(),
    )
    lines = [canonical_bytes(release) for release in day]
    assert record_package_bytes(package, day, lines) == canonical_bytes(package)


def test_a_plain_release_is_spliced_and_a_lookalike_member_is_not() -> None:
    release = {
        "awards": [{"id": "o-1"}],
        "date": "2026-01-01",
        "id": "o-1-x",
        "ocid": "ocds-1",
        "tag": ["contract"],
        "tender": {"id": "t"},
    }
    compiled = {**release, "id": "ocds-1-2026-01-01", "tag": ["compiled"]}
    assert _spliced(compiled, release, canonical_bytes(release)) == canonical_bytes(compiled)
    # a nested member with the release's very id after a comma: which one is the top-level one
    # is not told by the bytes alone
    twin = {**release, "awards": [{"a": 1, "id": "o-1-x"}]}
    assert _spliced({**twin, "id": "c", "tag": ["compiled"]}, twin, canonical_bytes(twin)) is None
    # another value than the release's (not a shallow copy of it): serialised as usual
    other = {**compiled, "awards": [{"id": "o-1"}]}
    assert _spliced(other, release, canonical_bytes(release)) is None
