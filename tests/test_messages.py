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
