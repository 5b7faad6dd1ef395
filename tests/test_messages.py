"""The message catalogue: both languages everywhere, same placeholders, every used key defined."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import messages
from messages import DEFAULT_LANG, DOMAINS, LANGUAGES, MessageError, catalogue, placeholders, text

REPO = Path(__file__).resolve().parents[1]
# Code whose user-facing texts come from the catalogue (the lead adds the other packages as
# their texts move in).
CATALOGUE_USERS = [REPO / "integrity"]
WEB_PAGE = REPO / "integrity" / "web" / "verificar.js"


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    table = catalogue()
    assert len(table) > 80
    for key, texts in table.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(texts[lang].strip() for lang in LANGUAGES), key
        names = {lang: placeholders(texts[lang]) for lang in LANGUAGES}
        assert names["es"] == names["en"], key
        assert "lang" not in names["es"], f"{key}: 'lang' is text()'s own argument"


def test_no_text_shows_an_unfilled_placeholder() -> None:
    """Escaped braces render literally: ``{{conjunto}}`` would print ``{conjunto}``."""
    rendered = 0
    for key, texts in catalogue().items():
        for lang in LANGUAGES:
            params = dict.fromkeys(placeholders(texts[lang]), "X")
            assert not re.search(r"\{\w+\}", text(key, lang, **params)), (key, lang)
            rendered += 1
    assert rendered == 2 * len(catalogue())


def test_every_module_of_the_package_is_a_listed_domain() -> None:
    modules = {
        m.name for m in pkgutil.iter_modules(messages.__path__) if not m.name.startswith("_")
    }
    assert modules == set(DOMAINS)
    for name in DOMAINS:
        assert messages.domain(name) == importlib.import_module(f"messages.{name}").MESSAGES


def test_text_defaults_to_spanish_and_explains_mistakes() -> None:
    assert DEFAULT_LANG == "es"
    assert text("check.integrity") == "integridad"
    assert text("check.integrity", "en") == text("check.integrity", lang="en") == "integrity"
    assert text("locate.not_found", path="x.csv") == "x.csv: no existe"
    with pytest.raises(MessageError, match="unknown message key"):
        text("no.such_key")
    with pytest.raises(MessageError, match="unknown language 'fr'"):
        text("check.integrity", "fr")
    with pytest.raises(MessageError, match="needs parameter 'path'"):
        text("locate.not_found")


def test_unknown_file_names_the_pattern_without_placeholders() -> None:
    line = text("locate.unknown_file", path="foo.txt")
    assert "{" not in line and "perucompras-ocam-2025-03-04-releases.jsonl" in line


def _key_pattern() -> re.Pattern[str]:
    prefixes = sorted({key.split(".")[0] for key in catalogue()})
    return re.compile(rf"^(?:{'|'.join(prefixes)})\.[a-z0-9_]+$")


def _is_module_name(value: str) -> bool:
    path = REPO / value.replace(".", "/")
    return path.is_dir() or path.with_suffix(".py").is_file()


def keys_used_in_python(folders: list[Path]) -> set[str]:
    """String literals passed as call arguments that look like catalogue keys (module names
    such as ``"integrity.contracts"`` excluded)."""
    pattern = _key_pattern()
    used: set[str] = set()
    for folder in folders:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    used |= {
                        arg.value
                        for arg in node.args
                        if isinstance(arg, ast.Constant)
                        and isinstance(arg.value, str)
                        and pattern.match(arg.value)
                        and not _is_module_name(arg.value)
                    }
    return used


def test_every_key_used_in_the_code_exists() -> None:
    used = keys_used_in_python(CATALOGUE_USERS)
    assert len(used) > 60, sorted(used)
    assert {"integrity.hash_mismatch", "anchor.no_rpc", "devchain.warning"} <= used
    assert sorted(used - set(catalogue())) == []


def test_every_key_used_by_the_browser_page_exists() -> None:
    script = WEB_PAGE.read_text(encoding="utf-8")
    html = WEB_PAGE.with_suffix(".html").read_text(encoding="utf-8")
    calls = re.findall(
        r'(?:\.(?:ok|fail|skip)|\btext)\(\s*(?:"[a-z_]+",\s*)?"([a-z_]+\.[a-z_]+)"', script
    )
    labels = re.findall(r'data-t="([a-z_.]+)"', html)
    used = set(calls) | set(labels)
    assert len(calls) > 30 and len(labels) > 5, (calls, labels)
    assert sorted(used - set(catalogue())) == []
    assert "PAGE_TEXT" not in script  # no second catalogue inside the page
    assert not re.search(r"\{\{\w+\}\}", script), "an escaped placeholder shows as {name}"


def test_the_page_wording_of_a_message_has_its_placeholders() -> None:
    table = catalogue()
    variants = [key for key in table if key.startswith("page.") and key[5:] in table]
    assert variants == ["page.locate.manifest_missing", "page.locate.unknown_file"]
    for key in variants:
        assert placeholders(table[key]["es"]) <= placeholders(table[key[5:]]["es"]), key


# Quarantine messages: row.* and map.* (messages/quality.py), cell.* (messages/source.py).
QUARANTINE_PREFIXES = {"quality": ("row.", "map."), "source": ("cell.",)}
# cell.* pieces other messages take as parameters ({reason}, {what}, an empty value ...)
MESSAGE_PARTS = {
    "cell.empty",
    "cell.none",
    "cell.count",
    "cell.what_delivery_number",
    "cell.what_days",
    "cell.what_deliveries",
    "cell.ruc_length",
    "cell.ruc_not_digits",
    "cell.ruc_prefix",
    "cell.ruc_check_digit",
}
# The raw value is {value} unless named here: the empty (or zero) cell said in words, amounts
# named by their column, or an order whose other rows are the problem.
RAW_IN_WORDS = {"row.not_null", "map.required", "cell.required_missing", "cell.quantity_zero"}
RAW_PLACEHOLDER = {
    "row.sum": "total",
    "row.igv_band": "igv",
    "row.igv_cap": "igv",
    "row.igv_range": "igv",
    "row.one_selected": "order",
    "row.order_incomplete": "order",
    "row.line_order_incomplete": "order",
    "row.quotation_order_incomplete": "order",
    "row.release_invalid": "error",
    "cell.field_count": "found",
    "cell.delivery_dates_order": "end",
    "cell.duplicate_product_row": "order",
    "cell.missing_order_rows": "order",
    "cell.order_without_deliveries": "order",
    "cell.order_total_inconsistent": "low",
    "cell.order_totals_mismatch": "found",
    "cell.product_totals_mismatch": "declared",
    "cell.delivery_inconsistent": "delivery",
    "cell.delivery_total_mismatch": "found",
    "cell.order_incomplete": "row",
}
# The last clause (after ": " or "; ") says what a publisher would change, in the imperative.
FIX_VERBS = {
    "es": (
        "corrija",
        "complete",
        "complételo",
        "revise",
        "deje",
        "redondee",
        "compruebe",
        "exporte",
    ),
    "en": ("fix", "fill", "check", "keep", "round", "export"),
}


def test_every_quarantine_message_names_the_raw_value_and_what_to_change() -> None:
    quarantine = {
        key: texts
        for domain, prefixes in QUARANTINE_PREFIXES.items()
        for key, texts in messages.domain(domain).items()
        if key.startswith(prefixes) and key not in MESSAGE_PARTS
    }
    assert len(quarantine) > 50
    assert MESSAGE_PARTS | RAW_IN_WORDS | set(RAW_PLACEHOLDER) <= set(catalogue())
    for key, texts in quarantine.items():
        for lang in LANGUAGES:
            template = texts[lang]
            if key not in RAW_IN_WORDS:
                raw = RAW_PLACEHOLDER.get(key, "value")
                assert raw in placeholders(template), (key, lang, template)
            fix = re.split(r": |; ", template.rstrip("."))[-1]
            assert fix.split()[0].lower() in FIX_VERBS[lang], (key, lang, fix)
