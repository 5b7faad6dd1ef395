"""The day writer: packages assembled from canonical lines equal the canonical whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.canonical import canonical_bytes
from publication.writer import canonical_with_array

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyzAZ_", min_size=1, max_size=12)
values = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(keys, values, max_size=8),
    st.lists(st.dictionaries(keys, values, max_size=4), max_size=5),
)
def test_package_from_lines_equals_canonical_package(meta: dict, releases: list) -> None:
    meta.pop("releases", None)
    lines = [canonical_bytes(r) for r in releases]
    assert canonical_with_array(meta, "releases", lines) == canonical_bytes(
        {**meta, "releases": releases}
    )
