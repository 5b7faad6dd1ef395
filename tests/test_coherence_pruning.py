"""The empty-field and amount rules skip the parts of a release whose JSON bytes cannot hold a
finding; for any release they must say exactly what a walk of the whole release says."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.canonical import CanonicalJSONError, canonical_bytes
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


VALUE = st.fixed_dictionaries(
    {"amount": NUMBERS | LEAVES, "amountNet": NUMBERS | LEAVES}, optional={"currency": TEXT}
)
PARTS = st.lists(st.fixed_dictionaries({"value": VALUE}, optional={"id": TEXT}), max_size=3)
VALUED = st.fixed_dictionaries(
    {"id": TEXT, "awards": PARTS, "contracts": PARTS}, optional={"bids": JSON, "tender": JSON}
)


@settings(max_examples=400, deadline=None)
@given(RELEASES | VALUED)
def test_rules_given_the_release_bytes_find_what_they_find_without(
    release: dict[str, Any],
) -> None:
    """``coherence_findings`` gives the rules each release's bytes (``Context.data``) to search
    before walking; the reference is the same rule without them."""
    try:
        fast = Context(data=orjson.dumps(release))
    except TypeError:  # (coherence_findings walks such a release as before)
        return
    for rule in (coherence._no_empty, coherence._amounts):
        try:
            reference = list(rule(release, Context()))
        except AttributeError:  # the contract totals need contract objects, as mapped
            continue
        assert list(rule(release, fast)) == reference


@settings(max_examples=400, deadline=None)
@given(RELEASES | VALUED)
def test_rules_given_the_canonical_bytes_find_what_they_find_without(
    release: dict[str, Any],
) -> None:
    """The mapping step hands over the canonical lines it publishes (sorted keys, JCS numbers)
    instead of orjson's bytes: the same findings as without bytes."""
    try:
        data = canonical_bytes(release)
    except CanonicalJSONError:
        return
    for rule in (coherence._no_empty, coherence._amounts):
        try:
            reference = list(rule(release, Context()))
        except AttributeError:  # the contract totals need contract objects, as mapped
            continue
        assert list(rule(release, Context(data=data))) == reference
    try:
        reference_findings = coherence.coherence_findings([release])
    except (AttributeError, TypeError):  # other rules need releases as mapped
        return
    assert coherence.coherence_findings([release], serialised=[data]) == reference_findings


def test_plain_amounts_are_proved_fine_from_the_bytes() -> None:
    def fine(value: dict[str, Any]) -> bool:
        return coherence._amounts_plainly_fine(orjson.dumps({"awards": [{"value": value}]}))

    assert fine({"amount": 3255.41, "amountNet": 2758.82, "currency": "PEN"})
    assert fine({"amount": 10, "amountNet": 10})
    assert not fine({"amount": 10, "amountNet": 10.5})
    assert not fine({"amount": -1.0, "amountNet": -2})
    assert not fine({"currency": "PEN", "amount": 2, "amountNet": 1})  # not a pair: walked
