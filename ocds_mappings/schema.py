"""Offline OCDS 1.1.5 schema: extension patching, compiled per-release validation and codelist checks."""

from __future__ import annotations

import copy
import csv
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from ocds_mappings.extensions import DECLARED_EXTENSIONS, Extension
from settings import env_name

OCDS_VERSION_FOLDER = "1__1__5"
REPO_ROOT = Path(__file__).resolve().parents[1]
# The `ocds_dir` setting when unset: the shared folder beside the repository.
DEFAULT_OCDS_DIR = REPO_ROOT.parent / "shared" / "ocds"
_MAX_MESSAGE_CHARS = 240


class OcdsFilesMissingError(FileNotFoundError):
    """The offline copy of the OCDS schema files cannot be found."""


def ocds_dir(folder: Path | None = None) -> Path:
    """Folder with the offline OCDS files: ``folder`` (the ``ocds_dir`` setting) or the default."""
    chosen = folder if folder is not None else DEFAULT_OCDS_DIR
    schema_file = chosen / OCDS_VERSION_FOLDER / "release-schema.json"
    if not schema_file.is_file():
        source = "the ocds_dir setting" if folder is not None else "the default location"
        raise OcdsFilesMissingError(
            f"OCDS schema files not found: {schema_file} does not exist ({source}). Set "
            f"{env_name('ocds_dir')} to a folder containing {OCDS_VERSION_FOLDER}/"
            "release-schema.json and extensions/ (see shared/ocds/README.md)."
        )
    return chosen


def json_merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON Merge Patch and return the result (inputs are not modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


def _read_json(path: Path) -> Any:
    """Parse a JSON file, naming it in the error when it is missing or broken."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise OcdsFilesMissingError(f"Missing OCDS file {path}") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error


@cache
def _patched_schema_text(folder: str, extensions: tuple[Extension, ...]) -> str:
    """Patched release schema serialised once per (folder, extensions)."""
    base = Path(folder)
    schema = _read_json(base / OCDS_VERSION_FOLDER / "release-schema.json")
    for extension in extensions:
        patch_file = extension.directory(base) / "release-schema.json"
        schema = json_merge_patch(schema, _read_json(patch_file))
    return json.dumps(schema, ensure_ascii=False)


def load_release_schema(
    folder: Path | None = None, extensions: Sequence[Extension] = DECLARED_EXTENSIONS
) -> dict[str, Any]:
    """OCDS 1.1.5 release schema with the declared extensions merged in (a fresh copy)."""
    return json.loads(_patched_schema_text(str(ocds_dir(folder)), tuple(extensions)))


def _short(message: str) -> str:
    """Cap a validator message (enum errors list every currency code)."""
    if len(message) <= _MAX_MESSAGE_CHARS:
        return message
    return message[: _MAX_MESSAGE_CHARS - 1] + "…"


def _json_path(parts: Iterable[str | int]) -> str:
    """Render an instance path as a JSONPath such as `$.contracts[0].value.amount`."""
    rendered = "$"
    for part in parts:
        rendered += f"[{part}]" if isinstance(part, int) else f".{part}"
    return rendered


class ReleaseValidator:
    """Patched release schema compiled once with jsonschema-rs (Draft 4, formats checked)."""

    def __init__(self, schema: Mapping[str, Any] | None = None) -> None:
        """Compile `schema` (default: the patched release schema from `ocds_dir()`)."""
        self.schema = dict(schema) if schema is not None else load_release_schema()
        self._validator = jsonschema_rs.Draft4Validator(self.schema, validate_formats=True)

    def is_valid(self, release: Mapping[str, Any]) -> bool:
        """Whether the release passes the schema."""
        return self._validator.is_valid(release)

    def errors(self, release: Mapping[str, Any]) -> list[str]:
        """Schema errors of one release as `JSONPath: message` strings (empty when valid)."""
        if self._validator.is_valid(release):
            return []
        return [
            f"{_json_path(error.instance_path)}: {_short(error.message)}"
            for error in self._validator.iter_errors(release)
        ]

    def validate_many(self, releases: Iterable[Mapping[str, Any]]) -> list[list[str]]:
        """Errors for each release, in order (one list per release)."""
        return [self.errors(release) for release in releases]


@dataclass(frozen=True)
class CodelistField:
    """A schema field whose values come from a codelist."""

    codelist: str
    open: bool


@dataclass(frozen=True)
class CodelistIssue:
    """A value that is not in its field's codelist: an error if the codelist is closed."""

    path: str
    value: str
    codelist: str
    open: bool


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local `#/definitions/...` reference."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    target: Any = schema
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _codelist_fields(
    schema: Mapping[str, Any],
    node: Mapping[str, Any],
    path: tuple[str, ...],
    seen: frozenset[str],
) -> Iterator[tuple[tuple[str, ...], CodelistField]]:
    """Yield (path, codelist) for every codelist field under `node`; `[]` marks array items."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return
        seen = seen | {ref}
    node = _resolve(schema, node)
    if "codelist" in node:
        yield path, CodelistField(node["codelist"], bool(node.get("openCodelist", False)))
    items = node.get("items")
    if isinstance(items, dict):
        yield from _codelist_fields(schema, items, (*path, "[]"), seen)
    for key, child in node.get("properties", {}).items():
        if isinstance(child, dict):
            yield from _codelist_fields(schema, child, (*path, key), seen)


def _read_codes(path: Path) -> set[str]:
    """The `Code` column of a codelist CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["Code"] for row in csv.DictReader(handle)}


