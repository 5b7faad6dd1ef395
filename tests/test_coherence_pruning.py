"""The empty-field and amount rules skip the parts of a release whose JSON bytes cannot hold a
finding; for any release they must say exactly what a walk of the whole release says."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from hypothesis import example, given, settings
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


@settings(max_examples=300, deadline=None)
@given(st.lists(RELEASES | VALUED, min_size=2, max_size=5))
def test_a_day_searched_as_a_whole_finds_what_each_release_searched_alone_finds(
    releases: list[dict[str, Any]],
) -> None:
    """With the day's bytes, ``coherence_findings`` first searches them all joined: a day that
    cannot hold a finding skips each release's own search; the findings are those of the rules
    given each release's bytes one at a time (and of the rules walking without bytes)."""
    try:
        lines = [canonical_bytes(release) for release in releases]
    except CanonicalJSONError:
        return
    for rule in (coherence._no_empty, coherence._amounts):
        try:
            alone = [list(rule(r, Context(data=d))) for r, d in zip(releases, lines, strict=True)]
        except AttributeError:  # the contract totals need contract objects, as mapped
            continue
        day = b"\0".join(lines)
        joined = Context(
            empty_free=not coherence._may_hold_empty(day),
            amounts_fine=coherence._amounts_plainly_fine(day),
        )
        for release, data, findings in zip(releases, lines, alone, strict=True):
            assert list(rule(release, joined)) == findings
            both = Context(
                data=data, empty_free=joined.empty_free, amounts_fine=joined.amounts_fine
            )
            assert list(rule(release, both)) == findings
    try:
        reference = coherence.coherence_findings(releases)
    except (AttributeError, TypeError):  # other rules need releases as mapped
        return
    assert coherence.coherence_findings(releases, serialised=lines) == reference


def test_a_day_with_one_finding_still_reports_it() -> None:
    plain = {"id": "a", "awards": [{"value": {"amount": 10, "amountNet": 8}}]}
    blank = {"id": "b", "tender": {"title": " "}, "awards": [{"value": {"amount": 1}}]}
    over = {"id": "c", "awards": [{"value": {"amount": 10, "amountNet": 11}}]}
    releases = [plain, blank, over, plain]
    lines = [canonical_bytes(release) for release in releases]
    found = coherence.coherence_findings(releases, serialised=lines)
    assert found["coherence.no_empty_fields"] == ["b: $.tender.title is an empty string"]
    assert found["coherence.amounts_non_negative"] == [
        "c: $.awards[0].value.amountNet 11 exceeds amount 10"
    ]
    assert found == coherence.coherence_findings(releases)


def _dates_reference(release: dict[str, Any], context: Context) -> list[str]:
    """The date rule as it was written before it named fields only on a finding."""
    after = coherence._after
    found: list[str | None] = []
    date = release.get("date")
    if context.published_date is not None:
        found.append(after(date, context.published_date, "date", "publishedDate"))
    tender = release.get("tender") or {}
    for key in ("tenderPeriod", "contractPeriod"):
        period = tender.get(key) or {}
        found.append(
            after(
                period.get("startDate"), period.get("endDate"), f"tender.{key}.startDate", "endDate"
            )
        )
    awards = {award.get("id"): award for award in release.get("awards") or []}
    for a, award in enumerate(release.get("awards") or []):
        found.append(after(award.get("date"), date, f"awards[{a}].date", "date"))
    for c, contract in enumerate(release.get("contracts") or []):
        where = f"contracts[{c}]"
        signed = contract.get("dateSigned")
        found.append(after(signed, date, f"{where}.dateSigned", "date"))
        award_date = (awards.get(contract.get("awardID")) or {}).get("date")
        found.append(after(award_date, signed, "award date", f"{where}.dateSigned"))
        period = contract.get("period") or {}
        found.append(
            after(
                period.get("startDate"),
                period.get("endDate"),
                f"{where}.period.startDate",
                "endDate",
            )
        )
        for path, milestone in coherence._milestones(contract):
            for key in ("dateMet", "dateModified"):
                found.append(after(milestone.get(key), date, f"{where}.{path}.{key}", "date"))
        transactions = (contract.get("implementation") or {}).get("transactions") or []
        for t, transaction in enumerate(transactions):
            when = transaction.get("date")
            path = f"{where}.implementation.transactions[{t}].date"
            found.append(after(when, date, path, "date"))
            found.append(after(signed, when, f"{where}.dateSigned", path))
    return [finding for finding in found if finding is not None]


