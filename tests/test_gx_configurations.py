"""Issue 15: GX results are the same with ``Expectation.configuration`` memoized within a
validation (``quality.gx_configurations``) as with GX's own property, and a GX version the memo
was not checked against gets GX's own property."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from perucompras.detailed_export import read_detailed_export
from perucompras.synthetic import DEFECT_KINDS, generate_month, plant_defects
from perucompras.synthetic_details import generate_detailed_export
from publication.extract import orders_for_day
from quality import gx_configurations, gx_suites
from quality.gx_suites import (
    build_suite,
    prevalidate_orders,
    prevalidated,
    run_suite,
)
from quality.lines import prevalidate_lines, run_lines_suite
from quality.rules import QualityConfig, prepare
from quality.sample_orders import with_values

pytestmark = pytest.mark.slow

MONTH = (2026, 9)
CONFIG = QualityConfig(run_gx=True)


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> list[pa.Table]:
    """A synthetic month's days (as read) with one row of each defect kind planted."""
    path = generate_month(*MONTH, tmp_path_factory.mktemp("gxconf"), orders=600)
    plant_defects(path, list(DEFECT_KINDS), seed=5)
    tables = [orders_for_day([path], dt.date(*MONTH, day)).orders for day in range(1, 31)]
    return [table for table in tables if table.num_rows]


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    """Detail lines with defects in several columns."""
    folder = tmp_path_factory.mktemp("gxconf_lines")
    orders = generate_month(*MONTH, folder, orders=200)
    table = read_detailed_export(generate_detailed_export(*MONTH, folder, orders=orders)).lines
    table = with_values(table, "quantity_milli", {3: None, 40: -5})
    table = with_values(table, "unit_price_cents", {11: -1})
    table = with_values(table, "subtotal_cents", {20: 1})
    return with_values(table, "delivery_start", {30: "31/12/2026"})