def load_codelists(
    folder: Path | None = None, extensions: Sequence[Extension] = DECLARED_EXTENSIONS
) -> dict[str, frozenset[str]]:
    """Core 1.1.5 codelists patched by the extensions' codelists (`+name.csv` adds, `-name.csv` removes)."""
    base = ocds_dir(folder)
    codes = {
        path.name: _read_codes(path)
        for path in sorted((base / OCDS_VERSION_FOLDER / "codelists").glob("*.csv"))
    }
    for extension in extensions:
        for path in sorted((extension.directory(base) / "codelists").glob("*.csv")):
            name = path.name.lstrip("+-")
            if path.name.startswith("+"):
                codes.setdefault(name, set()).update(_read_codes(path))
            elif path.name.startswith("-"):
                codes.setdefault(name, set()).difference_update(_read_codes(path))
            else:
                codes[name] = _read_codes(path)
    return {name: frozenset(values) for name, values in codes.items()}


@dataclass(frozen=True)
class _Node:
    """A codelist-field tree node, compiled for walking: its field, its array items' node and
    its properties' nodes (in the schema's order)."""

    field: CodelistField | None
    items: _Node | None
    children: tuple[tuple[str, _Node], ...]


def _compile(tree: Mapping[Any, Any]) -> _Node:
    items = tree.get("[]")
    return _Node(
        tree.get(None),
        _compile(items) if items is not None else None,
        tuple(
            (key, _compile(subtree))
            for key, subtree in tree.items()
            if key is not None and key != "[]"
        ),
    )


def _path(parts: list[str | int]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


class CodelistChecker:
    """Checks release values against the (patched) codelists named in the schema."""

    def __init__(self, schema: Mapping[str, Any], codelists: Mapping[str, frozenset[str]]) -> None:
        """Index the schema's codelist fields as a path tree."""
        self.codelists = codelists
        self._tree: dict[str | None, Any] = {}
        for path, field in _codelist_fields(schema, schema, (), frozenset()):
            if field.codelist not in codelists:
                raise ValueError(
                    f"Schema field {'.'.join(path)} names unknown codelist {field.codelist}"
                )
            node = self._tree
            for part in path:
                node = node.setdefault(part, {})
            node[None] = field
        self._root = _compile(self._tree)

    def issues(self, release: Mapping[str, Any]) -> list[CodelistIssue]:
        """Values of codelist fields that are not in their codelist."""
        found: list[CodelistIssue] = []
        self._walk(release, self._root, [], found)
        return found

    def _walk(
        self, value: Any, node: _Node, parts: list[str | int], found: list[CodelistIssue]
    ) -> None:
        """Descend `value` along the codelist-field tree (the path is spelt out only for an
        issue)."""
        field = node.field
        is_list = isinstance(value, list)
        if field is not None:
            allowed = self.codelists[field.codelist]
            for index, code in enumerate(value if is_list else [value]):
                if isinstance(code, str) and code not in allowed:
                    where = _path([*parts, index] if is_list else parts)
                    found.append(CodelistIssue(where, code, field.codelist, field.open))
        if is_list:
            if node.items is not None:
                for index, item in enumerate(value):
                    parts.append(index)
                    self._walk(item, node.items, parts, found)
                    parts.pop()
        elif isinstance(value, dict):
            for key, child in node.children:
                if key in value:
                    parts.append(key)
                    self._walk(value[key], child, parts, found)
                    parts.pop()

    def report(self, releases: Iterable[Mapping[str, Any]]) -> Counter[CodelistIssue]:
        """Count of each distinct issue over many releases, paths with array indexes kept."""
        counts: Counter[CodelistIssue] = Counter()
        releases = list(releases)
        if self._clean(releases, self._tree):  # the usual case, proven a column at a time
            return counts
        for release in releases:
            counts.update(self.issues(release))
        return counts

    def _clean(self, values: list[Any], tree: Mapping[Any, Any]) -> bool:
        """Whether ``_walk`` finds nothing in any of ``values`` (each at ``tree``), checked one
        codelist field at a time over all of them: a day's ~60k bids are a few list
        comprehensions, not a recursive call per node."""
        field = tree.get(None)
        if field is not None:
            allowed = self.codelists[field.codelist]
            # the distinct codes of the column, a list's codes included, as one set
            codes = {value for value in values if isinstance(value, str)}
            codes.update(
                code
                for value in values
                if isinstance(value, list)
                for code in value
                if isinstance(code, str)
            )
            if not codes <= allowed:
                return False
        items = tree.get("[]")
        if items is not None:
            nested = [item for value in values if isinstance(value, list) for item in value]
            if nested and not self._clean(nested, items):
                return False
        dicts = [value for value in values if isinstance(value, dict)]
        for key, subtree in tree.items():
            if key is None or key == "[]" or not dicts:
                continue
            column = [value[key] for value in dicts if key in value]
            if column and not self._clean(column, subtree):
                return False
        return True


def codelist_checker(
    folder: Path | None = None, extensions: Sequence[Extension] = DECLARED_EXTENSIONS
) -> CodelistChecker:
    """A checker for the patched schema and codelists of `folder`."""
    base = ocds_dir(folder)
    return CodelistChecker(load_release_schema(base, extensions), load_codelists(base, extensions))