INSTANTS = (
    st.sampled_from(
        [
            "2026-01-02T10:00:00-05:00",
            "2026-01-03T00:00:00-05:00",
            "2026-01-01T23:59:59Z",
            "2026-01-02",
            "not a date",
            "",
        ]
    )
    | st.none()
)
DATED = st.fixed_dictionaries(
    {
        "date": INSTANTS,
        "tender": st.fixed_dictionaries(
            {},
            optional={
                "tenderPeriod": st.fixed_dictionaries({"startDate": INSTANTS, "endDate": INSTANTS}),
                "contractPeriod": st.fixed_dictionaries(
                    {"startDate": INSTANTS}, optional={"endDate": INSTANTS}
                ),
            },
        ),
        "awards": st.lists(
            st.fixed_dictionaries({"id": st.sampled_from(["1", "2"]), "date": INSTANTS}), max_size=2
        ),
        "contracts": st.lists(
            st.fixed_dictionaries(
                {"awardID": st.sampled_from(["1", "2", "3"]), "dateSigned": INSTANTS},
                optional={
                    "period": st.fixed_dictionaries({"startDate": INSTANTS, "endDate": INSTANTS}),
                    "milestones": st.lists(
                        st.fixed_dictionaries({"dateMet": INSTANTS, "dateModified": INSTANTS}),
                        max_size=2,
                    ),
                    "implementation": st.fixed_dictionaries(
                        {},
                        optional={
                            "transactions": st.lists(
                                st.fixed_dictionaries({"date": INSTANTS}), max_size=2
                            ),
                            "milestones": st.lists(
                                st.fixed_dictionaries({"dateMet": INSTANTS}), max_size=2
                            ),
                        },
                    ),
                },
            ),
            max_size=2,
        ),
    }
)


@settings(max_examples=400, deadline=None)
@given(DATED, st.sampled_from([None, "2026-01-02T12:00:00-05:00"]))
def test_the_date_rule_finds_what_comparing_every_pair_finds(
    release: dict[str, Any], published: str | None
) -> None:
    context = Context(published_date=published)
    assert list(coherence._dates_in_order(release, context)) == _dates_reference(release, context)


def _searched_empty(data: bytes) -> bool:
    """``_may_hold_empty`` as plain searches, without the byte-pair screen of large data."""
    return (
        b"{}" in data
        or b"[]" in data
        or b'""' in data
        or (
            coherence._ANY_LEAD.search(data) is not None
            and coherence._BLANK.search(data) is not None
        )
    )


def _searched_amounts(data: bytes) -> bool:
    """``_amounts_plainly_fine`` as a regex scan of every pair and a count of the keys."""
    if b'"amount":-' in data or b'"amountNet":-' in data:
        return False
    nets = data.count(b'"amountNet":')
    pairs = coherence._AMOUNT_PAIR.findall(data)
    return not nets or (
        len(pairs) == nets
        and all(coherence._number(net) <= coherence._number(gross) for gross, net in pairs)
    )


NUMBER_TOKENS = st.sampled_from([b"1", b"-1", b"2.5", b"-0", b"1e3", b"10", b"x"])
PAIRS = st.builds(
    lambda gross, net, end: b'{"amount":' + gross + b',"amountNet":' + net + end,
    NUMBER_TOKENS,
    NUMBER_TOKENS,
    st.sampled_from([b",", b"}", b"", b',"amountNet":1,']),
)
FRAGMENTS = st.lists(
    PAIRS
    | st.sampled_from(
        [
            *(b'{"amount":', b',"amountNet":', b'"amountNet":', b"-", b"1", b"2.5", b"1e3", b"0"),
            *(b"}", b",", b"{", b"[", b"]", b"{}", b"[]", b'""', b'"', b" ", b"\\", b"\\t"),
            *(b"\xc2\xa0", b"\xe2\x80\x80", b"\xe3\x80\x80", b"\xe1", b"a", b"\0", b'"x"'),
        ]
    ),
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(FRAGMENTS, st.integers(0, 2), st.booleans(), st.booleans())
@example([b'{"amount":10,"amountNet":-1,'], 0, False, False)
@example([b'{"amount":10,"amountNet":1,"amountNet":2,'], 0, False, False)
@example([b'{"amount":1', b"\xc2\xa0", b'"'], 1, True, True)
def test_the_day_screens_say_what_the_plain_searches_say(
    fragments: list[bytes], where: int, large: bool, odd: bool
) -> None:
    """The byte-pair screen of a large day and the pair search from the net keys: the same
    answers as the plain searches, wherever the bytes sit in a day of any length."""
    data = b"".join(fragments)
    if large:  # past the screen's threshold, at an even or odd offset
        pad = b'"abc",' * (coherence._SCREEN_FROM // 6 + 1)
        data = (b"x" if odd else b"") + [data + pad, pad + data + pad, pad + data][where]
    assert coherence._may_hold_empty(data) == _searched_empty(data)
    assert coherence._amounts_plainly_fine(data) == _searched_amounts(data)