@pytest.fixture
def unmemoized(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """GX's own ``configuration`` for the test: as with a GX version not checked."""
    monkeypatch.setattr(gx_configurations, "TESTED_VERSIONS", frozenset())
    monkeypatch.setattr(gx_configurations, "_INSTALLED", {})
    assert not gx_configurations.active()
    yield


def _recorded(monkeypatch: pytest.MonkeyPatch, run: Any) -> list[str]:
    """Every GX result (each expectation's whole result, the suite's success and statistics)
    and every ``mostly`` share decided while ``run()`` runs, in order, as text."""
    seen: list[str] = []
    validate, share = gx_suites._gx_validate, gx_suites._share_item

    def recording_validate(*arguments: Any, **options: Any) -> Any:
        result = validate(*arguments, **options)
        data = result.to_json_dict()
        kept = {key: data[key] for key in ("results", "success", "statistics")}
        seen.append(json.dumps(kept, sort_keys=True, default=repr))
        return result

    def recording_share(*arguments: Any, **options: Any) -> Any:
        item = share(*arguments, **options)
        seen.append(repr(item))
        return item

    with monkeypatch.context() as patch:
        patch.setattr(gx_suites, "_gx_validate", recording_validate)
        patch.setattr(gx_suites, "_share_item", recording_share)
        run()
    return seen


def _validate_all(days: list[pa.Table], lines: pa.Table) -> None:
    """The order and line suites on each day alone and through a batch (shares included)."""
    for table in days:
        run_suite(prepare(table), CONFIG)
    batch = prevalidate_orders(days, CONFIG)
    assert batch is not None
    with prevalidated([batch]):
        for table in days:
            run_suite(prepare(table), CONFIG, min_rows=5, max_rows=40)
    parts = [lines.slice(0, 60), lines.slice(60)]
    for part in parts:
        run_lines_suite(part, CONFIG)
    line_batch = prevalidate_lines(parts, CONFIG)
    assert line_batch is not None
    with prevalidated([line_batch]):
        for part in parts:
            run_lines_suite(part, CONFIG)


def _fresh_splits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sub-suites built again (with the configuration GX reads at that point)."""
    monkeypatch.setattr(gx_suites, "_SPLITS", {})


def test_results_are_the_same_with_and_without_the_memo(
    days: list[pa.Table], lines: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert gx_configurations.active()
    monkeypatch.setattr(gx_configurations, "CHECK", True)  # every memoized read checked
    _fresh_splits(monkeypatch)
    memoized = _recorded(monkeypatch, lambda: _validate_all(days, lines))
    with monkeypatch.context() as patch:
        patch.setattr(gx_configurations, "TESTED_VERSIONS", frozenset())
        patch.setattr(gx_configurations, "_INSTALLED", {})
        assert not gx_configurations.active()
        _fresh_splits(patch)
        own = _recorded(patch, lambda: _validate_all(days, lines))
    assert len(memoized) > 2 * len(days)
    assert any('"success": false' in text for text in own)  # failing days compared too
    assert any(text.startswith("_Item") for text in own)  # and ``mostly`` shares
    assert memoized == own


def _status_share() -> Any:
    """A fresh domain object of the status share expectation (``mostly`` 0.95)."""
    suite = build_suite(CONFIG)
    found = [
        e for e in suite.expectations if (e.meta or {}).get("rule_id") == "status.unknown_share"
    ]
    return found[0].configuration.to_domain_obj()


def test_within_a_validation_lookups_read_one_configuration_until_a_field_changes() -> None:
    expectation = _status_share()
    outside = expectation._get_success_kwargs()["value_set"]
    assert expectation._get_success_kwargs()["value_set"] is not outside  # GX's own: new each time
    with gx_configurations.memoized_configurations():
        first = expectation._get_success_kwargs()["value_set"]
        assert expectation._get_success_kwargs()["value_set"] is first
        assert expectation._get_success_kwarg("mostly") == 0.95
        # direct reads are never memoized (GX changes those configurations in place)
        assert expectation.configuration is not expectation.configuration
        expectation.mostly = 0.5
        assert expectation._get_success_kwarg("mostly") == 0.5
        assert expectation._get_success_kwargs()["value_set"] is not first
    assert expectation._get_success_kwargs()["value_set"] is not outside


def test_an_unchecked_gx_version_keeps_gx_own_configuration(unmemoized: None) -> None:
    expectation = _status_share()
    with gx_configurations.memoized_configurations():
        first = expectation._get_success_kwargs()["value_set"]
        assert expectation._get_success_kwargs()["value_set"] is not first
        assert expectation._get_success_kwargs()["value_set"] == first


def test_the_check_finds_a_configuration_changed_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gx_configurations, "CHECK", True)
    expectation = _status_share()
    with (
        pytest.raises(AssertionError, match="changed in place"),
        gx_configurations.memoized_configurations(),
    ):
        expectation._get_success_kwargs()["value_set"].append("OTRO")
    with (
        pytest.raises(AssertionError, match="differs"),
        gx_configurations.memoized_configurations(),
    ):
        assert expectation._get_success_kwarg("mostly") == 0.95
        expectation.meta["rule_id"] = "changed"  # in place: not seen by the field check
        expectation._get_success_kwarg("mostly")


def test_sub_suite_copies_equal_deep_copies_and_leave_the_suite_alone() -> None:
    import copy

    suite = build_suite(CONFIG)
    before = [expectation.configuration for expectation in suite.expectations]
    indices = list(range(len(suite.expectations)))
    sub, ids = gx_suites._sub_suite("copies_test", suite.expectations, indices)
    assert sorted(ids, key=int) == [str(i) for i in indices]
    assert len(sub.expectations) == len(suite.expectations)
    for index, (original, made) in enumerate(
        zip(suite.expectations, sub.expectations, strict=True)
    ):
        deep = copy.deepcopy(original)
        deep.id = str(index)
        assert made.configuration == deep.configuration
        assert made.dict() == deep.dict()
        assert made is not original
        assert made._save_callback.__self__ is sub  # bound to its new suite
        for name, value in vars(original).items():
            if isinstance(value, list | dict):
                assert vars(made)[name] is not value  # fields copied, not shared
    assert [expectation.configuration for expectation in suite.expectations] == before
    assert all(expectation._save_callback.__self__ is suite for expectation in suite.expectations)
