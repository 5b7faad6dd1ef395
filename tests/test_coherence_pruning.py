"""The empty-field and amount rules skip the parts of a release whose JSON bytes cannot hold a
finding; for any release they must say exactly what a walk of the whole release says."""

from __future__ import annotations

import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from quality import coherence
from quality.coherence import Context

SPACES = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
TEXT = st.text(alphabet=st.sampled_from(SPACES) | st.characters(), max_size=4)
KEYS = st.sampled_from(["amount", "amountNet", "id", "name", "value", "bids", ""]) | TEXT
NUMBERS = st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
LEAVES = st.none() | st.booleans() | NUMBERS | TEXT
JSON = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)
RELEASES = st.dictionaries(KEYS, JSON, max_size=6)


def _walked(walk: Any, release: dict[str, Any]) -> list[str]:
    found: list[str] = []
    walk(release, ["$"], found)
    return found


@settings(max_examples=400, deadline=None)
@given(RELEASES)
def test_pruned_rules_find_what_a_whole_walk_finds(release: dict[str, Any]) -> None:
    context = Context()
    assert list(coherence._no_empty(release, context)) == _walked(coherence._empties, release)
    amounts = [f for f in coherence._amounts(release, context) if not f.startswith("contracts[")]
    assert amounts == _walked(coherence._amount_problems, release)


def test_every_kind_of_blank_string_is_found_in_a_large_part() -> None:
    """Each whitespace character alone, deep in a part the size of a real release's bids."""
    assert len(SPACES) > 20
    bids = {"details": [{"id": str(n), "value": {"amount": n}} for n in range(200)]}
    for space in SPACES:
        release = {"id": "x", "bids": bids, "tender": {"items": [{"description": space * 2}]}}
        findings = list(coherence._no_empty(release, Context()))
        assert findings == ["$.tender.items[0].description is an empty string"], repr(space)
    negative = {"id": "x", "bids": bids, "awards": [{"value": {"amount": -1}}]}
    assert list(coherence._amounts(negative, Context())) == [
        "$.awards[0].value.amount -1 is negative"
    ]
